import type { CompiledProgram } from '../compiler/compile.js';
import { controlTable } from '../compiler/control-table.js';
import { OUTPUT_DIM } from '../compiler/layout.js';
import { AccessKind, createAccessTap, type AccessTap } from '../runtime/access.js';
import { createTap, FfnMachine, type FfnTap } from '../runtime/ffn/engine.js';
import { NativeMachine } from '../runtime/native/interpreter.js';
import type { MachineSnapshot } from '../runtime/state.js';
import { largestMagnitude, type TraceBuffers, type TraceDims } from './layout.js';
import { WitnessBuilder } from './witness.js';

/** FFN rows per tap fill: a small tap stays in cache while its rows are copied into the batch. */
export const TAP_ROWS = 2048;

/**
 * Runs the FFN engine for a batch: up to `batchRows` steps (never past `maxSteps`), in
 * tap-sized chunks, filling the execution-side columns of `buffers`. Shared by this thread's
 * pass 2 and the workers', so all write the same bytes; a worker given every other batch
 * resumes the machine from the reference run's state at the batch's start. Every row's memory
 * access is compared with the reference interpreter's, run over the same steps: the sorted
 * log the export writes comes from the interpreter, so it must be the FFN run's own.
 */
export class BatchFiller {
  private readonly machine: FfnMachine;
  private readonly tap: FfnTap;
  private readonly witness: WitnessBuilder;
  private readonly reference: NativeMachine;
  private readonly accesses: AccessTap;

  constructor(
    compiled: CompiledProgram,
    private readonly dims: TraceDims,
    private readonly batchRows: number,
    private readonly maxSteps: number,
  ) {
    this.machine = new FfnMachine(compiled);
    // The witness builds input_bits from ACC and OPERAND: the tap need not spell them out.
    this.tap = createTap(dims.ffDim, Math.min(TAP_ROWS, batchRows), { bits: false });
    this.witness = new WitnessBuilder(controlTable(compiled), dims.instructions);
    this.reference = new NativeMachine(compiled.program);
    this.accesses = createAccessTap(batchRows);
  }

  /**
   * Fill the batch that starts at `start` (default: where the last one ended), bitmaps
   * cleared first; its rows, largest |hidden| or |output|, and end state.
   */
  fill(buffers: TraceBuffers, start?: MachineSnapshot): { rows: number; maxAbs: number; state: MachineSnapshot } {
    const { machine, tap, reference, accesses } = this;
    if (start !== undefined && start.steps !== machine.steps) machine.resume(start);
    if (start !== undefined && start.steps !== reference.steps) reference.resume(start);
    const firstStep = machine.steps;
    buffers.clearBitmaps();
    const stop = Math.min(machine.steps + this.batchRows, this.maxSteps);
    let rows = 0;
    let maxAbs = 0;
    while (machine.steps < stop) {
      tap.row = 0;
      const base = machine.steps;
      const ran = machine.advance(stop - base, tap);
      if (ran === 0) break;
      this.witness.fillExecution(buffers, tap, ran, base, rows);
      maxAbs = largestMagnitude(tap.output, ran * OUTPUT_DIM, largestMagnitude(tap.hidden, ran * this.dims.ffDim, maxAbs));
      rows += ran;
    }
    accesses.row = 0;
    reference.advance(rows, accesses);
    sameAccesses(buffers, accesses, rows, firstStep);
    return { rows, maxAbs, state: machine.snapshot() };
  }
}

/** Throws unless rows [0, rows) of the access columns are the reference interpreter's accesses. */
function sameAccesses(buffers: TraceBuffers, reference: AccessTap, rows: number, firstStep: number): void {
  const addr = buffers.column('access_addr');
  const value = buffers.column('access_value');
  const read = buffers.column('access_read');
  const write = buffers.column('access_write');
  if (reference.row !== rows) throw new Error(`internal error: the reference run of steps ${firstStep}.. made ${reference.row} steps, the FFN run ${rows}`);
  for (let r = 0; r < rows; r++) {
    const bit = 1 << (r & 7);
    const kind = (read[r >> 3] & bit) !== 0 ? AccessKind.READ : (write[r >> 3] & bit) !== 0 ? AccessKind.WRITE : AccessKind.NONE;
    if (addr[r] !== reference.addr[r] || value[r] !== reference.value[r] || kind !== reference.kind[r])
      throw new Error(
        `internal error: at step ${firstStep + r} the FFN engine's memory access (address ${addr[r]}, value ${value[r]}, kind ${kind}) differs from the reference interpreter's (address ${reference.addr[r]}, value ${reference.value[r]}, kind ${reference.kind[r]})`,
      );
  }
}
