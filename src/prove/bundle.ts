/**
 * A segmented run's proof bundle: a text line naming the format, one JSON header line (the
 * run's manifest as exported, and each segment proof's byte length and SHA-256) and the
 * segment proofs (each a tvm-trace proof file) back to back. The manifest is for readers:
 * a verifier takes every boundary state from the proofs themselves.
 */
import { createHash } from 'node:crypto';
import { encodeManifest, parseManifest, type RunManifest } from '../trace/format/manifest.js';
import { StatementError } from './statement.js';

const BUNDLE_MAGIC = 'tvm-trace bundle v1\n';
/** Longest header a reader accepts: a manifest of a few thousand segments of 255-cell states. */
const MAX_HEADER_BYTES = 64 << 20;

export interface Bundle {
  readonly manifest: RunManifest;
  /** Each segment's proof file, in segment order. */
  readonly proofs: readonly Uint8Array[];
}

export function isBundle(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, BUNDLE_MAGIC.length)).toString('latin1') === BUNDLE_MAGIC;
}

export function encodeBundle(bundle: Bundle): Uint8Array {
  const header = {
    manifest: JSON.parse(encodeManifest(bundle.manifest)) as unknown,
    proofs: bundle.proofs.map((proof) => ({
      bytes: proof.length,
      sha256: createHash('sha256').update(proof).digest('hex'),
    })),
  };
  return Buffer.concat([
    Buffer.from(BUNDLE_MAGIC, 'latin1'),
    Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'),
    ...bundle.proofs,
  ]);
}

/** A bundle's parts; its shape only (the proofs are verified one by one, the chain after). */
export function decodeBundle(bytes: Uint8Array, where: string): Bundle {
  const bad = (what: string) => new StatementError(`${where}: not a tvm-trace bundle (${what})`);
  if (!isBundle(bytes)) throw bad("it does not start with 'tvm-trace bundle v1'");
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buffer.indexOf(0x0a, BUNDLE_MAGIC.length);
  if (end < 0 || end - BUNDLE_MAGIC.length > MAX_HEADER_BYTES) throw bad('no header line');
  let header: { manifest?: unknown; proofs?: unknown };
  try {
    header = JSON.parse(buffer.toString('utf8', BUNDLE_MAGIC.length, end)) as typeof header;
  } catch {
    throw bad('its header is not JSON');
  }
  let manifest: RunManifest;
  try {
    manifest = parseManifest(JSON.stringify(header.manifest), 'manifest');
  } catch (error) {
    throw bad(error instanceof Error ? error.message : String(error));
  }
  const list = header.proofs;
  // As many proofs as manifest entries is the verifier's to judge (run.segments), not the format's.
  if (!Array.isArray(list) || list.length === 0) throw bad('it holds no proofs');
  const proofs: Uint8Array[] = [];
  let at = end + 1;
  for (const [i, entry] of list.entries()) {
    const size = (entry as { bytes?: unknown }).bytes;
    const sha = (entry as { sha256?: unknown }).sha256;
    if (
      typeof size !== 'number' ||
      !Number.isSafeInteger(size) ||
      size < 0 ||
      at + size > buffer.length
    )
      throw bad(`segment ${i}'s proof is cut short`);
    const proof = buffer.subarray(at, at + size);
    if (createHash('sha256').update(proof).digest('hex') !== sha)
      throw bad(`segment ${i}'s proof bytes do not match their SHA-256`);
    proofs.push(proof);
    at += size;
  }
  if (at !== buffer.length) throw bad('bytes after the last proof');
  return { manifest, proofs };
}
