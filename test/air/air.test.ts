import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { COLUMNS } from '../../src/air/columns.js';
import { airDocument, readers, traceDocument } from '../../src/air/documents.js';
import { Expander, type AirDocument } from '../../src/check/expand.js';
import { programTables, runBoundaries } from '../../src/check/tables.js';
import { compileProgram } from '../../src/compiler/compile.js';
import { assemble } from '../../src/isa/assemble.js';
import { OPCODES } from '../../src/isa/opcodes.js';

const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';
const committed = (name: string) => readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8');

/** A program with every instruction, so every per-instruction coefficient table is exercised. */
const everyInstruction = assemble(
  ['.memory 8', ...OPCODES.map((op) => (op.operand === 'none' ? op.mnemonic : op.operand === 'address' ? `${op.mnemonic} 3` : `${op.mnemonic} -7`.replace(/(CALL|JMP|JZ|JNZ) -7/, '$1 2')))].join('\n'),
);
const claim = { steps: 1, pc: 0, acc: 0, sp: 8, zero: true, carry: false, halted: false, memory: new Array(8).fill(0), fault: null };

function instancesFor(ffDim: number) {
  const compiled = compileProgram(everyInstruction);
  const dims = { ffDim, instructions: everyInstruction.instructions.length };
  return new Expander(airDocument() as unknown as AirDocument, dims, programTables(compiled, ffDim, runBoundaries(compiled, claim))).instances();
}

describe('the AIR document', () => {
  it('schemas/air-v2.json and schemas/trace-v2.json are what src/air generates (run npm run schemas)', () => {
    expect(committed('air-v2.json')).toBe(json(airDocument()));
    expect(committed('trace-v2.json')).toBe(json(traceDocument()));
  });

  it('every expanded constraint has degree at most 2', () => {
    const instances = instancesFor(50);
    expect(instances.length).toBe(374);
    const degrees = instances.map((i) => Math.max(0, ...i.monomials.map((m) => m.cells.length)));
    expect(Math.max(...degrees)).toBe(2);
    for (const instance of instances) for (const m of instance.monomials) expect(m.cells.length, instance.name).toBeLessThanOrEqual(2);
  });

  it('declares the degree each constraint really has', () => {
    const doc = airDocument() as unknown as AirDocument;
    for (const constraint of doc.constraints) for (const term of constraint.terms) expect(term.vars.length, constraint.name).toBeLessThanOrEqual(2);
  });

  it('only transitions read the next row; boundaries and row constraints read one row', () => {
    for (const instance of instancesFor(50)) {
      const readsNext = instance.monomials.some((m) => m.cells.some((c) => c.next));
      if (instance.rows !== 'transition') expect(readsNext, instance.name).toBe(false);
    }
  });

  it('every column is read by some constraint or argument (an unread column would be a hole)', () => {
    const readBy = readers();
    for (const column of COLUMNS) expect(readBy.get(column.name)?.length ?? 0, column.name).toBeGreaterThan(0);
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
});
