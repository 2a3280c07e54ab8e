/** The exact integer FFN engine: each step through the compiled weights, with per-step taps. */
import { GATE_CONSTANT } from '../../compiler/builder.js';
import { compileProgram, type CompiledProgram } from '../../compiler/compile.js';
import { controlTable, type ControlTable } from '../../compiler/control-table.js';
import { In, INPUT_DIM, Out, OUTPUT_DIM, WORD_BITS } from '../../compiler/layout.js';
import { CarryRuleCode, ReadModeCode, StackUseCode, ZeroRuleCode } from '../../isa/opcodes.js';
import { makeFault, type Fault } from '../fault.js';
import {
  initialRegisters,
  Reg,
  restoreState,
  snapshot,
  type Engine,
  type MachineSnapshot,
} from '../state.js';

/**
 * Caller-owned row-major buffers the engine fills with one row per executed step:
 * input (capacity × 41), gate / value / hidden (capacity × ffDim, zero past the
 * instruction's units) and output (capacity × 6). `row` is the next row to write.
 */
export interface FfnTap {
  readonly ffDim: number;
  readonly capacity: number;
  readonly input: Int32Array;
  readonly gate: Int32Array;
  readonly value: Int32Array;
  readonly hidden: Int32Array;
  readonly output: Int32Array;
  row: number;
  /**
   * Whether every row gets the input's bit slots (ACC and OPERAND bit by bit). When false, only
   * rows of instructions whose units read them do; the others' bit slots are left as they were
   * (the trace takes its bits from ACC and OPERAND, not from here).
   */
  readonly bits: boolean;
}

export function createTap(
  ffDim: number,
  capacity: number,
  options: { bits?: boolean } = {},
): FfnTap {
  return {
    ffDim,
    capacity,
    bits: options.bits ?? true,
    input: new Int32Array(capacity * INPUT_DIM),
    gate: new Int32Array(capacity * ffDim),
    value: new Int32Array(capacity * ffDim),
    hidden: new Int32Array(capacity * ffDim),
    output: new Int32Array(capacity * OUTPUT_DIM),
    row: 0,
  };
}

/** Compiled units flattened into typed arrays (instruction j owns units start[j]..start[j+1)), beside the control table. */
export interface FlatUnits extends ControlTable {
  start: Int32Array;
  /** Gate input slot of each unit; a constant gate (GATE_CONSTANT) reads slot CONST, which is 1. */
  gateSlot: Int32Array;
  value: Int32Array;
  out: Int32Array;
  coeff: Int32Array;
  bias: Int32Array;
  /** 1 when some unit of the instruction reads a bit slot (ACC_i or OP_i). */
  usesBits: Uint8Array;
}

export function flattenUnits(compiled: CompiledProgram): FlatUnits {
  const list = compiled.instructions;
  const total = list.reduce((n, c) => n + c.units.length, 0);
  const flat: FlatUnits = {
    start: new Int32Array(list.length + 1),
    gateSlot: new Int32Array(total),
    value: new Int32Array(total),
    out: new Int32Array(total),
    coeff: new Int32Array(total),
    bias: new Int32Array(list.length * OUTPUT_DIM),
    ...controlTable(compiled),
    usesBits: Uint8Array.from(list, (c) =>
      c.units.some((u) => u.gate >= In.ACC_BITS || u.value >= In.ACC_BITS) ? 1 : 0,
    ),
  };
  let k = 0;
  list.forEach((c, j) => {
    flat.start[j] = k;
    for (const u of c.units) {
      flat.gateSlot[k] = u.gate === GATE_CONSTANT ? In.CONST : u.gate;
      flat.value[k] = u.value;
      flat.out[k] = u.out;
      flat.coeff[k] = u.coeff;
      k++;
    }
    for (let o = 0; o < OUTPUT_DIM; o++) flat.bias[j * OUTPUT_DIM + o] = c.bias[o];
  });
  flat.start[list.length] = k;
  return flat;
}

const DIRECT = ReadModeCode.direct;
const STACK_TOP = ReadModeCode.stack_top;
const PUSHES = StackUseCode.push;
const POPS = StackUseCode.pop;
const ZERO_FROM_RESULT = ZeroRuleCode.result;
const CARRY_CLEAR = CarryRuleCode.clear;
const CARRY_OVERFLOW = CarryRuleCode.overflow;
const CARRY_SIGNED_LESS = CarryRuleCode.signed_less;

// Layout slots copied into module constants: inside the hot loop a property load through an
// imported binding (which tsx/esbuild's CommonJS interop turns into a getter call) costs ~10x.
const X_CONST = In.CONST;
const X_PC = In.PC;
const X_PC_NEXT = In.PC_NEXT;
const X_ACC = In.ACC;
const X_ZERO = In.ZERO;
const X_CARRY = In.CARRY;
const X_HALTED = In.HALTED;
const X_SP = In.SP;
const X_OPERAND = In.OPERAND;
const X_ACC_BITS = In.ACC_BITS;
const X_OPERAND_BITS = In.OPERAND_BITS;
const BITS = WORD_BITS;
const X_DIM = INPUT_DIM;
const O_DIM = OUTPUT_DIM;
const O_NEXT_PC = Out.NEXT_PC;
const O_RAW_ACC = Out.RAW_ACC;
const O_NEXT_SP = Out.NEXT_SP;
const O_WRITE_ENABLE = Out.WRITE_ENABLE;
const O_WRITE_ADDR = Out.WRITE_ADDR;
const O_WRITE_VALUE = Out.WRITE_VALUE;
const R_PC = Reg.PC;
const R_ACC = Reg.ACC;
const R_SP = Reg.SP;
const R_ZERO = Reg.ZERO;
const R_CARRY = Reg.CARRY;
const R_HALTED = Reg.HALTED;

/**
 * The FFN engine: each step builds the 41-slot input, evaluates the compiled units in exact
 * integer arithmetic (every value is below 2^31 in magnitude), applies the controls and the
 * memory write. Optionally records each step's vectors into an FfnTap.
 */
export class FfnMachine implements Engine {
  readonly name = 'ffn';
  readonly regs: Int32Array;
  readonly memory: Int32Array;
  readonly compiled: CompiledProgram;
  steps = 0;
  fault: Fault | null = null;
  private readonly flat: FlatUnits;
  private readonly x = new Int32Array(INPUT_DIM);
  private readonly out = new Float64Array(OUTPUT_DIM);

  constructor(programOrCompiled: CompiledProgram) {
    this.compiled = programOrCompiled;
    this.regs = initialRegisters(programOrCompiled.program);
    this.memory = Int32Array.from(programOrCompiled.program.initialMemory);
    this.flat = flattenUnits(programOrCompiled);
  }

  static fromProgram(program: CompiledProgram['program']): FfnMachine {
    return new FfnMachine(compileProgram(program));
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
   * Run up to `budget` steps. With a tap, also stops when it is full (row === capacity) so the
   * caller can flush it. Returns the number of steps executed.
   */
  advance(budget: number, tap?: FfnTap): number {
    if (this.stopped) return 0;
    const { flat, x, out, memory: mem, regs } = this;
    const {
      start,
      gateSlot,
      value,
      out: unitOut,
      coeff,
      bias,
      readMode,
      readAddr,
      zeroRule,
      carryRule,
      halts,
      stack,
      usesBits,
    } = flat;
    const length = readMode.length;
    const cells = mem.length;
    const F = tap === undefined ? 0 : tap.ffDim;
    if (tap !== undefined && start.length > 1) {
      for (let j = 0; j < length; j++) {
        if (start[j + 1] - start[j] > F)
          throw new RangeError(
            `tap ff_dim ${F} is narrower than instruction ${j} (${start[j + 1] - start[j]} units)`,
          );
      }
    }
    let limit = budget;
    if (tap !== undefined) limit = Math.min(budget, tap.capacity - tap.row);
    let pc = regs[R_PC];
    let acc = regs[R_ACC];
    let sp = regs[R_SP];
    let zero = regs[R_ZERO];
    let carry = regs[R_CARRY];
    let halted = 0;
    let done = 0;
    let fault: Fault | null = null;
    x[X_CONST] = 1;
    x[X_HALTED] = 0;
    // With a tap, the input vector is built in place in the tap's row (no copy per step).
    const xs = tap === undefined ? x : tap.input;
    const allBits = tap !== undefined && tap.bits;
    const tg = tap === undefined ? x : tap.gate;
    const tv = tap === undefined ? x : tap.value;
    const th = tap === undefined ? x : tap.hidden;
    const to = tap === undefined ? x : tap.output;

    while (done < limit) {
      if (pc >= length) {
        fault = makeFault(
          'pc_out_of_bounds',
          this.steps + done,
          pc,
          `program has ${length} instructions`,
        );
        break;
      }
      const use = stack[pc];
      if (use === PUSHES && sp === 0) {
        fault = makeFault('stack_overflow', this.steps + done, pc, 'sp is 0');
        break;
      }
      if (use === POPS && sp >= cells) {
        fault = makeFault(
          'stack_underflow',
          this.steps + done,
          pc,
          `sp ${sp} with ${cells} memory cells`,
        );
        break;
      }
      // Attention stage: the memory read that fills OPERAND.
      let operand = 0;
      const mode = readMode[pc];
      if (mode === DIRECT) {
        const addr = readAddr[pc];
        if (addr >= cells) {
          fault = makeFault(
            'memory_out_of_bounds',
            this.steps + done,
            pc,
            `address ${addr} with ${cells} memory cells`,
          );
          break;
        }
        operand = mem[addr];
      } else if (mode === STACK_TOP) {
        operand = mem[sp];
      }

      const row = tap === undefined ? 0 : tap.row;
      const xb = row * X_DIM;
      if (tap !== undefined) {
        xs[xb + X_CONST] = 1;
        xs[xb + X_HALTED] = 0;
      }
      xs[xb + X_PC] = pc;
      xs[xb + X_PC_NEXT] = (pc + 1) & 255;
      xs[xb + X_ACC] = acc;
      xs[xb + X_ZERO] = zero;
      xs[xb + X_CARRY] = carry;
      xs[xb + X_SP] = sp;
      xs[xb + X_OPERAND] = operand;
      // The bit slots are only read by the bitwise recipes; a tap gets all 41 slots unless it opts out.
      if (usesBits[pc] === 1 || allBits) {
        const ab = xb + X_ACC_BITS;
        const ob = xb + X_OPERAND_BITS;
        for (let i = 0; i < BITS; i++) {
          xs[ab + i] = (acc >>> i) & 1;
          xs[ob + i] = (operand >>> i) & 1;
        }
      }

      // The FFN: out = W_out · (gate ⊙ value) + b_out, unit by unit (all exact in doubles).
      // A constant gate reads slot CONST (always 1), so every unit is x[gate] · x[value].
      const b = pc * O_DIM;
      out[0] = bias[b];
      out[1] = bias[b + 1];
      out[2] = bias[b + 2];
      out[3] = bias[b + 3];
      out[4] = bias[b + 4];
      out[5] = bias[b + 5];
      const first = start[pc];
      const end = start[pc + 1];
      if (tap === undefined) {
        for (let k = first; k < end; k++) {
          out[unitOut[k]] += coeff[k] * (x[gateSlot[k]] * x[value[k]]);
        }
      } else {
        const hBase = row * F - first;
        for (let k = first; k < end; k++) {
          const g = xs[xb + gateSlot[k]];
          const v = xs[xb + value[k]];
          const h = g * v;
          const slot = hBase + k;
          tg[slot] = g;
          tv[slot] = v;
          th[slot] = h;
          out[unitOut[k]] += coeff[k] * h;
        }
        for (let slot = hBase + end, stop = row * F + F; slot < stop; slot++) {
          tg[slot] = 0;
          tv[slot] = 0;
          th[slot] = 0;
        }
        const o6 = row * O_DIM;
        to[o6] = out[0];
        to[o6 + 1] = out[1];
        to[o6 + 2] = out[2];
        to[o6 + 3] = out[3];
        to[o6 + 4] = out[4];
        to[o6 + 5] = out[5];
      }

      // Controls and the write, after checking the step can complete.
      const nextPc = out[O_NEXT_PC];
      const raw = out[O_RAW_ACC];
      if (nextPc < 0 || nextPc > 255) {
        fault = makeFault(
          'bad_return_address',
          this.steps + done,
          pc,
          `return address ${operand} outside 0..255`,
        );
        break;
      }
      if (out[O_WRITE_ENABLE] === 1) {
        const addr = out[O_WRITE_ADDR];
        if (addr < 0 || addr >= cells) {
          fault = makeFault(
            'memory_out_of_bounds',
            this.steps + done,
            pc,
            `address ${addr} with ${cells} memory cells`,
          );
          break;
        }
        mem[addr] = out[O_WRITE_VALUE];
      }
      const wrapped = ((raw + 32768) & 0xffff) - 32768;
      if (zeroRule[pc] === ZERO_FROM_RESULT) zero = wrapped === 0 ? 1 : 0;
      const carries = carryRule[pc];
      if (carries === CARRY_CLEAR) carry = 0;
      else if (carries === CARRY_OVERFLOW) carry = raw !== wrapped ? 1 : 0;
      else if (carries === CARRY_SIGNED_LESS) carry = raw < 0 ? 1 : 0;
      acc = wrapped;
      sp = out[O_NEXT_SP];
      halted = halts[pc];
      pc = nextPc;
      done++;
      if (tap !== undefined) tap.row++;
      if (halted === 1) break;
    }
    regs[R_PC] = pc;
    regs[R_ACC] = acc;
    regs[R_SP] = sp;
    regs[R_ZERO] = zero;
    regs[R_CARRY] = carry;
    regs[R_HALTED] = halted;
    this.steps += done;
    this.fault = fault;
    return done;
  }
}
