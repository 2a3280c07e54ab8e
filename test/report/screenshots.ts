/**
 * The screenshots of docs/readme/report.md: each view of the report page, drawn in headless
 * Chromium. `npm run docs:report-screenshots` (needs the system chromium, like the browser test).
 *   docs/report-summary.png    summary of fixtures/golden/fibonacci.arrow (--check)
 *   docs/report-timelines.png  timelines of a 1M-step long_loop run (min/max buckets)
 *   docs/report-memory.png     memory heatmap of fibonacci
 *   docs/report-step.png       one step of fibonacci at the FFN level
 *   docs/report-failures.png   a known-bad fixture (--check): the failing row open, its failures listed
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildReport } from '../../src/report/report.js';
import { launchChromium, openReport } from './chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = join(root, 'docs');
mkdirSync(docs, { recursive: true });
const dir = mkdtempSync(join(tmpdir(), 'tvm-report-shots-'));

async function page(trace: string, name: string, check: boolean): Promise<string> {
  const path = join(dir, `${name}.html`);
  writeFileSync(
    path,
    (
      await buildReport(trace, {
        check,
        name: trace.startsWith(dir) ? `long_loop_1m.arrow` : trace,
      })
    ).html,
  );
  return path;
}

const browser = await launchChromium();
try {
  const long = join(dir, 'long.arrow');
  execFileSync(process.execPath, [
    '--import',
    'tsx',
    join(root, 'src/cli/main.ts'),
    'export',
    join(root, 'programs/long_loop.tvm'),
    '-o',
    long,
    '--max-steps',
    '1000000',
    '--quiet',
  ]);
  const shots: Array<
    [
      string,
      string,
      string,
      boolean,
      string,
      ((p: import('puppeteer-core').Page) => Promise<void>)?,
    ]
  > = [
    ['fixtures/golden/fibonacci.arrow', 'fib', '#summary', true, 'report-summary.png'],
    [long, 'long', '#timelines', false, 'report-timelines.png'],
    ['fixtures/golden/fibonacci.arrow', 'fib', '#memory', true, 'report-memory.png'],
    [
      'fixtures/golden/fibonacci.arrow',
      'fib',
      '#step',
      true,
      'report-step.png',
      async (p) => {
        await p.evaluate(() => (globalThis as any).__report.openRow(12, false));
      },
    ],
    ['fixtures/bad/controls.wrap--wrong-wrap.arrow', 'bad', 'body', true, 'report-failures.png'],
  ];
  for (const [trace, name, selector, check, file, prepare] of shots) {
    const opened = await openReport(browser, await page(trace, name, check), 1200, 900);
    if (opened.errors.length > 0) throw new Error(opened.errors.join('; '));
    await prepare?.(opened.page);
    const element = await opened.page.$(selector);
    if (element === null) throw new Error(`${selector} not found`);
    if (selector === 'body') {
      // The failures: the step view opened on the first failing row, and the failure table.
      const step = await opened.page.$('#step');
      const failures = await opened.page.$('#failures');
      const a = (await step!.boundingBox())!;
      const b = (await failures!.boundingBox())!;
      await opened.page.screenshot({
        path: join(docs, file),
        clip: { x: a.x - 4, y: a.y - 4, width: a.width + 8, height: b.y + b.height - a.y + 8 },
        captureBeyondViewport: true,
      });
    } else {
      await element.screenshot({ path: join(docs, file) });
    }
    console.log(`docs/${file} (first view ${opened.readyMs} ms)`);
    await opened.page.close();
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
