/** The AIR document's templates expanded into polynomials over one trace's columns (the one interpreter of air-v2.json). */
import type { TraceDims } from '../trace/format/layout.js';

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
  sound_fields?: string[];
  unsound_fields_reason?: string;
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

/** Every assignment of the given index variables over their ranges, into one reused env. */
function* assignments(
  vars: Record<string, Range> | undefined,
  dims: TraceDims,
  env: Record<string, number>,
): Generator<Record<string, number>> {
  const names = Object.keys(vars ?? {});
  if (names.length === 0) {
    yield env;
    return;
  }
  const ranges = names.map((n) => rangeOf(vars![n], dims));
  if (ranges.some(([lo, hi]) => lo >= hi)) return;
  names.forEach((n, i) => (env[n] = ranges[i][0]));
  for (;;) {
    yield env;
    let k = names.length - 1;
    while (k >= 0) {
      env[names[k]]++;
      if (env[names[k]] < ranges[k][1]) break;
      env[names[k]] = ranges[k][0];
      k--;
    }
    if (k < 0) {
      for (const n of names) delete env[n];
      return;
    }
  }
}

/** An index expression compiled once: a constant plus signed index variables. */
interface IndexExpr {
  constant: number;
  vars: Array<[name: string, sign: number]>;
}

/** Compile an index expression like `3`, `k`, `i+1`, `9+i`, `k-1`. */
function parseIndex(text: string): IndexExpr {
  const expr: IndexExpr = { constant: 0, vars: [] };
  for (const part of text.replace(/\s+/g, '').split(/(?=[+-])/)) {
    const sign = part.startsWith('-') ? -1 : 1;
    const body = part.replace(/^[+-]/, '');
    if (/^[0-9]+$/.test(body)) expr.constant += sign * Number(body);
    else if (/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(body)) expr.vars.push([body, sign]);
    else throw new AirError(`malformed index '${text}'`);
  }
  return expr;
}

function indexValue(expr: IndexExpr, env: Record<string, number>): number {
  let total = expr.constant;
  for (const [name, sign] of expr.vars) {
    const value = env[name];
    if (value === undefined) throw new AirError(`unknown index '${name}'`);
    total += sign * value;
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

interface CompiledRef {
  next: boolean;
  name: string;
  indices: IndexExpr[];
  text: string;
}

interface CompiledCoef {
  negative: boolean;
  constant: number | null;
  table: { values: ArrayLike<number>; shape: number[] } | null;
  indices: IndexExpr[];
  text: string;
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

  private compileRef(text: string): CompiledRef {
    const next = text.startsWith('next.');
    const { name, indices } = parseRef(next ? text.slice(5) : text);
    if (indices.length > 1)
      throw new AirError(`column reference '${text}' has more than one index`);
    return { next, name, indices: indices.map(parseIndex), text };
  }

  private compileCoef(coef: number | string): CompiledCoef {
    if (typeof coef === 'number')
      return { negative: false, constant: coef, table: null, indices: [], text: String(coef) };
    const negative = coef.startsWith('-');
    const body = negative ? coef.slice(1) : coef;
    if (/^[0-9]+$/.test(body))
      return { negative, constant: Number(body), table: null, indices: [], text: coef };
    const { name, indices } = parseRef(body);
    const table = this.tables.get(name);
    if (table === undefined) throw new AirError(`unknown table '${name}'`);
    if (indices.length !== table.shape.length)
      throw new AirError(`table '${name}' needs ${table.shape.length} indices, got '${coef}'`);
    return { negative, constant: null, table, indices: indices.map(parseIndex), text: coef };
  }

  private resolve(ref: CompiledRef, env: Record<string, number>): Cell {
    const entry = ref.indices.length === 0 ? 0 : indexValue(ref.indices[0], env);
    const vector = this.air.vectors?.[ref.name];
    if (vector !== undefined) {
      let rest = entry;
      for (const part of vector.parts) {
        const info = this.columns.get(part);
        if (info === undefined)
          throw new AirError(`vector '${ref.name}' names unknown column '${part}'`);
        if (rest < info.width) return { column: info.index, entry: rest, next: ref.next };
        rest -= info.width;
      }
      throw new AirError(`'${ref.text}' is outside vector '${ref.name}'`);
    }
    const info = this.columns.get(ref.name);
    if (info === undefined) throw new AirError(`unknown column '${ref.name}' in '${ref.text}'`);
    if (entry < 0 || entry >= info.width)
      throw new AirError(`'${ref.text}' is outside column '${ref.name}' (width ${info.width})`);
    return { column: info.index, entry, next: ref.next };
  }

  cell(text: string, env: Record<string, number>): Cell {
    return this.resolve(this.compileRef(text), env);
  }

  private value(coef: CompiledCoef, env: Record<string, number>): number {
    let value: number;
    if (coef.table === null) {
      value = coef.constant!;
    } else {
      let flat = 0;
      const shape = coef.table.shape;
      for (let k = 0; k < shape.length; k++) {
        const index = indexValue(coef.indices[k], env);
        if (index < 0 || index >= shape[k])
          throw new AirError(`'${coef.text}' is outside its table`);
        flat = flat * shape[k] + index;
      }
      value = coef.table.values[flat];
    }
    return coef.negative ? -value : value;
  }

  coefficient(coef: number | string, env: Record<string, number>): number {
    return this.value(this.compileCoef(coef), env);
  }

  /** All constraint instances, in document order. */
  instances(): Instance[] {
    const out: Instance[] = [];
    for (const constraint of this.air.constraints) {
      const terms = constraint.terms.map((term) => ({
        coef: this.compileCoef(term.coef),
        refs: term.vars.map((v) => this.compileRef(v)),
        sum: term.sum,
      }));
      const target = constraint.target === undefined ? null : this.compileRef(constraint.target);
      for (const outer of assignments(constraint.for, this.dims, {})) {
        const env = { ...outer };
        const merged = new Map<string, Monomial>();
        for (const term of terms) {
          for (const inner of assignments(term.sum, this.dims, env)) {
            const coef = this.value(term.coef, inner);
            if (coef === 0) continue;
            const cells = term.refs.map((ref) => this.resolve(ref, inner));
            cells.sort(
              (a, b) => a.column - b.column || a.entry - b.entry || Number(a.next) - Number(b.next),
            );
            const key = cells.map((c) => `${c.next ? 'n' : ''}${c.column}:${c.entry}`).join('*');
            const existing = merged.get(key);
            if (existing) existing.coef += coef;
            else merged.set(key, { coef, cells });
          }
        }
        const monomials = [...merged.values()].filter((m) => m.coef !== 0);
        const suffix = Object.keys(constraint.for ?? {})
          .map((k) => `${k}=${env[k]}`)
          .join(',');
        out.push({
          id: out.length,
          name: suffix === '' ? constraint.name : `${constraint.name}[${suffix}]`,
          constraint: constraint.name,
          group: constraint.group,
          rows: constraint.rows,
          target: target === null ? null : this.resolve(target, env),
          monomials,
        });
      }
    }
    return out;
  }
}
