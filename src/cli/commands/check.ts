import { existsSync, statSync } from 'node:fs';
import type { Argv } from 'yargs';
import { checkRunCommand } from './check-run.js';
import { columnIndex } from '../../air/columns.js';
import { denseWeights } from '../../compiler/dense.js';
import { INPUT_DIM, OUTPUT_DIM } from '../../compiler/layout.js';
import { checkTrace, type CheckField, type Failure } from '../../check/check.js';
import { readCell } from '../../check/cells.js';
import type { Program } from '../../isa/program.js';
import { FIELD_NAMES } from '../../trace/format/metadata.js';
import { type TraceBatch } from '../../trace/read/reader.js';
import { TraceFormatError } from '../../trace/format/errors.js';
import { BACKEND_CHOICES, BackendUnavailableError } from '../../runtime/tensor/backend.js';
import { CliError, ExitCode, oneLine } from '../errors.js';
import { loadProgram } from '../io.js';
import { positiveInteger, type Output } from '../options.js';

export interface CheckArgs {
  trace: string;
  program?: string;
  field: CheckField;
  'max-failures': number;
  json: boolean;
  tensor: boolean;
  backend: string;
  jobs?: number;
}

export function checkBuilder(yargs: Argv): Argv<CheckArgs> {
  return yargs
    .positional('trace', {
      type: 'string',
      demandOption: true,
      describe:
        'the trace (Arrow IPC file), or a segmented run (a directory from export --segment-rows)',
    })
    .option('program', {
      type: 'string',
      requiresArg: true,
      describe: 'the .tvm the trace must come from',
    })
    .option('field', {
      type: 'string',
      choices: ['int', ...FIELD_NAMES],
      default: 'int',
      describe: 'int: constraints over the integers (so in every field); else modulo that prime',
    })
    .option('max-failures', {
      type: 'string',
      requiresArg: true,
      default: '10',
      describe: 'report at most this many failures',
      coerce: (value: unknown) => positiveInteger('--max-failures', value),
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print the report as one JSON object',
    })
    .option('tensor', {
      type: 'boolean',
      default: false,
      describe: 'also replay every row through the TensorFlow.js engine in batch',
    })
    .option('jobs', {
      type: 'string',
      requiresArg: true,
      describe: 'segments checked at once for a segmented run (default: the cores)',
      coerce: (value: unknown) => positiveInteger('--jobs', value),
    })
    .option('backend', {
      type: 'string',
      choices: BACKEND_CHOICES as string[],
      default: 'auto',
      describe: 'tfjs backend for --tensor (auto: tensorflow when tfjs-node loads, else cpu)',
    }) as unknown as Argv<CheckArgs>;
}

/** Rebuild the 41-slot input and the FFN vectors of a batch as int32 arrays for the tensor replay. */
function replayArrays(batch: TraceBatch, slots: Parameters<typeof readCell>[1], ffDim: number) {
  const rows = batch.rows;
  const pcs = new Int32Array(rows);
  const input = new Int32Array(rows * INPUT_DIM);
  const gate = new Int32Array(rows * ffDim);
  const value = new Int32Array(rows * ffDim);
  const hidden = new Int32Array(rows * ffDim);
  const output = new Int32Array(rows * OUTPUT_DIM);
  const c = {
    pc: columnIndex('pc'),
    input: columnIndex('input'),
    bits: columnIndex('input_bits'),
    gate: columnIndex('gate'),
    value: columnIndex('value'),
    hidden: columnIndex('hidden'),
    output: columnIndex('output'),
  };
  const words = slots[c.input].width;
  for (let r = 0; r < rows; r++) {
    pcs[r] = readCell(batch, slots, c.pc, r);
    for (let i = 0; i < words; i++)
      input[r * INPUT_DIM + i] = readCell(batch, slots, c.input, r, i);
    for (let i = 0; i < INPUT_DIM - words; i++)
      input[r * INPUT_DIM + words + i] = readCell(batch, slots, c.bits, r, i);
    for (let k = 0; k < ffDim; k++) {
      gate[r * ffDim + k] = readCell(batch, slots, c.gate, r, k);
      value[r * ffDim + k] = readCell(batch, slots, c.value, r, k);
      hidden[r * ffDim + k] = readCell(batch, slots, c.hidden, r, k);
    }
    for (let o = 0; o < OUTPUT_DIM; o++)
      output[r * OUTPUT_DIM + o] = readCell(batch, slots, c.output, r, o);
  }
  return { pcs, input, gate, value, hidden, output, rows, firstRow: batch.firstRow };
}

export async function checkCommand(args: CheckArgs, out: Output): Promise<number> {
  const program: Program | undefined =
    args.program === undefined ? undefined : loadProgram(args.program);
  if (existsSync(args.trace) && statSync(args.trace).isDirectory())
    return checkRunCommand(args, program, out);
  const tensorFailures: Failure[] = [];
  let replayer: import('../../runtime/tensor/replay.js').TensorReplayer | null = null;
  let tensorBackend: string | null = null;
  let report;
  try {
    report = await checkTrace(args.trace, {
      program,
      field: args.field,
      maxFailures: args['max-failures'],
      onBatch: args.tensor
        ? async (batch, context) => {
            if (tensorFailures.length > 0 || batch.rows === 0) return;
            if (replayer === null) {
              const { TensorReplayer } = await import('../../runtime/tensor/replay.js');
              replayer = await TensorReplayer.create(
                denseWeights(context.compiled.instructions, context.metadata.ffDim),
                { backend: args.backend },
              );
              tensorBackend = replayer.backend;
            }
            const arrays = replayArrays(batch, context.slots, context.metadata.ffDim);
            let mismatch;
            try {
              mismatch = replayer.replay(arrays);
            } catch (error) {
              tensorFailures.push({
                constraint: 'tensor.replay',
                row: batch.firstRow,
                step: null,
                pc: null,
                instruction: null,
                expected: null,
                actual: null,
                message: `tensor replay cannot run: ${(error as Error).message}`,
              });
              return;
            }
            if (mismatch !== null) {
              const { row, pc, field, index, expected, actual } = mismatch;
              tensorFailures.push({
                constraint: `tensor.${field}`,
                row,
                step: null,
                pc,
                instruction: null,
                expected: String(expected),
                actual: String(actual),
                message: `row ${row}: tensor replay of ${field}[${index}] gives ${expected}, the trace has ${actual}`,
              });
            }
          }
        : undefined,
    });
  } catch (error) {
    if (error instanceof TraceFormatError)
      throw new CliError('bad_trace', `${args.trace}: ${error.message}`, ExitCode.BAD_INPUT);
    if (error instanceof BackendUnavailableError)
      throw new CliError('backend_unavailable', error.message, ExitCode.USAGE);
    throw error;
  } finally {
    (replayer as { dispose(): void } | null)?.dispose();
  }
  const failures = [...report.failures, ...tensorFailures];
  const failureCount = report.failureCount + tensorFailures.length;
  const ok = failureCount === 0;
  if (args.json) {
    out.stdout(
      JSON.stringify({
        ok,
        trace: args.trace,
        rows: report.rows,
        field: report.field,
        constraints_per_row: report.constraintsPerRow,
        tensor: args.tensor ? { backend: tensorBackend, ok: tensorFailures.length === 0 } : null,
        failure_count: failureCount,
        failures: failures.slice(0, args['max-failures']),
      }),
    );
  } else if (ok) {
    const tensor = args.tensor ? `; tensor replay (${tensorBackend ?? 'no rows'}) agrees` : '';
    out.stdout(
      `ok: ${args.trace}: ${report.rows} rows, ${report.constraintsPerRow} constraints per row and the memory arguments hold (field ${report.field})${tensor}`,
    );
  } else {
    out.stdout(
      `FAILED: ${args.trace}: ${failureCount} failure${failureCount === 1 ? '' : 's'}${failureCount > failures.length ? ` (first ${Math.min(failures.length, args['max-failures'])} shown)` : ''}`,
    );
    for (const f of failures.slice(0, args['max-failures'])) {
      const where =
        f.row === null
          ? ''
          : `row ${f.row}${f.step !== null ? ` (step ${f.step}, pc ${f.pc}${f.instruction ? `: ${f.instruction}` : ''})` : ''}: `;
      // One line per failure, whatever the file's bytes a message quotes (a metadata key).
      out.stdout(
        oneLine(
          `  ${f.constraint}: ${where}${f.message.replace(/^(log )?row \d+( \(with row \d+\))?: /, '')}`,
        ),
      );
    }
  }
  if (!ok)
    out.stderr(
      `tvm-trace: ${args.trace}: ${failureCount} constraint failure${failureCount === 1 ? '' : 's'}`,
    );
  return ok ? ExitCode.OK : ExitCode.CONSTRAINT_FAILED;
}
