import type { TraceDims } from '../trace/layout.js';

/**
 * Turns the AIR document's constraint templates into concrete polynomials over the columns of
 * one trace: index variables instantiated, sums expanded, table coefficients substituted,
 * zero terms dropped and equal monomials merged.
 */

export interface AirColumn {
  name: string;
  type: 'bool' | 'int8' | 'int16' | 'int32';
  width: number | string;
}

export interface AirDocument {
  version: string;
  columns: AirColumn[];
  vectors: Record<string, { parts: string[] }>;
  constraints: Array<{
    name: string;
    group: string;
    rows: RowSet;
    for?: Record<string, Range>;
    target?: string;
    description: string;
    terms: Array<{ coef: number | string; vars: string[]; sum?: Record<string, Range> }>;
  }>;
  arguments: Array<{ name: string; kind: string; [key: string]: unknown }>;
}

export type RowSet = 'every' | 'transition' | 'first' | 'last';
type Range = string | [number, number];

/** A cell reference: column index, entry within the row, and whether it reads the next row. */
export interface Cell {
  column: number;
  entry: number;
  next: boolean;
}

export interface Monomial {
  coef: number;
  cells: Cell[];
}

export interface Instance {
  id: number;
  /** e.g. `ffn.hidden[k=3]`. */
  name: string;
  constraint: string;
  group: string;
  rows: RowSet;
  target: Cell | null;
  monomials: Monomial[];
}

/** Per-program constants: name -> flat values and shape (row-major). */
export interface Tables {
  get(name: string): { values: ArrayLike<number>; shape: number[] } | undefined;
}

export class AirError extends Error {}

interface ColumnInfo {
  index: number;
  width: number;
}

function dimension(name: string, dims: TraceDims): number {
  switch (name) {
    case 'ff_dim':
      return dims.ffDim;
    case 'instructions':
      return dims.instructions;
    case 'input_dim':
      return 41;
    case 'output_dim':
      return 6;
    default:
      if (/^[0-9]+$/.test(name)) return Number(name);
      throw new AirError(`unknown dimension '${name}'`);
  }
}

function rangeOf(range: Range, dims: TraceDims): [number, number] {
  return typeof range === 'string' ? [0, dimension(range, dims)] : range;
}

/** Every assignment of the given index variables over their ranges. */
function* assignments(vars: Record<string, Range> | undefined, dims: TraceDims, base: Record<string, number>): Generator<Record<string, number>> {
  const names = Object.keys(vars ?? {});
  if (names.length === 0) {
    yield base;
    return;
  }
  const ranges = names.map((n) => rangeOf(vars![n], dims));
  const current = ranges.map(([lo]) => lo);
  if (ranges.some(([lo, hi]) => lo >= hi)) return;
  for (;;) {
    const env = { ...base };
    names.forEach((n, i) => (env[n] = current[i]));
    yield env;
    let k = names.length - 1;
    while (k >= 0) {
      current[k]++;
      if (current[k] < ranges[k][1]) break;
      current[k] = ranges[k][0];
      k--;
    }
    if (k < 0) return;
  }
}

/** Evaluate an index expression like `3`, `k`, `i+1`, `9+i`, `k-1`. */
function indexValue(text: string, env: Record<string, number>): number {
  let total = 0;
  for (const part of text.replace(/\s+/g, '').split(/(?=[+-])/)) {
    const sign = part.startsWith('-') ? -1 : 1;
    const body = part.replace(/^[+-]/, '');
    if (/^[0-9]+$/.test(body)) total += sign * Number(body);
    else if (body in env) total += sign * env[body];
    else throw new AirError(`unknown index '${body}' in '${text}'`);
  }
  return total;
}

const REF = /^([a-zA-Z_][a-zA-Z0-9_]*)((?:\[[^\]]+\])*)$/;

function parseRef(text: string): { name: string; indices: string[] } {
  const match = REF.exec(text);
  if (!match) throw new AirError(`malformed reference '${text}'`);
  const indices = match[2] === '' ? [] : match[2].slice(1, -1).split('][');
  return { name: match[1], indices };
}

export class Expander {
  private readonly columns = new Map<string, ColumnInfo>();

  constructor(
    private readonly air: AirDocument,
    private readonly dims: TraceDims,
    private readonly tables: Tables,
  ) {
    air.columns.forEach((column, index) => {
      const width = typeof column.width === 'number' ? column.width : dimension(column.width, dims);
      this.columns.set(column.name, { index, width });
    });
  }

  cell(text: string, env: Record<string, number>): Cell {
    const next = text.startsWith('next.');
    const { name, indices } = parseRef(next ? text.slice(5) : text);
    const entry = indices.length === 0 ? 0 : indexValue(indices[0], env);
    if (indices.length > 1) throw new AirError(`column reference '${text}' has more than one index`);
    const vector = this.air.vectors?.[name];
    if (vector !== undefined) {
      let rest = entry;
      for (const part of vector.parts) {
        const info = this.columns.get(part);
        if (info === undefined) throw new AirError(`vector '${name}' names unknown column '${part}'`);
        if (rest < info.width) return { column: info.index, entry: rest, next };
        rest -= info.width;
      }
      throw new AirError(`'${text}' is outside vector '${name}'`);
    }
    const info = this.columns.get(name);
    if (info === undefined) throw new AirError(`unknown column '${name}' in '${text}'`);
    if (entry < 0 || entry >= info.width) throw new AirError(`'${text}' is outside column '${name}' (width ${info.width})`);
    return { column: info.index, entry, next };
  }

  coefficient(coef: number | string, env: Record<string, number>): number {
    if (typeof coef === 'number') return coef;
    const negative = coef.startsWith('-');
    const body = negative ? coef.slice(1) : coef;
    if (/^[0-9]+$/.test(body)) return negative ? -Number(body) : Number(body);
    const { name, indices } = parseRef(body);
    const table = this.tables.get(name);
    if (table === undefined) throw new AirError(`unknown table '${name}'`);
    if (indices.length !== table.shape.length) throw new AirError(`table '${name}' needs ${table.shape.length} indices, got '${coef}'`);
    let flat = 0;
    indices.forEach((index, k) => {
      const value = indexValue(index, env);
      if (value < 0 || value >= table.shape[k]) throw new AirError(`'${coef}' is outside table '${name}'`);
      flat = flat * table.shape[k] + value;
    });
    const value = table.values[flat];
    return negative ? -value : value;
  }

  /** All constraint instances, in document order. */
  instances(): Instance[] {
    const out: Instance[] = [];
    for (const constraint of this.air.constraints) {
      for (const env of assignments(constraint.for, this.dims, {})) {
        const merged = new Map<string, Monomial>();
        for (const term of constraint.terms) {
          for (const inner of assignments(term.sum, this.dims, env)) {
            const coef = this.coefficient(term.coef, inner);
            if (coef === 0) continue;
            const cells = term.vars.map((v) => this.cell(v, inner));
            cells.sort((a, b) => a.column - b.column || a.entry - b.entry || Number(a.next) - Number(b.next));
            const key = cells.map((c) => `${c.next ? 'n' : ''}${c.column}:${c.entry}`).join('*');
            const existing = merged.get(key);
            if (existing) existing.coef += coef;
            else merged.set(key, { coef, cells });
          }
        }
        const monomials = [...merged.values()].filter((m) => m.coef !== 0);
        const suffix = Object.keys(constraint.for ?? {}).map((k) => `${k}=${env[k]}`).join(',');
        out.push({
          id: out.length,
          name: suffix === '' ? constraint.name : `${constraint.name}[${suffix}]`,
          constraint: constraint.name,
          group: constraint.group,
          rows: constraint.rows,
          target: constraint.target === undefined ? null : this.cell(constraint.target, env),
          monomials,
        });
      }
    }
    return out;
  }
}
