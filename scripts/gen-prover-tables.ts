// Writes, for every golden trace, prover/tests/data/<golden>.tvmc (its program compiled at the
// trace's ff_dim) and <golden>.claim.msgpack (its claim, as `export --claim` writes it), and for
// every run that did not fault <golden>.tables.json: the statement as the circuit document states
// it, every table and public value the AIR names (programTables: the checker's own) and the
// SHA-256 of the circuit document tvm-trace builds for it. prover/tests/native.rs rebuilds the
// tables from the .tvmc and the circuit from them in Rust and must match. Also writes
// prover/tests/data/bad/<fixture>.tvmc, the program of every fixtures/bad trace.
// Run: npx tsx scripts/gen-prover-tables.ts
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Packr } from 'msgpackr';
import { programTables, runBoundaries } from '../src/check/tables.js';
import { compileProgram } from '../src/compiler/compile.js';
import { artifactFromCompiled, encodeArtifact } from '../src/compiler/artifact.js';
import { assemble } from '../src/isa/assemble.js';
import { buildCircuit, circuitBytes } from '../src/prove/circuit.js';
import { statementFromTrace } from '../src/prove/statement.js';
import { claimDocument } from '../src/trace/format/claim-file.js';
import { openTrace } from '../src/trace/read/reader.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const air = JSON.parse(readFileSync('schemas/air-v2.json', 'utf8')) as {
  tables: Record<string, unknown>;
  public_values: Record<string, unknown>;
};
const names: string[] = [];
for (const file of readdirSync('fixtures/golden')
  .filter((f) => f.endsWith('.arrow'))
  .sort()) {
  const name = file.replace(/\.arrow$/, '');
  const trace = await openTrace(`fixtures/golden/${file}`);
  const meta = trace.metadata;
  await trace.close();
  const compiled = compileProgram(assemble(meta.program));
  writeFileSync(
    `prover/tests/data/${name}.tvmc`,
    encodeArtifact(artifactFromCompiled(compiled, meta.ffDim)),
  );
  writeFileSync(`prover/tests/data/${name}.claim.msgpack`, packr.pack(claimDocument(meta)));
  const statement = await statementFromTrace(`fixtures/golden/${file}`).catch(() => null);
  if (statement === null) continue; // a faulted run: not proved
  const doc = buildCircuit(statement);
  const tables = programTables(
    statement.compiled,
    statement.ffDim,
    runBoundaries(statement.compiled, statement.claim),
  );
  const out: Record<string, { shape: number[]; values: string[] }> = {};
  for (const key of [...Object.keys(air.tables), ...Object.keys(air.public_values)]) {
    const t = tables.get(key);
    if (t === undefined) throw new Error(`no table ${key}`);
    out[key] = { shape: t.shape, values: Array.from(t.values, (v) => BigInt(v).toString()) };
  }
  writeFileSync(
    `prover/tests/data/${name}.tables.json`,
    JSON.stringify({
      statement: doc.statement,
      circuit_sha256: circuitBytes(doc).sha256,
      tables: out,
    }) + '\n',
  );
  names.push(name);
}
// Every known-bad fixture's program (what its tvm.program compiles to, at its ff_dim), for
// prover/tests/forged.rs, which forces each bad trace through the prover.
mkdirSync('prover/tests/data/bad', { recursive: true });
let bad = 0;
for (const file of readdirSync('fixtures/bad')
  .filter((f) => f.endsWith('.arrow'))
  .sort()) {
  const trace = await openTrace(`fixtures/bad/${file}`);
  const meta = trace.metadata;
  await trace.close();
  writeFileSync(
    `prover/tests/data/bad/${file.replace(/\.arrow$/, '')}.tvmc`,
    encodeArtifact(artifactFromCompiled(compileProgram(assemble(meta.program)), meta.ffDim)),
  );
  bad++;
}
// Fibonacci compiled wider than its trace: the verifier refuses a proof at another ff_dim.
writeFileSync(
  'prover/tests/data/fibonacci.ff7.tvmc',
  encodeArtifact(
    artifactFromCompiled(
      compileProgram(assemble(readFileSync('programs/fibonacci.tvm', 'utf8'))),
      7,
    ),
  ),
);
console.log(`wrote the programs of ${bad} bad fixtures to prover/tests/data/bad/`);
console.log(
  `wrote .tvmc and claims for every golden, tables for ${names.length}: ${names.join(', ')}`,
);
