import { readFileSync } from 'node:fs';
import { assemble } from '../src/isa/assemble.ts';
import { compileProgram } from '../src/compiler/compile.ts';
import { controlTable } from '../src/compiler/control-table.ts';
import { createTap, FfnMachine } from '../src/runtime/ffn/engine.ts';
import { TraceBuffers } from '../src/trace/layout.ts';
import { WitnessBuilder } from '../src/trace/witness.ts';
import { createHash } from 'node:crypto';
const p = assemble(readFileSync('programs/long_loop.tvm', 'utf8'));
const c = compileProgram(p);
const B = 65536, F = c.minFfDim;
const m = new FfnMachine(c); const tap = createTap(F, B);
const dims = { ffDim: F, instructions: p.instructions.length };
const buffers = new TraceBuffers(dims, B, { hidden: tap.hidden, output: tap.output });
const w = new WitnessBuilder(controlTable(c), dims.instructions);
tap.row = 0; const ran = m.advance(B, tap);
const slice = { length: ran, addr: new Int32Array(B), step: new Int32Array(B), value: new Int32Array(B), kind: new Int8Array(B) };
for (let i = 0; i < ran; i++) { slice.addr[i] = i >> 10; slice.step[i] = i * 3; slice.value[i] = i & 0x7fff; slice.kind[i] = i % 3; }
for (let rep = 0; rep < 6; rep++) {
  const t0 = performance.now();
  for (let k = 0; k < 8; k++) { buffers.clearBitmaps(); w.fillExecution(buffers, tap, ran, 0); }
  const t1 = performance.now();
  for (let k = 0; k < 8; k++) { buffers.clearBitmaps(); (w as any).previousLog = { addr: -1, step: -1 }; w.fillLog(buffers, slice); }
  const t2 = performance.now();
  console.log(`fillExecution ${((t1 - t0) / 8 / ran * 1e6).toFixed(0)} ns/row, fillLog ${((t2 - t1) / 8 / ran * 1e6).toFixed(0)} ns/row`);
}
const h = createHash('sha256'); buffers.clearBitmaps(); w.fillExecution(buffers, tap, ran, 0); (w as any).previousLog = { addr: -1, step: -1 }; w.fillLog(buffers, slice);
buffers.slots.forEach((s, i) => h.update(buffers.rowBytes(i, ran)));
console.log('digest', h.digest('hex'));
