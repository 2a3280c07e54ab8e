/**
 * Benchmark of the FFN engine on programs/long_loop.tvm: steps/s without a tap, and with
 * every step's vectors (input, gate, value, hidden, output) emitted into a 65,536-row tap
 * that is reset to row 0 whenever it is full; and of the export's batch fill compiled to
 * WebAssembly (src/trace/write/fill-codegen.ts), which runs the same steps and writes every
 * execution-side column of the trace into 65,536-row batches. 5 runs of each, each run's
 * figure and the median. Usage: npm run bench:ffn [-- --runs N]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileProgram } from '../src/compiler/compile.js';
import { assemble } from '../src/isa/assemble.js';
import { createTap, FfnMachine } from '../src/runtime/ffn/engine.js';
import { BatchFiller } from '../src/trace/write/batch-filler.js';
import { FillMemory, fillShape } from '../src/trace/write/fill-memory.js';

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

type Mode = 'plain' | 'tap' | 'compiled';

/** The compiled batch fill over the whole run, batch after batch into one memory. */
function compiledRun(): { steps: number; halted: boolean } {
  const dims = { ffDim: compiled.minFfDim, instructions: compiled.instructions.length };
  const memory = new FillMemory(fillShape(compiled, dims, TAP_ROWS));
  const filler = new BatchFiller(compiled, dims, TAP_ROWS, BUDGET, [memory]);
  for (;;) {
    const { rows, state } = filler.fill(memory.buffers);
    if (rows === 0 || state.halted || state.fault !== null || state.steps >= BUDGET)
      return { steps: state.steps, halted: state.halted };
  }
}

/** One run: wall-clock seconds, and the CPU seconds of this process (less noisy on a shared machine). */
function once(mode: Mode): Run {
  const machine = new FfnMachine(compiled);
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  if (mode === 'compiled') {
    const { steps, halted } = compiledRun();
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const used = process.cpuUsage(cpu);
    if (!halted) throw new Error('long_loop.tvm did not halt');
    return { steps, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
  }
  if (mode === 'tap') {
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
  if (machine.fault !== null || !machine.snapshot().halted)
    throw new Error('long_loop.tvm did not halt');
  return { steps: machine.steps, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

const fmt = (rate: number) => `${(rate / 1e6).toFixed(1)}M steps/s`;
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(
  `bench:ffn  programs/long_loop.tvm  ff_dim ${compiled.minFfDim}  node ${process.version}`,
);
const modes: [string, Mode][] = [
  ['without tap', 'plain'],
  [`with tap (${TAP_ROWS} rows, reset when full)`, 'tap'],
  [`compiled fill (WebAssembly, every execution column, ${TAP_ROWS}-row batches)`, 'compiled'],
];
for (const [label, mode] of modes) {
  const rates: number[] = [];
  const cpuRates: number[] = [];
  let steps = 0;
  for (let i = 1; i <= runs; i++) {
    const run = once(mode);
    steps = run.steps;
    rates.push(run.steps / run.seconds);
    cpuRates.push(run.steps / run.cpuSeconds);
    console.log(
      `${label} run ${i}: ${run.steps} steps in ${(run.seconds * 1000).toFixed(1)} ms = ${fmt(run.steps / run.seconds)} (per CPU second: ${fmt(run.steps / run.cpuSeconds)})`,
    );
  }
  console.log(
    `${label}: steps ${steps}, median ${fmt(median(rates))} (per CPU second: ${fmt(median(cpuRates))})`,
  );
}
