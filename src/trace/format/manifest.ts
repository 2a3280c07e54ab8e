/**
 * A segmented run's manifest (run/manifest.json): the program, the run's parameters and, per
 * segment, its file, the file's SHA-256 and its boundary states. A segment job is one entry
 * with what a worker needs to regenerate that segment from its initial state alone.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { MAX_TRACE_FF_DIM } from '../../air/columns.js';
import { COMPRESSIONS, type Compression } from './codecs.js';
import { claimJson, MetadataError, parseClaim, parseSegment, type Claim } from './metadata.js';

export const MANIFEST_VERSION = 'tvm-trace/segments/v1';
export const MANIFEST_FILE = 'manifest.json';
export const SEGMENT_JOB_VERSION = 'tvm-trace/segment-job/v1';

/** One segment of the run: its file and boundary states (states in the claim's JSON form). */
export interface SegmentEntry {
  readonly index: number;
  readonly file: string;
  readonly sha256: string;
  readonly initial: Claim;
  readonly final: Claim;
}

export interface RunManifest {
  readonly program: string;
  readonly weightsSha256: string;
  readonly ffDim: number;
  readonly maxSteps: number;
  readonly segmentRows: number;
  readonly compression: Compression;
  readonly segments: readonly SegmentEntry[];
}

/** What a worker needs to make and prove one segment: the run's parameters and the segment's start. */
export interface SegmentJob {
  readonly program: string;
  readonly maxSteps: number;
  readonly ffDim: number;
  readonly segmentRows: number;
  readonly compression: Compression;
  readonly index: number;
  readonly initial: Claim;
  /** The SHA-256 the regenerated segment file must have (the exporter's is deterministic). */
  readonly sha256: string;
}

/** The name of segment `index`'s file: its trace (.arrow), or its job (.json) or proof (.proof). */
export function segmentFileName(index: number, extension = 'arrow'): string {
  return `segment-${String(index).padStart(5, '0')}.${extension}`;
}

export function encodeManifest(manifest: RunManifest): string {
  const doc = {
    format: MANIFEST_VERSION,
    program: manifest.program,
    weights_sha256: manifest.weightsSha256,
    ff_dim: manifest.ffDim,
    max_steps: manifest.maxSteps,
    segment_rows: manifest.segmentRows,
    compression: manifest.compression,
    segments: manifest.segments.map((s) => ({
      index: s.index,
      file: s.file,
      sha256: s.sha256,
      initial: claimJson(s.initial),
      final: claimJson(s.final),
    })),
  };
  // One line per segment: a long run's manifest stays a line per segment, greppable.
  const { segments, ...head } = doc;
  const top = JSON.stringify(head, null, 1).replace(/\n}$/, '');
  return `${top},\n "segments": [\n${segments.map((entry) => `  ${JSON.stringify(entry)}`).join(',\n')}\n ]\n}\n`;
}

export function segmentJob(manifest: RunManifest, index: number): SegmentJob {
  const s = manifest.segments[index];
  return {
    program: manifest.program,
    maxSteps: manifest.maxSteps,
    ffDim: manifest.ffDim,
    segmentRows: manifest.segmentRows,
    compression: manifest.compression,
    index,
    initial: s.initial,
    sha256: s.sha256,
  };
}

export function encodeSegmentJob(job: SegmentJob): string {
  return JSON.stringify({
    format: SEGMENT_JOB_VERSION,
    program: job.program,
    max_steps: job.maxSteps,
    ff_dim: job.ffDim,
    segment_rows: job.segmentRows,
    compression: job.compression,
    index: job.index,
    initial: claimJson(job.initial),
    sha256: job.sha256,
  });
}

/** A manifest or job that is not well formed: the message says where. */
export class ManifestError extends Error {}

type Doc = Record<string, unknown>;

function object(value: unknown, where: string): Doc {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ManifestError(`${where}: not a JSON object`);
  return value as Doc;
}

function int(doc: Doc, key: string, min: number, max: number, where: string): number {
  const v = doc[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw new ManifestError(`${where}: '${key}' must be an integer in ${min}..${max}`);
  return v;
}

function text(doc: Doc, key: string, where: string): string {
  const v = doc[key];
  if (typeof v !== 'string') throw new ManifestError(`${where}: '${key}' must be a string`);
  return v;
}

function sha(doc: Doc, key: string, where: string): string {
  const v = text(doc, key, where);
  if (!/^[0-9a-f]{64}$/.test(v))
    throw new ManifestError(`${where}: '${key}' is not a SHA-256 hex digest`);
  return v;
}

function compression(doc: Doc, where: string): Compression {
  const v = doc.compression;
  if (!(COMPRESSIONS as readonly unknown[]).includes(v))
    throw new ManifestError(`${where}: 'compression' must be one of ${COMPRESSIONS.join(', ')}`);
  return v as Compression;
}

function state(value: unknown, memorySize: number, where: string): Claim {
  try {
    return parseClaim(value, memorySize, where);
  } catch (error) {
    if (error instanceof MetadataError) throw new ManifestError(error.message);
    throw error;
  }
}

function json(source: string, where: string): Doc {
  try {
    return object(JSON.parse(source), where);
  } catch (error) {
    if (error instanceof ManifestError) throw error;
    throw new ManifestError(`${where}: not valid JSON`);
  }
}

/** The memory size a state's JSON has (the manifest carries the program's text, not its size). */
function memorySizeOf(value: unknown, where: string): number {
  const memory = (value as Doc | null)?.memory;
  if (!Array.isArray(memory) || memory.length > 255)
    throw new ManifestError(`${where}: 'memory' must be a list of at most 255 cells`);
  return memory.length;
}

/** Parse run/manifest.json. Its shape only: whether the states chain and the files match is check's. */
export function parseManifest(source: string, where: string): RunManifest {
  const doc = json(source, where);
  if (doc.format !== MANIFEST_VERSION)
    throw new ManifestError(
      `${where}: not a ${MANIFEST_VERSION} manifest (format '${String(doc.format).slice(0, 40)}')`,
    );
  const segmentRows = int(doc, 'segment_rows', 1, 2 ** 29, where);
  if ((segmentRows & (segmentRows - 1)) !== 0)
    throw new ManifestError(`${where}: 'segment_rows' ${segmentRows} is not a power of two`);
  const list = doc.segments;
  if (!Array.isArray(list) || list.length === 0)
    throw new ManifestError(`${where}: 'segments' must be a non-empty list`);
  const segments = list.map((value, i): SegmentEntry => {
    const at = `${where}: segments[${i}]`;
    const s = object(value, at);
    const n = memorySizeOf(s.initial, `${at}.initial`);
    const file = text(s, 'file', at);
    if (file !== segmentFileName(i))
      throw new ManifestError(`${at}: 'file' must be ${segmentFileName(i)}`);
    return {
      index: int(s, 'index', i, i, at),
      file,
      sha256: sha(s, 'sha256', at),
      initial: state(s.initial, n, `${at}.initial`),
      final: state(s.final, n, `${at}.final`),
    };
  });
  return {
    program: text(doc, 'program', where),
    weightsSha256: sha(doc, 'weights_sha256', where),
    ffDim: int(doc, 'ff_dim', 1, MAX_TRACE_FF_DIM, where),
    maxSteps: int(doc, 'max_steps', 1, 2 ** 30, where),
    segmentRows,
    compression: compression(doc, where),
    segments,
  };
}

/** Parse a segment job (the worker's input). */
export function parseSegmentJob(source: string, where: string): SegmentJob {
  const doc = json(source, where);
  if (doc.format !== SEGMENT_JOB_VERSION)
    throw new ManifestError(`${where}: not a ${SEGMENT_JOB_VERSION} job`);
  const n = memorySizeOf(doc.initial, `${where}.initial`);
  const segmentRows = int(doc, 'segment_rows', 1, 2 ** 29, where);
  const index = int(doc, 'index', 0, 2 ** 30, where);
  let position;
  try {
    position = parseSegment({ index, rows: segmentRows, initial: doc.initial }, n, where);
  } catch (error) {
    if (error instanceof MetadataError) throw new ManifestError(error.message);
    throw error;
  }
  return {
    program: text(doc, 'program', where),
    maxSteps: int(doc, 'max_steps', 1, 2 ** 30, where),
    ffDim: int(doc, 'ff_dim', 1, MAX_TRACE_FF_DIM, where),
    segmentRows: position.rows,
    compression: compression(doc, where),
    index,
    initial: position.initial,
    sha256: sha(doc, 'sha256', where),
  };
}

/** SHA-256 (hex) of a file, read in chunks. */
export function fileSha256(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      hash.update(chunk.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}
