import { NO_ACCESS_ADDR } from '../air/columns.js';
import { columnIndex } from '../air/columns.js';
import type { Claim } from '../trace/metadata.js';
import type { TraceBatch } from '../trace/reader.js';
import { AccessSpill, RecordSpill } from '../trace/spill.js';

/** A failure of a memory argument, located at a row when it has one: its log entry, or (side 'access') its step's access. */
export interface ArgumentFailure {
  readonly argument: string;
  readonly row: number | null;
  readonly side?: 'log' | 'access';
  readonly message: string;
  readonly expected: string | null;
  readonly actual: string | null;
}

// A log entry as two int32: step, then addr (9 bits) | value (16) << 9 | kind (2) << 25 | first << 27.
const LOG_WIDTH = 2;
/** A packed address that is no address: an entry whose log_addr lay outside 0..256 (already reported). */
const BAD_ADDR = 511;

const kindOf = (read: number, write: number) => read + 2 * write;
const bitAt = (bitmap: Uint8Array, bit: number) => (bitmap[bit >> 3] >> (bit & 7)) & 1;
const kindName = (kind: number) => ['none', 'read', 'write', 'read+write'][kind] ?? `kind ${kind}`;
const tuple = (step: number, addr: number, value: number, kind: number) => `(step ${step}, addr ${addr}, value ${value}, ${kindName(kind)})`;

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

  constructor(
    private readonly maxFailures: number,
    directory?: string,
  ) {
    this.exec = new AccessSpill(directory);
    this.log = new RecordSpill(LOG_WIDTH, 65536, directory);
    const names = ['step', 'access_addr', 'access_value', 'access_read', 'access_write', 'log_step', 'log_addr', 'log_value', 'log_read', 'log_write', 'log_first'];
    this.col = Object.fromEntries(names.map((n) => [n, columnIndex(n)]));
  }

  private fail(failure: ArgumentFailure): void {
    this.failureCount++;
    if (this.failures.length < this.maxFailures) this.failures.push(failure);
  }

  /** Record the accesses and log entries of one batch. */
  add(batch: TraceBatch): void {
    const { col } = this;
    const int = (name: string) => batch.data[col[name]] as Int32Array | Int16Array;
    const bits = (name: string) => batch.data[col[name]] as Uint8Array;
    const offset = (name: string) => batch.bitOffset[col[name]];
    const step = int('step');
    const accessAddr = int('access_addr');
    const accessValue = int('access_value');
    const logStep = int('log_step');
    const logAddr = int('log_addr');
    const logValue = int('log_value');
    const [accessRead, accessWrite, logRead, logWrite, logFirst] = ['access_read', 'access_write', 'log_read', 'log_write', 'log_first'].map(bits);
    const [oAccessRead, oAccessWrite, oLogRead, oLogWrite, oLogFirst] = ['access_read', 'access_write', 'log_read', 'log_write', 'log_first'].map(offset);
    const { exec, log } = this;
    for (let r = 0; r < batch.rows; r++) {
      const addr = accessAddr[r];
      if (addr < 0 || addr > NO_ACCESS_ADDR) {
        this.fail({ argument: 'memory.permutation', row: batch.firstRow + r, side: 'access', message: `access_addr ${addr} is outside 0..${NO_ACCESS_ADDR}`, expected: null, actual: String(addr) });
      } else {
        exec.push(addr, step[r], accessValue[r], kindOf(bitAt(accessRead, oAccessRead + r), bitAt(accessWrite, oAccessWrite + r)));
      }
      let logAddress = logAddr[r];
      if (logAddress < 0 || logAddress > NO_ACCESS_ADDR) {
        this.fail({ argument: 'memory.permutation', row: batch.firstRow + r, message: `log_addr ${logAddress} is outside 0..${NO_ACCESS_ADDR}`, expected: null, actual: String(logAddress) });
        logAddress = BAD_ADDR;
      }
      const at = log.append();
      const buffer = log.current;
      buffer[at] = logStep[r];
      buffer[at + 1] = logAddress | ((logValue[r] & 0xffff) << 9) | (kindOf(bitAt(logRead, oLogRead + r), bitAt(logWrite, oLogWrite + r)) << 25) | (bitAt(logFirst, oLogFirst + r) << 27);
    }
  }

  /** Compare, after the last batch. */
  finish(initialMemory: readonly number[], claim: Claim): { failures: ArgumentFailure[]; count: number } {
    const N = initialMemory.length;
    const sorted = this.exec.sorted(65536);
    let slice = sorted.next();
    let at = 0;
    let row = 0;
    let permutationOk = true;
    const lastValue = new Map<number, number>();
    // The previous log entry (row -1: none yet), kept in locals: no object per entry.
    let previousRow = -1;
    let previousAddr = 0;
    let previousValue = 0;
    let previousKind = 0;
    const closeAddress = (addr: number, value: number, kind: number, row: number) => {
      if (kind === 0 || addr === NO_ACCESS_ADDR) return;
      lastValue.set(addr, value);
      const claimed = addr >= 0 && addr < N ? claim.memory[addr] : undefined;
      if (claimed !== value)
        this.fail({
          argument: 'memory.final_value',
          row,
          message: `last access to address ${addr} leaves ${value}, the claim's final memory has ${claimed ?? 'no such cell'}`,
          expected: claimed === undefined ? null : String(claimed),
          actual: String(value),
        });
    };
    for (const [records, count] of this.log.chunks()) {
      for (let i = 0; i < count; i++, row++) {
        const o = i * LOG_WIDTH;
        const step = records[o];
        const packed = records[o + 1];
        const addr = packed & 511;
        const value = ((packed >>> 9) << 16) >> 16;
        const kind = (packed >>> 25) & 3;
        const first = (packed >>> 27) & 1;
        // Permutation: the log must list exactly the steps' accesses, in (address, step) order.
        if (permutationOk) {
          while (!slice.done && at >= slice.value.length) {
            slice = sorted.next();
            at = 0;
          }
          if (slice.done) {
            this.fail({ argument: 'memory.permutation', row, message: `log entry ${tuple(step, addr, value, kind)} has no matching step access`, expected: null, actual: tuple(step, addr, value, kind) });
            permutationOk = false;
          } else {
            const s = slice.value;
            if (s.step[at] !== step || s.addr[at] !== addr || s.value[at] !== value || s.kind[at] !== kind) {
              const expected = tuple(s.step[at], s.addr[at], s.value[at], s.kind[at]);
              this.fail({
                argument: 'memory.permutation',
                row,
                message: `log entry ${tuple(step, addr, value, kind)} differs from the steps' access ${expected} at this position of the (address, step) order`,
                expected,
                actual: tuple(step, addr, value, kind),
              });
              permutationOk = false;
            }
            at++;
          }
        }
        // Initial value: a first entry that reads must return the initial memory.
        if (first === 1 && kind === 1) {
          const initial = addr >= 0 && addr < N ? initialMemory[addr] : undefined;
          if (initial !== value)
            this.fail({
              argument: 'memory.initial_value',
              row,
              message: `first read of address ${addr} returns ${value}, initial memory has ${initial ?? 'no such cell'}`,
              expected: initial === undefined ? null : String(initial),
              actual: String(value),
            });
        }
        // Final value: the entry before a new address (or the end) is its address's last.
        if (first === 1 && previousRow >= 0) closeAddress(previousAddr, previousValue, previousKind, previousRow);
        previousRow = row;
        previousAddr = addr;
        previousValue = value;
        previousKind = kind;
      }
    }
    if (previousRow >= 0) closeAddress(previousAddr, previousValue, previousKind, previousRow);
    if (permutationOk && !slice.done) {
      while (!slice.done && at >= slice.value.length) {
        slice = sorted.next();
        at = 0;
      }
      if (!slice.done) this.fail({ argument: 'memory.permutation', row: null, message: 'the steps have more accesses than the log has entries', expected: null, actual: null });
    }
    for (let a = 0; a < N; a++) {
      if (!lastValue.has(a) && claim.memory[a] !== initialMemory[a])
        this.fail({
          argument: 'memory.final_value',
          row: null,
          message: `address ${a} is never accessed but the claim's final memory has ${claim.memory[a]}, not its initial ${initialMemory[a]}`,
          expected: String(initialMemory[a]),
          actual: String(claim.memory[a]),
        });
    }
    return { failures: this.failures, count: this.failureCount };
  }

  dispose(): void {
    this.exec.dispose();
    this.log.dispose();
  }
}
