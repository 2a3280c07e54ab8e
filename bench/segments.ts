/**
 * Segmented proving (issue 18): long_loop (or --program) cut into segments of 2^18 rows, exported, checked,
 * proved with --jobs 1 and --jobs 2 (and through a 2-node Ray cluster on loopback when
 * `--ray HOST:PORT` names one), the bundle verified. Every prover process runs under
 * /usr/bin/time (TVM_PROVE points to a wrapper), so the figures are each process's own: peak
 * RSS, wall and CPU seconds. Baseline: one 2^18-row proof (a one-segment run).
 *   npm run bench:segments [-- --log-rows 22 --log-segment 18 --jobs 1,2 --ray 127.0.0.2:6390]
 *     [--program programs/long_loop.tvm]  (infinite_loop.tvm for runs past long_loop's 10,006,001 steps)
 * Goals: peak RSS of any process ≤ 3 GiB; CPU per proven row within 10% of one 2^18 proof's;
 * verify ≤ 50 ms and ≤ 600 KB per segment; Ray overhead ≤ 2% of a segment's proving time.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeSegmentJob, parseManifest, segmentJob } from '../src/trace/format/manifest.js';
import { RAY_ENV, RayCluster } from '../test/support/ray-cluster.js';

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const logRows = Number(flag('--log-rows', '22'));
const logSegment = Number(flag('--log-segment', '18'));
const jobsList = flag('--jobs', '1,2').split(',').filter(Boolean).map(Number);
const ray = flag('--ray', '');
const keep = process.argv.includes('--keep');
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const prover = process.env.TVM_PROVE ?? join(root, 'prover/target/release/tvm-prove');
const directory = mkdtempSync(join(tmpdir(), 'tvm-bench-segments-'));
const proverLog = join(directory, 'prover-times.log');
const wrapper = join(directory, 'timed-prove.sh');
writeFileSync(
  wrapper,
  `#!/bin/sh\nexec /usr/bin/time -a -o ${proverLog} -f '%M %e %U %S' ${prover} "$@"\n`,
);
chmodSync(wrapper, 0o755);

interface Timed {
  seconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
  stdout: string;
  stderr: string;
}

/** `tvm-trace ARGS` under /usr/bin/time, the prover through the timing wrapper; throws unless exit 0. */
function tvm(args: string[]): Timed {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', process.execPath, cli, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    env: { ...process.env, ...RAY_ENV, TVM_PROVE: wrapper },
  });
  const lines = result.stderr.trim().split('\n');
  const [seconds, kib, user, sys] = (lines.pop() ?? '').split(' ').map(Number);
  if (result.status !== 0)
    throw new Error(`tvm-trace ${args.join(' ')}: exit ${result.status}: ${lines.at(-1)}`);
  return {
    seconds,
    cpuSeconds: user + sys,
    maxRssMiB: kib / 1024,
    stdout: result.stdout,
    stderr: lines.join('\n'),
  };
}

/** The prover processes timed since the log was last read: peak RSS (MiB), wall and CPU seconds. */
function proverTimes(): Array<{ maxRssMiB: number; seconds: number; cpuSeconds: number }> {
  let text: string;
  try {
    text = readFileSync(proverLog, 'utf8');
  } catch {
    return [];
  }
  rmSync(proverLog);
  return text
    .trim()
    .split('\n')
    .filter((line) => /^\d+ [\d.]+ [\d.]+ [\d.]+$/.test(line))
    .map((line) => {
      const [kib, seconds, user, sys] = line.split(' ').map(Number);
      return { maxRssMiB: kib / 1024, seconds, cpuSeconds: user + sys };
    });
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
const max = (values: number[]) => values.reduce((a, b) => Math.max(a, b), 0);
const program = join(root, flag('--program', 'programs/long_loop.tvm'));
const figures: Record<string, unknown> = {
  machine: `${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}`,
};

function section(name: string, data: Record<string, unknown>) {
  figures[name] = data;
  console.log(`${name}: ${JSON.stringify(data)}`);
}

try {
  // Baseline: one proof of 2^logSegment rows (a one-segment run).
  const segmentRows = 2 ** logSegment;
  const one = join(directory, 'one');
  tvm([
    'export',
    program,
    '--max-steps',
    String(segmentRows),
    '--segment-rows',
    String(segmentRows),
    '-o',
    one,
    '--quiet',
  ]);
  proverTimes();
  const oneProof = tvm(['prove', one, '-o', join(directory, 'one.proof'), '--jobs', '1']);
  const [single] = proverTimes();
  section('single segment', {
    rows: segmentRows,
    wall_s: oneProof.seconds,
    prover_rss_mib: Math.round(single.maxRssMiB),
    prover_cpu_s: single.cpuSeconds,
    cpu_us_per_row: (single.cpuSeconds / segmentRows) * 1e6,
  });

  // The long run: export, check, prove with each --jobs, verify.
  const maxSteps = 2 ** logRows;
  const run = join(directory, 'run');
  const exported = tvm([
    'export',
    program,
    '--max-steps',
    String(maxSteps),
    '--segment-rows',
    String(segmentRows),
    '-o',
    run,
    '--claim',
    join(directory, 'run.claim'),
    '--quiet',
  ]);
  const manifest = parseManifest(readFileSync(join(run, 'manifest.json'), 'utf8'), 'manifest');
  const segmentBytes = statSync(join(run, manifest.segments[1].file)).size;
  // The run may halt before max_steps (long_loop halts after 10,0xx,xxx steps): count what it has.
  const segments = manifest.segments.length;
  const rows = manifest.segments[segments - 1].final.steps;
  section('export', {
    max_steps: maxSteps,
    rows,
    segments,
    wall_s: exported.seconds,
    rss_mib: Math.round(exported.maxRssMiB),
    segment_file_bytes: segmentBytes,
  });
  const checked = tvm(['check', run]);
  section('check run/', {
    wall_s: checked.seconds,
    rss_mib: Math.round(checked.maxRssMiB),
    rows_per_s: Math.round(rows / checked.seconds),
  });

  // What a cluster ships per segment: a job (and the worker makes the segment), or the file.
  const parsed = parseManifest(readFileSync(join(run, 'manifest.json'), 'utf8'), 'manifest');
  const jobPath = join(directory, 'job-1.json');
  writeFileSync(jobPath, encodeSegmentJob(segmentJob(parsed, 1)));
  const worker = tvm(['prove-segment', jobPath, '-o', join(directory, 'job-1.proof')]);
  const made = JSON.parse(worker.stdout.trim().split('\n').pop()!) as {
    export_seconds: number;
    prove_seconds: number;
  };
  proverTimes();
  section('shipping', {
    job_bytes: statSync(jobPath).size,
    segment_file_bytes: segmentBytes,
    worker_export_s: made.export_seconds,
    worker_prove_s: made.prove_seconds,
  });
  const bundlePath = join(directory, 'run.proof');
  for (const jobs of jobsList) {
    rmSync(bundlePath, { force: true });
    proverTimes();
    const proved = tvm(['prove', run, '-o', bundlePath, '--jobs', String(jobs)]);
    const provers = proverTimes();
    section(`prove --jobs ${jobs}`, {
      segments: provers.length,
      wall_s: proved.seconds,
      driver_rss_mib: Math.round(proved.maxRssMiB),
      peak_prover_rss_mib: Math.round(max(provers.map((p) => p.maxRssMiB))),
      cpu_us_per_row: (sum(provers.map((p) => p.cpuSeconds)) / rows) * 1e6,
      median_segment_s: [...provers.map((p) => p.seconds)].sort((a, b) => a - b)[
        Math.floor(provers.length / 2)
      ],
    });
  }
  if (ray !== '') {
    rmSync(bundlePath, { force: true });
    proverTimes();
    // `--ray auto`: a two-node cluster on loopback (127.0.0.2, 127.0.0.3) for the run.
    // Its workers inherit TVM_PROVE from the raylets, so their provers are timed too.
    process.env.TVM_PROVE = wrapper;
    const cluster = ray === 'auto' ? RayCluster.start(['127.0.0.2', '127.0.0.3']) : null;
    let proved: Timed;
    try {
      proved = tvm([
        'prove',
        run,
        '-o',
        bundlePath,
        '--ray',
        cluster?.address ?? ray,
        ...(cluster === null ? [] : ['--ray-node-ip', '127.0.0.2']),
      ]);
    } finally {
      cluster?.stop();
    }
    const provers = proverTimes();
    section('prove --ray', {
      address: ray,
      wall_s: proved.seconds,
      driver_rss_mib: Math.round(proved.maxRssMiB),
      peak_prover_rss_mib: Math.round(max(provers.map((p) => p.maxRssMiB))),
      cpu_us_per_row: (sum(provers.map((p) => p.cpuSeconds)) / rows) * 1e6,
      overhead: proved.stderr.split('\n').filter((line) => line.startsWith('ray: ')),
    });
  }
  const verified = tvm([
    'verify',
    bundlePath,
    '--program',
    program,
    '--claim',
    join(directory, 'run.claim'),
  ]);
  section('verify', {
    wall_s: verified.seconds,
    ms_per_segment: (verified.seconds * 1000) / segments,
    bundle_bytes: statSync(bundlePath).size,
    bytes_per_segment: Math.round(statSync(bundlePath).size / segments),
  });
  writeFileSync(
    join(root, 'bench', 'out', `segments-2^${logRows}.json`),
    `${JSON.stringify(figures, null, 2)}\n`,
  );
} finally {
  if (!keep) rmSync(directory, { recursive: true, force: true });
  else console.log(`kept ${directory}`);
}
