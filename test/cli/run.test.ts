import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { fibonacciRunLines } from '../support/expectations.js';
import { MAX_PROGRAM_BYTES } from '../../src/cli/io.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
const file = (name: string, source: string): string => {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tvm-trace-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const FIB = 'programs/fibonacci.tvm';
const FIB_STATE = {
  program: FIB,
  engine: 'native',
  steps: 103,
  halted: true,
  pc: 15,
  acc: 21,
  sp: 5,
  zero_flag: false,
  carry_flag: false,
  memory: [13, 21, 21, 7, 7],
};

describe('tvm-trace run: output', () => {
  it('prints the final state, one field per line', async () => {
    const result = await cli('run', FIB);
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    expect(result.stdout.join('\n')).toBe(fibonacciRunLines('native').join('\n'));
  });

  it('--json prints exactly one JSON object with the state keys in order', async () => {
    const result = await cli('run', FIB, '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    expect(result.stdout).toHaveLength(1);
    const record = JSON.parse(result.stdout[0]);
    expect(Object.keys(record)).toEqual([
      'program',
      'engine',
      'steps',
      'halted',
      'pc',
      'acc',
      'sp',
      'zero_flag',
      'carry_flag',
      'memory',
    ]);
    expect(record).toEqual(FIB_STATE);
    expect(result.stdout[0]).toBe(JSON.stringify(FIB_STATE));
  });

  it('--engine native is the default and can be named', async () => {
    expect((await cli('run', FIB, '--engine', 'native', '--json')).stdout).toEqual([
      JSON.stringify(FIB_STATE),
    ]);
  });

  it('stopping at --max-steps is a normal end: exit 0, halted false', async () => {
    const loop = file('loop.tvm', 'loop: ADD 1\nJMP loop\n');
    const result = await cli('run', loop, '--max-steps', '5', '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    expect(JSON.parse(result.stdout[0])).toMatchObject({ steps: 5, halted: false, pc: 1, acc: 3 });
    expect(JSON.parse((await cli('run', loop, '--max-steps=7', '--json')).stdout[0])).toMatchObject(
      { steps: 7 },
    );
  });

  it('the default budget is 1,000,000 steps', async () => {
    const loop = file('loop-default.tvm', 'loop: JMP loop\n');
    const result = await cli('run', loop, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout[0])).toMatchObject({ steps: 1_000_000, halted: false });
  });

  it('--trace prints the state after every step, then the final state', async () => {
    const prog = file('trace.tvm', '.memory 2\nLOADI 3\nADD 4\nSTORE 1\nHALT\n');
    const result = await cli('run', prog, '--trace');
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    expect(result.stdout.join('\n').split('\n')).toEqual([
      'step 1: pc=1 acc=3 sp=2 zero=0 carry=0 halted=0 memory=[0, 0]',
      'step 2: pc=2 acc=7 sp=2 zero=0 carry=0 halted=0 memory=[0, 0]',
      'step 3: pc=3 acc=7 sp=2 zero=0 carry=0 halted=0 memory=[0, 7]',
      'step 4: pc=3 acc=7 sp=2 zero=0 carry=0 halted=1 memory=[0, 7]',
      `program: ${prog}`,
      'engine: native',
      'steps: 4',
      'halted: true',
      'pc: 3',
      'acc: 7',
      'sp: 2',
      'zero_flag: false',
      'carry_flag: false',
      'memory: [0, 7]',
    ]);
  });

  it('--trace --json prints JSON Lines: one object per step, then the final state', async () => {
    const prog = file('trace-json.tvm', '.memory 2\nLOADI 3\nADD 4\nSTORE 1\nHALT\n');
    const result = await cli('run', prog, '--trace', '--json');
    expect(result.code).toBe(0);
    expect(result.stdout).toEqual([
      '{"step":1,"halted":false,"pc":1,"acc":3,"sp":2,"zero_flag":false,"carry_flag":false,"memory":[0,0]}',
      '{"step":2,"halted":false,"pc":2,"acc":7,"sp":2,"zero_flag":false,"carry_flag":false,"memory":[0,0]}',
      '{"step":3,"halted":false,"pc":3,"acc":7,"sp":2,"zero_flag":false,"carry_flag":false,"memory":[0,7]}',
      '{"step":4,"halted":true,"pc":3,"acc":7,"sp":2,"zero_flag":false,"carry_flag":false,"memory":[0,7]}',
      JSON.stringify({
        program: prog,
        engine: 'native',
        steps: 4,
        halted: true,
        pc: 3,
        acc: 7,
        sp: 2,
        zero_flag: false,
        carry_flag: false,
        memory: [0, 7],
      }),
    ]);
  });

  it('--trace respects --max-steps', async () => {
    const loop = file('trace-loop.tvm', '.memory 0\nloop: ADD 1\nJMP loop\n');
    const result = await cli('run', loop, '--trace', '--json', '--max-steps', '3');
    expect(result.code).toBe(0);
    expect(result.stdout.map((line) => JSON.parse(line).step ?? JSON.parse(line).steps)).toEqual([
      1, 2, 3, 3,
    ]);
  });
});

describe('tvm-trace run: failures and exit codes', () => {
  it('assembly error: exit 2, FILE:LINE: message on stderr', async () => {
    const bad = file('bad.tvm', 'LOADI 1\n\nFROB 2\n');
    const result = await cli('run', bad);
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toEqual([`tvm-trace: ${bad}:3: unknown mnemonic 'FROB'`]);
  });

  it('assembly error with --json: one error object with message and line', async () => {
    const bad = file('bad-json.tvm', '.memory 4\n.init 9 1\n');
    const result = await cli('run', bad, '--json');
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([
      JSON.stringify({
        error: 'assembly_error',
        message: `${bad}:2: .init address '9' out of range (memory has 4 cells)`,
        line: 2,
      }),
    ]);
    expect(result.stderr).toEqual([
      `tvm-trace: ${bad}:2: .init address '9' out of range (memory has 4 cells)`,
    ]);
  });

  it('unreadable input: exit 2', async () => {
    const missing = join(dir, 'missing.tvm');
    const result = await cli('run', missing, '--json');
    expect(result.code).toBe(2);
    expect(result.stdout).toEqual([
      JSON.stringify({ error: 'io_error', message: `${missing}: cannot read: no such file` }),
    ]);
    expect((await cli('run', dir)).stderr).toEqual([
      `tvm-trace: ${dir}: cannot read: is a directory`,
    ]);
  });

  it('runtime fault: exit 3; the state so far on stdout, the fault on stderr', async () => {
    const result = await cli('run', 'programs/fault_stack_underflow.tvm');
    expect(result.code).toBe(3);
    expect(result.stdout.join('\n')).toBe(
      [
        'program: programs/fault_stack_underflow.tvm',
        'engine: native',
        'steps: 3',
        'halted: false',
        'pc: 3',
        'acc: 7',
        'sp: 4',
        'zero_flag: false',
        'carry_flag: false',
        'memory: [0, 0, 0, 7]',
      ].join('\n'),
    );
    expect(result.stderr).toEqual([
      'tvm-trace: stack underflow at step 3, pc 3: sp 4 with 4 memory cells',
    ]);
  });

  it('runtime fault with --json: one error object with step and pc', async () => {
    const result = await cli('run', 'programs/fault_memory_oob.tvm', '--json');
    expect(result.code).toBe(3);
    expect(result.stdout).toEqual([
      JSON.stringify({
        error: 'memory_out_of_bounds',
        message: 'memory out of bounds at step 3, pc 3: address 4 with 4 memory cells',
        step: 3,
        pc: 3,
      }),
    ]);
    expect(result.stderr).toEqual([
      'tvm-trace: memory out of bounds at step 3, pc 3: address 4 with 4 memory cells',
    ]);
  });

  it('runtime fault with --trace --json: the steps before it, then the error object', async () => {
    const result = await cli('run', 'programs/fault_bad_return.tvm', '--trace', '--json');
    expect(result.code).toBe(3);
    expect(result.stdout).toHaveLength(3);
    expect(JSON.parse(result.stdout[1])).toMatchObject({ step: 2, sp: 3, acc: 300 });
    expect(JSON.parse(result.stdout[2])).toEqual({
      error: 'bad_return_address',
      message: 'bad return address at step 2, pc 2: return address 300 outside 0..255',
      step: 2,
      pc: 2,
    });
  });

  it('--max-steps 0 prints the initial state (exit 0), as the Rust reference does; every engine, --trace prints no step', async () => {
    const initial = {
      program: FIB,
      engine: 'native',
      steps: 0,
      halted: false,
      pc: 0,
      acc: 0,
      sp: 5,
      zero_flag: true,
      carry_flag: false,
      memory: [0, 1, 0, 0, 7],
    };
    expect(await cli('run', FIB, '--max-steps', '0', '--json')).toEqual({
      code: 0,
      stdout: [JSON.stringify(initial)],
      stderr: [],
    });
    expect(
      await cli('run', FIB, '--max-steps', '0', '--engine', 'ffn', '--trace', '--json'),
    ).toEqual({ code: 0, stdout: [JSON.stringify({ ...initial, engine: 'ffn' })], stderr: [] });
    const verified = await cli(
      'run',
      FIB,
      '--max-steps',
      '0',
      '--verify',
      '--engines',
      'native,ffn',
      '--json',
    );
    expect(verified).toEqual({
      code: 0,
      stdout: [JSON.stringify({ ...initial, engine: 'native+ffn' })],
      stderr: [],
    });
    expect((await cli('run', FIB, '--max-steps', '0')).stdout).toEqual([
      [
        `program: ${FIB}`,
        'engine: native',
        'steps: 0',
        'halted: false',
        'pc: 0',
        'acc: 0',
        'sp: 5',
        'zero_flag: true',
        'carry_flag: false',
        'memory: [0, 1, 0, 0, 7]',
      ].join('\n'),
    ]);
  });

  it('a program file over 1 MiB (MAX_PROGRAM_BYTES) is refused, exit 2; 1 MiB of NOP lines runs', async () => {
    expect(MAX_PROGRAM_BYTES).toBe(1 << 20);
    const nops = 'NOP\n'.repeat(MAX_PROGRAM_BYTES / 4);
    const largest = file('largest.tvm', nops);
    expect(
      JSON.parse((await cli('run', largest, '--max-steps', '3', '--json')).stdout[0]),
    ).toMatchObject({ steps: 3, pc: 3 });
    const over = file('over.tvm', `${nops};`);
    expect(await cli('run', over)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${over}: larger than 1048576 bytes, the limit for a program`],
    });
    expect(await cli('run', over, '--json')).toEqual({
      code: 2,
      stdout: [
        JSON.stringify({
          error: 'too_large',
          message: `${over}: larger than 1048576 bytes, the limit for a program`,
        }),
      ],
      stderr: [`tvm-trace: ${over}: larger than 1048576 bytes, the limit for a program`],
    });
  });

  it('run /dev/zero: refused at the size limit (exit 2), not read forever', async () => {
    expect(await cli('run', '/dev/zero')).toEqual({
      code: 2,
      stdout: [],
      stderr: ['tvm-trace: /dev/zero: larger than 1048576 bytes, the limit for a program'],
    });
  });

  it('a missing program file is named; an empty name too', async () => {
    const missing = join(dir, 'missing.tvm');
    expect(await cli('run', missing)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${missing}: cannot read: no such file`],
    });
    expect(await cli('run', dir)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${dir}: cannot read: is a directory`],
    });
  });

  it('an empty program is a fault (pc out of bounds), not an assembly error', async () => {
    const empty = file('empty.tvm', '; nothing here\n');
    const result = await cli('run', empty, '--json');
    expect(result.code).toBe(3);
    expect(JSON.parse(result.stdout[0])).toMatchObject({
      error: 'pc_out_of_bounds',
      step: 0,
      pc: 0,
    });
  });

  it.each<[string, string[], string]>([
    ['unknown flag', ['run', FIB, '--bogus'], 'Unknown argument: bogus (see tvm-trace --help)'],
    [
      '--max-steps abc',
      ['run', FIB, '--max-steps', 'abc'],
      "--max-steps must be a non-negative integer, got 'abc' (see tvm-trace --help)",
    ],
    [
      '--max-steps -5',
      ['run', FIB, '--max-steps', '-5'],
      "--max-steps must be a non-negative integer, got '-5' (see tvm-trace --help)",
    ],
    [
      '--max-steps 1.5',
      ['run', FIB, '--max-steps', '1.5'],
      "--max-steps must be a non-negative integer, got '1.5' (see tvm-trace --help)",
    ],
    [
      '--max-steps without a value',
      ['run', FIB, '--max-steps'],
      'Not enough arguments following: max-steps (see tvm-trace --help)',
    ],
    ['missing program', ['run'], 'Missing required argument: program (see tvm-trace --help)'],
    ['extra positional', ['run', FIB, 'extra'], 'Unknown argument: extra (see tvm-trace --help)'],
    ['unknown command', ['frobnicate'], 'Unknown argument: frobnicate (see tvm-trace --help)'],
    ['no command', [], 'a command is required (see tvm-trace --help)'],
  ])('usage error: %s -> exit 64, nothing run', async (_name, argv, message) => {
    const result = await cli(...argv);
    expect(result.code).toBe(64);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toEqual([`tvm-trace: ${message}`]);
  });

  it('usage error: unknown engine -> exit 64, the choices listed', async () => {
    const result = await cli('run', FIB, '--engine', 'warp');
    expect(result.code).toBe(64);
    expect(result.stdout).toEqual([]);
    expect(result.stderr).toHaveLength(1);
    expect(result.stderr[0]).toMatch(
      /^tvm-trace: Invalid values: Argument: engine, Given: "warp", Choices: "native"(, "[a-z]+")* \(see tvm-trace --help\)$/,
    );
  });

  it('usage error with --json: one error object', async () => {
    const result = await cli('run', FIB, '--json', '--max-steps', 'x');
    expect(result.code).toBe(64);
    expect(result.stdout).toEqual([
      JSON.stringify({
        error: 'usage',
        message: "--max-steps must be a non-negative integer, got 'x' (see tvm-trace --help)",
      }),
    ]);
  });
});

describe('the built CLI as a process', () => {
  const CLI = join(ROOT, 'dist', 'cli', 'main.js');

  /** Newest modification time under src/, to tell whether dist/ is stale. */
  function newestSource(path: string): number {
    const stat = statSync(path);
    if (!stat.isDirectory()) return path.endsWith('.ts') ? stat.mtimeMs : 0;
    return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))));
  }

  beforeAll(() => {
    if (!existsSync(CLI) || statSync(CLI).mtimeMs < newestSource(join(ROOT, 'src'))) {
      // tsc still emits when other modules have type errors; the typecheck step of `npm test` reports those.
      spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'ignore' });
    }
    expect(existsSync(CLI)).toBe(true);
  }, 120_000);

  it('exits with the documented codes and never prints a stack trace', () => {
    const bad = file('spawn-bad.tvm', 'HALT 1\n');
    const cases: Array<[string[], number]> = [
      [['run', 'programs/fibonacci.tvm'], 0],
      [['run', 'programs/infinite_loop.tvm', '--max-steps', '10'], 0],
      [['run', bad], 2],
      [['run', 'programs/fault_stack_overflow.tvm', '--json'], 3],
      [['run', 'programs/fibonacci.tvm', '--max-steps', 'nope'], 64],
      [['bogus'], 64],
    ];
    for (const [args, code] of cases) {
      const child = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
      expect({ args, status: child.status }).toEqual({ args, status: code });
      const all = `${child.stdout}\n${child.stderr}`;
      expect(all).not.toMatch(/^\s+at /m);
      expect(all).not.toMatch(/Error:|node:internal/);
      if (code !== 0) expect(child.stderr).toMatch(/^tvm-trace: /);
    }
    const ok = spawnSync(process.execPath, [CLI, 'run', 'programs/fibonacci.tvm', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(ok.stdout).toBe(`${JSON.stringify({ ...FIB_STATE })}\n`);
    expect(ok.stderr).toBe('');
  });

  it('an interrupted export (SIGINT) exits 130, keeps the existing file and leaves no temporary file', async () => {
    const target = join(dir, 'interrupted.arrow');
    writeFileSync(target, "the user's file");
    const child = spawn(
      process.execPath,
      [CLI, 'export', 'programs/long_loop.tvm', '-o', target, '--max-steps', '20000000'],
      { cwd: ROOT },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    // Interrupt once the export has started writing batches (its temporary file exists).
    const started = Date.now();
    while (
      !readdirSync(dir).some((name) => name.endsWith('.partial')) &&
      Date.now() - started < 30_000
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(130);
    expect(stderr).toBe(`tvm-trace: export interrupted; ${target} was not written\n`);
    expect(readFileSync(target, 'utf8')).toBe("the user's file");
    expect(readdirSync(dir).filter((name) => name.includes('interrupted.arrow'))).toEqual([
      'interrupted.arrow',
    ]);
  }, 60_000);

  it('run - reads the program from standard input (up to the same 1 MiB limit); errors name it', () => {
    const run = (input: string | Buffer, ...args: string[]) =>
      spawnSync(process.execPath, [CLI, 'run', '-', ...args], {
        cwd: ROOT,
        input,
        encoding: 'utf8',
      });
    const ok = run('HALT\n', '--json');
    expect([ok.status, ok.stdout, ok.stderr]).toEqual([
      0,
      `${JSON.stringify({ program: '-', engine: 'native', steps: 1, halted: true, pc: 0, acc: 0, sp: 16, zero_flag: true, carry_flag: false, memory: new Array(16).fill(0) })}\n`,
      '',
    ]);
    const bad = run('BOGUS\n');
    expect([bad.status, bad.stdout, bad.stderr]).toEqual([
      2,
      '',
      "tvm-trace: -:1: unknown mnemonic 'BOGUS'\n",
    ]);
    const large = run(Buffer.alloc(MAX_PROGRAM_BYTES + 1, 0x20));
    expect([large.status, large.stdout, large.stderr]).toEqual([
      2,
      '',
      'tvm-trace: - (standard input): larger than 1048576 bytes, the limit for a program\n',
    ]);
  });

  it('a SIGINT at any moment of an export, the first milliseconds too, leaves nothing: killed before its handler, or exit 130', async () => {
    const outcomes = new Set<string>();
    for (const delay of [0, 25, 50, 100, 150, 200, 300, 500]) {
      const directory = mkdtempSync(join(dir, 'early-'));
      const target = join(directory, 'early.arrow');
      const claim = join(directory, 'early.claim');
      const child = spawn(
        process.execPath,
        [
          CLI,
          'export',
          'programs/long_loop.tvm',
          '-o',
          target,
          '--claim',
          claim,
          '--max-steps',
          '20000000',
        ],
        { cwd: ROOT },
      );
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += String(chunk)));
      const exit = new Promise<[number | null, string | null]>((resolve) =>
        child.on('exit', (code, signal) => resolve([code, signal])),
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.kill('SIGINT');
      const [code, signal] = await exit;
      if (signal !== null) {
        expect({ delay, signal, stderr }).toEqual({ delay, signal: 'SIGINT', stderr: '' });
        outcomes.add('killed');
      } else {
        expect({ delay, code, stderr }).toEqual({
          delay,
          code: 130,
          stderr: `tvm-trace: export interrupted; ${target} was not written\n`,
        });
        outcomes.add('130');
      }
      expect({ delay, left: readdirSync(directory) }).toEqual({ delay, left: [] });
    }
    expect(outcomes.size).toBeGreaterThan(0);
  }, 120_000);
});
