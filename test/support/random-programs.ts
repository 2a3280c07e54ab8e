/**
 * Seeded random programs for differential testing (native vs FFN vs …). Every program is a
 * valid assembler output (operands in their ranges) that exercises every instruction, loops
 * (backward jumps), calls and returns, memory traffic and every kind of fault: stack overflow
 * and underflow (small memories), pc out of bounds (targets past the end, falling off the
 * end), memory out of bounds (addresses ≥ N) and bad return addresses (RET to a pushed value).
 */
import { OPCODES } from '../../src/isa/opcodes.js';
import type { Instruction, Program } from '../../src/isa/program.js';

/** mulberry32: a small, fast, seedable PRNG with 32-bit state. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Random {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/** Values where arithmetic and bitwise edge cases live. */
export const INTERESTING_I16 = [
  -32768, -32767, -21846, -256, -255, -2, -1, 0, 1, 2, 3, 7, 15, 16, 255, 256, 4096, 21845, 32766,
  32767,
] as const;

export interface RandomProgramOptions {
  maxLength?: number;
}

function randomI16(r: Random): number {
  if (r.chance(0.5)) return r.pick(INTERESTING_I16);
  if (r.chance(0.5)) return r.int(-20, 20);
  return r.int(-32768, 32767);
}

/** A random valid program and a step budget to run it with. */
export function randomProgram(
  r: Random,
  options: RandomProgramOptions = {},
): { program: Program; maxSteps: number } {
  const memorySize = r.pick([0, 1, 2, 3, 4, 6, 8, 8, 12, 16, 16, 32, 255]);
  const length = r.int(1, options.maxLength ?? 40);
  const instructions: Instruction[] = [];
  for (let i = 0; i < length; i++) {
    // HALT rarely, so programs run a while; everything else uniformly.
    let spec = r.pick(OPCODES);
    if (spec.mnemonic === 'HALT' && r.chance(0.6)) spec = r.pick(OPCODES);
    let arg = 0;
    switch (spec.operand) {
      case 'immediate':
        arg = randomI16(r);
        break;
      case 'address':
        arg = memorySize > 0 && r.chance(0.95) ? r.int(0, memorySize - 1) : r.int(memorySize, 255);
        break;
      case 'target':
        arg = r.chance(0.95) ? r.int(0, length - 1) : r.int(length, 255);
        break;
      default:
        break;
    }
    instructions.push({ opcode: spec.code, arg });
  }
  // Cells hold small values (valid return addresses, loop counters) or edge values.
  const initialMemory = Array.from({ length: memorySize }, () =>
    r.chance(0.5) ? r.int(0, Math.max(0, length)) : randomI16(r),
  );
  const program: Program = {
    instructions,
    memorySize,
    initialMemory,
    labels: new Map(),
    sourceLines: instructions.map((_, i) => i + 1),
  };
  return { program, maxSteps: r.pick([1, 10, 100, 300, 1000]) };
}
