/**
 * The exporter against an independent recomputation: every column of every row is rebuilt
 * from the FFN engine's own per-step vectors (FfnMachine + createTap) and the ISA table, and
 * compared with what apache-arrow reads back from the file. Also: metadata round trip,
 * determinism, faults, atomicity of the output file, the claim file, limits, empty traces.
 */
import * as arrow from 'apache-arrow';
import { Unpackr } from 'msgpackr';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  COLUMNS,
  INPUT_WORDS,
  LOG_ADDR_BITS,
  LOG_GAP_BITS,
  MAX_TRACE_ROWS,
  NO_ACCESS_ADDR,
} from '../../src/air/columns.js';
import { checkTrace } from '../../src/check/check.js';
import { main } from '../../src/cli/main.js';
import { compileProgram } from '../../src/compiler/compile.js';
import { INPUT_DIM, OUTPUT_DIM } from '../../src/compiler/layout.js';
import { assemble } from '../../src/isa/assemble.js';
import { opcodeSpec } from '../../src/isa/opcodes.js';
import { printProgram } from '../../src/isa/print.js';
import { programsEqual, type Program } from '../../src/isa/program.js';
import { createTap, FfnMachine } from '../../src/runtime/ffn/engine.js';
import { AccessDigest } from '../../src/runtime/access.js';
import { NativeMachine, runNative } from '../../src/runtime/native/interpreter.js';
import type { MachineSnapshot } from '../../src/runtime/state.js';
import { claimDocument } from '../../src/trace/format/claim-file.js';
import { exportTrace, exportTraceInterruptible } from '../../src/trace/write/export.js';
import {
  decodeMetadata,
  encodeMetadata,
  FIELDS,
  MetaKey,
  type FieldName,
} from '../../src/trace/format/metadata.js';
import { BatchFiller, digestAccesses } from '../../src/trace/write/batch-filler.js';
import { LogFiller } from '../../src/trace/write/log-filler.js';
import { FileSink } from '../../src/trace/write/sink.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tvm-trace-export-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const load = (name: string): Program => assemble(readFileSync(`programs/${name}.tvm`, 'utf8'));
let counter = 0;
const fresh = (name: string) => join(dir, `${counter++}-${name}`);

async function cli(...argv: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => stderr.push(line),
  });
  return { code, stdout, stderr };
}

/** Every cell of a table read back with apache-arrow: column name -> rows of entries. */
function readTable(table: arrow.Table): Record<string, number[][]> {
  const result: Record<string, number[][]> = {};
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name)!;
    const rows: number[][] = [];
    for (let r = 0; r < table.numRows; r++) {
      const value = vector.get(r) as unknown;
      if (typeof value === 'number' || typeof value === 'boolean') rows.push([Number(value)]);
      else rows.push([...(value as Iterable<number | boolean>)].map(Number));
    }
    result[field.name] = rows;
  }
  return result;
}

const wrap16 = (raw: number) => {
  const low = ((raw % 65536) + 65536) % 65536;
  return low >= 32768 ? low - 65536 : low;
};
const bits = (value: number, count: number) =>
  Array.from({ length: count }, (_, i) => Math.floor(value / 2 ** i) % 2);
const prefixOr = (b: number[]) =>
  Array.from({ length: b.length - 1 }, (_, i) => (b.slice(0, i + 2).some((x) => x === 1) ? 1 : 0));

interface Recomputed {
  columns: Record<string, number[][]>;
  final: MachineSnapshot;
  maxAbs: number;
  ffDim: number;
}

/** The witness, from the FFN engine's own vectors and the ISA table only (no exporter code). */
function recompute(program: Program, maxSteps: number, ffDimOverride?: number): Recomputed {
  const compiled = compileProgram(program);
  const ffDim = ffDimOverride ?? Math.max(1, compiled.minFfDim);
  const machine = new FfnMachine(compiled);
  const tap = createTap(ffDim, Math.max(1, maxSteps));
  machine.advance(maxSteps, tap);
  const final = machine.snapshot();
  const rows = final.steps;
  const P = program.instructions.length;
  const columns: Record<string, number[][]> = Object.fromEntries(
    COLUMNS.map((spec) => [spec.name, [] as number[][]]),
  );
  const push = (name: string, value: number[]) => columns[name].push(value);
  const accesses: Array<{
    addr: number;
    step: number;
    value: number;
    kind: 'read' | 'write' | 'none';
  }> = [];
  let maxAbs = 2 ** 15;
  for (let r = 0; r < rows; r++) {
    const x = Array.from(tap.input.subarray(r * INPUT_DIM, (r + 1) * INPUT_DIM));
    const out = Array.from(tap.output.subarray(r * OUTPUT_DIM, (r + 1) * OUTPUT_DIM));
    const hidden = Array.from(tap.hidden.subarray(r * ffDim, (r + 1) * ffDim));
    for (const v of [...hidden, ...out]) maxAbs = Math.max(maxAbs, Math.abs(v));
    const pc = x[1];
    const instruction = program.instructions[pc];
    const spec = opcodeSpec(instruction.opcode);
    push('step', [r]);
    push('active', [1]);
    push('last_step', [r === rows - 1 ? 1 : 0]);
    push('pc', [pc]);
    push('opcode', [instruction.opcode]);
    push('arg', [instruction.arg]);
    push(
      'selector',
      Array.from({ length: P }, (_, j) => (j === pc ? 1 : 0)),
    );
    push('input', x.slice(0, INPUT_WORDS));
    push('input_bits', x.slice(INPUT_WORDS));
    push('gate', Array.from(tap.gate.subarray(r * ffDim, (r + 1) * ffDim)));
    push('value', Array.from(tap.value.subarray(r * ffDim, (r + 1) * ffDim)));
    push('hidden', hidden);
    push('output', out);
    push('pc_wrap', [pc === 255 ? 1 : 0]);
    const raw = out[1];
    const acc = wrap16(raw);
    const accBits = bits(acc & 0xffff, 16);
    const quotient = (raw - acc) / 65536;
    const quotBits = bits(quotient & 0xffff, 16);
    push('next_acc', [acc]);
    push('acc_bits', accBits);
    push('acc_or', prefixOr(accBits));
    push('quot_bits', quotBits);
    push('quot_or', prefixOr(quotBits));
    push('raw_negative', [raw < 0 ? 1 : 0]);
    // Flags after the step: the next row's input, or the final state after the last row.
    const nextZero = r + 1 < rows ? tap.input[(r + 1) * INPUT_DIM + 4] : Number(final.zero);
    const nextCarry = r + 1 < rows ? tap.input[(r + 1) * INPUT_DIM + 5] : Number(final.carry);
    push('next_zero', [nextZero]);
    push('next_carry', [nextCarry]);
    push('next_halted', [spec.halts ? 1 : 0]);
    let access: (typeof accesses)[number];
    if (spec.read === 'direct')
      access = { addr: instruction.arg, step: r, value: x[8], kind: 'read' };
    else if (spec.read === 'stack_top') access = { addr: x[7], step: r, value: x[8], kind: 'read' };
    else if (out[3] === 1) access = { addr: out[4], step: r, value: out[5], kind: 'write' };
    else access = { addr: NO_ACCESS_ADDR, step: r, value: 0, kind: 'none' };
    expect(out[3] === 1).toBe(spec.writesMemory);
    accesses.push(access);
    push('access_read', [access.kind === 'read' ? 1 : 0]);
    push('access_write', [access.kind === 'write' ? 1 : 0]);
    push('access_addr', [access.addr]);
    push('access_value', [access.value]);
  }
  const log = [...accesses].sort((a, b) => a.addr - b.addr || a.step - b.step);
  log.forEach((entry, r) => {
    const previous = r === 0 ? null : log[r - 1];
    const following = log[r + 1];
    const first = previous === null || previous.addr !== entry.addr ? 1 : 0;
    const gap =
      previous === null
        ? 0
        : first === 1
          ? entry.addr - previous.addr - 1
          : entry.step - previous.step - 1;
    push('log_addr', [entry.addr]);
    push('log_addr_bits', bits(entry.addr, LOG_ADDR_BITS));
    push('log_step', [entry.step]);
    push('log_value', [entry.value]);
    push('log_prev', [
      first === 0
        ? previous!.value
        : entry.addr < NO_ACCESS_ADDR
          ? program.initialMemory[entry.addr]
          : 0,
    ]);
    push('log_read', [entry.kind === 'read' ? 1 : 0]);
    push('log_write', [entry.kind === 'write' ? 1 : 0]);
    push('log_first', [first]);
    push('log_last', [
      entry.addr < NO_ACCESS_ADDR && (following === undefined || following.addr !== entry.addr)
        ? 1
        : 0,
    ]);
    push('log_gap_bits', bits(gap, LOG_GAP_BITS));
  });
  return { columns, final, maxAbs, ffDim };
}

const ARROW_ELEMENT = { bool: 'Bool', int8: 'Int8', int16: 'Int16', int32: 'Int32' } as const;

describe("exportTrace writes exactly the FFN engine's witness", () => {
  const cases: Array<[string, number]> = [
    ['fibonacci', 1_000_000],
    ['bitwise', 1_000_000],
    ['factorial_recursive', 1_000_000],
    ['call_chain', 1_000_000],
    ['wrap_carry', 1_000_000],
    ['compare', 1_000_000],
    ['fault_stack_underflow', 1_000_000],
    ['fault_bad_return', 1_000_000],
    ['infinite_loop', 37],
  ];
  it.each(cases)('%s: every column of every row, the schema and the metadata', (name, maxSteps) => {
    const program = load(name);
    const path = fresh(`${name}.arrow`);
    const result = exportTrace(program, path, { maxSteps, batchRows: 16 });
    const expected = recompute(program, maxSteps);
    const bytes = readFileSync(path);
    expect(result.bytes).toBe(bytes.length);
    const table = arrow.tableFromIPC(bytes);
    expect(table.numRows).toBe(expected.final.steps);
    expect(result.rows).toBe(expected.final.steps);
    expect(table.batches.map((b) => b.numRows)).toEqual(
      Array.from({ length: Math.ceil(expected.final.steps / 16) }, (_, i) =>
        Math.min(16, expected.final.steps - 16 * i),
      ),
    );

    // Schema: the columns of src/air/columns.ts, in order, with their concrete widths.
    const widths: Record<string, number> = {
      ff_dim: expected.ffDim,
      instructions: program.instructions.length,
    };
    expect(table.schema.fields.map((f) => f.name)).toEqual(COLUMNS.map((c) => c.name));
    table.schema.fields.forEach((field, i) => {
      const spec = COLUMNS[i];
      const width = typeof spec.width === 'number' ? spec.width : widths[spec.width];
      const element = ARROW_ELEMENT[spec.type];
      expect(String(field.type), spec.name).toBe(
        spec.width === 1 ? element : `FixedSizeList[${width}]<${element}>`,
      );
      expect(field.nullable).toBe(false);
    });

    // Every cell.
    const actual = readTable(table);
    for (const spec of COLUMNS)
      expect(actual[spec.name], spec.name).toEqual(expected.columns[spec.name]);

    // The engines agree on where the run ends.
    const native = runNative(program, maxSteps);
    expect(expected.final).toEqual(native);

    // Metadata: every key, computed independently.
    const meta = table.schema.metadata;
    const KNOWN = [
      'tvm.schema',
      'tvm.air',
      'tvm.program',
      'tvm.memory_size',
      'tvm.initial_memory',
      'tvm.max_steps',
      'tvm.ff_dim',
      'tvm.instructions',
      'tvm.weights_sha256',
      'tvm.claim',
      'tvm.fields',
      'tvm.max_abs_value',
      'tvm.generator',
    ];
    // Every key but tvm.segment, which only a segment of a longer run has.
    expect([...meta.keys()].sort()).toEqual(
      Object.values(MetaKey)
        .filter((key) => key !== MetaKey.segment)
        .sort(),
    );
    for (const key of KNOWN) expect(meta.has(key), key).toBe(true);
    if (meta.has('tvm.metadata_sha256')) {
      // The integrity digest: SHA-256 of the JSON of the other [key, value] pairs sorted by key.
      const entries = [...meta]
        .filter(([key]) => key !== 'tvm.metadata_sha256')
        .sort(([a], [b]) => (a < b ? -1 : 1));
      expect(meta.get('tvm.metadata_sha256')).toBe(
        createHash('sha256').update(JSON.stringify(entries), 'utf8').digest('hex'),
      );
    }
    expect(meta.get('tvm.schema')).toBe('tvm-trace/trace/v2');
    expect(meta.get('tvm.air')).toBe('tvm-trace/air/v2');
    expect(meta.get('tvm.program')).toBe(printProgram(program));
    expect(programsEqual(assemble(meta.get('tvm.program')!), program)).toBe(true);
    expect(meta.get('tvm.memory_size')).toBe(String(program.memorySize));
    expect(JSON.parse(meta.get('tvm.initial_memory')!)).toEqual(program.initialMemory);
    expect(meta.get('tvm.max_steps')).toBe(String(maxSteps));
    expect(meta.get('tvm.ff_dim')).toBe(String(expected.ffDim));
    expect(meta.get('tvm.instructions')).toBe(String(program.instructions.length));
    expect(meta.get('tvm.weights_sha256')).toBe(compileProgram(program).digest);
    const { steps, pc, acc, sp, zero, carry, halted, memory, fault } = native;
    expect(JSON.parse(meta.get('tvm.claim')!)).toEqual({
      steps,
      pc,
      acc,
      sp,
      zero_flag: zero,
      carry_flag: carry,
      halted,
      memory,
      fault,
    });
    expect(meta.get('tvm.max_abs_value')).toBe(String(expected.maxAbs));
    // Only the fields the AIR is sound in (schemas/air-v2.json sound_fields) are ever listed.
    const fields = (['goldilocks'] as FieldName[]).filter(
      (f) => 2n * BigInt(expected.maxAbs) < FIELDS[f],
    );
    expect(JSON.parse(meta.get('tvm.fields')!)).toEqual(fields);
    expect(meta.get('tvm.generator')).toBe('tvm-trace 0.1.0');

    // Round trip: the file's metadata decodes to what exportTrace returned, and encode∘decode is the identity.
    const decoded = decodeMetadata(meta);
    // (decodeMetadata also returns the stored integrity digest, which the in-memory result may omit.)
    expect({ ...decoded, metadataSha256: undefined }).toEqual({
      ...result.metadata,
      metadataSha256: undefined,
    });
    expect(decodeMetadata(encodeMetadata(decoded))).toEqual(decoded);
    expect(encodeMetadata(decoded)).toEqual(meta);
  });

  it('a wider --ff-dim pads every row with zero units', () => {
    const program = load('fibonacci');
    const path = fresh('fib-wide.arrow');
    exportTrace(program, path, { maxSteps: 1_000_000, ffDim: 9 });
    const expected = recompute(program, 1_000_000, 9);
    const actual = readTable(arrow.tableFromIPC(readFileSync(path)));
    for (const spec of COLUMNS)
      expect(actual[spec.name], spec.name).toEqual(expected.columns[spec.name]);
    expect(actual.hidden[0]).toHaveLength(9);
  });

  it('a product near 2^30 is exact and listed in Goldilocks only (the sound field)', () => {
    const program = assemble('LOADI 32767\nMUL 32767\nHALT\n');
    const path = fresh('mul.arrow');
    const result = exportTrace(program, path, { maxSteps: 10 });
    expect(result.metadata.maxAbsValue).toBe(32767 * 32767);
    expect(result.metadata.fields).toEqual(['goldilocks']);
    const expected = recompute(program, 10);
    const actual = readTable(arrow.tableFromIPC(readFileSync(path)));
    for (const spec of COLUMNS)
      expect(actual[spec.name], spec.name).toEqual(expected.columns[spec.name]);
  });
});

describe('determinism', () => {
  it('two exports of the same run are byte-identical', () => {
    const program = load('factorial_recursive');
    const a = fresh('a.arrow');
    const b = fresh('b.arrow');
    exportTrace(program, a, { maxSteps: 1_000_000 });
    exportTrace(program, b, { maxSteps: 1_000_000 });
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  it('different --batch-rows give the same table content and metadata', () => {
    const program = load('fibonacci');
    const tables = [1, 7, 64, 103, 1000].map((batchRows) => {
      const path = fresh(`fib-${batchRows}.arrow`);
      exportTrace(program, path, { maxSteps: 1_000_000, batchRows });
      const table = arrow.tableFromIPC(readFileSync(path));
      expect(table.batches).toHaveLength(Math.ceil(103 / batchRows));
      return table;
    });
    const reference = readTable(tables[0]);
    for (const table of tables.slice(1)) {
      expect(readTable(table)).toEqual(reference);
      expect(table.schema.metadata).toEqual(tables[0].schema.metadata);
    }
  });
});

describe('pass 2 on worker threads', () => {
  const cases: Array<[string, Program, number, number, number]> = [
    ['fibonacci, batches of 7, 1 worker', load('fibonacci'), 1_000_000, 7, 1],
    ['fibonacci, batches of 7, 2 workers', load('fibonacci'), 1_000_000, 7, 2],
    [
      'factorial_recursive, batches of 16, 3 workers',
      load('factorial_recursive'),
      1_000_000,
      16,
      3,
    ],
    [
      'a run ending in a fault, batches of 5, 2 workers',
      load('fault_stack_underflow'),
      1_000_000,
      5,
      2,
    ],
    ['a halt at the end of a batch, 2 workers', load('fibonacci'), 1_000_000, 103, 2],
    ['a zero-row trace, 2 workers', assemble('; nothing here\n'), 1_000_000, 64, 2],
    [
      'long_loop cut at 150,000 steps (default batches), 2 workers',
      load('long_loop'),
      150_000,
      65536,
      2,
    ],
  ];
  it.each(cases)(
    '%s: the same bytes as the in-thread export, and it checks ok',
    async (_name, program, maxSteps, batchRows, threads) => {
      const inThread = fresh('in-thread.arrow');
      const threaded = fresh('threaded.arrow');
      const a = exportTrace(program, inThread, { maxSteps, batchRows });
      // On runs of several batches this thread's first fill takes a second here and the others
      // 30 ms, so the workers start meanwhile (even on a busy machine) and fill some batches.
      const batches = Math.ceil(a.rows / batchRows);
      const fill = BatchFiller.prototype.fill;
      let here = 0;
      vi.spyOn(BatchFiller.prototype, 'fill').mockImplementation(function (
        this: BatchFiller,
        ...args
      ) {
        if (batches >= 8)
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, here === 0 ? 1000 : 30);
        here++;
        return fill.apply(this, args);
      });
      const b = await exportTraceInterruptible(program, threaded, { maxSteps, batchRows, threads });
      vi.restoreAllMocks();
      if (batches >= 8) expect(here).toBeLessThan(batches);
      expect(b.rows).toBe(a.rows);
      expect(readFileSync(threaded).equals(readFileSync(inThread))).toBe(true);
      expect((await checkTrace(threaded)).ok).toBe(true);
    },
  );
});

describe('faults and empty traces', () => {
  it('a fault run exports the steps before the fault, records the fault, and checks ok', async () => {
    const program = load('fault_stack_underflow');
    const path = fresh('underflow.arrow');
    const result = exportTrace(program, path, { maxSteps: 1_000_000 });
    expect(result.rows).toBe(3);
    expect(result.metadata.claim.fault).toEqual({
      kind: 'stack_underflow',
      step: 3,
      pc: 3,
      message: 'stack underflow at step 3, pc 3: sp 4 with 4 memory cells',
    });
    expect(result.metadata.claim.halted).toBe(false);
    expect(result.metadata.claim.steps).toBe(3);
    const report = await checkTrace(path);
    expect(report.failures).toEqual([]);
    expect(report.rows).toBe(3);
  });

  it('an empty program exports a zero-row trace (pc out of bounds at step 0) that checks ok', async () => {
    const program = assemble('; nothing here\n');
    const path = fresh('empty.arrow');
    const result = exportTrace(program, path, { maxSteps: 10 });
    expect(result.rows).toBe(0);
    expect(result.metadata.claim).toEqual({
      steps: 0,
      pc: 0,
      acc: 0,
      sp: 16,
      zero: true,
      carry: false,
      halted: false,
      memory: new Array(16).fill(0),
      fault: {
        kind: 'pc_out_of_bounds',
        step: 0,
        pc: 0,
        message: 'pc out of bounds at step 0, pc 0: program has 0 instructions',
      },
    });
    const table = arrow.tableFromIPC(readFileSync(path));
    expect(table.numRows).toBe(0);
    expect(table.schema.fields.map((f) => f.name)).toEqual(COLUMNS.map((c) => c.name));
    expect(String(table.schema.fields[COLUMNS.findIndex((c) => c.name === 'selector')].type)).toBe(
      'FixedSizeList[0]<Bool>',
    );
    const report = await checkTrace(path);
    expect(report.ok).toBe(true);
    expect(report.rows).toBe(0);
    const viaCli = await cli('check', path);
    expect(viaCli.code).toBe(0);
  });
});

describe('the output file appears whole or not at all', () => {
  const SENTINEL = 'an existing file that must survive\n';

  function setup(name: string) {
    const sub = fresh(name);
    mkdirSync(sub);
    const target = join(sub, 'trace.arrow');
    writeFileSync(target, SENTINEL);
    return { sub, target };
  }

  const survives = (sub: string, target: string, extra: string[] = []) => {
    expect(readFileSync(target, 'utf8')).toBe(SENTINEL);
    expect(readdirSync(sub).sort()).toEqual(['trace.arrow', ...extra].sort());
  };

  it('an --ff-dim narrower than the program fails before touching anything', async () => {
    const { sub, target } = setup('narrow');
    expect(() => exportTrace(load('bitwise'), target, { maxSteps: 100, ffDim: 10 })).toThrow(
      'ff-dim 10 is narrower than the widest instruction (50 units)',
    );
    survives(sub, target);
    const viaCli = await cli('export', 'programs/bitwise.tvm', '-o', target, '--ff-dim', '10');
    expect(viaCli.code).toBe(64);
    expect(viaCli.stderr).toEqual([
      'tvm-trace: --ff-dim 10 is narrower than the widest instruction of programs/bitwise.tvm (50 units)',
    ]);
    survives(sub, target);
  });

  it('an unwritable temporary file fails with exit 2, leaving the target and no scratch files', async () => {
    const { sub, target } = setup('blocked');
    // A directory where the exporter's temporary file would go makes opening it fail (EISDIR).
    mkdirSync(`${target}.${process.pid}.partial`);
    expect(() => exportTrace(load('fibonacci'), target, { maxSteps: 1_000_000 })).toThrow(/EISDIR/);
    survives(sub, target, [`trace.arrow.${process.pid}.partial`]);
    const viaCli = await cli('export', 'programs/fibonacci.tvm', '-o', target);
    expect(viaCli.code).toBe(2);
    expect(viaCli.stdout).toEqual([]);
    // Node reports this open as ERR_FS_EISDIR (not EISDIR); the CLI prints the code as it comes.
    expect(viaCli.stderr).toHaveLength(1);
    expect(viaCli.stderr[0].startsWith(`tvm-trace: ${target}: cannot write: `)).toBe(true);
    expect(viaCli.stderr[0]).toMatch(/: (ERR_FS_)?EISDIR$/);
    survives(sub, target, [`trace.arrow.${process.pid}.partial`]);
  });

  it('a failure in the middle of writing removes the partial file', async () => {
    const { sub, target } = setup('midway');
    let batches = 0;
    const fillLog = LogFiller.prototype.fill;
    vi.spyOn(LogFiller.prototype, 'fill').mockImplementation(function (this: LogFiller, ...args) {
      if (++batches === 3) throw new Error('injected failure in batch 3');
      return fillLog.apply(this, args);
    });
    expect(() =>
      exportTrace(load('fibonacci'), target, { maxSteps: 1_000_000, batchRows: 10 }),
    ).toThrow('injected failure in batch 3');
    expect(batches).toBe(3);
    survives(sub, target);
  });

  it.each([
    [
      'crashes',
      `const { parentPort } = require('node:worker_threads'); parentPort.postMessage({ ready: true }); parentPort.on('message', () => { throw new Error('injected worker crash'); });`,
      'injected worker crash',
    ],
    [
      'reports an error',
      `const { parentPort } = require('node:worker_threads'); parentPort.postMessage({ ready: true }); parentPort.on('message', () => parentPort.postMessage({ error: 'injected worker error' }));`,
      'export worker: injected worker error',
    ],
    [
      'exits',
      `const { parentPort } = require('node:worker_threads'); parentPort.postMessage({ ready: true }); parentPort.on('message', () => process.exit(3));`,
      'export worker exited (3)',
    ],
  ])(
    'a pass-2 worker that %s fails the export, which removes its partial file',
    async (_how, source, message) => {
      const { sub, target } = setup('worker-fails');
      vi.resetModules();
      vi.doMock('../../src/trace/write/worker-thread.js', async (importOriginal) => ({
        ...(await importOriginal<typeof import('../../src/trace/write/worker-thread.js')>()),
        startModuleWorker: () => new Worker(source, { eval: true }),
      }));
      try {
        const { exportTraceInterruptible: threadedExport } = await import(
          '../../src/trace/write/export.js'
        );
        // This thread fills batches too, the first taking a second here and the others 50 ms, so
        // the worker is started (even on a busy machine) and given one.
        const { BatchFiller: Filler } = await import('../../src/trace/write/batch-filler.js');
        const fill = Filler.prototype.fill;
        let here = 0;
        vi.spyOn(Filler.prototype, 'fill').mockImplementation(function (
          this: BatchFiller,
          ...args
        ) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, here++ === 0 ? 1000 : 50);
          return fill.apply(this, args);
        });
        await expect(
          threadedExport(load('fibonacci'), target, {
            maxSteps: 1_000_000,
            batchRows: 10,
            threads: 1,
          }),
        ).rejects.toThrow(message);
      } finally {
        vi.doUnmock('../../src/trace/write/worker-thread.js');
        vi.resetModules();
      }
      survives(sub, target);
    },
  );

  it('batches whose memory cannot be allocated are exit 2 naming the way out, with nothing left behind', async () => {
    const { sub, target } = setup('no-memory');
    vi.resetModules();
    vi.doMock('../../src/wasm/encode.js', async (importOriginal) => ({
      ...(await importOriginal<typeof import('../../src/wasm/encode.js')>()),
      createMemory: () => {
        throw new RangeError('WebAssembly.Memory(): could not allocate memory');
      },
    }));
    try {
      const { main: freshMain } = await import('../../src/cli/main.js');
      const stdout: string[] = [];
      const stderr: string[] = [];
      const code = await freshMain(['export', 'programs/fibonacci.tvm', '-o', target], {
        stdout: (line) => stdout.push(line),
        stderr: (line) => stderr.push(line),
      });
      expect({ code, stdout, stderr }).toEqual({
        code: 2,
        stdout: [],
        stderr: [
          expect.stringMatching(
            new RegExp(
              `^tvm-trace: cannot allocate \\d+ bytes for a batch of 65536 rows: use fewer batch rows or threads; ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was not written$`,
            ),
          ),
        ],
      });
    } finally {
      vi.doUnmock('../../src/wasm/encode.js');
      vi.resetModules();
    }
    survives(sub, target);
  });

  it('an FFN run whose memory access differs from the reference run is an internal error naming the step', () => {
    const { sub, target } = setup('diverged');
    const fillRows = BatchFiller.prototype.fillRows;
    // The FFN side records another value for the access of step 4 (in its column and its digest).
    let batch = 0;
    vi.spyOn(BatchFiller.prototype, 'fillRows').mockImplementation(function (
      this: BatchFiller,
      buffers,
      stop,
      digest,
    ) {
      const filled = fillRows.call(this, buffers, stop, digest);
      if (batch++ === 0) {
        (buffers.column('access_value') as Int16Array)[4] += 1;
        digest.lanes.set(new AccessDigest().lanes);
        digestAccesses(buffers, 0, filled.rows, digest);
      }
      return filled;
    });
    expect(() =>
      exportTrace(load('fibonacci'), target, { maxSteps: 1_000_000, batchRows: 10 }),
    ).toThrow(
      /^internal error: at step 4 the FFN engine's memory access \(address \d+, value -?\d+, kind \d\) differs from the reference interpreter's/,
    );
    survives(sub, target);
  });

  it('accesses of the two runs that differ where the FFN run agrees with a fresh reference run are an internal error naming the steps', () => {
    const { sub, target } = setup('diverged-pass1');
    const advance = NativeMachine.prototype.advance;
    let first: NativeMachine | null = null;
    // Pass 1's machine records another value for the access of step 4.
    vi.spyOn(NativeMachine.prototype, 'advance').mockImplementation(function (
      this: NativeMachine,
      budget,
      accesses,
    ) {
      first ??= this;
      const ran = advance.call(this, budget, accesses);
      if (this === first && accesses !== undefined && this.steps === ran && accesses.row > 4)
        accesses.value[4] += 1;
      return ran;
    });
    expect(() =>
      exportTrace(load('fibonacci'), target, { maxSteps: 1_000_000, batchRows: 10 }),
    ).toThrow(
      "internal error: the memory accesses of steps 0..9 differ between the export's two runs",
    );
    survives(sub, target);
  });

  it('a disk error while writing (ENOSPC) is exit 2 and removes the partial file', async () => {
    const { sub, target } = setup('nospace');
    let writes = 0;
    const write = FileSink.prototype.write;
    vi.spyOn(FileSink.prototype, 'write').mockImplementation(function (this: FileSink, value) {
      if (++writes === 20)
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      return write.call(this, value);
    });
    const viaCli = await cli(
      'export',
      'programs/fibonacci.tvm',
      '-o',
      target,
      '--batch-rows',
      '10',
    );
    expect(writes).toBe(20);
    expect(viaCli).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${target}: cannot write: ENOSPC`],
    });
    survives(sub, target);
  });

  it('a successful export replaces the target and leaves nothing else', () => {
    const { sub, target } = setup('replace');
    exportTrace(load('fibonacci'), target, { maxSteps: 1_000_000 });
    expect(readFileSync(target).subarray(0, 6).toString()).toBe('ARROW1');
    expect(readdirSync(sub)).toEqual(['trace.arrow']);
  });
});

describe('the claim file and limits', () => {
  it('--claim writes a msgpack map equal to claimDocument(metadata)', async () => {
    const trace = fresh('fib.arrow');
    const claim = fresh('fib.claim');
    const result = await cli('export', 'programs/fibonacci.tvm', '-o', trace, '--claim', claim);
    expect(result.code).toBe(0);
    const document = new Unpackr({ useRecords: false, mapsAsObjects: true }).unpack(
      readFileSync(claim),
    ) as Record<string, unknown>;
    const metadata = decodeMetadata(arrow.tableFromIPC(readFileSync(trace)).schema.metadata);
    expect(document).toEqual(claimDocument(metadata));
    expect(Object.keys(document)).toEqual(Object.keys(claimDocument(metadata)));
    expect(document).toMatchObject({
      schema: 'tvm-trace/claim/v2',
      steps: 103,
      acc: 21,
      halted: true,
      memory: [13, 21, 21, 7, 7],
      fault: null,
    });
  });

  it('--max-steps above 2^29 is a usage error (CLI) and a RangeError (library)', async () => {
    const target = fresh('huge.arrow');
    const result = await cli(
      'export',
      'programs/fibonacci.tvm',
      '-o',
      target,
      '--max-steps',
      String(MAX_TRACE_ROWS + 1),
    );
    expect(result).toEqual({
      code: 64,
      stdout: [],
      stderr: ['tvm-trace: --max-steps 536870913 is over the trace limit 536870912 (2^29 rows)'],
    });
    expect(existsSync(target)).toBe(false);
    expect(() => exportTrace(load('fibonacci'), target, { maxSteps: MAX_TRACE_ROWS + 1 })).toThrow(
      'max-steps must be in 1..536870912',
    );
    // Exactly 2^29 is allowed (the run halts long before).
    expect(
      (
        await cli(
          'export',
          'programs/fibonacci.tvm',
          '-o',
          target,
          '--max-steps',
          String(MAX_TRACE_ROWS),
        )
      ).code,
    ).toBe(0);
  });
});
