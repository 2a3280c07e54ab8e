/**
 * Files that are not (valid) traces, built from a real trace's bytes: for the "hostile input"
 * tests of `check` and `inspect` (each must be a one-line error with exit code 2, quickly).
 */
import * as arrow from 'apache-arrow';

export interface HostileFile {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** The expected message after `tvm-trace: PATH: `, when it is stable enough to pin. */
  readonly message?: string;
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomBytes(length: number, seed: number): Uint8Array {
  const next = seeded(seed);
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

const concat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));
const MAGIC = new TextEncoder().encode('ARROW1');

/** The same table with one column's Arrow type changed (values converted). */
function retypeColumn(table: arrow.Table, name: string, type: arrow.Int32): Uint8Array {
  const index = table.schema.fields.findIndex((f) => f.name === name);
  const fields = table.schema.fields.map((f, i) =>
    i === index ? new arrow.Field(f.name, type, false) : f,
  );
  const schema = new arrow.Schema(fields, new Map(table.schema.metadata));
  const batches = table.batches.map((batch) => {
    const children = batch.data.children.map((child, i) => {
      if (i !== index) return child;
      const values = Int32Array.from({ length: batch.numRows }, (_, r) =>
        Number(batch.getChildAt(i)!.get(r)),
      );
      return arrow.makeData({ type, length: batch.numRows, nullCount: 0, data: values });
    });
    return new arrow.RecordBatch(
      schema,
      arrow.makeData({
        type: new arrow.Struct(fields),
        length: batch.numRows,
        nullCount: 0,
        children,
      }),
    );
  });
  return arrow.tableToIPC(new arrow.Table(schema, batches), 'file');
}

/** A minimal FlatBuffers walk to find where a vector's length is stored. */
class Fb {
  constructor(private readonly view: DataView) {}
  root(base: number): number {
    return base + this.view.getUint32(base, true);
  }
  /** Position of the uoffset-referenced object of field `id` of the table at `table`. */
  ref(table: number, id: number): number {
    const vtable = table - this.view.getInt32(table, true);
    const offset = this.view.getUint16(vtable + 4 + 2 * id, true);
    if (offset === 0) throw new Error(`field ${id} absent`);
    const at = table + offset;
    return at + this.view.getUint32(at, true);
  }
  element(vector: number, i: number): number {
    const at = vector + 4 + 4 * i;
    return at + this.view.getUint32(at, true);
  }
}

/** Overwrite the length of a FlatBuffers vector inside the file's footer or a batch header. */
function withFootedVector(
  bytes: Uint8Array,
  locate: (fb: Fb, footer: number, view: DataView) => number,
  value: number,
): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const view = new DataView(copy.buffer);
  const footerLength = view.getInt32(copy.length - 10, true);
  const footerStart = copy.length - 10 - footerLength;
  const fb = new Fb(view);
  const at = locate(fb, fb.root(footerStart), view);
  view.setUint32(at, value, true);
  return copy;
}

/** Field 9 ('hidden') of the footer schema: its children vector length. */
function hiddenChildren(fb: Fb, footer: number): number {
  const schema = fb.ref(footer, 1);
  const fields = fb.ref(schema, 1);
  return fb.ref(fb.element(fields, 9), 5);
}

/** The nodes vector length of the first record batch's header. */
function firstBatchNodes(fb: Fb, footer: number, view: DataView): number {
  const blocks = fb.ref(footer, 3);
  const offset = Number(view.getBigInt64(blocks + 4, true));
  const skip = view.getInt32(offset, true) === -1 ? 8 : 4;
  const message = fb.root(offset + skip);
  const header = fb.ref(message, 2);
  return fb.ref(header, 1);
}

/** Every kind of non-trace this suite feeds to the readers. `trace` must be a valid multi-batch trace. */
export function hostileFiles(trace: Uint8Array): HostileFile[] {
  const table = arrow.tableFromIPC(trace);
  const files: HostileFile[] = [
    {
      name: 'empty',
      bytes: new Uint8Array(0),
      message: 'not an Arrow IPC file (0 bytes is too short)',
    },
    {
      name: 'random bytes',
      bytes: randomBytes(4096, 1),
      message: 'not an Arrow IPC file (bad magic at the start)',
    },
    {
      name: 'random bytes between magics',
      bytes: concat(MAGIC, new Uint8Array(2), randomBytes(4096, 2), MAGIC),
    },
    {
      name: 'arrow stream format',
      bytes: arrow.tableToIPC(table, 'stream'),
      message: 'not an Arrow IPC file (bad magic at the start)',
    },
    {
      name: 'another arrow table',
      bytes: arrow.tableToIPC(
        arrow.tableFromArrays({ a: Int32Array.from([1, 2, 3]), b: Float64Array.from([0.5, 1, 2]) }),
        'file',
      ),
      message: 'not a tvm-trace file (no tvm.schema metadata)',
    },
  ];
  const versioned = arrow.tableFromIPC(trace);
  versioned.schema.metadata.set('tvm.schema', 'tvm-trace/trace/v3');
  files.push({
    name: 'unknown schema version',
    bytes: arrow.tableToIPC(versioned, 'file'),
    message: "unknown trace schema version 'tvm-trace/trace/v3' (expected tvm-trace/trace/v2)",
  });
  files.push({
    name: 'column type changed',
    bytes: retypeColumn(table, 'pc', new arrow.Int32()),
    message: "column 'pc' has type Int32, expected Int16",
  });
  for (let k = 1; k <= 9; k++) {
    const cut = trace.subarray(0, Math.floor((trace.length * k) / 10));
    files.push({
      name: `truncated at ${k}/10`,
      bytes: Uint8Array.from(cut),
      message: 'truncated or not an Arrow IPC file (no footer magic at the end)',
    });
    files.push({ name: `truncated at ${k}/10, footer magic appended`, bytes: concat(cut, MAGIC) });
  }
  files.push({
    name: 'a field with 2^27 + 1 children',
    bytes: withFootedVector(trace, hiddenChildren, 2 ** 27 + 1),
  });
  files.push({
    name: 'a record batch with 2^27 nodes',
    bytes: withFootedVector(trace, firstBatchNodes, 2 ** 27),
  });
  return files;
}
