/** checkTrace: a trace file checked against its recompiled program, every constraint, argument and obligation. */
import { readFileSync } from 'node:fs';
import { columnIndex } from '../air/columns.js';
import { compileProgram, type CompiledProgram } from '../compiler/compile.js';
import { AssemblyError, assemble } from '../isa/assemble.js';
import { formatInstruction, printProgram } from '../isa/print.js';
import { programsEqual, type Program } from '../isa/program.js';
import {
  encodeMetadata,
  fieldIsSound,
  FIELDS,
  fieldsHolding,
  metadataDigest,
  MetaKey,
  TVM_NAMESPACE,
  type FieldName,
  type TraceMetadata,
} from '../trace/format/metadata.js';
import type { ColumnSlot } from '../trace/format/layout.js';
import { openTrace, readCell, type TraceBatch } from '../trace/read/reader.js';
import { cellValue, joinRows } from './cells.js';
import { claimEndingFailures, claimRangeFailures, segmentBoundaryFailures } from './claim.js';
import { compileRowSet, residualBig, type CompiledRowSet } from './row-codegen.js';
import { Expander, type AirDocument, type Instance } from './expand.js';
import { MemoryArguments } from './memory.js';
import { WasmScanner } from './row-scanner.js';
import { programTables, runBoundaries } from './tables.js';

export type CheckField = FieldName | 'int';

export interface CheckOptions {
  /** A program the trace must have been made from (must match the embedded one). */
  readonly program?: Program;
  /** `int`: every constraint over the integers (so in every field); else modulo that field's prime. */
  readonly field?: CheckField;
  readonly maxFailures?: number;
  /** Called once per record batch, for progress display and the tensor replay. */
  readonly onBatch?: (batch: TraceBatch, context: BatchContext) => Promise<void> | void;
}

export interface BatchContext {
  readonly compiled: CompiledProgram;
  readonly metadata: TraceMetadata;
  readonly slots: readonly ColumnSlot[];
}

/** One violated constraint or argument, located as precisely as the trace allows. */
export interface Failure {
  readonly constraint: string;
  readonly row: number | null;
  readonly step: number | null;
  readonly pc: number | null;
  readonly instruction: string | null;
  readonly expected: string | null;
  readonly actual: string | null;
  /** What `row` counts: a row, a row and the next (a transition), a row of the sorted log; null without a row. */
  readonly location: 'row' | 'row_pair' | 'log_row' | null;
  /** What is wrong, without where (format.ts renders the location from the fields). */
  readonly message: string;
}

export interface CheckReport {
  readonly ok: boolean;
  readonly rows: number;
  readonly field: CheckField;
  readonly constraintsPerRow: number;
  readonly failureCount: number;
  readonly failures: Failure[];
  readonly metadata: TraceMetadata;
}

let cachedAir: AirDocument | undefined;

/** Failures counted in full (each violated constraint); beyond this, failing rows count once. */
const DETAILED_FAILURES = 10_000;

/** The AIR the checker evaluates: schemas/air-v2.json, and nothing else. */
export function loadAir(): AirDocument {
  cachedAir ??= JSON.parse(
    readFileSync(new URL('../../schemas/air-v2.json', import.meta.url), 'utf8'),
  ) as AirDocument;
  return cachedAir;
}

class FailureLog {
  readonly list: Failure[] = [];
  count = 0;
  constructor(private readonly max: number) {}
  add(failure: Failure): void {
    this.count++;
    if (this.list.length < this.max) this.list.push(failure);
  }
  get full(): boolean {
    return this.list.length >= this.max;
  }
}

const general = (
  constraint: string,
  message: string,
  expected: string | null = null,
  actual: string | null = null,
): Failure => ({
  constraint,
  row: null,
  step: null,
  pc: null,
  instruction: null,
  expected,
  actual,
  location: null,
  message,
});

/**
 * Re-verify a trace file: recompile its program, compare the weights digest, evaluate every
 * constraint of the AIR on every row, check the memory arguments and the claim. Streams
 * record batches. Throws TraceFormatError when the file is not a readable v1 trace.
 */
export async function checkTrace(path: string, options: CheckOptions = {}): Promise<CheckReport> {
  const field = options.field ?? 'int';
  const failures = new FailureLog(options.maxFailures ?? 10);
  const trace = await openTrace(path, { readAhead: true });
  const meta = trace.metadata;
  try {
    const air = loadAir();
    if (field !== 'int' && !fieldIsSound(field))
      failures.add(
        general(
          'statement.field',
          `the AIR is not sound in ${field} (only in ${(air.sound_fields ?? []).join(', ')}): ${air.unsound_fields_reason ?? 'its constraints do not bind there'}`,
          (air.sound_fields ?? []).join(' or '),
          field,
        ),
      );
    if (meta.air !== air.version)
      failures.add(
        general(
          'metadata.air',
          `the trace claims AIR '${meta.air}', this checker implements '${air.version}'`,
          air.version,
          meta.air,
        ),
      );

    // The program: embedded text re-assembled, optionally matched against --program.
    let program: Program;
    try {
      program = assemble(meta.program);
    } catch (error) {
      const detail = error instanceof AssemblyError ? error.message : String(error);
      failures.add(
        general('metadata.program', `the embedded program does not assemble: ${detail}`),
      );
      return report();
    }
    if (printProgram(program) !== meta.program)
      failures.add(
        general(
          'metadata.program',
          'the embedded program is not in canonical form (as the exporter prints it)',
        ),
      );
    // Every entry in its canonical encoding (no leading zeros, no spacing, no extra claim
    // fields), and no entry v1 does not define: one byte string per statement.
    const canonical = encodeMetadata(meta);
    for (const [key, value] of trace.rawMetadata) {
      if (!key.startsWith(TVM_NAMESPACE)) continue; // another tool's key (e.g. pandas'): not the trace's
      const expected = canonical.get(key);
      if (expected === undefined)
        failures.add(
          general(
            'metadata.encoding',
            `metadata '${key}' is not part of trace schema v2`,
            null,
            key,
          ),
        );
      else if (key !== MetaKey.metadataSha256 && value !== expected)
        failures.add(
          general(
            'metadata.encoding',
            `metadata '${key}' is not in canonical form: expected '${expected.slice(0, 80)}'`,
            expected,
            value,
          ),
        );
    }
    if (options.program !== undefined && !programsEqual(options.program, program))
      failures.add(
        general(
          'metadata.program',
          'the embedded program differs from the one given with --program',
        ),
      );
    const reference = options.program ?? program;
    const compiled = compileProgram(reference);
    if (compiled.digest !== meta.weightsSha256)
      failures.add(
        general(
          'metadata.weights_sha256',
          `weights digest mismatch: recompiling the program gives ${compiled.digest}, the file says ${meta.weightsSha256}`,
          compiled.digest,
          meta.weightsSha256,
        ),
      );
    if (meta.instructions !== reference.instructions.length)
      failures.add(
        general(
          'metadata.instructions',
          `the file says ${meta.instructions} instructions, the program has ${reference.instructions.length}`,
          String(reference.instructions.length),
          String(meta.instructions),
        ),
      );
    if (
      meta.memorySize !== reference.memorySize ||
      meta.initialMemory.some((v, i) => v !== reference.initialMemory[i])
    )
      failures.add(
        general(
          'metadata.initial_memory',
          "memory size or initial memory differ from the program's",
          JSON.stringify(reference.initialMemory),
          JSON.stringify(meta.initialMemory),
        ),
      );
    if (meta.ffDim < compiled.minFfDim)
      failures.add(
        general(
          'metadata.ff_dim',
          `ff_dim ${meta.ffDim} is narrower than the widest instruction (${compiled.minFfDim} units)`,
          String(compiled.minFfDim),
          String(meta.ffDim),
        ),
      );
    for (const f of [
      ...(meta.segment === undefined
        ? []
        : [
            ...claimRangeFailures(meta.segment.initial, meta.memorySize, 'initial'),
            ...segmentBoundaryFailures(meta.segment, meta.claim),
          ]),
      ...claimRangeFailures(meta.claim, meta.memorySize),
    ])
      failures.add(general(f.constraint, f.message, f.expected, f.actual));
    if (meta.claim.steps > meta.maxSteps)
      failures.add(
        general(
          'claim.steps',
          `the claim has ${meta.claim.steps} steps, more than max_steps ${meta.maxSteps}`,
          `≤ ${meta.maxSteps}`,
          String(meta.claim.steps),
        ),
      );
    if (
      failures.count > 0 &&
      (meta.instructions !== reference.instructions.length || meta.ffDim < compiled.minFfDim)
    )
      return report();

    const slots = trace.slots;
    const boundaries = runBoundaries(compiled, meta.claim, meta.segment?.initial);
    const expander = new Expander(air, trace.dims, programTables(compiled, meta.ffDim, boundaries));
    const instances = expander.instances();
    const selectColumn = columnIndex('selector');
    const sets = {
      every: compileRowSet('every', instances, slots, selectColumn),
      transition: compileRowSet('transition', instances, slots, selectColumn),
      first: compileRowSet('first', instances, slots, selectColumn),
      last: compileRowSet('last', instances, slots, selectColumn),
    };
    const wasm = new WasmScanner(
      [sets.every.plan, sets.transition.plan],
      slots,
      selectColumn,
      trace.maxBatchBytes,
    );
    const failed = new Int32Array(instances.length);
    const failedRows = new Int32Array(4096);
    const stepColumn = columnIndex('step');
    const pcColumn = columnIndex('pc');

    const describe = (batch: TraceBatch, r: number) => {
      const pc = readCell(batch, slots, pcColumn, r);
      const instruction =
        pc >= 0 && pc < reference.instructions.length
          ? formatInstruction(reference.instructions[pc])
          : null;
      return {
        row: batch.firstRow + r,
        step: readCell(batch, slots, stepColumn, r),
        pc,
        instruction,
      };
    };

    const byId = new Map<number, Instance>();
    for (const set of Object.values(sets))
      for (const instance of set.instances) byId.set(instance.id, instance);

    /** Detail one failing row of a row set at (r, n): which instances fail, with values. */
    const detail = (
      set: CompiledRowSet,
      batch: TraceBatch,
      r: number,
      n: number,
      located: TraceBatch,
      lr: number,
    ) => {
      // Past the report and a generous count, a broken row is counted once without detail.
      if (failures.full && failures.count >= DETAILED_FAILURES) {
        failures.count++;
        return;
      }
      const count = set.row(
        batch.data as unknown as ArrayLike<number>[],
        batch.bitOffset,
        r,
        n,
        failed,
      );
      const candidates =
        count === -1 ? set.instances : Array.from(failed.subarray(0, count), (id) => byId.get(id)!);
      for (const instance of candidates) {
        const residual = residualBig(instance, (cell) => cellValue(batch, slots, cell, r, n));
        if (residual === 0n) continue;
        if (field !== 'int' && residual % FIELDS[field] === 0n) continue;
        recordInstance(instance, residual, batch, r, n, located, lr);
      }
    };

    /** Evaluate a row set on rows [start, end) of a batch (transitions read row r + 1). */
    const scan = (
      set: CompiledRowSet,
      batch: TraceBatch,
      start: number,
      end: number,
      located: TraceBatch | null,
      lr: number,
    ) => {
      let from = start;
      while (from < end) {
        const found = set.scan(
          batch.data as unknown as ArrayLike<number>[],
          batch.bitOffset,
          from,
          end,
          failedRows,
        );
        for (let i = 0; i < found; i++) {
          const r = failedRows[i];
          detail(set, batch, r, r + 1, located ?? batch, located === null ? r : lr);
        }
        if (found < failedRows.length) break;
        from = failedRows[found - 1] + 1;
      }
    };

    const recordInstance = (
      instance: Instance,
      residual: bigint,
      batch: TraceBatch,
      r: number,
      n: number,
      located: TraceBatch,
      lr: number,
    ) => {
      const where = describe(located, lr);
      let expected: string;
      let actual: string;
      if (instance.target !== null) {
        const value = BigInt(cellValue(batch, slots, instance.target, r, n));
        actual = value.toString();
        expected = (value - residual).toString();
      } else {
        expected = '0';
        actual = residual.toString();
      }
      failures.add({
        constraint: instance.name,
        ...where,
        expected,
        actual,
        location: instance.rows === 'transition' ? 'row_pair' : 'row',
        message: `${instance.name} fails: expected ${expected}, actual ${actual}`,
      });
    };

    const memory = new MemoryArguments(options.maxFailures ?? 10);
    // tvm.max_abs_value is recomputed: max(2^15, largest |value| of the int32 columns).
    const wideColumns = slots.filter((slot) => slot.spec.type === 'int32');
    let maxAbs = 2 ** 15;
    let rows = 0;
    try {
      // The previous batch's last row, as a batch of its own (it outlives the batch's storage).
      let lastRow: TraceBatch | null = null;
      // Read straight into the scanner's memory (two areas in turn: this batch, the one read ahead).
      for await (const batch of trace.batches(wasm.area)) {
        if (batch.rows === 0) continue;
        // Failures in order: the first row's and the junction with the previous batch, then
        // the batch's every-row failures, then its transitions'.
        if (batch.firstRow === 0) scan(sets.first, batch, 0, 1, null, 0);
        if (lastRow !== null)
          scan(sets.transition, joinRows(slots, lastRow, 0, batch, 0), 0, 1, lastRow, 0);
        lastRow = joinRows(slots, batch, batch.rows - 1, batch, batch.rows - 1);
        rows += batch.rows;
        wasm.load(batch);
        for (const r of wasm.rows(sets.every.plan, batch.rows))
          detail(sets.every, batch, r, r + 1, batch, r);
        for (const r of wasm.rows(sets.transition.plan, batch.rows - 1))
          detail(sets.transition, batch, r, r + 1, batch, r);
        for (const slot of wideColumns)
          maxAbs = Math.max(maxAbs, wasm.largest(slot.index, batch.rows * slot.width));
        memory.add(batch);
        await options.onBatch?.(batch, { compiled, metadata: meta, slots });
        trace.release(batch);
      }
      if (lastRow !== null) scan(sets.last, lastRow, 0, 1, null, 0);
      const argumentResult = memory.finish(boundaries.initial.memory, boundaries.final.memory);
      for (const f of argumentResult.failures)
        failures.add({
          constraint: f.argument,
          row: f.row,
          step: null,
          pc: null,
          instruction: null,
          expected: f.expected,
          actual: f.actual,
          location: f.row === null ? null : f.side === 'access' ? 'row' : 'log_row',
          message: f.message,
        });
      failures.count += argumentResult.count - argumentResult.failures.length;
    } finally {
      memory.dispose();
    }

    for (const f of claimEndingFailures(reference, meta.claim, meta.maxSteps, rows, meta.segment))
      failures.add(general(f.constraint, f.message, f.expected, f.actual));
    if (rows === 0 && meta.segment === undefined) {
      const c = meta.claim;
      const initialOk =
        c.pc === 0 &&
        c.acc === 0 &&
        c.sp === reference.memorySize &&
        c.zero &&
        !c.carry &&
        !c.halted &&
        c.memory.every((v, i) => v === reference.initialMemory[i]);
      if (!initialOk)
        failures.add(
          general('claim.initial_state', 'a trace without rows must claim the initial state'),
        );
    }
    if (meta.maxAbsValue !== maxAbs)
      failures.add(
        general(
          'metadata.max_abs_value',
          `the file says the largest |value| is ${meta.maxAbsValue}, the trace's is ${maxAbs} (at least 2^15)`,
          String(maxAbs),
          String(meta.maxAbsValue),
        ),
      );
    const fields = fieldsHolding(maxAbs);
    if (JSON.stringify(meta.fields) !== JSON.stringify(fields))
      failures.add(
        general(
          'metadata.fields',
          `the file lists fields ${JSON.stringify(meta.fields)}, the values of the trace fit ${JSON.stringify(fields)}`,
          JSON.stringify(fields),
          JSON.stringify(meta.fields),
        ),
      );
    // Last: the integrity digest binds what no check above can derive (generator, labels, exact text).
    const digest = metadataDigest(trace.rawMetadata);
    if (digest !== meta.metadataSha256)
      failures.add(
        general(
          'metadata.metadata_sha256',
          `metadata digest mismatch: the entries hash to ${digest}, the file says ${meta.metadataSha256}`,
          digest,
          meta.metadataSha256 ?? null,
        ),
      );
    return report(
      rows,
      sets.every.instances.length +
        sets.every.vacuous +
        sets.transition.instances.length +
        sets.transition.vacuous,
    );
  } finally {
    await trace.close();
  }

  /** The report so far; rows and constraints per row are 0 when the rows were never reached. */
  function report(rows = 0, constraintsPerRow = 0): CheckReport {
    return {
      ok: failures.count === 0,
      rows,
      field,
      constraintsPerRow,
      failureCount: failures.count,
      failures: failures.list,
      metadata: meta,
    };
  }
}
