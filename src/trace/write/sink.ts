/** A synchronous, buffered file sink for apache-arrow's writers. */
import * as arrow from 'apache-arrow';
import { writeSync } from 'node:fs';

const STAGE_BYTES = 1 << 20;

/**
 * A byte sink for apache-arrow's writers that writes synchronously to a file descriptor
 * through a 1 MiB staging buffer, so a batch is on its way to disk before the caller
 * reuses its typed arrays, and nothing accumulates in memory.
 */
export class FileSink extends arrow.AsyncByteQueue {
  private readonly stage = new Uint8Array(STAGE_BYTES);
  private staged = 0;
  bytesWritten = 0;

  constructor(private readonly fd: number) {
    super();
  }

  override write(value: ArrayBufferView | ArrayBuffer): void {
    const chunk =
      value instanceof Uint8Array
        ? value
        : ArrayBuffer.isView(value)
          ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
          : new Uint8Array(value);
    if (chunk.byteLength === 0) return;
    if (this.staged + chunk.byteLength > STAGE_BYTES) this.flush();
    if (chunk.byteLength >= STAGE_BYTES) {
      this.writeAll(chunk);
    } else {
      this.stage.set(chunk, this.staged);
      this.staged += chunk.byteLength;
    }
    this.bytesWritten += chunk.byteLength;
  }

  flush(): void {
    if (this.staged > 0) this.writeAll(this.stage.subarray(0, this.staged));
    this.staged = 0;
  }

  override close(): void {
    this.flush();
  }

  private writeAll(bytes: Uint8Array): void {
    let done = 0;
    // At most 1 GiB per call: Node's write takes an int32 length.
    while (done < bytes.byteLength)
      done += writeSync(this.fd, bytes, done, Math.min(1 << 30, bytes.byteLength - done));
  }
}
