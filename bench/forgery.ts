/**
 * The forgery run (issue 12; test/check/forgery.test.ts is the quick one): N forged runs made by
 * test/support/forgery.ts, round-robin over the classes (each repeated by its weight), every
 * one checked by checkTrace in each field. Goal: 0 accepted. Prints, per class, the forgeries
 * made, those accepted (in any field), and the rules that caught them; then the total and the
 * time. Accepted forgeries are listed with a reproducer (class, seed, program, the tamper).
 *
 *   npm run bench:forgery [-- --count N --seed S --workers W --fields goldilocks,int --other-every K --classes a,b]
 *
 * Every forgery is checked in the first field (goldilocks: the prover's), the others on every
 * K-th forgery (default 10; --other-every 1 checks all of them in every field). A goldilocks
 * rejection implies an int one: the checker evaluates the same residuals and arguments in both
 * and, in a field, only drops a failure whose residual is 0 mod p (src/check/check.ts), so the
 * failures in goldilocks are a subset of those over the integers. Each check costs ~7 ms
 * (recompiling the program's row sets), so every field on every forgery doubles the time.
 *
 * Exit 1 if any forgery was accepted.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { CheckField } from '../src/check/check.js';
import {
  classSchedule,
  FORGERY_CLASSES,
  judge,
  makeForgery,
  reproducer,
  scratchDir,
} from '../test/support/forgery.js';

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const count = Number(flag('--count', '100000'));
const seed = Number(flag('--seed', '1'));
const workers = Number(flag('--workers', String(Math.min(2, cpus().length))));
const fields = flag('--fields', 'goldilocks,int').split(',') as CheckField[];
/** Fields after the first are checked on every K-th forgery only (see the header). */
const otherEvery = Number(flag('--other-every', '10'));
const only = flag('--classes', '');
const classes =
  only === '' ? FORGERY_CLASSES : FORGERY_CLASSES.filter((c) => only.split(',').includes(c.name));

interface ClassTally {
  made: number;
  skipped: number;
  accepted: number;
  /** Rule → forgeries on which it was reported first (in the first field). */
  first: Record<string, number>;
  /** Forgeries on which a rule of the class's caughtBy list was reported. */
  named: number;
  opcodes: Record<string, number>;
  ms: number;
}

interface ShardResult {
  tallies: Record<string, ClassTally>;
  accepted: string[];
}

/** Worker mode: forgeries index ≡ shard (mod shards), JSON on stdout. */
async function worker(shard: number, shards: number): Promise<void> {
  const schedule = classSchedule(classes);
  const { dir, dispose } = scratchDir();
  const tallies: Record<string, ClassTally> = {};
  const accepted: string[] = [];
  const started = performance.now();
  try {
    for (let i = shard; i < count; i += shards) {
      const cls = schedule[i % schedule.length];
      const spec = classes.find((c) => c.name === cls)!;
      const tally = (tallies[cls] ??= {
        made: 0,
        skipped: 0,
        accepted: 0,
        first: {},
        named: 0,
        opcodes: {},
        ms: 0,
      });
      const t0 = performance.now();
      // A draw that finds nothing to forge (e.g. no random program halted) is redrawn, at most 4 times.
      let forgery = makeForgery(cls, seed * 1_000_003 + i, dir);
      for (let k = 1; forgery === null && k <= 4; k++)
        forgery = makeForgery(cls, seed * 1_000_003 + i + k * 7_919_000, dir);
      if (forgery === null) {
        tally.skipped++;
        continue;
      }
      const verdict = await judge(forgery, dir, i % otherEvery === 0 ? fields : fields.slice(0, 1));
      tally.ms += performance.now() - t0;
      tally.made++;
      if (forgery.opcode !== null)
        tally.opcodes[forgery.opcode] = (tally.opcodes[forgery.opcode] ?? 0) + 1;
      const first = verdict.first[fields[0]] ?? 'none';
      tally.first[first] = (tally.first[first] ?? 0) + 1;
      if (spec.caughtBy.length === 0 || verdict.rules.some((r) => spec.caughtBy.includes(r)))
        tally.named++;
      if (verdict.acceptedIn.length > 0) {
        tally.accepted++;
        if (accepted.length < 5)
          accepted.push(`accepted in ${verdict.acceptedIn.join(', ')}: ${reproducer(forgery)}`);
      }
      if ((i - shard) % (shards * 5000) === 0 && i > shard)
        process.stderr.write(
          `  shard ${shard}: ${i}/${count} (${((performance.now() - started) / 1000).toFixed(0)} s)\n`,
        );
    }
  } finally {
    dispose();
  }
  const result: ShardResult = { tallies, accepted };
  process.stdout.write(JSON.stringify(result));
}

async function main(): Promise<void> {
  /** A worker process: its progress lines go straight to stderr, its JSON result comes on stdout. */
  const run = (command: string, args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0
          ? resolve(Buffer.concat(chunks).toString('utf8'))
          : reject(new Error(`worker exited with ${code}`)),
      );
    });
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
  const self = fileURLToPath(import.meta.url);
  console.log(
    `bench:forgery  node ${process.version}  ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}  forgeries ${count}  seed ${seed}  fields ${fields.join(',')}  workers ${workers}`,
  );
  const started = performance.now();
  const args = (shard: number) => [
    self,
    '--worker',
    String(shard),
    String(workers),
    '--count',
    String(count),
    '--seed',
    String(seed),
    '--fields',
    fields.join(','),
    '--other-every',
    String(otherEvery),
    ...(only ? ['--classes', only] : []),
  ];
  const shards = await Promise.all(
    Array.from({ length: workers }, (_, shard) =>
      run(tsx, args(shard)).then((stdout) => JSON.parse(stdout) as ShardResult),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  const total: ClassTally = {
    made: 0,
    skipped: 0,
    accepted: 0,
    first: {},
    named: 0,
    opcodes: {},
    ms: 0,
  };
  const rows: string[] = [];
  for (const spec of classes) {
    const t: ClassTally = {
      made: 0,
      skipped: 0,
      accepted: 0,
      first: {},
      named: 0,
      opcodes: {},
      ms: 0,
    };
    for (const s of shards) {
      const x = s.tallies[spec.name];
      if (x === undefined) continue;
      t.made += x.made;
      t.skipped += x.skipped;
      t.accepted += x.accepted;
      t.named += x.named;
      t.ms += x.ms;
      for (const [k, v] of Object.entries(x.first)) t.first[k] = (t.first[k] ?? 0) + v;
      for (const [k, v] of Object.entries(x.opcodes)) t.opcodes[k] = (t.opcodes[k] ?? 0) + v;
    }
    total.made += t.made;
    total.skipped += t.skipped;
    total.accepted += t.accepted;
    total.named += t.named;
    const firsts = Object.entries(t.first)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    rows.push(
      `${spec.name.padEnd(28)} ${String(t.made).padStart(7)} ${String(t.accepted).padStart(8)} ${String(t.named).padStart(7)} ${String(t.skipped).padStart(5)} ${(t.made ? t.ms / t.made : 0).toFixed(1).padStart(6)}  ${String(Object.keys(t.opcodes).length).padStart(3)}  ${firsts}`,
    );
  }
  console.log(
    `${'class'.padEnd(28)} ${'forged'.padStart(7)} ${'accepted'.padStart(8)} ${'named'.padStart(7)} ${'skip'.padStart(5)} ${'ms/f'.padStart(6)}  ops  first failure (${fields[0]}): count`,
  );
  for (const row of rows) console.log(row);
  console.log(
    `total: ${total.made} forged runs (${total.skipped} draws found nothing to forge), ${total.accepted} accepted, ${total.named} caught by their class's named rule, in ${seconds.toFixed(1)} s (${(total.made / seconds).toFixed(0)} forgeries/s, each checked in ${fields[0]}${fields.length > 1 ? `, every ${otherEvery}th also in ${fields.slice(1).join(', ')}` : ''})`,
  );
  const accepted = shards.flatMap((s) => s.accepted);
  if (accepted.length > 0) {
    console.log(`\naccepted forgeries (first ${accepted.length}):`);
    for (const a of accepted) console.log(`\n${a}`);
  }
  process.exitCode = total.accepted > 0 ? 1 : 0;
}

const at = process.argv.indexOf('--worker');
if (at >= 0) await worker(Number(process.argv[at + 1]), Number(process.argv[at + 2]));
else await main();
