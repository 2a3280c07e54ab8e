/**
 * `tvm-prove check` (the Rust evaluation of the circuit on the padded trace) against
 * `tvm-trace check`: both accept every golden trace and the traces of random programs; on
 * every known-bad fixture whose first failure is a constraint or a memory argument, the Rust
 * check fails on that same rule. (Failures of the file's metadata and of the claim's
 * obligations are the TypeScript reader's and the verifier's business: the Rust check sees
 * the circuit, which the statement is built into.)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTrace } from '../../src/check/check.js';
import { PROVER_BINARY } from '../../src/cli/prover.js';
import { exportTrace } from '../../src/trace/write/export.js';
import { buildCircuit, circuitBytes } from '../../src/prove/circuit.js';
import { statementFromTrace } from '../../src/prove/statement.js';
import { Random, randomProgram } from '../support/random-programs.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-check-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The Rust check's verdict and failing rules (instance suffixes like [k=3] dropped). */
async function rustCheck(
  trace: string,
): Promise<{ ok: boolean; rules: string[]; failures: Array<{ constraint: string; row: number | null }> } | null> {
  let statement;
  try {
    statement = await statementFromTrace(trace);
  } catch {
    return null; // no statement (a faulted run, unreadable metadata): nothing to evaluate
  }
  const circuit = join(dir, 'circuit.json');
  writeFileSync(circuit, circuitBytes(buildCircuit(statement)).bytes);
  const result = spawnSync(PROVER_BINARY, ['check', trace, '--circuit', circuit, '--json'], { encoding: 'utf8' });
  const report = JSON.parse(result.stdout) as {
    ok: boolean;
    failures: Array<{ constraint: string; row: number | null }>;
  };
  expect(result.status).toBe(report.ok ? 0 : 1);
  return {
    ok: report.ok,
    rules: report.failures.map((f) => f.constraint.replace(/\[.*$/, '')),
    failures: report.failures,
  };
}

const CIRCUIT_RULE = /^(padding|decode|ffn|controls|continuity|boundary|claim|log|memory)\./;
const STATEMENT_RULES = new Set(['claim.steps', 'claim.ending', 'claim.fault', 'claim.initial_state']);

describe('tvm-prove check agrees with tvm-trace check', () => {
  it('every golden trace: both ok', async () => {
    for (const file of readdirSync('fixtures/golden').filter((f) => f.endsWith('.arrow'))) {
      const path = join('fixtures/golden', file);
      expect((await checkTrace(path)).ok, file).toBe(true);
      const rust = await rustCheck(path);
      if (rust !== null) expect(rust, file).toEqual({ ok: true, rules: [], failures: [] });
    }
  });

  it('every known-bad fixture failing a circuit rule: the Rust check fails on that rule', async () => {
    let compared = 0;
    for (const file of readdirSync('fixtures/bad').filter((f) => f.endsWith('.arrow')).sort()) {
      const path = join('fixtures/bad', file);
      const ts = await checkTrace(path, { maxFailures: 1 });
      const rule = ts.failures[0].constraint.replace(/\[.*$/, '');
      if (!CIRCUIT_RULE.test(rule) || STATEMENT_RULES.has(rule)) continue;
      const rust = await rustCheck(path);
      if (rust === null) continue;
      expect(rust.ok, file).toBe(false);
      expect(rust.rules, file).toContain(rule);
      // Fields, not text: a constraint's failure is at the same row on both sides.
      const first = ts.failures[0];
      if (!rule.startsWith('memory.'))
        expect(rust.failures, file).toContainEqual({ constraint: first.constraint, row: first.row });
      compared++;
    }
    expect(compared).toBe(11); // the others fail a metadata or statement rule, or are faulted runs (no statement)
  });

  it('traces of 40 random programs: the same verdict', async () => {
    const r = new Random(13);
    for (let i = 0; i < 40; i++) {
      const { program, maxSteps } = randomProgram(r, { maxLength: 24 });
      const path = join(dir, `random-${i}.arrow`);
      exportTrace(program, path, { maxSteps: Math.min(maxSteps, 200) });
      const ts = await checkTrace(path);
      const rust = await rustCheck(path);
      if (rust === null) continue; // a faulted run: no statement to prove
      expect(rust.ok, `program ${i}`).toBe(ts.ok);
    }
  });
});
