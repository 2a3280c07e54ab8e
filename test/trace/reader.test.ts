/**
 * The trace reader's batches: read into its own storage or into areas the caller gives (the
 * checker reads straight into its scanner's memory); a buffer not on an 8-byte boundary (which
 * Arrow C++ refuses) is refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { columnIndex } from '../../src/air/columns.js';
import { checkTrace } from '../../src/check/check.js';
import { assemble } from '../../src/isa/assemble.js';
import { exportTrace } from '../../src/trace/write/export.js';
import { preflightTrace } from '../../src/trace/read/preflight.js';
import { openTrace, readCell, type TraceBatch } from '../../src/trace/read/reader.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fibonacci = join(dir, 'fibonacci.arrow');
exportTrace(assemble(readFileSync('programs/fibonacci.tvm', 'utf8')), fibonacci, {
  maxSteps: 1000,
  batchRows: 10,
});

/** Every cell of every batch, by (column, row, entry). */
async function cells(
  path: string,
  into?: (bytes: number) => Uint8Array | undefined,
): Promise<{ values: number[]; batches: TraceBatch[] }> {
  const trace = await openTrace(path, { readAhead: true });
  const values: number[] = [];
  const batches: TraceBatch[] = [];
  try {
    for await (const batch of trace.batches(into)) {
      batches.push(batch);
      trace.slots.forEach((slot, column) => {
        for (let row = 0; row < batch.rows; row++)
          for (let entry = 0; entry < slot.width; entry++)
            values.push(readCell(batch, trace.slots, column, row, entry));
      });
      trace.release(batch);
    }
  } finally {
    await trace.close();
  }
  return { values, batches };
}

/**
 * The trace with the values of column `pc` in batch 0 moved one byte further into their
 * buffer's padding, and the buffer's offset in the batch header moved with them: an int16
 * buffer at an odd offset. `edit` may change the moved bytes.
 */
function misaligned(edit?: (values: Uint8Array) => void): string {
  const bytes = new Uint8Array(readFileSync(fibonacci));
  const [batch] = preflightTrace(fibonacci).batches;
  // Buffers per column: validity, values (scalar columns); pc is the fourth column (buffer 7).
  const pcValues = 2 * columnIndex('pc') + 1;
  const [offset, length] = [batch.buffers[2 * pcValues], batch.buffers[2 * pcValues + 1]];
  // Arrow pads each buffer to 8 bytes: 10 int16 values have 4 bytes of padding to move into.
  const used = 2 * batch.rows;
  expect(length - used).toBeGreaterThanOrEqual(1);
  const pattern = new Uint8Array(new BigInt64Array([BigInt(offset), BigInt(length)]).buffer);
  const header = bytes.subarray(0, batch.bodyOffset);
  const at = header.findIndex((_, i) => pattern.every((b, k) => header[i + k] === b));
  expect(at).toBeGreaterThan(0);
  new DataView(bytes.buffer).setBigInt64(at, BigInt(offset + 1), true);
  new DataView(bytes.buffer).setBigInt64(at + 8, BigInt(length - 1), true);
  const start = batch.bodyOffset + offset;
  bytes.copyWithin(start + 1, start, start + used);
  edit?.(bytes.subarray(start + 1, start + 1 + used));
  const path = join(dir, `misaligned-${Math.random().toString(36).slice(2)}.arrow`);
  writeFileSync(path, bytes);
  return path;
}

describe('the trace reader', () => {
  it("reads into the caller's areas the same cells as into its own storage", async () => {
    const own = await cells(fibonacci);
    const areas = [new Uint8Array(1 << 16), new Uint8Array(1 << 16)];
    let turn = 0;
    const given = await cells(fibonacci, (bytes) => areas[turn++ % 2].subarray(0, bytes));
    expect(given.values).toEqual(own.values);
    expect(own.values.length).toBeGreaterThan(1000);
    // A batch read into a given area views it and is not the reader's to reuse.
    expect(
      given.batches.every(
        (batch) =>
          batch.storage === undefined &&
          batch.data.every((column) => areas.some((area) => area.buffer === column.buffer)),
      ),
    ).toBe(true);
    expect(own.batches.every((batch) => batch.storage !== undefined)).toBe(true);
    // An area the caller does not give (undefined) is the reader's own storage.
    expect((await cells(fibonacci, () => undefined)).values).toEqual(own.values);
  });

  it('refuses a buffer at an offset that is not a multiple of 8, as Arrow C++ does ("did not start on 8-byte aligned offset")', async () => {
    const moved = misaligned();
    await expect(checkTrace(moved)).rejects.toThrow(
      'record batch 0: buffer 7 starts at offset 57 of the body, not on an 8-byte boundary',
    );
  });
});
