/**
 * `tvm-trace report`: one self-contained HTML page of a trace (summary, timelines, memory,
 * one step at the FFN level, and with `check` the failures). The trace is streamed once (with
 * `check`, inside the checker's own pass through `onBatch`); rows around failures that fall
 * outside the kept window are read in a second pass that stops at the last of them.
 */
import { GATE_CONSTANT } from '../compiler/builder.js';
import { compileProgram, type CompiledProgram } from '../compiler/compile.js';
import {
  describeBias,
  describeControls,
  describeRead,
  describeUnit,
} from '../compiler/describe.js';
import { INPUT_NAMES, OUTPUT_NAMES } from '../compiler/layout.js';
import { assemble } from '../isa/assemble.js';
import { OPCODES } from '../isa/opcodes.js';
import { formatInstruction } from '../isa/print.js';
import type { Program } from '../isa/program.js';
import { claimJson, type TraceMetadata } from '../trace/format/metadata.js';
import { preflightTrace } from '../trace/read/preflight.js';
import { openTrace } from '../trace/read/reader.js';
import { checkTrace, type CheckReport, type Failure } from '../check/check.js';
import { Collector, detailBudget, type Collected } from './collect.js';
import { renderPage, type PageArrays } from './page.js';

export interface ReportOptions {
  /** Run the checker and show its verdict and failures. */
  readonly check?: boolean;
  /** Rows kept in full (the step view), half-open; default from row 0 as many as the budget allows. */
  readonly rows?: { readonly from: number; readonly to: number };
  /** Failures listed (and marked) at most; all are counted. */
  readonly maxFailures?: number;
  /** The trace's name as the page shows it (default: the path). */
  readonly name?: string;
}

export interface ReportResult {
  readonly html: string;
  readonly rows: number;
  /** Rows kept in full, and the window among them. */
  readonly keptRows: number;
  readonly window: { readonly from: number; readonly to: number };
  /** Rows per timeline bucket (1: every row). */
  readonly bucket: number;
  readonly check: CheckReport | null;
}

export const DEFAULT_REPORT_FAILURES = 100;

/** What the page shows of each instruction: the `compile --print` lines and its sparse weights. */
interface InstructionInfo {
  readonly pc: number;
  readonly text: string;
  readonly labels: string[];
  readonly read: string;
  readonly units: string[];
  /** gate (-1: the constant 1), value, out, coeff per unit. */
  readonly weights: number[][];
  readonly bias: readonly number[];
  readonly biasText: string[];
  readonly controls: string;
}

function instructionInfo(program: Program, compiled: CompiledProgram): InstructionInfo[] {
  const labelsAt = new Map<number, string[]>();
  for (const [name, index] of program.labels)
    labelsAt.set(index, [...(labelsAt.get(index) ?? []), name]);
  return compiled.instructions.map((c, pc) => ({
    pc,
    text: formatInstruction(c),
    labels: labelsAt.get(pc) ?? [],
    read: describeRead(c.read),
    // `h3 = [ZERO]·[PC+1] → NEXT_PC × -1`, without the `hK = ` the page shows in its own column.
    units: c.units.map((u, k) => describeUnit(u, k).replace(/^h\d+ = /, '')),
    weights: c.units.map((u) => [u.gate === GATE_CONSTANT ? -1 : u.gate, u.value, u.out, u.coeff]),
    bias: c.bias,
    biasText: describeBias(c.bias),
    controls: describeControls(c.controls),
  }));
}

const failureJson = (f: Failure) => ({
  constraint: f.constraint,
  row: f.row,
  step: f.step,
  pc: f.pc,
  instruction: f.instruction,
  expected: f.expected,
  actual: f.actual,
  message: f.message,
});

/**
 * Build the page for a trace. Throws TraceFormatError (from the reader) when the file is not
 * a readable v2 trace, before any page exists.
 */
export async function buildReport(
  path: string,
  options: ReportOptions = {},
): Promise<ReportResult> {
  const { batchRows } = preflightTrace(path);
  const rows = batchRows.reduce((sum, n) => sum + n, 0);
  const trace = await openTrace(path);
  const meta: TraceMetadata = trace.metadata;
  const slots = trace.slots;
  const fileBytes = trace.fileBytes;
  await trace.close();

  let program: Program | null = null;
  let programError: string | null = null;
  let compiled: CompiledProgram | null = null;
  try {
    program = assemble(meta.program);
    compiled = compileProgram(program);
  } catch (error) {
    programError = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  }

  const budget = detailBudget(slots);
  const wanted = options.rows ?? { from: 0, to: budget };
  const window = {
    from: Math.min(wanted.from, rows),
    to: Math.min(wanted.to, rows, wanted.from + budget),
  };
  const make = () => new Collector(rows, slots, meta.instructions, meta.initialMemory, window);

  let collector = make();
  let report: CheckReport | null = null;
  if (options.check === true) {
    report = await checkTrace(path, {
      maxFailures: options.maxFailures ?? DEFAULT_REPORT_FAILURES,
      onBatch: (batch) => {
        if (batch.rows > 0 && collector.seen === batch.firstRow) collector.add(batch);
      },
    });
  }
  // Without check, or when the check stopped before the rows (e.g. the program does not assemble).
  if (collector.seen < rows) {
    collector = make();
    await stream(path, (batch) => {
      if (batch.rows > 0) collector.add(batch);
      return true;
    });
  }

  // Rows around each listed failure, and the last row, kept too (a second, shorter pass).
  const extras = new Set<number>();
  if (rows > 0) extras.add(rows - 1);
  for (const f of report?.failures ?? []) {
    if (f.row === null || f.row < 0 || f.row >= rows) continue;
    for (let r = Math.max(0, f.row - 1); r <= Math.min(rows - 1, f.row + 1); r++) extras.add(r);
  }
  const missing = [...extras].filter((r) => !collector.has(r)).sort((a, b) => a - b);
  if (missing.length > 0) {
    const last = missing[missing.length - 1];
    const need = new Set(missing);
    await stream(path, (batch) => {
      for (let r = 0; r < batch.rows; r++)
        if (need.has(batch.firstRow + r)) collector.keep(batch, r);
      return batch.firstRow + batch.rows <= last;
    });
  }
  const collected = collector.finish();

  const page = pageMeta(
    path,
    options,
    meta,
    fileBytes,
    rows,
    program,
    programError,
    compiled,
    collected,
    report,
    window,
  );
  const arrays: PageArrays = {
    pcMin: collected.timeline.pcMin,
    pcMax: collected.timeline.pcMax,
    accMin: collected.timeline.accMin,
    accMax: collected.timeline.accMax,
    spMin: collected.timeline.spMin,
    spMax: collected.timeline.spMax,
    flagsAnd: collected.timeline.flagsAnd,
    flagsOr: collected.timeline.flagsOr,
    memValues: collected.memory.values,
    memMarks: collected.memory.marks,
    detailRows: collected.detail.rows,
    detailCells: collected.detail.cells,
  };
  const html = renderPage(page, arrays);
  return {
    html,
    rows,
    keptRows: collected.detail.rows.length,
    window,
    bucket: collected.timeline.bucket,
    check: report,
  };
}

/** Stream a trace's batches until `next` returns false. */
async function stream(
  path: string,
  next: (batch: import('../trace/read/reader.js').TraceBatch) => boolean,
): Promise<void> {
  const trace = await openTrace(path, { readAhead: true });
  try {
    for await (const batch of trace.batches()) {
      const more = next(batch);
      trace.release(batch);
      if (!more) break;
    }
  } finally {
    await trace.close();
  }
}

function pageMeta(
  path: string,
  options: ReportOptions,
  meta: TraceMetadata,
  fileBytes: number,
  rows: number,
  program: Program | null,
  programError: string | null,
  compiled: CompiledProgram | null,
  collected: Collected,
  report: CheckReport | null,
  window: { from: number; to: number },
) {
  return {
    name: options.name ?? path,
    fileBytes,
    rows,
    schema: meta.schema,
    air: meta.air,
    generator: meta.generator,
    programText: meta.program,
    programError,
    instructions: program !== null && compiled !== null ? instructionInfo(program, compiled) : [],
    instructionCount: meta.instructions,
    memorySize: meta.memorySize,
    initialMemory: meta.initialMemory,
    maxSteps: meta.maxSteps,
    ffDim: meta.ffDim,
    weightsSha256: meta.weightsSha256,
    fields: meta.fields,
    maxAbsValue: meta.maxAbsValue,
    claim: claimJson(meta.claim),
    inputNames: INPUT_NAMES,
    outputNames: OUTPUT_NAMES,
    mnemonics: OPCODES.map((o) => o.mnemonic),
    pcCounts: Array.from(collected.pcCounts),
    pcOther: collected.pcOther,
    timeline: { bucket: collected.timeline.bucket, count: collected.timeline.count },
    memory: {
      bucket: collected.memory.bucket,
      count: collected.memory.count,
      cells: collected.memory.cells,
    },
    detail: { columns: collected.detail.columns, width: collected.detail.width, window },
    check:
      report === null
        ? null
        : {
            ok: report.ok,
            field: report.field,
            constraintsPerRow: report.constraintsPerRow,
            rows: report.rows,
            failureCount: report.failureCount,
            failures: report.failures.map(failureJson),
          },
  };
}

export type PageMeta = ReturnType<typeof pageMeta>;
