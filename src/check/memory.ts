/** The memory arguments checked exactly, as multisets: permutation, initial values, final memory. */
import { NO_ACCESS_ADDR } from '../air/columns.js';
import { columnIndex } from '../air/columns.js';
import type { TraceBatch } from '../trace/read/reader.js';
import { ACCESS_WORD_BITS, AccessSpill, accessWord, RecordSpill } from '../trace/write/spill.js';

/** A failure of a memory argument, located at a row when it has one: its log entry, or (side 'access') its step's access. */
export interface ArgumentFailure {
  readonly argument: string;
  readonly row: number | null;
  readonly side?: 'log' | 'access';
  readonly message: string;
  readonly expected: string | null;
  readonly actual: string | null;
}

// A log entry as three int32: step, then accessWord(value, kind) | addr << 18 | first << 27 |
// last << 28 (its low 27 bits are the AccessSpill's word for the same access with the address
// above it, so an entry and an access compare as two integers), then log_prev.
const LOG_WIDTH = 3;
const ADDR_SHIFT = ACCESS_WORD_BITS;
const FIRST_BIT = 1 << (ADDR_SHIFT + 9);
const LAST_BIT = FIRST_BIT << 1;
const ENTRY_MASK = FIRST_BIT - 1;
/** A packed address that is no address: an entry whose log_addr lay outside 0..256 (already reported). */
const BAD_ADDR = 511;

const kindName = (kind: number) => ['none', 'read', 'write', 'read+write'][kind] ?? `kind ${kind}`;
const tuple = (step: number, addr: number, value: number, kind: number) =>
  `(step ${step}, addr ${addr}, value ${value}, ${kindName(kind)})`;
/** An entry's fields from its packed word (addr from bits 18.., or given for an access word). */
const unpack = (step: number, word: number, addr = (word >>> ADDR_SHIFT) & 511) =>
  tuple(step, addr, (word << 16) >> 16, (word >>> 16) & 3);

/**
 * The memory arguments of the AIR, checked exactly and in bounded memory: the steps'
 * accesses go to per-address buckets (so they come back sorted by address, then step),
 * the log entries go to a scratch file as read; afterwards both are compared entry by entry.
 */
export class MemoryArguments {
  private readonly exec: AccessSpill;
  private readonly log: RecordSpill;
  private readonly failures: ArgumentFailure[] = [];
  private readonly col: Record<string, number>;
  private failureCount = 0;
  /** One batch's log entries, packed, before they go to the spill. */
  private records = new Int32Array(0);

  constructor(
    private readonly maxFailures: number,
    directory?: string,
  ) {
    this.exec = new AccessSpill(directory);
    this.log = new RecordSpill(LOG_WIDTH, 65536, directory);
    const names = [
      'step',
      'access_addr',
      'access_value',
      'access_read',
      'access_write',
      'log_step',
      'log_addr',
      'log_value',
      'log_prev',
      'log_read',
      'log_write',
      'log_first',
      'log_last',
    ];
    this.col = Object.fromEntries(names.map((n) => [n, columnIndex(n)]));
  }

  private fail(failure: ArgumentFailure): void {
    this.failureCount++;
    if (this.failures.length < this.maxFailures) this.failures.push(failure);
  }

  /** Record the accesses and log entries of one batch. */
  add(batch: TraceBatch): void {
    const { col, exec } = this;
    const int = (name: string) => batch.data[col[name]] as Int32Array | Int16Array;
    const bits = (name: string) => batch.data[col[name]] as Uint8Array;
    const offset = (name: string) => batch.bitOffset[col[name]];
    const step = int('step');
    const accessAddr = int('access_addr');
    const accessValue = int('access_value');
    const logStep = int('log_step');
    const logAddr = int('log_addr');
    const logValue = int('log_value');
    const logPrev = int('log_prev');
    const [accessRead, accessWrite, logRead, logWrite, logFirst, logLast] = [
      'access_read',
      'access_write',
      'log_read',
      'log_write',
      'log_first',
      'log_last',
    ].map(bits);
    const [oAccessRead, oAccessWrite, oLogRead, oLogWrite, oLogFirst, oLogLast] = [
      'access_read',
      'access_write',
      'log_read',
      'log_write',
      'log_first',
      'log_last',
    ].map(offset);
    if (this.records.length < batch.rows * LOG_WIDTH)
      this.records = new Int32Array(batch.rows * LOG_WIDTH);
    const records = this.records;
    for (let r = 0; r < batch.rows; r++) {
      const addr = accessAddr[r];
      const ar = oAccessRead + r;
      const aw = oAccessWrite + r;
      const kind =
        ((accessRead[ar >> 3] >> (ar & 7)) & 1) | (((accessWrite[aw >> 3] >> (aw & 7)) & 1) << 1);
      if (addr >= 0 && addr <= NO_ACCESS_ADDR) exec.push(addr, step[r], accessValue[r], kind);
      else
        this.fail({
          argument: 'memory.permutation',
          row: batch.firstRow + r,
          side: 'access',
          message: `access_addr ${addr} is outside 0..${NO_ACCESS_ADDR}`,
          expected: null,
          actual: String(addr),
        });
      let logAddress = logAddr[r];
      if (logAddress < 0 || logAddress > NO_ACCESS_ADDR) {
        this.fail({
          argument: 'memory.permutation',
          row: batch.firstRow + r,
          message: `log_addr ${logAddress} is outside 0..${NO_ACCESS_ADDR}`,
          expected: null,
          actual: String(logAddress),
        });
        logAddress = BAD_ADDR;
      }
      const lr = oLogRead + r;
      const lw = oLogWrite + r;
      const lf = oLogFirst + r;
      const ll = oLogLast + r;
      const logKind =
        ((logRead[lr >> 3] >> (lr & 7)) & 1) | (((logWrite[lw >> 3] >> (lw & 7)) & 1) << 1);
      records[r * LOG_WIDTH] = logStep[r];
      records[r * LOG_WIDTH + 1] =
        accessWord(logValue[r], logKind) |
        (logAddress << ADDR_SHIFT) |
        (((logFirst[lf >> 3] >> (lf & 7)) & 1) * FIRST_BIT) |
        (((logLast[ll >> 3] >> (ll & 7)) & 1) * LAST_BIT);
      records[r * LOG_WIDTH + 2] = logPrev[r];
    }
    this.log.push(records, batch.rows);
  }

  /**
   * Compare, after the last batch: the permutation (log against the steps' accesses), the
   * initial-value lookup of every first cell entry, and the final memory's multiset equality
   * {(a, initial[a])} ⊎ {last entries} = {(a, final[a])} ⊎ {first entries' (a, log_prev)}.
   */
  finish(
    initialMemory: readonly number[],
    finalMemory: readonly number[],
  ): { failures: ArgumentFailure[]; count: number } {
    const N = initialMemory.length;
    // The steps' accesses in (address, step) order, a chunk at a time.
    const accesses = this.exec.chunks();
    let access: Int32Array = new Int32Array(0);
    let accessCount = 0;
    let accessAddrBits = 0;
    let at = 0;
    let accessesLeft = true;
    const nextAccesses = () => {
      const next = accesses.next();
      at = 0;
      if (next.done) [accessesLeft, accessCount] = [false, 0];
      else
        [accessAddrBits, access, accessCount] = [
          next.value[0] << ADDR_SHIFT,
          next.value[1],
          next.value[2],
        ];
    };
    let row = 0;
    let permutationOk = true;
    // The final memory's multiset, as a balance per (address, value): + left, - right.
    const balance = new Map<number, number>();
    const cellKey = (addr: number, value: number) => addr * 65536 + (value & 0xffff);
    const move = (addr: number, value: number, by: number) => {
      const key = cellKey(addr, value);
      const next = (balance.get(key) ?? 0) + by;
      if (next === 0) balance.delete(key);
      else balance.set(key, next);
    };
    /** The log row of each cell's last entry (for the failure's location). */
    const lastRow = new Map<number, number>();
    for (let a = 0; a < N; a++) {
      move(a, initialMemory[a], 1);
      move(a, finalMemory[a], -1);
    }
    for (const [records, count] of this.log.chunks()) {
      for (let i = 0; i < count; i++, row++) {
        const step = records[i * LOG_WIDTH];
        const word = records[i * LOG_WIDTH + 1];
        const prev = records[i * LOG_WIDTH + 2];
        // Permutation: the log must list exactly the steps' accesses, in (address, step) order.
        if (permutationOk) {
          while (at === accessCount && accessesLeft) nextAccesses();
          if (at === accessCount) {
            this.fail({
              argument: 'memory.permutation',
              row,
              message: `log entry ${unpack(step, word)} has no matching step access`,
              expected: null,
              actual: unpack(step, word),
            });
            permutationOk = false;
          } else {
            const accessStep = access[at * 2];
            const accessWord = access[at * 2 + 1] | accessAddrBits;
            if (accessStep !== step || accessWord !== (word & ENTRY_MASK)) {
              const expected = unpack(accessStep, accessWord);
              this.fail({
                argument: 'memory.permutation',
                row,
                message: `log entry ${unpack(step, word)} differs from the steps' access ${expected} at this position of the (address, step) order`,
                expected,
                actual: unpack(step, word),
              });
              permutationOk = false;
            }
            at++;
          }
        }
        const addr = (word >>> ADDR_SHIFT) & 511;
        // Only memory cells (address < 256) take part in the initial and final memory.
        if (addr >= NO_ACCESS_ADDR) continue;
        const value = (word << 16) >> 16;
        if ((word & FIRST_BIT) !== 0) {
          // The first entry of a cell sees its initial value (a lookup in a table of exactly N cells).
          const initial = addr < N ? initialMemory[addr] : undefined;
          if (initial !== prev)
            this.fail({
              argument: 'memory.initial_value',
              row,
              message:
                initial === undefined
                  ? `the first entry of address ${addr} is outside the ${N} memory cells`
                  : `the first entry of address ${addr} sees ${prev} before it (log_prev), initial memory has ${initial}`,
              expected: initial === undefined ? null : String(initial),
              actual: String(prev),
            });
          move(addr, prev, -1);
        }
        if ((word & LAST_BIT) !== 0) {
          move(addr, value, 1);
          lastRow.set(addr, row);
        }
      }
    }
    if (permutationOk) {
      while (at === accessCount && accessesLeft) nextAccesses();
      if (at < accessCount)
        this.fail({
          argument: 'memory.permutation',
          row: null,
          message: 'the steps have more accesses than the log has entries',
          expected: null,
          actual: null,
        });
    }
    // Unbalanced (address, value) pairs, by address: what the log and initial memory leave
    // (left) against what the final memory and the first entries say (right).
    const byAddress = new Map<number, { left: number[]; right: number[] }>();
    for (const [key, count] of [...balance].sort(([a], [b]) => a - b)) {
      const addr = Math.floor(key / 65536);
      const value = (key % 65536 << 16) >> 16;
      const entry = byAddress.get(addr) ?? { left: [], right: [] };
      for (let k = 0; k < Math.abs(count); k++) (count > 0 ? entry.left : entry.right).push(value);
      byAddress.set(addr, entry);
    }
    for (const [addr, { left, right }] of byAddress) {
      const leaves = left.length === 0 ? 'nothing' : left.join(', ');
      const claimed = right.length === 0 ? 'nothing' : right.join(', ');
      this.fail({
        argument: 'memory.final_value',
        row: lastRow.get(addr) ?? null,
        message: `address ${addr}: the log and the initial memory leave ${leaves}, the final memory (and first entries) say ${claimed}`,
        expected: left.join(', '),
        actual: right.join(', '),
      });
    }
    return { failures: this.failures, count: this.failureCount };
  }

  dispose(): void {
    this.exec.dispose();
    this.log.dispose();
  }
}
