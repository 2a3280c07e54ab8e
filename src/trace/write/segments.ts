/**
 * A run exported as segments: one trace file per `segmentRows` steps and a manifest, written
 * in one streaming pass (each segment starts from the state the one before ended in, so memory
 * stays that of one segment), into a temporary directory renamed onto the target at the end.
 * A worker regenerates any one segment from its initial state alone (regenerateSegment).
 * With `keepFiles: false` only the manifest is kept: each file is written, hashed and removed,
 * so a run of 2^30 steps needs one segment's disk, not the whole run's (~120 GB).
 */
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileProgram } from '../../compiler/compile.js';
import { assemble } from '../../isa/assemble.js';
import { printProgram } from '../../isa/print.js';
import type { Program } from '../../isa/program.js';
import { NativeMachine } from '../../runtime/native/interpreter.js';
import type { MachineSnapshot } from '../../runtime/state.js';
import { loadCodecs } from '../format/codecs.js';
import {
  encodeManifest,
  fileSha256,
  MANIFEST_FILE,
  segmentFileName,
  type RunManifest,
  type SegmentEntry,
  type SegmentJob,
} from '../format/manifest.js';
import { claimOf } from '../format/metadata.js';
import { exportTraceInterruptible, type ExportOptions, type ExportResult } from './export.js';

export interface SegmentedExportOptions extends Omit<ExportOptions, 'segment' | 'beforeRename'> {
  readonly segmentRows: number;
  /** false: write only manifest.json (each segment's SHA-256 still in it). Default true. */
  readonly keepFiles?: boolean;
  /** Called after each segment file is written (progress). */
  readonly onSegment?: (entry: SegmentEntry, result: ExportResult) => void;
}

/**
 * Export `program`'s run into `directory`: manifest.json and segment-NNNNN.arrow per
 * segmentRows steps (the last may be shorter, or halt). The directory appears only when
 * whole: a failure or an interrupt leaves what was there before untouched.
 */
export async function exportSegments(
  program: Program,
  directory: string,
  options: SegmentedExportOptions,
  signal?: AbortSignal,
): Promise<RunManifest> {
  const { segmentRows, onSegment, keepFiles = true, ...exportOptions } = options;
  if ((exportOptions.compression ?? 'none') !== 'none') await loadCodecs();
  const compiled = compileProgram(program);
  const ffDim = exportOptions.ffDim ?? Math.max(1, compiled.minFfDim);
  const temp = `${directory}.${process.pid}.partial`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  try {
    const segments: SegmentEntry[] = [];
    let initial: MachineSnapshot = new NativeMachine(program).snapshot();
    for (let index = 0; ; index++) {
      const file = segmentFileName(index);
      const result = await exportTraceInterruptible(
        program,
        join(temp, file),
        {
          ...exportOptions,
          ffDim,
          segment: { index, rows: segmentRows, initial: claimOf(initial) },
        },
        signal,
      );
      const final = result.metadata.claim;
      const entry: SegmentEntry = {
        index,
        file,
        sha256: fileSha256(join(temp, file)),
        initial: claimOf(initial),
        final,
      };
      if (!keepFiles) rmSync(join(temp, file));
      segments.push(entry);
      onSegment?.(entry, result);
      if (final.halted || final.fault !== null || final.steps >= exportOptions.maxSteps) break;
      initial = final;
    }
    const manifest: RunManifest = {
      program: printProgram(program),
      weightsSha256: compiled.digest,
      ffDim,
      maxSteps: exportOptions.maxSteps,
      segmentRows,
      compression: exportOptions.compression ?? 'none',
      segments,
    };
    writeFileSync(join(temp, MANIFEST_FILE), encodeManifest(manifest));
    replaceDirectory(temp, directory);
    return manifest;
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Put `from` (a complete directory) where `target` is: an existing target is moved aside first
 * and removed only once the new one is in place.
 */
function replaceDirectory(from: string, target: string): void {
  if (!existsSync(target)) {
    renameSync(from, target);
    return;
  }
  if (!statSync(target).isDirectory()) throw new Error(`${target} exists and is not a directory`);
  const aside = `${target}.${process.pid}.old`;
  renameSync(target, aside);
  try {
    renameSync(from, target);
  } catch (error) {
    renameSync(aside, target);
    throw error;
  }
  rmSync(aside, { recursive: true, force: true });
}

/** A regenerated segment is not the one its job names (another SHA-256). */
export class SegmentMismatchError extends Error {}

/**
 * Regenerate one segment from a job (its initial state, not the run's earlier files) at
 * `target`, and check it is the manifest's: the exporter is deterministic, so its SHA-256 must
 * be the job's (else SegmentMismatchError).
 */
export async function regenerateSegment(
  job: SegmentJob,
  target: string,
  signal?: AbortSignal,
): Promise<ExportResult> {
  const program = assemble(job.program);
  const result = await exportTraceInterruptible(
    program,
    target,
    {
      maxSteps: job.maxSteps,
      ffDim: job.ffDim,
      compression: job.compression,
      segment: { index: job.index, rows: job.segmentRows, initial: job.initial },
    },
    signal,
  );
  const sha = fileSha256(target);
  if (sha !== job.sha256)
    throw new SegmentMismatchError(
      `segment ${job.index}: the regenerated segment is not the manifest's (SHA-256 ${sha.slice(0, 16)}…, the manifest's ${job.sha256.slice(0, 16)}…)`,
    );
  return result;
}
