/** The AIR's per-program tables and public values (boundary states), built from the recompiled program. */
import type { CompiledProgram } from '../compiler/compile.js';
import { denseWeights } from '../compiler/dense.js';
import { INPUT_DIM, OUTPUT_DIM } from '../compiler/layout.js';
import { opcodeSpec } from '../isa/opcodes.js';
import type { Claim } from '../trace/format/metadata.js';
import { initialClaim } from './chain.js';
import type { Tables } from './expand.js';

type Table = { values: ArrayLike<number>; shape: number[] };

/** A machine state at a segment's boundary, as the AIR's public values hold it. */
export interface BoundaryState {
  readonly step: number;
  readonly pc: number;
  readonly acc: number;
  readonly sp: number;
  readonly zero: boolean;
  readonly carry: boolean;
  readonly halted: boolean;
  readonly memory: readonly number[];
}

/** A state (in the claim's form) as the AIR's public values hold it. */
function boundaryOf(state: Claim): BoundaryState {
  const { steps, pc, acc, sp, zero, carry, halted, memory } = state;
  return { step: steps, pc, acc, sp, zero, carry, halted, memory: [...memory] };
}

/**
 * The public values of a run: the program's initial state (or a segment's, `segmentStart`) and
 * the claim's final state.
 */
export function runBoundaries(
  compiled: CompiledProgram,
  claim: Claim,
  segmentStart?: Claim,
): { initial: BoundaryState; final: BoundaryState } {
  return {
    initial: boundaryOf(segmentStart ?? initialClaim(compiled.program)),
    final: boundaryOf(claim),
  };
}

/**
 * The AIR's per-program constant tables (its preprocessed data), built from the recompiled
 * program — never from the trace file — and the public values (the boundary states).
 */
export function programTables(
  compiled: CompiledProgram,
  ffDim: number,
  boundaries: { initial: BoundaryState; final: BoundaryState },
): Tables {
  const P = compiled.instructions.length;
  const N = compiled.program.memorySize;
  const dense = denseWeights(compiled.instructions, ffDim);
  const perInstruction = (f: (j: number) => number): Table => ({
    values: Float64Array.from({ length: P }, (_, j) => f(j)),
    shape: [P],
  });
  const ins = compiled.instructions;
  const map = new Map<string, Table>([
    ['W_gate', { values: dense.wGate, shape: [P, ffDim, INPUT_DIM] }],
    ['b_gate', { values: dense.bGate, shape: [P, ffDim] }],
    ['W_value', { values: dense.wValue, shape: [P, ffDim, INPUT_DIM] }],
    ['b_value', { values: dense.bValue, shape: [P, ffDim] }],
    ['W_out', { values: dense.wOut, shape: [P, OUTPUT_DIM, ffDim] }],
    ['b_out', { values: dense.bOut, shape: [P, OUTPUT_DIM] }],
    ['index', perInstruction((j) => j)],
    ['opcode', perInstruction((j) => ins[j].opcode)],
    ['arg', perInstruction((j) => ins[j].arg)],
    [
      'invalid',
      // An address operand (LOAD, STORE, ADDM, …) at or past memory size can only fault; pc never reaches 256.
      perInstruction((j) =>
        j >= 256 || (opcodeSpec(ins[j].opcode).operand === 'address' && ins[j].arg >= N) ? 1 : 0,
      ),
    ],
    ['wraps', perInstruction((j) => (j === 255 ? 1 : 0))],
    ['read_any', perInstruction((j) => (ins[j].read.mode === 'none' ? 0 : 1))],
    [
      'read_direct_addr',
      perInstruction((j) => (ins[j].read.mode === 'direct' ? ins[j].read.addr : 0)),
    ],
    ['read_stack', perInstruction((j) => (ins[j].read.mode === 'stack_top' ? 1 : 0))],
    ['zero_result', perInstruction((j) => (ins[j].controls.zero === 'result' ? 1 : 0))],
    ['zero_keep', perInstruction((j) => (ins[j].controls.zero === 'keep' ? 1 : 0))],
    ['carry_keep', perInstruction((j) => (ins[j].controls.carry === 'keep' ? 1 : 0))],
    ['carry_overflow', perInstruction((j) => (ins[j].controls.carry === 'overflow' ? 1 : 0))],
    ['carry_less', perInstruction((j) => (ins[j].controls.carry === 'signed_less' ? 1 : 0))],
    ['halts', perInstruction((j) => (ins[j].controls.halts ? 1 : 0))],
    ['pow2', { values: Float64Array.from({ length: 64 }, (_, i) => 2 ** i), shape: [64] }],
    ['memory_size', { values: [N], shape: [] }],
    ...boundaryTables('initial', boundaries.initial),
    ...boundaryTables('final', boundaries.final),
  ]);
  return { get: (name) => map.get(name) };
}

const scalar = (value: number): Table => ({ values: [value], shape: [] });

/** One boundary state as the public values initial_* or final_*. */
function boundaryTables(prefix: 'initial' | 'final', state: BoundaryState): Array<[string, Table]> {
  const entries: Array<[string, Table]> = [
    [`${prefix}_step`, scalar(state.step)],
    [`${prefix}_pc`, scalar(state.pc)],
    [`${prefix}_acc`, scalar(state.acc)],
    [`${prefix}_sp`, scalar(state.sp)],
    [`${prefix}_zero_flag`, scalar(state.zero ? 1 : 0)],
    [`${prefix}_carry_flag`, scalar(state.carry ? 1 : 0)],
    [`${prefix}_memory`, { values: state.memory, shape: [state.memory.length] }],
  ];
  if (prefix === 'final') entries.push(['final_halted', scalar(state.halted ? 1 : 0)]);
  return entries;
}
