import * as arrow from 'apache-arrow';
import { closeSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { MAX_TRACE_ROWS } from '../air/columns.js';
import { AIR_VERSION } from '../air/definition.js';
import { compileProgram } from '../compiler/compile.js';
import { printProgram } from '../isa/print.js';
import type { Program } from '../isa/program.js';
import { createTap, FfnMachine } from '../runtime/ffn/engine.js';
import { OUTPUT_DIM } from '../compiler/layout.js';
import { TraceBuffers, traceSchema, TRACE_SCHEMA_VERSION } from './layout.js';
import { claimOf, encodeMetadata, fieldsHolding, type TraceMetadata } from './metadata.js';
import { FileSink } from './sink.js';
import { AccessSpill } from './spill.js';
import { accessOf, instructionTable, WitnessBuilder } from './witness.js';

export const GENERATOR = 'tvm-trace 0.1.0';
export const DEFAULT_BATCH_ROWS = 65536;

export interface ExportProgress {
  /** Called with (phase, steps done, total or null when unknown). */
  update(phase: 'run' | 'write', done: number, total: number | null): void;
}

export interface ExportOptions {
  readonly maxSteps: number;
  readonly batchRows?: number;
  /** Hidden units per row; default: the widest instruction of the program (at least 1). */
  readonly ffDim?: number;
  readonly progress?: ExportProgress;
}

export interface ExportResult {
  readonly rows: number;
  readonly bytes: number;
  readonly metadata: TraceMetadata;
}

/**
 * Execute `program` with the FFN engine and write its witness as an Arrow IPC file.
 * Two passes over the run keep memory bounded: the first spills every memory access into
 * per-address buckets (the sorted log), the second rebuilds each step's vectors and writes
 * execution and log columns batch by batch. The file appears at `target` only when complete.
 */
export function exportTrace(program: Program, target: string, options: ExportOptions): ExportResult {
  const { maxSteps, progress } = options;
  if (!Number.isSafeInteger(maxSteps) || maxSteps < 1 || maxSteps > MAX_TRACE_ROWS)
    throw new RangeError(`max-steps must be in 1..${MAX_TRACE_ROWS} for a trace (the AIR's log gap bound)`);
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const compiled = compileProgram(program);
  const ffDim = options.ffDim ?? Math.max(1, compiled.minFfDim);
  if (!Number.isInteger(ffDim) || ffDim < Math.max(1, compiled.minFfDim))
    throw new RangeError(`ff-dim ${ffDim} is narrower than the widest instruction (${compiled.minFfDim} units)`);
  const table = instructionTable(compiled);
  const dims = { ffDim, instructions: program.instructions.length };

  // Pass 1: run, spilling accesses into the per-address log buckets.
  const spill = new AccessSpill(dirname(target));
  try {
    const first = new FfnMachine(compiled);
    const tap = createTap(ffDim, batchRows);
    const access = new Int32Array(3);
    // Largest |cell| of the trace: hidden products and outputs bound every other column.
    let maxAbs = 2 ** 15;
    while (first.steps < maxSteps && !first.stopped) {
      tap.row = 0;
      const base = first.steps;
      const ran = first.advance(maxSteps - first.steps, tap);
      for (let r = 0; r < ran; r++) {
        accessOf(tap, r, table, access);
        spill.push(access[0], base + r, access[1], access[2]);
      }
      maxAbs = Math.max(maxAbs, largestMagnitude(tap.hidden, ran * ffDim), largestMagnitude(tap.output, ran * OUTPUT_DIM));
      progress?.update('run', first.steps, null);
      if (ran === 0) break;
    }
    const final = first.snapshot();
    const rows = final.steps;

    // Pass 2: run again, writing execution columns beside the sorted log.
    const temp = `${target}.${process.pid}.partial`;
    const fd = openSync(temp, 'w');
    try {
      const second = new FfnMachine(compiled);
      const tap2 = createTap(ffDim, batchRows);
      const buffers = new TraceBuffers(dims, batchRows, { hidden: tap2.hidden, output: tap2.output });
      const witness = new WitnessBuilder(table, dims.instructions);
      const log = spill.sorted(batchRows);
      const batches: Array<{ rows: number }> = [];
      const metadata: TraceMetadata = {
        schema: TRACE_SCHEMA_VERSION,
        air: AIR_VERSION,
        program: printProgram(program),
        memorySize: program.memorySize,
        initialMemory: [...program.initialMemory],
        maxSteps,
        ffDim,
        instructions: dims.instructions,
        weightsSha256: compiled.digest,
        claim: claimOf(final),
        fields: fieldsHolding(maxAbs),
        maxAbsValue: maxAbs,
        generator: GENERATOR,
      };
      const schema = traceSchema(dims, encodeMetadata(metadata));
      const sink = new FileSink(fd);
      const writer = new arrow.RecordBatchFileWriter();
      writer.reset(sink, schema);
      while (second.steps < rows) {
        tap2.row = 0;
        const base = second.steps;
        const ran = second.advance(rows - second.steps, tap2);
        if (ran === 0) throw new Error('internal error: second pass stopped early');
        buffers.clearBitmaps();
        witness.fillExecution(buffers, tap2, ran, base);
        const slice = log.next();
        if (slice.done || slice.value.length !== ran) throw new Error('internal error: memory log out of step with the run');
        witness.fillLog(buffers, slice.value);
        writer.write(buffers.recordBatch(schema, ran));
        batches.push({ rows: ran });
        progress?.update('write', second.steps, rows);
      }
      writer.finish();
      sink.flush();
      // No fsync: the rename already makes the file appear whole or not at all to other
      // processes, and forcing gigabytes to disk would dominate the export time.
      closeSync(fd);
      renameSync(temp, target);
      return { rows, bytes: sink.bytesWritten, metadata };
    } catch (error) {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
      rmSync(temp, { force: true });
      throw error;
    }
  } finally {
    spill.dispose();
  }
}

function largestMagnitude(values: Int32Array, count: number): number {
  let max = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i] < 0 ? -values[i] : values[i];
    if (v > max) max = v;
  }
  return max;
}
