import * as arrow from 'apache-arrow';
import { closeSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { MAX_TRACE_FF_DIM, MAX_TRACE_INSTRUCTIONS, MAX_TRACE_ROWS } from '../air/columns.js';
import { AIR_VERSION } from '../air/definition.js';
import { compileProgram, type CompiledProgram } from '../compiler/compile.js';
import { controlTable } from '../compiler/control-table.js';
import { printProgram } from '../isa/print.js';
import type { Program } from '../isa/program.js';
import { createAccessTap, createTap, FfnMachine } from '../runtime/ffn/engine.js';
import type { MachineSnapshot } from '../runtime/state.js';
import { TraceBuffers, traceSchema, TRACE_SCHEMA_VERSION } from './layout.js';
import { claimOf, encodeMetadata, fieldsHolding, type TraceMetadata } from './metadata.js';
import { FileSink } from './sink.js';
import { AccessSpill } from './spill.js';
import { WitnessBuilder } from './witness.js';

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
 * Execute `program` with the FFN engine and write its witness as an Arrow IPC file, in
 * bounded memory. The memory log must be sorted by (address, step) before the first batch
 * is written, so the program runs twice: pass 1 records only each step's memory access,
 * bucketed by address in a scratch file (the buckets read in address order are the sorted
 * log); pass 2 records every vector and writes each batch beside its slice of the log.
 * The file appears at `target` only when complete; a failure leaves nothing behind and never
 * touches an existing file.
 */
export function exportTrace(program: Program, target: string, options: ExportOptions): ExportResult {
  const steps = exportSteps(program, target, options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Raised into an export that is stopped (e.g. on SIGINT); it cleans up and rethrows it. */
export class ExportInterrupted extends Error {}

/**
 * exportTrace that returns to the event loop after every batch, so a signal can stop it:
 * when `signal` aborts, the export removes its temporary file and rejects with
 * ExportInterrupted, leaving the target untouched.
 */
export async function exportTraceInterruptible(program: Program, target: string, options: ExportOptions, signal: AbortSignal): Promise<ExportResult> {
  const steps = exportSteps(program, target, options);
  for (;;) {
    const next = signal.aborted ? steps.throw(new ExportInterrupted('interrupted')) : steps.next();
    if (next.done) return next.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** The export, one yield per batch of either pass. */
function* exportSteps(program: Program, target: string, options: ExportOptions): Generator<void, ExportResult> {
  const { maxSteps, progress } = options;
  if (!Number.isSafeInteger(maxSteps) || maxSteps < 1 || maxSteps > MAX_TRACE_ROWS)
    throw new RangeError(`max-steps must be in 1..${MAX_TRACE_ROWS} for a trace (the AIR's log gap bound)`);
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const compiled = compileProgram(program);
  const ffDim = options.ffDim ?? Math.max(1, compiled.minFfDim);
  if (!Number.isInteger(ffDim) || ffDim < Math.max(1, compiled.minFfDim))
    throw new RangeError(`ff-dim ${ffDim} is narrower than the widest instruction (${compiled.minFfDim} units)`);
  if (ffDim > MAX_TRACE_FF_DIM) throw new RangeError(`ff-dim ${ffDim} is over the trace limit ${MAX_TRACE_FF_DIM}`);
  if (program.instructions.length > MAX_TRACE_INSTRUCTIONS) throw new RangeError(`a trace holds programs of at most ${MAX_TRACE_INSTRUCTIONS} instructions`);
  const table = controlTable(compiled);
  const dims = { ffDim, instructions: program.instructions.length };
  const directory = dirname(target);
  const spill = new AccessSpill(directory);
  const temp = `${target}.${process.pid}.partial`;
  let fd: number | null = null;
  try {
    // Pass 1: run without vectors, bucketing each step's memory access by address.
    const scout = new FfnMachine(compiled);
    const accesses = createAccessTap(batchRows);
    while (scout.steps < maxSteps && !scout.stopped) {
      accesses.row = 0;
      const base = scout.steps;
      const ran = scout.advance(maxSteps - scout.steps, undefined, accesses);
      if (ran === 0) break;
      for (let r = 0; r < ran; r++) spill.push(accesses.addr[r], base + r, accesses.value[r], accesses.kind[r]);
      progress?.update('run', scout.steps, null);
      yield;
    }
    const final = scout.snapshot();
    const rows = final.steps;

    // Pass 2: run again with every vector; write each batch beside its slice of the sorted log.
    const machine = new FfnMachine(compiled);
    const tap = createTap(ffDim, batchRows);
    const buffers = new TraceBuffers(dims, batchRows, { hidden: tap.hidden, output: tap.output });
    const witness = new WitnessBuilder(table, dims.instructions);
    // max(2^15, largest |cell| of the int32 columns: hidden, output, step, log_step); int16 and
    // bool columns stay within 2^15. Pass 1 measured it, so it can go in the schema's metadata.
    const maxAbs = Math.max(2 ** 15, rows - 1, accesses.maxAbs);
    const metadata = traceMetadata(program, compiled, { maxSteps, ffDim, final, maxAbs });
    const schema = traceSchema(dims, encodeMetadata(metadata));
    fd = openSync(temp, 'w');
    const sink = new FileSink(fd);
    const writer = new arrow.RecordBatchFileWriter();
    writer.reset(sink, schema);
    const log = spill.sorted(batchRows);
    while (machine.steps < rows) {
      tap.row = 0;
      const base = machine.steps;
      const ran = machine.advance(rows - machine.steps, tap);
      if (ran === 0) throw new Error('internal error: the second run stopped early');
      buffers.clearBitmaps();
      witness.fillExecution(buffers, tap, ran, base);
      const slice = log.next();
      if (slice.done || slice.value.length !== ran) throw new Error('internal error: memory log out of step with the run');
      witness.fillLog(buffers, slice.value);
      writer.write(buffers.recordBatch(schema, ran));
      progress?.update('write', machine.steps, rows);
      yield;
    }
    writer.finish();
    sink.flush();
    // No fsync: the rename already makes the file appear whole or not at all to other
    // processes, and forcing gigabytes to disk would dominate the export time.
    closeSync(fd);
    fd = null;
    renameSync(temp, target);
    return { rows, bytes: sink.bytesWritten, metadata };
  } catch (error) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        /* already closed */
      }
    }
    rmSync(temp, { force: true });
    throw error;
  } finally {
    spill.dispose();
  }
}

/** The metadata of a trace of `program`'s run ending in `final` (one definition, for export and its tests). */
export function traceMetadata(
  program: Program,
  compiled: CompiledProgram,
  run: { maxSteps: number; ffDim: number; final: MachineSnapshot; maxAbs: number },
): TraceMetadata {
  return {
    schema: TRACE_SCHEMA_VERSION,
    air: AIR_VERSION,
    program: printProgram(program),
    memorySize: program.memorySize,
    initialMemory: [...program.initialMemory],
    maxSteps: run.maxSteps,
    ffDim: run.ffDim,
    instructions: program.instructions.length,
    weightsSha256: compiled.digest,
    claim: claimOf(run.final),
    fields: fieldsHolding(run.maxAbs),
    maxAbsValue: run.maxAbs,
    generator: GENERATOR,
  };
}
