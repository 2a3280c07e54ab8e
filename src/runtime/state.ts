/** The machine state (snapshot and packed registers) every engine shares. */
import type { Program } from '../isa/program.js';
import type { Fault } from './fault.js';

/** The architectural state after a run or a step (SPEC §3). */
export interface MachineSnapshot {
  readonly steps: number;
  readonly pc: number;
  readonly acc: number;
  readonly sp: number;
  readonly zero: boolean;
  readonly carry: boolean;
  readonly halted: boolean;
  readonly memory: readonly number[];
  readonly fault: Fault | null;
}

/** Slots of the packed register file every engine keeps in an Int32Array. */
export const Reg = Object.freeze({ PC: 0, ACC: 1, SP: 2, ZERO: 3, CARRY: 4, HALTED: 5 });
export const REG_COUNT = 6;

/** Initial registers: pc 0, acc 0, sp = N, zero true, carry false, halted false. */
export function initialRegisters(program: Program): Int32Array {
  const regs = new Int32Array(REG_COUNT);
  regs[Reg.SP] = program.memorySize;
  regs[Reg.ZERO] = 1;
  return regs;
}

export function snapshot(
  regs: Int32Array,
  memory: ArrayLike<number>,
  steps: number,
  fault: Fault | null,
): MachineSnapshot {
  return {
    steps,
    pc: regs[Reg.PC],
    acc: regs[Reg.ACC],
    sp: regs[Reg.SP],
    zero: regs[Reg.ZERO] === 1,
    carry: regs[Reg.CARRY] === 1,
    halted: regs[Reg.HALTED] === 1,
    memory: Array.from(memory),
    fault,
  };
}

/** An engine's state as the engines keep it: packed registers, memory, steps done, fault. */
export interface MachineState {
  readonly regs: Int32Array;
  readonly memory: Int32Array;
  steps: number;
  fault: Fault | null;
}

/** Put an engine back into `state` (a state some run reached, not a fault): the inverse of snapshot(). */
export function restoreState(machine: MachineState, state: MachineSnapshot): void {
  if (state.fault !== null) throw new RangeError('cannot resume from a fault');
  if (state.memory.length !== machine.memory.length)
    throw new RangeError(
      `a state of ${state.memory.length} memory cells for a program of ${machine.memory.length}`,
    );
  const { regs } = machine;
  regs[Reg.PC] = state.pc;
  regs[Reg.ACC] = state.acc;
  regs[Reg.SP] = state.sp;
  regs[Reg.ZERO] = state.zero ? 1 : 0;
  regs[Reg.CARRY] = state.carry ? 1 : 0;
  regs[Reg.HALTED] = state.halted ? 1 : 0;
  machine.memory.set(state.memory);
  machine.steps = state.steps;
  machine.fault = null;
}

/** The common face of the engines, used for lockstep verification. */
export interface Engine {
  readonly name: string;
  readonly regs: Int32Array;
  readonly memory: Int32Array;
  readonly steps: number;
  readonly fault: Fault | null;
  /** Run up to `budget` more steps; stops early on halt or fault. Returns steps executed. */
  advance(budget: number): number;
  /** True when the machine cannot step further (halted or faulted). */
  readonly stopped: boolean;
  snapshot(): MachineSnapshot;
}
