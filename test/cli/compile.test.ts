import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { decodeArtifact, encodeArtifact } from '../../src/compiler/artifact.js';
import { assemble } from '../../src/isa/assemble.js';
import type { Program } from '../../src/isa/program.js';
import { FfnMachine } from '../../src/runtime/ffn/engine.js';
import type { Fault } from '../../src/runtime/fault.js';
import { lockstep } from '../../src/runtime/lockstep.js';
import { NativeMachine } from '../../src/runtime/native/interpreter.js';
import { Reg, type Engine, type MachineSnapshot } from '../../src/runtime/state.js';

let dir: string;
const path = (name: string) => join(dir, name);
const file = (name: string, content: string | Uint8Array): string => {
  writeFileSync(path(name), content);
  return path(name);
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tvm-trace-compile-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const FIB = 'programs/fibonacci.tvm';
const FIB_DIGEST = 'e64030c7eb5b389a3664df7338866aff9fc90d8d464ce3044371aad5f69b6a76';

const SMALL = `; a small program
.memory 3
.init 0 5
start: LOADI -1   ; comment
  PUSH
  JZ start
  HALT
`;
const SMALL_DIGEST = 'fa077b26ad50c71f3722918dd18af7d6dd376e708aa97536f2f0a30077ed9fc5';

describe('tvm-trace compile', () => {
  it('-o writes a .tvmc that decodes to the compiled program, and reports it', async () => {
    const out = path('fib.tvmc');
    const result = await cli('compile', FIB, '-o', out);
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    const bytes = readFileSync(out);
    expect(result.stdout).toEqual([
      `wrote ${out} (16 instructions, ff_dim 5, ${bytes.length} bytes, weights sha256 ${FIB_DIGEST})`,
    ]);
    const artifact = decodeArtifact(bytes, out);
    expect(artifact.ffDim).toBe(5);
    expect(artifact.weightsDigest).toBe(FIB_DIGEST);
    // No temporary files are left behind by the atomic write.
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('is byte-deterministic, also when recompiling its own output', async () => {
    await cli('compile', FIB, '-o', path('a.tvmc'));
    await cli('compile', FIB, '--output', path('b.tvmc'));
    await cli('compile', path('a.tvmc'), '-o', path('c.tvmc'));
    const a = readFileSync(path('a.tvmc'));
    expect(readFileSync(path('b.tvmc')).equals(a)).toBe(true);
    expect(readFileSync(path('c.tvmc')).equals(a)).toBe(true);
  });

  it('--ff-dim sets the dense width; --json reports as JSON', async () => {
    const out = path('wide.tvmc');
    const result = await cli('compile', FIB, '-o', out, '--ff-dim', '64', '--json');
    expect(result.code).toBe(0);
    const bytes = readFileSync(out);
    expect(JSON.parse(result.stdout[0])).toEqual({
      output: out,
      instructions: 16,
      ff_dim: 64,
      bytes: bytes.length,
      weights_digest: FIB_DIGEST,
    });
    expect(decodeArtifact(bytes).ffDim).toBe(64);
  });

  it('--print shows every instruction with its read mode, units, non-zero biases and controls', async () => {
    const source = file('small.tvm', SMALL);
    const result = await cli('compile', source, '--print');
    expect(result.code).toBe(0);
    expect(result.stdout).toEqual([
      `; ${source}`,
      `; 4 instructions, ff_dim 5 (widest instruction 5 units), weights sha256 ${SMALL_DIGEST}`,
      '.memory 3',
      '.init 0 5',
      'start:',
      '#0 LOADI -1  ; line 4: start: LOADI -1',
      '  read: none',
      '  h0 = 1·[SP] → NEXT_SP × 1',
      '  h1 = 1·[PC+1] → NEXT_PC × 1',
      '  b[RAW_ACC] = -1',
      '  controls: zero=result carry=clear halts=false',
      '#1 PUSH  ; line 5: PUSH',
      '  read: none',
      '  h0 = 1·[PC+1] → NEXT_PC × 1',
      '  h1 = 1·[ACC] → RAW_ACC × 1',
      '  h2 = 1·[SP] → NEXT_SP × 1',
      '  h3 = 1·[SP] → WRITE_ADDR × 1',
      '  h4 = 1·[ACC] → WRITE_VALUE × 1',
      '  b[NEXT_SP] = -1',
      '  b[WRITE_ENABLE] = 1',
      '  b[WRITE_ADDR] = -1',
      '  controls: zero=keep carry=keep halts=false',
      '#2 JZ 0  ; line 6: JZ start',
      '  read: none',
      '  h0 = 1·[SP] → NEXT_SP × 1',
      '  h1 = 1·[PC+1] → NEXT_PC × 1',
      '  h2 = 1·[ZERO] → NEXT_PC × 0',
      '  h3 = [ZERO]·[PC+1] → NEXT_PC × -1',
      '  h4 = 1·[ACC] → RAW_ACC × 1',
      '  controls: zero=keep carry=keep halts=false',
      '#3 HALT  ; line 7: HALT',
      '  read: none',
      '  h0 = 1·[SP] → NEXT_SP × 1',
      '  h1 = 1·[PC] → NEXT_PC × 1',
      '  h2 = 1·[ACC] → RAW_ACC × 1',
      '  controls: zero=keep carry=keep halts=true',
    ]);
  });

  it('--print shows memory reads; a .tvmc prints without source lines', async () => {
    const source = file('reads.tvm', '.memory 4\nLOAD 2\nPOP\nRET\nHALT\n');
    const text = (await cli('compile', source, '--print')).stdout;
    expect(text).toContain('#0 LOAD 2  ; line 2: LOAD 2');
    expect(text).toContain('  read: direct mem[2]');
    expect(text).toContain('  read: stack_top mem[SP]');
    expect(text).toContain('  h0 = 1·[OPERAND] → NEXT_PC × 1');
    await cli('compile', source, '-o', path('reads.tvmc'));
    const fromArtifact = (await cli('compile', path('reads.tvmc'), '--print')).stdout;
    expect(fromArtifact).toContain('#0 LOAD 2');
    expect(fromArtifact.slice(2)).toEqual(
      text.slice(2).map((line) => line.replace(/ {2}; line \d+: .*$/, '')),
    );
  });

  it('--print --json prints the artifact document', async () => {
    const result = await cli('compile', FIB, '--print', '--json');
    expect(result.code).toBe(0);
    const document = JSON.parse(result.stdout.join('\n'));
    expect(document.schema).toBe('tvm-trace/compiled-program/v1');
    expect(document.weights_digest).toBe(FIB_DIGEST);
    expect(document.instructions).toHaveLength(16);
  });

  describe('errors', () => {
    it('needs -o or --print (usage, 64)', async () => {
      const result = await cli('compile', FIB);
      expect(result.code).toBe(64);
      expect(result.stderr).toEqual([
        'tvm-trace: compile needs -o FILE (write a .tvmc) or --print (see tvm-trace --help)',
      ]);
    });

    it('rejects an ff_dim narrower than the widest instruction, or not a positive integer (64)', async () => {
      const narrow = await cli('compile', FIB, '-o', path('x.tvmc'), '--ff-dim', '4');
      expect(narrow.code).toBe(64);
      expect(narrow.stderr).toEqual([
        `tvm-trace: --ff-dim 4 is narrower than the widest instruction of ${FIB} (5 units)`,
      ]);
      for (const bad of ['0', '-3', 'x', '2.5']) {
        const result = await cli('compile', FIB, '--print', '--ff-dim', bad);
        expect(result.code, bad).toBe(64);
        expect(result.stderr[0]).toContain('--ff-dim must be a positive integer');
      }
      expect(readdirSync(dir)).not.toContain('x.tvmc');
    });

    it('reports assembly errors and missing files with exit code 2', async () => {
      const bad = file('bad.tvm', 'LOADI 1\nFROB 2\n');
      const asm = await cli('compile', bad, '-o', path('bad.tvmc'));
      expect(asm.code).toBe(2);
      expect(asm.stderr).toEqual([`tvm-trace: ${bad}:2: unknown mnemonic 'FROB'`]);
      const missing = await cli('compile', path('nope.tvm'), '--print', '--json');
      expect(missing.code).toBe(2);
      expect(JSON.parse(missing.stdout[0])).toEqual({
        error: 'io_error',
        message: `${path('nope.tvm')}: cannot read: no such file`,
      });
    });

    it('rejects a tampered .tvmc with exit code 2, for compile and for run', async () => {
      await cli('compile', FIB, '-o', path('good.tvmc'));
      const bytes = readFileSync(path('good.tvmc'));
      const at = bytes.indexOf(FIB_DIGEST);
      const tampered = Buffer.from(bytes);
      tampered[at] = tampered[at] === 0x61 ? 0x62 : 0x61;
      const stored = tampered.subarray(at, at + 64).toString('ascii');
      const bad = file('tampered.tvmc', tampered);
      const message = `${bad}: weights digest mismatch (stored ${stored}, computed ${FIB_DIGEST})`;
      for (const argv of [
        ['compile', bad, '--print'],
        ['run', bad],
      ]) {
        const result = await cli(...argv);
        expect(result.code, argv[0]).toBe(2);
        expect(result.stderr).toEqual([`tvm-trace: ${message}`]);
      }
      const json = await cli('run', bad, '--json');
      expect(JSON.parse(json.stdout[0])).toEqual({ error: 'bad_artifact', message });
      const truncated = file('truncated.tvmc', bytes.subarray(0, 40));
      expect((await cli('run', truncated)).stderr).toEqual([
        `tvm-trace: ${truncated}: not a .tvmc file: msgpack data ends early (truncated?)`,
      ]);
    });
  });
});

describe('tvm-trace run with a .tvmc and --verify', () => {
  it('runs a .tvmc like its source', async () => {
    await cli('compile', FIB, '-o', path('run.tvmc'));
    const fromSource = JSON.parse((await cli('run', FIB, '--json', '--engine', 'ffn')).stdout[0]);
    const fromArtifact = JSON.parse(
      (await cli('run', path('run.tvmc'), '--json', '--engine', 'ffn')).stdout[0],
    );
    expect({ ...fromArtifact, program: FIB }).toEqual(fromSource);
  });

  it('--verify: the engines agree, the output names them all', async () => {
    const result = await cli('run', FIB, '--verify', '--engines', 'native,ffn', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout[0])).toEqual({
      program: FIB,
      engine: 'native+ffn',
      steps: 103,
      halted: true,
      pc: 15,
      acc: 21,
      sp: 5,
      zero_flag: false,
      carry_flag: false,
      memory: [13, 21, 21, 7, 7],
    });
    const all = await cli('run', 'programs/factorial_recursive.tvm', '--verify');
    expect(all.code).toBe(0);
    const lines = all.stdout.join('\n').split('\n');
    expect(lines[0]).toBe('program: programs/factorial_recursive.tvm');
    expect(lines[1]).toMatch(/^engine: native\+ffn(\+\S+)*$/);
    expect(lines).toContain('acc: 120');
  });

  it('--verify: an agreed fault is a fault (exit 3), --trace prints every agreed step', async () => {
    const fault = await cli(
      'run',
      'programs/fault_stack_overflow.tvm',
      '--verify',
      '--engines',
      'native,ffn',
    );
    expect(fault.code).toBe(3);
    expect(fault.stdout.join('\n').split('\n')[1]).toBe('engine: native+ffn');
    expect(fault.stderr).toEqual([
      expect.stringMatching(/^tvm-trace: stack overflow at step \d+, pc \d+: sp is 0$/),
    ]);
    const traced = await cli(
      'run',
      FIB,
      '--verify',
      '--engines',
      'ffn,native',
      '--trace',
      '--json',
    );
    expect(traced.stdout).toHaveLength(104);
    expect(JSON.parse(traced.stdout[102])).toMatchObject({ step: 103, halted: true, acc: 21 });
    expect(JSON.parse(traced.stdout[103]).engine).toBe('ffn+native');
  });

  it('--engines is checked', async () => {
    expect((await cli('run', FIB, '--verify', '--engines', 'native,warp')).stderr[0]).toMatch(
      /--engines: unknown engine 'warp'/,
    );
    expect((await cli('run', FIB, '--verify', '--engines', 'native')).code).toBe(64);
    expect((await cli('run', FIB, '--engines', 'native,ffn')).stderr).toEqual([
      'tvm-trace: --engines applies only with --verify',
    ]);
  });
});

/** An engine that runs the reference interpreter but corrupts its state after a given step. */
class BrokenEngine implements Engine {
  readonly name = 'broken';
  private readonly inner: NativeMachine;
  constructor(
    program: Program,
    private readonly atStep: number,
    private readonly corrupt: (engine: NativeMachine) => void,
  ) {
    this.inner = new NativeMachine(program);
  }
  get regs(): Int32Array {
    return this.inner.regs;
  }
  get memory(): Int32Array {
    return this.inner.memory;
  }
  get steps(): number {
    return this.inner.steps;
  }
  get fault(): Fault | null {
    return this.inner.fault;
  }
  get stopped(): boolean {
    return this.inner.stopped;
  }
  advance(budget: number): number {
    let done = 0;
    while (done < budget && this.inner.advance(1) === 1) {
      done++;
      if (this.inner.steps === this.atStep + 1) this.corrupt(this.inner);
    }
    return done;
  }
  snapshot(): MachineSnapshot {
    return this.inner.snapshot();
  }
}

describe('lockstep', () => {
  const fib = assemble(readFileSync(FIB, 'utf8'));

  it('agrees on a correct pair and stops at halt', () => {
    const result = lockstep(fib, [new NativeMachine(fib), FfnMachine.fromProgram(fib)], 1000);
    expect(result.divergence).toBeNull();
    expect(result.steps).toBe(103);
    expect(result.snapshot.acc).toBe(21);
    const capped = lockstep(fib, [new NativeMachine(fib), FfnMachine.fromProgram(fib)], 50);
    expect([capped.steps, capped.snapshot.steps, capped.divergence]).toEqual([50, 50, null]);
  });

  it('reports the first diverging step, its pc and instruction, the field and every value', () => {
    // Step 17 executes pc 3 (LOAD 0) on the second loop iteration.
    const broken = new BrokenEngine(fib, 17, (m) => (m.regs[Reg.ACC] += 1));
    const native = new NativeMachine(fib);
    const result = lockstep(fib, [native, FfnMachine.fromProgram(fib), broken], 1000);
    expect(result.steps).toBe(17);
    expect(result.divergence).toEqual({
      step: 17,
      pc: 3,
      instruction: 'LOAD 0',
      field: 'acc',
      values: { native: 1, ffn: 1, broken: 2 },
      message: 'divergence at step 17 (pc 3: LOAD 0): acc native=1 ffn=1 broken=2',
    });
  });

  it('names memory cells, flags and faults', () => {
    const memory = lockstep(
      fib,
      [new NativeMachine(fib), new BrokenEngine(fib, 5, (m) => (m.memory[4] = 9))],
      1000,
    );
    expect(memory.divergence?.message).toBe(
      'divergence at step 5 (pc 5: STORE 2): memory[4] native=7 broken=9',
    );
    const flag = lockstep(
      fib,
      [new BrokenEngine(fib, 0, (m) => (m.regs[Reg.CARRY] = 1)), new NativeMachine(fib)],
      1000,
    );
    expect(flag.divergence).toMatchObject({
      field: 'carry_flag',
      values: { broken: true, native: false },
    });
    const fault = lockstep(
      fib,
      [
        new NativeMachine(fib),
        new BrokenEngine(fib, 9, (m) => {
          m.fault = { kind: 'stack_overflow', step: 10, pc: 10, message: 'forced' };
        }),
      ],
      1000,
    );
    expect(fault.divergence?.message).toBe(
      'divergence at step 9 (pc 9: STORE 1): fault native=none broken=stack_overflow',
    );
    // Two engines of the same name are told apart by index.
    const twins = lockstep(
      fib,
      [
        new NativeMachine(fib),
        new NativeMachine(fib),
        new BrokenEngine(fib, 0, (m) => (m.regs[Reg.SP] = 0)),
      ],
      10,
    );
    expect(twins.divergence?.values).toEqual({ 'native#0': 5, 'native#1': 5, broken: 0 });
  });

  it('compares the initial state', () => {
    const other = new NativeMachine(fib);
    other.memory[0] = 1;
    const result = lockstep(fib, [new NativeMachine(fib), other], 1000);
    expect(result.divergence?.message).toBe(
      'divergence in the initial state: memory[0] native#0=0 native#1=1',
    );
    expect(result.steps).toBe(0);
  });

  it('verifies a million steps in a few seconds', () => {
    const loop = assemble(
      '.memory 4\nloop: LOAD 0\nADD 1\nSTORE 0\nLOAD 2\nADDM 1\nSTORE 2\nPUSH\nPOP\nJMP loop\n',
    );
    const started = performance.now();
    const result = lockstep(
      loop,
      [new NativeMachine(loop), FfnMachine.fromProgram(loop)],
      1_000_000,
    );
    expect(result.divergence).toBeNull();
    expect(result.steps).toBe(1_000_000);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('encodeArtifact/decodeArtifact via files', () => {
  it('a .tvmc written by hand from the API runs', async () => {
    const { compileProgram } = await import('../../src/compiler/compile.js');
    const { artifactFromCompiled } = await import('../../src/compiler/artifact.js');
    const program = assemble('LOADI 7\nMUL 6\nHALT\n');
    const artifactPath = file(
      'api.tvmc',
      encodeArtifact(artifactFromCompiled(compileProgram(program))),
    );
    const result = await cli('run', artifactPath, '--json', '--engine', 'ffn');
    expect(JSON.parse(result.stdout[0])).toMatchObject({ acc: 42, halted: true, steps: 3 });
  });
});
