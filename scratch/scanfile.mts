import { openTrace } from '../src/trace/reader.ts';
import { readFileSync } from 'node:fs';
const t = await openTrace(process.argv[2]);
const src = readFileSync(process.argv[3], 'utf8');
const scan = new Function('D', 'O', 'start', 'end', 'failedRows', src) as any;
const batches = [];
for await (const b of t.batches()) batches.push(b);
const failed = new Int32Array(4096);
for (let rep = 0; rep < 5; rep++) {
  let t0 = performance.now(), rows = 0, bad = 0;
  for (const b of batches) { bad += scan(b.data as any, b.bitOffset, 0, b.rows, failed); rows += b.rows; }
  const t1 = performance.now();
  console.log(`${(rows / (t1 - t0) / 1e3).toFixed(2)}M rows/s, bad ${bad}`);
}
await t.close();
