import { Op, OPCODE_TABLE, CarryRuleCode, ReadModeCode, StackUseCode, ZeroRuleCode } from '../../isa/opcodes.js';
import type { Program } from '../../isa/program.js';
import { makeFault, type Fault } from '../fault.js';
import { initialRegisters, Reg, snapshot, type Engine, type MachineSnapshot } from '../state.js';

const { read: READ, zero: ZERO_RULE, carry: CARRY_RULE, stack: STACK } = OPCODE_TABLE;
const PUSHES = StackUseCode.push;
const POPS = StackUseCode.pop;
const DIRECT = ReadModeCode.direct;
const STACK_TOP = ReadModeCode.stack_top;
const ZERO_FROM_RESULT = ZeroRuleCode.result;
const CARRY_CLEAR = CarryRuleCode.clear;
const CARRY_OVERFLOW = CarryRuleCode.overflow;
const CARRY_SIGNED_LESS = CarryRuleCode.signed_less;

/**
 * The reference interpreter: SPEC §3 directly, on typed arrays, no allocation per step.
 * Registers live in locals inside advance() and are written back when it returns.
 */
export class NativeMachine implements Engine {
  readonly name = 'native';
  readonly regs: Int32Array;
  readonly memory: Int32Array;
  private readonly ops: Int32Array;
  private readonly args: Int32Array;
  steps = 0;
  fault: Fault | null = null;

  constructor(readonly program: Program) {
    this.regs = initialRegisters(program);
    this.memory = Int32Array.from(program.initialMemory);
    this.ops = Int32Array.from(program.instructions, (i) => i.opcode);
    this.args = Int32Array.from(program.instructions, (i) => i.arg);
  }

  get stopped(): boolean {
    return this.fault !== null || this.regs[Reg.HALTED] === 1;
  }

  snapshot(): MachineSnapshot {
    return snapshot(this.regs, this.memory, this.steps, this.fault);
  }

  advance(budget: number): number {
    if (this.stopped) return 0;
    const { ops, args, memory: mem, regs } = this;
    const length = ops.length;
    const cells = mem.length;
    let pc = regs[Reg.PC];
    let acc = regs[Reg.ACC];
    let sp = regs[Reg.SP];
    let zero = regs[Reg.ZERO];
    let carry = regs[Reg.CARRY];
    let halted = 0;
    let done = 0;
    let fault: Fault | null = null;

    while (done < budget) {
      if (pc >= length) {
        fault = makeFault('pc_out_of_bounds', this.steps + done, pc, `program has ${length} instructions`);
        break;
      }
      const op = ops[pc];
      const arg = args[pc];
      const stack = STACK[op];
      if (stack === PUSHES && sp === 0) {
        fault = makeFault('stack_overflow', this.steps + done, pc, 'sp is 0');
        break;
      }
      if (stack === POPS && sp >= cells) {
        fault = makeFault('stack_underflow', this.steps + done, pc, `sp ${sp} with ${cells} memory cells`);
        break;
      }
      let operand = 0;
      const mode = READ[op];
      if (mode === DIRECT) {
        if (arg >= cells) {
          fault = makeFault('memory_out_of_bounds', this.steps + done, pc, `address ${arg} with ${cells} memory cells`);
          break;
        }
        operand = mem[arg];
      } else if (mode === STACK_TOP) {
        operand = mem[sp];
      }

      let next = (pc + 1) & 255;
      let raw = acc;
      switch (op) {
        case Op.LOADI: raw = arg; break;
        case Op.LOAD: raw = operand; break;
        case Op.STORE:
          if (arg >= cells) {
            fault = makeFault('memory_out_of_bounds', this.steps + done, pc, `address ${arg} with ${cells} memory cells`);
            break;
          }
          mem[arg] = acc;
          break;
        case Op.PUSH: sp -= 1; mem[sp] = acc; break;
        case Op.POP: raw = operand; sp += 1; break;
        case Op.ADD: raw = acc + arg; break;
        case Op.ADDM: raw = acc + operand; break;
        case Op.SUB: raw = acc - arg; break;
        case Op.SUBM: raw = acc - operand; break;
        case Op.MUL: raw = acc * arg; break;
        case Op.MULM: raw = acc * operand; break;
        case Op.AND: raw = acc & arg & 0xffff; break;
        case Op.ANDM: raw = acc & operand & 0xffff; break;
        case Op.OR: raw = (acc | arg) & 0xffff; break;
        case Op.ORM: raw = (acc | operand) & 0xffff; break;
        case Op.XOR: raw = (acc ^ arg) & 0xffff; break;
        case Op.XORM: raw = (acc ^ operand) & 0xffff; break;
        case Op.CMP: raw = acc - arg; break;
        case Op.CMPM: raw = acc - operand; break;
        case Op.CALL: sp -= 1; mem[sp] = next; next = arg; break;
        case Op.RET:
          if (operand < 0 || operand > 255) {
            fault = makeFault('bad_return_address', this.steps + done, pc, `return address ${operand} outside 0..255`);
            break;
          }
          next = operand;
          sp += 1;
          break;
        case Op.JMP: next = arg; break;
        case Op.JZ: if (zero === 1) next = arg; break;
        case Op.JNZ: if (zero === 0) next = arg; break;
        case Op.HALT: next = pc; halted = 1; break;
        default: break; // NOP
      }
      if (fault !== null) break;

      const wrapped = ((raw + 32768) & 0xffff) - 32768;
      if (ZERO_RULE[op] === ZERO_FROM_RESULT) zero = wrapped === 0 ? 1 : 0;
      const carryRule = CARRY_RULE[op];
      if (carryRule === CARRY_CLEAR) carry = 0;
      else if (carryRule === CARRY_OVERFLOW) carry = raw !== wrapped ? 1 : 0;
      else if (carryRule === CARRY_SIGNED_LESS) carry = raw < 0 ? 1 : 0;
      acc = wrapped;
      pc = next;
      done++;
      if (halted === 1) break;
    }

    regs[Reg.PC] = pc;
    regs[Reg.ACC] = acc;
    regs[Reg.SP] = sp;
    regs[Reg.ZERO] = zero;
    regs[Reg.CARRY] = carry;
    regs[Reg.HALTED] = halted;
    this.steps += done;
    this.fault = fault;
    return done;
  }
}

/** Run a program to halt, fault or maxSteps with the reference interpreter. */
export function runNative(program: Program, maxSteps: number): MachineSnapshot {
  const machine = new NativeMachine(program);
  machine.advance(maxSteps);
  return machine.snapshot();
}
