/**
 * Helpers for the lab's browser tests: Debian chromium through playwright-core, a fresh
 * profile, and a log of every request so a test can prove nothing leaves localhost.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { serveLab, type LabServer } from '../../src/lab-server.node.js';
import { afterAll, beforeAll } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
/** The built lab (`npm run build:lab`). */
export const LAB_DIST = join(ROOT, 'dist', 'lab');
/** Where the browser tests write their screenshots (gitignored). */
export const SHOTS = join(ROOT, 'artifacts', 'lab');

export const CHROMIUM = process.env.GRADLAB_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LabBrowser {
  context: BrowserContext;
  page: Page;
  /** Every URL the page (and its workers) requested. */
  requests: string[];
  /** Console errors and page errors. */
  errors: string[];
  close(): Promise<void>;
}

export async function openLab(viewport = { width: 1440, height: 1000 }): Promise<LabBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'gradlab-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return {
    context,
    page,
    requests,
    errors,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The lab as a browser test needs it: built first if dist/lab is missing (a fresh clone running
 * one test file), served on a free local port, and a fresh Chromium at `viewport`.
 */
export async function startLab(viewport = { width: 1440, height: 1000 }): Promise<{ server: LabServer; b: LabBrowser; origin: string }> {
  if (!existsSync(join(LAB_DIST, 'index.html'))) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(ROOT, 'lab', 'vite.config.ts')], { cwd: ROOT, stdio: 'inherit' });
  }
  mkdirSync(SHOTS, { recursive: true });
  const server = await serveLab({ dir: LAB_DIST, port: 0, host: '127.0.0.1' });
  return { server, b: await openLab(viewport), origin: server.url.replace(/\/$/, '') };
}

/**
 * For a describe block: a lab server and a browser (startLab) before the tests (beforeAll), on
 * the lab's page and ready unless `open` is false (tests that open their own settings' URL),
 * closed after them (afterAll). The fields are set once beforeAll has run.
 */
export function useLab(viewport?: { width: number; height: number }, { open = true } = {}): { server: LabServer; b: LabBrowser; origin: string } {
  const lab = {} as { server: LabServer; b: LabBrowser; origin: string };
  beforeAll(async () => {
    Object.assign(lab, await startLab(viewport));
    if (!open) return;
    await lab.b.page.goto(lab.server.url);
    await waitReady(lab.b.page);
  }, 180_000);
  afterAll(async () => {
    await lab.b?.close();
    await lab.server?.close();
  });
  return lab;
}

/** Requests to anything but the local server (data: and blob: URLs are local by construction). */
export function externalRequests(requests: string[], origin: string): string[] {
  return requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'));
}

/** The page's `window.gradlab` handle, the fields these helpers read (each test reads more). */
type Handle = { gradlab?: { ready: boolean; step: number; running: boolean } };

/** Until the lab has loaded its data and kernels. */
export const waitReady = (page: Page) => page.waitForFunction(() => (window as unknown as Handle).gradlab?.ready === true, null, { timeout: 60_000 });

/** Until the run has taken n steps. */
export const waitSteps = (page: Page, n: number, timeout = 60_000) =>
  page.waitForFunction((k) => ((window as unknown as Handle).gradlab?.step ?? 0) >= k, n, { timeout });

/** Pause the run (the play button) and wait until it has stopped. */
export async function pause(page: Page): Promise<void> {
  if (await page.evaluate(() => (window as unknown as Handle).gradlab?.running === true)) await page.click('#play');
  // The worker answers a pause after its slice and an evaluation (seconds for a CNN on a loaded machine).
  await page.waitForFunction(() => !(window as unknown as Handle).gradlab?.running, null, { timeout: 30_000 });
}

/** Distinct colours in a canvas: a drawn chart or boundary has many, a blank one 1–2. */
export const canvasColours = (page: Page, selector: string) =>
  page.$eval(selector, (c) => {
    const cv = c as HTMLCanvasElement;
    const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
    const set = new Set<number>();
    for (let i = 0; i < d.length; i += 16) set.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return set.size;
  });

export type Shown = { verdict: string; step: number; head: string; evidence: string };
type LessonWindow = {
  lab: { startLesson(id: string): void; stop(): void };
  gradlab: { step: number; running: boolean; state: { seed: number }; evals: Array<{ step: number; testAcc: number }> };
  __shown: Shown[];
  __obs?: MutationObserver;
};

// Lessons left running (test/lab/lessonseeds*.e2e.test.ts).

/**
 * Open lesson `id` with the mouse, type `seed` into the form, train to step `to`: every verdict
 * shown on the way (in order, repeats dropped), the last one, and the evaluations.
 */
export async function leaveRunning(p: Page, id: string, seed: number, to: number, timeout: number) {
  await p.click(`button[data-lesson="${id}"]`);
  await p.evaluate(() => {
    const w = window as unknown as LessonWindow;
    w.__shown = [];
    w.__obs?.disconnect();
    const record = () => {
      const box = document.getElementById('lesson-verdict')!;
      const v = box.dataset.verdict!;
      if (w.__shown.at(-1)?.verdict !== v) w.__shown.push({ verdict: v, step: w.gradlab.step, head: box.querySelector('strong')!.textContent!, evidence: box.querySelector('pre')!.textContent! });
    };
    w.__obs = new MutationObserver(record);
    w.__obs.observe(document.getElementById('lesson-banner')!, { attributes: true, subtree: true, attributeFilter: ['data-verdict'] });
  });
  await p.fill('#in-seed', String(seed));
  await p.press('#in-seed', 'Enter');
  await p.waitForFunction((s) => (window as unknown as LessonWindow).gradlab.state.seed === s, seed);
  // From the new seed's run on (pending at its start): the lesson's own run may have been judged before the seed changed.
  await p.waitForFunction(() => document.getElementById('lesson-verdict')?.dataset.verdict === 'pending', null, { polling: 50 });
  await p.evaluate(() => {
    const w = window as unknown as LessonWindow;
    const box = document.getElementById('lesson-verdict')!;
    w.__shown = [{ verdict: box.dataset.verdict!, step: w.gradlab.step, head: box.querySelector('strong')!.textContent!, evidence: box.querySelector('pre')!.textContent! }];
  });
  // A changed seed starts a new run; a paused one is started with the Train button.
  if (!(await p.evaluate(() => (window as unknown as LessonWindow).gradlab.running))) await p.click('#play');
  await p.waitForFunction((n) => (window as unknown as LessonWindow).gradlab.step >= n, to, { timeout, polling: 250 });
  await p.evaluate(() => (window as unknown as LessonWindow).lab.stop());
  await p.waitForFunction(() => !(window as unknown as LessonWindow).gradlab.running);
  await p.screenshot({ path: join(SHOTS, `lessonseeds-${id}-${seed}.png`), fullPage: true, timeout: 60_000 });
  return p.evaluate(() => {
    const w = window as unknown as LessonWindow;
    const box = document.getElementById('lesson-verdict')!;
    return {
      shown: w.__shown.slice(),
      end: { verdict: box.dataset.verdict!, step: w.gradlab.step, head: box.querySelector('strong')!.textContent!, evidence: box.querySelector('pre')!.textContent! },
      evals: w.gradlab.evals,
      metrics: document.getElementById('metrics')!.textContent!,
      findings: document.getElementById('findings')?.textContent ?? '',
    };
  });
}

/** The verdicts from the first judgement on: pending first, then one pass and nothing else. */
export const judged = (shown: Shown[]) => shown.slice(shown.findIndex((s) => s.verdict !== 'pending'));

export type { Browser };
