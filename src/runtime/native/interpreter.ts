/** The reference interpreter: the ISA executed directly, fast, with optional access taps. */
import {
  Op,
  OPCODE_TABLE,
  CarryRuleCode,
  ReadModeCode,
  StackUseCode,
  ZeroRuleCode,
} from '../../isa/opcodes.js';
import type { Program } from '../../isa/program.js';
import { AccessKind, NO_ACCESS, type AccessTap } from '../access.js';
import { makeFault, type Fault } from '../fault.js';
import {
  initialRegisters,
  Reg,
  restoreState,
  snapshot,
  type Engine,
  type MachineSnapshot,
} from '../state.js';

const { read: READ, zero: ZERO_RULE, carry: CARRY_RULE, stack: STACK } = OPCODE_TABLE;
const ZERO_FROM_RESULT = ZeroRuleCode.result;
const CARRY_CLEAR = CarryRuleCode.clear;
const CARRY_OVERFLOW = CarryRuleCode.overflow;
const CARRY_SIGNED_LESS = CarryRuleCode.signed_less;
const READS_DIRECT = ReadModeCode.direct;
const POPS = StackUseCode.pop;
const READS_STACK_TOP = ReadModeCode.stack_top;
const READ_ACCESS = AccessKind.READ;
const WRITE_ACCESS = AccessKind.WRITE;
const NO_ACCESS_KIND = AccessKind.NONE;
const NO_ACCESS_ADDRESS = NO_ACCESS;

// advance() switches on literal opcodes (so V8 compiles a jump table; `case Op.X` is a chain
// of property loads and compares on every step) and does each instruction's memory read and
// stack check in its own case. The flags stay table-driven. Fail at load time if the switch
// and the ISA table ever disagree.
const LITERAL_CODES = [
  'NOP',
  'LOADI',
  'LOAD',
  'STORE',
  'PUSH',
  'POP',
  'ADD',
  'ADDM',
  'SUB',
  'SUBM',
  'MUL',
  'MULM',
  'AND',
  'ANDM',
  'OR',
  'ORM',
  'XOR',
  'XORM',
  'CMP',
  'CMPM',
  'CALL',
  'RET',
  'JMP',
  'JZ',
  'JNZ',
  'HALT',
] as const;
const SWITCH_READS_DIRECT = new Set([2, 7, 9, 11, 13, 15, 17, 19]);
const SWITCH_READS_STACK_TOP = new Set([5, 21]);
const SWITCH_PUSHES = new Set([4, 20]);
const SWITCH_POPS = new Set([5, 21]);
LITERAL_CODES.forEach((mnemonic, code) => {
  const agrees =
    Op[mnemonic] === code &&
    (READ[code] === ReadModeCode.direct) === SWITCH_READS_DIRECT.has(code) &&
    (READ[code] === ReadModeCode.stack_top) === SWITCH_READS_STACK_TOP.has(code) &&
    (STACK[code] === StackUseCode.push) === SWITCH_PUSHES.has(code) &&
    (STACK[code] === StackUseCode.pop) === SWITCH_POPS.has(code);
  if (!agrees)
    throw new Error(
      `native interpreter: its switch disagrees with the ISA table on ${mnemonic} (code ${code})`,
    );
});
if (LITERAL_CODES.length !== OPCODE_TABLE.read.length)
  throw new Error('native interpreter: the ISA table has instructions its switch lacks');

/** Why advance() stopped early; mapped to a Fault after the loop. */
const NO_FAULT = 0;
const STACK_OVERFLOW = 1;
const STACK_UNDERFLOW = 2;
const PC_OUT_OF_BOUNDS = 3;
const MEMORY_OUT_OF_BOUNDS = 4;
const BAD_RETURN_ADDRESS = 5;

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

  /** Continue from `state` (a state some run reached, not a fault): registers, memory, step count. */
  resume(state: MachineSnapshot): void {
    restoreState(this, state);
  }

  /**
   * Run up to `budget` steps. With an access tap, also records each step's memory access and
   * stops when the tap is full (row === capacity).
   */
  advance(budget: number, accesses?: AccessTap): number {
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
    let failed = NO_FAULT;
    let returnAddress = 0;
    const limit =
      accesses === undefined ? budget : Math.min(budget, accesses.capacity - accesses.row);
    // The cell a step writes (STORE, PUSH, CALL), for the access tap; -1 when none.
    let written = -1;

    // A failing step breaks out before changing any register or memory cell.
    while (done < limit) {
      if (pc >= length) {
        failed = PC_OUT_OF_BOUNDS;
        break;
      }
      const op = ops[pc];
      const arg = args[pc];
      let next = (pc + 1) & 255;
      let raw = acc;
      switch (op) {
        case 1 /* LOADI */:
          raw = arg;
          break;
        case 2 /* LOAD */:
          if (arg >= cells) {
            failed = MEMORY_OUT_OF_BOUNDS;
            break;
          }
          raw = mem[arg];
          break;
        case 3 /* STORE */:
          if (arg >= cells) {
            failed = MEMORY_OUT_OF_BOUNDS;
            break;
          }
          mem[arg] = acc;
          written = arg;
          break;
        case 4 /* PUSH */:
          if (sp === 0) {
            failed = STACK_OVERFLOW;
            break;
          }
          sp -= 1;
          mem[sp] = acc;
          written = sp;
          break;
        case 5 /* POP */:
          if (sp >= cells) {
            failed = STACK_UNDERFLOW;
            break;
          }
          raw = mem[sp];
          sp += 1;
          break;
        case 6 /* ADD */:
          raw = acc + arg;
          break;
        case 7 /* ADDM */:
          if (arg >= cells) {
            failed = MEMORY_OUT_OF_BOUNDS;
            break;
          }
          raw = acc + mem[arg];
          break;
        case 8 /* SUB */:
          raw = acc - arg;
          break;
        case 9 /* SUBM */:
          if (arg >= cells) {
            failed = MEMORY_OUT_OF_BOUNDS;
            break;
          }
          raw = acc - mem[arg];
          break;
        case 10 /* MUL */:
          raw = acc * arg;
          break;
        case 11 /* MULM */:
          if (arg >= cells) {
            failed = MEMORY_OUT_OF_BOUNDS;
            break;
          }
          raw = acc * mem[arg];
          break;
        case 12 /* AND */:
          raw = acc & arg & 0xffff;
          break;
        case 13 /* ANDM */:
          if (arg >= cells) {
            failed = MEMORY_OUT_OF_BOUNDS;
            break;
          }
          raw = acc & mem[arg] & 0xffff;
          break;
        case 14 /* OR */:
          raw = (acc | arg) & 0xffff;
          break;
        case 15 /* ORM */:
          if (arg >= cells) {
            failed = MEMORY_OUT_OF_BOUNDS;
            break;
          }
          raw = (acc | mem[arg]) & 0xffff;
          break;
        case 16 /* XOR */:
          raw = (acc ^ arg) & 0xffff;
          break;
        case 17 /* XORM */:
          if (arg >= cells) {
            failed = MEMORY_OUT_OF_BOUNDS;
            break;
          }
          raw = (acc ^ mem[arg]) & 0xffff;
          break;
        case 18 /* CMP */:
          raw = acc - arg;
          break;
        case 19 /* CMPM */:
          if (arg >= cells) {
            failed = MEMORY_OUT_OF_BOUNDS;
            break;
          }
          raw = acc - mem[arg];
          break;
        case 20 /* CALL */:
          if (sp === 0) {
            failed = STACK_OVERFLOW;
            break;
          }
          sp -= 1;
          mem[sp] = next;
          written = sp;
          next = arg;
          break;
        case 21 /* RET */:
          if (sp >= cells) {
            failed = STACK_UNDERFLOW;
            break;
          }
          returnAddress = mem[sp];
          if (returnAddress < 0 || returnAddress > 255) {
            failed = BAD_RETURN_ADDRESS;
            break;
          }
          next = returnAddress;
          sp += 1;
          break;
        case 22 /* JMP */:
          next = arg;
          break;
        case 23 /* JZ */:
          if (zero === 1) next = arg;
          break;
        case 24 /* JNZ */:
          if (zero === 0) next = arg;
          break;
        case 25 /* HALT */:
          next = pc;
          halted = 1;
          break;
        default:
          break; // 0: NOP
      }
      if (failed !== NO_FAULT) break;
      if (accesses !== undefined) {
        // The operand read (direct: the instruction's address; stack top: SP before the step,
        // one below SP now for the instructions that pop), else the write, else none.
        const at = accesses.row++;
        const mode = READ[op];
        if (mode === READS_DIRECT || mode === READS_STACK_TOP) {
          const addr = mode === READS_DIRECT ? arg : STACK[op] === POPS ? sp - 1 : sp;
          accesses.addr[at] = addr;
          accesses.value[at] = mem[addr];
          accesses.kind[at] = READ_ACCESS;
        } else if (written >= 0) {
          accesses.addr[at] = written;
          accesses.value[at] = mem[written];
          accesses.kind[at] = WRITE_ACCESS;
          written = -1;
        } else {
          accesses.addr[at] = NO_ACCESS_ADDRESS;
          accesses.value[at] = 0;
          accesses.kind[at] = NO_ACCESS_KIND;
        }
      }

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
    if (failed !== NO_FAULT) this.fault = this.describeFault(failed, pc, sp, returnAddress);
    return done;
  }

  private describeFault(failed: number, pc: number, sp: number, returnAddress: number): Fault {
    const step = this.steps;
    const cells = this.memory.length;
    switch (failed) {
      case STACK_OVERFLOW:
        return makeFault('stack_overflow', step, pc, 'sp is 0');
      case STACK_UNDERFLOW:
        return makeFault('stack_underflow', step, pc, `sp ${sp} with ${cells} memory cells`);
      case PC_OUT_OF_BOUNDS:
        return makeFault(
          'pc_out_of_bounds',
          step,
          pc,
          `program has ${this.ops.length} instructions`,
        );
      case MEMORY_OUT_OF_BOUNDS:
        return makeFault(
          'memory_out_of_bounds',
          step,
          pc,
          `address ${this.args[pc]} with ${cells} memory cells`,
        );
      default:
        return makeFault(
          'bad_return_address',
          step,
          pc,
          `return address ${returnAddress} outside 0..255`,
        );
    }
  }
}

/** Run a program to halt, fault or maxSteps with the reference interpreter. */
export function runNative(program: Program, maxSteps: number): MachineSnapshot {
  const machine = new NativeMachine(program);
  machine.advance(maxSteps);
  return machine.snapshot();
}
