/** How `export` (a trace or a segmented run) reports a failed export: one line, its exit code, the target untouched. */
import { BatchMemoryError, ExportInterrupted } from '../../trace/write/export.js';
import { CliError, ExitCode } from '../errors.js';

/** The CliError for `error`, raised while exporting to `target`; other errors are rethrown as they are. */
export function exportFailure(error: unknown, target: string): never {
  if (error instanceof CliError) throw error;
  if (error instanceof ExportInterrupted)
    throw new CliError(
      'interrupted',
      `export interrupted; ${target} was not written`,
      ExitCode.INTERRUPTED,
    );
  if (error instanceof BatchMemoryError)
    throw new CliError(
      'out_of_memory',
      `${error.message}; ${target} was not written`,
      ExitCode.BAD_INPUT,
    );
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== undefined)
    throw new CliError('io_error', `${target}: cannot write: ${code}`, ExitCode.BAD_INPUT);
  throw error;
}
