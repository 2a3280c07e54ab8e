/**
 * Batched replay: re-evaluate recorded FFN rows on tensors, all at once (the transformer's
 * "prefill" over a trace instead of its step-by-step decode), and name the first row whose
 * recorded hidden products or output differ from what the weights give.
 *
 * Rows are taken in chunks; within a chunk they are grouped by instruction (pc) and each group
 * goes through one exact batched evaluation (kernel.ts: one matMul for gate|value, one for out).
 * The recorded arrays are the FfnTap layout (src/runtime/ffn/engine.ts): row-major input
 * (rows×41), gate/value/hidden (rows×ffDim, zero past the instruction's units), output (rows×6).
 */
import type { DenseWeights } from '../../compiler/dense.js';
import { INPUT_DIM, OUTPUT_DIM } from '../../compiler/layout.js';
import { useBackend } from './backend.js';
import { FfnTensors, type Arithmetic, type FfnRows } from './kernel.js';

const X_DIM = INPUT_DIM;
const O_DIM = OUTPUT_DIM;

export type ReplayField = 'gate' | 'value' | 'hidden' | 'output';

export interface ReplayMismatch {
  /** Row number (firstRow + index into the arrays). */
  readonly row: number;
  /** The instruction the row executes (pcs[row]). */
  readonly pc: number;
  readonly field: ReplayField;
  /** Slot within the field: hidden unit 0..ffDim-1 or output slot 0..5. */
  readonly index: number;
  /** What the tensors compute from the recorded input. */
  readonly expected: number;
  /** What the recording says. */
  readonly actual: number;
}

/** One batch of recorded rows. Arrays may be longer than `rows`; only the first `rows` are read. */
export interface ReplayBatch {
  /** Instruction index of each row (the pc the row executed). */
  readonly pcs: Int32Array;
  /** rows×41 recorded inputs. */
  readonly input: Int32Array;
  /** rows×ffDim recorded hidden products. */
  readonly hidden: Int32Array;
  /** rows×6 recorded outputs. */
  readonly output: Int32Array;
  /** Optional rows×ffDim recorded gates and values, checked too when given. */
  readonly gate?: Int32Array;
  readonly value?: Int32Array;
  readonly rows: number;
  /** Row number of array row 0, used in the mismatch report (default 0). */
  readonly firstRow?: number;
}

export interface ReplayOptions {
  /** 'auto' (default: tensorflow when tfjs-node loads, else cpu), 'cpu', 'wasm' or 'tensorflow'. */
  backend?: string;
  arithmetic?: Arithmetic;
  /** Rows per chunk (default 65536). */
  chunkRows?: number;
}

export interface ReplayArgs extends ReplayBatch, ReplayOptions {
  readonly dense: DenseWeights;
}

export const DEFAULT_CHUNK_ROWS = 65536;

/**
 * Weights uploaded once, for replaying many batches (e.g. one per Arrow record batch).
 * Each field of a row is checked in order gate, value, hidden, output; the first mismatching
 * row (lowest row number) is reported, with the first mismatching slot in it.
 */
export class TensorReplayer {
  private readonly chunkRows: number;
  private scratch = new Int32Array(0);

  private constructor(
    readonly tensors: FfnTensors,
    chunkRows: number,
  ) {
    if (!Number.isInteger(chunkRows) || chunkRows < 1)
      throw new RangeError(`chunkRows must be a positive integer, got ${chunkRows}`);
    this.chunkRows = chunkRows;
  }

  static async create(dense: DenseWeights, options: ReplayOptions = {}): Promise<TensorReplayer> {
    const { tf, backend } = await useBackend(options.backend ?? 'auto');
    return new TensorReplayer(
      FfnTensors.create(tf, backend, dense, options.arithmetic),
      options.chunkRows ?? DEFAULT_CHUNK_ROWS,
    );
  }

  get backend(): string {
    return this.tensors.backend;
  }

  get arithmetic(): Arithmetic {
    return this.tensors.arithmetic;
  }

  dispose(): void {
    this.tensors.dispose();
  }

  /** Replay `batch`; null when every row matches. Throws RangeError on a pc outside the program or short arrays. */
  replay(batch: ReplayBatch): ReplayMismatch | null {
    const { tensors } = this;
    const { dense } = tensors;
    const F = dense.ffDim;
    const count = dense.count;
    const { pcs, input, hidden, output, gate, value, rows } = batch;
    const firstRow = batch.firstRow ?? 0;
    if (!Number.isInteger(rows) || rows < 0)
      throw new RangeError(`rows must be a non-negative integer, got ${rows}`);
    const need = (name: string, array: Int32Array | undefined, width: number) => {
      if (array !== undefined && array.length < rows * width)
        throw new RangeError(`${name} holds ${array.length} values, fewer than ${rows}×${width}`);
    };
    need('pcs', pcs, 1);
    need('input', input, INPUT_DIM);
    need('hidden', hidden, F);
    need('output', output, OUTPUT_DIM);
    need('gate', gate, F);
    need('value', value, F);

    const counts = new Int32Array(count + 1);
    const chunk = Math.min(this.chunkRows, Math.max(rows, 1));
    const order = new Int32Array(chunk);
    if (this.scratch.length < chunk * INPUT_DIM) this.scratch = new Int32Array(chunk * INPUT_DIM);
    const scratch = this.scratch;

    for (let start = 0; start < rows; start += chunk) {
      const end = Math.min(rows, start + chunk);
      counts.fill(0);
      for (let r = start; r < end; r++) {
        const pc = pcs[r];
        if (!(pc >= 0 && pc < count))
          throw new RangeError(
            `row ${firstRow + r}: pc ${pc} is outside the program (${count} instructions)`,
          );
        counts[pc + 1]++;
      }
      for (let j = 0; j < count; j++) counts[j + 1] += counts[j];
      // counts[j] is now where group j starts in `order`; fill it (rows ascending in each group).
      const fill = counts.slice(0, count);
      for (let r = start; r < end; r++) order[fill[pcs[r]]++] = r;

      let best: ReplayMismatch | null = null;
      for (let pc = 0; pc < count; pc++) {
        const g0 = counts[pc];
        const n = counts[pc + 1] - g0;
        if (n === 0) continue;
        if (best !== null && order[g0] >= best.row - firstRow) continue; // cannot find an earlier row
        const x = scratch.subarray(0, n * INPUT_DIM);
        for (let i = 0; i < n; i++)
          x.set(input.subarray(order[g0 + i] * X_DIM, (order[g0 + i] + 1) * X_DIM), i * X_DIM);
        const result = tensors.evaluate(pc, x, n);
        for (let i = 0; i < n; i++) {
          const r = order[g0 + i];
          if (best !== null && r >= best.row - firstRow) break;
          const found = compareRow(result, i, F, r, gate, value, hidden, output);
          if (found !== null) {
            best = { row: firstRow + r, pc, ...found };
            break;
          }
        }
      }
      if (best !== null) return best;
    }
    return null;
  }
}

type SlotMismatch = Pick<ReplayMismatch, 'field' | 'index' | 'expected' | 'actual'>;

function compareUnits(
  field: ReplayField,
  computed: Int32Array,
  i: number,
  w: number,
  F: number,
  recorded: Int32Array,
  r: number,
): SlotMismatch | null {
  const at = i * w;
  const base = r * F;
  for (let k = 0; k < w; k++) {
    if (computed[at + k] !== recorded[base + k])
      return { field, index: k, expected: computed[at + k], actual: recorded[base + k] };
  }
  // Units past the live width: zero weights and biases, so the network gives exactly 0.
  for (let k = w; k < F; k++) {
    if (recorded[base + k] !== 0)
      return { field, index: k, expected: 0, actual: recorded[base + k] };
  }
  return null;
}

/** Row i of `result` against recorded row r: gate, value (when recorded), hidden, output. */
function compareRow(
  result: FfnRows,
  i: number,
  F: number,
  r: number,
  gate: Int32Array | undefined,
  value: Int32Array | undefined,
  hidden: Int32Array,
  output: Int32Array,
): SlotMismatch | null {
  const w = result.width;
  let found: SlotMismatch | null = null;
  if (gate !== undefined) found = compareUnits('gate', result.gate, i, w, F, gate, r);
  if (found === null && value !== undefined)
    found = compareUnits('value', result.value, i, w, F, value, r);
  if (found === null) found = compareUnits('hidden', result.hidden, i, w, F, hidden, r);
  if (found !== null) return found;
  const o = i * O_DIM;
  const ob = r * O_DIM;
  const out = result.out;
  for (let s = 0; s < O_DIM; s++) {
    if (out[o + s] !== output[ob + s])
      return { field: 'output', index: s, expected: out[o + s], actual: output[ob + s] };
  }
  return null;
}

/**
 * Replay `rows` recorded rows against `dense` on tensors (weights uploaded for this call and
 * freed after). Returns the first mismatch by row number, or null when all rows match.
 */
export async function replayRows(args: ReplayArgs): Promise<ReplayMismatch | null> {
  const replayer = await TensorReplayer.create(args.dense, args);
  try {
    return replayer.replay(args);
  } finally {
    replayer.dispose();
  }
}
