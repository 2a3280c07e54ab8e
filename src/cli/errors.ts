/** The CLI's exit codes and its one error type, each failure printed as one line. */
import { printable } from '../isa/text.js';

/** Exit codes of the CLI; each failure class has exactly one. */
export const ExitCode = Object.freeze({
  OK: 0,
  CONSTRAINT_FAILED: 1,
  ASSEMBLY_ERROR: 2,
  BAD_INPUT: 2,
  RUNTIME_FAULT: 3,
  DIVERGENCE: 4,
  USAGE: 64,
  /** Stopped by SIGINT/SIGTERM (128 + SIGINT), nothing written. */
  INTERRUPTED: 130,
});

/**
 * A failure the CLI reports as one line (and as a JSON object with --json).
 * `fields` are merged into the JSON form, e.g. line, step, pc.
 */
export class CliError extends Error {
  constructor(
    readonly kind: string,
    message: string,
    readonly exitCode: number,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError('usage', message, ExitCode.USAGE);
}

/** A message as one line: line breaks with their indentation become one space, other control characters escaped. */
export function oneLine(message: string): string {
  return message
    .split(/\s*\r?\n\s*/)
    .map((part) => printable(part, false))
    .join(' ');
}
