import type { ColumnSlot } from '../trace/layout.js';
import type { Cell, Instance, Monomial, RowSet } from './expand.js';

/**
 * Compiles the expanded constraint instances of one row set into JavaScript (one compile per
 * trace: coefficients are baked in). Each cell is loaded once per row, every instance's
 * residual is computed exactly, and non-zero residuals are reported.
 *
 * Exactness: residuals are computed in doubles. Every monomial is a coefficient times at most
 * two cells; a product of two int32 cells of 2^48 or more flags the row, so the caller
 * re-evaluates it with BigInt, and an instance whose terms could otherwise sum past 2^53
 * flags every row (none of AIR v1 does).
 *
 * Selector terms: a monomial `c · select[j] · m` contributes only where select[j] ≠ 0. The
 * code finds the row's selected instruction j (its one set selector bit) and adds j's
 * coefficients from a table; a row with no or several selector bits is reported to the
 * caller, whose exact evaluation of every instance decides. So the sum is evaluated exactly,
 * not assumed one-hot. The generated code avoids what makes V8 drop its optimised code:
 * no switch over instructions, no -0 (never `-x`), integer-only bit reads.
 *
 * Bool columns hold only 0 and 1 (Arrow Bool), so b·b is rewritten to b before compiling;
 * an instance that vanishes identically on those domains (booleanity) needs no code.
 */

/** Scan rows [start, end): writes the rows with a non-zero (or inexact) residual, returns how many. */
export type RangeEvaluator = (D: ArrayLike<number>[], O: readonly number[], start: number, end: number, failedRows: Int32Array) => number;
/** One row (n = next row): writes failing instance ids, returns their count, or -1 when inexact. */
export type RowEvaluator = (D: ArrayLike<number>[], O: readonly number[], r: number, n: number, failed: Int32Array) => number;

export interface CompiledRowSet {
  readonly instances: readonly Instance[];
  /** Instances that hold for every value their columns' types allow (e.g. b² = b on bool). */
  readonly vacuous: number;
  readonly scan: RangeEvaluator;
  readonly row: RowEvaluator;
  /** A function body returning `scan` (its coefficient table built once), for evaluation in a worker. */
  readonly scanSource: string;
}

const SAFE = 2 ** 53;

/** Rewrite b·b → b for bool cells, merge equal monomials and drop zeros. */
export function simplifyForTypes(monomials: readonly Monomial[], slots: readonly ColumnSlot[]): Monomial[] {
  const merged = new Map<string, Monomial>();
  for (const m of monomials) {
    let cells = m.cells;
    if (cells.length === 2 && sameCell(cells[0], cells[1]) && slots[cells[0].column].spec.type === 'bool') cells = [cells[0]];
    const key = cells.map((c) => `${c.next ? 'n' : ''}${c.column}:${c.entry}`).join('*');
    const existing = merged.get(key);
    if (existing) existing.coef += m.coef;
    else merged.set(key, { coef: m.coef, cells });
  }
  return [...merged.values()].filter((m) => m.coef !== 0);
}

function sameCell(a: Cell, b: Cell): boolean {
  return a.column === b.column && a.entry === b.entry && a.next === b.next;
}

/**
 * A run of single-bit monomials c·2^i·b[e+i] (i = 0..k-1) of one bool column, optionally with
 * the top bit weighted -c·2^(k-1) (two's complement): evaluated as c times the k-bit word.
 */
interface BitRun {
  column: number;
  next: boolean;
  start: number;
  bits: number;
  signed: boolean;
  coef: number;
}

/** Split monomials into bit runs (length ≥ 4) and the rest. Exact: Σ c·2^i·b_i is the word. */
export function foldBitRuns(monomials: readonly Monomial[], slots: readonly ColumnSlot[]): { runs: BitRun[]; rest: Monomial[] } {
  const singles = new Map<string, Monomial[]>();
  const rest: Monomial[] = [];
  for (const m of monomials) {
    const cell = m.cells[0];
    if (m.cells.length === 1 && slots[cell.column].spec.type === 'bool') {
      const key = `${cell.column}:${cell.next}`;
      const list = singles.get(key) ?? [];
      list.push(m);
      singles.set(key, list);
    } else {
      rest.push(m);
    }
  }
  const runs: BitRun[] = [];
  for (const list of singles.values()) {
    list.sort((a, b) => a.cells[0].entry - b.cells[0].entry);
    let i = 0;
    while (i < list.length) {
      const first = list[i];
      const coef = first.coef;
      let j = i + 1;
      let signed = false;
      while (j < list.length && list[j].cells[0].entry === first.cells[0].entry + (j - i)) {
        const weight = coef * 2 ** (j - i);
        if (list[j].coef === weight) {
          j++;
          continue;
        }
        if (list[j].coef === -weight) {
          signed = true;
          j++;
        }
        break;
      }
      const bits = j - i;
      if (bits >= 4 && bits <= 31) {
        runs.push({ column: first.cells[0].column, next: first.cells[0].next, start: first.cells[0].entry, bits, signed, coef });
      } else {
        rest.push(...list.slice(i, j));
      }
      i = j;
    }
  }
  return { runs, rest };
}

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
      const bytes = (at: string) => `((${D}[${at}] | (${D}[${at} + 1] << 8) | (${D}[${at} + 2] << 16) | (${D}[${at} + 3] << 24)) >>> (q${name} & 7))`;
      this.lines.push(`const q${name} = ${q}; const y${name} = q${name} >> 3;`);
      if (run.bits <= 25) {
        const shift = 32 - run.bits;
        this.lines.push(
          run.signed ? `const ${name} = (${bytes(`y${name}`)} << ${shift}) >> ${shift};` : `const ${name} = ${bytes(`y${name}`)} & ${2 ** run.bits - 1};`,
        );
      } else {
        const top = 2 ** run.bits;
        this.lines.push(
          `const t${name} = (${bytes(`y${name}`)} & 65535) + (${bytes(`y${name} + 2`)} & ${2 ** (run.bits - 16) - 1}) * 65536;`,
          run.signed ? `const ${name} = t${name} >= ${top / 2} ? t${name} - ${top} : t${name};` : `const ${name} = t${name};`,
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
    code = code === '' ? (t.negative ? `0 - ${t.expr}` : t.expr) : `${code} ${t.negative ? '-' : '+'} ${t.expr}`;
  }
  if (code === '') return String(constant);
  return constant === 0 ? code : `${code} ${constant < 0 ? '-' : '+'} ${Math.abs(constant)}`;
}

/** Largest |value| a cell of each column type can hold. */
const TYPE_BOUND = { bool: 1, int8: 2 ** 7, int16: 2 ** 15, int32: 2 ** 31 } as const;
/** A product of two int32 cells at or above this flags the row for BigInt (keeps sums < 2^53). */
const PRODUCT_GUARD = 2 ** 48;
/** Rows per call of a compiled scan's row loop (see scanSource). */
const SCAN_SLICE = 2048;

/** o = x ∨ y over bool cells (x, y in canonical order): an instance c·(o + x·y - x - y). */
interface OrCheck {
  readonly o: Cell;
  readonly x: Cell;
  readonly y: Cell;
}

const cellOrder = (a: Cell, b: Cell) => a.column - b.column || Number(a.next) - Number(b.next) || a.entry - b.entry;

/** The instance as o = x ∨ y when its monomials are exactly c·(o + x·y - x - y) over bool cells, else null. */
export function asOr(monomials: readonly Monomial[], isBool: (cell: Cell) => boolean): OrCheck | null {
  if (monomials.length !== 4 || !monomials.every((m) => m.cells.every(isBool))) return null;
  const pair = monomials.find((m) => m.cells.length === 2);
  if (pair === undefined || sameCell(pair.cells[0], pair.cells[1])) return null;
  const c = pair.coef;
  const [x, y] = [...pair.cells].sort(cellOrder);
  const singles = monomials.filter((m) => m !== pair);
  if (!singles.every((m) => m.cells.length === 1)) return null;
  const find = (cell: Cell, coef: number) => singles.some((m) => sameCell(m.cells[0], cell) && m.coef === coef);
  const o = singles.find((m) => m.coef === c && !sameCell(m.cells[0], x) && !sameCell(m.cells[0], y));
  if (o === undefined || !find(x, -c) || !find(y, -c)) return null;
  return { o: o.cells[0], x, y };
}

/**
 * OR instances in runs whose o, x and y cells step through consecutive entries together (a
 * prefix-OR chain is one run): a run of k checks is the k-bit words O = X | Y.
 */
function orRuns(checks: ReadonlyArray<OrCheck>): OrCheck[][] {
  const groups = new Map<string, OrCheck[]>();
  for (const check of checks) {
    const { o, x, y } = check;
    const key = `${o.column}:${o.next}|${x.column}:${x.next}:${x.entry - o.entry}|${y.column}:${y.next}:${y.entry - o.entry}`;
    const list = groups.get(key) ?? [];
    list.push(check);
    groups.set(key, list);
  }
  const runs: OrCheck[][] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.o.entry - b.o.entry);
    let run: OrCheck[] = [];
    for (const check of list) {
      const last = run.at(-1);
      if (last !== undefined && (check.o.entry !== last.o.entry + 1 || run.length === 24)) {
        runs.push(run);
        run = [];
      }
      run.push(check);
    }
    if (run.length > 0) runs.push(run);
  }
  return runs;
}

export function compileRowSet(rows: RowSet, all: readonly Instance[], slots: readonly ColumnSlot[], selectColumn: number): CompiledRowSet {
  const candidates = all.filter((i) => i.rows === rows).map((i) => ({ ...i, monomials: simplifyForTypes(i.monomials, slots) }));
  const instances = candidates.filter((i) => i.monomials.length > 0);
  const vacuous = candidates.length - instances.length;
  const isWide = (cell: Cell) => slots[cell.column].spec.type === 'int32';
  const isBool = (cell: Cell) => slots[cell.column].spec.type === 'bool';
  const bound = (cell: Cell) => TYPE_BOUND[slots[cell.column].spec.type];
  const isSelector = (cell: Cell) => rows === 'every' && cell.column === selectColumn && !cell.next;

  // Selector terms c·select[j]·m (m a cell or 1) become a table: for the row's one selected
  // instruction j, instance k adds T[j·S + s]·m over its slots s. Rows whose selector is not
  // exactly one bit go to the exact row evaluator instead (they violate Σ select = 1 anyway).
  const P = rows === 'every' ? slots[selectColumn].width : 0;
  const tableSlots: Array<{ cell: Cell | null; coefs: Map<number, number> }> = [];
  /** Per instance: its monomials without selector cells, and its table slots. */
  const parts = instances.map((instance) => {
    const plain = instance.monomials.filter((m) => !m.cells.some(isSelector));
    const own = new Map<string, number>();
    for (const m of instance.monomials) {
      const at = m.cells.findIndex(isSelector);
      if (at < 0) continue;
      const rest = m.cells.filter((_, i) => i !== at);
      if (rest.length > 1) throw new Error(`internal error: ${instance.name} has a selector term of degree ${m.cells.length}`);
      const key = rest.length === 0 ? 'one' : `${rest[0].column}:${rest[0].entry}:${rest[0].next}`;
      let s = own.get(key);
      if (s === undefined) {
        s = tableSlots.length;
        own.set(key, s);
        tableSlots.push({ cell: rest[0] ?? null, coefs: new Map() });
      }
      const coefs = tableSlots[s].coefs;
      coefs.set(m.cells[at].entry, (coefs.get(m.cells[at].entry) ?? 0) + m.coef);
    }
    return { plain, slots: [...own.values()] };
  });
  // Exactness: every partial sum must stay below 2^53 (guarded products count at their guard).
  let unsafe = false;
  parts.forEach(({ plain, slots: own }) => {
    let largest = 0;
    for (const m of plain) largest += Math.abs(m.coef) * (m.cells.length === 2 && isWide(m.cells[0]) && isWide(m.cells[1]) ? PRODUCT_GUARD : m.cells.reduce((x, c) => x * bound(c), 1));
    for (const s of own) {
      const cell = tableSlots[s].cell;
      largest += Math.max(0, ...[...tableSlots[s].coefs.values()].map(Math.abs)) * (cell === null ? 1 : bound(cell));
    }
    if (largest >= SAFE) unsafe = true;
  });
  const S = tableSlots.length;
  const table = new Float64Array(P * S);
  tableSlots.forEach((slot, s) => slot.coefs.forEach((coef, j) => (table[j * S + s] = coef)));

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
        prelude.push(`const ${p} = ${product}; if (${p} >= ${PRODUCT_GUARD} || ${p} <= -${PRODUCT_GUARD}) inexact = true;`);
        product = p;
      }
      const magnitude = Math.abs(coef);
      return { constant: 0, negative: coef < 0, expr: magnitude === 1 ? product : `${magnitude} * ${product}` };
    };
    const lines: string[] = [];
    for (const k of residual) {
      const folded = foldBitRuns(parts[k].plain, slots);
      const terms: SignedTerm[] = folded.runs.map((run) => {
        const magnitude = Math.abs(run.coef);
        return { constant: 0, negative: run.coef < 0, expr: magnitude === 1 ? load.word(run) : `${magnitude} * ${load.word(run)}` };
      });
      for (const m of folded.rest) terms.push(term(m.coef, m.cells));
      let code = sum(terms, null);
      for (const s of parts[k].slots) {
        const cell = tableSlots[s].cell;
        code = `${code} + ${cell === null ? `T[tb + ${s}]` : `T[tb + ${s}] * ${load.name(cell)}`}`;
      }
      lines.push(`const c${k} = ${code};`);
    }
    const word = (cell: Cell, bits: number) => load.word({ column: cell.column, next: cell.next, start: cell.entry, bits, signed: false, coef: 1 });
    runs.forEach((run, i) => {
      const [{ o, x, y }] = run;
      lines.push(`const g${i} = ${word(o, run.length)} ^ (${word(x, run.length)} | ${word(y, run.length)});`);
    });
    const failing = [...residual.map((k) => `c${k} !== 0`), ...runs.map((_, i) => `g${i} !== 0`)];
    return { body: [...load.lines, ...prelude, ...lines], anyFailure: failing.length === 0 ? 'false' : failing.join(' || ') };
  };

  // The scan only decides whether a row fails: OR instances (no selector cells) are checked a
  // run at a time. The row evaluator names the failing instances, so it has every residual.
  const ors = instances.map((instance, k) => (parts[k].slots.length === 0 ? asOr(parts[k].plain, isBool) : null));
  const scanPart = emit(
    instances.flatMap((_, k) => (ors[k] === null ? [k] : [])),
    orRuns(ors.filter((check): check is OrCheck => check !== null)),
  );
  const rowPart = emit(
    instances.map((_, k) => k),
    [],
  );

  const selectorCode: string[] = [];
  if (S > 0) {
    // The selected instruction: the row's selector bitmap, 24 bits at a time.
    const D = `D${selectColumn}`;
    selectorCode.push(`const sb = O[${selectColumn}] + r * ${P}; let selected = -1;`, `for (let q = sb, e = sb + ${P}; q < e; q += 24) {`);
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

  // The rows are scanned a slice at a time: V8 switches a long-running call to optimised code
  // only by on-stack replacement, which it may compile twice before the same call uses it,
  // while a short call picks up the optimised function on its next call.
  // (The table is built in `rows` itself: V8 compiled a slower loop for one read from the
  // enclosing scope, and for a failure count passed in and out.)
  const scanSource = [
    `function rows(D, O, start, end, failedRows) {`,
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
    `}`,
    `return function scan(D, O, start, end, failedRows) {`,
    `  let f = 0;`,
    `  for (let from = start; from < end && f < failedRows.length; from += ${SCAN_SLICE}) f += rows(D, O, from, Math.min(end, from + ${SCAN_SLICE}), failedRows.subarray(f));`,
    `  return f;`,
    `};`,
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
  const scan = new Function(scanSource)() as RangeEvaluator;
  const row = new Function('D', 'O', 'r', 'n', 'failed', rowSource) as RowEvaluator;
  return { instances, vacuous, scan, row, scanSource };
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
