/** How a row set's constraints are evaluated, decided once for the JavaScript and WebAssembly back ends. */
import type { ColumnSlot } from '../trace/format/layout.js';
import type { Cell, Instance, Monomial, RowSet } from './expand.js';

/**
 * How one row set's constraint instances are evaluated, decided once for every backend (the
 * JavaScript row evaluator, the WebAssembly scan): the monomials simplified for the columns'
 * types, runs of bit monomials read as words, selector terms as a per-instruction
 * coefficient table, and OR instances in runs checked as words.
 *
 * Bool columns hold only 0 and 1 (Arrow Bool), so b·b is rewritten to b; an instance that
 * vanishes identically on those domains (booleanity) needs no code.
 *
 * Selector terms: a monomial `c · selector[j] · m` contributes only where selector[j] ≠ 0. The
 * evaluator finds the row's selected instruction j (its one set selector bit) and adds j's
 * coefficients from the table; a row with no or several selector bits is reported as failing,
 * and the caller's exact evaluation of every instance decides. So the sum is evaluated
 * exactly, not assumed one-hot.
 */

/** Rewrite b·b → b for bool cells, merge equal monomials and drop zeros. */
export function simplifyForTypes(
  monomials: readonly Monomial[],
  slots: readonly ColumnSlot[],
): Monomial[] {
  const merged = new Map<string, Monomial>();
  for (const m of monomials) {
    let cells = m.cells;
    if (
      cells.length === 2 &&
      sameCell(cells[0], cells[1]) &&
      slots[cells[0].column].spec.type === 'bool'
    )
      cells = [cells[0]];
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
export interface BitRun {
  column: number;
  next: boolean;
  start: number;
  bits: number;
  signed: boolean;
  coef: number;
}

/** Split monomials into bit runs (length ≥ 4) and the rest. Exact: Σ c·2^i·b_i is the word. */
export function foldBitRuns(
  monomials: readonly Monomial[],
  slots: readonly ColumnSlot[],
): { runs: BitRun[]; rest: Monomial[] } {
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
        runs.push({
          column: first.cells[0].column,
          next: first.cells[0].next,
          start: first.cells[0].entry,
          bits,
          signed,
          coef,
        });
      } else {
        rest.push(...list.slice(i, j));
      }
      i = j;
    }
  }
  return { runs, rest };
}

/** o = x ∨ y over bool cells (x, y in canonical order): an instance c·(o + x·y - x - y). */
export interface OrCheck {
  readonly o: Cell;
  readonly x: Cell;
  readonly y: Cell;
}

const cellOrder = (a: Cell, b: Cell) =>
  a.column - b.column || Number(a.next) - Number(b.next) || a.entry - b.entry;

/** The instance as o = x ∨ y when its monomials are exactly c·(o + x·y - x - y) over bool cells, else null. */
export function asOr(
  monomials: readonly Monomial[],
  isBool: (cell: Cell) => boolean,
): OrCheck | null {
  if (monomials.length !== 4 || !monomials.every((m) => m.cells.every(isBool))) return null;
  const pair = monomials.find((m) => m.cells.length === 2);
  if (pair === undefined || sameCell(pair.cells[0], pair.cells[1])) return null;
  const c = pair.coef;
  const [x, y] = [...pair.cells].sort(cellOrder);
  const singles = monomials.filter((m) => m !== pair);
  if (!singles.every((m) => m.cells.length === 1)) return null;
  const find = (cell: Cell, coef: number) =>
    singles.some((m) => sameCell(m.cells[0], cell) && m.coef === coef);
  const o = singles.find(
    (m) => m.coef === c && !sameCell(m.cells[0], x) && !sameCell(m.cells[0], y),
  );
  if (o === undefined || !find(x, -c) || !find(y, -c)) return null;
  return { o: o.cells[0], x, y };
}

/**
 * OR instances in runs whose o, x and y cells step through consecutive entries together (a
 * prefix-OR chain is one run): a run of k checks is the k-bit words O = X | Y.
 */
export function orRuns(checks: ReadonlyArray<OrCheck>): OrCheck[][] {
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

/** Largest |value| a cell of each column type can hold (the evaluators' exactness bounds). */
export const TYPE_BOUND = { bool: 1, int8: 2 ** 7, int16: 2 ** 15, int32: 2 ** 31 } as const;

/** One table slot: the cell its coefficient multiplies (null: the constant 1), and the coefficient per selected instruction. */
export interface TableSlot {
  readonly cell: Cell | null;
  readonly coefs: Map<number, number>;
}

/** An instance's evaluation: its monomials without selector cells (bit runs folded) and its table slots. */
export interface InstancePart {
  readonly plain: Monomial[];
  readonly runs: BitRun[];
  readonly rest: Monomial[];
  readonly slots: number[];
  /** The instance as o = x ∨ y, when it is one (and has no table slots). */
  readonly or: OrCheck | null;
}

export interface RowSetPlan {
  readonly rows: RowSet;
  /** The instances with code (monomials simplified for the columns' types). */
  readonly instances: Instance[];
  /** Instances that hold for every value their columns' types allow (e.g. b² = b on bool). */
  readonly vacuous: number;
  readonly parts: InstancePart[];
  /** Selector width P (instructions; 0 outside 'every'), table slots S, and the P × S coefficient table. */
  readonly P: number;
  readonly S: number;
  readonly tableSlots: TableSlot[];
  readonly table: Float64Array;
  /** The OR instances in runs (see orRuns). */
  readonly orRuns: OrCheck[][];
}

export function planRowSet(
  rows: RowSet,
  all: readonly Instance[],
  slots: readonly ColumnSlot[],
  selectColumn: number,
): RowSetPlan {
  const candidates = all
    .filter((i) => i.rows === rows)
    .map((i) => ({ ...i, monomials: simplifyForTypes(i.monomials, slots) }));
  const instances = candidates.filter((i) => i.monomials.length > 0);
  const vacuous = candidates.length - instances.length;
  const isBool = (cell: Cell) => slots[cell.column].spec.type === 'bool';
  const isSelector = (cell: Cell) => rows === 'every' && cell.column === selectColumn && !cell.next;

  // Selector terms c·selector[j]·m (m a cell or 1) become a table: for the row's one selected
  // instruction j, instance k adds T[j·S + s]·m over its slots s.
  const P = rows === 'every' ? slots[selectColumn].width : 0;
  const tableSlots: TableSlot[] = [];
  const parts = instances.map((instance): InstancePart => {
    const plain = instance.monomials.filter((m) => !m.cells.some(isSelector));
    const own = new Map<string, number>();
    for (const m of instance.monomials) {
      const at = m.cells.findIndex(isSelector);
      if (at < 0) continue;
      const rest = m.cells.filter((_, i) => i !== at);
      if (rest.length > 1)
        throw new Error(
          `internal error: ${instance.name} has a selector term of degree ${m.cells.length}`,
        );
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
    const { runs, rest } = foldBitRuns(plain, slots);
    return {
      plain,
      runs,
      rest,
      slots: [...own.values()],
      or: own.size === 0 ? asOr(plain, isBool) : null,
    };
  });
  const S = tableSlots.length;
  const table = new Float64Array(P * S);
  tableSlots.forEach((slot, s) => slot.coefs.forEach((coef, j) => (table[j * S + s] = coef)));
  const orChecks = parts.flatMap((part) => (part.or === null ? [] : [part.or]));
  return { rows, instances, vacuous, parts, P, S, tableSlots, table, orRuns: orRuns(orChecks) };
}
