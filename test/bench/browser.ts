/**
 * Headless Chromium for the browser tests, from npm: `@sparticuz/chromium` ships the binary (a
 * dev dependency, so `npm install` is all a fresh machine needs) and puppeteer-core drives it.
 * `BSN_CHROMIUM=<path>` runs another Chromium instead.
 */
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser } from 'puppeteer-core';

/** Flags for a Chromium that is not @sparticuz's own build (which brings its own, chromium.args). */
const OVERRIDE_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'];

export async function launchBrowser(extraArgs: readonly string[]): Promise<Browser> {
  const override = process.env.BSN_CHROMIUM;
  return puppeteer.launch({
    executablePath: override ?? (await chromium.executablePath()),
    args: [...(override ? OVERRIDE_ARGS : chromium.args), ...extraArgs],
    headless: 'shell',
    defaultViewport: null,
  });
}

/**
 * Loads `file` and returns its DOM once loaded (Chromium's `--dump-dom`); with `screenshot`,
 * also paints the page at `width`×`height` CSS pixels into that PNG file.
 */
export async function renderFile(file: string, extraArgs: readonly string[], screenshot?: { path: string; width: number; height: number }): Promise<string> {
  const browser = await launchBrowser(extraArgs);
  try {
    const page = await browser.newPage();
    if (screenshot) await page.setViewport({ width: screenshot.width, height: screenshot.height, deviceScaleFactor: 1 });
    await page.goto(`file://${file}`, { waitUntil: 'load', timeout: 40_000 });
    if (screenshot) await page.screenshot({ path: screenshot.path as `${string}.png` });
    return await page.content();
  } finally {
    await browser.close();
  }
}
