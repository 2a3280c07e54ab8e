/** The builder of the WebAssembly functions that write a batch's columns (used by the fill code generators). */
import { Code, encodeModule, I32, Op, type ValueType } from '../../wasm/encode.js';
import type { ColumnSlot } from '../format/layout.js';

/**
 * A WebAssembly function under construction that writes rows of a batch's columns, whose
 * addresses are the i32 table at the parameter `COLS` (param 0): named labels for structured
 * branches, locals, and the column writes (integers by row, bool columns by bit, ORed into
 * clear bitmaps). The generated fills of the export (fill-codegen.ts, log-codegen.ts) are built on it.
 */
export class ColumnCode {
  readonly c = new Code();
  private readonly locals: ValueType[] = [];
  private readonly labels: string[] = [];
  private readonly bases = new Map<number, number>();

  static readonly COLS = 0;

  constructor(
    private readonly slots: readonly ColumnSlot[],
    readonly params: readonly ValueType[],
  ) {
    if (params[ColumnCode.COLS] !== I32)
      throw new Error('internal error: the column table is parameter 0');
  }

  local(type: ValueType = I32): number {
    return this.params.length + this.locals.push(type) - 1;
  }

  locals32(count: number): number[] {
    return Array.from({ length: count }, () => this.local());
  }

  open(opcode: typeof Op.block | typeof Op.loop | typeof Op.if, label = ''): void {
    this.c.open(opcode);
    this.labels.push(label);
  }

  close(): void {
    this.c.op(Op.end);
    this.labels.pop();
  }

  br(label: string): void {
    this.c.branch(Op.br, this.depth(label));
  }

  brIf(label: string): void {
    this.c.branch(Op.brIf, this.depth(label));
  }

  /** A local holding the byte address of a column (loaded once, at the function's start). */
  base(name: string): number {
    const index = this.slots.findIndex((slot) => slot.spec.name === name);
    if (index < 0) throw new Error(`internal error: no column ${name}`);
    let local = this.bases.get(index);
    if (local === undefined) this.bases.set(index, (local = this.local()));
    return local;
  }

  /** Store the i32 pushed by `value` as entry i of row `row` (a local) of an integer column of `bytes`-byte entries, `width` a row. */
  store(name: string, bytes: 1 | 2 | 4, row: number, value: () => void, width = 1, i = 0): void {
    this.c.get(this.base(name)).get(row);
    if (bytes * width !== 1) this.c.i32(bytes * width).op(Op.i32Mul);
    this.c.op(Op.i32Add);
    value();
    const [opcode, align] =
      bytes === 1 ? [Op.i32Store8, 0] : bytes === 2 ? [Op.i32Store16, 1] : [Op.i32Store, 2];
    this.c.memory(opcode, align, bytes * i);
  }

  /** OR the bit (0 or 1) pushed by `value` into a one-bit-per-row bool column at the row whose byte and bit are in locals. */
  setBit(name: string, rowByte: number, rowShift: number, value: () => void): void {
    const at = this.scratch();
    this.c
      .get(this.base(name))
      .get(rowByte)
      .op(Op.i32Add)
      .tee(at)
      .get(at)
      .memory(Op.i32Load8U, 0, 0);
    value();
    this.c.get(rowShift).op(Op.i32Shl, Op.i32Or).memory(Op.i32Store8, 0, 0);
  }

  /**
   * OR the value pushed by `value` into a bool column from the bit index in local `bit`: up to
   * 24 bits as an i32 (an i32 value), up to 56 as an i64 (an i64 value). Reads and writes up
   * to 8 bytes from the bit's byte: the bitmaps have that much slack.
   */
  orBits(name: string, bit: number, value: () => void, wide = false): void {
    const at = this.scratch();
    this.c.get(this.base(name)).get(bit).i32(3).op(Op.i32ShrU, Op.i32Add).tee(at).get(at);
    this.c.memory(wide ? Op.i64Load : Op.i32Load, 0, 0);
    value();
    this.c.get(bit).i32(7).op(Op.i32And);
    if (wide) this.c.op(Op.i64ExtendI32U, Op.i64Shl, Op.i64Or).memory(Op.i64Store, 0, 0);
    else this.c.op(Op.i32Shl, Op.i32Or).memory(Op.i32Store, 0, 0);
  }

  /** The module exporting the function as `name`, its column addresses loaded first. */
  module(
    name: string,
    results: readonly ValueType[],
    memoryPages: number,
    shared: boolean,
  ): Uint8Array {
    const loads = new Code();
    for (const [index, local] of this.bases)
      loads
        .get(ColumnCode.COLS)
        .memory(Op.i32Load, 2, 4 * index)
        .set(local);
    const body = new Code();
    body.bytes.push(...loads.bytes, ...this.c.bytes);
    return encodeModule({
      params: this.params,
      results,
      locals: this.locals,
      body,
      exportName: name,
      memoryPages,
      shared,
    });
  }

  private scratchLocal: number | null = null;
  /** One i32 local for the writes' addresses. */
  private scratch(): number {
    return (this.scratchLocal ??= this.local());
  }

  private depth(label: string): number {
    const at = this.labels.lastIndexOf(label);
    if (at < 0) throw new Error(`internal error: no label ${label}`);
    return this.labels.length - 1 - at;
  }
}
