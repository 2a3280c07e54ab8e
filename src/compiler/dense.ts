/** The dense view of compiled weights (stacked matrices per instruction) the tensor engine and the AIR use. */
import { GATE_CONSTANT } from './builder.js';
import type { CompiledInstruction } from './compile.js';
import { INPUT_DIM, OUTPUT_DIM } from './layout.js';

/**
 * The dense view of compiled instructions, stacked: instruction j's matrices start at
 * j·F·41 (W_gate, W_value, row-major F×41), j·F (b_gate, b_value), j·6·F (W_out, 6×F)
 * and j·6 (b_out). Unit k of an instruction is row k; rows past its units are zero.
 */
export interface DenseWeights {
  readonly count: number;
  readonly ffDim: number;
  readonly wGate: Int32Array;
  readonly bGate: Int32Array;
  readonly wValue: Int32Array;
  readonly bValue: Int32Array;
  readonly wOut: Int32Array;
  readonly bOut: Int32Array;
}

export function denseWeights(
  instructions: readonly CompiledInstruction[],
  ffDim: number,
): DenseWeights {
  const widest = instructions.reduce((w, c) => Math.max(w, c.units.length), 0);
  if (!Number.isInteger(ffDim) || ffDim < widest)
    throw new RangeError(
      `ff_dim ${ffDim} is narrower than the widest instruction (${widest} units)`,
    );
  const count = instructions.length;
  const F = ffDim;
  const dense: DenseWeights = {
    count,
    ffDim: F,
    wGate: new Int32Array(count * F * INPUT_DIM),
    bGate: new Int32Array(count * F),
    wValue: new Int32Array(count * F * INPUT_DIM),
    bValue: new Int32Array(count * F),
    wOut: new Int32Array(count * OUTPUT_DIM * F),
    bOut: new Int32Array(count * OUTPUT_DIM),
  };
  instructions.forEach((c, j) => {
    c.units.forEach((u, k) => {
      const row = j * F + k;
      if (u.gate === GATE_CONSTANT) dense.bGate[row] = 1;
      else dense.wGate[row * INPUT_DIM + u.gate] = 1;
      dense.wValue[row * INPUT_DIM + u.value] = 1;
      dense.wOut[(j * OUTPUT_DIM + u.out) * F + k] += u.coeff;
    });
    for (let o = 0; o < OUTPUT_DIM; o++) dense.bOut[j * OUTPUT_DIM + o] = c.bias[o];
  });
  return dense;
}
