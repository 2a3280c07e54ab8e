import { parentPort, workerData } from 'node:worker_threads';
import { compileProgram } from '../compiler/compile.js';
import type { Program } from '../isa/program.js';
import type { MachineSnapshot } from '../runtime/state.js';
import { BatchFiller } from './batch-filler.js';
import { TraceBuffers, type ColumnData } from './layout.js';

/**
 * Pass 2 of a threaded export (see export.ts, batch-sources.ts): runs the FFN engine from the
 * start state of each batch it is given and fills the batch's execution-side columns into the
 * buffers the main thread lends it (shared memory, not transferred), then hands them back; the main thread adds the log columns
 * and writes. The same BatchFiller as the in-thread export, so the file is byte-identical.
 */
export interface ExportWorkerData {
  readonly program: Program;
  readonly ffDim: number;
  readonly batchRows: number;
  readonly maxSteps: number;
}

/** Main → worker: fill batch `index`, which starts from `start`, into these buffers. */
export interface FillRequest {
  readonly index: number;
  readonly start: MachineSnapshot;
  readonly data: ColumnData[];
}

/** Worker → main: started; the buffers back, `rows` of them filled; or what went wrong. */
export type FillReply =
  | { readonly ready: true }
  | { readonly index: number; readonly data: ColumnData[]; readonly rows: number; readonly maxAbs: number; readonly state: MachineSnapshot; readonly accesses: string }
  | { readonly error: string };

const { program, ffDim, batchRows, maxSteps } = workerData as ExportWorkerData;
const dims = { ffDim, instructions: program.instructions.length };
const filler = new BatchFiller(compileProgram(program), dims, batchRows, maxSteps);
const port = parentPort!;
port.postMessage({ ready: true } satisfies FillReply);

port.on('message', ({ index, start, data }: FillRequest) => {
  try {
    const filled = filler.fill(TraceBuffers.wrap(dims, batchRows, data), start);
    port.postMessage({ index, data, ...filled } satisfies FillReply);
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) } satisfies FillReply);
  }
});
