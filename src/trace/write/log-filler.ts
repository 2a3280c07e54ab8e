/** Writes each batch's log columns from the sorted access log. */
import { compileModule, instantiate, type WasmModule } from '../../wasm/encode.js';
import type { FillMemory } from './fill-memory.js';
import type { TraceBuffers, TraceDims } from '../format/layout.js';
import { compileLogFill } from './log-codegen.js';
import { NO_ACCESS_ADDR } from '../../air/columns.js';
import type { AccessSpill } from './spill.js';

type LogRun = (
  cols: number,
  records: number,
  count: number,
  row: number,
  addr: number,
  previousAddr: number,
  previousStep: number,
  previousValue: number,
  ends: number,
) => void;

interface LogFill {
  readonly run: LogRun;
  readonly columns: number;
  readonly recordsAt: number;
  readonly records: Int32Array;
}

/**
 * Writes each batch's log columns from the sorted log, batch after batch: the spill's chunks
 * in (address, step) order are copied into the batch's fill memory and written by the log
 * fill compiled to WebAssembly (log-codegen.ts). The buffers must be those of the given fill
 * memories, their log bitmaps clear.
 */
export class LogFiller {
  private readonly fills = new Map<TraceBuffers, LogFill>();
  private readonly chunks: Generator<[number, Int32Array, number]>;
  /** The chunk being read: its address, records and entries, and the next entry. */
  private chunk: [number, Int32Array, number] | null = null;
  /** The chunk after it (read ahead: whether the chunk's last entry ends its address); null at the end. */
  private upcoming: [number, Int32Array, number] | null = null;
  private next = 0;
  private previousAddr = -1;
  private previousStep = -1;
  private previousValue = 0;

  constructor(
    dims: TraceDims,
    memories: readonly FillMemory[],
    spill: AccessSpill,
    /** The memory before the first step: the log_prev of each cell's first entry. */
    private readonly initialMemory: ArrayLike<number>,
  ) {
    const modules = new Map<boolean, WasmModule>();
    for (const fill of memories) {
      let module = modules.get(fill.shared);
      if (module === undefined)
        modules.set(
          fill.shared,
          (module = compileModule(compileLogFill(dims, fill.layout.pages, fill.shared))),
        );
      const { recordsAt, columnTable } = fill.layout;
      this.fills.set(fill.buffers, {
        run: instantiate(module, fill.memory).log as LogRun,
        columns: columnTable,
        recordsAt,
        records: new Int32Array(fill.memory.buffer, recordsAt, 2 * fill.shape.batchRows),
      });
    }
    this.chunks = spill.chunks(true);
    this.upcoming = this.read();
  }

  /** The next chunk from the spill (each its own buffer: one is read ahead). */
  private read(): [number, Int32Array, number] | null {
    const next = this.chunks.next();
    return next.done ? null : next.value;
  }

  /** The next `rows` entries of the log into rows [0, rows) of `buffers`. */
  fill(buffers: TraceBuffers, rows: number): void {
    const fill = this.fills.get(buffers);
    if (fill === undefined)
      throw new Error("internal error: a log filler fills its fill memories' buffers");
    for (let row = 0; row < rows; ) {
      if (this.chunk === null || this.next === this.chunk[2]) {
        if (this.upcoming === null)
          throw new Error('internal error: memory log out of step with the run');
        this.chunk = this.upcoming;
        this.upcoming = this.read();
        this.next = 0;
        continue;
      }
      const [addr, records, entries] = this.chunk;
      const take = Math.min(rows - row, entries - this.next);
      const before =
        addr !== this.previousAddr
          ? addr < NO_ACCESS_ADDR
            ? this.initialMemory[addr]
            : 0
          : this.previousValue;
      const ends =
        addr < NO_ACCESS_ADDR &&
        this.next + take === entries &&
        (this.upcoming === null || this.upcoming[0] !== addr)
          ? 1
          : 0;
      fill.records.set(records.subarray(2 * this.next, 2 * (this.next + take)));
      fill.run(
        fill.columns,
        fill.recordsAt,
        take,
        row,
        addr,
        this.previousAddr,
        this.previousStep,
        before,
        ends,
      );
      this.previousAddr = addr;
      this.previousStep = records[2 * (this.next + take - 1)];
      this.previousValue = (records[2 * (this.next + take - 1) + 1] << 16) >> 16;
      this.next += take;
      row += take;
    }
  }
}
