import { In, Out, WORD_BITS } from '../compiler/layout.js';
import { COLUMNS, INPUT_VECTOR, LOG_ADDR_BITS, LOG_GAP_BITS, NO_ACCESS_ADDR } from './columns.js';

/**
 * The AIR (schema v1) as data: every constraint is a polynomial of degree ≤ 2 over the
 * columns of the current row and (for transitions) the next row. `npm run schemas`
 * writes this to schemas/air-v1.json; the checker evaluates that JSON and nothing else.
 *
 * Grammar (also documented inside the JSON):
 * - a term is `coef · Π vars`, optionally summed over index variables (`sum`);
 * - coef is an integer, or `[-]table[idx]…` naming a per-program constant table;
 * - a var is `[next.]column[idx]`; idx is an integer, an index variable, or `var±n`;
 * - `for` instantiates the constraint once per value of its index variables.
 * Index ranges name a dimension (`ff_dim`, `instructions`, `input_dim`, `output_dim`) or are
 * `[lo, hi)` integer pairs.
 */

export type Range = string | [number, number];

export interface Term {
  coef: number | string;
  vars: string[];
  sum?: Record<string, Range>;
}

export type RowSet = 'every' | 'transition' | 'first' | 'last';

export interface Constraint {
  name: string;
  group: 'decode' | 'ffn' | 'controls' | 'memory' | 'continuity' | 'log' | 'boundary';
  rows: RowSet;
  for?: Record<string, Range>;
  /** Column the constraint defines, reported as "actual" (the rest is "expected"). */
  target?: string;
  description: string;
  terms: Term[];
}

export interface TableSpec {
  shape: string[];
  description: string;
}

export interface Argument {
  name: string;
  kind: 'permutation' | 'lookup' | 'final_memory';
  description: string;
  [key: string]: unknown;
}

const t = (coef: number | string, ...vars: string[]): Term => ({ coef, vars });
const sumJ = (coef: string, ...vars: string[]): Term => ({ coef, vars: ['select[j]', ...vars], sum: { j: 'instructions' } });
const x = (slot: number) => `x[${slot}]`;
const nx = (slot: number) => `next.x[${slot}]`;
const out = (slot: number) => `output[${slot}]`;
const BITS: [number, number] = [0, WORD_BITS];
const LOW_BITS: [number, number] = [0, WORD_BITS - 1];

/** "b·(b - 1) = 0" for a column entry. */
function boolean(name: string, group: Constraint['group'], ref: string, range?: Record<string, Range>): Constraint {
  return { name, group, rows: 'every', ...(range ? { for: range } : {}), description: `${ref} is 0 or 1`, terms: [t(1, ref, ref), t(-1, ref)] };
}

/** Two's-complement recomposition: value = Σ_{i<15} 2^i·bits[i] - 2^15·bits[15]. */
function recompose(name: string, group: Constraint['group'], value: string, bits: (i: string) => string, description: string): Constraint {
  return {
    name,
    group,
    rows: 'every',
    target: value,
    description,
    terms: [t(1, value), { coef: '-pow2[i]', vars: [bits('i')], sum: { i: LOW_BITS } }, t(2 ** 15, bits('15'))],
  };
}

/** Prefix-OR chain over 16 bits: or[0] = b0 ∨ b1, or[i] = or[i-1] ∨ b[i+1] (a ∨ b = a + b - ab). */
function prefixOr(prefix: string, bits: string, ors: string): Constraint[] {
  return [
    {
      name: `${prefix}.or_first`,
      group: 'controls',
      rows: 'every',
      target: `${ors}[0]`,
      description: `${ors}[0] = ${bits}[0] ∨ ${bits}[1]`,
      terms: [t(1, `${ors}[0]`), t(-1, `${bits}[0]`), t(-1, `${bits}[1]`), t(1, `${bits}[0]`, `${bits}[1]`)],
    },
    {
      name: `${prefix}.or_chain`,
      group: 'controls',
      rows: 'every',
      for: { i: [1, WORD_BITS - 1] },
      target: `${ors}[i]`,
      description: `${ors}[i] = ${ors}[i-1] ∨ ${bits}[i+1]`,
      terms: [t(1, `${ors}[i]`), t(-1, `${ors}[i-1]`), t(-1, `${bits}[i+1]`), t(1, `${ors}[i-1]`, `${bits}[i+1]`)],
    },
  ];
}

const ZERO_OR = `acc_or[${WORD_BITS - 2}]`;
const QUOT_OR = `quot_or[${WORD_BITS - 2}]`;

export const CONSTRAINTS: Constraint[] = [
  // ── decoding: the row's instruction and the input slots that restate the state ──
  boolean('decode.select_boolean', 'decode', 'select[j]', { j: 'instructions' }),
  {
    name: 'decode.select_one',
    group: 'decode',
    rows: 'every',
    description: 'exactly one instruction is selected: Σ_j select[j] = 1',
    terms: [{ coef: 1, vars: ['select[j]'], sum: { j: 'instructions' } }, t(-1)],
  },
  {
    name: 'decode.select_pc',
    group: 'decode',
    rows: 'every',
    target: x(In.PC),
    description: 'the selected instruction is the one at pc: Σ_j j·select[j] = PC',
    terms: [t(1, x(In.PC)), sumJ('-index[j]')],
  },
  { name: 'decode.pc', group: 'decode', rows: 'every', target: 'pc', description: 'pc column = input PC', terms: [t(1, 'pc'), t(-1, x(In.PC))] },
  { name: 'decode.opcode', group: 'decode', rows: 'every', target: 'opcode', description: 'opcode = Σ_j opcode[j]·select[j]', terms: [t(1, 'opcode'), sumJ('-opcode[j]')] },
  { name: 'decode.arg', group: 'decode', rows: 'every', target: 'arg', description: 'arg = Σ_j arg[j]·select[j]', terms: [t(1, 'arg'), sumJ('-arg[j]')] },
  {
    name: 'decode.valid_instruction',
    group: 'decode',
    rows: 'every',
    description: 'no row executes an instruction whose direct address is outside memory (it would fault)',
    terms: [sumJ('invalid[j]')],
  },
  { name: 'decode.const', group: 'decode', rows: 'every', target: x(In.CONST), description: 'input[0] = 1', terms: [t(1, x(In.CONST)), t(-1)] },
  boolean('decode.pc_wrap_boolean', 'decode', 'pc_wrap'),
  {
    name: 'decode.pc_next',
    group: 'decode',
    rows: 'every',
    target: x(In.PC_NEXT),
    description: 'PC+1 = pc + 1 - 256·pc_wrap',
    terms: [t(1, x(In.PC_NEXT)), t(-1, x(In.PC)), t(-1), t(256, 'pc_wrap')],
  },
  {
    name: 'decode.pc_wrap_only_at_255',
    group: 'decode',
    rows: 'every',
    description: 'pc_wrap = 1 only when pc = 255: pc_wrap·(pc - 255) = 0',
    terms: [t(1, 'pc_wrap', x(In.PC)), t(-255, 'pc_wrap')],
  },
  boolean('decode.zero_boolean', 'decode', x(In.ZERO)),
  boolean('decode.carry_boolean', 'decode', x(In.CARRY)),
  { name: 'decode.not_halted', group: 'decode', rows: 'every', target: x(In.HALTED), description: 'a step only executes while not halted', terms: [t(1, x(In.HALTED))] },
  boolean('decode.acc_bit_boolean', 'decode', `x[${In.ACC_BITS}+i]`, { i: BITS }),
  recompose('decode.acc_bits', 'decode', x(In.ACC), (i) => `x[${In.ACC_BITS}+${i}]`, 'ACC = its two\'s-complement bits (also proves ACC is an i16)'),
  boolean('decode.operand_bit_boolean', 'decode', `x[${In.OPERAND_BITS}+i]`, { i: BITS }),
  recompose('decode.operand_bits', 'decode', x(In.OPERAND), (i) => `x[${In.OPERAND_BITS}+${i}]`, 'OPERAND = its two\'s-complement bits'),

  // ── the FFN: linear gate and value, their product, linear output ──
  {
    name: 'ffn.gate',
    group: 'ffn',
    rows: 'every',
    for: { k: 'ff_dim' },
    target: 'gate[k]',
    description: 'gate[k] = Σ_j select[j]·(W_gate[j][k]·x + b_gate[j][k])',
    terms: [t(1, 'gate[k]'), { coef: '-W_gate[j][k][i]', vars: ['select[j]', 'x[i]'], sum: { j: 'instructions', i: 'input_dim' } }, sumJ('-b_gate[j][k]')],
  },
  {
    name: 'ffn.value',
    group: 'ffn',
    rows: 'every',
    for: { k: 'ff_dim' },
    target: 'value[k]',
    description: 'value[k] = Σ_j select[j]·(W_value[j][k]·x + b_value[j][k])',
    terms: [t(1, 'value[k]'), { coef: '-W_value[j][k][i]', vars: ['select[j]', 'x[i]'], sum: { j: 'instructions', i: 'input_dim' } }, sumJ('-b_value[j][k]')],
  },
  {
    name: 'ffn.hidden',
    group: 'ffn',
    rows: 'every',
    for: { k: 'ff_dim' },
    target: 'hidden[k]',
    description: 'hidden[k] = gate[k]·value[k]',
    terms: [t(1, 'hidden[k]'), t(-1, 'gate[k]', 'value[k]')],
  },
  {
    name: 'ffn.output',
    group: 'ffn',
    rows: 'every',
    for: { o: 'output_dim' },
    target: 'output[o]',
    description: 'output[o] = Σ_j select[j]·(W_out[j][o]·hidden + b_out[j][o])',
    terms: [t(1, 'output[o]'), { coef: '-W_out[j][o][k]', vars: ['select[j]', 'hidden[k]'], sum: { j: 'instructions', k: 'ff_dim' } }, sumJ('-b_out[j][o]')],
  },

  // ── controls: wrap, flags ──
  boolean('controls.acc_bit_boolean', 'controls', 'acc_bits[i]', { i: BITS }),
  recompose('controls.next_acc_bits', 'controls', 'next_acc', (i) => `acc_bits[${i}]`, 'next_acc = its bits (so next_acc is an i16)'),
  boolean('controls.quot_bit_boolean', 'controls', 'quot_bits[i]', { i: BITS }),
  {
    name: 'controls.wrap',
    group: 'controls',
    rows: 'every',
    target: out(Out.RAW_ACC),
    description: 'RAW_ACC = next_acc + 65536·q, q = Σ_{i<15} 2^i·quot_bits[i] - 2^15·quot_bits[15]: next_acc is RAW_ACC wrapped to i16',
    terms: [
      t(1, out(Out.RAW_ACC)),
      t(-1, 'next_acc'),
      { coef: '-pow2[i+16]', vars: ['quot_bits[i]'], sum: { i: LOW_BITS } },
      t(2 ** 31, 'quot_bits[15]'),
    ],
  },
  ...prefixOr('controls.acc', 'acc_bits', 'acc_or'),
  ...prefixOr('controls.quot', 'quot_bits', 'quot_or'),
  boolean('controls.raw_negative_boolean', 'controls', 'raw_negative'),
  {
    name: 'controls.raw_negative',
    group: 'controls',
    rows: 'every',
    target: 'raw_negative',
    description: 'RAW_ACC < 0 iff q < 0, or q = 0 and next_acc < 0: raw_negative = quot_bits[15] + (1 - quot_or[14])·acc_bits[15]',
    terms: [t(1, 'raw_negative'), t(-1, 'quot_bits[15]'), t(-1, 'acc_bits[15]'), t(1, QUOT_OR, 'acc_bits[15]')],
  },
  {
    name: 'controls.zero',
    group: 'controls',
    rows: 'every',
    target: 'next_zero',
    description: 'next_zero = (next_acc = 0) for instructions that set it, else ZERO: next_zero = Σ_j select[j]·(zero_result[j]·(1 - acc_or[14]) + (1 - zero_result[j])·ZERO)',
    terms: [
      t(1, 'next_zero'),
      sumJ('-zero_result[j]'),
      sumJ('zero_result[j]', ZERO_OR),
      sumJ('-zero_keep[j]', x(In.ZERO)),
    ],
  },
  {
    name: 'controls.carry',
    group: 'controls',
    rows: 'every',
    target: 'next_carry',
    description: 'next_carry = Σ_j select[j]·(carry_keep[j]·CARRY + carry_overflow[j]·quot_or[14] + carry_less[j]·raw_negative); cleared otherwise',
    terms: [t(1, 'next_carry'), sumJ('-carry_keep[j]', x(In.CARRY)), sumJ('-carry_overflow[j]', QUOT_OR), sumJ('-carry_less[j]', 'raw_negative')],
  },
  {
    name: 'controls.halted',
    group: 'controls',
    rows: 'every',
    target: 'next_halted',
    description: 'next_halted = Σ_j halts[j]·select[j]',
    terms: [t(1, 'next_halted'), sumJ('-halts[j]')],
  },

  // ── the step's memory access ──
  {
    name: 'memory.read',
    group: 'memory',
    rows: 'every',
    target: 'access_read',
    description: 'access_read = Σ_j read_any[j]·select[j]',
    terms: [t(1, 'access_read'), sumJ('-read_any[j]')],
  },
  {
    name: 'memory.write',
    group: 'memory',
    rows: 'every',
    target: 'access_write',
    description: 'access_write = WRITE_ENABLE',
    terms: [t(1, 'access_write'), t(-1, out(Out.WRITE_ENABLE))],
  },
  boolean('memory.write_boolean', 'memory', 'access_write'),
  {
    name: 'memory.read_or_write',
    group: 'memory',
    rows: 'every',
    description: 'a step does not both read and write: access_read·access_write = 0',
    terms: [t(1, 'access_read', 'access_write')],
  },
  {
    name: 'memory.no_read_no_operand',
    group: 'memory',
    rows: 'every',
    description: 'OPERAND is 0 when nothing is read: (1 - access_read)·OPERAND = 0',
    terms: [t(1, x(In.OPERAND)), t(-1, 'access_read', x(In.OPERAND))],
  },
  {
    name: 'memory.addr',
    group: 'memory',
    rows: 'every',
    target: 'access_addr',
    description: `access_addr = Σ_j select[j]·(read_direct_addr[j] + read_stack[j]·SP) + WRITE_ENABLE·WRITE_ADDR + ${NO_ACCESS_ADDR}·(1 - access_read - access_write)`,
    terms: [
      t(1, 'access_addr'),
      sumJ('-read_direct_addr[j]'),
      sumJ('-read_stack[j]', x(In.SP)),
      t(-1, out(Out.WRITE_ENABLE), out(Out.WRITE_ADDR)),
      t(-NO_ACCESS_ADDR),
      t(NO_ACCESS_ADDR, 'access_read'),
      t(NO_ACCESS_ADDR, 'access_write'),
    ],
  },
  {
    name: 'memory.value',
    group: 'memory',
    rows: 'every',
    target: 'access_value',
    description: 'access_value = access_read·OPERAND + WRITE_ENABLE·WRITE_VALUE',
    terms: [t(1, 'access_value'), t(-1, 'access_read', x(In.OPERAND)), t(-1, out(Out.WRITE_ENABLE), out(Out.WRITE_VALUE))],
  },

  // ── continuity: row t's next state is row t+1's state ──
  { name: 'continuity.step', group: 'continuity', rows: 'transition', target: 'next.step', description: "step' = step + 1", terms: [t(1, 'next.step'), t(-1, 'step'), t(-1)] },
  { name: 'continuity.pc', group: 'continuity', rows: 'transition', target: nx(In.PC), description: "PC' = NEXT_PC", terms: [t(1, nx(In.PC)), t(-1, out(Out.NEXT_PC))] },
  { name: 'continuity.acc', group: 'continuity', rows: 'transition', target: nx(In.ACC), description: "ACC' = next_acc", terms: [t(1, nx(In.ACC)), t(-1, 'next_acc')] },
  { name: 'continuity.sp', group: 'continuity', rows: 'transition', target: nx(In.SP), description: "SP' = NEXT_SP", terms: [t(1, nx(In.SP)), t(-1, out(Out.NEXT_SP))] },
  { name: 'continuity.zero', group: 'continuity', rows: 'transition', target: nx(In.ZERO), description: "ZERO' = next_zero", terms: [t(1, nx(In.ZERO)), t(-1, 'next_zero')] },
  { name: 'continuity.carry', group: 'continuity', rows: 'transition', target: nx(In.CARRY), description: "CARRY' = next_carry", terms: [t(1, nx(In.CARRY)), t(-1, 'next_carry')] },
  { name: 'continuity.halted', group: 'continuity', rows: 'transition', target: nx(In.HALTED), description: "HALTED' = next_halted (so nothing runs after HALT)", terms: [t(1, nx(In.HALTED)), t(-1, 'next_halted')] },

  // ── the memory log, sorted by (address, step) with the order enforced ──
  boolean('log.read_boolean', 'log', 'log_read'),
  boolean('log.write_boolean', 'log', 'log_write'),
  boolean('log.first_boolean', 'log', 'log_first'),
  { name: 'log.read_or_write', group: 'log', rows: 'every', description: 'log_read·log_write = 0', terms: [t(1, 'log_read', 'log_write')] },
  boolean('log.addr_bit_boolean', 'log', 'log_addr_bits[i]', { i: [0, LOG_ADDR_BITS] }),
  {
    name: 'log.addr_bits',
    group: 'log',
    rows: 'every',
    target: 'log_addr',
    description: `log_addr = Σ 2^i·log_addr_bits[i] (so 0 ≤ log_addr < 2^${LOG_ADDR_BITS})`,
    terms: [t(1, 'log_addr'), { coef: '-pow2[i]', vars: ['log_addr_bits[i]'], sum: { i: [0, LOG_ADDR_BITS] } }],
  },
  {
    name: 'log.continue',
    group: 'log',
    rows: 'every',
    target: 'log_continue',
    description: 'log_continue = log_read·(1 - log_first)',
    terms: [t(1, 'log_continue'), t(-1, 'log_read'), t(1, 'log_read', 'log_first')],
  },
  boolean('log.gap_bit_boolean', 'log', 'log_gap_bits[i]', { i: [0, LOG_GAP_BITS] }),
  {
    name: 'log.same_address',
    group: 'log',
    rows: 'transition',
    description: "an entry that is not first keeps the address: (1 - log_first')·(log_addr' - log_addr) = 0",
    terms: [t(1, 'next.log_addr'), t(-1, 'log_addr'), t(-1, 'next.log_first', 'next.log_addr'), t(1, 'next.log_first', 'log_addr')],
  },
  {
    name: 'log.order',
    group: 'log',
    rows: 'transition',
    description:
      "strictly sorted by (address, step): log_first'·(log_addr' - log_addr - 1) + (1 - log_first')·(log_step' - log_step - 1) = Σ 2^i·log_gap_bits'[i]",
    terms: [
      t(1, 'next.log_first', 'next.log_addr'),
      t(-1, 'next.log_first', 'log_addr'),
      t(-1, 'next.log_first'),
      t(1, 'next.log_step'),
      t(-1, 'log_step'),
      t(-1),
      t(-1, 'next.log_first', 'next.log_step'),
      t(1, 'next.log_first', 'log_step'),
      t(1, 'next.log_first'),
      { coef: '-pow2[i]', vars: ['next.log_gap_bits[i]'], sum: { i: [0, LOG_GAP_BITS] } },
    ],
  },
  {
    name: 'log.read_returns_last_value',
    group: 'log',
    rows: 'transition',
    description: "a read that is not first returns the previous entry's value: log_continue'·(log_value' - log_value) = 0",
    terms: [t(1, 'next.log_continue', 'next.log_value'), t(-1, 'next.log_continue', 'log_value')],
  },

  // ── boundary: the first row is the program's initial state, the last row the claim ──
  { name: 'boundary.step', group: 'boundary', rows: 'first', target: 'step', description: 'step = 0', terms: [t(1, 'step')] },
  { name: 'boundary.pc', group: 'boundary', rows: 'first', target: x(In.PC), description: 'PC = 0', terms: [t(1, x(In.PC))] },
  { name: 'boundary.acc', group: 'boundary', rows: 'first', target: x(In.ACC), description: 'ACC = 0', terms: [t(1, x(In.ACC))] },
  { name: 'boundary.zero', group: 'boundary', rows: 'first', target: x(In.ZERO), description: 'ZERO = 1', terms: [t(1, x(In.ZERO)), t(-1)] },
  { name: 'boundary.carry', group: 'boundary', rows: 'first', target: x(In.CARRY), description: 'CARRY = 0', terms: [t(1, x(In.CARRY))] },
  { name: 'boundary.sp', group: 'boundary', rows: 'first', target: x(In.SP), description: 'SP = memory size', terms: [t(1, x(In.SP)), t('-memory_size')] },
  { name: 'boundary.log_first', group: 'boundary', rows: 'first', target: 'log_first', description: 'the first log entry starts its address', terms: [t(1, 'log_first'), t(-1)] },
  {
    name: 'boundary.log_gap',
    group: 'boundary',
    rows: 'first',
    description: 'row 0 has no gap: Σ 2^i·log_gap_bits[i] = 0',
    terms: [{ coef: 'pow2[i]', vars: ['log_gap_bits[i]'], sum: { i: [0, LOG_GAP_BITS] } }],
  },
  { name: 'claim.steps', group: 'boundary', rows: 'last', target: 'step', description: 'step = claim_steps - 1', terms: [t(1, 'step'), t('-claim_steps'), t(1)] },
  { name: 'claim.pc', group: 'boundary', rows: 'last', target: out(Out.NEXT_PC), description: 'NEXT_PC = claim_pc', terms: [t(1, out(Out.NEXT_PC)), t('-claim_pc')] },
  { name: 'claim.acc', group: 'boundary', rows: 'last', target: 'next_acc', description: 'next_acc = claim_acc', terms: [t(1, 'next_acc'), t('-claim_acc')] },
  { name: 'claim.sp', group: 'boundary', rows: 'last', target: out(Out.NEXT_SP), description: 'NEXT_SP = claim_sp', terms: [t(1, out(Out.NEXT_SP)), t('-claim_sp')] },
  { name: 'claim.zero', group: 'boundary', rows: 'last', target: 'next_zero', description: 'next_zero = claim_zero', terms: [t(1, 'next_zero'), t('-claim_zero')] },
  { name: 'claim.carry', group: 'boundary', rows: 'last', target: 'next_carry', description: 'next_carry = claim_carry', terms: [t(1, 'next_carry'), t('-claim_carry')] },
  { name: 'claim.halted', group: 'boundary', rows: 'last', target: 'next_halted', description: 'next_halted = claim_halted', terms: [t(1, 'next_halted'), t('-claim_halted')] },
];

export const TABLES: Record<string, TableSpec> = {
  W_gate: { shape: ['instructions', 'ff_dim', 'input_dim'], description: 'dense W_gate of each instruction (compiled weights)' },
  b_gate: { shape: ['instructions', 'ff_dim'], description: 'dense b_gate of each instruction' },
  W_value: { shape: ['instructions', 'ff_dim', 'input_dim'], description: 'dense W_value of each instruction' },
  b_value: { shape: ['instructions', 'ff_dim'], description: 'dense b_value of each instruction' },
  W_out: { shape: ['instructions', 'output_dim', 'ff_dim'], description: 'dense W_out of each instruction' },
  b_out: { shape: ['instructions', 'output_dim'], description: 'b_out of each instruction' },
  index: { shape: ['instructions'], description: 'j' },
  opcode: { shape: ['instructions'], description: 'numeric opcode of instruction j' },
  arg: { shape: ['instructions'], description: 'operand of instruction j' },
  invalid: { shape: ['instructions'], description: '1 if instruction j reads or writes a direct address ≥ memory size (it can only fault)' },
  read_any: { shape: ['instructions'], description: '1 if instruction j reads memory (direct or stack_top)' },
  read_direct_addr: { shape: ['instructions'], description: 'the address instruction j reads in direct mode; 0 otherwise' },
  read_stack: { shape: ['instructions'], description: '1 if instruction j reads mem[SP] (stack_top)' },
  zero_result: { shape: ['instructions'], description: '1 if instruction j sets ZERO from its result' },
  zero_keep: { shape: ['instructions'], description: '1 - zero_result[j]' },
  carry_keep: { shape: ['instructions'], description: '1 if instruction j keeps CARRY' },
  carry_overflow: { shape: ['instructions'], description: '1 if instruction j sets CARRY to the i16 overflow of RAW_ACC' },
  carry_less: { shape: ['instructions'], description: '1 if instruction j sets CARRY to RAW_ACC < 0 (signed old acc < rhs)' },
  halts: { shape: ['instructions'], description: '1 for HALT' },
  pow2: { shape: ['64'], description: '2^i' },
  memory_size: { shape: [], description: 'number of memory cells N' },
  claim_steps: { shape: [], description: 'claimed number of executed steps' },
  claim_pc: { shape: [], description: 'claimed final pc' },
  claim_acc: { shape: [], description: 'claimed final acc' },
  claim_sp: { shape: [], description: 'claimed final sp' },
  claim_zero: { shape: [], description: 'claimed final zero flag' },
  claim_carry: { shape: [], description: 'claimed final carry flag' },
  claim_halted: { shape: [], description: 'claimed final halted flag' },
};

export const ARGUMENTS: Argument[] = [
  {
    name: 'memory.permutation',
    kind: 'permutation',
    description:
      'The memory log is a permutation of the steps\' accesses: the multiset of (step, access_addr, access_value, access_read, access_write) over all rows equals the multiset of (log_step, log_addr, log_value, log_read, log_write). A STARK proves it with a grand product under a random challenge; the checker compares the multisets exactly.',
    left: ['step', 'access_addr', 'access_value', 'access_read', 'access_write'],
    right: ['log_step', 'log_addr', 'log_value', 'log_read', 'log_write'],
  },
  {
    name: 'memory.initial_value',
    kind: 'lookup',
    description:
      'The first entry of an address, when it is a read, returns the initial memory: on rows with log_first·log_read = 1, (log_addr, log_value) is in the public table {(a, initial_memory[a]) : a < memory_size}.',
    selector: ['log_first', 'log_read'],
    tuple: ['log_addr', 'log_value'],
    table: 'initial_memory',
  },
  {
    name: 'memory.final_value',
    kind: 'final_memory',
    description:
      'The claimed final memory is what the log leaves behind: for the last entry of each address that is read or written (the next row starts a new address, or it is the last row), (log_addr, log_value) is in {(a, claim_memory[a]) : a < memory_size}; every address without an entry keeps its initial value.',
    tuple: ['log_addr', 'log_value'],
    table: 'claim_memory',
  },
];

export const AIR_VERSION = 'tvm-trace/air/v1';

/** The whole AIR document as written to schemas/air-v1.json. */
export function airDocument(): Record<string, unknown> {
  return {
    $comment: 'Generated from src/air/definition.ts by `npm run schemas`; do not edit by hand.',
    version: AIR_VERSION,
    description:
      'Algebraic intermediate representation of a tvm-trace witness (trace schema v1). Every constraint is a polynomial of degree ≤ 2 in the columns of the current row and, for rows = "transition", of the next row; it must evaluate to 0. Per-instruction coefficients come from tables built from the compiled program; a row picks its instruction\'s coefficients through the one-hot selector column select[j] (select[j]·linear form has degree 2).',
    grammar: {
      term: 'coef · Π vars, summed over `sum` index variables when present',
      coef: 'integer, or "[-]table[idx]…" (table from "tables")',
      var: '"[next.]column[idx]" (or a vector from "vectors") where idx is an integer, an index variable, or "var+n" / "var-n"; "next." reads the next row',
      range: 'a dimension name (ff_dim, instructions, input_dim = 41, output_dim = 6) or [lo, hi) integers',
      rows: 'every: all rows; transition: rows 0..n-2 with the next row; first: row 0; last: row n-1',
    },
    selection: 'one-hot selector select[j] per program instruction, tied to pc by decode.select_pc; the prover treats the tables as preprocessed (fixed) data of the program',
    columns: COLUMNS,
    vectors: { [INPUT_VECTOR.name]: { parts: INPUT_VECTOR.parts, description: 'the 41-slot FFN input: x[i] is input[i] for i < 9 and input_bits[i - 9] after' } },
    tables: TABLES,
    constraints: CONSTRAINTS,
    arguments: ARGUMENTS,
  };
}
