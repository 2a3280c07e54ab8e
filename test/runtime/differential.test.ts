import { describe, expect, it } from 'vitest';
import { OPCODES } from '../../src/isa/opcodes.js';
import { In, INPUT_DIM, Out, OUTPUT_DIM } from '../../src/compiler/layout.js';
import { createTap, FfnMachine } from '../../src/runtime/ffn/engine.js';
import { FAULT_KINDS } from '../../src/runtime/fault.js';
import { lockstep } from '../../src/runtime/lockstep.js';
import { AccessKind, createAccessTap } from '../../src/runtime/access.js';
import { controlTable } from '../../src/compiler/control-table.js';
import { assemble } from '../../src/isa/assemble.js';
import { accessOf } from '../../src/trace/write/witness.js';
import { NativeMachine } from '../../src/runtime/native/interpreter.js';
import { Random, randomProgram } from '../support/random-programs.js';

const PROGRAMS = 10_000;
const SEED = 20240611;

describe('native and ffn agree on random programs', () => {
  it(`${PROGRAMS} seeded random programs: identical state after every step and identical final snapshots`, () => {
    const r = new Random(SEED);
    const failures: string[] = [];
    const endings = new Map<string, number>();
    const executed = new Set<number>();
    let totalSteps = 0;
    for (let n = 0; n < PROGRAMS; n++) {
      const { program, maxSteps } = randomProgram(r);
      const native = new NativeMachine(program);
      const ffn = FfnMachine.fromProgram(program);
      const result = lockstep(program, [native, ffn], maxSteps);
      if (result.divergence !== null) {
        failures.push(`program ${n}: ${result.divergence.message}`);
        continue;
      }
      expect(ffn.snapshot()).toEqual(native.snapshot());
      totalSteps += result.steps;
      const final = native.snapshot();
      const ending = final.fault?.kind ?? (final.halted ? 'halted' : 'max_steps');
      endings.set(ending, (endings.get(ending) ?? 0) + 1);
      // Which instructions ran: replay on a fresh native machine, cheaply, one step at a time.
      if (n % 10 === 0) {
        const replay = new NativeMachine(program);
        while (replay.steps < maxSteps && !replay.stopped) {
          const pc = replay.regs[0];
          if (replay.advance(1) === 1) executed.add(program.instructions[pc].opcode);
        }
      }
      if (failures.length > 5) break;
    }
    expect(failures).toEqual([]);
    // The generator reaches every way a run can end, and every instruction executes.
    for (const kind of [...FAULT_KINDS, 'halted', 'max_steps'])
      expect(endings.get(kind) ?? 0, kind).toBeGreaterThan(20);
    expect(OPCODES.filter((s) => !executed.has(s.code)).map((s) => s.mnemonic)).toEqual([]);
    expect(totalSteps).toBeGreaterThan(300_000);
  });

  it('the tap path (every step emitted into a small, recycled tap) gives the same run, with consistent rows', () => {
    const r = new Random(SEED + 1);
    const failures: string[] = [];
    for (let n = 0; n < 1000 && failures.length < 5; n++) {
      const { program, maxSteps } = randomProgram(r);
      const native = new NativeMachine(program);
      native.advance(maxSteps);
      const ffn = FfnMachine.fromProgram(program);
      const ffDim = ffn.compiled.minFfDim + (n % 3);
      const tap = createTap(ffDim, 7);
      let previousNextPc: number | null = null;
      while (!ffn.stopped && ffn.steps < maxSteps) {
        const before = tap.row;
        ffn.advance(maxSteps - ffn.steps, tap);
        for (let row = before; row < tap.row; row++) {
          const x = tap.input.subarray(row * INPUT_DIM, (row + 1) * INPUT_DIM);
          const out = tap.output.subarray(row * OUTPUT_DIM, (row + 1) * OUTPUT_DIM);
          if (x[In.CONST] !== 1 || x[In.HALTED] !== 0)
            failures.push(`program ${n} row ${row}: const/halted slots`);
          if (previousNextPc !== null && x[In.PC] !== previousNextPc)
            failures.push(
              `program ${n} row ${row}: pc ${x[In.PC]} after NEXT_PC ${previousNextPc}`,
            );
          previousNextPc = out[Out.NEXT_PC];
          for (let i = 0; i < 16; i++) {
            if (
              x[In.ACC_BITS + i] !== ((x[In.ACC] >>> i) & 1) ||
              x[In.OPERAND_BITS + i] !== ((x[In.OPERAND] >>> i) & 1)
            )
              failures.push(`program ${n} row ${row}: bit ${i}`);
          }
          for (let k = 0; k < ffDim; k++) {
            const slot = row * ffDim + k;
            if (tap.hidden[slot] !== tap.gate[slot] * tap.value[slot])
              failures.push(`program ${n} row ${row}: hidden ${k}`);
          }
        }
        if (tap.row === tap.capacity) tap.row = 0;
      }
      if (JSON.stringify(ffn.snapshot()) !== JSON.stringify(native.snapshot()))
        failures.push(`program ${n}: final snapshots differ`);
    }
    expect(failures).toEqual([]);
  });

  it('a tap without bit slots gives the same rows (all but the bit slots) and the same run', () => {
    const r = new Random(SEED + 2);
    const failures: string[] = [];
    for (let n = 0; n < 500 && failures.length < 5; n++) {
      const { program, maxSteps } = randomProgram(r);
      const full = FfnMachine.fromProgram(program);
      const lean = FfnMachine.fromProgram(program);
      const ffDim = full.compiled.minFfDim;
      const withBits = createTap(ffDim, maxSteps);
      const withoutBits = createTap(ffDim, maxSteps, { bits: false });
      full.advance(maxSteps, withBits);
      lean.advance(maxSteps, withoutBits);
      if (withoutBits.bits || !withBits.bits) failures.push('tap bits flag');
      const rows = withBits.row;
      if (withoutBits.row !== rows)
        failures.push(`program ${n}: ${withoutBits.row} rows, expected ${rows}`);
      for (let row = 0; row < rows; row++) {
        for (let i = 0; i < INPUT_DIM; i++) {
          const bitSlot =
            (i >= In.ACC_BITS && i < In.ACC_BITS + 16) ||
            (i >= In.OPERAND_BITS && i < In.OPERAND_BITS + 16);
          if (
            !bitSlot &&
            withoutBits.input[row * INPUT_DIM + i] !== withBits.input[row * INPUT_DIM + i]
          )
            failures.push(`program ${n} row ${row}: input slot ${i}`);
        }
        for (const name of ['gate', 'value', 'hidden'] as const) {
          for (let k = 0; k < ffDim; k++)
            if (withoutBits[name][row * ffDim + k] !== withBits[name][row * ffDim + k])
              failures.push(`program ${n} row ${row}: ${name} ${k}`);
        }
        for (let o = 0; o < OUTPUT_DIM; o++)
          if (withoutBits.output[row * OUTPUT_DIM + o] !== withBits.output[row * OUTPUT_DIM + o])
            failures.push(`program ${n} row ${row}: output ${o}`);
      }
      if (JSON.stringify(lean.snapshot()) !== JSON.stringify(full.snapshot()))
        failures.push(`program ${n}: final snapshots differ`);
    }
    expect(failures).toEqual([]);
  });

  it("the reference interpreter's access tap records the access the FFN's outputs make, step by step", () => {
    const r = new Random(SEED + 3);
    const failures: string[] = [];
    const seen = new Set<number>();
    for (let n = 0; n < 2000 && failures.length < 5; n++) {
      const { program, maxSteps } = randomProgram(r);
      const ffn = FfnMachine.fromProgram(program);
      const tap = createTap(ffn.compiled.minFfDim, maxSteps);
      ffn.advance(maxSteps, tap);
      const native = new NativeMachine(program);
      const accesses = createAccessTap(maxSteps);
      native.advance(maxSteps, accesses);
      if (accesses.row !== tap.row)
        failures.push(`program ${n}: ${accesses.row} access rows, ${tap.row} FFN rows`);
      const table = controlTable(ffn.compiled);
      const expected = new Int32Array(3);
      for (let row = 0; row < tap.row; row++) {
        accessOf(tap, row, table, expected);
        seen.add(expected[2]);
        if (
          accesses.addr[row] !== expected[0] ||
          accesses.value[row] !== expected[1] ||
          accesses.kind[row] !== expected[2]
        )
          failures.push(
            `program ${n} step ${row}: (${accesses.addr[row]}, ${accesses.value[row]}, ${accesses.kind[row]}), FFN (${expected.join(', ')})`,
          );
      }
      if (JSON.stringify(native.snapshot()) !== JSON.stringify(ffn.snapshot()))
        failures.push(`program ${n}: final snapshots differ`);
    }
    expect(failures).toEqual([]);
    expect([...seen].sort()).toEqual([AccessKind.NONE, AccessKind.READ, AccessKind.WRITE]);
  });

  it('an access tap stops the reference interpreter when full', () => {
    const program = assemble('loop:\n  ADD 1\n  JMP loop\n');
    const native = new NativeMachine(program);
    const accesses = createAccessTap(5);
    expect(native.advance(100, accesses)).toBe(5);
    expect(accesses.row).toBe(5);
    expect(native.advance(100, accesses)).toBe(0);
    accesses.row = 0;
    expect(native.advance(3, accesses)).toBe(3);
    expect(Array.from(accesses.kind.subarray(0, 3))).toEqual([
      AccessKind.NONE,
      AccessKind.NONE,
      AccessKind.NONE,
    ]);
    expect(Array.from(accesses.addr.subarray(0, 3))).toEqual([256, 256, 256]);
  });
});
