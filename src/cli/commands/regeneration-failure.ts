/** How a segment that could not be made from its job (prove-segment, prove run/ of a manifest-only run) is reported. */
import type { SegmentJob } from '../../trace/format/manifest.js';
import { ExportInterrupted } from '../../trace/write/export.js';
import { SegmentMismatchError } from '../../trace/write/segments.js';
import { CliError, ExitCode } from '../errors.js';

/** The CLI error `error` ends in: interrupted (130), not the manifest's segment (1), a bad job (2). */
export function regenerationFailure(error: unknown, job: SegmentJob): unknown {
  if (error instanceof ExportInterrupted)
    return new CliError('interrupted', 'interrupted', ExitCode.INTERRUPTED);
  if (error instanceof SegmentMismatchError)
    return new CliError('not_proved', error.message, ExitCode.CONSTRAINT_FAILED);
  if (error instanceof Error)
    return new CliError('bad_job', `segment ${job.index}: ${error.message}`, ExitCode.BAD_INPUT);
  return error;
}
