/**
 * `tvm-trace report` on programs/long_loop.tvm: seconds and peak RSS of the command (each run a
 * fresh process on the built dist/ code, as the CLI runs), the page's size, and how long the
 * page takes to draw its first view in headless Chromium (body[data-ready], ms since
 * navigation start), median of N runs per size, with and without --check.
 *   npm run bench:report [-- --runs N --sizes 1000000,10000000]
 * Goals (issue 15): 10M rows in ≤ 10 s and ≤ 512 MB RSS; page ≤ 5 MB; first view ≤ 1 s.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromiumPath, launchChromium, openReport } from '../test/report/chromium.js';

const flag = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : fallback;
};
const runs = Number(flag('--runs', '3'));
const sizes = flag('--sizes', '1000000,10000000').split(',').map(Number);
const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const program = join(root, 'programs/long_loop.tvm');
const directory = mkdtempSync(join(tmpdir(), 'tvm-bench-report-'));

interface Run {
  code: number;
  seconds: number;
  cpuSeconds: number;
  maxRssMiB: number;
}

/** One `report` in a fresh Node process running dist/ (so its peak RSS is its own). */
function measure(args: string[]): Run {
  const script = [
    `import { main } from ${JSON.stringify(pathToFileURL(cli).href)};`,
    'const cpu = process.cpuUsage(); const start = process.hrtime.bigint();',
    `const code = await main(${JSON.stringify(args)}, { stdout: () => {}, stderr: (l) => console.error(l) });`,
    'const seconds = Number(process.hrtime.bigint() - start) / 1e9; const used = process.cpuUsage(cpu);',
    'console.log(JSON.stringify({ code, seconds, cpuSeconds: (used.user + used.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));',
  ].join('\n');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Run;
}
const median = (values: number[]) =>
  [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
const mb = (bytes: number) => (bytes / 1e6).toFixed(2);

console.log(
  `bench:report  programs/long_loop.tvm  node ${process.version}  ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}  chromium ${chromiumPath()}`,
);
const browser = await launchChromium();
const verdicts: string[] = [];
try {
  for (const size of sizes) {
    const trace = join(directory, `long_loop_${size}.arrow`);
    execFileSync(process.execPath, [
      cli,
      'export',
      program,
      '-o',
      trace,
      '--max-steps',
      String(size),
      '--quiet',
    ]);
    console.log(`${size} steps: trace ${mb(statSync(trace).size)} MB`);
    for (const check of [false, true]) {
      const page = join(directory, `report_${size}${check ? '_check' : ''}.html`);
      const args = ['report', trace, '-o', page, ...(check ? ['--check'] : [])];
      measure(args); // warm-up (page cache, code cache), not counted
      const results: Run[] = [];
      const ready: number[] = [];
      for (let i = 1; i <= runs; i++) {
        const run = measure(args);
        if (run.code !== 0) throw new Error(`report exited ${run.code}`);
        results.push(run);
        const opened = await openReport(browser, page);
        if (opened.errors.length > 0)
          throw new Error(`the page logged errors: ${opened.errors.join('; ')}`);
        ready.push(opened.readyMs);
        await opened.page.close();
        console.log(
          `  ${check ? 'report --check' : 'report'} run ${i}: ${run.seconds.toFixed(2)} s (CPU ${run.cpuSeconds.toFixed(2)} s), peak RSS ${run.maxRssMiB.toFixed(0)} MiB, first view in Chromium ${opened.readyMs} ms`,
        );
      }
      const bytes = statSync(page).size;
      const seconds = median(results.map((r) => r.seconds));
      const rss = median(results.map((r) => r.maxRssMiB));
      const view = median(ready);
      console.log(
        `  ${check ? 'report --check' : 'report'}: median ${seconds.toFixed(2)} s, peak RSS ${rss.toFixed(0)} MiB, page ${mb(bytes)} MB, first view ${view} ms (median of ${runs})`,
      );
      if (size >= 10_000_000) {
        const ok = seconds <= 10 && rss * 1.048576 <= 512 && bytes <= 5e6 && view <= 1000;
        verdicts.push(
          `${size} steps${check ? ' --check' : ''}: ${ok ? 'goals met' : 'GOAL MISSED'} (≤ 10 s, ≤ 512 MB RSS, page ≤ 5 MB, first view ≤ 1 s)`,
        );
      }
      rmSync(page, { force: true });
    }
    rmSync(trace, { force: true });
  }
} finally {
  await browser.close();
  rmSync(directory, { recursive: true, force: true });
}
for (const line of verdicts) console.log(line);
