import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProgram, MAX_UNITS } from '../../src/compiler/compile.js';
import { denseWeights, type DenseWeights } from '../../src/compiler/dense.js';
import { In, INPUT_DIM, Out, OUTPUT_DIM } from '../../src/compiler/layout.js';
import { assemble } from '../../src/isa/assemble.js';
import { createTap, FfnMachine, type FfnTap } from '../../src/runtime/ffn/engine.js';
import { useBackend } from '../../src/runtime/tensor/backend.js';
import { replayRows, TensorReplayer, type ReplayBatch } from '../../src/runtime/tensor/replay.js';
import { PROGRAMS_DIR } from '../support/expectations.js';

const F = MAX_UNITS;

interface Recording {
  dense: DenseWeights;
  tap: FfnTap;
  rows: number;
  pcs: Int32Array;
}

function record(source: string, budget: number, ffDim = F): Recording {
  const compiled = compileProgram(assemble(source));
  const machine = new FfnMachine(compiled);
  const tap = createTap(ffDim, budget);
  machine.advance(budget, tap);
  const rows = tap.row;
  const pcs = new Int32Array(rows);
  for (let r = 0; r < rows; r++) pcs[r] = tap.input[r * INPUT_DIM + In.PC];
  return { dense: denseWeights(compiled.instructions, ffDim), tap, rows, pcs };
}

const program = (name: string) => readFileSync(join(PROGRAMS_DIR, name), 'utf8');

/** Extreme products and all-bits logic, so the replay meets 2^30 hidden values. */
const EXTREMES = [
  '.memory 3',
  '.init 0 -32768',
  '.init 1 32767',
  '.init 2 -1',
  'LOAD 0',
  'MULM 0',
  'LOAD 1',
  'MULM 1',
  'LOAD 2',
  'ORM 2',
  'XORM 2',
  'LOADI -32768',
  'MUL -32768',
  'MULM 2',
  'HALT',
].join('\n');

function batchOf(rec: Recording, overrides: Partial<ReplayBatch> = {}): ReplayBatch {
  return {
    pcs: rec.pcs,
    input: rec.tap.input,
    hidden: rec.tap.hidden,
    output: rec.tap.output,
    rows: rec.rows,
    ...overrides,
  };
}

describe.each(['cpu', 'wasm', 'tensorflow'] as const)('batched replay on %s', (backend) => {
  let fib: Recording;
  let loop: Recording;
  let replayer: TensorReplayer;

  beforeAll(async () => {
    fib = record(program('fibonacci.tvm'), 1000);
    // long_loop's first 30,000 steps: many rows per instruction, several chunks.
    loop = record(program('long_loop.tvm'), 30_000);
    replayer = await TensorReplayer.create(loop.dense, { backend, chunkRows: 4096 });
  });
  afterAll(() => replayer?.dispose());

  it('finds no mismatch in recorded FFN runs (gate and value included)', async () => {
    for (const name of [
      'fibonacci.tvm',
      'bitwise.tvm',
      'factorial_recursive.tvm',
      'compare.tvm',
      'wrap_carry.tvm',
      'multiply.tvm',
    ]) {
      const rec = record(program(name), 5000);
      const mismatch = await replayRows({
        dense: rec.dense,
        backend,
        ...batchOf(rec, { gate: rec.tap.gate, value: rec.tap.value }),
      });
      expect(mismatch, name).toBeNull();
    }
    const extremes = record(EXTREMES, 100);
    expect(Array.from(extremes.tap.hidden)).toContain(1073741824);
    expect(
      await replayRows({
        dense: extremes.dense,
        backend,
        ...batchOf(extremes, { gate: extremes.tap.gate, value: extremes.tap.value }),
      }),
    ).toBeNull();
    expect(replayer.replay(batchOf(loop))).toBeNull();
  });

  it('names a single corrupted hidden value: row, index, computed and recorded values', async () => {
    const row = 57;
    const unit = 1;
    const hidden = fib.tap.hidden.slice(0, fib.rows * F);
    const recorded = hidden[row * F + unit];
    hidden[row * F + unit] = recorded + 1;
    const mismatch = await replayRows({ dense: fib.dense, backend, ...batchOf(fib, { hidden }) });
    expect(mismatch).toEqual({
      row,
      pc: fib.pcs[row],
      field: 'hidden',
      index: unit,
      expected: recorded,
      actual: recorded + 1,
    });
  });

  it('names a corrupted output value', async () => {
    const row = 88;
    const output = fib.tap.output.slice(0, fib.rows * OUTPUT_DIM);
    const recorded = output[row * OUTPUT_DIM + Out.NEXT_SP];
    output[row * OUTPUT_DIM + Out.NEXT_SP] = recorded - 3;
    const mismatch = await replayRows({ dense: fib.dense, backend, ...batchOf(fib, { output }) });
    expect(mismatch).toEqual({
      row,
      pc: fib.pcs[row],
      field: 'output',
      index: Out.NEXT_SP,
      expected: recorded,
      actual: recorded - 3,
    });
  });

  it('reports the lowest corrupted row across instruction groups and chunks, with firstRow offsets', () => {
    const hidden = loop.tap.hidden.slice(0, loop.rows * F);
    const output = loop.tap.output.slice(0, loop.rows * OUTPUT_DIM);
    // Chunks are 4096 rows. In chunk [8192, 12288) the outer loop wraps (rows 10002..10007), so
    // it holds every pc; row 10006 runs pc 0 (its group is evaluated first), row 9004 runs pc 4.
    const early = 9_004;
    const sameChunkLater = 10_006;
    const nextChunk = 20_001;
    expect([loop.pcs[early], loop.pcs[sameChunkLater]]).toEqual([4, 0]);
    hidden[early * F + 0] ^= 2;
    output[sameChunkLater * OUTPUT_DIM + Out.RAW_ACC] += 1;
    output[nextChunk * OUTPUT_DIM + Out.RAW_ACC] += 1;
    const batch = batchOf(loop, { hidden, output });
    expect(replayer.replay(batch)).toMatchObject({ row: early, pc: 4, field: 'hidden', index: 0 });
    expect(replayer.replay({ ...batch, firstRow: 1_000_000 })).toMatchObject({
      row: 1_000_000 + early,
    });
    // Only the first `rows` rows are read.
    expect(replayer.replay({ ...batch, rows: early })).toBeNull();
    hidden[early * F + 0] ^= 2;
    expect(replayer.replay(batch)).toMatchObject({
      row: sameChunkLater,
      pc: 0,
      field: 'output',
      index: Out.RAW_ACC,
    });
    output[sameChunkLater * OUTPUT_DIM + Out.RAW_ACC] -= 1;
    expect(replayer.replay(batch)).toMatchObject({
      row: nextChunk,
      field: 'output',
      index: Out.RAW_ACC,
    });
  });

  it('checks gate, value and the zero units past an instruction’s width', async () => {
    const row = 40;
    const gate = fib.tap.gate.slice(0, fib.rows * F);
    gate[row * F + 0] += 7;
    expect(
      await replayRows({
        dense: fib.dense,
        backend,
        ...batchOf(fib, { gate, value: fib.tap.value }),
      }),
    ).toMatchObject({
      row,
      field: 'gate',
      index: 0,
    });
    const hidden = fib.tap.hidden.slice(0, fib.rows * F);
    hidden[row * F + F - 1] = 9; // no instruction uses unit 49 here: the network gives 0
    expect(await replayRows({ dense: fib.dense, backend, ...batchOf(fib, { hidden }) })).toEqual({
      row,
      pc: fib.pcs[row],
      field: 'hidden',
      index: F - 1,
      expected: 0,
      actual: 9,
    });
  });

  it('rejects a pc outside the program and short arrays', () => {
    const pcs = loop.pcs.slice();
    pcs[5] = 99;
    expect(() => replayer.replay(batchOf(loop, { pcs }))).toThrow(
      /row 5: pc 99 is outside the program/,
    );
    expect(() => replayer.replay(batchOf(loop, { output: new Int32Array(10) }))).toThrow(
      /output holds 10 values/,
    );
  });

  it('leaves no tensors behind', async () => {
    const { tf } = await useBackend(backend);
    const before = tf.memory().numTensors;
    expect(await replayRows({ dense: fib.dense, backend, ...batchOf(fib) })).toBeNull();
    expect(tf.memory().numTensors).toBe(before);
  });
});
