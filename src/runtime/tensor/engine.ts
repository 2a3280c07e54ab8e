/** The TensorFlow.js engine: each step's FFN as tensor ops on a tfjs backend. */
import { compileProgram, MAX_UNITS, type CompiledProgram } from '../../compiler/compile.js';
import { controlTable, type ControlTable } from '../../compiler/control-table.js';
import { denseWeights } from '../../compiler/dense.js';
import { In, INPUT_DIM, Out, WORD_BITS } from '../../compiler/layout.js';
import { nextCarry, nextZero } from '../../isa/controls.js';
import { ReadModeCode, StackUseCode } from '../../isa/opcodes.js';
import type { Program } from '../../isa/program.js';
import { makeFault, type Fault } from '../fault.js';
import { initialRegisters, Reg, snapshot, type Engine, type MachineSnapshot } from '../state.js';
import { useBackend, type TensorBackendName } from './backend.js';
import { FfnTensors, type Arithmetic } from './kernel.js';

export interface TensorEngineOptions {
  /** 'auto' (default: cpu, the fastest per step), 'cpu', 'wasm' or 'tensorflow'. */
  backend?: string;
  /** Force the exact arithmetic (default: int32 where the backend multiplies int32 exactly, else limbs). */
  arithmetic?: Arithmetic;
}

const DIRECT = ReadModeCode.direct;
const STACK_TOP = ReadModeCode.stack_top;
const PUSHES = StackUseCode.push;
const POPS = StackUseCode.pop;

/**
 * The tensor engine: the article's step function with the FFN evaluated by TensorFlow.js.
 * Per step: the attention stage (the memory read selected by the instruction's compiled read
 * mode, direct or stack_top) fills OPERAND, the 41-slot input goes through the instruction's
 * weight tensors (gate, value, hidden, out; exact, see kernel.ts), then the controls and the
 * memory write are applied. Faults, steps and messages are those of the FFN engine.
 */
export class TensorMachine implements Engine {
  readonly name: string;
  readonly regs: Int32Array;
  readonly memory: Int32Array;
  steps = 0;
  fault: Fault | null = null;
  private readonly x = new Int32Array(INPUT_DIM);
  private readonly table: ControlTable;

  private constructor(
    readonly compiled: CompiledProgram,
    readonly tensors: FfnTensors,
  ) {
    this.name = `tensor(${tensors.backend})`;
    this.regs = initialRegisters(compiled.program);
    this.memory = Int32Array.from(compiled.program.initialMemory);
    this.table = controlTable(compiled);
  }

  /** Compile (if given a Program), load the backend and upload the weights. */
  static async create(
    programOrCompiled: Program | CompiledProgram,
    options: TensorEngineOptions = {},
  ): Promise<TensorMachine> {
    const compiled =
      'instructions' in programOrCompiled && 'digest' in programOrCompiled
        ? programOrCompiled
        : compileProgram(programOrCompiled);
    const { tf, backend } = await useBackend(options.backend ?? 'auto', 'per-step');
    const dense = denseWeights(compiled.instructions, Math.max(MAX_UNITS, compiled.minFfDim));
    return new TensorMachine(compiled, FfnTensors.create(tf, backend, dense, options.arithmetic));
  }

  get backend(): TensorBackendName {
    return this.tensors.backend;
  }

  get arithmetic(): Arithmetic {
    return this.tensors.arithmetic;
  }

  get stopped(): boolean {
    return this.fault !== null || this.regs[Reg.HALTED] === 1;
  }

  snapshot(): MachineSnapshot {
    return snapshot(this.regs, this.memory, this.steps, this.fault);
  }

  /** Free the weight tensors. The engine cannot step afterwards. */
  dispose(): void {
    this.tensors.dispose();
  }

  advance(budget: number): number {
    if (this.stopped) return 0;
    const { x, memory: mem, regs, tensors, table } = this;
    const length = table.readMode.length;
    const cells = mem.length;
    let done = 0;
    let fault: Fault | null = null;
    x[In.CONST] = 1;
    x[In.HALTED] = 0;

    while (done < budget) {
      const step = this.steps + done;
      const pc = regs[Reg.PC];
      const sp = regs[Reg.SP];
      const acc = regs[Reg.ACC];
      if (pc >= length) {
        fault = makeFault('pc_out_of_bounds', step, pc, `program has ${length} instructions`);
        break;
      }
      const stack = table.stack[pc];
      if (stack === PUSHES && sp === 0) {
        fault = makeFault('stack_overflow', step, pc, 'sp is 0');
        break;
      }
      if (stack === POPS && sp >= cells) {
        fault = makeFault('stack_underflow', step, pc, `sp ${sp} with ${cells} memory cells`);
        break;
      }
      // Attention stage: the memory read that fills OPERAND.
      let operand = 0;
      const mode = table.readMode[pc];
      if (mode === DIRECT) {
        const addr = table.readAddr[pc];
        if (addr >= cells) {
          fault = makeFault(
            'memory_out_of_bounds',
            step,
            pc,
            `address ${addr} with ${cells} memory cells`,
          );
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

      // The FFN on tensors: one row through instruction pc.
      const out = tensors.evaluate(pc, x, 1).out;
      const nextPc = out[Out.NEXT_PC];
      const raw = out[Out.RAW_ACC];

      // Controls and the write, after checking the step can complete.
      if (nextPc < 0 || nextPc > 255) {
        fault = makeFault(
          'bad_return_address',
          step,
          pc,
          `return address ${operand} outside 0..255`,
        );
        break;
      }
      if (out[Out.WRITE_ENABLE] === 1) {
        const addr = out[Out.WRITE_ADDR];
        if (addr < 0 || addr >= cells) {
          fault = makeFault(
            'memory_out_of_bounds',
            step,
            pc,
            `address ${addr} with ${cells} memory cells`,
          );
          break;
        }
        mem[addr] = out[Out.WRITE_VALUE];
      }
      const wrapped = ((raw + 32768) & 0xffff) - 32768;
      regs[Reg.ZERO] = nextZero(table.zeroRule[pc], wrapped, regs[Reg.ZERO]);
      regs[Reg.CARRY] = nextCarry(table.carryRule[pc], raw, wrapped, regs[Reg.CARRY]);
      regs[Reg.ACC] = wrapped;
      regs[Reg.PC] = nextPc;
      regs[Reg.SP] = out[Out.NEXT_SP];
      const halts = table.halts[pc];
      regs[Reg.HALTED] = halts;
      done++;
      if (halts === 1) break;
    }
    this.steps += done;
    this.fault = fault;
    return done;
  }
}
