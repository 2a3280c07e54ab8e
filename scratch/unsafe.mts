import { readdirSync, readFileSync } from 'node:fs';
import { loadAir } from '../src/check/check.ts';
import { Expander } from '../src/check/expand.ts';
import { programTables } from '../src/check/tables.ts';
import { compileProgram } from '../src/compiler/compile.ts';
import { assemble } from '../src/isa/assemble.ts';
import { compileRowSet } from '../src/check/codegen.ts';
import { columnIndex } from '../src/air/columns.ts';
import { columnSlots } from '../src/trace/layout.ts';
import { runNative } from '../src/runtime/native/interpreter.ts';
import { claimOf } from '../src/trace/metadata.ts';
for (const f of readdirSync('programs').filter((f) => f.endsWith('.tvm'))) {
  const p = assemble(readFileSync(`programs/${f}`, 'utf8'));
  const c = compileProgram(p);
  const dims = { ffDim: Math.max(1, c.minFfDim), instructions: p.instructions.length };
  const claim = claimOf(runNative(p, 1000));
  const inst = new Expander(loadAir(), dims, programTables(c, dims.ffDim, claim)).instances();
  const slots = columnSlots(dims);
  const flags = (['every', 'transition', 'first', 'last'] as const).map((set) => compileRowSet(set, inst, slots, columnIndex('select')).scanSource.includes('let inexact = true;'));
  console.log(f, flags.some(Boolean) ? 'UNSAFE' : 'ok');
}
