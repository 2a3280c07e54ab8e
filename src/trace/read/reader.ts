/** openTrace: a trace file's batches and metadata, validated, and readCell for any cell. */
import * as arrow from 'apache-arrow';
import { open } from 'node:fs/promises';
import { columnSlots, type ColumnData, type ColumnSlot, type TraceDims } from '../format/layout.js';
import { decodeMetadata, MetadataError, type TraceMetadata } from '../format/metadata.js';
import { preflightTrace, type BatchLayout } from './preflight.js';
import { CodecError, decompressInto, loadCodecs } from '../format/codecs.js';
import { printable } from '../../isa/text.js';
import { TraceFormatError } from '../format/errors.js';

/**
 * One record batch's columns: integer columns as typed arrays, bool columns as bitmaps. Read a
 * cell with readCell, which handles both.
 *
 * @example
 * ```ts
 * const trace = await openTrace('trace.arrow');
 * for await (const batch of trace.batches()) {
 *   console.log(`rows ${batch.firstRow}..${batch.firstRow + batch.rows - 1}`);
 *   trace.release(batch);
 * }
 * await trace.close();
 * ```
 */
export interface TraceBatch {
  readonly rows: number;
  /** Index of the batch's first row in the trace. */
  readonly firstRow: number;
  readonly data: readonly ColumnData[];
  /** Bit offset of row 0 in each bool column's bitmap (0 for integer columns). */
  readonly bitOffset: readonly number[];
  /**
   * The memory every column views, from its start, when the reader owns it (OpenTrace.release reuses it). Bool
   * columns' views run up to 8 bytes past their bitmaps within it, so whole-word reads stay
   * in bounds.
   */
  readonly storage?: ArrayBuffer;
}

export interface OpenOptions {
  /**
   * Read the next record batch while the caller works on this one (the check streams the whole
   * file); else a batch is read only when asked for (inspect reads up to its range).
   */
  readonly readAhead?: boolean;
}

export interface OpenTrace {
  readonly metadata: TraceMetadata;
  /** The schema's custom metadata as stored (for the integrity digest). */
  readonly rawMetadata: ReadonlyMap<string, string>;
  readonly dims: TraceDims;
  readonly slots: readonly ColumnSlot[];
  readonly batchCount: number;
  readonly fileBytes: number;
  /** The largest record batch body, with the slack every batch's storage has. */
  readonly maxBatchBytes: number;
  /**
   * Record batches in order; each is read whole and decoded without copies. `into` gives the
   * memory to read a batch body of `bytes` bytes (slack included) into, 8-byte aligned: the
   * caller must not need a batch's data once it asks for the next after it (with readAhead,
   * two batches are in flight, so two areas used in turn suffice). Without it, or when it
   * gives none, the reader's own storage, reused once a batch is released.
   */
  batches(into?: (bytes: number) => Uint8Array | undefined): AsyncGenerator<TraceBatch>;
  /** Done with a batch from batches(): its storage may be reused for a later one. */
  release(batch: TraceBatch): void;
  close(): Promise<void>;
}

function describeType(type: arrow.DataType): string {
  return String(type);
}

/** The Arrow type a column must have, as apache-arrow prints it. */
function expectedType(slot: ColumnSlot): string {
  const element = { bool: 'Bool', int8: 'Int8', int16: 'Int16', int32: 'Int32' }[slot.spec.type];
  return slot.spec.width === 1 ? element : `FixedSizeList[${slot.width}]<${element}>`;
}

/** The names a list column's child field may have. */
const CHILD_NAMES = ['item', 'element'];

/** Bytes per read call (a batch body can be larger than 2 GiB). */
const READ_CHUNK = 1 << 30;

/**
 * Open a trace file for streaming: validates the envelope, the footer, the metadata and the
 * exact column layout, then yields record batches one at a time (memory stays bounded).
 *
 * @example
 * ```ts
 * const trace = await openTrace('trace.arrow');
 * console.log(trace.metadata.claim.halted, trace.slots.length);
 * await trace.close();
 * ```
 */
export async function openTrace(path: string, options: OpenOptions = {}): Promise<OpenTrace> {
  // Envelope, footer and batch headers, bounds-checked: a flipped bit can otherwise make
  // apache-arrow loop for minutes over a FlatBuffers count it trusts.
  // Validates the envelope, footer and every batch header against the file before apache-arrow
  // (which trusts the counts it reads) ever sees it.
  const { fileBytes, batches: layouts } = preflightTrace(path);
  const handle = await open(path, 'r');
  let reader: arrow.AsyncRecordBatchFileReader;
  try {
    const opened = await arrow.RecordBatchReader.from(handle);
    if (!opened.isFile())
      throw new TraceFormatError(
        'not an Arrow IPC file (stream format, expected the file format with footer)',
      );
    reader = await opened.open();
  } catch (error) {
    await handle.close();
    if (error instanceof TraceFormatError) throw error;
    throw new TraceFormatError(`not a readable Arrow IPC file (${firstLine(error)})`);
  }
  try {
    const schema = reader.schema;
    let metadata: TraceMetadata;
    try {
      if (!schema.metadata.has('tvm.schema'))
        throw new TraceFormatError('not a tvm-trace file (no tvm.schema metadata)');
      metadata = decodeMetadata(schema.metadata);
    } catch (error) {
      if (error instanceof MetadataError) throw new TraceFormatError(error.message);
      throw error;
    }
    const dims: TraceDims = { ffDim: metadata.ffDim, instructions: metadata.instructions };
    const slots = columnSlots(dims);
    if (schema.fields.length !== slots.length)
      throw new TraceFormatError(
        `schema has ${schema.fields.length} columns, trace v1 with these dimensions has ${slots.length}`,
      );
    slots.forEach((slot, i) => {
      const field = schema.fields[i];
      if (field.name !== slot.spec.name)
        throw new TraceFormatError(
          `column ${i} is '${printable(field.name)}', expected '${slot.spec.name}'`,
        );
      const actual = describeType(field.type as arrow.DataType);
      if (actual !== expectedType(slot))
        throw new TraceFormatError(
          `column '${slot.spec.name}' has type ${printable(actual)}, expected ${expectedType(slot)}`,
        );
      // A list's child: 'item' (Arrow C++, arrow-rs, apache-arrow) or 'element' (Parquet's name, which pyarrow and polars may keep).
      if (slot.spec.width !== 1) {
        const child = (field.type as arrow.FixedSizeList).children[0].name;
        if (!CHILD_NAMES.includes(child))
          throw new TraceFormatError(
            `column '${slot.spec.name}' has a child field '${printable(child)}', expected 'item' or 'element'`,
          );
      }
    });
    const batchCount = reader.numRecordBatches;
    if (layouts.some((layout) => layout.codec !== null)) await loadCodecs();
    /** Bytes a batch takes in memory: its body, or for a compressed one the bound of its buffers decoded. */
    const memoryBytes = (layout: BatchLayout) =>
      layout.codec === null ? layout.bodyLength : decodedBound(slots, layout.rows);
    // Compressed bodies are read here first, then decoded into the batch's area.
    const compressedPool: Uint8Array[] = [];
    // Released batch storage, reused by later batches of at most its size.
    const pool: ArrayBuffer[] = [];
    const takeStorage = (bytes: number): ArrayBuffer => {
      const at = pool.findIndex((buffer) => buffer.byteLength >= bytes);
      return at >= 0 ? pool.splice(at, 1)[0] : new ArrayBuffer(bytes);
    };
    return {
      metadata,
      rawMetadata: new Map(schema.metadata),
      dims,
      slots,
      batchCount,
      fileBytes,
      maxBatchBytes: Math.max(0, ...layouts.map(memoryBytes)) + BOOL_SLACK,
      async *batches(into?: (bytes: number) => Uint8Array | undefined) {
        if (layouts.length !== batchCount)
          throw new TraceFormatError(
            `the footer lists ${layouts.length} record batches, the reader ${batchCount}`,
          );
        const readBody = async (b: number, body: Uint8Array) => {
          const layout = layouts[b];
          for (let done = 0; done < layout.bodyLength; ) {
            // At most READ_CHUNK per read: Node's read takes an int32 length (a larger one aborts the process).
            const { bytesRead } = await handle.read(
              body,
              done,
              Math.min(READ_CHUNK, layout.bodyLength - done),
              layout.bodyOffset + done,
            );
            if (bytesRead <= 0) throw new TraceFormatError(`record batch ${b} is truncated`);
            done += bytesRead;
          }
        };
        const read = async (
          b: number,
        ): Promise<{ area: Uint8Array; owned: boolean; layout: BatchLayout }> => {
          const layout = layouts[b];
          const bytes = memoryBytes(layout) + BOOL_SLACK;
          const given = into?.(bytes);
          const area = given ?? new Uint8Array(takeStorage(bytes), 0, bytes);
          if (area.byteLength < bytes || area.byteOffset % 8 !== 0)
            throw new Error(
              'internal error: a batch area must hold the body and slack, 8-byte aligned',
            );
          if (layout.codec === null) {
            await readBody(b, area.subarray(0, layout.bodyLength));
            return { area, owned: given === undefined, layout };
          }
          let compressed = compressedPool.pop();
          if (compressed === undefined || compressed.byteLength < layout.bodyLength)
            compressed = new Uint8Array(Math.max(layout.bodyLength, compressed?.byteLength ?? 0));
          try {
            await readBody(b, compressed.subarray(0, layout.bodyLength));
            return {
              area,
              owned: given === undefined,
              layout: decompressBody(layout, compressed, area, slots, b),
            };
          } finally {
            compressedPool.push(compressed);
          }
        };
        // With readAhead, one batch is read ahead, so the disk read overlaps the caller's work on
        // this one. A read-ahead the caller never reaches (it stopped early) must not go unhandled.
        const ahead = (b: number) => {
          if (b >= batchCount) return null;
          const pending = read(b);
          pending.catch(() => undefined);
          return pending;
        };
        let next: Promise<{ area: Uint8Array; owned: boolean; layout: BatchLayout }> | null = null;
        let firstRow = 0;
        for (let b = 0; b < batchCount; b++) {
          const { area, owned, layout } = await (next ?? read(b));
          next = options.readAhead === true ? ahead(b + 1) : null;
          yield decodeBatch(layout, area, slots, firstRow, b, owned);
          firstRow += layouts[b].rows;
        }
      },
      release(batch: TraceBatch) {
        if (batch.storage !== undefined && batch.storage.byteLength > 0 && pool.length < 8)
          pool.push(batch.storage);
      },
      async close() {
        await handle.close();
      },
    };
  } catch (error) {
    await handle.close();
    if (error instanceof TraceFormatError) throw error;
    throw new TraceFormatError(`not a readable tvm-trace file (${firstLine(error)})`);
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 200);
}

/** Spare bytes after a batch body, so bool columns can be read a 32-bit word at a time. */
const BOOL_SLACK = 8;
const ELEMENT_BYTES = { int8: 1, int16: 2, int32: 4 } as const;

/**
 * The columns of a record batch whose body is at the start of `storage`, by the layout its
 * header gives (checked by the preflight to lie inside the body): a scalar column is one node
 * and two buffers (validity, values); a vector column a FixedSizeList node with its validity
 * buffer, then its child's node and buffers. Views, not copies, unless a buffer is misaligned.
 */
function decodeBatch(
  layout: BatchLayout,
  area: Uint8Array,
  slots: readonly ColumnSlot[],
  firstRow: number,
  index: number,
  owned: boolean,
): TraceBatch {
  const { rows, nodes, buffers, bodyLength } = layout;
  const storage = area.buffer as ArrayBuffer;
  const base = area.byteOffset;
  const data: ColumnData[] = [];
  let n = 0;
  let k = 0;
  const node = (name: string, length: number) => {
    if (2 * n + 1 >= nodes.length)
      throw new TraceFormatError(`record batch ${index}: column '${name}' is missing or split`);
    if (nodes[2 * n] !== length)
      throw new TraceFormatError(
        `record batch ${index}: column '${name}' has ${nodes[2 * n]} values, expected ${length}`,
      );
    if (nodes[2 * n + 1] !== 0)
      throw new TraceFormatError(`record batch ${index}: column '${name}' has null values`);
    n++;
  };
  const buffer = (name: string) => {
    if (2 * k + 1 >= buffers.length)
      throw new TraceFormatError(`record batch ${index}: column '${name}' is missing or split`);
    const at = { offset: buffers[2 * k], length: buffers[2 * k + 1] };
    k++;
    return at;
  };
  for (const slot of slots) {
    const name = slot.spec.name;
    node(name, rows);
    buffer(name); // validity: no nulls, so unused
    if (slot.spec.width !== 1) {
      node(name, rows * slot.width);
      buffer(name);
    }
    const values = buffer(name);
    const entries = rows * slot.width;
    if (slot.spec.type === 'bool') {
      if (values.length * 8 < entries)
        throw new TraceFormatError(`record batch ${index}: column '${name}' is truncated`);
      data.push(
        new Uint8Array(
          storage,
          base + values.offset,
          Math.min(values.length + BOOL_SLACK, bodyLength + BOOL_SLACK - values.offset),
        ),
      );
    } else {
      const size = ELEMENT_BYTES[slot.spec.type];
      if (values.length < entries * size)
        throw new TraceFormatError(`record batch ${index}: column '${name}' is truncated`);
      // A misaligned buffer (not from an Arrow writer, which aligns to 8) is copied.
      const aligned = values.offset % size === 0;
      const bytes = aligned
        ? storage
        : new Uint8Array(storage, base + values.offset, entries * size).slice().buffer;
      const at = aligned ? base + values.offset : 0;
      data.push(
        slot.spec.type === 'int8'
          ? new Int8Array(bytes, at, entries)
          : slot.spec.type === 'int16'
            ? new Int16Array(bytes, at, entries)
            : new Int32Array(bytes, at, entries),
      );
    }
  }
  if (2 * n !== nodes.length || 2 * k !== buffers.length)
    throw new TraceFormatError(
      `record batch ${index}: ${nodes.length / 2} nodes and ${buffers.length / 2} buffers, the schema has ${n} and ${k}`,
    );
  return {
    rows,
    firstRow,
    data,
    bitOffset: slots.map(() => 0),
    storage: owned ? storage : undefined,
  };
}

/**
 * The bytes each buffer of a batch of `rows` rows needs, in schema order (validity, [child
 * validity,] values per column), each rounded up to 64 (writers pad buffers to 8 or 64 bytes): a
 * decoded buffer may not be longer.
 */
function bufferBounds(slots: readonly ColumnSlot[], rows: number): number[] {
  const pad = (bytes: number) => Math.ceil(bytes / 64) * 64;
  const bounds: number[] = [];
  for (const slot of slots) {
    const entries = rows * slot.width;
    bounds.push(pad(Math.ceil(rows / 8)));
    if (slot.spec.width !== 1) bounds.push(pad(Math.ceil(entries / 8)));
    bounds.push(
      pad(
        slot.spec.type === 'bool'
          ? Math.ceil(entries / 8)
          : entries * ELEMENT_BYTES[slot.spec.type],
      ),
    );
  }
  return bounds;
}

/** The memory a compressed batch of `rows` rows can decode to (its buffers at most their bounds, 8-aligned). */
function decodedBound(slots: readonly ColumnSlot[], rows: number): number {
  return bufferBounds(slots, rows).reduce((sum, bytes) => sum + bytes, 0);
}

/**
 * Decode a compressed body (read whole into `compressed`) into `area`: each buffer is an int64
 * length (-1: stored as is) and an LZ4 or zstd frame; the buffers are laid out 8-aligned in
 * schema order. Returns the layout of the decoded body.
 */
function decompressBody(
  layout: BatchLayout,
  compressed: Uint8Array,
  area: Uint8Array,
  slots: readonly ColumnSlot[],
  index: number,
): BatchLayout {
  const bounds = bufferBounds(slots, layout.rows);
  const count = layout.buffers.length / 2;
  if (count !== bounds.length)
    throw new TraceFormatError(
      `record batch ${index}: ${count} buffers, the schema has ${bounds.length}`,
    );
  const view = new DataView(compressed.buffer, compressed.byteOffset, layout.bodyLength);
  const buffers = new Float64Array(layout.buffers.length);
  let at = 0;
  for (let k = 0; k < count; k++) {
    const offset = layout.buffers[2 * k];
    const length = layout.buffers[2 * k + 1];
    let decoded = 0;
    if (length > 0) {
      const low = view.getUint32(offset, true);
      const high = view.getInt32(offset + 4, true);
      const stored = high === -1 && low === 0xffffffff;
      decoded = stored
        ? length - 8
        : high < 0 || high >= 2 ** 21
          ? Number.MAX_SAFE_INTEGER
          : high * 2 ** 32 + low;
      if (decoded > bounds[k])
        throw new TraceFormatError(
          `record batch ${index}: buffer ${k} states ${decoded === Number.MAX_SAFE_INTEGER ? 'an impossible' : decoded} bytes uncompressed, more than a column of ${layout.rows} rows takes (${bounds[k]})`,
        );
      const data = compressed.subarray(offset + 8, offset + length);
      const out = area.subarray(at, at + decoded);
      if (stored) out.set(data);
      else {
        try {
          decompressInto(layout.codec!, data, out);
        } catch (error) {
          if (error instanceof CodecError)
            throw new TraceFormatError(
              `record batch ${index}: buffer ${k} (${layout.codec}): ${error.message}`,
            );
          throw error;
        }
      }
    }
    buffers[2 * k] = at;
    buffers[2 * k + 1] = decoded;
    at += Math.ceil(decoded / 8) * 8;
  }
  return { ...layout, bodyLength: at, buffers, codec: null };
}

/**
 * Value of entry `entry` of column `column` at batch row `row`; a bool column's cell reads as
 * 0 or 1.
 *
 * @example
 * ```ts
 * const active = trace.slots.findIndex((slot) => slot.spec.name === 'active');
 * for await (const batch of trace.batches()) {
 *   console.log(readCell(batch, trace.slots, active, 0)); // 0 or 1
 *   trace.release(batch);
 * }
 * ```
 */
export function readCell(
  batch: TraceBatch,
  slots: readonly ColumnSlot[],
  column: number,
  row: number,
  entry = 0,
): number {
  const slot = slots[column];
  const index = row * slot.width + entry;
  const data = batch.data[column];
  if (slot.spec.type === 'bool') {
    const bit = batch.bitOffset[column] + index;
    return ((data as Uint8Array)[bit >> 3] >> (bit & 7)) & 1;
  }
  return data[index];
}
