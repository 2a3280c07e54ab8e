/**
 * `tvm-trace verify PROOF --program PROG [--claim CLAIM]`: build the circuit of the statement —
 * the program given here (recompiled), its initial state, and the claim (or, without one, the
 * final state the proof says it proves) — and run the Rust verifier against it. Nothing of
 * the statement comes from the proof but that final state and ff_dim, both then verified.
 */
import type { Argv } from 'yargs';
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
}

export function verifyBuilder(yargs: Argv): Argv<VerifyArgs> {
  return yargs
    .positional('proof', { type: 'string', demandOption: true, describe: 'the proof file' })
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
    }) as unknown as Argv<VerifyArgs>;
}

export async function verifyCommand(args: VerifyArgs, out: Output): Promise<number> {
  proverBinary();
  const program = loadProgram(args.program);
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
