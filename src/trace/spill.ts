import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A scratch file in `directory`, opened read-write; its name is removed at once where the OS
 * allows (so it vanishes with the process), else by `dispose`.
 */
function openScratch(directory: string, prefix: string): { fd: number; path: string } {
  const path = join(directory, `.${prefix}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.bin`);
  const fd = openSync(path, 'w+');
  try {
    rmSync(path);
  } catch {
    /* removed in dispose() instead */
  }
  return { fd, path };
}

function closeScratch(fd: number, path: string): void {
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
  rmSync(path, { force: true });
}

export { AccessKind } from '../runtime/access.js';

const ADDRESSES = 257; // 0..255 cells, 256 = no access
const CHUNK = 8192; // entries per in-memory chunk
const WORDS = 2; // per entry: step, (value & 0xffff) | kind << 16

/**
 * Accesses bucketed by address, each bucket in step order, with full chunks spilled to a
 * temporary file: reading the buckets in address order yields the log sorted by
 * (address, step) while memory stays bounded (257 chunks) however long the run.
 */
export class AccessSpill {
  private readonly buffers: Int32Array[] = [];
  private readonly fill = new Int32Array(ADDRESSES);
  private readonly chunks: number[][] = Array.from({ length: ADDRESSES }, () => []);
  private readonly path: string;
  private fd: number;
  private offset = 0;
  count = 0;

  constructor(directory = tmpdir()) {
    ({ fd: this.fd, path: this.path } = openScratch(directory, 'tvm-trace-accesses'));
  }

  push(addr: number, step: number, value: number, kind: number): void {
    if (addr < 0 || addr >= ADDRESSES) throw new RangeError(`access address ${addr} outside 0..${ADDRESSES - 1}`);
    let buffer = this.buffers[addr];
    if (buffer === undefined) buffer = this.buffers[addr] = new Int32Array(CHUNK * WORDS);
    const at = this.fill[addr] * WORDS;
    buffer[at] = step;
    buffer[at + 1] = (value & 0xffff) | (kind << 16);
    this.count++;
    if (++this.fill[addr] === CHUNK) {
      const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      writeSync(this.fd, bytes, 0, bytes.length, this.offset);
      this.chunks[addr].push(this.offset);
      this.offset += bytes.length;
      this.fill[addr] = 0;
    }
  }

  /** Entries in (address, step) order, delivered in slices of up to `max` entries. */
  *sorted(max: number): Generator<SortedSlice> {
    const slice: SortedSlice = { length: 0, addr: new Int32Array(max), step: new Int32Array(max), value: new Int32Array(max), kind: new Int8Array(max) };
    const scratch = new Int32Array(CHUNK * WORDS);
    const scratchBytes = new Uint8Array(scratch.buffer);
    for (let addr = 0; addr < ADDRESSES; addr++) {
      const sources: Array<[Int32Array, number]> = [];
      for (const offset of this.chunks[addr]) sources.push([scratch, -offset - 1]);
      if (this.fill[addr] > 0) sources.push([this.buffers[addr], this.fill[addr]]);
      for (const [source, marker] of sources) {
        let entries = marker;
        if (marker < 0) {
          readSync(this.fd, scratchBytes, 0, scratchBytes.length, -marker - 1);
          entries = CHUNK;
        }
        for (let e = 0; e < entries; e++) {
          const i = slice.length;
          slice.addr[i] = addr;
          slice.step[i] = source[e * WORDS];
          const packed = source[e * WORDS + 1];
          slice.value[i] = ((packed & 0xffff) << 16) >> 16;
          slice.kind[i] = packed >>> 16;
          if (++slice.length === max) {
            yield slice;
            slice.length = 0;
          }
        }
      }
    }
    if (slice.length > 0) yield slice;
  }

  dispose(): void {
    closeScratch(this.fd, this.path);
  }
}

export interface SortedSlice {
  length: number;
  addr: Int32Array;
  step: Int32Array;
  value: Int32Array;
  kind: Int8Array;
}

/** Fixed-width int32 records appended to a scratch file and read back in order. */
export class RecordSpill {
  private readonly buffer: Int32Array;
  private fill = 0;
  private readonly fd: number;
  private readonly path: string;
  private offset = 0;
  count = 0;

  constructor(
    readonly width: number,
    private readonly chunkRecords = 65536,
    directory = tmpdir(),
  ) {
    this.buffer = new Int32Array(width * chunkRecords);
    ({ fd: this.fd, path: this.path } = openScratch(directory, 'tvm-trace-records'));
  }

  /** Space for the next record; fill its `width` entries from the returned index. */
  append(): number {
    if (this.fill === this.chunkRecords) this.flush();
    this.count++;
    return this.fill++ * this.width;
  }

  get current(): Int32Array {
    return this.buffer;
  }

  private flush(): void {
    const bytes = new Uint8Array(this.buffer.buffer, 0, this.fill * this.width * 4);
    writeSync(this.fd, bytes, 0, bytes.length, this.offset);
    this.offset += bytes.length;
    this.fill = 0;
  }

  /** All records in order, in chunks: (records, count). */
  *chunks(): Generator<[Int32Array, number]> {
    this.flush();
    const scratch = new Int32Array(this.width * this.chunkRecords);
    const bytes = new Uint8Array(scratch.buffer);
    for (let at = 0; at < this.offset; ) {
      const got = readSync(this.fd, bytes, 0, Math.min(bytes.length, this.offset - at), at);
      if (got <= 0) throw new Error('scratch file ended early');
      at += got;
      yield [scratch, got / 4 / this.width];
    }
  }

  dispose(): void {
    closeScratch(this.fd, this.path);
  }
}
