import type { TraceBatch } from '../trace/reader.js';
import type { ColumnSlot } from '../trace/layout.js';
import type { RowSetPlan } from './plan.js';
import { compileWasmScan } from './wasm-scan.js';
import { createMemory, instantiate, type WasmMemory } from './wasm.js';

const PAGE = 65536;
/** Memory layout: the column table, the found rows, the coefficient tables, then the batch. */
const COLS_AT = 0;
const OUT_AT = 4096;
const OUT_CAP = 4096;
const TABLES_AT = OUT_AT + 4 * OUT_CAP;
/** Bytes a scan may read past a column (a 64-bit window from its last byte), kept in bounds. */
const READ_SLACK = 16;

type Scan = (cols: number, start: number, end: number, out: number, cap: number) => number;

const align = (at: number, to: number) => Math.ceil(at / to) * to;

/**
 * Runs compiled WebAssembly scans (wasm-scan.ts) of row sets over record batches: a batch is
 * copied once into the modules' memory and every set scans it there. No warm-up: the modules
 * compile in about a millisecond and run at full speed from the first row.
 */
export class WasmScanner {
  private readonly memory: WasmMemory;
  private readonly scans = new Map<RowSetPlan, Scan>();
  private readonly batchAt: number;
  private readonly columns: number;

  /** `batchBytes`: the largest batch body to load (a larger one grows the memory). */
  constructor(plans: readonly RowSetPlan[], slots: readonly ColumnSlot[], selectColumn: number, batchBytes: number) {
    this.columns = slots.length;
    if (8 * this.columns > OUT_AT - COLS_AT) throw new Error(`internal error: ${this.columns} columns overflow the scan's column table`);
    let at = TABLES_AT;
    const tables = plans.map((plan) => {
      const base = at;
      at = align(at + 8 * plan.P * plan.S, 64);
      return base;
    });
    this.batchAt = align(at, 64);
    const pages = Math.ceil((this.batchAt + batchBytes + READ_SLACK) / PAGE);
    this.memory = createMemory(pages);
    plans.forEach((plan, i) => {
      const code = compileWasmScan(plan, slots, selectColumn, tables[i], pages);
      new BigInt64Array(this.memory.buffer, tables[i], code.table.length).set(code.table);
      this.scans.set(plan, instantiate(code.bytes, this.memory).scan as Scan);
    });
  }

  /** Copy a batch into the memory: the scans read it from there until the next load. */
  load(batch: TraceBatch): void {
    const { storage, data } = batch;
    const inStorage = storage !== undefined && data.every((column) => column.buffer === storage);
    const bytes = inStorage ? Math.max(...data.map((column) => column.byteOffset + column.byteLength)) : data.reduce((sum, column) => sum + align(column.byteLength, 8), 0);
    this.reserve(this.batchAt + bytes + READ_SLACK);
    const memory = new Uint8Array(this.memory.buffer);
    const table = new Int32Array(this.memory.buffer, COLS_AT, 2 * this.columns);
    if (inStorage) {
      memory.set(new Uint8Array(storage, 0, bytes), this.batchAt);
      data.forEach((column, c) => (table[c] = this.batchAt + column.byteOffset));
    } else {
      let at = this.batchAt;
      data.forEach((column, c) => {
        memory.set(new Uint8Array(column.buffer, column.byteOffset, column.byteLength), at);
        table[c] = at;
        at += align(column.byteLength, 8);
      });
    }
    table.set(batch.bitOffset, this.columns);
  }

  /** Rows r in [0, end) of the loaded batch where the set may fail, ascending. */
  rows(plan: RowSetPlan, end: number): Int32Array {
    const scan = this.scans.get(plan);
    if (scan === undefined) throw new Error('internal error: the row set was not compiled for this scanner');
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
