/**
 * Forged runs for known-bad fixtures: the same witness export as src/trace/export.ts (one
 * record batch, in memory), but a `tamper` hook may change the FFN machine's registers or
 * memory between steps. Every row is then still computed by the machine, so the row-local
 * constraints hold and only the rule that ties the rows to each other, to the memory or to
 * the boundary can catch the forgery. Without a tamper hook the bytes equal exportTrace's.
 */
import * as arrow from 'apache-arrow';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { compileProgram } from '../../src/compiler/compile.js';
import { controlTable } from '../../src/compiler/control-table.js';
import { OUTPUT_DIM } from '../../src/compiler/layout.js';
import type { Program } from '../../src/isa/program.js';
import { createTap, FfnMachine } from '../../src/runtime/ffn/engine.js';
import { traceMetadata } from '../../src/trace/export.js';
import { recordBatch, traceSchema } from '../../src/trace/arrow-batch.js';
import { TraceBuffers } from '../../src/trace/layout.js';
import { encodeMetadata } from '../../src/trace/metadata.js';
import { AccessSpill } from '../../src/trace/spill.js';
import { accessOf, WitnessBuilder } from '../../src/trace/witness.js';

export interface ForgeOptions {
  readonly maxSteps: number;
  readonly ffDim?: number;
  /** Called before step `step` executes; may change machine.regs / machine.memory. */
  readonly tamper?: (machine: FfnMachine, step: number) => void;
}

function largestMagnitude(values: Int32Array, count: number): number {
  let max = 0;
  for (let i = 0; i < count; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
}

/** The witness of a (possibly tampered) run as Arrow IPC file bytes. */
export function forgeTrace(program: Program, options: ForgeOptions): Uint8Array {
  const compiled = compileProgram(program);
  const ffDim = options.ffDim ?? Math.max(1, compiled.minFfDim);
  const dims = { ffDim, instructions: program.instructions.length };
  const table = controlTable(compiled);
  const machine = new FfnMachine(compiled);
  const tap = createTap(ffDim, Math.max(1, options.maxSteps));
  // The forger's initial memory (a tamper before step 0 may change it): its log's first entries see it.
  let initialMemory: number[] | null = null;
  while (machine.steps < options.maxSteps) {
    options.tamper?.(machine, machine.steps);
    initialMemory ??= [...machine.memory];
    if (machine.stopped || machine.advance(1, tap) === 0) break;
  }
  const final = machine.snapshot();
  const rows = final.steps;
  const spill = new AccessSpill(tmpdir());
  try {
    const access = new Int32Array(3);
    for (let r = 0; r < rows; r++) {
      accessOf(tap, r, table, access);
      spill.push(access[0], r, access[1], access[2]);
    }
    const maxAbs = Math.max(2 ** 15, rows - 1, largestMagnitude(tap.hidden, rows * ffDim), largestMagnitude(tap.output, rows * OUTPUT_DIM));
    const metadata = traceMetadata(program, compiled, { maxSteps: options.maxSteps, ffDim, final, maxAbs });
    const schema = traceSchema(dims, encodeMetadata(metadata));
    const writer = new arrow.RecordBatchFileWriter();
    writer.reset(undefined, schema);
    if (rows > 0) {
      const buffers = new TraceBuffers(dims, rows, { hidden: tap.hidden, output: tap.output });
      buffers.clearBitmaps();
      const witness = new WitnessBuilder(table, dims.instructions, initialMemory ?? program.initialMemory);
      witness.fillExecution(buffers, tap, rows, 0);
      const slice = spill.sorted(rows).next();
      if (slice.done || slice.value.length !== rows) throw new Error('forged log out of step with the run');
      witness.fillLog(buffers, slice.value);
      WitnessBuilder.markLastStep(buffers, rows - 1);
      writer.write(recordBatch(buffers, schema, rows));
    }
    writer.finish();
    return writer.toUint8Array(true);
  } finally {
    spill.dispose();
  }
}

export function writeForgedTrace(program: Program, target: string, options: ForgeOptions): void {
  writeFileSync(target, forgeTrace(program, options));
}
