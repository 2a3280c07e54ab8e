/** `tvm-trace prove TRACE -o PROOF`: the Rust prover's `prove`, with its flags and exit codes. */
import type { Argv } from 'yargs';
import type { Output } from '../options.js';
import { runProver } from '../prover.js';

export interface ProveArgs {
  trace: string;
  output: string;
  json: boolean;
}

export function proveBuilder(yargs: Argv): Argv<ProveArgs> {
  return yargs
    .positional('trace', { type: 'string', demandOption: true, describe: 'the trace (Arrow IPC file) to prove' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, requiresArg: true, describe: 'the proof file to write' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as one JSON object' }) as unknown as Argv<ProveArgs>;
}

export function proveCommand(args: ProveArgs, out: Output): Promise<number> {
  return runProver(['prove', args.trace, '-o', args.output, ...(args.json ? ['--json'] : [])], out);
}
