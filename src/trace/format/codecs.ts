/** Arrow IPC body compression (LZ4, Zstandard) for trace files, in both directions. */
import * as arrow from 'apache-arrow';
import {
  CodecError,
  codecsLoaded,
  decompressInto,
  loadFrameCodecs,
  lz4Compress,
  lz4DecompressInto,
  zstdCompress,
  zstdDecompressInto,
  ZSTD_LEVEL,
  type BodyCodec,
} from './frames.js';

/**
 * Arrow IPC body compression (BodyCompression, method BUFFER): each buffer of a record batch
 * is an int64 uncompressed length (-1: stored as is) followed by an LZ4 frame or a Zstandard
 * frame (the codecs: frames.ts), and how apache-arrow's writer is made to write it.
 */

export const COMPRESSIONS = ['none', 'lz4', 'zstd'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/** Arrow's CompressionType: LZ4_FRAME = 0, ZSTD = 1. */
export const ARROW_CODEC = { lz4: 0, zstd: 1 } as const;

export {
  CodecError,
  codecsLoaded,
  decompressInto,
  lz4Compress,
  lz4DecompressInto,
  zstdCompress,
  zstdDecompressInto,
  ZSTD_LEVEL,
  type BodyCodec,
};

/** Load the codecs (once; ~10 ms) and register them with apache-arrow's writer. Needed before any zstd (de)compression. */
export function loadCodecs(): Promise<void> {
  return loadFrameCodecs().then(() => {
    arrow.compressionRegistry.set(arrow.CompressionType.ZSTD, { encode: zstdCompress });
    arrow.compressionRegistry.set(arrow.CompressionType.LZ4_FRAME, { encode: lz4Compress });
  });
}

/** Buffers the writer asked for that had no frame made ahead (withFrames), since the process started: for tests. */
export const framesMissed = { count: 0 };

/**
 * Run `write` (an apache-arrow writer's write of one record batch) with `frames[i]` as the
 * compressed form of `inputs[i]`, made ahead (in a worker): the writer's codec returns each
 * frame when it is asked for exactly that input (same memory, offset and length), in order,
 * and compresses any other buffer itself. The registry's codec is restored afterwards.
 */
export function withFrames(
  codec: BodyCodec,
  inputs: readonly Uint8Array[],
  frames: readonly Uint8Array[],
  write: () => void,
): void {
  const type = codec === 'zstd' ? arrow.CompressionType.ZSTD : arrow.CompressionType.LZ4_FRAME;
  const compress = codec === 'zstd' ? zstdCompress : lz4Compress;
  // The registered codec's encode is swapped in place: registering a new codec would have
  // apache-arrow try it on a sample first.
  const registered = arrow.compressionRegistry.get(type) as {
    encode(data: Uint8Array): Uint8Array;
  } | null;
  if (registered === null)
    throw new Error('internal error: exporting compressed needs loadCodecs() awaited first');
  let next = 0;
  registered.encode = (data: Uint8Array): Uint8Array => {
    const input = inputs[next];
    if (
      input !== undefined &&
      data.buffer === input.buffer &&
      data.byteOffset === input.byteOffset &&
      data.byteLength === input.byteLength
    )
      return frames[next++];
    framesMissed.count++;
    return compress(data);
  };
  try {
    write();
  } finally {
    registered.encode = compress;
  }
}

/** apache-arrow's CompressionType for an export option (null: none). */
export function arrowCompressionType(compression: Compression): arrow.CompressionType | null {
  return compression === 'none'
    ? null
    : compression === 'zstd'
      ? arrow.CompressionType.ZSTD
      : arrow.CompressionType.LZ4_FRAME;
}

type CompressedBody = { byteLength: number; bufferRegions: unknown[]; buffers: Uint8Array[] };

/**
 * apache-arrow's RecordBatchFileWriter with body compression that other readers can read.
 * apache-arrow 21.2.0 writes the *compressed* length in each buffer's 8-byte prefix where the
 * Arrow format (and pyarrow, arrow-rs, Arrow C++) read the uncompressed length; this writer puts
 * the uncompressed length there. Everything else (framing, padding, the fallback to -1 for a
 * buffer that does not shrink) is apache-arrow's. test/interop holds pyarrow to it.
 */
export class CompressingFileWriter extends arrow.RecordBatchFileWriter {
  constructor(compressionType: arrow.CompressionType) {
    super({ compressionType });
    const self = this as unknown as {
      _compressBodyBuffers: (this: unknown, buffers: ArrayBufferView[]) => CompressedBody;
    };
    const compress = self._compressBodyBuffers;
    if (typeof compress !== 'function')
      throw new Error(
        'internal error: apache-arrow no longer has RecordBatchWriter._compressBodyBuffers',
      );
    self._compressBodyBuffers = (buffers: ArrayBufferView[]) => {
      const body = compress.call(this, buffers);
      if (body.buffers.length !== 2 * buffers.length)
        throw new Error('internal error: apache-arrow compressed body has an unexpected layout');
      buffers.forEach((buffer, i) => {
        const prefix = body.buffers[2 * i];
        if (prefix.byteLength !== 8) return; // an empty buffer: no prefix
        const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
        if (view.getBigInt64(0, true) !== -1n) view.setBigInt64(0, BigInt(buffer.byteLength), true);
      });
      return body;
    };
  }
}
