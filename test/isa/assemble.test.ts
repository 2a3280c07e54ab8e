import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssemblyError, assemble } from '../../src/isa/assemble.js';
import { OPCODES } from '../../src/isa/opcodes.js';
import { printProgram } from '../../src/isa/print.js';
import { programsEqual, type Instruction, type Program } from '../../src/isa/program.js';

/** The AssemblyError `source` raises, as [line, detail]. */
function failure(source: string): [number, string] {
  try {
    assemble(source);
  } catch (error) {
    if (error instanceof AssemblyError) return [error.line, error.detail];
    throw error;
  }
  throw new Error(`assembled without error: ${JSON.stringify(source)}`);
}

const ops = (source: string) =>
  assemble(source).instructions.map((i) => [OPCODES[i.opcode].mnemonic, i.arg]);

describe('assembler errors name the line and the offending token (SPEC §2)', () => {
  it.each<[string, string, number, string]>([
    ['unknown mnemonic', 'NOP\n\n; comment\nFOO 1\n', 4, "unknown mnemonic 'FOO'"],
    ['unknown mnemonic after a label', 'start: FROB\n', 1, "unknown mnemonic 'FROB'"],
    ['operand on a no-operand instruction', 'HALT 1\n', 1, "HALT takes no operand, got 1 ('1')"],
    [
      'two operands on a no-operand instruction',
      'NOP\nNOP 1 2\n',
      2,
      "NOP takes no operand, got 2 ('1 2')",
    ],
    ['a lone comma is an operand', 'HALT ,\n', 1, "HALT takes no operand, got 1 ('')"],
    ['missing immediate', 'LOADI\n', 1, 'LOADI takes 1 immediate operand, got none'],
    ['two immediates', 'LOADI 1 2\n', 1, "LOADI takes 1 immediate operand, got 2 ('1 2')"],
    ['comma-separated immediates', 'ADD 1, 2\n', 1, "ADD takes 1 immediate operand, got 2 ('1 2')"],
    ['missing address', 'LOAD\n', 1, 'LOAD takes 1 address operand, got none'],
    ['missing target', 'JMP\n', 1, 'JMP takes 1 target operand, got none'],
    ['two targets', 'JMP a b\n', 1, "JMP takes 1 target operand, got 2 ('a b')"],
    ['immediate over 32767', 'LOADI 32768\n', 1, "immediate out of range (-32768..32767): '32768'"],
    [
      'immediate under -32768',
      'NOP\nSUB -32769\n',
      2,
      "immediate out of range (-32768..32767): '-32769'",
    ],
    [
      'huge immediate',
      'ADD 99999999999999999999\n',
      1,
      "immediate out of range (-32768..32767): '99999999999999999999'",
    ],
    ['address over 255', 'LOAD 256\n', 1, "address out of range (0..255): '256'"],
    ['negative address', 'STORE -1\n', 1, "address out of range (0..255): '-1'"],
    [
      'hex immediate',
      'LOADI 0x10\n',
      1,
      "invalid immediate '0x10' (expected a decimal -32768..32767)",
    ],
    ['hex address', 'STORE 0x10\n', 1, "invalid address '0x10' (expected a decimal 0..255)"],
    [
      'word immediate',
      'LOADI abc\n',
      1,
      "invalid immediate 'abc' (expected a decimal -32768..32767)",
    ],
    ['fraction', 'MUL 1.5\n', 1, "invalid immediate '1.5' (expected a decimal -32768..32767)"],
    ['double sign', 'LOADI --1\n', 1, "invalid immediate '--1' (expected a decimal -32768..32767)"],
    ['unknown label', 'NOP\nJMP nowhere\nHALT\n', 2, "unknown label 'nowhere'"],
    ['labels are case-sensitive', 'jmp Loop\nloop: halt\n', 1, "unknown label 'Loop'"],
    ['target over 255', 'JZ 256\n', 1, "target out of range (0..255): '256'"],
    ['negative target', 'CALL -1\n', 1, "target out of range (0..255): '-1'"],
    [
      'duplicate label',
      'a: NOP\nb: NOP\n\na: HALT\n',
      4,
      "duplicate label 'a' (first defined on line 1)",
    ],
    [
      'duplicate label on its own line',
      'x:\nx:\nHALT\n',
      2,
      "duplicate label 'x' (first defined on line 1)",
    ],
    ['bad directive', 'NOP\n.data 1\n', 2, "bad directive '.data' (expected .memory or .init)"],
    ['.memory without size', '.memory\n', 1, '.memory expects 1 argument (cells), got 0'],
    ['.memory with two sizes', '.memory 1 2\n', 1, '.memory expects 1 argument (cells), got 2'],
    [
      '.memory not a number',
      '.memory 0x10\n',
      1,
      "invalid memory size '0x10' (expected a decimal 0..255)",
    ],
    ['memory size over 255', '; big\n.memory 256\n', 2, "memory size '256' over 255"],
    ['negative memory size', '.memory -1\n', 1, "memory size '-1' is negative"],
    ['.init with one argument', '.init 1\n', 1, '.init expects 2 arguments (address value), got 1'],
    [
      '.init address out of range (default 16 cells)',
      '.init 16 0\n',
      1,
      ".init address '16' out of range (memory has 16 cells)",
    ],
    [
      '.init address out of range after .memory',
      '.memory 4\n.init 3 1\n.init 4 1\n',
      3,
      ".init address '4' out of range (memory has 4 cells)",
    ],
    [
      '.init address negative',
      '.init -1 0\n',
      1,
      ".init address '-1' out of range (memory has 16 cells)",
    ],
    ['.init address not a number', '.init x 0\n', 1, "invalid .init address 'x'"],
    [
      '.init value over 32767',
      '.init 0 32768\n',
      1,
      ".init value '32768' out of range (-32768..32767)",
    ],
    [
      '.init value under -32768',
      '.init 0 -32769\n',
      1,
      ".init value '-32769' out of range (-32768..32767)",
    ],
    [
      '.init value not a number',
      '.init 0 0x10\n',
      1,
      "invalid .init value '0x10' (expected a decimal -32768..32767)",
    ],
    [
      '.init against .memory 0',
      '.memory 0\n.init 0 1\n',
      2,
      ".init address '0' out of range (memory has 0 cells)",
    ],
  ])('%s', (_name, source, line, detail) => {
    expect(failure(source)).toEqual([line, detail]);
  });

  it('line numbers count blank and comment lines, with LF or CRLF endings', () => {
    expect(failure('NOP\r\n\r\n; x\r\nBAD\r\n')).toEqual([4, "unknown mnemonic 'BAD'"]);
  });

  it('AssemblyError carries line and detail, and formats as FILE:LINE: detail', () => {
    let caught: unknown;
    try {
      assemble('NOP\nLOADI 99999\n');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AssemblyError);
    const error = caught as AssemblyError;
    expect(error.line).toBe(2);
    expect(error.detail).toBe("immediate out of range (-32768..32767): '99999'");
    expect(error.message).toBe("line 2: immediate out of range (-32768..32767): '99999'");
    expect(error.name).toBe('AssemblyError');
    expect(error.format('prog.tvm')).toBe(
      "prog.tvm:2: immediate out of range (-32768..32767): '99999'",
    );
  });
});

describe('what the assembler accepts', () => {
  it('comments start at ;, # or // and run to the end of the line', () => {
    const source = [
      '; header',
      '# hash comment',
      '// slash comment',
      'LOADI 5 ; five',
      'ADD 1 # one',
      'SUB 2 // two',
      'loop: // label then comment',
      'HALT;done',
    ].join('\n');
    expect(ops(source)).toEqual([
      ['LOADI', 5],
      ['ADD', 1],
      ['SUB', 2],
      ['HALT', 0],
    ]);
    expect(assemble(source).labels.get('loop')).toBe(3);
    expect(ops('LOADI 7 ;# // nested markers\n')).toEqual([['LOADI', 7]]);
  });

  it('labels: on their own line, with an instruction on the same line, several on one instruction, and at the end', () => {
    const program = assemble(
      'start: LOADI 1\nfirst:\nsecond: ADD 2\nmy-label_9:\nJMP start\nend:\n',
    );
    expect(ops('start: LOADI 1\nfirst:\nsecond: ADD 2\nmy-label_9:\nJMP start\nend:\n')).toEqual([
      ['LOADI', 1],
      ['ADD', 2],
      ['JMP', 0],
    ]);
    expect([...program.labels]).toEqual([
      ['start', 0],
      ['first', 1],
      ['second', 1],
      ['my-label_9', 2],
      ['end', 3],
    ]);
    expect(ops('JMP end\nNOP\nend:\n')).toEqual([
      ['JMP', 2],
      ['NOP', 0],
    ]); // a label at the end names the index past the last instruction
  });

  it('a label may be followed by spaces before the colon (as in the Rust reference)', () => {
    expect(ops('loop : ADD 1\nJMP loop\n')).toEqual([
      ['ADD', 1],
      ['JMP', 0],
    ]);
  });

  it('forward and backward references resolve to instruction indices', () => {
    expect(ops('top: JZ bottom\nNOP\nJMP top\nbottom: CALL top\n')).toEqual([
      ['JZ', 3],
      ['NOP', 0],
      ['JMP', 0],
      ['CALL', 0],
    ]);
  });

  it('mnemonics and directives are case-insensitive; labels are not', () => {
    expect(ops('loadi 1\nLoAdI 2\nhalt\n')).toEqual([
      ['LOADI', 1],
      ['LOADI', 2],
      ['HALT', 0],
    ]);
    expect(assemble('.MEMORY 4\n.Init 1 9\nHALT\n')).toMatchObject({
      memorySize: 4,
      initialMemory: [0, 9, 0, 0],
    });
    expect(ops('A: NOP\na: JMP A\nJMP a\n')).toEqual([
      ['NOP', 0],
      ['JMP', 0],
      ['JMP', 1],
    ]);
  });

  it('trailing commas on operands are ignored', () => {
    expect(ops('LOADI 5,\nSTORE 3,\nJMP 0,\nLOADI 6,,\n')).toEqual([
      ['LOADI', 5],
      ['STORE', 3],
      ['JMP', 0],
      ['LOADI', 6],
    ]);
    expect(assemble('.init 1, 7,\nHALT\n').initialMemory[1]).toBe(7);
  });

  it('numbers are decimal with an optional sign', () => {
    expect(
      ops('LOADI +5\nADD -3\nSTORE +2\nJMP +1\nLOADI 007\nLOADI -32768\nLOADI 32767\n'),
    ).toEqual([
      ['LOADI', 5],
      ['ADD', -3],
      ['STORE', 2],
      ['JMP', 1],
      ['LOADI', 7],
      ['LOADI', -32768],
      ['LOADI', 32767],
    ]);
    expect(assemble('.memory +3\n.init +1 -3\nHALT\n')).toMatchObject({
      memorySize: 3,
      initialMemory: [0, -3, 0],
    });
  });

  it('-0 assembles to a plain 0', () => {
    const program = assemble('.init 0 -0\nLOADI -0\n');
    expect(Object.is(program.instructions[0].arg, 0)).toBe(true);
    expect(Object.is(program.initialMemory[0], 0)).toBe(true);
  });

  it('a jump target is read as a number 0..255 first, and only otherwise as a label', () => {
    // Label "5" names index 0, but `JMP 5` is the number 5.
    expect(ops('5: NOP\nJMP 5\n')).toEqual([
      ['NOP', 0],
      ['JMP', 5],
    ]);
    // "300" is not a valid pc, so it is looked up as a label.
    expect(ops('NOP\n300: NOP\nJMP 300\n')).toEqual([
      ['NOP', 0],
      ['NOP', 0],
      ['JMP', 1],
    ]);
  });

  it('.memory sets the size and discards earlier .init values; later .init values stay', () => {
    expect(assemble('.init 0 5\n.init 15 6\n.memory 4\n.init 2 7\nHALT\n')).toMatchObject({
      memorySize: 4,
      initialMemory: [0, 0, 7, 0],
    });
    expect(assemble('.memory 8\n.init 1 1\n.memory 2\nHALT\n')).toMatchObject({
      memorySize: 2,
      initialMemory: [0, 0],
    });
  });

  it('memory: default 16 cells; 0 and 255 are allowed', () => {
    expect(assemble('HALT\n')).toMatchObject({
      memorySize: 16,
      initialMemory: new Array(16).fill(0),
    });
    expect(assemble('.memory 0\nHALT\n')).toMatchObject({ memorySize: 0, initialMemory: [] });
    const big = assemble('.memory 255\n.init 254 -1\nHALT\n');
    expect(big.memorySize).toBe(255);
    expect(big.initialMemory[254]).toBe(-1);
  });

  it('memory addresses are checked when executed, not when assembled', () => {
    expect(ops('.memory 4\nLOAD 200\nSTORE 255\nADDM 4\n')).toEqual([
      ['LOAD', 200],
      ['STORE', 255],
      ['ADDM', 4],
    ]);
  });

  it('every mnemonic assembles, operands by kind', () => {
    const lines = OPCODES.map((spec) =>
      spec.operand === 'none' ? spec.mnemonic : `${spec.mnemonic} 7`,
    );
    expect(assemble(lines.join('\n')).instructions).toEqual(
      OPCODES.map((spec) => ({ opcode: spec.code, arg: spec.operand === 'none' ? 0 : 7 })),
    );
  });

  it('records the source line of every instruction', () => {
    expect(assemble('; c\n\nNOP\nx: LOADI 1\n.memory 3\n\nHALT\n').sourceLines).toEqual([3, 4, 7]);
  });

  it('empty and comment-only sources assemble to an empty program', () => {
    expect(assemble('')).toMatchObject({ instructions: [], memorySize: 16 });
    expect(assemble('; nothing\n   \n# here\n').instructions).toEqual([]);
  });

  it('printProgram writes the canonical form: .memory, non-zero .init cells, labels, numeric targets', () => {
    const program = assemble('.memory 3\n.init 1 1\nloop: LOAD 0\nADD -1\nJNZ loop\nend: HALT\n');
    expect(printProgram(program)).toBe(
      '.memory 3\n.init 1 1\nloop:\n  LOAD 0\n  ADD -1\n  JNZ 0\nend:\n  HALT\n',
    );
  });
});

describe('assemble(printProgram(p)) equals p', () => {
  const i16 = fc.integer({ min: -32768, max: 32767 });
  const u8 = fc.integer({ min: 0, max: 255 });
  const instruction: fc.Arbitrary<Instruction> = fc
    .integer({ min: 0, max: OPCODES.length - 1 })
    .chain((opcode) => {
      const kind = OPCODES[opcode].operand;
      const arg = kind === 'none' ? fc.constant(0) : kind === 'immediate' ? i16 : u8;
      return arg.map((value) => ({ opcode, arg: value }));
    });
  const labelName = fc.stringMatching(/^[A-Za-z0-9_-]{1,10}$/);
  const program: fc.Arbitrary<Program> = fc
    .record({
      memorySize: fc.integer({ min: 0, max: 255 }),
      instructions: fc.array(instruction, { maxLength: 60 }),
      labels: fc.uniqueArray(fc.tuple(labelName, fc.nat()), {
        selector: ([name]) => name,
        maxLength: 8,
      }),
      cells: fc.array(fc.tuple(fc.nat(), i16), { maxLength: 20 }),
    })
    .map(({ memorySize, instructions, labels, cells }) => {
      const initialMemory = new Array<number>(memorySize).fill(0);
      if (memorySize > 0)
        for (const [addr, value] of cells) initialMemory[addr % memorySize] = value;
      return {
        instructions,
        memorySize,
        initialMemory,
        labels: new Map(labels.map(([name, at]) => [name, at % (instructions.length + 1)])),
        sourceLines: [],
      };
    });

  it('for random programs (fixed seed)', () => {
    fc.assert(
      fc.property(program, (p) => {
        const text = printProgram(p);
        const back = assemble(text);
        expect(programsEqual(back, p)).toBe(true);
        expect(printProgram(back)).toBe(text);
      }),
      { seed: 20240611, numRuns: 400 },
    );
  });

  it('programsEqual notices a changed operand, opcode, memory cell or label', () => {
    const p = assemble('.memory 2\n.init 1 4\nx: LOADI 3\nJMP x\n');
    expect(programsEqual(p, assemble(printProgram(p)))).toBe(true);
    expect(programsEqual(p, assemble('.memory 2\n.init 1 4\nx: LOADI 4\nJMP x\n'))).toBe(false);
    expect(programsEqual(p, assemble('.memory 2\n.init 1 4\nx: ADD 3\nJMP x\n'))).toBe(false);
    expect(programsEqual(p, assemble('.memory 2\n.init 1 5\nx: LOADI 3\nJMP x\n'))).toBe(false);
    expect(programsEqual(p, assemble('.memory 2\n.init 1 4\ny: LOADI 3\nJMP y\n'))).toBe(false);
  });
});
