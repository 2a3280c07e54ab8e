/** Where pass 2's batches come from: this thread, or worker threads sharing the buffers. */
import type { Worker } from 'node:worker_threads';
import type { CompiledProgram } from '../../compiler/compile.js';
import type { MachineSnapshot } from '../../runtime/state.js';
import { BatchFiller } from './batch-filler.js';
import type { ExportWorkerData, FillReply, FillRequest } from './export-worker.js';
import { FillMemory, fillShape } from './fill-memory.js';
import type { TraceBuffers, TraceDims } from '../format/layout.js';
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
 * Where pass 2's batches come from: this thread, or worker threads sharing them with this
 * thread, each batch filled from the reference run's state at its start.
 */
export interface BatchSource {
  /** Batch `index` starts from `start` (the reference run's state there): it may be filled from now on. */
  schedule(index: number, start: MachineSnapshot): void;
  /** Scheduled batch `index`, filled. */
  next(index: number): FilledBatch | Promise<FilledBatch>;
  /** The caller is done with the batch (written out): its buffers may be refilled. */
  release(batch: FilledBatch): void;
  close(): void;
  /** The fill memories whose buffers the batches come in. */
  readonly memories: readonly FillMemory[];
}

/** Pass 2 in this thread, into one reused set of buffers, batch after batch. */
export class InlineBatches implements BatchSource {
  private readonly filler: BatchFiller;
  private readonly buffers: TraceBuffers;
  private readonly starts = new Map<number, MachineSnapshot>();
  readonly memories: readonly FillMemory[];

  constructor(compiled: CompiledProgram, dims: TraceDims, batchRows: number, maxSteps: number) {
    const memory = new FillMemory(fillShape(compiled, dims, batchRows));
    this.filler = new BatchFiller(compiled, dims, batchRows, maxSteps, [memory]);
    this.buffers = memory.buffers;
    this.memories = [memory];
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
/** Buffer sets this thread fills into (it may fill a later batch while a worker's is pending). */
const LOCAL_BUFFER_SETS = 2;

/**
 * Pass 2 shared between worker threads (export-worker.ts) and this thread. A ready worker with
 * idle buffers takes the first batch past the one this thread is on that nobody has taken;
 * this thread fills the batch it needs itself when no worker took it, and while it waits for a
 * worker's batch it fills a later untaken one. So no thread idles while a batch is left, the
 * workers' start-up costs nothing (this thread fills meanwhile), and every batch is filled by
 * the same BatchFiller code from the reference run's state at its start: the bytes are the
 * same whoever fills them.
 */
export class WorkerBatches implements BatchSource {
  private readonly workers: Worker[];
  /** Per worker: the memories it fills (shared, one per buffer set), whether it started (its filler built), its idle buffer sets. */
  private readonly workerMemories: FillMemory[][];
  readonly memories: readonly FillMemory[];
  private readonly ready: boolean[];
  private readonly idle: TraceBuffers[][];
  private readonly local: BatchFiller;
  private readonly localIdle: TraceBuffers[];
  private readonly localSets = new Set<TraceBuffers>();
  private readonly starts = new Map<number, MachineSnapshot>();
  /** Batches taken by a worker (index → worker) until they come back. */
  private readonly taken = new Map<number, number>();
  private readonly filled = new Map<number, FilledBatch>();
  /** The batch the caller asks for next (it never goes back). */
  private position = 0;
  /** One past the last batch scheduled. */
  private scheduledEnd = 0;
  private wake: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(
    compiled: CompiledProgram,
    dims: TraceDims,
    batchRows: number,
    maxSteps: number,
    threads: number,
  ) {
    const shape = fillShape(compiled, dims, batchRows);
    this.workerMemories = Array.from({ length: threads }, () =>
      Array.from({ length: BUFFER_SETS_PER_WORKER }, () => new FillMemory(shape, { shared: true })),
    );
    this.workers = this.workerMemories.map((memories) => {
      const data: ExportWorkerData = {
        program: compiled.program,
        ffDim: dims.ffDim,
        batchRows,
        maxSteps,
        memories: memories.map((fill) => fill.memory),
      };
      return startModuleWorker(siblingModule(import.meta.url, 'export-worker'), data);
    });
    this.ready = this.workers.map(() => false);
    this.idle = this.workerMemories.map((memories) => memories.map((fill) => fill.buffers));
    const local = Array.from({ length: LOCAL_BUFFER_SETS }, () => new FillMemory(shape));
    this.local = new BatchFiller(compiled, dims, batchRows, maxSteps, local);
    this.localIdle = local.map((fill) => fill.buffers);
    this.memories = [...local, ...this.workerMemories.flat()];
    for (const set of this.localIdle) this.localSets.add(set);
    this.workers.forEach((worker, i) => {
      worker.on('message', (reply: FillReply) => {
        if ('error' in reply) return this.fail(new Error(`export worker: ${reply.error}`));
        if ('ready' in reply) {
          this.ready[i] = true;
        } else {
          this.taken.delete(reply.index);
          const { index, set, rows, maxAbs, state, accesses } = reply;
          this.filled.set(index, {
            index,
            buffers: this.workerMemories[i][set].buffers,
            rows,
            maxAbs,
            state,
            accesses,
          });
        }
        this.dispatch();
        this.notify();
      });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => this.fail(new Error(`export worker exited (${code})`)));
    });
  }

  schedule(index: number, start: MachineSnapshot): void {
    this.starts.set(index, start);
    this.scheduledEnd = Math.max(this.scheduledEnd, index + 1);
    this.dispatch();
  }

  async next(index: number): Promise<FilledBatch> {
    this.position = index;
    for (;;) {
      if (this.failure !== null) throw this.failure;
      const done = this.filled.get(index);
      if (done !== undefined) {
        this.filled.delete(index);
        return done;
      }
      if (!this.taken.has(index)) return this.fillHere(index);
      // A worker has it: fill a later batch nobody took meanwhile, else wait for a reply.
      const later = this.untaken(index + 1);
      if (later !== undefined && this.localIdle.length > 0)
        this.filled.set(later, this.fillHere(later));
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  release(batch: FilledBatch): void {
    if (this.localSets.has(batch.buffers)) this.localIdle.push(batch.buffers);
    else this.idle[this.workerOf.get(batch.index) ?? 0].push(batch.buffers);
    this.workerOf.delete(batch.index);
    this.dispatch();
  }

  close(): void {
    this.failure ??= new Error('export workers closed');
    for (const worker of this.workers) {
      worker.removeAllListeners('exit');
      void worker.terminate();
    }
  }

  /** Which worker filled a batch now in this thread's hands (its buffers go back to it). */
  private readonly workerOf = new Map<number, number>();

  /**
   * The first scheduled batch from `from` on that nobody has taken or filled. Batches are
   * scheduled in order and only a few past `from` are taken, so this looks at a few indexes.
   */
  private untaken(from: number): number | undefined {
    for (let index = from; index < this.scheduledEnd; index++)
      if (this.starts.has(index)) return index;
    return undefined;
  }

  private fillHere(index: number): FilledBatch {
    const start = this.starts.get(index);
    const buffers = this.localIdle.pop();
    if (start === undefined || buffers === undefined)
      throw new Error(`internal error: batch ${index} cannot be filled here`);
    this.starts.delete(index);
    return { index, buffers, ...this.local.fill(buffers, start) };
  }

  /** Hand each ready worker with idle buffers the first untaken batch past the caller's. */
  private dispatch(): void {
    if (this.failure !== null) return;
    this.workers.forEach((worker, i) => {
      while (this.ready[i] && this.idle[i].length > 0) {
        const index = this.untaken(this.position + 1);
        if (index === undefined) return;
        const buffers = this.idle[i].pop()!;
        const request: FillRequest = {
          index,
          start: this.starts.get(index)!,
          set: this.workerMemories[i].findIndex((fill) => fill.buffers === buffers),
        };
        this.starts.delete(index);
        this.taken.set(index, i);
        this.workerOf.set(index, i);
        worker.postMessage(request);
      }
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.notify();
  }
}
