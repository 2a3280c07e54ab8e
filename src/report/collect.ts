/**
 * What the report page shows, gathered while the record batches stream past once: the
 * timelines (pc, acc, sp, flags) as min/max per bucket of rows, the memory as its value per
 * (time bucket, cell) with the reads and writes of the bucket, each instruction's execution
 * count, and every cell of the rows kept in full (a window, and the rows around failures).
 * Memory stays bounded by the bucket counts and the detail budget, whatever the trace length.
 */
import { columnIndex } from '../air/columns.js';
import { In } from '../compiler/layout.js';
import type { ColumnSlot } from '../trace/format/layout.js';
import { readCell, type TraceBatch } from '../trace/read/reader.js';

/** Rows up to which the timelines keep every row (bucket size 1). */
export const RAW_TIMELINE_ROWS = 65_536;
/** Buckets of a longer timeline (min and max of each). */
export const TIMELINE_BUCKETS = 8_192;
/** Time columns of the memory heatmap, at most. */
export const MEMORY_BUCKETS = 1_024;
/** Bytes of kept rows (before compression) a page holds at most. */
export const DETAIL_BYTES = 3_000_000;

/** One kept row is every cell of every column, except the selector: its hot index and how many are set. */
export interface DetailColumn {
  readonly name: string;
  readonly type: string;
  /** Entries this column has in a kept row. */
  readonly width: number;
  /** Offset of its first entry in a kept row. */
  readonly offset: number;
}

export function detailColumns(slots: readonly ColumnSlot[]): DetailColumn[] {
  let offset = 0;
  return slots.map((slot) => {
    const width = slot.spec.name === 'selector' ? 2 : slot.width;
    const column = { name: slot.spec.name, type: slot.spec.type, width, offset };
    offset += width;
    return column;
  });
}

/** Entries per kept row. */
export function detailWidth(columns: readonly DetailColumn[]): number {
  return columns.reduce((sum, c) => sum + c.width, 0);
}

/** How many rows fit the detail budget. */
export function detailBudget(slots: readonly ColumnSlot[]): number {
  return Math.max(256, Math.floor(DETAIL_BYTES / (4 * detailWidth(detailColumns(slots)))));
}

export interface Timeline {
  /** Rows per bucket (1: every row). */
  readonly bucket: number;
  readonly count: number;
  readonly pcMin: Int16Array;
  readonly pcMax: Int16Array;
  readonly accMin: Int16Array;
  readonly accMax: Int16Array;
  readonly spMin: Int16Array;
  readonly spMax: Int16Array;
  /** Flags: bit 0 zero, bit 1 carry; min and max per bucket (as bits: AND and OR). */
  readonly flagsAnd: Uint8Array;
  readonly flagsOr: Uint8Array;
}

export interface MemoryMap {
  readonly bucket: number;
  readonly count: number;
  readonly cells: number;
  /** Value of cell a at the end of time bucket t: values[t·cells + a]. */
  readonly values: Int16Array;
  /** Bit 0: read in the bucket; bit 1: written. */
  readonly marks: Uint8Array;
}

export interface Collected {
  readonly rows: number;
  readonly timeline: Timeline;
  readonly memory: MemoryMap;
  /** Steps executed at each pc of the program. */
  readonly pcCounts: Float64Array;
  /** Rows whose pc lies outside the program. */
  readonly pcOther: number;
  readonly detail: Detail;
}

export interface Detail {
  readonly columns: readonly DetailColumn[];
  readonly width: number;
  /** Kept rows, ascending, and their cells (rows.length × width). */
  readonly rows: Int32Array;
  readonly cells: Int32Array;
}

/** Rows kept in full: a window [from, to), and single rows (around failures). */
export interface DetailSelection {
  readonly from: number;
  readonly to: number;
}

const C = {
  pc: columnIndex('pc'),
  input: columnIndex('input'),
  accessRead: columnIndex('access_read'),
  accessWrite: columnIndex('access_write'),
  accessAddr: columnIndex('access_addr'),
  accessValue: columnIndex('access_value'),
};

/** Write every cell of batch row r into out at `at`. */
export function extractRow(
  batch: TraceBatch,
  slots: readonly ColumnSlot[],
  columns: readonly DetailColumn[],
  r: number,
  out: Int32Array,
  at: number,
): void {
  for (const slot of slots) {
    const column = columns[slot.index];
    const base = at + column.offset;
    if (slot.spec.name === 'selector') {
      let hot = -1;
      let set = 0;
      for (let j = 0; j < slot.width; j++) {
        if (readCell(batch, slots, slot.index, r, j) !== 0) {
          if (hot < 0) hot = j;
          set++;
        }
      }
      out[base] = hot;
      out[base + 1] = set;
      continue;
    }
    for (let i = 0; i < slot.width; i++) out[base + i] = readCell(batch, slots, slot.index, r, i);
  }
}

/** Kept rows, grown as they come (row indices ascending). */
class DetailStore {
  private rowList: number[] = [];
  private cells: Int32Array;
  private used = 0;
  constructor(
    readonly columns: readonly DetailColumn[],
    readonly width: number,
    capacity: number,
  ) {
    this.cells = new Int32Array(Math.max(1, capacity) * width);
  }
  has(row: number): boolean {
    return this.index(row) >= 0;
  }
  private index(row: number): number {
    let lo = 0;
    let hi = this.rowList.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.rowList[mid];
      if (v === row) return mid;
      if (v < row) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
  add(batch: TraceBatch, slots: readonly ColumnSlot[], r: number): void {
    if ((this.used + 1) * this.width > this.cells.length) {
      const grown = new Int32Array(Math.max(this.cells.length * 2, (this.used + 1) * this.width));
      grown.set(this.cells);
      this.cells = grown;
    }
    extractRow(batch, slots, this.columns, r, this.cells, this.used * this.width);
    this.rowList.push(batch.firstRow + r);
    this.used++;
  }
  finish(): Detail {
    // Rows were added in two passes (window, then extras): sort rows and cells together.
    const order = this.rowList.map((row, i) => [row, i] as const).sort((a, b) => a[0] - b[0]);
    const rows = new Int32Array(order.length);
    const cells = new Int32Array(order.length * this.width);
    order.forEach(([row, i], k) => {
      rows[k] = row;
      cells.set(this.cells.subarray(i * this.width, (i + 1) * this.width), k * this.width);
    });
    return { columns: this.columns, width: this.width, rows, cells };
  }
}

/**
 * Streams batches into the page's data. `rows` is the trace's row count (from the footer),
 * which fixes the bucket sizes before the first batch.
 */
export class Collector {
  readonly timeline: Timeline;
  readonly memory: MemoryMap;
  readonly pcCounts: Float64Array;
  pcOther = 0;
  /** Rows seen so far (the next row expected). */
  seen = 0;
  private readonly store: DetailStore;
  private readonly cell: Int16Array;

  constructor(
    readonly rows: number,
    readonly slots: readonly ColumnSlot[],
    readonly instructions: number,
    readonly initialMemory: readonly number[],
    readonly selection: DetailSelection,
  ) {
    const bucket = rows <= RAW_TIMELINE_ROWS ? 1 : Math.ceil(rows / TIMELINE_BUCKETS);
    const count = Math.ceil(rows / bucket);
    this.timeline = {
      bucket,
      count,
      pcMin: new Int16Array(count).fill(32767),
      pcMax: new Int16Array(count).fill(-32768),
      accMin: new Int16Array(count).fill(32767),
      accMax: new Int16Array(count).fill(-32768),
      spMin: new Int16Array(count).fill(32767),
      spMax: new Int16Array(count).fill(-32768),
      flagsAnd: new Uint8Array(count).fill(3),
      flagsOr: new Uint8Array(count),
    };
    const cells = initialMemory.length;
    const memBucket = Math.max(1, Math.ceil(rows / MEMORY_BUCKETS));
    const memCount = Math.ceil(rows / memBucket);
    this.memory = {
      bucket: memBucket,
      count: memCount,
      cells,
      values: new Int16Array(memCount * cells),
      marks: new Uint8Array(memCount * cells),
    };
    this.cell = Int16Array.from(initialMemory);
    this.pcCounts = new Float64Array(instructions);
    const columns = detailColumns(slots);
    this.store = new DetailStore(
      columns,
      detailWidth(columns),
      Math.min(selection.to - selection.from, rows) + 16,
    );
  }

  /** Take one batch (in order; batches of 0 rows may be skipped). */
  add(batch: TraceBatch): void {
    if (batch.firstRow !== this.seen)
      throw new Error(`internal error: batch at row ${batch.firstRow}, expected ${this.seen}`);
    const n = Math.min(batch.rows, this.rows - batch.firstRow);
    this.timelineRows(batch, n);
    this.memoryRows(batch, n);
    const { from, to } = this.selection;
    const start = Math.max(from, batch.firstRow);
    const end = Math.min(to, batch.firstRow + n);
    for (let row = start; row < end; row++) this.store.add(batch, this.slots, row - batch.firstRow);
    this.seen += batch.rows;
  }

  private timelineRows(batch: TraceBatch, n: number): void {
    const t = this.timeline;
    const pcs = batch.data[C.pc] as Int16Array;
    const input = batch.data[C.input] as Int16Array;
    const W = this.slots[C.input].width;
    const counts = this.pcCounts;
    const program = this.instructions;
    const size = t.bucket;
    let other = 0;
    for (let r = 0; r < n; r++) {
      const row = batch.firstRow + r;
      const b = size === 1 ? row : Math.floor(row / size);
      const pc = pcs[r];
      const acc = input[r * W + In.ACC];
      const sp = input[r * W + In.SP];
      const flags = (input[r * W + In.ZERO] & 1) | ((input[r * W + In.CARRY] & 1) << 1);
      if (pc < t.pcMin[b]) t.pcMin[b] = pc;
      if (pc > t.pcMax[b]) t.pcMax[b] = pc;
      if (acc < t.accMin[b]) t.accMin[b] = acc;
      if (acc > t.accMax[b]) t.accMax[b] = acc;
      if (sp < t.spMin[b]) t.spMin[b] = sp;
      if (sp > t.spMax[b]) t.spMax[b] = sp;
      t.flagsAnd[b] &= flags;
      t.flagsOr[b] |= flags;
      if (pc >= 0 && pc < program) counts[pc]++;
      else other++;
    }
    this.pcOther += other;
  }

  private memoryRows(batch: TraceBatch, n: number): void {
    const m = this.memory;
    const N = m.cells;
    const reads = batch.data[C.accessRead] as Uint8Array;
    const writes = batch.data[C.accessWrite] as Uint8Array;
    const ro = batch.bitOffset[C.accessRead];
    const wo = batch.bitOffset[C.accessWrite];
    const addrs = batch.data[C.accessAddr] as Int16Array;
    const values = batch.data[C.accessValue] as Int16Array;
    const cell = this.cell;
    const size = m.bucket;
    for (let r = 0; r < n; r++) {
      const row = batch.firstRow + r;
      const b = Math.floor(row / size);
      const addr = addrs[r];
      if (addr >= 0 && addr < N) {
        const rb = ro + r;
        const wb = wo + r;
        const read = (reads[rb >> 3] >> (rb & 7)) & 1;
        const write = (writes[wb >> 3] >> (wb & 7)) & 1;
        if (write) cell[addr] = values[r];
        m.marks[b * N + addr] |= read | (write << 1);
      }
      // The last row of a bucket (or of the trace) leaves the bucket's memory.
      if ((row + 1) % size === 0 || row + 1 === this.rows) m.values.set(cell, b * N);
    }
  }

  /** Keep one more row (a second pass, for rows around failures). */
  keep(batch: TraceBatch, r: number): void {
    if (!this.store.has(batch.firstRow + r)) this.store.add(batch, this.slots, r);
  }

  has(row: number): boolean {
    return this.store.has(row);
  }

  finish(): Collected {
    const t = this.timeline;
    // Buckets no row reached (a trace shorter than its footer said cannot happen; be safe).
    for (let b = 0; b < t.count; b++) {
      if (t.pcMin[b] > t.pcMax[b]) {
        t.pcMin[b] = t.pcMax[b] = t.accMin[b] = t.accMax[b] = t.spMin[b] = t.spMax[b] = 0;
        t.flagsAnd[b] = t.flagsOr[b] = 0;
      }
    }
    return {
      rows: this.rows,
      timeline: t,
      memory: this.memory,
      pcCounts: this.pcCounts,
      pcOther: this.pcOther,
      detail: this.store.finish(),
    };
  }
}
