/**
 * The forgery harness (test/support/forgery.ts), a deterministic sample of every class:
 * each forged run — state tampered between two steps with every witness column re-derived,
 * PC+1 = 256 at pc 255, a pc past 255, a RET out of range, an edited claim — is rejected by
 * checkTrace over the integers and in Goldilocks, and by the rule its class names. Between
 * them the classes cover every instruction. `npm run bench:forgery` runs 100,000 of them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckField } from '../../src/check/check.js';
import { OPCODES } from '../../src/isa/opcodes.js';
import { FORGERY_CLASSES, judge, makeForgery, reproducer, scratchDir } from '../support/forgery.js';

const FIELDS: readonly CheckField[] = ['int', 'goldilocks'];
/** Forgeries per class: 26 where the class goes through the opcodes (seed mod 26), fewer for the costly 256+-instruction programs. */
const SAMPLE: Record<string, number> = {
  'wrap255.call': 8,
  'wrap255.every_opcode': 26,
  'ret_past_255.run_on': 10,
  'ret_out_of_range.last_step': 10,
  'field31.wrap': 12,
};
const DEFAULT_SAMPLE = 26;
const SEED = 12_000;

const scratch = scratchDir();
afterAll(() => scratch.dispose());

/** Opcodes each class exercised, for the coverage test at the end. */
const covered = new Map<string, Set<string>>();

describe("forgery harness: every forged run is rejected, by its class's rule", () => {
  it.each(FORGERY_CLASSES.map((c) => [c.name, c] as const))('%s', async (name, spec) => {
    const count = SAMPLE[name] ?? DEFAULT_SAMPLE;
    const opcodes = new Set<string>();
    const accepted: string[] = [];
    const unnamed: string[] = [];
    let made = 0;
    for (let k = 0; k < count; k++) {
      const forgery = makeForgery(name, SEED + k, scratch.dir);
      if (forgery === null) continue;
      made++;
      if (forgery.opcode !== null) opcodes.add(forgery.opcode);
      const verdict = await judge(forgery, scratch.dir, FIELDS);
      if (verdict.acceptedIn.length > 0)
        accepted.push(`accepted in ${verdict.acceptedIn.join(', ')}:\n${reproducer(forgery)}`);
      else if (
        spec.caughtBy.length > 0 &&
        !verdict.rules.some((rule) => spec.caughtBy.includes(rule))
      )
        unnamed.push(`caught by ${verdict.rules.join(', ')} only:\n${reproducer(forgery)}`);
    }
    covered.set(name, opcodes);
    expect(made, `${name}: forgeries made`).toBeGreaterThanOrEqual(Math.ceil(count * 0.9));
    expect(accepted, accepted.join('\n\n')).toEqual([]);
    expect(unnamed, unnamed.join('\n\n')).toEqual([]);
  });

  it('covers every instruction: at pc 255, and as the step a register or memory tamper follows', () => {
    const all = OPCODES.map((s) => s.mnemonic).sort();
    expect([...(covered.get('wrap255.every_opcode') ?? [])].sort(), 'wrap255.every_opcode').toEqual(
      all,
    );
    const tampered = new Set<string>();
    for (const [name, ops] of covered)
      if (name.startsWith('tamper.')) for (const op of ops) tampered.add(op);
    expect([...tampered].sort()).toEqual(all);
  });

  it('a forgery is a pure function of its class and seed (replayable from a report)', () => {
    for (const spec of FORGERY_CLASSES) {
      const a = makeForgery(spec.name, 99, scratch.dir);
      const b = makeForgery(spec.name, 99, scratch.dir);
      expect(
        a === null ? null : Buffer.from(a.bytes).equals(Buffer.from(b!.bytes)),
        spec.name,
      ).not.toBe(false);
    }
  });
});
