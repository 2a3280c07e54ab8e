import { openTrace } from '../src/trace/reader.ts';
import { readFileSync } from 'node:fs';
const t = await openTrace(process.argv[2]);
const src = readFileSync(process.argv[3], 'utf8');
const scan = new Function('D', 'O', 'start', 'end', 'failedRows', src) as any;
const batches = [];
for await (const b of t.batches()) batches.push(b);
const failed = new Int32Array(4096);
const times = [];
for (const b of batches.slice(0, 16)) { const t0 = performance.now(); scan(b.data as any, b.bitOffset, 0, b.rows, failed); times.push((performance.now() - t0).toFixed(0)); }
console.log(times.join(' '));
await t.close();
