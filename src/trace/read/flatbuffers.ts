/**
 * A FlatBuffers verifier for the Arrow IPC tables a trace reader meets (Footer, Schema, Field,
 * KeyValue, Message, RecordBatch, BodyCompression and the type tables), as strict as the
 * verifier Arrow C++ runs (flatbuffers::Verifier on Footer and Message): every offset inside the
 * buffer and aligned, every table's vtable inside the buffer with an even size, every scalar
 * field inside the buffer and aligned to its size, every vector's length within the buffer,
 * every string followed by its terminating zero byte, depth and table count bounded. A file it
 * accepts is one pyarrow, arrow-rs and Arrow C++ can decode; e.g. a flipped bit in a string's
 * terminator is refused here as pyarrow refuses it ("Verification of flatbuffer-encoded Footer
 * failed"). On top of Arrow C++: every string must be valid UTF-8 (as the format says).
 */

/** Why a flatbuffer is not valid; the caller names the flatbuffer (footer, record batch N). */
export class FlatbufferError extends Error {}

const MAX_DEPTH = 64;
const MAX_TABLES = 1_000_000;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Arrow's Type union: which member is which table (the ones a trace uses are checked field by field). */
const TYPE_INT = 2;
const TYPE_BOOL = 6;
const TYPE_FIXED_SIZE_LIST = 16;
const TYPE_MAX = 26;
/** Arrow's MessageHeader union. */
const HEADER_SCHEMA = 1;
const HEADER_DICTIONARY_BATCH = 2;
const HEADER_RECORD_BATCH = 3;
const HEADER_TENSOR = 4;
const HEADER_SPARSE_TENSOR = 5;

class Verifier {
  private depth = 0;
  private tables = 0;
  private readonly size: number;

  constructor(private readonly view: DataView) {
    this.size = view.byteLength;
  }

  fail(what: string): never {
    throw new FlatbufferError(what);
  }

  /** `bytes` bytes at `at` lie inside the buffer and `at` is aligned to `align`. */
  check(at: number, bytes: number, align: number, what: string): void {
    if (at < 0 || at + bytes > this.size)
      this.fail(`${what}: offset ${at} (+${bytes}) lies outside the ${this.size} bytes`);
    if (at % align !== 0) this.fail(`${what}: offset ${at} is not aligned to ${align}`);
  }

  /** The table at `at`: returns a reader of its fields (each field checked when read). */
  table(at: number, what: string): Table {
    if (++this.tables > MAX_TABLES) this.fail(`${what}: more than ${MAX_TABLES} tables`);
    this.check(at, 4, 4, `${what} table`);
    const vtable = at - this.view.getInt32(at, true);
    this.check(vtable, 2, 2, `${what} vtable`);
    const vsize = this.view.getUint16(vtable, true);
    if (vsize % 2 !== 0 || vsize < 4) this.fail(`${what} vtable: size ${vsize}`);
    this.check(vtable, vsize, 2, `${what} vtable`);
    return new Table(this, this.view, at, vtable, vsize, what);
  }

  /** Follow the uoffset at `at` (aligned, positive, inside the buffer). */
  follow(at: number, what: string): number {
    this.check(at, 4, 4, what);
    const offset = this.view.getUint32(at, true);
    if (offset === 0 || offset > 0x7fffffff) this.fail(`${what}: offset ${offset}`);
    const target = at + offset;
    if (target >= this.size)
      this.fail(`${what}: offset ${target} lies outside the ${this.size} bytes`);
    return target;
  }

  /** A vector at `at` of `length` elements of `elementBytes` (its data aligned to `align`): its data start and length. */
  vector(
    at: number,
    elementBytes: number,
    align: number,
    what: string,
  ): { start: number; length: number } {
    this.check(at, 4, 4, `${what} vector`);
    const length = this.view.getUint32(at, true);
    if (length * elementBytes > this.size)
      this.fail(`${what}: ${length} elements run past the buffer`);
    this.check(at + 4, length * elementBytes, align, `${what} vector`);
    return { start: at + 4, length };
  }

  /** A string at `at`: its bytes, with the terminating zero after them, as UTF-8. */
  string(at: number, what: string): string {
    const { start, length } = this.vector(at, 1, 1, what);
    if (start + length >= this.size) this.fail(`${what}: no terminating zero byte`);
    if (this.view.getUint8(start + length) !== 0)
      this.fail(`${what}: no terminating zero byte after the string`);
    try {
      return utf8.decode(new Uint8Array(this.view.buffer, this.view.byteOffset + start, length));
    } catch {
      return this.fail(`${what}: not valid UTF-8`);
    }
  }

  enter(what: string): void {
    if (++this.depth > MAX_DEPTH) this.fail(`${what}: nested more than ${MAX_DEPTH} deep`);
  }

  leave(): void {
    this.depth--;
  }
}

class Table {
  constructor(
    private readonly verifier: Verifier,
    private readonly view: DataView,
    private readonly at: number,
    private readonly vtable: number,
    private readonly vsize: number,
    readonly what: string,
  ) {}

  /** Absolute position of field `id`, or null when absent. */
  private field(id: number): number | null {
    const slot = 4 + 2 * id;
    if (slot + 2 > this.vsize) return null;
    const offset = this.view.getUint16(this.vtable + slot, true);
    return offset === 0 ? null : this.at + offset;
  }

  /** A scalar field of `bytes` bytes (aligned to its size): checked, its position (null when absent). */
  scalar(id: number, bytes: number, name: string): number | null {
    const at = this.field(id);
    if (at !== null) this.verifier.check(at, bytes, bytes, `${this.what}.${name}`);
    return at;
  }

  uint8(id: number, name: string): number {
    const at = this.scalar(id, 1, name);
    return at === null ? 0 : this.view.getUint8(at);
  }

  offset(id: number, name: string): number | null {
    const at = this.field(id);
    return at === null ? null : this.verifier.follow(at, `${this.what}.${name}`);
  }

  table(id: number, name: string): Table | null {
    const at = this.offset(id, name);
    return at === null ? null : this.verifier.table(at, `${this.what}.${name}`);
  }

  string(id: number, name: string): string | null {
    const at = this.offset(id, name);
    return at === null ? null : this.verifier.string(at, `${this.what}.${name}`);
  }

  /** A vector of structs or scalars (element size; like flatbuffers' Verifier, only the length is checked for alignment, to 4). */
  vector(id: number, elementBytes: number, align: number, name: string): void {
    const at = this.offset(id, name);
    if (at !== null)
      this.verifier.vector(at, elementBytes, Math.min(align, 4), `${this.what}.${name}`);
  }

  /** A vector of tables: each verified by `each`. */
  tables(id: number, name: string, each: (table: Table, index: number) => void): void {
    const at = this.offset(id, name);
    if (at === null) return;
    const { start, length } = this.verifier.vector(at, 4, 4, `${this.what}.${name}`);
    this.verifier.enter(`${this.what}.${name}`);
    for (let i = 0; i < length; i++)
      each(
        this.verifier.table(
          this.verifier.follow(start + 4 * i, `${this.what}.${name}[${i}]`),
          `${this.what}.${name}[${i}]`,
        ),
        i,
      );
    this.verifier.leave();
  }

  /** A vector of strings. */
  strings(id: number, name: string): void {
    const at = this.offset(id, name);
    if (at === null) return;
    const { start, length } = this.verifier.vector(at, 4, 4, `${this.what}.${name}`);
    for (let i = 0; i < length; i++)
      this.verifier.string(
        this.verifier.follow(start + 4 * i, `${this.what}.${name}[${i}]`),
        `${this.what}.${name}[${i}]`,
      );
  }

  /** Re-root this table's reader under another name (for the messages of nested tables). */
  named(what: string): Table {
    return new Table(this.verifier, this.view, this.at, this.vtable, this.vsize, what);
  }
}

function keyValues(table: Table, id: number): void {
  table.tables(id, 'custom_metadata', (kv) => {
    kv.string(0, 'key');
    kv.string(1, 'value');
  });
}

/** A Type union member (the type tables' fields; members a trace never has are checked as tables). */
function typeTable(type: number, table: Table): void {
  if (type === TYPE_INT) {
    table.scalar(0, 4, 'bitWidth');
    table.scalar(1, 1, 'is_signed');
  } else if (type === TYPE_FIXED_SIZE_LIST) {
    table.scalar(0, 4, 'listSize');
  } else if (type === TYPE_BOOL) {
    // no fields
  } else if (type === 3 || type === 8 || type === 11 || type === 18) {
    table.scalar(0, 2, 'unit');
  } else if (type === 7) {
    table.scalar(0, 4, 'precision');
    table.scalar(1, 4, 'scale');
    table.scalar(2, 4, 'bitWidth');
  } else if (type === 9) {
    table.scalar(0, 2, 'unit');
    table.scalar(1, 4, 'bitWidth');
  } else if (type === 10) {
    table.scalar(0, 2, 'unit');
    table.string(1, 'timezone');
  } else if (type === 14) {
    table.scalar(0, 2, 'mode');
    table.vector(1, 4, 4, 'typeIds');
  } else if (type === 15) {
    table.scalar(0, 4, 'byteWidth');
  } else if (type === 17) {
    table.scalar(0, 1, 'keysSorted');
  }
}

function field(verifier: Verifier, table: Table): void {
  verifier.enter(table.what);
  table.string(0, 'name');
  table.scalar(1, 1, 'nullable');
  const type = table.uint8(2, 'type_type');
  const member = table.table(3, 'type');
  if (member !== null && type >= 1 && type <= TYPE_MAX) typeTable(type, member);
  const dictionary = table.table(4, 'dictionary');
  if (dictionary !== null) {
    dictionary.scalar(0, 8, 'id');
    const index = dictionary.table(1, 'indexType');
    if (index !== null) typeTable(TYPE_INT, index);
    dictionary.scalar(2, 1, 'isOrdered');
    dictionary.scalar(3, 2, 'dictionaryKind');
  }
  table.tables(5, 'children', (child) => field(verifier, child));
  keyValues(table, 6);
  verifier.leave();
}

function schema(verifier: Verifier, table: Table): void {
  table.scalar(0, 2, 'endianness');
  table.tables(1, 'fields', (f) => field(verifier, f));
  keyValues(table, 2);
  table.vector(3, 8, 8, 'features');
}

function root(verifier: Verifier, view: DataView, what: string): Table {
  if (view.byteLength < 8) verifier.fail(`${what}: ${view.byteLength} bytes`);
  return verifier.table(verifier.follow(0, `${what} root`), what);
}

/** Verify an Arrow file footer (Footer flatbuffer); throws FlatbufferError naming the first problem. */
export function verifyFooter(view: DataView): void {
  const verifier = new Verifier(view);
  const footer = root(verifier, view, 'Footer');
  footer.scalar(0, 2, 'version');
  const s = footer.table(1, 'schema');
  if (s !== null) schema(verifier, s);
  footer.vector(2, 24, 8, 'dictionaries');
  footer.vector(3, 24, 8, 'recordBatches');
  keyValues(footer, 4);
}

/** Verify an encapsulated IPC message (Message flatbuffer); throws FlatbufferError naming the first problem. */
export function verifyMessage(view: DataView): void {
  const verifier = new Verifier(view);
  const message = root(verifier, view, 'Message');
  message.scalar(0, 2, 'version');
  const type = message.uint8(1, 'header_type');
  const header = message.table(2, 'header');
  if (header !== null) {
    if (type === HEADER_SCHEMA) schema(verifier, header);
    else if (type === HEADER_RECORD_BATCH) recordBatch(header);
    else if (type === HEADER_DICTIONARY_BATCH) {
      header.scalar(0, 8, 'id');
      const data = header.table(1, 'data');
      if (data !== null) recordBatch(data);
      header.scalar(2, 1, 'isDelta');
    } else if (type !== HEADER_TENSOR && type !== HEADER_SPARSE_TENSOR && type !== 0) {
      // an unknown union member: the verifier of Arrow C++ accepts it; the reader refuses it
    }
  }
  message.scalar(3, 8, 'bodyLength');
  keyValues(message, 4);
}

function recordBatch(batch: Table): void {
  batch.scalar(0, 8, 'length');
  batch.vector(1, 16, 8, 'nodes');
  batch.vector(2, 16, 8, 'buffers');
  const compression = batch.table(3, 'compression');
  if (compression !== null) {
    compression.scalar(0, 1, 'codec');
    compression.scalar(1, 1, 'method');
  }
  batch.vector(4, 8, 8, 'variadicBufferCounts');
}
