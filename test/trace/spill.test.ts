/**
 * The export's and checker's scratch storage: accesses bucketed by address come back sorted by
 * (address, step), and records come back in order, whether they stayed in memory, went to the
 * scratch file, or both; and the scratch file exists only while needed.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AccessSpill, RecordSpill } from '../../src/trace/write/spill.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-spill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic stream of accesses over few addresses (so buckets fill several chunks). */
function accesses(count: number) {
  const list: Array<{ addr: number; step: number; value: number; kind: number }> = [];
  let seed = 12345;
  for (let step = 0; step < count; step++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const addr = seed % 7 === 0 ? 256 : (seed >>> 8) % 5;
    list.push({
      addr,
      step,
      value: ((seed >>> 3) & 0xffff) - 32768,
      kind: addr === 256 ? 0 : 1 + ((seed >>> 20) & 1),
    });
  }
  return list;
}

const BUDGETS: Array<[string, number]> = [
  ['all in memory', 1 << 30],
  ['all in the scratch file', 0],
  ['in memory, then in the scratch file', 3 * 8192 * 8],
];

describe('AccessSpill', () => {
  it.each(BUDGETS)('%s: sorted by (address, step), every field intact', (_name, budget) => {
    const input = accesses(100_000);
    const spill = new AccessSpill(dir, budget);
    for (const a of input) spill.push(a.addr, a.step, a.value, a.kind);
    const expected = [...input].sort((x, y) => x.addr - y.addr || x.step - y.step);
    const got: typeof input = [];
    for (const slice of spill.sorted(4096)) {
      for (let i = 0; i < slice.length; i++)
        got.push({
          addr: slice.addr[i],
          step: slice.step[i],
          value: slice.value[i],
          kind: slice.kind[i],
        });
    }
    expect(spill.count).toBe(input.length);
    expect(got).toEqual(expected);
    spill.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('rejects an address outside 0..256', () => {
    const spill = new AccessSpill(dir);
    expect(() => spill.push(257, 0, 0, 1)).toThrow('access address 257 outside 0..256');
    expect(() => spill.push(-1, 0, 0, 1)).toThrow('access address -1 outside 0..256');
    spill.dispose();
  });
});

describe('RecordSpill', () => {
  it.each(BUDGETS)('%s: every record back, in order', (_name, budget) => {
    const spill = new RecordSpill(3, 1000, dir, budget === 3 * 8192 * 8 ? 2 * 1000 * 12 : budget);
    const count = 10_500;
    // Pushed in runs of uneven length, so runs straddle chunks.
    for (let i = 0; i < count; ) {
      const run = Math.min(count - i, 1 + (i % 2345));
      spill.push(
        Int32Array.from(
          { length: 3 * run },
          (_, k) =>
            [i + Math.floor(k / 3), 1 - i - Math.floor(k / 3), (i + Math.floor(k / 3)) * 7][k % 3],
        ),
        run,
      );
      i += run;
    }
    expect(spill.count).toBe(count);
    const got: number[] = [];
    for (const [records, n] of spill.chunks())
      for (let i = 0; i < n; i++) got.push(records[3 * i], records[3 * i + 1], records[3 * i + 2]);
    expect(got).toEqual(Array.from({ length: count }, (_, i) => [i, 1 - i, i * 7]).flat());
    spill.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('keeps a small run off the disk', () => {
    const spill = new RecordSpill(2, 100, dir);
    for (let i = 0; i < 10; i++) spill.push(new Int32Array(200), 100);
    expect(readdirSync(dir)).toEqual([]);
    spill.dispose();
  });
});
