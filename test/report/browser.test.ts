/**
 * The report page in a real headless Chromium (the Debian package, through puppeteer-core):
 * no console error and no request, non-empty plots, the summary equals the claim, a click on
 * a step shows that row's values, the arrow keys step, and for a known-bad fixture the first
 * failure is open. Fails (never skips) when no Chromium is installed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnIndex } from '../../src/air/columns.js';
import { checkTrace } from '../../src/check/check.js';
import { In } from '../../src/compiler/layout.js';
import { buildReport } from '../../src/report/report.js';
import { openTrace, readCell } from '../../src/trace/read/reader.js';
import { chromiumPath, launchChromium, openReport, type OpenedPage } from './chromium.js';

const GOLDEN = 'fixtures/golden/fibonacci.arrow';
const BAD = 'fixtures/bad/controls.wrap--wrong-wrap.arrow';

let dir: string;
let browser: Browser | undefined;
let golden: OpenedPage;
let bad: OpenedPage;

beforeAll(async () => {
  chromiumPath(); // throws with the fix when the browser is missing: the suite fails, it does not skip
  dir = mkdtempSync(join(tmpdir(), 'tvm-trace-report-browser-'));
  const write = async (trace: string, name: string) => {
    const path = join(dir, name);
    writeFileSync(path, (await buildReport(trace, { check: true })).html);
    return path;
  };
  const [goldenFile, badFile] = [await write(GOLDEN, 'golden.html'), await write(BAD, 'bad.html')];
  browser = await launchChromium();
  golden = await openReport(browser, goldenFile);
  bad = await openReport(browser, badFile);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Row r of a trace: the state before the step and its hidden products. */
async function traceRow(path: string, row: number) {
  const trace = await openTrace(path);
  try {
    for await (const batch of trace.batches()) {
      if (row >= batch.firstRow + batch.rows) continue;
      const r = row - batch.firstRow;
      const cell = (name: string, entry = 0) =>
        readCell(batch, trace.slots, columnIndex(name), r, entry);
      return {
        pc: cell('pc'),
        acc: cell('input', In.ACC),
        sp: cell('input', In.SP),
        nextAcc: cell('next_acc'),
        nextPc: cell('output', 0),
        hidden: Array.from({ length: trace.metadata.ffDim }, (_, k) => cell('hidden', k)),
        claim: trace.metadata.claim,
      };
    }
    throw new Error(`row ${row} is past the end`);
  } finally {
    await trace.close();
  }
}

const text = (page: Page, selector: string) =>
  page.$eval(selector, (node) => (node.textContent ?? '').trim());

/** Pixels of a canvas that are not blank (not transparent and not near white). */
const inkedPixels = (page: Page, selector: string) =>
  page.$$eval(selector, (canvases) =>
    canvases.map((canvas) => {
      // Runs in the page (no DOM types in this project's lib).

      const c = canvas as any;
      const data: Uint8ClampedArray = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let inked = 0;
      for (let i = 0; i < data.length; i += 4)
        if (data[i + 3] > 0 && (data[i] < 235 || data[i + 1] < 235 || data[i + 2] < 235)) inked++;
      return inked;
    }),
  );

/** Page coordinates of row `row` on the pc timeline. */
const rowPoint = (page: Page, row: number) =>
  page.evaluate((r) => {
    const u = (globalThis as any).__report.charts[0];
    const box = u.over.getBoundingClientRect();
    return { x: box.left + u.valToPos(r, 'x'), y: box.top + box.height / 2 };
  }, row);

describe('report page in headless Chromium', () => {
  it('draws the first view quickly, without a console error or any request', () => {
    expect(golden.errors).toEqual([]);
    expect(bad.errors).toEqual([]);
    expect(golden.readyMs).toBeLessThan(1000);
    expect(bad.readyMs).toBeLessThan(1000);
  });

  it('draws non-empty plots: four timelines, the memory heatmap, the weight heatmaps', async () => {
    const timelines = await inkedPixels(golden.page, '#charts canvas');
    expect(timelines).toHaveLength(4);
    for (const inked of timelines) expect(inked).toBeGreaterThan(500);
    const [heat] = await inkedPixels(golden.page, '#heat');
    expect(heat).toBeGreaterThan(5000);
    const weights = await inkedPixels(golden.page, '#weights canvas');
    expect(weights.length).toBe(4);
    // W_gate, W_value and W_out of any instruction have entries (b_out may be all 0).
    expect(weights.slice(0, 3).every((n) => n > 0)).toBe(true);
  });

  it('shows the claim in the summary, and the execution counts add up to the rows', async () => {
    const { claim } = await traceRow(GOLDEN, 0);
    expect(await text(golden.page, '[data-k="claim.steps"]')).toBe(String(claim.steps));
    expect(await text(golden.page, '[data-k="claim.acc"]')).toBe(String(claim.acc));
    expect(await text(golden.page, '[data-k="claim.pc"]')).toBe(String(claim.pc));
    expect(await text(golden.page, '[data-k="claim.halted"]')).toBe(String(claim.halted));
    expect(await text(golden.page, '[data-k="claim.memory"]')).toBe(`[${claim.memory.join(', ')}]`);
    expect(await text(golden.page, '[data-k="rows"]')).toBe(String(claim.steps));
    const counts = await golden.page.$$eval('[data-k^="count."]', (cells) =>
      cells.map((c) => Number((c.textContent ?? '').replace(/,/g, ''))),
    );
    expect(counts.reduce((a, b) => a + b, 0)).toBe(claim.steps);
    expect(await text(golden.page, '[data-k="verdict"]')).toBe('check: ok');
  });

  it('a click on a step of the timeline shows that row; the arrow keys step through rows', async () => {
    const row = 37;
    const point = await rowPoint(golden.page, row);
    await golden.page.mouse.click(point.x, point.y);
    await golden.page.waitForSelector(`#step-body[data-row="${row}"]`, { timeout: 5000 });
    const expected = await traceRow(GOLDEN, row);
    expect(await text(golden.page, '#step-state [data-k="pc"]')).toBe(String(expected.pc));
    expect(await text(golden.page, '#step-state [data-k="acc"]')).toBe(String(expected.acc));
    expect(await text(golden.page, '#step-state [data-k="sp"]')).toBe(String(expected.sp));
    expect(await text(golden.page, '#step-state [data-k="next_acc"]')).toBe(
      String(expected.nextAcc),
    );
    expect(await text(golden.page, '#step-state [data-k="next_pc"]')).toBe(String(expected.nextPc));
    for (const [k, hidden] of expected.hidden.entries()) {
      const shown = await golden.page.$(`[data-k="hidden.${k}"]`);
      if (shown !== null) expect(await shown.evaluate((n) => n.textContent)).toBe(String(hidden));
      else expect(hidden).toBe(0);
    }
    expect(await text(golden.page, '#input-words [data-slot="ACC"] .cellv')).toBe(
      String(expected.acc),
    );
    await golden.page.keyboard.press('ArrowRight');
    await golden.page.waitForSelector(`#step-body[data-row="${row + 1}"]`, { timeout: 5000 });
    await golden.page.keyboard.press('ArrowLeft');
    await golden.page.keyboard.press('ArrowLeft');
    await golden.page.waitForSelector(`#step-body[data-row="${row - 1}"]`, { timeout: 5000 });
    expect(golden.errors).toEqual([]);
  });

  it('a known-bad trace opens on its first failure: constraint, expected and actual, marked on the timeline', async () => {
    const report = await checkTrace(BAD, { maxFailures: 100 });
    const first = report.failures.find((f) => f.row !== null)!;
    expect(await text(bad.page, '[data-k="verdict"]')).toMatch(/^check: FAILED, \d+ failures?$/);
    expect(await bad.page.$eval('#step-body', (n) => n.getAttribute('data-row'))).toBe(
      String(first.row),
    );
    const box = await text(bad.page, '#step-failures');
    expect(box).toContain(first.constraint);
    expect(box).toContain(`expected ${first.expected}, actual ${first.actual}`);
    const listed = await bad.page.$$eval('#failure-table tr[data-row]', (trs) =>
      trs.map((tr) => [tr.getAttribute('data-row'), tr.children[0].textContent]),
    );
    expect(listed).toEqual(
      report.failures.filter((f) => f.row !== null).map((f) => [String(f.row), f.constraint]),
    );
    // A red marker at the failing row on the pc timeline.
    const redAtRow = await bad.page.evaluate((r) => {
      const u = (globalThis as any).__report.charts[0];
      const x = Math.round(u.valToPos(r, 'x', true));
      const data = u.ctx.getImageData(x - 1, u.bbox.top, 3, u.bbox.height).data;
      let red = 0;
      for (let i = 0; i < data.length; i += 4)
        if (data[i] > 150 && data[i + 1] < 90 && data[i + 2] < 90) red++;
      return red;
    }, first.row);
    expect(redAtRow).toBeGreaterThan(20);
    // shift+arrow goes to the next failing row, if there is another.
    expect(bad.errors).toEqual([]);
  });
});
