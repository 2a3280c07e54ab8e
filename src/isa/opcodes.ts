/**
 * The instruction set as one table. The assembler, the printer, the interpreters,
 * the compiler and the trace all read this; no other list of mnemonics exists.
 */

/** What an instruction's single operand is (SPEC §2). */
export type OperandKind = 'none' | 'immediate' | 'address' | 'target';

/** Which memory cell the attention stage reads before the FFN (SPEC §4). */
export type ReadMode = 'none' | 'direct' | 'stack_top';

/** How the zero flag is produced after the step. */
export type ZeroRule = 'keep' | 'result';

/** How the carry flag is produced: kept, cleared, i16 overflow of RAW_ACC, or signed old-acc < rhs. */
export type CarryRule = 'keep' | 'clear' | 'overflow' | 'signed_less';

/** Stack precondition checked before executing: push needs sp > 0, pop needs sp < N. */
export type StackUse = 'none' | 'push' | 'pop';

export interface OpcodeSpec {
  readonly code: number;
  readonly mnemonic: string;
  readonly operand: OperandKind;
  readonly read: ReadMode;
  readonly zero: ZeroRule;
  readonly carry: CarryRule;
  readonly stack: StackUse;
  readonly halts: boolean;
  readonly writesMemory: boolean;
}

type Row = [
  mnemonic: string,
  operand: OperandKind,
  read: ReadMode,
  zero: ZeroRule,
  carry: CarryRule,
  stack: StackUse,
  writes: boolean,
];

// Order fixes the numeric opcode (the index); it is part of the trace format, never reorder.
const ROWS: readonly Row[] = [
  ['NOP', 'none', 'none', 'keep', 'keep', 'none', false],
  ['LOADI', 'immediate', 'none', 'result', 'clear', 'none', false],
  ['LOAD', 'address', 'direct', 'result', 'clear', 'none', false],
  ['STORE', 'address', 'none', 'keep', 'keep', 'none', true],
  ['PUSH', 'none', 'none', 'keep', 'keep', 'push', true],
  ['POP', 'none', 'stack_top', 'result', 'clear', 'pop', false],
  ['ADD', 'immediate', 'none', 'result', 'overflow', 'none', false],
  ['ADDM', 'address', 'direct', 'result', 'overflow', 'none', false],
  ['SUB', 'immediate', 'none', 'result', 'overflow', 'none', false],
  ['SUBM', 'address', 'direct', 'result', 'overflow', 'none', false],
  ['MUL', 'immediate', 'none', 'result', 'overflow', 'none', false],
  ['MULM', 'address', 'direct', 'result', 'overflow', 'none', false],
  ['AND', 'immediate', 'none', 'result', 'clear', 'none', false],
  ['ANDM', 'address', 'direct', 'result', 'clear', 'none', false],
  ['OR', 'immediate', 'none', 'result', 'clear', 'none', false],
  ['ORM', 'address', 'direct', 'result', 'clear', 'none', false],
  ['XOR', 'immediate', 'none', 'result', 'clear', 'none', false],
  ['XORM', 'address', 'direct', 'result', 'clear', 'none', false],
  ['CMP', 'immediate', 'none', 'result', 'signed_less', 'none', false],
  ['CMPM', 'address', 'direct', 'result', 'signed_less', 'none', false],
  ['CALL', 'target', 'none', 'keep', 'keep', 'push', true],
  ['RET', 'none', 'stack_top', 'keep', 'keep', 'pop', false],
  ['JMP', 'target', 'none', 'keep', 'keep', 'none', false],
  ['JZ', 'target', 'none', 'keep', 'keep', 'none', false],
  ['JNZ', 'target', 'none', 'keep', 'keep', 'none', false],
  ['HALT', 'none', 'none', 'keep', 'keep', 'none', false],
];

export const OPCODES: readonly OpcodeSpec[] = ROWS.map(
  ([mnemonic, operand, read, zero, carry, stack, writes], code) =>
    Object.freeze({
      code,
      mnemonic,
      operand,
      read,
      zero,
      carry,
      stack,
      halts: mnemonic === 'HALT',
      writesMemory: writes,
    }),
);

const BY_MNEMONIC = new Map(OPCODES.map((spec) => [spec.mnemonic, spec]));

/** Look up an instruction by mnemonic, case-insensitively. */
export function opcodeByMnemonic(mnemonic: string): OpcodeSpec | undefined {
  return BY_MNEMONIC.get(mnemonic.toUpperCase());
}

/** Look up an instruction by its numeric code; throws on an unknown code. */
export function opcodeSpec(code: number): OpcodeSpec {
  const spec = OPCODES[code];
  if (spec === undefined) throw new RangeError(`unknown opcode ${code}`);
  return spec;
}

/** Numeric opcodes by mnemonic, for code that switches on them in hot loops. */
export const Op = Object.freeze(
  Object.fromEntries(OPCODES.map((s) => [s.mnemonic, s.code])),
) as Readonly<
  Record<
    | 'NOP'
    | 'LOADI'
    | 'LOAD'
    | 'STORE'
    | 'PUSH'
    | 'POP'
    | 'ADD'
    | 'ADDM'
    | 'SUB'
    | 'SUBM'
    | 'MUL'
    | 'MULM'
    | 'AND'
    | 'ANDM'
    | 'OR'
    | 'ORM'
    | 'XOR'
    | 'XORM'
    | 'CMP'
    | 'CMPM'
    | 'CALL'
    | 'RET'
    | 'JMP'
    | 'JZ'
    | 'JNZ'
    | 'HALT',
    number
  >
>;

const READ_MODE_CODES: Record<ReadMode, number> = { none: 0, direct: 1, stack_top: 2 };
const ZERO_RULE_CODES: Record<ZeroRule, number> = { keep: 0, result: 1 };
const CARRY_RULE_CODES: Record<CarryRule, number> = {
  keep: 0,
  clear: 1,
  overflow: 2,
  signed_less: 3,
};
const STACK_USE_CODES: Record<StackUse, number> = { none: 0, push: 1, pop: 2 };

export const ReadModeCode = READ_MODE_CODES;
export const ZeroRuleCode = ZERO_RULE_CODES;
export const CarryRuleCode = CARRY_RULE_CODES;
export const StackUseCode = STACK_USE_CODES;

/** The table as typed arrays indexed by opcode, for engines' hot loops. */
export const OPCODE_TABLE = Object.freeze({
  read: Uint8Array.from(OPCODES, (s) => READ_MODE_CODES[s.read]),
  zero: Uint8Array.from(OPCODES, (s) => ZERO_RULE_CODES[s.zero]),
  carry: Uint8Array.from(OPCODES, (s) => CARRY_RULE_CODES[s.carry]),
  stack: Uint8Array.from(OPCODES, (s) => STACK_USE_CODES[s.stack]),
  halts: Uint8Array.from(OPCODES, (s) => (s.halts ? 1 : 0)),
});

export const READ_MODES: readonly ReadMode[] = ['none', 'direct', 'stack_top'];
