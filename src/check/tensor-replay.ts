/**
 * `check --tensor`: every row of a trace replayed through the TensorFlow.js engine in batches
 * (runtime/tensor/replay.ts), as a checkTrace batch hook; a disagreement is a check failure
 * (tensor.gate, tensor.value, …), located at its row.
 */
import { columnIndex } from '../air/columns.js';
import { denseWeights } from '../compiler/dense.js';
import { INPUT_DIM, OUTPUT_DIM } from '../compiler/layout.js';
import type { TensorReplayer } from '../runtime/tensor/replay.js';
import { readCell, type TraceBatch } from '../trace/read/reader.js';
import type { CheckOptions, Failure } from './check.js';

/** The 41-slot input and the FFN vectors of a batch as int32 arrays, as the replay takes them. */
export function replayArrays(
  batch: TraceBatch,
  slots: Parameters<typeof readCell>[1],
  ffDim: number,
) {
  const rows = batch.rows;
  const pcs = new Int32Array(rows);
  const input = new Int32Array(rows * INPUT_DIM);
  const gate = new Int32Array(rows * ffDim);
  const value = new Int32Array(rows * ffDim);
  const hidden = new Int32Array(rows * ffDim);
  const output = new Int32Array(rows * OUTPUT_DIM);
  const c = {
    pc: columnIndex('pc'),
    input: columnIndex('input'),
    bits: columnIndex('input_bits'),
    gate: columnIndex('gate'),
    value: columnIndex('value'),
    hidden: columnIndex('hidden'),
    output: columnIndex('output'),
  };
  const words = slots[c.input].width;
  for (let r = 0; r < rows; r++) {
    pcs[r] = readCell(batch, slots, c.pc, r);
    for (let i = 0; i < words; i++)
      input[r * INPUT_DIM + i] = readCell(batch, slots, c.input, r, i);
    for (let i = 0; i < INPUT_DIM - words; i++)
      input[r * INPUT_DIM + words + i] = readCell(batch, slots, c.bits, r, i);
    for (let k = 0; k < ffDim; k++) {
      gate[r * ffDim + k] = readCell(batch, slots, c.gate, r, k);
      value[r * ffDim + k] = readCell(batch, slots, c.value, r, k);
      hidden[r * ffDim + k] = readCell(batch, slots, c.hidden, r, k);
    }
    for (let o = 0; o < OUTPUT_DIM; o++)
      output[r * OUTPUT_DIM + o] = readCell(batch, slots, c.output, r, o);
  }
  return { pcs, input, gate, value, hidden, output, rows, firstRow: batch.firstRow };
}

/**
 * A tensor replay for one checkTrace run: `onBatch` replays each batch (stopping at the first
 * disagreement), `failures` holds what disagreed, `backend` the tfjs backend that ran.
 */
export class TensorReplayCheck {
  readonly failures: Failure[] = [];
  private replayer: TensorReplayer | null = null;

  constructor(private readonly backendChoice: string) {}

  get backend(): string | null {
    return this.replayer?.backend ?? null;
  }

  readonly onBatch: NonNullable<CheckOptions['onBatch']> = async (batch, context) => {
    if (this.failures.length > 0 || batch.rows === 0) return;
    if (this.replayer === null) {
      const { TensorReplayer } = await import('../runtime/tensor/replay.js');
      this.replayer = await TensorReplayer.create(
        denseWeights(context.compiled.instructions, context.metadata.ffDim),
        { backend: this.backendChoice },
      );
    }
    const arrays = replayArrays(batch, context.slots, context.metadata.ffDim);
    let mismatch;
    try {
      mismatch = this.replayer.replay(arrays);
    } catch (error) {
      this.failures.push({
        constraint: 'tensor.replay',
        row: batch.firstRow,
        step: null,
        pc: null,
        instruction: null,
        expected: null,
        actual: null,
        location: 'row',
        message: `tensor replay cannot run: ${(error as Error).message}`,
      });
      return;
    }
    if (mismatch !== null) {
      const { row, pc, field, index, expected, actual } = mismatch;
      this.failures.push({
        constraint: `tensor.${field}`,
        row,
        step: null,
        pc,
        instruction: null,
        expected: String(expected),
        actual: String(actual),
        location: 'row',
        message: `tensor replay of ${field}[${index}] gives ${expected}, the trace has ${actual}`,
      });
    }
  };

  dispose(): void {
    this.replayer?.dispose();
  }
}
