/**
 * `prove run/ --ray`: a two-node Ray cluster on loopback (127.0.0.2 head, 127.0.0.3) proves a
 * multi-segment run; the bundle is byte for byte the one `--jobs` makes, and verifies. Then a
 * node's raylet is killed while it proves: its segments are retried on the other node, and
 * the bundle still completes and verifies. Needs .venv-ray (`npm run setup:ray`).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { assemble } from '../../src/isa/assemble.js';
import { exportSegments } from '../../src/trace/write/segments.js';
import { cli } from '../support/cli.js';
import { RAY_ENV, RayCluster } from '../support/ray-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'tvm-ray-'));
const PROGRAM = new URL('../../programs/long_loop.tvm', import.meta.url).pathname;
let cluster: RayCluster | null = null;

beforeAll(() => {
  for (const [key, value] of Object.entries(RAY_ENV)) process.env[key] = value;
  cluster = RayCluster.start(['127.0.0.2', '127.0.0.3']);
}, 60_000);

afterAll(() => {
  cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** `tvm-trace ARGV` in-process, `onLine` called with each stderr line as it comes. */
async function watched(argv: string[], onLine: (line: string) => void) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (line) => {
      stderr.push(line);
      onLine(line);
    },
  });
  return { code, stdout, stderr };
}

describe('prove run/ --ray HOST:PORT', () => {
  it('two nodes prove every segment: the same bundle as --jobs, and it verifies', async () => {
    const run = join(dir, 'run');
    await exportSegments(assemble(readFileSync(PROGRAM, 'utf8')), run, {
      maxSteps: 2048,
      segmentRows: 256,
    });
    const local = join(dir, 'local.proof');
    expect((await cli('prove', run, '-o', local, '--jobs', '2')).code).toBe(0);
    const remote = join(dir, 'ray.proof');
    const result = await cli(
      'prove',
      run,
      '-o',
      remote,
      '--ray',
      cluster!.address,
      '--ray-node-ip',
      '127.0.0.2',
    );
    expect(result.code, result.stderr.join('\n')).toBe(0);
    const nodes = new Set(
      result.stderr.flatMap((line) => /proved on (127\.0\.0\.[23]) /.exec(line)?.[1] ?? []),
    );
    expect([...nodes].sort()).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(result.stderr.filter((line) => /^segment \d+\/8: proved on /.test(line))).toHaveLength(
      8,
    );
    expect(readFileSync(remote).equals(readFileSync(local))).toBe(true);
    expect((await cli('verify', remote, '--program', PROGRAM)).code).toBe(0);
  }, 120_000);

  it("a node's raylet killed while it proves: its segments are retried, the bundle verifies", async () => {
    const run = join(dir, 'run-kill');
    await exportSegments(assemble(readFileSync(PROGRAM, 'utf8')), run, {
      maxSteps: 4096,
      segmentRows: 256,
    });
    const proof = join(dir, 'kill.proof');
    const raylet = cluster!.raylet('127.0.0.3');
    let killed = false;
    const result = await watched(
      ['prove', run, '-o', proof, '--ray', cluster!.address, '--ray-node-ip', '127.0.0.2'],
      (line) => {
        // Kill it once it has proved a segment, so that it is taken up with the next one.
        if (!killed && line.includes('proved on 127.0.0.3')) {
          process.kill(raylet, 'SIGKILL');
          killed = true;
        }
      },
    );
    expect(killed).toBe(true);
    expect(result.code, result.stderr.join('\n')).toBe(0);
    expect(result.stderr.filter((line) => /^segment \d+\/16: proved on /.test(line))).toHaveLength(
      16,
    );
    expect((await cli('verify', proof, '--program', PROGRAM)).code).toBe(0);
  }, 180_000);

  it('an unreachable address is one line, exit 2, and no bundle', async () => {
    const run = join(dir, 'run');
    const result = await cli('prove', run, '-o', join(dir, 'never.proof'), '--ray', '127.0.0.2:1');
    expect(result).toEqual({
      code: 2,
      stdout: [],
      stderr: ['tvm-trace: cannot reach the Ray cluster at 127.0.0.2:1 (Connection refused)'],
    });
  });
});
