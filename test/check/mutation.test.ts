/**
 * Mutation test of the checker (quick; bench/mutation.ts is the larger run): single edits of
 * fixture traces — every entry of every column on the first, a middle and the last row (+1
 * and a random in-range value; bool cells flipped), row deletions, duplications and swaps,
 * and edits of every metadata key — must each be rejected: checkTrace reports a failure
 * (CLI exit 1) or throws TraceFormatError (exit 2). A survivor is a hole in the constraint set.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTrace } from '../../src/check/check.js';
import { FIXTURES_DIR } from '../support/fixtures.js';
import {
  cellMutations,
  metadataMutations,
  resealedMutations,
  rowMutations,
  runMutations,
  type Mutation,
  type MutationRun,
} from '../support/mutations.js';
import { Random } from '../support/random-programs.js';
import { TraceEdit } from '../support/trace-edit.js';

const SEED = 20_261_126;
/** Small traces (the checker's per-file setup dominates): a fault with stack traffic, and a run stopped by max_steps. */
const TRACES = ['fault_stack_underflow', 'infinite_loop_20'];

const path = (name: string) => join(FIXTURES_DIR, 'golden', `${name}.arrow`);
const sampleRows = (rows: number) => [...new Set([0, Math.floor(rows / 2), rows - 1])];

function survivorsMessage(name: string, run: MutationRun): string {
  const lines = run.survivors.map(
    ({ mutation, verdict }) =>
      `  ${mutation}: ${verdict.how === 'crash' ? `checker crashed (${verdict.message})` : 'accepted by the checker'}`,
  );
  return `${run.survivors.length} of ${run.total} mutations of ${name} survived:\n${lines.join('\n')}`;
}

async function expectAllRejected(
  name: string,
  base: TraceEdit,
  mutations: Mutation[],
): Promise<MutationRun> {
  expect(mutations.length).toBeGreaterThan(0);
  const run = await runMutations(base, mutations);
  expect(run.survivors, survivorsMessage(name, run)).toEqual([]);
  expect(run.detected).toBe(run.total);
  return run;
}

describe.each(TRACES)('mutations of golden/%s.arrow', (name) => {
  const base = TraceEdit.read(path(name));

  it('the unmutated file round-trips byte for byte through the editor and checks ok', async () => {
    expect(Buffer.compare(Buffer.from(base.toBytes()), readFileSync(path(name)))).toBe(0);
    const run = await runMutations(base, [{ name: 'none', kind: 'cell', apply: () => {} }]);
    expect(run.survivors.map((s) => s.mutation)).toEqual(['none']);
    expect((await checkTrace(path(name))).ok).toBe(true);
  });

  it('every cell of the first, a middle and the last row, +1 and a random value (bools flipped), is rejected', async () => {
    const rows = sampleRows(base.rows);
    const mutations = cellMutations(base, { rows, randomValues: 1, random: new Random(SEED) });
    // Every entry of every column on each sampled row: at least one mutation each.
    const entries = base.columns.reduce((n, c) => n + c.width, 0);
    expect(mutations.length).toBeGreaterThanOrEqual(entries * rows.length);
    await expectAllRejected(name, base, mutations);
  }, 180_000);

  it('every row deletion, duplication and swap is rejected', async () => {
    await expectAllRejected(
      name,
      base,
      rowMutations(base, sampleRows(base.rows), new Random(SEED + 1)),
    );
  }, 120_000);

  it('every metadata edit (each key, each claim field, deleted keys, a foreign key) is rejected', async () => {
    const mutations = metadataMutations(base, new Random(SEED + 2));
    const keys = [...base.metadata.keys()];
    for (const key of keys)
      expect(
        mutations.some(
          (m) => m.name.startsWith(`metadata ${key}: `) && !m.name.endsWith('deleted'),
        ),
        `no edit of ${key}`,
      ).toBe(true);
    await expectAllRejected(name, base, mutations);
  }, 120_000);

  it('with tvm.metadata_sha256 recomputed, every edit that changes the statement is still rejected, by what it means', async () => {
    const mutations = resealedMutations(metadataMutations(base, new Random(SEED + 2)));
    const run = await expectAllRejected(
      name,
      base,
      mutations.filter((m) => !m.neutral),
    );
    expect(run.byRule.get('metadata.metadata_sha256') ?? 0).toBe(0);
    // Neutral edits keep the statement true (generator, label names, a max_steps the claim
    // fits): only the digest binds them, so with the digest recomputed they are valid traces.
    const neutral = await runMutations(
      base,
      mutations.filter((m) => m.neutral),
    );
    const rejected = neutral.verdicts
      .filter((v) => v.verdict.detected)
      .map((v) => `${v.mutation}: ${JSON.stringify(v.verdict)}`);
    expect(rejected, `neutral metadata edits rejected:\n${rejected.join('\n')}`).toEqual([]);
  }, 120_000);
});
