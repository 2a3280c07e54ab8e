// Writes prover/tests/data/<golden>.tables.json for every golden trace of a run that did not
// fault: the statement as the circuit document states it, every table and public value the AIR
// names (programTables: the checker's own), and the SHA-256 of the circuit document
// tvm-trace builds for it. prover/tests/native.rs expands the AIR in Rust from these tables and
// must produce that very document. Run: npx tsx scripts/gen-prover-tables.ts
import { readdirSync, writeFileSync } from 'node:fs';
import { buildCircuit, circuitBytes } from '../src/prove/circuit.js';
import { statementFromTrace } from '../src/prove/statement.js';
import { programTables, runBoundaries } from '../src/check/tables.js';

const names: string[] = [];
for (const file of readdirSync('fixtures/golden').filter((f) => f.endsWith('.arrow')).sort()) {
  const name = file.replace(/\.arrow$/, '');
  const statement = await statementFromTrace(`fixtures/golden/${file}`).catch(() => null);
  if (statement === null) continue; // a faulted run: not proved
  const doc = buildCircuit(statement);
  const tables = programTables(statement.compiled, statement.ffDim, runBoundaries(statement.compiled, statement.claim));
  const air = JSON.parse((await import('node:fs')).readFileSync('schemas/air-v2.json', 'utf8'));
  const out: Record<string, { shape: number[]; values: string[] }> = {};
  for (const key of [...Object.keys(air.tables), ...Object.keys(air.public_values)]) {
    const t = tables.get(key);
    if (t === undefined) throw new Error(`no table ${key}`);
    out[key] = { shape: t.shape, values: Array.from(t.values, (v) => BigInt(v).toString()) };
  }
  writeFileSync(`prover/tests/data/${name}.tables.json`, JSON.stringify({ statement: doc.statement, circuit_sha256: circuitBytes(doc).sha256, tables: out }) + '\n');
  names.push(name);
}
console.log(`wrote ${names.length} table files to prover/tests/data/: ${names.join(', ')}`);
