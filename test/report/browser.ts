/**
 * Open an HTML file in headless Chromium (playwright-core + Debian's /usr/bin/chromium) and
 * collect what a reader would see: console errors, network requests, chart sizes, and a
 * full-page screenshot.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = (): boolean => existsSync(CHROMIUM);

export interface PageCheck {
  consoleErrors: string[];
  /** Requests other than the file itself (should be none: the report is self-contained). */
  requests: string[];
  charts: Array<{ label: string; width: number; height: number; drawn: number }>;
  title: string;
}

export async function checkPage(file: string, screenshot?: string): Promise<PageCheck> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'gradlab-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    const url = pathToFileURL(file).href;
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    const charts = await page.$$eval('svg.chart', (els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { label: e.getAttribute('aria-label') ?? '', width: r.width, height: r.height, drawn: e.querySelectorAll('polyline, polygon, rect[fill-opacity]').length };
      }),
    );
    const title = await page.title();
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return { consoleErrors, requests, charts, title };
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
