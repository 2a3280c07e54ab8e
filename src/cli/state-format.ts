/** A machine state as the CLI prints it (text and JSON). */
import type { MachineSnapshot } from '../runtime/state.js';

/** A machine state's fields in the order and under the names the CLI prints them. */
export function stateRecord(snapshot: MachineSnapshot): Record<string, unknown> {
  return {
    steps: snapshot.steps,
    halted: snapshot.halted,
    pc: snapshot.pc,
    acc: snapshot.acc,
    sp: snapshot.sp,
    zero_flag: snapshot.zero,
    carry_flag: snapshot.carry,
    memory: snapshot.memory,
  };
}

const text = (value: unknown) => (Array.isArray(value) ? `[${value.join(', ')}]` : String(value));

/** One `key: value` line per field (the human output of `run`). */
export function stateLines(record: Record<string, unknown>): string {
  return Object.entries(record)
    .map(([key, value]) => `${key}: ${text(value)}`)
    .join('\n');
}

/** The fields on one line, `steps 103, halted true, …, memory [13, 21]` (a claim in export and inspect). */
export function stateInline(snapshot: MachineSnapshot): string {
  return Object.entries(stateRecord(snapshot))
    .map(([key, value]) => `${key} ${text(value)}`)
    .join(', ');
}
