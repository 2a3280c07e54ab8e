/** `tvm-trace inspect TRACE`: parse the flags, print a trace's summary, rows or columns. */
import type { Argv } from 'yargs';
import { inspectTrace, type RowView, type TraceSummary } from '../../trace/read/inspect.js';
import { TraceFormatError } from '../../trace/format/errors.js';
import { CliError, ExitCode } from '../errors.js';
import { stateInline, stateRecord } from '../state-format.js';
import type { Output } from '../options.js';

/** Half-open row range; `to` is MAX_SAFE_INTEGER for an open end. */
export interface RowRange {
  from: number;
  to: number;
}

export interface InspectArgs {
  trace: string;
  rows?: RowRange;
  json: boolean;
}

/** Rows shown without --rows. */
export const DEFAULT_ROWS = 10;

export function inspectBuilder(yargs: Argv): Argv<InspectArgs> {
  return yargs
    .positional('trace', {
      type: 'string',
      demandOption: true,
      describe: 'the trace (Arrow IPC file)',
    })
    .option('rows', {
      type: 'string',
      requiresArg: true,
      describe: `rows to show, half-open A:B (A: = to the end, :B = from 0); default 0:${DEFAULT_ROWS}`,
      coerce: parseRowRange,
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print the summary and the rows as one JSON object',
    });
}

/** Parse `A:B` (half-open; either side may be empty: A: to the end, :B from 0). Throws a plain Error (a usage error via yargs). */
export function parseRowRange(text: unknown): RowRange {
  const match = typeof text === 'string' ? /^([0-9]*):([0-9]*)$/.exec(text) : null;
  if (match === null) throw new Error(`--rows must be A:B (rows A to B-1), got '${String(text)}'`);
  const from = match[1] === '' ? 0 : Number(match[1]);
  const to = match[2] === '' ? Number.MAX_SAFE_INTEGER : Number(match[2]);
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to))
    throw new Error(`--rows ${String(text)}: a bound is over ${Number.MAX_SAFE_INTEGER}`);
  if (from > to) throw new Error(`--rows ${String(text)} is reversed: A must not exceed B`);
  return { from, to };
}

function summaryJson(path: string, s: TraceSummary) {
  const c = s.claim;
  return {
    trace: path,
    rows: s.rows,
    bytes: s.fileBytes,
    bytes_per_row: s.bytesPerRow,
    columns: s.columns,
    cells_per_row: s.cellsPerRow,
    schema: s.schema,
    air: s.air,
    generator: s.generator,
    program: s.program,
    program_error: s.programError,
    instructions: s.instructions,
    memory_size: s.memorySize,
    initial_memory: s.initialMemory,
    max_steps: s.maxSteps,
    ff_dim: s.ffDim,
    weights_sha256: s.weightsSha256,
    claim: { ...stateRecord(c), fault: c.fault },
    fields: s.fields,
    max_abs_value: s.maxAbsValue,
    batches: s.batchRows.length,
    batch_rows: s.batchRows,
  };
}

function rowJson(v: RowView) {
  return {
    row: v.row,
    step: v.step,
    pc: v.pc,
    opcode: v.opcode,
    arg: v.arg,
    instruction: v.instruction,
    acc: v.acc,
    zero_flag: v.zero,
    carry_flag: v.carry,
    sp: v.sp,
    operand: v.operand,
    access: v.access,
    units: v.units,
    output: v.output,
    next: {
      pc: v.next.pc,
      acc: v.next.acc,
      zero_flag: v.next.zero,
      carry_flag: v.next.carry,
      halted: v.next.halted,
      sp: v.next.sp,
    },
    log: v.log,
  };
}

function batchText(rows: readonly number[]): string {
  if (rows.length === 0) return 'batches: 0';
  const shown = rows.slice(0, 8).join(', ') + (rows.length > 8 ? ', …' : '');
  return `batches: ${rows.length} (rows: ${shown})`;
}

function summaryLines(path: string, s: TraceSummary): string[] {
  const c = s.claim;
  const lines = [
    `trace: ${path}`,
    `schema: ${s.schema} (AIR ${s.air}, written by ${s.generator})`,
    `rows: ${s.rows}`,
    `bytes: ${s.fileBytes} (${s.bytesPerRow === null ? 'no rows' : `${s.bytesPerRow} bytes/row`})`,
    `columns: ${s.columns.length} (${s.cellsPerRow} cells per row)`,
    batchText(s.batchRows),
    `ff_dim: ${s.ffDim}`,
    `weights_sha256: ${s.weightsSha256}`,
    `fields: ${s.fields.length === 0 ? 'none' : s.fields.join(', ')} (largest |value| ${s.maxAbsValue})`,
    `max_steps: ${s.maxSteps}`,
    `claim: ${stateInline(c)}`,
  ];
  if (c.fault !== null) lines.push(`fault: ${c.fault.message}`);
  lines.push(
    `program: ${s.instructions} instructions, ${s.memorySize} memory cells, initial memory [${s.initialMemory.join(', ')}]`,
  );
  if (s.programError !== null)
    lines.push(`  (the embedded program does not assemble: ${s.programError})`);
  // The canonical text verbatim, behind a gutter holding each instruction's pc.
  let pc = 0;
  for (const line of s.program.replace(/\n$/, '').split('\n'))
    lines.push(`${(line.startsWith('  ') ? String(pc++) : '').padStart(6)}  ${line}`);
  return lines;
}

const flags = (zero: boolean, carry: boolean) => `${zero ? 'Z' : '-'}${carry ? 'C' : '-'}`;

function memoryText(v: RowView): string {
  if (v.access.kind === 'read') return `R[${v.access.addr}]=${v.access.value}`;
  if (v.access.kind === 'write') return `W[${v.access.addr}]=${v.access.value}`;
  return '-';
}

/** The row table: fixed widths chosen before the rows stream in. */
class RowTable {
  private readonly widths: number[];
  static readonly HEADER = ['step', 'pc', 'instruction', 'acc', 'flags', 'sp', 'memory', 'units'];

  constructor(lastRow: number, longestInstruction: number) {
    this.widths = [
      Math.max(4, String(lastRow).length),
      3,
      Math.max(11, longestInstruction),
      6,
      5,
      3,
      13,
    ];
  }

  line(cells: string[]): string {
    const [step, pc, instruction, acc, fl, sp, memory, units] = cells;
    const w = this.widths;
    return [
      step.padStart(w[0]),
      pc.padStart(w[1]),
      instruction.padEnd(w[2]),
      acc.padStart(w[3]),
      fl.padEnd(w[4]),
      sp.padStart(w[5]),
      memory.padEnd(w[6]),
      units,
    ]
      .join('  ')
      .trimEnd();
  }

  header(): string {
    return this.line(RowTable.HEADER);
  }

  row(v: RowView): string {
    const units = v.units.map((u) => `h${u.unit}=${u.hidden}`).join(' ');
    return this.line([
      String(v.step),
      String(v.pc),
      v.instruction ?? `? (opcode ${v.opcode})`,
      String(v.acc),
      flags(v.zero, v.carry),
      String(v.sp),
      memoryText(v),
      units,
    ]);
  }
}

export async function inspectCommand(args: InspectArgs, out: Output): Promise<number> {
  const { from, to } = args.rows ?? { from: 0, to: DEFAULT_ROWS };
  try {
    const inspection = await inspectTrace(args.trace);
    try {
      const s = inspection.summary;
      if (args.json) {
        const rows = [];
        for await (const view of inspection.rows(from, to)) rows.push(rowJson(view));
        out.stdout(JSON.stringify({ summary: summaryJson(args.trace, s), rows }));
        return ExitCode.OK;
      }
      for (const line of summaryLines(args.trace, s)) out.stdout(line);
      const end = Math.min(to, s.rows);
      if (from >= end) {
        out.stdout(
          `rows ${from}:${to === Number.MAX_SAFE_INTEGER ? '' : to}: none (the trace has ${s.rows} row${s.rows === 1 ? '' : 's'})`,
        );
        return ExitCode.OK;
      }
      out.stdout(
        `rows ${from}:${end} of ${s.rows} (acc, flags, sp: the state before the step; memory: its read R or write W; units: the non-zero hidden products):`,
      );
      const longest = Math.max(
        0,
        ...s.program
          .split('\n')
          .filter((l) => l.startsWith('  '))
          .map((l) => l.trim().length),
      );
      const table = new RowTable(end - 1, longest);
      out.stdout(table.header());
      for await (const view of inspection.rows(from, to)) out.stdout(table.row(view));
      return ExitCode.OK;
    } finally {
      await inspection.close();
    }
  } catch (error) {
    if (error instanceof TraceFormatError)
      throw new CliError('bad_trace', `${args.trace}: ${error.message}`, ExitCode.BAD_INPUT);
    throw error;
  }
}
