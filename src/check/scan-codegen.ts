/** A row set's plan compiled to a WebAssembly scan of a batch's rows. */
import type { ColumnSlot } from '../trace/format/layout.js';
import type { Cell } from './expand.js';
import { TYPE_BOUND, type RowSetPlan } from './plan.js';
import { Code, encodeModule, I32, I64, Op, type ValueType } from '../wasm/encode.js';

/**
 * Compiles a row set's plan into a WebAssembly scan: `scan(cols, start, end, out, cap)` reads
 * the batch whose column addresses (then bool columns' bit offsets) are the i32 table at
 * `cols`, evaluates every instance's residual on rows [start, end) in exact i64 arithmetic,
 * and writes the rows where one is not zero (or whose selector is not one-hot) to `out`, up to
 * `cap` of them; it returns how many. The caller details those rows exactly.
 *
 * Exact: cells are at most int32, so a product of two is at most 2^62 in magnitude; a set
 * whose terms could sum past 2^63 flags every row instead (none of AIR v1 does). Coefficient
 * tables are i64 at `tableBase`. Bool columns are read as unaligned 64-bit windows of the
 * row's bits; reads may run up to 16 bytes past a column, which the caller's memory must allow.
 * The plan's OR runs are checked as words (O = X | Y), the rest instance by instance.
 */
export interface WasmScanCode {
  readonly bytes: Uint8Array;
  /** The P × S coefficient table to store at tableBase (i64). */
  readonly table: BigInt64Array;
}

const PARAMS: readonly ValueType[] = [I32, I32, I32, I32, I32];
const [COLS, START, END, OUT, CAP] = [0, 1, 2, 3, 4];
const LOAD = {
  int8: [Op.i64Load8S, 0, 1],
  int16: [Op.i64Load16S, 1, 2],
  int32: [Op.i64Load32S, 2, 4],
} as const;
/** Below 2^63 with room for the rounding of the bound's own sum (in doubles). */
const EXACT_BOUND = 2 ** 63 - 2 ** 20;
/** Bits of a 64-bit window usable after its shift by up to 7. */
const WINDOW_BITS = 56;

export function compileWasmScan(
  plan: RowSetPlan,
  slots: readonly ColumnSlot[],
  selectColumn: number,
  tableBase: number,
  memoryPages: number,
): WasmScanCode {
  const { parts, tableSlots, P, S } = plan;
  const columnCount = slots.length;
  const locals: ValueType[] = [];
  const local = (type: ValueType) => PARAMS.length + locals.push(type) - 1;
  const r = local(I32);
  const f = local(I32);
  const tmp = local(I32);
  const tb = local(I32);
  const acc = local(I64);

  const prologue = new Code();
  const advance = new Code();
  const loads = new Code();
  const names = new Map<string, number>();
  const once = (key: string, make: () => number) => {
    let index = names.get(key);
    if (index === undefined) names.set(key, (index = make()));
    return index;
  };
  const base = (column: number) =>
    once(`base${column}`, () => {
      const index = local(I32);
      prologue
        .get(COLS)
        .memory(Op.i32Load, 2, 4 * column)
        .set(index);
      return index;
    });
  /** The row's position in a column: its byte address (integers) or its first bit (bool), advanced every row. */
  const position = (column: number, next: boolean) =>
    once(`pos${column}${next}`, () => {
      const slot = slots[column];
      const index = local(I32);
      const bool = slot.spec.type === 'bool';
      const stride = bool ? slot.width : slot.width * LOAD[slot.spec.type][2];
      if (bool) prologue.get(COLS).memory(Op.i32Load, 2, 4 * (columnCount + column));
      else prologue.get(base(column));
      prologue.get(START);
      if (next) prologue.i32(1).op(Op.i32Add);
      prologue.i32(stride).op(Op.i32Mul, Op.i32Add).set(index);
      advance.get(index).i32(stride).op(Op.i32Add).set(index);
      return index;
    });
  /** Bits [56k, 56k + 56) of a bool column's row as the low bits of an i64. */
  const window = (column: number, next: boolean, k: number) =>
    once(`win${column}${next}${k}`, () => {
      const bit = position(column, next);
      const index = local(I64);
      loads
        .get(base(column))
        .get(bit)
        .i32(3)
        .op(Op.i32ShrU, Op.i32Add)
        .memory(Op.i64Load, 0, 7 * k)
        .get(bit)
        .i32(7)
        .op(Op.i32And, Op.i64ExtendI32U, Op.i64ShrU)
        .set(index);
      return index;
    });
  /** Entries [start, start + bits) of a bool column's row as one value (signed: two's complement). */
  const word = (column: number, next: boolean, start: number, bits: number, signed: boolean) =>
    once(`word${column}${next}${start}:${bits}${signed}`, () => {
      const index = local(I64);
      const k = Math.floor(start / WINDOW_BITS);
      if (Math.floor((start + bits - 1) / WINDOW_BITS) === k) {
        loads
          .get(window(column, next, k))
          .i64(start - k * WINDOW_BITS)
          .op(Op.i64ShrU);
      } else {
        const bit = position(column, next);
        loads
          .get(bit)
          .i32(start)
          .op(Op.i32Add)
          .tee(tmp)
          .i32(3)
          .op(Op.i32ShrU)
          .get(base(column))
          .op(Op.i32Add)
          .memory(Op.i64Load, 0, 0)
          .get(tmp)
          .i32(7)
          .op(Op.i32And, Op.i64ExtendI32U, Op.i64ShrU);
      }
      if (signed)
        loads
          .i64(64 - bits)
          .op(Op.i64Shl)
          .i64(64 - bits)
          .op(Op.i64ShrS);
      else loads.i64(2n ** BigInt(bits) - 1n).op(Op.i64And);
      loads.set(index);
      return index;
    });
  const cell = (c: Cell) =>
    once(`cell${c.column}${c.next}${c.entry}`, () => {
      const slot = slots[c.column];
      if (slot.spec.type === 'bool') return word(c.column, c.next, c.entry, 1, false);
      const [opcode, align, size] = LOAD[slot.spec.type];
      const index = local(I64);
      loads
        .get(position(c.column, c.next))
        .memory(opcode, align, c.entry * size)
        .set(index);
      return index;
    });

  // Exactness bound of every instance's terms.
  const bound = (c: Cell) => TYPE_BOUND[slots[c.column].spec.type];
  let unsafe = false;
  for (const part of parts) {
    let largest = 0;
    for (const m of part.plain)
      largest += Math.abs(m.coef) * m.cells.reduce((x, c) => x * bound(c), 1);
    for (const s of part.slots)
      largest +=
        Math.max(0, ...[...tableSlots[s].coefs.values()].map(Math.abs)) *
        (tableSlots[s].cell === null ? 1 : bound(tableSlots[s].cell));
    if (largest >= EXACT_BOUND || !part.plain.every((m) => Number.isSafeInteger(m.coef)))
      unsafe = true;
  }
  if (!plan.table.every((coef) => Number.isSafeInteger(coef))) unsafe = true;

  const evals = new Code();
  const record = (code: Code) => {
    code.get(OUT).get(f).i32(4).op(Op.i32Mul, Op.i32Add).get(r).memory(Op.i32Store, 2, 0);
    code
      .get(f)
      .i32(1)
      .op(Op.i32Add)
      .tee(f)
      .get(CAP)
      .op(Op.i32Eq)
      .open(Op.if)
      .get(f)
      .op(Op.return, Op.end);
  };
  // The selected instruction: the selector's only set bit, else the row is reported.
  if (S > 0) {
    const count = local(I32);
    const selected = local(I32);
    evals.i32(0).set(count).i32(0).set(selected);
    for (let k = 0; k * WINDOW_BITS < P; k++) {
      const bits = Math.min(WINDOW_BITS, P - k * WINDOW_BITS);
      const masked = local(I64);
      evals
        .get(window(selectColumn, false, k))
        .i64(2n ** BigInt(bits) - 1n)
        .op(Op.i64And)
        .tee(masked);
      evals.op(Op.i64Popcnt, Op.i32WrapI64).get(count).op(Op.i32Add).set(count);
      // selected = masked ≠ 0 ? 56k + ctz(masked) : selected
      evals
        .get(masked)
        .op(Op.i64Ctz, Op.i32WrapI64)
        .i32(k * WINDOW_BITS)
        .op(Op.i32Add)
        .get(selected)
        .get(masked)
        .op(Op.i64Eqz, Op.i32Eqz, Op.select)
        .set(selected);
    }
    evals.get(count).i32(1).op(Op.i32Ne).open(Op.if);
    record(evals);
    evals.branch(Op.br, 1).op(Op.end);
    evals
      .get(selected)
      .i32(S * 8)
      .op(Op.i32Mul)
      .i32(tableBase)
      .op(Op.i32Add)
      .set(tb);
  }
  evals.i64(unsafe ? 1 : 0).set(acc);
  for (const part of parts) {
    if (part.or !== null) continue;
    let constant = 0n;
    let terms = 0;
    const add = () => {
      if (terms++ > 0) evals.op(Op.i64Add);
    };
    for (const run of part.runs) {
      evals.get(word(run.column, run.next, run.start, run.bits, run.signed));
      if (run.coef !== 1) evals.i64(run.coef).op(Op.i64Mul);
      add();
    }
    for (const m of part.rest) {
      if (m.cells.length === 0) {
        constant += BigInt(m.coef);
        continue;
      }
      m.cells.forEach((c, i) => {
        evals.get(cell(c));
        if (i > 0) evals.op(Op.i64Mul);
      });
      if (m.coef !== 1) evals.i64(m.coef).op(Op.i64Mul);
      add();
    }
    for (const s of part.slots) {
      evals.get(tb).memory(Op.i64Load, 3, s * 8);
      const c = tableSlots[s].cell;
      if (c !== null) evals.get(cell(c)).op(Op.i64Mul);
      add();
    }
    if (constant !== 0n || terms === 0) {
      evals.i64(constant);
      add();
    }
    evals.get(acc).op(Op.i64Or).set(acc);
  }
  for (const run of plan.orRuns) {
    const [{ o, x, y }] = run;
    evals
      .get(word(o.column, o.next, o.entry, run.length, false))
      .get(word(x.column, x.next, x.entry, run.length, false))
      .get(word(y.column, y.next, y.entry, run.length, false))
      .op(Op.i64Or, Op.i64Xor)
      .get(acc)
      .op(Op.i64Or)
      .set(acc);
  }
  evals.get(acc).op(Op.i64Eqz, Op.i32Eqz).open(Op.if);
  record(evals);
  evals.op(Op.end);

  const body = new Code();
  body
    .op(...prologue.bytes)
    .get(START)
    .set(r)
    .i32(0)
    .set(f);
  body.open(Op.block).open(Op.loop);
  body.get(r).get(END).op(Op.i32GeS).branch(Op.brIf, 1);
  body.open(Op.block).op(...loads.bytes, ...evals.bytes, Op.end);
  body
    .op(...advance.bytes)
    .get(r)
    .i32(1)
    .op(Op.i32Add)
    .set(r);
  body.branch(Op.br, 0).op(Op.end, Op.end);
  body.get(f);

  const table = new BigInt64Array(P * S);
  if (!unsafe) plan.table.forEach((coef, i) => (table[i] = BigInt(coef)));
  return {
    bytes: encodeModule({
      params: PARAMS,
      results: [I32],
      locals,
      body,
      exportName: 'scan',
      memoryPages,
    }),
    table,
  };
}
