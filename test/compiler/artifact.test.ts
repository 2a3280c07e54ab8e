import { readFileSync } from 'node:fs';
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  ArtifactError,
  artifactCompiled,
  artifactDocument,
  artifactFromCompiled,
  artifactProgram,
  COMPILED_PROGRAM_SCHEMA,
  decodeArtifact,
  encodeArtifact,
  type ArtifactDocument,
} from '../../src/compiler/artifact.js';
import { compileProgram, weightsDigest } from '../../src/compiler/compile.js';
import { assemble } from '../../src/isa/assemble.js';
import { programsEqual } from '../../src/isa/program.js';
import { FfnMachine } from '../../src/runtime/ffn/engine.js';
import { runNative } from '../../src/runtime/native/interpreter.js';
import { mulberry32 } from '../support/random-programs.js';

const FIB_SOURCE = readFileSync(new URL('../../programs/fibonacci.tvm', import.meta.url), 'utf8');
const FIB_DIGEST = 'e64030c7eb5b389a3664df7338866aff9fc90d8d464ce3044371aad5f69b6a76';
const NAME = 'PROG.tvmc';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

function fibArtifact(ffDim?: number) {
  return artifactFromCompiled(compileProgram(assemble(FIB_SOURCE)), ffDim);
}

function fibDocument(): ArtifactDocument {
  return unpackr.unpack(encodeArtifact(fibArtifact())) as ArtifactDocument;
}

function repack(document: unknown): Uint8Array {
  return packr.pack(document);
}

function decodeError(bytes: Uint8Array): string {
  try {
    decodeArtifact(bytes, NAME);
  } catch (error) {
    expect(error).toBeInstanceOf(ArtifactError);
    return (error as Error).message;
  }
  throw new Error('decodeArtifact accepted the bytes');
}

describe('.tvmc artifact', () => {
  it('round trips: decode(encode(a)) deep-equals a', () => {
    for (const ffDim of [undefined, 50, 300]) {
      const artifact = fibArtifact(ffDim);
      const decoded = decodeArtifact(encodeArtifact(artifact), NAME);
      expect(decoded).toEqual(artifact);
    }
    const artifact = fibArtifact();
    expect(artifact.schema).toBe(COMPILED_PROGRAM_SCHEMA);
    expect(artifact.ffDim).toBe(5);
    expect(artifact.weightsDigest).toBe(FIB_DIGEST);
  });

  it('keeps the program: same instructions and memory, same run', () => {
    const program = assemble(FIB_SOURCE);
    const decoded = decodeArtifact(
      encodeArtifact(artifactFromCompiled(compileProgram(program))),
      NAME,
    );
    const restored = artifactProgram(decoded);
    expect(programsEqual(restored, { ...program, labels: new Map() })).toBe(true);
    const final = runNative(restored, 1000);
    expect([final.steps, final.acc, final.memory]).toEqual([103, 21, [13, 21, 21, 7, 7]]);
    const ffn = new FfnMachine(artifactCompiled(decoded));
    ffn.advance(1000);
    expect(ffn.snapshot()).toEqual(final);
  });

  it('encodes deterministically (same bytes from the same input, and after a decode)', () => {
    const a = encodeArtifact(fibArtifact());
    const b = encodeArtifact(artifactFromCompiled(compileProgram(assemble(FIB_SOURCE))));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const again = encodeArtifact(decodeArtifact(a, NAME));
    expect(Buffer.from(again).equals(Buffer.from(a))).toBe(true);
    // Encoding another artifact in between does not disturb an earlier result (no shared buffer).
    const copy = Buffer.from(a);
    encodeArtifact(fibArtifact(64));
    expect(Buffer.from(a).equals(copy)).toBe(true);
  });

  it('is a plain msgpack map with the schema fields in order', () => {
    const document = fibDocument();
    expect(Object.keys(document)).toEqual([
      'schema',
      'memory_size',
      'initial_memory',
      'ff_dim',
      'weights_digest',
      'instructions',
    ]);
    expect(document).toEqual(artifactDocument(fibArtifact()));
    expect(Object.keys(document.instructions[0])).toEqual([
      'opcode',
      'arg',
      'read',
      'units',
      'bias',
      'controls',
    ]);
    const schema = JSON.parse(
      readFileSync(new URL('../../schemas/compiled-program-v1.json', import.meta.url), 'utf8'),
    );
    expect(schema.required).toEqual(Object.keys(document));
    expect(schema.properties.schema.const).toBe(COMPILED_PROGRAM_SCHEMA);
    expect(schema.$defs.instruction.required).toEqual(Object.keys(document.instructions[0]));
    expect(schema.$defs.unit.required).toEqual(Object.keys(document.instructions[0].units[0]));
  });

  it('rejects an ff_dim narrower than the widest instruction', () => {
    expect(() => fibArtifact(4)).toThrow(
      'ff_dim 4 is narrower than the widest instruction (5 units)',
    );
    const document = fibDocument();
    document.ff_dim = 4;
    expect(decodeError(repack(document))).toBe(
      `${NAME}: field 'ff_dim' (4) is narrower than the widest instruction (5 units)`,
    );
  });

  describe('rejects tampered or foreign files with one-line messages', () => {
    it('a flipped byte in the stored digest', () => {
      const bytes = encodeArtifact(fibArtifact());
      const at = Buffer.from(bytes).indexOf(FIB_DIGEST);
      expect(at).toBeGreaterThan(0);
      const tampered = Uint8Array.from(bytes);
      tampered[at + 10] = tampered[at + 10] === 0x30 ? 0x31 : 0x30; // a different hex digit
      const stored = Buffer.from(tampered.subarray(at, at + 64)).toString('ascii');
      expect(decodeError(tampered)).toBe(
        `${NAME}: weights digest mismatch (stored ${stored}, computed ${FIB_DIGEST})`,
      );
    });

    it('a changed weight with the stale digest', () => {
      const document = fibDocument();
      document.instructions[4].units[3].coeff = 2; // ADDM 1: out[RAW_ACC] += 2 · OPERAND
      const computed = weightsDigest(decodeArtifactUnchecked(document));
      expect(decodeError(repack(document))).toBe(
        `${NAME}: weights digest mismatch (stored ${FIB_DIGEST}, computed ${computed})`,
      );
    });

    it('a changed weight with a recomputed digest (caught by recompiling)', () => {
      const document = fibDocument();
      document.instructions[4].units[3].coeff = 2;
      document.weights_digest = weightsDigest(decodeArtifactUnchecked(document));
      expect(decodeError(repack(document))).toBe(
        `${NAME}: instruction 4 (ADDM 1): weights differ from compiling it (units[3].coeff stored 2, expected 1)`,
      );
      // Likewise a changed bias, read mode or control.
      const other = fibDocument();
      other.instructions[15].controls.halts = false;
      other.weights_digest = weightsDigest(decodeArtifactUnchecked(other));
      expect(decodeError(repack(other))).toBe(
        `${NAME}: instruction 15 (HALT): weights differ from compiling it (controls.halts stored false, expected true)`,
      );
    });

    it('a changed instruction with a recomputed digest is a different, valid program', () => {
      // Not tampering with weights: the instruction and its weights agree, so this decodes.
      const document = fibDocument();
      const program = assemble(FIB_SOURCE);
      const changed = {
        ...program,
        instructions: program.instructions.map((ins, i) => (i === 11 ? { ...ins, arg: 2 } : ins)),
      };
      expect(
        decodeArtifact(encodeArtifact(artifactFromCompiled(compileProgram(changed))), NAME)
          .instructions[11].arg,
      ).toBe(2);
      expect(document.instructions[11].arg).toBe(1);
    });

    it('a wrong schema version', () => {
      const document = fibDocument();
      document.schema = 'tvm-trace/compiled-program/v2';
      expect(decodeError(repack(document))).toBe(
        `${NAME}: unknown schema version 'tvm-trace/compiled-program/v2' (expected tvm-trace/compiled-program/v1)`,
      );
      const missing: Partial<ArtifactDocument> = fibDocument();
      delete missing.schema;
      expect(decodeError(repack(missing))).toBe(`${NAME}: missing field 'schema'`);
    });

    it('a truncated file', () => {
      const bytes = encodeArtifact(fibArtifact());
      expect(decodeError(bytes.subarray(0, bytes.length - 1))).toBe(
        `${NAME}: not a .tvmc file: msgpack data ends early (truncated?)`,
      );
      expect(decodeError(bytes.subarray(0, 100))).toBe(
        `${NAME}: not a .tvmc file: msgpack data ends early (truncated?)`,
      );
      expect(decodeError(new Uint8Array(0))).toBe(`${NAME}: not a .tvmc file: empty`);
    });

    it('not msgpack, or not a map', () => {
      expect(decodeError(Buffer.from(FIB_SOURCE))).toBe(
        `${NAME}: not a .tvmc file: trailing bytes after the msgpack value`,
      );
      expect(decodeError(packr.pack([1, 2, 3]))).toBe(
        `${NAME}: not a .tvmc file: expected a msgpack map at the top level, got array`,
      );
      expect(decodeError(packr.pack('tvm'))).toBe(
        `${NAME}: not a .tvmc file: expected a msgpack map at the top level, got string`,
      );
      expect(decodeError(Uint8Array.of(0xc1))).toBe(
        `${NAME}: not a .tvmc file: expected a msgpack map at the top level, got extension value`,
      );
      expect(decodeError(Uint8Array.of(0xd4, 0x05, 0x01))).toBe(
        `${NAME}: not a .tvmc file: invalid msgpack (Unknown extension 5)`,
      );
    });

    it('random bytes', () => {
      const next = mulberry32(99);
      for (let trial = 0; trial < 200; trial++) {
        const bytes = Uint8Array.from({ length: 1 + Math.floor(next() * 300) }, () =>
          Math.floor(next() * 256),
        );
        expect(decodeError(bytes)).toMatch(new RegExp(`^${NAME.replace('.', '\\.')}: [^\\n]+$`));
      }
      const next2 = mulberry32(5);
      const fixed = Uint8Array.from({ length: 64 }, () => Math.floor(next2() * 256));
      expect(decodeError(fixed)).toBe(
        `${NAME}: not a .tvmc file: trailing bytes after the msgpack value`,
      );
    });

    it('fields with a wrong type, range, count or name', () => {
      const cases: Array<[(d: Record<string, any>) => void, string]> = [
        [(d) => delete d.ff_dim, "missing field 'ff_dim'"],
        [(d) => (d.extra = 1), "unexpected field 'extra'"],
        [(d) => (d.memory_size = 256), "field 'memory_size' must be an integer 0..255, got 256"],
        [(d) => (d.memory_size = '5'), "field 'memory_size' must be an integer, got string"],
        [
          (d) => d.initial_memory.pop(),
          "field 'initial_memory' must have memory_size (5) entries, got 4",
        ],
        [
          (d) => (d.initial_memory[2] = 40000),
          "field 'initial_memory[2]' must be an integer -32768..32767, got 40000",
        ],
        [
          (d) => (d.initial_memory[2] = 1.5),
          "field 'initial_memory[2]' must be an integer, got float",
        ],
        [
          (d) => (d.weights_digest = 'ABC'),
          "field 'weights_digest' must be 64 lowercase hex digits, got 'ABC'",
        ],
        [(d) => (d.instructions = {}), "field 'instructions' must be an array, got map"],
        [
          (d) => (d.instructions[0].opcode = 26),
          "field 'instructions[0].opcode' must be an integer 0..25, got 26",
        ],
        [
          (d) => (d.instructions[0].arg = 256),
          "field 'instructions[0].arg' must be an integer 0..255, got 256",
        ],
        [
          (d) => (d.instructions[15].arg = 1),
          "field 'instructions[15].arg' must be an integer 0..0, got 1",
        ],
        [
          (d) => (d.instructions[0].read.mode = 'indirect'),
          "field 'instructions[0].read.mode' must be one of none, direct, stack_top, got 'indirect'",
        ],
        [
          (d) => delete d.instructions[0].units[1].coeff,
          "missing field 'instructions[0].units[1].coeff'",
        ],
        [
          (d) => (d.instructions[0].units[1].gate = 41),
          "field 'instructions[0].units[1].gate' must be an integer -1..40, got 41",
        ],
        [
          (d) => (d.instructions[0].units[1].out = 6),
          "field 'instructions[0].units[1].out' must be an integer 0..5, got 6",
        ],
        [
          (d) => d.instructions[0].bias.push(0),
          "field 'instructions[0].bias' must have 6 entries, got 7",
        ],
        [
          (d) => (d.instructions[0].controls.halts = 0),
          "field 'instructions[0].controls.halts' must be a boolean, got integer",
        ],
        [
          (d) => (d.instructions[0].controls.carry = 'wrap'),
          "field 'instructions[0].controls.carry' must be one of keep, clear, overflow, signed_less, got 'wrap'",
        ],
      ];
      for (const [mutate, message] of cases) {
        const document = fibDocument() as unknown as Record<string, any>;
        mutate(document);
        expect(decodeError(repack(document))).toBe(`${NAME}: ${message}`);
      }
    });
  });
});

/** The instructions of a document without any checks (to compute the digest of tampered weights). */
function decodeArtifactUnchecked(document: ArtifactDocument) {
  return document.instructions.map((c) => ({
    opcode: c.opcode,
    arg: c.arg,
    read: c.read,
    units: c.units,
    bias: c.bias,
    controls: c.controls,
  }));
}
