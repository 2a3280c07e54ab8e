import { readFileSync } from 'node:fs';
import { assemble } from '../src/isa/assemble.ts';
import { compileProgram } from '../src/compiler/compile.ts';
import { createAccessTap, createTap, FfnMachine } from '../src/runtime/ffn/engine.ts';
import { AccessSpill } from '../src/trace/spill.ts';
import { NativeMachine } from '../src/runtime/native/interpreter.ts';
const p = assemble(readFileSync('programs/long_loop.tvm', 'utf8'));
const c = compileProgram(p);
const N = 2_000_000;
for (let rep = 0; rep < 3; rep++) {
  let t0 = performance.now();
  const m = new FfnMachine(c); const a = createAccessTap(65536);
  while (m.steps < N && !m.stopped) { a.row = 0; m.advance(N - m.steps, undefined, a); }
  let t1 = performance.now();
  const m2 = new FfnMachine(c); const a2 = createAccessTap(65536); const spill = new AccessSpill();
  while (m2.steps < N && !m2.stopped) { a2.row = 0; const base = m2.steps; const ran = m2.advance(N - m2.steps, undefined, a2); for (let r = 0; r < ran; r++) spill.push(a2.addr[r], base + r, a2.value[r], a2.kind[r]); }
  let t2 = performance.now();
  const m3 = new FfnMachine(c); const tap = createTap(c.minFfDim, 65536);
  while (m3.steps < N && !m3.stopped) { tap.row = 0; m3.advance(N - m3.steps, tap); }
  let t3 = performance.now();
  const m4 = new FfnMachine(c);
  while (m4.steps < N && !m4.stopped) { m4.advance(N - m4.steps); }
  let t4 = performance.now();
  console.log(`scout ${(t1 - t0).toFixed(0)} ms, scout+spill ${(t2 - t1).toFixed(0)} ms, tap ${(t3 - t2).toFixed(0)} ms, bare ${(t4 - t3).toFixed(0)} ms for ${N}`);
  spill.dispose();
}
