/**
 * `check run/`: a segmented run is checked whole. Every segment file holds on its own; the
 * forgeries here are made as a cheating exporter would — each forged segment is a valid trace
 * of its own statement, and the manifest is rewritten to match it — so only the run
 * obligations (run.segments, run.start, run.link, run.ending) can catch them.
 */
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRun } from '../../src/check/run.js';
import { assemble } from '../../src/isa/assemble.js';
import type { Program } from '../../src/isa/program.js';
import {
  encodeManifest,
  fileSha256,
  MANIFEST_FILE,
  parseManifest,
  segmentFileName,
  type RunManifest,
  type SegmentEntry,
} from '../../src/trace/format/manifest.js';
import type { Claim } from '../../src/trace/format/metadata.js';
import { exportTrace } from '../../src/trace/write/export.js';
import { exportSegments } from '../../src/trace/write/segments.js';
import { cli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-run-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const source = (name: string) =>
  readFileSync(new URL(`../../programs/${name}.tvm`, import.meta.url), 'utf8');
const LONG_LOOP = assemble(source('long_loop'));
const MAX_STEPS = 2000;
const ROWS = 256;
const honest = join(dir, 'honest');
let manifest: RunManifest;

beforeAll(async () => {
  manifest = await exportSegments(LONG_LOOP, honest, { maxSteps: MAX_STEPS, segmentRows: ROWS });
});

/** A copy of the honest run to forge. */
function copy(): string {
  const run = join(dir, Math.random().toString(36).slice(2));
  cpSync(honest, run, { recursive: true });
  return run;
}

function readRunManifest(run: string): RunManifest {
  return parseManifest(readFileSync(join(run, MANIFEST_FILE), 'utf8'), 'manifest');
}

function writeRunManifest(run: string, m: RunManifest): void {
  writeFileSync(join(run, MANIFEST_FILE), encodeManifest(m));
}

/**
 * Segment `index` made by the exporter itself from `initial` (a valid trace of that
 * statement), put at position `at` of `run`, the manifest rewritten to match it.
 */
function forgeSegment(
  run: string,
  program: Program,
  index: number,
  initial: Claim,
  at = index,
): void {
  const file = join(run, segmentFileName(at));
  const { metadata } = exportTrace(program, file, {
    maxSteps: MAX_STEPS,
    segment: { index, rows: ROWS, initial },
  });
  const m = readRunManifest(run);
  const segments = [...m.segments];
  segments[at] = {
    index: at,
    file: segmentFileName(at),
    sha256: fileSha256(file),
    initial,
    final: metadata.claim,
  };
  writeRunManifest(run, { ...m, segments });
}

/** Rewrite the run so that its segment files and manifest entries are `order` of the honest ones. */
function reorder(run: string, order: readonly number[]): void {
  const m = readRunManifest(run);
  const staged = order.map((k, at) => {
    const tmp = join(run, `staged-${at}`);
    cpSync(join(honest, m.segments[k].file), tmp);
    return tmp;
  });
  for (const s of m.segments) rmSync(join(run, s.file));
  const segments: SegmentEntry[] = order.map((k, at) => {
    renameSync(staged[at], join(run, segmentFileName(at)));
    return { ...m.segments[k], index: at, file: segmentFileName(at) };
  });
  writeRunManifest(run, { ...m, segments });
}

async function runFailures(run: string): Promise<string[]> {
  const report = await checkRun(run, { jobs: 2 });
  const inFiles = report.segments.flatMap((s) => s.report?.failures ?? []);
  expect(inFiles, 'each forged file holds on its own').toEqual([]);
  expect(report.ok).toBe(false);
  return report.run.map((f) => `${f.constraint} ${f.segment ?? 'run'}: ${f.message}`);
}

describe('check run/', () => {
  it('an honest run holds: every segment and the chain', async () => {
    const report = await checkRun(honest, { jobs: 2 });
    expect(report.ok).toBe(true);
    expect(report.rows).toBe(MAX_STEPS);
    expect(report.segments.map((s) => [s.index, s.report?.ok, s.report?.rows])).toEqual(
      manifest.segments.map((s, k) => [k, true, Math.min(ROWS, MAX_STEPS - k * ROWS)]),
    );
    expect(report.run).toEqual([]);
  });

  it.each(['fibonacci', 'gcd', 'sum_to_n', 'factorial_recursive', 'fault_stack_underflow'])(
    '%s in segments of 16 rows holds',
    async (name) => {
      const run = join(dir, `ok-${name}`);
      await exportSegments(assemble(source(name)), run, { maxSteps: 1000, segmentRows: 16 });
      const report = await checkRun(run);
      expect([report.ok, report.run]).toEqual([true, []]);
    },
  );

  it('a segment started in another acc: run.link', async () => {
    const run = copy();
    const before = manifest.segments[2].final;
    forgeSegment(run, LONG_LOOP, 3, { ...before, acc: before.acc + 1 });
    expect((await runFailures(run))[0]).toBe(
      `run.link 3: segment 3 does not start where segment 2 ended: its initial acc is ${before.acc + 1}, segment 2's final ${before.acc}`,
    );
  });

  it('a segment started with one memory cell changed: run.link names the cell', async () => {
    const run = copy();
    const before = manifest.segments[1].final;
    const memory = [...before.memory];
    memory[0] += 5;
    forgeSegment(run, LONG_LOOP, 2, { ...before, memory });
    const failures = await runFailures(run);
    expect(failures[0]).toBe(
      `run.link 2: segment 2 does not start where segment 1 ended: its initial memory[0] is ${memory[0]}, segment 1's final ${before.memory[0]}`,
    );
  });

  it('segment 0 of another initial memory: run.start', async () => {
    const run = copy();
    const initial = manifest.segments[0].initial;
    const memory = [...initial.memory];
    memory[0] = -999;
    forgeSegment(run, LONG_LOOP, 0, { ...initial, memory });
    const failures = await runFailures(run);
    expect(failures[0]).toBe(
      `run.start 0: segment 0 does not start in the program's initial state: its memory[0] is -999, the program's ${initial.memory[0]}`,
    );
  });

  it('two segments swapped: run.segments (out of order) and run.link', async () => {
    const run = copy();
    reorder(run, [0, 2, 1, 3, 4, 5, 6, 7]);
    const failures = await runFailures(run);
    expect(failures.slice(0, 2)).toEqual([
      'run.segments 1: segment 1 is segment 2 of its run (out of order)',
      'run.segments 2: segment 2 is segment 1 of its run (out of order)',
    ]);
    expect(failures.some((f) => f.startsWith('run.link 1: '))).toBe(true);
  });

  it('a segment dropped from the middle, or duplicated: run.segments', async () => {
    const dropped = copy();
    reorder(dropped, [0, 1, 3, 4, 5, 6, 7]);
    expect((await runFailures(dropped))[0]).toBe(
      'run.segments 2: segment 2 is segment 3 of its run (out of order)',
    );
    const duplicated = copy();
    reorder(duplicated, [0, 1, 1, 2, 3, 4, 5, 6, 7]);
    expect((await runFailures(duplicated))[0]).toBe(
      'run.segments 2: segment 2 is segment 1 of its run (out of order)',
    );
  });

  it('the last segments dropped: run.ending (the run stops before max_steps)', async () => {
    const run = copy();
    reorder(run, [0, 1, 2, 3, 4]);
    expect(await runFailures(run)).toEqual([
      `run.ending run: the last segment (4) neither halted nor faulted and ends at step ${5 * ROWS}, before max_steps ${MAX_STEPS}: segments are missing`,
    ]);
  });

  it('a manifest whose boundary state was edited: run.segments', async () => {
    const run = copy();
    const m = readRunManifest(run);
    const segments = [...m.segments];
    segments[5] = { ...segments[5], final: { ...segments[5].final, acc: 7 } };
    writeRunManifest(run, { ...m, segments });
    expect(await runFailures(run)).toEqual([
      `run.segments 5: the manifest's final state of segment 5 is not its file's: acc 7 in the manifest, ${manifest.segments[5].final.acc} in segment-00005.arrow`,
    ]);
  });

  it('a missing or altered segment file: run.segments', async () => {
    const run = copy();
    rmSync(join(run, segmentFileName(6)));
    const bytes = readFileSync(join(run, segmentFileName(2)));
    bytes[bytes.length - 100] ^= 1;
    writeFileSync(join(run, segmentFileName(2)), bytes);
    const report = await checkRun(run);
    expect(report.ok).toBe(false);
    expect(
      report.run.map((f) => `${f.constraint} ${f.segment}: ${f.message.replace(/ \(SHA.*$/, '')}`),
    ).toEqual([
      expect.stringMatching(
        /^run\.segments 2: segment-00002\.arrow is not the manifest's: its SHA-256 is [0-9a-f]{16}…, the manifest says [0-9a-f]{16}…$/,
      ),
      'run.segments 6: segment-00006.arrow is missing',
    ]);
  });

  it('a directory where a segment file should be: run.segments names it, the rest is checked', async () => {
    const run = copy();
    rmSync(join(run, segmentFileName(3)));
    mkdirSync(join(run, segmentFileName(3)));
    const report = await checkRun(run);
    expect(report.ok).toBe(false);
    expect(report.run.map((f) => `${f.constraint} ${f.segment}: ${f.message}`)).toEqual([
      'run.segments 3: segment-00003.arrow: EISDIR: illegal operation on a directory, read',
    ]);
    expect(report.segments.map((s) => s.report?.ok ?? null)).toEqual([
      true,
      true,
      true,
      null,
      true,
      true,
      true,
      true,
    ]);
  });

  it('the CLI: ok is exit 0, a broken chain exit 1 with one line per failure, no manifest exit 2', async () => {
    expect(await cli('check', honest)).toEqual({
      code: 0,
      stdout: [
        `ok: ${honest}: 8 segments, ${MAX_STEPS} rows; every segment's constraints and memory arguments hold, and the segments chain from the program's initial state to the claim (field int)`,
      ],
      stderr: [],
    });
    const run = copy();
    reorder(run, [0, 1, 2, 3, 4]);
    expect(await cli('check', run)).toEqual({
      code: 1,
      stdout: [
        `FAILED: ${run}: 1 failure`,
        `  run: run.ending: the last segment (4) neither halted nor faulted and ends at step ${5 * ROWS}, before max_steps ${MAX_STEPS}: segments are missing`,
      ],
      stderr: [`tvm-trace: ${run}: 1 failure`],
    });
    rmSync(join(run, MANIFEST_FILE));
    expect(await cli('check', run)).toEqual({
      code: 2,
      stdout: [],
      stderr: [
        `tvm-trace: ${run}: a directory without manifest.json: neither a trace nor a segmented run`,
      ],
    });
  });

  it('export --segment-rows: S not a power of two, or over 2^29, is a usage error (exit 64)', async () => {
    for (const rows of ['3', String(2 ** 30)])
      expect(
        await cli('export', 'programs/fibonacci.tvm', '--segment-rows', rows, '-o', join(dir, 'x')),
      ).toEqual({
        code: 64,
        stdout: [],
        stderr: [
          `tvm-trace: --segment-rows ${rows} must be a power of two of at most 536870912 (2^29)`,
        ],
      });
  });

  it('a single segment file checks against its own boundary states', async () => {
    const file = join(honest, segmentFileName(3));
    expect(await cli('check', file)).toMatchObject({ code: 0, stderr: [] });
  });
});
