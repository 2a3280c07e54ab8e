/**
 * The compiled FFN as tfjs tensors, evaluated exactly.
 *
 * Every instruction's slice of the stacked dense weights (compiler/dense.ts) is uploaded once,
 * transposed so that a batch of input rows X (n×41) multiplies from the left: W_gate and
 * W_value (41×w), their biases, W_out (w×6) and b_out, where w is the instruction's live width:
 * dense rows past it are all zero, so they contribute exactly 0 to every output and their
 * gate, value and hidden entries are exactly 0.
 *
 *   gate = X·W_gate + b_gate   value = X·W_value + b_value   hidden = gate ⊙ value
 *   out = hidden·W_out + b_out
 *
 * Exactness. float32 holds integers exactly only up to 2^24, and 32767·32767 does not fit.
 * Two arithmetics; both give the exact integers whenever every value fits int32 (SPEC §4:
 * every value of the network does):
 *
 * - `int32`: everything in int32 tensors. The cpu backend's int32 matMul and mul compute in JS
 *   doubles and store into Int32Array: exact while products and partial sums stay below 2^53
 *   (here they are below 2^31). Used on `cpu`, and on `tensorflow` (integer BatchMatMul), after
 *   a probe at start-up confirms 32767·32767 + 32768·32768 comes out exact.
 * - `limbs`: for backends whose matMul is float32 only (`wasm`). The left operand is cut into
 *   byte limbs with bitwiseAnd (lower limbs 0..255, the top one signed -128..127; X gets as
 *   many as its values need, 2 for 16-bit words; hidden always 4), the weights likewise at
 *   upload (1 limb for 0/1 weights, 3 for W_out's ±2^16 coefficients). Every limb×limb
 *   float32 matMul has all partial sums below K·255·255 < 2^24 (K = 41, or w ≤ 258), so it is
 *   exact. The partials are cast to int32 and recombined as Σ 2^(8(a+b))·P_ab in int32
 *   arithmetic, which wraps mod 2^32 on wasm (C++ int32); pairs with a+b ≥ 4 are multiples of
 *   2^32 and are skipped. hidden = gate ⊙ value is an int32 mul. On wasm the result is exact mod
 *   2^32 for any int32 inputs and weights (tested); on cpu, whose int32 mul goes through a
 *   double, while |gate·value| < 2^53.
 */
import type * as TF from '@tensorflow/tfjs-core';
import type { DenseWeights } from '../../compiler/dense.js';
import { INPUT_DIM, OUTPUT_DIM } from '../../compiler/layout.js';
import { activate, type TensorBackendName, type Tf } from './backend.js';

export type Arithmetic = 'int32' | 'limbs';
export const ARITHMETICS: readonly Arithmetic[] = ['int32', 'limbs'];

const X_DIM = INPUT_DIM;
const O_DIM = OUTPUT_DIM;
/** Largest contraction length for which K·255·255 < 2^24 (float32-exact limb partials). */
export const MAX_LIMB_CONTRACTION = Math.floor((2 ** 24 - 1) / (255 * 255));

interface InstructionTensors {
  readonly width: number;
  /** int32: 41×w. limbs: float32 41×(L·w), limb b in column block b. */
  readonly wGate: TF.Tensor2D;
  readonly gateLimbs: number;
  readonly bGate: TF.Tensor1D;
  readonly wValue: TF.Tensor2D;
  readonly valueLimbs: number;
  readonly bValue: TF.Tensor1D;
  /** int32: w×6. limbs: float32 w×(L·6). */
  readonly wOut: TF.Tensor2D;
  readonly outLimbs: number;
  readonly bOut: TF.Tensor1D;
}

/** Rows evaluated through one instruction: gate, value, hidden n×width, out n×6, row-major. */
export interface FfnRows {
  readonly width: number;
  readonly gate: Int32Array;
  readonly value: Int32Array;
  readonly hidden: Int32Array;
  readonly out: Int32Array;
}

/**
 * Live width of each instruction: 1 + its last unit with any nonzero weight or bias (at least
 * 1). Everything past it is zero by definition, so evaluating only the live units is exact.
 */
export function liveWidths(dense: DenseWeights): Int32Array {
  const F = dense.ffDim;
  const widths = new Int32Array(dense.count);
  for (let j = 0; j < dense.count; j++) {
    let last = -1;
    for (let k = 0; k < F; k++) {
      const row = j * F + k;
      let live = dense.bGate[row] !== 0 || dense.bValue[row] !== 0;
      for (let i = 0; i < X_DIM && !live; i++)
        live = dense.wGate[row * X_DIM + i] !== 0 || dense.wValue[row * X_DIM + i] !== 0;
      for (let o = 0; o < O_DIM && !live; o++) live = dense.wOut[(j * O_DIM + o) * F + k] !== 0;
      if (live) last = k;
    }
    widths[j] = Math.max(1, last + 1);
  }
  return widths;
}

/** Smallest limb count L (1..4) whose top limb, v >> 8(L-1), is in -128..127 for v in [min, max]. */
export function limbCount(min: number, max: number): number {
  for (let L = 1; L < 4; L++) {
    const shift = 8 * (L - 1);
    if (min >> shift >= -128 && max >> shift <= 127) return L;
  }
  return 4;
}

/** Limb a of v (int32) in an L-limb split: lower limbs unsigned bytes, the top one signed. */
function limb(v: number, a: number, L: number): number {
  return a < L - 1 ? (v >>> (8 * a)) & 255 : v >> (8 * a);
}

function rangeOf(values: ArrayLike<number>): [number, number] {
  let min = 0;
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  return [min, max];
}

/** Row-major matrix (rows×cols int32) split into L limb matrices, laid out rows×L×cols in float32. */
function splitColumns(matrix: Int32Array, rows: number, cols: number, L: number): Float32Array {
  const out = new Float32Array(rows * L * cols);
  for (let r = 0; r < rows; r++) {
    for (let a = 0; a < L; a++) {
      const base = (r * L + a) * cols;
      for (let c = 0; c < cols; c++) out[base + c] = limb(matrix[r * cols + c], a, L);
    }
  }
  return out;
}

/**
 * Per-instruction weight tensors on one backend, and an exact evaluator of a batch of input
 * rows that all execute the same instruction.
 */
export class FfnTensors {
  readonly widths: Int32Array;
  private readonly instructions: InstructionTensors[] = [];
  private disposed = false;

  private constructor(
    private readonly tf: Tf,
    readonly backend: TensorBackendName,
    readonly arithmetic: Arithmetic,
    readonly dense: DenseWeights,
  ) {
    this.widths = liveWidths(dense);
    try {
      for (let j = 0; j < dense.count; j++) this.instructions.push(this.upload(j));
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  /**
   * Upload `dense` to the active backend `backend` (see useBackend). Without `arithmetic`,
   * cpu uses int32, wasm limbs, tensorflow int32 if the probe shows it exact, else limbs.
   */
  static create(
    tf: Tf,
    backend: TensorBackendName,
    dense: DenseWeights,
    arithmetic?: Arithmetic,
  ): FfnTensors {
    activate(tf, backend);
    const chosen = arithmetic ?? defaultArithmetic(tf, backend);
    if (chosen === 'int32' && !int32Exact(tf)) {
      throw new RangeError(
        `tensor backend '${backend}' cannot do exact int32 matMul; use the limb arithmetic`,
      );
    }
    if (chosen === 'limbs' && tf.getKernel('BitwiseAnd', backend) === undefined) {
      throw new RangeError(
        `tensor backend '${backend}' has no BitwiseAnd kernel, which the limb arithmetic needs`,
      );
    }
    return new FfnTensors(tf, backend, chosen, dense);
  }

  /**
   * Evaluate `n` input rows (row-major n×41 int32, exactly n·41 long) through instruction `pc`.
   * Returns gate, value and hidden (n×w each, w = widths[pc]) and out (n×6), row-major.
   */
  evaluate(pc: number, x: Int32Array, n: number): FfnRows {
    if (this.disposed) throw new Error('FfnTensors used after dispose()');
    if (x.length !== n * X_DIM)
      throw new RangeError(`input has ${x.length} values, expected ${n}×${X_DIM}`);
    const { tf } = this;
    activate(tf, this.backend);
    const ins = this.instructions[pc];
    // tidy returns the four result tensors (returning the typed arrays would make tidy walk
    // every element); they are read and freed right after.
    let results: TF.Tensor[];
    if (this.arithmetic === 'int32') {
      results = tf.tidy(() => {
        const X = tf.tensor2d(x, [n, X_DIM], 'int32');
        const gate = tf.add(tf.matMul(X, ins.wGate), ins.bGate);
        const value = tf.add(tf.matMul(X, ins.wValue), ins.bValue);
        const hidden = tf.mul(gate, value);
        const out = tf.add(tf.matMul(hidden, ins.wOut), ins.bOut);
        return [gate, value, hidden, out];
      });
    } else {
      const [min, max] = rangeOf(x);
      const Lx = limbCount(min, max);
      const w = ins.width;
      results = tf.tidy(() => {
        const XL = this.limbs(tf.tensor2d(x, [n, X_DIM], 'int32'), Lx);
        const gate = tf.add(
          this.combine(tf.matMul(XL, ins.wGate), n, Lx, ins.gateLimbs, w),
          ins.bGate,
        );
        const value = tf.add(
          this.combine(tf.matMul(XL, ins.wValue), n, Lx, ins.valueLimbs, w),
          ins.bValue,
        );
        const hidden = tf.mul<TF.Tensor2D>(gate, value);
        const HL = this.limbs(hidden, 4);
        const out = tf.add(
          this.combine(tf.matMul(HL, ins.wOut), n, 4, ins.outLimbs, O_DIM),
          ins.bOut,
        );
        return [gate, value, hidden, out];
      });
    }
    try {
      const [gate, value, hidden, out] = results.map((t) => t.dataSync() as Int32Array);
      return { width: ins.width, gate, value, hidden, out };
    } finally {
      for (const t of results) t.dispose();
    }
  }

  /** Free every tensor this object owns. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const ins of this.instructions) {
      ins.wGate.dispose();
      ins.bGate.dispose();
      ins.wValue.dispose();
      ins.bValue.dispose();
      ins.wOut.dispose();
      ins.bOut.dispose();
    }
  }

  /**
   * The L-limb split of an int32 matrix (rows×cols) as float32, limb a in rows a·rows..: limb a
   * < L-1 is byte a (0..255), the top limb the signed rest (-128..127 when L was chosen by
   * limbCount). Each is cut out with bitwiseAnd, so it has at most 8 significant bits and the
   * float32 cast and the 2^-8a scaling are exact.
   */
  private limbs(T: TF.Tensor2D, L: number): TF.Tensor2D {
    const { tf } = this;
    const [rows, cols] = T.shape;
    const parts: TF.Tensor2D[] = [];
    for (let a = 0; a < L; a++) {
      const mask = a < L - 1 ? 255 << (8 * a) : ~((1 << (8 * a)) - 1);
      const bits =
        mask === -1 ? T : tf.bitwiseAnd<TF.Rank.R2>(T, tf.fill([rows, cols], mask, 'int32'));
      const limb = tf.cast(bits, 'float32');
      parts.push(a === 0 ? limb : tf.mul<TF.Tensor2D>(limb, tf.scalar(2 ** (-8 * a), 'float32')));
    }
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  }

  /**
   * From P = limbs(A) · limbs(W) ((La·n)×(Lb·cols) float32, every entry an integer below 2^24)
   * to A·W mod 2^32: Σ_{a,b} 2^(8(a+b)) · P_ab in int32 arithmetic (wrapping); the terms with
   * a+b ≥ 4 are multiples of 2^32 and are left out.
   */
  private combine(P: TF.Tensor2D, n: number, La: number, Lb: number, cols: number): TF.Tensor2D {
    const { tf } = this;
    const exact = tf.cast(P, 'int32');
    const terms: TF.Tensor2D[] = [];
    for (let a = 0; a < La; a++) {
      for (let b = 0; b < Lb && a + b <= 3; b++) {
        let term = La * Lb === 1 ? exact : tf.slice(exact, [a * n, b * cols], [n, cols]);
        if (a + b > 0) term = tf.mul(term, tf.scalar(2 ** (8 * (a + b)), 'int32'));
        terms.push(term);
      }
    }
    return terms.length === 1 ? terms[0] : tf.addN(terms);
  }

  private upload(j: number): InstructionTensors {
    const { tf, dense } = this;
    const F = dense.ffDim;
    const w = this.widths[j];
    // Transposed slices: column k of wGate is row k (unit k) of the instruction's W_gate.
    const wGate = new Int32Array(X_DIM * w);
    const wValue = new Int32Array(X_DIM * w);
    for (let k = 0; k < w; k++) {
      const row = j * F + k;
      for (let i = 0; i < X_DIM; i++) {
        wGate[i * w + k] = dense.wGate[row * X_DIM + i];
        wValue[i * w + k] = dense.wValue[row * X_DIM + i];
      }
    }
    const bGate = tf.tensor1d(dense.bGate.slice(j * F, j * F + w), 'int32');
    const bValue = tf.tensor1d(dense.bValue.slice(j * F, j * F + w), 'int32');
    const wOut = new Int32Array(w * O_DIM);
    for (let k = 0; k < w; k++)
      for (let o = 0; o < O_DIM; o++) wOut[k * O_DIM + o] = dense.wOut[(j * O_DIM + o) * F + k];
    const bOut = tf.tensor1d(dense.bOut.slice(j * O_DIM, (j + 1) * O_DIM), 'int32');
    if (this.arithmetic === 'int32') {
      return {
        width: w,
        wGate: tf.tensor2d(wGate, [X_DIM, w], 'int32'),
        gateLimbs: 1,
        bGate,
        wValue: tf.tensor2d(wValue, [X_DIM, w], 'int32'),
        valueLimbs: 1,
        bValue,
        wOut: tf.tensor2d(wOut, [w, O_DIM], 'int32'),
        outLimbs: 1,
        bOut,
      };
    }
    if (w > MAX_LIMB_CONTRACTION)
      throw new RangeError(
        `instruction ${j} is ${w} units wide; the limb arithmetic is exact only up to ${MAX_LIMB_CONTRACTION}`,
      );
    const gateLimbs = limbCount(...rangeOf(wGate));
    const valueLimbs = limbCount(...rangeOf(wValue));
    const outLimbs = limbCount(...rangeOf(wOut));
    return {
      width: w,
      wGate: tf.tensor2d(
        splitColumns(wGate, X_DIM, w, gateLimbs),
        [X_DIM, gateLimbs * w],
        'float32',
      ),
      gateLimbs,
      bGate,
      wValue: tf.tensor2d(
        splitColumns(wValue, X_DIM, w, valueLimbs),
        [X_DIM, valueLimbs * w],
        'float32',
      ),
      valueLimbs,
      bValue,
      wOut: tf.tensor2d(splitColumns(wOut, w, O_DIM, outLimbs), [w, outLimbs * O_DIM], 'float32'),
      outLimbs,
      bOut,
    };
  }
}

const int32Probe = new Map<string, boolean>();

/**
 * Does the active backend multiply int32 exactly? 32767·32767 + 32768·32768 = 2147418113 by
 * matMul (float32 gives 2147418112) and (-32768)·(-32768) = 2^30 by mul. Cached per backend.
 */
export function int32Exact(tf: Tf): boolean {
  const backend = tf.getBackend();
  let ok = int32Probe.get(backend);
  if (ok === undefined) {
    try {
      ok = tf.tidy(() => {
        const a = tf.tensor2d([32767, -32768], [1, 2], 'int32');
        const b = tf.tensor2d([32767, -32768], [2, 1], 'int32');
        const m = tf.matMul(a, b).dataSync();
        const p = tf.mul(tf.scalar(-32768, 'int32'), tf.scalar(-32768, 'int32')).dataSync();
        return m[0] === 2147418113 && p[0] === 1073741824;
      });
    } catch {
      ok = false; // e.g. wasm: "BatchMatMul for non non-float32 tensors not yet supported"
    }
    int32Probe.set(backend, ok);
  }
  return ok;
}

function defaultArithmetic(tf: Tf, backend: TensorBackendName): Arithmetic {
  if (backend === 'wasm') return 'limbs';
  return int32Exact(tf) ? 'int32' : 'limbs';
}
