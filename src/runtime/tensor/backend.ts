/**
 * Loading TensorFlow.js and choosing its backend, without network and without console noise.
 *
 * tfjs is imported lazily (dynamic import) so that commands that never touch a tensor do not
 * pay for it; this module itself is cheap to import.
 *
 * - `cpu`: @tensorflow/tfjs-backend-cpu (plain JS; exact int32 matMul).
 * - `wasm`: @tensorflow/tfjs-backend-wasm, its .wasm binaries read from the installed package
 *   directory (never fetched).
 * - `tensorflow`: @tensorflow/tfjs-node, an optional dependency whose install downloads
 *   libtensorflow; offline, `npm run setup:tensorflow` builds its addon against the
 *   libtensorflow of PyPI's tensorflow-cpu wheel. Where neither happened it is simply absent.
 * - `auto`: for batched work (replay: few large ops) `tensorflow` when tfjs-node loads, else
 *   `cpu`; per step (one row, ~10 tiny ops) `cpu`. Measured (bench/RESULTS.md, bench:tensor):
 *   replay tensorflow 2.47M rows/s vs cpu 822K, per step cpu 81K steps/s vs tensorflow 17K
 *   (each tfjs-node op crosses N-API), and per step loading libtensorflow costs 0.4 s besides.
 *
 * Noise: tfjs prints through its own log helpers, which stay silent when the `PROD` flag is
 * set (tfjs-core log.ts: `if (!(IS_TEST || PROD)) console.warn(...)`). That is how the cpu
 * backend's "install the node backend to speed things up" banner is kept off the screen.
 * `IS_TEST` would silence it too but also turns on per-kernel leak checks (slow).
 * libtensorflow's own C++ logging is quieted with TF_CPP_MIN_LOG_LEVEL before tfjs-node loads,
 * and TF_ENABLE_ONEDNN_OPTS=0: libtensorflow 2.21 announces "oneDNN custom operations are on"
 * on stderr whatever the log level, and oneDNN serves only float kernels, which we never use.
 * Both are defaults: a value the user set is kept.
 */
import { createRequire } from 'node:module';
import { dirname, sep } from 'node:path';
import type * as TF from '@tensorflow/tfjs-core';

export type Tf = typeof TF;
export type TensorBackendName = 'cpu' | 'wasm' | 'tensorflow';
export const BACKEND_CHOICES: readonly string[] = ['auto', 'cpu', 'wasm', 'tensorflow'];

/** The requested backend cannot be used (unknown name, or tfjs-node missing). One-line message. */
export class BackendUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

const TFJS_NODE = '@tensorflow/tfjs-node';

let tfPromise: Promise<Tf> | undefined;
let nodeProbe: Promise<string | null> | undefined;
let wasmReady: Promise<void> | undefined;

/** tfjs-core with the cpu backend registered and production mode (no console banners) on. */
export function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    tf.env().set('PROD', true);
    await import('@tensorflow/tfjs-backend-cpu');
    return tf;
  })();
  return tfPromise;
}

/**
 * Try to load tfjs-node once. Resolves to null when it loaded (backend 'tensorflow' is then
 * registered), else to the reason it did not.
 */
export function probeTfjsNode(): Promise<string | null> {
  nodeProbe ??= (async () => {
    await loadTf();
    process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
    process.env.TF_ENABLE_ONEDNN_OPTS ??= '0';
    try {
      const specifier: string = TFJS_NODE; // not a literal: the package is optional
      await import(specifier);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
        return `${TFJS_NODE} is not installed`;
      return `${TFJS_NODE} did not load (${firstLine(error)})`;
    }
    const tf = await loadTf();
    return tf.findBackendFactory('tensorflow') === null
      ? `${TFJS_NODE} loaded but registered no 'tensorflow' backend`
      : null;
  })();
  return nodeProbe;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0].trim();
}

/** Directory of the installed tfjs-backend-wasm dist files (…/dist/), with a trailing separator. */
export function wasmDistDir(): string {
  const require = createRequire(import.meta.url);
  // "main" of the package is dist/tf-backend-wasm.node.js: the .wasm files sit beside it.
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + sep;
}

function loadWasm(): Promise<void> {
  wasmReady ??= (async () => {
    await loadTf();
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(wasmDistDir());
  })();
  return wasmReady;
}

/** What the backend will run: one FFN row at a time, or batches of rows. `auto` depends on it. */
export type Workload = 'per-step' | 'batched';

/** Resolve `auto` and check the name, without initialising anything but the probe. */
export async function resolveBackend(
  request: string = 'auto',
  workload: Workload = 'batched',
): Promise<TensorBackendName> {
  if (!BACKEND_CHOICES.includes(request)) {
    throw new BackendUnavailableError(
      `unknown tensor backend '${request}' (expected one of ${BACKEND_CHOICES.join(', ')})`,
    );
  }
  if (request === 'auto') {
    if (workload === 'per-step') return 'cpu';
    return (await probeTfjsNode()) === null ? 'tensorflow' : 'cpu';
  }
  if (request === 'tensorflow') {
    const reason = await probeTfjsNode();
    if (reason !== null)
      throw new BackendUnavailableError(
        `tensor backend 'tensorflow' is unavailable: ${reason}; use --backend cpu or wasm`,
      );
  }
  return request as TensorBackendName;
}

/** Load tfjs, make `request` (or the `auto` choice for `workload`) the active backend and return both. */
export async function useBackend(
  request: string = 'auto',
  workload: Workload = 'batched',
): Promise<{ tf: Tf; backend: TensorBackendName }> {
  const backend = await resolveBackend(request, workload);
  const tf = await loadTf();
  if (backend === 'wasm') await loadWasm();
  let ok: boolean;
  try {
    ok = await tf.setBackend(backend);
  } catch (error) {
    throw new BackendUnavailableError(
      `tensor backend '${backend}' failed to initialise: ${firstLine(error)}`,
    );
  }
  if (!ok) throw new BackendUnavailableError(`tensor backend '${backend}' failed to initialise`);
  await tf.ready();
  return { tf, backend };
}

/**
 * Make `backend` the active one again, synchronously. tfjs has one global active backend; an
 * engine calls this before each evaluation in case someone else switched meanwhile. The backend
 * must have been initialised by useBackend() (then tf.setBackend completes without awaiting).
 */
export function activate(tf: Tf, backend: TensorBackendName): void {
  if (tf.getBackend() !== backend) {
    tf.setBackend(backend).catch(() => undefined); // initialised already: takes effect synchronously
    if (tf.getBackend() !== backend)
      throw new Error(`tensor backend '${backend}' is not initialised`);
  }
}
