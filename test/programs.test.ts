import { describe, expect, it } from 'vitest';
import { assemble } from '../src/isa/assemble.js';
import { OPCODES } from '../src/isa/opcodes.js';
import { runNative } from '../src/runtime/native/interpreter.js';
import { listPrograms, parseExpectation } from './support/expectations.js';

const programs = listPrograms();

describe('programs/*.tvm reach exactly the state their expect header states', () => {
  it('has the required set of programs', () => {
    const names = programs.map(([name]) => name);
    expect(names.length).toBeGreaterThanOrEqual(15);
    for (const required of [
      'fibonacci.tvm',
      'factorial_recursive.tvm',
      'long_loop.tvm',
      'infinite_loop.tvm',
    ]) {
      expect(names).toContain(required);
    }
    expect(names.filter((name) => name.startsWith('fault_')).length).toBeGreaterThanOrEqual(2);
  });

  it('together use all 26 instructions', () => {
    const used = new Set<number>();
    for (const [, source] of programs)
      for (const instruction of assemble(source).instructions) used.add(instruction.opcode);
    const missing = OPCODES.filter((spec) => !used.has(spec.code)).map((spec) => spec.mnemonic);
    expect(missing).toEqual([]);
  });

  it.each(programs)('%s', (name, source) => {
    const want = parseExpectation(source);
    const program = assemble(source);
    const got = runNative(program, want.maxSteps);

    expect({ steps: got.steps, halted: got.halted, acc: got.acc }).toEqual({
      steps: want.steps,
      halted: want.halted,
      acc: want.acc,
    });
    if (want.pc !== undefined) expect(got.pc).toBe(want.pc);
    if (want.sp !== undefined) expect(got.sp).toBe(want.sp);
    if (want.zero !== undefined) expect(got.zero).toBe(want.zero);
    if (want.carry !== undefined) expect(got.carry).toBe(want.carry);
    if (want.memory !== undefined) expect(got.memory).toEqual(want.memory);

    if (want.fault !== undefined) {
      expect(want.pc, `${name}: a fault program states pc=`).toBeDefined();
      expect(got.fault).not.toBeNull();
      expect(got.fault?.kind).toBe(want.fault);
      expect(got.fault?.step).toBe(want.steps);
      expect(got.fault?.pc).toBe(want.pc);
      expect(got.halted).toBe(false);
    } else {
      expect(got.fault).toBeNull();
      // Without a fault the run stops by HALT or by the budget, never both ways at once.
      if (!want.halted) expect(got.steps).toBe(want.maxSteps);
      else expect(got.steps).toBeLessThanOrEqual(want.maxSteps);
    }
  });

  it('long_loop.tvm runs at least 10M steps and stops at max-steps when the budget is smaller', () => {
    const source = programs.find(([name]) => name === 'long_loop.tvm')![1];
    const want = parseExpectation(source);
    expect(want.steps).toBeGreaterThanOrEqual(10_000_000);
    expect(want.halted).toBe(true);
    const short = runNative(assemble(source), 1_000_000);
    expect(short.steps).toBe(1_000_000);
    expect(short.halted).toBe(false);
    expect(short.fault).toBeNull();
  });

  it('infinite_loop.tvm only stops at max-steps', () => {
    const source = programs.find(([name]) => name === 'infinite_loop.tvm')![1];
    const want = parseExpectation(source);
    expect(want.halted).toBe(false);
    for (const budget of [1, 2, 3, 12345]) {
      const got = runNative(assemble(source), budget);
      expect(got.steps).toBe(budget);
      expect(got.halted).toBe(false);
      expect(got.fault).toBeNull();
    }
  });
});

describe('the expect-header parser', () => {
  it('parses every field', () => {
    expect(
      parseExpectation(
        '; title\n; expect: max_steps=9 steps=3 halted=false acc=-5 pc=1 sp=2 zero=true carry=false memory=[1,-2] fault=stack_overflow\nHALT\n',
      ),
    ).toEqual({
      maxSteps: 9,
      steps: 3,
      halted: false,
      acc: -5,
      pc: 1,
      sp: 2,
      zero: true,
      carry: false,
      memory: [1, -2],
      fault: 'stack_overflow',
    });
  });

  it('rejects missing, unknown and malformed fields', () => {
    expect(() => parseExpectation('HALT\n')).toThrow(/no `; expect:`/);
    expect(() => parseExpectation('; expect: steps=1 halted=true\n')).toThrow(/missing 'acc'/);
    expect(() => parseExpectation('; expect: steps=1 halted=true acc=0 color=red\n')).toThrow(
      /unknown key 'color'/,
    );
    expect(() => parseExpectation('; expect: steps=1 halted=yes acc=0\n')).toThrow(/true\/false/);
    expect(() => parseExpectation('; expect: steps=1 halted=true acc=0 fault=oops\n')).toThrow(
      /unknown fault kind/,
    );
  });
});
