/** `tvm-trace compile PROG`: parse the flags, compile the program to weights, print or write them. */
import type { Argv } from 'yargs';
import {
  artifactCompiled,
  artifactDocument,
  artifactFromCompiled,
  encodeArtifact,
  MAX_FF_DIM,
} from '../../compiler/artifact.js';
import { compileProgram } from '../../compiler/compile.js';
import { describeCompiled } from '../../compiler/describe.js';
import { ExitCode, usageError } from '../errors.js';
import { loadProgramSource, writeFileAtomic } from '../io.js';
import { positiveInteger, type Output } from '../options.js';

export interface CompileArgs {
  program: string;
  output?: string;
  'ff-dim'?: number;
  print: boolean;
  json: boolean;
}

export function compileBuilder(yargs: Argv): Argv<CompileArgs> {
  return yargs
    .positional('program', {
      type: 'string',
      demandOption: true,
      describe: 'the .tvm program (or a .tvmc to re-check and print)',
    })
    .option('output', {
      alias: 'o',
      type: 'string',
      describe: 'write the compiled artifact (.tvmc) here',
    })
    .option('ff-dim', {
      type: 'string',
      describe: 'hidden width of the dense view (default: the widest instruction)',
      coerce: (value: unknown) => positiveInteger('--ff-dim', value),
    })
    .option('print', {
      type: 'boolean',
      default: false,
      describe: 'print every instruction with its units, biases and controls',
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'JSON output (with --print: the artifact as a JSON document)',
    });
}

export async function compileCommand(args: CompileArgs, out: Output): Promise<number> {
  if (args.output === undefined && !args.print)
    throw usageError('compile needs -o FILE (write a .tvmc) or --print (see tvm-trace --help)');
  const loaded = loadProgramSource(args.program);
  const compiled =
    loaded.artifact !== undefined
      ? artifactCompiled(loaded.artifact)
      : compileProgram(loaded.program);
  const ffDim = args['ff-dim'] ?? loaded.artifact?.ffDim ?? compiled.minFfDim;
  if (ffDim < compiled.minFfDim) {
    throw usageError(
      `--ff-dim ${ffDim} is narrower than the widest instruction of ${args.program} (${compiled.minFfDim} units)`,
    );
  }
  if (ffDim > MAX_FF_DIM) throw usageError(`--ff-dim ${ffDim} is over the limit ${MAX_FF_DIM}`);
  const artifact = artifactFromCompiled(compiled, ffDim);

  if (args.print) {
    if (args.json) out.stdout(JSON.stringify(artifactDocument(artifact)));
    else
      for (const line of describeCompiled(compiled, {
        name: args.program,
        ffDim,
        sourceText: loaded.sourceText,
      }))
        out.stdout(line);
  }
  if (args.output !== undefined) {
    const bytes = encodeArtifact(artifact);
    writeFileAtomic(args.output, bytes);
    const summary = {
      output: args.output,
      instructions: artifact.instructions.length,
      ff_dim: artifact.ffDim,
      bytes: bytes.length,
      weights_digest: artifact.weightsDigest,
    };
    const human = `wrote ${args.output} (${summary.instructions} instructions, ff_dim ${summary.ff_dim}, ${summary.bytes} bytes, weights sha256 ${summary.weights_digest})`;
    // With --print, stdout holds the description; the summary goes to stderr.
    if (args.print) out.stderr(human);
    else out.stdout(args.json ? JSON.stringify(summary) : human);
  }
  return ExitCode.OK;
}
