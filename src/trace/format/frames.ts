/** LZ4 and Zstandard frames without apache-arrow, for the compression workers. */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The compression frames of trace bodies, without apache-arrow (so a compression worker loads
 * in 20 ms, not 100): Zstandard from @bokuweb/zstd-wasm (the zstd C library compiled to
 * WebAssembly), LZ4 frames written by lz4js (pure JavaScript) and read by the strict frame
 * decoder below (it writes straight into the reader's memory, follows linked blocks, checks
 * every bound and every checksum a frame carries). No native add-on either way.
 */

export type BodyCodec = 'lz4' | 'zstd';

/** zstd level of `export --compression zstd` (1: as small as 3 on traces and faster; measured in bench/RESULTS.md). */
export const ZSTD_LEVEL = 1;

/** A compressed buffer that does not decode to its stated length, or is not a valid frame. */
export class CodecError extends Error {}

interface ZstdModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _ZSTD_compress(dst: number, capacity: number, src: number, size: number, level: number): number;
  _ZSTD_compressBound(size: number): number;
  _ZSTD_decompress(dst: number, capacity: number, src: number, size: number): number;
  _ZSTD_isError(code: number): number;
}

const require = createRequire(import.meta.url);
let zstd: ZstdModule | null = null;
let loading: Promise<void> | null = null;

/** Load the WebAssembly codec (once; ~10 ms). Needed before any zstd (de)compression. */
export function loadFrameCodecs(): Promise<void> {
  loading ??= (async () => {
    const library = require('@bokuweb/zstd-wasm') as { init(): Promise<void> };
    await library.init();
    // The emscripten module itself (malloc, ZSTD_decompress into a buffer of known size): beside
    // the package's entry point, which its "exports" map does not list.
    zstd = (
      require(join(dirname(require.resolve('@bokuweb/zstd-wasm')), 'module.js')) as {
        Module: ZstdModule;
      }
    ).Module;
  })();
  return loading;
}

export function codecsLoaded(): boolean {
  return zstd !== null;
}

function zstdModule(): ZstdModule {
  if (zstd === null) throw new Error('internal error: loadCodecs() was not awaited');
  return zstd;
}

/** Scratch memory inside the codec's heap, grown as needed and kept (one compression at a time). */
const scratch = { src: 0, srcBytes: 0, dst: 0, dstBytes: 0 };
function heapArea(module: ZstdModule, which: 'src' | 'dst', bytes: number): number {
  const size = which === 'src' ? scratch.srcBytes : scratch.dstBytes;
  if (size >= bytes && bytes > 0) return scratch[which];
  if (scratch[which] !== 0) module._free(scratch[which]);
  const grown = Math.max(bytes, Math.ceil(size * 1.5), 1 << 16);
  const pointer = module._malloc(grown);
  if (pointer === 0) {
    scratch[which] = 0;
    if (which === 'src') scratch.srcBytes = 0;
    else scratch.dstBytes = 0;
    throw new CodecError(`cannot allocate ${bytes} bytes for zstd`);
  }
  scratch[which] = pointer;
  if (which === 'src') scratch.srcBytes = grown;
  else scratch.dstBytes = grown;
  return pointer;
}

/** One zstd frame of `data` (level ZSTD_LEVEL, content size stored; deterministic). */
export function zstdCompress(data: Uint8Array): Uint8Array {
  const module = zstdModule();
  const bound = module._ZSTD_compressBound(data.byteLength);
  const src = heapArea(module, 'src', data.byteLength);
  const dst = heapArea(module, 'dst', bound);
  module.HEAPU8.set(data, src);
  const written = module._ZSTD_compress(dst, bound, src, data.byteLength, ZSTD_LEVEL);
  if (module._ZSTD_isError(written)) throw new CodecError('zstd compression failed');
  return module.HEAPU8.slice(dst, dst + written);
}

/** Decode zstd frames `data` into all of `out`: they must hold exactly out.byteLength bytes. */
export function zstdDecompressInto(data: Uint8Array, out: Uint8Array): void {
  const module = zstdModule();
  const src = heapArea(module, 'src', data.byteLength);
  // One byte more than expected, so a frame that holds more is caught rather than cut.
  const dst = heapArea(module, 'dst', out.byteLength + 1);
  module.HEAPU8.set(data, src);
  const written = module._ZSTD_decompress(dst, out.byteLength + 1, src, data.byteLength);
  if (module._ZSTD_isError(written))
    throw new CodecError(
      'not a valid zstd frame (or a frame that decodes to more bytes than stated)',
    );
  if (written !== out.byteLength)
    throw new CodecError(`decodes to ${written} bytes, stated ${out.byteLength}`);
  out.set(module.HEAPU8.subarray(dst, dst + written));
}

// ---- LZ4 frames ----

const lz4js = require('lz4js') as { compress(data: Uint8Array): Uint8Array };
const xxh32 = (
  require('lz4js/xxh32.js') as {
    hash: (seed: number, data: Uint8Array, index: number, length: number) => number;
  }
).hash;

/** One LZ4 frame of `data` (lz4js: 4 MiB blocks, no checksums; deterministic). */
export function lz4Compress(data: Uint8Array): Uint8Array {
  const frame = lz4js.compress(data);
  return frame instanceof Uint8Array ? frame : Uint8Array.from(frame);
}

const LZ4_MAGIC = 0x184d2204;
const BLOCK_MAX = [0, 0, 0, 0, 1 << 16, 1 << 18, 1 << 20, 1 << 22];

/**
 * Decode LZ4 frames (the LZ4 frame format, as LZ4F and lz4js write them; skippable frames
 * skipped) into all of `out`, which they must fill exactly. Every length, offset and checksum is
 * checked; a frame with a dictionary id is refused (no dictionary travels with a trace).
 */
export function lz4DecompressInto(data: Uint8Array, out: Uint8Array): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let s = 0;
  let d = 0;
  const need = (bytes: number) => {
    if (s + bytes > data.byteLength) throw new CodecError('the LZ4 frame is truncated');
  };
  let frames = 0;
  while (s < data.byteLength) {
    need(4);
    const magic = view.getUint32(s, true);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      need(8);
      const skip = view.getUint32(s + 4, true);
      s += 8;
      need(skip);
      s += skip;
      continue;
    }
    if (magic !== LZ4_MAGIC)
      throw new CodecError(
        frames === 0 ? 'not an LZ4 frame (bad magic)' : 'bytes after the LZ4 frame',
      );
    frames++;
    s += 4;
    need(3);
    const descriptor = s;
    const flags = data[s++];
    const bd = data[s++];
    if (flags >> 6 !== 1) throw new CodecError(`LZ4 frame version ${flags >> 6} (1 expected)`);
    if ((flags & 0x02) !== 0 || (bd & 0x8f) !== 0)
      throw new CodecError('LZ4 frame descriptor has reserved bits set');
    const blockChecksum = (flags & 0x10) !== 0;
    const contentSize = (flags & 0x08) !== 0;
    const contentChecksum = (flags & 0x04) !== 0;
    if ((flags & 0x01) !== 0) throw new CodecError('LZ4 frame needs a dictionary');
    const blockMax = BLOCK_MAX[(bd >> 4) & 7];
    if (blockMax === 0) throw new CodecError('LZ4 frame block size is invalid');
    let declared = -1;
    if (contentSize) {
      need(8);
      const high = view.getUint32(s + 4, true);
      declared =
        high >= 2 ** 21 ? Number.MAX_SAFE_INTEGER : high * 2 ** 32 + view.getUint32(s, true);
      s += 8;
    }
    need(1);
    if (data[s] !== ((xxh32(0, data, descriptor, s - descriptor) >>> 8) & 0xff))
      throw new CodecError('LZ4 frame descriptor checksum mismatch');
    s++;
    const frameStart = d;
    for (;;) {
      need(4);
      const word = view.getUint32(s, true);
      s += 4;
      if (word === 0) break;
      const stored = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (size > blockMax)
        throw new CodecError(`LZ4 block of ${size} bytes exceeds the frame's ${blockMax}`);
      need(size + (blockChecksum ? 4 : 0));
      if (blockChecksum && view.getUint32(s + size, true) !== xxh32(0, data, s, size) >>> 0)
        throw new CodecError('LZ4 block checksum mismatch');
      const before = d;
      if (stored) {
        if (d + size > out.byteLength)
          throw new CodecError(`decodes to more bytes than stated (${out.byteLength})`);
        out.set(data.subarray(s, s + size), d);
        d += size;
      } else {
        d = lz4Block(data, s, s + size, out, d, frameStart);
      }
      if (d - before > blockMax)
        throw new CodecError(`LZ4 block decodes to more than the frame's ${blockMax} bytes`);
      s += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) {
      need(4);
      if (view.getUint32(s, true) !== xxh32(0, out, frameStart, d - frameStart) >>> 0)
        throw new CodecError('LZ4 content checksum mismatch');
      s += 4;
    }
    if (declared >= 0 && declared !== d - frameStart)
      throw new CodecError(`LZ4 frame states ${declared} bytes and holds ${d - frameStart}`);
  }
  if (frames === 0) throw new CodecError('no LZ4 frame');
  if (d !== out.byteLength) throw new CodecError(`decodes to ${d} bytes, stated ${out.byteLength}`);
}

/** One LZ4 block [s, end) of `src` into `out` from `d`; matches may reach back to `floor`. Returns the new end. */
function lz4Block(
  src: Uint8Array,
  s: number,
  end: number,
  out: Uint8Array,
  d: number,
  floor: number,
): number {
  const capacity = out.byteLength;
  for (;;) {
    if (s >= end) throw new CodecError('LZ4 block ends inside a sequence');
    const token = src[s++];
    let literals = token >>> 4;
    if (literals === 15) {
      let more: number;
      do {
        if (s >= end) throw new CodecError('LZ4 block ends inside a length');
        more = src[s++];
        literals += more;
      } while (more === 255);
    }
    if (literals > 0) {
      if (s + literals > end) throw new CodecError('LZ4 literals run past their block');
      if (d + literals > capacity)
        throw new CodecError(`decodes to more bytes than stated (${capacity})`);
      if (literals < 16) for (let i = 0; i < literals; i++) out[d + i] = src[s + i];
      else out.set(src.subarray(s, s + literals), d);
      s += literals;
      d += literals;
    }
    if (s === end) return d; // the last sequence has literals only
    if (s + 2 > end) throw new CodecError('LZ4 block ends inside a match offset');
    const offset = src[s] | (src[s + 1] << 8);
    s += 2;
    if (offset === 0 || d - offset < floor)
      throw new CodecError('LZ4 match offset reaches before the frame');
    let length = (token & 15) + 4;
    if ((token & 15) === 15) {
      let more: number;
      do {
        if (s >= end) throw new CodecError('LZ4 block ends inside a length');
        more = src[s++];
        length += more;
      } while (more === 255);
    }
    if (d + length > capacity)
      throw new CodecError(`decodes to more bytes than stated (${capacity})`);
    let from = d - offset;
    if (offset >= length && length >= 32) {
      out.copyWithin(d, from, from + length);
      d += length;
    } else {
      // Overlapping (a run): byte by byte, as the format defines it.
      for (const stop = d + length; d < stop; ) out[d++] = out[from++];
    }
  }
}

/** Decode one compressed buffer (without its 8-byte length prefix) into `out`. */
export function decompressInto(codec: BodyCodec, data: Uint8Array, out: Uint8Array): void {
  if (codec === 'zstd') zstdDecompressInto(data, out);
  else lz4DecompressInto(data, out);
}
