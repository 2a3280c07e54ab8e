/** Kinds of a step's memory access (as the trace's access and log columns store them). */
export const AccessKind = Object.freeze({ NONE: 0, READ: 1, WRITE: 2 });

/** The address of a step without a memory access (one past the last cell of 256). */
export const NO_ACCESS = 256;

/**
 * Caller-owned buffers for each step's memory access: the address read or written (NO_ACCESS
 * when none), the value, and the kind. `row` is the next entry to write. A step reads when its
 * instruction has a read mode (the operand), else writes when it stores (STORE, PUSH, CALL).
 */
export interface AccessTap {
  readonly capacity: number;
  readonly addr: Int32Array;
  readonly value: Int32Array;
  readonly kind: Int8Array;
  row: number;
}

export function createAccessTap(capacity: number): AccessTap {
  return {
    capacity,
    addr: new Int32Array(capacity),
    value: new Int32Array(capacity),
    kind: new Int8Array(capacity),
    row: 0,
  };
}

/**
 * The digest's lanes: start values and multipliers (the compiled batch fill of the export
 * computes the same digest in WebAssembly from these).
 */
export const DIGEST = Object.freeze({
  A0: 0x243f6a88,
  B0: 0x85a308d3,
  MUL_A: 0x9e3779b1,
  MUL_B: 0x85ebca6b,
  MUL_B2: 0xc2b2ae35,
  SHIFT_A: 15,
  SHIFT_B: 13,
});

/** An access packed exactly: address (9 bits) | value (16) | kind (2). */
export function digestWord(addr: number, value: number, kind: number): number {
  return addr | ((value & 0xffff) << 9) | (kind << 25);
}

// The lanes' constants as module constants (the hot loops read no object properties).
const { MUL_A, MUL_B, MUL_B2, SHIFT_A, SHIFT_B } = DIGEST;

/** Lane a after `word`: multiply-xorshift. */
function mixA(a: number, word: number): number {
  const x = Math.imul(a ^ word, MUL_A);
  return x ^ (x >>> SHIFT_A);
}

/** Lane b after `word`: add, multiply-xorshift, multiply. */
function mixB(b: number, word: number): number {
  const x = Math.imul(b + word, MUL_B);
  return Math.imul(x ^ (x >>> SHIFT_B), MUL_B2);
}

/**
 * A 64-bit digest (two 32-bit multiply-xorshift lanes) of a sequence of accesses, each packed
 * by digestWord: two runs' sequences compare in constant memory, and an accidental match of
 * different sequences has odds near 2^-64. `lanes` continues a digest from its lanes' values.
 */
export class AccessDigest {
  readonly lanes: Int32Array;

  constructor(lanes?: Int32Array) {
    this.lanes = lanes ?? Int32Array.of(DIGEST.A0, DIGEST.B0);
  }

  add(addr: number, value: number, kind: number): void {
    const word = digestWord(addr, value, kind);
    this.lanes[0] = mixA(this.lanes[0], word);
    this.lanes[1] = mixB(this.lanes[1], word);
  }

  /** Rows [0, tap.row) of an access tap. */
  addTap(tap: AccessTap): void {
    const { addr, value, kind } = tap;
    let a = this.lanes[0];
    let b = this.lanes[1];
    for (let r = 0; r < tap.row; r++) {
      const word = digestWord(addr[r], value[r], kind[r]);
      a = mixA(a, word);
      b = mixB(b, word);
    }
    this.lanes[0] = a;
    this.lanes[1] = b;
  }

  get value(): string {
    return `${(this.lanes[0] >>> 0).toString(16)}:${(this.lanes[1] >>> 0).toString(16)}`;
  }
}
