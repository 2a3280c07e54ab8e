/**
 * The bridge to the Rust prover (`prover/`, binary `tvm-prove`): where the binary is, and
 * running it with the caller's output. The CLI's `prove` and `verify` are this binary's
 * commands; the TypeScript side adds only what needs the TypeScript compiler (a `.tvm`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCircuit, circuitBytes, type Statement } from '../prove/circuit.js';
import { CliError, ExitCode } from './errors.js';
import type { Output } from './options.js';

/** The package root: dist/cli/prover.js and src/cli/prover.ts both sit two levels below it. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where `npm ci` (the prepare script) or `npm run build:prover` puts the binary. */
export const PROVER_BINARY = `${PACKAGE_ROOT}prover/target/release/tvm-prove`;

/** The prover binary: $TVM_PROVE if set, else the one built in prover/target/release. */
export function proverBinary(): string {
  const path = process.env.TVM_PROVE ?? PROVER_BINARY;
  if (!existsSync(path))
    throw new CliError(
      'prover_missing',
      `the Rust prover is not built (${path} is missing): run \`npm run build:prover\` (cargo build --release in prover/; needs a Rust toolchain, about 3 minutes the first time)`,
      ExitCode.BAD_INPUT,
    );
  return path;
}

/**
 * Run the prover with `args`; its stdout and stderr lines go to `out` as they come (progress
 * on long proofs), and its exit code is returned unchanged: the binary's codes are the CLI's.
 */
export function runProver(args: readonly string[], out: Output): Promise<number> {
  const binary = proverBinary();
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const forward = (stream: NodeJS.ReadableStream, write: (line: string) => void) => {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) write(line.replace(/\r$/, ''));
      });
      stream.on('end', () => {
        if (pending !== '') write(pending);
      });
    };
    forward(child.stdout, (line) => out.stdout(line));
    forward(child.stderr, (line) => out.stderr(line));
    // Ctrl-C reaches the child too (same process group); it removes its own temporary file.
    child.on('error', (error) =>
      reject(
        new CliError('prover_failed', `cannot run ${binary}: ${error.message}`, ExitCode.BAD_INPUT),
      ),
    );
    child.on('close', (code, signal) =>
      resolve(code ?? (signal === 'SIGINT' ? ExitCode.INTERRUPTED : 70)),
    );
  });
}

/**
 * Run the prover with the circuit of `statement` written to a temporary file, whose path
 * `args` receives; the file is removed afterwards, whatever the outcome.
 */
export async function runProverOnCircuit(
  statement: Statement,
  args: (circuit: string) => readonly string[],
  out: Output,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'tvm-circuit-'));
  try {
    const circuit = join(dir, 'circuit.json');
    writeFileSync(circuit, circuitBytes(buildCircuit(statement)).bytes);
    return await runProver(args(circuit), out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
