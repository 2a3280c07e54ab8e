/**
 * The circuit document (src/prove/circuit.ts): deterministic, and the copies the Rust crate's
 * tests read (prover/tests/data, written by scripts/gen-prover-data.ts) are current.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCircuit, circuitBytes } from '../../src/prove/circuit.js';
import { statementFromTrace } from '../../src/prove/statement.js';
import { PROVER_TEST_TRACES, proverTestCircuit } from '../../scripts/gen-prover-data.js';

describe('the circuit document', () => {
  it.each(Object.entries(PROVER_TEST_TRACES))('prover/tests/data/%s.circuit.json is current (npx tsx scripts/gen-prover-data.ts)', async (name, trace) => {
    expect(readFileSync(`prover/tests/data/${name}.circuit.json`).equals(await proverTestCircuit(trace))).toBe(true);
  });

  it('holds every constraint instance the checker evaluates, the three memory arguments and the public tables', async () => {
    const doc = buildCircuit(await statementFromTrace('fixtures/golden/fibonacci.arrow'));
    expect(doc.constraints).toHaveLength(274);
    expect(doc.width).toBe(202);
    expect(doc.arguments.map((a) => [a.name, a.kind])).toEqual([
      ['memory.permutation', 'permutation'],
      ['memory.initial_value', 'lookup'],
      ['memory.final_value', 'multiset'],
    ]);
    expect(doc.tables).toEqual({ initial_memory: [0, 1, 0, 0, 7], final_memory: [13, 21, 21, 7, 7] });
    expect(doc.statement).toMatchObject({ ff_dim: 5, memory_size: 5, max_steps: 1000000, final: { step: 103, pc: 15, acc: 21, halted: 1 } });
    expect(circuitBytes(doc).sha256).toBe(circuitBytes(buildCircuit(await statementFromTrace('fixtures/golden/fibonacci.arrow'))).sha256);
  });
});
