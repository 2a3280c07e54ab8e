import { Worker } from 'node:worker_threads';
import { test, expect } from 'vitest';
test('ts worker', async () => {
  const w = new Worker(new URL('./child.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
  const n = await new Promise((res, rej) => { w.on('message', res); w.on('error', rej); });
  expect(n).toBe(2);
  await w.terminate();
});
