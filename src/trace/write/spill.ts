/** The memory accesses bucketed by address, spilled to a scratch file past a budget: the sorted log. */
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessTap } from '../../runtime/access.js';

/**
 * A scratch file in `directory`, opened read-write; its name is removed at once where the OS
 * allows (so it vanishes with the process), else by `dispose`.
 */
function openScratch(directory: string, prefix: string): { fd: number; path: string } {
  const path = join(
    directory,
    `.${prefix}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.bin`,
  );
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

const ADDRESSES = 257; // 0..255 cells, 256 = no access
const CHUNK = 8192; // entries per in-memory chunk
const WORDS = 2; // per entry: step, accessWord(value, kind)
/** Bits of an access's second word: value (16) then kind (2). */
export const ACCESS_WORD_BITS = 18;
/** An access's second word in the spill: its value's 16 bits, then its kind. */
export const accessWord = (value: number, kind: number) => (value & 0xffff) | (kind << 16);
const EMPTY = new Int32Array(0);
/** Full chunks stay in memory up to this many bytes per spill (a run of about 2M steps); later ones go to the scratch file. */
export const DEFAULT_MEMORY_BUDGET = 16 << 20;

/** A scratch file opened on first use (small runs never touch the disk). */
class ScratchFile {
  private file: { fd: number; path: string } | null = null;
  private end = 0;

  constructor(
    private readonly directory: string,
    private readonly prefix: string,
  ) {}

  /** Append bytes; returns the offset they were written at. */
  append(bytes: Uint8Array): number {
    this.file ??= openScratch(this.directory, this.prefix);
    const at = this.end;
    for (let done = 0; done < bytes.length; )
      done += writeSync(this.file.fd, bytes, done, bytes.length - done, at + done);
    this.end += bytes.length;
    return at;
  }

  get size(): number {
    return this.end;
  }

  /** Fill `into` from `offset` (which must lie inside what was appended); returns the bytes read. */
  read(into: Uint8Array, offset: number, length = into.length): number {
    if (this.file === null) throw new Error('scratch file read before any write');
    const got = readSync(this.file.fd, into, 0, length, offset);
    if (got <= 0) throw new Error('scratch file ended early');
    return got;
  }

  dispose(): void {
    if (this.file !== null) closeScratch(this.file.fd, this.file.path);
    this.file = null;
  }
}

/**
 * Accesses bucketed by address, each bucket in step order, full chunks kept in memory up to a
 * budget and spilled to a scratch file beyond it: reading the buckets in address order yields
 * the log sorted by (address, step) while memory stays bounded however long the run.
 */
export class AccessSpill {
  /** Each bucket's chunk being filled (empty until its first entry: most addresses are never used). */
  private readonly buffers: Int32Array[] = Array.from({ length: ADDRESSES }, () => EMPTY);
  private readonly fill = new Int32Array(ADDRESSES);
  /** Each bucket's full chunks in order: in memory, or the scratch file offset of one. */
  private readonly full: Array<Array<Int32Array | number>> = Array.from(
    { length: ADDRESSES },
    () => [],
  );
  private readonly scratch: ScratchFile;
  private inMemory = 0;
  count = 0;

  constructor(
    directory = tmpdir(),
    private readonly memoryBudget = DEFAULT_MEMORY_BUDGET,
  ) {
    this.scratch = new ScratchFile(directory, 'tvm-trace-accesses');
  }

  push(addr: number, step: number, value: number, kind: number): void {
    if (addr < 0 || addr >= ADDRESSES)
      throw new RangeError(`access address ${addr} outside 0..${ADDRESSES - 1}`);
    let buffer = this.buffers[addr];
    if (buffer.length === 0) buffer = this.buffers[addr] = new Int32Array(CHUNK * WORDS);
    const at = this.fill[addr] * WORDS;
    buffer[at] = step;
    buffer[at + 1] = accessWord(value, kind);
    this.count++;
    if (++this.fill[addr] === CHUNK) this.retire(addr);
  }

  /** Rows [0, tap.row) of an access tap, the first being step `firstStep`. */
  pushTap(tap: AccessTap, firstStep: number): void {
    const { addr, value, kind } = tap;
    for (let r = 0; r < tap.row; r++) this.push(addr[r], firstStep + r, value[r], kind[r]);
  }

  /** Bucket `addr`'s chunk is full: keep it (within the budget) or spill it, and start another. */
  private retire(addr: number): void {
    const buffer = this.buffers[addr];
    if (this.inMemory + buffer.byteLength <= this.memoryBudget) {
      this.full[addr].push(buffer);
      this.inMemory += buffer.byteLength;
      this.buffers[addr] = new Int32Array(CHUNK * WORDS);
    } else {
      this.full[addr].push(
        this.scratch.append(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)),
      );
    }
    this.fill[addr] = 0;
  }

  /**
   * The buckets' chunks in (address, step) order, each as [address, records, count]: records
   * hold `count` entries of two words, step then accessWord(value, kind). A chunk read
   * back from the scratch file lands in one reused buffer, valid until the next chunk, unless
   * `lasting` (then each gets its own: a reader that looks one chunk ahead).
   */
  *chunks(lasting = false): Generator<[number, Int32Array, number]> {
    let spilled = new Int32Array(CHUNK * WORDS);
    for (let addr = 0; addr < ADDRESSES; addr++) {
      for (const chunk of this.full[addr]) {
        if (typeof chunk === 'number') {
          if (lasting) spilled = new Int32Array(CHUNK * WORDS);
          const spilledBytes = new Uint8Array(spilled.buffer);
          for (let done = 0; done < spilledBytes.length; )
            done += this.scratch.read(spilledBytes.subarray(done), chunk + done);
          yield [addr, spilled, CHUNK];
        } else {
          yield [addr, chunk, CHUNK];
        }
      }
      if (this.fill[addr] > 0) yield [addr, this.buffers[addr], this.fill[addr]];
    }
  }

  /**
   * Entries in (address, step) order, delivered in slices of up to `max` entries. A full slice
   * is yielded once the entry after it is known, so `followingAddr` is that entry's address
   * (-1 after the last slice): whether a slice's last entry ends its address.
   */
  *sorted(max: number): Generator<SortedSlice> {
    const slice: SortedSlice = {
      length: 0,
      addr: new Int32Array(max),
      step: new Int32Array(max),
      value: new Int32Array(max),
      kind: new Int8Array(max),
      followingAddr: -1,
    };
    for (const [addr, source, entries] of this.chunks()) {
      for (let e = 0; e < entries; e++) {
        if (slice.length === max) {
          slice.followingAddr = addr;
          yield slice;
          slice.length = 0;
        }
        const i = slice.length++;
        slice.addr[i] = addr;
        slice.step[i] = source[e * WORDS];
        const packed = source[e * WORDS + 1];
        slice.value[i] = ((packed & 0xffff) << 16) >> 16;
        slice.kind[i] = packed >>> 16;
      }
    }
    slice.followingAddr = -1;
    if (slice.length > 0) yield slice;
  }

  dispose(): void {
    this.scratch.dispose();
  }
}

export interface SortedSlice {
  length: number;
  addr: Int32Array;
  step: Int32Array;
  value: Int32Array;
  kind: Int8Array;
  /** The address of the entry after the slice; -1 when the slice ends the log. */
  followingAddr: number;
}

/** Fixed-width int32 records appended in order, kept in memory up to a budget, then in a scratch file. */
export class RecordSpill {
  private buffer: Int32Array;
  private fill = 0;
  private readonly held: Int32Array[] = [];
  private readonly scratch: ScratchFile;
  count = 0;

  constructor(
    readonly width: number,
    private readonly chunkRecords = 65536,
    directory = tmpdir(),
    private readonly memoryBudget = DEFAULT_MEMORY_BUDGET,
  ) {
    this.buffer = new Int32Array(width * chunkRecords);
    this.scratch = new ScratchFile(directory, 'tvm-trace-records');
  }

  /** Append `count` records from `records` (`width` words each). */
  push(records: Int32Array, count: number): void {
    for (let done = 0; done < count; ) {
      if (this.fill === this.chunkRecords) this.flush();
      const take = Math.min(count - done, this.chunkRecords - this.fill);
      this.buffer.set(
        records.subarray(done * this.width, (done + take) * this.width),
        this.fill * this.width,
      );
      this.fill += take;
      done += take;
    }
    this.count += count;
  }

  /** The full current chunk: kept while the budget allows and nothing has gone to the file yet. */
  private flush(): void {
    if (
      this.scratch.size === 0 &&
      (this.held.length + 1) * this.buffer.byteLength <= this.memoryBudget
    ) {
      this.held.push(this.buffer);
      this.buffer = new Int32Array(this.width * this.chunkRecords);
    } else {
      this.scratch.append(new Uint8Array(this.buffer.buffer, 0, this.fill * this.width * 4));
    }
    this.fill = 0;
  }

  /** All records in order, in chunks: (records, count). */
  *chunks(): Generator<[Int32Array, number]> {
    for (const chunk of this.held) yield [chunk, this.chunkRecords];
    const scratch = new Int32Array(this.width * this.chunkRecords);
    const bytes = new Uint8Array(scratch.buffer);
    for (let at = 0; at < this.scratch.size; ) {
      const got = this.scratch.read(bytes, at, Math.min(bytes.length, this.scratch.size - at));
      if (got % (4 * this.width) !== 0) throw new Error('scratch file read a partial record');
      at += got;
      yield [scratch, got / 4 / this.width];
    }
    if (this.fill > 0) yield [this.buffer, this.fill];
  }

  dispose(): void {
    this.scratch.dispose();
  }
}
