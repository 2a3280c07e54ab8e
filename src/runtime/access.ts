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
  return { capacity, addr: new Int32Array(capacity), value: new Int32Array(capacity), kind: new Int8Array(capacity), row: 0 };
}

/**
 * The digest's lanes: start values and multipliers (the compiled batch fill of the export
 * computes the same digest in WebAssembly from these).
 */
export const DIGEST = Object.freeze({ A0: 0x243f6a88, B0: 0x85a308d3, MUL_A: 0x9e3779b1, MUL_B: 0x85ebca6b, MUL_B2: 0xc2b2ae35, SHIFT_A: 15, SHIFT_B: 13 });

/** An access packed exactly: address (9 bits) | value (16) | kind (2). */
export function digestWord(addr: number, value: number, kind: number): number {
  return addr | ((value & 0xffff) << 9) | (kind << 25);
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
    const lanes = this.lanes;
    let a = Math.imul(lanes[0] ^ word, DIGEST.MUL_A);
    a ^= a >>> DIGEST.SHIFT_A;
    lanes[0] = a;
    let b = Math.imul(lanes[1] + word, DIGEST.MUL_B);
    b ^= b >>> DIGEST.SHIFT_B;
    lanes[1] = Math.imul(b, DIGEST.MUL_B2);
  }

  /** Rows [0, tap.row) of an access tap. */
  addTap(tap: AccessTap): void {
    for (let r = 0; r < tap.row; r++) this.add(tap.addr[r], tap.value[r], tap.kind[r]);
  }

  get value(): string {
    return `${(this.lanes[0] >>> 0).toString(16)}:${(this.lanes[1] >>> 0).toString(16)}`;
  }
}
