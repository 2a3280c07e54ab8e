import { Worker } from 'node:worker_threads';
import type { ColumnData } from '../trace/layout.js';
import type { TraceBatch } from '../trace/reader.js';

/**
 * Runs the every-row scans of the compiled constraints on worker threads while the main thread
 * scans the transitions, reads the next batch and feeds the memory arguments. Each worker
 * scans every batch for its own share of the constraints (so each compiles only its share:
 * V8's optimising compile of one large scan function costs more than its share of the rows),
 * reading the batch's SharedArrayBuffer storage in place. The workers are plain JavaScript
 * built from the generated scan sources, so they need no module of ours.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
let every = null;
const failed = new Int32Array(4096);
function rows(scan, D, O, start, end) {
  const found = [];
  let from = start;
  while (from < end) {
    const n = scan(D, O, from, end, failed);
    for (let i = 0; i < n; i++) found.push(failed[i]);
    if (n < failed.length || found.length >= 65536) break;
    from = failed[n - 1] + 1;
  }
  return Int32Array.from(found);
}
parentPort.on('message', (message) => {
  try {
    if (message.kind === 'init') {
      every = message.every === null ? null : new Function(message.every)();
      return;
    }
    const { id, data, offsets, count } = message;
    const found = every === null ? new Int32Array(0) : rows(every, data, offsets, 0, count);
    // Copied, not transferred: detaching an ArrayBuffer invalidates V8's detach protector, which
    // throws away every optimised function of this thread that reads typed arrays.
    parentPort.postMessage({ id, every: found });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

/** What one worker scans: its share of the every-row constraints (a compiled scan's source). */
export interface ScanShare {
  readonly every: string | null;
}

interface Reply {
  id: number;
  every: Int32Array;
  error?: string;
}

interface Pending {
  readonly replies: Int32Array[];
  resolve(rows: Int32Array): void;
  reject(error: Error): void;
}

/** Ascending union of ascending row lists. */
function union(lists: readonly Int32Array[]): Int32Array {
  const nonEmpty = lists.filter((list) => list.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? new Int32Array(0);
  return Int32Array.from(new Set(nonEmpty.flatMap((list) => Array.from(list)))).sort();
}

export class ParallelScanner {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;

  /** Starts `threads` workers at once (their start-up overlaps the caller's); `init` gives them their shares. */
  constructor(threads: number) {
    this.workers = Array.from({ length: threads }, () => this.start());
  }

  /** Each worker's share, one per thread, before the first scan. */
  init(shares: readonly ScanShare[]): void {
    if (shares.length !== this.workers.length) throw new RangeError(`${shares.length} scan shares for ${this.workers.length} workers`);
    shares.forEach((share, i) => this.workers[i].postMessage({ kind: 'init', ...share }));
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      if (waiting === undefined) return;
      if (reply.error !== undefined) {
        this.pending.delete(reply.id);
        waiting.reject(new Error(`constraint scan failed: ${reply.error}`));
        return;
      }
      waiting.replies.push(reply.every);
      if (waiting.replies.length < this.workers.length) return;
      this.pending.delete(reply.id);
      // Rows where some worker's share may fail (detailed on the main thread), ascending.
      waiting.resolve(union(waiting.replies));
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (this.pending.size > 0) this.fail(new Error(`constraint scan worker exited (${code})`));
    });
    return worker;
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  /**
   * Scan a batch on every worker: resolves to the rows where an every-row constraint may fail.
   * Columns over SharedArrayBuffer storage are read in place (the batch must stay unchanged
   * until the result); others are copied to each worker.
   */
  scan(batch: TraceBatch): Promise<Int32Array> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const data: ColumnData[] = [...batch.data];
    const message = { kind: 'batch', id: this.nextId++, data, offsets: [...batch.bitOffset], count: batch.rows };
    return new Promise<Int32Array>((resolve, reject) => {
      this.pending.set(message.id, { replies: [], resolve, reject });
      for (const worker of this.workers) worker.postMessage(message);
    });
  }

  async close(): Promise<void> {
    // Scans still pending here belong to a check that is already throwing (e.g. an unreadable
    // record batch): drop them, or the workers' exit would reject promises nobody awaits.
    this.pending.clear();
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
