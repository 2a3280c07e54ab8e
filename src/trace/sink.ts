import * as arrow from 'apache-arrow';
import { closeSync, write, writeSync } from 'node:fs';

const STAGE_BYTES = 1 << 20;
/** Background mode: bytes written but not yet on their way to the file beyond which `backpressure` waits. */
const MAX_PENDING_BYTES = 16 << 20;

export interface FileSinkOptions {
  /**
   * Write in the background (libuv's thread pool) while the caller builds the next batch: every
   * byte is copied into a staging buffer first (the caller reuses its arrays), and the caller
   * must wait on `backpressure()` between batches and on `settled()` before closing the file.
   * Else each staging buffer is written synchronously when full.
   */
  readonly background?: boolean;
}

/**
 * A byte sink for apache-arrow's writers that writes to a file descriptor through 1 MiB
 * staging buffers, so a batch is on its way to disk before the caller reuses its typed arrays,
 * and memory stays bounded. A failed write is raised by the next call.
 */
export class FileSink extends arrow.AsyncByteQueue {
  private readonly background: boolean;
  private stage: Uint8Array;
  private staged = 0;
  /** Staging buffers free for reuse (background mode). */
  private readonly free: Uint8Array[] = [];
  private position = 0;
  private pending = 0;
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private closeWhenIdle = false;
  bytesWritten = 0;

  constructor(
    private readonly fd: number,
    options: FileSinkOptions = {},
  ) {
    super();
    this.background = options.background ?? false;
    this.stage = new Uint8Array(STAGE_BYTES);
  }

  override write(value: ArrayBufferView | ArrayBuffer): void {
    this.raise();
    const chunk = value instanceof Uint8Array ? value : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value);
    if (!this.background && chunk.byteLength >= STAGE_BYTES) {
      // Large chunks go straight to the file (they are written before the caller goes on).
      this.flush();
      this.writeAll(chunk);
    } else {
      for (let done = 0; done < chunk.byteLength; ) {
        const take = Math.min(chunk.byteLength - done, STAGE_BYTES - this.staged);
        this.stage.set(chunk.subarray(done, done + take), this.staged);
        this.staged += take;
        done += take;
        if (this.staged === STAGE_BYTES) this.flush();
      }
    }
    this.bytesWritten += chunk.byteLength;
  }

  /** Send the staged bytes to the file (background: start their write). */
  flush(): void {
    this.raise();
    if (this.staged === 0) return;
    const bytes = this.stage.subarray(0, this.staged);
    if (!this.background) {
      this.writeAll(bytes);
    } else {
      const stage = this.stage;
      this.pending += bytes.byteLength;
      const done = (error: Error | null) => {
        this.pending -= bytes.byteLength;
        if (error === null) this.free.push(stage);
        else this.failure ??= error;
        if (this.pending === 0 && this.closeWhenIdle) this.closeNow();
        this.notify();
      };
      this.writeAt(bytes, this.position).then(() => done(null), done);
      this.position += bytes.byteLength;
      this.stage = this.free.pop() ?? new Uint8Array(STAGE_BYTES);
    }
    this.staged = 0;
  }

  override close(): void {
    this.flush();
  }

  /** Background mode: resolves once few enough bytes are in flight to stage another batch (undefined: no need to wait). */
  backpressure(): Promise<void> | undefined {
    this.raise();
    return this.pending > MAX_PENDING_BYTES ? this.until(() => this.pending <= MAX_PENDING_BYTES) : undefined;
  }

  /** Resolves when every byte staged so far is in the file; rejects with the first failed write. */
  settled(): Promise<void> {
    this.flush();
    return this.until(() => this.pending === 0);
  }

  /**
   * Close the file descriptor once no write is in flight (at once if none): a write still
   * queued when its descriptor is closed could land in a file opened later under its number.
   */
  abandon(): void {
    this.closeWhenIdle = true;
    if (this.pending === 0) this.closeNow();
  }

  /** One background write of `bytes` at `position`, whole (a short write is continued). */
  writeAt(bytes: Uint8Array, position: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const step = (done: number) =>
        write(this.fd, bytes, done, bytes.byteLength - done, position + done, (error, written) => {
          if (error !== null) reject(error);
          else if (done + written < bytes.byteLength) step(done + written);
          else resolve();
        });
      step(0);
    });
  }

  private until(condition: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.failure !== null) reject(this.failure);
        else if (condition()) resolve();
        else this.wake = check;
      };
      check();
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private closeNow(): void {
    this.closeWhenIdle = false;
    try {
      closeSync(this.fd);
    } catch {
      /* already closed */
    }
  }

  private raise(): void {
    if (this.failure !== null) throw this.failure;
  }

  private writeAll(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(this.fd, bytes, done, bytes.byteLength - done);
  }
}
