/** Reading a constraint's cells from a batch, and joining two rows of different batches for a transition. */
import type { ColumnData, ColumnSlot } from '../trace/format/layout.js';
import { readCell, type TraceBatch } from '../trace/read/reader.js';
import type { Cell } from './expand.js';

export function cellValue(
  batch: TraceBatch,
  slots: readonly ColumnSlot[],
  cell: Cell,
  row: number,
  next: number,
): number {
  return readCell(batch, slots, cell.column, cell.next ? next : row, cell.entry);
}

/** A two-row batch holding row `ra` of `a` then row `rb` of `b`: transitions across batches. */
export function joinRows(
  slots: readonly ColumnSlot[],
  a: TraceBatch,
  ra: number,
  b: TraceBatch,
  rb: number,
): TraceBatch {
  const data: ColumnData[] = slots.map((slot) => {
    if (slot.spec.type === 'bool') return new Uint8Array(Math.ceil((2 * slot.width) / 8) + 1);
    const Type = (a.data[slot.index] as Int32Array).constructor as Int32ArrayConstructor;
    return new Type(2 * slot.width);
  });
  slots.forEach((slot, c) => {
    for (let i = 0; i < slot.width; i++) {
      const first = readCell(a, slots, c, ra, i);
      const second = readCell(b, slots, c, rb, i);
      if (slot.spec.type === 'bool') {
        const out = data[c] as Uint8Array;
        out[i >> 3] |= first << (i & 7);
        const j = slot.width + i;
        out[j >> 3] |= second << (j & 7);
      } else {
        data[c][i] = first;
        data[c][slot.width + i] = second;
      }
    }
  });
  return { rows: 2, firstRow: a.firstRow + ra, data, bitOffset: slots.map(() => 0) };
}
