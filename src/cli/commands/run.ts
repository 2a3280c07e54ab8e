import type { Argv } from 'yargs';
import { createEngine, ENGINE_NAMES } from '../../runtime/engines.js';
import type { MachineSnapshot } from '../../runtime/state.js';
import { CliError, ExitCode } from '../errors.js';
import { loadProgram } from '../io.js';
import { DEFAULT_MAX_STEPS, maxStepsOption, type Output } from '../options.js';

export interface RunArgs {
  program: string;
  'max-steps': number;
  engine: string;
  json: boolean;
  trace: boolean;
}

export function runBuilder(yargs: Argv): Argv<RunArgs> {
  return yargs
    .positional('program', { type: 'string', demandOption: true, describe: 'the .tvm program' })
    .option('max-steps', maxStepsOption)
    .option('engine', { type: 'string', choices: ENGINE_NAMES as string[], default: 'native', describe: 'execution engine' })
    .option('json', { type: 'boolean', default: false, describe: 'print JSON (JSON Lines with --trace)' })
    .option('trace', { type: 'boolean', default: false, describe: 'print the state after every step' }) as unknown as Argv<RunArgs>;
}

/** The state fields in the order and names the CLI prints them. */
export function stateRecord(snapshot: MachineSnapshot): Record<string, unknown> {
  return {
    steps: snapshot.steps,
    halted: snapshot.halted,
    pc: snapshot.pc,
    acc: snapshot.acc,
    sp: snapshot.sp,
    zero_flag: snapshot.zero,
    carry_flag: snapshot.carry,
    memory: snapshot.memory,
  };
}

function humanLines(record: Record<string, unknown>): string {
  return Object.entries(record)
    .map(([key, value]) => `${key}: ${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}`)
    .join('\n');
}

function traceLine(snapshot: MachineSnapshot, json: boolean): string {
  if (json) return JSON.stringify({ step: snapshot.steps, ...stateRecord(snapshot), steps: undefined });
  const s = snapshot;
  return `step ${s.steps}: pc=${s.pc} acc=${s.acc} sp=${s.sp} zero=${s.zero ? 1 : 0} carry=${s.carry ? 1 : 0} halted=${s.halted ? 1 : 0} memory=[${s.memory.join(', ')}]`;
}

export async function runCommand(args: RunArgs, out: Output): Promise<number> {
  const program = loadProgram(args.program);
  const engine = await createEngine(args.engine, program);
  if (args.trace) {
    while (engine.steps < args['max-steps'] && engine.advance(1) === 1) out.stdout(traceLine(engine.snapshot(), args.json));
  } else {
    engine.advance(args['max-steps']);
  }
  const final = engine.snapshot();
  if (final.fault !== null) {
    const fault = final.fault;
    if (!args.json) out.stdout(humanLines({ program: args.program, engine: engine.name, ...stateRecord(final) }));
    throw new CliError(fault.kind, fault.message, ExitCode.RUNTIME_FAULT, { step: fault.step, pc: fault.pc });
  }
  const record = { program: args.program, engine: engine.name, ...stateRecord(final) };
  out.stdout(args.json ? JSON.stringify(record) : humanLines(record));
  return ExitCode.OK;
}

export { DEFAULT_MAX_STEPS };
