import * as arrow from 'apache-arrow';
import { open } from 'node:fs/promises';
import { columnSlots, type ColumnData, type ColumnSlot, type TraceDims } from './layout.js';
import { decodeMetadata, MetadataError, type TraceMetadata } from './metadata.js';
import { preflightTrace } from './preflight.js';

/** The file cannot be used as a trace: not Arrow, truncated, foreign, or of an unknown version. */
export class TraceFormatError extends Error {}

/** One record batch's columns: integer columns as typed arrays, bool columns as bitmaps. */
export interface TraceBatch {
  readonly rows: number;
  /** Index of the batch's first row in the trace. */
  readonly firstRow: number;
  readonly data: readonly ColumnData[];
  /** Bit offset of row 0 in each bool column's bitmap (0 for integer columns). */
  readonly bitOffset: readonly number[];
}

export interface OpenTrace {
  readonly metadata: TraceMetadata;
  /** The schema's custom metadata as stored (for the integrity digest). */
  readonly rawMetadata: ReadonlyMap<string, string>;
  readonly dims: TraceDims;
  readonly slots: readonly ColumnSlot[];
  readonly batchCount: number;
  readonly fileBytes: number;
  batches(): AsyncGenerator<TraceBatch>;
  close(): Promise<void>;
}

function describeType(type: arrow.DataType): string {
  return String(type);
}

/** The Arrow type a column must have, as apache-arrow prints it. */
function expectedType(slot: ColumnSlot): string {
  const element = { bool: 'Bool', int8: 'Int8', int16: 'Int16', int32: 'Int32' }[slot.spec.type];
  return slot.spec.width === 1 ? element : `FixedSizeList[${slot.width}]<${element}>`;
}

/**
 * Open a trace file for streaming: validates the envelope, the footer, the metadata and the
 * exact column layout, then yields record batches one at a time (memory stays bounded).
 */
export async function openTrace(path: string): Promise<OpenTrace> {
  // Envelope, footer and batch headers, bounds-checked: a flipped bit can otherwise make
  // apache-arrow loop for minutes over a FlatBuffers count it trusts.
  // Validates the envelope, footer and every batch header against the file before apache-arrow
  // (which trusts the counts it reads) ever sees it.
  const { fileBytes } = preflightTrace(path);
  const handle = await open(path, 'r');
  let reader: arrow.AsyncRecordBatchFileReader;
  try {
    const opened = await arrow.RecordBatchReader.from(handle);
    if (!opened.isFile()) throw new TraceFormatError('not an Arrow IPC file (stream format, expected the file format with footer)');
    reader = (await opened.open()) as arrow.AsyncRecordBatchFileReader;
  } catch (error) {
    await handle.close();
    if (error instanceof TraceFormatError) throw error;
    throw new TraceFormatError(`not a readable Arrow IPC file (${firstLine(error)})`);
  }
  try {
    const schema = reader.schema;
    let metadata: TraceMetadata;
    try {
      if (!schema.metadata.has('tvm.schema')) throw new TraceFormatError('not a tvm-trace file (no tvm.schema metadata)');
      metadata = decodeMetadata(schema.metadata);
    } catch (error) {
      if (error instanceof MetadataError) throw new TraceFormatError(error.message);
      throw error;
    }
    const dims: TraceDims = { ffDim: metadata.ffDim, instructions: metadata.instructions };
    const slots = columnSlots(dims);
    if (schema.fields.length !== slots.length)
      throw new TraceFormatError(`schema has ${schema.fields.length} columns, trace v1 with these dimensions has ${slots.length}`);
    slots.forEach((slot, i) => {
      const field = schema.fields[i];
      if (field.name !== slot.spec.name) throw new TraceFormatError(`column ${i} is '${field.name}', expected '${slot.spec.name}'`);
      const actual = describeType(field.type);
      if (actual !== expectedType(slot)) throw new TraceFormatError(`column '${slot.spec.name}' has type ${actual}, expected ${expectedType(slot)}`);
    });
    const batchCount = reader.numRecordBatches;
    return {
      metadata,
      rawMetadata: new Map(schema.metadata),
      dims,
      slots,
      batchCount,
      fileBytes,
      async *batches() {
        let firstRow = 0;
        for (let b = 0; b < batchCount; b++) {
          let batch: arrow.RecordBatch | null;
          try {
            batch = await reader.readRecordBatch(b);
          } catch (error) {
            throw new TraceFormatError(`record batch ${b} is unreadable (${firstLine(error)})`);
          }
          if (batch === null) throw new TraceFormatError(`record batch ${b} is missing`);
          yield extractBatch(batch, slots, firstRow, b);
          firstRow += batch.numRows;
        }
      },
      async close() {
        await handle.close();
      },
    };
  } catch (error) {
    await handle.close();
    if (error instanceof TraceFormatError) throw error;
    throw new TraceFormatError(`not a readable tvm-trace file (${firstLine(error)})`);
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 200);
}

function extractBatch(batch: arrow.RecordBatch, slots: readonly ColumnSlot[], firstRow: number, index: number): TraceBatch {
  const rows = batch.numRows;
  const data: ColumnData[] = [];
  const bitOffset: number[] = [];
  slots.forEach((slot, i) => {
    const vector = batch.getChildAt(i);
    if (vector === null || vector.data.length !== 1) throw new TraceFormatError(`record batch ${index}: column '${slot.spec.name}' is missing or split`);
    let node = vector.data[0];
    if (node.length !== rows) throw new TraceFormatError(`record batch ${index}: column '${slot.spec.name}' has ${node.length} rows, batch has ${rows}`);
    if (node.nullCount > 0) throw new TraceFormatError(`record batch ${index}: column '${slot.spec.name}' has null values`);
    let offset = node.offset;
    if (slot.spec.width !== 1) {
      const child = node.children[0];
      if (child === undefined) throw new TraceFormatError(`record batch ${index}: column '${slot.spec.name}' has no values`);
      offset = (offset * slot.width) + child.offset;
      node = child;
      if (node.nullCount > 0) throw new TraceFormatError(`record batch ${index}: column '${slot.spec.name}' has null values`);
    }
    const entries = rows * slot.width;
    const values = node.values as ColumnData;
    if (slot.spec.type === 'bool') {
      if (values.length * 8 < offset + entries) throw new TraceFormatError(`record batch ${index}: column '${slot.spec.name}' is truncated`);
      data.push(values);
      bitOffset.push(offset);
    } else {
      if (values.length < offset + entries) throw new TraceFormatError(`record batch ${index}: column '${slot.spec.name}' is truncated`);
      data.push(offset === 0 ? values : (values.subarray(offset) as ColumnData));
      bitOffset.push(0);
    }
  });
  return { rows, firstRow, data, bitOffset };
}

/** Value of entry `entry` of column `column` at batch row `row`. */
export function readCell(batch: TraceBatch, slots: readonly ColumnSlot[], column: number, row: number, entry = 0): number {
  const slot = slots[column];
  const index = row * slot.width + entry;
  const data = batch.data[column];
  if (slot.spec.type === 'bool') {
    const bit = batch.bitOffset[column] + index;
    return ((data as Uint8Array)[bit >> 3] >> (bit & 7)) & 1;
  }
  return data[index];
}
