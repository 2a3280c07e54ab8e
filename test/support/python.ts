/**
 * The project's Python (.venv, made by `npm run setup:python` = scripts/setup-python.sh from
 * interop/requirements.txt): pyarrow, polars and DuckDB, for the interop tests.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const VENV_PYTHON = resolve('.venv', 'bin', 'python');

/** The venv's python, or an error saying how to make it. */
export function venvPython(): string {
  if (!existsSync(VENV_PYTHON))
    throw new Error(
      `${VENV_PYTHON} is missing: the interop tests need the project's Python tools; run \`npm run setup:python\` (scripts/setup-python.sh) first`,
    );
  return VENV_PYTHON;
}

/** Run a Python script (source text) with arguments; its stdout. Throws with its stderr on failure. */
export function python(source: string, ...args: string[]): string {
  try {
    return execFileSync(venvPython(), ['-c', source, ...args], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(
      `python failed: ${e.stderr?.trim().split('\n').slice(-3).join(' | ') ?? e.message}`,
      { cause: error },
    );
  }
}

/** Run a Python file of the repository with arguments; its stdout. */
export function pythonFile(file: string, ...args: string[]): string {
  try {
    return execFileSync(venvPython(), [resolve(file), ...args], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: join(resolve('.')),
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(
      `python ${file} failed: ${e.stderr?.trim().split('\n').slice(-3).join(' | ') ?? e.message}`,
      { cause: error },
    );
  }
}
