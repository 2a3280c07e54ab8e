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
 * A 64-bit digest (two 32-bit multiply-xorshift lanes) of a sequence of accesses, each packed
 * exactly as address (9 bits) | value (16) | kind (2): two runs' sequences compare in
 * constant memory, and an accidental match of different sequences has odds near 2^-64.
 */
export class AccessDigest {
  private a = 0x243f6a88;
  private b = 0x85a308d3;

  add(addr: number, value: number, kind: number): void {
    const word = addr | ((value & 0xffff) << 9) | (kind << 25);
    let a = Math.imul(this.a ^ word, 0x9e3779b1);
    a ^= a >>> 15;
    this.a = a;
    let b = Math.imul(this.b + word, 0x85ebca6b);
    b ^= b >>> 13;
    this.b = Math.imul(b, 0xc2b2ae35);
  }

  /** Rows [0, tap.row) of an access tap. */
  addTap(tap: AccessTap): void {
    for (let r = 0; r < tap.row; r++) this.add(tap.addr[r], tap.value[r], tap.kind[r]);
  }

  get value(): string {
    return `${(this.a >>> 0).toString(16)}:${(this.b >>> 0).toString(16)}`;
  }
}
