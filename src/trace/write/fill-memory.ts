/** The WebAssembly memory of a batch fill: its tables, its buffers and their layout. */
import type { CompiledProgram } from '../../compiler/compile.js';
import { INPUT_DIM, OUTPUT_DIM } from '../../compiler/layout.js';
import { REG_COUNT } from '../../runtime/state.js';
import { createMemory, PAGE_BYTES, type WasmMemory } from '../../wasm/encode.js';
import { columnSlots, TraceBuffers, type ColumnData, type TraceDims } from '../format/layout.js';

/** Fields of an instruction's record in the fill's table (i32 each). */
export const InstructionField = Object.freeze({
  READ_MODE: 0,
  READ_ADDR: 1,
  STACK: 2,
  ZERO_RULE: 3,
  CARRY_RULE: 4,
  HALTS: 5,
  OPCODE: 6,
  ARG: 7,
  USES_BITS: 8,
  UNIT_START: 9,
  UNIT_END: 10,
  /**
   * 1 when the compiled fill leaves every step of the instruction to the FFN engine: its
   * weights are so large that the engine's sums in doubles might not be exact, and the fill's
   * exact i64 sums could then differ from them.
   */
  DEFER: 11,
  /** OUTPUT_DIM bias entries from here. */
  BIAS: 12,
});
export const INSTRUCTION_FIELDS = InstructionField.BIAS + OUTPUT_DIM;

/** Fields of a unit's record (i32 each): byte addresses of its input slots and output accumulator, its coefficient. */
export const UnitField = Object.freeze({ GATE_AT: 0, VALUE_AT: 1, OUT_AT: 2, COEFF: 3 });
export const UNIT_FIELDS = 4;

/** Bytes a bool column's bit writes may touch past its last byte (whole i32 or i64 ORs from any of its bytes). */
const BITMAP_SLACK = 8;

/** What the sizes of a fill memory are derived from. */
export interface FillShape {
  readonly dims: TraceDims;
  readonly batchRows: number;
  readonly memorySize: number;
  readonly units: number;
}

/** The shape of a fill memory for `compiled`'s batches of `batchRows` rows. */
export function fillShape(
  compiled: CompiledProgram,
  dims: TraceDims,
  batchRows: number,
): FillShape {
  return {
    dims,
    batchRows,
    memorySize: compiled.program.memorySize,
    units: compiled.instructions.reduce((n, c) => n + c.units.length, 0),
  };
}

/** A batch's memory cannot be had: over what 32-bit addresses reach, or more than the machine gives. */
export class BatchMemoryError extends RangeError {}

/** Pages of a 32-bit WebAssembly memory at most (4 GiB). */
const MAX_PAGES = 65536;

/** Byte addresses of everything in a fill memory (fill-codegen.ts reads them as constants). */
export interface FillLayout {
  readonly regsAt: number;
  /** i32: why the last fill call stopped (FillStop). */
  readonly statusAt: number;
  /** i32 low then high: the extremes of hidden and output values the last call wrote. */
  readonly extremesAt: number;
  /** The two i32 lanes of the batch's AccessDigest, continued by each call. */
  readonly digestAt: number;
  /** The FFN input of the current step, INPUT_DIM i32. */
  readonly inputAt: number;
  /** The FFN output accumulators, OUTPUT_DIM i64. */
  readonly outputAt: number;
  readonly instructionsAt: number;
  readonly unitsAt: number;
  readonly cellsAt: number;
  /** Entries of the sorted log for the batch's log columns (log-codegen.ts): two i32 each, batchRows of them. */
  readonly recordsAt: number;
  /** The table of the batch's column addresses (one i32 per column). */
  readonly columnTable: number;
  /** Per column: the byte address of its storage. */
  readonly columns: readonly number[];
  readonly pages: number;
}

const align = (at: number, to: number) => Math.ceil(at / to) * to;

export function fillLayout(shape: FillShape): FillLayout {
  const slots = columnSlots(shape.dims);
  const { batchRows } = shape;
  let at = 0;
  const take = (bytes: number, alignment = 8) => {
    const start = align(at, alignment);
    at = start + bytes;
    return start;
  };
  const regsAt = take(4 * REG_COUNT);
  const statusAt = take(4);
  const extremesAt = take(8);
  const digestAt = take(8);
  const inputAt = take(4 * INPUT_DIM);
  const outputAt = take(8 * OUTPUT_DIM);
  const instructionsAt = take(4 * INSTRUCTION_FIELDS * shape.dims.instructions);
  const unitsAt = take(4 * UNIT_FIELDS * shape.units);
  const cellsAt = take(4 * shape.memorySize);
  const recordsAt = take(8 * batchRows);
  const columnTable = take(4 * slots.length);
  const columns = slots.map((slot) => {
    const entries = batchRows * slot.width;
    if (slot.spec.type === 'bool') return take(Math.ceil(entries / 8) + BITMAP_SLACK, 64);
    return take(entries * { int8: 1, int16: 2, int32: 4 }[slot.spec.type], 64);
  });
  const pages = Math.max(1, Math.ceil(at / PAGE_BYTES));
  if (pages > MAX_PAGES)
    throw new BatchMemoryError(
      `a batch of ${batchRows} rows of this trace takes ${at} bytes, over the 4 GiB one batch's memory holds: use fewer batch rows`,
    );
  return {
    regsAt,
    statusAt,
    extremesAt,
    digestAt,
    inputAt,
    outputAt,
    instructionsAt,
    unitsAt,
    cellsAt,
    recordsAt,
    columnTable,
    columns,
    pages,
  };
}

function allocate(pages: number, shared: boolean, batchRows: number): WasmMemory {
  try {
    return createMemory(pages, shared);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new BatchMemoryError(
      `cannot allocate ${pages * PAGE_BYTES} bytes for a batch of ${batchRows} rows: use fewer batch rows or threads`,
    );
  }
}

/**
 * The WebAssembly memory a compiled batch fill (fill-codegen.ts) runs in: its machine state and
 * tables, then one batch's buffers, whose columns are views of it, so the fill writes the
 * trace's columns in place. Shared (a SharedArrayBuffer) when a worker thread fills it and
 * this thread writes its batches: neither side copies or transfers anything. One batch per
 * memory, so a batch of the largest shape (about 2.4 GB) still fits in 32-bit addresses.
 */
export class FillMemory {
  readonly layout: FillLayout;
  readonly memory: WasmMemory;
  readonly buffers: TraceBuffers;
  /** Over a SharedArrayBuffer (another thread may fill it). */
  readonly shared: boolean;

  constructor(
    readonly shape: FillShape,
    options: { shared?: boolean; memory?: WasmMemory } = {},
  ) {
    this.layout = fillLayout(shape);
    this.memory =
      options.memory ?? allocate(this.layout.pages, options.shared ?? false, shape.batchRows);
    if (this.memory.buffer.byteLength < this.layout.pages * PAGE_BYTES)
      throw new RangeError('fill memory smaller than its layout');
    const buffer = this.memory.buffer;
    this.shared = buffer instanceof SharedArrayBuffer;
    const slots = columnSlots(shape.dims);
    const addresses = this.layout.columns;
    new Int32Array(buffer, this.layout.columnTable, slots.length).set(addresses);
    const data: ColumnData[] = slots.map((slot, i) => {
      const entries = shape.batchRows * slot.width;
      const at = addresses[i];
      if (slot.spec.type === 'bool')
        return new Uint8Array(buffer, at, Math.ceil(entries / 8) + BITMAP_SLACK);
      if (slot.spec.type === 'int8') return new Int8Array(buffer, at, entries);
      if (slot.spec.type === 'int16') return new Int16Array(buffer, at, entries);
      return new Int32Array(buffer, at, entries);
    });
    this.buffers = TraceBuffers.wrap(shape.dims, shape.batchRows, data);
  }
}
