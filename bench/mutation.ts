/**
 * The larger mutation run (test/check/mutation.test.ts is the quick one): on several golden
 * fixtures, every entry of every column on EVERY row (+1, and N random in-range values;
 * bools flipped), every row deleted / duplicated / swapped (whole rows, log columns only,
 * execution columns only), and every metadata edit — with and without tvm.metadata_sha256
 * recomputed. Reports the detection rate (goal: 100%) and lists every survivor.
 *
 *   npm run bench:mutation [-- --traces a,b --random N --seed S --workers W]
 *
 * A mutation is detected when checkTrace reports a failure (exit 1) or throws
 * TraceFormatError (exit 2). Metadata edits that keep the statement true (generator, label
 * names, a max_steps the claim fits) are counted apart once the digest is recomputed: they
 * are then valid traces and must be accepted.
 */
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FIXTURES_DIR, GOLDEN } from '../test/support/fixtures.js';
import {
  cellMutations,
  metadataMutations,
  resealedMutations,
  rowMutations,
  runMutations,
  type Mutation,
  type Verdict,
} from '../test/support/mutations.js';
import { Random } from '../test/support/random-programs.js';
import { TraceEdit } from '../test/support/trace-edit.js';

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
/** Default: every golden fixture. */
const DEFAULT_TRACES = GOLDEN.map((g) => g.name);
const traces = flag('--traces', DEFAULT_TRACES.join(',')).split(',');
const randomValues = Number(flag('--random', '3'));
const seed = Number(flag('--seed', '1'));
const workers = Number(flag('--workers', String(Math.min(2, cpus().length))));

type Group =
  | 'cells'
  | 'rows'
  | 'metadata'
  | 'metadata, digest recomputed'
  | 'neutral, digest recomputed';

/** The full, deterministic mutation list of one trace, with the group of each. */
function mutationsOf(name: string): {
  base: TraceEdit;
  list: Array<{ group: Group; mutation: Mutation }>;
} {
  const base = TraceEdit.read(join(FIXTURES_DIR, 'golden', `${name}.arrow`));
  const random = new Random(seed);
  const all = Array.from({ length: base.rows }, (_, r) => r);
  const metadata = metadataMutations(base, random);
  const resealed = resealedMutations(metadata);
  const list: Array<{ group: Group; mutation: Mutation }> = [
    ...cellMutations(base, { rows: all, randomValues, random }).map((mutation) => ({
      group: 'cells' as const,
      mutation,
    })),
    ...rowMutations(base, all, random).map((mutation) => ({ group: 'rows' as const, mutation })),
    ...metadata.map((mutation) => ({ group: 'metadata' as const, mutation })),
    ...resealed.map((mutation) => ({
      group: mutation.neutral
        ? ('neutral, digest recomputed' as const)
        : ('metadata, digest recomputed' as const),
      mutation,
    })),
  ];
  return { base, list };
}

interface ShardResult {
  index: number;
  verdict: Verdict;
}

/** Worker mode: check mutations index ≡ shard (mod shards) of one trace, print JSON. */
async function worker(name: string, shard: number, shards: number): Promise<void> {
  const { base, list } = mutationsOf(name);
  const mine = list.map((m, index) => ({ ...m, index })).filter((m) => m.index % shards === shard);
  const run = await runMutations(
    base,
    mine.map((m) => m.mutation),
  );
  const results: ShardResult[] = run.verdicts.map((v, i) => ({
    index: mine[i].index,
    verdict: v.verdict,
  }));
  process.stdout.write(JSON.stringify(results));
}

async function main(): Promise<void> {
  const run = promisify(execFile);
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  console.log(
    `bench:mutation  node ${process.version}  ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}  traces ${traces.join(',')}  random values per int cell ${randomValues}  seed ${seed}  workers ${workers}`,
  );
  const totals = new Map<Group, { total: number; detected: number }>();
  const survivors: string[] = [];
  const neutralRejected: string[] = [];
  const rules = new Map<string, number>();
  const started = performance.now();
  for (const name of traces) {
    const t0 = performance.now();
    const { base, list } = mutationsOf(name);
    const outputs = await Promise.all(
      Array.from({ length: workers }, (_, shard) =>
        run(
          tsx,
          [
            self,
            '--worker',
            name,
            String(shard),
            String(workers),
            '--random',
            String(randomValues),
            '--seed',
            String(seed),
          ],
          { maxBuffer: 1 << 28 },
        ),
      ),
    );
    const results = outputs
      .flatMap((o) => JSON.parse(o.stdout) as ShardResult[])
      .sort((a, b) => a.index - b.index);
    if (results.length !== list.length)
      throw new Error(`${name}: ${results.length} verdicts for ${list.length} mutations`);
    const per = new Map<Group, { total: number; detected: number }>();
    for (const { index, verdict } of results) {
      const { group, mutation } = list[index];
      const count = per.get(group) ?? { total: 0, detected: 0 };
      count.total++;
      if (verdict.detected) count.detected++;
      per.set(group, count);
      if (group === 'neutral, digest recomputed') {
        if (verdict.detected)
          neutralRejected.push(`${name}: ${mutation.name}: ${JSON.stringify(verdict)}`);
        continue;
      }
      if (verdict.detected) {
        const rule = verdict.how === 'failure' ? verdict.constraint.replace(/\[.*$/, '') : 'format';
        rules.set(rule, (rules.get(rule) ?? 0) + 1);
      } else {
        survivors.push(
          `${name}: ${mutation.name}: ${verdict.how === 'crash' ? `checker crashed: ${verdict.message}` : 'accepted'}`,
        );
      }
    }
    const line = [...per].map(([group, c]) => `${group} ${c.detected}/${c.total}`).join(', ');
    console.log(
      `${name} (${base.rows} rows, ${base.column('selector').width} instructions, ff_dim ${base.column('gate').width}): ${line}  [${((performance.now() - t0) / 1000).toFixed(0)} s]`,
    );
    for (const [group, c] of per) {
      const total = totals.get(group) ?? { total: 0, detected: 0 };
      total.total += c.total;
      total.detected += c.detected;
      totals.set(group, total);
    }
  }
  let total = 0;
  let detected = 0;
  for (const [group, c] of totals) {
    if (group === 'neutral, digest recomputed') continue;
    total += c.total;
    detected += c.detected;
  }
  const neutral = totals.get('neutral, digest recomputed') ?? { total: 0, detected: 0 };
  console.log('');
  for (const [group, c] of totals) console.log(`${group}: ${c.detected}/${c.total} detected`);
  console.log(
    `first failing rule of the detected mutations: ${[...rules]
      .sort((a, b) => b[1] - a[1])
      .map(([r, n]) => `${r} ${n}`)
      .join(', ')}`,
  );
  console.log(
    `neutral metadata edits with the digest recomputed: ${neutral.total - neutral.detected}/${neutral.total} accepted (valid traces)${neutralRejected.length > 0 ? `; rejected: ${neutralRejected.join('; ')}` : ''}`,
  );
  console.log(
    `detection rate: ${detected}/${total} = ${((100 * detected) / total).toFixed(2)}%  (${((performance.now() - started) / 1000).toFixed(0)} s)`,
  );
  console.log(`survivors: ${survivors.length === 0 ? 'none' : ''}`);
  for (const s of survivors) console.log(`  ${s}`);
  if (survivors.length > 0 || neutralRejected.length > 0) process.exitCode = 1;
}

const at = process.argv.indexOf('--worker');
if (at >= 0)
  await worker(process.argv[at + 1], Number(process.argv[at + 2]), Number(process.argv[at + 3]));
else await main();
