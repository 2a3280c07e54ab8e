/**
 * `tvm-trace check run/`: a segmented run — every segment file checked (several at once), each
 * against the manifest, and the chain between them. Exit 1 names each failure with its segment.
 */
import type { Program } from '../../isa/program.js';
import { checkRun, RunFormatError } from '../../check/run.js';
import { TraceFormatError } from '../../trace/format/errors.js';
import { failureRecord, formatFailure } from '../../check/format.js';
import { CliError, ExitCode, oneLine } from '../errors.js';
import type { Output } from '../options.js';
import type { CheckArgs } from './check.js';

export async function checkRunCommand(
  args: CheckArgs & { jobs?: number },
  program: Program | undefined,
  out: Output,
): Promise<number> {
  if (args.tensor)
    throw new CliError(
      'usage',
      '--tensor checks one trace file; check each segment file on its own',
      ExitCode.USAGE,
    );
  let report;
  try {
    report = await checkRun(args.trace, {
      program,
      field: args.field,
      maxFailures: args['max-failures'],
      jobs: args.jobs,
    });
  } catch (error) {
    if (error instanceof RunFormatError || error instanceof TraceFormatError)
      throw new CliError('bad_run', error.message, ExitCode.BAD_INPUT);
    throw error;
  }
  // The run's own failures, then each segment's (its file's rows), every one rendered by format.ts.
  const failures = [
    ...report.run.map((f) => ({
      segment: f.segment,
      text: `${f.constraint}: ${f.message}`,
      record: { constraint: f.constraint, message: f.message },
    })),
    ...report.segments.flatMap((s) =>
      (s.report?.failures ?? []).map((f) => ({
        segment: s.index,
        text: formatFailure(f),
        record: failureRecord(f),
      })),
    ),
  ];
  const count =
    report.run.length + report.segments.reduce((n, s) => n + (s.report?.failureCount ?? 0), 0);
  const segments = report.manifest.segments.length;
  if (args.json) {
    out.stdout(
      JSON.stringify({
        ok: report.ok,
        run: args.trace,
        segments,
        segment_rows: report.manifest.segmentRows,
        rows: report.rows,
        field: args.field,
        failure_count: count,
        failures: failures
          .slice(0, args['max-failures'])
          .map((f) => ({ segment: f.segment, ...f.record })),
      }),
    );
  } else if (report.ok) {
    out.stdout(
      `ok: ${args.trace}: ${segments} segments, ${report.rows} rows; every segment's constraints and memory arguments hold, and the segments chain from the program's initial state to the claim (field ${args.field})`,
    );
  } else {
    out.stdout(`FAILED: ${args.trace}: ${count} failure${count === 1 ? '' : 's'}`);
    for (const f of failures.slice(0, args['max-failures']))
      out.stdout(oneLine(`  ${f.segment === null ? 'run' : `segment ${f.segment}`}: ${f.text}`));
    out.stderr(`tvm-trace: ${args.trace}: ${count} failure${count === 1 ? '' : 's'}`);
  }
  return report.ok ? ExitCode.OK : ExitCode.CONSTRAINT_FAILED;
}
