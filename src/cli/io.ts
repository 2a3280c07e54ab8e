import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AssemblyError, assemble } from '../isa/assemble.js';
import type { Program } from '../isa/program.js';
import { CliError, ExitCode } from './errors.js';

/** Read a file or fail with a one-line error naming it. */
export function readInput(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
    throw new CliError('io_error', `${path}: cannot read: ${reason}`, ExitCode.BAD_INPUT);
  }
}

/** Assemble a .tvm file; assembly errors become `FILE:LINE: message` with exit code 2. */
export function loadProgram(path: string): Program {
  const source = readInput(path).toString('utf8');
  try {
    return assemble(source);
  } catch (error) {
    if (error instanceof AssemblyError) {
      throw new CliError('assembly_error', error.format(path), ExitCode.ASSEMBLY_ERROR, { line: error.line });
    }
    throw error;
  }
}

/** A temporary sibling path: same directory, so the final rename is atomic. */
export function temporarySibling(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
}

/**
 * Write bytes via a temporary file renamed over the target at the end, so a failed
 * write never leaves a partial file and never clobbers what was there.
 */
export function writeFileAtomic(target: string, bytes: Uint8Array): void {
  const temp = temporarySibling(target);
  try {
    const fd = openSync(temp, 'wx');
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError('io_error', `${target}: cannot write: ${code ?? String(error)}`, ExitCode.BAD_INPUT);
  }
}
