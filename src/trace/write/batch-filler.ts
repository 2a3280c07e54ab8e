/** Pass 2 of the export: the FFN engine run over a batch, filling its execution columns. */
import type { CompiledProgram } from '../../compiler/compile.js';
import type { Program } from '../../isa/program.js';
import { controlTable } from '../../compiler/control-table.js';
import { OUTPUT_DIM } from '../../compiler/layout.js';
import { AccessDigest, AccessKind, createAccessTap } from '../../runtime/access.js';
import { createTap, FfnMachine, flattenUnits, type FfnTap } from '../../runtime/ffn/engine.js';
import { NativeMachine } from '../../runtime/native/interpreter.js';
import {
  Reg,
  REG_COUNT,
  restoreState,
  snapshot,
  type MachineSnapshot,
  type MachineState,
} from '../../runtime/state.js';
import { compileModule, instantiate, type WasmModule } from '../../wasm/encode.js';
import { compileFill, FillStop } from './fill-codegen.js';
import {
  InstructionField,
  INSTRUCTION_FIELDS,
  UnitField,
  UNIT_FIELDS,
  type FillMemory,
} from './fill-memory.js';
import { largestMagnitude, type TraceBuffers, type TraceDims } from '../format/layout.js';
import { WitnessBuilder } from './witness.js';

/**
 * Runs the FFN engine for a batch: up to `batchRows` steps (never past `maxSteps`), filling the
 * execution-side columns of the buffers of one of its fill memories. The steps run in the fill
 * compiled to WebAssembly (fill-codegen.ts), which writes the columns in place; a step it defers
 * (a fault, or a value outside what it handles) is made by the FFN engine itself and its row
 * built by WitnessBuilder, the reference both are tested against. Shared by this thread's
 * pass 2 and the workers', so all write the same bytes; a batch may resume from the reference
 * run's state at its start. The batch's memory accesses come back as a digest: the sorted log
 * the export writes comes from the reference interpreter, so the export compares them with its
 * run's (see accessDivergence).
 */
export class BatchFiller {
  /** Per memory (by its buffers): its instance of the compiled fill and views of what it reads and leaves. */
  private readonly fills: Map<TraceBuffers, CompiledFill>;
  /** The machine state between fill calls (copied into a fill's memory for each call). */
  private readonly state: MachineState;
  /** The FFN engine, for the steps the compiled fill defers; its tap holds one row. */
  private readonly machine: FfnMachine;
  private readonly tap: FfnTap;
  private readonly witness: WitnessBuilder;

  constructor(
    compiled: CompiledProgram,
    private readonly dims: TraceDims,
    private readonly batchRows: number,
    private readonly maxSteps: number,
    /** The memories whose buffers this filler fills (all of one shape). */
    memories: readonly FillMemory[],
  ) {
    const { memorySize } = compiled.program;
    this.machine = new FfnMachine(compiled);
    this.state = {
      regs: this.machine.regs.slice(),
      memory: this.machine.memory.slice(),
      steps: 0,
      fault: null,
    };
    const modules = new Map<boolean, WasmModule>();
    this.fills = new Map(
      memories.map((fill) => {
        const { layout, shared } = fill;
        let module = modules.get(shared);
        if (module === undefined)
          modules.set(
            shared,
            (module = compileModule(compileFill(layout, dims, memorySize, shared))),
          );
        writeFillTables(compiled, fill);
        const buffer = fill.memory.buffer;
        return [
          fill.buffers,
          {
            run: instantiate(module, fill.memory).fill as CompiledFill['run'],
            columns: layout.columnTable,
            regs: new Int32Array(buffer, layout.regsAt, REG_COUNT),
            cells: new Int32Array(buffer, layout.cellsAt, memorySize),
            status: new Int32Array(buffer, layout.statusAt, 1),
            extremes: new Int32Array(buffer, layout.extremesAt, 2),
            digest: new Int32Array(buffer, layout.digestAt, 2),
          },
        ];
      }),
    );
    this.tap = createTap(dims.ffDim, 1, { bits: false });
    this.witness = new WitnessBuilder(
      controlTable(compiled),
      dims.instructions,
      compiled.program.initialMemory,
    );
  }

  /**
   * Fill `buffers` (those of one of this filler's memories) with the batch that starts at
   * `start` (default: where the last one ended), bitmaps cleared first; its rows, largest
   * |hidden| or |output|, end state and accesses' digest.
   */
  fill(
    buffers: TraceBuffers,
    start?: MachineSnapshot,
  ): { rows: number; maxAbs: number; state: MachineSnapshot; accesses: string } {
    const { state } = this;
    // Always from `start` when given: the same step count is not the same state (a segment 0
    // forged from another initial memory starts at step 0 too).
    if (start !== undefined) restoreState(state, start);
    const digest = new AccessDigest();
    const { rows, maxAbs } = this.fillRows(
      buffers,
      Math.min(state.steps + this.batchRows, this.maxSteps),
      digest,
    );
    return {
      rows,
      maxAbs,
      state: snapshot(state.regs, state.memory, state.steps, state.fault),
      accesses: digest.value,
    };
  }

  /**
   * The rows of the steps from here to step `stop` (or a halt or fault) into `buffers`,
   * bitmaps cleared first; their accesses added to `digest`.
   */
  fillRows(
    buffers: TraceBuffers,
    stop: number,
    digest: AccessDigest,
  ): { rows: number; maxAbs: number } {
    const { state } = this;
    const fill = this.fills.get(buffers);
    if (fill === undefined)
      throw new Error("internal error: a batch filler fills its own memories' buffers");
    buffers.clearBitmaps();
    let rows = 0;
    let maxAbs = 0;
    while (state.steps < stop && state.fault === null && state.regs[Reg.HALTED] !== 1) {
      fill.regs.set(state.regs);
      fill.cells.set(state.memory);
      fill.digest.set(digest.lanes);
      const ran = fill.run(fill.columns, rows, stop - state.steps, state.steps);
      state.regs.set(fill.regs);
      state.memory.set(fill.cells);
      digest.lanes.set(fill.digest);
      rows += ran;
      state.steps += ran;
      maxAbs = Math.max(maxAbs, -fill.extremes[0], fill.extremes[1]);
      if (fill.status[0] === FillStop.DEFER) {
        if (!this.deferredStep(buffers, rows)) break;
        digestAccesses(buffers, rows, rows + 1, digest);
        rows++;
        maxAbs = largestMagnitude(
          this.tap.output,
          OUTPUT_DIM,
          largestMagnitude(this.tap.hidden, this.dims.ffDim, maxAbs),
        );
      }
    }
    return { rows, maxAbs };
  }

  /**
   * The step the compiled fill deferred, made by the FFN engine from the same state, its row
   * built at `row`; false when it faults (the run ends there, the fault recorded).
   */
  private deferredStep(buffers: TraceBuffers, row: number): boolean {
    const { machine, state, tap } = this;
    machine.resume(snapshot(state.regs, state.memory, state.steps, null));
    tap.row = 0;
    if (machine.advance(1, tap) === 0) {
      state.fault = machine.fault;
      return false;
    }
    this.witness.fillExecution(buffers, tap, 1, state.steps, row);
    state.regs.set(machine.regs);
    state.memory.set(machine.memory);
    state.steps++;
    return true;
  }
}

/** A fill memory's instance of the compiled fill, and views of what it reads and leaves there. */
interface CompiledFill {
  readonly run: (cols: number, row: number, limit: number, firstStep: number) => number;
  /** The address of the table of the batch's column addresses. */
  readonly columns: number;
  readonly regs: Int32Array;
  readonly cells: Int32Array;
  /** Why the last call stopped (FillStop); the extremes (low, high) of the hidden and output values it wrote. */
  readonly status: Int32Array;
  readonly extremes: Int32Array;
  /** The lanes of the batch's access digest, continued by each call. */
  readonly digest: Int32Array;
}

/** The compiled units and control table of a program into the fill memory's tables (fill-memory.ts). */
function writeFillTables(compiled: CompiledProgram, memory: FillMemory): void {
  const { layout } = memory;
  const flat = flattenUnits(compiled);
  const instructions = compiled.instructions.length;
  const table = new Int32Array(
    memory.memory.buffer,
    layout.instructionsAt,
    INSTRUCTION_FIELDS * instructions,
  );
  for (let j = 0; j < instructions; j++) {
    const at = j * INSTRUCTION_FIELDS;
    table[at + InstructionField.READ_MODE] = flat.readMode[j];
    table[at + InstructionField.READ_ADDR] = flat.readAddr[j];
    table[at + InstructionField.STACK] = flat.stack[j];
    table[at + InstructionField.ZERO_RULE] = flat.zeroRule[j];
    table[at + InstructionField.CARRY_RULE] = flat.carryRule[j];
    table[at + InstructionField.HALTS] = flat.halts[j];
    table[at + InstructionField.OPCODE] = flat.opcode[j];
    table[at + InstructionField.ARG] = flat.arg[j];
    table[at + InstructionField.USES_BITS] = flat.usesBits[j];
    table[at + InstructionField.UNIT_START] = flat.start[j];
    table[at + InstructionField.UNIT_END] = flat.start[j + 1];
    // Every partial sum of the engine's is at most |bias| + Σ |coeff| · 2^31 (the fill defers
    // a product gate·value beyond int32): below 2^53 it is exact in doubles.
    let bound = 0;
    for (let o = 0; o < OUTPUT_DIM; o++) bound += Math.abs(flat.bias[j * OUTPUT_DIM + o]);
    for (let k = flat.start[j]; k < flat.start[j + 1]; k++)
      bound += Math.abs(flat.coeff[k]) * 2 ** 31;
    table[at + InstructionField.DEFER] = bound < 2 ** 53 ? 0 : 1;
    for (let o = 0; o < OUTPUT_DIM; o++)
      table[at + InstructionField.BIAS + o] = flat.bias[j * OUTPUT_DIM + o];
  }
  const units = new Int32Array(
    memory.memory.buffer,
    layout.unitsAt,
    UNIT_FIELDS * flat.gateSlot.length,
  );
  for (let k = 0; k < flat.gateSlot.length; k++) {
    const at = k * UNIT_FIELDS;
    units[at + UnitField.GATE_AT] = layout.inputAt + 4 * flat.gateSlot[k];
    units[at + UnitField.VALUE_AT] = layout.inputAt + 4 * flat.value[k];
    units[at + UnitField.OUT_AT] = layout.outputAt + 8 * flat.out[k];
    units[at + UnitField.COEFF] = flat.coeff[k];
  }
}

/** Add rows [from, to) of the access columns to `digest`. */
export function digestAccesses(
  buffers: TraceBuffers,
  from: number,
  to: number,
  digest: AccessDigest,
): void {
  const addr = buffers.column('access_addr');
  const value = buffers.column('access_value');
  const read = buffers.column('access_read');
  const write = buffers.column('access_write');
  for (let r = from; r < to; r++) {
    const byte = r >> 3;
    const shift = r & 7;
    digest.add(
      addr[r],
      value[r],
      ((read[byte] >> shift) & 1) * AccessKind.READ +
        ((write[byte] >> shift) & 1) * AccessKind.WRITE,
    );
  }
}

/**
 * Where a batch's accesses (its access columns) differ from the reference interpreter's over
 * the same steps, from `start`: the error to raise when their digests differ.
 */
export function accessDivergence(
  program: Program,
  buffers: TraceBuffers,
  rows: number,
  start: MachineSnapshot,
): Error {
  const reference = new NativeMachine(program);
  reference.resume(start);
  const tap = createAccessTap(Math.max(1, rows));
  reference.advance(rows, tap);
  const addr = buffers.column('access_addr');
  const value = buffers.column('access_value');
  const read = buffers.column('access_read');
  const write = buffers.column('access_write');
  if (tap.row !== rows)
    return new Error(
      `internal error: the reference run of steps ${start.steps}.. made ${tap.row} steps, the FFN run ${rows}`,
    );
  for (let r = 0; r < rows; r++) {
    const bit = 1 << (r & 7);
    const kind =
      (read[r >> 3] & bit) !== 0
        ? AccessKind.READ
        : (write[r >> 3] & bit) !== 0
          ? AccessKind.WRITE
          : AccessKind.NONE;
    if (addr[r] !== tap.addr[r] || value[r] !== tap.value[r] || kind !== tap.kind[r])
      return new Error(
        `internal error: at step ${start.steps + r} the FFN engine's memory access (address ${addr[r]}, value ${value[r]}, kind ${kind}) differs from the reference interpreter's (address ${tap.addr[r]}, value ${tap.value[r]}, kind ${tap.kind[r]})`,
      );
  }
  return new Error(
    `internal error: the memory accesses of steps ${start.steps}..${start.steps + rows - 1} differ between the export's two runs`,
  );
}
