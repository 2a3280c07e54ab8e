/**
 * The statement a proof is about, from either end: the prover's from a trace file (its
 * embedded program, recompiled, and its claim) or a run's manifest, the verifier's from the
 * program it is given and a claim file (or, without one, the final state the proof says it
 * proves) — never from the trace.
 */
import { Unpackr } from 'msgpackr';
import { compileProgram } from '../compiler/compile.js';
import { INPUT_DIM } from '../compiler/layout.js';
import { assemble } from '../isa/assemble.js';
import type { Program } from '../isa/program.js';
import { CLAIM_SCHEMA_VERSION } from '../trace/format/claim-file.js';
import type { RunManifest } from '../trace/format/manifest.js';
import { parseClaim, type Claim, type SegmentPosition } from '../trace/format/metadata.js';
import { openTrace } from '../trace/read/reader.js';
import type { Statement } from './circuit.js';

/** The statement cannot be built: a claim of another program, a faulted run, an unreadable claim file. */
export class StatementError extends Error {}

/** The claim does not fit the program (another program's, another initial memory, a fault): the proof is rejected. */
export class StatementMismatch extends StatementError {}

export async function statementFromTrace(path: string): Promise<Statement> {
  const trace = await openTrace(path);
  try {
    const meta = trace.metadata;
    return statementFor(
      compileProgram(assemble(meta.program)),
      meta.ffDim,
      meta.maxSteps,
      meta.claim,
      meta.segment,
    );
  } finally {
    await trace.close();
  }
}

/**
 * The statement of segment `index` of a run from its manifest alone (the run's program,
 * recompiled, and the segment's boundary states): what statementFromTrace gives for the
 * segment's file, for a run exported without its files. If the manifest lies, the segment made
 * from it does not satisfy this statement and is not proved.
 */
export function statementFromManifest(
  manifest: RunManifest,
  index: number,
  compiled = compileProgram(assemble(manifest.program)),
): Statement {
  const entry = manifest.segments[index];
  return statementFor(compiled, manifest.ffDim, manifest.maxSteps, entry.final, {
    index,
    rows: manifest.segmentRows,
    initial: entry.initial,
  });
}

const CLAIM_STATE_KEYS = [
  'steps',
  'pc',
  'acc',
  'sp',
  'zero_flag',
  'carry_flag',
  'halted',
  'memory',
  'fault',
] as const;

/** A claim file (schemas/claim-v2.json) for `program`. */
export function statementFromClaim(
  program: Program,
  bytes: Uint8Array,
  ffDim: number,
  where: string,
): Statement {
  let doc: unknown;
  try {
    doc = new Unpackr({ mapsAsObjects: true, useRecords: false }).unpack(bytes);
  } catch {
    throw new StatementError(`${where}: not a msgpack claim`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new StatementError(`${where}: not a claim (a msgpack map)`);
  const c = doc as Record<string, unknown>;
  if (c.schema !== CLAIM_SCHEMA_VERSION)
    throw new StatementError(
      `${where}: claim schema '${String(c.schema).slice(0, 40)}', expected ${CLAIM_SCHEMA_VERSION}`,
    );
  const compiled = compileProgram(program);
  if (c.weights_sha256 !== compiled.digest)
    throw new StatementMismatch(
      `${where}: the claim is of another program (weights ${String(c.weights_sha256).slice(0, 12)}…, the program's ${compiled.digest.slice(0, 12)}…)`,
    );
  const initial = c.initial_memory;
  if (
    c.memory_size !== program.memorySize ||
    !Array.isArray(initial) ||
    initial.length !== program.memorySize ||
    initial.some((v, i) => v !== program.initialMemory[i])
  )
    throw new StatementMismatch(`${where}: the claim's initial memory is not the program's`);
  const maxSteps = c.max_steps;
  if (typeof maxSteps !== 'number' || !Number.isSafeInteger(maxSteps) || maxSteps < 1)
    throw new StatementError(`${where}: 'max_steps' must be a positive integer`);
  let claim: Claim;
  try {
    claim = parseClaim(
      Object.fromEntries(CLAIM_STATE_KEYS.map((k) => [k, c[k]])),
      program.memorySize,
    );
  } catch (error) {
    throw new StatementError(
      `${where}: ${(error instanceof Error ? error.message : String(error)).replace(/^tvm\.claim: /, '')}`,
    );
  }
  return statementFor(compiled, ffDim, maxSteps, claim);
}

/** A boundary state of a proof's header as a claim (a proved run never faults). */
export function headerState(state: ProofHeaderDocument['final']): Claim {
  return {
    steps: state.step,
    pc: state.pc,
    acc: state.acc,
    sp: state.sp,
    zero: state.zero_flag === 1,
    carry: state.carry_flag === 1,
    halted: state.halted === 1,
    memory: state.memory,
    fault: null,
  };
}

/**
 * The statement a proof's header states (the verifier then checks the proof is of it): for a
 * whole run, the program's initial state to the header's final state; for a segment, the
 * header's position and both its states.
 */
export function statementFromProof(program: Program, header: ProofHeaderDocument): Statement {
  for (const state of [header.initial, header.final])
    if (state.memory.length !== program.memorySize)
      throw new StatementMismatch(
        `the proof is of a program with ${state.memory.length} memory cells, this one has ${program.memorySize}`,
      );
  const segment =
    header.segment === undefined
      ? undefined
      : {
          index: header.segment.index,
          rows: header.segment.rows,
          initial: headerState(header.initial),
        };
  return statementFor(
    compileProgram(program),
    header.ff_dim,
    header.max_steps,
    headerState(header.final),
    segment,
  );
}

/**
 * Most dense weights a verifier expands (instructions × ff_dim × 41): ff_dim comes from a proof's
 * untrusted header, and 65536 units would make a circuit of gigabytes before any check.
 */
export const MAX_CIRCUIT_WEIGHTS = 1 << 22;

function statementFor(
  compiled: ReturnType<typeof compileProgram>,
  ffDim: number,
  maxSteps: number,
  claim: Claim,
  segment?: SegmentPosition,
): Statement {
  if (compiled.instructions.length * ffDim * INPUT_DIM > MAX_CIRCUIT_WEIGHTS)
    throw new StatementError(
      `ff_dim ${ffDim} with ${compiled.instructions.length} instructions is ${compiled.instructions.length * ffDim * INPUT_DIM} weights, more than the ${MAX_CIRCUIT_WEIGHTS} a circuit may hold`,
    );
  if (claim.fault !== null)
    throw new StatementMismatch(
      `the run faulted (${claim.fault.message}): a faulted run is not proved, only halted runs and runs stopped at max_steps`,
    );
  if (ffDim < compiled.minFfDim)
    throw new StatementError(
      `ff_dim ${ffDim} is narrower than the program's widest instruction (${compiled.minFfDim})`,
    );
  return { compiled, ffDim, maxSteps, claim, ...(segment === undefined ? {} : { segment }) };
}

/** The JSON header line of a proof file (prover/src/prove.rs ProofHeader). */
export interface ProofHeaderDocument {
  circuit_sha256: string;
  weights_sha256: string;
  log_height: number;
  ff_dim: number;
  max_steps: number;
  /** The proof parameters (FRI and grinding), as the prover recorded them. */
  params: Record<string, unknown>;
  /** Set for a segment's proof: its position in the run. */
  segment?: { index: number; rows: number };
  initial: HeaderState;
  final: HeaderState;
}

export interface HeaderState {
  step: number;
  pc: number;
  acc: number;
  sp: number;
  zero_flag: number;
  carry_flag: number;
  halted: number;
  memory: number[];
}

const PROOF_MAGIC = 'tvm-trace proof v1\n';

/** The header of a proof file's first bytes (untrusted: it only says which statement to verify against). */
export function proofHeader(bytes: Uint8Array, where: string): ProofHeaderDocument {
  const head = Buffer.from(bytes.subarray(0, 1 << 16)).toString('latin1');
  if (!head.startsWith(PROOF_MAGIC))
    throw new StatementError(
      `${where}: not a tvm-trace proof (it does not start with 'tvm-trace proof v1')`,
    );
  const end = head.indexOf('\n', PROOF_MAGIC.length);
  if (end < 0) throw new StatementError(`${where}: not a tvm-trace proof (no header line)`);
  try {
    const header = JSON.parse(head.slice(PROOF_MAGIC.length, end)) as ProofHeaderDocument;
    const stateInts = (s: HeaderState) => [
      s.step,
      s.pc,
      s.acc,
      s.sp,
      s.zero_flag,
      s.carry_flag,
      s.halted,
      ...s.memory,
    ];
    const ints = [
      header.ff_dim,
      header.max_steps,
      ...stateInts(header.initial),
      ...stateInts(header.final),
      ...(header.segment === undefined ? [] : [header.segment.index, header.segment.rows]),
    ];
    if (!ints.every((v) => Number.isSafeInteger(v))) throw new Error('bad field');
    if (typeof header.params !== 'object' || header.params === null) throw new Error('bad params');
    if (typeof header.weights_sha256 !== 'string') throw new Error('bad digest');
    return header;
  } catch {
    throw new StatementError(`${where}: not a tvm-trace proof (its header is malformed)`);
  }
}
