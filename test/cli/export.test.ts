/**
 * `tvm-trace export`: exact output and exit codes.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { compileProgram } from '../../src/compiler/compile.js';
import { assemble } from '../../src/isa/assemble.js';

let dir: string;
const path = (name: string) => join(dir, name);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tvm-trace-export-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const FIB = 'programs/fibonacci.tvm';
const FIB_DIGEST = compileProgram(assemble(readFileSync(FIB, 'utf8'))).digest;
const perRow = (bytes: number, rows: number) =>
  rows === 0 ? 0 : Math.round((bytes / rows) * 10) / 10;

describe('tvm-trace export: success', () => {
  it('prints what it wrote, the claim and the fields', async () => {
    const out = path('fib.arrow');
    const result = await cli('export', FIB, '-o', out);
    const bytes = statSync(out).size;
    expect(result).toEqual({
      code: 0,
      stdout: [
        `wrote ${out}: 103 rows, ${bytes} bytes (${perRow(bytes, 103)} bytes/row), ff_dim 5`,
        'claim: steps 103, halted true, pc 15, acc 21, sp 5, zero_flag false, carry_flag false, memory [13, 21, 21, 7, 7]',
        'fields: goldilocks',
      ],
      stderr: [],
    });
    expect(readdirSync(dir)).toEqual(['fib.arrow']);
  });

  it('--json prints one object', async () => {
    const out = path('fib-json.arrow');
    const result = await cli(
      'export',
      FIB,
      '--output',
      out,
      '--json',
      '--batch-rows',
      '50',
      '--ff-dim',
      '8',
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    expect(result.stdout).toHaveLength(1);
    const summary = JSON.parse(result.stdout[0]);
    const bytes = statSync(out).size;
    expect(Object.keys(summary)).toEqual([
      'program',
      'output',
      'rows',
      'bytes',
      'bytes_per_row',
      'ff_dim',
      'weights_sha256',
      'fields',
      'claim',
    ]);
    expect(summary).toEqual({
      program: FIB,
      output: out,
      rows: 103,
      bytes,
      bytes_per_row: perRow(bytes, 103),
      ff_dim: 8,
      weights_sha256: FIB_DIGEST,
      fields: ['goldilocks'],
      claim: {
        steps: 103,
        halted: true,
        pc: 15,
        acc: 21,
        sp: 5,
        zero_flag: false,
        carry_flag: false,
        memory: [13, 21, 21, 7, 7],
        fault: null,
      },
    });
  });

  it('a faulting run is exported up to the fault (exit 0) and names the fault', async () => {
    const out = path('oob.arrow');
    const result = await cli('export', 'programs/fault_memory_oob.tvm', '-o', out);
    const bytes = statSync(out).size;
    expect(result).toEqual({
      code: 0,
      stdout: [
        `wrote ${out}: 3 rows, ${bytes} bytes (${perRow(bytes, 3)} bytes/row), ff_dim 4`,
        'claim: steps 3, halted false, pc 3, acc 18, sp 4, zero_flag false, carry_flag false, memory [0, 0, 0, 9]',
        'fault: memory out of bounds at step 3, pc 3: address 4 with 4 memory cells',
        'fields: goldilocks',
      ],
      stderr: [],
    });
    const json = JSON.parse(
      (await cli('export', 'programs/fault_memory_oob.tvm', '-o', out, '--json')).stdout[0],
    );
    expect(json.claim.fault).toEqual({
      kind: 'memory_out_of_bounds',
      step: 3,
      pc: 3,
      message: 'memory out of bounds at step 3, pc 3: address 4 with 4 memory cells',
    });
  });

  it('--max-steps stops the run; the trace claims a non-halted state', async () => {
    const out = path('loop.arrow');
    const result = await cli(
      'export',
      'programs/infinite_loop.tvm',
      '-o',
      out,
      '--max-steps',
      '5',
      '--quiet',
    );
    expect(result.code).toBe(0);
    expect(result.stdout[1]).toBe(
      'claim: steps 5, halted false, pc 1, acc 3, sp 16, zero_flag false, carry_flag false, memory [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]',
    );
    expect((await cli('check', out)).code).toBe(0);
  });

  it('--threads 0, 1 and 3 write the same bytes', async () => {
    const files = ['0', '1', '3'].map(
      (threads) => [threads, path(`threads-${threads}.arrow`)] as const,
    );
    for (const [threads, file] of files)
      expect(
        (
          await cli(
            'export',
            'programs/factorial_recursive.tvm',
            '-o',
            file,
            '--batch-rows',
            '9',
            '--threads',
            threads,
            '--quiet',
          )
        ).code,
      ).toBe(0);
    for (const [, file] of files.slice(1))
      expect(readFileSync(file).equals(readFileSync(files[0][1]))).toBe(true);
  });
});

describe('tvm-trace export: errors', () => {
  it('a program that does not assemble: exit 2, nothing written', async () => {
    const bad = path('bad.tvm');
    writeFileSync(bad, 'LOADI 1\nFROB 2\n');
    const out = path('bad.arrow');
    expect(await cli('export', bad, '-o', out)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${bad}:2: unknown mnemonic 'FROB'`],
    });
    expect(await cli('export', bad, '-o', out, '--json')).toEqual({
      code: 2,
      stdout: [
        JSON.stringify({
          error: 'assembly_error',
          message: `${bad}:2: unknown mnemonic 'FROB'`,
          line: 2,
        }),
      ],
      stderr: [`tvm-trace: ${bad}:2: unknown mnemonic 'FROB'`],
    });
    expect(existsSync(out)).toBe(false);
    const missing = path('missing.tvm');
    expect(await cli('export', missing, '-o', out)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${missing}: cannot read: no such file`],
    });
  });

  it('bad flag values: exit 64', async () => {
    const out = path('flags.arrow');
    const usage = async (args: string[], message: string) => {
      expect(await cli('export', FIB, '-o', out, ...args), args.join(' ')).toEqual({
        code: 64,
        stdout: [],
        stderr: [`tvm-trace: ${message}`],
      });
    };
    await usage(
      ['--batch-rows', '0'],
      "--batch-rows must be a positive integer, got '0' (see tvm-trace --help)",
    );
    await usage(
      ['--threads', 'x'],
      "--threads must be a non-negative integer, got 'x' (see tvm-trace --help)",
    );
    await usage(
      ['--threads', '100'],
      "--threads must be at most 64, got '100' (see tvm-trace --help)",
    );
    await usage(['--batch-rows', '2000000'], '--batch-rows 2000000 is over the limit 1048576');
    await usage(
      ['--ff-dim', 'x'],
      "--ff-dim must be a positive integer, got 'x' (see tvm-trace --help)",
    );
    await usage(
      ['--ff-dim', '4'],
      `--ff-dim 4 is narrower than the widest instruction of ${FIB} (5 units)`,
    );
    await usage(
      ['--max-steps', '0'],
      "--max-steps must be a positive integer, got '0' (see tvm-trace --help)",
    );
    await usage(
      ['--max-steps', '1e6'],
      "--max-steps must be a positive integer, got '1e6' (see tvm-trace --help)",
    );
    await usage(
      ['--max-steps', '536870913'],
      '--max-steps 536870913 is over the trace limit 536870912 (2^29 rows)',
    );
    await usage(['--frob'], 'Unknown argument: frob (see tvm-trace --help)');
    await usage(['--claim'], 'Not enough arguments following: claim (see tvm-trace --help)');
    expect((await cli('export', FIB, '-o', out, '--ff-dim', '100000')).code).toBe(64);
    expect(existsSync(out)).toBe(false);
  });

  it('missing -o: exit 64', async () => {
    expect(await cli('export', FIB)).toEqual({
      code: 64,
      stdout: [],
      stderr: ['tvm-trace: Missing required argument: output (see tvm-trace --help)'],
    });
    expect(await cli('export', FIB, '-o')).toEqual({
      code: 64,
      stdout: [],
      stderr: ['tvm-trace: Not enough arguments following: o (see tvm-trace --help)'],
    });
    expect(await cli('export', FIB, '--json')).toEqual({
      code: 64,
      stdout: [
        JSON.stringify({
          error: 'usage',
          message: 'Missing required argument: output (see tvm-trace --help)',
        }),
      ],
      stderr: ['tvm-trace: Missing required argument: output (see tvm-trace --help)'],
    });
    expect(await cli('export')).toEqual({
      code: 64,
      stdout: [],
      stderr: ['tvm-trace: Missing required arguments: program, output (see tvm-trace --help)'],
    });
  });

  it('an output directory that does not exist, or an output that is a directory: exit 2', async () => {
    const out = join(dir, 'no-such-dir', 'trace.arrow');
    expect(await cli('export', FIB, '-o', out)).toEqual({
      code: 2,
      stdout: [],
      stderr: [
        `tvm-trace: ${out}: cannot write: directory ${join(dir, 'no-such-dir')} does not exist`,
      ],
    });
    const sub = path('a-directory');
    mkdirSync(sub);
    expect(await cli('export', FIB, '-o', sub)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${sub}: is a directory`],
    });
    expect(readdirSync(sub)).toEqual([]);
  });

  it.skipIf(!existsSync('/proc/version'))(
    '--claim /proc/version (a file where no file can be created): exit 2 with the reason, and no trace',
    async () => {
      const sub = path('proc-claim');
      mkdirSync(sub);
      const trace = join(sub, 'fib.arrow');
      expect(await cli('export', FIB, '-o', trace, '--claim', '/proc/version')).toEqual({
        code: 2,
        stdout: [],
        stderr: ['tvm-trace: /proc/version: cannot write: cannot create a file in /proc (ENOENT)'],
      });
      expect(readdirSync(sub)).toEqual([]);
    },
  );

  it('with --claim, both files appear whole and no temporary file stays', async () => {
    const sub = path('both');
    mkdirSync(sub);
    writeFileSync(join(sub, 'fib.claim'), 'an old claim');
    expect(
      (
        await cli(
          'export',
          FIB,
          '-o',
          join(sub, 'fib.arrow'),
          '--claim',
          join(sub, 'fib.claim'),
          '--quiet',
        )
      ).code,
    ).toBe(0);
    expect(readdirSync(sub).sort()).toEqual(['fib.arrow', 'fib.claim']);
    expect(readFileSync(join(sub, 'fib.claim'), 'utf8')).not.toBe('an old claim');
  });

  it('a --claim path that cannot be written: exit 2 before anything is written', async () => {
    const claim = join(dir, 'no-such-dir', 'claim.msgpack');
    const trace = path('with-claim.arrow');
    const result = await cli('export', FIB, '-o', trace, '--claim', claim);
    expect(result).toEqual({
      code: 2,
      stdout: [],
      stderr: [
        `tvm-trace: ${claim}: cannot write: directory ${join(dir, 'no-such-dir')} does not exist`,
      ],
    });
    expect(existsSync(trace)).toBe(false);
    expect(await cli('export', FIB, '-o', trace, '--claim', dir)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${dir}: is a directory`],
    });
    expect(existsSync(trace)).toBe(false);
  });
});
