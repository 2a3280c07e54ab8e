/** Options and output plumbing shared by the CLI commands. */
import { MAX_THREADS } from '../trace/write/export.js';

/** Default step budget of run and export (documented in the README). */
export const DEFAULT_MAX_STEPS = 1_000_000;

export const maxStepsOption = {
  type: 'string' as const,
  // Without this, a bare `--max-steps` (no value) silently means the default.
  requiresArg: true,
  default: String(DEFAULT_MAX_STEPS),
  describe: 'stop after this many steps',
  coerce: (value: unknown) => positiveInteger('--max-steps', value),
};

/** `run --max-steps`: 0 as well, which prints the initial state (as the Rust reference does). */
export const runMaxStepsOption = {
  ...maxStepsOption,
  describe: 'stop after this many steps (0: the initial state)',
  coerce: (value: unknown) => nonNegativeInteger('--max-steps', value),
};

/** Parse a positive safe integer flag value or throw a usage error naming the flag. */
export function positiveInteger(flag: string, value: unknown): number {
  const number = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < 1) {
    throw new Error(`${flag} must be a positive integer, got '${String(value)}'`);
  }
  return number;
}

export function nonNegativeInteger(flag: string, value: unknown): number {
  const number = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number))
    throw new Error(`${flag} must be a non-negative integer, got '${String(value)}'`);
  return number;
}

export function threadCount(value: unknown): number {
  const threads = nonNegativeInteger('--threads', value);
  if (threads > MAX_THREADS)
    throw new Error(`--threads must be at most ${MAX_THREADS}, got '${String(value)}'`);
  return threads;
}

/** Where commands write: stdout for data, stderr for messages. Injectable for tests. */
export interface Output {
  stdout(line: string): void;
  stderr(line: string): void;
}

export const processOutput: Output = {
  stdout: (line) => process.stdout.write(line + '\n'),
  stderr: (line) => process.stderr.write(line + '\n'),
};
