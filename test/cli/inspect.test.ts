/**
 * `tvm-trace inspect`: exact summary and row table, --json, ranges, streaming, bad input.
 */
import * as arrow from 'apache-arrow';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli } from '../support/cli.js';
import { compileProgram } from '../../src/compiler/compile.js';
import { assemble } from '../../src/isa/assemble.js';
import { parseRowRange } from '../../src/cli/commands/inspect.js';
import { hostileFiles } from '../support/hostile-traces.js';
import { preflightTrace } from '../../src/trace/read/preflight.js';

let dir: string;
let fib: string;
let fibSmallBatches: string;
const path = (name: string) => join(dir, name);
const FIB_DIGEST = compileProgram(assemble(readFileSync('programs/fibonacci.tvm', 'utf8'))).digest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tvm-trace-inspect-'));
  fib = path('fib.arrow');
  fibSmallBatches = path('fib-10.arrow');
  expect((await cli('export', 'programs/fibonacci.tvm', '-o', fib)).code).toBe(0);
  expect(
    (await cli('export', 'programs/fibonacci.tvm', '-o', fibSmallBatches, '--batch-rows', '10'))
      .code,
  ).toBe(0);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const TABLE_NOTE =
  '(acc, flags, sp: the state before the step; memory: its read R or write W; units: the non-zero hidden products):';

function fibSummary(path: string, batches: string): string[] {
  const bytes = statSync(path).size;
  return [
    `trace: ${path}`,
    'schema: tvm-trace/trace/v2 (AIR tvm-trace/air/v2, written by tvm-trace 0.1.0)',
    'rows: 103',
    `bytes: ${bytes} (${Math.round((bytes / 103) * 10) / 10} bytes/row)`,
    'columns: 37 (202 cells per row)',
    batches,
    'ff_dim: 5',
    `weights_sha256: ${FIB_DIGEST}`,
    'fields: goldilocks (largest |value| 32768)',
    'max_steps: 1000000',
    'claim: steps 103, halted true, pc 15, acc 21, sp 5, zero_flag false, carry_flag false, memory [13, 21, 21, 7, 7]',
    'program: 16 instructions, 5 memory cells, initial memory [0, 1, 0, 0, 7]',
    '        .memory 5',
    '        .init 1 1',
    '        .init 4 7',
    '        loop:',
    '     0    LOAD 3',
    '     1    SUBM 4',
    '     2    JZ 14',
    '     3    LOAD 0',
    '     4    ADDM 1',
    '     5    STORE 2',
    '     6    LOAD 1',
    '     7    STORE 0',
    '     8    LOAD 2',
    '     9    STORE 1',
    '    10    LOAD 3',
    '    11    ADD 1',
    '    12    STORE 3',
    '    13    JMP 0',
    '        done:',
    '    14    LOAD 1',
    '    15    HALT',
  ];
}

describe('tvm-trace inspect: output', () => {
  it('fibonacci --rows 0:3: the summary and three rows, exactly', async () => {
    expect(await cli('inspect', fib, '--rows', '0:3')).toEqual({
      code: 0,
      stdout: [
        ...fibSummary(fib, 'batches: 1 (rows: 103)'),
        `rows 0:3 of 103 ${TABLE_NOTE}`,
        'step   pc  instruction     acc  flags   sp  memory         units',
        '   0    0  LOAD 3            0  Z-       5  R[3]=0         h0=5 h1=1',
        '   1    1  SUBM 4            0  Z-       5  R[4]=7         h0=5 h1=2 h3=7',
        '   2    2  JZ 14            -7  --       5  -              h0=5 h1=3 h4=-7',
      ],
      stderr: [],
    });
  });

  it('the default is the first 10 rows; writes and batches show', async () => {
    const result = await cli('inspect', fibSmallBatches);
    expect(result.code).toBe(0);
    expect(result.stdout.slice(0, -12)).toEqual(
      fibSummary(fibSmallBatches, 'batches: 11 (rows: 10, 10, 10, 10, 10, 10, 10, 10, …)'),
    );
    expect(result.stdout.slice(-12)).toEqual([
      `rows 0:10 of 103 ${TABLE_NOTE}`,
      'step   pc  instruction     acc  flags   sp  memory         units',
      '   0    0  LOAD 3            0  Z-       5  R[3]=0         h0=5 h1=1',
      '   1    1  SUBM 4            0  Z-       5  R[4]=7         h0=5 h1=2 h3=7',
      '   2    2  JZ 14            -7  --       5  -              h0=5 h1=3 h4=-7',
      '   3    3  LOAD 0           -7  --       5  R[0]=0         h0=5 h1=4',
      '   4    4  ADDM 1            0  Z-       5  R[1]=1         h0=5 h1=5 h3=1',
      '   5    5  STORE 2           1  --       5  W[2]=1         h0=5 h1=6 h2=1 h3=1',
      '   6    6  LOAD 1            1  --       5  R[1]=1         h0=5 h1=7 h2=1',
      '   7    7  STORE 0           1  --       5  W[0]=1         h0=5 h1=8 h2=1 h3=1',
      '   8    8  LOAD 2            1  --       5  R[2]=1         h0=5 h1=9 h2=1',
      '   9    9  STORE 1           1  --       5  W[1]=1         h0=5 h1=10 h2=1 h3=1',
    ]);
  });

  it('a range across batches and past the end stops at the last row', async () => {
    const result = await cli('inspect', fibSmallBatches, '--rows', '98:1000');
    expect(result.code).toBe(0);
    expect(result.stdout.slice(-7)).toEqual([
      `rows 98:103 of 103 ${TABLE_NOTE}`,
      'step   pc  instruction     acc  flags   sp  memory         units',
      '  98    0  LOAD 3            7  --       5  R[3]=7         h0=5 h1=1 h2=7',
      '  99    1  SUBM 4            7  --       5  R[4]=7         h0=5 h1=2 h2=7 h3=7',
      ' 100    2  JZ 14             0  Z-       5  -              h0=5 h1=3 h2=1 h3=3',
      ' 101   14  LOAD 1            0  Z-       5  R[1]=21        h0=5 h1=15 h2=21',
      ' 102   15  HALT             21  --       5  -              h0=5 h1=15 h2=21',
    ]);
    expect((await cli('inspect', fib, '--rows', '100:')).stdout.slice(-5, -4)).toEqual([
      `rows 100:103 of 103 ${TABLE_NOTE}`,
    ]);
    expect((await cli('inspect', fib, '--rows', ':2')).stdout.slice(-4, -3)).toEqual([
      `rows 0:2 of 103 ${TABLE_NOTE}`,
    ]);
    for (const range of ['200:210', '103:103', '5:5']) {
      const empty = await cli('inspect', fib, '--rows', range);
      expect(empty.code).toBe(0);
      expect(empty.stdout.at(-1)).toBe(`rows ${range}: none (the trace has 103 rows)`);
    }
  });

  it('--json: one object with the summary and the rows', async () => {
    const result = await cli('inspect', fibSmallBatches, '--rows', '0:3', '--json');
    expect(result.code).toBe(0);
    expect(result.stderr).toEqual([]);
    expect(result.stdout).toHaveLength(1);
    const { summary, rows } = JSON.parse(result.stdout[0]);
    expect(Object.keys(summary)).toEqual([
      'trace',
      'rows',
      'bytes',
      'bytes_per_row',
      'columns',
      'cells_per_row',
      'schema',
      'air',
      'generator',
      'program',
      'program_error',
      'instructions',
      'memory_size',
      'initial_memory',
      'max_steps',
      'ff_dim',
      'weights_sha256',
      'claim',
      'fields',
      'max_abs_value',
      'batches',
      'batch_rows',
    ]);
    const bytes = statSync(fibSmallBatches).size;
    expect(summary).toMatchObject({
      trace: fibSmallBatches,
      rows: 103,
      bytes,
      bytes_per_row: Math.round((bytes / 103) * 10) / 10,
      cells_per_row: 202,
      schema: 'tvm-trace/trace/v2',
      air: 'tvm-trace/air/v2',
      generator: 'tvm-trace 0.1.0',
      program_error: null,
      instructions: 16,
      memory_size: 5,
      initial_memory: [0, 1, 0, 0, 7],
      max_steps: 1000000,
      ff_dim: 5,
      weights_sha256: FIB_DIGEST,
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
      fields: ['goldilocks'],
      max_abs_value: 32768,
      batches: 11,
      batch_rows: [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3],
    });
    expect(summary.program).toBe(
      arrow.tableFromIPC(readFileSync(fibSmallBatches)).schema.metadata.get('tvm.program'),
    );
    expect(summary.columns).toHaveLength(37);
    expect(summary.columns[0]).toEqual({ name: 'step', type: 'int32', width: 1 });
    expect(summary.columns.find((c: { name: string }) => c.name === 'hidden')).toEqual({
      name: 'hidden',
      type: 'int32',
      width: 5,
    });
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({
      row: 0,
      step: 0,
      pc: 0,
      opcode: 2,
      arg: 3,
      instruction: 'LOAD 3',
      acc: 0,
      zero_flag: true,
      carry_flag: false,
      sp: 5,
      operand: 0,
      access: { kind: 'read', addr: 3, value: 0 },
      units: [
        { unit: 0, gate: 1, value: 5, hidden: 5 },
        { unit: 1, gate: 1, value: 1, hidden: 1 },
      ],
      output: {
        next_pc: 1,
        raw_acc: 0,
        next_sp: 5,
        write_enable: 0,
        write_addr: 0,
        write_value: 0,
      },
      next: { pc: 1, acc: 0, zero_flag: true, carry_flag: false, halted: false, sp: 5 },
      log: { addr: 0, step: 3, value: 0, read: true, write: false, first: true },
    });
    expect(rows[1]).toMatchObject({
      step: 1,
      instruction: 'SUBM 4',
      operand: 7,
      access: { kind: 'read', addr: 4, value: 7 },
      next: { acc: -7, zero_flag: false },
    });
    expect(rows[2]).toMatchObject({
      step: 2,
      instruction: 'JZ 14',
      access: { kind: 'none', addr: 256, value: 0 },
      output: { next_pc: 3 },
    });
  });

  it('a zero-row trace', async () => {
    const empty = path('empty.tvm');
    writeFileSync(empty, '; nothing\n');
    const trace = path('empty.arrow');
    expect((await cli('export', empty, '-o', trace)).code).toBe(0);
    const result = await cli('inspect', trace);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('rows: 0');
    expect(result.stdout).toContain('batches: 0');
    expect(result.stdout).toContain(
      'fault: pc out of bounds at step 0, pc 0: program has 0 instructions',
    );
    expect(result.stdout.at(-1)).toBe('rows 0:10: none (the trace has 0 rows)');
    expect(result.stdout.find((line) => line.startsWith('bytes: '))).toBe(
      `bytes: ${statSync(trace).size} (no rows)`,
    );
    const json = JSON.parse((await cli('inspect', trace, '--json')).stdout[0]);
    expect(json.summary).toMatchObject({
      rows: 0,
      bytes_per_row: null,
      batches: 0,
      batch_rows: [],
    });
    expect(json.rows).toEqual([]);
  });
});

describe('tvm-trace inspect: streaming', () => {
  it('reads record batches only up to the end of the range', async () => {
    // A batch is read by reading its body: map file reads at body offsets to batch numbers.
    const bodies = new Map(
      preflightTrace(fibSmallBatches).batches.map((layout, b) => [layout.bodyOffset, b]),
    );
    const handle = await open(fibSmallBatches, 'r');
    const reads = vi.spyOn(Object.getPrototypeOf(handle) as FileHandle, 'read');
    await handle.close();
    const batchesRead = () =>
      reads.mock.calls.flatMap((call) => {
        const position = (call as unknown[])[3] as number;
        return bodies.has(position) ? [bodies.get(position)] : [];
      });
    expect((await cli('inspect', fibSmallBatches, '--rows', '0:3')).code).toBe(0);
    expect(batchesRead()).toEqual([0]);
    reads.mockClear();
    expect((await cli('inspect', fibSmallBatches, '--rows', '25:31', '--json')).code).toBe(0);
    expect(batchesRead()).toEqual([0, 1, 2, 3]);
    reads.mockClear();
    expect((await cli('inspect', fibSmallBatches, '--rows', '0:0')).code).toBe(0);
    expect(batchesRead()).toEqual([]);
  });
});

describe('tvm-trace inspect: errors', () => {
  it('bad ranges are usage errors (exit 64)', async () => {
    const bad = async (range: string, message: string) => {
      expect(await cli('inspect', fib, '--rows', range), range).toEqual({
        code: 64,
        stdout: [],
        stderr: [`tvm-trace: ${message} (see tvm-trace --help)`],
      });
    };
    await bad('5:3', '--rows 5:3 is reversed: A must not exceed B');
    await bad('x', "--rows must be A:B (rows A to B-1), got 'x'");
    await bad('3', "--rows must be A:B (rows A to B-1), got '3'");
    await bad('1:2:3', "--rows must be A:B (rows A to B-1), got '1:2:3'");
    await bad('-1:3', "--rows must be A:B (rows A to B-1), got '-1:3'");
    await bad('1.5:3', "--rows must be A:B (rows A to B-1), got '1.5:3'");
    await bad(
      '99999999999999999999:1',
      '--rows 99999999999999999999:1: a bound is over 9007199254740991',
    );
    expect(await cli('inspect', fib, '--rows')).toEqual({
      code: 64,
      stdout: [],
      stderr: ['tvm-trace: Not enough arguments following: rows (see tvm-trace --help)'],
    });
    expect(await cli('inspect')).toEqual({
      code: 64,
      stdout: [],
      stderr: ['tvm-trace: Missing required argument: trace (see tvm-trace --help)'],
    });
    expect(await cli('inspect', fib, '--rows', 'x', '--json')).toEqual({
      code: 64,
      stdout: [
        JSON.stringify({
          error: 'usage',
          message: "--rows must be A:B (rows A to B-1), got 'x' (see tvm-trace --help)",
        }),
      ],
      stderr: ["tvm-trace: --rows must be A:B (rows A to B-1), got 'x' (see tvm-trace --help)"],
    });
  });

  it('parseRowRange', () => {
    expect(parseRowRange('0:3')).toEqual({ from: 0, to: 3 });
    expect(parseRowRange('7:')).toEqual({ from: 7, to: Number.MAX_SAFE_INTEGER });
    expect(parseRowRange(':')).toEqual({ from: 0, to: Number.MAX_SAFE_INTEGER });
    expect(() => parseRowRange(['0:1', '0:2'])).toThrow(
      "--rows must be A:B (rows A to B-1), got '0:1,0:2'",
    );
  });

  it('unreadable and hostile files: exit 2 with one line', async () => {
    expect(await cli('inspect', path('none.arrow'))).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${path('none.arrow')}: cannot read: no such file`],
    });
    expect(await cli('inspect', dir)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${dir}: cannot read: is a directory`],
    });
    for (const file of hostileFiles(readFileSync(fibSmallBatches))) {
      const target = path(`hostile-${file.name.replace(/[^a-z0-9]+/gi, '-')}.arrow`);
      writeFileSync(target, file.bytes);
      const result = await cli('inspect', target, '--rows', '0:200');
      const context = `${file.name}: ${JSON.stringify(result)}`;
      expect(result.code, context).toBe(2);
      expect(result.stderr, context).toHaveLength(1);
      expect(result.stderr[0], context).not.toMatch(/\n|\.[jt]s:\d+|internal error/);
      if (file.message !== undefined)
        expect(result.stderr[0], context).toBe(`tvm-trace: ${target}: ${file.message}`);
      else expect(result.stderr[0].startsWith(`tvm-trace: ${target}: `), context).toBe(true);
      const json = await cli('inspect', target, '--json');
      expect(json.code, context).toBe(2);
      expect(JSON.parse(json.stdout[0]), context).toEqual({
        error: 'bad_trace',
        message: json.stderr[0].slice('tvm-trace: '.length),
      });
    }
  });
});
