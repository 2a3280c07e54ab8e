/**
 * The `; expect:` header of programs/*.tvm:
 *
 *   ; expect: [max_steps=N] steps=N halted=true|false acc=N [pc=N] [sp=N] [zero=B] [carry=B] [memory=[a,b,...]] [fault=KIND]
 *
 * It is one of the leading comment lines. steps/halted/acc are required; the others are
 * checked only when given. For a fault program, steps and pc are the step index and pc of
 * the fault (= the state the machine stopped in). max_steps is the step budget to run
 * with (default 1,000,000, the CLI default).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAULT_KINDS, type FaultKind } from '../../src/runtime/fault.js';

export interface Expectation {
  maxSteps: number;
  steps: number;
  halted: boolean;
  acc: number;
  pc?: number;
  sp?: number;
  zero?: boolean;
  carry?: boolean;
  memory?: number[];
  fault?: FaultKind;
}

export const DEFAULT_EXPECT_MAX_STEPS = 1_000_000;
export const PROGRAMS_DIR = fileURLToPath(new URL('../../programs', import.meta.url));

const HEADER = /^\s*;\s*expect:\s*(.*)$/;

function integer(key: string, value: string): number {
  if (!/^-?[0-9]+$/.test(value))
    throw new Error(`expect header: ${key}=${value} is not an integer`);
  return Number(value);
}

function boolean(key: string, value: string): boolean {
  if (value !== 'true' && value !== 'false')
    throw new Error(`expect header: ${key}=${value} is not true/false`);
  return value === 'true';
}

/** Parse the expect header of a .tvm source; throws if it is missing or malformed. */
export function parseExpectation(source: string): Expectation {
  const lines = source.split(/\r?\n/);
  let body: string | undefined;
  for (const line of lines) {
    if (!/^\s*;/.test(line)) break; // only the leading comment block
    const match = HEADER.exec(line);
    if (match) {
      body = match[1];
      break;
    }
  }
  if (body === undefined) throw new Error('no `; expect:` line among the leading comment lines');
  const fields = new Map<string, string>();
  for (const token of body.trim().split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq <= 0) throw new Error(`expect header: malformed field '${token}'`);
    const key = token.slice(0, eq);
    if (fields.has(key)) throw new Error(`expect header: duplicate key '${key}'`);
    fields.set(key, token.slice(eq + 1));
  }
  const known = new Set([
    'max_steps',
    'steps',
    'halted',
    'acc',
    'pc',
    'sp',
    'zero',
    'carry',
    'memory',
    'fault',
  ]);
  for (const key of fields.keys())
    if (!known.has(key)) throw new Error(`expect header: unknown key '${key}'`);
  for (const key of ['steps', 'halted', 'acc'])
    if (!fields.has(key)) throw new Error(`expect header: missing '${key}'`);

  const get = (key: string) => fields.get(key) as string;
  const expectation: Expectation = {
    maxSteps: fields.has('max_steps')
      ? integer('max_steps', get('max_steps'))
      : DEFAULT_EXPECT_MAX_STEPS,
    steps: integer('steps', get('steps')),
    halted: boolean('halted', get('halted')),
    acc: integer('acc', get('acc')),
  };
  if (fields.has('pc')) expectation.pc = integer('pc', get('pc'));
  if (fields.has('sp')) expectation.sp = integer('sp', get('sp'));
  if (fields.has('zero')) expectation.zero = boolean('zero', get('zero'));
  if (fields.has('carry')) expectation.carry = boolean('carry', get('carry'));
  if (fields.has('memory')) {
    const text = get('memory');
    const match = /^\[(.*)\]$/.exec(text);
    if (!match) throw new Error(`expect header: memory=${text} is not [a,b,...]`);
    expectation.memory =
      match[1] === '' ? [] : match[1].split(',').map((cell) => integer('memory', cell));
  }
  if (fields.has('fault')) {
    const kind = get('fault');
    if (!(FAULT_KINDS as readonly string[]).includes(kind))
      throw new Error(`expect header: unknown fault kind '${kind}'`);
    expectation.fault = kind as FaultKind;
  }
  return expectation;
}

/** Every programs/*.tvm as [file name, source], sorted by name. */
export function listPrograms(): Array<[name: string, source: string]> {
  return readdirSync(PROGRAMS_DIR)
    .filter((name) => name.endsWith('.tvm'))
    .sort()
    .map((name) => [name, readFileSync(join(PROGRAMS_DIR, name), 'utf8')]);
}

/** What `tvm-trace run programs/fibonacci.tvm --engine …` prints: its final state, line by line. */
export function fibonacciRunLines(engine: string): string[] {
  return [
    'program: programs/fibonacci.tvm',
    `engine: ${engine}`,
    'steps: 103',
    'halted: true',
    'pc: 15',
    'acc: 21',
    'sp: 5',
    'zero_flag: false',
    'carry_flag: false',
    'memory: [13, 21, 21, 7, 7]',
  ];
}
