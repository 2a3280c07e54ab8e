/** What `inspect` reads from a trace: its summary and decoded rows. */
import { columnIndex } from '../../air/columns.js';
import { In, Out, OUTPUT_DIM } from '../../compiler/layout.js';
import { assemble } from '../../isa/assemble.js';
import { formatInstruction } from '../../isa/print.js';
import type { Program } from '../../isa/program.js';
import type { ColumnSpec } from '../../air/columns.js';
import type { FieldName } from '../format/metadata.js';
import type { Claim } from '../format/metadata.js';
import { preflightTrace } from './preflight.js';
import { openTrace, readCell, type OpenTrace, type TraceBatch } from './reader.js';
import { TraceFormatError } from '../format/errors.js';

/** Everything `inspect` says about a trace file as a whole (no row data needed). */
export interface TraceSummary {
  readonly fileBytes: number;
  readonly rows: number;
  /** File bytes / rows; null for a trace without rows. */
  readonly bytesPerRow: number | null;
  readonly columns: ReadonlyArray<{
    readonly name: string;
    readonly type: ColumnSpec['type'];
    readonly width: number;
  }>;
  /** Entries per row over all columns (a vector column counts its width). */
  readonly cellsPerRow: number;
  readonly schema: string;
  readonly air: string;
  readonly generator: string;
  /** The embedded program, canonical text. */
  readonly program: string;
  /** Null when the embedded program assembles; else why not. */
  readonly programError: string | null;
  readonly instructions: number;
  readonly memorySize: number;
  readonly initialMemory: readonly number[];
  readonly maxSteps: number;
  readonly ffDim: number;
  readonly weightsSha256: string;
  readonly claim: Claim;
  readonly fields: readonly FieldName[];
  readonly maxAbsValue: number;
  /** Rows of each record batch, in file order. */
  readonly batchRows: readonly number[];
}

/** One row of the trace, decoded for reading: the state before the step, the step's effect and its memory access. */
export interface RowView {
  readonly row: number;
  readonly step: number;
  readonly pc: number;
  readonly opcode: number;
  readonly arg: number;
  /** The embedded program's instruction at pc, as text; null when pc is outside the program. */
  readonly instruction: string | null;
  /** State before the step (the FFN input). */
  readonly acc: number;
  readonly zero: boolean;
  readonly carry: boolean;
  readonly sp: number;
  readonly operand: number;
  /** The step's memory access (access_* columns). */
  readonly access: {
    readonly kind: 'read' | 'write' | 'none';
    readonly addr: number;
    readonly value: number;
  };
  /** Hidden units with a non-zero product. */
  readonly units: ReadonlyArray<{
    readonly unit: number;
    readonly gate: number;
    readonly value: number;
    readonly hidden: number;
  }>;
  readonly output: {
    readonly next_pc: number;
    readonly raw_acc: number;
    readonly next_sp: number;
    readonly write_enable: number;
    readonly write_addr: number;
    readonly write_value: number;
  };
  /** State after the step. */
  readonly next: {
    readonly pc: number;
    readonly acc: number;
    readonly zero: boolean;
    readonly carry: boolean;
    readonly halted: boolean;
    readonly sp: number;
  };
  /** This row of the memory log (sorted by address, then step; independent of the step above). */
  readonly log: {
    readonly addr: number;
    readonly step: number;
    readonly value: number;
    readonly read: boolean;
    readonly write: boolean;
    readonly first: boolean;
  };
}

export interface Inspection {
  readonly summary: TraceSummary;
  /** Rows [from, to) (to clipped to the trace), streaming record batches and stopping after `to`. */
  rows(from: number, to: number): AsyncGenerator<RowView>;
  close(): Promise<void>;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 200);
}

/** Open a trace for inspection: validated like `check` does (openTrace), summary from metadata and footer. */
export async function inspectTrace(path: string): Promise<Inspection> {
  // The preflight bounds every count apache-arrow will trust, and gives the batch sizes.
  const { batchRows } = preflightTrace(path);
  const trace = await openTrace(path);
  try {
    const summary = summarize(trace, batchRows);
    let program: Program | null = null;
    try {
      program = assemble(summary.program);
    } catch {
      program = null;
    }
    const instructionText = program === null ? [] : program.instructions.map(formatInstruction);
    return {
      summary,
      rows: (from, to) => readRows(trace, summary, instructionText, from, to),
      close: () => trace.close(),
    };
  } catch (error) {
    await trace.close();
    throw error;
  }
}

function summarize(trace: OpenTrace, batchRows: readonly number[]): TraceSummary {
  const meta = trace.metadata;
  if (batchRows.length !== trace.batchCount)
    throw new TraceFormatError(
      `the footer lists ${batchRows.length} record batches, the reader ${trace.batchCount}`,
    );
  const rows = batchRows.reduce((sum, n) => sum + n, 0);
  let programError: string | null = null;
  try {
    assemble(meta.program);
  } catch (error) {
    programError = firstLine(error);
  }
  return {
    fileBytes: trace.fileBytes,
    rows,
    bytesPerRow: rows === 0 ? null : Math.round((trace.fileBytes / rows) * 10) / 10,
    columns: trace.slots.map((slot) => ({
      name: slot.spec.name,
      type: slot.spec.type,
      width: slot.width,
    })),
    cellsPerRow: trace.slots.reduce((sum, slot) => sum + slot.width, 0),
    schema: meta.schema,
    air: meta.air,
    generator: meta.generator,
    program: meta.program,
    programError,
    instructions: meta.instructions,
    memorySize: meta.memorySize,
    initialMemory: meta.initialMemory,
    maxSteps: meta.maxSteps,
    ffDim: meta.ffDim,
    weightsSha256: meta.weightsSha256,
    claim: meta.claim,
    fields: meta.fields,
    maxAbsValue: meta.maxAbsValue,
    batchRows,
  };
}

async function* readRows(
  trace: OpenTrace,
  summary: TraceSummary,
  instructions: readonly string[],
  from: number,
  to: number,
): AsyncGenerator<RowView> {
  const end = Math.min(to, summary.rows);
  if (from >= end) return;
  const slots = trace.slots;
  const col = (name: string) => columnIndex(name);
  const c = {
    step: col('step'),
    pc: col('pc'),
    opcode: col('opcode'),
    arg: col('arg'),
    input: col('input'),
    gate: col('gate'),
    value: col('value'),
    hidden: col('hidden'),
    output: col('output'),
    nextAcc: col('next_acc'),
    nextZero: col('next_zero'),
    nextCarry: col('next_carry'),
    nextHalted: col('next_halted'),
    accessRead: col('access_read'),
    accessWrite: col('access_write'),
    accessAddr: col('access_addr'),
    accessValue: col('access_value'),
    logAddr: col('log_addr'),
    logStep: col('log_step'),
    logValue: col('log_value'),
    logRead: col('log_read'),
    logWrite: col('log_write'),
    logFirst: col('log_first'),
  };
  const ffDim = summary.ffDim;
  for await (const batch of trace.batches()) {
    const batchEnd = batch.firstRow + batch.rows;
    if (batchEnd > from) {
      for (let row = Math.max(from, batch.firstRow); row < Math.min(end, batchEnd); row++) {
        yield rowView(batch, row - batch.firstRow, c, instructions, ffDim, slots);
      }
    }
    if (batchEnd >= end) return;
  }
}

type Columns = Record<
  | 'step'
  | 'pc'
  | 'opcode'
  | 'arg'
  | 'input'
  | 'gate'
  | 'value'
  | 'hidden'
  | 'output'
  | 'nextAcc'
  | 'nextZero'
  | 'nextCarry'
  | 'nextHalted'
  | 'accessRead'
  | 'accessWrite'
  | 'accessAddr'
  | 'accessValue'
  | 'logAddr'
  | 'logStep'
  | 'logValue'
  | 'logRead'
  | 'logWrite'
  | 'logFirst',
  number
>;

function rowView(
  batch: TraceBatch,
  r: number,
  c: Columns,
  instructions: readonly string[],
  ffDim: number,
  slots: OpenTrace['slots'],
): RowView {
  const cell = (column: number, entry = 0) => readCell(batch, slots, column, r, entry);
  const pc = cell(c.pc);
  const units: Array<{ unit: number; gate: number; value: number; hidden: number }> = [];
  for (let k = 0; k < ffDim; k++) {
    const hidden = cell(c.hidden, k);
    if (hidden !== 0)
      units.push({ unit: k, gate: cell(c.gate, k), value: cell(c.value, k), hidden });
  }
  const out = Array.from({ length: OUTPUT_DIM }, (_, o) => cell(c.output, o));
  const read = cell(c.accessRead) === 1;
  const write = cell(c.accessWrite) === 1;
  return {
    row: batch.firstRow + r,
    step: cell(c.step),
    pc,
    opcode: cell(c.opcode),
    arg: cell(c.arg),
    instruction: pc >= 0 && pc < instructions.length ? instructions[pc] : null,
    acc: cell(c.input, In.ACC),
    zero: cell(c.input, In.ZERO) !== 0,
    carry: cell(c.input, In.CARRY) !== 0,
    sp: cell(c.input, In.SP),
    operand: cell(c.input, In.OPERAND),
    access: {
      kind: read ? 'read' : write ? 'write' : 'none',
      addr: cell(c.accessAddr),
      value: cell(c.accessValue),
    },
    units,
    output: {
      next_pc: out[Out.NEXT_PC],
      raw_acc: out[Out.RAW_ACC],
      next_sp: out[Out.NEXT_SP],
      write_enable: out[Out.WRITE_ENABLE],
      write_addr: out[Out.WRITE_ADDR],
      write_value: out[Out.WRITE_VALUE],
    },
    next: {
      pc: out[Out.NEXT_PC],
      acc: cell(c.nextAcc),
      zero: cell(c.nextZero) === 1,
      carry: cell(c.nextCarry) === 1,
      halted: cell(c.nextHalted) === 1,
      sp: out[Out.NEXT_SP],
    },
    log: {
      addr: cell(c.logAddr),
      step: cell(c.logStep),
      value: cell(c.logValue),
      read: cell(c.logRead) === 1,
      write: cell(c.logWrite) === 1,
      first: cell(c.logFirst) === 1,
    },
  };
}
