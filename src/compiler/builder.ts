/** The primitives instruction recipes build gated bilinear FFN units with. */
import type { ReadMode } from '../isa/opcodes.js';
import { OUTPUT_DIM } from './layout.js';

/** Gate source meaning "the constant 1" (the gate bias), rather than an input slot. */
export const GATE_CONSTANT = -1;

/**
 * One hidden unit in sparse form: hidden = gate · value with gate = x[gate] (or 1 when
 * gate is GATE_CONSTANT) and value = x[value]; it adds coeff · hidden to out[out].
 */
export interface Unit {
  readonly gate: number;
  readonly value: number;
  readonly out: number;
  readonly coeff: number;
}

export interface MemoryRead {
  readonly mode: ReadMode;
  /** The cell read in direct mode; 0 otherwise. */
  readonly addr: number;
}

/** Collects one instruction's units and output bias through the SPEC §4 primitives. */
export class FeedForwardBuilder {
  readonly units: Unit[] = [];
  readonly bias: number[] = new Array<number>(OUTPUT_DIM).fill(0);
  /** out[o] += c · x[i], as a unit with constant gate. */
  linear(o: number, c: number, i: number): this {
    this.units.push({ gate: GATE_CONSTANT, value: i, out: o, coeff: c });
    return this;
  }

  /** out[o] += c · x[l] · x[r]. */
  product(o: number, c: number, l: number, r: number): this {
    this.units.push({ gate: l, value: r, out: o, coeff: c });
    return this;
  }

  /** b_out[o] += v. */
  addBias(o: number, v: number): this {
    this.bias[o] += v;
    return this;
  }
}
