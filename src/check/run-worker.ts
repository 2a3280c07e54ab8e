/** Worker thread of checkRun: checks the segment files it is sent, one at a time, and posts each report back. */
import { parentPort } from 'node:worker_threads';
import { assemble } from '../isa/assemble.js';
import { TraceFormatError } from '../trace/format/errors.js';
import { checkTrace, type CheckField } from './check.js';

export interface RunWorkerRequest {
  readonly path: string;
  readonly program?: string;
  readonly field?: CheckField;
  readonly maxFailures?: number;
}

export type RunWorkerReply =
  | { readonly ok: true; readonly report: Awaited<ReturnType<typeof checkTrace>> }
  | { readonly ok: false; readonly message: string; readonly format: boolean };

parentPort!.on('message', (request: RunWorkerRequest) => {
  checkTrace(request.path, {
    ...(request.program === undefined ? {} : { program: assemble(request.program) }),
    ...(request.field === undefined ? {} : { field: request.field }),
    maxFailures: request.maxFailures ?? 10,
  }).then(
    (report) => parentPort!.postMessage({ ok: true, report } satisfies RunWorkerReply),
    (error: unknown) =>
      parentPort!.postMessage({
        ok: false,
        message: error instanceof Error ? error.message : String(error),
        format: error instanceof TraceFormatError,
      } satisfies RunWorkerReply),
  );
});
