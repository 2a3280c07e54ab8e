/**
 * The Rust prover on tvm-trace witnesses: prove and verify time (whole process), proof size and
 * peak RSS per workload, and the Rust `check` against the TypeScript one on 1M rows. Every
 * figure is the median of N fresh processes (after one warm-up), measured by /usr/bin/time.
 *   npm run bench:prove [-- --runs N --workloads fibonacci,16,18,20 --check-rows 1000000]
 * Goals (issue 13): fibonacci prove + verify ≤ 1 s; long_loop 2^16 rows prove ≤ 10 s; 2^18 ≤ 45 s
 * and ≤ 3 GiB; 2^20 proves; every verify ≤ 50 ms and every proof ≤ 600 KB; Rust check not
 * slower than TypeScript check.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCircuit, circuitBytes } from '../src/prove/circuit.js';
import { statementFromTrace } from '../src/prove/statement.js';

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const runs = Number(flag('--runs', '3'));
const workloads = flag('--workloads', 'fibonacci,16,18,20').split(',');
const checkRows = Number(flag('--check-rows', '1000000'));
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const prover = process.env.TVM_PROVE ?? join(root, 'prover/target/release/tvm-prove');
const directory = mkdtempSync(join(tmpdir(), 'tvm-bench-prove-'));

interface Measured {
  seconds: number;
  maxRssMiB: number;
  code: number;
  stdout: string;
}

/** One process under /usr/bin/time: wall seconds and peak RSS. */
function timed(command: string, args: string[]): Measured {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', command, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const last = result.stderr.trim().split('\n').pop() ?? '';
  const [seconds, kib] = last.split(' ').map(Number);
  return { seconds, maxRssMiB: kib / 1024, code: result.status ?? -1, stdout: result.stdout };
}

const median = (values: number[]) =>
  [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

/** Median of `count` runs after a warm-up; throws unless each exits `expect`. */
function repeat(
  label: string,
  command: string,
  args: string[],
  count: number,
  expect = 0,
): { seconds: number; maxRssMiB: number } {
  timed(command, args);
  const all: Measured[] = [];
  for (let i = 1; i <= count; i++) {
    const run = timed(command, args);
    if (run.code !== expect) throw new Error(`${label}: exit ${run.code}, expected ${expect}`);
    all.push(run);
    console.log(
      `  ${label} run ${i}: ${run.seconds.toFixed(2)} s, peak RSS ${run.maxRssMiB.toFixed(0)} MiB`,
    );
  }
  return {
    seconds: median(all.map((r) => r.seconds)),
    maxRssMiB: median(all.map((r) => r.maxRssMiB)),
  };
}

/** Export a trace and write its circuit (what `tvm-trace prove` hands the binary). */
async function exportTrace(
  program: string,
  name: string,
  maxSteps?: number,
): Promise<{ trace: string; claim: string; circuit: string }> {
  const trace = join(directory, `${name}.arrow`);
  const claim = join(directory, `${name}.claim.msgpack`);
  const circuit = join(directory, `${name}.circuit.json`);
  execFileSync(process.execPath, [
    cli,
    'export',
    program,
    '-o',
    trace,
    '--claim',
    claim,
    '--quiet',
    ...(maxSteps === undefined ? [] : ['--max-steps', String(maxSteps)]),
  ]);
  writeFileSync(circuit, circuitBytes(buildCircuit(await statementFromTrace(trace))).bytes);
  return { trace, claim, circuit };
}

console.log(
  `bench:prove  node ${process.version}  ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}  prover ${prover}`,
);
const verdicts: string[] = [];
try {
  for (const workload of workloads) {
    const fib = workload === 'fibonacci';
    const rows = fib ? undefined : 2 ** Number(workload);
    const name = fib ? 'fibonacci' : `long_loop_2^${workload}`;
    const { trace, claim, circuit } = await exportTrace(
      join(root, 'programs', fib ? 'fibonacci.tvm' : 'long_loop.tvm'),
      name,
      rows,
    );
    const proof = join(directory, `${name}.proof`);
    const count = rows !== undefined && rows >= 2 ** 20 ? 1 : runs;
    console.log(`${name}: trace ${(statSync(trace).size / 1e6).toFixed(2)} MB`);
    const prove = repeat(
      'prove',
      prover,
      ['prove', trace, '--circuit', circuit, '-o', proof, '--json'],
      count,
    );
    const bytes = statSync(proof).size;
    const verify = repeat(
      'verify',
      prover,
      ['verify', proof, '--circuit', circuit],
      Math.max(runs, 3),
    );
    if (fib) {
      const whole = repeat(
        'tvm-trace prove + verify',
        '/bin/sh',
        [
          '-c',
          `${process.execPath} ${cli} prove ${trace} -o ${proof}.cli --json >/dev/null && ${process.execPath} ${cli} verify ${proof}.cli --program ${join(root, 'programs/fibonacci.tvm')} --claim ${claim} --json >/dev/null`,
        ],
        runs,
      );
      console.log(
        `  tvm-trace prove + verify (the CLI: check, circuit, binary): ${whole.seconds.toFixed(2)} s`,
      );
    }
    console.log(
      `  ${name}: prove ${prove.seconds.toFixed(2)} s, peak RSS ${prove.maxRssMiB.toFixed(0)} MiB; verify ${(verify.seconds * 1000).toFixed(0)} ms (whole process), peak RSS ${verify.maxRssMiB.toFixed(0)} MiB; proof ${(bytes / 1000).toFixed(1)} KB`,
    );
    const goals: string[] = [];
    let ok = verify.seconds <= 0.05 && bytes <= 600_000;
    if (fib) {
      ok &&= prove.seconds + verify.seconds <= 1;
      goals.push('prove + verify ≤ 1 s');
    } else if (workload === '16') {
      ok &&= prove.seconds <= 10;
      goals.push('prove ≤ 10 s');
    } else if (workload === '18') {
      ok &&= prove.seconds <= 45 && prove.maxRssMiB <= 3072;
      goals.push('prove ≤ 45 s and ≤ 3 GiB');
    }
    goals.push('verify ≤ 50 ms', 'proof ≤ 600 KB');
    verdicts.push(`${name}: ${ok ? 'goals met' : 'GOAL MISSED'} (${goals.join(', ')})`);
  }
  if (checkRows > 0) {
    const { trace, circuit } = await exportTrace(
      join(root, 'programs/long_loop.tvm'),
      `check_${checkRows}`,
      checkRows,
    );
    console.log(`check, ${checkRows} rows of long_loop:`);
    const ts = repeat('tvm-trace check', process.execPath, [cli, 'check', trace], runs);
    const rust = repeat('tvm-prove check', prover, ['check', trace, '--circuit', circuit], runs);
    console.log(
      `  TypeScript check ${ts.seconds.toFixed(2)} s (${ts.maxRssMiB.toFixed(0)} MiB); Rust check ${rust.seconds.toFixed(2)} s (${rust.maxRssMiB.toFixed(0)} MiB)`,
    );
    verdicts.push(
      `check ${checkRows} rows: Rust ${rust.seconds <= ts.seconds ? 'not slower' : 'SLOWER'} than TypeScript (${rust.seconds.toFixed(2)} s against ${ts.seconds.toFixed(2)} s, whole process)`,
    );
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
for (const line of verdicts) console.log(line);
