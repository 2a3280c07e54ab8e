/**
 * The FFN's input and output layout (SPEC §4): slot numbers and their names.
 * Everything that builds, evaluates, prints or constrains the network reads these.
 */

export const INPUT_DIM = 41;
export const OUTPUT_DIM = 6;
export const WORD_BITS = 16;

export const In = Object.freeze({
  CONST: 0,
  PC: 1,
  PC_NEXT: 2,
  ACC: 3,
  ZERO: 4,
  CARRY: 5,
  HALTED: 6,
  SP: 7,
  OPERAND: 8,
  /** Bit i of ACC (two's complement) is at ACC_BITS + i. */
  ACC_BITS: 9,
  /** Bit i of OPERAND is at OPERAND_BITS + i. */
  OPERAND_BITS: 25,
});

export const Out = Object.freeze({
  NEXT_PC: 0,
  RAW_ACC: 1,
  NEXT_SP: 2,
  WRITE_ENABLE: 3,
  WRITE_ADDR: 4,
  WRITE_VALUE: 5,
});

const BASE_INPUT_NAMES = ['1', 'PC', 'PC+1', 'ACC', 'ZERO', 'CARRY', 'HALTED', 'SP', 'OPERAND'];

/** Readable name of every input slot: 1, PC, PC+1, ACC, …, ACC_0..ACC_15, OP_0..OP_15. */
export const INPUT_NAMES: readonly string[] = [
  ...BASE_INPUT_NAMES,
  ...Array.from({ length: WORD_BITS }, (_, i) => `ACC_${i}`),
  ...Array.from({ length: WORD_BITS }, (_, i) => `OP_${i}`),
];

export const OUTPUT_NAMES: readonly string[] = [
  'NEXT_PC',
  'RAW_ACC',
  'NEXT_SP',
  'WRITE_ENABLE',
  'WRITE_ADDR',
  'WRITE_VALUE',
];
