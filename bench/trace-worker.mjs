// One measured export or check of the built CLI code (dist/), in its own process so its peak
// RSS is its own. Run by bench/trace.ts after `npm run build`:
//   node bench/trace-worker.mjs export PROG.tvm OUT.arrow MAX_STEPS [THREADS|-] [COMPRESSION]
//   node bench/trace-worker.mjs check TRACE.arrow
// Prints one JSON line: {rows, seconds, cpuSeconds, bytes, maxRssMiB, ok?}.
import { readFileSync, statSync } from 'node:fs';
import { checkTrace } from '../dist/check/check.js';
import { assemble } from '../dist/isa/assemble.js';
import { exportTraceInterruptible } from '../dist/trace/write/export.js';

const [mode, a, b, c, d, e] = process.argv.slice(2);
const cpu = process.cpuUsage();
const start = process.hrtime.bigint();
let rows;
let bytes;
let ok;
if (mode === 'export') {
  const result = await exportTraceInterruptible(assemble(readFileSync(a, 'utf8')), b, {
    maxSteps: Number(c),
    threads: d === undefined || d === '-' ? undefined : Number(d),
    compression: e ?? 'none',
  });
  rows = result.rows;
  bytes = result.bytes;
} else {
  const report = await checkTrace(a);
  rows = report.rows;
  ok = report.ok;
  bytes = statSync(a).size;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({
    rows,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    bytes,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    ok,
  }),
);
