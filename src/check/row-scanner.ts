/** Runs the WebAssembly scans (scan-codegen.ts) over a trace's batches and reports the rows that fail. */
import type { TraceBatch } from '../trace/read/reader.js';
import type { ColumnSlot } from '../trace/format/layout.js';
import type { RowSetPlan } from './plan.js';
import { compileWasmScan } from './scan-codegen.js';
import {
  Code,
  createMemory,
  encodeModule,
  I32,
  I64,
  instantiate,
  Op,
  type WasmMemory,
} from '../wasm/encode.js';

const PAGE = 65536;
/** Memory layout: the column table, the found rows, the coefficient tables, then the batch. */
const COLS_AT = 0;
const OUT_AT = 4096;
const OUT_CAP = 4096;
const TABLES_AT = OUT_AT + 4 * OUT_CAP;
/** Bytes a scan may read past a column (a 64-bit window from its last byte), kept in bounds. */
const READ_SLACK = 16;

type Scan = (cols: number, start: number, end: number, out: number, cap: number) => number;
type Largest = (from: number, end: number) => bigint;

/** largest(from, end): the largest |v| of the int32 values at [from, end), as an i64 (|-2^31| fits). */
function largestModule(pages: number): Uint8Array {
  const [FROM, END, LOW, HIGH, V] = [0, 1, 2, 3, 4];
  const body = new Code().open(Op.block).open(Op.loop);
  body.get(FROM).get(END).op(Op.i32GeU).branch(Op.brIf, 1);
  body.get(FROM).memory(Op.i32Load, 2, 0).set(V);
  body.get(V).get(HIGH).get(V).get(HIGH).op(Op.i32GtS, Op.select).set(HIGH);
  body.get(V).get(LOW).get(V).get(LOW).op(Op.i32LtS, Op.select).set(LOW);
  body.get(FROM).i32(4).op(Op.i32Add).set(FROM).branch(Op.br, 0).op(Op.end, Op.end);
  // max(high, -low) in i64
  body.get(HIGH).op(Op.i64ExtendI32S).i64(0).get(LOW).op(Op.i64ExtendI32S, Op.i64Sub);
  body
    .get(HIGH)
    .op(Op.i64ExtendI32S)
    .i64(0)
    .get(LOW)
    .op(Op.i64ExtendI32S, Op.i64Sub, Op.i64GtS, Op.select);
  return encodeModule({
    params: [I32, I32],
    results: [I64],
    locals: [I32, I32, I32],
    body,
    exportName: 'largest',
    memoryPages: pages,
  });
}

const align = (at: number, to: number) => Math.ceil(at / to) * to;

/** Pages of a 32-bit WebAssembly memory at most (4 GiB). */
const MAX_PAGES = 65536;

/**
 * Runs compiled WebAssembly scans (scan-codegen.ts) of row sets over record batches in the
 * modules' memory. The reader can read batches straight into it (`area`, two areas used in
 * turn); a batch read elsewhere is copied into a third. No warm-up: the modules compile in
 * about a millisecond and run at full speed from the first row.
 */
export class WasmScanner {
  private readonly memory: WasmMemory;
  private readonly scans = new Map<RowSetPlan, Scan>();
  private readonly largestOf: Largest;
  private readonly addresses: Int32Array;
  /** The areas batches are read into (none when three batches do not fit the memory), then the one batches are copied into. */
  private readonly readAreas: number[];
  private readonly copyAt: number;
  private readonly areaBytes: number;
  private nextArea = 0;
  private readonly columns: number;

  /** `batchBytes`: the largest batch body, with its slack. */
  constructor(
    plans: readonly RowSetPlan[],
    slots: readonly ColumnSlot[],
    selectColumn: number,
    batchBytes: number,
  ) {
    this.columns = slots.length;
    if (8 * this.columns > OUT_AT - COLS_AT)
      throw new Error(`internal error: ${this.columns} columns overflow the scan's column table`);
    let at = TABLES_AT;
    const tables = plans.map((plan) => {
      const base = at;
      at = align(at + 8 * plan.P * plan.S, 64);
      return base;
    });
    const first = align(at, 64);
    this.areaBytes = align(batchBytes + READ_SLACK, 64);
    // A copied batch's columns each start 8-aligned: up to 8 bytes more per column.
    const copyBytes = align(batchBytes + 8 * this.columns + READ_SLACK, 64);
    // Memory the OS never touches costs nothing: two read areas when they fit 32-bit addresses.
    const reading = first + 2 * this.areaBytes + copyBytes <= MAX_PAGES * PAGE;
    this.readAreas = reading ? [first, first + this.areaBytes] : [];
    this.copyAt = first + (reading ? 2 * this.areaBytes : 0);
    const pages = Math.ceil((this.copyAt + copyBytes) / PAGE);
    this.memory = createMemory(pages);
    this.largestOf = instantiate(largestModule(pages), this.memory).largest as Largest;
    this.addresses = new Int32Array(this.columns);
    plans.forEach((plan, i) => {
      const code = compileWasmScan(plan, slots, selectColumn, tables[i], pages);
      new BigInt64Array(this.memory.buffer, tables[i], code.table.length).set(code.table);
      this.scans.set(plan, instantiate(code.bytes, this.memory).scan as Scan);
    });
  }

  /**
   * Where the reader may read the next batch body of `bytes` bytes (OpenTrace.batches): the two
   * read areas in turn, or undefined when the memory has none (the batch is then copied).
   */
  readonly area = (bytes: number): Uint8Array | undefined => {
    if (this.readAreas.length === 0 || bytes > this.areaBytes - READ_SLACK) return undefined;
    const at = this.readAreas[this.nextArea];
    this.nextArea ^= 1;
    return new Uint8Array(this.memory.buffer, at, bytes);
  };

  /** Make a batch the one the scans read: in place when it was read into this memory, else copied. */
  load(batch: TraceBatch): void {
    const { storage, data } = batch;
    const table = new Int32Array(this.memory.buffer, COLS_AT, 2 * this.columns);
    if (data.every((column) => column.buffer === this.memory.buffer)) {
      data.forEach((column, c) => (table[c] = column.byteOffset));
    } else {
      const inStorage = storage !== undefined && data.every((column) => column.buffer === storage);
      const bytes = inStorage
        ? Math.max(...data.map((column) => column.byteOffset + column.byteLength))
        : data.reduce((sum, column) => sum + align(column.byteLength, 8), 0);
      this.reserve(this.copyAt + bytes + READ_SLACK);
      const memory = new Uint8Array(this.memory.buffer);
      if (inStorage) {
        memory.set(new Uint8Array(storage, 0, bytes), this.copyAt);
        data.forEach((column, c) => (table[c] = this.copyAt + column.byteOffset));
      } else {
        let at = this.copyAt;
        data.forEach((column, c) => {
          memory.set(new Uint8Array(column.buffer, column.byteOffset, column.byteLength), at);
          table[c] = at;
          at += align(column.byteLength, 8);
        });
      }
    }
    table.set(batch.bitOffset, this.columns);
    this.addresses.set(table.subarray(0, this.columns));
  }

  /** The largest |value| among the first `count` entries of int32 column `column` of the loaded batch. */
  largest(column: number, count: number): number {
    const from = this.addresses[column];
    return Number(this.largestOf(from, from + 4 * count));
  }

  /** Rows r in [0, end) of the loaded batch where the set may fail, ascending. */
  rows(plan: RowSetPlan, end: number): Int32Array {
    const scan = this.scans.get(plan);
    if (scan === undefined)
      throw new Error('internal error: the row set was not compiled for this scanner');
    const found: number[] = [];
    for (let from = 0; from < end; ) {
      const count = scan(COLS_AT, from, end, OUT_AT, OUT_CAP);
      const out = new Int32Array(this.memory.buffer, OUT_AT, count);
      for (let i = 0; i < count; i++) found.push(out[i]);
      if (count < OUT_CAP) break;
      from = out[count - 1] + 1;
    }
    return Int32Array.from(found);
  }

  private reserve(bytes: number): void {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / PAGE));
  }
}
