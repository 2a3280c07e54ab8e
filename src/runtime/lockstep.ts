/** Several engines run step by step together; the first divergence is reported. */
import { formatInstruction } from '../isa/print.js';
import type { Program } from '../isa/program.js';
import { Reg, type Engine, type MachineSnapshot } from './state.js';

/** A value as the divergence report shows it: registers as numbers, flags as booleans, faults by kind. */
export type LockstepValue = number | boolean | string | null;

/** The first point where the engines disagree. */
export interface Divergence {
  /**
   * Index of the step whose result differs (= steps all engines completed in agreement before
   * it). 0 with `instruction` null when the initial states already differ.
   */
  readonly step: number;
  /** The pc the diverging step was fetched from. */
  readonly pc: number;
  /** Canonical text of that instruction; null when pc is outside the program or for the initial state. */
  readonly instruction: string | null;
  /** pc, acc, sp, zero_flag, carry_flag, halted, steps, memory[i] or fault. */
  readonly field: string;
  /** The field's value in every engine, by engine name. */
  readonly values: Readonly<Record<string, LockstepValue>>;
  /** One line: `divergence at step 17 (pc 3: ADD 1): acc native=5 ffn=6`. */
  readonly message: string;
}

export interface LockstepResult {
  /** Steps executed in agreement. */
  readonly steps: number;
  /** null when every engine agreed at every step. */
  readonly divergence: Divergence | null;
  /** The final state of the first engine (at the divergence, its state after the diverging step). */
  readonly snapshot: MachineSnapshot;
}

export interface LockstepOptions {
  /** Called after every agreed step (e.g. `run --trace --verify`). */
  readonly onStep?: (engine: Engine) => void;
}

const REGISTER_FIELDS: ReadonlyArray<readonly [field: string, slot: number, flag: boolean]> = [
  ['pc', Reg.PC, false],
  ['acc', Reg.ACC, false],
  ['sp', Reg.SP, false],
  ['zero_flag', Reg.ZERO, true],
  ['carry_flag', Reg.CARRY, true],
  ['halted', Reg.HALTED, true],
];

/** Distinct report names: the engine names, with `#i` appended where a name repeats. */
function engineLabels(engines: readonly Engine[]): string[] {
  const counts = new Map<string, number>();
  for (const e of engines) counts.set(e.name, (counts.get(e.name) ?? 0) + 1);
  return engines.map((e, i) => ((counts.get(e.name) ?? 0) > 1 ? `${e.name}#${i}` : e.name));
}

/**
 * The first field in which `b` differs from `a`, or null. Order: fault, steps, the registers,
 * then memory by address; everything an engine exposes is compared.
 */
function firstDifference(a: Engine, b: Engine): string | null {
  const fa = a.fault;
  const fb = b.fault;
  if (fa !== fb && (fa === null || fb === null || fa.kind !== fb.kind)) return 'fault';
  if (a.steps !== b.steps) return 'steps';
  const ra = a.regs;
  const rb = b.regs;
  if (
    ra[0] !== rb[0] ||
    ra[1] !== rb[1] ||
    ra[2] !== rb[2] ||
    ra[3] !== rb[3] ||
    ra[4] !== rb[4] ||
    ra[5] !== rb[5]
  ) {
    for (const [field, slot] of REGISTER_FIELDS) if (ra[slot] !== rb[slot]) return field;
  }
  const ma = a.memory;
  const mb = b.memory;
  const n = ma.length;
  if (mb.length !== n) return 'memory.length';
  for (let i = 0; i < n; i++) if (ma[i] !== mb[i]) return `memory[${i}]`;
  return null;
}

function fieldValue(engine: Engine, field: string): LockstepValue {
  if (field === 'fault') return engine.fault?.kind ?? null;
  if (field === 'steps') return engine.steps;
  if (field === 'memory.length') return engine.memory.length;
  const cell = /^memory\[(\d+)\]$/.exec(field);
  if (cell !== null) return engine.memory[Number(cell[1])];
  const register = REGISTER_FIELDS.find(([name]) => name === field);
  if (register === undefined) throw new RangeError(`unknown lockstep field ${field}`);
  const value = engine.regs[register[1]];
  return register[2] ? value === 1 : value;
}

function compareAll(
  engines: readonly Engine[],
  labels: readonly string[],
  program: Program,
  step: number,
  pc: number,
  initial: boolean,
): Divergence | null {
  const reference = engines[0];
  for (let i = 1; i < engines.length; i++) {
    const field = firstDifference(reference, engines[i]);
    if (field === null) continue;
    const values: Record<string, LockstepValue> = {};
    engines.forEach((e, j) => (values[labels[j]] = fieldValue(e, field)));
    const instruction =
      !initial && pc < program.instructions.length
        ? formatInstruction(program.instructions[pc])
        : null;
    const where = initial
      ? 'in the initial state'
      : `at step ${step} (pc ${pc}${instruction === null ? '' : `: ${instruction}`})`;
    const shown = Object.entries(values)
      .map(([name, value]) => `${name}=${value === null ? 'none' : String(value)}`)
      .join(' ');
    return {
      step,
      pc,
      instruction,
      field,
      values,
      message: `divergence ${where}: ${field} ${shown}`,
    };
  }
  return null;
}

/**
 * Run engines (all freshly created for `program`) side by side, one step at a time, for at
 * most `maxSteps` steps or until they stop (halt or fault). After every step the complete
 * visible state of each engine (fault kind, step count, the six registers, every memory
 * cell) is compared with the first engine's; the run stops at the first difference.
 * Cost per step: one advance(1) per engine plus O(memory cells) comparisons (≤ 255).
 */
export function lockstep(
  program: Program,
  engines: readonly Engine[],
  maxSteps: number,
  options: LockstepOptions = {},
): LockstepResult {
  if (engines.length === 0) throw new RangeError('lockstep needs at least one engine');
  const labels = engineLabels(engines);
  const reference = engines[0];
  const result = (steps: number, divergence: Divergence | null): LockstepResult => ({
    steps,
    divergence,
    snapshot: reference.snapshot(),
  });
  const initial = compareAll(
    engines,
    labels,
    program,
    reference.steps,
    reference.regs[Reg.PC],
    true,
  );
  if (initial !== null) return result(reference.steps, initial);
  const { onStep } = options;
  let agreed = reference.steps;
  while (agreed < maxSteps && !reference.stopped) {
    const pc = reference.regs[Reg.PC];
    for (let i = 0; i < engines.length; i++) engines[i].advance(1);
    const divergence = compareAll(engines, labels, program, agreed, pc, false);
    if (divergence !== null) return result(agreed, divergence);
    // A fault is an agreed outcome but not a step: every engine stopped without executing one.
    if (reference.fault !== null) break;
    agreed++;
    if (onStep !== undefined) onStep(reference);
  }
  return result(agreed, null);
}
