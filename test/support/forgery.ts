/**
 * The forgery harness (issue 12): forged runs made the way a cheating prover makes them, each
 * one checked with src/check/check.ts, which must reject it.
 *
 * A forgery is a witness whose every column is re-derived from a run, so that only the rule
 * the cheat breaks can catch it (random cell edits break many rules at once and prove less):
 *
 * - tamper.*: the FFN machine's run (test/support/forge.ts forgeTrace) with its state changed
 *   between two steps t-1 and t (t ≥ 1): pc, acc, sp, a flag, halted, a memory cell, the
 *   return address on the stack; tamper.initial_state changes the state before step 0.
 * - wrap255.* / ret_past_255.* / ret_out_of_range.*: the unchecked forger (forgeUnchecked),
 *   which builds the FFN input itself, for what the machine never does: PC+1 = 256 at pc 255
 *   (pc_wrap = 0), a pc of 256 or more, a RET to a value outside 0..255.
 * - claim.*: an honest witness whose claim (steps, the ending, the final state, final memory,
 *   cells no step touches) or max_steps is edited, tvm.metadata_sha256 recomputed.
 *
 * A tamper that leaves the witness byte-identical to the honest one (a cell overwritten before
 * it is read) is not a forgery: the generator draws again. Every forgery is a pure function of
 * (class, seed), so a run can be sharded and any forgery replayed from its seed.
 */
import * as arrow from 'apache-arrow';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTrace, type CheckField } from '../../src/check/check.js';
import { assemble } from '../../src/isa/assemble.js';
import { OPCODES, type OpcodeSpec } from '../../src/isa/opcodes.js';
import { printProgram } from '../../src/isa/print.js';
import type { Program } from '../../src/isa/program.js';
import { FfnMachine } from '../../src/runtime/ffn/engine.js';
import { compileProgram, type CompiledProgram } from '../../src/compiler/compile.js';
import { controlTable } from '../../src/compiler/control-table.js';
import { In, INPUT_DIM, Out, OUTPUT_DIM, WORD_BITS } from '../../src/compiler/layout.js';
import { nextCarry, nextZero } from '../../src/isa/controls.js';
import { ReadModeCode } from '../../src/isa/opcodes.js';
import { createTap, type FfnTap } from '../../src/runtime/ffn/engine.js';
import { recordBatch, traceSchema } from '../../src/trace/write/arrow-batch.js';
import { traceMetadata } from '../../src/trace/write/export.js';
import { TraceBuffers } from '../../src/trace/format/layout.js';
import { encodeMetadata, FIELDS } from '../../src/trace/format/metadata.js';
import { AccessSpill } from '../../src/trace/write/spill.js';
import { accessOf, WitnessBuilder } from '../../src/trace/write/witness.js';
import { FAULT_KINDS, makeFault } from '../../src/runtime/fault.js';
import { Reg } from '../../src/runtime/state.js';
import { MetaKey } from '../../src/trace/format/metadata.js';
import { TraceFormatError } from '../../src/trace/format/errors.js';
import { evaluateFfn, forgeTrace, forgeUnchecked } from './forge.js';
import { INTERESTING_I16, Random, randomProgram } from './random-programs.js';
import { setWord, TraceEdit } from './trace-edit.js';

// ── the classes ──

export interface ForgeryClassSpec {
  readonly name: string;
  readonly description: string;
  /** v2 rules of which at least one must be among the failures (empty: no single known rule). */
  readonly caughtBy: readonly string[];
  /** Relative share in a mixed run (bench:forgery); the 256+-instruction classes cost ~5× more to check. */
  readonly weight: number;
}

export const FORGERY_CLASSES: readonly ForgeryClassSpec[] = [
  {
    name: 'tamper.pc',
    weight: 8,
    caughtBy: ['continuity.pc', 'claim.pc'],
    description: "pc set to another value (0..255, the program's or past it) between two steps",
  },
  {
    name: 'tamper.acc',
    weight: 8,
    caughtBy: ['continuity.acc'],
    description: 'acc set to another i16 between two steps',
  },
  {
    name: 'tamper.sp',
    weight: 6,
    caughtBy: ['continuity.sp', 'claim.sp'],
    description: 'sp set to another value in 0..N (0..255 one time in 7) between two steps',
  },
  {
    name: 'tamper.zero_flag',
    weight: 6,
    caughtBy: ['continuity.zero'],
    description: 'zero flag flipped between two steps',
  },
  {
    name: 'tamper.carry_flag',
    weight: 6,
    caughtBy: ['continuity.carry'],
    description: 'carry flag flipped between two steps',
  },
  {
    name: 'tamper.halt_early',
    weight: 5,
    caughtBy: ['claim.halted'],
    description: 'halted set between two steps: the run stops and claims a halt no HALT made',
  },
  {
    name: 'tamper.run_after_halt',
    weight: 5,
    caughtBy: ['continuity.halted', 'claim.halted'],
    description: 'halted cleared after a HALT (pc also moved half the time): the run goes on',
  },
  {
    name: 'tamper.memory',
    weight: 8,
    caughtBy: ['log.read_returns_prev', 'memory.final_value'],
    description: 'a memory cell set to another i16 between two steps',
  },
  {
    name: 'tamper.return_address',
    weight: 6,
    caughtBy: ['log.read_returns_prev', 'memory.final_value'],
    description:
      'the return address CALL pushed changed (inside the callee or right before its RET)',
  },
  {
    name: 'tamper.multi',
    weight: 5,
    caughtBy: [],
    description:
      '2 to 4 of the tampers above at different steps (any of pc, acc, sp, the flags, halted, a memory cell, before step 0 too)',
  },
  {
    name: 'tamper.initial_state',
    weight: 5,
    caughtBy: [
      'boundary.pc',
      'boundary.acc',
      'boundary.sp',
      'boundary.zero_flag',
      'boundary.carry_flag',
      'memory.initial_value',
      'memory.final_value',
      'claim.initial_state',
      'statement.ranges',
    ],
    description: 'the state before step 0 changed: pc, acc, sp, a flag, halted or a memory cell',
  },
  {
    name: 'wrap255.call',
    weight: 2,
    caughtBy: ['decode.pc_wrap'],
    description:
      'CALL at pc 255 with pc_wrap = 0 pushes 256; then POP (acc 256), RET (pc 256, code past 255), or the claim ends on it',
  },
  {
    name: 'wrap255.every_opcode',
    weight: 2,
    caughtBy: ['decode.pc_wrap'],
    description:
      'each of the 26 instructions at pc 255 with pc_wrap = 0 (PC+1 = 256): the advancing ones run on at pc 256',
  },
  {
    name: 'ret_past_255.run_on',
    weight: 2,
    caughtBy: ['decode.valid_instruction'],
    description:
      'a RET pops 256..L-1 (the VM faults) and the forger runs on in code past 255 to a HALT',
  },
  {
    name: 'ret_out_of_range.last_step',
    weight: 3,
    caughtBy: ['statement.ranges'],
    description:
      'a RET pops a value outside 0..255 on the last step allowed: the claimed pc is no machine state',
  },
  {
    name: 'fault_skipped.memory',
    weight: 4,
    caughtBy: ['decode.valid_instruction', 'memory.initial_value'],
    description:
      'a step the VM faults on, run on: a direct address ≥ N (LOAD, STORE, ADDM, …) or a POP/RET at sp = N (stack underflow) reads or writes a cell past memory, the forger choosing its value',
  },
  {
    name: 'field31.wrap',
    weight: 3,
    caughtBy: ['controls.wrap', 'statement.field'],
    description:
      "the last step's next_acc replaced by a value that satisfies controls.wrap modulo BabyBear or M31 (quotient chosen mod p, flags and claim to match); checked in int, goldilocks, babybear and m31",
  },
  {
    name: 'claim.steps',
    weight: 5,
    caughtBy: ['witness.rows', 'claim.steps', 'claim.ending'],
    description: "the claim's step count changed",
  },
  {
    name: 'claim.ending',
    weight: 6,
    caughtBy: ['claim.halted', 'claim.ending', 'claim.fault', 'claim.steps'],
    description:
      'how the run ended changed: halted flipped, a fault added or removed, max_steps moved, or a run cut short claimed under the original max_steps',
  },
  {
    name: 'claim.final_state',
    weight: 6,
    caughtBy: ['claim.pc', 'claim.acc', 'claim.sp', 'claim.zero_flag', 'claim.carry_flag'],
    description: 'the claimed final pc, acc, sp or a flag changed',
  },
  {
    name: 'claim.final_memory',
    weight: 5,
    caughtBy: ['memory.final_value'],
    description: 'the claimed final value of a cell some step touched changed',
  },
  {
    name: 'claim.untouched_memory',
    weight: 5,
    caughtBy: ['memory.final_value'],
    description: 'the claimed final value of a cell no step touches changed',
  },
];

export const CLASS_NAMES = FORGERY_CLASSES.map((c) => c.name);

export interface Forgery {
  readonly cls: string;
  readonly seed: number;
  /** What was done, for a reproducer. */
  readonly description: string;
  readonly program: Program;
  readonly maxSteps: number;
  /** The opcode this forgery exercises (the instruction at the tamper, at pc 255, the RET…), or null. */
  readonly opcode: string | null;
  readonly bytes: Uint8Array;
  /** Fields to check it in as well (the 31-bit ones for field31.*). */
  readonly fields?: readonly CheckField[];
}

// ── small helpers ──

const OPS = OPCODES;
const byMnemonic = (m: string): OpcodeSpec => OPS.find((s) => s.mnemonic === m)!;
/** Instructions that neither jump nor touch the stack nor halt: safe filler. */
const STRAIGHT = OPS.filter((s) => s.operand !== 'target' && s.stack === 'none' && !s.halts);
/** The straight ones whose FFN is narrow (no bitwise M forms): keeps 256+-instruction programs cheap to check. */
const NARROW = STRAIGHT.filter(
  (s) => !['ANDM', 'ORM', 'XORM', 'AND', 'OR', 'XOR'].includes(s.mnemonic),
);

function i16(r: Random): number {
  if (r.chance(0.5)) return r.pick(INTERESTING_I16);
  if (r.chance(0.5)) return r.int(-20, 20);
  return r.int(-32768, 32767);
}

function differentI16(r: Random, old: number): number {
  for (;;) {
    const v = i16(r);
    if (v !== old) return v;
  }
}

/** One instruction as text, operands in range (addresses in [0, maxAddr]). */
function line(r: Random, spec: OpcodeSpec, maxAddr: number, maxTarget = 0): string {
  switch (spec.operand) {
    case 'immediate':
      return `${spec.mnemonic} ${i16(r)}`;
    case 'address':
      return `${spec.mnemonic} ${r.int(0, Math.max(0, maxAddr))}`;
    case 'target':
      return `${spec.mnemonic} ${r.int(0, maxTarget)}`;
    default:
      return spec.mnemonic;
  }
}

const straightLines = (r: Random, count: number, maxAddr: number, pool = STRAIGHT) =>
  Array.from({ length: count }, () =>
    line(r, r.pick(maxAddr < 0 ? pool.filter((s) => s.operand !== 'address') : pool), maxAddr),
  );

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface HonestRun {
  /** The honest witness (made on first use). */
  readonly bytes: () => Uint8Array;
  /** pc before each step (pcs[s] is the instruction step s executes). */
  readonly pcs: number[];
  readonly sps: number[];
  readonly steps: number;
  readonly halted: boolean;
}

/** The honest run: pc and sp before each step (the FFN machine, no witness), the witness on demand. */
function honest(program: Program, maxSteps: number): HonestRun {
  const machine = new FfnMachine(compileProgram(program));
  const pcs: number[] = [];
  const sps: number[] = [];
  while (machine.steps < maxSteps && !machine.stopped) {
    pcs.push(machine.regs[Reg.PC]);
    sps.push(machine.regs[Reg.SP]);
    if (machine.advance(1) === 0) {
      pcs.pop();
      sps.pop();
      break;
    }
  }
  let bytes: Uint8Array | null = null;
  return {
    bytes: () => (bytes ??= forgeTrace(program, { maxSteps })),
    pcs,
    sps,
    steps: machine.steps,
    halted: machine.regs[Reg.HALTED] === 1,
  };
}

/** Instructions with more than 5 hidden units: the checker's cost grows with ff_dim × program length. */
const WIDE = new Set(['AND', 'ANDM', 'OR', 'ORM', 'XOR', 'XORM']);
const NARROW_BY_OPERAND = {
  immediate: OPS.filter((s) => s.operand === 'immediate' && !WIDE.has(s.mnemonic)),
  address: OPS.filter((s) => s.operand === 'address' && !WIDE.has(s.mnemonic)),
};

/**
 * A random program of up to 12 instructions (test/support/random-programs.ts) and a small
 * max_steps. Wide instructions other than `keep` are swapped for a narrow one of the same
 * operand kind 4 times in 5 (checking a 50-unit program costs ~3× a 5-unit one).
 */
function smallProgram(r: Random, keep = -1): { program: Program; maxSteps: number } {
  const { program } = randomProgram(r, { maxLength: 12 });
  const instructions = program.instructions.map((ins) => {
    const spec = OPS[ins.opcode];
    if (!WIDE.has(spec.mnemonic) || ins.opcode === keep || r.chance(0.2)) return ins;
    return {
      opcode: r.pick(NARROW_BY_OPERAND[spec.operand as 'immediate' | 'address']).code,
      arg: ins.arg,
    };
  });
  if (keep >= 0 && !instructions.some((ins) => ins.opcode === keep))
    plant(r, instructions, keep, program.memorySize);
  return {
    program: { ...program, instructions, sourceLines: instructions.map((_, i) => i + 1) },
    maxSteps: r.pick([4, 8, 16, 24, 40, 64]),
  };
}

/**
 * Put `opcode` in a program that lacks it, so the tamper can follow it: at a random place, with an
 * operand it can run with, and a PUSH before a POP or RET (on an empty stack they fault). Random
 * programs alone left POP uncovered by the test's seeds.
 */
function plant(
  r: Random,
  instructions: Array<{ opcode: number; arg: number }>,
  opcode: number,
  memorySize: number,
): void {
  const spec = OPS[opcode];
  const pops = spec.mnemonic === 'POP' || spec.mnemonic === 'RET';
  const at = r.int(pops ? 1 : 0, Math.max(pops ? 1 : 0, instructions.length - 1));
  while (instructions.length <= at)
    instructions.push({ opcode: OPS.findIndex((s) => s.mnemonic === 'NOP'), arg: 0 });
  const arg =
    spec.operand === 'address'
      ? r.int(0, Math.max(0, memorySize - 1))
      : spec.operand === 'immediate'
        ? r.int(-32768, 32767)
        : spec.operand === 'target'
          ? r.int(0, instructions.length - 1)
          : 0;
  instructions[at] = { opcode, arg };
  if (pops) instructions[at - 1] = { opcode: OPS.findIndex((s) => s.mnemonic === 'PUSH'), arg: 0 };
}

const opcodeName = (program: Program, pc: number | undefined): string | null =>
  pc === undefined || pc < 0 || pc >= program.instructions.length
    ? null
    : OPS[program.instructions[pc].opcode].mnemonic;

// ── tamper.* ──

type Tamper = (m: FfnMachine, r: Random) => string | null;

/**
 * A forged run: tamper the state right before step t with `change` (null: nothing to change).
 * `pickStep(run, program, want)` chooses t; `want` asks for a t right after an instruction of
 * this forgery's opcode (seed mod 26), so that every instruction is covered; after half the
 * attempts any t will do.
 */
function tamperedRun(
  cls: string,
  seed: number,
  r: Random,
  pickStep: (run: HonestRun, program: Program, want: (t: number) => boolean) => number | null,
  change: Tamper,
  program0?: () => { program: Program; maxSteps: number },
  attempts = 40,
): Forgery | null {
  const wanted = OPS[seed % OPS.length].code;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const { program, maxSteps } = (program0 ?? (() => smallProgram(r, wanted)))();
    const run = honest(program, maxSteps);
    const strict = attempt < attempts / 2;
    const want = (t: number) =>
      !strict ||
      (t > 0 && program.instructions[run.pcs[t - 1]]?.opcode === wanted) ||
      (t === 0 && program.instructions[run.pcs[0]]?.opcode === wanted);
    const t = pickStep(run, program, want);
    if (t === null) continue;
    let what: string | null = null;
    const bytes = forgeTrace(program, {
      maxSteps,
      tamper: (m, step) => {
        if (step === t) what = change(m, r);
      },
    });
    if (what === null || equalBytes(bytes, run.bytes())) continue;
    return {
      cls,
      seed,
      description: `before step ${t}: ${what}`,
      program,
      maxSteps,
      opcode: opcodeName(program, t > 0 ? run.pcs[t - 1] : run.pcs[0]),
      bytes,
    };
  }
  return null;
}

/** A step t in [1, steps): between two steps of the run (one `want` accepts, if any). */
const between =
  (r: Random) => (run: HonestRun, _program: Program, want: (t: number) => boolean) => {
    const ts: number[] = [];
    for (let t = 1; t < run.steps; t++) if (want(t)) ts.push(t);
    return ts.length > 0 ? r.pick(ts) : null;
  };

function setReg(m: FfnMachine, reg: number, value: number, name: string): string | null {
  const old = m.regs[reg];
  if (old === value) return null;
  m.regs[reg] = value;
  return `${name} ${old} → ${value}`;
}

const regTampers: Record<string, Tamper> = {
  pc: (m, r) =>
    setReg(
      m,
      Reg.PC,
      r.chance(0.8) ? r.int(0, m.compiled.program.instructions.length - 1) : r.int(0, 255),
      'pc',
    ),
  acc: (m, r) => setReg(m, Reg.ACC, differentI16(r, m.regs[Reg.ACC]), 'acc'),
  sp: (m, r) => setReg(m, Reg.SP, r.chance(0.85) ? r.int(0, m.memory.length) : r.int(0, 255), 'sp'),
  zero: (m) => setReg(m, Reg.ZERO, 1 - m.regs[Reg.ZERO], 'zero_flag'),
  carry: (m) => setReg(m, Reg.CARRY, 1 - m.regs[Reg.CARRY], 'carry_flag'),
  halted: (m) => setReg(m, Reg.HALTED, 1, 'halted'),
  memory: (m, r) => {
    if (m.memory.length === 0) return null;
    const a = r.int(0, m.memory.length - 1);
    const old = m.memory[a];
    const v = differentI16(r, old);
    m.memory[a] = v;
    return `memory[${a}] ${old} → ${v}`;
  },
};

/** CALL f … HALT, f: body … RET: the return address lives in mem[N-1] between the CALL and the RET. */
function callProgram(r: Random): { program: Program; maxSteps: number } {
  const N = r.int(2, 12);
  const a = straightLines(r, r.int(0, 4), N - 2);
  const b = straightLines(r, r.int(0, 4), N - 2);
  const c = straightLines(r, r.int(0, 6), N - 2);
  const f = a.length + 1 + b.length + 1;
  const lines = [`.memory ${N}`, ...a, `CALL ${f}`, ...b, 'HALT', ...c, 'RET'];
  return { program: assemble(lines.join('\n')), maxSteps: r.pick([16, 24, 40]) };
}

function tamperForgery(cls: string, seed: number, r: Random): Forgery | null {
  switch (cls) {
    case 'tamper.pc':
      return tamperedRun(cls, seed, r, between(r), regTampers.pc);
    case 'tamper.acc':
      return tamperedRun(cls, seed, r, between(r), regTampers.acc);
    case 'tamper.sp':
      return tamperedRun(cls, seed, r, between(r), regTampers.sp);
    case 'tamper.zero_flag':
      return tamperedRun(cls, seed, r, between(r), regTampers.zero);
    case 'tamper.carry_flag':
      return tamperedRun(cls, seed, r, between(r), regTampers.carry);
    case 'tamper.halt_early':
      return tamperedRun(cls, seed, r, between(r), regTampers.halted);
    case 'tamper.memory':
      return tamperedRun(cls, seed, r, between(r), regTampers.memory);
    case 'tamper.run_after_halt':
      return tamperedRun(
        cls,
        seed,
        r,
        (run) => (run.halted ? run.steps : null),
        (m, rr) => {
          const moved = rr.chance(0.5)
            ? rr.int(0, m.compiled.program.instructions.length - 1)
            : m.regs[Reg.PC];
          m.regs[Reg.HALTED] = 0;
          const old = m.regs[Reg.PC];
          m.regs[Reg.PC] = moved;
          return `halted cleared after HALT${moved !== old ? `, pc ${old} → ${moved}` : ''}`;
        },
        () => {
          const p = smallProgram(r);
          return { program: p.program, maxSteps: Math.max(p.maxSteps, 24) };
        },
        120,
      );
    case 'tamper.return_address':
      return tamperedRun(
        cls,
        seed,
        r,
        (run, program, want) => {
          // Steps inside the callee (the return address on the stack), or right before its RET.
          const P = program.instructions.length;
          const inside = run.pcs
            .map((pc, s) => ({ pc, s }))
            .filter(
              ({ pc, s }) =>
                s > 0 &&
                run.sps[s] < program.memorySize &&
                pc >= P - 1 - 6 &&
                s < run.steps &&
                want(s),
            );
          if (inside.length === 0) return null;
          const ret = inside.filter(({ pc }) => pc === P - 1);
          return (ret.length > 0 && r.chance(0.6) ? r.pick(ret) : r.pick(inside)).s;
        },
        (m, rr) => {
          const sp = m.regs[Reg.SP];
          if (sp >= m.memory.length) return null;
          const old = m.memory[sp];
          const P = m.compiled.program.instructions.length;
          let v = rr.chance(0.9) ? rr.int(0, P - 1) : rr.pick([256, 300, -1, 32767, -32768]);
          if (v === old) v = (old + 1) % P;
          m.memory[sp] = v;
          return `return address mem[${sp}] ${old} → ${v}`;
        },
        () => callProgram(r),
      );
    case 'tamper.multi': {
      const kinds = ['pc', 'acc', 'sp', 'zero', 'carry', 'memory', 'memory', 'halted'] as const;
      for (let attempt = 0; attempt < 40; attempt++) {
        const { program, maxSteps } = smallProgram(r, seed % OPS.length);
        const run = honest(program, maxSteps);
        if (run.steps < 3) continue;
        const count = r.int(2, Math.min(4, run.steps));
        const at = new Map<number, (typeof kinds)[number]>();
        while (at.size < count) at.set(r.int(0, run.steps - 1), r.pick(kinds));
        const done: string[] = [];
        const bytes = forgeTrace(program, {
          maxSteps,
          tamper: (m, step) => {
            const kind = at.get(step);
            if (kind === undefined || (kind === 'halted' && done.length < count - 1)) return;
            const what = regTampers[kind](m, r);
            if (what !== null) done.push(`before step ${step}: ${what}`);
          },
        });
        if (done.length < 2 || equalBytes(bytes, run.bytes())) continue;
        return { cls, seed, description: done.join('; '), program, maxSteps, opcode: null, bytes };
      }
      return null;
    }
    case 'tamper.initial_state':
      return tamperedRun(
        cls,
        seed,
        r,
        (run, _p, want) => (run.steps >= 1 && want(0) ? 0 : null),
        (m, rr) => {
          const which = rr.pick([
            'pc',
            'acc',
            'sp',
            'zero',
            'carry',
            'halted',
            'memory',
            'memory',
          ] as const);
          return regTampers[which](m, rr);
        },
      );
    default:
      throw new RangeError(`not a tamper class: ${cls}`);
  }
}

// ── programs of 256+ instructions (the unchecked forger) ──

const NOP_FILL = (count: number) => Array.from({ length: count }, () => 'NOP');

/**
 * Code past 255: narrow straight instructions, then back below 256 to a HALT at `exit` (so the
 * claimed pc is a machine state and only the rule the cheat breaks can catch it), or a HALT
 * there (the claimed pc is then past 255 too).
 */
function tail(r: Random, N: number, exit: number, minLength = 1): string[] {
  return [
    ...straightLines(r, r.int(minLength - 1, 12), N - 1, NARROW),
    r.chance(0.85) ? `JMP ${exit}` : 'HALT',
  ];
}

/** PC+1 as a cheater sets it from pc 255 on: pc + 1, never wrapped (pc_wrap = 0). */
const unwrapped = (x: Int32Array) => {
  if (x[1] >= 255) x[2] = x[1] + 1;
};

function wrapForgery(cls: string, seed: number, r: Random): Forgery | null {
  const N = r.int(3, 8);
  let spec: OpcodeSpec;
  let at255: string;
  // 0..k: prefix that sets up the state, then JMP 255. 1..: the callee's code for CALL.
  let prefix: string[];
  let low: string[];
  if (cls === 'wrap255.call') {
    spec = byMnemonic('CALL');
    // 1: POP, 2: HALT, 3: RET (a CALL 1 loads 256 into acc; a CALL 3 returns to pc 256).
    const target = r.pick([1, 3]);
    at255 = `CALL ${target}`;
    prefix = [...straightLines(r, r.int(0, 3), N - 2, NARROW)];
    low = ['POP', 'HALT', 'RET'];
  } else {
    spec = OPS[seed % OPS.length];
    prefix = [...straightLines(r, r.int(0, 3), N - 2, NARROW)];
    switch (spec.mnemonic) {
      case 'POP':
      case 'RET':
        // Something on the stack to pop (RET: a valid return address).
        prefix.push(`LOADI ${spec.mnemonic === 'RET' ? r.int(1, 3) : i16(r)}`, 'PUSH');
        break;
      case 'JZ':
        prefix.push(`LOADI ${r.pick([1, -1, 7])}`); // zero clear: JZ is not taken, goes to PC+1
        break;
      case 'JNZ':
        prefix.push('LOADI 0'); // zero set: JNZ is not taken
        break;
      default:
        break;
    }
    at255 = line(r, spec, N - 2, 3);
    low = ['HALT', 'HALT', 'HALT'];
  }
  // Layout: 0: JMP to the prefix, 1..3: low code, then the prefix, then JMP 255; NOPs to 254; 255: the instruction; 256+: tail.
  const start = 4;
  const head = [`JMP ${start}`, ...low, ...prefix, 'JMP 255'];
  if (head.length > 255) return null;
  const lines = [
    `.memory ${N}`,
    ...head,
    ...NOP_FILL(255 - head.length),
    at255,
    ...tail(r, N - 1, 2),
  ];
  const program = assemble(lines.join('\n'));
  let maxSteps = r.pick([64, 128]);
  // Sometimes the claim ends right after the cheat: the run stops at max_steps there.
  const stopAt = r.chance(0.2) ? 1 + prefix.length + 1 + 1 : 0;
  if (stopAt > 0) maxSteps = stopAt;
  const bytes = forgeUnchecked(program, { maxSteps, editInput: unwrapped });
  return {
    cls,
    seed,
    description: `${at255} at pc 255 with PC+1 = 256 (pc_wrap 0)${stopAt > 0 ? `, max_steps ${maxSteps} (the claim ends after it)` : ''}`,
    program,
    maxSteps,
    opcode: spec.mnemonic,
    bytes,
  };
}

function retPastForgery(cls: string, seed: number, r: Random): Forgery | null {
  const N = r.int(2, 8);
  const code = tail(r, N - 1, 3, r.int(1, 10));
  const L = 256 + code.length;
  if (cls === 'ret_past_255.run_on') {
    const v = r.int(256, L - 1);
    // The return address: an immediate, or a cell's initial value.
    const fromInit = r.chance(0.4);
    const head = fromInit
      ? [`LOAD 0`, 'PUSH', 'RET', 'HALT']
      : [`LOADI ${v}`, 'PUSH', 'RET', 'HALT'];
    const filler = straightLines(
      r,
      256 - head.length,
      N - 2,
      NARROW.filter((s) => s.mnemonic === 'NOP' || s.mnemonic === 'ADD' || s.mnemonic === 'LOADI'),
    );
    const lines = [
      `.memory ${N}`,
      ...(fromInit ? [`.init 0 ${v}`] : []),
      ...head,
      ...filler,
      ...code,
    ];
    const program = assemble(lines.join('\n'));
    const maxSteps = r.pick([64, 128]);
    const bytes = forgeUnchecked(program, { maxSteps, editInput: unwrapped });
    return {
      cls,
      seed,
      description: `RET pops ${v}${fromInit ? ' (from .init)' : ''} in a ${L}-instruction program and runs on at pc ${v}`,
      program,
      maxSteps,
      opcode: 'RET',
      bytes,
    };
  }
  // ret_out_of_range.last_step: small program, RET to v ∉ 0..255 as the last step allowed.
  const v = r.chance(0.5)
    ? r.int(256, 32767)
    : r.pick([-1, -2, -255, -256, -32768, r.int(-32768, -1)]);
  const pre = straightLines(r, r.int(0, 4), N - 2, STRAIGHT);
  const lines = [
    `.memory ${N}`,
    ...pre,
    `LOADI ${v}`,
    'PUSH',
    'RET',
    ...straightLines(r, r.int(0, 3), N - 2),
    'HALT',
  ];
  const program = assemble(lines.join('\n'));
  const maxSteps = pre.length + 3;
  const bytes = forgeUnchecked(program, { maxSteps });
  return {
    cls,
    seed,
    description: `RET pops ${v} on step ${maxSteps - 1}, the last of max_steps ${maxSteps}: the claim's pc is ${v}`,
    program,
    maxSteps,
    opcode: 'RET',
    bytes,
  };
}

// ── fault_skipped.*: a forger that runs on through the VM's memory faults ──

/**
 * Like forgeUnchecked (test/support/forge.ts), but memory has 256 cells for the forger: an
 * access at an address ≥ N (a direct operand past memory, or mem[SP] at sp = N) goes through,
 * reading the value the forger put there (`outside`). The claim is the first N cells.
 */
function forgeOutside(
  program: Program,
  maxSteps: number,
  outside: (addr: number) => number,
): Uint8Array {
  const compiled = compileProgram(program);
  const table = controlTable(compiled);
  const tap = createTap(Math.max(1, compiled.minFfDim), Math.max(1, maxSteps));
  const N = program.memorySize;
  const memory = Int32Array.from({ length: 256 }, (_, a) =>
    a < N ? program.initialMemory[a] : outside(a),
  );
  const initialMemory = [...memory];
  let pc = 0;
  let acc = 0;
  let sp = N;
  let zero = 1;
  let carry = 0;
  let halted = 0;
  let steps = 0;
  while (steps < maxSteps && halted === 0) {
    if (pc < 0 || pc >= compiled.instructions.length) break;
    const mode = table.readMode[pc];
    const readAddr = mode === ReadModeCode.direct ? table.readAddr[pc] : sp;
    if (mode !== ReadModeCode.none && (readAddr < 0 || readAddr > 255)) break;
    const x = tap.input.subarray(steps * INPUT_DIM, (steps + 1) * INPUT_DIM);
    x[In.CONST] = 1;
    x[In.PC] = pc;
    x[In.PC_NEXT] = (pc + 1) & 255;
    x[In.ACC] = acc;
    x[In.ZERO] = zero;
    x[In.CARRY] = carry;
    x[In.HALTED] = 0;
    x[In.SP] = sp;
    x[In.OPERAND] = mode === ReadModeCode.none ? 0 : memory[readAddr];
    for (let i = 0; i < WORD_BITS; i++) {
      x[In.ACC_BITS + i] = (x[In.ACC] >>> i) & 1;
      x[In.OPERAND_BITS + i] = (x[In.OPERAND] >>> i) & 1;
    }
    const out = evaluateFfn(compiled.instructions[pc], x, tap, steps);
    if (out[Out.WRITE_ENABLE] === 1) {
      const addr = out[Out.WRITE_ADDR];
      if (addr < 0 || addr > 255) break;
      memory[addr] = out[Out.WRITE_VALUE];
    }
    const raw = out[Out.RAW_ACC];
    const wrapped = ((raw + 32768) & 0xffff) - 32768;
    zero = nextZero(table.zeroRule[pc], wrapped, zero);
    carry = nextCarry(table.carryRule[pc], raw, wrapped, carry);
    acc = wrapped;
    sp = out[Out.NEXT_SP];
    halted = table.halts[pc];
    pc = out[Out.NEXT_PC];
    steps++;
  }
  tap.row = steps;
  const final = {
    steps,
    pc,
    acc,
    sp,
    zero: zero === 1,
    carry: carry === 1,
    halted: halted === 1,
    memory: Array.from(memory.subarray(0, N)),
    fault: null,
  };
  return witnessBytes(compiled, tap, final, initialMemory, maxSteps);
}

function largest(values: Int32Array, count: number): number {
  let max = 0;
  for (let i = 0; i < count; i++) max = Math.max(max, Math.abs(values[i]));
  return max;
}

/** The witness of the tap's rows as Arrow file bytes, as forge.ts writes it (the log's first entries see `initialMemory`). */
function witnessBytes(
  compiled: CompiledProgram,
  tap: FfnTap,
  final: Parameters<typeof traceMetadata>[2]['final'],
  initialMemory: ArrayLike<number>,
  maxSteps: number,
): Uint8Array {
  const program = compiled.program;
  const ffDim = tap.ffDim;
  const dims = { ffDim, instructions: program.instructions.length };
  const table = controlTable(compiled);
  const rows = final.steps;
  const spill = new AccessSpill(tmpdir());
  try {
    const access = new Int32Array(3);
    for (let r = 0; r < rows; r++) {
      accessOf(tap, r, table, access);
      spill.push(access[0], r, access[1], access[2]);
    }
    const maxAbs = Math.max(
      2 ** 15,
      rows - 1,
      largest(tap.hidden, rows * ffDim),
      largest(tap.output, rows * OUTPUT_DIM),
    );
    const metadata = traceMetadata(program, compiled, { maxSteps, ffDim, final, maxAbs });
    const schema = traceSchema(dims, encodeMetadata(metadata));
    const writer = new arrow.RecordBatchFileWriter();
    writer.reset(undefined, schema);
    if (rows > 0) {
      const buffers = new TraceBuffers(dims, rows, { hidden: tap.hidden, output: tap.output });
      buffers.clearBitmaps();
      // trace v2 takes the initial memory and marks the last step; v1 did neither (the harness runs on both).
      const Builder = WitnessBuilder as unknown as {
        new (...args: unknown[]): WitnessBuilder;
        markLastStep?: (b: TraceBuffers, row: number) => void;
      };
      const witness = new Builder(table, dims.instructions, initialMemory);
      witness.fillExecution(buffers, tap, rows, 0);
      const slice = spill.sorted(rows).next();
      if (slice.done || slice.value.length !== rows)
        throw new Error('forged log out of step with the run');
      witness.fillLog(buffers, slice.value);
      Builder.markLastStep?.(buffers, rows - 1);
      writer.write(recordBatch(buffers, schema, rows));
    }
    writer.finish();
    return writer.toUint8Array(true);
  } finally {
    spill.dispose();
  }
}

const DIRECT = OPS.filter((s) => s.operand === 'address');

function faultSkippedForgery(cls: string, seed: number, r: Random): Forgery | null {
  const N = r.int(1, 8);
  const pre = straightLines(r, r.int(0, 4), N - 1, NARROW);
  let at: string;
  let spec: OpcodeSpec;
  let what: string;
  const post = [...straightLines(r, r.int(0, 4), N - 1, NARROW), 'HALT'];
  const v = i16(r);
  let outside = v;
  if (r.chance(0.6)) {
    // A direct address past memory (the VM: memory_out_of_bounds).
    spec = r.chance(0.7) ? r.pick(DIRECT.filter((s) => !WIDE.has(s.mnemonic))) : r.pick(DIRECT);
    const a = r.chance(0.5) ? N : r.int(N, 255);
    at = `${spec.mnemonic} ${a}`;
    what = `${at} with memory ${N}: the forger ${spec.writesMemory ? 'writes' : `reads ${v}`} past memory`;
  } else {
    // POP or RET at sp = N (the VM: stack_underflow); RET's "return address" a HALT.
    spec = byMnemonic(r.pick(['POP', 'RET']));
    at = spec.mnemonic;
    // Then a PUSH puts sp back to N (the claimed sp stays a machine state); RET returns to it.
    post.unshift('PUSH');
    if (spec.mnemonic === 'RET') outside = pre.length + 1;
    what = `${at} at sp = ${N} (nothing pushed): the forger reads ${spec.mnemonic === 'RET' ? `the return address ${pre.length + 1}` : v} at mem[${N}], then PUSHes`;
  }
  const lines = [`.memory ${N}`, ...pre, at, ...post];
  const program = assemble(lines.join('\n'));
  const maxSteps = 64;
  const bytes = forgeOutside(program, maxSteps, () => outside);
  return { cls, seed, description: what, program, maxSteps, opcode: spec.mnemonic, bytes };
}

// ── field31.*: a wrap quotient chosen modulo a 31-bit prime ──

function field31Forgery(cls: string, seed: number, r: Random, dir: string): Forgery | null {
  const fieldName = r.pick(['babybear', 'm31'] as const);
  const p = FIELDS[fieldName];
  const inv65536 = modPow(65536n, p - 2n, p);
  for (let attempt = 0; attempt < 40; attempt++) {
    const { program, maxSteps } = smallProgram(r, seed % OPS.length);
    const run = honest(program, maxSteps);
    if (run.steps === 0) continue;
    const path = join(dir, `honest-${process.pid}.arrow`);
    writeFileSync(path, run.bytes());
    const edit = TraceEdit.read(path);
    const row = edit.rows - 1;
    const raw = BigInt(edit.get('output', row, Out.RAW_ACC));
    const truth = edit.get('next_acc', row);
    // Every i16 next_acc' whose quotient (raw - next_acc')/65536 mod p is an i16: ~2 of 65,536.
    const start = r.int(-32768, 32767);
    let found: { acc: number; q: number } | null = null;
    for (let k = 0; k < 65536 && found === null; k++) {
      const acc = ((start + k + 32768) & 0xffff) - 32768;
      if (acc === truth) continue;
      let q = (((raw - BigInt(acc)) % p) + p) % p;
      q = (q * inv65536) % p;
      if (q > p / 2n) q -= p;
      if (q >= -32768n && q <= 32767n) found = { acc, q: Number(q) };
    }
    if (found === null) continue;
    const op = OPS[edit.get('opcode', row)];
    setWord(edit, row, 'next_acc', 'acc_bits', 'acc_or', found.acc);
    setWord(edit, row, null, 'quot_bits', 'quot_or', found.q);
    const quotOr = edit.get('quot_or', row, WORD_BITS - 2);
    const rawNegative =
      edit.get('quot_bits', row, 15) + (1 - quotOr) * edit.get('acc_bits', row, 15);
    edit.set('raw_negative', row, rawNegative);
    const zero =
      op.zero === 'result'
        ? 1 - edit.get('acc_or', row, WORD_BITS - 2)
        : edit.get('input', row, In.ZERO);
    const carryIn = edit.get('input', row, In.CARRY);
    const carry =
      op.carry === 'keep'
        ? carryIn
        : op.carry === 'overflow'
          ? quotOr
          : op.carry === 'signed_less'
            ? rawNegative
            : 0;
    edit.set('next_zero', row, zero);
    edit.set('next_carry', row, carry);
    const claim = edit.claim();
    const zeroKey = 'zero_flag' in claim ? 'zero_flag' : 'zero';
    const carryKey = 'carry_flag' in claim ? 'carry_flag' : 'carry';
    claim.acc = found.acc;
    claim[zeroKey] = zero === 1;
    claim[carryKey] = carry === 1;
    edit.setClaim(claim);
    edit.reseal();
    return {
      cls,
      seed,
      description: `last step (${op.mnemonic}): next_acc ${truth} → ${found.acc}, wrap quotient ${found.q} (RAW_ACC ${raw} = next_acc + 65536·q mod ${fieldName}), flags and claim to match`,
      program,
      maxSteps,
      opcode: op.mnemonic,
      bytes: edit.toBytes(),
      fields: ['babybear', 'm31'],
    };
  }
  return null;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

// ── claim.* ──

function claimForgery(cls: string, seed: number, r: Random, dir: string): Forgery | null {
  for (let attempt = 0; attempt < 40; attempt++) {
    const small = smallProgram(r, seed % OPS.length);
    const program = small.program;
    let maxSteps = small.maxSteps;
    if (cls === 'claim.untouched_memory' && program.memorySize < 4) continue;
    let run = honest(program, maxSteps);
    if (cls === 'claim.final_state' && run.steps === 0) continue;
    let description: string;
    let editMax: number | null = null;
    let truncatedFrom: number | null = null;
    // A run cut short: an honest run of k < S steps, claimed under the original max_steps.
    if (cls === 'claim.ending' && r.chance(0.25)) {
      if (run.steps < 2) continue;
      const k = r.int(1, run.steps - 1);
      truncatedFrom = maxSteps;
      maxSteps = k;
      run = honest(program, k);
    }
    const path = join(dir, `honest-${process.pid}.arrow`);
    writeFileSync(path, run.bytes());
    const edit = TraceEdit.read(path);
    const claim = edit.claim() as Record<string, unknown> & {
      steps: number;
      pc: number;
      acc: number;
      sp: number;
      halted: boolean;
      memory: number[];
      fault: Record<string, unknown> | null;
    };
    const zeroKey = 'zero_flag' in claim ? 'zero_flag' : 'zero';
    const carryKey = 'carry_flag' in claim ? 'carry_flag' : 'carry';
    const N = program.memorySize;
    if (truncatedFrom !== null) {
      if (claim.halted || claim.fault !== null) continue;
      editMax = truncatedFrom;
      description = `an honest run cut at ${maxSteps} steps claimed under max_steps ${truncatedFrom}${r.chance(0.5) ? ' and halted' : ''}`;
      if (description.endsWith('halted')) claim.halted = true;
    } else if (cls === 'claim.steps') {
      const delta = r.pick([-3, -2, -1, 1, 2, 3, 10]);
      if (claim.steps + delta < 0) continue;
      description = `steps ${claim.steps} → ${claim.steps + delta}`;
      claim.steps += delta;
    } else if (cls === 'claim.ending') {
      const how = r.pick(['halted', 'add_fault', 'remove_fault', 'max_steps'] as const);
      if (how === 'halted') {
        if (claim.fault !== null) continue;
        description = `halted ${claim.halted} → ${!claim.halted}`;
        claim.halted = !claim.halted;
      } else if (how === 'add_fault') {
        if (claim.fault !== null) continue;
        const kind = r.pick(FAULT_KINDS);
        const f = makeFault(kind, claim.steps, claim.pc, 'forged');
        claim.fault = { kind: f.kind, step: f.step, pc: f.pc, message: f.message };
        description = `a ${kind} fault added to a run that ${claim.halted ? 'halted' : 'used max_steps'}`;
      } else if (how === 'remove_fault') {
        if (claim.fault === null) continue;
        description = `the ${String(claim.fault.kind)} fault removed`;
        claim.fault = null;
      } else {
        // A max_steps under which the claim is false (a neutral one is skipped).
        const S = claim.steps;
        let candidates: number[];
        if (claim.fault !== null)
          candidates = [S, Math.max(1, S - 1)].filter((m) => m <= S && m >= 1);
        else if (claim.halted) candidates = [S - 1, S - 2].filter((m) => m >= 1);
        else candidates = [S + 1, S + 5, S - 1].filter((m) => m >= 1 && m !== S);
        if (candidates.length === 0) continue;
        editMax = r.pick(candidates);
        description = `max_steps ${maxSteps} → ${editMax} (a run that ${claim.fault !== null ? 'faulted' : claim.halted ? 'halted' : 'used max_steps'} after ${S} steps)`;
      }
    } else if (cls === 'claim.final_state') {
      const which = r.pick(['pc', 'acc', 'sp', 'zero', 'carry'] as const);
      if (which === 'pc') {
        const v = r.int(0, 255);
        if (v === claim.pc) continue;
        description = `pc ${claim.pc} → ${v}`;
        claim.pc = v;
      } else if (which === 'acc') {
        const v = differentI16(r, claim.acc);
        description = `acc ${claim.acc} → ${v}`;
        claim.acc = v;
      } else if (which === 'sp') {
        const v = r.int(0, N);
        if (v === claim.sp) continue;
        description = `sp ${claim.sp} → ${v}`;
        claim.sp = v;
      } else {
        const key = which === 'zero' ? zeroKey : carryKey;
        description = `${key} ${String(claim[key])} → ${String(!claim[key])}`;
        claim[key] = !claim[key];
      }
    } else {
      // Touched cells: any log entry at a memory cell.
      const touched = new Set<number>();
      for (let row = 0; row < edit.rows; row++) {
        const a = edit.get('log_addr', row);
        if (a < N && (edit.get('log_read', row) === 1 || edit.get('log_write', row) === 1))
          touched.add(a);
      }
      const cells = Array.from({ length: N }, (_, a) => a).filter(
        (a) => touched.has(a) === (cls === 'claim.final_memory'),
      );
      if (cells.length === 0) continue;
      const a = r.pick(cells);
      const v = differentI16(r, claim.memory[a]);
      description = `final memory[${a}] (${cls === 'claim.final_memory' ? 'touched' : 'no step touches it'}) ${claim.memory[a]} → ${v}`;
      claim.memory[a] = v;
    }
    edit.setClaim(claim);
    if (editMax !== null) edit.setMeta(MetaKey.maxSteps, String(editMax));
    edit.reseal();
    return {
      cls,
      seed,
      description,
      program,
      maxSteps: editMax ?? maxSteps,
      opcode: opcodeName(program, run.pcs[run.steps - 1]),
      bytes: edit.toBytes(),
    };
  }
  return null;
}

// ── making and judging ──

/** The forgery of class `cls` drawn from `seed` (deterministic), or null when none was found. `dir`: scratch files. */
export function makeForgery(cls: string, seed: number, dir: string): Forgery | null {
  const r = new Random(0x9e3779b1 ^ (seed * 2654435761) ^ hash(cls));
  if (cls.startsWith('tamper.')) return tamperForgery(cls, seed, r);
  if (cls.startsWith('wrap255.')) return wrapForgery(cls, seed, r);
  if (cls.startsWith('ret_')) return retPastForgery(cls, seed, r);
  if (cls.startsWith('claim.')) return claimForgery(cls, seed, r, dir);
  if (cls.startsWith('fault_skipped.')) return faultSkippedForgery(cls, seed, r);
  if (cls.startsWith('field31.')) return field31Forgery(cls, seed, r, dir);
  throw new RangeError(`unknown forgery class ${cls}`);
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export interface Judgement {
  /** Fields in which checkTrace accepted the forgery (must be empty). */
  readonly acceptedIn: CheckField[];
  /** Every rule reported, over all fields ('format': the reader refused the file). */
  readonly rules: string[];
  /** Rules reported first, per field. */
  readonly first: Partial<Record<CheckField, string>>;
}

export async function judge(
  forgery: Forgery,
  dir: string,
  fields: readonly CheckField[],
): Promise<Judgement> {
  const path = join(dir, `forged-${process.pid}.arrow`);
  writeFileSync(path, forgery.bytes);
  const acceptedIn: CheckField[] = [];
  const rules = new Set<string>();
  const first: Partial<Record<CheckField, string>> = {};
  for (const field of [...fields, ...(forgery.fields ?? []).filter((f) => !fields.includes(f))]) {
    try {
      const report = await checkTrace(path, { field, maxFailures: 64 });
      if (report.ok) acceptedIn.push(field);
      for (const f of report.failures) rules.add(f.constraint.replace(/\[.*$/, ''));
      if (report.failures.length > 0)
        first[field] = report.failures[0].constraint.replace(/\[.*$/, '');
    } catch (error) {
      if (!(error instanceof TraceFormatError)) throw error;
      rules.add('format');
      first[field] = 'format';
    }
  }
  return { acceptedIn, rules: [...rules].sort(), first };
}

/** A scratch directory, in memory when /dev/shm exists. */
export function scratchDir(): { dir: string; dispose: () => void } {
  let base = tmpdir();
  try {
    mkdirSync('/dev/shm/tvm-forgery', { recursive: true });
    base = '/dev/shm/tvm-forgery';
  } catch {
    // no /dev/shm: the OS temp dir
  }
  const dir = mkdtempSync(join(base, 'run-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The class of forgery i of a mixed run: round-robin over the classes, each repeated by its weight. */
export function classSchedule(classes: readonly ForgeryClassSpec[] = FORGERY_CLASSES): string[] {
  return classes.flatMap((c) => Array.from({ length: c.weight }, () => c.name));
}

/** A reproducer for a report: class, seed, what the forger did, max_steps, the program (runs of one line folded). */
export function reproducer(forgery: Forgery): string {
  const lines = printProgram(forgery.program).trimEnd().split('\n');
  const header = lines.filter((l) => l.startsWith('.')).length;
  const folded: string[] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j + 1 < lines.length && lines[j + 1] === lines[i]) j++;
    folded.push(
      j > i
        ? `${lines[i]}   ; × ${j - i + 1} (instructions ${i - header}..${j - header})`
        : lines[i],
    );
    i = j + 1;
  }
  return [
    `class ${forgery.cls}, seed ${forgery.seed}: ${forgery.description}`,
    `max_steps ${forgery.maxSteps}`,
    ...folded,
  ].join('\n');
}
