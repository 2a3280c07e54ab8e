/** Per-pc typed arrays of what happens around the FFN (memory read, stack check, controls) for the engines. */
import { CarryRuleCode, OPCODE_TABLE, ReadModeCode, ZeroRuleCode } from '../isa/opcodes.js';
import type { CompiledProgram } from './compile.js';

/**
 * What happens around the FFN for each instruction of a compiled program, as typed arrays
 * indexed by pc: the memory read before it, the stack precondition, and the controls after
 * it. The engines' step loops and the witness builder all read this one table.
 */
export interface ControlTable {
  readonly opcode: Int32Array;
  readonly arg: Int32Array;
  /** ReadModeCode of the memory read (none, direct, stack_top). */
  readonly readMode: Uint8Array;
  /** The cell a direct read reads; 0 otherwise. */
  readonly readAddr: Int32Array;
  /** StackUseCode: push (needs sp > 0), pop (needs sp < N), or none. */
  readonly stack: Uint8Array;
  readonly zeroRule: Uint8Array;
  readonly carryRule: Uint8Array;
  readonly halts: Uint8Array;
}

export function controlTable(compiled: CompiledProgram): ControlTable {
  const list = compiled.instructions;
  return {
    opcode: Int32Array.from(list, (c) => c.opcode),
    arg: Int32Array.from(list, (c) => c.arg),
    readMode: Uint8Array.from(list, (c) => ReadModeCode[c.read.mode]),
    readAddr: Int32Array.from(list, (c) => c.read.addr),
    stack: Uint8Array.from(list, (c) => OPCODE_TABLE.stack[c.opcode]),
    zeroRule: Uint8Array.from(list, (c) => ZeroRuleCode[c.controls.zero]),
    carryRule: Uint8Array.from(list, (c) => CarryRuleCode[c.controls.carry]),
    halts: Uint8Array.from(list, (c) => (c.controls.halts ? 1 : 0)),
  };
}
