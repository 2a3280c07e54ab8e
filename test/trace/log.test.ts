/**
 * The log columns' fill compiled to WebAssembly (log-codegen.ts, run by LogFiller) against the
 * reference, WitnessBuilder.fillLog over the spill's sorted slices: the same bytes in every
 * column, batch after batch, for the example programs and random ones, with the spill in
 * memory and in its scratch file. And end to end: a whole export (the compiled fills) equals
 * the forged trace built by the reference code alone (test/support/forge.ts).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileProgram } from '../../src/compiler/compile.js';
import { controlTable } from '../../src/compiler/control-table.js';
import { assemble } from '../../src/isa/assemble.js';
import type { Program } from '../../src/isa/program.js';
import { createAccessTap } from '../../src/runtime/access.js';
import { NativeMachine } from '../../src/runtime/native/interpreter.js';
import { exportTrace } from '../../src/trace/write/export.js';
import { FillMemory, fillShape } from '../../src/trace/write/fill-memory.js';
import { TraceBuffers, type TraceDims } from '../../src/trace/format/layout.js';
import { LogFiller } from '../../src/trace/write/log-filler.js';
import { AccessSpill } from '../../src/trace/write/spill.js';
import { WitnessBuilder } from '../../src/trace/write/witness.js';
import { forgeTrace } from '../support/forge.js';
import { Random, randomProgram } from '../support/random-programs.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const examples = readdirSync('programs')
  .filter((name) => name.endsWith('.tvm'))
  .map((name) => name.slice(0, -4));
const load = (name: string): Program => assemble(readFileSync(`programs/${name}.tvm`, 'utf8'));

/** Pass 1 of the export: the reference run's accesses in a spill (`budget` bytes in memory, the rest in its scratch file). */
function spillOf(
  program: Program,
  maxSteps: number,
  budget?: number,
): { spill: AccessSpill; rows: number } {
  const spill = new AccessSpill(dir, budget);
  const machine = new NativeMachine(program);
  const tap = createAccessTap(1000);
  while (machine.steps < maxSteps && !machine.stopped) {
    tap.row = 0;
    const ran = machine.advance(Math.min(1000, maxSteps - machine.steps), tap);
    if (ran === 0) break;
    spill.pushTap(tap, machine.steps - ran);
  }
  return { spill, rows: machine.steps };
}

const LOG_COLUMNS = [
  'log_addr',
  'log_addr_bits',
  'log_step',
  'log_value',
  'log_prev',
  'log_read',
  'log_write',
  'log_first',
  'log_last',
  'log_gap_bits',
];

/** Every batch's log columns both ways; the number of rows compared. */
function expectSameLog(
  program: Program,
  maxSteps: number,
  batchRows: number,
  budget?: number,
): number {
  const compiled = compileProgram(program);
  const dims: TraceDims = {
    ffDim: Math.max(1, compiled.minFfDim),
    instructions: program.instructions.length,
  };
  const reference = spillOf(program, maxSteps, budget);
  const ours = spillOf(program, maxSteps, budget);
  try {
    const witness = new WitnessBuilder(
      controlTable(compiled),
      dims.instructions,
      compiled.program.initialMemory,
    );
    const expected = new TraceBuffers(dims, batchRows);
    const memory = new FillMemory(fillShape(compiled, dims, batchRows));
    const log = new LogFiller(dims, [memory], ours.spill, compiled.program.initialMemory);
    let batch = 0;
    for (const slice of reference.spill.sorted(batchRows)) {
      expected.clearBitmaps();
      witness.fillLog(expected, slice);
      memory.buffers.clearBitmaps();
      log.fill(memory.buffers, slice.length);
      const differences = expected.slots.flatMap((slot, i) => {
        const want = expected.rowBytes(i, slice.length);
        const got = memory.buffers.rowBytes(i, slice.length);
        return LOG_COLUMNS.includes(slot.spec.name) && Buffer.compare(want, got) !== 0
          ? [`batch ${batch}: ${slot.spec.name}`]
          : [];
      });
      expect(differences).toEqual([]);
      batch++;
    }
    // Past the log's end there is nothing more to read.
    expect(() => log.fill(memory.buffers, 1)).toThrow(
      'internal error: memory log out of step with the run',
    );
    return reference.rows;
  } finally {
    reference.spill.dispose();
    ours.spill.dispose();
  }
}

describe('the compiled log fill', () => {
  it.each(examples)(
    'writes the reference log columns for %s (batches of 1, 7 and 4096 rows)',
    (name) => {
      for (const batchRows of [1, 7, 4096])
        expectSameLog(load(name), batchRows === 4096 ? 20_000 : 700, batchRows);
    },
  );

  it('reads the log back from the spill file as it does from memory', () => {
    // A budget of one chunk: most of the log is read back from the scratch file.
    expect(expectSameLog(load('long_loop'), 100_000, 4096, 8192 * 8)).toBe(100_000);
    expect(expectSameLog(load('sum_to_n'), 100_000, 300, 8192 * 8)).toBeGreaterThan(500);
  });

  it('writes the reference log columns for 300 random programs', () => {
    const random = new Random(7);
    let rows = 0;
    for (let i = 0; i < 300; i++) {
      const { program, maxSteps } = randomProgram(random);
      rows += expectSameLog(program, maxSteps, random.pick([1, 5, 64]));
    }
    expect(rows).toBeGreaterThan(8000);
  });

  it('writes gaps of up to 29 bits at every bit offset (steps far apart)', () => {
    const program = load('gcd');
    const compiled = compileProgram(program);
    const dims: TraceDims = { ffDim: compiled.minFfDim, instructions: program.instructions.length };
    // A synthetic log: cells read or written at steps up to 2^29 - 1 apart, and steps without access.
    const entries: [number, number, number, number][] = [];
    for (let i = 0; i < 64; i++)
      entries.push([i % 3, i * (2 ** 23 - 1 + i), (i * 7919) % 65536, 1 + (i % 2)]);
    // Gaps of about 2^28, at rows of every bit offset.
    for (let k = 0; k < 16; k++) entries.push([5, k * (2 ** 28 - 3 * k), k, 2]);
    entries.push([4, 2 ** 29 - 1, -1, 1], [256, 5, 0, 0], [256, 2 ** 29 - 2, 0, 0]);
    const [reference, ours] = [new AccessSpill(dir), new AccessSpill(dir)];
    try {
      for (const spill of [reference, ours])
        for (const [addr, step, value, kind] of [...entries].sort((x, y) => x[1] - y[1]))
          spill.push(addr, step, value, kind);
      const witness = new WitnessBuilder(
        controlTable(compiled),
        dims.instructions,
        compiled.program.initialMemory,
      );
      const expected = new TraceBuffers(dims, 16);
      const memory = new FillMemory(fillShape(compiled, dims, 16));
      const log = new LogFiller(dims, [memory], ours, compiled.program.initialMemory);
      let rows = 0;
      for (const slice of reference.sorted(16)) {
        expected.clearBitmaps();
        witness.fillLog(expected, slice);
        memory.buffers.clearBitmaps();
        log.fill(memory.buffers, slice.length);
        for (const name of LOG_COLUMNS) {
          const i = expected.slots.findIndex((slot) => slot.spec.name === name);
          expect({
            name,
            bytes: Buffer.from(memory.buffers.rowBytes(i, slice.length)).toString('hex'),
          }).toEqual({
            name,
            bytes: Buffer.from(expected.rowBytes(i, slice.length)).toString('hex'),
          });
        }
        rows += slice.length;
      }
      expect(rows).toBe(entries.length);
    } finally {
      reference.dispose();
      ours.dispose();
    }
  });

  it("fills only its fill memories' buffers", () => {
    const program = load('gcd');
    const compiled = compileProgram(program);
    const dims: TraceDims = { ffDim: compiled.minFfDim, instructions: program.instructions.length };
    const { spill } = spillOf(program, 100);
    try {
      const log = new LogFiller(
        dims,
        [new FillMemory(fillShape(compiled, dims, 8))],
        spill,
        compiled.program.initialMemory,
      );
      expect(() => log.fill(new TraceBuffers(dims, 8), 8)).toThrow(
        "internal error: a log filler fills its fill memories' buffers",
      );
    } finally {
      spill.dispose();
    }
  });
});

describe('a whole export', () => {
  it.each(examples)('of %s has the bytes of the trace the reference code forges', (name) => {
    const program = load(name);
    const target = join(dir, `${name}.arrow`);
    const { rows } = exportTrace(program, target, { maxSteps: 5000, batchRows: 65536 });
    expect(rows).toBeGreaterThan(0);
    expect(Buffer.compare(readFileSync(target), forgeTrace(program, { maxSteps: 5000 }))).toBe(0);
  });
});
