import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { fibonacciRunLines } from '../support/expectations.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The CLI in a fresh process (through tsx), so tfjs loads from scratch and any banner would show.
 * `nodeArgs` go to node before the script.
 */
function spawnCli(
  argv: string[],
  nodeArgs: string[] = [],
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', ...nodeArgs, 'src/cli/main.ts', ...argv],
    { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('run --engine tensor', () => {
  it.each(['cpu', 'wasm', 'tensorflow'])(
    '--backend %s prints the final state and the backend, and nothing from tfjs or libtensorflow',
    (backend) => {
      const { code, stdout, stderr } = spawnCli([
        'run',
        'programs/fibonacci.tvm',
        '--engine',
        'tensor',
        '--backend',
        backend,
      ]);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toBe([...fibonacciRunLines(`tensor(${backend})`), ''].join('\n'));
    },
  );

  it('--backend tensorflow where tfjs-node is missing: one line on stderr, exit 64; check --tensor picks cpu', () => {
    const hide = ['--import', './test/support/without-tfjs-node.mjs'];
    const refused = spawnCli(
      ['run', 'programs/fibonacci.tvm', '--engine', 'tensor', '--backend', 'tensorflow'],
      hide,
    );
    expect(refused).toEqual({
      code: 64,
      stdout: '',
      stderr:
        "tvm-trace: tensor backend 'tensorflow' is unavailable: @tensorflow/tfjs-node is not installed; use --backend cpu or wasm\n",
    });
    const auto = spawnCli(['check', 'fixtures/golden/fibonacci.arrow', '--tensor', '--json'], hide);
    expect(auto.code).toBe(0);
    expect(JSON.parse(auto.stdout)).toMatchObject({
      ok: true,
      tensor: { backend: 'cpu', ok: true },
    });
  });

  it('--json reports the engine with its backend; auto is cpu (the fastest per step)', async () => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const code = await main(
      ['run', 'programs/factorial_recursive.tvm', '--engine', 'tensor', '--json'],
      {
        stdout: (line) => stdout.push(line),
        stderr: (line) => stderr.push(line),
      },
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: [] });
    const record = JSON.parse(stdout[0]);
    expect(record).toMatchObject({
      engine: 'tensor(cpu)',
      acc: 120,
      halted: true,
      steps: 40,
    });
  });

  it('rejects an unknown backend as a usage error', async () => {
    const stderr: string[] = [];
    const code = await main(
      ['run', 'programs/fibonacci.tvm', '--engine', 'tensor', '--backend', 'webgl'],
      {
        stdout: () => {},
        stderr: (line) => stderr.push(line),
      },
    );
    expect(code).toBe(64);
    expect(stderr.join('\n')).toMatch(/backend/);
  });
});
