import { Worker } from 'node:worker_threads';
import type { ColumnData } from '../trace/layout.js';
import type { TraceBatch } from '../trace/reader.js';

/**
 * Runs the row scans of the compiled constraint sets on a second thread while the main
 * thread reads the next batch and feeds the memory arguments. The worker is plain
 * JavaScript built from the generated scan source, so it needs no module of ours.
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
  for (let i = 0; i < end; i++) {
    const v = values[i];
    if (v > max) max = v;
    else if (-v > max) max = -v;
  }
  return max;
}
parentPort.on('message', (message) => {
  try {
    if (message.kind === 'init') {
      every = new Function('D', 'O', 'start', 'end', 'failedRows', message.every);
      transition = new Function('D', 'O', 'start', 'end', 'failedRows', message.transition);
      wide = message.wide;
      return;
    }
    const { id, data, offsets, count } = message;
    const e = rows(every, data, offsets, 0, count);
    const t = rows(transition, data, offsets, 0, count - 1);
    let maxAbs = 0;
    for (const c of wide) maxAbs = largest(data[c], maxAbs, count * message.widths[c]);
    // The columns go back with the verdict, for detailing failures and reuse.
    const buffers = [...new Set(data.map((d) => d.buffer))];
    parentPort.postMessage({ id, every: e, transition: t, maxAbs, data }, [e.buffer, t.buffer, ...buffers]);
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

export interface ScanResult {
  /** The batch again (its columns came back from the worker). */
  readonly batch: TraceBatch;
  /** Rows of the batch where an every-row constraint may fail (detail them on the main thread). */
  readonly every: Int32Array;
  /** Rows r where a transition from r to r + 1 may fail. */
  readonly transition: Int32Array;
  /** Largest |value| in the batch's `wide` columns (0 when none). */
  readonly maxAbs: number;
}

interface Pending {
  resolve(result: ScanResult): void;
  reject(error: Error): void;
  /** The batch as sent (rows, first row, bit offsets of the columns sent). */
  readonly sent: { rows: number; firstRow: number; bitOffset: number[]; storageBytes: number | null };
}

export class ParallelScanner {
  private readonly workers: Worker[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;

  /** `threads` workers take batches in turn; they also measure the largest |value| of the `wide` columns. */
  constructor(everySource: string, transitionSource: string, wide: readonly number[], threads = 1) {
    this.workers = Array.from({ length: Math.max(1, threads) }, () => this.start(everySource, transitionSource, wide));
  }

  get threads(): number {
    return this.workers.length;
  }

  private start(everySource: string, transitionSource: string, wide: readonly number[]): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (message: { id: number; every?: Int32Array; transition?: Int32Array; maxAbs?: number; data?: ColumnData[]; error?: string }) => {
      const waiting = this.pending.get(message.id);
      if (waiting === undefined) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting.reject(new Error(`constraint scan failed: ${message.error}`));
      else {
        const { sent } = waiting;
        const data = message.data!;
        // The storage came back as the buffer of the views over it (sent transferred, so detached here).
        const storage = sent.storageBytes === null ? undefined : (data.find((d) => d.buffer.byteLength === sent.storageBytes)?.buffer as ArrayBuffer | undefined);
        const batch: TraceBatch = { rows: sent.rows, firstRow: sent.firstRow, data, bitOffset: sent.bitOffset, storage };
        waiting.resolve({ batch, every: message.every!, transition: message.transition!, maxAbs: message.maxAbs! });
      }
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => {
      if (this.pending.size > 0) this.fail(new Error(`constraint scan worker exited (${code})`));
    });
    worker.postMessage({ kind: 'init', every: everySource, transition: transitionSource, wide });
    return worker;
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  /**
   * Scan a batch on a worker. A batch with its own storage is sent whole (transferred: its
   * columns are unusable here until the result brings them back); others are copied compactly.
   */
  scan(batch: TraceBatch, slots: ReadonlyArray<{ spec: { type: string }; width: number }>): Promise<ScanResult> {
    if (this.failure !== null) return Promise.reject(this.failure);
    let data: ColumnData[];
    let offsets: number[];
    let transfer: ArrayBuffer[];
    if (batch.storage !== undefined) {
      data = [...batch.data];
      offsets = [...batch.bitOffset];
      transfer = [...new Set(data.map((d) => d.buffer as ArrayBuffer))];
    } else {
      data = [];
      offsets = [];
      transfer = [];
      slots.forEach((slot, i) => {
        const source = batch.data[i];
        if (slot.spec.type === 'bool') {
          const offset = batch.bitOffset[i];
          const first = offset >> 3;
          const last = (offset + batch.rows * slot.width + 7) >> 3;
          // 8 spare bytes: the generated code reads whole 32-bit windows, up to 6 bytes past a bit.
          const copy = (source as Uint8Array).slice(first, last + 8);
          data.push(copy);
          offsets.push(offset & 7);
          transfer.push(copy.buffer as ArrayBuffer);
        } else {
          const copy = source.slice(0, batch.rows * slot.width);
          data.push(copy);
          offsets.push(0);
          transfer.push(copy.buffer as ArrayBuffer);
        }
      });
    }
    const id = this.nextId++;
    const widths = slots.map((slot) => slot.width);
    return new Promise<ScanResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, sent: { rows: batch.rows, firstRow: batch.firstRow, bitOffset: offsets, storageBytes: batch.storage?.byteLength ?? null } });
      this.workers[id % this.workers.length].postMessage({ kind: 'batch', id, data, offsets, count: batch.rows, widths }, transfer);
    });
  }

  async close(): Promise<void> {
    // Scans still pending here belong to a check that is already throwing (e.g. an unreadable
    // record batch): drop them, or the worker's exit would reject promises nobody awaits.
    this.pending.clear();
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
