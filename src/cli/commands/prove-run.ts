/**
 * `tvm-trace prove run/ -o run.proof [--jobs N]`: every segment of a segmented run proved, N at
 * a time on this machine, into one bundle. Resumable: each segment's proof is kept in
 * run.proof.parts/ as it is made (atomically, by the prover), and a second run keeps every
 * part that is of its segment's circuit. The bundle appears only when every segment is proved.
 * A manifest-only run (export --manifest-only) is proved the same way, each segment made from
 * the manifest first; its bundle is byte for byte the one of the run with its files.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { isManifestOnly, readManifest, RunFormatError } from '../../check/run.js';
import { compileProgram } from '../../compiler/compile.js';
import { assemble } from '../../isa/assemble.js';
import { encodeBundle } from '../../prove/bundle.js';
import { buildCircuit, circuitBytes, type Statement } from '../../prove/circuit.js';
import {
  proofHeader,
  statementFromManifest,
  statementFromTrace,
  StatementError,
} from '../../prove/statement.js';
import {
  encodeSegmentJob,
  fileSha256,
  segmentFileName,
  segmentJob,
  type RunManifest,
  type SegmentEntry,
} from '../../trace/format/manifest.js';
import { proveOnRay } from '../ray.js';
import { TraceFormatError } from '../../trace/format/errors.js';
import { CliError, ExitCode } from '../errors.js';
import { writeFileAtomic } from '../io.js';
import type { Output } from '../options.js';
import { proverBinary, runProverOnCircuit } from '../prover.js';
import { withRegeneratedSegment } from './regenerated-segment.js';

export interface ProveRunArgs {
  trace: string;
  output: string;
  json: boolean;
  jobs?: number;
  ray?: string;
  'ray-node-ip'?: string;
}

interface Segment {
  readonly index: number;
  /** The segment's file; null for a manifest-only run, whose segments are made from their jobs. */
  readonly file: string | null;
  readonly part: string;
  readonly statement: Statement;
  readonly circuitSha256: string;
}

const badRun = (message: string) => new CliError('bad_run', message, ExitCode.BAD_INPUT);

/**
 * Peak RSS of one prover process on a segment of `rows` rows: measured 1,766 MiB at 2^18 and
 * 7,046 MiB at 2^20 (bench/RESULTS.md), about 7 KB a row past a fixed base.
 */
export function proverMemoryBytes(rows: number): number {
  const height = Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(1, rows))));
  return 7_050 * height + (64 << 20);
}

/**
 * The run's segments, each file the manifest's and of its program, with its statement. A run
 * with none of its files (export --manifest-only) is proved from its manifest: the statements
 * from it, each segment made from its job just before it is proved.
 */
async function segmentsOf(directory: string, manifest: RunManifest, parts: string, out: Output) {
  let compiled: ReturnType<typeof compileProgram>;
  try {
    compiled = compileProgram(assemble(manifest.program));
  } catch (error) {
    throw badRun(`${directory}: the manifest's program does not assemble: ${String(error)}`);
  }
  if (compiled.digest !== manifest.weightsSha256)
    throw badRun(`${directory}: the manifest's weights_sha256 is not its program's`);
  const manifestOnly = isManifestOnly(directory, manifest);
  if (manifestOnly)
    out.stderr(
      `${directory}: no segment files (a manifest-only export): each segment is made from the manifest before it is proved`,
    );
  const segments: Segment[] = [];
  for (const entry of manifest.segments) {
    const file = manifestOnly ? null : join(directory, entry.file);
    const statement =
      file === null
        ? manifestStatement(directory, manifest, entry.index, compiled)
        : await fileStatement(file, manifest, entry);
    segments.push({
      index: entry.index,
      file,
      part: join(parts, segmentFileName(entry.index, 'proof')),
      statement,
      circuitSha256: circuitBytes(buildCircuit(statement)).sha256,
    });
  }
  return segments;
}

/** Segment `index`'s statement from the manifest (a manifest-only run). */
function manifestStatement(
  directory: string,
  manifest: RunManifest,
  index: number,
  compiled: ReturnType<typeof compileProgram>,
): Statement {
  try {
    return statementFromManifest(manifest, index, compiled);
  } catch (error) {
    if (error instanceof StatementError)
      throw new CliError(
        'not_proved',
        `${directory}: segment ${index}: ${error.message}`,
        ExitCode.CONSTRAINT_FAILED,
      );
    throw error;
  }
}

/** The statement of a segment's file, once the file is found to be the manifest's `entry`. */
async function fileStatement(
  file: string,
  manifest: RunManifest,
  entry: SegmentEntry,
): Promise<Statement> {
  if (!existsSync(file)) throw badRun(`${file}: missing (the manifest lists it)`);
  const sha = fileSha256(file);
  if (sha !== entry.sha256)
    throw badRun(
      `${file}: not the manifest's segment ${entry.index} (SHA-256 ${sha.slice(0, 16)}…, the manifest says ${entry.sha256.slice(0, 16)}…)`,
    );
  let statement: Statement;
  try {
    statement = await statementFromTrace(file);
  } catch (error) {
    if (error instanceof TraceFormatError || error instanceof StatementError)
      throw new CliError(
        'not_proved',
        `${file}: ${error.message}`,
        error instanceof StatementError ? ExitCode.CONSTRAINT_FAILED : ExitCode.BAD_INPUT,
      );
    throw error;
  }
  if (statement.compiled.digest !== manifest.weightsSha256)
    throw badRun(`${file}: a segment of another program than the manifest's`);
  if (statement.segment?.index !== entry.index)
    throw badRun(`${file}: not segment ${entry.index} of a run`);
  return statement;
}

/** A part proved before is kept when it is a proof of this segment's circuit (its header says so; verify checks it). */
function provedBefore(segment: Segment): boolean {
  if (!existsSync(segment.part)) return false;
  try {
    const header = proofHeader(readFileSync(segment.part), segment.part);
    return header.circuit_sha256 === segment.circuitSha256;
  } catch {
    return false;
  }
}

export async function proveRunCommand(args: ProveRunArgs, out: Output): Promise<number> {
  proverBinary();
  let manifest: RunManifest;
  try {
    manifest = readManifest(args.trace);
  } catch (error) {
    if (error instanceof RunFormatError) throw badRun(error.message);
    throw error;
  }
  const parts = `${args.output}.parts`;
  const segments = await segmentsOf(args.trace, manifest, parts, out);
  mkdirSync(parts, { recursive: true });
  const pending = segments.filter((s) => {
    if (!provedBefore(s)) return true;
    out.stderr(`segment ${s.index}/${segments.length}: kept (proved before, ${s.part})`);
    return false;
  });
  const started = performance.now();
  try {
    if (args.ray !== undefined)
      await proveOnCluster(args.ray, args['ray-node-ip'], manifest, pending, parts, out);
    else await proveHere(args.jobs, manifest, pending, parts, out);
  } finally {
    // What was proved stays for the next run; a parts directory with nothing in it goes.
    rmSync(join(parts, 'jobs'), { recursive: true, force: true });
    if (readdirSync(parts).length === 0) rmSync(parts, { recursive: true, force: true });
  }
  for (const s of segments)
    if (!provedBefore(s))
      throw new CliError(
        'not_proved',
        `segment ${s.index}: its proof is missing or not of its circuit`,
        ExitCode.CONSTRAINT_FAILED,
      );
  const proofs = segments.map((s) => readFileSync(s.part));
  const bundle = encodeBundle({ manifest, proofs });
  writeFileAtomic(args.output, bundle);
  rmSync(parts, { recursive: true, force: true });
  const seconds = (performance.now() - started) / 1000;
  const summary = {
    proof: args.output,
    segments: segments.length,
    proved: pending.length,
    kept: segments.length - pending.length,
    bytes: bundle.length,
    seconds: Math.round(seconds * 100) / 100,
  };
  if (args.json) out.stdout(JSON.stringify(summary));
  else
    out.stdout(
      `wrote ${args.output}: ${summary.segments} segment proofs (${summary.proved} proved now, ${summary.kept} kept), ${summary.bytes} bytes, ${seconds.toFixed(1)} s`,
    );
  return ExitCode.OK;
}

const GiB = (bytes: number) => (bytes / 2 ** 30).toFixed(1);

/** The pending segments proved on this machine, `jobs` at a time (as many as its memory holds). */
async function proveHere(
  wantedJobs: number | undefined,
  manifest: RunManifest,
  pending: readonly Segment[],
  parts: string,
  out: Output,
): Promise<void> {
  const total = manifest.segments.length;
  const perProver = proverMemoryBytes(manifest.segmentRows);
  const fits = Math.floor(totalmem() / perProver);
  if (fits < 1)
    throw badRun(
      `a segment of ${manifest.segmentRows} rows needs about ${GiB(perProver)} GiB to prove, this machine has ${GiB(totalmem())} GiB: export with a smaller --segment-rows`,
    );
  const wanted = wantedJobs ?? availableParallelism();
  const jobs = Math.max(1, Math.min(wanted, fits, pending.length || 1));
  if (jobs < Math.min(wanted, pending.length))
    out.stderr(
      `proving ${jobs} segments at once, not ${wanted}: each needs about ${GiB(perProver)} GiB, this machine has ${GiB(totalmem())} GiB`,
    );
  let failure: CliError | null = null;
  let next = 0;
  let done = total - pending.length;
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      while (failure === null && next < pending.length) {
        const segment = pending[next++];
        const t0 = performance.now();
        const errors: string[] = [];
        let code: number;
        try {
          code = await withSegmentFile(manifest, segment, (file) =>
            runProverOnCircuit(
              segment.statement,
              (circuit) => ['prove', file, '--circuit', circuit, '-o', segment.part],
              { stdout: () => {}, stderr: (line) => errors.push(line) },
            ),
          );
        } catch (error) {
          if (!(error instanceof CliError)) throw error;
          failure ??= error;
          return;
        }
        if (code !== ExitCode.OK) {
          const line = errors.filter((e) => e.trim() !== '').pop() ?? `the prover exited ${code}`;
          failure ??= new CliError(
            code === ExitCode.INTERRUPTED ? 'interrupted' : 'not_proved',
            code === ExitCode.INTERRUPTED
              ? `interrupted; the ${done} segments proved so far are kept in ${parts}`
              : `segment ${segment.index}: ${line.replace(/^tvm-prove: /, '')}`,
            code,
          );
          return;
        }
        done++;
        out.stderr(
          `segment ${segment.index}/${total}: proved in ${((performance.now() - t0) / 1000).toFixed(1)} s (${done}/${total} done)`,
        );
      }
    }),
  );
  if (failure !== null) throw failure as CliError;
}

/** Run `use` on the segment's file: its own, or (manifest-only) one made from its job and removed after. */
function withSegmentFile<T>(
  manifest: RunManifest,
  segment: Segment,
  use: (file: string) => Promise<T>,
): Promise<T> {
  if (segment.file !== null) return use(segment.file);
  return withRegeneratedSegment(segmentJob(manifest, segment.index), use);
}

/**
 * The pending segments proved on a Ray cluster: a job each (the program and the segment's
 * initial state, a few hundred bytes), proved by `prove-segment` on whichever node runs it.
 */
async function proveOnCluster(
  address: string,
  nodeIp: string | undefined,
  manifest: RunManifest,
  pending: readonly Segment[],
  parts: string,
  out: Output,
): Promise<void> {
  if (pending.length === 0) return;
  const total = manifest.segments.length;
  const jobsDir = join(parts, 'jobs');
  mkdirSync(jobsDir, { recursive: true });
  const jobs = pending.map((s) => {
    const path = join(jobsDir, segmentFileName(s.index, 'json'));
    writeFileSync(path, encodeSegmentJob(segmentJob(manifest, s.index)));
    return path;
  });
  let done = total - pending.length;
  const shares: number[] = [];
  await proveOnRay(address, jobs, {
    outDir: parts,
    // The prover's, and the worker's Node process that makes the segment first.
    memoryBytes: proverMemoryBytes(manifest.segmentRows) + (256 << 20),
    ...(nodeIp === undefined ? {} : { nodeIp }),
    onSegment: (r) => {
      done++;
      // Ray's share: the scheduling gap, the task beyond the worker, the proof's way back.
      const overhead = r.schedule_gap_seconds + (r.task_seconds - r.seconds) + r.return_seconds;
      shares.push(overhead / r.seconds);
      out.stderr(
        `segment ${r.segment}/${total}: proved on ${r.node} in ${r.seconds.toFixed(1)} s, Ray overhead ${(overhead * 1000).toFixed(0)} ms (${done}/${total} done)`,
      );
    },
  });
  const sorted = [...shares].sort((a, b) => a - b);
  out.stderr(
    `ray: overhead per segment ${(100 * sorted[Math.floor(sorted.length / 2)]).toFixed(2)}% of its time (median), ${(100 * sorted[sorted.length - 1]).toFixed(2)}% at most`,
  );
}
