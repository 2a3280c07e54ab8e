/** A bounds-checked look at an Arrow file's footer and batch headers before apache-arrow decodes them. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { BodyCodec } from '../format/codecs.js';
import { TraceFormatError } from '../format/errors.js';
import { FlatbufferError, verifyFooter, verifyMessage } from './flatbuffers.js';

/**
 * A bounds-checked look at an Arrow IPC file's footer and record batch headers *before*
 * apache-arrow decodes them. apache-arrow trusts the FlatBuffers vector lengths it reads: one
 * flipped bit can turn a field's child count into 134,217,729, and decoding then loops (and
 * allocates) for minutes. Here every read is checked against the bytes, every count against a
 * bound far above what a trace needs, and every block against the file, so a hostile file is
 * rejected in microseconds with a one-line TraceFormatError.
 */

const MAGIC = 'ARROW1';
/** Bounds far above any trace (34 columns, one child each) yet small enough to decode quickly. */
const LIMITS = Object.freeze({
  footerBytes: 64 << 20,
  fields: 1024,
  children: 16,
  depth: 4,
  metadataEntries: 1024,
  headerBytes: 1 << 20,
  nodes: 1 << 14,
  buffers: 1 << 15,
});
/** Arrow's MetadataVersion: the versions Arrow C++ reads (V1–V3 are too old, later ones do not exist). */
const METADATA_V4 = 3;
const METADATA_V5 = 4;
/** Arrow's MessageHeader union: RecordBatch. */
const RECORD_BATCH = 3;

export interface Preflight {
  readonly fileBytes: number;
  /** Rows of each record batch, in file order (from the batch headers, no bodies read). */
  readonly batchRows: readonly number[];
  /** Where each record batch's body lies and how its nodes and buffers are laid out in it. */
  readonly batches: readonly BatchLayout[];
}

/** A record batch header's numbers, each checked against the file (buffers lie inside the body). */
export interface BatchLayout {
  readonly rows: number;
  /** File offset and length of the body. */
  readonly bodyOffset: number;
  readonly bodyLength: number;
  /** Field nodes in schema order (depth first): (length, null count) pairs. */
  readonly nodes: Float64Array;
  /** Buffers in schema order: (offset within the body, length) pairs; when compressed, each with its 8-byte length prefix. */
  readonly buffers: Float64Array;
  /** The body's compression (BodyCompression, method BUFFER), or null. */
  readonly codec: BodyCodec | null;
}

/** A FlatBuffers table over a byte range, every read bounds-checked. */
class FbTable {
  constructor(
    private readonly view: DataView,
    private readonly pos: number,
    private readonly what: string,
  ) {}

  static root(view: DataView, what: string): FbTable {
    return new FbTable(view, u32(view, 0, what), what);
  }

  /** Absolute position of field `id`, or null when absent. */
  private field(id: number): number | null {
    const vtable = this.pos - i32(this.view, this.pos, this.what);
    const size = u16(this.view, vtable, this.what);
    const at = 4 + 2 * id;
    if (at + 2 > size) return null;
    const offset = u16(this.view, vtable + at, this.what);
    return offset === 0 ? null : this.pos + offset;
  }

  private target(id: number): number | null {
    const at = this.field(id);
    return at === null ? null : at + u32(this.view, at, this.what);
  }

  table(id: number, what: string): FbTable | null {
    const at = this.target(id);
    return at === null ? null : new FbTable(this.view, at, what);
  }

  /** A vector field: start of its elements and its length (0 when absent), checked to fit `elementBytes` each. */
  vector(
    id: number,
    elementBytes: number,
    limit: number,
    what: string,
  ): { start: number; length: number } {
    const at = this.target(id);
    if (at === null) return { start: 0, length: 0 };
    const length = u32(this.view, at, what);
    if (length > limit)
      throw new TraceFormatError(`${what}: ${length} entries (at most ${limit} expected)`);
    if (at + 4 + length * elementBytes > this.view.byteLength)
      throw new TraceFormatError(`${what}: ${length} entries run past the end of their buffer`);
    return { start: at + 4, length };
  }

  /** Element `i` of a vector of tables. */
  element(vector: { start: number }, i: number, what: string): FbTable {
    const at = vector.start + 4 * i;
    const table = at + u32(this.view, at, what);
    return new FbTable(this.view, table, what);
  }

  uint8(id: number, fallback: number): number {
    const at = this.field(id);
    if (at === null) return fallback;
    if (at + 1 > this.view.byteLength) throw new TraceFormatError(`${this.what}: truncated`);
    return this.view.getUint8(at);
  }

  /** An int16 field (default 0); the verifier has checked it lies inside the buffer. */
  int16(id: number): number {
    const at = this.field(id);
    return at === null ? 0 : this.view.getInt16(at, true);
  }

  int64(id: number, what: string): number {
    const at = this.field(id);
    return at === null ? 0 : int64At(this.view, at, what);
  }
}

function check(view: DataView, at: number, bytes: number, what: string): void {
  if (!Number.isSafeInteger(at) || at < 0 || at + bytes > view.byteLength)
    throw new TraceFormatError(`${what}: offset ${at} lies outside its buffer`);
}
function u16(view: DataView, at: number, what: string): number {
  check(view, at, 2, what);
  return view.getUint16(at, true);
}
function u32(view: DataView, at: number, what: string): number {
  check(view, at, 4, what);
  return view.getUint32(at, true);
}
function i32(view: DataView, at: number, what: string): number {
  check(view, at, 4, what);
  return view.getInt32(at, true);
}
/** A little-endian int64 that must be a non-negative safe integer. */
function int64At(view: DataView, at: number, what: string): number {
  check(view, at, 8, what);
  const low = view.getUint32(at, true);
  const high = view.getInt32(at + 4, true);
  if (high < 0 || high >= 2 ** 21)
    throw new TraceFormatError(`${what}: a 64-bit value is negative or too large`);
  return high * 2 ** 32 + low;
}

function checkFields(
  table: FbTable,
  vector: { start: number; length: number },
  depth: number,
  counter: { fields: number },
  what: string,
): void {
  for (let i = 0; i < vector.length; i++) {
    if (++counter.fields > LIMITS.fields)
      throw new TraceFormatError(`${what}: more than ${LIMITS.fields} fields`);
    const field = table.element(vector, i, `${what} field ${i}`);
    if (field.table(4, `${what} field ${i}`) !== null)
      throw new TraceFormatError(
        `${what} field ${i}: dictionary-encoded (a trace has no dictionaries)`,
      );
    field.vector(6, 4, LIMITS.metadataEntries, `${what} field ${i} metadata`);
    const children = field.vector(5, 4, LIMITS.children, `${what} field ${i} children`);
    if (children.length > 0) {
      if (depth >= LIMITS.depth)
        throw new TraceFormatError(`${what} field ${i}: nested too deeply`);
      checkFields(field, children, depth + 1, counter, `${what} field ${i}`);
    }
  }
}

/**
 * Check the envelope (magic at both ends), the footer (schema, blocks) and every record batch
 * header of an Arrow IPC file, with the same messages as the reader for the envelope.
 */
export function preflightTrace(path: string): Preflight {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TraceFormatError(
      `cannot read: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(code)}`,
    );
  }
  try {
    let size: number;
    try {
      const stat = fstatSync(fd);
      if (stat.isDirectory()) throw new TraceFormatError('cannot read: is a directory');
      size = stat.size;
    } catch (error) {
      if (error instanceof TraceFormatError) throw error;
      throw new TraceFormatError(`cannot read: ${String((error as NodeJS.ErrnoException).code)}`);
    }
    const readAt = (offset: number, length: number): DataView => {
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        let got: number;
        try {
          got = readSync(fd, bytes, done, length - done, offset + done);
        } catch (error) {
          throw new TraceFormatError(
            `cannot read: ${String((error as NodeJS.ErrnoException).code)}`,
          );
        }
        if (got <= 0) throw new TraceFormatError('the file ended while reading it');
        done += got;
      }
      return new DataView(bytes.buffer);
    };
    const text = (view: DataView) => Buffer.from(view.buffer).toString('latin1');
    if (size < 2 * 8 + 4)
      throw new TraceFormatError(`not an Arrow IPC file (${size} bytes is too short)`);
    if (text(readAt(0, 6)) !== MAGIC)
      throw new TraceFormatError('not an Arrow IPC file (bad magic at the start)');
    if (text(readAt(size - 6, 6)) !== MAGIC)
      throw new TraceFormatError('truncated or not an Arrow IPC file (no footer magic at the end)');

    // Footer: ... footer bytes, int32 footer length, "ARROW1".
    const footerLength = readAt(size - 10, 4).getInt32(0, true);
    const footerStart = size - 10 - footerLength;
    if (footerLength <= 0 || footerLength > LIMITS.footerBytes || footerStart < 8)
      throw new TraceFormatError(
        `footer length ${footerLength} does not fit the file (${size} bytes)`,
      );
    const footerView = readAt(footerStart, footerLength);
    try {
      verifyFooter(footerView);
    } catch (error) {
      if (error instanceof FlatbufferError)
        throw new TraceFormatError(`the footer is not a valid Arrow flatbuffer (${error.message})`);
      throw error;
    }
    const footer = FbTable.root(footerView, 'footer');
    const footerVersion = footer.int16(0);
    if (footerVersion !== METADATA_V4 && footerVersion !== METADATA_V5)
      throw new TraceFormatError(
        `the footer has metadata version ${footerVersion} (V4 or V5 expected)`,
      );
    const schema = footer.table(1, 'footer schema');
    if (schema === null) throw new TraceFormatError('the footer has no schema');
    checkFields(
      schema,
      schema.vector(1, 4, LIMITS.fields, 'schema fields'),
      0,
      { fields: 0 },
      'schema',
    );
    schema.vector(2, 4, LIMITS.metadataEntries, 'schema metadata');
    if (footer.vector(2, 24, LIMITS.fields, 'footer dictionaries').length > 0)
      throw new TraceFormatError('the file has dictionary batches (a trace has none)');
    const blocks = footer.vector(3, 24, Math.floor(footerLength / 24), 'footer record batches');

    const batchRows: number[] = [];
    const layouts: BatchLayout[] = [];
    for (let b = 0; b < blocks.length; b++) {
      const where = `record batch ${b}`;
      // Block (struct, 24 bytes): offset int64, metaDataLength int32, padding, bodyLength int64.
      const at = blocks.start + 24 * b;
      const offset = int64At(footerView, at, where);
      const metaLength = i32(footerView, at + 8, where);
      const bodyLength = int64At(footerView, at + 16, where);
      if (metaLength < 8 || metaLength > LIMITS.headerBytes)
        throw new TraceFormatError(`${where}: header length ${metaLength} is implausible`);
      // Arrow C++ refuses a block not on 8-byte boundaries ("Unaligned block in IPC file").
      if (offset % 8 !== 0 || metaLength % 8 !== 0 || bodyLength % 8 !== 0)
        throw new TraceFormatError(
          `${where}: its block (offset ${offset}, ${metaLength} + ${bodyLength} bytes) is not aligned to 8 bytes`,
        );
      if (offset < 8 || offset + metaLength + bodyLength > footerStart)
        throw new TraceFormatError(
          `${where}: its block (offset ${offset}, ${metaLength} + ${bodyLength} bytes) lies outside the data part of the file`,
        );
      const header = readAt(offset, metaLength);
      // Encapsulated message: optional continuation 0xFFFFFFFF, int32 length, the Message flatbuffer.
      const skip = header.getInt32(0, true) === -1 ? 4 : 0;
      const length = header.getInt32(skip, true);
      if (length <= 0 || skip + 4 + length > metaLength)
        throw new TraceFormatError(`${where}: header length ${length} does not fit its block`);
      const messageView = new DataView(header.buffer, skip + 4, length);
      try {
        verifyMessage(messageView);
      } catch (error) {
        if (error instanceof FlatbufferError)
          throw new TraceFormatError(
            `${where}: its header is not a valid Arrow flatbuffer (${error.message})`,
          );
        throw error;
      }
      const message = FbTable.root(messageView, where);
      const version = message.int16(0);
      if (version !== METADATA_V4 && version !== METADATA_V5)
        throw new TraceFormatError(`${where}: metadata version ${version} (V4 or V5 expected)`);
      if (message.uint8(1, 0) !== RECORD_BATCH)
        throw new TraceFormatError(`${where}: the block does not hold a record batch`);
      const messageBody = message.int64(3, where);
      if (messageBody !== bodyLength)
        throw new TraceFormatError(
          `${where}: its header says a body of ${messageBody} bytes, its block ${bodyLength}`,
        );
      const batch = message.table(2, where);
      if (batch === null) throw new TraceFormatError(`${where}: header missing`);
      const rows = batch.int64(0, where);
      const nodes = batch.vector(1, 16, LIMITS.nodes, `${where} nodes`);
      const buffers = batch.vector(2, 16, LIMITS.buffers, `${where} buffers`);
      const compression = batch.table(3, `${where} compression`);
      let codec: BodyCodec | null = null;
      if (compression !== null) {
        const type = compression.uint8(0, 0);
        if (type !== 0 && type !== 1)
          throw new TraceFormatError(
            `${where}: compressed with unknown codec ${type} (LZ4_FRAME or ZSTD expected)`,
          );
        if (compression.uint8(1, 0) !== 0)
          throw new TraceFormatError(
            `${where}: unknown body compression method ${compression.uint8(1, 0)} (BUFFER expected)`,
          );
        codec = type === 1 ? 'zstd' : 'lz4';
      }
      batch.vector(4, 8, LIMITS.nodes, `${where} variadic buffer counts`);
      const nodePairs = new Float64Array(2 * nodes.length);
      for (let n = 0; n < nodes.length; n++) {
        nodePairs[2 * n] = int64At(messageView, nodes.start + 16 * n, `${where} node ${n}`);
        nodePairs[2 * n + 1] = int64At(messageView, nodes.start + 16 * n + 8, `${where} node ${n}`);
      }
      const bufferPairs = new Float64Array(2 * buffers.length);
      for (let k = 0; k < buffers.length; k++) {
        const bufferOffset = int64At(messageView, buffers.start + 16 * k, `${where} buffer ${k}`);
        const bufferLength = int64At(
          messageView,
          buffers.start + 16 * k + 8,
          `${where} buffer ${k}`,
        );
        // Arrow C++ refuses a buffer it reads there ("Buffer N did not start on 8-byte aligned
        // offset"); an empty one (a validity buffer of a column without nulls) it skips.
        if (bufferOffset % 8 !== 0 && bufferLength > 0)
          throw new TraceFormatError(
            `${where}: buffer ${k} starts at offset ${bufferOffset} of the body, not on an 8-byte boundary`,
          );
        if (bufferOffset + bufferLength > messageBody)
          throw new TraceFormatError(
            `${where}: buffer ${k} (${bufferOffset} + ${bufferLength} bytes) lies outside the body (${messageBody} bytes)`,
          );
        if (codec !== null && bufferLength !== 0 && bufferLength < 8)
          throw new TraceFormatError(
            `${where}: compressed buffer ${k} is ${bufferLength} bytes, shorter than its length prefix`,
          );
        bufferPairs[2 * k] = bufferOffset;
        bufferPairs[2 * k + 1] = bufferLength;
      }
      batchRows.push(rows);
      layouts.push({
        rows,
        bodyOffset: offset + metaLength,
        bodyLength: messageBody,
        nodes: nodePairs,
        buffers: bufferPairs,
        codec,
      });
    }
    return { fileBytes: size, batchRows, batches: layouts };
  } finally {
    closeSync(fd);
  }
}
