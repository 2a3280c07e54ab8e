import { Worker } from 'node:worker_threads';
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
      every = new Function('D', 'O', 'start', 'end', 'failedRows', message.every);
      transition = new Function('D', 'O', 'start', 'end', 'failedRows', message.transition);
      return;
    }
    const { id, data, offsets, count } = message;
    const e = rows(every, data, offsets, 0, count);
    const t = rows(transition, data, offsets, 0, count - 1);
    parentPort.postMessage({ id, every: e, transition: t }, [e.buffer, t.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: String(error && error.message || error) });
  }
});
`;

export interface ScanResult {
  /** Rows of the batch where an every-row constraint may fail (detail them on the main thread). */
  readonly every: Int32Array;
  /** Rows r where a transition from r to r + 1 may fail. */
  readonly transition: Int32Array;
}

interface Pending {
  resolve(result: ScanResult): void;
  reject(error: Error): void;
}

export class ParallelScanner {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(everySource: string, transitionSource: string) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.on('message', (message: { id: number; every?: Int32Array; transition?: Int32Array; error?: string }) => {
      const waiting = this.pending.get(message.id);
      if (waiting === undefined) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) waiting.reject(new Error(`constraint scan failed: ${message.error}`));
      else waiting.resolve({ every: message.every!, transition: message.transition! });
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (this.pending.size > 0) this.fail(new Error(`constraint scan worker exited (${code})`));
    });
    this.worker.postMessage({ kind: 'init', every: everySource, transition: transitionSource });
  }

  private fail(error: Error): void {
    this.failure = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  /** Scan a batch on the worker. Its columns are copied compactly (the batch stays usable). */
  scan(batch: TraceBatch, slots: ReadonlyArray<{ spec: { type: string }; width: number }>): Promise<ScanResult> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const data: ArrayBufferView[] = [];
    const offsets: number[] = [];
    const transfer: ArrayBuffer[] = [];
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
    const id = this.nextId++;
    return new Promise<ScanResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ kind: 'batch', id, data, offsets, count: batch.rows }, transfer);
    });
  }

  async close(): Promise<void> {
    // Scans still pending here belong to a check that is already throwing (e.g. an unreadable
    // record batch): drop them, or the worker's exit would reject promises nobody awaits.
    this.pending.clear();
    await this.worker.terminate();
  }
}
