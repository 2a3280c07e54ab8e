/** The trace's columns as data: names, types, widths, ranges and meanings, one table. */
import { INPUT_DIM, OUTPUT_DIM, WORD_BITS } from '../compiler/layout.js';
import { NO_ACCESS } from '../runtime/access.js';

/**
 * The trace's columns (schema v2), as data. A column is a scalar or a fixed-width vector
 * (FixedSizeList in Arrow) of bool (bit-packed 0/1), int8, int16 or int32: each the narrowest
 * type that holds every value the AIR allows, so rows stay small. Vector widths may be
 * symbolic: `ff_dim` (hidden units per row) and `instructions` (program length).
 */
export type ColumnType = 'bool' | 'int8' | 'int16' | 'int32';
export type Width = number | 'ff_dim' | 'instructions';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  /** 1 for a scalar column; otherwise a FixedSizeList of this width. */
  readonly width: Width;
  readonly group: 'execution' | 'ffn' | 'decode' | 'controls' | 'memory' | 'log';
  readonly meaning: string;
  readonly range: string;
}

/** The FFN input x (41 slots) is stored as two columns: slots 0..8 in `input`, 9..40 in `input_bits`. */
export const INPUT_WORDS = 9;
export const INPUT_VECTOR = Object.freeze({ name: 'x', parts: ['input', 'input_bits'] as const });

/** Bits of the sorted-log gap: steps are below 2^29, so gaps fit and never wrap in any supported field. */
export const LOG_GAP_BITS = 29;
/** Bits of log addresses: 0..255 are memory cells, 256 marks a row without memory access. */
export const LOG_ADDR_BITS = 9;
/** The log address of a step that touches no memory. */
export const NO_ACCESS_ADDR = NO_ACCESS;
/**
 * Widest rows a trace may have: hidden units (the widest instruction has 50) and program
 * instructions (pc is a byte, so more than 256 are unreachable). They bound the work of
 * expanding the AIR, so a hostile file cannot make the checker hang.
 */
export const MAX_TRACE_FF_DIM = 256;
export const MAX_TRACE_INSTRUCTIONS = 1024;

/** Longest trace the AIR supports (log gaps must fit LOG_GAP_BITS). */
export const MAX_TRACE_ROWS = 2 ** LOG_GAP_BITS;

const c = (
  name: string,
  type: ColumnType,
  width: Width,
  group: ColumnSpec['group'],
  meaning: string,
  range: string,
): ColumnSpec => Object.freeze({ name, type, width, group, meaning, range });

export const COLUMNS: readonly ColumnSpec[] = [
  c('step', 'int32', 1, 'execution', 'index of the step, 0-based', '0..steps-1'),
  c(
    'active',
    'bool',
    1,
    'execution',
    '1 on a step; 0 on the padding rows a prover appends (a file holds steps only, so 1 on every row of a file)',
    '0..1',
  ),
  c(
    'last_step',
    'bool',
    1,
    'execution',
    '1 on the last step (the claim binds there), else 0',
    '0..1',
  ),
  c('pc', 'int16', 1, 'execution', 'program counter before the step (= input[1])', '0..255'),
  c(
    'opcode',
    'int8',
    1,
    'execution',
    'numeric opcode of the instruction at pc (ISA table order)',
    '0..25',
  ),
  c(
    'arg',
    'int16',
    1,
    'execution',
    'operand of the instruction at pc (immediate, address or target; 0 if none)',
    '-32768..32767',
  ),
  c(
    'selector',
    'bool',
    'instructions',
    'execution',
    'one-hot selector of the instruction at pc: selector[j] = 1 iff pc = j',
    '0..1',
  ),
  c(
    'input',
    'int16',
    INPUT_WORDS,
    'ffn',
    'FFN input slots 0..8 (SPEC §4): 1, PC, PC+1, ACC, ZERO, CARRY, HALTED, SP, OPERAND (PC+1 is taken mod 256: 0 at pc 255)',
    '1 1; PC, PC+1, SP 0..255; ACC, OPERAND -32768..32767; ZERO, CARRY, HALTED 0..1',
  ),
  c(
    'input_bits',
    'bool',
    INPUT_DIM - INPUT_WORDS,
    'ffn',
    "FFN input slots 9..40: the 16 bits of ACC (slot 9+i) then the 16 bits of OPERAND (slot 25+i), two's complement",
    '0..1',
  ),
  c(
    'gate',
    'int16',
    'ff_dim',
    'ffn',
    'gate = W_gate·x + b_gate of the instruction at pc, one entry per hidden unit',
    '-32768..32767',
  ),
  c(
    'value',
    'int16',
    'ff_dim',
    'ffn',
    'value = W_value·x + b_value of the instruction at pc',
    '-32768..32767',
  ),
  c('hidden', 'int32', 'ff_dim', 'ffn', 'hidden = gate ⊙ value', '-2^30..2^30'),
  c(
    'output',
    'int32',
    OUTPUT_DIM,
    'ffn',
    'out = W_out·hidden + b_out: NEXT_PC, RAW_ACC, NEXT_SP, WRITE_ENABLE, WRITE_ADDR, WRITE_VALUE',
    'NEXT_PC, NEXT_SP, WRITE_ADDR 0..255; RAW_ACC -2^30..2^30; WRITE_ENABLE 0..1; WRITE_VALUE -32768..32767',
  ),
  c('pc_wrap', 'bool', 1, 'decode', '1 iff pc = 255, so PC+1 = pc + 1 - 256·pc_wrap', '0..1'),
  c(
    'next_acc',
    'int16',
    1,
    'controls',
    'acc after the step: RAW_ACC wrapped to i16',
    '-32768..32767',
  ),
  c('acc_bits', 'bool', WORD_BITS, 'controls', "two's-complement bits of next_acc", '0..1'),
  c(
    'acc_or',
    'bool',
    WORD_BITS - 1,
    'controls',
    'prefix OR of acc_bits: acc_or[i] = acc_bits[0] ∨ … ∨ acc_bits[i+1]; next_acc = 0 iff acc_or[14] = 0',
    '0..1',
  ),
  c(
    'quot_bits',
    'bool',
    WORD_BITS,
    'controls',
    "two's-complement bits of the wrap quotient q: RAW_ACC = next_acc + 65536·q",
    '0..1',
  ),
  c(
    'quot_or',
    'bool',
    WORD_BITS - 1,
    'controls',
    'prefix OR of quot_bits; RAW_ACC overflows i16 iff quot_or[14] = 1',
    '0..1',
  ),
  c(
    'raw_negative',
    'bool',
    1,
    'controls',
    '1 iff RAW_ACC < 0 (the signed carry of CMP/CMPM)',
    '0..1',
  ),
  c('next_zero', 'bool', 1, 'controls', 'zero flag after the step', '0..1'),
  c('next_carry', 'bool', 1, 'controls', 'carry flag after the step', '0..1'),
  c('next_halted', 'bool', 1, 'controls', 'halted flag after the step (1 only for HALT)', '0..1'),
  c(
    'access_read',
    'bool',
    1,
    'memory',
    '1 iff the step reads memory (before the FFN, into OPERAND)',
    '0..1',
  ),
  c('access_write', 'bool', 1, 'memory', '1 iff the step writes memory (= WRITE_ENABLE)', '0..1'),
  c(
    'access_addr',
    'int16',
    1,
    'memory',
    `address read or written; ${NO_ACCESS_ADDR} when the step touches no memory`,
    `0..${NO_ACCESS_ADDR}`,
  ),
  c(
    'access_value',
    'int16',
    1,
    'memory',
    'value read (= OPERAND) or written (= WRITE_VALUE); 0 without access',
    '-32768..32767',
  ),
  c(
    'log_addr',
    'int16',
    1,
    'log',
    'memory log, sorted by (address, step): address of this entry',
    `0..${NO_ACCESS_ADDR}`,
  ),
  c('log_addr_bits', 'bool', LOG_ADDR_BITS, 'log', 'bits of log_addr (range check)', '0..1'),
  c('log_step', 'int32', 1, 'log', 'memory log: step of this entry', '0..steps-1'),
  c('log_value', 'int16', 1, 'log', 'memory log: value read or written', '-32768..32767'),
  c(
    'log_prev',
    'int16',
    1,
    'log',
    'memory log: the value the cell held before this entry (the initial value for its first entry; 0 at the no-access address)',
    '-32768..32767',
  ),
  c('log_read', 'bool', 1, 'log', 'memory log: entry is a read', '0..1'),
  c('log_write', 'bool', 1, 'log', 'memory log: entry is a write', '0..1'),
  c('log_first', 'bool', 1, 'log', 'memory log: first entry of its address', '0..1'),
  c(
    'log_last',
    'bool',
    1,
    'log',
    'memory log: last entry of its memory cell (never at the no-access address)',
    '0..1',
  ),
  c(
    'log_gap_bits',
    'bool',
    LOG_GAP_BITS,
    'log',
    'bits of the ordering gap to the previous entry: log_addr - prev - 1 when the address changes, else log_step - prev - 1 (row 0: all 0)',
    '0..1',
  ),
];

/** Concrete widths once ff_dim and the program length are known. */
export function columnWidth(
  spec: ColumnSpec,
  dims: { ffDim: number; instructions: number },
): number {
  if (spec.width === 'ff_dim') return dims.ffDim;
  if (spec.width === 'instructions') return dims.instructions;
  return spec.width;
}

export function columnIndex(name: string): number {
  const index = COLUMNS.findIndex((spec) => spec.name === name);
  if (index < 0) throw new RangeError(`unknown trace column '${name}'`);
  return index;
}
