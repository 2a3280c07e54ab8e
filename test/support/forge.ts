/**
 * Forged runs for known-bad fixtures and the forgery harness: the same witness export as
 * src/trace/write/export.ts (one record batch, in memory) of a run a cheating prover makes.
 *
 * - forgeTrace: the FFN machine's run, where a `tamper` hook may change its registers or memory
 *   between steps. Every row is still computed by the machine, so the row-local constraints
 *   hold and only the rules that tie the rows to each other, to the memory or to the boundary
 *   can catch the forgery. Without a tamper hook the bytes equal exportTrace's.
 * - forgeUnchecked: a machine with no fault checks whose FFN input the forger may edit before
 *   each step (PC+1 = 256 at pc 255, a return to pc 256, …); the witness columns a cheater
 *   would set to match (pc_wrap) are derived from the edited input.
 */
import * as arrow from 'apache-arrow';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { compileProgram, type CompiledProgram } from '../../src/compiler/compile.js';
import { controlTable } from '../../src/compiler/control-table.js';
import { In, INPUT_DIM, Out, OUTPUT_DIM, WORD_BITS } from '../../src/compiler/layout.js';
import { nextCarry, nextZero } from '../../src/isa/controls.js';
import { ReadModeCode } from '../../src/isa/opcodes.js';
import type { Program } from '../../src/isa/program.js';
import { createTap, FfnMachine, type FfnTap } from '../../src/runtime/ffn/engine.js';
import type { MachineSnapshot } from '../../src/runtime/state.js';
import { recordBatch, traceSchema } from '../../src/trace/write/arrow-batch.js';
import { traceMetadata } from '../../src/trace/write/export.js';
import { largestMagnitude, TraceBuffers } from '../../src/trace/format/layout.js';
import { encodeMetadata } from '../../src/trace/format/metadata.js';
import { AccessSpill } from '../../src/trace/write/spill.js';
import { accessOf, WitnessBuilder } from '../../src/trace/write/witness.js';

export interface ForgeOptions {
  readonly maxSteps: number;
  readonly ffDim?: number;
  /** Called before step `step` executes; may change machine.regs / machine.memory. */
  readonly tamper?: (machine: FfnMachine, step: number) => void;
}

/** The witness of a (possibly tampered) run as Arrow IPC file bytes. */
export function forgeTrace(program: Program, options: ForgeOptions): Uint8Array {
  const compiled = compileProgram(program);
  const ffDim = options.ffDim ?? Math.max(1, compiled.minFfDim);
  const machine = new FfnMachine(compiled);
  const tap = createTap(ffDim, Math.max(1, options.maxSteps));
  // The forger's initial memory (a tamper before step 0 may change it): its log's first entries see it.
  let initialMemory: number[] | null = null;
  while (machine.steps < options.maxSteps) {
    options.tamper?.(machine, machine.steps);
    initialMemory ??= [...machine.memory];
    if (machine.stopped || machine.advance(1, tap) === 0) break;
  }
  return witnessBytes(
    compiled,
    tap,
    machine.snapshot(),
    initialMemory ?? program.initialMemory,
    options.maxSteps,
  );
}

/** The state of a forger's unchecked machine. */
export interface ForgerState {
  pc: number;
  acc: number;
  sp: number;
  zero: number;
  carry: number;
  halted: number;
  readonly memory: Int32Array;
}

export interface UncheckedOptions {
  readonly maxSteps: number;
  /** Called with the row's 41 input slots (built from the state) before the FFN; may edit them. */
  readonly editInput?: (x: Int32Array, step: number, state: ForgerState) => void;
  /** Called before step `step`; may change the state. */
  readonly tamper?: (state: ForgerState, step: number) => void;
}

/**
 * A cheating prover's run: each step is the FFN of the instruction at pc (any pc the program
 * has, 256 and past included) on an input the forger may edit, with no fault check (a return
 * address past 255, a pc past 255 run on). It stops at max_steps, a halt, or a pc or address
 * the program or memory does not have.
 */
export function forgeUnchecked(program: Program, options: UncheckedOptions): Uint8Array {
  const compiled = compileProgram(program);
  const table = controlTable(compiled);
  const ffDim = Math.max(1, compiled.minFfDim);
  const tap = createTap(ffDim, Math.max(1, options.maxSteps));
  const N = program.memorySize;
  const state: ForgerState = {
    pc: 0,
    acc: 0,
    sp: N,
    zero: 1,
    carry: 0,
    halted: 0,
    memory: Int32Array.from(program.initialMemory),
  };
  let initialMemory: number[] | null = null;
  let steps = 0;
  while (steps < options.maxSteps && state.halted === 0) {
    options.tamper?.(state, steps);
    initialMemory ??= [...state.memory];
    const { pc } = state;
    if (pc < 0 || pc >= compiled.instructions.length) break;
    const mode = table.readMode[pc];
    const readAddr = mode === ReadModeCode.direct ? table.readAddr[pc] : state.sp;
    if (mode !== ReadModeCode.none && (readAddr < 0 || readAddr >= N)) break;
    const x = tap.input.subarray(steps * INPUT_DIM, (steps + 1) * INPUT_DIM);
    x[In.CONST] = 1;
    x[In.PC] = pc;
    x[In.PC_NEXT] = (pc + 1) & 255;
    x[In.ACC] = state.acc;
    x[In.ZERO] = state.zero;
    x[In.CARRY] = state.carry;
    x[In.HALTED] = 0;
    x[In.SP] = state.sp;
    x[In.OPERAND] = mode === ReadModeCode.none ? 0 : state.memory[readAddr];
    options.editInput?.(x, steps, state);
    for (let i = 0; i < WORD_BITS; i++) {
      x[In.ACC_BITS + i] = (x[In.ACC] >>> i) & 1;
      x[In.OPERAND_BITS + i] = (x[In.OPERAND] >>> i) & 1;
    }
    const out = evaluateFfn(compiled.instructions[x[In.PC]], x, tap, steps);
    if (out[Out.WRITE_ENABLE] === 1) {
      const addr = out[Out.WRITE_ADDR];
      if (addr < 0 || addr >= N) break;
      state.memory[addr] = out[Out.WRITE_VALUE];
    }
    const raw = out[Out.RAW_ACC];
    const wrapped = ((raw + 32768) & 0xffff) - 32768;
    const j = x[In.PC];
    state.zero = nextZero(table.zeroRule[j], wrapped, x[In.ZERO]);
    state.carry = nextCarry(table.carryRule[j], raw, wrapped, x[In.CARRY]);
    state.acc = wrapped;
    state.sp = out[Out.NEXT_SP];
    state.pc = out[Out.NEXT_PC];
    state.halted = table.halts[j];
    steps++;
  }
  tap.row = steps;
  const final: MachineSnapshot = {
    steps,
    pc: state.pc,
    acc: state.acc,
    sp: state.sp,
    zero: state.zero === 1,
    carry: state.carry === 1,
    halted: state.halted === 1,
    memory: [...state.memory],
    fault: null,
  };
  return witnessBytes(
    compiled,
    tap,
    final,
    initialMemory ?? program.initialMemory,
    options.maxSteps,
    (buffers, rows) => {
      // pc_wrap as a cheater sets it to satisfy decode.pc_next: (pc + 1 - PC+1) / 256.
      const bits = buffers.column('pc_wrap') as Uint8Array;
      for (let r = 0; r < rows; r++) {
        const x = r * INPUT_DIM;
        const wrap = (tap.input[x + In.PC] + 1 - tap.input[x + In.PC_NEXT]) / 256;
        if (wrap === 1) bits[r >> 3] |= 1 << (r & 7);
        else bits[r >> 3] &= ~(1 << (r & 7));
      }
    },
  );
}

/** The FFN of one instruction on input x, into row `row` of the tap; returns the outputs. */
export function evaluateFfn(
  instruction: CompiledProgram['instructions'][number],
  x: Int32Array,
  tap: FfnTap,
  row: number,
): number[] {
  const out = [...instruction.bias];
  const F = tap.ffDim;
  instruction.units.forEach((unit, k) => {
    const g = unit.gate < 0 ? 1 : x[unit.gate];
    const v = x[unit.value];
    tap.gate[row * F + k] = g;
    tap.value[row * F + k] = v;
    tap.hidden[row * F + k] = g * v;
    out[unit.out] += unit.coeff * g * v;
  });
  tap.output.set(out, row * OUTPUT_DIM);
  return out;
}

/** Arrow IPC file bytes of the witness of the tap's rows, ending in `final`; `adjust` may patch the columns before writing. */
function witnessBytes(
  compiled: CompiledProgram,
  tap: FfnTap,
  final: MachineSnapshot,
  initialMemory: ArrayLike<number>,
  maxSteps: number,
  adjust?: (buffers: TraceBuffers, rows: number) => void,
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
      largestMagnitude(tap.hidden, rows * ffDim, 0),
      largestMagnitude(tap.output, rows * OUTPUT_DIM, 0),
    );
    const metadata = traceMetadata(program, compiled, { maxSteps, ffDim, final, maxAbs });
    const schema = traceSchema(dims, encodeMetadata(metadata));
    const writer = new arrow.RecordBatchFileWriter();
    writer.reset(undefined, schema);
    if (rows > 0) {
      const buffers = new TraceBuffers(dims, rows, { hidden: tap.hidden, output: tap.output });
      buffers.clearBitmaps();
      const witness = new WitnessBuilder(table, dims.instructions, initialMemory);
      witness.fillExecution(buffers, tap, rows, 0);
      const slice = spill.sorted(rows).next();
      if (slice.done || slice.value.length !== rows)
        throw new Error('forged log out of step with the run');
      witness.fillLog(buffers, slice.value);
      WitnessBuilder.markLastStep(buffers, rows - 1);
      adjust?.(buffers, rows);
      writer.write(recordBatch(buffers, schema, rows));
    }
    writer.finish();
    return writer.toUint8Array(true);
  } finally {
    spill.dispose();
  }
}

export function writeForgedTrace(program: Program, target: string, options: ForgeOptions): void {
  writeFileSync(target, forgeTrace(program, options));
}
