/** A program compiled to FFN weights per instruction, and the weights' canonical bytes and digest. */
import { createHash } from 'node:crypto';
import {
  CarryRuleCode,
  opcodeSpec,
  ReadModeCode,
  ZeroRuleCode,
  type OpcodeSpec,
} from '../isa/opcodes.js';
import type { Instruction, Program } from '../isa/program.js';
import { FeedForwardBuilder, type MemoryRead, type Unit } from './builder.js';
import { OUTPUT_DIM } from './layout.js';
import { RECIPES } from './recipes.js';

/** What happens after the FFN: taken verbatim from the ISA table. */
export interface Controls {
  readonly zero: OpcodeSpec['zero'];
  readonly carry: OpcodeSpec['carry'];
  readonly halts: boolean;
}

/** One instruction compiled to its memory read, sparse hidden units, output bias and controls. */
export interface CompiledInstruction {
  readonly opcode: number;
  readonly arg: number;
  readonly read: MemoryRead;
  readonly units: readonly Unit[];
  readonly bias: readonly number[];
  readonly controls: Controls;
}

export interface CompiledProgram {
  readonly program: Program;
  readonly instructions: readonly CompiledInstruction[];
  /** Units of the widest instruction: the smallest ff_dim that holds every instruction. */
  readonly minFfDim: number;
  /** SHA-256 (hex) of the canonical weight encoding, see weightsBytes(). */
  readonly digest: string;
}

/** The widest any instruction can be (ORM, XORM); the default ff_dim of the dense view. */
export const MAX_UNITS = 50;

export function compileInstruction(instruction: Instruction): CompiledInstruction {
  const spec = opcodeSpec(instruction.opcode);
  const builder = new FeedForwardBuilder();
  RECIPES[spec.mnemonic](builder, instruction.arg);
  return {
    opcode: instruction.opcode,
    arg: instruction.arg,
    read: { mode: spec.read, addr: spec.read === 'direct' ? instruction.arg : 0 },
    units: builder.units,
    bias: builder.bias,
    controls: { zero: spec.zero, carry: spec.carry, halts: spec.halts },
  };
}

export function compileProgram(program: Program): CompiledProgram {
  const instructions = program.instructions.map(compileInstruction);
  const minFfDim = instructions.reduce((widest, c) => Math.max(widest, c.units.length), 0);
  return { program, instructions, minFfDim, digest: weightsDigest(instructions) };
}

const WEIGHTS_TAG = 0x74766d31; // "tvm1"

/**
 * Canonical encoding of the weights, little-endian int32 words: tag, instruction count, then
 * per instruction: opcode, arg, read mode, read addr, zero rule, carry rule, halts, unit count,
 * (gate, value, out, coeff) per unit, and the 6 output biases. Independent of ff_dim.
 */
export function weightsBytes(instructions: readonly CompiledInstruction[]): Uint8Array {
  const words: number[] = [WEIGHTS_TAG, instructions.length];
  for (const c of instructions) {
    words.push(c.opcode, c.arg, ReadModeCode[c.read.mode], c.read.addr);
    words.push(
      ZeroRuleCode[c.controls.zero],
      CarryRuleCode[c.controls.carry],
      c.controls.halts ? 1 : 0,
      c.units.length,
    );
    for (const u of c.units) words.push(u.gate, u.value, u.out, u.coeff);
    for (let o = 0; o < OUTPUT_DIM; o++) words.push(c.bias[o]);
  }
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((word, i) => view.setInt32(i * 4, word, true));
  return bytes;
}

export function weightsDigest(instructions: readonly CompiledInstruction[]): string {
  return createHash('sha256').update(weightsBytes(instructions)).digest('hex');
}
