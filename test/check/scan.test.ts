/**
 * The checker's row scans: the WebAssembly scan (what check runs) flags exactly the rows the
 * JavaScript scan flags, on traces with a tampered cell in most rows and across batch edges;
 * the encoder's integer immediates against known values; the OR recognition; and failures
 * located at batch edges and in the memory argument.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { columnIndex } from '../../src/air/columns.js';
import { formatFailure } from '../../src/check/format.js';
import { checkTrace, loadAir } from '../../src/check/check.js';
import { compileRowSet, type CompiledRowSet } from '../../src/check/row-codegen.js';
import { Expander, type Cell, type Monomial } from '../../src/check/expand.js';
import { asOr } from '../../src/check/plan.js';
import { programTables, runBoundaries } from '../../src/check/tables.js';
import { Code, createMemory, encodeModule, I64, instantiate } from '../../src/wasm/encode.js';
import { WasmScanner } from '../../src/check/row-scanner.js';
import { compileProgram } from '../../src/compiler/compile.js';
import { assemble } from '../../src/isa/assemble.js';
import { exportTrace } from '../../src/trace/write/export.js';
import { allocateColumn, columnSlots } from '../../src/trace/format/layout.js';
import { openTrace, type OpenTrace, type TraceBatch } from '../../src/trace/read/reader.js';
import { typeRange, TraceEdit } from '../support/trace-edit.js';
import { Random } from '../support/random-programs.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const program = (name: string) =>
  assemble(readFileSync(new URL(`../../programs/${name}.tvm`, import.meta.url), 'utf8'));

/** Rows [0, end) the JavaScript scan of a set flags in a batch. */
function javascriptRows(set: CompiledRowSet, batch: TraceBatch, end: number): number[] {
  const found: number[] = [];
  const out = new Int32Array(4096);
  for (let from = 0; from < end; ) {
    const count = set.scan(
      batch.data as unknown as ArrayLike<number>[],
      batch.bitOffset,
      from,
      end,
      out,
    );
    found.push(...out.subarray(0, count));
    if (count < out.length) break;
    from = out[count - 1] + 1;
  }
  return found;
}

/** A trace's every-row and transition sets, compiled both ways (as the check compiles them), and a WebAssembly scanner of both. */
function compileSets(trace: OpenTrace) {
  const compiled = compileProgram(assemble(trace.metadata.program));
  const instances = new Expander(
    loadAir(),
    trace.dims,
    programTables(compiled, trace.metadata.ffDim, runBoundaries(compiled, trace.metadata.claim)),
  ).instances();
  const select = columnIndex('selector');
  const every = compileRowSet('every', instances, trace.slots, select);
  const transition = compileRowSet('transition', instances, trace.slots, select);
  return {
    every,
    transition,
    wasm: new WasmScanner([every.plan, transition.plan], trace.slots, select, trace.maxBatchBytes),
  };
}

/** A copy of the trace with one cell changed in about 3 rows of 4 (any cell of the row alike, a random in-range value). */
function tamper(path: string, seed: number): string {
  const edit = TraceEdit.read(path);
  const random = new Random(seed);
  const cells = edit.columns.flatMap((column) =>
    Array.from({ length: column.width }, (_, entry) => ({ column, entry })),
  );
  for (let row = 0; row < edit.rows; row++) {
    if (random.chance(0.25)) continue;
    const { column, entry } = random.pick(cells);
    const original = edit.get(column.name, row, entry);
    const [lo, hi] = typeRange(column.type);
    const value =
      column.type === 'bool'
        ? 1 - original
        : random.chance(0.5)
          ? original + 1 <= hi
            ? original + 1
            : original - 1
          : random.int(lo, hi);
    edit.set(column.name, row, value, entry);
  }
  const target = path.replace(/\.arrow$/, `-tampered-${seed}.arrow`);
  edit.write(target);
  return target;
}

describe('the WebAssembly scan', () => {
  it.each([
    'fibonacci',
    'factorial_recursive',
    'bitwise',
    'wrap_carry',
    'dot_product',
    'call_chain',
  ])('flags the rows the JavaScript scan flags: %s', async (name) => {
    const clean = join(dir, `${name}.arrow`);
    exportTrace(program(name), clean, { maxSteps: 3000, batchRows: 64 });
    for (const path of [clean, tamper(clean, 1), tamper(clean, 2)]) {
      const trace = await openTrace(path);
      const { every, transition, wasm } = compileSets(trace);
      let flagged = 0;
      let rows = 0;
      for await (const batch of trace.batches()) {
        wasm.load(batch);
        const wasmEvery = [...wasm.rows(every.plan, batch.rows)];
        expect(wasmEvery).toEqual(javascriptRows(every, batch, batch.rows));
        expect([...wasm.rows(transition.plan, batch.rows - 1)]).toEqual(
          javascriptRows(transition, batch, batch.rows - 1),
        );
        flagged += wasmEvery.length;
        rows += batch.rows;
        trace.release(batch);
      }
      await trace.close();
      if (path === clean) expect(flagged).toBe(0);
      // Not every change is caught by an every-row constraint (e.g. a log column), but most are.
      else expect(flagged).toBeGreaterThan(rows / 3);
    }
  });

  it('finds the selected instruction among more than 56 (selector words beyond the first)', async () => {
    // 129 instructions, a loop through all of them: selectors past bit 56 and 112 are set.
    const body = Array.from({ length: 126 }, (_, i) =>
      i % 3 === 0 ? 'ADDM 0' : i % 3 === 1 ? 'STORE 1' : 'XOR 5',
    );
    const source = ['.memory 2', '.init 0 3', 'loop:', ...body, 'LOAD 1', 'JNZ loop', 'HALT'].join(
      '\n',
    );
    const path = join(dir, 'wide.arrow');
    exportTrace(assemble(source), path, { maxSteps: 3000, batchRows: 500 });
    for (const file of [path, tamper(path, 4)]) {
      const trace = await openTrace(file);
      expect(trace.dims.instructions).toBe(129);
      const { every, wasm } = compileSets(trace);
      for await (const batch of trace.batches()) {
        wasm.load(batch);
        const flagged = [...wasm.rows(every.plan, batch.rows)];
        expect(flagged).toEqual(javascriptRows(every, batch, batch.rows));
        if (file === path) expect(flagged).toEqual([]);
        trace.release(batch);
      }
      await trace.close();
    }
  });

  it('reads batches whose columns are separate arrays (joined rows) as well as whole bodies', async () => {
    const path = join(dir, 'gcd.arrow');
    exportTrace(program('gcd'), path, { maxSteps: 1000, batchRows: 10 });
    const tampered = tamper(path, 3);
    const trace = await openTrace(tampered);
    const { every, wasm } = compileSets(trace);
    for await (const batch of trace.batches()) {
      // The same rows as arrays of their own, with a bit offset of 0.
      const copy: TraceBatch = {
        ...batch,
        storage: undefined,
        data: batch.data.map((column) => column.slice()),
      };
      wasm.load(copy);
      expect([...wasm.rows(every.plan, batch.rows)]).toEqual(
        javascriptRows(every, batch, batch.rows),
      );
      trace.release(batch);
    }
    await trace.close();
  });
});

describe('the WebAssembly largest |value|', () => {
  it.each([
    [[0, 0, 0], 0],
    [[5, -7, 3], 7],
    [[2 ** 31 - 1, 4], 2 ** 31 - 1],
    [[1, -(2 ** 31), 2 ** 31 - 1], 2 ** 31],
  ])('of %j is %d', (values, expected) => {
    const dims = { ffDim: 2, instructions: 3 };
    const slots = columnSlots(dims);
    const step = columnIndex('step');
    const data = slots.map((slot, c) =>
      c === step
        ? Int32Array.from(values)
        : allocateColumn(slot.spec.type, values.length * slot.width),
    );
    const wasm = new WasmScanner([], slots, columnIndex('selector'), 1 << 16);
    wasm.load({ rows: values.length, firstRow: 0, data, bitOffset: slots.map(() => 0) });
    expect(wasm.largest(step, values.length)).toBe(expected);
    // Only the first `count` entries count.
    expect(wasm.largest(step, 1)).toBe(Math.abs(values[0]));
  });
});

describe('the WebAssembly encoder', () => {
  /** A module whose function returns the i64 constant `value`. */
  const constant = (value: bigint) => {
    const body = new Code().i64(value);
    return instantiate(
      encodeModule({
        params: [],
        results: [I64],
        locals: [],
        body,
        exportName: 'f',
        memoryPages: 1,
      }),
      createMemory(1),
    ).f as () => bigint;
  };

  it.each([
    0n,
    1n,
    -1n,
    63n,
    64n,
    -64n,
    -65n,
    127n,
    128n,
    8191n,
    -8192n,
    2n ** 31n,
    -(2n ** 31n),
    2n ** 62n,
    2n ** 63n - 1n,
    -(2n ** 63n),
  ])('encodes i64.const %s', (value) => {
    expect(constant(value)()).toBe(value);
  });
});

describe('OR recognition', () => {
  const bool = () => true;
  const cell = (column: number, entry = 0): Cell => ({ column, entry, next: false });
  const [o, x, y] = [cell(1), cell(2), cell(3)];
  const or = (c: number): Monomial[] => [
    { coef: c, cells: [o] },
    { coef: c, cells: [y, x] },
    { coef: -c, cells: [x] },
    { coef: -c, cells: [y] },
  ];

  it('recognises c·(o + x·y - x - y) for any c, with x and y in canonical order', () => {
    expect(asOr(or(1), bool)).toEqual({ o, x, y });
    expect(asOr(or(-3), bool)).toEqual({ o, x, y });
  });

  it('rejects anything else', () => {
    expect(asOr(or(1).slice(0, 3), bool)).toBeNull();
    expect(asOr([...or(1).slice(0, 3), { coef: 1, cells: [y] }], bool)).toBeNull();
    expect(
      asOr(
        [
          { coef: 1, cells: [o] },
          { coef: 2, cells: [x, y] },
          { coef: -1, cells: [x] },
          { coef: -1, cells: [y] },
        ],
        bool,
      ),
    ).toBeNull();
    expect(asOr(or(1), (c) => c.column !== 1)).toBeNull();
  });
});

describe('failures located by the scan', () => {
  it('names failures at batch edges and inside batches, in row order', async () => {
    const path = join(dir, 'fact.arrow');
    exportTrace(program('factorial_recursive'), path, { maxSteps: 1000, batchRows: 8 });
    const edit = TraceEdit.read(path);
    // Row 7 is the last of its batch, row 8 the first of the next, row 20 inside one.
    edit.set('hidden', 7, edit.get('hidden', 7, 0) + 1, 0);
    edit.set('next_acc', 8, edit.get('next_acc', 8) + 1);
    edit.set('step', 20, edit.get('step', 20) + 1);
    const tampered = join(dir, 'fact-tampered.arrow');
    edit.write(tampered);
    const report = await checkTrace(tampered, { maxFailures: 50 });
    expect(report.ok).toBe(false);
    const names = report.failures.map((f) => `${f.row}:${f.constraint}`);
    expect(names).toContain('7:ffn.hidden[k=0]');
    expect(names).toContain('8:controls.next_acc_bits');
    expect(names).toContain('19:continuity.step');
    const rows = report.failures.flatMap((f) =>
      f.row === null || f.constraint.startsWith('memory.') ? [] : [f.row],
    );
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
  });

  it('names log and access addresses outside 0..256 in the memory argument', async () => {
    const path = join(dir, 'fib-addr.arrow');
    exportTrace(program('fibonacci'), path, { maxSteps: 1000, batchRows: 16 });
    const edit = TraceEdit.read(path);
    edit.set('log_addr', 3, 300);
    edit.set('access_addr', 5, -2);
    const tampered = join(dir, 'fib-addr-tampered.arrow');
    edit.write(tampered);
    const report = await checkTrace(tampered, { maxFailures: 50 });
    expect(report.ok).toBe(false);
    const memory = report.failures
      .filter((f) => f.constraint === 'memory.permutation')
      .map(formatFailure);
    expect(memory).toContain('memory.permutation: row 5: access_addr -2 is outside 0..256');
    expect(memory).toContain('memory.permutation: log row 3: log_addr 300 is outside 0..256');
  });
});
