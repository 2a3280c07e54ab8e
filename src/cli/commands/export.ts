/** `tvm-trace export PROG -o TRACE`: parse the flags, run and write the witness (and the claim). */
import { SingleBar } from 'cli-progress';
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import type { TraceMetadata } from '../../trace/format/metadata.js';
import { dirname } from 'node:path';
import { Packr } from 'msgpackr';
import type { Argv } from 'yargs';
import { MAX_TRACE_FF_DIM, MAX_TRACE_INSTRUCTIONS, MAX_TRACE_ROWS } from '../../air/columns.js';
import { compileProgram } from '../../compiler/compile.js';
import {
  DEFAULT_BATCH_ROWS,
  exportTraceInterruptible,
  type ExportProgress,
} from '../../trace/write/export.js';
import { claimDocument } from '../../trace/format/claim-file.js';
import { COMPRESSIONS, type Compression } from '../../trace/format/codecs.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { stateInline, stateRecord } from '../state-format.js';
import { loadProgramSource, temporarySibling } from '../io.js';
import { maxStepsOption, positiveInteger, threadCount, type Output } from '../options.js';
import type { Program } from '../../isa/program.js';
import { exportFailure } from './export-failure.js';
import { exportSegmentsCommand } from './export-segments.js';

export interface ExportArgs {
  program: string;
  output: string;
  'max-steps': number;
  'batch-rows': number;
  'ff-dim'?: number;
  claim?: string;
  quiet: boolean;
  json: boolean;
  threads?: number;
  compression: Compression;
  'segment-rows'?: number;
  'manifest-only': boolean;
}

const MAX_BATCH_ROWS = 1 << 20;

export function exportBuilder(yargs: Argv): Argv<ExportArgs> {
  return yargs
    .positional('program', {
      type: 'string',
      demandOption: true,
      describe: 'the .tvm program (or a .tvmc artifact)',
    })
    .option('output', {
      alias: 'o',
      type: 'string',
      demandOption: true,
      requiresArg: true,
      describe: 'the Arrow IPC file to write',
    })
    .option('max-steps', maxStepsOption)
    .option('batch-rows', {
      type: 'string',
      requiresArg: true,
      default: String(DEFAULT_BATCH_ROWS),
      describe: 'rows per Arrow record batch',
      coerce: (value: unknown) => positiveInteger('--batch-rows', value),
    })
    .option('ff-dim', {
      type: 'string',
      requiresArg: true,
      describe: 'hidden units per row (default: the widest instruction of the program)',
      coerce: (value: unknown) => positiveInteger('--ff-dim', value),
    })
    .option('claim', {
      type: 'string',
      requiresArg: true,
      describe: 'also write the claim as msgpack here',
    })
    .option('threads', {
      type: 'string',
      requiresArg: true,
      describe:
        'worker threads sharing the FFN run with the main thread, a batch at a time (0: all on the main thread; default 1 for runs of 4M steps or more, else 0)',
      coerce: threadCount,
    })
    .option('compression', {
      type: 'string',
      choices: COMPRESSIONS as unknown as string[],
      default: 'none',
      requiresArg: true,
      describe: 'Arrow IPC body compression of every buffer (zstd: ~10x smaller)',
    })
    .option('segment-rows', {
      type: 'string',
      requiresArg: true,
      describe:
        'write the run as segments of this many steps (a power of two): -o names a directory that receives manifest.json and one trace per segment',
      coerce: (value: unknown) => positiveInteger('--segment-rows', value),
    })
    .option('manifest-only', {
      type: 'boolean',
      default: false,
      describe:
        'with --segment-rows: keep only manifest.json (each segment is written, hashed and removed); prove run/ makes each segment again from it',
    })
    .option('quiet', { type: 'boolean', default: false, describe: 'no progress bar' })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print the summary as JSON',
    }) as unknown as Argv<ExportArgs>;
}

/** A progress bar on stderr, only for a TTY. */
function progressBar(enabled: boolean): { progress: ExportProgress | undefined; stop(): void } {
  if (!enabled) return { progress: undefined, stop() {} };
  let bar: SingleBar | null = null;
  let phase = '';
  return {
    progress: {
      update(next, done, total) {
        if (next !== phase || bar === null) {
          bar?.stop();
          phase = next;
          bar = new SingleBar({
            stream: process.stderr,
            format:
              next === 'run'
                ? ' run    {value} steps'
                : ' write  [{bar}] {percentage}% | {value}/{total} rows',
            hideCursor: true,
            clearOnComplete: true,
          });
          bar.start(total ?? 0, done);
        }
        bar.update(done);
      },
    },
    stop() {
      bar?.stop();
    },
  };
}

export async function exportCommand(args: ExportArgs, out: Output): Promise<number> {
  if (args['segment-rows'] !== undefined)
    return exportSegmentsCommand(args, args['segment-rows'], exportProgram(args), out);
  if (args['manifest-only']) throw usageError('--manifest-only needs --segment-rows');
  const maxSteps = args['max-steps'];
  if (maxSteps > MAX_TRACE_ROWS)
    throw usageError(
      `--max-steps ${maxSteps} is over the trace limit ${MAX_TRACE_ROWS} (2^29 rows)`,
    );
  const batchRows = args['batch-rows'];
  if (batchRows > MAX_BATCH_ROWS)
    throw usageError(`--batch-rows ${batchRows} is over the limit ${MAX_BATCH_ROWS}`);
  const target = args.output;
  // Both outputs are checked before the run, so a bad --claim path does not fail after the trace is written.
  for (const output of args.claim === undefined ? [target] : [target, args.claim]) {
    if (existsSync(output) && statSync(output).isDirectory())
      throw new CliError('io_error', `${output}: is a directory`, ExitCode.BAD_INPUT);
    if (!existsSync(dirname(output) || '.'))
      throw new CliError(
        'io_error',
        `${output}: cannot write: directory ${dirname(output)} does not exist`,
        ExitCode.BAD_INPUT,
      );
  }
  const { program, ffDim } = exportProgram(args);

  const bar = progressBar(!args.quiet && process.stderr.isTTY === true);
  // Ctrl-C or a kill stops the export between batches: its temporary files are removed and the
  // targets keep whatever they had. Nothing is written before these handlers are installed, so
  // a signal that comes earlier (and kills the process) leaves nothing either.
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  // The claim is written under a temporary name and renamed just before the trace's own
  // temporary file is (ExportOptions.beforeRename), so a claim that cannot be written leaves no
  // trace, and a failed export leaves no claim.
  const claimOutput =
    args.claim === undefined
      ? undefined
      : { path: args.claim, temp: temporarySibling(args.claim), fd: -1 };
  let result;
  try {
    // The claim's file is created first: a path where no file can be made fails before the run.
    if (claimOutput !== undefined)
      claimOutput.fd = createOutput(claimOutput.path, claimOutput.temp);
    const beforeRename =
      claimOutput === undefined
        ? undefined
        : (metadata: TraceMetadata) => {
            const packr = new Packr({ useRecords: false, variableMapSize: true });
            writeOutput(claimOutput.path, claimOutput.fd, packr.pack(claimDocument(metadata)));
            claimOutput.fd = -1;
            renameOutput(claimOutput.path, claimOutput.temp);
          };
    result = await exportTraceInterruptible(
      program,
      target,
      {
        maxSteps,
        batchRows,
        ffDim,
        progress: bar.progress,
        threads: args.threads,
        compression: args.compression,
        beforeRename,
      },
      stop.signal,
    );
  } catch (error) {
    if (claimOutput !== undefined) {
      if (claimOutput.fd >= 0) closeSync(claimOutput.fd);
      rmSync(claimOutput.temp, { force: true });
    }
    exportFailure(error, target);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    bar.stop();
  }
  const claim = result.metadata.claim;
  const summary = {
    program: args.program,
    output: target,
    rows: result.rows,
    bytes: result.bytes,
    bytes_per_row: result.rows === 0 ? 0 : Math.round((result.bytes / result.rows) * 10) / 10,
    ff_dim: ffDim,
    weights_sha256: result.metadata.weightsSha256,
    fields: result.metadata.fields,
    claim: { ...stateRecord(claim), fault: claim.fault },
  };
  if (args.json) {
    out.stdout(JSON.stringify(summary));
  } else {
    out.stdout(
      `wrote ${target}: ${summary.rows} rows, ${summary.bytes} bytes (${summary.bytes_per_row} bytes/row), ff_dim ${ffDim}`,
    );
    out.stdout(`claim: ${stateInline(claim)}`);
    if (claim.fault !== null) out.stdout(`fault: ${claim.fault.message}`);
    out.stdout(`fields: ${summary.fields.join(', ')}`);
  }
  return ExitCode.OK;
}

/** The program to export and its width, from the command line: one line for each way they are wrong. */
export function exportProgram(args: ExportArgs): { program: Program; ffDim: number } {
  const loaded = loadProgramSource(args.program);
  const program = loaded.program;
  const minFfDim = Math.max(1, compileProgram(program).minFfDim);
  const ffDim = args['ff-dim'] ?? loaded.artifact?.ffDim ?? minFfDim;
  if (ffDim < minFfDim)
    throw usageError(
      `--ff-dim ${ffDim} is narrower than the widest instruction of ${args.program} (${minFfDim} units)`,
    );
  if (ffDim > MAX_TRACE_FF_DIM)
    throw usageError(`--ff-dim ${ffDim} is over the limit ${MAX_TRACE_FF_DIM}`);
  if (program.instructions.length > MAX_TRACE_INSTRUCTIONS)
    throw new CliError(
      'program_too_long',
      `${args.program}: ${program.instructions.length} instructions; a trace holds programs of at most ${MAX_TRACE_INSTRUCTIONS}`,
      ExitCode.BAD_INPUT,
    );
  return { program, ffDim };
}

/** Create `temp` (beside `target`) for writing; the error says what could not be made, and where. */
function createOutput(target: string, temp: string): number {
  try {
    return openSync(temp, 'wx');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new CliError(
      'io_error',
      `${target}: cannot write: cannot create a file in ${dirname(temp)} (${code})`,
      ExitCode.BAD_INPUT,
    );
  }
}

function writeOutput(target: string, fd: number, bytes: Uint8Array): void {
  try {
    for (let at = 0; at < bytes.byteLength; ) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } catch (error) {
    throw new CliError(
      'io_error',
      `${target}: cannot write: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      ExitCode.BAD_INPUT,
    );
  } finally {
    closeSync(fd);
  }
}

function renameOutput(target: string, temp: string): void {
  try {
    renameSync(temp, target);
  } catch (error) {
    throw new CliError(
      'io_error',
      `${target}: cannot write: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      ExitCode.BAD_INPUT,
    );
  }
}
