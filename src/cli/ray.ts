/**
 * The bridge to a Ray cluster (cluster/tvm_ray, run with .venv-ray's Python): segment jobs in,
 * each segment's proof written to the parts directory as it arrives, a progress line each.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError, ExitCode } from './errors.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What the driver says of one segment it received (cluster/tvm_ray/__main__.py). */
export interface RaySegment {
  segment: number;
  node: string;
  seconds: number;
  prove_seconds: number | null;
  task_seconds: number;
  schedule_gap_seconds: number;
  return_seconds: number;
  bytes: number;
}

/** .venv-ray's Python ($TVM_RAY_PYTHON if set), or a one-line error that says how to get it. */
export function rayPython(): string {
  const python = process.env.TVM_RAY_PYTHON ?? `${PACKAGE_ROOT}.venv-ray/bin/python`;
  if (!existsSync(python))
    throw new CliError(
      'ray_missing',
      `Ray is not installed here (${python} is missing): run \`npm run setup:ray\` (a Python venv with cluster/requirements.txt, ray 2.60.0 from PyPI)`,
      ExitCode.BAD_INPUT,
    );
  return python;
}

/**
 * Prove the segments of `jobs` (job files named segment-NNNNN.json) on the cluster at
 * `address`, proofs into `outDir`; `onSegment` sees each as it arrives.
 */
export function proveOnRay(
  address: string,
  jobs: readonly string[],
  options: {
    outDir: string;
    memoryBytes: number;
    nodeIp?: string;
    onSegment(segment: RaySegment): void;
  },
): Promise<void> {
  const python = rayPython();
  const args = [
    '-m',
    'tvm_ray',
    '--address',
    address,
    '--repo',
    PACKAGE_ROOT,
    '--node',
    process.env.TVM_RAY_NODE ?? 'node',
    '--out-dir',
    options.outDir,
    '--memory-bytes',
    String(options.memoryBytes),
    ...(options.nodeIp === undefined ? [] : ['--node-ip-address', options.nodeIp]),
    ...jobs,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      cwd: `${PACKAGE_ROOT}cluster`,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RAY_USAGE_STATS_ENABLED: '0', PYTHONUNBUFFERED: '1' },
    });
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        let segment: RaySegment;
        try {
          segment = JSON.parse(line) as RaySegment;
        } catch {
          continue; // a line that is not the driver's (Ray's own output)
        }
        options.onSegment(segment);
      }
    });
    let lastError = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      for (const line of chunk.split('\n'))
        if (line.startsWith('tvm-ray: ')) lastError = line.slice('tvm-ray: '.length);
    });
    child.on('error', (error) =>
      reject(
        new CliError('ray_failed', `cannot run ${python}: ${error.message}`, ExitCode.BAD_INPUT),
      ),
    );
    child.on('close', (code) => {
      if (code === 0) return resolve();
      const exit =
        code === ExitCode.CONSTRAINT_FAILED || code === ExitCode.INTERRUPTED
          ? code
          : ExitCode.BAD_INPUT;
      reject(
        new CliError(
          exit === ExitCode.INTERRUPTED ? 'interrupted' : 'ray_failed',
          lastError === '' ? `the Ray driver exited ${code}` : lastError,
          exit,
        ),
      );
    });
  });
}
