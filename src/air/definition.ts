/** The AIR (v2) as data: constraints, memory arguments, public values and obligations, written to schemas/air-v2.json. */
import { In, Out, WORD_BITS } from '../compiler/layout.js';
import { COLUMNS, INPUT_VECTOR, LOG_ADDR_BITS, LOG_GAP_BITS, NO_ACCESS_ADDR } from './columns.js';

/**
 * The AIR (v2) as data: every constraint is a polynomial of degree ≤ 2 over the columns
 * of the current row and (for transitions) the next row. `npm run schemas` writes this to
 * schemas/air-v2.json; the checker and the Rust prover evaluate that JSON and nothing else.
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
  group: 'padding' | 'decode' | 'ffn' | 'controls' | 'memory' | 'continuity' | 'log' | 'boundary';
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

/** A multiset over rows: each row contributes `tuple` with multiplicity `multiplicity` (a polynomial). */
export interface RowSide {
  multiplicity: Term[];
  tuple: string[];
}

/** A multiset argument: the left side's multiset equals the right side's (or, for a lookup, is contained in its table). */
export interface Argument {
  name: string;
  kind: 'permutation' | 'lookup' | 'multiset';
  description: string;
  /** Rows' tuples (with multiplicities) and public tables (each entry once). */
  left: { rows?: RowSide; table?: string };
  right: { rows?: RowSide; table?: string };
}

/** A check a verifier makes on the public inputs (or a witness file's reader on the file), outside the polynomial constraints. */
export interface Obligation {
  name: string;
  /** statement: one proof's public values; witness_file: a trace file; run: a segmented run's chain of statements. */
  applies_to: 'statement' | 'witness_file' | 'run';
  description: string;
  /** How the TypeScript checker makes it: a check that reports this name, or by construction (it takes the value from the source of truth). */
  checker: 'checked' | 'by_construction';
}

const t = (coef: number | string, ...vars: string[]): Term => ({ coef, vars });
const sumJ = (coef: string, ...vars: string[]): Term => ({
  coef,
  vars: ['selector[j]', ...vars],
  sum: { j: 'instructions' },
});
const x = (slot: number) => `x[${slot}]`;
const nx = (slot: number) => `next.x[${slot}]`;
const out = (slot: number) => `output[${slot}]`;
const BITS: [number, number] = [0, WORD_BITS];
const LOW_BITS: [number, number] = [0, WORD_BITS - 1];

/** "b·(b - 1) = 0" for a column entry. */
function boolean(
  name: string,
  group: Constraint['group'],
  ref: string,
  range?: Record<string, Range>,
): Constraint {
  return {
    name,
    group,
    rows: 'every',
    ...(range ? { for: range } : {}),
    description: `${ref} is 0 or 1`,
    terms: [t(1, ref, ref), t(-1, ref)],
  };
}

/** Two's-complement recomposition: value = Σ_{i<15} 2^i·bits[i] - 2^15·bits[15]. */
function recompose(
  name: string,
  group: Constraint['group'],
  value: string,
  bits: (i: string) => string,
  description: string,
): Constraint {
  return {
    name,
    group,
    rows: 'every',
    target: value,
    description,
    terms: [
      t(1, value),
      { coef: '-pow2[i]', vars: [bits('i')], sum: { i: LOW_BITS } },
      t(2 ** 15, bits('15')),
    ],
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
      terms: [
        t(1, `${ors}[0]`),
        t(-1, `${bits}[0]`),
        t(-1, `${bits}[1]`),
        t(1, `${bits}[0]`, `${bits}[1]`),
      ],
    },
    {
      name: `${prefix}.or_chain`,
      group: 'controls',
      rows: 'every',
      for: { i: [1, WORD_BITS - 1] },
      target: `${ors}[i]`,
      description: `${ors}[i] = ${ors}[i-1] ∨ ${bits}[i+1]`,
      terms: [
        t(1, `${ors}[i]`),
        t(-1, `${ors}[i-1]`),
        t(-1, `${bits}[i+1]`),
        t(1, `${ors}[i-1]`, `${bits}[i+1]`),
      ],
    },
  ];
}

/** "active'·(next - value) = 0": the next row restates this row's result, unless it is padding. */
function continuity(name: string, next: string, value: string, equation: string): Constraint {
  return {
    name,
    group: 'continuity',
    rows: 'transition',
    target: next,
    description: `${equation} when the next row is a step: active'·(${next} - ${value}) = 0`,
    terms: [t(1, 'next.active', next), t(-1, 'next.active', value)],
  };
}

/** "last_step·(value - public) = 0": the last step leaves the claimed final state. */
function claim(
  name: string,
  value: string,
  table: string,
  description: string,
  offset = 0,
): Constraint {
  const terms = [t(1, 'last_step', value), t(`-${table}`, 'last_step')];
  if (offset !== 0) terms.push(t(offset, 'last_step'));
  return {
    name,
    group: 'boundary',
    rows: 'every',
    target: value,
    description: `${description} on the last step: last_step·(${value}${offset ? ` + ${offset}` : ''} - ${table}) = 0`,
    terms,
  };
}

const ZERO_OR = `acc_or[${WORD_BITS - 2}]`;
const QUOT_OR = `quot_or[${WORD_BITS - 2}]`;

export const CONSTRAINTS: Constraint[] = [
  // ── padding: active rows are the steps, a prefix; padding rows fill the height to a power of two ──
  boolean('padding.active_boolean', 'padding', 'active'),
  {
    name: 'padding.first_active',
    group: 'padding',
    rows: 'first',
    target: 'active',
    description: 'row 0 is a step: active = 1',
    terms: [t(1, 'active'), t(-1)],
  },
  {
    name: 'padding.active_prefix',
    group: 'padding',
    rows: 'transition',
    target: 'next.active',
    description: "no step after padding: active'·(1 - active) = 0",
    terms: [t(1, 'next.active'), t(-1, 'next.active', 'active')],
  },
  boolean('padding.last_step_boolean', 'padding', 'last_step'),
  {
    name: 'padding.last_step',
    group: 'padding',
    rows: 'transition',
    target: 'last_step',
    description:
      "last_step marks the last step, where active falls to 0: last_step = active - active'",
    terms: [t(1, 'last_step'), t(-1, 'active'), t(1, 'next.active')],
  },
  {
    name: 'padding.last_row',
    group: 'padding',
    rows: 'last',
    target: 'last_step',
    description: 'on the last row (no padding after it): last_step = active',
    terms: [t(1, 'last_step'), t(-1, 'active')],
  },

  // ── decoding: the row's instruction and the input slots that restate the state ──
  boolean('decode.selector_boolean', 'decode', 'selector[j]', { j: 'instructions' }),
  {
    name: 'decode.selector_one',
    group: 'decode',
    rows: 'every',
    description:
      'an active row selects exactly one instruction, a padding row none: Σ_j selector[j] = active',
    terms: [{ coef: 1, vars: ['selector[j]'], sum: { j: 'instructions' } }, t(-1, 'active')],
  },
  {
    name: 'decode.selector_pc',
    group: 'decode',
    rows: 'every',
    target: x(In.PC),
    description: 'the selected instruction is the one at pc: Σ_j j·selector[j] = PC',
    terms: [t(1, x(In.PC)), sumJ('-index[j]')],
  },
  {
    name: 'decode.pc',
    group: 'decode',
    rows: 'every',
    target: 'pc',
    description: 'pc column = input PC',
    terms: [t(1, 'pc'), t(-1, x(In.PC))],
  },
  {
    name: 'decode.opcode',
    group: 'decode',
    rows: 'every',
    target: 'opcode',
    description: 'opcode = Σ_j opcode[j]·selector[j]',
    terms: [t(1, 'opcode'), sumJ('-opcode[j]')],
  },
  {
    name: 'decode.arg',
    group: 'decode',
    rows: 'every',
    target: 'arg',
    description: 'arg = Σ_j arg[j]·selector[j]',
    terms: [t(1, 'arg'), sumJ('-arg[j]')],
  },
  {
    name: 'decode.valid_instruction',
    group: 'decode',
    rows: 'every',
    description:
      'no row executes an instruction that can only fault (a direct address outside memory) or that pc can never reach (index ≥ 256: pc is a byte)',
    terms: [sumJ('invalid[j]')],
  },
  {
    name: 'decode.const',
    group: 'decode',
    rows: 'every',
    target: x(In.CONST),
    description: 'input[0] = 1',
    terms: [t(1, x(In.CONST)), t(-1)],
  },
  {
    name: 'decode.pc_wrap',
    group: 'decode',
    rows: 'every',
    target: 'pc_wrap',
    description:
      'pc_wrap = 1 exactly at pc 255: pc_wrap = Σ_j wraps[j]·selector[j] (determined by the program table, both ways)',
    terms: [t(1, 'pc_wrap'), sumJ('-wraps[j]')],
  },
  {
    name: 'decode.pc_next',
    group: 'decode',
    rows: 'every',
    target: x(In.PC_NEXT),
    description: 'PC+1 = pc + 1 - 256·pc_wrap',
    terms: [t(1, x(In.PC_NEXT)), t(-1, x(In.PC)), t(-1), t(256, 'pc_wrap')],
  },
  boolean('decode.zero_boolean', 'decode', x(In.ZERO)),
  boolean('decode.carry_boolean', 'decode', x(In.CARRY)),
  {
    name: 'decode.not_halted',
    group: 'decode',
    rows: 'every',
    target: x(In.HALTED),
    description: 'a step only executes while not halted',
    terms: [t(1, x(In.HALTED))],
  },
  boolean('decode.acc_bit_boolean', 'decode', `x[${In.ACC_BITS}+i]`, { i: BITS }),
  recompose(
    'decode.acc_bits',
    'decode',
    x(In.ACC),
    (i) => `x[${In.ACC_BITS}+${i}]`,
    "ACC = its two's-complement bits (also proves ACC is an i16)",
  ),
  boolean('decode.operand_bit_boolean', 'decode', `x[${In.OPERAND_BITS}+i]`, { i: BITS }),
  recompose(
    'decode.operand_bits',
    'decode',
    x(In.OPERAND),
    (i) => `x[${In.OPERAND_BITS}+${i}]`,
    "OPERAND = its two's-complement bits",
  ),

  // ── the FFN: linear gate and value, their product, linear output ──
  {
    name: 'ffn.gate',
    group: 'ffn',
    rows: 'every',
    for: { k: 'ff_dim' },
    target: 'gate[k]',
    description: 'gate[k] = Σ_j selector[j]·(W_gate[j][k]·x + b_gate[j][k])',
    terms: [
      t(1, 'gate[k]'),
      {
        coef: '-W_gate[j][k][i]',
        vars: ['selector[j]', 'x[i]'],
        sum: { j: 'instructions', i: 'input_dim' },
      },
      sumJ('-b_gate[j][k]'),
    ],
  },
  {
    name: 'ffn.value',
    group: 'ffn',
    rows: 'every',
    for: { k: 'ff_dim' },
    target: 'value[k]',
    description: 'value[k] = Σ_j selector[j]·(W_value[j][k]·x + b_value[j][k])',
    terms: [
      t(1, 'value[k]'),
      {
        coef: '-W_value[j][k][i]',
        vars: ['selector[j]', 'x[i]'],
        sum: { j: 'instructions', i: 'input_dim' },
      },
      sumJ('-b_value[j][k]'),
    ],
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
    description: 'output[o] = Σ_j selector[j]·(W_out[j][o]·hidden + b_out[j][o])',
    terms: [
      t(1, 'output[o]'),
      {
        coef: '-W_out[j][o][k]',
        vars: ['selector[j]', 'hidden[k]'],
        sum: { j: 'instructions', k: 'ff_dim' },
      },
      sumJ('-b_out[j][o]'),
    ],
  },

  // ── controls: wrap, flags ──
  boolean('controls.acc_bit_boolean', 'controls', 'acc_bits[i]', { i: BITS }),
  recompose(
    'controls.next_acc_bits',
    'controls',
    'next_acc',
    (i) => `acc_bits[${i}]`,
    'next_acc = its bits (so next_acc is an i16)',
  ),
  boolean('controls.quot_bit_boolean', 'controls', 'quot_bits[i]', { i: BITS }),
  {
    name: 'controls.wrap',
    group: 'controls',
    rows: 'every',
    target: out(Out.RAW_ACC),
    description:
      'RAW_ACC = next_acc + 65536·q, q = Σ_{i<15} 2^i·quot_bits[i] - 2^15·quot_bits[15]: next_acc is RAW_ACC wrapped to i16',
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
    description:
      'RAW_ACC < 0 iff q < 0, or q = 0 and next_acc < 0: raw_negative = quot_bits[15] + (1 - quot_or[14])·acc_bits[15]',
    terms: [
      t(1, 'raw_negative'),
      t(-1, 'quot_bits[15]'),
      t(-1, 'acc_bits[15]'),
      t(1, QUOT_OR, 'acc_bits[15]'),
    ],
  },
  {
    name: 'controls.zero',
    group: 'controls',
    rows: 'every',
    target: 'next_zero',
    description:
      'next_zero = (next_acc = 0) for instructions that set it, else ZERO: next_zero = Σ_j selector[j]·(zero_result[j]·(1 - acc_or[14]) + (1 - zero_result[j])·ZERO)',
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
    description:
      'next_carry = Σ_j selector[j]·(carry_keep[j]·CARRY + carry_overflow[j]·quot_or[14] + carry_less[j]·raw_negative); cleared otherwise',
    terms: [
      t(1, 'next_carry'),
      sumJ('-carry_keep[j]', x(In.CARRY)),
      sumJ('-carry_overflow[j]', QUOT_OR),
      sumJ('-carry_less[j]', 'raw_negative'),
    ],
  },
  {
    name: 'controls.halted',
    group: 'controls',
    rows: 'every',
    target: 'next_halted',
    description: 'next_halted = Σ_j halts[j]·selector[j]',
    terms: [t(1, 'next_halted'), sumJ('-halts[j]')],
  },

  // Booleanity of every bool column the definitions above already force to 0/1, stated
  // outright: a prover's cells are field elements, and this costs nothing of the degree.
  boolean('controls.acc_or_boolean', 'controls', 'acc_or[i]', { i: LOW_BITS }),
  boolean('controls.quot_or_boolean', 'controls', 'quot_or[i]', { i: LOW_BITS }),
  boolean('controls.next_zero_boolean', 'controls', 'next_zero'),
  boolean('controls.next_carry_boolean', 'controls', 'next_carry'),
  boolean('controls.next_halted_boolean', 'controls', 'next_halted'),
  boolean('decode.pc_wrap_boolean', 'decode', 'pc_wrap'),
  boolean('memory.read_boolean', 'memory', 'access_read'),

  // ── the step's memory access ──
  {
    name: 'memory.read',
    group: 'memory',
    rows: 'every',
    target: 'access_read',
    description: 'access_read = Σ_j read_any[j]·selector[j]',
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
    description: `access_addr = Σ_j selector[j]·(read_direct_addr[j] + read_stack[j]·SP) + WRITE_ENABLE·WRITE_ADDR + ${NO_ACCESS_ADDR}·(1 - access_read - access_write)`,
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
    terms: [
      t(1, 'access_value'),
      t(-1, 'access_read', x(In.OPERAND)),
      t(-1, out(Out.WRITE_ENABLE), out(Out.WRITE_VALUE)),
    ],
  },

  // ── continuity: row t's next state is row t+1's state, while row t+1 is a step ──
  {
    name: 'continuity.step',
    group: 'continuity',
    rows: 'transition',
    target: 'next.step',
    description: "step' = step + 1 (padding rows too: the memory log sorts them by step)",
    terms: [t(1, 'next.step'), t(-1, 'step'), t(-1)],
  },
  continuity('continuity.pc', nx(In.PC), out(Out.NEXT_PC), "PC' = NEXT_PC"),
  continuity('continuity.acc', nx(In.ACC), 'next_acc', "ACC' = next_acc"),
  continuity('continuity.sp', nx(In.SP), out(Out.NEXT_SP), "SP' = NEXT_SP"),
  continuity('continuity.zero', nx(In.ZERO), 'next_zero', "ZERO' = next_zero"),
  continuity('continuity.carry', nx(In.CARRY), 'next_carry', "CARRY' = next_carry"),
  continuity(
    'continuity.halted',
    nx(In.HALTED),
    'next_halted',
    "HALTED' = next_halted (so nothing runs after HALT)",
  ),

  // ── the memory log, sorted by (address, step) with the order enforced ──
  boolean('log.read_boolean', 'log', 'log_read'),
  boolean('log.write_boolean', 'log', 'log_write'),
  boolean('log.first_boolean', 'log', 'log_first'),
  {
    name: 'log.read_or_write',
    group: 'log',
    rows: 'every',
    description: 'log_read·log_write = 0',
    terms: [t(1, 'log_read', 'log_write')],
  },
  boolean('log.addr_bit_boolean', 'log', 'log_addr_bits[i]', { i: [0, LOG_ADDR_BITS] }),
  {
    name: 'log.addr_bits',
    group: 'log',
    rows: 'every',
    target: 'log_addr',
    description: `log_addr = Σ 2^i·log_addr_bits[i] (so 0 ≤ log_addr < 2^${LOG_ADDR_BITS})`,
    terms: [
      t(1, 'log_addr'),
      { coef: '-pow2[i]', vars: ['log_addr_bits[i]'], sum: { i: [0, LOG_ADDR_BITS] } },
    ],
  },
  boolean('log.last_boolean', 'log', 'log_last'),
  {
    name: 'log.no_access_entries',
    group: 'log',
    rows: 'every',
    description: `an entry at log_addr ≥ 256 (the no-access address ${NO_ACCESS_ADDR}) neither reads nor writes: log_addr_bits[8]·(log_read + log_write) = 0`,
    terms: [
      t(1, `log_addr_bits[${LOG_ADDR_BITS - 1}]`, 'log_read'),
      t(1, `log_addr_bits[${LOG_ADDR_BITS - 1}]`, 'log_write'),
    ],
  },
  {
    name: 'log.no_access_prev',
    group: 'log',
    rows: 'every',
    target: 'log_prev',
    description: `log_prev is 0 at the no-access address (no cell there: nothing to see before): log_addr_bits[8]·log_prev = 0`,
    terms: [t(1, `log_addr_bits[${LOG_ADDR_BITS - 1}]`, 'log_prev')],
  },
  {
    name: 'log.read_returns_prev',
    group: 'log',
    rows: 'every',
    target: 'log_value',
    description:
      'a read returns the value the cell held before the entry: log_read·(log_value - log_prev) = 0',
    terms: [t(1, 'log_read', 'log_value'), t(-1, 'log_read', 'log_prev')],
  },
  boolean('log.gap_bit_boolean', 'log', 'log_gap_bits[i]', { i: [0, LOG_GAP_BITS] }),
  {
    name: 'log.same_address',
    group: 'log',
    rows: 'transition',
    description:
      "an entry that is not first keeps the address: (1 - log_first')·(log_addr' - log_addr) = 0",
    terms: [
      t(1, 'next.log_addr'),
      t(-1, 'log_addr'),
      t(-1, 'next.log_first', 'next.log_addr'),
      t(1, 'next.log_first', 'log_addr'),
    ],
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
    name: 'log.prev_is_last_value',
    group: 'log',
    rows: 'transition',
    target: 'next.log_prev',
    description:
      "an entry that is not first sees the previous entry's value: (1 - log_first')·(log_prev' - log_value) = 0 (a first entry's log_prev is the initial value, by memory.initial_value)",
    terms: [
      t(1, 'next.log_prev'),
      t(-1, 'log_value'),
      t(-1, 'next.log_first', 'next.log_prev'),
      t(1, 'next.log_first', 'log_value'),
    ],
  },
  {
    name: 'log.last',
    group: 'log',
    rows: 'transition',
    target: 'log_last',
    description: "log_last marks the last entry of an address: log_last = log_first'",
    terms: [t(1, 'log_last'), t(-1, 'next.log_first')],
  },
  {
    name: 'log.last_row',
    group: 'log',
    rows: 'last',
    target: 'log_last',
    description: `the last row's entry is the last of its address, if it is a memory cell: log_last = 1 - log_addr_bits[8] (entries at ${NO_ACCESS_ADDR} are never "last": padding may follow them)`,
    terms: [t(1, 'log_last'), t(-1), t(1, `log_addr_bits[${LOG_ADDR_BITS - 1}]`)],
  },

  // ── boundary: row 0 starts in the public initial state; the last step leaves the public final state ──
  {
    name: 'boundary.step',
    group: 'boundary',
    rows: 'first',
    target: 'step',
    description: 'step = initial_step',
    terms: [t(1, 'step'), t('-initial_step')],
  },
  {
    name: 'boundary.pc',
    group: 'boundary',
    rows: 'first',
    target: x(In.PC),
    description: 'PC = initial_pc',
    terms: [t(1, x(In.PC)), t('-initial_pc')],
  },
  {
    name: 'boundary.acc',
    group: 'boundary',
    rows: 'first',
    target: x(In.ACC),
    description: 'ACC = initial_acc',
    terms: [t(1, x(In.ACC)), t('-initial_acc')],
  },
  {
    name: 'boundary.sp',
    group: 'boundary',
    rows: 'first',
    target: x(In.SP),
    description: 'SP = initial_sp',
    terms: [t(1, x(In.SP)), t('-initial_sp')],
  },
  {
    name: 'boundary.zero_flag',
    group: 'boundary',
    rows: 'first',
    target: x(In.ZERO),
    description: 'ZERO = initial_zero_flag',
    terms: [t(1, x(In.ZERO)), t('-initial_zero_flag')],
  },
  {
    name: 'boundary.carry_flag',
    group: 'boundary',
    rows: 'first',
    target: x(In.CARRY),
    description: 'CARRY = initial_carry_flag',
    terms: [t(1, x(In.CARRY)), t('-initial_carry_flag')],
  },
  {
    name: 'boundary.log_first',
    group: 'boundary',
    rows: 'first',
    target: 'log_first',
    description: 'the first log entry starts its address',
    terms: [t(1, 'log_first'), t(-1)],
  },
  {
    name: 'boundary.log_gap',
    group: 'boundary',
    rows: 'first',
    description: 'row 0 has no gap: Σ 2^i·log_gap_bits[i] = 0',
    terms: [{ coef: 'pow2[i]', vars: ['log_gap_bits[i]'], sum: { i: [0, LOG_GAP_BITS] } }],
  },
  claim('claim.steps', 'step', 'final_step', 'the last step is step final_step - 1', 1),
  claim('claim.pc', out(Out.NEXT_PC), 'final_pc', 'NEXT_PC = final_pc'),
  claim('claim.acc', 'next_acc', 'final_acc', 'next_acc = final_acc'),
  claim('claim.sp', out(Out.NEXT_SP), 'final_sp', 'NEXT_SP = final_sp'),
  claim('claim.zero_flag', 'next_zero', 'final_zero_flag', 'next_zero = final_zero_flag'),
  claim('claim.carry_flag', 'next_carry', 'final_carry_flag', 'next_carry = final_carry_flag'),
  claim('claim.halted', 'next_halted', 'final_halted', 'next_halted = final_halted'),
];

export const TABLES: Record<string, TableSpec> = {
  W_gate: {
    shape: ['instructions', 'ff_dim', 'input_dim'],
    description: 'dense W_gate of each instruction (compiled weights)',
  },
  b_gate: { shape: ['instructions', 'ff_dim'], description: 'dense b_gate of each instruction' },
  W_value: {
    shape: ['instructions', 'ff_dim', 'input_dim'],
    description: 'dense W_value of each instruction',
  },
  b_value: { shape: ['instructions', 'ff_dim'], description: 'dense b_value of each instruction' },
  W_out: {
    shape: ['instructions', 'output_dim', 'ff_dim'],
    description: 'dense W_out of each instruction',
  },
  b_out: { shape: ['instructions', 'output_dim'], description: 'b_out of each instruction' },
  index: { shape: ['instructions'], description: 'j' },
  opcode: { shape: ['instructions'], description: 'numeric opcode of instruction j' },
  arg: { shape: ['instructions'], description: 'operand of instruction j' },
  invalid: {
    shape: ['instructions'],
    description:
      '1 if instruction j can never execute: it reads or writes a direct address ≥ memory size (it can only fault), or j ≥ 256 (pc is a byte, so it is unreachable)',
  },
  wraps: {
    shape: ['instructions'],
    description: '1 for j = 255: the instruction after it is at pc 0',
  },
  read_any: {
    shape: ['instructions'],
    description: '1 if instruction j reads memory (direct or stack_top)',
  },
  read_direct_addr: {
    shape: ['instructions'],
    description: 'the address instruction j reads in direct mode; 0 otherwise',
  },
  read_stack: {
    shape: ['instructions'],
    description: '1 if instruction j reads mem[SP] (stack_top)',
  },
  zero_result: {
    shape: ['instructions'],
    description: '1 if instruction j sets ZERO from its result',
  },
  zero_keep: { shape: ['instructions'], description: '1 - zero_result[j]' },
  carry_keep: { shape: ['instructions'], description: '1 if instruction j keeps CARRY' },
  carry_overflow: {
    shape: ['instructions'],
    description: '1 if instruction j sets CARRY to the i16 overflow of RAW_ACC',
  },
  carry_less: {
    shape: ['instructions'],
    description: '1 if instruction j sets CARRY to RAW_ACC < 0 (signed old acc < rhs)',
  },
  halts: { shape: ['instructions'], description: '1 for HALT' },
  pow2: { shape: ['64'], description: '2^i' },
  memory_size: { shape: [], description: 'number of memory cells N' },
};

/**
 * The public inputs of a proof, in order: a segment's initial and final boundary state (a whole
 * run is the one-segment case). A verifier takes them from the statement it checks (program,
 * claim, max_steps), never from the proof or the trace. Scalars are integers (negatives as
 * p - |x| in a field); the memories have memory_size entries.
 */
export const PUBLIC_VALUES: Record<string, TableSpec> = {
  initial_step: {
    shape: [],
    description: "step counter at the segment's first row (0 for a whole run)",
  },
  initial_pc: { shape: [], description: 'pc before the first step' },
  initial_acc: { shape: [], description: 'acc before the first step' },
  initial_sp: { shape: [], description: 'sp before the first step' },
  initial_zero_flag: { shape: [], description: 'zero flag before the first step (0/1)' },
  initial_carry_flag: { shape: [], description: 'carry flag before the first step (0/1)' },
  initial_memory: {
    shape: ['memory_size'],
    description: 'every memory cell before the first step',
  },
  final_step: { shape: [], description: 'step counter after the last step: initial_step + steps' },
  final_pc: { shape: [], description: 'pc after the last step' },
  final_acc: { shape: [], description: 'acc after the last step' },
  final_sp: { shape: [], description: 'sp after the last step' },
  final_zero_flag: { shape: [], description: 'zero flag after the last step (0/1)' },
  final_carry_flag: { shape: [], description: 'carry flag after the last step (0/1)' },
  final_halted: { shape: [], description: 'halted flag after the last step (0/1)' },
  final_memory: { shape: ['memory_size'], description: 'every memory cell after the last step' },
};

const CELL = `log_addr_bits[${LOG_ADDR_BITS - 1}]`;
/** Multiplicity `flag·(1 - log_addr_bits[8])`: the entry is `flag` and at a memory cell (address < 256). */
const atCell = (flag: string): Term[] => [t(1, flag), t(-1, flag, CELL)];

export const ARGUMENTS: Argument[] = [
  {
    name: 'memory.permutation',
    kind: 'permutation',
    description:
      "The memory log is a permutation of the rows' accesses (padding rows included, as accesses to nothing): the multiset of (step, access_addr, access_value, access_read, access_write) over all rows equals the multiset of (log_step, log_addr, log_value, log_read, log_write). A STARK proves it with LogUp (or a grand product) under a Fiat–Shamir challenge; the checker compares the multisets exactly.",
    left: {
      rows: {
        multiplicity: [t(1)],
        tuple: ['step', 'access_addr', 'access_value', 'access_read', 'access_write'],
      },
    },
    right: {
      rows: {
        multiplicity: [t(1)],
        tuple: ['log_step', 'log_addr', 'log_value', 'log_read', 'log_write'],
      },
    },
  },
  {
    name: 'memory.initial_value',
    kind: 'lookup',
    description:
      'The first entry of every memory cell in the log sees the initial memory: on rows with log_first·(1 - log_addr_bits[8]) = 1, (log_addr, log_prev) is in the public table {(a, initial_memory[a]) : a < memory_size}. It also bounds every accessed address (SP included) below memory_size: the table has exactly memory_size entries.',
    left: { rows: { multiplicity: atCell('log_first'), tuple: ['log_addr', 'log_prev'] } },
    right: { table: 'initial_memory' },
  },
  {
    name: 'memory.final_value',
    kind: 'multiset',
    description:
      "The final memory is what the log leaves behind, and the initial value where the log never touches a cell: {(a, initial_memory[a])} ⊎ {(log_addr, log_value) : log_last, cell} = {(a, final_memory[a])} ⊎ {(log_addr, log_prev) : log_first, cell}. With memory.initial_value each touched cell's first log_prev is its initial value, so the equality says final_memory[a] is the last entry's value for a touched cell and initial_memory[a] for any other.",
    left: {
      table: 'initial_memory',
      rows: { multiplicity: atCell('log_last'), tuple: ['log_addr', 'log_value'] },
    },
    right: {
      table: 'final_memory',
      rows: { multiplicity: atCell('log_first'), tuple: ['log_addr', 'log_prev'] },
    },
  },
];

/**
 * What a verifier checks outside the polynomials: on the statement's public inputs (a proof's
 * verifier must make each of these), and, for a witness file, on the file itself. The
 * TypeScript checker reports a failure under one of these names, a constraint's or an
 * argument's, and no other.
 */
export const OBLIGATIONS: Obligation[] = [
  {
    name: 'statement.program',
    applies_to: 'statement',
    description:
      'the tables (selector coefficients, weights, controls, memory_size) are rebuilt from the program the verifier is given (the checker recompiles tvm.program, or --program, and checks the weights digest: metadata.program, metadata.weights_sha256)',
    checker: 'by_construction',
  },
  {
    name: 'statement.initial_state',
    applies_to: 'statement',
    description:
      "a whole run starts in the program's initial state: initial_step 0, pc 0, acc 0, sp = memory_size, zero_flag 1, carry_flag 0, initial_memory = the program's .init cells (the checker takes initial_* from the program; metadata.initial_memory checks the file agrees). A segment starts in the state tvm.segment gives; segment 0's is checked against the program's by run.start",
    checker: 'by_construction',
  },
  {
    name: 'statement.ranges',
    applies_to: 'statement',
    description:
      'every public state is a machine state: pc 0..255, acc and memory cells -32768..32767, sp 0..memory_size, flags 0/1, initial_step ≥ 0, final_step > initial_step (at least one step)',
    checker: 'checked',
  },
  {
    name: 'statement.field',
    applies_to: 'statement',
    description:
      'the field is one in which the constraints bind (sound_fields): there every value the constraints allow is a unique integer below p/2 in magnitude',
    checker: 'checked',
  },
  {
    name: 'claim.steps',
    applies_to: 'statement',
    description:
      'final_step ≤ max_steps (for a whole run, initial_step = 0: steps = final_step - initial_step ≤ max_steps)',
    checker: 'checked',
  },
  {
    name: 'claim.ending',
    applies_to: 'statement',
    description:
      'a run that neither halted nor faulted used all of max_steps: final_step = max_steps. A segment that neither halted nor faulted either ends there or has exactly segment rows steps (only the last segment is shorter)',
    checker: 'checked',
  },
  {
    name: 'segment.boundary',
    applies_to: 'statement',
    description:
      'a segment k of S rows (S a power of two) starts at initial_step = k·S in a running machine (not halted) and has at most S steps',
    checker: 'checked',
  },
  {
    name: 'claim.fault',
    applies_to: 'statement',
    description:
      'a claimed fault is never halted as well, happens before max_steps (steps < max_steps), and is exactly what the reference interpreter raises when it executes one more step from the claimed final state (kind, step, pc, message)',
    checker: 'checked',
  },
  {
    name: 'claim.initial_state',
    applies_to: 'statement',
    description:
      'a run of no steps (it faulted at step 0) proves nothing: its claim is the initial state and its fault, checked by re-execution',
    checker: 'checked',
  },
  {
    name: 'metadata.air',
    applies_to: 'witness_file',
    description: 'tvm.air names this AIR',
    checker: 'checked',
  },
  {
    name: 'metadata.program',
    applies_to: 'witness_file',
    description:
      'tvm.program assembles, is in canonical form, and equals the program given to the checker',
    checker: 'checked',
  },
  {
    name: 'metadata.weights_sha256',
    applies_to: 'witness_file',
    description: "tvm.weights_sha256 is the recompiled program's weights digest",
    checker: 'checked',
  },
  {
    name: 'metadata.instructions',
    applies_to: 'witness_file',
    description: "tvm.instructions is the program's length",
    checker: 'checked',
  },
  {
    name: 'metadata.initial_memory',
    applies_to: 'witness_file',
    description: "tvm.memory_size and tvm.initial_memory are the program's",
    checker: 'checked',
  },
  {
    name: 'metadata.ff_dim',
    applies_to: 'witness_file',
    description: "tvm.ff_dim is at least the program's widest instruction",
    checker: 'checked',
  },
  {
    name: 'metadata.encoding',
    applies_to: 'witness_file',
    description: 'every tvm.* entry is in its canonical encoding, and none is unknown',
    checker: 'checked',
  },
  {
    name: 'metadata.max_abs_value',
    applies_to: 'witness_file',
    description: 'tvm.max_abs_value is max(2^15, the largest |value| of the int32 columns)',
    checker: 'checked',
  },
  {
    name: 'metadata.fields',
    applies_to: 'witness_file',
    description: 'tvm.fields lists exactly the sound fields whose p/2 exceeds tvm.max_abs_value',
    checker: 'checked',
  },
  {
    name: 'metadata.metadata_sha256',
    applies_to: 'witness_file',
    description: 'tvm.metadata_sha256 is the digest of every other tvm.* entry',
    checker: 'checked',
  },
  {
    name: 'witness.rows',
    applies_to: 'witness_file',
    description:
      "a file holds the steps only (active rows, no padding): its row count is the claim's steps (a segment's: final_step - initial_step)",
    checker: 'checked',
  },
  {
    name: 'run.segments',
    applies_to: 'run',
    description:
      'the segments are 0, 1, …, n-1 in order, each of the same program (weights digest), ff_dim, max_steps and segment rows (and, for proofs, the same proof parameters); the segment files are the manifest’s (SHA-256)',
    checker: 'checked',
  },
  {
    name: 'run.start',
    applies_to: 'run',
    description:
      "segment 0 starts in the program's initial state (statement.initial_state for the run)",
    checker: 'checked',
  },
  {
    name: 'run.link',
    applies_to: 'run',
    description:
      "each segment's initial state equals its predecessor's final state in every field and memory cell, the step counter continuous; no segment follows one that halted or faulted",
    checker: 'checked',
  },
  {
    name: 'run.ending',
    applies_to: 'run',
    description:
      'the last segment ends the run: it halted, faulted or reached max_steps (claim.ending for the run); the total steps are at most max_steps',
    checker: 'checked',
  },
  {
    name: 'run.claim',
    applies_to: 'run',
    description:
      "the last segment's final state is the run's claim (the claim given to verify, or the manifest's)",
    checker: 'checked',
  },
];

/**
 * The rows a prover appends to reach a power-of-two height. They satisfy every constraint and
 * argument by construction (test/air/padding.test.ts evaluates them); a checker of the file
 * never sees them.
 */
export const PADDING = {
  description:
    "Padding rows follow the last step until the height is a power of two. Each is a step of no instruction: every column 0, except step (it continues: previous + 1), x[0] = 1 (the constant), x[2] = PC+1 = 1, access_addr = 256 (no access), and on the log side the sorted log continues with the padding rows' accesses (step, 256, 0, none): log_step = their step, log_addr = 256 with log_addr_bits = 256, log_value = log_prev = 0, log_last = 0, log_first = 1 only for the first entry at address 256, and log_gap_bits the ordering gap to the entry before (as for any entry).",
  nonzero: {
    step: 'previous + 1',
    'x[0]': 1,
    'x[2]': 1,
    access_addr: NO_ACCESS_ADDR,
    log_step: "the padding row's step (sorted log continues)",
    log_addr: NO_ACCESS_ADDR,
    log_addr_bits: NO_ACCESS_ADDR,
    log_first: 'first entry at 256 only',
    log_gap_bits: 'ordering gap',
  },
};

/** Fields in which every constraint binds: the wrap quotient and the hidden products exceed a 31-bit p. */
export const SOUND_FIELDS = ['goldilocks'] as const;
const UNSOUND_FIELDS_REASON =
  'in a 31-bit field RAW_ACC = next_acc + 65536·q with |q| < 2^15 has more solutions than the field has elements, so a forger picks q to pass a wrong next_acc (and hidden products reach 2^30)';

export const AIR_VERSION = 'tvm-trace/air/v2';

/** The whole AIR document as written to schemas/air-v2.json. */
export function airDocument(): Record<string, unknown> {
  return {
    $comment: 'Generated from src/air/definition.ts by `npm run schemas`; do not edit by hand.',
    version: AIR_VERSION,
    description:
      'Algebraic intermediate representation of a tvm-trace witness (trace schema v2). Every constraint is a polynomial of degree ≤ 2 in the columns of the current row and, for rows = "transition", of the next row; it must evaluate to 0. Per-instruction coefficients come from tables built from the compiled program; a row picks its instruction\'s coefficients through the one-hot selector column selector[j] (selector[j]·linear form has degree 2). Padding rows (active = 0) make the height a power of two; constraints that must not hold across the last step are gated by active\' or last_step, each gate one column, so the degree stays 2.',
    changes_from_v1: [
      'pc_wrap is determined by the program table (decode.pc_wrap: Σ_j wraps[j]·selector[j]) instead of bounded one way (v1 accepted PC+1 = 256 at pc 255)',
      'instructions at index ≥ 256 are invalid (pc is a byte): v1 let a forged RET or a pc 256 run into unreachable code',
      "active and last_step columns: padding rows, continuity gated by active', the claim bound on the last step (v1 bound it on the last row, so a trace could not be padded)",
      "public values are a segment's initial and final boundary state (initial_*, final_*, both memories): the first row is bound to initial_* (v1: the program's constants)",
      "the memory log carries log_prev (the cell's value before the entry) and log_last; log_continue is gone. The initial value is a lookup of (log_addr, log_prev) on every first cell entry (v1: only on first reads), which also bounds every address below memory_size; the final memory is a multiset equality with the initial memory (v1: a membership test of the last entries, and a checker loop for untouched cells)",
      'booleanity is stated for every bool column, including those forced by their definitions',
      'checks outside the polynomials are named obligations (how a run ends, ranges of the public state, the program, the field), which every verifier makes',
      "sound_fields: Goldilocks only; BabyBear and M31 are no longer listed in a trace's fields",
      'column select renamed selector (a reserved word in SQL); claim flags named zero_flag and carry_flag',
    ],
    grammar: {
      term: 'coef · Π vars, summed over `sum` index variables when present',
      coef: 'integer, or "[-]table[idx]…" (table from "tables" or "public_values")',
      var: '"[next.]column[idx]" (or a vector from "vectors") where idx is an integer, an index variable, or "var+n" / "var-n"; "next." reads the next row',
      range:
        'a dimension name (ff_dim, instructions, input_dim = 41, output_dim = 6) or [lo, hi) integers',
      rows: 'every: all rows; transition: rows 0..n-2 with the next row; first: row 0; last: row n-1 (n: the padded height)',
      argument:
        'left and right are multisets: rows contribute tuple with multiplicity (terms in the grammar above, evaluated on the row), a public table contributes each of its entries (a, table[a]) once. permutation and multiset: left = right; lookup: every left tuple with nonzero multiplicity is in the right table',
    },
    selection:
      'one-hot selector selector[j] per program instruction on active rows (none on padding), tied to pc by decode.selector_pc; the prover treats the tables as preprocessed (fixed) data of the program',
    sound_fields: SOUND_FIELDS,
    unsound_fields_reason: UNSOUND_FIELDS_REASON,
    padding: PADDING,
    columns: COLUMNS,
    vectors: {
      [INPUT_VECTOR.name]: {
        parts: INPUT_VECTOR.parts,
        description:
          'the 41-slot FFN input: x[i] is input[i] for i < 9 and input_bits[i - 9] after',
      },
    },
    tables: TABLES,
    public_values: PUBLIC_VALUES,
    constraints: CONSTRAINTS,
    arguments: ARGUMENTS,
    obligations: OBLIGATIONS,
  };
}
