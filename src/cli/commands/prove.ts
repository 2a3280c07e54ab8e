/**
 * `tvm-trace prove TRACE -o PROOF`: check the trace (a failing one is exit 1, named as `check`
 * names it, and never proved), build its circuit, and run the Rust prover on it.
 */
import { existsSync, statSync } from 'node:fs';
import type { Argv } from 'yargs';
import { positiveInteger } from '../options.js';
import { proveRunCommand } from './prove-run.js';
import { checkTrace } from '../../check/check.js';
import { statementFromTrace, StatementError } from '../../prove/statement.js';
import { TraceFormatError } from '../../trace/format/errors.js';
import { CliError, ExitCode } from '../errors.js';
import type { Output } from '../options.js';
import { proverBinary, runProverOnCircuit } from '../prover.js';

export interface ProveArgs {
  trace: string;
  output: string;
  json: boolean;
  jobs?: number;
  ray?: string;
  'ray-node-ip'?: string;
}

export function proveBuilder(yargs: Argv): Argv<ProveArgs> {
  return yargs
    .positional('trace', {
      type: 'string',
      demandOption: true,
      describe: 'the trace (Arrow IPC file) to prove, or a segmented run (a directory)',
    })
    .option('jobs', {
      type: 'string',
      requiresArg: true,
      describe: 'segments proved at once for a segmented run (default: the cores)',
      coerce: (value: unknown) => positiveInteger('--jobs', value),
    })
    .option('ray', {
      type: 'string',
      requiresArg: true,
      describe:
        'prove a segmented run on the Ray cluster at HOST:PORT (npm run setup:ray; docs/ray.md)',
    })
    .option('ray-node-ip', {
      type: 'string',
      requiresArg: true,
      describe: "this machine's address in the Ray cluster (Ray's _node_ip_address)",
    })
    .option('output', {
      alias: 'o',
      type: 'string',
      demandOption: true,
      requiresArg: true,
      describe: 'the proof file to write',
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print the result as one JSON object',
    });
}

export async function proveCommand(args: ProveArgs, out: Output): Promise<number> {
  if (existsSync(args.trace) && statSync(args.trace).isDirectory())
    return proveRunCommand(args, out);
  if (args.ray !== undefined || args.jobs !== undefined)
    throw new CliError(
      'usage',
      '--jobs and --ray prove a segmented run (a directory from export --segment-rows)',
      ExitCode.USAGE,
    );
  proverBinary(); // before the check: a missing prover is said at once
  let statement;
  try {
    const report = await checkTrace(args.trace, { maxFailures: 1 });
    if (!report.ok) {
      const f = report.failures[0];
      const where = f.row === null ? '' : ` at row ${f.row}`;
      throw new CliError(
        'not_proved',
        `${args.trace}: the trace fails ${f.constraint}${where}: no proof made (tvm-trace check shows every failure)`,
        ExitCode.CONSTRAINT_FAILED,
      );
    }
    statement = await statementFromTrace(args.trace);
  } catch (error) {
    if (error instanceof TraceFormatError)
      throw new CliError('bad_trace', `${args.trace}: ${error.message}`, ExitCode.BAD_INPUT);
    if (error instanceof StatementError)
      throw new CliError(
        'not_proved',
        `${args.trace}: ${error.message}`,
        ExitCode.CONSTRAINT_FAILED,
      );
    throw error;
  }
  return runProverOnCircuit(
    statement,
    (circuit) => [
      'prove',
      args.trace,
      '--circuit',
      circuit,
      '-o',
      args.output,
      ...(args.json ? ['--json'] : []),
    ],
    out,
  );
}
