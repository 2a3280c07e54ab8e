/** `tvm-trace report TRACE -o PAGE`: parse the flags, write a trace's HTML report. */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Argv } from 'yargs';
import { buildReport, DEFAULT_REPORT_FAILURES } from '../../report/report.js';
import { TraceFormatError } from '../../trace/format/errors.js';
import { CliError, ExitCode } from '../errors.js';
import { writeFileAtomic } from '../io.js';
import { positiveInteger } from '../options.js';
import type { Output } from '../options.js';
import { parseRowRange, type RowRange } from './inspect.js';

export interface ReportArgs {
  trace: string;
  output: string;
  check: boolean;
  rows?: RowRange;
  'max-failures': number;
  json: boolean;
}

export function reportBuilder(yargs: Argv): Argv<ReportArgs> {
  return yargs
    .positional('trace', {
      type: 'string',
      demandOption: true,
      describe: 'the trace (Arrow IPC file)',
    })
    .option('output', {
      alias: 'o',
      type: 'string',
      demandOption: true,
      requiresArg: true,
      describe: 'the HTML file to write',
    })
    .option('check', {
      type: 'boolean',
      default: false,
      describe: 'run the checker: show the verdict, mark every failing row, open the first',
    })
    .option('rows', {
      type: 'string',
      requiresArg: true,
      describe:
        'rows kept in full for the step view, half-open A:B (default: from row 0, as many as fit the page)',
      coerce: parseRowRange,
    })
    .option('max-failures', {
      type: 'string',
      requiresArg: true,
      default: String(DEFAULT_REPORT_FAILURES),
      describe: 'with --check: list and mark at most N failures (all are counted)',
      coerce: (value: unknown) => positiveInteger('--max-failures', value),
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print the summary as one JSON object',
    });
}

export async function reportCommand(args: ReportArgs, out: Output): Promise<number> {
  const target = args.output;
  if (existsSync(target) && statSync(target).isDirectory())
    throw new CliError('io_error', `${target}: is a directory`, ExitCode.BAD_INPUT);
  if (!existsSync(dirname(target) || '.'))
    throw new CliError(
      'io_error',
      `${target}: cannot write: directory ${dirname(target)} does not exist`,
      ExitCode.BAD_INPUT,
    );
  let result;
  try {
    result = await buildReport(args.trace, {
      check: args.check,
      rows: args.rows,
      maxFailures: args['max-failures'],
    });
  } catch (error) {
    if (error instanceof TraceFormatError)
      throw new CliError('bad_trace', `${args.trace}: ${error.message}`, ExitCode.BAD_INPUT);
    throw error;
  }
  // The page appears whole or not at all (a temporary sibling renamed over the target).
  const bytes = Buffer.from(result.html, 'utf8');
  writeFileAtomic(target, bytes);
  const check = result.check;
  const verdict =
    check === null
      ? null
      : check.ok
        ? 'ok'
        : `FAILED (${check.failureCount} failure${check.failureCount === 1 ? '' : 's'})`;
  if (args.json) {
    out.stdout(
      JSON.stringify({
        trace: args.trace,
        output: target,
        bytes: bytes.length,
        rows: result.rows,
        bucket_rows: result.bucket,
        kept_rows: result.keptRows,
        window: [result.window.from, result.window.to],
        check: check === null ? null : { ok: check.ok, failure_count: check.failureCount },
      }),
    );
  } else {
    const window =
      result.window.to > result.window.from
        ? `rows ${result.window.from}:${result.window.to} in full`
        : 'no rows in full';
    out.stdout(
      `wrote ${target}: ${bytes.length} bytes, ${result.rows} rows (${result.bucket === 1 ? 'every row plotted' : `${result.bucket} rows per timeline bucket`}; ${window}, ${result.keptRows} kept)`,
    );
    if (verdict !== null) out.stdout(`check: ${verdict}`);
  }
  return ExitCode.OK;
}
