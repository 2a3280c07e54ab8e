/**
 * The export's batch fill compiled to WebAssembly (BatchFiller) against the reference it
 * replaced, the FFN engine's tap and WitnessBuilder.fillExecution: both fill a run's batches,
 * and `batchDifferences` names what differs (rows, largest value, end state, digest, any
 * column's bytes). Used by test/trace/fill.test.ts and `npm run bench:soak -- --fill`.
 */
import { isDeepStrictEqual } from 'node:util';
import type { CompiledProgram } from '../../src/compiler/compile.js';
import { controlTable } from '../../src/compiler/control-table.js';
import { OUTPUT_DIM } from '../../src/compiler/layout.js';
import { AccessDigest } from '../../src/runtime/access.js';
import { createTap, FfnMachine } from '../../src/runtime/ffn/engine.js';
import type { MachineSnapshot } from '../../src/runtime/state.js';
import { BatchFiller, digestAccesses } from '../../src/trace/write/batch-filler.js';
import { FillMemory, fillShape } from '../../src/trace/write/fill-memory.js';
import { largestMagnitude, TraceBuffers, type TraceDims } from '../../src/trace/format/layout.js';
import { WitnessBuilder } from '../../src/trace/write/witness.js';

export interface FilledBatchCopy {
  rows: number;
  maxAbs: number;
  state: MachineSnapshot;
  accesses: string;
  columns: Uint8Array[];
}

const copyColumns = (buffers: TraceBuffers, rows: number) =>
  buffers.slots.map((_, i) => buffers.rowBytes(i, rows).slice());

/** The reference: the FFN engine with a (small) tap, its rows built by WitnessBuilder.fillExecution. */
export function referenceBatches(
  compiled: CompiledProgram,
  dims: TraceDims,
  batchRows: number,
  maxSteps: number,
): FilledBatchCopy[] {
  const machine = new FfnMachine(compiled);
  const tap = createTap(dims.ffDim, 5, { bits: false });
  const witness = new WitnessBuilder(
    controlTable(compiled),
    dims.instructions,
    compiled.program.initialMemory,
  );
  const buffers = new TraceBuffers(dims, batchRows);
  const batches: FilledBatchCopy[] = [];
  while (machine.steps < maxSteps && !machine.stopped) {
    buffers.clearBitmaps();
    const stop = Math.min(machine.steps + batchRows, maxSteps);
    let rows = 0;
    let maxAbs = 0;
    while (machine.steps < stop) {
      tap.row = 0;
      const ran = machine.advance(stop - machine.steps, tap);
      if (ran === 0) break;
      witness.fillExecution(buffers, tap, ran, machine.steps - ran, rows);
      maxAbs = largestMagnitude(
        tap.output,
        ran * OUTPUT_DIM,
        largestMagnitude(tap.hidden, ran * dims.ffDim, maxAbs),
      );
      rows += ran;
    }
    // A run that faults at its first step still has one (empty) batch: its state names the fault.
    if (rows === 0 && batches.length > 0) break;
    const digest = new AccessDigest();
    digestAccesses(buffers, 0, rows, digest);
    batches.push({
      rows,
      maxAbs,
      state: machine.snapshot(),
      accesses: digest.value,
      columns: copyColumns(buffers, rows),
    });
  }
  return batches;
}

/**
 * The compiled fill's batches, into two memories in turn (shared ones, as workers fill, when
 * asked); in `order` when given, each resumed from `starts[index]`, else in turn.
 */
export function compiledBatches(
  compiled: CompiledProgram,
  dims: TraceDims,
  batchRows: number,
  maxSteps: number,
  starts: readonly MachineSnapshot[],
  options: { order?: readonly number[]; shared?: boolean } = {},
): FilledBatchCopy[] {
  const memories = [0, 1].map(
    () => new FillMemory(fillShape(compiled, dims, batchRows), { shared: options.shared ?? false }),
  );
  const filler = new BatchFiller(compiled, dims, batchRows, maxSteps, memories);
  const batches: FilledBatchCopy[] = [];
  (options.order ?? starts.map((_, i) => i)).forEach((index, n) => {
    const { buffers } = memories[n % 2];
    const filled = filler.fill(buffers, options.order === undefined ? undefined : starts[index]);
    batches[index] = { ...filled, columns: copyColumns(buffers, filled.rows) };
  });
  return batches;
}

/** What differs between the reference's batches and the compiled fill's: empty when nothing does. */
export function batchDifferences(
  dims: TraceDims,
  reference: readonly FilledBatchCopy[],
  actual: readonly FilledBatchCopy[],
): string[] {
  if (actual.length !== reference.length)
    return [`${actual.length} batches, the reference ${reference.length}`];
  const names = new TraceBuffers(dims, 1).slots.map((slot) => slot.spec.name);
  return reference.flatMap((expected, index) => {
    const got = actual[index];
    const summary = (batch: FilledBatchCopy) => ({
      rows: batch.rows,
      maxAbs: batch.maxAbs,
      state: batch.state,
      accesses: batch.accesses,
    });
    if (!isDeepStrictEqual(summary(got), summary(expected)))
      return [
        `batch ${index}: ${JSON.stringify(summary(got))}, the reference ${JSON.stringify(summary(expected))}`,
      ];
    // Every column's bytes; on a difference, the column and the first byte where it differs.
    return expected.columns.flatMap((bytes, column) => {
      const ours = got.columns[column];
      if (Buffer.compare(ours, bytes) === 0) return [];
      let at = 0;
      while (at < bytes.length && ours[at] === bytes[at]) at++;
      return [`batch ${index}: ${names[column]} from byte ${at} of ${bytes.length}`];
    });
  });
}

/** Both fills of a run, compared; the compiled one resumes its batches in reverse when asked. Returns the differences and the rows. */
export function compareFills(
  compiled: CompiledProgram,
  dims: TraceDims,
  batchRows: number,
  maxSteps: number,
  options: { reversed?: boolean; shared?: boolean } = {},
): { differences: string[]; rows: number } {
  const reference = referenceBatches(compiled, dims, batchRows, maxSteps);
  const starts = reference.map((_, i) =>
    i === 0 ? new FfnMachine(compiled).snapshot() : reference[i - 1].state,
  );
  const order = options.reversed === true ? starts.map((_, i) => starts.length - 1 - i) : undefined;
  const actual = compiledBatches(compiled, dims, batchRows, maxSteps, starts, {
    order,
    shared: options.shared,
  });
  return {
    differences: batchDifferences(dims, reference, actual),
    rows: reference.reduce((n, batch) => n + batch.rows, 0),
  };
}
