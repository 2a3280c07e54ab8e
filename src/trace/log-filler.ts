import { compileModule, instantiate, type WasmModule } from '../wasm/encode.js';
import type { FillMemory } from './fill-memory.js';
import type { TraceBuffers, TraceDims } from './layout.js';
import { compileLogFill } from './log-code.js';
import type { AccessSpill } from './spill.js';

type LogRun = (cols: number, records: number, count: number, row: number, addr: number, previousAddr: number, previousStep: number) => void;

interface LogFill {
  readonly run: LogRun;
  readonly columns: number;
  readonly recordsAt: number;
  readonly records: Int32Array;
}

/**
 * Writes each batch's log columns from the sorted log, batch after batch: the spill's chunks
 * in (address, step) order are copied into the batch's fill memory and written by the log
 * fill compiled to WebAssembly (log-code.ts). The buffers must be those of the given fill
 * memories, their log bitmaps clear.
 */
export class LogFiller {
  private readonly fills = new Map<TraceBuffers, LogFill>();
  private readonly chunks: Generator<[number, Int32Array, number]>;
  /** The chunk being read: its address, records and entries, and the next entry. */
  private chunk: [number, Int32Array, number] | null = null;
  private next = 0;
  private previousAddr = -1;
  private previousStep = -1;

  constructor(dims: TraceDims, memories: readonly FillMemory[], spill: AccessSpill) {
    const modules = new Map<boolean, WasmModule>();
    for (const fill of memories) {
      let module = modules.get(fill.shared);
      if (module === undefined) modules.set(fill.shared, (module = compileModule(compileLogFill(dims, fill.layout.pages, fill.shared))));
      const { recordsAt, columnTable } = fill.layout;
      this.fills.set(fill.buffers, {
        run: instantiate(module, fill.memory).log as LogRun,
        columns: columnTable,
        recordsAt,
        records: new Int32Array(fill.memory.buffer, recordsAt, 2 * fill.shape.batchRows),
      });
    }
    this.chunks = spill.chunks();
  }

  /** The next `rows` entries of the log into rows [0, rows) of `buffers`. */
  fill(buffers: TraceBuffers, rows: number): void {
    const fill = this.fills.get(buffers);
    if (fill === undefined) throw new Error("internal error: a log filler fills its fill memories' buffers");
    for (let row = 0; row < rows; ) {
      if (this.chunk === null || this.next === this.chunk[2]) {
        const next = this.chunks.next();
        if (next.done) throw new Error('internal error: memory log out of step with the run');
        this.chunk = next.value;
        this.next = 0;
        continue;
      }
      const [addr, records, entries] = this.chunk;
      const take = Math.min(rows - row, entries - this.next);
      fill.records.set(records.subarray(2 * this.next, 2 * (this.next + take)));
      fill.run(fill.columns, fill.recordsAt, take, row, addr, this.previousAddr, this.previousStep);
      this.previousAddr = addr;
      this.previousStep = records[2 * (this.next + take - 1)];
      this.next += take;
      row += take;
    }
  }
}
