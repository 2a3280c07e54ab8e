/**
 * `check --tensor`: every row of a trace replayed through the TensorFlow.js engine in batches
 * (runtime/tensor/replay.ts), as a checkTrace batch hook; a disagreement is a check failure
 * (tensor.gate, tensor.value, …), located at its row.
 */
import { columnIndex } from '../air/columns.js';
import { denseWeights } from '../compiler/dense.js';
import { INPUT_DIM, OUTPUT_DIM } from '../compiler/layout.js';
import type { TensorReplayer } from '../runtime/tensor/replay.js';
import type { ColumnArray, ColumnSlot } from '../trace/format/layout.js';
import type { TraceBatch } from '../trace/read/reader.js';
import type { CheckOptions, Failure } from './check.js';

/**
 * The 41-slot input and the FFN vectors of a batch as int32 arrays, as the replay takes them.
 * Integer columns are copied whole (a typed-array copy widens Int8/Int16 to int32); only the
 * input's bit slots are read bit by bit (a 1M-row check spent 385 ms here cell by cell).
 */
export function replayArrays(batch: TraceBatch, slots: readonly ColumnSlot[], ffDim: number) {
  const rows = batch.rows;
  const column = (name: string, width: number): ColumnArray => {
    const index = columnIndex(name);
    if (slots[index].spec.type === 'bool' || slots[index].width !== width)
      throw new Error(`column ${name} is not ${width} integers wide`);
    return (batch.data[index] as ColumnArray).subarray(0, rows * width);
  };
  const words = slots[columnIndex('input')].width;
  const bitCount = INPUT_DIM - words;
  const pcs = new Int32Array(column('pc', 1));
  const gate = new Int32Array(column('gate', ffDim));
  const value = new Int32Array(column('value', ffDim));
  const hidden = new Int32Array(column('hidden', ffDim));
  const output = new Int32Array(column('output', OUTPUT_DIM));
  const input = new Int32Array(rows * INPUT_DIM);
  const inputWords = column('input', words);
  const bitsColumn = columnIndex('input_bits');
  if (slots[bitsColumn].width !== bitCount)
    throw new Error(`column input_bits is not ${bitCount} bits wide`);
  const bits = batch.data[bitsColumn] as Uint8Array;
  let bit = batch.bitOffset[bitsColumn];
  for (let r = 0; r < rows; r++) {
    const at = r * INPUT_DIM;
    for (let i = 0; i < words; i++) input[at + i] = inputWords[r * words + i];
    for (let i = 0; i < bitCount; i++, bit++)
      input[at + words + i] = (bits[bit >> 3] >> (bit & 7)) & 1;
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
