import { GATE_CONSTANT } from '../../compiler/builder.js';
import { compileProgram, type CompiledProgram } from '../../compiler/compile.js';
import { In, INPUT_DIM, Out, OUTPUT_DIM, WORD_BITS } from '../../compiler/layout.js';
import { CarryRuleCode, ReadModeCode, StackUseCode, ZeroRuleCode, OPCODE_TABLE } from '../../isa/opcodes.js';
import { makeFault, type Fault } from '../fault.js';
import { initialRegisters, Reg, snapshot, type Engine, type MachineSnapshot } from '../state.js';

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
}

export function createTap(ffDim: number, capacity: number): FfnTap {
  return {
    ffDim,
    capacity,
    input: new Int32Array(capacity * INPUT_DIM),
    gate: new Int32Array(capacity * ffDim),
    value: new Int32Array(capacity * ffDim),
    hidden: new Int32Array(capacity * ffDim),
    output: new Int32Array(capacity * OUTPUT_DIM),
    row: 0,
  };
}

/** Compiled units flattened into typed arrays: instruction j owns units start[j]..start[j+1). */
interface FlatUnits {
  start: Int32Array;
  gate: Int32Array;
  value: Int32Array;
  out: Int32Array;
  coeff: Int32Array;
  bias: Int32Array;
  readMode: Uint8Array;
  readAddr: Int32Array;
  zeroRule: Uint8Array;
  carryRule: Uint8Array;
  halts: Uint8Array;
  stack: Uint8Array;
}

function flatten(compiled: CompiledProgram): FlatUnits {
  const list = compiled.instructions;
  const total = list.reduce((n, c) => n + c.units.length, 0);
  const flat: FlatUnits = {
    start: new Int32Array(list.length + 1),
    gate: new Int32Array(total),
    value: new Int32Array(total),
    out: new Int32Array(total),
    coeff: new Int32Array(total),
    bias: new Int32Array(list.length * OUTPUT_DIM),
    readMode: Uint8Array.from(list, (c) => ReadModeCode[c.read.mode]),
    readAddr: Int32Array.from(list, (c) => c.read.addr),
    zeroRule: Uint8Array.from(list, (c) => ZeroRuleCode[c.controls.zero]),
    carryRule: Uint8Array.from(list, (c) => CarryRuleCode[c.controls.carry]),
    halts: Uint8Array.from(list, (c) => (c.controls.halts ? 1 : 0)),
    stack: Uint8Array.from(list, (c) => OPCODE_TABLE.stack[c.opcode]),
  };
  let k = 0;
  list.forEach((c, j) => {
    flat.start[j] = k;
    for (const u of c.units) {
      flat.gate[k] = u.gate;
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
    this.flat = flatten(programOrCompiled);
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

  /**
   * Run up to `budget` steps. With a tap, also stops when the tap is full (tap.row ===
   * tap.capacity) so the caller can flush it. Returns the number of steps executed.
   */
  advance(budget: number, tap?: FfnTap): number {
    if (this.stopped) return 0;
    const { flat, x, out, memory: mem, regs } = this;
    const { start, gate, value, out: unitOut, coeff, bias } = flat;
    const length = flat.readMode.length;
    const cells = mem.length;
    const F = tap?.ffDim ?? 0;
    if (tap !== undefined && start.length > 1) {
      for (let j = 0; j < length; j++) {
        if (start[j + 1] - start[j] > F) throw new RangeError(`tap ff_dim ${F} is narrower than instruction ${j} (${start[j + 1] - start[j]} units)`);
      }
    }
    let limit = budget;
    if (tap !== undefined) limit = Math.min(budget, tap.capacity - tap.row);
    let done = 0;
    let fault: Fault | null = null;
    x[In.CONST] = 1;
    x[In.HALTED] = 0;

    while (done < limit) {
      const pc = regs[Reg.PC];
      const sp = regs[Reg.SP];
      const acc = regs[Reg.ACC];
      if (pc >= length) {
        fault = makeFault('pc_out_of_bounds', this.steps + done, pc, `program has ${length} instructions`);
        break;
      }
      const stack = flat.stack[pc];
      if (stack === PUSHES && sp === 0) {
        fault = makeFault('stack_overflow', this.steps + done, pc, 'sp is 0');
        break;
      }
      if (stack === POPS && sp >= cells) {
        fault = makeFault('stack_underflow', this.steps + done, pc, `sp ${sp} with ${cells} memory cells`);
        break;
      }
      // Attention stage: the memory read that fills OPERAND.
      let operand = 0;
      const mode = flat.readMode[pc];
      if (mode === DIRECT) {
        const addr = flat.readAddr[pc];
        if (addr >= cells) {
          fault = makeFault('memory_out_of_bounds', this.steps + done, pc, `address ${addr} with ${cells} memory cells`);
          break;
        }
        operand = mem[addr];
      } else if (mode === STACK_TOP) {
        operand = mem[sp];
      }

      x[In.PC] = pc;
      x[In.PC_NEXT] = (pc + 1) & 255;
      x[In.ACC] = acc;
      x[In.ZERO] = regs[Reg.ZERO];
      x[In.CARRY] = regs[Reg.CARRY];
      x[In.SP] = sp;
      x[In.OPERAND] = operand;
      for (let i = 0; i < WORD_BITS; i++) {
        x[In.ACC_BITS + i] = (acc >>> i) & 1;
        x[In.OPERAND_BITS + i] = (operand >>> i) & 1;
      }

      // The FFN: out = W_out · (gate ⊙ value) + b_out, unit by unit (all exact in doubles).
      const b = pc * OUTPUT_DIM;
      for (let o = 0; o < OUTPUT_DIM; o++) out[o] = bias[b + o];
      const first = start[pc];
      const end = start[pc + 1];
      if (tap === undefined) {
        for (let k = first; k < end; k++) {
          const g = gate[k] === GATE_CONSTANT ? 1 : x[gate[k]];
          out[unitOut[k]] += coeff[k] * (g * x[value[k]]);
        }
      } else {
        const row = tap.row;
        const hBase = row * F;
        const { gate: tg, value: tv, hidden: th } = tap;
        for (let k = first; k < end; k++) {
          const g = gate[k] === GATE_CONSTANT ? 1 : x[gate[k]];
          const v = x[value[k]];
          const h = g * v;
          const slot = hBase + (k - first);
          tg[slot] = g;
          tv[slot] = v;
          th[slot] = h;
          out[unitOut[k]] += coeff[k] * h;
        }
        for (let slot = hBase + (end - first); slot < hBase + F; slot++) {
          tg[slot] = 0;
          tv[slot] = 0;
          th[slot] = 0;
        }
        tap.input.set(x, row * INPUT_DIM);
        const o6 = row * OUTPUT_DIM;
        for (let o = 0; o < OUTPUT_DIM; o++) tap.output[o6 + o] = out[o];
      }

      // Controls and the write, after checking the step can complete.
      const nextPc = out[Out.NEXT_PC];
      const raw = out[Out.RAW_ACC];
      if (nextPc < 0 || nextPc > 255) {
        fault = makeFault('bad_return_address', this.steps + done, pc, `return address ${operand} outside 0..255`);
        break;
      }
      if (out[Out.WRITE_ENABLE] === 1) {
        const addr = out[Out.WRITE_ADDR];
        if (addr < 0 || addr >= cells) {
          fault = makeFault('memory_out_of_bounds', this.steps + done, pc, `address ${addr} with ${cells} memory cells`);
          break;
        }
        mem[addr] = out[Out.WRITE_VALUE];
      }
      const wrapped = ((raw + 32768) & 0xffff) - 32768;
      if (flat.zeroRule[pc] === ZERO_FROM_RESULT) regs[Reg.ZERO] = wrapped === 0 ? 1 : 0;
      const carryRule = flat.carryRule[pc];
      if (carryRule === CARRY_CLEAR) regs[Reg.CARRY] = 0;
      else if (carryRule === CARRY_OVERFLOW) regs[Reg.CARRY] = raw !== wrapped ? 1 : 0;
      else if (carryRule === CARRY_SIGNED_LESS) regs[Reg.CARRY] = raw < 0 ? 1 : 0;
      regs[Reg.ACC] = wrapped;
      regs[Reg.PC] = nextPc;
      regs[Reg.SP] = out[Out.NEXT_SP];
      const halts = flat.halts[pc];
      regs[Reg.HALTED] = halts;
      done++;
      if (tap !== undefined) tap.row++;
      if (halts === 1) break;
    }
    this.steps += done;
    this.fault = fault;
    return done;
  }
}
