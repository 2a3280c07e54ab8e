/**
 * `tvm-trace verify PROOF --program PROG [--claim CLAIM]`: the Rust prover's `verify`. A `.tvm`
 * program is compiled here (the TypeScript compiler is the only one) into a temporary `.tvmc`
 * the verifier rebuilds its tables from; a `.tvmc` is handed over as it is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { artifactFromCompiled, encodeArtifact } from '../../compiler/artifact.js';
import { compileProgram } from '../../compiler/compile.js';
import { loadProgramSource, writeFileAtomic } from '../io.js';
import type { Output } from '../options.js';
import { runProver } from '../prover.js';

export interface VerifyArgs {
  proof: string;
  program: string;
  claim?: string;
  json: boolean;
}

export function verifyBuilder(yargs: Argv): Argv<VerifyArgs> {
  return yargs
    .positional('proof', { type: 'string', demandOption: true, describe: 'the proof file' })
    .option('program', { type: 'string', demandOption: true, requiresArg: true, describe: 'the program the proof must be of (.tvm or .tvmc)' })
    .option('claim', { type: 'string', requiresArg: true, describe: 'the claim the proof must prove (.msgpack, from export --claim)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the verified statement as one JSON object' }) as unknown as Argv<VerifyArgs>;
}

export async function verifyCommand(args: VerifyArgs, out: Output): Promise<number> {
  const loaded = loadProgramSource(args.program);
  const rest = [...(args.claim === undefined ? [] : ['--claim', args.claim]), ...(args.json ? ['--json'] : [])];
  if (loaded.artifact !== undefined) return runProver(['verify', args.proof, '--program', args.program, ...rest], out);
  const dir = mkdtempSync(join(tmpdir(), 'tvm-verify-'));
  try {
    const compiled = join(dir, 'program.tvmc');
    writeFileAtomic(compiled, encodeArtifact(artifactFromCompiled(compileProgram(loaded.program))));
    return await runProver(['verify', args.proof, '--program', compiled, ...rest], out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
