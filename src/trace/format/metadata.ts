/** A trace file's metadata (claim, program, fields, segment): encoding, decoding and its digest. */
import { createHash } from 'node:crypto';
import { MAX_TRACE_FF_DIM, MAX_TRACE_INSTRUCTIONS } from '../../air/columns.js';
import { SOUND_FIELDS } from '../../air/definition.js';
import { FAULT_KINDS, type FaultKind } from '../../runtime/fault.js';
import type { MachineSnapshot } from '../../runtime/state.js';
import { TRACE_SCHEMA_VERSION } from './layout.js';
import { printable } from '../../isa/text.js';

/** The claimed end of the run: the final state, and the fault that ended it if one did. */
export type Claim = MachineSnapshot;

export function claimOf(final: MachineSnapshot): Claim {
  const { steps, pc, acc, sp, zero, carry, halted, memory, fault } = final;
  return {
    steps,
    pc,
    acc,
    sp,
    zero,
    carry,
    halted,
    memory: [...memory],
    fault: fault === null ? null : { ...fault },
  };
}

/** Prime fields a trace can be valid in, with their moduli. */
export const FIELDS = Object.freeze({
  goldilocks: 2n ** 64n - 2n ** 32n + 1n,
  babybear: 15n * 2n ** 27n + 1n,
  m31: 2n ** 31n - 1n,
});
export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];

/** Whether the AIR's constraints bind in a field (schemas/air-v2.json sound_fields). */
export function fieldIsSound(name: FieldName): boolean {
  return (SOUND_FIELDS as readonly string[]).includes(name);
}

/** Fields in which the AIR is sound and every integer of magnitude ≤ maxAbs has a unique signed representative. */
export function fieldsHolding(maxAbs: number): FieldName[] {
  return FIELD_NAMES.filter((name) => fieldIsSound(name) && BigInt(maxAbs) * 2n < FIELDS[name]);
}

/** The claim as JSON, keys in canonical order and spelled as everywhere else (zero_flag, carry_flag). */
export function claimJson(claim: Claim): Record<string, unknown> {
  const { steps, pc, acc, sp, zero, carry, halted, memory, fault } = claim;
  return { steps, pc, acc, sp, zero_flag: zero, carry_flag: carry, halted, memory, fault };
}

/** Everything a trace file says about itself (Arrow schema-level custom metadata). */
export interface TraceMetadata {
  readonly schema: string;
  readonly air: string;
  readonly program: string;
  readonly memorySize: number;
  readonly initialMemory: readonly number[];
  readonly maxSteps: number;
  readonly ffDim: number;
  readonly instructions: number;
  readonly weightsSha256: string;
  readonly claim: Claim;
  readonly fields: readonly FieldName[];
  /** max(2^15, largest |value| of the int32 columns): bounds every value of the trace. */
  readonly maxAbsValue: number;
  readonly generator: string;
  /** tvm.metadata_sha256 as read from a file (encodeMetadata computes it). */
  readonly metadataSha256?: string;
  /** Set when the file is one segment of a longer run (tvm.segment); absent for a whole run. */
  readonly segment?: SegmentPosition;
}

/**
 * Where a segment file sits in its run: segment `index` of `rows` steps each, starting in
 * `initial` (a machine state, in the claim's JSON form; its `steps` is the step counter,
 * index·rows). Its final state is the file's claim, as for a whole run.
 */
export interface SegmentPosition {
  readonly index: number;
  readonly rows: number;
  readonly initial: Claim;
}

/** The prefix of every key the trace schema defines; keys outside it are not the trace's (ignored). */
export const TVM_NAMESPACE = 'tvm.';

export const MetaKey = Object.freeze({
  schema: 'tvm.schema',
  air: 'tvm.air',
  program: 'tvm.program',
  memorySize: 'tvm.memory_size',
  initialMemory: 'tvm.initial_memory',
  maxSteps: 'tvm.max_steps',
  ffDim: 'tvm.ff_dim',
  instructions: 'tvm.instructions',
  weightsSha256: 'tvm.weights_sha256',
  claim: 'tvm.claim',
  fields: 'tvm.fields',
  maxAbsValue: 'tvm.max_abs_value',
  generator: 'tvm.generator',
  metadataSha256: 'tvm.metadata_sha256',
  segment: 'tvm.segment',
});

/**
 * Integrity digest of a file's metadata: SHA-256 (hex) of the UTF-8 JSON array of its
 * [key, value] pairs sorted by key, tvm.metadata_sha256 itself left out. It binds the entries
 * no check can derive from the data (the generator, a max_steps the run did not reach, label
 * names, the exact text of each entry), so that editing any of them is detected. Only the
 * trace's own namespace counts: keys outside `tvm.` (pandas' `pandas`, a user's notes) are
 * another tool's business, added or dropped without changing the digest.
 */
export function metadataDigest(map: ReadonlyMap<string, string>): string {
  const entries = [...map]
    .filter(([key]) => key.startsWith(TVM_NAMESPACE) && key !== MetaKey.metadataSha256)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(entries), 'utf8').digest('hex');
}

export function encodeMetadata(meta: TraceMetadata): Map<string, string> {
  const map = new Map<string, string>([
    [MetaKey.schema, meta.schema],
    [MetaKey.air, meta.air],
    [MetaKey.program, meta.program],
    [MetaKey.memorySize, String(meta.memorySize)],
    [MetaKey.initialMemory, JSON.stringify(meta.initialMemory)],
    [MetaKey.maxSteps, String(meta.maxSteps)],
    [MetaKey.ffDim, String(meta.ffDim)],
    [MetaKey.instructions, String(meta.instructions)],
    [MetaKey.weightsSha256, meta.weightsSha256],
    [MetaKey.claim, JSON.stringify(claimJson(meta.claim))],
    [MetaKey.fields, JSON.stringify(meta.fields)],
    [MetaKey.maxAbsValue, String(meta.maxAbsValue)],
    [MetaKey.generator, meta.generator],
  ]);
  if (meta.segment !== undefined)
    map.set(MetaKey.segment, JSON.stringify(segmentJson(meta.segment)));
  map.set(MetaKey.metadataSha256, metadataDigest(map));
  return map;
}

/** A segment's position as JSON, keys in canonical order (tvm.segment, the manifest). */
export function segmentJson(segment: SegmentPosition): Record<string, unknown> {
  return { index: segment.index, rows: segment.rows, initial: claimJson(segment.initial) };
}

/** Most rows a segment may have: the AIR's log gap bound, as for a whole trace. */
const MAX_SEGMENT_ROWS = 2 ** 29;

/** tvm.segment's JSON (or a manifest's segment entry): its fields and types, as parseClaim does for a claim. */
export function parseSegment(
  value: unknown,
  memorySize: number,
  where: string = MetaKey.segment,
): SegmentPosition {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new MetadataError(`${where}: not an object`);
  const v = value as Record<string, unknown>;
  if (!isInt(v.index, 0, 2 ** 31))
    throw new MetadataError(`${where}: 'index' must be an integer in 0..${2 ** 31}`);
  if (!isInt(v.rows, 1, MAX_SEGMENT_ROWS) || (v.rows & (v.rows - 1)) !== 0)
    throw new MetadataError(`${where}: 'rows' must be a power of two in 1..${MAX_SEGMENT_ROWS}`);
  return {
    index: v.index,
    rows: v.rows,
    initial: parseClaim(v.initial, memorySize, `${where}.initial`),
  };
}

/** A metadata problem: the message names the key and what is wrong with it. */
export class MetadataError extends Error {}

function need(map: Map<string, string>, key: string): string {
  const value = map.get(key);
  if (value === undefined) throw new MetadataError(`metadata '${key}' is missing`);
  return value;
}

function integer(map: Map<string, string>, key: string, min: number, max: number): number {
  const text = need(map, key);
  const value = /^-?[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new MetadataError(
      `metadata '${key}' is not an integer in ${min}..${max}: '${printable(text.slice(0, 40))}'`,
    );
  return value;
}

function json(map: Map<string, string>, key: string): unknown {
  const text = need(map, key);
  try {
    return JSON.parse(text);
  } catch {
    throw new MetadataError(`metadata '${key}' is not valid JSON`);
  }
}

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;

function i16Array(value: unknown, key: string, length: number): number[] {
  if (
    !Array.isArray(value) ||
    value.length !== length ||
    !value.every((v) => isInt(v, -32768, 32767))
  )
    throw new MetadataError(`metadata '${key}' must be ${length} integers in -32768..32767`);
  return value;
}

/** A bound on the integers of a claim: the ranges of a machine state are the verifier obligation statement.ranges (checkTrace), not a parse error. */
const CLAIM_INT = 2 ** 31;

/**
 * The claim's JSON: its fields and their types. Values are integers of magnitude ≤ 2^31; whether
 * they form a machine state (pc a byte, acc an i16, …) is the obligation statement.ranges.
 */
export function parseClaim(
  value: unknown,
  memorySize: number,
  where: string = MetaKey.claim,
): Claim {
  const bad = (what: string) => new MetadataError(`${where}: ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('not an object');
  const c = value as Record<string, unknown>;
  const field = (name: string, min: number, max: number) => {
    if (!isInt(c[name], min, max)) throw bad(`'${name}' must be an integer in ${min}..${max}`);
    return c[name];
  };
  const flag = (name: string) => {
    if (typeof c[name] !== 'boolean') throw bad(`'${name}' must be true or false`);
    return c[name];
  };
  let fault: Claim['fault'] = null;
  if (c.fault !== null) {
    const f = c.fault as Record<string, unknown>;
    if (
      typeof f !== 'object' ||
      f === null ||
      !FAULT_KINDS.includes(f.kind as FaultKind) ||
      !isInt(f.step, 0, Number.MAX_SAFE_INTEGER) ||
      !isInt(f.pc, 0, 255) ||
      typeof f.message !== 'string'
    )
      throw bad("'fault' must be null or {kind, step, pc, message}");
    fault = {
      kind: f.kind as FaultKind,
      step: f.step,
      pc: f.pc,
      message: f.message,
    };
  }
  const memory = c.memory;
  if (
    !Array.isArray(memory) ||
    memory.length !== memorySize ||
    !memory.every((v) => isInt(v, -CLAIM_INT, CLAIM_INT))
  )
    throw bad(`'memory' must be ${memorySize} integers`);
  return {
    steps: field('steps', 0, Number.MAX_SAFE_INTEGER),
    pc: field('pc', -CLAIM_INT, CLAIM_INT),
    acc: field('acc', -CLAIM_INT, CLAIM_INT),
    sp: field('sp', -CLAIM_INT, CLAIM_INT),
    zero: flag('zero_flag'),
    carry: flag('carry_flag'),
    halted: flag('halted'),
    memory: memory,
    fault,
  };
}

export function decodeMetadata(map: Map<string, string>): TraceMetadata {
  const schema = need(map, MetaKey.schema);
  if (schema !== TRACE_SCHEMA_VERSION)
    throw new MetadataError(
      `unknown trace schema version '${printable(schema.slice(0, 60))}' (expected ${TRACE_SCHEMA_VERSION})`,
    );
  const memorySize = integer(map, MetaKey.memorySize, 0, 255);
  const fields = json(map, MetaKey.fields);
  if (!Array.isArray(fields) || !fields.every((f) => FIELD_NAMES.includes(f as FieldName)))
    throw new MetadataError(
      `metadata '${MetaKey.fields}' must list fields among ${FIELD_NAMES.join(', ')}`,
    );
  const sha = need(map, MetaKey.weightsSha256);
  if (!/^[0-9a-f]{64}$/.test(sha))
    throw new MetadataError(`metadata '${MetaKey.weightsSha256}' is not a SHA-256 hex digest`);
  const metadataSha256 = need(map, MetaKey.metadataSha256);
  if (!/^[0-9a-f]{64}$/.test(metadataSha256))
    throw new MetadataError(`metadata '${MetaKey.metadataSha256}' is not a SHA-256 hex digest`);
  return {
    schema,
    air: need(map, MetaKey.air),
    program: need(map, MetaKey.program),
    memorySize,
    initialMemory: i16Array(json(map, MetaKey.initialMemory), MetaKey.initialMemory, memorySize),
    maxSteps: integer(map, MetaKey.maxSteps, 1, Number.MAX_SAFE_INTEGER),
    ffDim: integer(map, MetaKey.ffDim, 1, MAX_TRACE_FF_DIM),
    instructions: integer(map, MetaKey.instructions, 0, MAX_TRACE_INSTRUCTIONS),
    weightsSha256: sha,
    claim: parseClaim(json(map, MetaKey.claim), memorySize),
    fields: fields as FieldName[],
    maxAbsValue: integer(map, MetaKey.maxAbsValue, 0, 2 ** 31),
    generator: need(map, MetaKey.generator),
    metadataSha256,
    ...(map.has(MetaKey.segment)
      ? { segment: parseSegment(json(map, MetaKey.segment), memorySize) }
      : {}),
  };
}
