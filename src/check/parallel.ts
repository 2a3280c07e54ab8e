import { Worker } from 'node:worker_threads';
import type { ColumnData } from '../trace/layout.js';
import type { TraceBatch } from '../trace/reader.js';

/**
 * Runs the row scans of the compiled constraint sets on worker threads while the main thread
 * reads the next batch and feeds the memory arguments. Each worker scans every batch for its
 * own share of the constraints (so each compiles only its share: V8's optimising compile of
 * one large scan function costs more than its share of the rows), reading the batch's
 * SharedArrayBuffer storage in place. The workers are plain JavaScript built from the
 * generated scan sources, so they need no module of ours.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
let every = null;
let transition = null;
let wide = [];
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
function largest(values, max, end) {
  let low = 0;
  let high = 0;
  for (let i = 0; i < end; i++) {
    const v = values[i];
    if (v > high) high = v;
    if (v < low) low = v;
  }
  return Math.max(max, high, -low);
}
parentPort.on('message', (message) => {
  try {
    if (message.kind === 'init') {
      const make = (source) => source === null ? null : new Function(source)();
      every = make(message.every);
      transition = make(message.transition);
      wide = message.wide;
      return;
    }
    const { id, data, offsets, count, widths } = message;
    const e = every === null ? null : rows(every, data, offsets, 0, count);
    const t = transition === null ? null : rows(transition, data, offsets, 0, count - 1);
    let maxAbs = 0;
    for (const c of wide) maxAbs = largest(data[c], maxAbs, count * widths[c]);
    // Copied, not transferred: detaching an ArrayBuffer invalidates V8's detach protector, which
    // throws away every optimised function of this thread that reads typed arrays.
    parentPort.postMessage({ id, every: e, transition: t, maxAbs });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

/** What one worker scans: its share of the every-row constraints, maybe the transitions and the widest columns. */
export interface ScanShare {
  readonly every: string | null;
  readonly transition: string | null;
  /** Int32 columns whose largest |value| this worker measures. */
  readonly wide: readonly number[];
}

export interface ScanResult {
  /** Rows of the batch where an every-row constraint may fail (detail them on the main thread), ascending. */
  readonly every: Int32Array;
  /** Rows r where a transition from r to r + 1 may fail, ascending. */
  readonly transition: Int32Array;
  /** Largest |value| in the batch's wide columns (0 when none). */
  readonly maxAbs: number;
}

interface Reply {
  id: number;
  every: Int32Array | null;
  transition: Int32Array | null;
  maxAbs: number;
  error?: string;
}

interface Pending {
  readonly replies: Reply[];
  resolve(result: ScanResult): void;
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
      waiting.replies.push(reply);
      if (waiting.replies.length < this.workers.length) return;
      this.pending.delete(reply.id);
      const replies = waiting.replies;
      waiting.resolve({
        every: union(replies.flatMap((r) => (r.every === null ? [] : [r.every]))),
        transition: union(replies.flatMap((r) => (r.transition === null ? [] : [r.transition]))),
        maxAbs: Math.max(0, ...replies.map((r) => r.maxAbs)),
      });
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
   * Scan a batch on every worker. Columns over SharedArrayBuffer storage are read in place
   * (the batch must stay unchanged until the result); others are copied to each worker.
   */
  scan(batch: TraceBatch, slots: ReadonlyArray<{ width: number }>): Promise<ScanResult> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const data: ColumnData[] = [...batch.data];
    const message = { kind: 'batch', id: this.nextId++, data, offsets: [...batch.bitOffset], count: batch.rows, widths: slots.map((slot) => slot.width) };
    return new Promise<ScanResult>((resolve, reject) => {
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
