import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ArtifactError, artifactProgram, decodeArtifact, looksLikeArtifact, type CompiledArtifact } from '../compiler/artifact.js';
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

/** A program as loaded from a `.tvm` source or a compiled `.tvmc` artifact. */
export interface LoadedProgram {
  readonly program: Program;
  /** The `.tvm` text (absent for a `.tvmc`). */
  readonly sourceText?: string;
  /** The validated artifact (absent for a `.tvm`). */
  readonly artifact?: CompiledArtifact;
}

/** True for a `.tvmc` path or bytes that start like a msgpack map (never valid `.tvm` text). */
function isArtifact(path: string, bytes: Uint8Array): boolean {
  return path.toLowerCase().endsWith('.tvmc') || looksLikeArtifact(bytes);
}

/**
 * Load a `.tvm` (assembled) or a `.tvmc` (decoded and validated). Assembly errors become
 * `FILE:LINE: message`, artifact errors `FILE: message`, both with exit code 2.
 */
export function loadProgramSource(path: string): LoadedProgram {
  const bytes = readInput(path);
  if (isArtifact(path, bytes)) {
    try {
      const artifact = decodeArtifact(bytes, path);
      return { program: artifactProgram(artifact), artifact };
    } catch (error) {
      if (error instanceof ArtifactError) throw new CliError('bad_artifact', error.message, ExitCode.BAD_INPUT);
      throw error;
    }
  }
  const sourceText = bytes.toString('utf8');
  try {
    return { program: assemble(sourceText), sourceText };
  } catch (error) {
    if (error instanceof AssemblyError) {
      throw new CliError('assembly_error', error.format(path), ExitCode.ASSEMBLY_ERROR, { line: error.line });
    }
    throw error;
  }
}

/** Assemble a .tvm file (or load a .tvmc); errors are one line with exit code 2. */
export function loadProgram(path: string): Program {
  return loadProgramSource(path).program;
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
