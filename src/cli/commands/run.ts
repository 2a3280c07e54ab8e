/** `tvm-trace run PROG`: parse the flags, run the program on an engine (or all in lockstep), print the state. */
import type { Argv } from 'yargs';
import type { Program } from '../../isa/program.js';
import { createEngine, ENGINE_NAMES } from '../../runtime/engines.js';
import { lockstep } from '../../runtime/lockstep.js';
import { BACKEND_CHOICES, BackendUnavailableError } from '../../runtime/tensor/backend.js';
import type { Engine, MachineSnapshot } from '../../runtime/state.js';
import { CliError, ExitCode, usageError } from '../errors.js';
import { stateLines, stateRecord } from '../state-format.js';
import { loadProgram } from '../io.js';
import { DEFAULT_MAX_STEPS, runMaxStepsOption, type Output } from '../options.js';

export interface RunArgs {
  program: string;
  'max-steps': number;
  engine: string;
  backend: string;
  json: boolean;
  trace: boolean;
  verify: boolean;
  engines?: string;
}

export function runBuilder(yargs: Argv): Argv<RunArgs> {
  return yargs
    .positional('program', { type: 'string', demandOption: true, describe: 'the .tvm program' })
    .option('max-steps', runMaxStepsOption)
    .option('engine', {
      type: 'string',
      choices: ENGINE_NAMES as string[],
      default: 'native',
      describe: 'execution engine',
    })
    .option('backend', {
      type: 'string',
      choices: BACKEND_CHOICES as string[],
      default: 'auto',
      describe: 'tensor engine backend (auto: cpu, the fastest per step)',
    })
    .option('json', {
      type: 'boolean',
      default: false,
      describe: 'print JSON (JSON Lines with --trace)',
    })
    .option('trace', {
      type: 'boolean',
      default: false,
      describe: 'print the state after every step',
    })
    .option('verify', {
      type: 'boolean',
      default: false,
      describe: `run every engine (${ENGINE_NAMES.join(', ')}) in lockstep; exit 4 at the first divergence`,
    })
    .option('engines', {
      type: 'string',
      describe: 'with --verify: comma-separated engines to compare (default: all)',
    });
}

function traceLine(snapshot: MachineSnapshot, json: boolean): string {
  if (json)
    return JSON.stringify({ step: snapshot.steps, ...stateRecord(snapshot), steps: undefined });
  const s = snapshot;
  return `step ${s.steps}: pc=${s.pc} acc=${s.acc} sp=${s.sp} zero=${s.zero ? 1 : 0} carry=${s.carry ? 1 : 0} halted=${s.halted ? 1 : 0} memory=[${s.memory.join(', ')}]`;
}

async function startEngine(name: string, program: Program, args: RunArgs): Promise<Engine> {
  return createEngine(name, program, { backend: args.backend }).catch((error: unknown) => {
    if (error instanceof BackendUnavailableError)
      throw new CliError('backend_unavailable', error.message, ExitCode.USAGE);
    throw error;
  });
}

/** --verify: every registered engine in lockstep; the first divergence is exit code 4. */
async function runVerified(
  program: Program,
  args: RunArgs,
  out: Output,
): Promise<{ name: string; final: MachineSnapshot }> {
  const names =
    args.engines === undefined ? ENGINE_NAMES : args.engines.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!ENGINE_NAMES.includes(name))
      throw usageError(
        `--engines: unknown engine '${name}' (expected some of ${ENGINE_NAMES.join(', ')})`,
      );
  }
  if (names.length < 2) throw usageError('--engines needs at least two engines to compare');
  const engines: Engine[] = [];
  for (const name of names) engines.push(await startEngine(name, program, args));
  const onStep = args.trace
    ? (engine: Engine) => out.stdout(traceLine(engine.snapshot(), args.json))
    : undefined;
  const result = lockstep(program, engines, args['max-steps'], { onStep });
  const divergence = result.divergence;
  if (divergence !== null) {
    throw new CliError(
      'divergence',
      `${args.program}: ${divergence.message}`,
      ExitCode.DIVERGENCE,
      {
        step: divergence.step,
        pc: divergence.pc,
        instruction: divergence.instruction,
        field: divergence.field,
        values: divergence.values,
      },
    );
  }
  return { name: engines.map((e) => e.name).join('+'), final: result.snapshot };
}

async function runSingle(
  program: Program,
  args: RunArgs,
  out: Output,
): Promise<{ name: string; final: MachineSnapshot }> {
  const engine = await startEngine(args.engine, program, args);
  if (args.trace) {
    while (engine.steps < args['max-steps'] && engine.advance(1) === 1)
      out.stdout(traceLine(engine.snapshot(), args.json));
  } else {
    engine.advance(args['max-steps']);
  }
  return { name: engine.name, final: engine.snapshot() };
}

export async function runCommand(args: RunArgs, out: Output): Promise<number> {
  if (args.engines !== undefined && !args.verify)
    throw usageError('--engines applies only with --verify');
  const program = loadProgram(args.program);
  const { name, final } = args.verify
    ? await runVerified(program, args, out)
    : await runSingle(program, args, out);
  if (final.fault !== null) {
    const fault = final.fault;
    if (!args.json)
      out.stdout(stateLines({ program: args.program, engine: name, ...stateRecord(final) }));
    throw new CliError(fault.kind, fault.message, ExitCode.RUNTIME_FAULT, {
      step: fault.step,
      pc: fault.pc,
    });
  }
  const record = { program: args.program, engine: name, ...stateRecord(final) };
  out.stdout(args.json ? JSON.stringify(record) : stateLines(record));
  return ExitCode.OK;
}

export { DEFAULT_MAX_STEPS };
