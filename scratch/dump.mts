import { openTrace } from '/work/main/src/trace/reader.ts';
import { loadAir } from '/work/main/src/check/check.ts';
import { Expander } from '/work/main/src/check/expand.ts';
import { programTables } from '/work/main/src/check/tables.ts';
import { compileProgram } from '/work/main/src/compiler/compile.ts';
import { assemble } from '/work/main/src/isa/assemble.ts';
import { compileRowSet } from '/work/main/src/check/codegen.ts';
import { columnIndex } from '/work/main/src/air/columns.ts';
import { writeFileSync } from 'node:fs';
const t = await openTrace(process.argv[2]);
const p = assemble(t.metadata.program); const c = compileProgram(p);
const ex = new Expander(loadAir(), t.dims, programTables(c, t.metadata.ffDim, t.metadata.claim));
const inst = ex.instances();
for (const set of ['every','transition'] as const) { const s = compileRowSet(set, inst, t.slots, columnIndex('select')); writeFileSync(`/tmp/prof/${set}.js`, s.scanSource); console.log(set, s.instances.length, s.vacuous, s.scanSource.length); }
console.log(t.metadata.program);
await t.close();
