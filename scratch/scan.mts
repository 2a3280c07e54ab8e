import { openTrace } from '../src/trace/reader.ts';
import { loadAir } from '../src/check/check.ts';
import { Expander } from '../src/check/expand.ts';
import { programTables } from '../src/check/tables.ts';
import { compileProgram } from '../src/compiler/compile.ts';
import { assemble } from '../src/isa/assemble.ts';
import { compileRowSet } from '../src/check/codegen.ts';
import { columnIndex } from '../src/air/columns.ts';
const t = await openTrace(process.argv[2]);
const p = assemble(t.metadata.program); const c = compileProgram(p);
const ex = new Expander(loadAir(), t.dims, programTables(c, t.metadata.ffDim, t.metadata.claim));
const inst = ex.instances();
const every = compileRowSet('every', inst, t.slots, columnIndex('select'));
const tr = compileRowSet('transition', inst, t.slots, columnIndex('select'));
const batches = [];
for await (const b of t.batches()) batches.push(b);
const failed = new Int32Array(4096);
for (let rep = 0; rep < 4; rep++) {
  let t0 = performance.now(), rows = 0, bad = 0;
  for (const b of batches) { bad += every.scan(b.data as any, b.bitOffset, 0, b.rows, failed); rows += b.rows; }
  const t1 = performance.now();
  for (const b of batches) bad += tr.scan(b.data as any, b.bitOffset, 0, b.rows - 1, failed);
  const t2 = performance.now();
  console.log(`every ${(rows / (t1 - t0) / 1e3).toFixed(2)}M rows/s, transition ${(rows / (t2 - t1) / 1e3).toFixed(2)}M rows/s, bad ${bad}`);
}
await t.close();
