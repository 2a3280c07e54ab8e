/** The worker thread of a threaded export: fills the batches it is given. */
import { parentPort, workerData } from 'node:worker_threads';
import { compileProgram } from '../../compiler/compile.js';
import type { Program } from '../../isa/program.js';
import type { MachineSnapshot } from '../../runtime/state.js';
import { BatchFiller } from './batch-filler.js';
import type { WasmMemory } from '../../wasm/encode.js';
import { FillMemory, fillShape } from './fill-memory.js';

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
  /** The shared memories this worker fills, one per buffer set (the main thread's buffers are views of them too). */
  readonly memories: readonly WasmMemory[];
}

/** Main → worker: fill batch `index`, which starts from `start`, into the buffers of memory `set`. */
export interface FillRequest {
  readonly index: number;
  readonly start: MachineSnapshot;
  readonly set: number;
}

/** Worker → main: started; the buffers back, `rows` of them filled; or what went wrong. */
export type FillReply =
  | { readonly ready: true }
  | {
      readonly index: number;
      readonly set: number;
      readonly rows: number;
      readonly maxAbs: number;
      readonly state: MachineSnapshot;
      readonly accesses: string;
    }
  | { readonly error: string };

const { program, ffDim, batchRows, maxSteps, memories } = workerData as ExportWorkerData;
const dims = { ffDim, instructions: program.instructions.length };
const compiled = compileProgram(program);
const fills = memories.map(
  (memory) => new FillMemory(fillShape(compiled, dims, batchRows), { memory }),
);
const filler = new BatchFiller(compiled, dims, batchRows, maxSteps, fills);
const port = parentPort!;
port.postMessage({ ready: true } satisfies FillReply);

port.on('message', ({ index, start, set }: FillRequest) => {
  try {
    const filled = filler.fill(fills[set].buffers, start);
    port.postMessage({ index, set, ...filled } satisfies FillReply);
  } catch (error) {
    port.postMessage({
      error: error instanceof Error ? error.message : String(error),
    } satisfies FillReply);
  }
});
