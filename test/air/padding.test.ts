/**
 * The padding rows of schemas/air-v2.json (`padding`): a prover appends them to reach a
 * power-of-two height, and they must satisfy every constraint and argument by construction.
 * Each golden trace is padded as the AIR document says and checked: the only rule it then
 * breaks is the file rule witness.rows (a file holds the steps only).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_ADDR_BITS, LOG_GAP_BITS, NO_ACCESS_ADDR } from '../../src/air/columns.js';
import { checkTrace } from '../../src/check/check.js';
import { In } from '../../src/compiler/layout.js';
import { TraceEdit } from '../support/trace-edit.js';

const FIXTURES = new URL('../../fixtures/golden/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tvm-padding-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Append padding rows up to `height`: every column 0 but the step, x[0], x[2], access_addr and the continuing log. */
function pad(edit: TraceEdit, height: number): void {
  const steps = edit.rows;
  let prevAddr = edit.get('log_addr', steps - 1);
  let prevStep = edit.get('log_step', steps - 1);
  while (edit.rows < height) edit.duplicateRow(edit.rows - 1);
  for (let r = steps; r < height; r++) {
    for (const column of edit.columns)
      for (let i = 0; i < column.width; i++) edit.set(column.name, r, 0, i);
    edit.set('step', r, r);
    edit.set('input', r, 1, In.CONST);
    edit.set('input', r, 1, In.PC_NEXT);
    edit.set('access_addr', r, NO_ACCESS_ADDR);
    // The log continues, in (address, step) order, with the padding rows' no-access entries.
    const first = prevAddr !== NO_ACCESS_ADDR ? 1 : 0;
    const gap = first === 1 ? NO_ACCESS_ADDR - prevAddr - 1 : r - prevStep - 1;
    edit.set('log_step', r, r);
    edit.set('log_addr', r, NO_ACCESS_ADDR);
    for (let i = 0; i < LOG_ADDR_BITS; i++)
      edit.set('log_addr_bits', r, (NO_ACCESS_ADDR >> i) & 1, i);
    edit.set('log_first', r, first);
    for (let i = 0; i < LOG_GAP_BITS; i++)
      edit.set('log_gap_bits', r, Math.floor(gap / 2 ** i) % 2, i);
    [prevAddr, prevStep] = [NO_ACCESS_ADDR, r];
  }
}

const golden = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.arrow'))
  .sort();

describe('padding rows (schemas/air-v2.json padding)', () => {
  it.each(golden)(
    '%s padded to the next power of two (and one more doubling) breaks no constraint or argument',
    async (file) => {
      for (const extra of [1, 2]) {
        const edit = TraceEdit.read(join(FIXTURES, file));
        const height = 2 ** (Math.ceil(Math.log2(edit.rows + 1)) + extra - 1);
        pad(edit, height);
        expect(edit.rows).toBe(height);
        const path = join(dir, `${extra}-${file}`);
        edit.write(path);
        const report = await checkTrace(path, { maxFailures: 100 });
        expect(report.rows).toBe(height);
        expect(report.failures.map((f) => f.constraint)).toEqual(['witness.rows']);
      }
    },
  );

  it('a padding row that resumes execution is caught: active never rises again', async () => {
    const edit = TraceEdit.read(join(FIXTURES, 'fibonacci.arrow'));
    pad(edit, 128);
    edit.set('active', 120, 1);
    const path = join(dir, 'resumed.arrow');
    edit.write(path);
    const rules = new Set(
      (await checkTrace(path, { maxFailures: 100 })).failures.map((f) =>
        f.constraint.replace(/\[.*$/, ''),
      ),
    );
    expect(rules.has('padding.active_prefix')).toBe(true);
  });
});
