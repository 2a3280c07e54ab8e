/**
 * Benchmark of the reference interpreter: programs/long_loop.tvm, 5 runs, steps/s of each
 * run and the median. Usage: npm run bench:native [-- --runs N]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { assemble } from '../src/isa/assemble.js';
import { NativeMachine } from '../src/runtime/native/interpreter.js';

const PROGRAM = fileURLToPath(new URL('../programs/long_loop.tvm', import.meta.url));
const BUDGET = 100_000_000;

function argValue(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const runs = argValue('--runs', 5);
const program = assemble(readFileSync(PROGRAM, 'utf8'));

/** One run: wall-clock seconds, and the CPU seconds of this process (less noisy on a shared machine). */
function once(): { steps: number; seconds: number; cpuSeconds: number } {
  const machine = new NativeMachine(program);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  machine.advance(BUDGET);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  if (machine.fault !== null || !machine.snapshot().halted)
    throw new Error('long_loop.tvm did not halt');
  return { steps: machine.steps, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

const fmt = (rate: number) => `${(rate / 1e6).toFixed(1)}M steps/s`;

console.log(`bench:native  programs/long_loop.tvm  node ${process.version}`);
const rates: number[] = [];
const cpuRates: number[] = [];
let steps = 0;
for (let i = 1; i <= runs; i++) {
  const run = once();
  steps = run.steps;
  const rate = run.steps / run.seconds;
  rates.push(rate);
  cpuRates.push(run.steps / run.cpuSeconds);
  console.log(
    `run ${i}: ${run.steps} steps in ${(run.seconds * 1000).toFixed(1)} ms = ${fmt(rate)} (per CPU second: ${fmt(run.steps / run.cpuSeconds)})`,
  );
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`steps: ${steps}`);
console.log(`median: ${fmt(median(rates))} (per CPU second: ${fmt(median(cpuRates))})`);
