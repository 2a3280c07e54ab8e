/**
 * Benchmark of the tensor engine (src/runtime/tensor) on the cpu, wasm and tensorflow backends
 * (tensorflow: tfjs-node on libtensorflow, `npm run setup:tensorflow`):
 *
 * - per-step: TensorMachine on programs/long_loop.tvm for a fixed step budget (one FFN row
 *   per step through tfjs), steps/s;
 * - batched replay: a recorded FfnMachine run of long_loop.tvm (ff_dim 50, FfnTap layout)
 *   replayed by TensorReplayer in chunks, rows/s (weights uploaded once, outside the timing).
 *
 * Median of N runs each (default 5; --step-runs for the per-step part, default 3 because it is slow).
 * Usage: npm run bench:tensor [-- --runs N] [--step-runs N] [--steps N] [--rows N] [--chunk N] [--backends cpu,wasm,tensorflow]
 */
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileProgram, MAX_UNITS } from '../src/compiler/compile.js';
import { denseWeights } from '../src/compiler/dense.js';
import { INPUT_DIM, In } from '../src/compiler/layout.js';
import { assemble } from '../src/isa/assemble.js';
import { createTap, FfnMachine } from '../src/runtime/ffn/engine.js';
import { TensorMachine } from '../src/runtime/tensor/engine.js';
import { TensorReplayer } from '../src/runtime/tensor/replay.js';

const PROGRAM = fileURLToPath(new URL('../programs/long_loop.tvm', import.meta.url));

function argValue(flag: string, fallback: string): string {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const runs = Number(argValue('--runs', '5'));
const stepRuns = Number(argValue('--step-runs', '3'));
const stepBudget = Number(argValue('--steps', '20000'));
const rows = Number(argValue('--rows', '1000000'));
const chunkRows = Number(argValue('--chunk', '65536'));
const backends = argValue('--backends', 'cpu,wasm,tensorflow').split(',');

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (rate: number, unit: string) =>
  rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M ${unit}/s` : `${(rate / 1e3).toFixed(1)}K ${unit}/s`;
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const cpuSeconds = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};

const program = assemble(readFileSync(PROGRAM, 'utf8'));
const compiled = compileProgram(program);
const F = MAX_UNITS;
const dense = denseWeights(compiled.instructions, F);

console.log(
  `bench:tensor  programs/long_loop.tvm  node ${process.version}  ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`,
);

// The recording: `rows` FFN rows of long_loop (it runs 10M steps, so any rows <= 10M fit).
const recordStart = process.hrtime.bigint();
const tap = createTap(F, rows);
const recorder = new FfnMachine(compiled);
recorder.advance(rows, tap);
if (tap.row !== rows) throw new Error(`recorded ${tap.row} rows, wanted ${rows}`);
const pcs = new Int32Array(rows);
for (let r = 0; r < rows; r++) pcs[r] = tap.input[r * INPUT_DIM + In.PC];
console.log(
  `recorded ${rows} rows (ff_dim ${F}) in ${seconds(recordStart).toFixed(2)} s; replay chunk ${chunkRows} rows`,
);

const summary: string[] = [];
for (const backend of backends) {
  // Per step.
  const stepRates: number[] = [];
  const stepCpuRates: number[] = [];
  let name = '';
  for (let i = 1; i <= stepRuns; i++) {
    const machine = await TensorMachine.create(compiled, { backend });
    name = `${machine.name} ${machine.arithmetic}`;
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    machine.advance(stepBudget);
    const t = seconds(start);
    const c = cpuSeconds(cpu);
    machine.dispose();
    if (machine.steps !== stepBudget || machine.fault !== null)
      throw new Error(`per-step run stopped at ${machine.steps}`);
    stepRates.push(stepBudget / t);
    stepCpuRates.push(stepBudget / c);
    console.log(
      `${name} per-step run ${i}: ${stepBudget} steps in ${t.toFixed(2)} s = ${fmt(stepBudget / t, 'steps')} (per CPU second: ${fmt(stepBudget / c, 'steps')})`,
    );
  }

  // Batched replay.
  const replayer = await TensorReplayer.create(dense, { backend, chunkRows });
  const replayRates: number[] = [];
  const replayCpuRates: number[] = [];
  for (let i = 1; i <= runs; i++) {
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    const mismatch = replayer.replay({
      pcs,
      input: tap.input,
      hidden: tap.hidden,
      output: tap.output,
      rows,
    });
    const t = seconds(start);
    const c = cpuSeconds(cpu);
    if (mismatch !== null) throw new Error(`replay mismatch: ${JSON.stringify(mismatch)}`);
    replayRates.push(rows / t);
    replayCpuRates.push(rows / c);
    console.log(
      `${name} replay run ${i}: ${rows} rows in ${t.toFixed(2)} s = ${fmt(rows / t, 'rows')} (per CPU second: ${fmt(rows / c, 'rows')})`,
    );
  }
  replayer.dispose();
  summary.push(
    `${name}: per-step median ${fmt(median(stepRates), 'steps')} (per CPU second ${fmt(median(stepCpuRates), 'steps')}; ${stepRuns} runs of ${stepBudget}); ` +
      `batched replay median ${fmt(median(replayRates), 'rows')} (per CPU second ${fmt(median(replayCpuRates), 'rows')}; ${runs} runs of ${rows})`,
  );
}
console.log('');
for (const line of summary) console.log(line);
