/** The reference witness builder: a trace's rows from the engines' taps, row by row. */
import { INPUT_WORDS, LOG_ADDR_BITS, LOG_GAP_BITS, NO_ACCESS_ADDR } from '../../air/columns.js';
import type { ControlTable } from '../../compiler/control-table.js';
import { In, INPUT_DIM, Out, OUTPUT_DIM, WORD_BITS } from '../../compiler/layout.js';
import { nextCarry, nextZero } from '../../isa/controls.js';
import { ReadModeCode } from '../../isa/opcodes.js';
import { AccessKind } from '../../runtime/access.js';
import type { FfnTap } from '../../runtime/ffn/engine.js';
import { writeBits, writeShortBits, type TraceBuffers } from '../format/layout.js';
import type { SortedSlice } from './spill.js';

// Layout constants copied into module constants: in hot loops a property load through an
// imported binding can cost a getter call (tsx's module interop), and these never change.
const X_DIM = INPUT_DIM;
const O_DIM = OUTPUT_DIM;
const X_PC = In.PC;
const X_ACC = In.ACC;
const X_ZERO = In.ZERO;
const X_CARRY = In.CARRY;
const X_SP = In.SP;
const X_OPERAND = In.OPERAND;
const O_RAW_ACC = Out.RAW_ACC;
const O_WRITE_ENABLE = Out.WRITE_ENABLE;
const O_WRITE_ADDR = Out.WRITE_ADDR;
const O_WRITE_VALUE = Out.WRITE_VALUE;
const READ = AccessKind.READ;
const WRITE = AccessKind.WRITE;
const NONE = AccessKind.NONE;
const READS_NONE = ReadModeCode.none;
const READS_DIRECT = ReadModeCode.direct;
const X_WORDS = INPUT_WORDS;
if (X_WORDS !== 9) throw new Error('internal error: fillExecution copies 9 input words');
const BITS = WORD_BITS;
const ADDR_BITS = LOG_ADDR_BITS;
const GAP_BITS = LOG_GAP_BITS;

/** The memory access of tap row r: (address, value, kind); address NO_ACCESS_ADDR when none. */
export function accessOf(tap: FfnTap, r: number, table: ControlTable, into: Int32Array): void {
  const x = r * X_DIM;
  const o = r * O_DIM;
  const pc = tap.input[x + X_PC];
  const mode = table.readMode[pc];
  if (mode !== READS_NONE) {
    into[0] = mode === READS_DIRECT ? table.readAddr[pc] : tap.input[x + X_SP];
    into[1] = tap.input[x + X_OPERAND];
    into[2] = READ;
  } else if (tap.output[o + O_WRITE_ENABLE] === 1) {
    into[0] = tap.output[o + O_WRITE_ADDR];
    into[1] = tap.output[o + O_WRITE_VALUE];
    into[2] = WRITE;
  } else {
    into[0] = NO_ACCESS_ADDR;
    into[1] = 0;
    into[2] = NONE;
  }
}

/** Column storage resolved once per batch, for the per-row loops (bool columns are bitmaps). */
function columns(buffers: TraceBuffers) {
  const int32 = (name: string) => buffers.column(name) as Int32Array;
  const int16 = (name: string) => buffers.column(name) as Int16Array;
  const int8 = (name: string) => buffers.column(name) as Int8Array;
  const bits = (name: string) => buffers.column(name) as Uint8Array;
  return {
    step: int32('step'),
    pc: int16('pc'),
    opcode: int8('opcode'),
    arg: int16('arg'),
    input: int16('input'),
    inputBits: bits('input_bits'),
    gate: int16('gate'),
    value: int16('value'),
    hidden: int32('hidden'),
    output: int32('output'),
    active: bits('active'),
    selector: bits('selector'),
    pcWrap: bits('pc_wrap'),
    nextAcc: int16('next_acc'),
    accBits: bits('acc_bits'),
    accOr: bits('acc_or'),
    quotBits: bits('quot_bits'),
    quotOr: bits('quot_or'),
    rawNegative: bits('raw_negative'),
    nextZero: bits('next_zero'),
    nextCarry: bits('next_carry'),
    nextHalted: bits('next_halted'),
    accessRead: bits('access_read'),
    accessWrite: bits('access_write'),
    accessAddr: int16('access_addr'),
    accessValue: int16('access_value'),
    logAddr: int16('log_addr'),
    logAddrBits: bits('log_addr_bits'),
    logStep: int32('log_step'),
    logValue: int16('log_value'),
    logRead: bits('log_read'),
    logWrite: bits('log_write'),
    logPrev: int16('log_prev'),
    logFirst: bits('log_first'),
    logLast: bits('log_last'),
    logGapBits: bits('log_gap_bits'),
  };
}

/** The 15-bit prefix-OR mask of a 16-bit word: bit i = b0 ∨ … ∨ b(i+1). */
function prefixOrMask(word16: number): number {
  const lowest = word16 & -word16;
  return ((-lowest & 0xffff) >>> 1) & 0x7fff;
}

/**
 * Builds a batch's witness columns from the FFN tap, row by row: the FFN's own vectors
 * copied, and every column the AIR needs beyond them (decoding, controls, the access); then
 * the log columns from the sorted log.
 */
export class WitnessBuilder {
  private readonly access = new Int32Array(3);
  private previousLog = { addr: -1, step: -1, value: 0 };

  constructor(
    private readonly table: ControlTable,
    private readonly instructions: number,
    /** The memory before the first step: the log_prev of each cell's first entry. */
    private readonly initialMemory: ArrayLike<number>,
  ) {}

  /** Mark row `at` of the buffers as the run's last step (the claim binds there). */
  static markLastStep(buffers: TraceBuffers, at: number): void {
    (buffers.column('last_step') as Uint8Array)[at >> 3] |= 1 << (at & 7);
  }

  /**
   * Execution-side columns of tap rows [0, rows), the first being step `firstStep`, into rows
   * [at, at + rows) of the buffers (whose bitmaps must be clear there). Copies the FFN's own
   * vectors (gate, value, hidden, output) too, unless they are the tap's arrays already.
   */
  fillExecution(buffers: TraceBuffers, tap: FfnTap, rows: number, firstStep: number, at = 0): void {
    const c = columns(buffers);
    const P = this.instructions;
    const F = tap.ffDim;
    const { input: tin, gate: tg, value: tv, output: tout } = tap;
    const {
      step,
      active,
      pc: pcCol,
      opcode,
      arg,
      selector,
      input,
      inputBits,
      pcWrap,
      nextAcc,
      accBits,
      accOr,
      quotBits,
      quotOr,
    } = c;
    const {
      rawNegative,
      nextZero: zeroCol,
      nextCarry: carryCol,
      nextHalted,
      accessRead,
      accessWrite,
      accessAddr,
      accessValue,
    } = c;
    const { gate, value, hidden, output } = c;
    const { table, access } = this;
    const { halts, opcode: opcodes, arg: args, zeroRule, carryRule } = table;
    gate.set(tg.subarray(0, rows * F), at * F);
    value.set(tv.subarray(0, rows * F), at * F);
    if (hidden !== tap.hidden) hidden.set(tap.hidden.subarray(0, rows * F), at * F);
    if (output !== tout) output.set(tout.subarray(0, rows * O_DIM), at * O_DIM);
    for (let r = 0; r < rows; r++) {
      const t = at + r;
      const x = r * X_DIM;
      const o = r * O_DIM;
      const pc = tin[x + X_PC];
      // The 9 input words, unrolled (the loop's overhead showed in profiles).
      const w = t * X_WORDS;
      input[w] = tin[x];
      input[w + 1] = tin[x + 1];
      input[w + 2] = tin[x + 2];
      input[w + 3] = tin[x + 3];
      input[w + 4] = tin[x + 4];
      input[w + 5] = tin[x + 5];
      input[w + 6] = tin[x + 6];
      input[w + 7] = tin[x + 7];
      input[w + 8] = tin[x + 8];
      // input_bits is 32 bits a row: ACC's 16 bits then OPERAND's, byte-aligned.
      const acc16 = tin[x + X_ACC] & 0xffff;
      const operand16 = tin[x + X_OPERAND] & 0xffff;
      inputBits[t * 4] = acc16;
      inputBits[t * 4 + 1] = acc16 >>> 8;
      inputBits[t * 4 + 2] = operand16;
      inputBits[t * 4 + 3] = operand16 >>> 8;
      step[t] = firstStep + r;
      pcCol[t] = pc;
      opcode[t] = opcodes[pc];
      arg[t] = args[pc];
      const selected = t * P + pc;
      selector[selected >> 3] |= 1 << (selected & 7);
      const bit = 1 << (t & 7);
      const byte = t >> 3;
      active[byte] |= bit;
      if (pc === 255) pcWrap[byte] |= bit;

      const raw = tout[o + O_RAW_ACC];
      const wrapped = ((raw + 32768) & 0xffff) - 32768;
      const quot16 = ((raw - wrapped) / 65536) & 0xffff;
      const wrapped16 = wrapped & 0xffff;
      nextAcc[t] = wrapped;
      accBits[t * 2] = wrapped16;
      accBits[t * 2 + 1] = wrapped16 >>> 8;
      quotBits[t * 2] = quot16;
      quotBits[t * 2 + 1] = quot16 >>> 8;
      writeShortBits(accOr, t * (BITS - 1), prefixOrMask(wrapped16), BITS - 1);
      writeShortBits(quotOr, t * (BITS - 1), prefixOrMask(quot16), BITS - 1);
      if (raw < 0) rawNegative[byte] |= bit;
      if (nextZero(zeroRule[pc], wrapped, tin[x + X_ZERO]) === 1) zeroCol[byte] |= bit;
      if (nextCarry(carryRule[pc], raw, wrapped, tin[x + X_CARRY]) === 1) carryCol[byte] |= bit;
      if (halts[pc] === 1) nextHalted[byte] |= bit;

      accessOf(tap, r, table, access);
      if (access[2] === READ) accessRead[byte] |= bit;
      else if (access[2] === WRITE) accessWrite[byte] |= bit;
      accessAddr[t] = access[0];
      accessValue[t] = access[1];
    }
  }

  /**
   * Log-side columns of rows [0, slice.length) from the next slice of the sorted log (its
   * followingAddr tells whether its last entry ends an address). Bitmaps must be clear.
   */
  fillLog(buffers: TraceBuffers, slice: SortedSlice): void {
    const c = columns(buffers);
    const initial = this.initialMemory;
    let { addr: prevAddr, step: prevStep, value: prevValue } = this.previousLog;
    for (let r = 0; r < slice.length; r++) {
      const addr = slice.addr[r];
      const step = slice.step[r];
      const kind = slice.kind[r];
      const value = slice.value[r];
      const first = addr !== prevAddr ? 1 : 0;
      const gap = prevAddr < 0 ? 0 : first === 1 ? addr - prevAddr - 1 : step - prevStep - 1;
      const followingAddr = r + 1 < slice.length ? slice.addr[r + 1] : slice.followingAddr;
      c.logAddr[r] = addr;
      c.logStep[r] = step;
      c.logValue[r] = value;
      // The cell's value before this entry: its initial value for the first (0 at the no-access address).
      c.logPrev[r] = first === 0 ? prevValue : addr < NO_ACCESS_ADDR ? initial[addr] : 0;
      const bit = 1 << (r & 7);
      const byte = r >> 3;
      if (kind === READ) c.logRead[byte] |= bit;
      else if (kind === WRITE) c.logWrite[byte] |= bit;
      if (first === 1) c.logFirst[byte] |= bit;
      if (addr < NO_ACCESS_ADDR && followingAddr !== addr) c.logLast[byte] |= bit;
      writeShortBits(c.logAddrBits, r * ADDR_BITS, addr, ADDR_BITS);
      writeBits(c.logGapBits, r * GAP_BITS, gap, GAP_BITS);
      prevAddr = addr;
      prevStep = step;
      prevValue = value;
    }
    this.previousLog = { addr: prevAddr, step: prevStep, value: prevValue };
  }
}
