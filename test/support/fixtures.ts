/**
 * The fixtures, as a list with their makers (`npm run fixtures`, scripts/make-fixtures.ts,
 * writes them deterministically; the tests read the list):
 *
 * - fixtures/golden/NAME.arrow: witnesses of small programs, exported as `tvm-trace export`
 *   does; each must pass `tvm-trace check`.
 * - fixtures/bad/RULE--what.arrow: known-bad witnesses, each made from a golden one by a
 *   single edit (a cell, a row operation, a metadata entry) or by a forged run (the machine's
 *   state tampered with between steps, so every row is still computed by the machine). Each
 *   must fail `tvm-trace check`, and the FIRST failure reported must be RULE (the constraint
 *   or argument named in the file name, before any `[index]`).
 * - fixtures/README.md: the list of files and what each demonstrates.
 *
 * `npx tsx scripts/make-fixtures.ts [--out DIR] [--no-verify]`: DIR defaults to fixtures/.
 * Without --no-verify every file is checked as described above and the script fails if one
 * does not behave. test/check/fixtures.test.ts regenerates into a temporary directory and
 * compares the bytes, so the committed files stay in sync with this script.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOG_ADDR_BITS, LOG_GAP_BITS, NO_ACCESS_ADDR } from '../../src/air/columns.js';
import { checkTrace } from '../../src/check/check.js';
import { assemble } from '../../src/isa/assemble.js';
import type { Program } from '../../src/isa/program.js';
import { Reg } from '../../src/runtime/state.js';
import { exportTrace } from '../../src/trace/write/export.js';
import { MetaKey } from '../../src/trace/format/metadata.js';
import { TraceFormatError } from '../../src/trace/format/errors.js';
import { forgeTrace, forgeUnchecked, type ForgeOptions, type UncheckedOptions } from './forge.js';
import { setWord, TraceEdit } from './trace-edit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES_DIR = join(ROOT, 'fixtures');

function program(name: string): Program {
  return assemble(readFileSync(join(ROOT, 'programs', `${name}.tvm`), 'utf8'));
}

interface Golden {
  readonly name: string;
  readonly program: string;
  readonly maxSteps: number;
  readonly description: string;
}

export const GOLDEN: readonly Golden[] = [
  {
    name: 'fibonacci',
    program: 'fibonacci',
    maxSteps: 1_000_000,
    description:
      'Fibonacci(8) by a loop over initialised memory: 103 steps, LOAD/STORE/ADD/ADDM/SUBM/JZ/JMP, halts with acc 21',
  },
  {
    name: 'factorial_recursive',
    program: 'factorial_recursive',
    maxSteps: 1_000_000,
    description: 'recursive 5! with CALL/RET, PUSH/POP and MULM: 40 steps, acc 120',
  },
  {
    name: 'bitwise',
    program: 'bitwise',
    maxSteps: 1_000_000,
    description:
      'AND/OR/XOR and the M forms on negative numbers: ff_dim 50 (ORM/XORM), the widest rows',
  },
  {
    name: 'dot_product',
    program: 'dot_product',
    maxSteps: 1_000_000,
    description: 'MULM/ADDM over initialised memory (.init): first reads return the initial memory',
  },
  {
    name: 'wrap_carry',
    program: 'wrap_carry',
    maxSteps: 1_000_000,
    description: 'ADD/SUB/MUL/MULM/SUBM overflowing i16: wrap quotients ±1 and the carry flag',
  },
  {
    name: 'stack_roundtrip',
    program: 'stack_roundtrip',
    maxSteps: 1_000_000,
    description: 'PUSH/POP in reverse order: stack reads of written cells',
  },
  {
    name: 'call_chain',
    program: 'call_chain',
    maxSteps: 1_000_000,
    description: 'nested CALL/RET (and NOP): return addresses through memory',
  },
  {
    name: 'fault_stack_underflow',
    program: 'fault_stack_underflow',
    maxSteps: 1_000_000,
    description:
      'ends in a fault: the claim names stack_underflow at step 3, confirmed by re-execution',
  },
  {
    name: 'infinite_loop_20',
    program: 'infinite_loop',
    maxSteps: 20,
    description: 'never halts: stopped by max_steps 20 (the claim is neither halted nor faulted)',
  },
];

// ── helpers for consistent edits ──

interface LogEntry {
  addr: number;
  step: number;
  value: number;
  read: number;
  write: number;
}

function logEntries(edit: TraceEdit): LogEntry[] {
  return Array.from({ length: edit.rows }, (_, r) => ({
    addr: edit.get('log_addr', r),
    step: edit.get('log_step', r),
    value: edit.get('log_value', r),
    read: edit.get('log_read', r),
    write: edit.get('log_write', r),
  }));
}

/** Write the log columns for entries in the given order, witness columns derived as the exporter does (gaps clipped at 0). */
function writeLog(edit: TraceEdit, entries: readonly LogEntry[]): void {
  const initial = JSON.parse(edit.getMeta(MetaKey.initialMemory)) as number[];
  let prev: LogEntry | null = null;
  entries.forEach((e, r) => {
    const first = prev === null || e.addr !== prev.addr ? 1 : 0;
    const following = entries[r + 1];
    edit.set(
      'log_prev',
      r,
      first === 0 ? prev!.value : e.addr < NO_ACCESS_ADDR ? initial[e.addr] : 0,
    );
    edit.set(
      'log_last',
      r,
      e.addr < NO_ACCESS_ADDR && (following === undefined || following.addr !== e.addr) ? 1 : 0,
    );
    const gap =
      prev === null
        ? 0
        : Math.max(0, first === 1 ? e.addr - prev.addr - 1 : e.step - prev.step - 1);
    edit.set('log_addr', r, e.addr);
    edit.set('log_step', r, e.step);
    edit.set('log_value', r, e.value);
    edit.set('log_read', r, e.read);
    edit.set('log_write', r, e.write);
    edit.set('log_first', r, first);
    for (let i = 0; i < LOG_ADDR_BITS; i++) edit.set('log_addr_bits', r, (e.addr >> i) & 1, i);
    for (let i = 0; i < LOG_GAP_BITS; i++)
      edit.set('log_gap_bits', r, Math.floor(gap / 2 ** i) % 2, i);
    prev = e;
  });
}

function firstRow(edit: TraceEdit, predicate: (row: number) => boolean, what: string): number {
  for (let r = 0; r < edit.rows; r++) if (predicate(r)) return r;
  throw new Error(`no row with ${what}`);
}

// ── the known-bad set ──

type Make = (golden: (name: string) => TraceEdit) => Uint8Array;

interface Bad {
  /** RULE--what: RULE is the constraint or argument the checker must report first. */
  readonly name: string;
  readonly base: string;
  readonly description: string;
  readonly make: Make;
  /** Other rules the edit breaks as well (the checker reports every failure); none: it passes every other rule. */
  readonly alsoFails?: readonly string[];
}

const edited =
  (base: string, change: (edit: TraceEdit) => void, reseal = false): Make =>
  (golden) => {
    const edit = golden(base);
    change(edit);
    if (reseal) edit.reseal();
    return edit.toBytes();
  };

const forged =
  (programName: string, options: ForgeOptions): Make =>
  () =>
    forgeTrace(program(programName), options);

/** A run of the unchecked forger (test/support/forge.ts) on an inline program. */
const forgedUnchecked =
  (source: string, options: UncheckedOptions): Make =>
  () =>
    forgeUnchecked(assemble(source), options);

const NOPS = (count: number) => Array.from({ length: count }, () => 'NOP');
/** 0: JMP 255, 1: POP, 2: HALT, 3..254: NOP, 255: CALL 1 (the return address of CALL at 255 is 0). */
const CALL_AT_255 = ['.memory 4', 'JMP 255', 'POP', 'HALT', ...NOPS(252), 'CALL 1'].join('\n');
/** 0: LOADI 256, 1: PUSH, 2: RET (a bad return address), 3: HALT, 4..255: NOP, 256: LOADI 999, 257: JMP 3 (unreachable). */
const RET_PAST_255 = [
  '.memory 4',
  'LOADI 256',
  'PUSH',
  'RET',
  'HALT',
  ...NOPS(252),
  'LOADI 999',
  'JMP 3',
].join('\n');

const claimEdit = (change: (claim: Record<string, unknown>) => void) => (edit: TraceEdit) => {
  const claim = edit.claim();
  change(claim);
  edit.setClaim(claim);
};

export const BAD: readonly Bad[] = [
  // ── single cells ──
  {
    name: 'ffn.hidden--edited-product',
    alsoFails: ['ffn.output'],
    base: 'fault_stack_underflow',
    description: 'row 1: hidden[0] + 1, so hidden ≠ gate ⊙ value',
    make: edited('fault_stack_underflow', (e) => e.set('hidden', 1, e.get('hidden', 1, 0) + 1, 0)),
  },
  {
    name: 'controls.wrap--wrong-wrap',
    alsoFails: ['continuity.acc'],
    base: 'wrap_carry',
    description:
      'row 1 (ADD 1 on 32767): next_acc saturated to 32767 instead of wrapped to -32768, its bits and prefix-ORs consistent, so only the wrap equation RAW_ACC = next_acc + 65536·q breaks on that row',
    make: edited('wrap_carry', (e) => {
      const row = firstRow(e, (r) => e.get('output', r, 1) === 32768, 'RAW_ACC 32768');
      setWord(e, row, 'next_acc', 'acc_bits', 'acc_or', 32767);
    }),
  },
  {
    name: 'decode.selector_pc--wrong-selector',
    alsoFails: [
      'decode.opcode',
      'ffn.gate',
      'ffn.value',
      'ffn.output',
      'memory.read',
      'memory.addr',
    ],
    base: 'fault_stack_underflow',
    description:
      'row 1 (pc 1): the one-hot selector moved to instruction 2, still one-hot but not the instruction at pc',
    make: edited('fault_stack_underflow', (e) => {
      e.set('selector', 1, 0, 1);
      e.set('selector', 1, 1, 2);
    }),
  },
  {
    name: 'log.same_address--cleared-first-flag',
    alsoFails: ['log.order', 'log.prev_is_last_value', 'log.last'],
    base: 'fault_stack_underflow',
    description:
      'log row 2 (the first entry of address 256) marked as continuing the previous address 3',
    make: edited('fault_stack_underflow', (e) => e.set('log_first', 2, 0)),
  },
  // ── rows ──
  {
    name: 'continuity.step--skipped-row',
    alsoFails: [
      'continuity.pc',
      'continuity.sp',
      'log.last',
      'memory.permutation',
      'memory.final_value',
      'witness.rows',
    ],
    base: 'fault_stack_underflow',
    description: 'row 1 deleted (a step left out): step goes 0, 2',
    make: edited('fault_stack_underflow', (e) => e.deleteRow(1)),
  },
  {
    name: 'continuity.step--duplicated-row',
    alsoFails: [
      'continuity.pc',
      'continuity.sp',
      'log.order',
      'log.last',
      'memory.permutation',
      'memory.final_value',
      'witness.rows',
    ],
    base: 'fault_stack_underflow',
    description: 'row 1 duplicated (a step replayed)',
    make: edited('fault_stack_underflow', (e) => e.duplicateRow(1)),
  },
  {
    name: 'continuity.step--swapped-rows',
    alsoFails: [
      'continuity.pc',
      'continuity.sp',
      'log.last',
      'padding.last_step',
      'log.same_address',
      'log.order',
      'log.prev_is_last_value',
      'padding.last_row',
      'memory.permutation',
    ],
    base: 'fault_stack_underflow',
    description: 'rows 1 and 2 swapped',
    make: edited('fault_stack_underflow', (e) => e.swapRows(1, 2)),
  },
  {
    name: 'boundary.step--deleted-first-row',
    alsoFails: [
      'boundary.pc',
      'boundary.acc',
      'boundary.zero_flag',
      'boundary.log_first',
      'memory.permutation',
      'memory.final_value',
      'witness.rows',
    ],
    base: 'fault_stack_underflow',
    description: 'row 0 deleted: the trace starts at step 1',
    make: edited('fault_stack_underflow', (e) => e.deleteRow(0)),
  },
  {
    name: 'padding.last_row--deleted-last-row',
    alsoFails: ['memory.permutation', 'witness.rows'],
    base: 'fault_stack_underflow',
    description:
      'the last row deleted: the trace stops short of the claimed 3 steps, and its last row is not marked as the last step',
    make: edited('fault_stack_underflow', (e) => e.deleteRow(e.rows - 1)),
  },
  {
    name: 'log.order--unsorted-log',
    alsoFails: ['log.last', 'memory.permutation'],
    base: 'fault_stack_underflow',
    description:
      'the memory log in step order instead of (address, step) order, its first flags and gap bits rebuilt (gaps that would be negative clipped to 0): only the sort order is wrong',
    make: edited('fault_stack_underflow', (e) =>
      writeLog(
        e,
        logEntries(e).sort((a, b) => a.step - b.step),
      ),
    ),
  },
  {
    name: 'memory.permutation--log-value-edited',
    alsoFails: ['memory.final_value'],
    base: 'fault_stack_underflow',
    description:
      'the log entries of address 3 (write, then read) say 8 where the steps wrote and read 7: the log is consistent in itself but is not a permutation of the accesses',
    make: edited('fault_stack_underflow', (e) => {
      for (let r = 0; r < e.rows; r++) {
        if (e.get('log_addr', r) !== 3) continue;
        e.set('log_value', r, 8);
        if (e.get('log_first', r) === 0) e.set('log_prev', r, 8);
      }
    }),
  },
  // ── forged runs: each row computed by the machine, its state tampered with between steps ──
  {
    name: 'log.read_returns_prev--stale-read',
    base: 'fault_stack_underflow',
    description:
      'forged run: before the POP at step 2, cell 3 is reset to its older value 0, so the POP reads 0 although the PUSH at step 1 wrote 7 (consistently in the access columns, the FFN input and the log); only the memory rule catches it',
    make: forged('fault_stack_underflow', {
      maxSteps: 1_000_000,
      tamper: (m, step) => step === 2 && (m.memory[3] = 0),
    }),
  },
  {
    name: 'memory.initial_value--wrong-initial-memory',
    alsoFails: ['memory.final_value'],
    base: 'dot_product',
    description:
      'forged run: started with cell 0 = 9 while the program (and tvm.initial_memory) say 3; the first read of cell 0 returns 9 and its log_prev says 9',
    make: forged('dot_product', {
      maxSteps: 1_000_000,
      tamper: (m, step) => step === 0 && (m.memory[0] = 9),
    }),
  },
  {
    name: 'boundary.acc--nonzero-initial-acc',
    base: 'fault_stack_underflow',
    description: 'forged run: started with acc 5 instead of 0',
    make: forged('fault_stack_underflow', {
      maxSteps: 1_000_000,
      tamper: (m, step) => step === 0 && (m.regs[Reg.ACC] = 5),
    }),
  },
  {
    name: 'continuity.acc--tampered-register',
    base: 'fault_stack_underflow',
    description:
      'forged run: acc set to 8 between steps 1 and 2 (row 1 leaves 7, row 2 starts from 8)',
    make: forged('fault_stack_underflow', {
      maxSteps: 1_000_000,
      tamper: (m, step) => step === 2 && (m.regs[Reg.ACC] = 8),
    }),
  },
  {
    name: 'continuity.halted--ran-after-halt',
    base: 'stack_roundtrip',
    description:
      'forged run: the halted flag cleared after HALT and two more steps executed (max_steps 18)',
    make: forged('stack_roundtrip', {
      maxSteps: 18,
      tamper: (m, step) => step >= 16 && (m.regs[Reg.HALTED] = 0),
    }),
  },
  // ── forged runs past what the machine can do: each passes every other rule (test/check/fixtures.test.ts) ──
  {
    name: 'decode.pc_wrap--call-at-255-pushes-256',
    base: 'a 256-instruction program (CALL at 255)',
    description:
      'forged run: at pc 255 the forger clears pc_wrap so PC+1 = 256; CALL pushes 256 as its return address and POP loads acc 256, a value the machine never makes there (it pushes 0)',
    make: forgedUnchecked(CALL_AT_255, {
      maxSteps: 100,
      editInput: (x) => x[1] === 255 && (x[2] = 256),
    }),
  },
  {
    name: 'decode.valid_instruction--ret-to-256',
    base: 'a 258-instruction program (RET of 256)',
    description:
      'forged run: RET pops 256, a bad return address the machine faults on; the forger runs on at pc 256 and 257 (PC+1 unwrapped, pc_wrap 0) and halts with acc 999 from code no run can reach',
    make: forgedUnchecked(RET_PAST_255, {
      maxSteps: 100,
      editInput: (x) => x[1] >= 255 && (x[2] = x[1] + 1),
    }),
  },
  {
    name: 'statement.ranges--ret-to-300-at-max-steps',
    base: 'LOADI 300, PUSH, RET',
    description:
      'forged run: RET pops 300 at the last step allowed (max_steps 3), so no next row checks the pc; the claimed final pc 300 is no machine state',
    make: forgedUnchecked('.memory 4\nLOADI 300\nPUSH\nRET\n', { maxSteps: 3 }),
  },
  // ── the claim (metadata digest recomputed, so the claim check itself must catch it) ──
  {
    name: 'claim.steps--over-max-steps',
    alsoFails: ['claim.ending'],
    base: 'infinite_loop_20',
    description: 'tvm.max_steps lowered to 19 under a claim of 20 steps',
    make: edited('infinite_loop_20', (e) => e.setMeta(MetaKey.maxSteps, '19'), true),
  },
  {
    name: 'claim.acc--forged-final-state',
    base: 'stack_roundtrip',
    description: 'tvm.claim says acc 41, the last row leaves 40',
    make: edited(
      'stack_roundtrip',
      claimEdit((c) => (c.acc = 41)),
      true,
    ),
  },
  {
    name: 'memory.final_value--forged-final-memory',
    base: 'stack_roundtrip',
    description: 'tvm.claim says memory[0] = 31, the last write to cell 0 stored 30',
    make: edited(
      'stack_roundtrip',
      claimEdit((c) => ((c.memory as number[])[0] = 31)),
      true,
    ),
  },
  {
    name: 'memory.final_value--untouched-cell',
    base: 'dot_product',
    description:
      "tvm.claim gives cell 6, which no step touches, the value 99 instead of its initial 0: the final memory is a multiset equality with the initial memory, not a test of the log's last entries only",
    make: edited(
      'dot_product',
      claimEdit((c) => ((c.memory as number[])[6] = 99)),
      true,
    ),
  },
  {
    name: 'padding.last_step--claim-bound-early',
    alsoFails: ['padding.last_row', 'memory.final_value', 'witness.rows', 'claim.ending'],
    base: 'stack_roundtrip',
    description:
      "last_step moved from the last row to row 5 and the claim made row 5's state (6 steps): the claim would bind to a step in the middle of the run; it is caught where active does not fall after row 5 (and by the last row and the row count)",
    make: edited(
      'stack_roundtrip',
      (e) => {
        e.set('last_step', e.rows - 1, 0);
        e.set('last_step', 5, 1);
        claimEdit((c) => {
          c.steps = 6;
          c.pc = e.get('output', 5, 0);
          c.acc = e.get('next_acc', 5);
          c.sp = e.get('output', 5, 2);
          c.zero_flag = e.get('next_zero', 5) === 1;
          c.carry_flag = e.get('next_carry', 5) === 1;
          c.halted = false;
          c.memory = [0, 0, 0, 0, 0, 30, 20, 10];
        })(e);
      },
      true,
    ),
  },
  {
    name: 'log.last--last-flag-cleared',
    alsoFails: ['memory.final_value'],
    base: 'stack_roundtrip',
    description:
      "log_last cleared on the last entry of cell 0: that cell's final value would drop out of the final-memory multiset",
    make: edited('stack_roundtrip', (e) =>
      e.set(
        'log_last',
        firstRow(
          e,
          (r) => e.get('log_addr', r) === 0 && e.get('log_last', r) === 1,
          'the last entry of cell 0',
        ),
        0,
      ),
    ),
  },
  {
    name: 'log.prev_is_last_value--edited-prev',
    base: 'fibonacci',
    description:
      "log_prev of a write that continues its cell edited: an entry that continues its cell must see the previous entry's value",
    make: edited('fibonacci', (e) => {
      const row = firstRow(
        e,
        (r) => e.get('log_write', r) === 1 && e.get('log_first', r) === 0,
        'a write that continues its cell',
      );
      e.set('log_prev', row, e.get('log_prev', row) + 1);
    }),
  },
  {
    name: 'claim.fault--forged-fault',
    base: 'fault_stack_underflow',
    description:
      'tvm.claim says stack_overflow; re-executing the next step from the claimed state gives stack_underflow',
    make: edited(
      'fault_stack_underflow',
      claimEdit((c) => (c.fault = { ...(c.fault as object), kind: 'stack_overflow' })),
      true,
    ),
  },
  {
    name: 'claim.fault--fault-at-max-steps',
    base: 'fault_stack_underflow',
    description:
      'tvm.max_steps lowered to the 3 executed steps: that run stops at max_steps and cannot fault at step 3',
    make: edited('fault_stack_underflow', (e) => e.setMeta(MetaKey.maxSteps, '3'), true),
  },
  {
    name: 'claim.ending--raised-max-steps',
    base: 'infinite_loop_20',
    description:
      'tvm.max_steps raised to 21: a run that neither halted nor faulted must have used all of max_steps',
    make: edited('infinite_loop_20', (e) => e.setMeta(MetaKey.maxSteps, '21'), true),
  },
  // ── the metadata ──
  {
    name: 'metadata.weights_sha256--edited-program',
    alsoFails: ['decode.arg', 'ffn.output'],
    base: 'fault_stack_underflow',
    description: "tvm.program edited ('LOADI 7' → 'LOADI 8') under the old weights digest",
    make: edited(
      'fault_stack_underflow',
      (e) => e.setMeta(MetaKey.program, e.getMeta(MetaKey.program).replace('LOADI 7', 'LOADI 8')),
      true,
    ),
  },
  {
    name: 'metadata.program--not-canonical',
    base: 'fault_stack_underflow',
    description:
      'tvm.program with a comment appended: same program, but not the canonical text the digest and the prover expect',
    make: edited(
      'fault_stack_underflow',
      (e) => e.setMeta(MetaKey.program, `${e.getMeta(MetaKey.program)}; note\n`),
      true,
    ),
  },
  {
    name: 'metadata.encoding--claim-extra-field',
    base: 'fault_stack_underflow',
    description:
      'tvm.claim with an extra field: the same claim, but not its canonical encoding (one byte string per statement)',
    make: edited(
      'fault_stack_underflow',
      claimEdit((c) => (c.note = 'extra')),
      true,
    ),
  },
  {
    name: 'metadata.max_abs_value--understated',
    base: 'fault_stack_underflow',
    description:
      'tvm.max_abs_value one below the bound the checker recomputes from the int32 columns',
    make: edited(
      'fault_stack_underflow',
      (e) => e.setMeta(MetaKey.maxAbsValue, String(Number(e.getMeta(MetaKey.maxAbsValue)) - 1)),
      true,
    ),
  },
  {
    name: 'metadata.fields--dropped-field',
    base: 'fault_stack_underflow',
    description: 'tvm.fields without goldilocks although every value fits it',
    make: edited(
      'fault_stack_underflow',
      (e) =>
        e.setMeta(
          MetaKey.fields,
          JSON.stringify(
            (JSON.parse(e.getMeta(MetaKey.fields)) as string[]).filter((f) => f !== 'goldilocks'),
          ),
        ),
      true,
    ),
  },
  {
    name: 'metadata.fields--unsound-field-listed',
    base: 'fault_stack_underflow',
    description:
      'tvm.fields lists babybear too: every value fits it, but the AIR does not bind in a 31-bit field (air-v2.json sound_fields)',
    make: edited(
      'fault_stack_underflow',
      (e) => e.setMeta(MetaKey.fields, JSON.stringify(['goldilocks', 'babybear'])),
      true,
    ),
  },
  {
    name: 'metadata.metadata_sha256--edited-generator',
    base: 'fault_stack_underflow',
    description:
      'tvm.generator edited, digest not recomputed: entries no other check can derive are bound by tvm.metadata_sha256',
    make: edited('fault_stack_underflow', (e) => e.setMeta(MetaKey.generator, 'tvm-trace 9.9.9')),
  },
];

/** The first failure's rule (constraint name before any `[...]`), 'format' for TraceFormatError, or 'ok'. */
export async function firstRule(path: string): Promise<string> {
  try {
    const report = await checkTrace(path, { maxFailures: 1 });
    return report.ok ? 'ok' : report.failures[0].constraint.replace(/\[.*$/, '');
  } catch (error) {
    if (error instanceof TraceFormatError) return 'format';
    throw error;
  }
}

export const ruleOf = (badName: string): string => badName.split('--')[0];

function readme(): string {
  const lines = [
    '# fixtures',
    '',
    'Generated by `npm run fixtures` (scripts/make-fixtures.ts); do not edit by hand.',
    '`test/check/fixtures.test.ts` checks that every golden file passes, that every bad file',
    'fails with the rule in its name reported first, and that regenerating gives the same bytes.',
    '',
    '## golden/ — `tvm-trace check` exits 0',
    '',
    '| file | program | what it covers |',
    '|---|---|---|',
    ...GOLDEN.map(
      (g) =>
        `| \`golden/${g.name}.arrow\` | \`programs/${g.program}.tvm\`${g.maxSteps !== 1_000_000 ? ` (max_steps ${g.maxSteps})` : ''} | ${g.description} |`,
    ),
    '',
    '## bad/ — `tvm-trace check` exits 1; the first failure is the rule before `--`',
    '',
    'Each file is a golden one changed in one way. Where the edit is to `tvm.claim`,',
    '`tvm.max_steps` or another metadata entry, `tvm.metadata_sha256` is recomputed (except in',
    '`metadata.metadata_sha256--*`), so the rule named is what catches it, not the digest.',
    'Forged runs are exported by test/support/forge.ts from a run whose machine state was',
    "tampered with between steps: every row is still the machine's own computation.",
    '',
    '| file | from | what is wrong |',
    '|---|---|---|',
    ...BAD.map((b) => `| \`bad/${b.name}.arrow\` | ${b.base} | ${b.description} |`),
    '',
  ];
  return lines.join('\n');
}

/** Write every fixture under `out` (golden/, bad/, README.md). Returns the relative paths written. */
export function makeFixtures(out: string): string[] {
  const written: string[] = [];
  for (const dir of ['golden', 'bad']) {
    mkdirSync(join(out, dir), { recursive: true });
    for (const file of readdirSync(join(out, dir)))
      if (file.endsWith('.arrow')) rmSync(join(out, dir, file));
  }
  for (const g of GOLDEN) {
    exportTrace(program(g.program), join(out, 'golden', `${g.name}.arrow`), {
      maxSteps: g.maxSteps,
    });
    written.push(`golden/${g.name}.arrow`);
  }
  const golden = (name: string) => {
    if (!GOLDEN.some((g) => g.name === name)) throw new Error(`no golden fixture '${name}'`);
    return TraceEdit.read(join(out, 'golden', `${name}.arrow`));
  };
  for (const b of BAD) {
    writeFileSync(join(out, 'bad', `${b.name}.arrow`), b.make(golden));
    written.push(`bad/${b.name}.arrow`);
  }
  writeFileSync(join(out, 'README.md'), readme());
  written.push('README.md');
  return written;
}

/** Check every fixture under `out`; returns problems (empty when all behave). */
export async function verifyFixtures(out: string): Promise<string[]> {
  const problems: string[] = [];
  for (const g of GOLDEN) {
    const rule = await firstRule(join(out, 'golden', `${g.name}.arrow`));
    if (rule !== 'ok') problems.push(`golden/${g.name}.arrow: expected ok, got ${rule}`);
  }
  for (const b of BAD) {
    const rule = await firstRule(join(out, 'bad', `${b.name}.arrow`));
    if (rule !== ruleOf(b.name))
      problems.push(`bad/${b.name}.arrow: expected first failure ${ruleOf(b.name)}, got ${rule}`);
  }
  return problems;
}
