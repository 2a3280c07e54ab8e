#!/usr/bin/env node
/** The `tvm-trace` command line: every subcommand, parsed with yargs, errors as one line and an exit code. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yargs, { type Argv } from 'yargs';
import { compileBuilder, compileCommand } from './commands/compile.js';
import { checkBuilder, checkCommand } from './commands/check.js';
import { exportBuilder, exportCommand } from './commands/export.js';
import { inspectBuilder, inspectCommand } from './commands/inspect.js';
import { proveBuilder, proveCommand } from './commands/prove.js';
import { proveSegmentBuilder, proveSegmentCommand } from './commands/prove-segment.js';
import { reportBuilder, reportCommand } from './commands/report.js';
import { runBuilder, runCommand } from './commands/run.js';
import { verifyBuilder, verifyCommand } from './commands/verify.js';
import { CliError, ExitCode, oneLine } from './errors.js';
import { processOutput, type Output } from './options.js';

type Handler = (args: never, out: Output) => Promise<number>;

interface CommandSpec {
  command: string;
  describe: string;
  builder: (yargs: Argv) => Argv<unknown>;
  handler: Handler;
}

/** Every subcommand, in the order `--help` lists them. */
const COMMANDS: CommandSpec[] = [
  {
    command: 'run <program>',
    describe: 'execute a program and print its final state',
    builder: runBuilder,
    handler: runCommand,
  },
  {
    command: 'compile <program>',
    describe: 'compile a program to FFN weights: write a .tvmc (-o) or print them (--print)',
    builder: compileBuilder,
    handler: compileCommand,
  },
  {
    command: 'export <program>',
    describe: 'execute and write every step as an Arrow witness (-o trace.arrow)',
    builder: exportBuilder,
    handler: exportCommand,
  },
  {
    command: 'check <trace>',
    describe: 're-verify every constraint of a trace; exit 0 only if all hold',
    builder: checkBuilder,
    handler: checkCommand,
  },
  {
    command: 'inspect <trace>',
    describe: 'summarize a trace and show some of its rows (--rows A:B)',
    builder: inspectBuilder,
    handler: inspectCommand,
  },
  {
    command: 'report <trace>',
    describe: 'write a self-contained HTML page of a trace (-o report.html, --check)',
    builder: reportBuilder,
    handler: reportCommand,
  },
  {
    command: 'prove <trace>',
    describe:
      'prove a trace, or every segment of a run (a directory), with the Rust STARK prover (-o PROOF)',
    builder: proveBuilder,
    handler: proveCommand,
  },
  {
    command: 'verify <proof>',
    describe: 'verify a proof against a program (--program) and a claim (--claim)',
    builder: verifyBuilder,
    handler: verifyCommand,
  },
  {
    command: 'prove-segment <job>',
    describe: "a worker's command: regenerate one segment from its job and prove it (-o PROOF)",
    builder: proveSegmentBuilder,
    handler: proveSegmentCommand,
  },
];

function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

function report(error: unknown, argv: readonly string[], out: Output): number {
  const failure =
    error instanceof CliError
      ? error
      : new CliError(
          'internal_error',
          `internal error: ${error instanceof Error ? error.message : String(error)}`,
          70,
        );
  // One line always, whatever a message quotes (a file's bytes, yargs' multi-line usage text).
  const message = oneLine(failure.message);
  if (wantsJson(argv))
    out.stdout(JSON.stringify({ error: failure.kind, message, ...failure.fields }));
  out.stderr(`tvm-trace: ${message}`);
  return failure.exitCode;
}

/** What a lone `-` argument is while yargs parses (a NUL: no path or option value holds one). */
const DASH = '\0-';

/** Parse argv and run one command. Returns the exit code; never throws. */
export async function main(argv: readonly string[], out: Output = processOutput): Promise<number> {
  let exitCode: number = ExitCode.OK;
  let usage: string | null = null;
  let handled = false;
  // yargs reads a lone `-` positional as '' (or true): it passes through as a stand-in and is
  // given back as '-' (a program path of '-' is stdin, src/cli/io.ts).
  const parser = yargs(argv.map((arg) => (arg === '-' ? DASH : arg)))
    .scriptName('tvm-trace')
    .usage('$0 <command> [options]')
    .strict()
    .demandCommand(1, 'a command is required')
    .recommendCommands()
    .exitProcess(false)
    .showHelpOnFail(false)
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, error) => {
      usage = (message ?? error?.message ?? 'invalid arguments').replaceAll(DASH, '-');
    })
    .help()
    .version();
  for (const spec of COMMANDS) {
    parser.command(spec.command, spec.describe, spec.builder, async (args) => {
      // yargs still calls the handler after a fail() callback that returns: never run on a usage error.
      if (usage !== null) return;
      handled = true;
      const given = args as Record<string, unknown>;
      for (const key of Object.keys(given)) if (given[key] === DASH) given[key] = '-';
      try {
        exitCode = await spec.handler(args as never, out);
      } catch (error) {
        exitCode = report(error, argv, out);
      }
    });
  }
  try {
    await parser.parseAsync();
  } catch (error) {
    if (!handled) usage ??= error instanceof Error ? error.message : String(error);
  }
  if (usage !== null)
    return report(
      new CliError('usage', `${usage} (see tvm-trace --help)`, ExitCode.USAGE),
      argv,
      out,
    );
  return exitCode;
}

function invokedDirectly(): boolean {
  try {
    return (
      process.argv[1] !== undefined &&
      realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)
    );
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // A reader that stops early (`| head`) closes the pipe: stop quietly, like other CLI tools.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
