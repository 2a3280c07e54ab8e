/** A segment made from its job in a temporary file (prove-segment, prove run/ of a manifest-only run), its failures as CLI errors. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SegmentJob } from '../../trace/format/manifest.js';
import { ExportInterrupted } from '../../trace/write/export.js';
import { regenerateSegment, SegmentMismatchError } from '../../trace/write/segments.js';
import { CliError, ExitCode } from '../errors.js';

/**
 * Make the job's segment in a temporary file (checked to be the manifest's) and run `use` on
 * it; the file is removed after. A segment that cannot be made ends as a CliError:
 * interrupted (130), not the manifest's segment (1), a bad job (2).
 */
export async function withRegeneratedSegment<T>(
  job: SegmentJob,
  use: (file: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'tvm-segment-'));
  try {
    const file = join(dir, 'segment.arrow');
    try {
      await regenerateSegment(job, file, signal);
    } catch (error) {
      throw regenerationFailure(error, job);
    }
    return await use(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function regenerationFailure(error: unknown, job: SegmentJob): unknown {
  if (error instanceof ExportInterrupted)
    return new CliError('interrupted', 'interrupted', ExitCode.INTERRUPTED);
  if (error instanceof SegmentMismatchError)
    return new CliError('not_proved', error.message, ExitCode.CONSTRAINT_FAILED);
  if (error instanceof Error)
    return new CliError('bad_job', `segment ${job.index}: ${error.message}`, ExitCode.BAD_INPUT);
  return error;
}
