/** `tvm-trace check TRACE`: parse the flags, check the trace (or a segmented run), print the failures. */
import { existsSync, statSync } from 'node:fs';
import type { Argv } from 'yargs';
import { checkRunCommand } from './check-run.js';
import { checkTrace, type CheckField } from '../../check/check.js';
import { failureRecord, formatFailure } from '../../check/format.js';
import { TensorReplayCheck } from '../../check/tensor-replay.js';
import type { Program } from '../../isa/program.js';
import { FIELD_NAMES } from '../../trace/format/metadata.js';
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

export async function checkCommand(args: CheckArgs, out: Output): Promise<number> {
  const program: Program | undefined =
    args.program === undefined ? undefined : loadProgram(args.program);
  if (existsSync(args.trace) && statSync(args.trace).isDirectory())
    return checkRunCommand(args, program, out);
  const tensor = args.tensor ? new TensorReplayCheck(args.backend) : null;
  let report;
  try {
    report = await checkTrace(args.trace, {
      program,
      field: args.field,
      maxFailures: args['max-failures'],
      onBatch: tensor?.onBatch,
    });
  } catch (error) {
    if (error instanceof TraceFormatError)
      throw new CliError('bad_trace', `${args.trace}: ${error.message}`, ExitCode.BAD_INPUT);
    if (error instanceof BackendUnavailableError)
      throw new CliError('backend_unavailable', error.message, ExitCode.USAGE);
    throw error;
  } finally {
    tensor?.dispose();
  }
  const tensorFailures = tensor?.failures ?? [];
  const tensorBackend = tensor?.backend ?? null;
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
        failures: failures.slice(0, args['max-failures']).map(failureRecord),
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
    // One line per failure, whatever the file's bytes a message quotes (a metadata key).
    for (const f of failures.slice(0, args['max-failures']))
      out.stdout(oneLine(`  ${formatFailure(f)}`));
  }
  if (!ok)
    out.stderr(
      `tvm-trace: ${args.trace}: ${failureCount} constraint failure${failureCount === 1 ? '' : 's'}`,
    );
  return ok ? ExitCode.OK : ExitCode.CONSTRAINT_FAILED;
}
