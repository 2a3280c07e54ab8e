/** One decoded instruction: opcode (index into OPCODES) and its operand (0 when it has none). */
export interface Instruction {
  readonly opcode: number;
  readonly arg: number;
}

/** An assembled program: everything execution and compilation need, plus where each instruction came from. */
export interface Program {
  readonly instructions: readonly Instruction[];
  readonly memorySize: number;
  /** Initial memory, memorySize cells of i16. */
  readonly initialMemory: readonly number[];
  /** Label name -> instruction index, in order of definition. */
  readonly labels: ReadonlyMap<string, number>;
  /** 1-based source line of each instruction (same length as instructions). */
  readonly sourceLines: readonly number[];
}

/** Semantic equality: same instructions, memory and labels (source lines ignored). */
export function programsEqual(a: Program, b: Program): boolean {
  if (a.memorySize !== b.memorySize || a.instructions.length !== b.instructions.length)
    return false;
  for (let i = 0; i < a.instructions.length; i++) {
    if (
      a.instructions[i].opcode !== b.instructions[i].opcode ||
      a.instructions[i].arg !== b.instructions[i].arg
    )
      return false;
  }
  if (a.initialMemory.length !== b.initialMemory.length) return false;
  for (let i = 0; i < a.initialMemory.length; i++)
    if (a.initialMemory[i] !== b.initialMemory[i]) return false;
  if (a.labels.size !== b.labels.size) return false;
  for (const [name, index] of a.labels) if (b.labels.get(name) !== index) return false;
  return true;
}
