/** The compiled program artifact (.tvmc): msgpack encoding, decoding and validation. */
import { Packr, Unpackr } from 'msgpackr';
import {
  OPCODES,
  READ_MODES,
  type CarryRule,
  type ReadMode,
  type ZeroRule,
} from '../isa/opcodes.js';
import { formatInstruction } from '../isa/print.js';
import type { Program } from '../isa/program.js';
import { I16_MAX, I16_MIN, MAX_MEMORY, U8_LIMIT } from '../isa/words.js';
import { GATE_CONSTANT, type Unit } from './builder.js';
import {
  compileInstruction,
  weightsDigest,
  type CompiledInstruction,
  type CompiledProgram,
} from './compile.js';
import { INPUT_DIM, OUTPUT_DIM } from './layout.js';

/**
 * The compiled program artifact (`.tvmc`): one msgpack map holding the program (instructions,
 * memory), every instruction's sparse weights and controls, the dense width ff_dim and the
 * SHA-256 of the canonical weights (compile.ts weightsBytes). Layout: schemas/compiled-program-v1.json.
 *
 * Encoding is deterministic: the same compiled program and ff_dim always give the same bytes
 * (fixed key order, minimal integer and map headers, no msgpackr extensions).
 * Decoding trusts nothing: type and range of every field, the stored digest against the
 * decoded weights, and the decoded weights against a fresh compilation of the instructions.
 */

export const COMPILED_PROGRAM_SCHEMA = 'tvm-trace/compiled-program/v1';

/** Upper bound on ff_dim, a sanity limit (a tap allocates rows of ff_dim). */
export const MAX_FF_DIM = 65536;

/** A decoded (or about to be encoded) `.tvmc` artifact. */
export interface CompiledArtifact {
  readonly schema: string;
  readonly memorySize: number;
  readonly initialMemory: readonly number[];
  /** Width of the dense view (hidden units per instruction); at least the widest instruction. */
  readonly ffDim: number;
  /** SHA-256 (hex) of weightsBytes(instructions). */
  readonly weightsDigest: string;
  readonly instructions: readonly CompiledInstruction[];
}

/** Why an artifact was rejected; `message` is the one-line `SOURCE: detail` form. */
export class ArtifactError extends Error {
  constructor(
    readonly source: string,
    readonly detail: string,
  ) {
    super(`${source}: ${detail}`);
    this.name = 'ArtifactError';
  }
}

/** The widest instruction in units: the smallest valid ff_dim. */
function widestUnits(instructions: readonly CompiledInstruction[]): number {
  return instructions.reduce((widest, c) => Math.max(widest, c.units.length), 0);
}

/** Build the artifact of a compiled program; ff_dim defaults to its minFfDim. Throws RangeError on a bad ff_dim. */
export function artifactFromCompiled(
  compiled: CompiledProgram,
  ffDim: number = compiled.minFfDim,
): CompiledArtifact {
  const widest = widestUnits(compiled.instructions);
  if (!Number.isSafeInteger(ffDim) || ffDim < widest || ffDim > MAX_FF_DIM) {
    throw new RangeError(
      ffDim < widest
        ? `ff_dim ${ffDim} is narrower than the widest instruction (${widest} units)`
        : `ff_dim must be an integer ${widest}..${MAX_FF_DIM}, got ${ffDim}`,
    );
  }
  return {
    schema: COMPILED_PROGRAM_SCHEMA,
    memorySize: compiled.program.memorySize,
    initialMemory: [...compiled.program.initialMemory],
    ffDim,
    weightsDigest: compiled.digest,
    instructions: compiled.instructions,
  };
}

/** The wire form: exactly what the msgpack map holds (and what `compile --print --json` prints). */
export interface ArtifactDocument {
  schema: string;
  memory_size: number;
  initial_memory: number[];
  ff_dim: number;
  weights_digest: string;
  instructions: Array<{
    opcode: number;
    arg: number;
    read: { mode: ReadMode; addr: number };
    units: Array<{ gate: number; value: number; out: number; coeff: number }>;
    bias: number[];
    controls: { zero: ZeroRule; carry: CarryRule; halts: boolean };
  }>;
}

/** The artifact as a plain document with the schema's field names, in canonical key order. */
export function artifactDocument(artifact: CompiledArtifact): ArtifactDocument {
  return {
    schema: artifact.schema,
    memory_size: artifact.memorySize,
    initial_memory: [...artifact.initialMemory],
    ff_dim: artifact.ffDim,
    weights_digest: artifact.weightsDigest,
    instructions: artifact.instructions.map((c) => ({
      opcode: c.opcode,
      arg: c.arg,
      read: { mode: c.read.mode, addr: c.read.addr },
      units: c.units.map((u) => ({ gate: u.gate, value: u.value, out: u.out, coeff: u.coeff })),
      bias: [...c.bias],
      controls: { zero: c.controls.zero, carry: c.controls.carry, halts: c.controls.halts },
    })),
  };
}

// Plain msgpack only: maps (minimal headers), no record/structured-clone extensions, so any
// msgpack reader (e.g. rmp-serde in the Rust prover) can read the file.
const packr = new Packr({ useRecords: false, variableMapSize: true, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, moreTypes: false });

/** Encode an artifact to `.tvmc` bytes (deterministic). */
export function encodeArtifact(artifact: CompiledArtifact): Uint8Array {
  const bytes = packr.pack(artifactDocument(artifact));
  // Copy out of msgpackr's shared buffer so later packs cannot alias it.
  return Uint8Array.prototype.slice.call(bytes);
}

// ---------------------------------------------------------------------------------------------
// Decoding and validation

type Fail = (detail: string) => never;

function describeType(value: unknown): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return 'binary';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (typeof value === 'object')
    return value.constructor === Object || Object.getPrototypeOf(value) === null
      ? 'map'
      : 'extension value';
  if (typeof value === 'bigint') return 'integer';
  return typeof value;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return describeType(value) === 'map';
}

class Reader {
  constructor(readonly fail: Fail) {}

  /** The map at `path`, checked to have exactly `keys` (all present, nothing else). */
  map(value: unknown, path: string, keys: readonly string[]): Record<string, unknown> {
    if (!isMap(value)) this.fail(`field '${path}' must be a map, got ${describeType(value)}`);
    const map = value;
    for (const key of keys) {
      if (!Object.prototype.hasOwnProperty.call(map, key))
        this.fail(`missing field '${join(path, key)}'`);
    }
    for (const key of Object.keys(map)) {
      if (!keys.includes(key)) this.fail(`unexpected field '${join(path, key)}'`);
    }
    return map;
  }

  int(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value))
      this.fail(`field '${path}' must be an integer, got ${describeType(value)}`);
    const n = value;
    if (n < min || n > max)
      this.fail(`field '${path}' must be an integer ${min}..${max}, got ${n}`);
    return n + 0; // no -0
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value))
      this.fail(`field '${path}' must be an array, got ${describeType(value)}`);
    return value as unknown[];
  }

  bool(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean')
      this.fail(`field '${path}' must be a boolean, got ${describeType(value)}`);
    return value;
  }

  oneOf<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
    if (typeof value !== 'string')
      this.fail(`field '${path}' must be a string, got ${describeType(value)}`);
    if (!choices.includes(value as T))
      this.fail(`field '${path}' must be one of ${choices.join(', ')}, got '${String(value)}'`);
    return value as T;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

const TOP_KEYS = [
  'schema',
  'memory_size',
  'initial_memory',
  'ff_dim',
  'weights_digest',
  'instructions',
] as const;
const INSTRUCTION_KEYS = ['opcode', 'arg', 'read', 'units', 'bias', 'controls'] as const;
const ZERO_RULES: readonly ZeroRule[] = ['keep', 'result'];
const CARRY_RULES: readonly CarryRule[] = ['keep', 'clear', 'overflow', 'signed_less'];
/** Coefficients and biases fit in i32 (every value of the network is below 2^31 in magnitude). */
const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;

function parseMsgpack(bytes: Uint8Array, fail: Fail): unknown {
  if (bytes.length === 0) fail('not a .tvmc file: empty');
  try {
    return unpackr.unpack(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/end of buffer not reached/i.test(message))
      fail('not a .tvmc file: trailing bytes after the msgpack value');
    if (/unexpected end/i.test(message))
      fail('not a .tvmc file: msgpack data ends early (truncated?)');
    fail(`not a .tvmc file: invalid msgpack (${message.split('\n')[0]})`);
  }
}

function readInstruction(value: unknown, path: string, r: Reader): CompiledInstruction {
  const map = r.map(value, path, INSTRUCTION_KEYS);
  const opcode = r.int(map.opcode, `${path}.opcode`, 0, OPCODES.length - 1);
  const spec = OPCODES[opcode];
  const arg =
    spec.operand === 'none'
      ? r.int(map.arg, `${path}.arg`, 0, 0)
      : spec.operand === 'immediate'
        ? r.int(map.arg, `${path}.arg`, I16_MIN, I16_MAX)
        : r.int(map.arg, `${path}.arg`, 0, U8_LIMIT - 1);
  const readMap = r.map(map.read, `${path}.read`, ['mode', 'addr']);
  const read = {
    mode: r.oneOf(readMap.mode, `${path}.read.mode`, READ_MODES),
    addr: r.int(readMap.addr, `${path}.read.addr`, 0, U8_LIMIT - 1),
  };
  const units: Unit[] = r.array(map.units, `${path}.units`).map((u, k) => {
    const p = `${path}.units[${k}]`;
    const unit = r.map(u, p, ['gate', 'value', 'out', 'coeff']);
    return {
      gate: r.int(unit.gate, `${p}.gate`, GATE_CONSTANT, INPUT_DIM - 1),
      value: r.int(unit.value, `${p}.value`, 0, INPUT_DIM - 1),
      out: r.int(unit.out, `${p}.out`, 0, OUTPUT_DIM - 1),
      coeff: r.int(unit.coeff, `${p}.coeff`, I32_MIN, I32_MAX),
    };
  });
  const biasList = r.array(map.bias, `${path}.bias`);
  if (biasList.length !== OUTPUT_DIM)
    r.fail(`field '${path}.bias' must have ${OUTPUT_DIM} entries, got ${biasList.length}`);
  const bias = biasList.map((b, o) => r.int(b, `${path}.bias[${o}]`, I32_MIN, I32_MAX));
  const controlsMap = r.map(map.controls, `${path}.controls`, ['zero', 'carry', 'halts']);
  const controls = {
    zero: r.oneOf(controlsMap.zero, `${path}.controls.zero`, ZERO_RULES),
    carry: r.oneOf(controlsMap.carry, `${path}.controls.carry`, CARRY_RULES),
    halts: r.bool(controlsMap.halts, `${path}.controls.halts`),
  };
  return { opcode, arg, read, units, bias, controls };
}

/** The first place two compiled instructions differ, as `field stored X, expected Y`; null when equal. */
export function instructionDifference(
  stored: CompiledInstruction,
  expected: CompiledInstruction,
): string | null {
  const differ = (field: string, a: unknown, b: unknown) =>
    `${field} stored ${String(a)}, expected ${String(b)}`;
  if (stored.read.mode !== expected.read.mode)
    return differ('read.mode', stored.read.mode, expected.read.mode);
  if (stored.read.addr !== expected.read.addr)
    return differ('read.addr', stored.read.addr, expected.read.addr);
  if (stored.units.length !== expected.units.length)
    return `${stored.units.length} units stored, ${expected.units.length} expected`;
  for (let k = 0; k < stored.units.length; k++) {
    for (const key of ['gate', 'value', 'out', 'coeff'] as const) {
      if (stored.units[k][key] !== expected.units[k][key])
        return differ(`units[${k}].${key}`, stored.units[k][key], expected.units[k][key]);
    }
  }
  for (let o = 0; o < OUTPUT_DIM; o++) {
    if (stored.bias[o] !== expected.bias[o])
      return differ(`bias[${o}]`, stored.bias[o], expected.bias[o]);
  }
  for (const key of ['zero', 'carry', 'halts'] as const) {
    if (stored.controls[key] !== expected.controls[key])
      return differ(`controls.${key}`, stored.controls[key], expected.controls[key]);
  }
  return null;
}

/**
 * Decode and validate `.tvmc` bytes. `source` (the file name) prefixes every error message.
 * Throws ArtifactError with a one-line message on the first problem found.
 */
export function decodeArtifact(bytes: Uint8Array, source = 'artifact'): CompiledArtifact {
  const fail: Fail = (detail) => {
    throw new ArtifactError(source, detail);
  };
  const r = new Reader(fail);
  const root = parseMsgpack(bytes, fail);
  if (!isMap(root))
    fail(`not a .tvmc file: expected a msgpack map at the top level, got ${describeType(root)}`);
  const top = root;
  // The schema first: an unknown version is reported as such, not as its first odd field.
  if (!Object.prototype.hasOwnProperty.call(top, 'schema')) fail("missing field 'schema'");
  if (typeof top.schema !== 'string')
    fail(`field 'schema' must be a string, got ${describeType(top.schema)}`);
  if (top.schema !== COMPILED_PROGRAM_SCHEMA)
    fail(`unknown schema version '${String(top.schema)}' (expected ${COMPILED_PROGRAM_SCHEMA})`);
  r.map(top, '', TOP_KEYS);

  const memorySize = r.int(top.memory_size, 'memory_size', 0, MAX_MEMORY);
  const memoryList = r.array(top.initial_memory, 'initial_memory');
  if (memoryList.length !== memorySize)
    fail(
      `field 'initial_memory' must have memory_size (${memorySize}) entries, got ${memoryList.length}`,
    );
  const initialMemory = memoryList.map((v, i) =>
    r.int(v, `initial_memory[${i}]`, I16_MIN, I16_MAX),
  );
  const ffDim = r.int(top.ff_dim, 'ff_dim', 0, MAX_FF_DIM);
  const digestValue = top.weights_digest;
  if (typeof digestValue !== 'string')
    fail(`field 'weights_digest' must be a string, got ${describeType(digestValue)}`);
  const stored = digestValue;
  if (!/^[0-9a-f]{64}$/.test(stored))
    fail(`field 'weights_digest' must be 64 lowercase hex digits, got '${stored}'`);
  const instructions = r
    .array(top.instructions, 'instructions')
    .map((value, j) => readInstruction(value, `instructions[${j}]`, r));

  const widest = widestUnits(instructions);
  if (ffDim < widest)
    fail(`field 'ff_dim' (${ffDim}) is narrower than the widest instruction (${widest} units)`);
  const computed = weightsDigest(instructions);
  if (computed !== stored) fail(`weights digest mismatch (stored ${stored}, computed ${computed})`);
  instructions.forEach((c, j) => {
    const difference = instructionDifference(c, compileInstruction(c));
    if (difference !== null)
      fail(
        `instruction ${j} (${formatInstruction(c)}): weights differ from compiling it (${difference})`,
      );
  });
  return {
    schema: COMPILED_PROGRAM_SCHEMA,
    memorySize,
    initialMemory,
    ffDim,
    weightsDigest: stored,
    instructions,
  };
}

/** The program an artifact holds (no labels or source lines: those are not part of the artifact). */
export function artifactProgram(artifact: CompiledArtifact): Program {
  return {
    instructions: artifact.instructions.map((c) => ({ opcode: c.opcode, arg: c.arg })),
    memorySize: artifact.memorySize,
    initialMemory: [...artifact.initialMemory],
    labels: new Map(),
    sourceLines: artifact.instructions.map(() => 0),
  };
}

/** The artifact as a CompiledProgram (its weights are the validated stored ones). */
export function artifactCompiled(artifact: CompiledArtifact): CompiledProgram {
  return {
    program: artifactProgram(artifact),
    instructions: artifact.instructions,
    minFfDim: widestUnits(artifact.instructions),
    digest: artifact.weightsDigest,
  };
}

/** True when the bytes look like a msgpack map (a `.tvmc`) rather than `.tvm` text. */
export function looksLikeArtifact(bytes: Uint8Array): boolean {
  const first = bytes[0];
  return (
    first !== undefined && ((first >= 0x80 && first <= 0x8f) || first === 0xde || first === 0xdf)
  );
}
