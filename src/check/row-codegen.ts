/** A row set's plan compiled to JavaScript: the evaluator that names a failing row's constraints. */
import type { ColumnSlot } from '../trace/format/layout.js';
import type { Cell, Instance, RowSet } from './expand.js';
import { planRowSet, TYPE_BOUND, type BitRun, type OrCheck, type RowSetPlan } from './plan.js';

/**
 * Compiles a row set's plan (plan.ts) into JavaScript, coefficients baked in: the row
 * evaluator that names a flagged row's failing instances, and a scan of row ranges. The check
 * scans batches with the WebAssembly scan (scan-codegen.ts); this scan covers its single
 * boundary rows (first, last, batch junctions) and is the reference the WebAssembly scan is
 * tested against. Each cell is loaded once per row; non-zero residuals are reported.
 *
 * Exactness: residuals are computed in doubles. Every monomial is a coefficient times at most
 * two cells; a product of two int32 cells of 2^48 or more flags the row, so the caller
 * re-evaluates it with BigInt, and an instance whose terms could otherwise sum past 2^53
 * flags every row (none of AIR v1 does). A row whose selector is not one-hot is reported.
 * The generated code avoids what makes V8 drop its optimised code: no -0 (never `-x`),
 * integer-only bit reads, no array destructuring.
 */

/** Scan rows [start, end): writes the rows with a non-zero (or inexact) residual, returns how many. */
export type RangeEvaluator = (
  D: ArrayLike<number>[],
  O: readonly number[],
  start: number,
  end: number,
  failedRows: Int32Array,
) => number;
/** One row (n = next row): writes failing instance ids, returns their count, or -1 when inexact. */
export type RowEvaluator = (
  D: ArrayLike<number>[],
  O: readonly number[],
  r: number,
  n: number,
  failed: Int32Array,
) => number;

export interface CompiledRowSet {
  readonly plan: RowSetPlan;
  readonly instances: readonly Instance[];
  /** Instances that hold for every value their columns' types allow (e.g. b² = b on bool). */
  readonly vacuous: number;
  readonly scan: RangeEvaluator;
  readonly row: RowEvaluator;
}

const SAFE = 2 ** 53;

class Loader {
  private readonly names = new Map<string, string>();

  /** Bits [24·chunk, 24·chunk + 24) of a bool column's row, as an integer (bit 0 = first entry). */
  window(column: number, next: boolean, chunk: number): string {
    const key = `win${next ? 'n' : 'r'}${column}_${chunk}`;
    let name = this.names.get(key);
    if (name === undefined) {
      name = `${this.prefix}${this.names.size}`;
      this.names.set(key, name);
      const slot = this.slots[column];
      const row = next ? 'n' : 'r';
      const D = `D${column}`;
      this.lines.push(
        `const q${name} = O[${column}] + ${row} * ${slot.width} + ${chunk * 24}; const y${name} = q${name} >> 3;`,
        `const ${name} = (${D}[y${name}] | (${D}[y${name} + 1] << 8) | (${D}[y${name} + 2] << 16) | (${D}[y${name} + 3] << 24)) >>> (q${name} & 7);`,
      );
    }
    return name;
  }

  /** A k-bit word of a bool column as one value (signed: two's complement), with integer ops only. */
  word(run: BitRun): string {
    const key = `w${run.next ? 'n' : 'r'}${run.column}_${run.start}_${run.bits}_${run.signed}`;
    let name = this.names.get(key);
    if (name === undefined) {
      name = `${this.prefix}${this.names.size}`;
      this.names.set(key, name);
      const chunk = Math.floor(run.start / 24);
      if (Math.floor((run.start + run.bits - 1) / 24) === chunk) {
        // Within one 24-bit window of the row: shared with the other reads of that window (each
        // typed-array read costs a bounds check, and they dominate a scan).
        const window = this.window(run.column, run.next, chunk);
        const shift = run.start - chunk * 24;
        this.lines.push(
          run.signed
            ? `const ${name} = (${window} << ${32 - shift - run.bits}) >> ${32 - run.bits};`
            : `const ${name} = (${window} >>> ${shift}) & ${2 ** run.bits - 1};`,
        );
        return name;
      }
      const slot = this.slots[run.column];
      const row = run.next ? 'n' : 'r';
      const D = `D${run.column}`;
      const q = `O[${run.column}] + ${row} * ${slot.width} + ${run.start}`;
      // Four bytes from bit q hold q's 25 bits (q & 7 ≤ 7); wider words join two 16-bit halves.
      const bytes = (at: string) =>
        `((${D}[${at}] | (${D}[${at} + 1] << 8) | (${D}[${at} + 2] << 16) | (${D}[${at} + 3] << 24)) >>> (q${name} & 7))`;
      this.lines.push(`const q${name} = ${q}; const y${name} = q${name} >> 3;`);
      if (run.bits <= 25) {
        const shift = 32 - run.bits;
        this.lines.push(
          run.signed
            ? `const ${name} = (${bytes(`y${name}`)} << ${shift}) >> ${shift};`
            : `const ${name} = ${bytes(`y${name}`)} & ${2 ** run.bits - 1};`,
        );
      } else {
        const top = 2 ** run.bits;
        this.lines.push(
          `const t${name} = (${bytes(`y${name}`)} & 65535) + (${bytes(`y${name} + 2`)} & ${2 ** (run.bits - 16) - 1}) * 65536;`,
          run.signed
            ? `const ${name} = t${name} >= ${top / 2} ? t${name} - ${top} : t${name};`
            : `const ${name} = t${name};`,
        );
      }
    }
    return name;
  }
  constructor(
    private readonly slots: readonly ColumnSlot[],
    private readonly prefix: string,
  ) {}
  readonly lines: string[] = [];

  name(cell: Cell): string {
    const key = `${cell.next ? 'n' : 'r'}${cell.column}_${cell.entry}`;
    let name = this.names.get(key);
    if (name === undefined) {
      name = `${this.prefix}${this.names.size}`;
      this.names.set(key, name);
      const slot = this.slots[cell.column];
      const row = cell.next ? 'n' : 'r';
      const index = slot.width === 1 ? row : `${row} * ${slot.width} + ${cell.entry}`;
      if (slot.spec.type === 'bool') {
        // Bits come from a 24-bit window of the row's bitmap, assembled once per row.
        const chunk = Math.floor(cell.entry / 24);
        const window = this.window(cell.column, cell.next, chunk);
        this.lines.push(`const ${name} = (${window} >>> ${cell.entry - chunk * 24}) & 1;`);
      } else {
        this.lines.push(`const ${name} = D${cell.column}[${index}];`);
      }
    }
    return name;
  }
}

/** c·(cells) as `constant` (no cells) or ± a non-negative expression. */
interface SignedTerm {
  readonly constant: number;
  readonly negative: boolean;
  readonly expr: string;
}

/** `start` (a variable, or 0 when null) plus the terms, constants folded, without unary minus. */
function sum(terms: readonly SignedTerm[], start: string | null): string {
  const constant = terms.reduce((total, t) => total + t.constant, 0);
  let code = start ?? '';
  for (const t of terms) {
    if (t.expr === '') continue;
    code =
      code === ''
        ? t.negative
          ? `0 - ${t.expr}`
          : t.expr
        : `${code} ${t.negative ? '-' : '+'} ${t.expr}`;
  }
  if (code === '') return String(constant);
  return constant === 0 ? code : `${code} ${constant < 0 ? '-' : '+'} ${Math.abs(constant)}`;
}

/** A product of two int32 cells at or above this flags the row for BigInt (keeps sums < 2^53). */
const PRODUCT_GUARD = 2 ** 48;

export function compileRowSet(
  rows: RowSet,
  all: readonly Instance[],
  slots: readonly ColumnSlot[],
  selectColumn: number,
): CompiledRowSet {
  const plan = planRowSet(rows, all, slots, selectColumn);
  const { instances, vacuous, parts, tableSlots, S, table, P } = plan;
  const isWide = (cell: Cell) => slots[cell.column].spec.type === 'int32';
  const bound = (cell: Cell) => TYPE_BOUND[slots[cell.column].spec.type];
  // Exactness: every partial sum must stay below 2^53 (guarded products count at their guard).
  let unsafe = false;
  parts.forEach(({ plain, slots: own }) => {
    let largest = 0;
    for (const m of plain)
      largest +=
        Math.abs(m.coef) *
        (m.cells.length === 2 && isWide(m.cells[0]) && isWide(m.cells[1])
          ? PRODUCT_GUARD
          : m.cells.reduce((x, c) => x * bound(c), 1));
    for (const s of own) {
      const cell = tableSlots[s].cell;
      largest +=
        Math.max(0, ...[...tableSlots[s].coefs.values()].map(Math.abs)) *
        (cell === null ? 1 : bound(cell));
    }
    if (largest >= SAFE) unsafe = true;
  });
  /**
   * Straight-line code for one row: `residual` instances get their residual c<k>; the OR runs
   * get one word comparison each, g<i> (non-zero where some OR of the run fails).
   */
  const emit = (residual: readonly number[], runs: readonly OrCheck[][]) => {
    const load = new Loader(slots, 'v');
    const prelude: string[] = [];
    let guarded = 0;
    /**
     * A monomial as a signed term whose expression never negates: `-x` and `-1 * x` make -0
     * from 0, which sends V8's optimised code back to the interpreter (a "minus zero" deopt).
     */
    const term = (coef: number, cells: Cell[]): SignedTerm => {
      const vars = cells.map((c) => load.name(c));
      if (vars.length === 0) return { constant: coef, negative: false, expr: '' };
      let product = vars.join(' * ');
      if (cells.length === 2 && isWide(cells[0]) && isWide(cells[1])) {
        const p = `p${guarded++}`;
        prelude.push(
          `const ${p} = ${product}; if (${p} >= ${PRODUCT_GUARD} || ${p} <= -${PRODUCT_GUARD}) inexact = true;`,
        );
        product = p;
      }
      const magnitude = Math.abs(coef);
      return {
        constant: 0,
        negative: coef < 0,
        expr: magnitude === 1 ? product : `${magnitude} * ${product}`,
      };
    };
    const lines: string[] = [];
    for (const k of residual) {
      const terms: SignedTerm[] = parts[k].runs.map((run) => {
        const magnitude = Math.abs(run.coef);
        return {
          constant: 0,
          negative: run.coef < 0,
          expr: magnitude === 1 ? load.word(run) : `${magnitude} * ${load.word(run)}`,
        };
      });
      for (const m of parts[k].rest) terms.push(term(m.coef, m.cells));
      let code = sum(terms, null);
      for (const s of parts[k].slots) {
        const cell = tableSlots[s].cell;
        code = `${code} + ${cell === null ? `T[tb + ${s}]` : `T[tb + ${s}] * ${load.name(cell)}`}`;
      }
      lines.push(`const c${k} = ${code};`);
    }
    const word = (cell: Cell, bits: number) =>
      load.word({
        column: cell.column,
        next: cell.next,
        start: cell.entry,
        bits,
        signed: false,
        coef: 1,
      });
    runs.forEach((run, i) => {
      const [{ o, x, y }] = run;
      lines.push(
        `const g${i} = ${word(o, run.length)} ^ (${word(x, run.length)} | ${word(y, run.length)});`,
      );
    });
    const failing = [...residual.map((k) => `c${k} !== 0`), ...runs.map((_, i) => `g${i} !== 0`)];
    return {
      body: [...load.lines, ...prelude, ...lines],
      anyFailure: failing.length === 0 ? 'false' : failing.join(' || '),
    };
  };

  // The scan only decides whether a row fails: OR instances (no selector cells) are checked a
  // run at a time. The row evaluator names the failing instances, so it has every residual.
  const scanPart = emit(
    instances.flatMap((_, k) => (parts[k].or === null ? [k] : [])),
    plan.orRuns,
  );
  const rowPart = emit(
    instances.map((_, k) => k),
    [],
  );

  const selectorCode: string[] = [];
  if (S > 0) {
    // The selected instruction: the row's selector bitmap, 24 bits at a time.
    const D = `D${selectColumn}`;
    selectorCode.push(
      `const sb = O[${selectColumn}] + r * ${P}; let selected = -1;`,
      `for (let q = sb, e = sb + ${P}; q < e; q += 24) {`,
    );
    selectorCode.push(
      `  const y = q >> 3; let w = ((${D}[y] | (${D}[y + 1] << 8) | (${D}[y + 2] << 16) | (${D}[y + 3] << 24)) >>> (q & 7)) & 16777215;`,
      `  if (e - q < 24) w &= (1 << (e - q)) - 1;`,
      `  if (w === 0) continue;`,
      `  if (selected >= 0 || (w & (w - 1)) !== 0) { selected = -2; break; }`,
      `  selected = q - sb + 31 - Math.clz32(w);`,
      `}`,
    );
  }
  const columns = [...new Set(slots.map((s) => s.index))];
  // Indexed loads, not array destructuring: destructuring goes through the iterator protocol,
  // whose feedback V8 can lack when it optimises, and the deopt costs a batch in the interpreter.
  const unpack = columns.map((c) => `const D${c} = D[${c}];`).join(' ');
  const tableLiteral = S > 0 ? `const T = new Float64Array([${Array.from(table).join(',')}]);` : '';
  const notOneHot = S > 0 ? 'selected < 0' : 'false';
  const tableBase = S > 0 ? `const tb = selected * ${S};` : '';

  const scanSource = [
    unpack,
    tableLiteral,
    `let f = 0;`,
    `for (let r = start; r < end; r++) {`,
    `  const n = r + 1;`,
    `  let inexact = ${unsafe};`,
    ...selectorCode.map((l) => `  ${l}`),
    `  if (${notOneHot}) { failedRows[f++] = r; if (f === failedRows.length) return f; continue; }`,
    `  ${tableBase}`,
    ...scanPart.body.map((l) => `  ${l}`),
    `  if (inexact || ${scanPart.anyFailure}) { failedRows[f++] = r; if (f === failedRows.length) return f; }`,
    `}`,
    `return f;`,
  ].join('\n');
  const rowSource = [
    unpack,
    tableLiteral,
    `let inexact = ${unsafe};`,
    ...selectorCode,
    `if (${notOneHot}) return -1;`,
    tableBase,
    ...rowPart.body,
    `if (inexact) return -1;`,
    `let f = 0;`,
    ...instances.map((inst, k) => `if (c${k} !== 0) failed[f++] = ${inst.id};`),
    `return f;`,
  ].join('\n');
  const scan = new Function('D', 'O', 'start', 'end', 'failedRows', scanSource) as RangeEvaluator;
  const row = new Function('D', 'O', 'r', 'n', 'failed', rowSource) as RowEvaluator;
  return { plan, instances, vacuous, scan, row };
}

/** Exact residual of one instance with BigInt (the slow path for wide products and field checks). */
export function residualBig(instance: Instance, value: (cell: Cell) => number): bigint {
  let total = 0n;
  for (const m of instance.monomials) {
    let product = BigInt(m.coef);
    for (const cell of m.cells) product *= BigInt(value(cell));
    total += product;
  }
  return total;
}
