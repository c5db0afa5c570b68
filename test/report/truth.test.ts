/**
 * The HTML report tells the truth, read as a user reads it in Chromium: the health summary on the
 * page is the one the console printed and `--json` returned (same findings, same order, same first
 * non-finite step and layer), no axis, legend or table shows NaN/undefined or an impossible range,
 * no chart claims "no samples" when it has them, nothing is fetched, and a 390 px phone reads it
 * without the page scrolling sideways.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { run } from '../../src/cli/program.js';
import { CHROMIUM, CHROMIUM_ARGS } from '../lab/browser.js';

const SHOTS = join(process.cwd(), 'artifacts', 'report');
const dir = mkdtempSync(join(tmpdir(), 'gradlab-truth-'));

function capture() {
  let out = '';
  let err = '';
  return { io: { stdout: { write: (s: string) => ((out += s), true) }, stderr: { write: (s: string) => ((err += s), true) } } as never, out: () => out, err: () => err };
}

interface Run {
  code: number;
  console: string;
  json: { findings: Array<{ rule: string; step: number; evidence: string; status?: string }>; nonFinite: { step: number; layer: string | null; phase: string } | null };
  html: string;
  file: string;
}

/** The same run twice, as a user would: once with --report (console), once with --json. */
async function cli(name: string, args: string[]): Promise<Run> {
  const file = join(dir, `${name}.html`);
  const a = capture();
  const code = await run(['train', ...args, '--report', file], a.io);
  const b = capture();
  expect(await run(['train', ...args, '--json', '-q'], b.io)).toBe(code);
  return { code, console: a.out(), json: JSON.parse(b.out()), html: readFileSync(file, 'utf8'), file };
}

let browser: Browser;
beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);
afterAll(async () => browser?.close());

/** Open a report with every request but the file itself intercepted (and counted). */
async function open(file: string, viewport = { width: 1400, height: 900 }): Promise<{ page: Page; requests: string[]; errors: string[]; close: () => Promise<void> }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  await page.route('**/*', (r) => (r.request().url() === url ? r.continue() : (requests.push(r.request().url()), r.abort())));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, requests, errors, close: () => context.close() };
}

/** What the page shows outside the findings' prose and the non-finite row (whose "loss NaN" is the fact): ticks, legends, titles, table cells. */
const chrome = (page: Page) =>
  page.$$eval('svg text, td, th, h1, h2, h3, header', (els) => els.filter((e) => !e.closest('.finding') && e.closest('tr')?.firstElementChild?.textContent !== 'non-finite').map((e) => e.textContent ?? ''));

const SMALL = ['--data', 'circles', '--samples', '400', '--layers', '16', '--epochs', '2', '--batch-size', '20', '--monitor-every', '2'];

describe('the HTML report in Chromium', () => {
  it('a run that goes NaN: page, console and --json agree on the findings and on where it went non-finite; axes stay sane', async () => {
    const r = await cli('nan', [...SMALL, '--no-batchnorm', '--optimizer', 'sgd', '--lr', '1e30']);
    expect(r.code).toBe(1);
    expect(r.json.nonFinite).not.toBeNull();
    // The console's summary of a run stopped in its first epoch says so (it printed "? training examples").
    expect(r.console).toContain('train  loss -  accuracy -  (no epoch completed)');
    const nf = r.json.nonFinite!;
    const { page, requests, errors, close } = await open(r.file);
    try {
      // The findings on the page, in order, are --json's and the console's final list.
      const shown = await page.$$eval('.finding', (els) => els.map((e) => ({ rule: e.getAttribute('data-rule'), status: e.getAttribute('data-status'), text: e.textContent ?? '' })));
      expect(shown.map((f) => f.rule)).toEqual(r.json.findings.map((f) => f.rule));
      const tail = r.console.slice(r.console.indexOf('  health '));
      const consoleRules = [...tail.matchAll(/\[([a-z-]+)\]/g)].map((m) => m[1]);
      expect(consoleRules).toEqual(shown.map((f) => f.rule));
      for (const [i, f] of r.json.findings.entries()) expect(shown[i].text).toContain(f.evidence);
      expect(shown[0].rule).toBe('non-finite');
      // Where it went non-finite: the loss chart marks the step, the configuration names the layer as the findings do.
      const marker = await page.$eval('svg.chart[aria-label="Loss"]', (s) => [...s.querySelectorAll('text')].map((t) => t.textContent).find((t) => t?.startsWith('non-finite')));
      expect(marker).toBe(`non-finite at step ${nf.step}`);
      // The layers are sampled every few steps; the gradient chart also draws the whole model's norm
      // of every step (what exploding-gradients reads), so an explosion between two samples shows.
      const grad = await page.$eval('svg.chart[aria-label^="Gradient norm"]', (s) => [...s.querySelectorAll('text')].map((t) => t.textContent ?? ''));
      expect(grad).toContain('all layers (every step)');
      expect(grad).toContain(`non-finite at step ${nf.step}`);
      const row = await page.$$eval('table.kv tr', (trs) => trs.map((t) => t.textContent ?? '').find((t) => t.startsWith('non-finite')));
      expect(row).toContain(`step ${nf.step} `);
      expect(row).toContain(nf.phase);
      if (nf.layer !== null) expect(row).toContain(`(module ${nf.layer})`);
      // No NaN/undefined leaks into ticks, legends or tables; no epoch axis below 0.
      const texts = await chrome(page);
      expect(texts.filter((t) => /\bNaN\b|undefined|Infinity|\[object/.test(t))).toEqual([]);
      const epochTicks = await page.$$eval('svg.chart', (ss) => ss.filter((s) => [...s.querySelectorAll('text.axis')].some((t) => t.textContent === 'epoch')).flatMap((s) => [...s.querySelectorAll('text.tick')].filter((t) => t.getAttribute('text-anchor') === 'middle').map((t) => Number(t.textContent))));
      expect(epochTicks.length).toBeGreaterThan(0);
      expect(Math.min(...epochTicks)).toBeGreaterThanOrEqual(0);
      // A legend never names a curve that is not drawn without saying why.
      const legend = await page.$eval('svg.chart[aria-label="Loss"]', (s) => [...s.querySelectorAll('text.lg')].map((t) => t.textContent));
      expect(legend).toContain('train (running average over batches) (no finite value)');
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
      await page.screenshot({ path: join(SHOTS, 'truth-nan.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 60_000);

  it('zero initialisation: the update-ratio chart says the weights were zero, not "no monitor samples"; zero gradients are named in the legend', async () => {
    const r = await cli('zeros', [...SMALL, '--init', 'zeros']);
    expect(r.json.findings.map((f) => f.rule)).toContain('symmetry');
    const { page, close } = await open(r.file);
    try {
      const ratio = await page.$eval('svg.chart[aria-label^="Update ratio"]', (s) => s.textContent ?? '');
      expect(ratio).not.toContain('no monitor samples');
      expect(ratio).toContain('the weights were all zero');
      const grad = await page.$eval('svg.chart[aria-label^="Gradient norm"]', (s) => [...s.querySelectorAll('text.lg')].map((t) => t.textContent ?? ''));
      expect(grad.some((t) => t.endsWith('(0: not drawn on a log scale)'))).toBe(true);
      // Every chart title fits inside its chart (long layer names wrap instead of being cut off).
      const clipped = await page.$$eval('svg.chart', (ss) =>
        ss.flatMap((s) => {
          const box = s.getBoundingClientRect();
          return [...s.querySelectorAll('text.ct, text.lg')].filter((t) => t.getBoundingClientRect().right > box.right + 1).map((t) => t.textContent);
        }),
      );
      expect(clipped).toEqual([]);
    } finally {
      await close();
    }
  }, 60_000);

  it('a diverging MNIST run (lr 10, SGD, tanh) reads on a 390×844 phone: nothing widens the page, charts scroll in their card', async () => {
    const r = await cli('lr10', ['--data', 'mnist', '--limit', '500', '--layers', '32', '--epochs', '2', '--lr', '10', '--optimizer', 'sgd', '--activation', 'tanh', '--no-batchnorm']);
    expect(r.json.findings.length).toBeGreaterThan(0);
    const { page, requests, errors, close } = await open(r.file, { width: 390, height: 844 });
    try {
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      // The full-width charts keep a legible size (their text is not shrunk to a third) and scroll sideways in their card.
      const chart = await page.$eval('.card.full svg.chart', (s) => ({ w: s.getBoundingClientRect().width, card: (s.parentElement as HTMLElement).clientWidth, scroll: getComputedStyle(s.parentElement as HTMLElement).overflowX }));
      expect(chart.w).toBeGreaterThanOrEqual(700);
      expect(chart.card).toBeLessThan(390);
      expect(chart.scroll).toBe('auto');
      // The headline's counts are the console's.
      const head = await page.$eval('header', (h) => h.textContent ?? '');
      const m = /health (\d+) errors?, (\d+) warnings?/.exec(r.console)!;
      expect(head).toContain(`${m[1]} error${m[1] === '1' ? '' : 's'}, ${m[2]} warning${m[2] === '1' ? '' : 's'}`);
      expect(requests).toEqual([]);
      expect(errors).toEqual([]);
      await page.screenshot({ path: join(SHOTS, 'truth-lr10-390.png'), fullPage: true });
    } finally {
      await close();
    }
  }, 60_000);
});
