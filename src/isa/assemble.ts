/** The assembler: .tvm text to a Program, errors at their line. */
import { opcodeByMnemonic, type OpcodeSpec } from './opcodes.js';
import type { Instruction, Program } from './program.js';
import { DEFAULT_MEMORY, I16_MAX, I16_MIN, MAX_MEMORY, U8_LIMIT } from './words.js';

/** An assembly error at a 1-based source line; `message` names the offending token. */
export class AssemblyError extends Error {
  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
    this.name = 'AssemblyError';
  }

  /** The `FILE:LINE: message` form the CLI prints. */
  format(file: string): string {
    return `${file}:${this.line}: ${this.detail}`;
  }
}

const LABEL_LINE = /^([A-Za-z0-9_-]+)\s*:(.*)$/;
const DECIMAL = /^[+-]?[0-9]+$/;

/** Text before the earliest of `;`, `#`, `//`. */
function stripComment(line: string): string {
  let end = line.length;
  for (const marker of [';', '#', '//']) {
    const at = line.indexOf(marker);
    if (at >= 0 && at < end) end = at;
  }
  return line.slice(0, end);
}

/**
 * Whitespace-separated tokens of a trimmed, non-empty line, trailing commas removed.
 * A token that was only commas stays as an empty token (so `HALT ,` is an operand-count
 * error, as in the Rust reference).
 */
function operandTokens(text: string): string[] {
  return text.split(/\s+/).map((token) => token.replace(/,+$/, ''));
}

function parseDecimal(token: string): number | undefined {
  if (!DECIMAL.test(token)) return undefined;
  const value = Number(token);
  // `+ 0` turns -0 into 0, so `LOADI -0` and `.init 0 -0` hold a plain 0.
  return Number.isSafeInteger(value) ? value + 0 : Number.POSITIVE_INFINITY;
}

interface PendingTarget {
  index: number;
  token: string;
  line: number;
}

/** Assemble `.tvm` source text into a Program. Throws the first AssemblyError by line. */
export function assemble(source: string): Program {
  const instructions: Instruction[] = [];
  const sourceLines: number[] = [];
  const labels = new Map<string, number>();
  const labelLines = new Map<string, number>();
  const pending: PendingTarget[] = [];
  let memorySize = DEFAULT_MEMORY;
  let memory: number[] = new Array<number>(DEFAULT_MEMORY).fill(0);

  const lines = source.split(/\r\n|\n|\r/);
  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    let text = stripComment(lines[n]).trim();
    if (text.length === 0) continue;

    if (text.startsWith('.')) {
      const [name, ...args] = operandTokens(text);
      const directive = name.toLowerCase(); // directives are case-insensitive, like mnemonics
      if (directive === '.memory') {
        if (args.length !== 1)
          throw new AssemblyError(lineNo, `.memory expects 1 argument (cells), got ${args.length}`);
        const size = parseDecimal(args[0]);
        if (size === undefined)
          throw new AssemblyError(
            lineNo,
            `invalid memory size '${args[0]}' (expected a decimal 0..${MAX_MEMORY})`,
          );
        if (size > MAX_MEMORY)
          throw new AssemblyError(lineNo, `memory size '${args[0]}' over ${MAX_MEMORY}`);
        if (size < 0) throw new AssemblyError(lineNo, `memory size '${args[0]}' is negative`);
        memorySize = size;
        memory = new Array<number>(size).fill(0);
      } else if (directive === '.init') {
        if (args.length !== 2)
          throw new AssemblyError(
            lineNo,
            `.init expects 2 arguments (address value), got ${args.length}`,
          );
        const addr = parseDecimal(args[0]);
        if (addr === undefined)
          throw new AssemblyError(lineNo, `invalid .init address '${args[0]}'`);
        if (addr < 0 || addr >= memorySize)
          throw new AssemblyError(
            lineNo,
            `.init address '${args[0]}' out of range (memory has ${memorySize} cells)`,
          );
        const value = parseDecimal(args[1]);
        if (value === undefined)
          throw new AssemblyError(
            lineNo,
            `invalid .init value '${args[1]}' (expected a decimal ${I16_MIN}..${I16_MAX})`,
          );
        if (value < I16_MIN || value > I16_MAX)
          throw new AssemblyError(
            lineNo,
            `.init value '${args[1]}' out of range (${I16_MIN}..${I16_MAX})`,
          );
        memory[addr] = value;
      } else {
        throw new AssemblyError(lineNo, `bad directive '${name}' (expected .memory or .init)`);
      }
      continue;
    }

    const label = LABEL_LINE.exec(text);
    if (label) {
      const name = label[1];
      const first = labelLines.get(name);
      if (first !== undefined)
        throw new AssemblyError(
          lineNo,
          `duplicate label '${name}' (first defined on line ${first})`,
        );
      labels.set(name, instructions.length);
      labelLines.set(name, lineNo);
      text = label[2].trim();
      if (text.length === 0) continue;
    }

    const [mnemonic, ...operands] = operandTokens(text);
    const spec = opcodeByMnemonic(mnemonic);
    if (spec === undefined) throw new AssemblyError(lineNo, `unknown mnemonic '${mnemonic}'`);
    const arg = parseOperand(spec, operands, lineNo, instructions.length, pending);
    instructions.push({ opcode: spec.code, arg });
    sourceLines.push(lineNo);
  }

  const resolved = instructions.slice();
  for (const target of pending) {
    const index = labels.get(target.token);
    if (index === undefined) {
      const message = DECIMAL.test(target.token)
        ? `target out of range (0..${U8_LIMIT - 1}): '${target.token}'`
        : `unknown label '${target.token}'`;
      throw new AssemblyError(target.line, message);
    }
    resolved[target.index] = { opcode: resolved[target.index].opcode, arg: index % U8_LIMIT };
  }

  return { instructions: resolved, memorySize, initialMemory: memory, labels, sourceLines };
}

function parseOperand(
  spec: OpcodeSpec,
  operands: string[],
  line: number,
  index: number,
  pending: PendingTarget[],
): number {
  if (spec.operand === 'none') {
    if (operands.length !== 0)
      throw new AssemblyError(
        line,
        `${spec.mnemonic} takes no operand, got ${operands.length} ('${operands.join(' ')}')`,
      );
    return 0;
  }
  if (operands.length !== 1) {
    const got = operands.length === 0 ? 'none' : `${operands.length} ('${operands.join(' ')}')`;
    throw new AssemblyError(line, `${spec.mnemonic} takes 1 ${spec.operand} operand, got ${got}`);
  }
  const token = operands[0];
  const value = parseDecimal(token);
  switch (spec.operand) {
    case 'immediate':
      if (value === undefined)
        throw new AssemblyError(
          line,
          `invalid immediate '${token}' (expected a decimal ${I16_MIN}..${I16_MAX})`,
        );
      if (value < I16_MIN || value > I16_MAX)
        throw new AssemblyError(
          line,
          `immediate out of range (${I16_MIN}..${I16_MAX}): '${token}'`,
        );
      return value;
    case 'address':
      if (value === undefined)
        throw new AssemblyError(
          line,
          `invalid address '${token}' (expected a decimal 0..${U8_LIMIT - 1})`,
        );
      if (value < 0 || value >= U8_LIMIT)
        throw new AssemblyError(line, `address out of range (0..${U8_LIMIT - 1}): '${token}'`);
      return value;
    case 'target':
      // A target is a number 0..255 first, and only otherwise a label (SPEC §2).
      if (value !== undefined && value >= 0 && value < U8_LIMIT) return value;
      pending.push({ index, token, line });
      return 0;
  }
}
