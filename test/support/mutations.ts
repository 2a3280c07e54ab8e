/**
 * Single mutations of a trace file (one cell, one row operation, one metadata key) and the
 * verdict of the checker on each: a mutation is *detected* when checkTrace reports a failure
 * (CLI exit 1) or throws TraceFormatError (CLI exit 2). Shared by test/check/mutation.test.ts
 * (a sample) and bench/mutation.ts (the larger run).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTrace } from '../../src/check/check.js';
import { FAULT_KINDS } from '../../src/runtime/fault.js';
import { FIELD_NAMES, MetaKey } from '../../src/trace/format/metadata.js';
import { TraceFormatError } from '../../src/trace/format/errors.js';
import { Random } from './random-programs.js';
import { TraceEdit, typeRange } from './trace-edit.js';

export interface Mutation {
  /** Human-readable and unique within a trace, e.g. `cell hidden[3] row 7: 12 -> 13`. */
  readonly name: string;
  readonly kind: 'cell' | 'row' | 'metadata';
  /**
   * A metadata edit that keeps the trace's statement true (another generator, other label
   * names, a max_steps the claim does not contradict): only tvm.metadata_sha256 binds it.
   */
  readonly neutral?: boolean;
  apply(edit: TraceEdit): void;
}

export type Verdict =
  | { detected: true; how: 'failure'; constraint: string }
  | { detected: true; how: 'format'; message: string }
  | { detected: false; how: 'accepted' }
  | { detected: false; how: 'crash'; message: string };

/** A random in-range value of a column type other than `avoid`. */
function randomValue(random: Random, type: 'int8' | 'int16' | 'int32', avoid: number): number {
  const [lo, hi] = typeRange(type);
  for (;;) {
    const pick = random.chance(0.5)
      ? random.int(lo, hi)
      : avoid + random.pick([-1, 1]) * random.int(2, 300);
    if (pick !== avoid && pick >= lo && pick <= hi) return pick;
  }
}

export interface CellOptions {
  /** Rows to mutate (every column, every entry of each). */
  readonly rows: readonly number[];
  /** Random values per integer cell, besides +1 (bool cells are flipped instead). */
  readonly randomValues: number;
  readonly random: Random;
}

/** Every entry of every column on the given rows: +1 (−1 if +1 does not fit) and random values; bools flipped. */
export function cellMutations(base: TraceEdit, options: CellOptions): Mutation[] {
  const list: Mutation[] = [];
  for (const row of options.rows) {
    for (const column of base.columns) {
      for (let entry = 0; entry < column.width; entry++) {
        const original = base.get(column.name, row, entry);
        const cell = `${column.name}${column.width === 1 && !column.vector ? '' : `[${entry}]`} row ${row}`;
        const values: number[] = [];
        if (column.type === 'bool') {
          values.push(1 - original);
        } else {
          values.push(base.fits(column.name, original + 1) ? original + 1 : original - 1);
          for (let k = 0; k < options.randomValues; k++)
            values.push(randomValue(options.random, column.type, original));
        }
        for (const value of new Set(values)) {
          list.push({
            name: `cell ${cell}: ${original} -> ${value}`,
            kind: 'cell',
            apply: (edit) => edit.set(column.name, row, value, entry),
          });
        }
      }
    }
  }
  return list;
}

/** Row operations: delete, duplicate, swap whole rows, and swap only the log or only the execution columns. */
export function rowMutations(base: TraceEdit, rows: readonly number[], random: Random): Mutation[] {
  const n = base.rows;
  const list: Mutation[] = [];
  const log = TraceEdit.groupColumns('log');
  const execution = base.columns.map((c) => c.name).filter((name) => !log.includes(name));
  for (const row of rows) {
    list.push({ name: `delete row ${row}`, kind: 'row', apply: (e) => e.deleteRow(row) });
    list.push({ name: `duplicate row ${row}`, kind: 'row', apply: (e) => e.duplicateRow(row) });
    if (n < 2) continue;
    const partners = new Set([row + 1 < n ? row + 1 : row - 1, random.int(0, n - 1), n - 1 - row]);
    for (const other of partners) {
      if (other === row || other < 0 || other >= n) continue;
      list.push({
        name: `swap rows ${row} and ${other}`,
        kind: 'row',
        apply: (e) => e.swapRows(row, other),
      });
      list.push({
        name: `swap log rows ${row} and ${other}`,
        kind: 'row',
        apply: (e) => e.swapRows(row, other, log),
      });
      list.push({
        name: `swap execution rows ${row} and ${other}`,
        kind: 'row',
        apply: (e) => e.swapRows(row, other, execution),
      });
    }
  }
  // A trace needs all its rows: an empty trace of a non-empty run must not pass either.
  list.push({
    name: 'delete every row',
    kind: 'row',
    apply: (e) => {
      while (e.rows > 0) e.deleteRow(e.rows - 1);
    },
  });
  return list;
}

const bump = (value: number, lo: number, hi: number) =>
  value + 1 <= hi ? value + 1 : value - 1 >= lo ? value - 1 : value;

/** Edits of every metadata key, one at a time, plus deleting each key and adding a foreign one. */
export function metadataMutations(base: TraceEdit, random: Random): Mutation[] {
  const list: Mutation[] = [];
  const meta = (key: string, label: string, value: string, neutral = false) => {
    if (base.metadata.get(key) === value) return;
    list.push({
      name: `metadata ${key}: ${label}`,
      kind: 'metadata',
      neutral,
      apply: (e) => e.setMeta(key, value),
    });
  };
  const claimEdit = (label: string, change: (claim: Record<string, unknown>) => void) => {
    const claim = base.claim();
    change(claim);
    meta(MetaKey.claim, `claim ${label}`, JSON.stringify(claim));
  };

  for (const key of base.metadata.keys())
    list.push({
      name: `metadata ${key}: deleted`,
      kind: 'metadata',
      apply: (e) => e.deleteMeta(key),
    });
  list.push({
    name: 'metadata: foreign key added',
    kind: 'metadata',
    apply: (e) => e.setMeta('tvm.note', 'hello'),
  });

  meta(MetaKey.schema, 'next version', 'tvm-trace/trace/v3');
  meta(MetaKey.schema, 'previous version', 'tvm-trace/trace/v1');
  meta(MetaKey.air, 'next version', 'tvm-trace/air/v3');
  meta(MetaKey.air, 'previous version', 'tvm-trace/air/v1');
  meta(MetaKey.air, 'empty', '');

  // The program text: operands, instructions, directives, labels, comments, layout.
  const program = base.getMeta(MetaKey.program);
  const lines = program.split('\n');
  const instructionLines = lines
    .map((l, i) => [l, i] as const)
    .filter(([l]) => /^\s+[A-Z]/.test(l));
  const withNumber = instructionLines.filter(([l]) => /-?\d+\s*$/.test(l));
  const replaceLine = (index: number, text: string | null) =>
    lines.flatMap((l, i) => (i === index ? (text === null ? [] : [text]) : [l])).join('\n');
  for (const [line, index] of withNumber.slice(0, 3)) {
    meta(
      MetaKey.program,
      `operand of '${line.trim()}' + 1`,
      replaceLine(
        index,
        line.replace(/(-?\d+)\s*$/, (m) => String(Number(m) + 1)),
      ),
    );
  }
  if (instructionLines.length > 0) {
    const [line, index] = instructionLines[instructionLines.length - 1];
    meta(MetaKey.program, `last instruction '${line.trim()}' removed`, replaceLine(index, null));
    meta(MetaKey.program, `'${line.trim()}' replaced by NOP`, replaceLine(index, '  NOP'));
  }
  if (instructionLines.length > 1) {
    const [a, ia] = instructionLines[0];
    const [b, ib] = instructionLines[1];
    if (a !== b)
      meta(
        MetaKey.program,
        'first two instructions swapped',
        lines.map((l, i) => (i === ia ? b : i === ib ? a : l)).join('\n'),
      );
  }
  meta(MetaKey.program, 'NOP appended', program + '  NOP\n');
  meta(MetaKey.program, 'comment appended', program + '; comment\n');
  meta(MetaKey.program, 'blank line appended', program + '\n');
  meta(
    MetaKey.program,
    'lower-case mnemonics',
    program.replace(/^(\s+)([A-Z]+)/gm, (_, s: string, m: string) => s + m.toLowerCase()),
  );
  meta(MetaKey.program, 'indentation changed', program.replace(/^ {2}/gm, '    '));
  const label = /^([A-Za-z_][\w-]*):$/m.exec(program);
  // Labels are names only: the compiled program (and so the statement) stays the same.
  if (label)
    meta(
      MetaKey.program,
      `label '${label[1]}' renamed`,
      program.replace(new RegExp(`^${label[1]}:$`, 'm'), `${label[1]}_x:`),
      true,
    );
  meta(MetaKey.program, 'unused label added', program + 'extra_label:\n', true);
  meta(
    MetaKey.program,
    '.memory + 1',
    program.replace(/^\.memory (\d+)$/m, (_, n: string) => `.memory ${Number(n) + 1}`),
  );
  meta(MetaKey.program, '.init added', program.replace(/^(\.memory \d+)$/m, '$1\n.init 0 1'));

  const memorySize = Number(base.getMeta(MetaKey.memorySize));
  meta(MetaKey.memorySize, '+ 1', String(memorySize + 1));
  if (memorySize > 0) meta(MetaKey.memorySize, '- 1', String(memorySize - 1));
  meta(MetaKey.memorySize, 'leading zero', `0${memorySize}`);

  const initial = JSON.parse(base.getMeta(MetaKey.initialMemory)) as number[];
  initial.forEach((v, i) =>
    meta(
      MetaKey.initialMemory,
      `[${i}] ${v} -> ${bump(v, -32768, 32767)}`,
      JSON.stringify(initial.map((w, j) => (j === i ? bump(w, -32768, 32767) : w))),
    ),
  );
  meta(MetaKey.initialMemory, 'cell appended', JSON.stringify([...initial, 0]));
  meta(MetaKey.initialMemory, 'spaces', JSON.stringify(initial, null, 1));

  const claim = base.claim();
  const steps = claim.steps as number;
  const maxSteps = Number(base.getMeta(MetaKey.maxSteps));
  // A halted run fits any budget ≥ its steps, a faulted one any budget > its steps; a run
  // stopped by max_steps fits only its own.
  const fitsBudget = (budget: number) =>
    claim.halted === true
      ? budget >= steps
      : claim.fault !== null
        ? budget > steps
        : budget === steps;
  for (const value of [
    maxSteps + 1,
    maxSteps - 1,
    steps,
    steps + 1,
    steps - 1,
    random.int(1, 2 ** 31),
  ]) {
    if (value >= 1)
      meta(MetaKey.maxSteps, `${maxSteps} -> ${value}`, String(value), fitsBudget(value));
  }
  const ffDim = Number(base.getMeta(MetaKey.ffDim));
  meta(MetaKey.ffDim, '+ 1', String(ffDim + 1));
  meta(MetaKey.ffDim, '- 1', String(ffDim - 1));
  const instructions = Number(base.getMeta(MetaKey.instructions));
  meta(MetaKey.instructions, '+ 1', String(instructions + 1));
  meta(MetaKey.instructions, '- 1', String(instructions - 1));
  const sha = base.getMeta(MetaKey.weightsSha256);
  meta(MetaKey.weightsSha256, 'first digit changed', (sha[0] === '0' ? '1' : '0') + sha.slice(1));
  meta(MetaKey.weightsSha256, 'upper case', sha.toUpperCase());

  // The claim, field by field.
  claimEdit('steps + 1', (c) => (c.steps = steps + 1));
  if (steps > 0) claimEdit('steps - 1', (c) => (c.steps = steps - 1));
  for (const [name, lo, hi] of [
    ['pc', 0, 255],
    ['acc', -32768, 32767],
    ['sp', 0, 255],
  ] as const) {
    const v = claim[name] as number;
    claimEdit(`${name} ${v} -> ${bump(v, lo, hi)}`, (c) => (c[name] = bump(v, lo, hi)));
    const r = random.int(lo, hi);
    if (r !== v) claimEdit(`${name} ${v} -> ${r}`, (c) => (c[name] = r));
  }
  for (const name of ['zero_flag', 'carry_flag', 'halted'])
    claimEdit(`${name} flipped`, (c) => (c[name] = !c[name]));
  (claim.memory as number[]).forEach((v, i) =>
    claimEdit(
      `memory[${i}] ${v} -> ${bump(v, -32768, 32767)}`,
      (c) => ((c.memory as number[])[i] = bump(v, -32768, 32767)),
    ),
  );
  const fault = claim.fault as { kind: string; step: number; pc: number; message: string } | null;
  if (fault === null) {
    for (const kind of FAULT_KINDS)
      claimEdit(
        `fault ${kind} added`,
        (c) =>
          (c.fault = {
            kind,
            step: steps,
            pc: claim.pc,
            message: `${kind.replace(/_/g, ' ')} at step ${steps}, pc ${claim.pc as number}`,
          }),
      );
  } else {
    claimEdit('fault removed', (c) => (c.fault = null));
    claimEdit('fault removed, halted', (c) => {
      c.fault = null;
      c.halted = true;
    });
    for (const kind of FAULT_KINDS)
      if (kind !== fault.kind)
        claimEdit(`fault kind ${kind}`, (c) => (c.fault = { ...fault, kind }));
    claimEdit('fault step + 1', (c) => (c.fault = { ...fault, step: fault.step + 1 }));
    if (fault.step > 0)
      claimEdit('fault step - 1', (c) => (c.fault = { ...fault, step: fault.step - 1 }));
    claimEdit('fault pc changed', (c) => (c.fault = { ...fault, pc: bump(fault.pc, 0, 255) }));
    claimEdit(
      'fault message changed',
      (c) => (c.fault = { ...fault, message: `${fault.message}!` }),
    );
  }
  claimEdit('extra key', (c) => (c.note = 1));
  meta(MetaKey.claim, 'claim JSON re-spaced', JSON.stringify(claim, null, 1));

  const fields = JSON.parse(base.getMeta(MetaKey.fields)) as string[];
  for (const f of fields)
    meta(MetaKey.fields, `${f} dropped`, JSON.stringify(fields.filter((g) => g !== f)));
  for (const f of FIELD_NAMES)
    if (!fields.includes(f)) meta(MetaKey.fields, `${f} added`, JSON.stringify([...fields, f]));
  meta(MetaKey.fields, 'reversed', JSON.stringify([...fields].reverse()));
  meta(MetaKey.fields, 'duplicated', JSON.stringify([...fields, ...fields]));

  const maxAbs = Number(base.getMeta(MetaKey.maxAbsValue));
  meta(MetaKey.maxAbsValue, '+ 1', String(maxAbs + 1));
  meta(MetaKey.maxAbsValue, '- 1', String(maxAbs - 1));
  meta(MetaKey.maxAbsValue, 'random', String(random.int(0, 2 ** 31)));

  const generator = base.getMeta(MetaKey.generator);
  meta(
    MetaKey.generator,
    'other version',
    generator.replace(/\d+$/, (d) => String(Number(d) + 1)),
    true,
  );
  meta(MetaKey.generator, 'other tool', 'some-other-tool 1.0', true);
  meta(MetaKey.generator, 'empty', '', true);

  for (const key of base.metadata.keys()) {
    if (!key.endsWith('_sha256') || key === MetaKey.weightsSha256) continue;
    const digest = base.getMeta(key);
    meta(key, 'first digit changed', (digest[0] === '0' ? '1' : '0') + digest.slice(1));
  }
  return list;
}

/**
 * The metadata edits again, each followed by recomputing tvm.metadata_sha256 (as a forger
 * with the exporter's code would): the checker must then catch every edit that changes the
 * statement by what it means, and accept the neutral ones. Deletions and edits of the digest
 * itself are left out (recomputing undoes them).
 */
export function resealedMutations(mutations: readonly Mutation[]): Mutation[] {
  return mutations
    .filter(
      (m) =>
        m.kind === 'metadata' &&
        !m.name.endsWith(': deleted') &&
        !m.name.startsWith(`metadata ${MetaKey.metadataSha256}:`),
    )
    .map((m) => ({
      ...m,
      name: `${m.name} (digest recomputed)`,
      apply: (edit: TraceEdit) => {
        m.apply(edit);
        edit.reseal();
      },
    }));
}

/** Write `edit` to a file in `dir` and run the checker on it. */
export async function verdictOf(
  edit: TraceEdit,
  dir: string,
  name = 'mutant.arrow',
): Promise<Verdict> {
  const path = join(dir, name);
  try {
    edit.write(path);
  } catch (error) {
    return {
      detected: false,
      how: 'crash',
      message: `cannot write the mutant: ${(error as Error).message}`,
    };
  }
  try {
    const report = await checkTrace(path, { maxFailures: 1 });
    return report.ok
      ? { detected: false, how: 'accepted' }
      : { detected: true, how: 'failure', constraint: report.failures[0]?.constraint ?? '?' };
  } catch (error) {
    if (error instanceof TraceFormatError)
      return { detected: true, how: 'format', message: error.message };
    return {
      detected: false,
      how: 'crash',
      message: `checkTrace threw ${(error as Error).name}: ${(error as Error).message}`,
    };
  }
}

export interface MutationRun {
  readonly total: number;
  readonly detected: number;
  /** Mutations the checker accepted or crashed on, with the verdict. */
  readonly survivors: Array<{ mutation: string; verdict: Verdict }>;
  /** Detected mutations per first failing constraint (or 'format'). */
  readonly byRule: Map<string, number>;
  /** Every mutation with its verdict, in order. */
  readonly verdicts: Array<{ mutation: string; verdict: Verdict }>;
}

/** Apply each mutation to a fresh copy of `base` and check it. */
export async function runMutations(
  base: TraceEdit,
  mutations: readonly Mutation[],
  onProgress?: (done: number) => void,
): Promise<MutationRun> {
  const dir = mkdtempSync(join(tmpdir(), 'tvm-mutation-'));
  const survivors: MutationRun['survivors'] = [];
  const byRule = new Map<string, number>();
  const verdicts: MutationRun['verdicts'] = [];
  let detected = 0;
  try {
    let done = 0;
    for (const mutation of mutations) {
      const edit = base.clone();
      let verdict: Verdict;
      try {
        mutation.apply(edit);
        verdict = await verdictOf(edit, dir);
      } catch (error) {
        verdict = {
          detected: false,
          how: 'crash',
          message: `cannot apply: ${(error as Error).message}`,
        };
      }
      verdicts.push({ mutation: mutation.name, verdict });
      if (verdict.detected) {
        detected++;
        const rule = verdict.how === 'failure' ? verdict.constraint.replace(/\[.*$/, '') : 'format';
        byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
      } else {
        survivors.push({ mutation: mutation.name, verdict });
      }
      onProgress?.(++done);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { total: mutations.length, detected, survivors, byRule, verdicts };
}
