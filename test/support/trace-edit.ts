/**
 * Read a trace file completely, edit it (cells, rows, metadata) and write it back as an Arrow
 * IPC *file* with exactly the same schema (column names and types, FixedSizeList<Bool> etc.)
 * and metadata, so that a mutated file is otherwise well-formed and only the edit differs.
 *
 * Cells are held unpacked: one typed-array entry per (row, entry), bool columns as 0/1 bytes.
 * Writing packs bool columns back into LSB-first bitmaps, the way src/trace/format/layout.ts does.
 */
import * as arrow from 'apache-arrow';
import { readFileSync, writeFileSync } from 'node:fs';
import { COLUMNS, type ColumnSpec } from '../../src/air/columns.js';
import { WORD_BITS } from '../../src/compiler/layout.js';
import { MetaKey, metadataDigest } from '../../src/trace/format/metadata.js';

export type CellArray = Int8Array | Int16Array | Int32Array | Uint8Array;

export interface EditColumn {
  readonly name: string;
  readonly type: ColumnSpec['type'];
  /** Entries per row (1 for a scalar column). */
  readonly width: number;
  /** Whether the Arrow type is a FixedSizeList (a vector column, even of width 1). */
  readonly vector: boolean;
  /** rows × width entries, row-major. */
  values: CellArray;
}

const RANGES: Record<ColumnSpec['type'], [number, number]> = {
  bool: [0, 1],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};

/** The values a cell of this column type can hold. */
export function typeRange(type: ColumnSpec['type']): [number, number] {
  return RANGES[type];
}

function allocate(type: ColumnSpec['type'], entries: number): CellArray {
  if (type === 'bool') return new Uint8Array(entries);
  if (type === 'int8') return new Int8Array(entries);
  if (type === 'int16') return new Int16Array(entries);
  return new Int32Array(entries);
}

function typeOfArrow(type: arrow.DataType): ColumnSpec['type'] {
  if (arrow.DataType.isBool(type)) return 'bool';
  if (arrow.DataType.isInt(type) && type.isSigned) {
    if (type.bitWidth === 8) return 'int8';
    if (type.bitWidth === 16) return 'int16';
    if (type.bitWidth === 32) return 'int32';
  }
  throw new Error(`unsupported Arrow type ${String(type)}`);
}

export class TraceEdit {
  private constructor(
    /** The original fields (names, types, nullability), written back unchanged. */
    readonly fields: arrow.Field[],
    readonly columns: EditColumn[],
    public rows: number,
    /** Schema-level custom metadata, in the original key order. */
    readonly metadata: Map<string, string>,
    /** Rows per record batch of the original file (the writer keeps this batch size). */
    public batchRows: number,
  ) {}

  /** Read a whole trace file (any number of record batches). */
  static read(path: string): TraceEdit {
    const table = arrow.tableFromIPC(readFileSync(path));
    const fields = table.schema.fields;
    const rows = table.numRows;
    const columns: EditColumn[] = fields.map((field, c) => {
      const vector = arrow.DataType.isFixedSizeList(field.type);
      const width = vector ? field.type.listSize : 1;
      const type = typeOfArrow(vector ? field.type.children[0].type : field.type);
      const values = allocate(type, rows * width);
      let at = 0;
      for (const data of table.getChildAt(c)!.data) {
        let node: arrow.Data = data;
        let offset = data.offset;
        if (vector) {
          node = data.children[0];
          offset = offset * width + node.offset;
        }
        const count = data.length * width;
        const source = node.values as CellArray;
        if (type === 'bool') {
          for (let i = 0; i < count; i++) {
            const bit = offset + i;
            values[at + i] = (source[bit >> 3] >> (bit & 7)) & 1;
          }
        } else {
          values.set(source.subarray(offset, offset + count), at);
        }
        at += count;
      }
      return { name: field.name, type, width, vector, values };
    });
    const batchRows =
      table.batches.length > 0 ? Math.max(...table.batches.map((b) => b.numRows), 1) : 65536;
    return new TraceEdit(fields, columns, rows, new Map(table.schema.metadata), batchRows);
  }

  clone(): TraceEdit {
    return new TraceEdit(
      this.fields,
      this.columns.map((c) => ({ ...c, values: c.values.slice() })),
      this.rows,
      new Map(this.metadata),
      this.batchRows,
    );
  }

  column(name: string): EditColumn {
    const column = this.columns.find((c) => c.name === name);
    if (column === undefined) throw new RangeError(`no column '${name}'`);
    return column;
  }

  /** Whether `value` can be stored in a cell of column `name`. */
  fits(name: string, value: number): boolean {
    const [lo, hi] = typeRange(this.column(name).type);
    return Number.isInteger(value) && value >= lo && value <= hi;
  }

  get(name: string, row: number, entry = 0): number {
    const column = this.column(name);
    this.locate(column, row, entry);
    return column.values[row * column.width + entry];
  }

  set(name: string, row: number, value: number, entry = 0): void {
    const column = this.column(name);
    this.locate(column, row, entry);
    if (!this.fits(name, value))
      throw new RangeError(`${value} does not fit column '${name}' (${column.type})`);
    column.values[row * column.width + entry] = value;
  }

  /** A whole row of a column (a copy). */
  getRow(name: string, row: number): number[] {
    const column = this.column(name);
    this.locate(column, row, 0);
    return Array.from(column.values.subarray(row * column.width, (row + 1) * column.width));
  }

  setRow(name: string, row: number, values: readonly number[]): void {
    const column = this.column(name);
    if (values.length !== column.width)
      throw new RangeError(
        `column '${name}' has ${column.width} entries a row, got ${values.length}`,
      );
    values.forEach((v, i) => this.set(name, row, v, i));
  }

  private locate(column: EditColumn, row: number, entry: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.rows)
      throw new RangeError(`row ${row} outside 0..${this.rows - 1}`);
    if (!Number.isInteger(entry) || entry < 0 || entry >= column.width)
      throw new RangeError(
        `entry ${entry} outside column '${column.name}' (width ${column.width})`,
      );
  }

  /** Apply `f` to the row range of the given columns (all when omitted). */
  private splice(
    names: readonly string[] | undefined,
    f: (values: number[], width: number) => number[],
  ): void {
    const selected = names === undefined ? this.columns : names.map((n) => this.column(n));
    let rows = -1;
    for (const column of selected) {
      const rowsOut = f(Array.from(column.values), column.width);
      const values = allocate(column.type, rowsOut.length);
      values.set(rowsOut);
      column.values = values;
      rows = rowsOut.length / column.width;
    }
    if (names !== undefined && rows !== this.rows)
      throw new Error('row operations on a subset of columns must keep the row count');
    if (rows >= 0) this.rows = rows;
  }

  deleteRow(row: number): void {
    this.locate(this.columns[0], row, 0);
    this.splice(undefined, (v, w) => [...v.slice(0, row * w), ...v.slice((row + 1) * w)]);
  }

  /** Insert a copy of `row` right after it. */
  duplicateRow(row: number): void {
    this.locate(this.columns[0], row, 0);
    this.splice(undefined, (v, w) => [
      ...v.slice(0, (row + 1) * w),
      ...v.slice(row * w, (row + 1) * w),
      ...v.slice((row + 1) * w),
    ]);
  }

  /** Swap rows a and b in every column, or only in the named columns. */
  swapRows(a: number, b: number, names?: readonly string[]): void {
    this.locate(this.columns[0], a, 0);
    this.locate(this.columns[0], b, 0);
    this.splice(names, (v, w) => {
      const out = v.slice();
      for (let i = 0; i < w; i++) {
        out[a * w + i] = v[b * w + i];
        out[b * w + i] = v[a * w + i];
      }
      return out;
    });
  }

  /** Names of the columns of a group of src/air/columns.ts (e.g. 'log'). */
  static groupColumns(group: ColumnSpec['group']): string[] {
    return COLUMNS.filter((c) => c.group === group).map((c) => c.name);
  }

  getMeta(key: string): string {
    const value = this.metadata.get(key);
    if (value === undefined) throw new RangeError(`no metadata key '${key}'`);
    return value;
  }

  /** Set a metadata key in place (a new key goes last). */
  setMeta(key: string, value: string): void {
    this.metadata.set(key, value);
  }

  deleteMeta(key: string): void {
    this.metadata.delete(key);
  }

  /** tvm.claim as a plain object. */
  claim(): Record<string, unknown> {
    return JSON.parse(this.getMeta(MetaKey.claim)) as Record<string, unknown>;
  }

  setClaim(claim: Record<string, unknown>): void {
    this.setMeta(MetaKey.claim, JSON.stringify(claim));
  }

  /**
   * Recompute tvm.metadata_sha256 over the (edited) other keys, as an exporter would: the
   * edit then has to be caught by what it means, not by the integrity digest.
   */
  reseal(): void {
    this.metadata.set(MetaKey.metadataSha256, metadataDigest(this.metadata));
  }

  /** The trace as one Arrow table with the original schema and the current metadata. */
  toBatches(): arrow.RecordBatch[] {
    const schema = new arrow.Schema(this.fields, new Map(this.metadata));
    const batches: arrow.RecordBatch[] = [];
    const size = Math.max(1, this.batchRows);
    for (let first = 0; first < this.rows || (first === 0 && this.rows === 0); first += size) {
      const rows = Math.min(size, this.rows - first);
      const children = this.columns.map((column, c) => {
        const type = this.fields[c].type;
        const count = rows * column.width;
        const slice = column.values.subarray(first * column.width, first * column.width + count);
        let data: CellArray = slice;
        if (column.type === 'bool') {
          const bitmap = new Uint8Array((count + 7) >> 3);
          for (let i = 0; i < count; i++) if (slice[i]) bitmap[i >> 3] |= 1 << (i & 7);
          data = bitmap;
        }
        if (!column.vector)
          return arrow.makeData({ type, length: rows, nullCount: 0, data } as never) as arrow.Data;
        const childType = (type as arrow.FixedSizeList).children[0].type;
        const child = arrow.makeData({
          type: childType,
          length: count,
          nullCount: 0,
          data,
        } as never) as arrow.Data;
        return arrow.makeData({
          type: type as arrow.FixedSizeList,
          length: rows,
          nullCount: 0,
          child,
        });
      });
      const struct = arrow.makeData({
        type: new arrow.Struct(schema.fields),
        length: rows,
        nullCount: 0,
        children,
      });
      batches.push(new arrow.RecordBatch(schema, struct));
      if (this.rows === 0) break;
    }
    return batches;
  }

  /** The file's bytes (Arrow IPC file format, with footer). */
  toBytes(): Uint8Array {
    const schema = new arrow.Schema(this.fields, new Map(this.metadata));
    const writer = new arrow.RecordBatchFileWriter();
    writer.reset(undefined, schema);
    for (const batch of this.toBatches()) writer.write(batch);
    writer.finish();
    return writer.toUint8Array(true);
  }

  write(path: string): void {
    writeFileSync(path, this.toBytes());
  }
}

/**
 * Set a 16-bit word column (unless `word` is null), its two's-complement bits and their prefix
 * ORs on one row: the witness columns a consistent edit of the word must change with it.
 */
export function setWord(
  edit: TraceEdit,
  row: number,
  word: string | null,
  bits: string,
  ors: string,
  value: number,
): void {
  if (word !== null) edit.set(word, row, value);
  const u = value & 0xffff;
  let or = 0;
  for (let i = 0; i < WORD_BITS; i++) {
    edit.set(bits, row, (u >> i) & 1, i);
    if (i >= 1) {
      or = i === 1 ? (u & 1) | ((u >> 1) & 1) : or | ((u >> i) & 1);
      edit.set(ors, row, or, i - 1);
    }
  }
}
