/**
 * One step of every instruction from a grid of constructed states, through the FFN engine
 * (compiled weights) and the reference interpreter: registers, memory, step count and fault
 * must be identical. States are set directly on the engines' public register file and memory.
 */
import { describe, expect, it } from 'vitest';
import { OPCODES, type OpcodeSpec } from '../../src/isa/opcodes.js';
import type { Instruction, Program } from '../../src/isa/program.js';
import { FfnMachine } from '../../src/runtime/ffn/engine.js';
import type { Fault } from '../../src/runtime/fault.js';
import { NativeMachine } from '../../src/runtime/native/interpreter.js';
import { Reg } from '../../src/runtime/state.js';

/** acc and operand values (SPEC edge cases plus alternating bit patterns 0x5555 / 0xAAAA). */
const VALUES = [-32768, -32767, -21846, -256, -1, 0, 1, 2, 255, 256, 21845, 32766, 32767];
/** Immediates: edge values and bit patterns (0x00FF, 0xFF00, 0x0F0F, 0x7F00, 0x8001, 0x5555, 0xAAAA). */
const IMMEDIATES = [
  -32768, -32767, -21846, -256, -255, -2, -1, 0, 1, 2, 3, 255, 256, 3855, 21845, 32512, 32766,
  32767,
];

interface MemoryConfig {
  size: number;
  sps: number[];
  addresses: number[];
  targets: number[];
}

const CONFIGS: MemoryConfig[] = [
  {
    size: 16,
    sps: [0, 1, 8, 15, 16],
    addresses: [0, 1, 7, 15, 16, 200, 255],
    targets: [0, 1, 2, 128, 254, 255],
  },
  { size: 255, sps: [0, 1, 254, 255], addresses: [0, 254], targets: [0, 255] },
  { size: 0, sps: [0], addresses: [0, 255], targets: [0] },
];

function argsFor(spec: OpcodeSpec, config: MemoryConfig): number[] {
  if (spec.operand === 'immediate') return IMMEDIATES;
  if (spec.operand === 'address') return config.addresses;
  if (spec.operand === 'target') return config.targets;
  return [0];
}

/** 256 instructions: the one under test at index 0 and 255 (so PC+1 wraps), NOPs between. */
function programWith(instruction: Instruction, size: number): Program {
  const instructions: Instruction[] = Array.from({ length: 256 }, () => ({ opcode: 0, arg: 0 }));
  instructions[0] = instruction;
  instructions[255] = instruction;
  return {
    instructions,
    memorySize: size,
    initialMemory: new Array(size).fill(0),
    labels: new Map(),
    sourceLines: instructions.map((_, i) => i + 1),
  };
}

type Settable = {
  regs: Int32Array;
  memory: Int32Array;
  steps: number;
  fault: Fault | null;
  advance(n: number): number;
};

function setState(engine: Settable, regs: readonly number[], memory: Int32Array): void {
  engine.regs.set(regs);
  engine.memory.set(memory);
  engine.steps = 0;
  engine.fault = null;
}

function sameOutcome(a: Settable, b: Settable): string | null {
  for (let i = 0; i < a.regs.length; i++)
    if (a.regs[i] !== b.regs[i]) return `reg ${i}: ${a.regs[i]} vs ${b.regs[i]}`;
  for (let i = 0; i < a.memory.length; i++)
    if (a.memory[i] !== b.memory[i]) return `memory[${i}]: ${a.memory[i]} vs ${b.memory[i]}`;
  if (a.steps !== b.steps) return `steps: ${a.steps} vs ${b.steps}`;
  if ((a.fault?.message ?? null) !== (b.fault?.message ?? null))
    return `fault: ${a.fault?.message} vs ${b.fault?.message}`;
  return null;
}

describe('one step from a grid of states: ffn equals native for every instruction', () => {
  it.each(OPCODES.map((spec) => [spec.mnemonic, spec] as const))('%s', (_, spec) => {
    let cases = 0;
    const failures: string[] = [];
    const faults = new Set<string>();
    for (const config of CONFIGS) {
      // A fixed, distinct background pattern in memory, so writes to the wrong cell show.
      const background = Int32Array.from(
        { length: config.size },
        (_, i) => (((i * 7919 + 12345) % 65536) - 32768) | 0,
      );
      const memory = new Int32Array(config.size);
      for (const arg of argsFor(spec, config)) {
        const program = programWith({ opcode: spec.code, arg }, config.size);
        const native = new NativeMachine(program) as unknown as Settable;
        const ffn = FfnMachine.fromProgram(program) as unknown as Settable;
        // The operand only matters when the instruction reads memory.
        const operands = spec.read === 'none' ? [VALUES[0], 12345] : VALUES;
        for (const pc of [0, 255]) {
          for (const sp of config.sps) {
            for (const operand of operands) {
              memory.set(background);
              if (spec.read === 'direct' && arg < config.size) memory[arg] = operand;
              if (spec.read === 'stack_top' && sp < config.size) memory[sp] = operand;
              if (spec.read === 'none' && config.size > 0)
                memory[(sp + arg) % config.size] = operand;
              for (const acc of VALUES) {
                for (let flags = 0; flags < 4; flags++) {
                  const regs = [0, 0, 0, 0, 0, 0];
                  regs[Reg.PC] = pc;
                  regs[Reg.ACC] = acc;
                  regs[Reg.SP] = sp;
                  regs[Reg.ZERO] = flags & 1;
                  regs[Reg.CARRY] = flags >> 1;
                  regs[Reg.HALTED] = 0;
                  setState(native, regs, memory);
                  setState(ffn, regs, memory);
                  native.advance(1);
                  ffn.advance(1);
                  cases++;
                  if (native.fault !== null) faults.add(native.fault.kind);
                  const difference = sameOutcome(native, ffn);
                  if (difference !== null && failures.length < 10) {
                    failures.push(
                      `${spec.mnemonic} ${arg} N=${config.size} pc=${pc} sp=${sp} acc=${acc} operand=${operand} flags=${flags}: ${difference}`,
                    );
                  }
                }
              }
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(cases).toBeGreaterThan(300);
    // The grid reaches the faults the instruction can raise.
    if (spec.stack === 'push') expect(faults).toContain('stack_overflow');
    if (spec.stack === 'pop') expect(faults).toContain('stack_underflow');
    if (spec.read === 'direct' || spec.mnemonic === 'STORE')
      expect(faults).toContain('memory_out_of_bounds');
    if (spec.mnemonic === 'RET') expect(faults).toContain('bad_return_address');
  });

  it('the step result is what SPEC §3 says for a few hand-checked states', () => {
    // A spot check that the grid compares meaningful states (the engines are not trivially equal).
    const program = programWith(
      { opcode: OPCODES.find((s) => s.mnemonic === 'CMPM')!.code, arg: 3 },
      16,
    );
    const ffn = FfnMachine.fromProgram(program) as unknown as Settable;
    const memory = new Int32Array(16);
    memory[3] = 1;
    setState(ffn, [255, -32768, 16, 1, 0, 0], memory);
    ffn.advance(1);
    // acc = wrap(-32768 - 1) = 32767, zero false, carry = (-32768 < 1) true, pc wraps to 0.
    expect(Array.from(ffn.regs)).toEqual([0, 32767, 16, 0, 1, 0]);
  });
});
