/**
 * README, "Reading a trace elsewhere": each snippet is a file under docs/reading/, quoted in
 * the README verbatim, and each Python one prints what its comments say, on the trace of
 * programs/fibonacci.tvm written uncompressed and with zstd (pyarrow, polars, DuckDB from the
 * project's .venv). The arrow-rs snippet is only held to its quote here.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.js';
import { venvPython } from '../support/python.js';

const SNIPPETS = ['pyarrow_read.py', 'polars_read.py', 'duckdb_read.py', 'arrow_rs_read.rs'];
const readme = readFileSync('README.md', 'utf8');
const section = readme.slice(readme.indexOf('## Reading a trace elsewhere'), readme.indexOf('\n## ', readme.indexOf('## Reading a trace elsewhere') + 1));

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tvm-trace-reading-'));
  for (const compression of ['none', 'zstd']) {
    mkdirSync(join(dir, compression));
    expect((await cli('export', 'programs/fibonacci.tvm', '-o', join(dir, compression, 'fib.arrow'), '--compression', compression, '--quiet')).code).toBe(0);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a snippet says it prints: the trailing `# …` (or `// …`) comment of each print line, in order. */
function expectedOutput(source: string): string[] {
  return source
    .split('\n')
    .filter((line) => /^\s*(print\(|println!\()/.test(line))
    .map((line) => {
      const comment = /\s(?:#|\/\/) (.*)$/.exec(line);
      if (comment === null) throw new Error(`a print line without the comment saying what it prints: ${line}`);
      return comment[1];
    });
}

describe('README: reading a trace elsewhere', () => {
  it.each(SNIPPETS)('%s is quoted in the README verbatim', (name) => {
    const source = readFileSync(join('docs/reading', name), 'utf8');
    const fence = name.endsWith('.py') ? 'python' : 'rust';
    expect(section).toContain(`(\`docs/reading/${name}\``);
    expect(section).toContain(`\`\`\`${fence}\n${source}\`\`\``);
  });

  it('the section states the Int32 trap with the figure polars gives', () => {
    expect(section).toContain('Polars sums an Int32 column as Int32 and wraps silently: `step` of a 1M-row trace sums\nto 1783293664, not 499999500000.');
  });

  it('polars does wrap an Int32 sum, as the section says (pyarrow and DuckDB widen)', () => {
    const source = `
import duckdb, polars as pl, pyarrow as pa, pyarrow.compute as pc
t = pa.table({"step": pa.array(range(1_000_000), pa.int32())})
print(pl.from_arrow(t).select(pl.col("step").sum()).item(), pl.from_arrow(t).select(pl.col("step").cast(pl.Int64).sum()).item(), pc.sum(t["step"]).as_py(), duckdb.sql("SELECT sum(step) FROM t").fetchall()[0][0])
`;
    expect(execFileSync(venvPython(), ['-c', source], { encoding: 'utf8' }).trim()).toBe('1783293664 499999500000 499999500000 499999500000');
  });

  it.each(SNIPPETS.filter((name) => name.endsWith('.py')).flatMap((name) => [[name, 'none'], [name, 'zstd']]))('%s prints what its comments say (compression %s)', (name, compression) => {
    const file = resolve('docs/reading', name);
    const output = execFileSync(venvPython(), [file], { cwd: join(dir, compression), encoding: 'utf8' });
    expect(output.trimEnd().split('\n')).toEqual(expectedOutput(readFileSync(file, 'utf8')));
  }, 60_000);
});
