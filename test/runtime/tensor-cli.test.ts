import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { probeTfjsNode } from '../../src/runtime/tensor/backend.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI in a fresh process (through tsx), so tfjs loads from scratch and any banner would show. */
function spawnCli(...argv: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('run --engine tensor', () => {
  it.each(['cpu', 'wasm'])(
    '--backend %s prints the final state and the backend, and nothing from tfjs',
    (backend) => {
      const { code, stdout, stderr } = spawnCli(
        'run',
        'programs/fibonacci.tvm',
        '--engine',
        'tensor',
        '--backend',
        backend,
      );
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(stdout).toContain(`engine: tensor(${backend})`);
      expect(stdout).toContain('steps: 103');
      expect(stdout).toContain('memory: [13, 21, 21, 7, 7]');
      expect(stdout).not.toMatch(/tfjs-node|TensorFlow|=====/);
    },
  );

  it('--backend tensorflow without tfjs-node: one line on stderr, exit 64, no stack trace', async () => {
    if ((await probeTfjsNode()) === null) return; // tfjs-node works here: nothing to refuse
    const { code, stdout, stderr } = spawnCli(
      'run',
      'programs/fibonacci.tvm',
      '--engine',
      'tensor',
      '--backend',
      'tensorflow',
    );
    expect(code).toBe(64);
    expect(stdout).toBe('');
    expect(stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        /^tvm-trace: tensor backend 'tensorflow' is unavailable: @tensorflow\/tfjs-node .*; use --backend cpu or wasm$/,
      ),
    ]);
  });

  it('--json reports the engine with its backend; auto picks cpu without tfjs-node', async () => {
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
    const auto = (await probeTfjsNode()) === null ? 'tensorflow' : 'cpu';
    expect(record).toMatchObject({ engine: `tensor(${auto})`, acc: 120, halted: true, steps: 40 });
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
