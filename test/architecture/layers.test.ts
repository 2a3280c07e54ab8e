/**
 * The source tree's layers (README, "Source layout"): each folder of src/ imports only from
 * itself and the folders before it, so data flows one way and no module reaches back up.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const LAYERS = [
  'isa',
  'compiler',
  'runtime',
  'air',
  'wasm',
  'trace',
  'check',
  'report',
  'prove',
  'cli',
];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the layers of src/', () => {
  it('are the folders the README lists, in its order', () => {
    const folders = readdirSync('src', { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect([...folders].sort()).toEqual([...LAYERS].sort());
    const table = readFileSync('README.md', 'utf8')
      .match(/^\| `src\/(\w+)\/` \|/gm)!
      .map((row) => row.slice(7, -4));
    expect(table).toEqual(LAYERS);
  });

  it.each(LAYERS)('src/%s imports only from itself and the layers before it', (layer) => {
    const allowed = new Set(LAYERS.slice(0, LAYERS.indexOf(layer) + 1));
    const reaching = sources(join('src', layer)).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '(\.\.\/[^']+)'/g)]
        .map((match) => join(file, '..', match[1]).split('/')[1])
        .filter((target) => !allowed.has(target))
        .map((target) => `${file} imports src/${target}`),
    );
    expect(reaching).toEqual([]);
  });
});

/** src/trace/ (README, "Source layout"): format/ is shared, write/ and read/ are the two paths. */
const TRACE_PARTS: Record<string, string[]> = {
  format: ['format'],
  write: ['format', 'write'],
  read: ['format', 'read'],
};

describe('the folders of src/trace/', () => {
  it('are format, write and read, and hold every file of src/trace/', () => {
    const entries = readdirSync('src/trace', { withFileTypes: true });
    expect(entries.filter((entry) => !entry.isDirectory()).map((entry) => entry.name)).toEqual([]);
    expect(entries.map((entry) => entry.name).sort()).toEqual(Object.keys(TRACE_PARTS).sort());
  });

  it.each(Object.keys(TRACE_PARTS))(
    'src/trace/%s imports only from the parts it may use (read never imports write)',
    (part) => {
      const reaching = sources(join('src/trace', part)).flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)]
          .map((match) => join(file, '..', match[1]).split('/'))
          .filter((target) => target[1] === 'trace' && !TRACE_PARTS[part].includes(target[2]))
          .map((target) => `${file} imports ${target.join('/')}`),
      );
      expect(reaching).toEqual([]);
    },
  );
});

/**
 * Each layer's public surface: the files a command (src/cli/) may import. A command parses
 * its flags, calls these and prints; what lies behind them (kernels, code generators, workers,
 * scanners) is the layer's own.
 */
const PUBLIC: Record<string, string[]> = {
  isa: ['assemble', 'program', 'print', 'text', 'opcodes'],
  compiler: ['compile', 'artifact', 'describe'],
  runtime: ['engines', 'lockstep', 'state', 'fault', 'tensor/backend'],
  air: ['columns', 'definition'],
  wasm: [],
  trace: [
    'format/claim-file',
    'format/codecs',
    'format/errors',
    'format/manifest',
    'format/metadata',
    'read/reader',
    'read/inspect',
    'write/export',
    'write/segments',
  ],
  check: ['check', 'format', 'run', 'chain', 'tensor-replay'],
  report: ['report'],
  prove: ['circuit', 'statement', 'bundle'],
};

describe('the commands (src/cli/)', () => {
  it("import each layer's public surface only", () => {
    const below = sources('src/cli').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '(\.\.\/[^']+)\.js'/g)]
        .map((match) => join(file, '..', match[1]).split('/'))
        .filter((target) => target[1] !== 'cli')
        .filter((target) => !PUBLIC[target[1]]?.includes(target.slice(2).join('/')))
        .map((target) => `${file} imports ${target.join('/')}`),
    );
    expect(below).toEqual([]);
  });
});

describe('every source file', () => {
  it('opens with a line that says what it is for (a doc comment before its imports)', () => {
    const silent = sources('src').filter(
      (file) => !/^(#!.*\n)?\/\*\*/.test(readFileSync(file, 'utf8')),
    );
    expect(silent).toEqual([]);
  });
});
