import * as arrow from 'apache-arrow';
import { closeSync, openSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { MAX_TRACE_FF_DIM, MAX_TRACE_INSTRUCTIONS, MAX_TRACE_ROWS } from '../air/columns.js';
import { AIR_VERSION } from '../air/definition.js';
import { compileProgram, type CompiledProgram } from '../compiler/compile.js';
import { controlTable } from '../compiler/control-table.js';
import { printProgram } from '../isa/print.js';
import type { Program } from '../isa/program.js';
import { AccessKind, createAccessTap, type AccessTap } from '../runtime/access.js';
import { NativeMachine } from '../runtime/native/interpreter.js';
import type { MachineSnapshot } from '../runtime/state.js';
import type { ExportWorkerData, FillReply, FillRequest } from './export-worker.js';
import { recordBatch, traceSchema } from './arrow-batch.js';
import { TraceBuffers, TRACE_SCHEMA_VERSION, type TraceDims } from './layout.js';
import { claimOf, encodeMetadata, fieldsHolding, type TraceMetadata } from './metadata.js';
import { BatchFiller } from './batch-filler.js';
import { FileSink } from './sink.js';
import { AccessSpill } from './spill.js';
import { WitnessBuilder } from './witness.js';
import { siblingModule, startModuleWorker } from './worker-thread.js';

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
  /**
   * Worker threads for pass 2 (0: all in this thread; at most one is used). The worker runs
   * the FFN engine and builds the execution columns while this thread adds the log and
   * writes. Default: 1 when max-steps allows more than one batch and the machine has more
   * than one core. The sync exportTrace always uses 0. The bytes written are the same.
   */
  readonly threads?: number;
}

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
 * pass 1's (checked row by row against a lockstep reference run): the trace is the FFN's.
 * The schema's metadata (claim, largest value, fields) goes in the footer at the end.
 * The file appears at `target` only when complete; a failure leaves nothing behind and never
 * touches an existing file.
 */
export function exportTrace(program: Program, target: string, options: ExportOptions): ExportResult {
  const steps = exportSteps(program, target, { ...options, threads: 0 });
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (next.value !== undefined) throw new Error('internal error: the in-thread export waited on a worker');
  }
}

/** Raised into an export that is stopped (e.g. on SIGINT); it cleans up and rethrows it. */
export class ExportInterrupted extends Error {}

/**
 * exportTrace that returns to the event loop after every batch, so a signal can stop it:
 * when `signal` aborts, the export removes its temporary file and rejects with
 * ExportInterrupted, leaving the target untouched.
 */
export async function exportTraceInterruptible(program: Program, target: string, options: ExportOptions, signal?: AbortSignal): Promise<ExportResult> {
  const steps = exportSteps(program, target, options);
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
}

/** The export, one yield per batch of either pass: a promise when waiting on the worker. */
function* exportSteps(program: Program, target: string, options: ExportOptions): Generator<Promise<void> | undefined, ExportResult> {
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
  let source: BatchSource | null = null;
  try {
    // Pass 2's source starts first: a worker fills its first batches while pass 1 runs here.
    const threads = options.threads ?? (maxSteps > batchRows && availableParallelism() > 1 ? 1 : 0);
    source = threads > 0 ? new WorkerBatches(program, dims, batchRows, maxSteps) : new InlineBatches(compiled, dims, batchRows, maxSteps);
    // Pass 1: the reference interpreter records each step's memory access, bucketed by
    // address (the buckets read in address order are the sorted log), and the final state.
    const scout = new NativeMachine(program);
    const accesses = createAccessTap(batchRows);
    while (scout.steps < maxSteps && !scout.stopped) {
      accesses.row = 0;
      const base = scout.steps;
      const ran = scout.advance(maxSteps - scout.steps, accesses);
      if (ran === 0) break;
      for (let r = 0; r < ran; r++) spill.push(accesses.addr[r], base + r, accesses.value[r], accesses.kind[r]);
      progress?.update('run', scout.steps, null);
      yield;
    }
    const final = scout.snapshot();
    const rows = final.steps;

    // Pass 2: the FFN engine's run, every vector; each batch is written beside its slice of
    // the sorted log. Its accesses must be the reference's, row by row (a lockstep re-run of
    // the interpreter), and its final state the claim: else the log would not be its own.
    const witness = new WitnessBuilder(table, dims.instructions);
    const reference = new NativeMachine(program);
    // The schema's metadata (the claim, the largest value, the fields) is only written in the
    // footer, at the end: apache-arrow's file writer puts no schema message before the batches.
    const schema = traceSchema(dims, new Map());
    fd = openSync(temp, 'w');
    const sink = new FileSink(fd);
    const writer = new arrow.RecordBatchFileWriter();
    writer.reset(sink, schema);
    const log = spill.sorted(batchRows);
    // max(2^15, largest |cell| of the int32 columns: hidden, output, step, log_step); int16 and
    // bool columns stay within 2^15.
    let maxAbs = Math.max(2 ** 15, rows - 1);
    let state: MachineSnapshot | null = null;
    for (let written = 0; written < rows; ) {
      let batch = source.next();
      if (batch instanceof Promise) {
        let ready: FilledBatch | undefined;
        yield batch.then((filled) => void (ready = filled));
        batch = ready!;
      }
      if (batch.rows !== Math.min(batchRows, rows - written)) throw new Error('internal error: the FFN run stopped before the reference run');
      accesses.row = 0;
      reference.advance(batch.rows, accesses);
      sameAccesses(batch.buffers, accesses, batch.rows, written);
      const slice = log.next();
      if (slice.done || slice.value.length !== batch.rows) throw new Error('internal error: memory log out of step with the run');
      witness.fillLog(batch.buffers, slice.value);
      writer.write(recordBatch(batch.buffers, schema, batch.rows));
      if (batch.maxAbs > maxAbs) maxAbs = batch.maxAbs;
      state = batch.state;
      // The sink has written the batch's bytes, so its buffers can be refilled.
      source.release(batch.buffers);
      written += batch.rows;
      progress?.update('write', written, rows);
      yield;
    }
    if (state !== null && JSON.stringify(state) !== JSON.stringify(final))
      throw new Error(`internal error: the FFN run ends in ${JSON.stringify(state)}, the reference run in ${JSON.stringify(final)}`);
    const metadata = traceMetadata(program, compiled, { maxSteps, ffDim, final, maxAbs });
    for (const [key, value] of encodeMetadata(metadata)) schema.metadata.set(key, value);
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
    source?.close();
  }
}

/** A batch of pass 2 with its execution-side columns filled (log columns still clear). */
interface FilledBatch {
  readonly buffers: TraceBuffers;
  readonly rows: number;
  /** Largest |hidden| or |output| of its rows (0 when none). */
  readonly maxAbs: number;
  /** The FFN machine's state after its last row. */
  readonly state: MachineSnapshot;
}

/** Throws unless rows [0, rows) of the access columns are the reference interpreter's accesses. */
function sameAccesses(buffers: TraceBuffers, reference: AccessTap, rows: number, firstStep: number): void {
  const addr = buffers.column('access_addr');
  const value = buffers.column('access_value');
  const read = buffers.column('access_read');
  const write = buffers.column('access_write');
  for (let r = 0; r < rows; r++) {
    const bit = 1 << (r & 7);
    const kind = (read[r >> 3] & bit) !== 0 ? AccessKind.READ : (write[r >> 3] & bit) !== 0 ? AccessKind.WRITE : AccessKind.NONE;
    if (addr[r] !== reference.addr[r] || value[r] !== reference.value[r] || kind !== reference.kind[r])
      throw new Error(
        `internal error: at step ${firstStep + r} the FFN engine's memory access (address ${addr[r]}, value ${value[r]}, kind ${kind}) differs from the reference interpreter's (address ${reference.addr[r]}, value ${reference.value[r]}, kind ${reference.kind[r]})`,
      );
  }
}

/** Where pass 2's batches come from, in order: this thread, or a worker. */
interface BatchSource {
  next(): FilledBatch | Promise<FilledBatch>;
  /** The caller is done with these buffers (written out): they may be refilled. */
  release(buffers: TraceBuffers): void;
  close(): void;
}

/** Pass 2 in this thread, into one reused set of buffers. */
class InlineBatches implements BatchSource {
  private readonly filler: BatchFiller;
  private readonly buffers: TraceBuffers;

  constructor(compiled: CompiledProgram, dims: TraceDims, batchRows: number, maxSteps: number) {
    this.filler = new BatchFiller(compiled, dims, batchRows, maxSteps);
    this.buffers = new TraceBuffers(dims, batchRows);
  }

  next(): FilledBatch {
    return { buffers: this.buffers, ...this.filler.fill(this.buffers) };
  }

  release(): void {}
  close(): void {}
}

/**
 * Buffer sets lent to the worker: while pass 1 runs here, it fills this many batches ahead
 * (about 7.6 MB each at 65,536 rows of the long loop); then one is written while it fills the rest.
 */
const WORKER_BUFFER_SETS = 3;

/** Pass 2 on a worker thread (export-worker.ts), up to WORKER_BUFFER_SETS batches ahead. */
class WorkerBatches implements BatchSource {
  private readonly worker: Worker;
  private readonly waiting: Array<{ resolve(batch: FilledBatch): void; reject(error: Error): void }> = [];
  private readonly ready: Array<FilledBatch | Error> = [];
  private failure: Error | null = null;

  constructor(program: Program, dims: TraceDims, batchRows: number, maxSteps: number) {
    this.worker = startModuleWorker(siblingModule(import.meta.url, 'export-worker'), { program, ffDim: dims.ffDim, batchRows, maxSteps } satisfies ExportWorkerData);
    this.worker.on('message', (reply: FillReply) =>
      this.settle('error' in reply ? new Error(`export worker: ${reply.error}`) : { buffers: TraceBuffers.wrap(dims, batchRows, reply.data), rows: reply.rows, maxAbs: reply.maxAbs, state: reply.state }),
    );
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`export worker exited (${code})`)));
    for (let i = 0; i < WORKER_BUFFER_SETS; i++) this.release(new TraceBuffers(dims, batchRows));
  }

  next(): Promise<FilledBatch> {
    const done = this.ready.shift();
    if (done instanceof Error) return Promise.reject(done);
    if (done !== undefined) return Promise.resolve(done);
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  release(buffers: TraceBuffers): void {
    if (this.failure !== null) return;
    this.worker.postMessage({ data: buffers.data } satisfies FillRequest, buffers.data.map((array) => array.buffer as ArrayBuffer));
  }

  close(): void {
    this.failure ??= new Error('export worker closed');
    this.worker.removeAllListeners('exit');
    void this.worker.terminate();
  }

  private settle(result: FilledBatch | Error): void {
    const waiter = this.waiting.shift();
    if (waiter === undefined) this.ready.push(result);
    else if (result instanceof Error) waiter.reject(result);
    else waiter.resolve(result);
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
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
