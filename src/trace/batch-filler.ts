import type { CompiledProgram } from '../compiler/compile.js';
import { controlTable } from '../compiler/control-table.js';
import { OUTPUT_DIM } from '../compiler/layout.js';
import { createTap, FfnMachine, type FfnTap } from '../runtime/ffn/engine.js';
import type { MachineSnapshot } from '../runtime/state.js';
import { largestMagnitude, type TraceBuffers, type TraceDims } from './layout.js';
import { WitnessBuilder } from './witness.js';

/** FFN rows per tap fill: a small tap stays in cache while its rows are copied into the batch. */
export const TAP_ROWS = 2048;

/**
 * Runs the FFN engine for a batch: up to `batchRows` steps (never past `maxSteps`), in
 * tap-sized chunks, filling the execution-side columns of `buffers`. Shared by this thread's
 * pass 2 and the workers', so all write the same bytes; a worker given every other batch
 * resumes the machine from the reference run's state at the batch's start.
 */
export class BatchFiller {
  private readonly machine: FfnMachine;
  private readonly tap: FfnTap;
  private readonly witness: WitnessBuilder;

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
  }

  /**
   * Fill the batch that starts at `start` (default: where the last one ended), bitmaps
   * cleared first; its rows, largest |hidden| or |output|, and end state.
   */
  fill(buffers: TraceBuffers, start?: MachineSnapshot): { rows: number; maxAbs: number; state: MachineSnapshot } {
    const { machine, tap } = this;
    if (start !== undefined && start.steps !== machine.steps) machine.resume(start);
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
    return { rows, maxAbs, state: machine.snapshot() };
  }
}
