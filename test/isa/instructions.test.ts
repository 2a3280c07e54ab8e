/**
 * Every instruction at its edges, against hand-computed values (SPEC §3), not against
 * the interpreter's own arithmetic. Each expected number below was worked out by hand;
 * the comment next to it shows the working where it is not obvious.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/isa/assemble.js';
import { NativeMachine, runNative } from '../../src/runtime/native/interpreter.js';
import type { MachineSnapshot } from '../../src/runtime/state.js';

function exec(source: string, maxSteps = 1000): MachineSnapshot {
  return runNative(assemble(source), maxSteps);
}

/** acc, zero, carry after `LOADI a` then `<op> b` (immediate form) or `<op>M 0` with mem[0] = b. */
function binary(op: string, a: number, b: number, form: 'immediate' | 'memory'): MachineSnapshot {
  const source =
    form === 'immediate'
      ? `LOADI ${a}\n${op} ${b}\n`
      : `.memory 1\n.init 0 ${b}\nLOADI ${a}\n${op}M 0\n`;
  const state = exec(source, 2);
  expect(state.steps).toBe(2);
  expect(state.pc).toBe(2);
  expect(state.fault).toBeNull();
  if (form === 'memory') expect(state.memory).toEqual([b]); // the operand cell is only read
  return state;
}

type Case = [a: number, b: number, acc: number, zero: boolean, carry: boolean];

function checkBinary(op: string, cases: Case[]): void {
  for (const form of ['immediate', 'memory'] as const) {
    const name = form === 'immediate' ? op : `${op}M`;
    it.each(cases)(`${name}: %i, %i -> acc %i zero %s carry %s`, (a, b, acc, zero, carry) => {
      const state = binary(op, a, b, form);
      expect({ acc: state.acc, zero: state.zero, carry: state.carry }).toEqual({
        acc,
        zero,
        carry,
      });
    });
  }
}

describe('ADD / ADDM: wrap to i16, carry = raw sum outside i16', () => {
  checkBinary('ADD', [
    [0, 0, 0, true, false],
    [2, 3, 5, false, false],
    [32766, 1, 32767, false, false],
    [32767, 1, -32768, false, true], // 32768 - 65536
    [-32767, -1, -32768, false, false],
    [-32768, -1, 32767, false, true], // -32769 + 65536
    [-32768, -32768, 0, true, true], // -65536 wraps to 0: zero and carry together
    [32767, 32767, -2, false, true], // 65534 - 65536
    [-1, 1, 0, true, false],
    [100, -100, 0, true, false],
  ]);
});

describe('SUB / SUBM', () => {
  checkBinary('SUB', [
    [5, 5, 0, true, false],
    [3, 5, -2, false, false],
    [-32768, 1, 32767, false, true], // -32769 + 65536
    [32767, -1, -32768, false, true], // 32768 - 65536
    [0, -32768, -32768, false, true], // 32768 - 65536
    [-1, 32767, -32768, false, false], // exactly -32768: no carry
    [-32768, -32768, 0, true, false],
    [32767, -32768, -1, false, true], // 65535 - 65536
  ]);
});

describe('MUL / MULM', () => {
  checkBinary('MUL', [
    [-32768, -1, -32768, false, true], // 32768 - 65536
    [32767, 32767, 1, false, true], // 1073676289 = 2^30 - 2^16 + 1 = 1 mod 2^16
    [-32768, -32768, 0, true, true], // 2^30 = 0 mod 2^16
    [-32768, 1, -32768, false, false],
    [256, 256, 0, true, true], // 65536
    [181, 181, 32761, false, false],
    [182, 182, -32412, false, true], // 33124 - 65536
    [-181, 181, -32761, false, false],
    [-1, -1, 1, false, false],
    [12345, 0, 0, true, false],
    [-2, 16384, -32768, false, false], // exactly -32768: in range
    [2, 16384, -32768, false, true], // 32768 - 65536
    [-300, 300, -24464, false, true], // -90000 + 2 * 65536 = 41072, and 41072 - 65536 = -24464
  ]);
});

describe('CMP / CMPM keep the difference in acc; carry = (old acc < rhs), signed', () => {
  checkBinary('CMP', [
    [5, 5, 0, true, false],
    [3, 5, -2, false, true],
    [5, 3, 2, false, false],
    [-1, 0, -1, false, true],
    [-5, -3, -2, false, true],
    [-3, -5, 2, false, false],
    [-32768, 1, 32767, false, true], // -32769 wraps to 32767, yet -32768 < 1
    [32767, -1, -32768, false, false], // 32768 wraps to -32768, yet 32767 > -1
    [0, -32768, -32768, false, false], // 32768 wraps
    [-32768, -32768, 0, true, false],
    [-32768, 32767, 1, false, true], // -65535 + 65536
    [32767, -32768, -1, false, false], // 65535 - 65536
  ]);

  it('the difference stays in acc and can be stored', () => {
    const state = exec('LOADI 10\nCMP 3\nSTORE 0\nHALT\n');
    expect(state.acc).toBe(7);
    expect(state.memory[0]).toBe(7);
  });
});

describe('AND / OR / XOR and the M forms: bitwise on 16 bits, carry cleared', () => {
  checkBinary('AND', [
    [-1, -256, -256, false, false], // 0xFFFF & 0xFF00
    [-21846, 21845, 0, true, false], // 0xAAAA & 0x5555
    [-32768, -32768, -32768, false, false],
    [-16, 255, 240, false, false], // 0xFFF0 & 0x00FF = 0x00F0
    [-2, 32767, 32766, false, false], // 0xFFFE & 0x7FFF
    [12, 10, 8, false, false],
  ]);
  checkBinary('OR', [
    [-32768, 32767, -1, false, false], // 0x8000 | 0x7FFF
    [4660, -4661, -1, false, false], // 0x1234 | 0xEDCB
    [0, 0, 0, true, false],
    [-256, 15, -241, false, false], // 0xFF0F
    [-21846, 1, -21845, false, false], // 0xAAAB
    [12, 10, 14, false, false],
  ]);
  checkBinary('XOR', [
    [-1, -32768, 32767, false, false], // 0xFFFF ^ 0x8000
    [-256, 255, -1, false, false],
    [-12345, -12345, 0, true, false],
    [21845, -1, -21846, false, false], // ~0x5555 = 0xAAAA
    [-32768, -1, 32767, false, false],
    [12, 10, 6, false, false],
  ]);

  it.each(['AND -1', 'OR 0', 'XOR 0', 'ANDM 0', 'ORM 1', 'XORM 1'])(
    '%s clears a set carry',
    (instruction) => {
      // mem[0] = -1, mem[1] = 0; LOADI 32767; ADD 1 -> -32768 with carry set.
      const state = exec(`.memory 2\n.init 0 -1\nLOADI 32767\nADD 1\n${instruction}\n`, 3);
      expect({ acc: state.acc, zero: state.zero, carry: state.carry }).toEqual({
        acc: -32768,
        zero: false,
        carry: false,
      });
    },
  );
});

describe('loads', () => {
  it('LOADI sets zero from the value and clears carry', () => {
    expect(exec('LOADI 32767\nADD 1\nLOADI 0\n', 3)).toMatchObject({
      acc: 0,
      zero: true,
      carry: false,
    });
    expect(exec('LOADI -32768\n', 1)).toMatchObject({ acc: -32768, zero: false, carry: false });
    expect(exec('LOADI 32767\n', 1)).toMatchObject({ acc: 32767, zero: false, carry: false });
  });

  it('LOAD reads a cell, sets zero, clears carry', () => {
    expect(exec('.memory 4\n.init 3 -7\nLOADI 32767\nADD 1\nLOAD 3\n', 3)).toMatchObject({
      acc: -7,
      zero: false,
      carry: false,
      pc: 3,
    });
    expect(exec('.memory 4\n.init 3 -7\nLOADI 5\nLOAD 2\n', 2)).toMatchObject({
      acc: 0,
      zero: true,
      carry: false,
    });
  });

  it('STORE writes acc and keeps acc and flags', () => {
    expect(exec('.memory 3\nLOADI -32768\nADD -32768\nSTORE 2\n', 3)).toMatchObject({
      acc: 0,
      zero: true,
      carry: true,
      memory: [0, 0, 0],
    });
    expect(exec('.memory 3\nLOADI -9\nSTORE 2\nSTORE 0\n', 3)).toMatchObject({
      acc: -9,
      memory: [-9, 0, -9],
    });
  });
});

describe('flags are kept by NOP, STORE, PUSH, CALL, RET, JMP, JZ, JNZ, HALT', () => {
  // Prefixes that leave each combination of flags (and the acc they leave).
  const prefixes: Array<
    [label: string, source: string, acc: number, zero: boolean, carry: boolean]
  > = [
    ['zero+carry', 'LOADI -32768\nADD -32768', 0, true, true], // -65536 wraps to 0
    ['carry only', 'LOADI 32767\nADD 1', -32768, false, true],
    ['zero only', 'LOADI 0', 0, true, false],
    ['neither', 'LOADI 7', 7, false, false],
  ];
  // Body after the prefix, how many of its steps to run, and the pc expected after them.
  // The prefix is 2 lines for the first two prefixes, 1 for the others: pcs below are relative.
  const bodies: Array<[name: string, body: string, steps: number, pcAfter: number]> = [
    ['NOP', 'NOP\nHALT', 1, 1],
    ['STORE', 'STORE 0\nHALT', 1, 1],
    ['PUSH', 'PUSH\nHALT', 1, 1],
    ['CALL', 'CALL sub\nHALT\nsub: NOP', 1, 2],
    ['RET', 'CALL sub\nHALT\nsub: RET', 2, 1],
    ['JMP', 'JMP there\nHALT\nthere: NOP', 1, 2],
    ['JZ', 'JZ there\nNOP\nthere: NOP', 1, -1], // pc depends on the flag, checked below
    ['JNZ', 'JNZ there\nNOP\nthere: NOP', 1, -1],
    ['HALT', 'HALT\nNOP', 1, 0],
  ];
  for (const [name, body, steps, pcAfter] of bodies) {
    it.each(prefixes)(`${name} keeps flags: %s`, (_label, prefix, acc, zero, carry) => {
      const prefixLength = prefix.split('\n').length;
      const state = exec(`${prefix}\n${body}\n`, prefixLength + steps);
      expect(state.fault).toBeNull();
      expect(state.steps).toBe(prefixLength + steps);
      expect({ acc: state.acc, zero: state.zero, carry: state.carry }).toEqual({
        acc,
        zero,
        carry,
      });
      const relative = name === 'JZ' ? (zero ? 2 : 1) : name === 'JNZ' ? (zero ? 1 : 2) : pcAfter;
      expect(state.pc).toBe(prefixLength + relative);
      expect(state.halted).toBe(name === 'HALT');
    });
  }
});

describe('jumps', () => {
  it('the initial zero flag is true, so a leading JZ is taken and JNZ is not', () => {
    expect(exec('JZ 2\nLOADI 1\nHALT\n')).toMatchObject({ steps: 2, pc: 2, acc: 0, halted: true });
    expect(exec('JNZ 3\nLOADI 1\nHALT\nHALT\n')).toMatchObject({
      steps: 3,
      pc: 2,
      acc: 1,
      halted: true,
    });
  });

  it('JZ / JNZ follow the zero flag of the last flag-setting instruction', () => {
    expect(exec('LOADI 1\nJZ 4\nLOADI 2\nHALT\nHALT\n')).toMatchObject({ steps: 4, pc: 3, acc: 2 });
    expect(exec('LOADI 1\nJNZ 4\nLOADI 2\nHALT\nHALT\n')).toMatchObject({
      steps: 3,
      pc: 4,
      acc: 1,
    });
    expect(exec('LOADI 1\nSUB 1\nJZ 5\nLOADI 2\nHALT\nHALT\n')).toMatchObject({
      steps: 4,
      pc: 5,
      acc: 0,
    });
  });

  it('a jump target is any pc 0..255; JMP to its own line loops', () => {
    expect(exec('JMP 0\n', 5)).toMatchObject({ steps: 5, pc: 0, halted: false, fault: null });
  });
});

describe('stack discipline', () => {
  it('PUSH writes mem[sp-1] then decrements sp; POP reads mem[sp] then increments it', () => {
    const machine = new NativeMachine(
      assemble(
        '.memory 4\nLOADI 11\nPUSH\nLOADI 22\nPUSH\nLOADI 33\nPUSH\nLOADI 44\nPUSH\nPOP\nPOP\nPOP\nPOP\nHALT\n',
      ),
    );
    const trail: Array<[number, number, number[]]> = [];
    while (machine.advance(1) === 1) {
      const s = machine.snapshot();
      trail.push([s.sp, s.acc, [...s.memory]]);
    }
    expect(trail).toEqual([
      [4, 11, [0, 0, 0, 0]],
      [3, 11, [0, 0, 0, 11]],
      [3, 22, [0, 0, 0, 11]],
      [2, 22, [0, 0, 22, 11]],
      [2, 33, [0, 0, 22, 11]],
      [1, 33, [0, 33, 22, 11]],
      [1, 44, [0, 33, 22, 11]],
      [0, 44, [44, 33, 22, 11]],
      [1, 44, [44, 33, 22, 11]], // POP leaves the cell as it was
      [2, 33, [44, 33, 22, 11]],
      [3, 22, [44, 33, 22, 11]],
      [4, 11, [44, 33, 22, 11]],
      [4, 11, [44, 33, 22, 11]], // HALT
    ]);
    expect(machine.snapshot()).toMatchObject({ steps: 13, halted: true, pc: 12 });
  });

  it('POP sets zero from the value and clears carry', () => {
    expect(exec('.memory 2\nLOADI 0\nPUSH\nLOADI 32767\nADD 1\nPOP\n', 5)).toMatchObject({
      acc: 0,
      zero: true,
      carry: false,
      sp: 2,
    });
  });

  it('CALL pushes pc+1 and jumps; RET pops it into pc', () => {
    const machine = new NativeMachine(assemble('.memory 4\nNOP\nCALL 4\nHALT\nHALT\nRET\n'));
    machine.advance(2);
    expect(machine.snapshot()).toMatchObject({ pc: 4, sp: 3, memory: [0, 0, 0, 2], acc: 0 });
    machine.advance(1);
    expect(machine.snapshot()).toMatchObject({ pc: 2, sp: 4, memory: [0, 0, 0, 2] });
    machine.advance(10);
    expect(machine.snapshot()).toMatchObject({ steps: 4, pc: 2, halted: true });
  });

  it('CALL at pc 255 pushes (255 + 1) mod 256 = 0', () => {
    const source = `.init 15 -1\n${'NOP\n'.repeat(255)}CALL 7\n`;
    const state = exec(source, 256);
    expect(state).toMatchObject({ steps: 256, pc: 7, sp: 15, fault: null });
    expect(state.memory[15]).toBe(0);
  });

  it('RET to an address popped from the stack may be any value 0..255', () => {
    // RET to 255 is legal; the next fetch then runs past the 3-instruction program.
    const state = exec('.memory 2\nLOADI 255\nPUSH\nRET\n');
    expect(state.fault).toMatchObject({ kind: 'pc_out_of_bounds', step: 3, pc: 255 });
    expect(state).toMatchObject({ steps: 3, pc: 255, sp: 2 });
  });
});

describe('HALT', () => {
  it('keeps pc, counts as a step, sets halted, and nothing runs after it', () => {
    const machine = new NativeMachine(assemble('LOADI 5\nHALT\nLOADI 6\n'));
    expect(machine.advance(100)).toBe(2);
    expect(machine.snapshot()).toMatchObject({
      steps: 2,
      pc: 1,
      acc: 5,
      halted: true,
      fault: null,
    });
    expect(machine.stopped).toBe(true);
    expect(machine.advance(100)).toBe(0);
    expect(machine.snapshot()).toMatchObject({ steps: 2, pc: 1, acc: 5, halted: true });
  });

  it('a lone HALT: one step, pc 0', () => {
    expect(exec('HALT\n')).toMatchObject({ steps: 1, pc: 0, halted: true });
  });
});

describe('faults: exact kind, step, pc and message; the failing step changes nothing', () => {
  it('stack overflow: PUSH with sp = 0', () => {
    const state = exec('.memory 2\nLOADI 5\nPUSH\nPUSH\nPUSH\nHALT\n');
    expect(state.fault).toEqual({
      kind: 'stack_overflow',
      step: 3,
      pc: 3,
      message: 'stack overflow at step 3, pc 3: sp is 0',
    });
    expect(state).toMatchObject({ steps: 3, pc: 3, sp: 0, acc: 5, halted: false, memory: [5, 5] });
  });

  it('stack overflow: CALL with .memory 0', () => {
    const state = exec('.memory 0\nCALL 0\n');
    expect(state.fault).toEqual({
      kind: 'stack_overflow',
      step: 0,
      pc: 0,
      message: 'stack overflow at step 0, pc 0: sp is 0',
    });
    expect(state).toMatchObject({ steps: 0, pc: 0, sp: 0, memory: [] });
  });

  it('stack underflow: POP with sp = N', () => {
    const state = exec('POP\n');
    expect(state.fault).toEqual({
      kind: 'stack_underflow',
      step: 0,
      pc: 0,
      message: 'stack underflow at step 0, pc 0: sp 16 with 16 memory cells',
    });
    expect(state).toMatchObject({ steps: 0, pc: 0, sp: 16, acc: 0 });
  });

  it('stack underflow: RET with sp = N', () => {
    const state = exec('.memory 3\nNOP\nRET\n');
    expect(state.fault).toEqual({
      kind: 'stack_underflow',
      step: 1,
      pc: 1,
      message: 'stack underflow at step 1, pc 1: sp 3 with 3 memory cells',
    });
  });

  it('stack underflow: POP with .memory 0', () => {
    expect(exec('.memory 0\nPOP\n').fault).toEqual({
      kind: 'stack_underflow',
      step: 0,
      pc: 0,
      message: 'stack underflow at step 0, pc 0: sp 0 with 0 memory cells',
    });
  });

  it('pc out of bounds: running past the last instruction', () => {
    const state = exec('LOADI 1\n');
    expect(state.fault).toEqual({
      kind: 'pc_out_of_bounds',
      step: 1,
      pc: 1,
      message: 'pc out of bounds at step 1, pc 1: program has 1 instructions',
    });
    expect(state).toMatchObject({ steps: 1, pc: 1, acc: 1, halted: false });
  });

  it('pc out of bounds: an empty program (also one with only comments and directives)', () => {
    const want = {
      kind: 'pc_out_of_bounds',
      step: 0,
      pc: 0,
      message: 'pc out of bounds at step 0, pc 0: program has 0 instructions',
    };
    expect(exec('').fault).toEqual(want);
    expect(exec('; nothing\n.memory 3\nlabel:\n').fault).toEqual(want);
    expect(exec('').steps).toBe(0);
  });

  it('pc out of bounds: a jump beyond the program', () => {
    expect(exec('JMP 200\n').fault).toEqual({
      kind: 'pc_out_of_bounds',
      step: 1,
      pc: 200,
      message: 'pc out of bounds at step 1, pc 200: program has 1 instructions',
    });
  });

  it.each(['LOAD', 'STORE', 'ADDM', 'SUBM', 'MULM', 'ANDM', 'ORM', 'XORM', 'CMPM'])(
    'memory out of bounds: %s 16 with 16 cells',
    (mnemonic) => {
      const state = exec(`LOADI 3\n${mnemonic} 16\nHALT\n`);
      expect(state.fault).toEqual({
        kind: 'memory_out_of_bounds',
        step: 1,
        pc: 1,
        message: 'memory out of bounds at step 1, pc 1: address 16 with 16 memory cells',
      });
      expect(state).toMatchObject({
        steps: 1,
        pc: 1,
        acc: 3,
        carry: false,
        zero: false,
        halted: false,
      });
      expect(state.memory).toEqual(new Array(16).fill(0));
    },
  );

  it('memory out of bounds at the 255-cell limit and with .memory 0', () => {
    expect(exec('.memory 255\n.init 254 9\nLOAD 254\nHALT\n')).toMatchObject({
      acc: 9,
      halted: true,
    });
    expect(exec('.memory 255\nLOAD 255\n').fault?.message).toBe(
      'memory out of bounds at step 0, pc 0: address 255 with 255 memory cells',
    );
    expect(exec('.memory 0\nLOAD 0\n').fault?.message).toBe(
      'memory out of bounds at step 0, pc 0: address 0 with 0 memory cells',
    );
  });

  it.each([
    [256, 'bad return address at step 2, pc 2: return address 256 outside 0..255'],
    [-1, 'bad return address at step 2, pc 2: return address -1 outside 0..255'],
    [-32768, 'bad return address at step 2, pc 2: return address -32768 outside 0..255'],
  ])('bad return address %i', (value, message) => {
    const state = exec(`.memory 4\nLOADI ${value}\nPUSH\nRET\nHALT\n`);
    expect(state.fault).toEqual({ kind: 'bad_return_address', step: 2, pc: 2, message });
    expect(state).toMatchObject({ steps: 2, pc: 2, sp: 3, acc: value });
  });

  it('a faulted machine does not advance further', () => {
    const machine = new NativeMachine(assemble('POP\n'));
    expect(machine.advance(10)).toBe(0);
    expect(machine.stopped).toBe(true);
    const fault = machine.fault;
    expect(machine.advance(10)).toBe(0);
    expect(machine.fault).toBe(fault);
  });
});

describe('initial state, memory and budget', () => {
  it('initial state: pc 0, acc 0, sp = N, zero true, carry false, memory from .init', () => {
    expect(exec('.memory 7\n.init 2 -3\nHALT\n', 0)).toEqual({
      steps: 0,
      pc: 0,
      acc: 0,
      sp: 7,
      zero: true,
      carry: false,
      halted: false,
      memory: [0, 0, -3, 0, 0, 0, 0],
      fault: null,
    });
  });

  it('.memory 0 runs programs that never touch memory', () => {
    expect(exec('.memory 0\nLOADI 5\nADD 1\nHALT\n')).toMatchObject({
      steps: 3,
      acc: 6,
      sp: 0,
      memory: [],
      halted: true,
    });
  });

  it('max-steps stops an endless loop without a fault', () => {
    expect(exec('loop: ADD 1\nJMP loop\n', 7)).toMatchObject({
      steps: 7,
      pc: 1,
      acc: 4,
      halted: false,
      fault: null,
    });
  });

  it('execution is over at max-steps before the next fetch: no fault is reported', () => {
    expect(exec('LOADI 1\n', 1)).toMatchObject({ steps: 1, pc: 1, fault: null, halted: false });
  });

  it('max-steps equal to the step of HALT still halts', () => {
    expect(exec('NOP\nNOP\nHALT\n', 3)).toMatchObject({ steps: 3, halted: true, pc: 2 });
    expect(exec('NOP\nNOP\nHALT\n', 2)).toMatchObject({ steps: 2, halted: false, pc: 2 });
  });

  it('advancing step by step reaches the same state as one run', () => {
    const program = assemble(
      '.memory 3\n.init 0 5\nloop: LOAD 1\nADDM 0\nSTORE 1\nLOAD 0\nSUB 1\nSTORE 0\nJNZ loop\nLOAD 1\nHALT\n',
    );
    const machine = new NativeMachine(program);
    while (machine.advance(1) === 1);
    expect(machine.snapshot()).toEqual(runNative(program, 1000));
    expect(machine.snapshot()).toMatchObject({ acc: 15, steps: 37, halted: true }); // 5+4+3+2+1; 7 * 5 + 2 steps
  });

  it('pc wraps from 255 to 0: a program of 256 NOPs', () => {
    const program = assemble('NOP\n'.repeat(256));
    expect(program.instructions.length).toBe(256);
    expect(runNative(program, 255)).toMatchObject({ steps: 255, pc: 255, fault: null });
    expect(runNative(program, 256)).toMatchObject({
      steps: 256,
      pc: 0,
      fault: null,
      halted: false,
    });
    expect(runNative(program, 300)).toMatchObject({ steps: 300, pc: 44, fault: null });
  });

  it('a JZ / JNZ not taken at pc 255 wraps to 0', () => {
    // zero is true initially: JNZ is not taken; LOADI 1 makes zero false: JZ is not taken.
    expect(exec(`${'NOP\n'.repeat(255)}JNZ 9\n`, 256)).toMatchObject({ pc: 0, fault: null });
    expect(exec(`LOADI 1\n${'NOP\n'.repeat(254)}JZ 9\n`, 256)).toMatchObject({
      pc: 0,
      fault: null,
    });
  });
});
