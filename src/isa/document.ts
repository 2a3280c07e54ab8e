/**
 * schemas/isa-v1.json: the instruction set as data, for tools outside TypeScript (the Rust
 * prover builds a program's control tables from a `.tvmc` and this table, never from a copy).
 */
import { OPCODES } from './opcodes.js';

export const ISA_SCHEMA_VERSION = 'tvm-trace/isa/v1';

export function isaDocument(): Record<string, unknown> {
  return {
    $comment: 'Generated from src/isa/opcodes.ts by `npm run schemas`; do not edit by hand.',
    version: ISA_SCHEMA_VERSION,
    description:
      'Every instruction, indexed by its numeric opcode (code). operand: none | immediate | address (a direct memory address) | target (a pc); read: the cell the step reads before the FFN (none | direct = mem[arg] | stack_top = mem[SP]); zero / carry: how the flags are produced; stack: push needs sp > 0, pop needs sp < memory_size; writes_memory: the step writes a cell.',
    opcodes: OPCODES.map((spec) => ({
      code: spec.code,
      mnemonic: spec.mnemonic,
      operand: spec.operand,
      read: spec.read,
      zero: spec.zero,
      carry: spec.carry,
      stack: spec.stack,
      halts: spec.halts,
      writes_memory: spec.writesMemory,
    })),
  };
}
