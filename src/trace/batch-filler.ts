import type { CompiledProgram } from '../compiler/compile.js';
import type { Program } from '../isa/program.js';
import { controlTable } from '../compiler/control-table.js';
import { OUTPUT_DIM } from '../compiler/layout.js';
import { AccessDigest, AccessKind, createAccessTap } from '../runtime/access.js';
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
 * resumes the machine from the reference run's state at the batch's start. The batch's memory
 * accesses come back as a digest: the sorted log the export writes comes from the reference
 * interpreter, so the export compares them with its run's (see accessDivergence).
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
   * cleared first; its rows, largest |hidden| or |output|, end state and accesses' digest.
   */
  fill(buffers: TraceBuffers, start?: MachineSnapshot): { rows: number; maxAbs: number; state: MachineSnapshot; accesses: string } {
    const { machine, tap } = this;
    if (start !== undefined && start.steps !== machine.steps) machine.resume(start);
    buffers.clearBitmaps();
    const stop = Math.min(machine.steps + this.batchRows, this.maxSteps);
    const digest = new AccessDigest();
    let rows = 0;
    let maxAbs = 0;
    while (machine.steps < stop) {
      tap.row = 0;
      const base = machine.steps;
      const ran = machine.advance(stop - base, tap);
      if (ran === 0) break;
      this.witness.fillExecution(buffers, tap, ran, base, rows);
      digestAccesses(buffers, rows, rows + ran, digest);
      maxAbs = largestMagnitude(tap.output, ran * OUTPUT_DIM, largestMagnitude(tap.hidden, ran * this.dims.ffDim, maxAbs));
      rows += ran;
    }
    return { rows, maxAbs, state: machine.snapshot(), accesses: digest.value };
  }
}

/** Add rows [from, to) of the access columns to `digest`. */
function digestAccesses(buffers: TraceBuffers, from: number, to: number, digest: AccessDigest): void {
  const addr = buffers.column('access_addr');
  const value = buffers.column('access_value');
  const read = buffers.column('access_read');
  const write = buffers.column('access_write');
  for (let r = from; r < to; r++) {
    const byte = r >> 3;
    const shift = r & 7;
    digest.add(addr[r], value[r], ((read[byte] >> shift) & 1) * AccessKind.READ + ((write[byte] >> shift) & 1) * AccessKind.WRITE);
  }
}

/**
 * Where a batch's accesses (its access columns) differ from the reference interpreter's over
 * the same steps, from `start`: the error to raise when their digests differ.
 */
export function accessDivergence(program: Program, buffers: TraceBuffers, rows: number, start: MachineSnapshot): Error {
  const reference = new NativeMachine(program);
  reference.resume(start);
  const tap = createAccessTap(Math.max(1, rows));
  reference.advance(rows, tap);
  const addr = buffers.column('access_addr');
  const value = buffers.column('access_value');
  const read = buffers.column('access_read');
  const write = buffers.column('access_write');
  if (tap.row !== rows) return new Error(`internal error: the reference run of steps ${start.steps}.. made ${tap.row} steps, the FFN run ${rows}`);
  for (let r = 0; r < rows; r++) {
    const bit = 1 << (r & 7);
    const kind = (read[r >> 3] & bit) !== 0 ? AccessKind.READ : (write[r >> 3] & bit) !== 0 ? AccessKind.WRITE : AccessKind.NONE;
    if (addr[r] !== tap.addr[r] || value[r] !== tap.value[r] || kind !== tap.kind[r])
      return new Error(
        `internal error: at step ${start.steps + r} the FFN engine's memory access (address ${addr[r]}, value ${value[r]}, kind ${kind}) differs from the reference interpreter's (address ${tap.addr[r]}, value ${tap.value[r]}, kind ${tap.kind[r]})`,
      );
  }
  return new Error(`internal error: the memory accesses of steps ${start.steps}..${start.steps + rows - 1} differ between the export's two runs`);
}
