import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLUMNS } from '../../src/air/columns.js';
import { airDocument, readers, traceDocument } from '../../src/air/documents.js';
import {
  ARGUMENTS,
  CONSTRAINTS,
  OBLIGATIONS,
  PUBLIC_VALUES,
  SOUND_FIELDS,
  TABLES,
} from '../../src/air/definition.js';
import { Expander, type AirDocument } from '../../src/check/expand.js';
import { programTables, runBoundaries } from '../../src/check/tables.js';
import { compileProgram } from '../../src/compiler/compile.js';
import { assemble } from '../../src/isa/assemble.js';
import { OPCODES } from '../../src/isa/opcodes.js';
import { isaDocument } from '../../src/isa/document.js';

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';
const committed = (name: string) =>
  readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8');

/** A program with every instruction, so every per-instruction coefficient table is exercised. */
const everyInstruction = assemble(
  [
    '.memory 8',
    ...OPCODES.map((op) =>
      op.operand === 'none'
        ? op.mnemonic
        : op.operand === 'address'
          ? `${op.mnemonic} 3`
          : `${op.mnemonic} -7`.replace(/(CALL|JMP|JZ|JNZ) -7/, '$1 2'),
    ),
  ].join('\n'),
);
const claim = {
  steps: 1,
  pc: 0,
  acc: 0,
  sp: 8,
  zero: true,
  carry: false,
  halted: false,
  memory: new Array(8).fill(0),
  fault: null,
};

function instancesFor(ffDim: number) {
  const compiled = compileProgram(everyInstruction);
  const dims = { ffDim, instructions: everyInstruction.instructions.length };
  return new Expander(
    airDocument() as unknown as AirDocument,
    dims,
    programTables(compiled, ffDim, runBoundaries(compiled, claim)),
  ).instances();
}

describe('the AIR document', () => {
  it('schemas/air-v2.json, trace-v2.json and isa-v1.json are what src/air generates (run npm run schemas)', () => {
    expect(committed('air-v2.json')).toBe(json(airDocument()));
    expect(committed('trace-v2.json')).toBe(json(traceDocument()));
    expect(committed('isa-v1.json')).toBe(json(isaDocument()));
  });

  it('every expanded constraint has degree at most 2', () => {
    const instances = instancesFor(50);
    expect(instances.length).toBe(419);
    const degrees = instances.map((i) => Math.max(0, ...i.monomials.map((m) => m.cells.length)));
    expect(Math.max(...degrees)).toBe(2);
    for (const instance of instances)
      for (const m of instance.monomials)
        expect(m.cells.length, instance.name).toBeLessThanOrEqual(2);
  });

  it('declares the degree each constraint really has', () => {
    const doc = airDocument() as unknown as AirDocument;
    for (const constraint of doc.constraints)
      for (const term of constraint.terms)
        expect(term.vars.length, constraint.name).toBeLessThanOrEqual(2);
  });

  it('only transitions read the next row; boundaries and row constraints read one row', () => {
    for (const instance of instancesFor(50)) {
      const readsNext = instance.monomials.some((m) => m.cells.some((c) => c.next));
      if (instance.rows !== 'transition') expect(readsNext, instance.name).toBe(false);
    }
  });

  it('every column is read by some constraint or argument (an unread column would be a hole)', () => {
    const readBy = readers();
    for (const column of COLUMNS)
      expect(readBy.get(column.name)?.length ?? 0, column.name).toBeGreaterThan(0);
  });

  it('constraint names are unique', () => {
    const names = (airDocument() as unknown as AirDocument).constraints.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('per-instruction coefficients come from the compiled weights: ffn.hidden pairs gate and value of every unit', () => {
    const hidden = instancesFor(50).filter((i) => i.constraint === 'ffn.hidden');
    expect(hidden).toHaveLength(50);
    for (const instance of hidden) expect(instance.monomials).toHaveLength(2);
  });

  it("every bool column is constrained to 0/1 outright: a prover's cells are field elements, whatever Arrow stores", () => {
    const boolColumns = COLUMNS.filter((c) => c.type === 'bool').map((c) => c.name);
    const booleanOf = new Set(
      CONSTRAINTS.filter(
        (c) =>
          c.terms.length === 2 &&
          c.terms[0].vars.length === 2 &&
          c.terms[0].vars[0] === c.terms[0].vars[1] &&
          c.terms[1].coef === -1 &&
          c.terms[1].vars[0] === c.terms[0].vars[0],
      ).map((c) => c.terms[0].vars[0].replace(/\[.*$/, '')),
    );
    // input_bits is boolean slot by slot through the vector x (decode.acc_bit_boolean, decode.operand_bit_boolean).
    for (const name of boolColumns)
      if (name !== 'input_bits') expect(booleanOf.has(name), name).toBe(true);
    expect(booleanOf.has('x')).toBe(true);
  });

  it('argument multiplicities have degree at most 2 and name only columns', () => {
    const columns = new Set(COLUMNS.map((c) => c.name));
    for (const argument of ARGUMENTS) {
      for (const side of [argument.left, argument.right]) {
        if (side.table !== undefined)
          expect(Object.keys(PUBLIC_VALUES), argument.name).toContain(side.table);
        if (side.rows === undefined) continue;
        for (const term of side.rows.multiplicity) {
          expect(term.vars.length, argument.name).toBeLessThanOrEqual(2);
          for (const v of term.vars) expect(columns.has(v.replace(/\[.*$/, '')), v).toBe(true);
        }
        for (const ref of side.rows.tuple) expect(columns.has(ref), ref).toBe(true);
      }
    }
  });

  it('names constraints, arguments and obligations apart, and every table and public value it uses exists', () => {
    const names = [
      ...CONSTRAINTS.map((c) => c.name),
      ...ARGUMENTS.map((a) => a.name),
      ...OBLIGATIONS.map((o) => o.name),
    ];
    // claim.steps is both the constraint on the last step and the obligation steps ≤ max_steps: one rule, two halves.
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual(['claim.steps']);
    const known = new Set([...Object.keys(TABLES), ...Object.keys(PUBLIC_VALUES)]);
    for (const constraint of CONSTRAINTS)
      for (const term of constraint.terms)
        if (typeof term.coef === 'string')
          expect(
            known.has(term.coef.replace(/^-/, '').replace(/\[.*$/, '')),
            `${constraint.name}: ${term.coef}`,
          ).toBe(true);
  });

  it('is sound in Goldilocks only', () => {
    expect(SOUND_FIELDS).toEqual(['goldilocks']);
  });
});
