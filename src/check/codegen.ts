import type { ColumnSlot } from '../trace/layout.js';
import type { Cell, Instance, Monomial, RowSet } from './expand.js';

/**
 * Compiles the expanded constraint instances of one row set into JavaScript (one compile per
 * trace: coefficients are baked in). Each cell is loaded once per row, every instance's
 * residual is computed exactly, and non-zero residuals are reported.
 *
 * Exactness: residuals are computed in doubles. Every monomial is a coefficient times at most
 * two cells; only a product of two int32 cells can leave the 2^53 range, and such a row is
 * flagged so the caller re-evaluates it with BigInt.
 *
 * Selector terms: a monomial `c · select[j] · m` contributes only where select[j] ≠ 0, so the
 * code adds instruction j's terms for the selector bits actually set in the row (usually
 * exactly one): an exact evaluation of the whole sum, not an assumption about it.
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
  /** Body of `scan` (parameters D, O, start, end, failedRows), for evaluation in a worker. */
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

  /** A k-bit word of a bool column as one value (signed: two's complement). */
  word(run: BitRun): string {
    const key = `w${run.next ? 'n' : 'r'}${run.column}_${run.start}_${run.bits}_${run.signed}`;
    let name = this.names.get(key);
    if (name === undefined) {
      name = `${this.prefix}${this.names.size}`;
      this.names.set(key, name);
      const slot = this.slots[run.column];
      const row = run.next ? 'n' : 'r';
      const D = `D${run.column}`;
      const top = 2 ** run.bits;
      this.lines.push(
        `const q${name} = O[${run.column}] + ${row} * ${slot.width} + ${run.start}; const y${name} = q${name} >> 3;`,
        `const t${name} = Math.floor((${D}[y${name}] + (${D}[y${name} + 1] | 0) * 256 + (${D}[y${name} + 2] | 0) * 65536 + (${D}[y${name} + 3] | 0) * 16777216 + (${D}[y${name} + 4] | 0) * 4294967296) / (1 << (q${name} & 7))) % ${top};`,
        run.signed ? `const ${name} = t${name} >= ${top / 2} ? t${name} - ${top} : t${name};` : `const ${name} = t${name};`,
      );
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

export function compileRowSet(rows: RowSet, all: readonly Instance[], slots: readonly ColumnSlot[], selectColumn: number): CompiledRowSet {
  const candidates = all.filter((i) => i.rows === rows).map((i) => ({ ...i, monomials: simplifyForTypes(i.monomials, slots) }));
  const instances = candidates.filter((i) => i.monomials.length > 0);
  const vacuous = candidates.length - instances.length;
  const isWide = (cell: Cell) => slots[cell.column].spec.type === 'int32';

  const top = new Loader(slots, 'v');
  const prelude: string[] = [];
  let guarded = 0;
  const term = (loader: Loader, coef: number, cells: Cell[], body: string[]): string => {
    const vars = cells.map((c) => loader.name(c));
    if (vars.length === 0) return String(coef);
    let product = vars.join(' * ');
    if (cells.length === 2 && isWide(cells[0]) && isWide(cells[1])) {
      const p = `p${guarded++}`;
      body.push(`const ${p} = ${product}; if (${p} >= ${SAFE} || ${p} <= -${SAFE}) inexact = true;`);
      product = p;
    }
    return coef === 1 ? product : coef === -1 ? `-${product}` : `${coef} * ${product}`;
  };

  const residuals: string[] = [];
  const bySelector = new Map<number, { loader: Loader; lines: string[] }>();
  instances.forEach((instance, k) => {
    const parts: string[] = [];
    const folded = foldBitRuns(instance.monomials.filter((m) => rows !== 'every' || !m.cells.some((c) => c.column === selectColumn && !c.next)), slots);
    for (const run of folded.runs) parts.push(run.coef === 1 ? top.word(run) : `${run.coef} * ${top.word(run)}`);
    const selectorMonomials = instance.monomials.filter((m) => rows === 'every' && m.cells.some((c) => c.column === selectColumn && !c.next));
    for (const m of [...folded.rest, ...selectorMonomials]) {
      const selector = rows === 'every' ? m.cells.findIndex((c) => c.column === selectColumn && !c.next) : -1;
      if (selector >= 0) {
        const j = m.cells[selector].entry;
        const rest = m.cells.filter((_, i) => i !== selector);
        let group = bySelector.get(j);
        if (group === undefined) bySelector.set(j, (group = { loader: new Loader(slots, `u${j}_`), lines: [] }));
        const body: string[] = [];
        const expr = term(group.loader, m.coef, rest, body);
        group.lines.push(...body, `c${k} += ${expr};`);
      } else {
        parts.push(term(top, m.coef, m.cells, prelude));
      }
    }
    residuals.push(`let c${k} = ${parts.length === 0 ? '0' : parts.join(' + ')};`);
  });

  const selectorCode: string[] = [];
  if (bySelector.size > 0) {
    const P = slots[selectColumn].width;
    selectorCode.push(
      `const sb = O[${selectColumn}] + r * ${P}; const se = sb + ${P};`,
      `for (let bit = sb; bit < se; ) {`,
      `  const byte = D${selectColumn}[bit >> 3] >> (bit & 7);`,
      `  if (byte === 0) { bit += 8 - (bit & 7); continue; }`,
      `  if ((byte & 1) !== 0) {`,
      `    switch (bit - sb) {`,
    );
    for (const [j, group] of [...bySelector].sort((a, b) => a[0] - b[0])) {
      selectorCode.push(`      case ${j}: {`, ...group.loader.lines.map((l) => `        ${l}`), ...group.lines.map((l) => `        ${l}`), `        break;`, `      }`);
    }
    selectorCode.push(`    }`, `  }`, `  bit++;`, `}`);
  }
  const columns = [...new Set(slots.map((s) => s.index))];
  const unpack = `const [${columns.map((c) => `D${c}`).join(', ')}] = D;`;
  const body = [...top.lines, ...prelude, ...residuals, ...selectorCode];
  const anyFailure = instances.length === 0 ? 'false' : instances.map((_, k) => `c${k} !== 0`).join(' || ');

  const scanSource = [
    unpack,
    `let f = 0;`,
    `for (let r = start; r < end; r++) {`,
    `  const n = r + 1;`,
    `  let inexact = false;`,
    ...body.map((l) => `  ${l}`),
    `  if (inexact || ${anyFailure}) { failedRows[f++] = r; if (f === failedRows.length) return f; }`,
    `}`,
    `return f;`,
  ].join('\n');
  const rowSource = [
    unpack,
    `let inexact = false;`,
    ...body,
    `if (inexact) return -1;`,
    `let f = 0;`,
    ...instances.map((inst, k) => `if (c${k} !== 0) failed[f++] = ${inst.id};`),
    `return f;`,
  ].join('\n');
  const scan = new Function('D', 'O', 'start', 'end', 'failedRows', scanSource) as RangeEvaluator;
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
