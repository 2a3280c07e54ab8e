/**
 * The batch fill compiled to WebAssembly (fill-codegen.ts, run by BatchFiller) against the
 * reference it replaced: the FFN engine's tap and WitnessBuilder.fillExecution, row by row.
 * Every column's bytes, the rows, the largest value, the end state (or fault) and the
 * accesses' digest must be the same, batch by batch, for the example programs, random
 * programs (every instruction and every fault), wide programs, padded ff_dims, batches resumed
 * out of order, and steps the compiled fill defers to the engine.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { compileProgram, type CompiledProgram } from '../../src/compiler/compile.js';
import { assemble } from '../../src/isa/assemble.js';
import { Op } from '../../src/isa/opcodes.js';
import { FfnMachine } from '../../src/runtime/ffn/engine.js';
import { BatchFiller } from '../../src/trace/write/batch-filler.js';
import { fillLayout, FillMemory, fillShape } from '../../src/trace/write/fill-memory.js';
import { TraceBuffers, type TraceDims } from '../../src/trace/format/layout.js';
import { compareFills, compiledBatches } from '../support/fill-reference.js';
import { Random, randomProgram } from '../support/random-programs.js';

function expectSameBatches(
  compiled: CompiledProgram,
  dims: TraceDims,
  batchRows: number,
  maxSteps: number,
  order?: 'reversed',
  shared = false,
): number {
  const { differences, rows } = compareFills(compiled, dims, batchRows, maxSteps, {
    reversed: order === 'reversed',
    shared,
  });
  expect(differences).toEqual([]);
  return rows;
}

const dimsOf = (compiled: CompiledProgram, extra = 0): TraceDims => ({
  ffDim: Math.max(1, compiled.minFfDim) + extra,
  instructions: compiled.program.instructions.length,
});
const examples = readdirSync('programs')
  .filter((name) => name.endsWith('.tvm'))
  .map((name) => name.slice(0, -4));

describe('the compiled batch fill', () => {
  it.each(examples)('writes the reference bytes for %s (batches of 1, 7 and 4096 rows)', (name) => {
    const compiled = compileProgram(assemble(readFileSync(`programs/${name}.tvm`, 'utf8')));
    for (const batchRows of [1, 7, 4096])
      expect(
        expectSameBatches(compiled, dimsOf(compiled), batchRows, batchRows === 4096 ? 9000 : 700),
      ).toBeGreaterThan(0);
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
    const body = Array.from({ length: 126 }, (_, i) =>
      i % 3 === 0 ? 'ADDM 0' : i % 3 === 1 ? 'STORE 1' : 'XOR 5',
    );
    const compiled = compileProgram(
      assemble(
        ['.memory 2', '.init 0 3', 'loop:', ...body, 'LOAD 1', 'JNZ loop', 'HALT'].join('\n'),
      ),
    );
    expect(compiled.instructions.length).toBe(129);
    expectSameBatches(compiled, dimsOf(compiled), 100, 2000);
  });

  it('wraps the pc from 255 to 0 (pc_wrap) in a 256-instruction program', () => {
    const body = Array.from({ length: 254 }, (_, i) => (i % 2 === 0 ? 'ADDM 0' : 'STORE 1'));
    const compiled = compileProgram(
      assemble(['.memory 2', '.init 0 1', 'LOAD 1', ...body, 'NOP'].join('\n')),
    );
    expect(compiled.instructions.length).toBe(256);
    expectSameBatches(compiled, dimsOf(compiled), 100, 1000);
    const memory = new FillMemory(fillShape(compiled, dimsOf(compiled), 300));
    const { rows } = new BatchFiller(compiled, dimsOf(compiled), 300, 300, [memory]).fill(
      memory.buffers,
    );
    const pcWrap = memory.buffers.column('pc_wrap');
    const wrapped = Array.from({ length: rows }, (_, row) => (pcWrap[row >> 3] >> (row & 7)) & 1);
    expect(wrapped.flatMap((bit, row) => (bit === 1 ? [row] : []))).toEqual([255]);
  });

  it('leaves to the FFN engine every step of an instruction whose weights could make its sums inexact in doubles', () => {
    const compiled = compileProgram(
      assemble(['.memory 2', 'loop:', 'LOADI 3', 'MUL 5', 'STORE 0', 'JMP loop'].join('\n')),
    );
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
      for (const shared of [false, true])
        expectSameBatches(compiled, dimsOf(compiled), 13, 2000, 'reversed', shared);
    }
    const compiled = compileProgram(assemble(readFileSync('programs/gcd.tvm', 'utf8')));
    expect(
      [false, true].map(
        (shared) => new FillMemory(fillShape(compiled, dimsOf(compiled), 13), { shared }).shared,
      ),
    ).toEqual([false, true]);
  });

  it('refuses a batch too large for one 32-bit memory, naming the way out', () => {
    const shape = {
      dims: { ffDim: 256, instructions: 1024 },
      batchRows: 1 << 21,
      memorySize: 256,
      units: 4096,
    };
    expect(() => fillLayout(shape)).toThrow(
      /^a batch of 2097152 rows of this trace takes \d+ bytes, over the 4 GiB one batch's memory holds: use fewer batch rows$/,
    );
    expect(fillLayout({ ...shape, batchRows: 1 << 20 }).pages).toBeLessThanOrEqual(65536);
  });

  it('defers to the FFN engine the steps whose values leave int32, and goes on after them', () => {
    // Weights no compiled program has: STORE writes 100000 · ACC (beyond int32), and MULM
    // then multiplies by that cell (a product beyond int32). The compiled fill defers those
    // steps; the engine makes them in doubles and the int32 columns hold them wrapped.
    const compiled = compileProgram(
      assemble(
        [
          '.memory 2',
          'loop:',
          'LOADI 30000',
          'STORE 0',
          'LOAD 1',
          'MULM 0',
          'ADDM 1',
          'STORE 1',
          'JMP loop',
        ].join('\n'),
      ),
    );
    const store = compiled.instructions.find((instruction) => instruction.opcode === Op.STORE)!;
    const writeValue = store.units.find((unit) => unit.out === 5)!;
    (writeValue as { coeff: number }).coeff = 100_000;
    const dims = dimsOf(compiled);
    expect(expectSameBatches(compiled, dims, 64, 500)).toBe(500);
    // The engine makes exactly the deferred steps, one advance(1) each: some, not all.
    const advance = vi.spyOn(FfnMachine.prototype, 'advance');
    try {
      const [batch] = compiledBatches(compiled, dims, 64, 500, [
        new FfnMachine(compiled).snapshot(),
      ]);
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
    const filler = new BatchFiller(compiled, dims, 8, 100, [
      new FillMemory(fillShape(compiled, dims, 8)),
    ]);
    expect(() => filler.fill(new FillMemory(fillShape(compiled, dims, 8)).buffers)).toThrow(
      "internal error: a batch filler fills its own memories' buffers",
    );
    expect(() => filler.fill(new TraceBuffers(dims, 8))).toThrow(
      "internal error: a batch filler fills its own memories' buffers",
    );
  });
});
