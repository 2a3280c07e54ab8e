/**
 * The ranges schemas/trace-v2.json documents are true: each fits its column's Arrow type (an
 * Int16 column is never documented past -32768..32767), it covers every slot of `input` and
 * `output`, and every cell of the traces of every example program, a program whose pc wraps at
 * 255, and 200 random programs lies in it. The schema also says no cell holds a null.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COLUMNS, MAX_TRACE_ROWS, type ColumnSpec } from '../../src/air/columns.js';
import { assemble } from '../../src/isa/assemble.js';
import type { Program } from '../../src/isa/program.js';
import { openTrace, readCell } from '../../src/trace/read/reader.js';
import { exportTrace } from '../../src/trace/write/export.js';
import { Random, randomProgram } from '../support/random-programs.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-trace-ranges-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The slots of the two columns whose range is given per slot, named as their meaning names them. */
const SLOT_NAMES: Record<string, string[]> = {
  input: ['1', 'PC', 'PC+1', 'ACC', 'ZERO', 'CARRY', 'HALTED', 'SP', 'OPERAND'],
  output: ['NEXT_PC', 'RAW_ACC', 'NEXT_SP', 'WRITE_ENABLE', 'WRITE_ADDR', 'WRITE_VALUE'],
};

const TYPE_RANGE: Record<ColumnSpec['type'], [number, number]> = {
  bool: [0, 1],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-(2 ** 31), 2 ** 31 - 1],
};

/** A bound as the schema writes it: an integer, ±2^k, or steps-1 (the trace's rows - 1). */
function bound(text: string, steps: number): number {
  if (text === 'steps-1') return steps - 1;
  const power = /^(-?)2\^(\d+)$/.exec(text);
  if (power !== null) return (power[1] === '-' ? -1 : 1) * 2 ** Number(power[2]);
  if (!/^-?\d+$/.test(text)) throw new Error(`not a bound: '${text}'`);
  return Number(text);
}

function interval(text: string, steps: number): [number, number] {
  const [low, high = low] = text.split('..');
  return [bound(low, steps), bound(high, steps)];
}

/** [low, high] of each entry of a column: one interval for all, or one per named slot. */
function documented(spec: ColumnSpec, steps: number): (entry: number) => [number, number] {
  const names = SLOT_NAMES[spec.name];
  if (names === undefined) {
    const all = interval(spec.range, steps);
    return () => all;
  }
  const bySlot = new Map<string, [number, number]>();
  for (const part of spec.range.split('; ')) {
    const match = /^(.+) (\S+)$/.exec(part);
    if (match === null) throw new Error(`${spec.name}: cannot read '${part}'`);
    for (const name of match[1].split(', ')) {
      if (!names.includes(name) || bySlot.has(name))
        throw new Error(`${spec.name}: slot '${name}' unknown or given twice`);
      bySlot.set(name, interval(match[2], steps));
    }
  }
  const missing = names.filter((name) => !bySlot.has(name));
  if (missing.length > 0) throw new Error(`${spec.name}: no range for ${missing.join(', ')}`);
  return (entry) => bySlot.get(names[entry])!;
}

describe('the documented ranges', () => {
  it('say no cell holds a null', () => {
    const schema = JSON.parse(readFileSync('schemas/trace-v2.json', 'utf8')) as { format: string };
    expect(schema.format).toContain(
      'No column is nullable and no cell holds a null; every value lies in the range documented for its column.',
    );
  });

  it.each(COLUMNS.map((spec) => [spec.name, spec] as const))(
    '%s: fits its Arrow type, every slot covered',
    (name, spec) => {
      const [typeLow, typeHigh] = TYPE_RANGE[spec.type];
      const range = documented(spec, MAX_TRACE_ROWS);
      const entries = SLOT_NAMES[name]?.length ?? 1;
      if (SLOT_NAMES[name] !== undefined) expect(spec.width).toBe(entries);
      for (let entry = 0; entry < entries; entry++) {
        const [low, high] = range(entry);
        expect({ name, entry, low: low >= typeLow && low <= high, high: high <= typeHigh }).toEqual(
          { name, entry, low: true, high: true },
        );
      }
    },
  );

  it('hold on every cell of the example programs, a pc wrapping at 255 and 200 random programs', () => {
    const runs: [string, Program, number][] = readdirSync('programs')
      .filter((name) => name.endsWith('.tvm'))
      .sort()
      .map((name) => [name, assemble(readFileSync(join('programs', name), 'utf8')), 20_000]);
    // 256 instructions: pc 255 runs on into pc 0 (PC+1 = 0 there).
    runs.push([
      'pc wrap',
      assemble(`.memory 2\n${'PUSH\nPOP\n'.repeat(127)}LOADI -32768\nADD -1\n`),
      600,
    ]);
    const random = new Random(14);
    for (let i = 0; i < 200; i++) {
      const { program, maxSteps } = randomProgram(random);
      runs.push([`random ${i}`, program, maxSteps]);
    }
    const seen = new Map<string, [number, number]>();
    const outside: string[] = [];
    return (async () => {
      for (const [name, program, maxSteps] of runs) {
        const path = join(dir, 'trace.arrow');
        const { rows } = exportTrace(program, path, { maxSteps });
        const trace = await openTrace(path);
        const ranges = trace.slots.map((slot) => documented(slot.spec, rows));
        for await (const batch of trace.batches()) {
          for (let row = 0; row < batch.rows; row++) {
            for (const slot of trace.slots) {
              for (let entry = 0; entry < slot.width; entry++) {
                const value = readCell(batch, trace.slots, slot.index, row, entry);
                const [low, high] = ranges[slot.index](entry);
                if ((value < low || value > high) && outside.length < 10)
                  outside.push(
                    `${name}: ${slot.spec.name}[${entry}] = ${value} at row ${batch.firstRow + row}, documented ${low}..${high}`,
                  );
                const key =
                  SLOT_NAMES[slot.spec.name] === undefined
                    ? slot.spec.name
                    : `${slot.spec.name}.${SLOT_NAMES[slot.spec.name][entry]}`;
                const [min, max] = seen.get(key) ?? [value, value];
                seen.set(key, [Math.min(min, value), Math.max(max, value)]);
              }
            }
          }
          trace.release(batch);
        }
        await trace.close();
      }
      expect(outside).toEqual([]);
      // The edges the documents name are reached: PC+1 is 0 at pc 255, pc 255 runs, an address 256 means no access.
      expect(seen.get('input.PC+1')).toEqual([0, 255]);
      expect(seen.get('pc')).toEqual([0, 255]);
      expect(seen.get('access_addr')![1]).toBe(256);
      expect(seen.get('input.ACC')).toEqual([-32768, 32767]);
    })();
  }, 120_000);
});
