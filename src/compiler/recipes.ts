/** The FFN recipe of every instruction, written once (SPEC §4). */
import type { FeedForwardBuilder } from './builder.js';
import { In, Out, WORD_BITS } from './layout.js';

/**
 * The compiled form of every instruction (SPEC §4), written once. Memory-read modes and
 * flag controls are not here: they come from the ISA table (src/isa/opcodes.ts).
 */
type Recipe = (b: FeedForwardBuilder, arg: number) => void;

const keepSp = (b: FeedForwardBuilder) => b.linear(Out.NEXT_SP, 1, In.SP);
const advance = (b: FeedForwardBuilder) => b.linear(Out.NEXT_PC, 1, In.PC_NEXT);
const keepAcc = (b: FeedForwardBuilder) => b.linear(Out.RAW_ACC, 1, In.ACC);
const accBit = (i: number) => In.ACC_BITS + i;
const operandBit = (i: number) => In.OPERAND_BITS + i;

/** Bit i of v as an unsigned 16-bit word. */
const bitOf = (v: number, i: number) => ((v & 0xffff) >>> i) & 1;

/** Push a value (x[source]) onto the stack: sp -= 1; mem[sp] = value. */
function push(b: FeedForwardBuilder, source: number): void {
  b.linear(Out.NEXT_SP, 1, In.SP).addBias(Out.NEXT_SP, -1);
  b.addBias(Out.WRITE_ENABLE, 1).linear(Out.WRITE_ADDR, 1, In.SP).addBias(Out.WRITE_ADDR, -1);
  b.linear(Out.WRITE_VALUE, 1, source);
}

function pop(b: FeedForwardBuilder): void {
  b.linear(Out.NEXT_SP, 1, In.SP).addBias(Out.NEXT_SP, 1);
}

function bitwiseImmediate(b: FeedForwardBuilder, v: number, op: 'and' | 'or' | 'xor'): void {
  keepSp(b);
  advance(b);
  for (let i = 0; i < WORD_BITS; i++) {
    const weight = 2 ** i;
    const set = bitOf(v, i) === 1;
    if (op === 'and') {
      if (set) b.linear(Out.RAW_ACC, weight, accBit(i));
    } else if (op === 'or') {
      if (set) b.addBias(Out.RAW_ACC, weight);
      else b.linear(Out.RAW_ACC, weight, accBit(i));
    } else if (set) {
      b.addBias(Out.RAW_ACC, weight).linear(Out.RAW_ACC, -weight, accBit(i));
    } else {
      b.linear(Out.RAW_ACC, weight, accBit(i));
    }
  }
}

function bitwiseMemory(b: FeedForwardBuilder, op: 'and' | 'or' | 'xor'): void {
  keepSp(b);
  advance(b);
  for (let i = 0; i < WORD_BITS; i++) {
    const weight = 2 ** i;
    if (op === 'and') {
      b.product(Out.RAW_ACC, weight, accBit(i), operandBit(i));
    } else {
      b.linear(Out.RAW_ACC, weight, accBit(i)).linear(Out.RAW_ACC, weight, operandBit(i));
      b.product(Out.RAW_ACC, op === 'or' ? -weight : -2 * weight, accBit(i), operandBit(i));
    }
  }
}

export const RECIPES: Readonly<Record<string, Recipe>> = Object.freeze({
  NOP: (b) => (keepSp(b), advance(b), keepAcc(b)),
  LOADI: (b, v) => (keepSp(b), advance(b), b.addBias(Out.RAW_ACC, v)),
  LOAD: (b) => (keepSp(b), advance(b), b.linear(Out.RAW_ACC, 1, In.OPERAND)),
  STORE: (b, a) => {
    keepSp(b);
    advance(b);
    keepAcc(b);
    b.addBias(Out.WRITE_ENABLE, 1).addBias(Out.WRITE_ADDR, a).linear(Out.WRITE_VALUE, 1, In.ACC);
  },
  PUSH: (b) => (advance(b), keepAcc(b), push(b, In.ACC)),
  POP: (b) => (advance(b), b.linear(Out.RAW_ACC, 1, In.OPERAND), pop(b)),
  ADD: (b, v) => (keepSp(b), advance(b), keepAcc(b), b.addBias(Out.RAW_ACC, v)),
  ADDM: (b) => (keepSp(b), advance(b), keepAcc(b), b.linear(Out.RAW_ACC, 1, In.OPERAND)),
  SUB: (b, v) => (keepSp(b), advance(b), keepAcc(b), b.addBias(Out.RAW_ACC, -v)),
  SUBM: (b) => (keepSp(b), advance(b), keepAcc(b), b.linear(Out.RAW_ACC, -1, In.OPERAND)),
  MUL: (b, v) => (keepSp(b), advance(b), b.linear(Out.RAW_ACC, v, In.ACC)),
  MULM: (b) => (keepSp(b), advance(b), b.product(Out.RAW_ACC, 1, In.ACC, In.OPERAND)),
  AND: (b, v) => bitwiseImmediate(b, v, 'and'),
  OR: (b, v) => bitwiseImmediate(b, v, 'or'),
  XOR: (b, v) => bitwiseImmediate(b, v, 'xor'),
  ANDM: (b) => bitwiseMemory(b, 'and'),
  ORM: (b) => bitwiseMemory(b, 'or'),
  XORM: (b) => bitwiseMemory(b, 'xor'),
  CMP: (b, v) => (keepSp(b), advance(b), keepAcc(b), b.addBias(Out.RAW_ACC, -v)),
  CMPM: (b) => (keepSp(b), advance(b), keepAcc(b), b.linear(Out.RAW_ACC, -1, In.OPERAND)),
  CALL: (b, t) => (b.addBias(Out.NEXT_PC, t), keepAcc(b), push(b, In.PC_NEXT)),
  RET: (b) => (b.linear(Out.NEXT_PC, 1, In.OPERAND), keepAcc(b), pop(b)),
  JMP: (b, t) => (keepSp(b), b.addBias(Out.NEXT_PC, t), keepAcc(b)),
  JZ: (b, t) => {
    keepSp(b);
    advance(b);
    b.linear(Out.NEXT_PC, t, In.ZERO).product(Out.NEXT_PC, -1, In.ZERO, In.PC_NEXT);
    keepAcc(b);
  },
  JNZ: (b, t) => {
    keepSp(b);
    b.addBias(Out.NEXT_PC, t)
      .linear(Out.NEXT_PC, -t, In.ZERO)
      .product(Out.NEXT_PC, 1, In.ZERO, In.PC_NEXT);
    keepAcc(b);
  },
  HALT: (b) => (keepSp(b), b.linear(Out.NEXT_PC, 1, In.PC), keepAcc(b)),
});
