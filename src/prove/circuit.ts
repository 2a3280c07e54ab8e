/**
 * The circuit a proof is about: schemas/air-v2.json expanded (by the checker's Expander, the
 * one interpreter of that document) against one statement — a program's tables at one ff_dim,
 * max_steps and the boundary states — into polynomials over the trace's flat cells, plus the
 * memory arguments' tuples and the public memory tables. The Rust prover proves and verifies
 * exactly this document; the verifier's copy is built from the program and the claim it is
 * given, never from a proof or a trace.
 */
import { createHash } from 'node:crypto';
import { ARGUMENTS, type Argument } from '../air/definition.js';
import { loadAir } from '../check/check.js';
import { Expander, type Cell, type Monomial } from '../check/expand.js';
import { programTables, runBoundaries } from '../check/tables.js';
import type { CompiledProgram } from '../compiler/compile.js';
import { columnSlots } from '../trace/format/layout.js';
import type { Claim, SegmentPosition } from '../trace/format/metadata.js';

export const CIRCUIT_VERSION = 'tvm-trace/circuit/v1';

/**
 * What a proof states: this program (its weights), at this width, ran from its initial state
 * to the claim within max_steps — or, for a segment, ran segment.index (segment.rows steps
 * each) from segment.initial to the claim.
 */
export interface Statement {
  readonly compiled: CompiledProgram;
  readonly ffDim: number;
  readonly maxSteps: number;
  readonly claim: Claim;
  readonly segment?: SegmentPosition;
}

/** A monomial as the Rust side reads it: [coefficient, [cell, next], …], the coefficient a decimal string (exact past 2^53). */
type WireMonomial = [string, ...Array<[number, 0 | 1]>];

interface WireSide {
  table?: string;
  rows?: { multiplicity: WireMonomial[]; tuple: number[] };
}

export interface CircuitDocument {
  version: string;
  air: string;
  statement: Record<string, unknown>;
  columns: Array<{ name: string; type: string; width: number; offset: number }>;
  width: number;
  constraints: Array<{ name: string; rows: string; monomials: WireMonomial[] }>;
  arguments: Array<{ name: string; kind: string; left: WireSide; right: WireSide }>;
  tables: Record<string, number[]>;
}

export function buildCircuit(statement: Statement): CircuitDocument {
  const { compiled, ffDim, maxSteps, claim, segment } = statement;
  const air = loadAir();
  const dims = { ffDim, instructions: compiled.instructions.length };
  const slots = columnSlots(dims);
  const offsets: number[] = [];
  let width = 0;
  for (const slot of slots) {
    offsets.push(width);
    width += slot.width;
  }
  const boundaries = runBoundaries(compiled, claim, segment?.initial);
  const expander = new Expander(air, dims, programTables(compiled, ffDim, boundaries));
  const flat = (cell: Cell): number => offsets[cell.column] + cell.entry;
  const wire = (m: Monomial): WireMonomial => {
    if (!Number.isSafeInteger(m.coef))
      throw new RangeError(`coefficient ${m.coef} is not an exact integer`);
    return [String(m.coef), ...m.cells.map((c): [number, 0 | 1] => [flat(c), c.next ? 1 : 0])];
  };
  const side = (s: Argument['left']): WireSide => ({
    ...(s.table === undefined ? {} : { table: s.table }),
    ...(s.rows === undefined
      ? {}
      : {
          rows: {
            multiplicity: s.rows.multiplicity.map((term) => {
              const cells = term.vars.map((v) => expander.cell(v, {}));
              return wire({ coef: expander.coefficient(term.coef, {}), cells });
            }),
            tuple: s.rows.tuple.map((ref) => flat(expander.cell(ref, {}))),
          },
        }),
  });
  const { initial, final } = boundaries;
  return {
    version: CIRCUIT_VERSION,
    air: air.version,
    statement: {
      weights_sha256: compiled.digest,
      ff_dim: ffDim,
      instructions: compiled.instructions.length,
      memory_size: compiled.program.memorySize,
      max_steps: maxSteps,
      // Only a segment's statement says where it sits: a whole run's document is unchanged.
      ...(segment === undefined ? {} : { segment: { index: segment.index, rows: segment.rows } }),
      initial: {
        step: initial.step,
        pc: initial.pc,
        acc: initial.acc,
        sp: initial.sp,
        zero_flag: initial.zero ? 1 : 0,
        carry_flag: initial.carry ? 1 : 0,
        memory: [...initial.memory],
      },
      final: {
        step: final.step,
        pc: final.pc,
        acc: final.acc,
        sp: final.sp,
        zero_flag: final.zero ? 1 : 0,
        carry_flag: final.carry ? 1 : 0,
        halted: final.halted ? 1 : 0,
        memory: [...final.memory],
      },
    },
    columns: slots.map((slot, i) => ({
      name: slot.spec.name,
      type: slot.spec.type,
      width: slot.width,
      offset: offsets[i],
    })),
    width,
    constraints: expander.instances().map((instance) => ({
      name: instance.name,
      rows: instance.rows,
      monomials: instance.monomials.map(wire),
    })),
    arguments: ARGUMENTS.map((argument) => ({
      name: argument.name,
      kind: argument.kind,
      left: side(argument.left),
      right: side(argument.right),
    })),
    tables: { initial_memory: [...initial.memory], final_memory: [...final.memory] },
  };
}

/** The document's bytes (JSON, key order as built: deterministic) and their SHA-256, which a proof commits to. */
export function circuitBytes(doc: CircuitDocument): { bytes: Buffer; sha256: string } {
  const bytes = Buffer.from(JSON.stringify(doc) + '\n', 'utf8');
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}
