/** The memory log's fill compiled to WebAssembly. */
import { LOG_ADDR_BITS, LOG_GAP_BITS } from '../../air/columns.js';
import { AccessKind } from '../../runtime/access.js';
import { I32, Op } from '../../wasm/encode.js';
import { ColumnCode } from './column-codegen.js';
import { columnSlots, type TraceDims } from '../format/layout.js';
import { ACCESS_WORD_BITS } from './spill.js';

/**
 * The log columns' fill compiled to WebAssembly:
 * `log(cols, records, count, row, addr, previousAddr, previousStep, previousValue, ends)` writes rows
 * [row, row + count) of the log columns (the batch's column addresses are the i32 table at
 * `cols`) from `count` entries of the sorted log at address `addr`, as the spill keeps them at
 * `records`: two i32 each, the step, then accessWord(value, kind). `previousAddr` and
 * `previousStep` are those of the entry before (-1 for none); `previousValue` is the cell's value
 * before the first of the entries (its initial value when they start the address); `ends` is 1
 * when the last of them is the last entry of a memory cell (log_last). The columns are those of
 * WitnessBuilder.fillLog, which stays the reference (test/trace/log.test.ts). Bool columns
 * must be clear in the rows written.
 */
export function compileLogFill(dims: TraceDims, memoryPages: number, shared: boolean): Uint8Array {
  if (ACCESS_WORD_BITS !== 18 || LOG_GAP_BITS > 56 - 7 || LOG_ADDR_BITS > 24)
    throw new Error(
      'internal error: the log fill reads 16-bit values and 2-bit kinds, and writes gaps as i64 windows',
    );
  const w = new ColumnCode(columnSlots(dims), [I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const { c } = w;
  const [RECORDS, COUNT, ROW, ADDR, PREVIOUS_ADDR, PREVIOUS_STEP, PREVIOUS_VALUE, ENDS] = [
    1, 2, 3, 4, 5, 6, 7, 8,
  ];
  const [end, r, step, packed, kind, first, gap, rowByte, rowShift, bit] = w.locals32(10);

  c.get(RECORDS).get(COUNT).i32(8).op(Op.i32Mul, Op.i32Add).set(end);
  c.get(ROW).set(r);
  w.open(Op.block, 'exit');
  w.open(Op.loop, 'entry');
  c.get(RECORDS).get(end).op(Op.i32GeU);
  w.brIf('exit');
  c.get(RECORDS).memory(Op.i32Load, 2, 0).set(step);
  c.get(RECORDS).memory(Op.i32Load, 2, 4).tee(packed).i32(16).op(Op.i32ShrU).set(kind);
  c.get(ADDR).get(PREVIOUS_ADDR).op(Op.i32Ne).set(first);
  // The gap to the entry before: of addresses when this one starts an address, else of steps.
  c.get(ADDR)
    .get(PREVIOUS_ADDR)
    .op(Op.i32Sub)
    .get(step)
    .get(PREVIOUS_STEP)
    .op(Op.i32Sub)
    .get(first)
    .op(Op.select)
    .i32(1)
    .op(Op.i32Sub);
  c.i32(0)
    .get(PREVIOUS_ADDR)
    .i32(0)
    .op(Op.i32GeS, Op.select)
    .i32(2 ** LOG_GAP_BITS - 1)
    .op(Op.i32And)
    .set(gap);
  c.get(r).i32(3).op(Op.i32ShrU).set(rowByte);
  c.get(r).i32(7).op(Op.i32And).set(rowShift);
  w.store('log_addr', 2, r, () => c.get(ADDR));
  w.store('log_step', 4, r, () => c.get(step));
  w.store('log_value', 2, r, () => c.get(packed));
  w.store('log_prev', 2, r, () => c.get(PREVIOUS_VALUE));
  c.get(packed).set(PREVIOUS_VALUE);
  w.setBit('log_read', rowByte, rowShift, () => c.get(kind).i32(AccessKind.READ).op(Op.i32Eq));
  w.setBit('log_write', rowByte, rowShift, () => c.get(kind).i32(AccessKind.WRITE).op(Op.i32Eq));
  w.setBit('log_first', rowByte, rowShift, () => c.get(first));
  // log_last: only the call's last entry can end its address (they all share one).
  w.setBit('log_last', rowByte, rowShift, () =>
    c.get(RECORDS).i32(8).op(Op.i32Add).get(end).op(Op.i32Eq).get(ENDS).op(Op.i32And),
  );
  c.get(r).i32(LOG_ADDR_BITS).op(Op.i32Mul).set(bit);
  w.orBits('log_addr_bits', bit, () =>
    c
      .get(ADDR)
      .i32(2 ** LOG_ADDR_BITS - 1)
      .op(Op.i32And),
  );
  c.get(r).i32(LOG_GAP_BITS).op(Op.i32Mul).set(bit);
  w.orBits('log_gap_bits', bit, () => c.get(gap).op(Op.i64ExtendI32U), true);
  c.get(ADDR).set(PREVIOUS_ADDR);
  c.get(step).set(PREVIOUS_STEP);
  c.get(r).i32(1).op(Op.i32Add).set(r);
  c.get(RECORDS).i32(8).op(Op.i32Add).set(RECORDS);
  w.br('entry');
  w.close();
  w.close();
  return w.module('log', [], memoryPages, shared);
}
