/** exportTrace: a program's run written as an Arrow witness, streaming, in bounded memory. */
import * as arrow from 'apache-arrow';
import { createRequire } from 'node:module';
import { closeSync, openSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { MAX_TRACE_FF_DIM, MAX_TRACE_INSTRUCTIONS, MAX_TRACE_ROWS } from '../../air/columns.js';
import { AIR_VERSION } from '../../air/definition.js';
import { compileProgram, type CompiledProgram } from '../../compiler/compile.js';
import { printProgram } from '../../isa/print.js';
import type { Program } from '../../isa/program.js';
import { AccessDigest, createAccessTap } from '../../runtime/access.js';
import { NativeMachine } from '../../runtime/native/interpreter.js';
import type { MachineSnapshot } from '../../runtime/state.js';
import { recordBatch, traceSchema } from './arrow-batch.js';
import { accessDivergence } from './batch-filler.js';
import {
  InlineBatches,
  WorkerBatches,
  type BatchSource,
  type FilledBatch,
} from './batch-sources.js';
import { TRACE_SCHEMA_VERSION } from '../format/layout.js';
import {
  claimOf,
  encodeMetadata,
  fieldsHolding,
  type SegmentPosition,
  type TraceMetadata,
} from '../format/metadata.js';
import { LogFiller } from './log-filler.js';
import { WitnessBuilder } from './witness.js';
import {
  arrowCompressionType,
  codecsLoaded,
  CompressingFileWriter,
  loadCodecs,
  withFrames,
  type BodyCodec,
  type Compression,
} from '../format/codecs.js';
import { bodyBuffers, Compressors, sharedCopy } from './compressors.js';
import { FileSink } from './sink.js';
import { AccessSpill } from './spill.js';
import { checkThreads } from './worker-thread.js';

// The export's public surface: what its callers (the CLI) catch and bound.
export { BatchMemoryError } from './fill-memory.js';
export { MAX_THREADS } from './worker-thread.js';

/** The package and its version, as trace files name their writer (package.json's, one copy). */
export const GENERATOR = `tvm-trace ${(createRequire(import.meta.url)('../../../package.json') as { version: string }).version}`;
export const DEFAULT_BATCH_ROWS = 65536;
/**
 * Pass-2 workers when not given, for runs of at least THREADS_FROM_ROWS steps on a machine of
 * several cores. With the compiled fill a worker pays from about 4M steps on 2 cores (A/B: 2M
 * 0.50 s with one against 0.41 s without, 3M even, 4M 0.79 s against 0.86 s, 5M 0.87 s
 * against 1.34 s).
 */
export const DEFAULT_THREADS = 1;
export const THREADS_FROM_ROWS = 4_000_000;
/** Most compression workers an export starts (one per core past the first). */
export const COMPRESS_THREADS = 4;

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
  /**
   * Worker threads for pass 2 (0: all in this thread). They share the batches with this
   * thread (WorkerBatches): each runs the FFN engine from the reference run's state at a
   * batch's start and builds its execution columns, while this thread fills the batches no
   * worker took, adds the log and writes. Default: DEFAULT_THREADS for runs of at least
   * THREADS_FROM_ROWS steps on a machine of several cores, else 0. The sync exportTrace always
   * uses 0. The bytes written are the same.
   */
  readonly threads?: number;
  /**
   * Arrow IPC body compression of every buffer: 'none' (default), 'lz4' (LZ4 frames) or 'zstd'.
   * The sync exportTrace needs loadCodecs() awaited first for 'lz4' and 'zstd'.
   */
  readonly compression?: Compression;
  /**
   * Called once the file is whole, before it is renamed onto the target: the CLI writes the
   * claim here, so both files appear or neither. When it throws, the temporary file is removed.
   */
  readonly beforeRename?: (metadata: TraceMetadata) => void;
  /**
   * Export one segment of the run instead of the whole: the steps from `initial` (a state the
   * run reaches at step index·rows) up to `rows` of them, never past maxSteps. The file records
   * its position (tvm.segment); its claim is the segment's final state.
   */
  readonly segment?: SegmentPosition;
}

/** Longest run a segmented export covers: its steps stay int32 with a segment's padding after them. */
export const MAX_SEGMENTED_STEPS = 2 ** 30;

export interface ExportResult {
  readonly rows: number;
  readonly bytes: number;
  readonly metadata: TraceMetadata;
}

/**
 * Execute `program` with the FFN engine and write its witness as an Arrow IPC file, in
 * bounded memory. The memory log must be sorted by (address, step) before the first batch
 * is written, so the program runs twice: pass 1, on the reference interpreter (fast), records
 * each step's memory access, bucketed by address (the buckets read in address order are the
 * sorted log), and the final state; pass 2 runs the FFN engine, records every vector and
 * writes each batch beside its slice of the log. Pass 2's accesses and final state must be
 * pass 1's (each batch's accesses by digest, a difference located by re-running the
 * interpreter over the batch): the trace is the FFN's.
 * The schema's metadata (claim, largest value, fields) goes in the footer at the end.
 * The file appears at `target` only when complete; a failure leaves nothing behind and never
 * touches an existing file.
 */
export function exportTrace(
  program: Program,
  target: string,
  options: ExportOptions,
): ExportResult {
  const steps = exportSteps(program, target, { ...options, threads: 0 });
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (next.value !== undefined)
      throw new Error('internal error: the in-thread export waited on a worker');
  }
}

/** Raised into an export that is stopped (e.g. on SIGINT); it cleans up and rethrows it. */
export class ExportInterrupted extends Error {}

/**
 * exportTrace that returns to the event loop after every batch, so a signal can stop it:
 * when `signal` aborts, the export removes its temporary file and rejects with
 * ExportInterrupted, leaving the target untouched.
 */
export async function exportTraceInterruptible(
  program: Program,
  target: string,
  options: ExportOptions,
  signal?: AbortSignal,
): Promise<ExportResult> {
  if ((options.compression ?? 'none') !== 'none') await loadCodecs();
  if (signal?.aborted) throw new ExportInterrupted('interrupted');
  const codec =
    options.compression === undefined || options.compression === 'none'
      ? null
      : options.compression;
  const compressors = codec === null ? null : compressorsFor(codec, options.threads);
  try {
    const steps = exportSteps(program, target, options, compressors);
    let next = steps.next();
    for (;;) {
      if (next.done) return next.value;
      // A batch from the worker; else a turn of the event loop, so a signal can get in. A
      // failure goes back into the export, which removes its temporary file and rethrows.
      let failure: { error: unknown } | null = null;
      try {
        await (next.value ?? new Promise((resolve) => setImmediate(resolve)));
      } catch (error) {
        failure = { error };
      }
      if (failure !== null) next = steps.throw(failure.error);
      else if (signal?.aborted) next = steps.throw(new ExportInterrupted('interrupted'));
      else next = steps.next();
    }
  } finally {
    compressors?.close();
  }
}

/**
 * Compression workers for an export (compressors.ts): every core but the one the main thread
 * uses, at most COMPRESS_THREADS; none with `threads` 0 (all in this thread) or on one core.
 */
function compressorsFor(codec: BodyCodec, threads: number | undefined): Compressors | null {
  const count = threads === 0 ? 0 : Math.min(COMPRESS_THREADS, availableParallelism() - 1);
  return count > 0 ? new Compressors(codec, count) : null;
}

/** The export, one yield per batch of either pass: a promise when waiting on the worker. */
function* exportSteps(
  program: Program,
  target: string,
  options: ExportOptions,
  compressors: Compressors | null = null,
): Generator<Promise<void> | undefined, ExportResult> {
  const { maxSteps, progress, segment } = options;
  const stepLimit = segment === undefined ? MAX_TRACE_ROWS : MAX_SEGMENTED_STEPS;
  if (!Number.isSafeInteger(maxSteps) || maxSteps < 1 || maxSteps > stepLimit)
    throw new RangeError(
      segment === undefined
        ? `max-steps must be in 1..${MAX_TRACE_ROWS} for a trace (the AIR's log gap bound)`
        : `max-steps must be in 1..${MAX_SEGMENTED_STEPS} for a segmented run`,
    );
  if (segment !== undefined) checkSegment(segment, maxSteps);
  // The run's window: the whole run, or one segment's steps.
  const stopAt =
    segment === undefined ? maxSteps : Math.min(maxSteps, segment.initial.steps + segment.rows);
  const batchRows = options.batchRows ?? DEFAULT_BATCH_ROWS;
  const compiled = compileProgram(program);
  const ffDim = options.ffDim ?? Math.max(1, compiled.minFfDim);
  if (!Number.isInteger(ffDim) || ffDim < Math.max(1, compiled.minFfDim))
    throw new RangeError(
      `ff-dim ${ffDim} is narrower than the widest instruction (${compiled.minFfDim} units)`,
    );
  if (ffDim > MAX_TRACE_FF_DIM)
    throw new RangeError(`ff-dim ${ffDim} is over the trace limit ${MAX_TRACE_FF_DIM}`);
  if (program.instructions.length > MAX_TRACE_INSTRUCTIONS)
    throw new RangeError(
      `a trace holds programs of at most ${MAX_TRACE_INSTRUCTIONS} instructions`,
    );
  checkThreads(options.threads);
  const compression = options.compression ?? 'none';
  const compressionType = arrowCompressionType(compression);
  if (compressionType !== null && !codecsLoaded())
    throw new Error('internal error: exporting compressed needs loadCodecs() awaited first');
  const dims = { ffDim, instructions: program.instructions.length };
  const directory = dirname(target);
  const spill = new AccessSpill(directory);
  const temp = `${target}.${process.pid}.partial`;
  let fd: number | null = null;
  let source: BatchSource | null = null;
  try {
    // Pass 1: the reference interpreter records each step's memory access, bucketed by
    // address (the buckets read in address order are the sorted log), and its state at
    // every batch boundary, from which pass 2 may start each batch.
    const scout = new NativeMachine(program);
    if (segment !== undefined) scout.resume(segment.initial);
    const first = scout.steps;
    const accesses = createAccessTap(batchRows);
    const boundaries: MachineSnapshot[] = [scout.snapshot()];
    /** Per batch, the digest of its memory accesses in this run (pass 2's must match). */
    const accessDigests: string[] = [];
    // Workers (when they pay: long runs, several cores) start as soon as the run is known to
    // be long, so their start-up overlaps the rest of pass 1, and each batch is handed to
    // them once pass 1 has run it (its start state is known).
    const cores = availableParallelism();
    const workersFor = (steps: number) =>
      options.threads ?? (steps >= THREADS_FROM_ROWS && cores > 1 ? DEFAULT_THREADS : 0);
    let workers: WorkerBatches | null = null;
    let scheduled = 0;
    while (scout.steps < stopAt && !scout.stopped) {
      accesses.row = 0;
      const ran = scout.advance(stopAt - scout.steps, accesses);
      if (ran === 0) break;
      spill.pushTap(accesses, scout.steps - ran);
      const digest = new AccessDigest();
      digest.addTap(accesses);
      accessDigests.push(digest.value);
      boundaries.push(scout.snapshot());
      if (workers === null && workersFor(scout.steps - first) > 0)
        source = workers = new WorkerBatches(
          compiled,
          dims,
          batchRows,
          stopAt,
          workersFor(scout.steps - first),
        );
      for (; workers !== null && scheduled < boundaries.length - 1; scheduled++)
        workers.schedule(scheduled, boundaries[scheduled]);
      progress?.update('run', scout.steps, null);
      yield;
    }
    const final = scout.snapshot();
    const rows = final.steps - first;
    source = workers ?? new InlineBatches(compiled, dims, batchRows, stopAt);
    for (; scheduled * batchRows < rows; scheduled++)
      source.schedule(scheduled, boundaries[scheduled]);

    // Pass 2: the FFN engine's run, every vector; each batch is written beside its slice of
    // the sorted log. Each batch's accesses must be the reference's (their digests equal) and
    // it must end in the reference's state: else the log and the claim would not be its own.
    // The schema's metadata (the claim, the largest value, the fields) is only written in the
    // footer, at the end: apache-arrow's file writer puts no schema message before the batches.
    const schema = traceSchema(dims, new Map());
    fd = openSync(temp, 'w');
    const sink = new FileSink(fd);
    const writer =
      compressionType === null
        ? new arrow.RecordBatchFileWriter()
        : new CompressingFileWriter(compressionType);
    writer.reset(sink, schema);
    const log = new LogFiller(
      dims,
      source.memories,
      spill,
      segment === undefined ? program.initialMemory : segment.initial.memory,
    );
    // max(2^15, largest |cell| of the int32 columns: hidden, output, step, log_step); int16 and
    // bool columns stay within 2^15.
    let maxAbs = Math.max(2 ** 15, final.steps - 1);
    // With compression workers: batches copied and on their way to a worker, oldest first.
    const compressing: {
      batch: arrow.RecordBatch;
      inputs: Uint8Array[];
      frames: Promise<Uint8Array[]>;
    }[] = [];
    const codec = compression === 'none' ? null : compression;
    const pool: SharedArrayBuffer[] = [];
    function* writeOldest(): Generator<Promise<void>, void> {
      const oldest = compressing.shift()!;
      let frames: Uint8Array[] = [];
      yield oldest.frames.then((made) => void (frames = made));
      withFrames(codec!, oldest.inputs, frames, () => writer.write(oldest.batch));
      pool.push(oldest.inputs[0].buffer as SharedArrayBuffer);
    }
    for (let index = 0, written = 0; written < rows; index++) {
      let batch = source.next(index);
      if (batch instanceof Promise) {
        let ready: FilledBatch | undefined;
        yield batch.then((filled) => void (ready = filled));
        batch = ready!;
      }
      if (batch.rows !== Math.min(batchRows, rows - written))
        throw new Error(
          `internal error: the FFN run of batch ${index} has ${batch.rows} rows, the reference run ${Math.min(batchRows, rows - written)}`,
        );
      const expected = boundaries[index + 1];
      if (JSON.stringify(batch.state) !== JSON.stringify(expected))
        throw new Error(
          `internal error: the FFN run ends batch ${index} in ${JSON.stringify(batch.state)}, the reference run in ${JSON.stringify(expected)}`,
        );
      if (batch.accesses !== accessDigests[index])
        throw accessDivergence(program, batch.buffers, batch.rows, boundaries[index]);
      log.fill(batch.buffers, batch.rows);
      if (written + batch.rows === rows) WitnessBuilder.markLastStep(batch.buffers, batch.rows - 1);
      if (compressors === null) {
        writer.write(recordBatch(batch.buffers, schema, batch.rows));
      } else {
        const copy = sharedCopy(batch.buffers, batch.rows, pool);
        const inputs = bodyBuffers(copy);
        compressing.push({
          batch: recordBatch(copy, schema, batch.rows),
          inputs,
          frames: compressors.compress(inputs),
        });
      }
      if (batch.maxAbs > maxAbs) maxAbs = batch.maxAbs;
      // The sink has written the batch's bytes (or they were copied), so its buffers can be refilled.
      source.release(batch);
      written += batch.rows;
      progress?.update('write', written, rows);
      while (compressors !== null && compressing.length > (written < rows ? compressors.depth : 0))
        yield* writeOldest();
      yield;
    }
    const metadata = traceMetadata(program, compiled, { maxSteps, ffDim, final, maxAbs, segment });
    for (const [key, value] of encodeMetadata(metadata)) schema.metadata.set(key, value);
    writer.finish();
    sink.flush();
    // No fsync: the rename already makes the file appear whole or not at all to other
    // processes, and forcing gigabytes to disk would dominate the export time.
    closeSync(fd);
    fd = null;
    options.beforeRename?.(metadata);
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
    source?.close();
  }
}

/** The metadata of a trace of `program`'s run ending in `final` (one definition, for export and its tests). */
export function traceMetadata(
  program: Program,
  compiled: CompiledProgram,
  run: {
    maxSteps: number;
    ffDim: number;
    final: MachineSnapshot;
    maxAbs: number;
    segment?: SegmentPosition;
  },
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
    ...(run.segment === undefined ? {} : { segment: run.segment }),
  };
}

/** A segment to export: a power of two of rows, starting at its place in the run in a resumable state. */
function checkSegment(segment: SegmentPosition, maxSteps: number): void {
  const { index, rows, initial } = segment;
  if (!Number.isSafeInteger(rows) || rows < 1 || rows > MAX_TRACE_ROWS || (rows & (rows - 1)) !== 0)
    throw new RangeError(
      `segment-rows ${rows} must be a power of two in 1..${MAX_TRACE_ROWS} (the AIR's log gap bound)`,
    );
  if (initial.steps !== index * rows)
    throw new RangeError(
      `segment ${index} of ${rows} rows starts at step ${index * rows}, not ${initial.steps}`,
    );
  if (initial.steps >= maxSteps) throw new RangeError(`segment ${index} starts past max-steps`);
  if (initial.halted || initial.fault !== null)
    throw new RangeError(`segment ${index} starts in a stopped machine`);
}
