/** Compiled weights as readable text (`compile --print`). */
import { formatInstruction } from '../isa/print.js';
import type { MemoryRead, Unit } from './builder.js';
import { GATE_CONSTANT } from './builder.js';
import type { CompiledInstruction, CompiledProgram, Controls } from './compile.js';
import { INPUT_NAMES, OUTPUT_DIM, OUTPUT_NAMES } from './layout.js';

/**
 * Readable text of compiled weights (`tvm-trace compile --print`):
 *
 *   #2 JZ 14  ; line 10: JZ done
 *     read: none
 *     h0 = 1·[SP] → NEXT_SP × 1
 *     h3 = [ZERO]·[PC+1] → NEXT_PC × -1
 *     b[NEXT_SP] = -1
 *     controls: zero=keep carry=keep halts=false
 */

/** `h3 = [ZERO]·[PC+1] → NEXT_PC × -1`; a constant gate prints as `1`. */
export function describeUnit(unit: Unit, index: number): string {
  const gate = unit.gate === GATE_CONSTANT ? '1' : `[${INPUT_NAMES[unit.gate]}]`;
  return `h${index} = ${gate}·[${INPUT_NAMES[unit.value]}] → ${OUTPUT_NAMES[unit.out]} × ${unit.coeff}`;
}

/** One `b[NAME] = v` line per non-zero output bias. */
export function describeBias(bias: readonly number[]): string[] {
  const lines: string[] = [];
  for (let o = 0; o < OUTPUT_DIM; o++)
    if (bias[o] !== 0) lines.push(`b[${OUTPUT_NAMES[o]}] = ${bias[o]}`);
  return lines;
}

/** `none`, `direct mem[7]` or `stack_top mem[SP]`. */
export function describeRead(read: MemoryRead): string {
  if (read.mode === 'direct') return `direct mem[${read.addr}]`;
  if (read.mode === 'stack_top') return 'stack_top mem[SP]';
  return 'none';
}

export function describeControls(controls: Controls): string {
  return `controls: zero=${controls.zero} carry=${controls.carry} halts=${controls.halts}`;
}

export interface InstructionSource {
  /** 1-based source line (0 or absent when unknown, e.g. for a .tvmc). */
  readonly line?: number;
  /** The source text of that line, comment stripped. */
  readonly text?: string;
}

/** The lines of one instruction: header, read mode, units, non-zero biases, controls. */
export function describeInstruction(
  c: CompiledInstruction,
  index: number,
  source: InstructionSource = {},
): string[] {
  let header = `#${index} ${formatInstruction(c)}`;
  if (source.line !== undefined && source.line > 0)
    header += source.text ? `  ; line ${source.line}: ${source.text}` : `  ; line ${source.line}`;
  return [
    header,
    `  read: ${describeRead(c.read)}`,
    ...c.units.map((u, k) => `  ${describeUnit(u, k)}`),
    ...describeBias(c.bias).map((line) => `  ${line}`),
    `  ${describeControls(c.controls)}`,
  ];
}

/** Text before the earliest comment marker, trimmed (as the assembler reads a line). */
function codeOf(line: string): string {
  let end = line.length;
  for (const marker of [';', '#', '//']) {
    const at = line.indexOf(marker);
    if (at >= 0 && at < end) end = at;
  }
  return line.slice(0, end).trim();
}

export interface DescribeOptions {
  /** Shown in the header (the input file name). */
  readonly name?: string;
  /** The dense width to report; defaults to minFfDim. */
  readonly ffDim?: number;
  /** The `.tvm` source, to show each instruction's original line. */
  readonly sourceText?: string;
}

/** The whole program: a header, the memory directives, then every instruction with its labels. */
export function describeCompiled(
  compiled: CompiledProgram,
  options: DescribeOptions = {},
): string[] {
  const { program } = compiled;
  const sourceLines = options.sourceText?.split(/\r\n|\n|\r/);
  const ffDim = options.ffDim ?? compiled.minFfDim;
  const lines: string[] = [];
  if (options.name !== undefined) lines.push(`; ${options.name}`);
  lines.push(
    `; ${compiled.instructions.length} instructions, ff_dim ${ffDim} (widest instruction ${compiled.minFfDim} units), weights sha256 ${compiled.digest}`,
  );
  lines.push(`.memory ${program.memorySize}`);
  program.initialMemory.forEach((value, addr) => {
    if (value !== 0) lines.push(`.init ${addr} ${value}`);
  });
  const labelsAt = new Map<number, string[]>();
  for (const [name, index] of program.labels)
    labelsAt.set(index, [...(labelsAt.get(index) ?? []), name]);
  compiled.instructions.forEach((c, index) => {
    for (const name of labelsAt.get(index) ?? []) lines.push(`${name}:`);
    const line = program.sourceLines[index] ?? 0;
    const text =
      sourceLines !== undefined && line > 0 ? codeOf(sourceLines[line - 1] ?? '') : undefined;
    lines.push(...describeInstruction(c, index, { line, text }));
  });
  return lines;
}
