/**
 * `tvm-trace report` without a browser: what the page holds (decoded as the page does) against
 * the trace read row by row, the min/max downsampling of a long trace, the rows kept around
 * failures, a self-contained page, and the command's bad input (exit 2, one line, no file).
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnIndex } from '../../src/air/columns.js';
import { checkTrace } from '../../src/check/check.js';
import { In } from '../../src/compiler/layout.js';
import { buildReport } from '../../src/report/report.js';
import { CLIENT_SCRIPT } from '../../src/report/client.js';
import { openTrace, readCell } from '../../src/trace/read/reader.js';
import { hostileFiles } from '../support/hostile-traces.js';
import { cli } from '../support/cli.js';
import { pageData } from './page-data.js';

let dir: string;
let long: string;
const FIB = 'fixtures/golden/fibonacci.arrow';
const BAD = 'fixtures/bad/controls.wrap--wrong-wrap.arrow';
const LONG_STEPS = 150_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tvm-trace-report-'));
  long = join(dir, 'long.arrow');
  expect(
    (
      await cli(
        'export',
        'programs/long_loop.tvm',
        '-o',
        long,
        '--max-steps',
        String(LONG_STEPS),
        '--batch-rows',
        '40000',
      )
    ).code,
  ).toBe(0);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every row of a trace, as the columns the page summarises. */
async function traceRows(path: string) {
  const trace = await openTrace(path);
  const c = {
    pc: columnIndex('pc'),
    input: columnIndex('input'),
    read: columnIndex('access_read'),
    write: columnIndex('access_write'),
    addr: columnIndex('access_addr'),
    value: columnIndex('access_value'),
  };
  const out: Array<{
    pc: number;
    acc: number;
    sp: number;
    zero: number;
    carry: number;
    read: number;
    write: number;
    addr: number;
    value: number;
  }> = [];
  try {
    for await (const batch of trace.batches()) {
      for (let r = 0; r < batch.rows; r++) {
        const cell = (column: number, entry = 0) => readCell(batch, trace.slots, column, r, entry);
        out.push({
          pc: cell(c.pc),
          acc: cell(c.input, In.ACC),
          sp: cell(c.input, In.SP),
          zero: cell(c.input, In.ZERO),
          carry: cell(c.input, In.CARRY),
          read: cell(c.read),
          write: cell(c.write),
          addr: cell(c.addr),
          value: cell(c.value),
        });
      }
    }
    return { rows: out, meta: trace.metadata, slots: trace.slots };
  } finally {
    await trace.close();
  }
}

describe('report page data', () => {
  it('holds every row of a short trace: timelines, counts, memory and every cell of each kept row', async () => {
    const result = await buildReport(FIB);
    const { meta, arrays } = pageData(result.html);
    const { rows, meta: traceMeta, slots } = await traceRows(FIB);
    expect(meta.rows).toBe(rows.length);
    expect(meta.timeline.bucket).toBe(1);
    expect(Array.from(arrays.pcMin)).toEqual(rows.map((r) => r.pc));
    expect(Array.from(arrays.accMax)).toEqual(rows.map((r) => r.acc));
    expect(Array.from(arrays.spMin)).toEqual(rows.map((r) => r.sp));
    expect(Array.from(arrays.flagsOr)).toEqual(rows.map((r) => r.zero | (r.carry << 1)));
    const counts = new Array(traceMeta.instructions).fill(0);
    for (const r of rows) counts[r.pc]++;
    expect(meta.pcCounts).toEqual(counts);
    expect(meta.claim).toMatchObject({
      steps: traceMeta.claim.steps,
      acc: traceMeta.claim.acc,
      pc: traceMeta.claim.pc,
      memory: traceMeta.claim.memory,
    });
    expect(meta.instructions.map((i: { text: string }) => i.text)).toContain('SUBM 4');
    // Memory after the last row is the claimed final memory (a golden trace).
    const cells = meta.memory.cells;
    expect(Array.from(arrays.memValues.subarray((meta.memory.count - 1) * cells))).toEqual(
      traceMeta.claim.memory,
    );
    // Kept rows: all of them, every cell as stored.
    expect(Array.from(arrays.detailRows)).toEqual(rows.map((_, i) => i));
    const trace = await openTrace(FIB);
    try {
      for await (const batch of trace.batches()) {
        for (const row of [0, 37, batch.rows - 1]) {
          const width = meta.detail.width;
          const kept = arrays.detailCells.subarray(row * width, (row + 1) * width);
          for (const column of meta.detail.columns as Array<{
            name: string;
            offset: number;
            width: number;
          }>) {
            const slot = slots.find((s) => s.spec.name === column.name)!;
            if (column.name === 'selector') {
              expect(kept[column.offset + 1]).toBe(1);
              expect(readCell(batch, slots, slot.index, row, kept[column.offset])).toBe(1);
              continue;
            }
            for (let i = 0; i < column.width; i++)
              expect(kept[column.offset + i], `row ${row} ${column.name}[${i}]`).toBe(
                readCell(batch, slots, slot.index, row, i),
              );
          }
        }
      }
    } finally {
      await trace.close();
    }
  });

  it('downsamples a long trace by min/max per bucket while streaming, and its memory per time bucket', async () => {
    const result = await buildReport(long, { rows: { from: 1000, to: 1010 } });
    const { meta, arrays } = pageData(result.html);
    const { rows, meta: traceMeta } = await traceRows(long);
    expect(rows.length).toBe(LONG_STEPS);
    const bucket = meta.timeline.bucket;
    expect(bucket).toBe(Math.ceil(LONG_STEPS / 8192));
    expect(meta.timeline.count).toBe(Math.ceil(LONG_STEPS / bucket));
    for (let b = 0; b < meta.timeline.count; b++) {
      const slice = rows.slice(b * bucket, (b + 1) * bucket);
      const pcs = slice.map((r) => r.pc);
      const accs = slice.map((r) => r.acc);
      expect(
        [arrays.pcMin[b], arrays.pcMax[b], arrays.accMin[b], arrays.accMax[b]],
        `bucket ${b}`,
      ).toEqual([Math.min(...pcs), Math.max(...pcs), Math.min(...accs), Math.max(...accs)]);
      const and = slice.reduce((f, r) => f & (r.zero | (r.carry << 1)), 3);
      const or = slice.reduce((f, r) => f | r.zero | (r.carry << 1), 0);
      expect([arrays.flagsAnd[b], arrays.flagsOr[b]]).toEqual([and, or]);
    }
    // Memory: the value of each cell at the end of each time bucket, and the bucket's reads and writes.
    const memory = [...traceMeta.initialMemory];
    const mb = meta.memory.bucket;
    const cells = meta.memory.cells;
    const marks = new Uint8Array(meta.memory.count * cells);
    rows.forEach((r, i) => {
      const t = Math.floor(i / mb);
      if (r.addr < cells) {
        if (r.write) memory[r.addr] = r.value;
        marks[t * cells + r.addr] |= r.read | (r.write << 1);
      }
      if ((i + 1) % mb === 0 || i + 1 === rows.length)
        expect(
          Array.from(arrays.memValues.subarray(t * cells, (t + 1) * cells)),
          `time bucket ${t}`,
        ).toEqual(memory);
    });
    expect(Array.from(arrays.memMarks)).toEqual(Array.from(marks));
    // The window asked for, and the last row.
    expect(Array.from(arrays.detailRows)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => 1000 + i),
      LONG_STEPS - 1,
    ]);
    expect(result.html.length).toBeLessThan(400_000);
  });

  it('with check: the verdict, the failures, and the rows around each failure even outside the window', async () => {
    const expected = await checkTrace(BAD, { maxFailures: 100 });
    const result = await buildReport(BAD, { check: true, rows: { from: 10, to: 12 } });
    const { meta, arrays } = pageData(result.html);
    expect(meta.check.ok).toBe(false);
    expect(meta.check.failureCount).toBe(expected.failureCount);
    expect(meta.check.failures.map((f: { constraint: string }) => f.constraint)).toEqual(
      expected.failures.map((f) => f.constraint),
    );
    const first = expected.failures[0].row!;
    const kept = new Set(Array.from(arrays.detailRows));
    for (const row of [first - 1, first, first + 1])
      if (row >= 0) expect(kept.has(row), `row ${row}`).toBe(true);
    expect(kept.has(10) && kept.has(11) && !kept.has(12)).toBe(true);
    // Kept rows come sorted (the page searches them).
    expect(Array.from(arrays.detailRows)).toEqual([...arrays.detailRows].sort((a, b) => a - b));
  });

  it('a golden trace checks ok, in one pass with the collection', async () => {
    const result = await buildReport(FIB, { check: true });
    const { meta } = pageData(result.html);
    expect(meta.check).toMatchObject({ ok: true, failureCount: 0, failures: [] });
  });

  it('is self-contained: scripts and styles inline, nothing to fetch, uPlot pinned', async () => {
    const { html } = await buildReport(FIB);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link/i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(html).toContain("default-src 'none'");
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
    expect(pkg.dependencies.uplot).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pageData(html).meta.uplot).toBe(pkg.dependencies.uplot);
    // The page script parses (the browser test runs it).
    expect(() => new Function(CLIENT_SCRIPT)).not.toThrow();
  });
});

describe('tvm-trace report (command)', () => {
  it('writes the page and prints one summary line (JSON with --json)', async () => {
    const out = join(dir, 'fib.html');
    const result = await cli('report', FIB, '-o', out, '--check');
    expect(result.code).toBe(0);
    expect(result.stdout[0]).toMatch(
      /^wrote .*fib\.html: \d+ bytes, 103 rows \(every row plotted; rows 0:103 in full, 103 kept\)$/,
    );
    expect(result.stdout[1]).toBe('check: ok');
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);
    const json = await cli('report', BAD, '-o', out, '--check', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout[0])).toMatchObject({ rows: 16, check: { ok: false } });
  });

  it('unreadable and hostile traces: exit 2 with one line, no page and no temporary file left', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const target = join(bad, 'out.html');
    writeFileSync(join(bad, 'notes.txt'), 'not a trace\n');
    const cases = [join(bad, 'missing.arrow'), join(bad, 'notes.txt')];
    for (const file of hostileFiles(readFileSync(FIB)).slice(0, 12)) {
      const path = join(bad, `hostile-${file.name.replace(/[^a-z0-9]+/gi, '-')}.arrow`);
      writeFileSync(path, file.bytes);
      cases.push(path);
    }
    for (const trace of cases) {
      for (const flags of [[], ['--check']]) {
        const result = await cli('report', trace, '-o', target, ...flags);
        expect(result.code, trace).toBe(2);
        expect(result.stderr, trace).toHaveLength(1);
        expect(result.stderr[0]).toMatch(/^tvm-trace: /);
        expect(result.stdout).toEqual([]);
        expect(existsSync(target), trace).toBe(false);
        expect(
          readdirSync(bad).filter((name) => name.endsWith('.tmp') || name.includes('out.html')),
        ).toEqual([]);
      }
    }
  });

  it('an existing page is left as it was when the new one cannot be made', async () => {
    const target = join(dir, 'kept.html');
    writeFileSync(target, 'old page');
    expect((await cli('report', 'README.md', '-o', target)).code).toBe(2);
    expect(readFileSync(target, 'utf8')).toBe('old page');
  });

  it('bad output paths and flags', async () => {
    expect((await cli('report', FIB, '-o', join(dir, 'no-such-dir', 'x.html'))).code).toBe(2);
    expect((await cli('report', FIB, '-o', dir)).code).toBe(2);
    expect((await cli('report', FIB)).code).toBe(64);
    expect((await cli('report', FIB, '-o', join(dir, 'x.html'), '--rows', '5:3')).code).toBe(64);
    expect((await cli('report', FIB, '-o', join(dir, 'x.html'), '--max-failures', '0')).code).toBe(
      64,
    );
  });
});
