/** A worker thread that compresses record batch buffers for the export (see compressors.ts). */
import { parentPort } from 'node:worker_threads';
import { loadFrameCodecs, lz4Compress, zstdCompress, type BodyCodec } from '../format/frames.js';

/** Main → worker: compress each of `buffers` (views of shared memory) with `codec`. */
export interface CompressRequest {
  readonly id: number;
  readonly codec: BodyCodec;
  readonly buffers: readonly Uint8Array[];
}

/** Worker → main: one frame per buffer, in order (their memory transferred), or the failure. */
export type CompressReply =
  | { readonly id: number; readonly frames: Uint8Array[] }
  | { readonly id: number; readonly error: string };

const port = parentPort!;
const ready = loadFrameCodecs();
port.on('message', (request: CompressRequest) => {
  void ready
    .then(() => {
      const frames = request.buffers.map((buffer) =>
        request.codec === 'zstd' ? zstdCompress(buffer) : lz4Compress(buffer),
      );
      port.postMessage(
        { id: request.id, frames } satisfies CompressReply,
        frames.map((frame) => frame.buffer as ArrayBuffer),
      );
    })
    .catch((error: unknown) =>
      port.postMessage({
        id: request.id,
        error: error instanceof Error ? error.message : String(error),
      } satisfies CompressReply),
    );
});
