/**
 * `check run/`: a segmented run checked whole — every segment file against its own boundary
 * states (checkTrace, on worker threads, several at once), each file against the manifest
 * (SHA-256, states), and the chain between the files' states (chain.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { compileProgram } from '../compiler/compile.js';
import { assemble } from '../isa/assemble.js';
import { printProgram } from '../isa/print.js';
import type { Program } from '../isa/program.js';
import { MANIFEST_FILE, parseManifest, type RunManifest } from '../trace/format/manifest.js';
import { siblingModule, startModuleWorker } from '../trace/write/worker-thread.js';
import { chainFailures, stateDifference, type ChainFailure } from './chain.js';
import type { CheckField, CheckReport } from './check.js';
import type { RunWorkerReply, RunWorkerRequest } from './run-worker.js';

export interface RunCheckOptions {
  readonly program?: Program;
  readonly field?: CheckField;
  readonly maxFailures?: number;
  /** Segments checked at once (worker threads); default: the cores. */
  readonly jobs?: number;
  /** Called as each segment's check ends (progress). */
  readonly onSegment?: (index: number, report: CheckReport | null) => void;
}

export interface SegmentCheck {
  readonly index: number;
  readonly file: string;
  /** The file's check; null when it could not be read (its problem is a run.segments failure). */
  readonly report: CheckReport | null;
}

export interface RunReport {
  readonly ok: boolean;
  readonly manifest: RunManifest;
  readonly rows: number;
  readonly segments: readonly SegmentCheck[];
  /** The run's own failures: files against the manifest, and the chain. */
  readonly run: readonly ChainFailure[];
}

/** The directory holds no readable manifest: the run cannot be checked at all. */
export class RunFormatError extends Error {}

export function readManifest(directory: string): RunManifest {
  const path = join(directory, MANIFEST_FILE);
  if (!existsSync(path))
    throw new RunFormatError(
      `${directory}: a directory without ${MANIFEST_FILE}: neither a trace nor a segmented run`,
    );
  try {
    return parseManifest(readFileSync(path, 'utf8'), path);
  } catch (error) {
    throw new RunFormatError(error instanceof Error ? error.message : String(error));
  }
}

/** The run was exported with --manifest-only: none of its segment files is there. */
export function isManifestOnly(directory: string, manifest: RunManifest): boolean {
  return manifest.segments.every((entry) => !existsSync(join(directory, entry.file)));
}

export async function checkRun(
  directory: string,
  options: RunCheckOptions = {},
): Promise<RunReport> {
  const manifest = readManifest(directory);
  const run: ChainFailure[] = [];
  let program: Program;
  try {
    program = assemble(manifest.program);
  } catch (error) {
    throw new RunFormatError(
      `${join(directory, MANIFEST_FILE)}: its program does not assemble: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const reference = options.program ?? program;
  if (printProgram(reference) !== manifest.program)
    run.push({
      constraint: 'run.segments',
      segment: null,
      message: 'the manifest is of another program than the one given with --program',
    });
  const digest = compileProgram(reference).digest;
  if (isManifestOnly(directory, manifest))
    throw new RunFormatError(
      `${directory}: no segment files (a manifest-only export): nothing to check here; \`prove\` makes each segment from the manifest, or export without --manifest-only`,
    );
  // Files first (hashed on the workers, beside the checks): a file that is not the manifest's
  // is not checked further. The failures come in segment order, whichever worker ends first.
  const present: number[] = [];
  const fileFailures: Array<string | null> = manifest.segments.map(() => null);
  for (const entry of manifest.segments) {
    if (existsSync(join(directory, entry.file))) present.push(entry.index);
    else fileFailures[entry.index] = `${entry.file} is missing`;
  }
  const reports = await checkFiles(
    present.map((i) => ({
      path: join(directory, manifest.segments[i].file),
      sha256: manifest.segments[i].sha256,
    })),
    printProgram(reference),
    options,
    (k, report) => options.onSegment?.(present[k], report),
    (k, problem) => {
      const entry = manifest.segments[present[k]];
      fileFailures[entry.index] =
        'sha256' in problem
          ? `${entry.file} is not the manifest's: its SHA-256 is ${problem.sha256.slice(0, 16)}…, the manifest says ${entry.sha256.slice(0, 16)}…`
          : `${entry.file}: ${problem.message}`;
    },
  );
  fileFailures.forEach((message, index) => {
    if (message !== null) run.push({ constraint: 'run.segments', segment: index, message });
  });
  const segments: SegmentCheck[] = manifest.segments.map((entry) => ({
    index: entry.index,
    file: entry.file,
    report: null,
  }));
  present.forEach((index, k) => {
    (segments[index] as { report: CheckReport | null }).report = reports[k];
  });
  // The chain over the files' own states (their checks bind them to the rows); the manifest
  // must say the same, so that what it says of a run is true.
  const chain = [];
  for (const s of segments) {
    const meta = s.report?.metadata;
    if (meta === undefined) continue;
    if (meta.segment === undefined) {
      run.push({
        constraint: 'run.segments',
        segment: s.index,
        message: `${s.file} is a whole run's trace, not a segment`,
      });
      continue;
    }
    const entry = manifest.segments[s.index];
    for (const [which, fromFile, fromManifest] of [
      ['initial', meta.segment.initial, entry.initial],
      ['final', meta.claim, entry.final],
    ] as const) {
      const d = stateDifference(fromFile, fromManifest);
      if (d !== null)
        run.push({
          constraint: 'run.segments',
          segment: s.index,
          message: `the manifest's ${which} state of segment ${s.index} is not its file's: ${d.field} ${d.right} in the manifest, ${d.left} in ${s.file}`,
        });
    }
    if (
      meta.segment.rows !== manifest.segmentRows ||
      meta.maxSteps !== manifest.maxSteps ||
      meta.ffDim !== manifest.ffDim
    )
      run.push({
        constraint: 'run.segments',
        segment: s.index,
        message: `${s.file} has segment rows ${meta.segment.rows}, max_steps ${meta.maxSteps}, ff_dim ${meta.ffDim}; the manifest ${manifest.segmentRows}, ${manifest.maxSteps}, ${manifest.ffDim}`,
      });
    chain.push({
      index: meta.segment.index,
      segmentRows: meta.segment.rows,
      weightsSha256: meta.weightsSha256,
      ffDim: meta.ffDim,
      maxSteps: meta.maxSteps,
      initial: meta.segment.initial,
      final: meta.claim,
    });
  }
  if (chain.length === manifest.segments.length)
    run.push(...chainFailures(reference, digest, chain));
  const rows = segments.reduce((sum, s) => sum + (s.report?.rows ?? 0), 0);
  return {
    ok: run.length === 0 && segments.every((s) => s.report?.ok === true),
    manifest,
    rows,
    segments,
    run,
  };
}

/**
 * checkTrace of each file on `jobs` worker threads, after its SHA-256 is found to be the one
 * given; reports in the files' order (null for a file that is another or unreadable).
 */
async function checkFiles(
  files: ReadonlyArray<{ readonly path: string; readonly sha256: string }>,
  program: string,
  options: RunCheckOptions,
  onDone: (k: number, report: CheckReport | null) => void,
  onProblem: (k: number, problem: { sha256: string } | { message: string }) => void,
): Promise<Array<CheckReport | null>> {
  const reports: Array<CheckReport | null> = files.map(() => null);
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), files.length));
  const workers: Worker[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: files.length === 0 ? 0 : jobs }, async () => {
        const worker = startModuleWorker(siblingModule(import.meta.url, 'run-worker'), null);
        workers.push(worker);
        while (next < files.length) {
          const k = next++;
          const request: RunWorkerRequest = {
            path: files[k].path,
            sha256: files[k].sha256,
            program,
            ...(options.field === undefined ? {} : { field: options.field }),
            maxFailures: options.maxFailures ?? 10,
          };
          const reply = await new Promise<RunWorkerReply>((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
            worker.postMessage(request);
          });
          worker.removeAllListeners('error');
          if (reply.kind === 'checked') reports[k] = reply.report;
          else if (reply.kind === 'other_file') onProblem(k, { sha256: reply.sha256 });
          else onProblem(k, { message: reply.message });
          onDone(k, reports[k]);
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return reports;
}
