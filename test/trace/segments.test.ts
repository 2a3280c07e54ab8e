/**
 * Segmented export: each segment's rows are exactly the whole run's rows of its steps (every
 * column but the per-segment memory log and last_step), each segment starts where the one
 * before ended, a worker regenerates any segment byte for byte from its job alone, and the
 * same program and options give the same bytes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COLUMNS } from '../../src/air/columns.js';
import { assemble } from '../../src/isa/assemble.js';
import {
  fileSha256,
  parseManifest,
  parseSegmentJob,
  encodeSegmentJob,
  segmentJob,
} from '../../src/trace/format/manifest.js';
import { openTrace, readCell } from '../../src/trace/read/reader.js';
import { exportTrace } from '../../src/trace/write/export.js';
import {
  exportSegments,
  regenerateSegment,
  SegmentMismatchError,
} from '../../src/trace/write/segments.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-segments-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const program = (name: string) =>
  assemble(readFileSync(new URL(`../../programs/${name}.tvm`, import.meta.url), 'utf8'));

/** Every row of a trace, as the values of the columns compared (row-major, entries flat). */
async function rows(path: string, columns: readonly number[]): Promise<number[][]> {
  const trace = await openTrace(path);
  const out: number[][] = [];
  try {
    for await (const batch of trace.batches()) {
      for (let r = 0; r < batch.rows; r++) {
        const row: number[] = [];
        for (const c of columns)
          for (let e = 0; e < trace.slots[c].width; e++)
            row.push(readCell(batch, trace.slots, c, r, e));
        out.push(row);
      }
      trace.release(batch);
    }
  } finally {
    await trace.close();
  }
  return out;
}

/** The columns a segment shares with the whole run: all but its own sorted memory log and last_step. */
const SHARED = COLUMNS.flatMap((c, i) => (c.group === 'log' || c.name === 'last_step' ? [] : [i]));

describe('export --segment-rows', () => {
  it.each([
    ['fibonacci', 1000, 16],
    ['gcd', 1000, 32],
    ['sum_to_n', 1000, 64],
    ['long_loop', 1500, 256],
    ['infinite_loop', 300, 128],
    ['fault_stack_overflow', 1000, 8],
  ])(
    '%s (max_steps %i, %i rows a segment): the whole run, cut at every S steps',
    async (name, maxSteps, segmentRows) => {
      const whole = join(dir, `${name}.arrow`);
      const { metadata } = exportTrace(program(name), whole, { maxSteps });
      const run = join(dir, `${name}-run`);
      const manifest = await exportSegments(program(name), run, { maxSteps, segmentRows });
      const steps = metadata.claim.steps;
      expect(manifest.segments.length).toBe(Math.ceil(steps / segmentRows));
      expect(readdirSync(run).sort()).toEqual(
        ['manifest.json', ...manifest.segments.map((s) => s.file)].sort(),
      );
      expect(parseManifest(readFileSync(join(run, 'manifest.json'), 'utf8'), 'm')).toEqual(
        manifest,
      );
      const all = await rows(whole, SHARED);
      for (const [k, segment] of manifest.segments.entries()) {
        const path = join(run, segment.file);
        expect(fileSha256(path)).toBe(segment.sha256);
        expect(await rows(path, SHARED)).toEqual(all.slice(k * segmentRows, (k + 1) * segmentRows));
        expect(segment.initial.steps).toBe(k * segmentRows);
        if (k > 0) expect(segment.initial).toEqual(manifest.segments[k - 1].final);
        const trace = await openTrace(path);
        expect(trace.metadata.segment).toEqual({
          index: k,
          rows: segmentRows,
          initial: segment.initial,
        });
        expect(trace.metadata.claim).toEqual(segment.final);
        await trace.close();
      }
      expect(manifest.segments.at(-1)!.final).toEqual(metadata.claim);
    },
  );

  it('a worker regenerates each segment from its job (a few hundred bytes) byte for byte', async () => {
    const run = join(dir, 'regen');
    const manifest = await exportSegments(program('long_loop'), run, {
      maxSteps: 2000,
      segmentRows: 512,
    });
    for (let k = 0; k < manifest.segments.length; k++) {
      const text = encodeSegmentJob(segmentJob(manifest, k));
      expect(text.length).toBeLessThan(600);
      const target = join(dir, `regen-${k}.arrow`);
      await regenerateSegment(parseSegmentJob(text, 'job'), target);
      expect(readFileSync(target).equals(readFileSync(join(run, manifest.segments[k].file)))).toBe(
        true,
      );
    }
  });

  it("a job whose segment comes out other than the manifest's is refused with both digests", async () => {
    const manifest = await exportSegments(program('fibonacci'), join(dir, 'other'), {
      maxSteps: 300,
      segmentRows: 32,
    });
    const job = segmentJob(manifest, 1);
    const wrong = { ...job, sha256: segmentJob(manifest, 2).sha256 };
    const error = await regenerateSegment(wrong, join(dir, 'other-1.arrow')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SegmentMismatchError);
    expect((error as Error).message).toBe(
      `segment 1: the regenerated segment is not the manifest's (SHA-256 ${job.sha256.slice(0, 16)}…, the manifest's ${wrong.sha256.slice(0, 16)}…)`,
    );
  });

  it('keepFiles false: only manifest.json, the same bytes as with the files', async () => {
    const options = { maxSteps: 3000, segmentRows: 256 };
    const withFiles = join(dir, 'with-files');
    const manifestOnly = join(dir, 'manifest-only');
    await exportSegments(program('long_loop'), withFiles, options);
    await exportSegments(program('long_loop'), manifestOnly, { ...options, keepFiles: false });
    expect(readdirSync(manifestOnly)).toEqual(['manifest.json']);
    expect(readFileSync(join(manifestOnly, 'manifest.json'), 'utf8')).toBe(
      readFileSync(join(withFiles, 'manifest.json'), 'utf8'),
    );
    expect(readdirSync(withFiles)).toHaveLength(13); // 12 segments and the manifest
  });

  it('the same program and options give the same bytes', async () => {
    const a = join(dir, 'same-a');
    const b = join(dir, 'same-b');
    const options = { maxSteps: 700, segmentRows: 128, compression: 'zstd' as const };
    await exportSegments(program('sum_to_n'), a, options);
    await exportSegments(program('sum_to_n'), b, options);
    for (const file of readdirSync(a))
      expect(readFileSync(join(a, file)).equals(readFileSync(join(b, file))), file).toBe(true);
  });

  it('a failed export leaves the directory as it was', async () => {
    const run = join(dir, 'kept');
    await exportSegments(program('fibonacci'), run, { maxSteps: 200, segmentRows: 32 });
    const before = readFileSync(join(run, 'manifest.json'));
    await expect(
      exportSegments(program('fibonacci'), run, { maxSteps: 200, segmentRows: 3 }),
    ).rejects.toThrow('segment-rows 3 must be a power of two in 1..536870912');
    expect(readFileSync(join(run, 'manifest.json')).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.includes('.partial'))).toEqual([]);
  });
});
