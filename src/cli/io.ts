/** Reading the CLI's inputs (programs, bounded files) and writing outputs atomically. */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  ArtifactError,
  artifactProgram,
  decodeArtifact,
  looksLikeArtifact,
  type CompiledArtifact,
} from '../compiler/artifact.js';
import { AssemblyError, assemble } from '../isa/assemble.js';
import type { Program } from '../isa/program.js';
import { CliError, ExitCode } from './errors.js';

/**
 * Largest program file `run`, `export`, `compile`, `verify` and `check --program` read: 1 MiB.
 * The largest example is 0.7 kB as `.tvm` and 7 kB as `.tvmc`; a trace holds at most 1,024
 * instructions. Reading stops at the limit, so `/dev/zero` or a pipe that never ends is refused
 * rather than read forever, and the assembler's memory is bounded by the limit (1 MiB of `NOP`
 * lines: 262,144 instructions, assembled in 0.13 s; `run` of it peaks at 160 MB RSS).
 */
export const MAX_PROGRAM_BYTES = 1 << 20;

const READ_REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
};

/**
 * Read a program file (`-`: standard input), at most `limit` bytes, or fail with a one-line error
 * naming it (exit 2).
 */
export function readInput(path: string, limit = MAX_PROGRAM_BYTES): Buffer {
  const name = path === '-' ? '- (standard input)' : path;
  let fd: number | undefined;
  try {
    fd = path === '-' ? 0 : openSync(path, 'r');
    if (path !== '-' && fstatSync(fd).isDirectory())
      throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 16, limit + 1 - total));
      let got: number;
      try {
        got = readSync(fd, chunk, 0, chunk.byteLength, null);
      } catch (error) {
        // Standard input in non-blocking mode (a terminal, some pipes): wait for it.
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (got === 0) break;
      chunks.push(chunk.subarray(0, got));
      total += got;
      if (total > limit)
        throw new CliError(
          'too_large',
          `${name}: larger than ${limit} bytes, the limit for a program`,
          ExitCode.BAD_INPUT,
        );
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    if (error instanceof CliError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = READ_REASONS[code ?? ''] ?? String(code ?? error);
    throw new CliError('io_error', `${name}: cannot read: ${reason}`, ExitCode.BAD_INPUT);
  } finally {
    if (fd !== undefined && fd !== 0) closeSync(fd);
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
      if (error instanceof ArtifactError)
        throw new CliError('bad_artifact', error.message, ExitCode.BAD_INPUT);
      throw error;
    }
  }
  const sourceText = bytes.toString('utf8');
  try {
    return { program: assemble(sourceText), sourceText };
  } catch (error) {
    if (error instanceof AssemblyError) {
      throw new CliError('assembly_error', error.format(path), ExitCode.ASSEMBLY_ERROR, {
        line: error.line,
      });
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
    throw new CliError(
      'io_error',
      `${target}: cannot write: ${code ?? String(error)}`,
      ExitCode.BAD_INPUT,
    );
  }
}
