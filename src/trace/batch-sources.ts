import type { Worker } from 'node:worker_threads';
import type { CompiledProgram } from '../compiler/compile.js';
import type { Program } from '../isa/program.js';
import type { MachineSnapshot } from '../runtime/state.js';
import { BatchFiller } from './batch-filler.js';
import type { ExportWorkerData, FillReply, FillRequest } from './export-worker.js';
import { TraceBuffers, type TraceDims } from './layout.js';
import { siblingModule, startModuleWorker } from './worker-thread.js';

/** A batch of pass 2 with its execution-side columns filled (log columns still clear). */
export interface FilledBatch {
  readonly index: number;
  readonly buffers: TraceBuffers;
  readonly rows: number;
  /** Largest |hidden| or |output| of its rows (0 when none). */
  readonly maxAbs: number;
  /** The FFN machine's state after its last row. */
  readonly state: MachineSnapshot;
  /** Digest of its rows' memory accesses (AccessDigest). */
  readonly accesses: string;
}

/**
 * Where pass 2's batches come from: this thread, or worker threads each filling every n-th
 * batch from the reference run's state at its start (so they work side by side).
 */
export interface BatchSource {
  /** Batch `index` starts from `start` (the reference run's state there): it may be filled from now on. */
  schedule(index: number, start: MachineSnapshot): void;
  /** Scheduled batch `index`, filled. */
  next(index: number): FilledBatch | Promise<FilledBatch>;
  /** The caller is done with the batch (written out): its buffers may be refilled. */
  release(batch: FilledBatch): void;
  close(): void;
}

/** Pass 2 in this thread, into one reused set of buffers, batch after batch. */
export class InlineBatches implements BatchSource {
  private readonly filler: BatchFiller;
  private readonly buffers: TraceBuffers;
  private readonly starts = new Map<number, MachineSnapshot>();

  constructor(compiled: CompiledProgram, dims: TraceDims, batchRows: number, maxSteps: number) {
    this.filler = new BatchFiller(compiled, dims, batchRows, maxSteps);
    this.buffers = new TraceBuffers(dims, batchRows);
  }

  schedule(index: number, start: MachineSnapshot): void {
    this.starts.set(index, start);
  }

  next(index: number): FilledBatch {
    const start = this.starts.get(index);
    if (start === undefined) throw new Error(`internal error: batch ${index} was not scheduled`);
    this.starts.delete(index);
    return { index, buffers: this.buffers, ...this.filler.fill(this.buffers, start) };
  }

  release(): void {}
  close(): void {}
}

/**
 * Buffer sets lent to each worker (about 7.6 MB each at 65,536 rows of the long loop): one is
 * written here while the worker fills the others, up to this many batches ahead.
 */
const BUFFER_SETS_PER_WORKER = 3;

/** Pass 2 on worker threads (export-worker.ts): worker i fills batches i, i + n, i + 2n, … */
export class WorkerBatches implements BatchSource {
  private readonly workers: Worker[];
  /** Each worker's idle buffer sets, and the next batch index it is due to fill. */
  private readonly idle: TraceBuffers[][];
  private readonly due: number[];
  private readonly starts = new Map<number, MachineSnapshot>();
  private readonly filled = new Map<number, FilledBatch>();
  private readonly waiting = new Map<number, { resolve(batch: FilledBatch): void; reject(error: Error): void }>();
  private failure: Error | null = null;

  constructor(program: Program, dims: TraceDims, batchRows: number, maxSteps: number, threads: number) {
    const data: ExportWorkerData = { program, ffDim: dims.ffDim, batchRows, maxSteps };
    this.workers = Array.from({ length: threads }, () => startModuleWorker(siblingModule(import.meta.url, 'export-worker'), data));
    this.idle = this.workers.map(() => Array.from({ length: BUFFER_SETS_PER_WORKER }, () => TraceBuffers.shared(dims, batchRows)));
    this.due = this.workers.map((_, i) => i);
    for (const worker of this.workers) {
      worker.on('message', (reply: FillReply) => {
        if ('error' in reply) return this.fail(new Error(`export worker: ${reply.error}`));
        const batch: FilledBatch = { index: reply.index, buffers: TraceBuffers.wrap(dims, batchRows, reply.data), rows: reply.rows, maxAbs: reply.maxAbs, state: reply.state, accesses: reply.accesses };
        const waiter = this.waiting.get(batch.index);
        this.waiting.delete(batch.index);
        if (waiter === undefined) this.filled.set(batch.index, batch);
        else waiter.resolve(batch);
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => this.fail(new Error(`export worker exited (${code})`)));
    }
  }

  schedule(index: number, start: MachineSnapshot): void {
    this.starts.set(index, start);
    this.dispatch();
  }

  next(index: number): Promise<FilledBatch> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const batch = this.filled.get(index);
    if (batch !== undefined) {
      this.filled.delete(index);
      return Promise.resolve(batch);
    }
    return new Promise((resolve, reject) => this.waiting.set(index, { resolve, reject }));
  }

  release(batch: FilledBatch): void {
    this.idle[batch.index % this.workers.length].push(batch.buffers);
    this.dispatch();
  }

  close(): void {
    this.failure ??= new Error('export workers closed');
    for (const worker of this.workers) {
      worker.removeAllListeners('exit');
      void worker.terminate();
    }
  }

  /** Hand each worker its due batches, as far as their starts are known and it has idle buffers. */
  private dispatch(): void {
    if (this.failure !== null) return;
    this.workers.forEach((worker, i) => {
      for (;;) {
        const start = this.starts.get(this.due[i]);
        if (start === undefined || this.idle[i].length === 0) return;
        const buffers = this.idle[i].pop()!;
        this.starts.delete(this.due[i]);
        const request: FillRequest = { index: this.due[i], start, data: buffers.data };
        worker.postMessage(request);
        this.due[i] += this.workers.length;
      }
    });
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
