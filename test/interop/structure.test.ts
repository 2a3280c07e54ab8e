/**
 * Read what other Arrow writers produce, refuse what they cannot read (issue 14 §2): foreign
 * metadata keys are ignored, the flatbuffers are verified as strictly as Arrow C++ does (a file
 * pyarrow refuses is never "ok"), list children may be 'item' or 'element' but must be valid
 * UTF-8, and an error quoting the file's bytes stays on one line. Needs .venv
 * (`npm run setup:python`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTrace } from '../../src/check/check.js';
import { cli } from '../support/cli.js';
import { python } from '../support/python.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-structure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);
const GOLDEN = 'fixtures/golden/fibonacci.arrow';

/** The footer's byte range [start, end) of an Arrow file. */
function footerRange(bytes: Buffer): [number, number] {
  const length = bytes.readInt32LE(bytes.length - 10);
  return [bytes.length - 10 - length, bytes.length - 10];
}

/** A copy of GOLDEN with the first `from` in its footer replaced by `to` (same length). */
function patchFooter(name: string, from: Buffer, to: Buffer): string {
  const bytes = readFileSync(GOLDEN);
  const [start] = footerRange(bytes);
  const at = bytes.indexOf(from, start);
  expect(at).toBeGreaterThan(start);
  to.copy(bytes, at);
  writeFileSync(path(name), bytes);
  return path(name);
}

describe('foreign metadata', () => {
  it("keys outside tvm. (pandas', a user's) are ignored by check and the digest; a tvm. key stays strict", async () => {
    const foreign = path('foreign.arrow');
    python(
      `
import sys, pyarrow.ipc as ipc
t = ipc.open_file(sys.argv[1]).read_all()
meta = dict(t.schema.metadata)
meta[b'pandas'] = b'{"index_columns": [], "columns": []}'
meta[b'my.note'] = b'exported on Tuesday'
t = t.replace_schema_metadata(meta)
with ipc.new_file(sys.argv[2], t.schema) as w:
    w.write_table(t)
`,
      GOLDEN,
      foreign,
    );
    expect(await cli('check', foreign)).toEqual({ code: 0, stdout: [`ok: ${foreign}: 103 rows, 263 constraints per row and the memory arguments hold (field int)`], stderr: [] });
    expect((await cli('inspect', foreign)).code).toBe(0);

    const own = path('own-key.arrow');
    python(
      `
import sys, pyarrow.ipc as ipc
t = ipc.open_file(sys.argv[1]).read_all()
t = t.replace_schema_metadata({**t.schema.metadata, b'tvm.note': b'hello'})
with ipc.new_file(sys.argv[2], t.schema) as w:
    w.write_table(t)
`,
      GOLDEN,
      own,
    );
    const report = await checkTrace(own);
    expect(report.failures.map((f) => [f.constraint, f.message])).toEqual([
      ['metadata.encoding', "metadata 'tvm.note' is not part of trace schema v2"],
      ['metadata.metadata_sha256', expect.stringMatching(/^metadata digest mismatch: the entries hash to [0-9a-f]{64}, the file says [0-9a-f]{64}$/)],
    ]);
  });
});

describe('strict structure', () => {
  it('a flipped bit in the zero byte after a field name in the footer: pyarrow refuses it, and so does check (exit 2, one line)', async () => {
    const bytes = readFileSync(GOLDEN);
    const [start] = footerRange(bytes);
    const at = bytes.indexOf(Buffer.from('selector'), start) + 'selector'.length;
    expect(bytes[at]).toBe(0);
    bytes[at] ^= 0x40;
    const flipped = path('flipped.arrow');
    writeFileSync(flipped, bytes);
    expect(python(`import sys, pyarrow.ipc as ipc\ntry:\n  ipc.open_file(sys.argv[1]).read_all()\nexcept Exception as e:\n  print(e)`, flipped).trim()).toBe('Verification of flatbuffer-encoded Footer failed.');
    for (const command of ['check', 'inspect']) {
      expect(await cli(command, flipped)).toEqual({
        code: 2,
        stdout: [],
        stderr: [`tvm-trace: ${flipped}: the footer is not a valid Arrow flatbuffer (Footer.schema.fields[6].name: no terminating zero byte after the string)`],
      });
    }
  });

  it('no file pyarrow refuses is accepted by check: one bit flipped at every byte of the footer and of a batch header (bits 0x01 and 0x40)', async () => {
    const sweep = `
import sys, pyarrow.ipc as ipc
src, out, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
data = open(src, 'rb').read()
refused = []
for pos in range(start, end):
    for bit in (0x01, 0x40):
        d = bytearray(data); d[pos] ^= bit
        open(out, 'wb').write(d)
        try:
            ipc.open_file(out).read_all().validate(full=True)
        except Exception:
            refused.append('%d:%d' % (pos, bit))
print(' '.join(refused))
`;
    const bytes = readFileSync(GOLDEN);
    const [footerStart, footerEnd] = footerRange(bytes);
    // apache-arrow writes the first record batch's header right after the 8-byte magic.
    const regions: [number, number][] = [
      [footerStart, footerEnd],
      [8, 8 + bytes.readInt32LE(12) + 8],
    ];
    let refusedCount = 0;
    const accepted: string[] = [];
    for (const [start, end] of regions) {
      const refused = python(sweep, GOLDEN, path('sweep-py.arrow'), String(start), String(end)).trim().split(' ').filter(Boolean);
      refusedCount += refused.length;
      for (const item of refused) {
        const [at, bit] = item.split(':').map(Number);
        const edited = Buffer.from(bytes);
        edited[at] ^= bit;
        writeFileSync(path('sweep.arrow'), edited);
        const report = await checkTrace(path('sweep.arrow')).catch(() => null);
        if (report?.ok === true) accepted.push(item);
      }
    }
    expect(refusedCount).toBeGreaterThan(1000);
    expect(accepted).toEqual([]);
  });

  // Flatbuffers are built back to front: the footer's first 'item' is the last list column's child.
  it("list children named 'element' (as pyarrow may write them) pass; another name or one that is not UTF-8 is refused", async () => {
    const element = path('element.arrow');
    python(
      `
import sys, pyarrow as pa, pyarrow.ipc as ipc
t = ipc.open_file(sys.argv[1]).read_all()
fields = [pa.field(f.name, pa.list_(pa.field('element', f.type.value_type, nullable=False), f.type.list_size), nullable=False) if pa.types.is_fixed_size_list(f.type) else f for f in t.schema]
schema = pa.schema(fields, metadata=t.schema.metadata)
t = t.cast(schema)
with ipc.new_file(sys.argv[2], schema) as w:
    w.write_table(t)
`,
      GOLDEN,
      element,
    );
    expect((await cli('check', element)).stdout).toEqual([`ok: ${element}: 103 rows, 263 constraints per row and the memory arguments hold (field int)`]);

    const idem = patchFooter('idem.arrow', Buffer.from('item'), Buffer.from('idem'));
    expect(await cli('check', idem)).toEqual({ code: 2, stdout: [], stderr: [`tvm-trace: ${idem}: column 'log_gap_bits' has a child field 'idem', expected 'item' or 'element'`] });
    const invalid = patchFooter('invalid-utf8.arrow', Buffer.from('item'), Buffer.from([0x69, 0xff, 0x65, 0x6d]));
    expect(await cli('check', invalid)).toEqual({
      code: 2,
      stdout: [],
      stderr: [`tvm-trace: ${invalid}: the footer is not a valid Arrow flatbuffer (Footer.schema.fields[36].children[0].name: not valid UTF-8)`],
    });
  });

  it("an error quoting a column name with control bytes stays on one line (bytes escaped)", async () => {
    const renamed = patchFooter('newline.arrow', Buffer.from('selector'), Buffer.from('sel\nc\x00or'));
    for (const command of ['check', 'inspect']) {
      const result = await cli(command, renamed, '--json');
      expect(result.code).toBe(2);
      expect(result.stderr).toEqual([`tvm-trace: ${renamed}: column 6 is 'sel\\x0ac\\x00or', expected 'selector'`]);
      expect(result.stdout).toHaveLength(1);
      expect(JSON.parse(result.stdout[0]).message).toBe(`${renamed}: column 6 is 'sel\\x0ac\\x00or', expected 'selector'`);
    }
  });
});
