import { parentPort, workerData } from 'node:worker_threads';
import { compileProgram } from '../compiler/compile.js';
import { OUTPUT_DIM } from '../compiler/layout.js';
import { controlTable } from '../compiler/control-table.js';
import type { Program } from '../isa/program.js';
import { createTap, FfnMachine } from '../runtime/ffn/engine.js';
import { TraceBuffers, type ColumnData } from './layout.js';
import { WitnessBuilder } from './witness.js';

/**
 * Pass 2 of a threaded export (see export.ts): runs the program with the FFN engine and
 * fills the execution-side columns of each batch into the buffers the main thread lends it,
 * then hands them back; the main thread adds the log columns and writes. Same code as the
 * in-thread export, so the file is byte-identical.
 */
export interface ExportWorkerData {
  readonly program: Program;
  readonly ffDim: number;
  readonly batchRows: number;
  readonly maxSteps: number;
}

/** Main → worker: fill the next batch into these buffers. */
export interface FillRequest {
  readonly data: ColumnData[];
}

/** Worker → main: the buffers back, `rows` of them filled; or what went wrong. */
export type FillReply = { readonly data: ColumnData[]; readonly rows: number; readonly steps: number } | { readonly error: string };

const { program, ffDim, batchRows, maxSteps } = workerData as ExportWorkerData;
const compiled = compileProgram(program);
const dims = { ffDim, instructions: program.instructions.length };
const machine = new FfnMachine(compiled);
const tap = createTap(ffDim, batchRows);
const witness = new WitnessBuilder(controlTable(compiled), dims.instructions);
const port = parentPort!;

port.on('message', ({ data }: FillRequest) => {
  try {
    const buffers = TraceBuffers.wrap(dims, batchRows, data);
    tap.row = 0;
    const base = machine.steps;
    const ran = machine.advance(Math.min(batchRows, maxSteps - base), tap);
    buffers.clearBitmaps();
    (buffers.column('hidden') as Int32Array).set(tap.hidden.subarray(0, ran * ffDim));
    (buffers.column('output') as Int32Array).set(tap.output.subarray(0, ran * OUTPUT_DIM));
    witness.fillExecution(buffers, tap, ran, base);
    port.postMessage({ data, rows: ran, steps: machine.steps } satisfies FillReply, data.map((array) => array.buffer as ArrayBuffer));
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) } satisfies FillReply);
  }
});
