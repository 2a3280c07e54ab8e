import type { CompiledProgram } from '../compiler/compile.js';
import { denseWeights } from '../compiler/dense.js';
import { INPUT_DIM, OUTPUT_DIM } from '../compiler/layout.js';
import { opcodeSpec } from '../isa/opcodes.js';
import type { Claim } from '../trace/metadata.js';
import type { Tables } from './expand.js';

type Table = { values: ArrayLike<number>; shape: number[] };

/**
 * The AIR's per-program constant tables (its preprocessed data), built from the recompiled
 * program — never from the trace file — plus the public claim.
 */
export function programTables(compiled: CompiledProgram, ffDim: number, claim: Claim): Tables {
  const P = compiled.instructions.length;
  const N = compiled.program.memorySize;
  const dense = denseWeights(compiled.instructions, ffDim);
  const perInstruction = (f: (j: number) => number): Table => ({ values: Float64Array.from({ length: P }, (_, j) => f(j)), shape: [P] });
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
      // An address operand (LOAD, STORE, ADDM, …) at or past memory size can only fault.
      perInstruction((j) => (opcodeSpec(ins[j].opcode).operand === 'address' && ins[j].arg >= N ? 1 : 0)),
    ],
    ['read_any', perInstruction((j) => (ins[j].read.mode === 'none' ? 0 : 1))],
    ['read_direct_addr', perInstruction((j) => (ins[j].read.mode === 'direct' ? ins[j].read.addr : 0))],
    ['read_stack', perInstruction((j) => (ins[j].read.mode === 'stack_top' ? 1 : 0))],
    ['zero_result', perInstruction((j) => (ins[j].controls.zero === 'result' ? 1 : 0))],
    ['zero_keep', perInstruction((j) => (ins[j].controls.zero === 'keep' ? 1 : 0))],
    ['carry_keep', perInstruction((j) => (ins[j].controls.carry === 'keep' ? 1 : 0))],
    ['carry_overflow', perInstruction((j) => (ins[j].controls.carry === 'overflow' ? 1 : 0))],
    ['carry_less', perInstruction((j) => (ins[j].controls.carry === 'signed_less' ? 1 : 0))],
    ['halts', perInstruction((j) => (ins[j].controls.halts ? 1 : 0))],
    ['pow2', { values: Float64Array.from({ length: 64 }, (_, i) => 2 ** i), shape: [64] }],
    ['memory_size', { values: [N], shape: [] }],
    ['claim_steps', { values: [claim.steps], shape: [] }],
    ['claim_pc', { values: [claim.pc], shape: [] }],
    ['claim_acc', { values: [claim.acc], shape: [] }],
    ['claim_sp', { values: [claim.sp], shape: [] }],
    ['claim_zero', { values: [claim.zero ? 1 : 0], shape: [] }],
    ['claim_carry', { values: [claim.carry ? 1 : 0], shape: [] }],
    ['claim_halted', { values: [claim.halted ? 1 : 0], shape: [] }],
  ]);
  return { get: (name) => map.get(name) };
}
