/** The trace's in-memory layout: column slots, typed buffers and bit-packed bool columns. */
import { COLUMNS, columnWidth, type ColumnSpec } from '../../air/columns.js';

export const TRACE_SCHEMA_VERSION = 'tvm-trace/trace/v2';

export interface TraceDims {
  readonly ffDim: number;
  readonly instructions: number;
}

/** Integer columns are typed arrays; bool columns are Arrow bitmaps (LSB-first, entry r·width + i). */
export type ColumnArray = Int8Array | Int16Array | Int32Array;
export type ColumnData = ColumnArray | Uint8Array;

/** A column with its concrete width: row r, entry i lives at data[r·width + i]. */
export interface ColumnSlot {
  readonly spec: ColumnSpec;
  readonly width: number;
  readonly index: number;
}

/**
 * The columns of a trace of these dimensions, in file order, each with its width and index.
 *
 * @example
 * ```ts
 * const slots = columnSlots({ ffDim: 8, instructions: 5 });
 * console.log(slots.map((slot) => `${slot.spec.name}[${slot.width}]`).join(' '));
 * ```
 */
export function columnSlots(dims: TraceDims): ColumnSlot[] {
  return COLUMNS.map((spec, index) => ({ spec, width: columnWidth(spec, dims), index }));
}

/** Zeroed storage for `entries` entries of a column type (bool: a bitmap with 8 bytes of slack). */
export function allocateColumn(type: ColumnSpec['type'], entries: number): ColumnData {
  if (type === 'bool') return new Uint8Array(Math.ceil(entries / 8) + 8);
  if (type === 'int8') return new Int8Array(entries);
  if (type === 'int16') return new Int16Array(entries);
  return new Int32Array(entries);
}

/** OR the low `width` bits of `value` into a zeroed bitmap at bit `offset` (width ≤ 31). */
export function writeBits(bitmap: Uint8Array, offset: number, value: number, width: number): void {
  if (width > 24) {
    writeShortBits(bitmap, offset, value & 0xffff, 16);
    writeShortBits(bitmap, offset + 16, value >>> 16, width - 16);
  } else {
    writeShortBits(bitmap, offset, value, width);
  }
}

/** writeBits for width ≤ 24 (not recursive, so V8 inlines it into the witness loops). */
export function writeShortBits(
  bitmap: Uint8Array,
  offset: number,
  value: number,
  width: number,
): void {
  // At most 24 bits shifted by at most 7: four bytes, whole-byte ORs (the hot path of the witness).
  const at = offset >> 3;
  const bits = ((value & ((1 << width) - 1)) << (offset & 7)) >>> 0;
  bitmap[at] |= bits;
  if (bits > 0xff) {
    bitmap[at + 1] |= bits >>> 8;
    bitmap[at + 2] |= bits >>> 16;
    bitmap[at + 3] |= bits >>> 24;
  }
}

/** max(floor, |values[i]| for i < end): a small function of its own, so V8 optimises the loop. */
export function largestMagnitude(values: Int32Array, end: number, floor: number): number {
  // The extremes in int32, negated once at the end: no -v in the loop (it leaves int32 at -2^31).
  let low = 0;
  let high = 0;
  for (let i = 0; i < end; i++) {
    const v = values[i];
    if (v > high) high = v;
    if (v < low) low = v;
  }
  return Math.max(floor, high, -low);
}

/** Reusable typed arrays holding `capacity` rows of every column. */
export class TraceBuffers {
  readonly slots: ColumnSlot[];
  readonly data: ColumnData[];
  private readonly byName = new Map<string, number>();

  constructor(
    readonly dims: TraceDims,
    readonly capacity: number,
    /** Arrays to use for some columns instead of allocating (e.g. the FFN tap's), by name or, for all, by index. */
    shared: Record<string, ColumnArray> | ColumnData[] = {},
  ) {
    this.slots = columnSlots(dims);
    this.data = this.slots.map((slot) => {
      const given = Array.isArray(shared) ? shared[slot.index] : shared[slot.spec.name];
      if (given !== undefined) {
        if (
          given.length <
          (slot.spec.type === 'bool' ? (capacity * slot.width + 7) >> 3 : capacity * slot.width)
        )
          throw new RangeError(`shared column ${slot.spec.name} is too short`);
        return given;
      }
      return allocateColumn(slot.spec.type, capacity * slot.width);
    });
    this.slots.forEach((slot) => this.byName.set(slot.spec.name, slot.index));
  }

  /** Buffers over existing storage for every column (e.g. views of a fill memory, fill-memory.ts). */
  static wrap(dims: TraceDims, capacity: number, data: ColumnData[]): TraceBuffers {
    if (data.length !== COLUMNS.length)
      throw new RangeError(`expected ${COLUMNS.length} columns, got ${data.length}`);
    return new TraceBuffers(dims, capacity, data);
  }

  column(name: string): ColumnData {
    const index = this.byName.get(name);
    if (index === undefined) throw new RangeError(`unknown trace column '${name}'`);
    return this.data[index];
  }

  /** The bytes holding rows [0, rows) of column i (bool: whole bytes of its bitmap). */
  rowBytes(i: number, rows: number): Uint8Array {
    const slot = this.slots[i];
    const data = this.data[i];
    const entries = rows * slot.width;
    const length =
      slot.spec.type === 'bool' ? (entries + 7) >> 3 : entries * data.BYTES_PER_ELEMENT;
    return new Uint8Array(data.buffer, data.byteOffset, length);
  }

  /** Zero every bool bitmap, ready for a batch of bit writes (writeBits ORs). */
  clearBitmaps(): void {
    this.slots.forEach((slot, i) => {
      if (slot.spec.type === 'bool') this.data[i].fill(0);
    });
  }
}
