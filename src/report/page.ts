/**
 * The report as one HTML file: uPlot (script and style) inlined from node_modules, the page's
 * own style and script, a small JSON header, and the data as one gzip-compressed, base64
 * block of typed arrays that the page unpacks with the browser's DecompressionStream.
 * Nothing is fetched: the page opens offline from disk.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { CLIENT_SCRIPT, CLIENT_STYLE } from './client.js';
import type { PageMeta } from './report.js';

export type PageArray = Int8Array | Uint8Array | Int16Array | Int32Array | Float64Array;
export type PageArrays = Record<string, PageArray>;

const TYPE_NAMES = new Map<object, string>([
  [Int8Array, 'i8'],
  [Uint8Array, 'u8'],
  [Int16Array, 'i16'],
  [Int32Array, 'i32'],
  [Float64Array, 'f64'],
]);

let library: { script: string; style: string; version: string } | undefined;

/** uPlot's minified IIFE build and stylesheet, read from node_modules once. */
export function plotLibrary(): { script: string; style: string; version: string } {
  if (library === undefined) {
    const require = createRequire(import.meta.url);
    const dir = require.resolve('uplot/package.json').replace(/package\.json$/, '');
    const version = (JSON.parse(readFileSync(`${dir}package.json`, 'utf8')) as { version: string })
      .version;
    library = {
      script: readFileSync(`${dir}dist/uPlot.iife.min.js`, 'utf8'),
      style: readFileSync(`${dir}dist/uPlot.min.css`, 'utf8'),
      version,
    };
  }
  return library;
}

/** Every array in one buffer (each 8-byte aligned), gzip-compressed; where each one lies. */
export function packArrays(arrays: PageArrays): {
  base64: string;
  layout: Record<string, [string, number, number]>;
  rawBytes: number;
} {
  const layout: Record<string, [string, number, number]> = {};
  let size = 0;
  for (const [name, array] of Object.entries(arrays)) {
    const type = TYPE_NAMES.get(array.constructor);
    if (type === undefined)
      throw new Error(`internal error: array ${name} has an unsupported type`);
    layout[name] = [type, size, array.length];
    size += Math.ceil(array.byteLength / 8) * 8;
  }
  const buffer = new Uint8Array(size);
  for (const [name, array] of Object.entries(arrays))
    buffer.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), layout[name][1]);
  // Typed arrays are little-endian on every platform a browser runs this page on (as here).
  return { base64: gzipSync(buffer, { level: 6 }).toString('base64'), layout, rawBytes: size };
}

/** JSON safe inside a <script> element (no `</script>`, no line separators JavaScript rejects). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A script body that cannot close its element early. */
const inlineScript = (code: string) => code.replace(/<\/script/gi, '<\\/script');

export function renderPage(meta: PageMeta, arrays: PageArrays): string {
  const plot = plotLibrary();
  const packed = packArrays(arrays);
  const header = { ...meta, arrays: packed.layout, uplot: plot.version };
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Nothing may be fetched: no network, no other file.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; connect-src data: blob:">`,
    `<title>tvm-trace report: ${escapeHtml(meta.name)}</title>`,
    `<style>${plot.style}</style>`,
    `<style>${CLIENT_STYLE}</style>`,
    '</head><body>',
    '<div id="app"><p id="loading">Loading the report…</p></div>',
    `<script type="application/json" id="tvm-meta">${scriptJson(header)}</script>`,
    `<script type="application/octet-stream" id="tvm-data">${packed.base64}</script>`,
    `<script>/* uPlot ${plot.version} (MIT, github.com/leeoniya/uPlot) */\n${inlineScript(plot.script)}</script>`,
    `<script>${inlineScript(CLIENT_SCRIPT)}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
