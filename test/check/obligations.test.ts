/**
 * The checker checks exactly the AIR's lists: every failure it reports is named by a
 * constraint, an argument or an obligation of schemas/air-v2.json, and every obligation the
 * TypeScript checker makes is exercised here by a trace that breaks it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ARGUMENTS, CONSTRAINTS, OBLIGATIONS } from '../../src/air/definition.js';
import { checkTrace, type CheckOptions } from '../../src/check/check.js';
import { assemble } from '../../src/isa/assemble.js';
import { exportTrace } from '../../src/trace/write/export.js';
import { claimOf, MetaKey } from '../../src/trace/format/metadata.js';
import { NativeMachine } from '../../src/runtime/native/interpreter.js';
import { TraceEdit } from '../support/trace-edit.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tvm-obligations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const NAMES = new Set([
  ...CONSTRAINTS.map((c) => c.name),
  ...ARGUMENTS.map((a) => a.name),
  ...OBLIGATIONS.map((o) => o.name),
]);

/** A golden trace with its metadata edited (digest resealed), written to a temporary file. */
function edited(golden: string, change: (edit: TraceEdit) => void): string {
  const edit = TraceEdit.read(join(FIXTURES, 'golden', golden));
  change(edit);
  edit.reseal();
  const path = join(dir, `${Math.random().toString(36).slice(2)}.arrow`);
  edit.write(path);
  return path;
}

function emptyRunClaimingAcc5(): string {
  const path = join(dir, 'empty.arrow');
  exportTrace(assemble('; nothing\n'), path, { maxSteps: 10 });
  const edit = TraceEdit.read(path);
  const claim = edit.claim();
  claim.acc = 5;
  edit.setClaim(claim);
  edit.reseal();
  edit.write(path);
  return path;
}

/** Segment 1 (rows 64..127 of fibonacci) that says it is segment 2: it does not start at step 2·64. */
function segmentWithAnotherIndex(): string {
  const path = join(dir, 'segment.arrow');
  const program = assemble(
    readFileSync(new URL('../../programs/fibonacci.tvm', import.meta.url), 'utf8'),
  );
  const machine = new NativeMachine(program);
  machine.advance(64);
  exportTrace(program, path, {
    maxSteps: 1000,
    segment: { index: 1, rows: 64, initial: claimOf(machine.snapshot()) },
  });
  const edit = TraceEdit.read(path);
  const segment = JSON.parse(edit.getMeta(MetaKey.segment)) as { index: number };
  segment.index = 2;
  edit.setMeta(MetaKey.segment, JSON.stringify(segment));
  edit.reseal();
  edit.write(path);
  return path;
}

/** Traces (and options) that each break an obligation the bad fixtures do not. */
const CASES: Array<[obligation: string, trace: () => string, options?: CheckOptions]> = [
  ['statement.field', () => join(FIXTURES, 'golden', 'fibonacci.arrow'), { field: 'm31' }],
  [
    'metadata.air',
    () => edited('fibonacci.arrow', (e) => e.setMeta(MetaKey.air, 'tvm-trace/air/v1')),
  ],
  [
    'metadata.initial_memory',
    () =>
      edited('dot_product.arrow', (e) =>
        e.setMeta(MetaKey.initialMemory, JSON.stringify([4, -2, 5, 1, 4, 7, -1, 6, 0])),
      ),
  ],
  [
    'metadata.program',
    () => edited('fibonacci.arrow', (e) => e.setMeta(MetaKey.program, 'NOT AN INSTRUCTION\n')),
  ],
  ['claim.initial_state', emptyRunClaimingAcc5],
  ['segment.boundary', segmentWithAnotherIndex],
  [
    'metadata.instructions',
    () =>
      edited('fibonacci.arrow', (e) =>
        e.setMeta(MetaKey.program, `${e.getMeta(MetaKey.program)}  NOP\n`),
      ),
  ],
  // ff_dim 5 against a program whose widest instruction has 50 units (ORM).
  [
    'metadata.ff_dim',
    () => join(FIXTURES, 'golden', 'fibonacci.arrow'),
    {
      program: assemble(
        readFileSync(new URL('../../programs/bitwise.tvm', import.meta.url), 'utf8'),
      ),
    },
  ],
];

describe('what the checker checks is what the AIR lists', () => {
  it('every failure of every known-bad fixture and case is named in schemas/air-v2.json; every obligation the checker makes is exercised', async () => {
    const seen = new Set<string>();
    const traces: Array<[string, CheckOptions | undefined]> = [
      ...readdirSync(join(FIXTURES, 'bad')).map((f): [string, undefined] => [
        join(FIXTURES, 'bad', f),
        undefined,
      ]),
      ...CASES.map(([, make, options]): [string, CheckOptions | undefined] => [make(), options]),
    ];
    for (const [path, options] of traces) {
      const report = await checkTrace(path, { maxFailures: 1000, ...options });
      for (const failure of report.failures) {
        const name = failure.constraint.replace(/\[.*$/, '');
        expect(NAMES.has(name), `${path}: ${name}`).toBe(true);
        seen.add(name);
      }
    }
    for (const [obligation] of CASES) expect(seen.has(obligation), obligation).toBe(true);
    // The run obligations (a segmented run's chain) are exercised by test/check/run.test.ts.
    const checked = OBLIGATIONS.filter(
      (o) => o.checker === 'checked' && o.applies_to !== 'run',
    ).map((o) => o.name);
    expect(checked.filter((name) => !seen.has(name))).toEqual([]);
  });
});
