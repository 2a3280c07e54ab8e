/** The trace's Arrow schema and record batches over its buffers. */
import * as arrow from 'apache-arrow';
import type { ColumnSpec } from '../../air/columns.js';
import {
  columnSlots,
  type ColumnSlot,
  type TraceBuffers,
  type TraceDims,
} from '../format/layout.js';

/**
 * The trace's Arrow side: its schema and record batches over TraceBuffers. Apart from layout.ts
 * so that code filling buffers (e.g. the export worker) does not load apache-arrow.
 */

function elementType(spec: ColumnSpec): arrow.DataType {
  switch (spec.type) {
    case 'bool':
      return new arrow.Bool();
    case 'int8':
      return new arrow.Int8();
    case 'int16':
      return new arrow.Int16();
    case 'int32':
      return new arrow.Int32();
  }
}

function arrowType(slot: ColumnSlot): arrow.DataType {
  if (slot.spec.width === 1) return elementType(slot.spec);
  return new arrow.FixedSizeList(
    slot.width,
    new arrow.Field('item', elementType(slot.spec), false),
  );
}

/** The Arrow schema of a trace: scalars as Bool/Int8/Int16/Int32, vectors as FixedSizeList of those. */
export function traceSchema(dims: TraceDims, metadata: Map<string, string>): arrow.Schema {
  const fields = columnSlots(dims).map(
    (slot) => new arrow.Field(slot.spec.name, arrowType(slot), false),
  );
  return new arrow.Schema(fields, metadata);
}

/** The first `rows` rows of `buffers` as an Arrow record batch (zero-copy views of the buffers). */
export function recordBatch(
  buffers: TraceBuffers,
  schema: arrow.Schema,
  rows: number,
): arrow.RecordBatch {
  const children = buffers.slots.map((slot, i) => {
    const type = schema.fields[i].type;
    const count = rows * slot.width;
    const values = buffers.data[i].subarray(
      0,
      slot.spec.type === 'bool' ? (count + 7) >> 3 : count,
    );
    if (slot.spec.width === 1)
      return arrow.makeData({ type, length: rows, nullCount: 0, data: values });
    const childType = (type as arrow.FixedSizeList).children[0].type;
    const child = arrow.makeData({
      type: childType,
      length: rows * slot.width,
      nullCount: 0,
      data: values,
    });
    return arrow.makeData({ type: type as arrow.FixedSizeList, length: rows, nullCount: 0, child });
  });
  const struct = arrow.makeData({
    type: new arrow.Struct(schema.fields),
    length: rows,
    nullCount: 0,
    children,
  });
  return new arrow.RecordBatch(schema, struct);
}
