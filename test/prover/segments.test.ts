/**
 * Segmented proving end to end: `prove run/` proves every segment into one bundle, `verify`
 * verifies each proof against the statement its header states and then the chain over those
 * proved states. Chain forgeries are made from real segment proofs (of this run, of another
 * run of the same code, of another program), so every proof in them verifies on its own.
 */
import { spawn } from 'node:child_process';
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
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/assemble.js';
import { decodeBundle, encodeBundle, type Bundle } from '../../src/prove/bundle.js';
import { claimDocument } from '../../src/trace/format/claim-file.js';
import {
  segmentFileName,
  type RunManifest,
  type SegmentEntry,
} from '../../src/trace/format/manifest.js';
import { openTrace } from '../../src/trace/read/reader.js';
import { exportTrace } from '../../src/trace/write/export.js';
import { exportSegments } from '../../src/trace/write/segments.js';
import { cli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-segment-proofs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const programPath = (name: string) => new URL(`../../programs/${name}.tvm`, import.meta.url).pathname;
const source = (name: string) => readFileSync(programPath(name), 'utf8');

async function provedRun(name: string, text: string, maxSteps: number, segmentRows: number) {
  const run = join(dir, `${name}-run`);
  const manifest = await exportSegments(assemble(text), run, { maxSteps, segmentRows });
  const bundle = join(dir, `${name}.proof`);
  const proved = await cli('prove', run, '-o', bundle, '--jobs', '2');
  expect(proved.code, proved.stderr.join('\n')).toBe(0);
  return { run, manifest, bundle };
}

describe('prove run/ and verify a bundle', () => {
  it.each([
    ['compare', 1000, 16],
    ['factorial_recursive', 1000, 16],
    ['fibonacci', 1000, 16],
    ['gcd', 1000, 16],
    ['multiply', 1000, 16],
    ['sum_to_n', 1000, 64],
    ['long_loop', 1200, 256],
    ['infinite_loop', 500, 128],
    ['fibonacci', 1000, 128],
  ])('%s (max_steps %i) in segments of %i rows proves and verifies', async (name, maxSteps, rows) => {
    const { manifest, bundle } = await provedRun(`${name}-${rows}`, source(name), maxSteps, rows);
    const end = manifest.segments.at(-1)!.final;
    const verified = await cli('verify', bundle, '--program', programPath(name), '--json');
    expect(verified.code, verified.stderr.join('\n')).toBe(0);
    const out = JSON.parse(verified.stdout[0]) as Record<string, unknown>;
    expect(out).toMatchObject({
      verified: true,
      segments: manifest.segments.length,
      segment_rows: rows,
      max_steps: maxSteps,
    });
    expect(out.final).toMatchObject({ steps: end.steps, acc: end.acc, halted: end.halted });
  });
});

describe('chain forgeries: each verifies segment by segment, and is rejected in one line', () => {
  const MAX = 1200;
  const ROWS = 256;
  let honest: { run: string; manifest: RunManifest; bundle: string };
  let bundle: Bundle;
  let otherMemory: Bundle;
  let otherProgram: Bundle;
  const program = programPath('long_loop');

  beforeAll(async () => {
    honest = await provedRun('chain', source('long_loop'), MAX, ROWS);
    bundle = decodeBundle(readFileSync(honest.bundle), 'honest');
    // The same code from another initial memory: its segments are of the same weights.
    const other = source('long_loop').replace('.init 0 -1000', '.init 0 -900');
    expect(other).not.toBe(source('long_loop'));
    otherMemory = decodeBundle(
      readFileSync((await provedRun('other-memory', other, MAX, ROWS)).bundle),
      'other',
    );
    // Another program: one operand changed.
    const changed = source('long_loop').replace('LOADI 2500', 'LOADI 2400');
    expect(changed).not.toBe(source('long_loop'));
    otherProgram = decodeBundle(
      readFileSync((await provedRun('other-program', changed, MAX, ROWS)).bundle),
      'other program',
    );
  }, 120_000);

  /** A bundle of (proof, manifest entry) pairs taken from `parts`, renumbered by position. */
  function forged(parts: Array<[Bundle, number]>, name: string): string {
    const segments: SegmentEntry[] = parts.map(([b, k], at) => ({
      ...b.manifest.segments[k],
      index: at,
      file: segmentFileName(at),
    }));
    const path = join(dir, `${name}.proof`);
    writeFileSync(
      path,
      encodeBundle({
        manifest: { ...bundle.manifest, segments },
        proofs: parts.map(([b, k]) => b.proofs[k]),
      }),
    );
    return path;
  }

  const honestParts = (order: number[]) => order.map((k): [Bundle, number] => [bundle, k]);

  async function rejected(path: string, ...extra: string[]): Promise<string> {
    const result = await cli('verify', path, '--program', program, ...extra);
    expect(result.code).toBe(1);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toHaveLength(1);
    return result.stderr[0];
  }

  it('the honest bundle verifies, and with its claim', async () => {
    const claim = join(dir, 'chain.claim');
    const trace = await openTrace(join(honest.run, segmentFileName(4)));
    writeFileSync(
      claim,
      new Packr({ useRecords: false, variableMapSize: true }).pack(claimDocument(trace.metadata)),
    );
    await trace.close();
    const result = await cli('verify', honest.bundle, '--program', program, '--claim', claim);
    expect(result.code, result.stderr.join('\n')).toBe(0);
    expect(result.stdout[0]).toMatch(
      new RegExp(`^verified: .*: 5 segments of 256 rows chain from the program's initial state to steps ${MAX}, max_steps ${MAX}, acc -?\\d+ \\(the claim\\) `),
    );
  });

  it('two segments swapped', async () => {
    expect(await rejected(forged(honestParts([0, 2, 1, 3, 4]), 'swapped'))).toBe(
      'tvm-trace: rejected: run.segments: segment 1 is segment 2 of its run (out of order) (and 4 more)',
    );
  });

  it('a segment dropped, or duplicated', async () => {
    expect(await rejected(forged(honestParts([0, 1, 3, 4]), 'dropped'))).toMatch(
      /^tvm-trace: rejected: run\.segments: segment 2 is segment 3 of its run \(out of order\)/,
    );
    expect(await rejected(forged(honestParts([0, 1, 1, 2, 3, 4]), 'duplicated'))).toMatch(
      /^tvm-trace: rejected: run\.segments: segment 2 is segment 1 of its run \(out of order\)/,
    );
    expect(await rejected(forged(honestParts([0, 1, 2]), 'cut short'))).toBe(
      `tvm-trace: rejected: run.ending: the last segment (2) neither halted nor faulted and ends at step ${3 * ROWS}, before max_steps ${MAX}: segments are missing`,
    );
  });

  it('a segment from another run of the same code, with other initial memory', async () => {
    const message = await rejected(
      forged([[bundle, 0], [otherMemory, 1], [bundle, 2], [bundle, 3], [bundle, 4]], 'other-run'),
    );
    expect(message).toMatch(
      /^tvm-trace: rejected: run\.link: segment 1 does not start where segment 0 ended: its initial (acc|memory\[\d\]) is -?\d+, segment 0's final -?\d+/,
    );
    // Its segment 0 alone: it does not start in this program's initial state.
    expect(
      await rejected(
        forged([[otherMemory, 0], [bundle, 1], [bundle, 2], [bundle, 3], [bundle, 4]], 'other-0'),
      ),
    ).toMatch(
      /^tvm-trace: rejected: run\.start: segment 0 does not start in the program's initial state: its memory\[0\] is -900, the program's -1000/,
    );
  });

  it('a segment started with one memory cell changed, proved on its own', async () => {
    // The cheat: segment 2 exported from segment 1's final state with memory[1] edited (a
    // valid trace of that statement), proved as any segment file is.
    const before = bundle.manifest.segments[1].final;
    const memory = [...before.memory];
    memory[1] += 3;
    const file = join(dir, 'cheat-2.arrow');
    exportTrace(assemble(source('long_loop')), file, {
      maxSteps: MAX,
      segment: { index: 2, rows: ROWS, initial: { ...before, memory } },
    });
    const proofPath = join(dir, 'cheat-2.proof');
    const proved = await cli('prove', file, '-o', proofPath);
    expect(proved.code, proved.stderr.join('\n')).toBe(0);
    const cheat: Bundle = {
      manifest: { ...bundle.manifest, segments: [bundle.manifest.segments[2]] },
      proofs: [readFileSync(proofPath)],
    };
    expect(
      await rejected(forged([[bundle, 0], [bundle, 1], [cheat, 0], [bundle, 3], [bundle, 4]], 'cell')),
    ).toBe(
      `tvm-trace: rejected: run.link: segment 2 does not start where segment 1 ended: its initial memory[1] is ${memory[1]}, segment 1's final ${before.memory[1]} (and 1 more)`,
    );
  });

  it('a segment whose initial state differs only in the step counter', async () => {
    // infinite_loop's state is the same at every step but the counter: segment 2 after
    // segment 0 differs from what segment 1 would be only in its step and index.
    const loop = await provedRun('loop-chain', source('infinite_loop'), 512, 128);
    const b = decodeBundle(readFileSync(loop.bundle), 'loop');
    const path = join(dir, 'step-only.proof');
    writeFileSync(
      path,
      encodeBundle({
        manifest: {
          ...b.manifest,
          segments: [0, 2, 3].map((k, at) => ({
            ...b.manifest.segments[k],
            index: at,
            file: segmentFileName(at),
          })),
        },
        proofs: [0, 2, 3].map((k) => b.proofs[k]),
      }),
    );
    const result = await cli('verify', path, '--program', programPath('infinite_loop'));
    expect(result).toEqual({
      code: 1,
      stdout: [],
      stderr: [
        'tvm-trace: rejected: run.segments: segment 1 is segment 2 of its run (out of order) (and 2 more)',
      ],
    });
  });

  it("a segment proof of another program: it does not verify against this program's circuit", async () => {
    expect(
      await rejected(
        forged([[bundle, 0], [otherProgram, 1], [bundle, 2], [bundle, 3], [bundle, 4]], 'program'),
      ),
    ).toMatch(/^tvm-trace: rejected: segment 1: /);
  });

  it("a manifest whose boundary states or segment count were edited", async () => {
    const edited = decodeBundle(readFileSync(honest.bundle), 'honest');
    const segments = [...edited.manifest.segments];
    segments[2] = { ...segments[2], final: { ...segments[2].final, acc: 12345 } };
    const path = join(dir, 'edited-manifest.proof');
    writeFileSync(path, encodeBundle({ ...edited, manifest: { ...edited.manifest, segments } }));
    expect(await rejected(path)).toMatch(
      /^tvm-trace: rejected: run\.segments: the bundle's manifest says segment 2's final acc is 12345, its proof proves -?\d+$/,
    );
    // Four manifest entries for five proofs: rewrite the header's proof list by hand.
    const bytes = readFileSync(honest.bundle);
    const newline = bytes.indexOf(0x0a, 'tvm-trace bundle v1\n'.length);
    const header = JSON.parse(bytes.subarray('tvm-trace bundle v1\n'.length, newline).toString()) as {
      manifest: { segments: unknown[] };
    };
    header.manifest.segments.pop();
    const shorter = join(dir, 'fewer-entries.proof');
    writeFileSync(
      shorter,
      Buffer.concat([
        Buffer.from('tvm-trace bundle v1\n'),
        Buffer.from(`${JSON.stringify(header)}\n`),
        bytes.subarray(newline + 1),
      ]),
    );
    expect(await rejected(shorter)).toBe(
      "tvm-trace: rejected: run.segments: the bundle's manifest lists 4 segments, it holds 5 proofs",
    );
  });

  it("a proof whose header states another initial state: its circuit is not the proof's", async () => {
    const proof = Buffer.from(bundle.proofs[3]);
    const text = proof.toString('latin1');
    const acc = /"initial":\{"step":768,"pc":\d+,"acc":(-?\d+)/.exec(text);
    expect(acc).not.toBeNull();
    const edited = Buffer.from(
      text.replace(acc![0], acc![0].replace(`"acc":${acc![1]}`, `"acc":${Number(acc![1]) + 1}`)),
      'latin1',
    );
    const cheat: Bundle = { manifest: bundle.manifest, proofs: [edited] };
    expect(
      await rejected(forged([[bundle, 0], [bundle, 1], [bundle, 2], [cheat, 0], [bundle, 4]], 'header')),
    ).toMatch(/^tvm-trace: rejected: segment 3: /);
  });

  it('a claim other than the last final state', async () => {
    const trace = await openTrace(join(honest.run, segmentFileName(4)));
    const doc = claimDocument(trace.metadata);
    await trace.close();
    const claim = join(dir, 'other.claim');
    writeFileSync(
      claim,
      new Packr({ useRecords: false, variableMapSize: true }).pack({ ...doc, acc: (doc.acc as number) + 1 }),
    );
    expect(await rejected(honest.bundle, '--claim', claim)).toMatch(
      /^tvm-trace: rejected: run\.claim: the run ends with acc -?\d+, the claim says -?\d+$/,
    );
  });
});

describe('a manifest-only run (export --manifest-only)', () => {
  const MAX = '1200';
  const ROWS = '256';
  let run: string;
  let withFiles: string;

  beforeAll(async () => {
    run = join(dir, 'manifest-only');
    const exported = await cli(
      'export',
      programPath('long_loop'),
      '--max-steps',
      MAX,
      '--segment-rows',
      ROWS,
      '--manifest-only',
      '-o',
      run,
      '--quiet',
    );
    expect(exported.code, exported.stderr.join('\n')).toBe(0);
    expect(exported.stdout[0]).toMatch(
      new RegExp(`^wrote ${run}: 5 segments of 256 rows \\(manifest only\\), 1200 steps, ff_dim \\d+$`),
    );
    withFiles = (await provedRun('with-files', source('long_loop'), Number(MAX), Number(ROWS)))
      .bundle;
  }, 120_000);

  it('holds the manifest alone, the same bytes as with the files', () => {
    expect(readdirSync(run)).toEqual(['manifest.json']);
    expect(readFileSync(join(run, 'manifest.json'), 'utf8')).toBe(
      readFileSync(join(dir, 'with-files-run', 'manifest.json'), 'utf8'),
    );
  });

  it('proves segment by segment into the bundle of the run with its files, byte for byte', async () => {
    const bundle = join(dir, 'manifest-only.proof');
    const proved = await cli('prove', run, '-o', bundle, '--jobs', '2');
    expect(proved.code, proved.stderr.join('\n')).toBe(0);
    expect(proved.stderr[0]).toBe(
      `${run}: no segment files (a manifest-only export): each segment is made from the manifest before it is proved`,
    );
    expect(readFileSync(bundle).equals(readFileSync(withFiles))).toBe(true);
    const verified = await cli('verify', bundle, '--program', programPath('long_loop'));
    expect(verified.code, verified.stderr.join('\n')).toBe(0);
    expect(readdirSync(run)).toEqual(['manifest.json']);
  });

  it('check says there is nothing to check: one line, exit 2', async () => {
    expect(await cli('check', run)).toEqual({
      code: 2,
      stdout: [],
      stderr: [
        `tvm-trace: ${run}: no segment files (a manifest-only export): nothing to check here; \`prove\` makes each segment from the manifest, or export without --manifest-only`,
      ],
    });
  });

  it('a manifest whose digest or state lies: the segment made from it is refused, exit 1, no bundle', async () => {
    const lines = readFileSync(join(run, 'manifest.json'), 'utf8').split('\n');
    const at = lines.findIndex((line) => line.includes('"index":2,'));
    type Entry = { sha256: string; initial: { acc: number }; final: { acc: number } };
    const entry = (k: number) => JSON.parse(lines[k].replace(/,$/, '')) as Entry;
    const line = (k: number, value: Entry) => `  ${JSON.stringify(value)}${lines[k].endsWith(',') ? ',' : ''}`;
    const liar = join(dir, 'liar');
    mkdirSync(liar);
    const out = join(dir, 'liar.proof');

    // Another digest for segment 2: the file made from its job is not it.
    const digest = [...lines];
    digest[at] = line(at, { ...entry(at), sha256: '0'.repeat(64) });
    writeFileSync(join(liar, 'manifest.json'), digest.join('\n'));
    const wrongFile = await cli('prove', liar, '-o', out);
    expect(wrongFile.code).toBe(1);
    expect(wrongFile.stderr.at(-1)).toBe(
      `tvm-trace: segment 2: the regenerated segment is not the manifest's (SHA-256 ${entry(at).sha256.slice(0, 16)}…, the manifest's ${'0'.repeat(16)}…)`,
    );
    expect(existsSync(out)).toBe(false);

    // Another final state for segment 2 (so another initial for 3): segment 2's rows do not
    // end there, and the prover refuses them against that statement.
    const acc = entry(at).final.acc + 1;
    const state = [...lines];
    state[at] = line(at, { ...entry(at), final: { ...entry(at).final, acc } });
    state[at + 1] = line(at + 1, { ...entry(at + 1), initial: { ...entry(at + 1).initial, acc } });
    writeFileSync(join(liar, 'manifest.json'), state.join('\n'));
    const wrongState = await cli('prove', liar, '-o', out, '--jobs', '1');
    expect(wrongState.code).toBe(1);
    expect(wrongState.stderr.at(-1)).toMatch(/^tvm-trace: segment 2: /);
    expect(existsSync(out)).toBe(false);
  });

  it('--manifest-only without --segment-rows is a usage error', async () => {
    expect(
      await cli('export', programPath('fibonacci'), '--manifest-only', '-o', join(dir, 'x.arrow')),
    ).toEqual({
      code: 64,
      stdout: [],
      stderr: ['tvm-trace: --manifest-only needs --segment-rows'],
    });
  });
});

describe('prove run/: bad input and resuming', () => {
  it('a missing or altered segment file, a manifest of another program: exit 2, no bundle', async () => {
    const run = join(dir, 'bad-run');
    await exportSegments(assemble(source('fibonacci')), run, { maxSteps: 200, segmentRows: 32 });
    const out = join(dir, 'bad.proof');
    const bytes = readFileSync(join(run, segmentFileName(1)));
    bytes[200] ^= 1;
    writeFileSync(join(run, segmentFileName(1)), bytes);
    const altered = await cli('prove', run, '-o', out);
    expect(altered.code).toBe(2);
    expect(altered.stderr).toEqual([
      expect.stringMatching(
        new RegExp(`^tvm-trace: ${join(run, segmentFileName(1))}: not the manifest's segment 1 \\(SHA-256 [0-9a-f]{16}…, the manifest says [0-9a-f]{16}…\\)$`),
      ),
    ]);
    rmSync(join(run, segmentFileName(2)));
    await exportSegments(assemble(source('fibonacci')), run, { maxSteps: 200, segmentRows: 32 });
    rmSync(join(run, segmentFileName(2)));
    expect(await cli('prove', run, '-o', out)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${join(run, segmentFileName(2))}: missing (the manifest lists it)`],
    });
    // The manifest of gcd over fibonacci's segment files.
    await exportSegments(assemble(source('fibonacci')), run, { maxSteps: 200, segmentRows: 32 });
    const gcd = join(dir, 'gcd-run');
    await exportSegments(assemble(source('gcd')), gcd, { maxSteps: 200, segmentRows: 32 });
    writeFileSync(join(run, 'manifest.json'), readFileSync(join(gcd, 'manifest.json')));
    const other = await cli('prove', run, '-o', out);
    expect(other.code).toBe(2);
    expect(existsSync(out)).toBe(false);
  });

  it('killed partway (kill -9) and run again: the segments proved are kept, the bundle verifies', async () => {
    const run = join(dir, 'resume-run');
    await exportSegments(assemble(source('sum_to_n')), run, { maxSteps: 1000, segmentRows: 64 });
    const out = join(dir, 'resume.proof');
    const parts = `${out}.parts`;
    const main = new URL('../../src/cli/main.ts', import.meta.url).pathname;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', main, 'prove', run, '-o', out, '--jobs', '1'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    // Kill it as soon as it has proved two segments.
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if ((seen.match(/proved in/g) ?? []).length >= 2) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('close', () => resolve());
    });
    await new Promise((resolve) => child.on('close', resolve));
    expect(existsSync(out)).toBe(false);
    // A prover it started may still finish its part: wait for the parts to settle.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const kept = readdirSync(parts).filter((f) => f.endsWith('.proof')).sort();
    expect(kept.length).toBeGreaterThanOrEqual(2);
    const again = await cli('prove', run, '-o', out, '--jobs', '2');
    expect(again.code, again.stderr.join('\n')).toBe(0);
    const keptLines = again.stderr.filter((line) => line.includes('kept (proved before'));
    expect(keptLines).toHaveLength(kept.length);
    expect(again.stderr.filter((line) => line.includes('proved in'))).toHaveLength(11 - kept.length);
    expect(existsSync(parts)).toBe(false);
    expect((await cli('verify', out, '--program', programPath('sum_to_n'))).code).toBe(0);
  }, 120_000);
});
