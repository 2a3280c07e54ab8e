/**
 * Compressed traces (issue 14 §1): `export --compression lz4|zstd` writes Arrow IPC body
 * compression that pyarrow reads (the same table as uncompressed), and `check`/`inspect` read
 * traces pyarrow compressed. Needs .venv (`npm run setup:python`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTrace } from '../../src/check/check.js';
import { assemble } from '../../src/isa/assemble.js';
import { ExportInterrupted, exportTrace, exportTraceInterruptible } from '../../src/trace/write/export.js';
import { framesMissed, lz4Compress, lz4DecompressInto, loadCodecs, zstdCompress, zstdDecompressInto, CodecError } from '../../src/trace/format/codecs.js';
import { preflightTrace } from '../../src/trace/read/preflight.js';
import { cli } from '../support/cli.js';
import { python } from '../support/python.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-compression-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const path = (name: string) => join(dir, name);
const fibonacci = assemble(readFileSync('programs/fibonacci.tvm', 'utf8'));
const longLoop = assemble(readFileSync('programs/long_loop.tvm', 'utf8'));

/** pyarrow: does FILE read, and does its table equal REFERENCE's (schema metadata included)? */
const SAME_TABLE = `
import sys, pyarrow.ipc as ipc
a = ipc.open_file(sys.argv[1]).read_all()
b = ipc.open_file(sys.argv[2]).read_all()
print(a.num_rows, a.equals(b, check_metadata=True))
`;

/** pyarrow rewrites a trace with COMPRESSION, batches as they are (metadata kept). */
const REWRITE = `
import sys, pyarrow.ipc as ipc
t = ipc.open_file(sys.argv[1]).read_all()
with ipc.new_file(sys.argv[2], t.schema, options=ipc.IpcWriteOptions(compression=sys.argv[3])) as w:
    for b in t.to_batches(max_chunksize=int(sys.argv[4])):
        w.write_batch(b)
`;

describe('export --compression', () => {
  for (const compression of ['lz4', 'zstd'] as const) {
    it(`${compression}: pyarrow reads the same table as uncompressed, check says ok, the bytes are deterministic`, async () => {
      const plain = path(`plain-${compression}.arrow`);
      const packed = path(`packed-${compression}.arrow`);
      const again = path(`again-${compression}.arrow`);
      // Several batches, and a run long enough for buffers that compress.
      const options = { maxSteps: 5000, batchRows: 1024 };
      exportTrace(longLoop, plain, options);
      const result = await exportTraceInterruptible(longLoop, packed, { ...options, compression });
      await exportTraceInterruptible(longLoop, again, { ...options, compression });
      expect(readFileSync(packed).equals(readFileSync(again))).toBe(true);
      expect(result.bytes).toBe(readFileSync(packed).byteLength);
      expect(result.bytes).toBeLessThan(readFileSync(plain).byteLength / 2);
      expect(preflightTrace(packed).batches.map((b) => b.codec)).toEqual(Array(5).fill(compression));
      expect(python(SAME_TABLE, packed, plain).trim()).toBe('5000 True');
      const report = await checkTrace(packed);
      expect(report.ok).toBe(true);
      expect(report.rows).toBe(5000);
    });
  }

  it('the CLI: --compression zstd writes a smaller trace that check accepts; a bad value is a usage error', async () => {
    const out = path('fib-cli.arrow');
    const result = await cli('export', 'programs/fibonacci.tvm', '-o', out, '--compression', 'zstd');
    expect(result.code).toBe(0);
    expect(result.stdout[0]).toMatch(new RegExp(`^wrote ${out}: 103 rows, \\d+ bytes`));
    expect((await cli('check', out)).stdout).toEqual([`ok: ${out}: 103 rows, 263 constraints per row and the memory arguments hold (field int)`]);
    const bad = await cli('export', 'programs/fibonacci.tvm', '-o', path('x.arrow'), '--compression', 'brotli');
    expect(bad.code).toBe(64);
    expect(bad.stderr).toEqual(['tvm-trace: Invalid values: Argument: compression, Given: "brotli", Choices: "none", "lz4", "zstd" (see tvm-trace --help)']);
  });
});

describe('compression workers (src/trace/write/compressors.ts)', () => {
  for (const compression of ['lz4', 'zstd'] as const) {
    it(`${compression}: the same bytes as compressing in this thread, every frame made by a worker (batches of a multiple of 64 rows)`, async () => {
      const inThread = path(`in-thread-${compression}.arrow`);
      const byWorkers = path(`workers-${compression}.arrow`);
      const options = { maxSteps: 64 * 1000, batchRows: 64 * 100, compression };
      await loadCodecs();
      exportTrace(longLoop, inThread, options);
      const missed = framesMissed.count;
      await exportTraceInterruptible(longLoop, byWorkers, options);
      expect(framesMissed.count - missed).toBe(0);
      expect(readFileSync(byWorkers).equals(readFileSync(inThread))).toBe(true);
      // Batches whose bitmaps apache-arrow pads (rows not a multiple of 64): those compressed here, the same bytes.
      await exportTraceInterruptible(longLoop, byWorkers, { ...options, maxSteps: 1000, batchRows: 7 });
      exportTrace(longLoop, inThread, { ...options, maxSteps: 1000, batchRows: 7 });
      expect(readFileSync(byWorkers).equals(readFileSync(inThread))).toBe(true);
    });
  }

  it('an interrupted compressed export leaves no file and stops its workers', async () => {
    const target = path('interrupted-zstd.arrow');
    const stop = new AbortController();
    let batches = 0;
    const progress = { update: (phase: string) => void (phase === 'write' && ++batches === 3 && stop.abort()) };
    await expect(exportTraceInterruptible(longLoop, target, { maxSteps: 200_000, batchRows: 4096, compression: 'zstd', progress }, stop.signal)).rejects.toThrow(ExportInterrupted);
    expect(readdirSync(dir).filter((name) => name.startsWith('interrupted-zstd'))).toEqual([]);
  });
});

describe('traces compressed by pyarrow', () => {
  for (const compression of ['lz4', 'zstd'] as const) {
    it(`${compression}: check and inspect read them`, async () => {
      const plain = path(`py-plain-${compression}.arrow`);
      const packed = path(`py-${compression}.arrow`);
      exportTrace(longLoop, plain, { maxSteps: 3000, batchRows: 4096 });
      python(REWRITE, plain, packed, compression, '1000');
      expect(preflightTrace(packed).batches.map((b) => b.codec)).toEqual(Array(3).fill(compression));
      const result = await cli('check', packed);
      expect(result).toEqual({ code: 0, stdout: [`ok: ${packed}: 3000 rows, 255 constraints per row and the memory arguments hold (field int)`], stderr: [] });
      const inspected = await cli('inspect', packed, '--rows', '999:1001', '--json');
      expect(inspected.code).toBe(0);
      const plainInspected = await cli('inspect', plain, '--rows', '999:1001', '--json');
      expect(JSON.parse(inspected.stdout[0]).rows).toEqual(JSON.parse(plainInspected.stdout[0]).rows);
    });
  }

  it('a corrupt compressed buffer is a one-line error (exit 2)', async () => {
    const plain = path('corrupt-plain.arrow');
    const packed = path('corrupt.arrow');
    exportTrace(fibonacci, plain, { maxSteps: 1000 });
    python(REWRITE, plain, packed, 'zstd', '1000');
    const bytes = readFileSync(packed);
    const layout = preflightTrace(packed).batches[0];
    // The 'step' values (buffer 1): its uncompressed length said to be 8 bytes short.
    const at = layout.bodyOffset + layout.buffers[2];
    bytes.writeBigInt64LE(bytes.readBigInt64LE(at) - 8n, at);
    writeFileSync(packed, bytes);
    const result = await cli('check', packed);
    expect(result).toEqual({ code: 2, stdout: [], stderr: [`tvm-trace: ${packed}: record batch 0: buffer 1 (zstd): not a valid zstd frame (or a frame that decodes to more bytes than stated)`] });
  });
});

describe('codecs', () => {
  it('round-trip, and refuse frames that do not fill exactly the stated length', async () => {
    await loadCodecs();
    const data = new Uint8Array(200_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 13 === 0 ? i & 255 : 3;
    for (const [compress, decompress] of [
      [zstdCompress, zstdDecompressInto],
      [lz4Compress, lz4DecompressInto],
    ] as const) {
      const frame = compress(data);
      const out = new Uint8Array(data.length);
      decompress(frame, out);
      expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
      expect(() => decompress(frame, new Uint8Array(data.length + 1))).toThrow(CodecError);
      expect(() => decompress(frame, new Uint8Array(data.length - 1))).toThrow(CodecError);
      expect(() => decompress(frame.subarray(0, frame.length - 3), new Uint8Array(data.length))).toThrow(CodecError);
    }
  });

  it('lz4: linked blocks, checksums and content size as LZ4F writes them (pyarrow)', () => {
    const source = `
import sys, pyarrow as pa
data = bytes((i & 255) if (i * 7) % 13 == 0 else 3 for i in range(300000))
sys.stdout.write(pa.Codec('lz4').compress(data, asbytes=True).hex())
`;
    const frame = Buffer.from(python(source), 'hex');
    const out = new Uint8Array(300_000);
    lz4DecompressInto(frame, out);
    for (let i = 0; i < out.length; i++) if (out[i] !== ((i * 7) % 13 === 0 ? i & 255 : 3)) throw new Error(`byte ${i}`);
    // LZ4F's defaults, as pyarrow (Arrow C++) writes them: version 1, linked 64 KiB blocks, no checksums.
    expect(frame.subarray(4, 6).toString('hex')).toBe('4040');
    const broken = Buffer.from(frame);
    broken[6] ^= 1;
    expect(() => lz4DecompressInto(broken, new Uint8Array(300_000))).toThrow('LZ4 frame descriptor checksum mismatch');
    expect(() => lz4DecompressInto(frame.subarray(0, frame.length - 4), new Uint8Array(300_000))).toThrow('the LZ4 frame is truncated');
  });
});
