/** Read a report page's data back in Node (what the page's script unpacks). */
import { gunzipSync } from 'node:zlib';

const TYPES = {
  i8: Int8Array,
  u8: Uint8Array,
  i16: Int16Array,
  i32: Int32Array,
  f64: Float64Array,
} as const;

export interface PageData {
  readonly meta: any;
  readonly arrays: Record<string, Int8Array | Uint8Array | Int16Array | Int32Array | Float64Array>;
}

export function pageData(html: string): PageData {
  const metaText = /<script type="application\/json" id="tvm-meta">([^<]*)<\/script>/.exec(
    html,
  )?.[1];
  const dataText = /<script type="application\/octet-stream" id="tvm-data">([^<]*)<\/script>/.exec(
    html,
  )?.[1];
  if (metaText === undefined || dataText === undefined) throw new Error('not a report page');
  const meta = JSON.parse(metaText);
  const bytes = gunzipSync(Buffer.from(dataText, 'base64'));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const arrays: PageData['arrays'] = {};
  for (const [name, [type, offset, length]] of Object.entries(
    meta.arrays as Record<string, [keyof typeof TYPES, number, number]>,
  ))
    arrays[name] = new TYPES[type](buffer, offset, length);
  return { meta, arrays };
}
