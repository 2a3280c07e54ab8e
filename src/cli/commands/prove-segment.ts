/**
 * `tvm-trace prove-segment JOB -o PROOF`: a worker's command (local `prove run/`, a Ray task):
 * regenerate one segment from its job — the program and the segment's initial state, a few
 * hundred bytes, not the run's files — check it is the manifest's (SHA-256), and prove it.
 * Prints one JSON line: the segment, and the seconds spent making and proving it.
 */
import type { Argv } from 'yargs';
import { statementFromTrace, StatementError } from '../../prove/statement.js';
import { ManifestError, parseSegmentJob, type SegmentJob } from '../../trace/format/manifest.js';
import { CliError, ExitCode } from '../errors.js';
import { readInput } from '../io.js';
import type { Output } from '../options.js';
import { proverBinary, runProverOnCircuit } from '../prover.js';
import { withRegeneratedSegment } from './regenerated-segment.js';

export interface ProveSegmentArgs {
  job: string;
  output: string;
}

export function proveSegmentBuilder(yargs: Argv): Argv<ProveSegmentArgs> {
  return yargs
    .positional('job', {
      type: 'string',
      demandOption: true,
      describe: 'the segment job (JSON, as `prove run/` writes it), or - for standard input',
    })
    .option('output', {
      alias: 'o',
      type: 'string',
      demandOption: true,
      requiresArg: true,
      describe: 'the proof file to write',
    });
}

function readJob(source: string): SegmentJob {
  const text = readInput(source).toString('utf8');
  try {
    return parseSegmentJob(text, source === '-' ? 'the job' : source);
  } catch (error) {
    if (error instanceof ManifestError)
      throw new CliError('bad_job', error.message, ExitCode.BAD_INPUT);
    throw error;
  }
}

export async function proveSegmentCommand(args: ProveSegmentArgs, out: Output): Promise<number> {
  proverBinary();
  const job = readJob(args.job);
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const started = performance.now();
  try {
    return await withRegeneratedSegment(
      job,
      async (trace) => {
        const made = performance.now();
        let statement;
        try {
          statement = await statementFromTrace(trace);
        } catch (error) {
          if (error instanceof StatementError)
            throw new CliError(
              'not_proved',
              `segment ${job.index}: ${error.message}`,
              ExitCode.CONSTRAINT_FAILED,
            );
          throw error;
        }
        const code = await runProverOnCircuit(
          statement,
          (circuit) => ['prove', trace, '--circuit', circuit, '-o', args.output],
          { stdout: () => {}, stderr: (line) => out.stderr(line) },
        );
        if (code !== ExitCode.OK) return code;
        out.stdout(
          JSON.stringify({
            segment: job.index,
            export_seconds: round((made - started) / 1000),
            prove_seconds: round((performance.now() - made) / 1000),
          }),
        );
        return ExitCode.OK;
      },
      stop.signal,
    );
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
