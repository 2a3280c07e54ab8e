/**
 * The committed fixtures: golden traces pass, each known-bad trace fails with the rule in its
 * file name reported first, and regenerating them (scripts/make-fixtures.ts) gives the same
 * bytes — the export is deterministic and the fixtures are up to date.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTrace } from '../../src/check/check.js';
import { BAD, FIXTURES_DIR, GOLDEN, makeFixtures, ruleOf } from '../support/fixtures.js';

const golden = readdirSync(join(FIXTURES_DIR, 'golden'))
  .filter((f) => f.endsWith('.arrow'))
  .sort();
const bad = readdirSync(join(FIXTURES_DIR, 'bad'))
  .filter((f) => f.endsWith('.arrow'))
  .sort();

describe('golden fixtures', () => {
  it('are the ones the script makes, at most 100 KB each', () => {
    expect(golden).toEqual(GOLDEN.map((g) => `${g.name}.arrow`).sort());
    for (const file of golden)
      expect(readFileSync(join(FIXTURES_DIR, 'golden', file)).length, file).toBeLessThan(100_000);
  });

  it.each(golden)('%s checks ok', async (file) => {
    const report = await checkTrace(join(FIXTURES_DIR, 'golden', file));
    expect(report.failures, file).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.rows).toBeGreaterThan(0);
  });
});

describe('known-bad fixtures', () => {
  it('are the ones the script makes: at least 12, each named RULE--what', () => {
    expect(bad).toEqual(BAD.map((b) => `${b.name}.arrow`).sort());
    expect(bad.length).toBeGreaterThanOrEqual(12);
    for (const file of bad) expect(file).toMatch(/^[a-z_]+(\.[a-z0-9_]+)+--[a-z0-9-]+\.arrow$/);
  });

  it.each(bad)('%s fails, first with the rule in its name', async (file) => {
    const rule = ruleOf(file.replace(/\.arrow$/, ''));
    const report = await checkTrace(join(FIXTURES_DIR, 'bad', file));
    expect(report.ok).toBe(false);
    expect(report.failureCount).toBeGreaterThan(0);
    const first = report.failures[0];
    expect(first.constraint.replace(/\[.*$/, ''), `${file}: first failure ${first.message}`).toBe(
      rule,
    );
  });

  it.each(bad)(
    '%s breaks its rule and exactly the rules listed with it (most: no other)',
    async (file) => {
      const fixture = BAD.find((b) => `${b.name}.arrow` === file)!;
      const report = await checkTrace(join(FIXTURES_DIR, 'bad', file), { maxFailures: 1000 });
      const rules = new Set(report.failures.map((f) => f.constraint.replace(/\[.*$/, '')));
      expect([...rules].sort()).toEqual(
        [ruleOf(fixture.name), ...(fixture.alsoFails ?? [])].sort(),
      );
    },
  );
});

describe('fixtures are up to date', () => {
  const out = mkdtempSync(join(tmpdir(), 'tvm-fixtures-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('regenerating them gives byte-identical files (run `npm run fixtures` after changing the trace format)', () => {
    const written = makeFixtures(out);
    const committed = [
      ...golden.map((f) => `golden/${f}`),
      ...bad.map((f) => `bad/${f}`),
      'README.md',
    ].sort();
    expect([...written].sort()).toEqual(committed);
    for (const file of written) {
      const fresh = readFileSync(join(out, file));
      const stored = readFileSync(join(FIXTURES_DIR, file));
      expect(
        Buffer.compare(fresh, stored),
        `${file} differs from a fresh \`npm run fixtures\``,
      ).toBe(0);
    }
  });
});
