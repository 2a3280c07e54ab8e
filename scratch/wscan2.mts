import { openTrace } from '../src/trace/reader.ts';
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
const t = await openTrace(process.argv[2]);
const src = readFileSync(process.argv[3], 'utf8');
const tsrc = readFileSync('/tmp/prof/transition.js', 'utf8');
const batches = [];
for await (const b of t.batches()) batches.push(b);
const W = `
const { parentPort } = require('node:worker_threads');
const failed = new Int32Array(4096); const CH = Number(process.env.CH || 1e9);
let every, transition; const log = [];
parentPort.on('message', (m) => {
  if (m.kind === 'init') { every = new Function('D','O','start','end','failedRows', m.every); transition = new Function('D','O','start','end','failedRows', m.transition); return; }
  if (m.kind === 'done') { parentPort.postMessage(log.join(' ')); return; }
  const t0 = performance.now(); for (let s = 0; s < m.count; s += CH) every(m.data, m.offsets, s, Math.min(s + CH, m.count), failed); const t1 = performance.now(); transition(m.data, m.offsets, 0, m.count - 1, failed); const t2 = performance.now();
  log.push((t1-t0).toFixed(0) + '/' + (t2-t1).toFixed(0));
});`;
const w = new Worker(W, { eval: true });
w.postMessage({ kind: 'init', every: src, transition: tsrc });
for (const b of batches) {
  const data = t.slots.map((s, i) => s.spec.type === 'bool' ? (b.data[i] as Uint8Array).slice(0, ((b.rows * s.width + 7) >> 3) + 4) : (b.data[i] as any).slice(0, b.rows * s.width));
  w.postMessage({ kind: 'b', data, offsets: t.slots.map(() => 0), count: b.rows });
}
w.postMessage({ kind: 'done' });
w.on('message', (m) => { console.log(m); w.terminate(); });
