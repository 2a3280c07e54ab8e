import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTrace } from '../../src/check/check.js';
import { assemble } from '../../src/isa/assemble.js';
import { exportTrace } from '../../src/trace/export.js';
import { TraceEdit } from '../support/trace-edit.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-parallel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const program = (name: string) => assemble(readFileSync(new URL(`../../programs/${name}.tvm`, import.meta.url), 'utf8'));

/** Same verdict and same failures, in the same order, whether rows are scanned here or on a worker. */
async function bothWays(path: string) {
  const serial = await checkTrace(path, { parallel: false, maxFailures: 50 });
  const parallel = await checkTrace(path, { parallel: true, maxFailures: 50 });
  expect(parallel.failures).toEqual(serial.failures);
  expect(parallel.failureCount).toBe(serial.failureCount);
  expect(parallel.ok).toBe(serial.ok);
  return serial;
}

describe('the worker-thread scanner', () => {
  it('accepts what the serial checker accepts, across many small batches', async () => {
    const path = join(dir, 'fib.arrow');
    exportTrace(program('fibonacci'), path, { maxSteps: 1000, batchRows: 7 });
    const report = await bothWays(path);
    expect(report.ok).toBe(true);
    expect(report.rows).toBe(103);
  });

  it('reports the same failures as the serial checker, including rows at batch edges', async () => {
    const path = join(dir, 'fact.arrow');
    exportTrace(program('factorial_recursive'), path, { maxSteps: 1000, batchRows: 8 });
    const edit = TraceEdit.read(path);
    // Row 7 is the last of its batch, row 8 the first of the next, row 20 inside one.
    edit.set('hidden', 7, edit.get('hidden', 7, 0) + 1, 0);
    edit.set('next_acc', 8, edit.get('next_acc', 8) + 1);
    edit.set('step', 20, edit.get('step', 20) + 1);
    const tampered = join(dir, 'fact-tampered.arrow');
    edit.write(tampered);
    const report = await bothWays(tampered);
    expect(report.ok).toBe(false);
    const names = report.failures.map((f) => `${f.row}:${f.constraint}`);
    expect(names).toContain('7:ffn.hidden[k=0]');
    expect(names).toContain('8:controls.next_acc_bits');
    expect(names).toContain('19:continuity.step');
  });

  it('names log and access addresses outside 0..256 in the memory argument, both ways', async () => {
    const path = join(dir, 'fib-addr.arrow');
    exportTrace(program('fibonacci'), path, { maxSteps: 1000, batchRows: 16 });
    const edit = TraceEdit.read(path);
    edit.set('log_addr', 3, 300);
    edit.set('access_addr', 5, -2);
    const tampered = join(dir, 'fib-addr-tampered.arrow');
    edit.write(tampered);
    const report = await bothWays(tampered);
    expect(report.ok).toBe(false);
    const memory = report.failures.filter((f) => f.constraint === 'memory.permutation').map((f) => f.message);
    expect(memory).toContain('row 5: access_addr -2 is outside 0..256');
    expect(memory).toContain('log row 3: log_addr 300 is outside 0..256');
  });
});
