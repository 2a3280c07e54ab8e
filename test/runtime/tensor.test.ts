import { beforeAll, describe, expect, it } from 'vitest';
import { compileProgram, MAX_UNITS } from '../../src/compiler/compile.js';
import { denseWeights, type DenseWeights } from '../../src/compiler/dense.js';
import { In, INPUT_DIM, Out } from '../../src/compiler/layout.js';
import { assemble } from '../../src/isa/assemble.js';
import { runNative } from '../../src/runtime/native/interpreter.js';
import {
  probeTfjsNode,
  resolveBackend,
  useBackend,
  wasmDistDir,
  type TensorBackendName,
  type Tf,
} from '../../src/runtime/tensor/backend.js';
import { TensorMachine } from '../../src/runtime/tensor/engine.js';
import {
  FfnTensors,
  int32Exact,
  limbCount,
  liveWidths,
  type Arithmetic,
} from '../../src/runtime/tensor/kernel.js';
import { createEngine } from '../../src/runtime/engines.js';
import { listPrograms, parseExpectation } from '../support/expectations.js';
import { Random, randomProgram } from '../support/random-programs.js';

/** Programs longer than this run with this budget (compared with the reference at the same budget). */
const STEP_CAP = 1500;
const RANDOM_PROGRAMS = 100;
const RANDOM_STEP_CAP = 120;

// tensorflow (tfjs-node on libtensorflow, `npm run setup:tensorflow`) is int32 only: tfjs-node
// has no BitwiseAnd kernel, which the limbs need.
const COMBOS: Array<[backend: TensorBackendName, arithmetic: Arithmetic]> = [
  ['cpu', 'int32'],
  ['cpu', 'limbs'],
  ['wasm', 'limbs'],
  ['tensorflow', 'int32'],
];
const BACKENDS: readonly TensorBackendName[] = ['cpu', 'wasm', 'tensorflow'];

describe('tfjs backends', () => {
  it('loads the wasm binaries from the installed package directory', async () => {
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${wasmDistDir()}tfjs-backend-wasm.wasm`)).toBe(true);
    const { tf, backend } = await useBackend('wasm');
    expect(backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('tfjs-node loads (npm run setup:tensorflow); auto is tensorflow for batches, cpu per step', async () => {
    expect(await probeTfjsNode()).toBeNull();
    expect(await resolveBackend('auto')).toBe('tensorflow');
    expect(await resolveBackend('auto', 'batched')).toBe('tensorflow');
    expect(await resolveBackend('auto', 'per-step')).toBe('cpu');
    expect(await resolveBackend('tensorflow', 'per-step')).toBe('tensorflow');
    const { tf, backend } = await useBackend('tensorflow');
    expect(backend).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('rejects an unknown backend', async () => {
    await expect(resolveBackend('webgl')).rejects.toThrow(/unknown tensor backend 'webgl'/);
  });

  it('float32 is wrong above 2^24 (why the engine never multiplies in float32)', async () => {
    for (const name of BACKENDS) {
      const { tf } = await useBackend(name);
      const product = tf.tidy(
        () => tf.matMul(tf.tensor2d([32767], [1, 1]), tf.tensor2d([32767], [1, 1])).dataSync()[0],
      );
      expect(product).toBe(1073676288); // exact: 1073676289
    }
  });

  it.each(['cpu', 'tensorflow'] as const)(
    '%s multiplies int32 exactly (matMul and mul), wrapping mod 2^32',
    async (name) => {
      const { tf } = await useBackend(name);
      expect(int32Exact(tf)).toBe(true);
      const [products, wrapped] = tf.tidy(() => {
        const a = tf.tensor2d([32767, -32768, -32768, 32767, -32768, -1], [3, 2], 'int32');
        const b = tf.tensor2d([32767, 0, 0, -32768], [2, 2], 'int32');
        // (-32768)² + (-32768)² = 2^31 wraps to -2^31; 2^31-1 doubled to -2; 2^16·2^16 to 0.
        const square = tf.tensor2d([-32768, -32768], [1, 2], 'int32');
        const sum = tf.matMul(square, tf.transpose(square));
        const factors = tf.tensor1d([2147483647, 65536, -2147483648], 'int32');
        const times = tf.mul(factors, tf.tensor1d([2, 65536, -1], 'int32'));
        return [tf.matMul(a, b).dataSync(), [...sum.dataSync(), ...times.dataSync()]];
      });
      expect(Array.from(products)).toEqual([
        1073676289, 1073741824, -1073709056, -1073709056, -1073709056, 32768,
      ]);
      expect(Array.from(wrapped)).toEqual([-2147483648, -2, 0, -2147483648]);
    },
  );

  it('tensorflow wraps int32 products of any size exactly; cpu is exact only below 2^53', async () => {
    const { tf } = await useBackend('tensorflow');
    const product = tf.tidy(() =>
      Array.from(
        tf
          .mul(
            tf.tensor1d([2147483647, -2147483647], 'int32'),
            tf.tensor1d([2147483647, 3], 'int32'),
          )
          .dataSync(),
      ),
    );
    expect(product).toEqual([1, Math.imul(-2147483647, 3)]); // (2^31-1)² ≡ 1 mod 2^32
  });

  it('wasm matMul has no int32; tensorflow has no BitwiseAnd, so no limb arithmetic', async () => {
    expect(int32Exact((await useBackend('wasm')).tf)).toBe(false);
    const { tf } = await useBackend('tensorflow');
    const dense = denseWeights(compileProgram(assemble('HALT')).instructions, MAX_UNITS);
    expect(() => FfnTensors.create(tf, 'tensorflow', dense, 'limbs')).toThrow(
      "tensor backend 'tensorflow' has no BitwiseAnd kernel, which the limb arithmetic needs",
    );
  });
});

/** Exact reference of one FFN layer in int32 arithmetic (wrapping mod 2^32, like the tensors). */
function referenceRows(
  dense: DenseWeights,
  pc: number,
  x: Int32Array,
  n: number,
): { gate: number[]; value: number[]; hidden: number[]; out: number[] } {
  const F = dense.ffDim;
  const gate: number[] = [];
  const value: number[] = [];
  const hidden: number[] = [];
  const out: number[] = [];
  for (let r = 0; r < n; r++) {
    const h: number[] = [];
    for (let k = 0; k < F; k++) {
      const row = pc * F + k;
      let g = dense.bGate[row];
      let v = dense.bValue[row];
      for (let i = 0; i < INPUT_DIM; i++) {
        g = (g + Math.imul(dense.wGate[row * INPUT_DIM + i], x[r * INPUT_DIM + i])) | 0;
        v = (v + Math.imul(dense.wValue[row * INPUT_DIM + i], x[r * INPUT_DIM + i])) | 0;
      }
      gate.push(g);
      value.push(v);
      h.push(Math.imul(g, v));
    }
    hidden.push(...h);
    for (let o = 0; o < 6; o++) {
      let s = dense.bOut[pc * 6 + o];
      for (let k = 0; k < F; k++) s = (s + Math.imul(dense.wOut[(pc * 6 + o) * F + k], h[k])) | 0;
      out.push(s);
    }
  }
  return { gate, value, hidden, out };
}

/** The first `w` of every F-wide row. */
function firstColumns(values: number[], n: number, F: number, w: number): number[] {
  const result: number[] = [];
  for (let r = 0; r < n; r++) result.push(...values.slice(r * F, r * F + w));
  return result;
}

/** The 41-slot input of a step, as the engines build it. */
function inputRow(
  pc: number,
  acc: number,
  operand: number,
  sp = 0,
  zero = 0,
  carry = 0,
): Int32Array {
  const x = new Int32Array(INPUT_DIM);
  x[In.CONST] = 1;
  x[In.PC] = pc;
  x[In.PC_NEXT] = (pc + 1) & 255;
  x[In.ACC] = acc;
  x[In.ZERO] = zero;
  x[In.CARRY] = carry;
  x[In.SP] = sp;
  x[In.OPERAND] = operand;
  for (let i = 0; i < 16; i++) {
    x[In.ACC_BITS + i] = (acc >>> i) & 1;
    x[In.OPERAND_BITS + i] = (operand >>> i) & 1;
  }
  return x;
}

describe.each(COMBOS)('exact at the extremes on %s (%s)', (backend, arithmetic) => {
  let tf: Tf;
  beforeAll(async () => {
    tf = (await useBackend(backend)).tf;
  });

  it('MULM, MUL, ORM, XORM, ANDM, ADDM, SUBM, CMPM with extreme operands give the exact hidden products and outputs', () => {
    const program = assemble(
      [
        'MULM 0',
        'MUL -32768',
        'MUL 32767',
        'ORM 0',
        'XORM 0',
        'ANDM 0',
        'ADDM 0',
        'SUBM 0',
        'CMPM 0',
        'MUL -1',
      ].join('\n'),
    );
    const compiled = compileProgram(program);
    const dense = denseWeights(compiled.instructions, MAX_UNITS);
    const tensors = FfnTensors.create(tf, backend, dense, arithmetic);
    try {
      const pairs = [
        [32767, 32767],
        [-32768, -32768],
        [-32768, -1],
        [-1, -32768],
        [32767, -32768],
        [-1, -1],
        [-1, 0],
        [0, -1],
        [-21846, 21845],
      ];
      const n = pairs.length;
      for (let pc = 0; pc < compiled.instructions.length; pc++) {
        const x = new Int32Array(n * INPUT_DIM);
        pairs.forEach(([acc, operand], r) => x.set(inputRow(pc, acc, operand), r * INPUT_DIM));
        const got = tensors.evaluate(pc, x, n);
        const want = referenceRows(dense, pc, x, n);
        const w = got.width;
        expect(Array.from(got.hidden)).toEqual(firstColumns(want.hidden, n, MAX_UNITS, w));
        expect(Array.from(got.gate)).toEqual(firstColumns(want.gate, n, MAX_UNITS, w));
        expect(Array.from(got.value)).toEqual(firstColumns(want.value, n, MAX_UNITS, w));
        expect(Array.from(got.out)).toEqual(want.out);
      }
      // Spot values: the products that float32 gets wrong.
      const mulm = (acc: number, operand: number) =>
        tensors.evaluate(0, inputRow(0, acc, operand), 1);
      expect(mulm(32767, 32767).out[Out.RAW_ACC]).toBe(1073676289);
      expect(mulm(32767, 32767).hidden).toContain(1073676289);
      expect(mulm(-32768, -32768).out[Out.RAW_ACC]).toBe(1073741824);
      expect(mulm(-32768, -1).out[Out.RAW_ACC]).toBe(32768);
      expect(tensors.evaluate(1, inputRow(1, -32768, 0), 1).out[Out.RAW_ACC]).toBe(1073741824); // MUL -32768: coefficient × ACC
      expect(tensors.evaluate(3, inputRow(3, -1, -1), 1).out[Out.RAW_ACC]).toBe(65535); // ORM, all bits
      expect(tensors.evaluate(4, inputRow(4, -1, -1), 1).out[Out.RAW_ACC]).toBe(0); // XORM, all bits
      expect(tensors.evaluate(4, inputRow(4, -1, 0), 1).out[Out.RAW_ACC]).toBe(65535);
    } finally {
      tensors.dispose();
    }
  });

  it('the engine computes the extreme products step by step like the reference', async () => {
    const source = [
      '.memory 4',
      '.init 0 -32768',
      '.init 1 32767',
      '.init 2 -1',
      'LOAD 0',
      'MULM 0', // (-32768)^2 = 2^30, wraps to 0, carry
      'LOADI -32768',
      'MULM 2', // -32768 * -1 = 32768, wraps to -32768
      'LOAD 1',
      'MULM 1', // 32767^2
      'STORE 3',
      'LOAD 2',
      'ORM 2',
      'XORM 2',
      'ORM 0',
      'ANDM 2',
      'MUL -32768',
      'CMPM 0',
      'HALT',
    ].join('\n');
    const program = assemble(source);
    const engine = await TensorMachine.create(program, { backend, arithmetic });
    try {
      const reference = runNative(program, 100);
      for (let step = 1; !engine.stopped; step++) {
        engine.advance(1);
        expect(engine.snapshot()).toEqual(runNative(program, step));
      }
      expect(engine.snapshot()).toEqual(reference);
    } finally {
      engine.dispose();
    }
  });

  const wraps = arithmetic === 'limbs' || backend === 'tensorflow';
  // Not on cpu int32 (exact within the spec's range only: partial sums < 2^53).
  if (wraps)
    it(`${arithmetic} arithmetic is exact mod 2^32 for int32 inputs and weights far outside float32`, () => {
      // wasm and tensorflow multiply int32 in int32 (wrapping): any int32 works. cpu's int32 mul
      // goes through a double, exact while |gate·value| < 2^53: there gate and value stay below
      // 2^26 (cpu limbs).
      const full = backend !== 'cpu';
      const r = new Random(7);
      const F = 6;
      const count = 3;
      const rand = (lo: number, hi: number) => r.int(lo, hi);
      const big = () =>
        r.chance(0.3)
          ? r.pick([-2147483648, 2147483647, -1, 0, 1, 65536, -65536, 1 << 30])
          : rand(-2147483648, 2147483647);
      const input = () => (full ? big() : r.pick([-65536, 65535, rand(-65536, 65535)]));
      const weight = (limit: number) => (r.chance(0.2) ? rand(-limit, limit) : 0);
      const dense: DenseWeights = {
        count,
        ffDim: F,
        wGate: Int32Array.from({ length: count * F * INPUT_DIM }, () => weight(full ? 70000 : 16)),
        bGate: Int32Array.from({ length: count * F }, () => rand(-5, 5)),
        wValue: Int32Array.from({ length: count * F * INPUT_DIM }, () => weight(full ? 300 : 16)),
        bValue: Int32Array.from({ length: count * F }, () => rand(-5, 5)),
        wOut: Int32Array.from({ length: count * 6 * F }, () => big()),
        bOut: Int32Array.from({ length: count * 6 }, () => big()),
      };
      const tensors = FfnTensors.create(tf, backend, dense, arithmetic);
      try {
        expect(Array.from(liveWidths(dense))).toEqual([F, F, F]);
        for (let pc = 0; pc < count; pc++) {
          const n = 17;
          const x = Int32Array.from({ length: n * INPUT_DIM }, () => input());
          const got = tensors.evaluate(pc, x, n);
          const want = referenceRows(dense, pc, x, n);
          expect(Array.from(got.gate)).toEqual(want.gate);
          expect(Array.from(got.value)).toEqual(want.value);
          expect(Array.from(got.hidden)).toEqual(want.hidden);
          expect(Array.from(got.out)).toEqual(want.out);
        }
      } finally {
        tensors.dispose();
      }
    });
});

describe('limbCount', () => {
  it('is the fewest byte limbs whose signed top limb holds the range', () => {
    expect(limbCount(0, 1)).toBe(1);
    expect(limbCount(-128, 127)).toBe(1);
    expect(limbCount(-129, 0)).toBe(2);
    expect(limbCount(-32768, 32767)).toBe(2);
    expect(limbCount(0, 32768)).toBe(3);
    expect(limbCount(-2147483648, 2147483647)).toBe(4);
  });
});

const programs = listPrograms();

describe.each(BACKENDS)('tensor engine on %s', (backend) => {
  it('reaches the reference state on every program in programs/', async () => {
    for (const [name, source] of programs) {
      const want = parseExpectation(source);
      const budget = Math.min(want.maxSteps, STEP_CAP);
      const program = assemble(source);
      const engine = await TensorMachine.create(program, { backend });
      try {
        expect(engine.name).toBe(`tensor(${backend})`);
        engine.advance(budget);
        expect(engine.snapshot(), name).toEqual(runNative(program, budget));
        if (budget === want.maxSteps) {
          expect(
            { steps: engine.steps, acc: engine.snapshot().acc, fault: engine.fault?.kind },
            name,
          ).toEqual({
            steps: want.steps,
            acc: want.acc,
            fault: want.fault,
          });
        }
      } finally {
        engine.dispose();
      }
    }
  });

  it(`matches the reference on ${RANDOM_PROGRAMS} seeded random programs (faults included)`, async () => {
    const r = new Random(4_2024);
    const endings = new Set<string>();
    for (let i = 0; i < RANDOM_PROGRAMS; i++) {
      const { program, maxSteps } = randomProgram(r, { maxLength: 24 });
      const budget = Math.min(maxSteps, RANDOM_STEP_CAP);
      const engine = await TensorMachine.create(program, { backend });
      try {
        engine.advance(budget);
        const want = runNative(program, budget);
        expect(engine.snapshot(), `random program ${i}`).toEqual(want);
        endings.add(want.fault?.kind ?? (want.halted ? 'halted' : 'budget'));
      } finally {
        engine.dispose();
      }
    }
    expect(endings.size).toBeGreaterThanOrEqual(4);
  });

  it('frees every tensor it makes: none left per step, none after dispose()', async () => {
    const { tf } = await useBackend(backend);
    const before = tf.memory().numTensors;
    const engine = await TensorMachine.create(
      assemble(programs.find(([name]) => name === 'fibonacci.tvm')![1]),
      { backend },
    );
    const loaded = tf.memory().numTensors;
    engine.advance(20);
    expect(tf.memory().numTensors).toBe(loaded);
    engine.advance(80);
    expect(tf.memory().numTensors).toBe(loaded);
    engine.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("is registered as 'tensor' in the engine registry and takes the backend option", async () => {
    const engine = await createEngine('tensor', assemble('LOADI 7\nHALT'), { backend });
    expect(engine.name).toBe(`tensor(${backend})`);
    engine.advance(10);
    expect(engine.snapshot().acc).toBe(7);
    (engine as TensorMachine).dispose();
  });
});
