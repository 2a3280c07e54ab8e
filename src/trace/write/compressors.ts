/**
 * Body compression off the main thread. The export copies each finished batch into shared
 * memory (pooled: as many as batches in flight), hands its fill buffers back at once, and a worker
 * compresses the copy while the main thread fills the next batches; the batch is written, in
 * order, when its frames are back. apache-arrow's writer still lays out the body: its codec is
 * swapped for a lookup of the frames made for exactly these buffers (withFrames), and any
 * buffer it asks for that was not compressed ahead is compressed there, so the bytes are those
 * of the in-thread export whatever happens.
 *
 * Why: zstd in WebAssembly compresses a trace at about 0.9 GB/s, 0.13 s of CPU per million
 * rows of long_loop, as long as the rest of the export takes; in the main thread it halved
 * the export's rows/s. One worker on 2 cores gains 4% at 1M steps and 11% at 10M (the cores
 * are then both busy); with more cores the bound rises (not measured here; bench/RESULTS.md,
 * "Compressed traces").
 */
import type { Worker } from 'node:worker_threads';
import type { BodyCodec } from '../format/codecs.js';
import { TraceBuffers, type ColumnData } from '../format/layout.js';
import type { CompressReply, CompressRequest } from './compress-worker.js';
import { siblingModule, startModuleWorker } from './worker-thread.js';

/**
 * Rows [0, rows) of every column of `buffers`, copied into one shared memory (taken from `pool`
 * when one there is large enough, so memory stays bounded): exactly the bytes the writer will
 * compress. Give the memory (copy.data[0].buffer) back to the pool once the batch is written.
 */
export function sharedCopy(
  buffers: TraceBuffers,
  rows: number,
  pool: SharedArrayBuffer[],
): TraceBuffers {
  const lengths = buffers.slots.map((_, i) => buffers.rowBytes(i, rows).byteLength);
  const offsets: number[] = [];
  let total = 0;
  for (const length of lengths) {
    offsets.push(total);
    total += (length + 7) & ~7;
  }
  const reused = pool.findIndex((memory) => memory.byteLength >= total);
  const memory =
    reused >= 0 ? pool.splice(reused, 1)[0] : new SharedArrayBuffer(Math.max(8, total));
  const data = buffers.slots.map((slot, i): ColumnData => {
    const source = buffers.data[i];
    const copy = new (source.constructor as new (
      buffer: ArrayBufferLike,
      offset: number,
      length: number,
    ) => ColumnData)(memory, offsets[i], lengths[i] / source.BYTES_PER_ELEMENT);
    copy.set(source.subarray(0, copy.length));
    return copy;
  });
  return TraceBuffers.wrap(buffers.dims, rows, data);
}

/** The non-empty byte ranges of a shared copy, in column order (the order the writer compresses them). */
export function bodyBuffers(copy: TraceBuffers): Uint8Array[] {
  return copy.slots
    .map((_, i) => copy.rowBytes(i, copy.capacity))
    .filter((bytes) => bytes.byteLength > 0);
}

/** Worker threads compressing batches, jobs handed out in turn. */
export class Compressors {
  private readonly workers: Worker[];
  private readonly jobs = new Map<
    number,
    { resolve(frames: Uint8Array[]): void; reject(error: Error): void }
  >();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(
    private readonly codec: BodyCodec,
    threads: number,
  ) {
    this.workers = Array.from({ length: threads }, () =>
      startModuleWorker(siblingModule(import.meta.url, 'compress-worker'), null),
    );
    for (const worker of this.workers) {
      worker.on('message', (reply: CompressReply) => {
        const job = this.jobs.get(reply.id);
        this.jobs.delete(reply.id);
        if ('error' in reply) job?.reject(new Error(`compression worker: ${reply.error}`));
        else job?.resolve(reply.frames);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        if (this.jobs.size > 0)
          this.fail(new Error(`compression worker stopped (exit code ${code})`));
      });
    }
  }

  /** Batches in flight that keep every worker busy while the main thread fills the next. */
  get depth(): number {
    return 2 * this.workers.length;
  }

  /** The frames of `buffers` (views of shared memory, not copied). */
  compress(buffers: Uint8Array[]): Promise<Uint8Array[]> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    const promise = new Promise<Uint8Array[]>((resolve, reject) =>
      this.jobs.set(id, { resolve, reject }),
    );
    this.workers[id % this.workers.length].postMessage({
      id,
      codec: this.codec,
      buffers,
    } satisfies CompressRequest);
    // A job abandoned by a failed or interrupted export must not become an unhandled rejection.
    promise.catch(() => undefined);
    return promise;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const job of this.jobs.values()) job.reject(this.failure);
    this.jobs.clear();
  }

  close(): void {
    this.jobs.clear();
    for (const worker of this.workers) void worker.terminate();
  }
}
