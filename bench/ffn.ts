/**
 * Benchmark of the FFN engine on programs/long_loop.tvm: steps/s without a tap, and with
 * every step's vectors (input, gate, value, hidden, output) emitted into a 65,536-row tap
 * that is reset to row 0 whenever it is full. 5 runs of each, each run's figure and the
 * median. Usage: npm run bench:ffn [-- --runs N]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileProgram } from '../src/compiler/compile.js';
import { assemble } from '../src/isa/assemble.js';
import { createTap, FfnMachine } from '../src/runtime/ffn/engine.js';

const PROGRAM = fileURLToPath(new URL('../programs/long_loop.tvm', import.meta.url));
const BUDGET = 100_000_000;
const TAP_ROWS = 65_536;

function argValue(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const runs = argValue('--runs', 5);
const compiled = compileProgram(assemble(readFileSync(PROGRAM, 'utf8')));
const tap = createTap(compiled.minFfDim, TAP_ROWS);

interface Run {
  steps: number;
  seconds: number;
  cpuSeconds: number;
}

/** One run: wall-clock seconds, and the CPU seconds of this process (less noisy on a shared machine). */
function once(emit: boolean): Run {
  const machine = new FfnMachine(compiled);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  if (emit) {
    tap.row = 0;
    while (!machine.stopped && machine.steps < BUDGET) {
      machine.advance(BUDGET - machine.steps, tap);
      if (tap.row === tap.capacity) tap.row = 0;
    }
  } else {
    machine.advance(BUDGET);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  if (machine.fault !== null || !machine.snapshot().halted) throw new Error('long_loop.tvm did not halt');
  return { steps: machine.steps, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

const fmt = (rate: number) => `${(rate / 1e6).toFixed(1)}M steps/s`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`bench:ffn  programs/long_loop.tvm  ff_dim ${compiled.minFfDim}  node ${process.version}`);
for (const [label, emit] of [['without tap', false], [`with tap (${TAP_ROWS} rows, reset when full)`, true]] as const) {
  const rates: number[] = [];
  const cpuRates: number[] = [];
  let steps = 0;
  for (let i = 1; i <= runs; i++) {
    const run = once(emit);
    steps = run.steps;
    rates.push(run.steps / run.seconds);
    cpuRates.push(run.steps / run.cpuSeconds);
    console.log(`${label} run ${i}: ${run.steps} steps in ${(run.seconds * 1000).toFixed(1)} ms = ${fmt(run.steps / run.seconds)} (per CPU second: ${fmt(run.steps / run.cpuSeconds)})`);
  }
  console.log(`${label}: steps ${steps}, median ${fmt(median(rates))} (per CPU second: ${fmt(median(cpuRates))})`);
}
