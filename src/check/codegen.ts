import type { ColumnSlot } from '../trace/layout.js';
import type { Cell, Instance, RowSet } from './expand.js';

/**
 * Compiles the expanded constraint instances of one row set into a JavaScript function
 * (one per trace: coefficients are baked in). The function loads each cell it needs once,
 * evaluates every instance's residual exactly, and reports the instances that are not 0.
 *
 * Exactness: residuals are computed in doubles. Every monomial is a coefficient times at
 * most two cells; only a product of two int32 cells can leave the 2^53 range, and the
 * generated code flags such a row so the caller re-evaluates it with BigInt.
 *
 * Selector terms: a monomial `c · select[j] · m` contributes only where select[j] ≠ 0, so
 * the code adds instruction j's terms for the selectors actually set in the row (usually
 * exactly one) — an exact evaluation of the whole sum, not an assumption about it.
 */

export interface RowEvaluator {
  /**
   * Evaluate rows r (and n, the next row, for transitions) of column data D with bool bit
   * offsets O. Writes failing instance ids into `failed` and returns their count, or -1
   * when a product left the exact range (re-evaluate with BigInt).
   */
  (D: ArrayLike<number>[], O: readonly number[], r: number, n: number, failed: Int32Array): number;
}

export interface CompiledRowSet {
  readonly instances: readonly Instance[];
  readonly evaluate: RowEvaluator;
}

const SAFE = 2 ** 53;

export function compileRowSet(rows: RowSet, all: readonly Instance[], slots: readonly ColumnSlot[], selectColumn: number): CompiledRowSet {
  const instances = all.filter((i) => i.rows === rows);
  const loads = new Map<string, string>();
  const loadLines: string[] = [];
  const cellVar = (cell: Cell): string => {
    const key = `${cell.next ? 'n' : 'r'}${cell.column}_${cell.entry}`;
    let name = loads.get(key);
    if (name === undefined) {
      name = `v${loads.size}`;
      loads.set(key, name);
      const slot = slots[cell.column];
      const row = cell.next ? 'n' : 'r';
      const index = slot.width === 1 ? row : `${row} * ${slot.width} + ${cell.entry}`;
      if (slot.spec.type === 'bool') {
        loadLines.push(`const b_${name} = O[${cell.column}] + ${index}; const ${name} = (D[${cell.column}][b_${name} >> 3] >> (b_${name} & 7)) & 1;`);
      } else {
        loadLines.push(`const ${name} = D[${cell.column}][${index}];`);
      }
    }
    return name;
  };
  const isWide = (cell: Cell) => slots[cell.column].spec.type === 'int32';

  let guarded = 0;
  const term = (coef: number, cells: Cell[], body: string[]): string => {
    const vars = cells.map(cellVar);
    if (cells.length === 2 && isWide(cells[0]) && isWide(cells[1])) {
      const p = `p${guarded++}`;
      body.push(`const ${p} = ${vars[0]} * ${vars[1]}; if (${p} >= ${SAFE} || ${p} <= -${SAFE}) inexact = true;`);
      return coef === 1 ? p : `${coef} * ${p}`;
    }
    const product = vars.join(' * ');
    if (vars.length === 0) return String(coef);
    return coef === 1 ? product : `${coef} * ${product}`;
  };

  const prelude: string[] = [];
  const residualInit: string[] = [];
  const bySelector = new Map<number, string[]>();
  instances.forEach((instance, k) => {
    const parts: string[] = [];
    for (const m of instance.monomials) {
      const selector = m.cells.findIndex((c) => c.column === selectColumn && !c.next);
      if (selector >= 0 && rows === 'every') {
        const j = m.cells[selector].entry;
        const rest = m.cells.filter((_, i) => i !== selector);
        const lines = bySelector.get(j) ?? [];
        const body: string[] = [];
        const expr = term(m.coef, rest, body);
        lines.push(...body, `c${k} += s * ${expr};`);
        bySelector.set(j, lines);
      } else {
        parts.push(term(m.coef, m.cells, prelude));
      }
    }
    residualInit.push(`let c${k} = ${parts.length === 0 ? '0' : parts.join(' + ')};`);
  });

  const selectorSlot = slots[selectColumn];
  const selectorCode: string[] = [];
  if (rows === 'every' && bySelector.size > 0) {
    const P = selectorSlot.width;
    selectorCode.push(`const sBase = O[${selectColumn}] + r * ${P};`, `const S = D[${selectColumn}];`);
    selectorCode.push(`for (let j = 0; j < ${P}; j++) {`, `  const bit = sBase + j; const s = (S[bit >> 3] >> (bit & 7)) & 1;`, `  if (s === 0) continue;`, `  switch (j) {`);
    for (const [j, lines] of [...bySelector].sort((a, b) => a[0] - b[0])) {
      selectorCode.push(`    case ${j}: {`, ...lines.map((l) => `      ${l}`), `      break;`, `    }`);
    }
    selectorCode.push(`  }`, `}`);
  }
  const checks = instances.map((_, k) => `if (c${k} !== 0) failed[f++] = ${instances[k].id};`);
  const source = [
    `let inexact = false;`,
    ...loadLines,
    ...prelude,
    ...residualInit,
    ...selectorCode,
    `if (inexact) return -1;`,
    `let f = 0;`,
    ...checks,
    `return f;`,
  ].join('\n');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const evaluate = new Function('D', 'O', 'r', 'n', 'failed', source) as RowEvaluator;
  return { instances, evaluate };
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
