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
