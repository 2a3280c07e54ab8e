/**
 * `run --verify` with a deliberately broken engine registered next to the real ones: the CLI
 * must stop at the first divergence with exit code 4 and report it (one line, or JSON).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Program } from '../../src/isa/program.js';
import { NativeMachine } from '../../src/runtime/native/interpreter.js';
import { Reg, type Engine } from '../../src/runtime/state.js';

vi.mock('../../src/runtime/engines.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/runtime/engines.js')>();
  const { Op } = await import('../../src/isa/opcodes.js');
  const MUL = Op.MUL;
  /** The reference interpreter, except that MUL 6 comes out one too high. */
  function broken(program: Program): Engine {
    const inner = new NativeMachine(program);
    const engine = Object.create(inner) as NativeMachine & { name: string };
    Object.defineProperty(engine, 'name', { value: 'broken' });
    engine.advance = (budget: number) => {
      let done = 0;
      while (done < budget) {
        const pc = inner.regs[Reg.PC];
        const instruction = program.instructions[pc];
        if (inner.advance(1) !== 1) break;
        if (instruction !== undefined && instruction.opcode === MUL && instruction.arg === 6)
          inner.regs[Reg.ACC] += 1;
        done++;
      }
      return done;
    };
    return engine;
  }
  return {
    ...original,
    ENGINE_NAMES: [...original.ENGINE_NAMES, 'broken'],
    createEngine: async (name: string, program: Program, options = {}) =>
      name === 'broken' ? broken(program) : original.createEngine(name, program, options),
  };
});

const { main } = await import('../../src/cli/main.js');

async function cli(...argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
  });
  return { code, stdout, stderr };
}

const dir = mkdtempSync(join(tmpdir(), 'tvm-trace-div-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('run --verify with a broken engine', () => {
  const program = new URL('../../programs/fibonacci.tvm', import.meta.url).pathname;

  it('agrees where the broken instruction is never executed', async () => {
    const result = await cli(
      'run',
      program,
      '--verify',
      '--engines',
      'native,ffn,broken',
      '--json',
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout[0]).engine).toBe('native+ffn+broken');
  });

  it('exits 4 at the first divergence with a one-line message', async () => {
    const path = join(dir, 'mul.tvm');
    writeFileSync(path, 'LOADI 7\nNOP\nMUL 6\nHALT\n');
    const human = await cli('run', path, '--verify', '--engines', 'native,ffn,broken');
    expect(human.code).toBe(4);
    expect(human.stdout).toEqual([]);
    expect(human.stderr).toEqual([
      `tvm-trace: ${path}: divergence at step 2 (pc 2: MUL 6): acc native=42 ffn=42 broken=43`,
    ]);
    const json = await cli('run', path, '--verify', '--engines', 'native,broken', '--json');
    expect(json.code).toBe(4);
    expect(JSON.parse(json.stdout[0])).toEqual({
      error: 'divergence',
      message: `${path}: divergence at step 2 (pc 2: MUL 6): acc native=42 broken=43`,
      step: 2,
      pc: 2,
      instruction: 'MUL 6',
      field: 'acc',
      values: { native: 42, broken: 43 },
    });
  });
});
