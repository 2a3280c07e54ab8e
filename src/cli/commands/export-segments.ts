/**
 * `tvm-trace export PROG --segment-rows S -o run/`: the run as segments (manifest.json and one
 * trace per S steps; with --manifest-only the manifest alone), each line of progress a segment;
 * `--claim` writes the run's claim.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Packr } from 'msgpackr';
import { MAX_TRACE_ROWS } from '../../air/columns.js';
import type { Program } from '../../isa/program.js';
import { claimDocument } from '../../trace/format/claim-file.js';
import { MANIFEST_FILE } from '../../trace/format/manifest.js';
import type { TraceMetadata } from '../../trace/format/metadata.js';
import { MAX_SEGMENTED_STEPS } from '../../trace/write/export.js';
import { exportSegments } from '../../trace/write/segments.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { writeFileAtomic } from '../io.js';
import type { Output } from '../options.js';
import { stateInline, stateRecord } from '../state-format.js';
import type { ExportArgs } from './export.js';
import { exportFailure } from './export-failure.js';

export async function exportSegmentsCommand(
  args: ExportArgs,
  segmentRows: number,
  { program, ffDim }: { program: Program; ffDim: number },
  out: Output,
): Promise<number> {
  const maxSteps = args['max-steps'];
  if (segmentRows > MAX_TRACE_ROWS || (segmentRows & (segmentRows - 1)) !== 0)
    throw usageError(
      `--segment-rows ${segmentRows} must be a power of two of at most ${MAX_TRACE_ROWS} (2^29)`,
    );
  if (maxSteps > MAX_SEGMENTED_STEPS)
    throw usageError(
      `--max-steps ${maxSteps} is over the limit of a segmented run, ${MAX_SEGMENTED_STEPS} (2^30)`,
    );
  const target = args.output;
  if (existsSync(target) && !statSync(target).isDirectory())
    throw new CliError(
      'io_error',
      `${target}: is a file; --segment-rows writes a directory`,
      ExitCode.BAD_INPUT,
    );
  if (existsSync(target) && !existsSync(join(target, MANIFEST_FILE)) && !isEmptyDir(target))
    throw new CliError(
      'io_error',
      `${target}: a directory that is not a segmented run; choose a new or empty directory`,
      ExitCode.BAD_INPUT,
    );
  if (!existsSync(dirname(target) || '.'))
    throw new CliError(
      'io_error',
      `${target}: cannot write: directory ${dirname(target)} does not exist`,
      ExitCode.BAD_INPUT,
    );
  const stop = new AbortController();
  const interrupt = () => stop.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const started = Date.now();
  let last: TraceMetadata | null = null;
  let manifest;
  try {
    manifest = await exportSegments(
      program,
      target,
      {
        maxSteps,
        ffDim,
        batchRows: args['batch-rows'],
        threads: args.threads,
        compression: args.compression,
        segmentRows,
        keepFiles: !args['manifest-only'],
        onSegment: (entry, result) => {
          last = result.metadata;
          if (!args.quiet && !args.json)
            out.stderr(
              `segment ${entry.index}: steps ${entry.initial.steps}..${entry.final.steps}, ${result.bytes} bytes (${((Date.now() - started) / 1000).toFixed(1)} s)`,
            );
        },
      },
      stop.signal,
    );
  } catch (error) {
    exportFailure(error, target);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
  if (args.claim !== undefined && last !== null) {
    const packr = new Packr({ useRecords: false, variableMapSize: true });
    writeFileAtomic(args.claim, packr.pack(claimDocument(last)));
  }
  const end = manifest.segments[manifest.segments.length - 1].final;
  if (args.json) {
    out.stdout(
      JSON.stringify({
        program: args.program,
        output: target,
        segments: manifest.segments.length,
        segment_rows: segmentRows,
        steps: end.steps,
        ff_dim: ffDim,
        weights_sha256: manifest.weightsSha256,
        claim: { ...stateRecord(end), fault: end.fault },
      }),
    );
  } else {
    out.stdout(
      `wrote ${target}: ${manifest.segments.length} segments of ${segmentRows} rows${args['manifest-only'] ? ' (manifest only)' : ''}, ${end.steps} steps, ff_dim ${ffDim}`,
    );
    out.stdout(`claim: ${stateInline(end)}`);
    if (end.fault !== null) out.stdout(`fault: ${end.fault.message}`);
  }
  return ExitCode.OK;
}

function isEmptyDir(path: string): boolean {
  return readdirSync(path).length === 0;
}
