/**
 * Export and check throughput on programs/long_loop.tvm: rows/s, bytes per row and peak RSS
 * (each run in a fresh process running the built code in dist/, as the CLI does), median of
 * N runs per size.
 *   npm run bench:export [-- --runs N --warmup N --sizes 1000000,10000000 --compression none,lz4,zstd]
 *   npm run bench:check  [-- --runs N --warmup N --sizes 1000000,10000000 --compression none,lz4,zstd]
 * --compression: the trace's body compression, one or several (each size is measured with each,
 * alternating run by run so the VM's fast and slow states fall on all of them; default none).
 * Each size first gets `--warmup` runs (default 1) that are not counted: the first runs after
 * a build (or other heavy work) on this VM can take twice the CPU time of the later ones.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const mode = process.argv[2] === 'check' ? 'check' : 'export';
const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const runs = Number(flag('--runs', '5'));
const warmup = Number(flag('--warmup', '1'));
const sizes = flag('--sizes', '1000000,10000000').split(',').map(Number);
const compressions = flag('--compression', 'none').split(',');
for (const compression of compressions)
  if (!['none', 'lz4', 'zstd'].includes(compression))
    throw new Error(`--compression: none, lz4 or zstd, got '${compression}'`);
const program = fileURLToPath(new URL('../programs/long_loop.tvm', import.meta.url));
const worker = fileURLToPath(new URL('./trace-worker.mjs', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'tvm-bench-'));

interface Run {
  rows: number;
  seconds: number;
  cpuSeconds: number;
  bytes: number;
  maxRssMiB: number;
  ok?: boolean;
}
const measure = (args: string[]): Run =>
  JSON.parse(
    execFileSync(process.execPath, [worker, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 })
      .trim()
      .split('\n')
      .pop()!,
  ) as Run;
const median = (values: number[]) =>
  [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

console.log(
  `bench:${mode}  programs/long_loop.tvm  node ${process.version}  ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}`,
);
try {
  for (const size of sizes) {
    const traces = new Map(
      compressions.map((compression) => [
        compression,
        join(directory, `long_loop_${size}_${compression}.arrow`),
      ]),
    );
    if (mode === 'check')
      for (const [compression, trace] of traces)
        measure(['export', program, trace, String(size), '-', compression]);
    const results = new Map<string, Run[]>(compressions.map((compression) => [compression, []]));
    for (let i = 1 - warmup; i <= runs; i++) {
      for (const compression of compressions) {
        const trace = traces.get(compression)!;
        // Each export writes a new file (the usual case), so the previous run's is removed first.
        if (mode === 'export') rmSync(trace, { force: true });
        const run =
          mode === 'export'
            ? measure(['export', program, trace, String(size), '-', compression])
            : measure(['check', trace]);
        if (run.ok === false) throw new Error('check failed on a trace it should accept');
        if (i < 1) {
          console.log(
            `${size} steps, ${compression}, warm-up run (not counted): ${run.seconds.toFixed(2)} s`,
          );
          continue;
        }
        results.get(compression)!.push(run);
        console.log(
          `${size} steps, ${compression}, run ${i}: ${run.rows} rows in ${run.seconds.toFixed(2)} s = ${(run.rows / run.seconds / 1e6).toFixed(2)}M rows/s (per CPU second ${(run.rows / run.cpuSeconds / 1e6).toFixed(2)}M), ${(run.bytes / run.rows).toFixed(1)} bytes/row, peak RSS ${run.maxRssMiB.toFixed(0)} MiB`,
        );
      }
    }
    for (const compression of compressions) {
      const list = results.get(compression)!;
      const rate = median(list.map((r) => r.rows / r.seconds));
      const cpuRate = median(list.map((r) => r.rows / r.cpuSeconds));
      const rss = median(list.map((r) => r.maxRssMiB));
      console.log(
        `${size} steps, ${compression}: median ${(rate / 1e6).toFixed(2)}M rows/s (per CPU second ${(cpuRate / 1e6).toFixed(2)}M), ${(list[0].bytes / list[0].rows).toFixed(1)} bytes/row, peak RSS ${rss.toFixed(0)} MiB (median of ${runs})`,
      );
    }
    for (const trace of traces.values()) rmSync(trace, { force: true });
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
