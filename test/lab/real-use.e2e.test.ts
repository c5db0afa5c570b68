/**
 * The lab under real use in Chromium: Back/Forward between settings and lessons, a reload in the
 * middle of a lesson, pause/resume/reset (the same seed gives the same numbers), two tabs at once,
 * switching data set and model while training, and keyboard-only use — with no console or page
 * error and no request outside the lab's own origin throughout.
 */
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { externalRequests, pause, SHOTS, waitReady, waitSteps, useLab } from './browser.js';

interface Snap {
  runId: number;
  steps: number[];
  loss: Array<number | null>;
}
type Win = { gradlab: { state: { dataset: string; model: string; layers: Array<{ width: number }> }; lesson: string | null; step: number; running: boolean; ready: boolean }; lab: { snapshot(): Snap } };

const now = (p: Page) =>
  p.evaluate(() => {
    const w = window as unknown as Win;
    const banner = document.getElementById('lesson-banner')!;
    return { dataset: w.gradlab.state.dataset, model: w.gradlab.state.model, width: w.gradlab.state.layers[0]?.width, lesson: w.gradlab.lesson, banner: !banner.hidden, search: location.search, snap: w.lab.snapshot() };
  });

/**
 * The losses two records give for the steps both kept (the page thins its per-step record as it
 * grows, and a busy machine lets a run go thousands of steps before a pause lands).
 */
function common(a: Snap, b: Snap): { steps: number[]; a: Array<number | null>; b: Array<number | null> } {
  const lossOf = new Map(b.steps.map((s, i) => [s, b.loss[i]]));
  const steps = a.steps.filter((s) => lossOf.has(s));
  return { steps, a: steps.map((s) => a.loss[a.steps.indexOf(s)]), b: steps.map((s) => lossOf.get(s)!) };
}

/** Until the run in the page is a new one (its id changed) and ready. */
const newRun = async (p: Page, runId: number) => {
  await p.waitForFunction((id) => (window as unknown as Win).lab.snapshot().runId !== id, runId, { timeout: 30_000 });
  await waitReady(p);
};

describe('the lab under real use (chromium)', () => {
  const env = useLab({ width: 1280, height: 900 }, { open: false });

  it('Back and Forward step through the settings and lessons the user chose, without leaving the lab', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=spiral&layers=16:tanh*2`);
    await waitReady(p);
    const start = await now(p);
    await p.fill('#in-width', '12');
    await p.press('#in-width', 'Enter');
    await newRun(p, start.snap.runId);
    const widened = await now(p);
    expect(widened.width).toBe(12);
    const lessonId = await p.getAttribute('button[data-lesson]', 'data-lesson');
    await p.click('button[data-lesson]');
    await newRun(p, widened.snap.runId);
    const inLesson = await now(p);
    expect(inLesson.lesson).toBe(lessonId);

    await p.goBack();
    await p.waitForFunction(() => (window as unknown as Win).gradlab.lesson === null);
    await waitReady(p);
    let at = await now(p);
    expect(p.url().startsWith(env.origin)).toBe(true);
    expect([at.search, at.width, at.banner]).toEqual([widened.search, 12, false]);
    await p.goBack();
    await p.waitForFunction(() => (window as unknown as Win).gradlab.state.layers[0]?.width === 16);
    at = await now(p);
    expect([at.search, at.dataset]).toEqual([start.search, 'spiral']);

    await p.goForward();
    await p.goForward();
    await p.waitForFunction((id) => (window as unknown as Win).gradlab.lesson === id, lessonId);
    await waitReady(p);
    at = await now(p);
    expect([at.search, at.banner]).toEqual([inLesson.search, true]);
  }, 60_000);

  it('a reload in the middle of a lesson keeps the lesson and its settings, and the run starts over with the same numbers', async () => {
    const p = env.b.page;
    const before = await now(p);
    expect(before.lesson).not.toBeNull();
    await p.evaluate(() => (window as unknown as { lab: { start(): void } }).lab.start());
    await waitSteps(p, 40);
    const first = (await now(p)).snap;
    await p.reload();
    await waitReady(p);
    const after = await now(p);
    expect([after.lesson, after.banner, after.search]).toEqual([before.lesson, true, before.search]);
    await p.evaluate(() => (window as unknown as { lab: { start(): void } }).lab.start());
    await waitSteps(p, 40);
    await pause(p);
    const again = common((await now(p)).snap, first);
    expect(again.steps.length).toBeGreaterThanOrEqual(20);
    expect(again.a).toEqual(again.b);
  }, 60_000);

  it('pause, resume and Reset: a reset run retraces the same seed\'s losses step for step', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=circles&layers=8:relu*2&opt=sgd&lr=0.1&batch=16&seed=7`);
    await waitReady(p);
    await p.click('#play');
    await waitSteps(p, 30);
    await pause(p);
    const paused = (await now(p)).snap;
    // Paused means paused: nothing more arrives.
    await p.waitForTimeout(300);
    expect((await now(p)).snap.steps.length).toBe(paused.steps.length);
    await p.click('#play');
    await waitSteps(p, paused.steps.at(-1)! + 30);
    await pause(p);
    const resumed = (await now(p)).snap;
    expect(resumed.steps.at(-1)).toBeGreaterThan(paused.steps.at(-1)!);
    const kept = common(paused, resumed);
    expect(kept.steps.length).toBeGreaterThanOrEqual(20);
    expect(kept.a).toEqual(kept.b);
    await p.click('#reset');
    await newRun(p, resumed.runId);
    expect((await now(p)).snap.steps).toEqual([]);
    await p.click('#play');
    await waitSteps(p, resumed.steps.at(-1)!);
    await pause(p);
    const redone = common((await now(p)).snap, resumed);
    expect(redone.steps.length).toBeGreaterThanOrEqual(20);
    expect(redone.a).toEqual(redone.b);
  }, 60_000);

  it('two tabs train at once, each its own settings; switching data set and model while training starts a clean run', async () => {
    const p = env.b.page;
    const q = await env.b.context.newPage();
    q.on('console', (m) => m.type() === 'error' && env.b.errors.push(m.text()));
    q.on('pageerror', (e) => env.b.errors.push(String(e)));
    await p.goto(`${env.server.url}?data=xor&layers=8:relu*2`);
    await q.goto(`${env.server.url}?data=moons&layers=6:tanh*1`);
    await Promise.all([waitReady(p), waitReady(q)]);
    await Promise.all([p.click('#play'), q.click('#play')]);
    await Promise.all([waitSteps(p, 100), waitSteps(q, 100)]);
    const [a, c] = await Promise.all([now(p), now(q)]);
    expect([a.dataset, c.dataset]).toEqual(['xor', 'moons']);
    expect(a.search).toContain('layers=8:relu*2');
    expect(c.search).toContain('layers=6:tanh');
    await q.close();

    // Still training: a new data set, then MNIST's CNN. The old run's messages never reach the page.
    expect((await now(p)).snap.steps.length).toBeGreaterThan(0);
    let runId = (await now(p)).snap.runId;
    await p.selectOption('#in-data', 'circles');
    await newRun(p, runId);
    let at = await now(p);
    expect([at.dataset, at.snap.steps.length]).toEqual(['circles', 0]);
    await p.selectOption('#in-data', 'mnist');
    await newRun(p, at.snap.runId);
    await p.click('#play');
    await waitSteps(p, 2);
    runId = (await now(p)).snap.runId;
    await p.selectOption('#in-model', 'cnn-small');
    await newRun(p, runId);
    at = await now(p);
    expect([at.dataset, at.model]).toEqual(['mnist', 'cnn-small']);
    expect(at.snap.steps.every((s) => s <= 2)).toBe(true);
    await p.click('#play');
    await waitSteps(p, 2);
    await pause(p);
  }, 60_000);

  it('keyboard only: Tab reaches every enabled control, each named and with a visible focus ring; Enter and Space work', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=spiral`);
    await waitReady(p);
    await p.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
    const controls = await p.$$eval('a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])', (els) =>
      els
        .filter((e) => !(e as HTMLInputElement).disabled && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden')
        // A radio group is one Tab stop (the arrow keys move within it).
        .map((e) => ((e as HTMLInputElement).type === 'radio' ? `radio:${(e as HTMLInputElement).name}` : e.id || e.outerHTML.slice(0, 80))),
    );
    await p.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached: Array<{ key: string; name: string; ring: boolean }> = [];
    for (let i = 0; i < controls.length + 5; i++) {
      await p.keyboard.press('Tab');
      const f = await p.evaluate(() => {
        const e = document.activeElement as HTMLElement | null;
        if (!e || e === document.body) return null;
        const cs = getComputedStyle(e);
        const labels = (e as HTMLInputElement).labels;
        const name = e.getAttribute('aria-label') ?? (labels?.length ? labels[0].textContent : null) ?? (e.tagName === 'INPUT' ? e.getAttribute('title') : e.textContent);
        return { key: (e as HTMLInputElement).type === 'radio' ? `radio:${(e as HTMLInputElement).name}` : e.id || e.outerHTML.slice(0, 80), name: (name ?? '').trim(), ring: (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0) || cs.boxShadow !== 'none' };
      });
      if (!f) continue;
      if (reached.some((r) => r.key === f.key)) break;
      reached.push(f);
    }
    expect([...new Set(controls)].filter((c) => !reached.some((r) => r.key === c))).toEqual([]);
    expect(reached.filter((r) => !r.name || !r.ring)).toEqual([]);
    // Enter on Train starts the run, Space on the page pauses it.
    await p.focus('#play');
    await p.keyboard.press('Enter');
    await waitSteps(p, 20);
    await p.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await p.keyboard.press('Space');
    await p.waitForFunction(() => !(window as unknown as Win).gradlab.running, null, { timeout: 10_000 });
    await p.screenshot({ path: join(SHOTS, 'lab-real-use-keyboard.png') });
  }, 60_000);

  it('an uploaded CSV, then a lesson, then Back: the run is on the file again, without asking for it', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=spiral&layers=8:tanh*2`);
    await waitReady(p);
    const rows = ['u,v,label'];
    for (let i = 0; i < 200; i++) {
      const u = Math.cos(i * 2.39996) * (i % 2 ? 1 : 2);
      const v = Math.sin(i * 2.39996) * (i % 2 ? 1 : 2);
      rows.push(`${u.toFixed(4)},${v.toFixed(4)},${i % 2 ? 'in' : 'out'}`);
    }
    const csv = join(mkdtempSync(join(tmpdir(), 'gradlab-realuse-')), 'rings.csv');
    writeFileSync(csv, rows.join('\n') + '\n');
    let runId = (await now(p)).snap.runId;
    await p.setInputFiles('#in-csv', csv);
    await newRun(p, runId);
    const onFile = await now(p);
    expect(onFile.dataset).toBe('local');
    await p.click('#play');
    await waitSteps(p, 20);
    runId = onFile.snap.runId;
    await p.click('button[data-lesson]');
    await newRun(p, runId);
    expect((await now(p)).dataset).not.toBe('local');
    await p.goBack();
    await p.waitForFunction(() => (window as unknown as Win).gradlab.state.dataset === 'local');
    await waitReady(p);
    expect(await p.textContent('#status')).not.toMatch(/error/i);
    await p.click('#play');
    await waitSteps(p, 20);
    await pause(p);
    expect((await now(p)).snap.loss.every((l) => l !== null && Number.isFinite(l))).toBe(true);
  }, 60_000);

  it('a run stopped by a non-finite loss shows dashes, never "NaN", and its lone finite evaluation as a dot', async () => {
    const p = env.b.page;
    await p.goto(env.server.url);
    await waitReady(p);
    await p.evaluate(() => (window as unknown as { lab: { startLesson(id: string): void } }).lab.startLesson('exploding'));
    await p.waitForFunction(() => /non-finite/.test(document.getElementById('status')!.textContent ?? ''), null, { timeout: 60_000 });
    expect(await p.textContent('#metrics')).not.toMatch(/NaN|Infinity|undefined/);
    expect(await p.textContent('output[data-metric="train-loss"]')).toBe('—');
    // Coloured pixels in the loss plot: the series' dots (a blank plot has only grey grid and dark text).
    const coloured = await p.$eval('#loss-chart canvas', (c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 80) n++;
      return n;
    });
    expect(coloured).toBeGreaterThan(10);
    await p.locator('main').screenshot({ path: join(SHOTS, 'lab-real-use-nonfinite.png') });
  }, 60_000);

  it('made no request outside its own origin and logged no console or page error', () => {
    expect(env.b.requests.length).toBeGreaterThan(5);
    expect(externalRequests(env.b.requests, env.origin)).toEqual([]);
    expect(env.b.errors).toEqual([]);
  });
});
