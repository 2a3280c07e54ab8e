/**
 * A check failure rendered as text, in one place: the constraint, where it failed (from the
 * Failure's fields: row, step, pc, instruction, which side of the log), then the message,
 * which never repeats the location. The CLI's text, `check --json` and `check run/` use it.
 */
import type { Failure } from './check.js';

/** Where a failure is, e.g. `row 5 (step 5, pc 2: ADD 1)`, `log row 3`; '' for the whole trace. */
export function failureLocation(f: Failure): string {
  if (f.row === null) return '';
  if (f.location === 'log_row') return `log row ${f.row}`;
  const at =
    f.step === null
      ? ''
      : ` (step ${f.step}, pc ${f.pc}${f.instruction === null ? '' : `: ${f.instruction}`})`;
  // A transition (location row_pair) is named by its first row, as every row-set failure is.
  return `row ${f.row}${at}`;
}

/** `constraint: location: message`, one line. */
export function formatFailure(f: Failure): string {
  const where = failureLocation(f);
  return `${f.constraint}: ${where === '' ? '' : `${where}: `}${f.message}`;
}

/** A failure as `--json` prints it: its fields, and the line `formatFailure` makes of them. */
export function failureRecord(f: Failure): Failure & { text: string } {
  return { ...f, text: formatFailure(f) };
}
