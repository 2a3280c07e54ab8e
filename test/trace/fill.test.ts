/**
 * The batch fill compiled to WebAssembly (fill-code.ts, run by BatchFiller) against the
 * reference it replaced: the FFN engine's tap and WitnessBuilder.fillExecution, row by row.
 * Every column's bytes, the rows, the largest value, the end state (or fault) and the
 * accesses' digest must be the same, batch by batch, for the example programs, random
 * programs (every instruction and every fault), wide programs, padded ff_dims, batches resumed
 * out of order, and steps the compiled fill defers to the engine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { compileProgram, type CompiledProgram } from '../../src/compiler/compile.js';
import { controlTable } from '../../src/compiler/control-table.js';
import { OUTPUT_DIM } from '../../src/compiler/layout.js';
import { assemble } from '../../src/isa/assemble.js';
import { Op } from '../../src/isa/opcodes.js';
import { AccessDigest } from '../../src/runtime/access.js';
import { createTap, FfnMachine } from '../../src/runtime/ffn/engine.js';
import type { MachineSnapshot } from '../../src/runtime/state.js';
import { BatchFiller, digestAccesses } from '../../src/trace/batch-filler.js';
import { fillLayout, FillMemory, fillShape } from '../../src/trace/fill-memory.js';
import { largestMagnitude, TraceBuffers, type TraceDims } from '../../src/trace/layout.js';
import { WitnessBuilder } from '../../src/trace/witness.js';
import { Random, randomProgram } from '../support/random-programs.js';

interface Batch {
  rows: number;
  maxAbs: number;
  state: MachineSnapshot;
  accesses: string;
  columns: Uint8Array[];
}

const copyColumns = (buffers: TraceBuffers, rows: number) => buffers.slots.map((_, i) => buffers.rowBytes(i, rows).slice());

/** The reference: the FFN engine with a (small) tap, its rows built by WitnessBuilder.fillExecution. */
function referenceBatches(compiled: CompiledProgram, dims: TraceDims, batchRows: number, maxSteps: number): Batch[] {
  const machine = new FfnMachine(compiled);
  const tap = createTap(dims.ffDim, 5, { bits: false });
  const witness = new WitnessBuilder(controlTable(compiled), dims.instructions);
  const buffers = new TraceBuffers(dims, batchRows);
  const batches: Batch[] = [];
  while (machine.steps < maxSteps && !machine.stopped) {
    buffers.clearBitmaps();
    const stop = Math.min(machine.steps + batchRows, maxSteps);
    let rows = 0;
    let maxAbs = 0;
    while (machine.steps < stop) {
      tap.row = 0;
      const ran = machine.advance(stop - machine.steps, tap);
      if (ran === 0) break;
      witness.fillExecution(buffers, tap, ran, machine.steps - ran, rows);
      maxAbs = largestMagnitude(tap.output, ran * OUTPUT_DIM, largestMagnitude(tap.hidden, ran * dims.ffDim, maxAbs));
      rows += ran;
    }
    // A run that faults at its first step still has one (empty) batch: its state names the fault.
    if (rows === 0 && batches.length > 0) break;
    const digest = new AccessDigest();
    digestAccesses(buffers, 0, rows, digest);
    batches.push({ rows, maxAbs, state: machine.snapshot(), accesses: digest.value, columns: copyColumns(buffers, rows) });
  }
  return batches;
}

/** The compiled fill's batches, in `order` (default: in turn), each resumed from the reference's state at its start. */
function compiledBatches(compiled: CompiledProgram, dims: TraceDims, batchRows: number, maxSteps: number, starts: MachineSnapshot[], order?: number[], shared = false): Batch[] {
  const memories = [0, 1].map(() => new FillMemory(fillShape(compiled, dims, batchRows), { shared }));
  expect(memories.map((memory) => memory.shared)).toEqual([shared, shared]);
  const filler = new BatchFiller(compiled, dims, batchRows, maxSteps, memories);
  const batches: Batch[] = [];
  (order ?? starts.map((_, i) => i)).forEach((index, n) => {
    const { buffers } = memories[n % 2];
    const filled = filler.fill(buffers, order === undefined ? undefined : starts[index]);
    batches[index] = { ...filled, columns: copyColumns(buffers, filled.rows) };
  });
  return batches;
}

function expectSameBatches(compiled: CompiledProgram, dims: TraceDims, batchRows: number, maxSteps: number, order?: 'reversed', shared = false): number {
  const reference = referenceBatches(compiled, dims, batchRows, maxSteps);
  const starts = reference.map((_, i) => (i === 0 ? new FfnMachine(compiled).snapshot() : reference[i - 1].state));
  const indexes = starts.map((_, i) => i);
  const actual = compiledBatches(compiled, dims, batchRows, maxSteps, starts, order === 'reversed' ? indexes.reverse() : undefined, shared);
  expect(actual.length).toBe(reference.length);
  reference.forEach((expected, index) => {
    const got = actual[index];
    expect({ index, rows: got.rows, maxAbs: got.maxAbs, state: got.state, accesses: got.accesses }).toEqual({
      index,
      rows: expected.rows,
      maxAbs: expected.maxAbs,
      state: expected.state,
      accesses: expected.accesses,
    });
    // Every column's bytes; on a difference, the columns and the first row where they differ.
    const differences = expected.columns.flatMap((bytes, column) => {
      const ours = got.columns[column];
      if (Buffer.compare(ours, bytes) === 0) return [];
      let at = 0;
      while (at < bytes.length && ours[at] === bytes[at]) at++;
      return [`batch ${index}: ${slotName(dims, column)} from byte ${at} of ${bytes.length}`];
    });
    expect(differences).toEqual([]);
  });
  return reference.reduce((n, batch) => n + batch.rows, 0);
}

const slotName = (dims: TraceDims, column: number) => new TraceBuffers(dims, 1).slots[column].spec.name;
const dimsOf = (compiled: CompiledProgram, extra = 0): TraceDims => ({ ffDim: Math.max(1, compiled.minFfDim) + extra, instructions: compiled.program.instructions.length });
const examples = readdirSync('programs')
  .filter((name) => name.endsWith('.tvm'))
  .map((name) => name.slice(0, -4));

describe('the compiled batch fill', () => {
  it.each(examples)('writes the reference bytes for %s (batches of 1, 7 and 4096 rows)', (name) => {
    const compiled = compileProgram(assemble(readFileSync(`programs/${name}.tvm`, 'utf8')));
    for (const batchRows of [1, 7, 4096]) expect(expectSameBatches(compiled, dimsOf(compiled), batchRows, batchRows === 4096 ? 9000 : 700)).toBeGreaterThan(0);
  });

  it('writes the reference bytes for 300 random programs (every instruction, every fault)', () => {
    const random = new Random(20261126);
    let rows = 0;
    for (let i = 0; i < 300; i++) {
      const { program, maxSteps } = randomProgram(random);
      const compiled = compileProgram(program);
      rows += expectSameBatches(compiled, dimsOf(compiled), random.pick([1, 3, 64]), maxSteps);
    }
    expect(rows).toBeGreaterThan(10_000);
  });

  it('pads the units of a wider ff_dim with zeros, as the reference does', () => {
    const compiled = compileProgram(assemble(readFileSync('programs/bitwise.tvm', 'utf8')));
    expectSameBatches(compiled, dimsOf(compiled, 3), 5, 1000);
  });

  it('selects among more than 32 instructions (select bits past the first words)', () => {
    const body = Array.from({ length: 126 }, (_, i) => (i % 3 === 0 ? 'ADDM 0' : i % 3 === 1 ? 'STORE 1' : 'XOR 5'));
    const compiled = compileProgram(assemble(['.memory 2', '.init 0 3', 'loop:', ...body, 'LOAD 1', 'JNZ loop', 'HALT'].join('\n')));
    expect(compiled.instructions.length).toBe(129);
    expectSameBatches(compiled, dimsOf(compiled), 100, 2000);
  });

  it('wraps the pc from 255 to 0 (pc_wrap) in a 256-instruction program', () => {
    const body = Array.from({ length: 254 }, (_, i) => (i % 2 === 0 ? 'ADDM 0' : 'STORE 1'));
    const compiled = compileProgram(assemble(['.memory 2', '.init 0 1', 'LOAD 1', ...body, 'NOP'].join('\n')));
    expect(compiled.instructions.length).toBe(256);
    expectSameBatches(compiled, dimsOf(compiled), 100, 1000);
    const memory = new FillMemory(fillShape(compiled, dimsOf(compiled), 300));
    const { rows } = new BatchFiller(compiled, dimsOf(compiled), 300, 300, [memory]).fill(memory.buffers);
    const pcWrap = memory.buffers.column('pc_wrap');
    const wrapped = Array.from({ length: rows }, (_, row) => (pcWrap[row >> 3] >> (row & 7)) & 1);
    expect(wrapped.flatMap((bit, row) => (bit === 1 ? [row] : []))).toEqual([255]);
  });

  it('leaves to the FFN engine every step of an instruction whose weights could make its sums inexact in doubles', () => {
    const compiled = compileProgram(assemble(['.memory 2', 'loop:', 'LOADI 3', 'MUL 5', 'STORE 0', 'JMP loop'].join('\n')));
    const mul = compiled.instructions.find((instruction) => instruction.opcode === Op.MUL)!;
    (mul.units.find((unit) => unit.out === 1) as { coeff: number }).coeff = 2 ** 22;
    expectSameBatches(compiled, dimsOf(compiled), 64, 200);
    const advance = vi.spyOn(FfnMachine.prototype, 'advance');
    try {
      compiledBatches(compiled, dimsOf(compiled), 64, 200, [new FfnMachine(compiled).snapshot()]);
      // One MUL in every 4 steps, 64 rows.
      expect(advance.mock.calls.length).toBe(16);
    } finally {
      advance.mockRestore();
    }
  });

  it('resumes each batch from its start state, in any order, in shared memories too (as workers fill them)', () => {
    for (const name of ['gcd', 'factorial_recursive', 'long_loop']) {
      const compiled = compileProgram(assemble(readFileSync(`programs/${name}.tvm`, 'utf8')));
      for (const shared of [false, true]) expectSameBatches(compiled, dimsOf(compiled), 13, 2000, 'reversed', shared);
    }
  });

  it('refuses a batch too large for one 32-bit memory, naming the way out', () => {
    const shape = { dims: { ffDim: 256, instructions: 1024 }, batchRows: 1 << 21, memorySize: 256, units: 4096 };
    expect(() => fillLayout(shape)).toThrow(/^a batch of 2097152 rows of this trace takes \d+ bytes, over the 4 GiB one batch's memory holds: use fewer batch rows$/);
    expect(fillLayout({ ...shape, batchRows: 1 << 20 }).pages).toBeLessThanOrEqual(65536);
  });

  it('defers to the FFN engine the steps whose values leave int32, and goes on after them', () => {
    // Weights no compiled program has: STORE writes 100000 · ACC (beyond int32), and MULM
    // then multiplies by that cell (a product beyond int32). The compiled fill defers those
    // steps; the engine makes them in doubles and the int32 columns hold them wrapped.
    const compiled = compileProgram(assemble(['.memory 2', 'loop:', 'LOADI 30000', 'STORE 0', 'LOAD 1', 'MULM 0', 'ADDM 1', 'STORE 1', 'JMP loop'].join('\n')));
    const store = compiled.instructions.find((instruction) => instruction.opcode === Op.STORE)!;
    const writeValue = store.units.find((unit) => unit.out === 5)!;
    (writeValue as { coeff: number }).coeff = 100_000;
    const dims = dimsOf(compiled);
    expect(expectSameBatches(compiled, dims, 64, 500)).toBe(500);
    // The engine makes exactly the deferred steps, one advance(1) each: some, not all.
    const advance = vi.spyOn(FfnMachine.prototype, 'advance');
    try {
      const [batch] = compiledBatches(compiled, dims, 64, 500, [new FfnMachine(compiled).snapshot()]);
      expect(batch.rows).toBe(64);
      expect(advance.mock.calls.every(([budget]) => budget === 1)).toBe(true);
      expect(advance.mock.calls.length).toBeGreaterThanOrEqual(9);
      expect(advance.mock.calls.length).toBeLessThan(40);
    } finally {
      advance.mockRestore();
    }
  });

  it("fills only its own memories' buffers", () => {
    const compiled = compileProgram(assemble(readFileSync('programs/gcd.tvm', 'utf8')));
    const dims = dimsOf(compiled);
    const filler = new BatchFiller(compiled, dims, 8, 100, [new FillMemory(fillShape(compiled, dims, 8))]);
    expect(() => filler.fill(new FillMemory(fillShape(compiled, dims, 8)).buffers)).toThrow("internal error: a batch filler fills its own memories' buffers");
    expect(() => filler.fill(new TraceBuffers(dims, 8))).toThrow("internal error: a batch filler fills its own memories' buffers");
  });
});
