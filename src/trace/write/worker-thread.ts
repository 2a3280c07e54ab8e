/** Starting our worker threads, from built code or from the TypeScript sources. */
import { Worker } from 'node:worker_threads';

/** Most worker threads `export` or `check` starts (each is a V8 isolate with its own warm-up). */
export const MAX_THREADS = 64;

/** Throws unless `threads` (when given) is a thread count in 0..MAX_THREADS. */
export function checkThreads(threads: number | undefined): void {
  if (
    threads !== undefined &&
    (!Number.isSafeInteger(threads) || threads < 0 || threads > MAX_THREADS)
  )
    throw new RangeError(`threads must be in 0..${MAX_THREADS}`);
}

/**
 * Start a worker thread running one of our modules, given its URL next to the caller
 * (`new URL('./x.js', import.meta.url)`). Built code (dist/, .js) runs directly. When the
 * caller itself runs from TypeScript sources (tests, tsx), the worker loads the .ts module
 * through tsx, a development dependency: Node cannot start a .ts worker by itself.
 */
export function startModuleWorker(url: URL, workerData: unknown): Worker {
  const fromSources = url.pathname.endsWith('.ts');
  if (!fromSources) return new Worker(url, { workerData });
  const href = JSON.stringify(url.href);
  return new Worker(`import('tsx/esm/api').then((tsx) => tsx.tsImport(${href}, ${href}))`, {
    eval: true,
    workerData,
  });
}

/** `./name.js` next to `base` in built code, `./name.ts` when `base` is a TypeScript source. */
export function siblingModule(base: string, name: string): URL {
  return new URL(`./${name}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}
