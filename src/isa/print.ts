/** Programs and instructions as canonical .tvm text. */
import { opcodeSpec } from './opcodes.js';
import type { Instruction, Program } from './program.js';

/** One instruction as canonical text, e.g. `ADD -3` or `HALT`. */
export function formatInstruction(instruction: Instruction): string {
  const spec = opcodeSpec(instruction.opcode);
  return spec.operand === 'none' ? spec.mnemonic : `${spec.mnemonic} ${instruction.arg}`;
}

/**
 * Canonical text of a program: `.memory`, the non-zero `.init` cells in address order,
 * then one instruction per line with its labels before it. Targets are printed as numbers,
 * so the text means the same whatever the labels are called. assemble(print(p)) equals p.
 */
export function printProgram(program: Program): string {
  const out: string[] = [`.memory ${program.memorySize}`];
  program.initialMemory.forEach((value, addr) => {
    if (value !== 0) out.push(`.init ${addr} ${value}`);
  });
  const labelsAt = new Map<number, string[]>();
  for (const [name, index] of program.labels) {
    const names = labelsAt.get(index) ?? [];
    names.push(name);
    labelsAt.set(index, names);
  }
  const emitLabels = (index: number) => {
    for (const name of labelsAt.get(index) ?? []) out.push(`${name}:`);
  };
  program.instructions.forEach((instruction, index) => {
    emitLabels(index);
    out.push(`  ${formatInstruction(instruction)}`);
  });
  for (const [index] of [...labelsAt]
    .filter(([i]) => i >= program.instructions.length)
    .sort((a, b) => a[0] - b[0]))
    emitLabels(index);
  return out.join('\n') + '\n';
}
