/**
 * `tvm-trace check`: exact output and exit codes for good, tampered and hostile traces.
 */
import * as arrow from 'apache-arrow';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { hostileFiles } from '../support/hostile-traces.js';

let dir: string;
let fib: string;
let fibBatched: string;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tvm-trace-check-cli-'));
  fib = path('fib.arrow');
  fibBatched = path('fib-batched.arrow');
  expect((await cli('export', 'programs/fibonacci.tvm', '-o', fib)).code).toBe(0);
  expect(
    (await cli('export', 'programs/fibonacci.tvm', '-o', fibBatched, '--batch-rows', '40')).code,
  ).toBe(0);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A copy of fib.arrow with next_acc of row 5 set to 99 (otherwise a well-formed file). */
function tampered(): string {
  const table = arrow.tableFromIPC(readFileSync(fib));
  (table.getChild('next_acc')!.data[0].values as Int16Array)[5] = 99;
  const target = path('tampered.arrow');
  writeFileSync(target, arrow.tableToIPC(table, 'file'));
  return target;
}

describe('tvm-trace check: valid traces', () => {
  it('a valid trace: one ok line, exit 0', async () => {
    expect(await cli('check', fib)).toEqual({
      code: 0,
      stdout: [
        `ok: ${fib}: 103 rows, 263 constraints per row and the memory arguments hold (field int)`,
      ],
      stderr: [],
    });
  });

  it('in several record batches, and in Goldilocks', async () => {
    expect(await cli('check', fibBatched, '--field', 'goldilocks')).toEqual({
      code: 0,
      stdout: [
        `ok: ${fibBatched}: 103 rows, 263 constraints per row and the memory arguments hold (field goldilocks)`,
      ],
      stderr: [],
    });
  });

  it('never says ok in a field where the AIR is not sound (BabyBear, M31): exit 1 naming statement.field', async () => {
    for (const field of ['babybear', 'm31']) {
      const result = await cli('check', fibBatched, '--field', field);
      expect(result.code).toBe(1);
      expect(result.stdout[0]).toBe(`FAILED: ${fibBatched}: 1 failure`);
      expect(result.stdout[1]).toMatch(
        new RegExp(
          `^  statement\\.field: the AIR is not sound in ${field} \\(only in goldilocks\\): in a 31-bit field RAW_ACC`,
        ),
      );
      expect(result.stderr).toEqual([`tvm-trace: ${fibBatched}: 1 constraint failure`]);
    }
  });

  it('--json: one object with the report', async () => {
    const result = await cli('check', fib, '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    expect(result.stdout).toHaveLength(1);
    const report = JSON.parse(result.stdout[0]);
    expect(Object.keys(report)).toEqual([
      'ok',
      'trace',
      'rows',
      'field',
      'constraints_per_row',
      'tensor',
      'failure_count',
      'failures',
    ]);
    expect(report).toEqual({
      ok: true,
      trace: fib,
      rows: 103,
      field: 'int',
      constraints_per_row: 263,
      tensor: null,
      failure_count: 0,
      failures: [],
    });
  });

  it('--program with the same program: exit 0', async () => {
    expect((await cli('check', fib, '--program', 'programs/fibonacci.tvm')).code).toBe(0);
  });

  it.each(['cpu', 'wasm', 'tensorflow'])(
    '--tensor replays every row on the %s backend: exit 0',
    async (backend) => {
      expect(await cli('check', fibBatched, '--tensor', '--backend', backend)).toEqual({
        code: 0,
        stdout: [
          `ok: ${fibBatched}: 103 rows, 263 constraints per row and the memory arguments hold (field int); tensor replay (${backend}) agrees`,
        ],
        stderr: [],
      });
      const json = JSON.parse(
        (await cli('check', fib, '--tensor', '--backend', backend, '--json')).stdout[0],
      );
      expect(json.tensor).toEqual({ backend, ok: true });
    },
  );
});

describe('tvm-trace check --tensor: the backend auto picks', () => {
  it('is tensorflow, the fastest batched replay, where tfjs-node loads', async () => {
    expect(await cli('check', fibBatched, '--tensor')).toEqual({
      code: 0,
      stdout: [
        `ok: ${fibBatched}: 103 rows, 263 constraints per row and the memory arguments hold (field int); tensor replay (tensorflow) agrees`,
      ],
      stderr: [],
    });
  });
});

describe('tvm-trace check: failing traces (exit 1)', () => {
  it.each(['cpu', 'wasm', 'tensorflow'])(
    '--tensor on %s names the hidden value the replay disagrees with, beside the AIR failures',
    async (backend) => {
      // Row 47 is row 7 of the second 40-row batch; its hidden[0] is 5.
      const table = arrow.tableFromIPC(readFileSync(fibBatched));
      const hidden = table.getChild('hidden')!.data[1].children[0].values as Int32Array;
      const ffDim = 5;
      expect(hidden[7 * ffDim]).toBe(5);
      hidden[7 * ffDim] = 6;
      const target = path(`hidden-${backend}.arrow`);
      writeFileSync(target, arrow.tableToIPC(table, 'file'));
      const where = 'row 47 (step 47, pc 5: STORE 2)';
      expect(await cli('check', target, '--tensor', '--backend', backend)).toEqual({
        code: 1,
        stdout: [
          `FAILED: ${target}: 3 failures`,
          `  ffn.hidden[k=0]: ${where}: ffn.hidden[k=0] fails: expected 5, actual 6`,
          `  ffn.output[o=2]: ${where}: ffn.output[o=2] fails: expected 6, actual 5`,
          `  tensor.hidden: row 47: tensor replay of hidden[0] gives 5, the trace has 6`,
        ],
        stderr: [`tvm-trace: ${target}: 3 constraint failures`],
      });
    },
  );

  it('a tampered cell: the failures by row, constraint and values', async () => {
    const target = tampered();
    const where = 'row 5 (step 5, pc 5: STORE 2)';
    expect(await cli('check', target)).toEqual({
      code: 1,
      stdout: [
        `FAILED: ${target}: 3 failures`,
        `  controls.next_acc_bits: ${where}: controls.next_acc_bits fails: expected 1, actual 99`,
        `  controls.wrap: ${where}: controls.wrap fails: expected 99, actual 1`,
        `  continuity.acc: ${where}: continuity.acc fails: expected 99, actual 1`,
      ],
      stderr: [`tvm-trace: ${target}: 3 constraint failures`],
    });
  });

  it('locates a failure inside a trace of many batches', async () => {
    const table = arrow.tableFromIPC(readFileSync(fibBatched));
    (table.getChild('next_acc')!.data[1].values as Int16Array)[3] = 99; // row 43
    const target = path('tampered-batched.arrow');
    writeFileSync(target, arrow.tableToIPC(table, 'file'));
    const result = await cli('check', target, '--json');
    expect(result.code).toBe(1);
    expect(
      JSON.parse(result.stdout.join('\n')).failures.map(
        (f: { row: number; constraint: string }) => `${f.row}:${f.constraint}`,
      ),
    ).toEqual(['43:controls.next_acc_bits', '43:controls.wrap', '43:continuity.acc']);
    expect((await cli('check', fibBatched)).code).toBe(0);
  });

  it('--max-failures limits the list, not the count', async () => {
    const target = tampered();
    const result = await cli('check', target, '--max-failures', '1');
    expect(result.code).toBe(1);
    expect(result.stdout).toEqual([
      `FAILED: ${target}: 3 failures (first 1 shown)`,
      '  controls.next_acc_bits: row 5 (step 5, pc 5: STORE 2): controls.next_acc_bits fails: expected 1, actual 99',
    ]);
  });

  it('--json for a failing trace', async () => {
    const target = tampered();
    const result = await cli('check', target, '--json');
    expect(result.code).toBe(1);
    expect(result.stderr).toEqual([`tvm-trace: ${target}: 3 constraint failures`]);
    const report = JSON.parse(result.stdout[0]);
    expect(report).toMatchObject({ ok: false, rows: 103, failure_count: 3 });
    expect(report.failures[0]).toEqual({
      constraint: 'controls.next_acc_bits',
      row: 5,
      step: 5,
      pc: 5,
      instruction: 'STORE 2',
      expected: '1',
      actual: '99',
      location: 'row',
      message: 'controls.next_acc_bits fails: expected 1, actual 99',
      text: 'controls.next_acc_bits: row 5 (step 5, pc 5: STORE 2): controls.next_acc_bits fails: expected 1, actual 99',
    });
    for (const failure of report.failures)
      expect(Object.keys(failure)).toEqual([
        'constraint',
        'row',
        'step',
        'pc',
        'instruction',
        'expected',
        'actual',
        'location',
        'message',
        'text',
      ]);
  });

  it('--program with a different program', async () => {
    const result = await cli('check', fib, '--program', 'programs/gcd.tvm');
    expect(result.code).toBe(1);
    expect(result.stdout[0]).toBe(`FAILED: ${fib}: 4 failures`);
    expect(result.stdout).toContain(
      '  metadata.program: the embedded program differs from the one given with --program',
    );
    expect(result.stdout).toContain(
      '  metadata.instructions: the file says 16 instructions, the program has 15',
    );
    expect(
      result.stdout.some((line) =>
        line.startsWith(
          '  metadata.weights_sha256: weights digest mismatch: recompiling the program gives ',
        ),
      ),
    ).toBe(true);
    expect(result.stderr).toEqual([`tvm-trace: ${fib}: 4 constraint failures`]);
  });
});

describe('tvm-trace check: unusable input (exit 2 or 64)', () => {
  it('every hostile file: exit 2, one line naming the file, no stack trace, promptly', async () => {
    const trace = readFileSync(fibBatched);
    const files = hostileFiles(trace);
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const target = path(`hostile-${file.name.replace(/[^a-z0-9]+/gi, '-')}.arrow`);
      writeFileSync(target, file.bytes);
      const started = Date.now();
      const result = await cli('check', target);
      const context = `${file.name}: ${JSON.stringify(result)}`;
      expect(Date.now() - started, context).toBeLessThan(10_000);
      expect(result.code, context).toBe(2);
      expect(result.stdout, context).toEqual([]);
      expect(result.stderr, context).toHaveLength(1);
      expect(result.stderr[0], context).not.toMatch(/\n|\.[jt]s:\d+|internal error/);
      if (file.message !== undefined)
        expect(result.stderr[0], context).toBe(`tvm-trace: ${target}: ${file.message}`);
      else expect(result.stderr[0].startsWith(`tvm-trace: ${target}: `), context).toBe(true);
      const json = await cli('check', target, '--json');
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout[0])).toEqual({
        error: 'bad_trace',
        message: result.stderr[0].slice('tvm-trace: '.length),
      });
    }
  });

  it('a missing file and a directory', async () => {
    expect(await cli('check', path('none.arrow'))).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${path('none.arrow')}: cannot read: no such file`],
    });
    expect(await cli('check', dir)).toEqual({
      code: 2,
      stdout: [],
      stderr: [
        `tvm-trace: ${dir}: a directory without manifest.json: neither a trace nor a segmented run`,
      ],
    });
  });

  it('a --program that does not assemble is exit 2', async () => {
    const bad = path('bad.tvm');
    writeFileSync(bad, 'LOADI 1\nFROB 2\n');
    expect(await cli('check', fib, '--program', bad)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${bad}:2: unknown mnemonic 'FROB'`],
    });
  });

  it('usage errors are exit 64', async () => {
    expect(await cli('check')).toEqual({
      code: 64,
      stdout: [],
      stderr: ['tvm-trace: Missing required argument: trace (see tvm-trace --help)'],
    });
    expect(await cli('check', fib, '--max-failures', '0')).toEqual({
      code: 64,
      stdout: [],
      stderr: [
        "tvm-trace: --max-failures must be a positive integer, got '0' (see tvm-trace --help)",
      ],
    });
    expect((await cli('check', fib, '--field', 'q')).code).toBe(64);
    expect(await cli('check', fib, '--threads', '2')).toEqual({
      code: 64,
      stdout: [],
      stderr: ['tvm-trace: Unknown argument: threads (see tvm-trace --help)'],
    });
    expect((await cli('check', fib, '--tensor', '--backend', 'bogus')).code).toBe(64);
    expect(await cli('check', fib, '--frob')).toEqual({
      code: 64,
      stdout: [],
      stderr: ['tvm-trace: Unknown argument: frob (see tvm-trace --help)'],
    });
  });
});
