/**
 * The system Chromium (Debian package `chromium`), driven by puppeteer-core: no browser is
 * downloaded. A missing browser is an error naming the fix, never a skipped test.
 */
import { existsSync } from 'node:fs';

import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
];

/** The browser to drive: $CHROMIUM_PATH, else the first system Chromium found. Throws when there is none. */
export function chromiumPath(): string {
  const given = process.env.CHROMIUM_PATH;
  if (given !== undefined && given !== '') {
    if (!existsSync(given)) throw new Error(`CHROMIUM_PATH=${given} does not exist`);
    return given;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found === undefined)
    throw new Error(
      `no Chromium found (looked for ${CANDIDATES.join(', ')}): install it with scripts/setup-chromium.sh (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  return found;
}

export async function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in a container has no user namespace sandbox; the pages are our own files.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--allow-file-access-from-files',
      '--hide-scrollbars',
      '--force-color-profile=srgb',
    ],
  });
}

export interface OpenedPage {
  readonly page: Page;
  /** Console errors, page errors and failed requests seen so far. */
  readonly errors: string[];
  /** Milliseconds from navigation start until the page said it had drawn its first view. */
  readonly readyMs: number;
}

/** Open a report file and wait until it has drawn its first view (body[data-ready]). */
export async function openReport(
  browser: Browser,
  file: string,
  width = 1280,
  height = 900,
): Promise<OpenedPage> {
  const page = await browser.newPage();
  await page.setViewport({ width, height, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) =>
    errors.push(`page error: ${error instanceof Error ? error.message : String(error)}`),
  );
  page.on('requestfailed', (request) => errors.push(`request failed: ${request.url()}`));
  page.on('request', (request) => {
    if (
      !request.url().startsWith('file:') &&
      !request.url().startsWith('data:') &&
      !request.url().startsWith('blob:')
    )
      errors.push(`network request: ${request.url()}`);
  });
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready]', { timeout: 20_000 });
  const readyMs = Number(
    await page.evaluate(() => (globalThis as any).document.body.getAttribute('data-ready')),
  );
  return { page, errors, readyMs };
}
