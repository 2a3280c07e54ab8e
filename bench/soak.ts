/**
 * Soak test: many seeded random programs (the generator of test/runtime/differential.test.ts)
 * through the native and FFN engines in lockstep; every step's full state must agree, and so
 * must the final snapshots (fault messages included). With --fill, each program's trace is
 * also filled by the export's compiled batch fill and by the reference witness builder, in
 * batches of a random size, and every batch must be the same (test/support/fill-reference.ts).
 * Exit code 1 on any divergence.
 * Usage: npm run bench:soak [-- --programs N] [-- --seed S] [-- --fill]
 */
import { isDeepStrictEqual } from 'node:util';
import { formatInstruction } from '../src/isa/print.js';
import { FfnMachine } from '../src/runtime/ffn/engine.js';
import { lockstep } from '../src/runtime/lockstep.js';
import { NativeMachine } from '../src/runtime/native/interpreter.js';
import { compileProgram } from '../src/compiler/compile.js';
import { compareFills } from '../test/support/fill-reference.js';
import { Random, randomProgram } from '../test/support/random-programs.js';

function argValue(flag: string, fallback: number): number {
  const at = process.argv.indexOf(flag);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const programs = argValue('--programs', 200_000);
const seed = argValue('--seed', 424242);
const fills = process.argv.includes('--fill');
let filledRows = 0;
const r = new Random(seed);
const endings = new Map<string, number>();
const failures: string[] = [];
let steps = 0;
let compared = 0;
const started = process.hrtime.bigint();

for (let n = 0; n < programs; n++) {
  const { program, maxSteps } = randomProgram(r, { maxLength: 64 });
  const native = new NativeMachine(program);
  const ffn = FfnMachine.fromProgram(program);
  const result = lockstep(program, [native, ffn], maxSteps);
  compared++;
  steps += result.steps;
  if (result.divergence !== null || !isDeepStrictEqual(native.snapshot(), ffn.snapshot())) {
    const why = result.divergence?.message ?? 'final snapshots differ';
    failures.push(
      `program ${n}: ${why}\n  ${program.instructions.map(formatInstruction).join('; ')}`,
    );
    if (failures.length >= 5) break;
    continue;
  }
  if (fills) {
    const compiled = compileProgram(program);
    const dims = {
      ffDim: Math.max(1, compiled.minFfDim) + r.int(0, 2),
      instructions: program.instructions.length,
    };
    const { differences, rows } = compareFills(
      compiled,
      dims,
      r.pick([1, 2, 7, 64, 1000]),
      maxSteps,
      { reversed: r.chance(0.5) },
    );
    filledRows += rows;
    if (differences.length > 0) {
      failures.push(
        `program ${n}: the compiled fill differs: ${differences.slice(0, 3).join('; ')}\n  ${program.instructions.map(formatInstruction).join('; ')}`,
      );
      if (failures.length >= 5) break;
      continue;
    }
  }
  const final = native.snapshot();
  const ending = final.fault?.kind ?? (final.halted ? 'halted' : 'max_steps');
  endings.set(ending, (endings.get(ending) ?? 0) + 1);
}

const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(`bench:soak  seed ${seed}  node ${process.version}`);
console.log(
  `compared ${compared} programs (${steps} steps in lockstep${fills ? `, ${filledRows} rows filled both ways` : ''}) in ${seconds.toFixed(1)} s: ${failures.length} divergences`,
);
console.log(
  `endings: ${[...endings]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`,
);
for (const failure of failures) console.log(failure);
process.exitCode = failures.length === 0 ? 0 : 1;
