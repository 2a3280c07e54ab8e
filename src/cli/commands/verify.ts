/**
 * `tvm-trace verify PROOF --program PROG [--claim CLAIM]`: build the circuit of the statement —
 * the program given here (recompiled), its initial state, and the claim (or, without one, the
 * final state the proof says it proves) — and run the Rust verifier against it. Nothing of
 * the statement comes from the proof but that final state and ff_dim, both then verified.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Argv } from 'yargs';
import { isBundle } from '../../prove/bundle.js';
import { positiveInteger } from '../options.js';
import { verifyBundleCommand } from './verify-bundle.js';
import {
  proofHeader,
  statementFromClaim,
  statementFromProof,
  StatementError,
  StatementMismatch,
} from '../../prove/statement.js';
import { CliError, ExitCode } from '../errors.js';
import { loadProgram, readInput } from '../io.js';
import type { Output } from '../options.js';
import { proverBinary, runProverOnCircuit } from '../prover.js';

export interface VerifyArgs {
  proof: string;
  program: string;
  claim?: string;
  json: boolean;
  jobs?: number;
}

export function verifyBuilder(yargs: Argv): Argv<VerifyArgs> {
  return yargs
    .positional('proof', {
      type: 'string',
      demandOption: true,
      describe: "the proof file, or a segmented run's bundle (from prove run/)",
    })
    .option('jobs', {
      type: 'string',
      requiresArg: true,
      describe: 'segment proofs of a bundle verified at once (default: the cores)',
      coerce: (value: unknown) => positiveInteger('--jobs', value),
    })
    .option('program', {
      type: 'string',
      demandOption: true,
      requiresArg: true,
      describe: 'the program the proof must be of (.tvm or .tvmc)',
    })
    .option('claim', {
      type: 'string',
      requiresArg: true,
      describe: 'the claim the proof must prove (.msgpack, from export --claim)',
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print the verified statement as one JSON object',
    });
}

export async function verifyCommand(args: VerifyArgs, out: Output): Promise<number> {
  proverBinary();
  const program = loadProgram(args.program);
  if (isBundle(readHead(args.proof))) return verifyBundleCommand(args, program, out);
  let statement;
  try {
    const header = proofHeader(readInput(args.proof), args.proof);
    statement =
      args.claim === undefined
        ? statementFromProof(program, header)
        : statementFromClaim(program, readInput(args.claim), header.ff_dim, args.claim);
  } catch (error) {
    if (error instanceof StatementMismatch)
      throw new CliError('rejected', `rejected: ${error.message}`, ExitCode.CONSTRAINT_FAILED);
    if (error instanceof StatementError)
      throw new CliError('bad_input', error.message, ExitCode.BAD_INPUT);
    throw error;
  }
  return runProverOnCircuit(
    statement,
    (circuit) => ['verify', args.proof, '--circuit', circuit, ...(args.json ? ['--json'] : [])],
    out,
  );
}

/** The first bytes of a file (empty when it cannot be read: the full read reports why). */
function readHead(path: string): Uint8Array {
  try {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(64);
      return head.subarray(0, readSync(fd, head, 0, head.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch {
    return new Uint8Array(0);
  }
}
