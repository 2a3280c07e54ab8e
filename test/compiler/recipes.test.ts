import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATE_CONSTANT } from '../../src/compiler/builder.js';
import {
  compileInstruction,
  compileProgram,
  MAX_UNITS,
  weightsBytes,
  type CompiledInstruction,
} from '../../src/compiler/compile.js';
import { denseWeights } from '../../src/compiler/dense.js';
import { In, INPUT_DIM, OUTPUT_DIM } from '../../src/compiler/layout.js';
import { assemble } from '../../src/isa/assemble.js';
import { Op, OPCODES } from '../../src/isa/opcodes.js';
import { Random } from '../support/random-programs.js';

const popcount16 = (v: number) => {
  let n = 0;
  for (let i = 0; i < 16; i++) n += ((v & 0xffff) >>> i) & 1;
  return n;
};

/** Hidden units per instruction, from the SPEC §4 recipes (biases are not units). */
function expectedUnits(mnemonic: string, arg: number): number {
  switch (mnemonic) {
    case 'NOP':
      return 3;
    case 'LOADI':
      return 2;
    case 'LOAD':
      return 3;
    case 'STORE':
      return 4;
    case 'PUSH':
      return 5;
    case 'POP':
      return 3;
    case 'ADD':
    case 'SUB':
    case 'CMP':
      return 3;
    case 'ADDM':
    case 'SUBM':
    case 'CMPM':
      return 4;
    case 'MUL':
    case 'MULM':
      return 3;
    case 'AND':
      return 2 + popcount16(arg);
    case 'OR':
      return 2 + 16 - popcount16(arg);
    case 'XOR':
      return 2 + 16;
    case 'ANDM':
      return 2 + 16;
    case 'ORM':
    case 'XORM':
      return 2 + 48;
    case 'CALL':
      return 4;
    case 'RET':
      return 3;
    case 'JMP':
      return 2;
    case 'JZ':
      return 5;
    case 'JNZ':
      return 4;
    case 'HALT':
      return 3;
    default:
      throw new Error(mnemonic);
  }
}

const ARGS_BY_KIND = {
  none: [0],
  immediate: [-32768, -21846, -1, 0, 1, 255, 256, 21845, 32767],
  address: [0, 3, 255],
  target: [0, 7, 255],
};

/** A random but well-formed input vector (bits consistent with ACC and OPERAND). */
function randomInput(r: Random): Int32Array {
  const x = new Int32Array(INPUT_DIM);
  const acc = r.int(-32768, 32767);
  const operand = r.int(-32768, 32767);
  const pc = r.int(0, 255);
  x[In.CONST] = 1;
  x[In.PC] = pc;
  x[In.PC_NEXT] = (pc + 1) & 255;
  x[In.ACC] = acc;
  x[In.ZERO] = r.int(0, 1);
  x[In.CARRY] = r.int(0, 1);
  x[In.HALTED] = 0;
  x[In.SP] = r.int(0, 255);
  x[In.OPERAND] = operand;
  for (let i = 0; i < 16; i++) {
    x[In.ACC_BITS + i] = (acc >>> i) & 1;
    x[In.OPERAND_BITS + i] = (operand >>> i) & 1;
  }
  return x;
}

function sparseEval(c: CompiledInstruction, x: Int32Array): number[] {
  const out = [...c.bias];
  for (const u of c.units)
    out[u.out] += u.coeff * (u.gate === GATE_CONSTANT ? 1 : x[u.gate]) * x[u.value];
  return out;
}

function denseEval(d: ReturnType<typeof denseWeights>, j: number, x: Int32Array): number[] {
  const F = d.ffDim;
  const hidden: number[] = [];
  for (let k = 0; k < F; k++) {
    let gate = d.bGate[j * F + k];
    let value = d.bValue[j * F + k];
    for (let i = 0; i < INPUT_DIM; i++) {
      gate += d.wGate[(j * F + k) * INPUT_DIM + i] * x[i];
      value += d.wValue[(j * F + k) * INPUT_DIM + i] * x[i];
    }
    hidden.push(gate * value);
  }
  const out: number[] = [];
  for (let o = 0; o < OUTPUT_DIM; o++) {
    let sum = d.bOut[j * OUTPUT_DIM + o];
    for (let k = 0; k < F; k++) sum += d.wOut[(j * OUTPUT_DIM + o) * F + k] * hidden[k];
    out.push(sum);
  }
  return out;
}

const allVariants = OPCODES.flatMap((spec) =>
  ARGS_BY_KIND[spec.operand].map((arg) => ({ spec, arg })),
);

describe('recipes', () => {
  it.each(allVariants.map((v) => [`${v.spec.mnemonic} ${v.arg}`, v] as const))(
    'unit count of %s',
    (_, { spec, arg }) => {
      expect(compileInstruction({ opcode: spec.code, arg }).units.length).toBe(
        expectedUnits(spec.mnemonic, arg),
      );
    },
  );

  it('ORM and XORM are the widest instructions, with MAX_UNITS = 50 units', () => {
    expect(compileInstruction({ opcode: Op.ORM, arg: 0 }).units.length).toBe(50);
    expect(compileInstruction({ opcode: Op.XORM, arg: 0 }).units.length).toBe(50);
    expect(MAX_UNITS).toBe(50);
    const widest = Math.max(
      ...allVariants.map(
        ({ spec, arg }) => compileInstruction({ opcode: spec.code, arg }).units.length,
      ),
    );
    expect(widest).toBe(MAX_UNITS);
  });

  it('every unit reads valid slots, and products and outputs stay below 2^31 on extreme inputs', () => {
    for (const { spec, arg } of allVariants) {
      const c = compileInstruction({ opcode: spec.code, arg });
      for (const u of c.units) {
        expect(u.gate === GATE_CONSTANT || (u.gate >= 0 && u.gate < INPUT_DIM)).toBe(true);
        expect(u.value >= 0 && u.value < INPUT_DIM).toBe(true);
        expect(u.out >= 0 && u.out < OUTPUT_DIM).toBe(true);
      }
      expect(c.bias.length).toBe(OUTPUT_DIM);
      // Extreme inputs: hidden products and outputs stay below 2^31 in magnitude (exact in int32/float64).
      for (const acc of [-32768, 32767]) {
        for (const operand of [-32768, 32767]) {
          const x = new Int32Array(INPUT_DIM);
          x.set([1, 255, 0, acc, 1, 1, 0, 255, operand]);
          for (let i = 0; i < 16; i++) {
            x[In.ACC_BITS + i] = (acc >>> i) & 1;
            x[In.OPERAND_BITS + i] = (operand >>> i) & 1;
          }
          for (const u of c.units)
            expect(
              Math.abs(u.coeff * (u.gate === GATE_CONSTANT ? 1 : x[u.gate]) * x[u.value]),
            ).toBeLessThan(2 ** 31);
          for (const v of sparseEval(c, x)) expect(Math.abs(v)).toBeLessThan(2 ** 31);
        }
      }
    }
  });

  it('the dense view evaluates exactly like the sparse units (several ff_dim)', () => {
    const r = new Random(7);
    const instructions = allVariants.map(({ spec, arg }) =>
      compileInstruction({ opcode: spec.code, arg }),
    );
    for (const ffDim of [MAX_UNITS, 64]) {
      const dense = denseWeights(instructions, ffDim);
      expect(dense.count).toBe(instructions.length);
      for (let trial = 0; trial < 3; trial++) {
        const x = randomInput(r);
        instructions.forEach((c, j) =>
          expect(denseEval(dense, j, x), `${OPCODES[c.opcode].mnemonic} ${c.arg}`).toEqual(
            sparseEval(c, x),
          ),
        );
      }
    }
    // The narrowest valid ff_dim for a program without ORM/XORM.
    const small = [
      compileInstruction({ opcode: Op.JZ, arg: 9 }),
      compileInstruction({ opcode: Op.PUSH, arg: 0 }),
    ];
    const dense = denseWeights(small, 5);
    const x = randomInput(r);
    small.forEach((c, j) => expect(denseEval(dense, j, x)).toEqual(sparseEval(c, x)));
  });

  it('the dense view rejects an ff_dim narrower than the widest instruction', () => {
    const instructions = [
      compileInstruction({ opcode: Op.ORM, arg: 1 }),
      compileInstruction({ opcode: Op.NOP, arg: 0 }),
    ];
    expect(() => denseWeights(instructions, 49)).toThrow(
      'ff_dim 49 is narrower than the widest instruction (50 units)',
    );
    expect(() => denseWeights(instructions, 50)).not.toThrow();
  });

  it('the weights digest of programs/fibonacci.tvm is fixed (a layout change must be deliberate)', () => {
    const source = readFileSync(new URL('../../programs/fibonacci.tvm', import.meta.url), 'utf8');
    const compiled = compileProgram(assemble(source));
    expect(compiled.digest).toBe(
      'e64030c7eb5b389a3664df7338866aff9fc90d8d464ce3044371aad5f69b6a76',
    );
    expect(compiled.minFfDim).toBe(5);
    // Stable across compilations and independent of labels and source lines.
    const relabelled = compileProgram({ ...assemble(source), labels: new Map(), sourceLines: [] });
    expect(relabelled.digest).toBe(compiled.digest);
    expect(Buffer.from(weightsBytes(compiled.instructions)).subarray(0, 8).toString('hex')).toBe(
      '316d7674' + '10000000',
    );
  });
});
