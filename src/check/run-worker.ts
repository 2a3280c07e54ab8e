/**
 * Worker thread of checkRun: for each segment file it is sent, one at a time, its SHA-256 (a
 * file that is not the manifest's is not checked further) and then its check; posts each back.
 */
import { parentPort } from 'node:worker_threads';
import { assemble } from '../isa/assemble.js';
import { fileSha256 } from '../trace/format/manifest.js';
import { checkTrace, type CheckField } from './check.js';

export interface RunWorkerRequest {
  readonly path: string;
  /** The SHA-256 the manifest gives the file. */
  readonly sha256: string;
  readonly program?: string;
  readonly field?: CheckField;
  readonly maxFailures?: number;
}

export type RunWorkerReply =
  | { readonly kind: 'checked'; readonly report: Awaited<ReturnType<typeof checkTrace>> }
  | { readonly kind: 'other_file'; readonly sha256: string }
  | { readonly kind: 'unreadable'; readonly message: string };

parentPort!.on('message', (request: RunWorkerRequest) => {
  let sha256: string;
  try {
    sha256 = fileSha256(request.path);
  } catch (error) {
    parentPort!.postMessage({
      kind: 'unreadable',
      message: error instanceof Error ? error.message : String(error),
    } satisfies RunWorkerReply);
    return;
  }
  if (sha256 !== request.sha256) {
    parentPort!.postMessage({ kind: 'other_file', sha256 } satisfies RunWorkerReply);
    return;
  }
  checkTrace(request.path, {
    ...(request.program === undefined ? {} : { program: assemble(request.program) }),
    ...(request.field === undefined ? {} : { field: request.field }),
    maxFailures: request.maxFailures ?? 10,
  }).then(
    (report) => parentPort!.postMessage({ kind: 'checked', report } satisfies RunWorkerReply),
    (error: unknown) =>
      parentPort!.postMessage({
        kind: 'unreadable',
        message: error instanceof Error ? error.message : String(error),
      } satisfies RunWorkerReply),
  );
});
