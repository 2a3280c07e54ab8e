/**
 * The README's "Use as a library" example is examples/library.ts, verbatim, and it runs
 * against the built package (imported by its name) printing what the README says it prints.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(readme.indexOf('## Use as a library'), readme.indexOf('## Architecture'));
const blocks = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] }));

describe('README: Use as a library', () => {
  it('quotes examples/library.ts verbatim', () => {
    expect(blocks[0]).toEqual({ lang: 'ts', body: readFileSync('examples/library.ts', 'utf8') });
  });

  it('prints what the README says', () => {
    const output = execFileSync(process.execPath, ['--import', 'tsx', 'examples/library.ts'], { encoding: 'utf8' });
    expect(output).toBe(blocks[1].body);
  });
});
