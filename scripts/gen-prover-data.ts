// Writes prover/tests/data/*.circuit.json: the circuits of the traces the Rust crate's own tests
// prove (cargo test runs without Node). test/prover/circuit.test.ts holds them in sync.
import { writeFileSync } from 'node:fs';
import { buildCircuit, circuitBytes } from '../src/prove/circuit.js';
import { statementFromTrace } from '../src/prove/statement.js';

export const PROVER_TEST_TRACES: Record<string, string> = {
  fibonacci: 'fixtures/golden/fibonacci.arrow',
  'controls.wrap--wrong-wrap': 'fixtures/bad/controls.wrap--wrong-wrap.arrow',
};

export async function proverTestCircuit(trace: string): Promise<Buffer> {
  return circuitBytes(buildCircuit(await statementFromTrace(trace))).bytes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, trace] of Object.entries(PROVER_TEST_TRACES))
    writeFileSync(`prover/tests/data/${name}.circuit.json`, await proverTestCircuit(trace));
  console.log(`wrote ${Object.keys(PROVER_TEST_TRACES).length} circuits to prover/tests/data/`);
}
