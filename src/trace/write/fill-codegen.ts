/** The batch fill compiled to WebAssembly from the program's units. */
import { INPUT_WORDS, NO_ACCESS_ADDR } from '../../air/columns.js';
import { In, INPUT_DIM, Out, OUTPUT_DIM, WORD_BITS } from '../../compiler/layout.js';
import { CarryRuleCode, ReadModeCode, StackUseCode, ZeroRuleCode } from '../../isa/opcodes.js';
import { AccessKind, DIGEST } from '../../runtime/access.js';
import { Reg } from '../../runtime/state.js';
import { I32, I64, Op } from '../../wasm/encode.js';
import { ColumnCode } from './column-codegen.js';
import {
  InstructionField as F,
  INSTRUCTION_FIELDS,
  UnitField as U,
  UNIT_FIELDS,
  type FillLayout,
} from './fill-memory.js';
import { columnSlots, type TraceDims } from '../format/layout.js';

/** Why a fill call returned. */
export const FillStop = Object.freeze({
  /** It ran `limit` rows, or a step that halts. */
  DONE: 0,
  /**
   * The next step is one the compiled fill leaves to the FFN engine (runtime/ffn): a fault, a
   * value outside int32, or an instruction marked InstructionField.DEFER. Nothing of it was
   * committed: no state, no bit of its row.
   */
  DEFER: 1,
});

/**
 * The batch fill compiled to WebAssembly: `fill(cols, row, limit, firstStep)` runs the FFN
 * engine's steps from the machine state at `regsAt` / `cellsAt` and writes each step's row of
 * every execution-side column (the batch's column addresses are the i32 table at `cols`)
 * from row `row` on, up to `limit` rows; it returns the rows written, leaves the state after
 * them in memory and why it stopped at `statusAt`, and continues the batch's access digest at
 * `digestAt` with each row's access. The steps are the FFN's: the input vector,
 * every unit gate·value from the instruction's compiled units (the table at `unitsAt`), the
 * output as W_out·hidden + bias, then the controls. The other columns are those of
 * WitnessBuilder.fillExecution, which stays the reference with the engine: the fill is compared
 * with them byte for byte (test/trace/fill.test.ts) and leaves to them whatever it does not
 * handle (FillStop.DEFER). Bool columns must be clear in the rows written.
 *
 * Exactness: a product gate·value and every output must fit int32 or the step is deferred
 * (the outputs are summed in i64); the FFN engine's doubles then decide it. An instruction
 * whose weights could make those doubles inexact is always deferred (InstructionField.DEFER),
 * so where the fill commits a step its sums are the engine's.
 */
export function compileFill(
  layout: FillLayout,
  dims: TraceDims,
  memorySize: number,
  shared: boolean,
): Uint8Array {
  if (
    INPUT_DIM - INPUT_WORDS !== 2 * WORD_BITS ||
    In.ACC_BITS !== INPUT_WORDS ||
    In.OPERAND_BITS !== In.ACC_BITS + WORD_BITS
  )
    throw new Error(
      'internal error: the fill writes input_bits as ACC then OPERAND, 16 bits each, after the input words',
    );
  const w = new ColumnCode(columnSlots(dims), [I32, I32, I32, I32]);
  const { c } = w;
  const [ROW, LIMIT, FIRST_STEP] = [1, 2, 3];
  const ffDim = dims.ffDim;
  const cells = memorySize;
  const [r, t, pc, acc, sp, zero, carry, halted, status, operand, ins, mode, addr] = w.locals32(13);
  const [unit, unitEnd, gp, vp, hp, hEnd, g, v, h, low, high, rowLow, rowHigh] = w.locals32(13);
  const [
    nextPc,
    raw,
    wrapped,
    quotient,
    writes,
    writeAddr,
    writeValue,
    nextSp,
    nextZero,
    nextCarry,
    halts,
    tByte,
    tShift,
    tmp,
    wrapped16,
  ] = w.locals32(15);
  const [digestA, digestB, word, outOfInt32] = w.locals32(4);
  const product = w.local(I64);
  const outs = Array.from({ length: OUTPUT_DIM }, () => w.local(I64));

  const open = (opcode: typeof Op.block | typeof Op.loop | typeof Op.if, label = '') =>
    w.open(opcode, label);
  const close = () => w.close();
  const br = (label: string) => w.br(label);
  const brIf = (label: string) => w.brIf(label);
  /** With a condition on the stack: defer the step to the engine when it holds. */
  const deferIf = () => {
    open(Op.if);
    c.i32(FillStop.DEFER).set(status);
    br('exit');
    close();
  };
  const insField = (field: number) => c.get(ins).memory(Op.i32Load, 2, 4 * field);
  /** Row t of the batch's columns. */
  const store16 = (name: string, value: () => void, width = 1, i = 0) =>
    w.store(name, 2, t, value, width, i);
  const setBit = (name: string, value: () => void) => w.setBit(name, tByte, tShift, value);
  const orBits = (name: string, bitIndex: number, value: () => void) =>
    w.orBits(name, bitIndex, value);
  /** The 15-bit prefix-OR mask of the 16-bit word in local w: bit i = b0 ∨ … ∨ b(i+1) (witness.ts prefixOrMask). */
  const prefixOrMask = (w: number) => {
    c.i32(0)
      .get(w)
      .i32(0)
      .get(w)
      .op(Op.i32Sub, Op.i32And, Op.i32Sub)
      .i32(0xffff)
      .op(Op.i32And)
      .i32(1)
      .op(Op.i32ShrU);
  };
  const trackExtremes = (value: number) => {
    c.get(value).get(rowHigh).get(value).get(rowHigh).op(Op.i32GtS, Op.select).set(rowHigh);
    c.get(value).get(rowLow).get(value).get(rowLow).op(Op.i32LtS, Op.select).set(rowLow);
  };
  const regAt = (reg: number) => layout.regsAt + 4 * reg;
  const slotAt = (slot: number) => layout.inputAt + 4 * slot;

  // Prologue (after the column addresses ColumnCode loads): the state, the constant input slots.
  const stateRegs: [number, number][] = [
    [pc, Reg.PC],
    [acc, Reg.ACC],
    [sp, Reg.SP],
    [zero, Reg.ZERO],
    [carry, Reg.CARRY],
  ];
  for (const [l, reg] of stateRegs) c.i32(0).memory(Op.i32Load, 2, regAt(reg)).set(l);
  c.get(ROW).set(t);
  c.i32(0).memory(Op.i32Load, 2, layout.digestAt).set(digestA);
  c.i32(0)
    .memory(Op.i32Load, 2, layout.digestAt + 4)
    .set(digestB);
  c.i32(0).i32(1).memory(Op.i32Store, 2, slotAt(In.CONST));
  c.i32(0).i32(0).memory(Op.i32Store, 2, slotAt(In.HALTED));

  open(Op.block, 'exit');
  open(Op.loop, 'step');
  c.get(r).get(LIMIT).op(Op.i32GeU);
  brIf('exit');
  // The instruction; its stack precondition and memory read (the attention stage).
  c.get(pc).i32(dims.instructions).op(Op.i32GeU);
  deferIf();
  c.get(pc)
    .i32(4 * INSTRUCTION_FIELDS)
    .op(Op.i32Mul)
    .i32(layout.instructionsAt)
    .op(Op.i32Add)
    .set(ins);
  insField(F.DEFER);
  deferIf();
  insField(F.STACK).set(tmp);
  c.get(tmp).i32(StackUseCode.push).op(Op.i32Eq).get(sp).op(Op.i32Eqz, Op.i32And);
  c.get(tmp)
    .i32(StackUseCode.pop)
    .op(Op.i32Eq)
    .get(sp)
    .i32(cells)
    .op(Op.i32GeU, Op.i32And, Op.i32Or);
  deferIf();
  c.i32(0).set(operand);
  insField(F.READ_MODE).tee(mode).i32(ReadModeCode.none).op(Op.i32Ne);
  open(Op.if);
  c.get(mode).i32(ReadModeCode.direct).op(Op.i32Eq);
  open(Op.if);
  insField(F.READ_ADDR).set(addr);
  c.op(Op.else);
  c.get(sp).set(addr);
  close();
  c.get(addr).i32(cells).op(Op.i32GeU);
  deferIf();
  c.get(addr).i32(2).op(Op.i32Shl).memory(Op.i32Load, 2, layout.cellsAt).set(operand);
  close();
  // The input vector: the words, then the bits when a unit of the instruction reads them.
  const words: [number, () => void][] = [
    [In.PC, () => c.get(pc)],
    [In.PC_NEXT, () => c.get(pc).i32(1).op(Op.i32Add).i32(255).op(Op.i32And)],
    [In.ACC, () => c.get(acc)],
    [In.ZERO, () => c.get(zero)],
    [In.CARRY, () => c.get(carry)],
    [In.SP, () => c.get(sp)],
    [In.OPERAND, () => c.get(operand)],
  ];
  for (const [slot, value] of words) {
    c.i32(0);
    value();
    c.memory(Op.i32Store, 2, slotAt(slot));
  }
  insField(F.USES_BITS);
  open(Op.if);
  for (let i = 0; i < WORD_BITS; i++) {
    c.i32(0)
      .get(acc)
      .i32(i)
      .op(Op.i32ShrU)
      .i32(1)
      .op(Op.i32And)
      .memory(Op.i32Store, 2, slotAt(In.ACC_BITS + i));
    c.i32(0)
      .get(operand)
      .i32(i)
      .op(Op.i32ShrU)
      .i32(1)
      .op(Op.i32And)
      .memory(Op.i32Store, 2, slotAt(In.OPERAND_BITS + i));
  }
  close();

  // The FFN: out = bias + Σ coeff · gate · value over the instruction's units; each unit's
  // gate, value and hidden written to the row as it goes (and zero past the last unit).
  for (let o = 0; o < OUTPUT_DIM; o++)
    c.i32(0)
      .get(ins)
      .memory(Op.i32Load, 2, 4 * (F.BIAS + o))
      .op(Op.i64ExtendI32S)
      .memory(Op.i64Store, 3, layout.outputAt + 8 * o);
  insField(F.UNIT_START)
    .i32(4 * UNIT_FIELDS)
    .op(Op.i32Mul)
    .i32(layout.unitsAt)
    .op(Op.i32Add)
    .set(unit);
  insField(F.UNIT_END)
    .i32(4 * UNIT_FIELDS)
    .op(Op.i32Mul)
    .i32(layout.unitsAt)
    .op(Op.i32Add)
    .set(unitEnd);
  c.get(w.base('gate'))
    .get(t)
    .i32(2 * ffDim)
    .op(Op.i32Mul, Op.i32Add)
    .set(gp);
  c.get(w.base('value'))
    .get(t)
    .i32(2 * ffDim)
    .op(Op.i32Mul, Op.i32Add)
    .set(vp);
  c.get(w.base('hidden'))
    .get(t)
    .i32(4 * ffDim)
    .op(Op.i32Mul, Op.i32Add)
    .tee(hp)
    .i32(4 * ffDim)
    .op(Op.i32Add)
    .set(hEnd);
  c.i32(0).set(rowLow);
  c.i32(0).set(rowHigh);
  /** The row's next unit slot: gate, value and hidden from these locals (null: 0), the three pointers advanced. */
  const storeUnitSlot = (gate: number | null, value: number | null, hidden: number | null) => {
    const from = (l: number | null) => (l === null ? c.i32(0) : c.get(l));
    c.get(gp);
    from(gate).memory(Op.i32Store16, 1, 0);
    c.get(vp);
    from(value).memory(Op.i32Store16, 1, 0);
    c.get(hp);
    from(hidden).memory(Op.i32Store, 2, 0);
    c.get(gp).i32(2).op(Op.i32Add).set(gp);
    c.get(vp).i32(2).op(Op.i32Add).set(vp);
    c.get(hp).i32(4).op(Op.i32Add).set(hp);
  };
  open(Op.block, 'units');
  open(Op.loop, 'unit');
  c.get(unit).get(unitEnd).op(Op.i32GeU);
  brIf('units');
  c.get(unit)
    .memory(Op.i32Load, 2, 4 * U.GATE_AT)
    .memory(Op.i32Load, 2, 0)
    .set(g);
  c.get(unit)
    .memory(Op.i32Load, 2, 4 * U.VALUE_AT)
    .memory(Op.i32Load, 2, 0)
    .set(v);
  c.get(g).op(Op.i64ExtendI32S).get(v).op(Op.i64ExtendI32S, Op.i64Mul).tee(product);
  c.i64(2 ** 31)
    .op(Op.i64Add)
    .i64(2 ** 32)
    .op(Op.i64LtU, Op.i32Eqz);
  deferIf();
  c.get(product).op(Op.i32WrapI64).set(h);
  trackExtremes(h);
  c.get(unit)
    .memory(Op.i32Load, 2, 4 * U.OUT_AT)
    .tee(tmp)
    .get(tmp)
    .memory(Op.i64Load, 3, 0);
  c.get(unit)
    .memory(Op.i32Load, 2, 4 * U.COEFF)
    .op(Op.i64ExtendI32S)
    .get(product)
    .op(Op.i64Mul, Op.i64Add)
    .memory(Op.i64Store, 3, 0);
  c.get(unit)
    .i32(4 * UNIT_FIELDS)
    .op(Op.i32Add)
    .set(unit);
  storeUnitSlot(g, v, h);
  br('unit');
  close();
  close();
  open(Op.block, 'pad');
  open(Op.loop, 'padding');
  c.get(hp).get(hEnd).op(Op.i32GeU);
  brIf('pad');
  storeUnitSlot(null, null, null);
  br('padding');
  close();
  close();

  // The outputs must fit int32; the step must complete (the engine's faults, deferred).
  c.i32(0).set(outOfInt32);
  outs.forEach((l, o) => {
    c.i32(0)
      .memory(Op.i64Load, 3, layout.outputAt + 8 * o)
      .tee(l)
      .i64(2 ** 31)
      .op(Op.i64Add)
      .i64(2 ** 32)
      .op(Op.i64LtU, Op.i32Eqz);
    c.get(outOfInt32).op(Op.i32Or).set(outOfInt32);
  });
  c.get(outOfInt32);
  deferIf();
  const out32 = (slot: number, into: number) => c.get(outs[slot]).op(Op.i32WrapI64).set(into);
  out32(Out.NEXT_PC, nextPc);
  out32(Out.RAW_ACC, raw);
  out32(Out.NEXT_SP, nextSp);
  out32(Out.WRITE_ENABLE, writes);
  out32(Out.WRITE_ADDR, writeAddr);
  out32(Out.WRITE_VALUE, writeValue);
  c.get(nextPc).i32(255).op(Op.i32GtU);
  deferIf();
  c.get(writes).i32(1).op(Op.i32Eq).get(writeAddr).i32(cells).op(Op.i32GeU, Op.i32And);
  deferIf();

  // Committed: the write, the controls, the row's remaining columns.
  c.get(writes).i32(1).op(Op.i32Eq);
  open(Op.if);
  c.get(writeAddr).i32(2).op(Op.i32Shl).get(writeValue).memory(Op.i32Store, 2, layout.cellsAt);
  close();
  c.get(raw)
    .i32(32768)
    .op(Op.i32Add)
    .i32(0xffff)
    .op(Op.i32And)
    .i32(32768)
    .op(Op.i32Sub)
    .set(wrapped);
  // next zero and carry by the instruction's rules (isa/controls.ts).
  c.get(wrapped).op(Op.i32Eqz).get(zero);
  insField(F.ZERO_RULE).i32(ZeroRuleCode.result).op(Op.i32Eq, Op.select).set(nextZero);
  insField(F.CARRY_RULE).set(tmp);
  c.get(carry).set(nextCarry);
  c.get(tmp).i32(CarryRuleCode.clear).op(Op.i32Eq);
  open(Op.if);
  c.i32(0).set(nextCarry);
  close();
  c.get(tmp).i32(CarryRuleCode.overflow).op(Op.i32Eq);
  open(Op.if);
  c.get(raw).get(wrapped).op(Op.i32Ne).set(nextCarry);
  close();
  c.get(tmp).i32(CarryRuleCode.signed_less).op(Op.i32Eq);
  open(Op.if);
  c.get(raw).i32(0).op(Op.i32LtS).set(nextCarry);
  close();
  insField(F.HALTS).set(halts);

  outs.forEach((l, o) => {
    w.store('output', 4, t, () => c.get(l).op(Op.i32WrapI64), OUTPUT_DIM, o);
    c.get(l).op(Op.i32WrapI64).set(tmp);
    trackExtremes(tmp);
  });
  c.get(rowLow).get(low).get(rowLow).get(low).op(Op.i32LtS, Op.select).set(low);
  c.get(rowHigh).get(high).get(rowHigh).get(high).op(Op.i32GtS, Op.select).set(high);

  c.get(t).i32(3).op(Op.i32ShrU).set(tByte);
  c.get(t).i32(7).op(Op.i32And).set(tShift);
  w.store('step', 4, t, () => c.get(FIRST_STEP).get(r).op(Op.i32Add));
  store16('pc', () => c.get(pc));
  w.store('opcode', 1, t, () => insField(F.OPCODE));
  store16('arg', () => insField(F.ARG));
  c.get(t).i32(dims.instructions).op(Op.i32Mul).get(pc).op(Op.i32Add).set(tmp);
  orBits('selector', tmp, () => c.i32(1));
  // Every row a file holds is a step (padding rows are the prover's); last_step is set by the export once the run's end is known.
  setBit('active', () => c.i32(1));
  for (let i = 0; i < INPUT_WORDS; i++)
    store16('input', () => c.i32(0).memory(Op.i32Load, 2, slotAt(i)), INPUT_WORDS, i);
  w.store('input_bits', 4, t, () =>
    c.get(acc).i32(0xffff).op(Op.i32And).get(operand).i32(16).op(Op.i32Shl, Op.i32Or),
  );
  setBit('pc_wrap', () => c.get(pc).i32(255).op(Op.i32Eq));
  store16('next_acc', () => c.get(wrapped));
  store16('acc_bits', () => c.get(wrapped), 1);
  c.get(raw)
    .get(wrapped)
    .op(Op.i32Sub)
    .i32(16)
    .op(Op.i32ShrS)
    .i32(0xffff)
    .op(Op.i32And)
    .set(quotient);
  store16('quot_bits', () => c.get(quotient), 1);
  c.get(wrapped).i32(0xffff).op(Op.i32And).set(wrapped16);
  c.get(t)
    .i32(WORD_BITS - 1)
    .op(Op.i32Mul)
    .set(tmp);
  orBits('acc_or', tmp, () => prefixOrMask(wrapped16));
  orBits('quot_or', tmp, () => prefixOrMask(quotient));
  setBit('raw_negative', () => c.get(raw).i32(0).op(Op.i32LtS));
  setBit('next_zero', () => c.get(nextZero));
  setBit('next_carry', () => c.get(nextCarry));
  setBit('next_halted', () => c.get(halts));
  // The step's memory access: the read, else the write, else none; into the digest as
  // digestWord(address, value, kind) (runtime/access.ts).
  const access = (kindBit: string | null, kind: number, address: () => void, value: () => void) => {
    if (kindBit !== null) setBit(kindBit, () => c.i32(1));
    store16('access_addr', address);
    store16('access_value', value);
    address();
    value();
    c.i32(0xffff)
      .op(Op.i32And)
      .i32(9)
      .op(Op.i32Shl, Op.i32Or)
      .i32(kind << 25)
      .op(Op.i32Or)
      .set(word);
  };
  c.get(mode).i32(ReadModeCode.none).op(Op.i32Ne);
  open(Op.if);
  access(
    'access_read',
    AccessKind.READ,
    () => c.get(addr),
    () => c.get(operand),
  );
  c.op(Op.else);
  c.get(writes).i32(1).op(Op.i32Eq);
  open(Op.if);
  access(
    'access_write',
    AccessKind.WRITE,
    () => c.get(writeAddr),
    () => c.get(writeValue),
  );
  c.op(Op.else);
  access(
    null,
    AccessKind.NONE,
    () => c.i32(NO_ACCESS_ADDR),
    () => c.i32(0),
  );
  close();
  close();
  c.get(digestA)
    .get(word)
    .op(Op.i32Xor)
    .i32(DIGEST.MUL_A)
    .op(Op.i32Mul)
    .tee(digestA)
    .get(digestA)
    .i32(DIGEST.SHIFT_A)
    .op(Op.i32ShrU, Op.i32Xor)
    .set(digestA);
  c.get(digestB)
    .get(word)
    .op(Op.i32Add)
    .i32(DIGEST.MUL_B)
    .op(Op.i32Mul)
    .tee(digestB)
    .get(digestB)
    .i32(DIGEST.SHIFT_B)
    .op(Op.i32ShrU, Op.i32Xor);
  c.i32(DIGEST.MUL_B2).op(Op.i32Mul).set(digestB);

  // The next state.
  c.get(wrapped).set(acc);
  c.get(nextSp).set(sp);
  c.get(nextZero).set(zero);
  c.get(nextCarry).set(carry);
  c.get(nextPc).set(pc);
  c.get(r).i32(1).op(Op.i32Add).set(r);
  c.get(t).i32(1).op(Op.i32Add).set(t);
  c.get(halts).set(halted);
  c.get(halts);
  brIf('exit');
  br('step');
  close();
  close();

  // Epilogue: the state, why it stopped, the extremes.
  for (const [l, reg] of [...stateRegs, [halted, Reg.HALTED] as [number, number]])
    c.i32(0).get(l).memory(Op.i32Store, 2, regAt(reg));
  c.i32(0).get(status).memory(Op.i32Store, 2, layout.statusAt);
  c.i32(0).get(low).memory(Op.i32Store, 2, layout.extremesAt);
  c.i32(0)
    .get(high)
    .memory(Op.i32Store, 2, layout.extremesAt + 4);
  c.i32(0).get(digestA).memory(Op.i32Store, 2, layout.digestAt);
  c.i32(0)
    .get(digestB)
    .memory(Op.i32Store, 2, layout.digestAt + 4);
  c.get(r);

  return w.module('fill', [I32], layout.pages, shared);
}
