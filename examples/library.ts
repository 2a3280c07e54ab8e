// Compile a program, export its witness, read a column back and check the trace.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, checkTrace, compileProgram, exportTrace, openTrace, readCell } from 'tvm-trace';

const program = assemble(['.memory 4', 'LOADI 5', 'loop: SUB 1', 'JNZ loop', 'HALT'].join('\n'));
console.log(`weights ${compileProgram(program).digest.slice(0, 12)}…`);

const path = join(mkdtempSync(join(tmpdir(), 'tvm-example-')), 'trace.arrow');
const { rows, metadata } = exportTrace(program, path, { maxSteps: 100 });
console.log(`${rows} rows, halted ${metadata.claim.halted}, acc ${metadata.claim.acc}`);

// Columns are found by name; a bool column (active) is read with readCell like any other.
const trace = await openTrace(path);
const pc = trace.slots.findIndex((slot) => slot.spec.name === 'pc');
const active = trace.slots.findIndex((slot) => slot.spec.name === 'active');
for await (const batch of trace.batches()) {
  const pcs = Array.from({ length: batch.rows }, (_, row) => readCell(batch, trace.slots, pc, row));
  console.log(
    `pc by step: ${pcs.join(' ')}; active on row 0: ${readCell(batch, trace.slots, active, 0)}`,
  );
  trace.release(batch);
}
await trace.close();

const report = await checkTrace(path);
console.log(
  report.ok ? `check: ok, ${report.rows} rows` : `check: ${report.failures[0].constraint}`,
);
