/**
 * A student's session (Debian's Chromium): lessons switched thirty times and Train/Pause pressed
 * fifty times, the same seed typed again, Reset and reload, a value typed again, a long status
 * on a small screen. The page's memory stays flat, the page ends in the
 * state the last press asked for, the same seed retraces its run exactly, and the sticky
 * header never covers the settings or the focused control.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CDPSession, Page } from 'playwright-core';
import { SHOTS, externalRequests, useLab, waitReady } from './browser.js';

type W = {
  lab: { lessons(): Array<{ id: string }>; snapshot(): { runId: number; loss: number[] } };
  gradlab: { ready: boolean; step: number; running: boolean; state: { lr: number }; charts: Record<string, number[][]> };
};
const g = (p: Page) => p.evaluate(() => {
  const w = window as unknown as W;
  return { step: w.gradlab.step, running: w.gradlab.running, runId: w.lab.snapshot().runId, play: document.getElementById('play')!.textContent, note: document.getElementById('cli-note')!.hidden ? '' : document.getElementById('cli-note')!.textContent, points: Object.values(w.gradlab.charts).map((c) => c[0].length) };
});
/**
 * The page's JavaScript heap after a GC (CDP). The worker's memory is not read here: the
 * kernels' thread-pool workers answer performance.measureUserAgentSpecificMemory() only after
 * its 60 s timeout (ARCHITECTURE.md, "The web lab", gives a measurement).
 */
async function pageHeap(p: Page, cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const m = await cdp.send('Performance.getMetrics');
  return m.metrics.find((x) => x.name === 'JSHeapUsedSize')!.value;
}
/** Step `n` batches with the Step button, each press waiting for its answer; the run's losses. */
async function stepBatches(p: Page, n: number): Promise<number[]> {
  for (let i = 0; i < n; i++) {
    const k = await p.evaluate(() => (window as unknown as W).gradlab.step);
    await p.click('#step');
    await p.waitForFunction((k) => (window as unknown as W).gradlab.step > k && !(document.getElementById('step') as HTMLButtonElement).disabled, k, { timeout: 30_000 });
  }
  return p.evaluate(() => (window as unknown as W).lab.snapshot().loss);
}
const fresh = (p: Page) => p.waitForFunction(() => (window as unknown as W).gradlab?.ready && (window as unknown as W).gradlab.step === 0, null, { timeout: 60_000 });

describe('a long session in the lab', () => {
  const env = useLab({ width: 1280, height: 900 });

  it('thirty lesson switches and fifty Train/Pause presses: the page keeps its memory, the charts stay bounded, the last press wins', async () => {
    const p = env.b.page;
    const ids = await p.evaluate(() => (window as unknown as W).lab.lessons().map((l) => l.id));
    const cdp = await env.b.context.newCDPSession(p);
    await cdp.send('Performance.enable');
    const t0 = Date.now();
    const switchTo = async (i: number) => {
      await p.click(`button[data-lesson="${ids[i % ids.length]}"]`);
      // Each switch is a new run that trains (a lesson starts itself).
      await p.waitForFunction(() => (window as unknown as W).gradlab.ready && (window as unknown as W).gradlab.step > 0, null, { timeout: 60_000 });
    };
    // Every lesson once (the baseline holds what each lesson's first run allocates), then the
    // baseline, then every lesson again: thirty-two switches in all.
    for (let i = 0; i < ids.length; i++) await switchTo(i);
    await p.click('#play');
    await p.waitForFunction(() => !(window as unknown as W).gradlab.running, null, { timeout: 10_000 });
    const base = await pageHeap(p, cdp);
    for (let i = 0; i < ids.length; i++) await switchTo(i);
    const t1 = Date.now();
    const runs = (await g(p)).runId;
    for (let i = 0; i < 50; i++) await p.click('#play');
    // Fifty presses on a running lesson: running again, and training.
    const k = (await g(p)).step;
    await p.waitForFunction((k) => (window as unknown as W).gradlab.running && (window as unknown as W).gradlab.step > k + 50, k, { timeout: 30_000 });
    await p.click('#play');
    await p.waitForFunction(() => !(window as unknown as W).gradlab.running, null, { timeout: 10_000 });
    const stopped = await g(p);
    expect(stopped.play).toBe('Resume');
    expect(stopped.runId).toBe(runs);
    // Paused means paused: no step arrives afterwards.
    await p.waitForTimeout(500);
    expect((await g(p)).step).toBe(stopped.step);
    const after = await pageHeap(p, cdp);
    console.log(`session: ${2 * ids.length} lesson switches in ${((t1 - t0) / 1000).toFixed(1)} s; page heap ${base} → ${after} bytes`);
    expect(after, `page heap ${base} → ${after} bytes`).toBeLessThan(base * 1.25 + 2e6);
    await cdp.detach();
    // LineChart keeps at most 4,000 points per chart (thinned), however long the run.
    for (const n of stopped.points) expect(n).toBeLessThanOrEqual(4000);
  }, 90_000);

  it('the same seed retraces its run exactly (typed again, Reset, reload); another seed changes it — an MLP with dropout and the CNN on MNIST', async () => {
    const p = env.b.page;
    for (const q of ['data=spiral&layers=16:relu*2&dropout=0.1&seed=3', 'data=mnist&model=cnn-small&seed=3']) {
      await p.goto(`${env.server.url}?${q}`);
      await fresh(p);
      const first = await stepBatches(p, 3);
      await p.fill('#in-seed', '4');
      await p.press('#in-seed', 'Enter');
      await fresh(p);
      const other = await stepBatches(p, 3);
      expect(other, q).not.toEqual(first);
      await p.fill('#in-seed', '3');
      await p.press('#in-seed', 'Enter');
      await fresh(p);
      expect(await stepBatches(p, 3), `${q}: seed typed again`).toEqual(first);
      await p.click('#reset');
      await fresh(p);
      expect(await stepBatches(p, 3), `${q}: Reset`).toEqual(first);
      await p.reload();
      await fresh(p);
      expect(await stepBatches(p, 3), `${q}: reload`).toEqual(first);
    }
  }, 90_000);

  it('a value typed again changes nothing: the run goes on, and the command is not said to differ', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=circles&layers=8:tanh*2&opt=sgd&lr=0.1&seed=2`);
    await waitReady(p);
    await p.click('#play');
    await p.waitForFunction(() => (window as unknown as W).gradlab.step > 20, null, { timeout: 30_000 });
    await p.click('#play');
    await p.waitForFunction(() => !(window as unknown as W).gradlab.running);
    const before = await g(p);
    for (const [id, v] of [['#in-lr', '0.10'], ['#in-width', '8'], ['#in-seed', '2']]) {
      await p.fill(id, v);
      await p.press(id, 'Enter');
    }
    await p.click('#play');
    await p.waitForFunction((k) => (window as unknown as W).gradlab.step > k + 20, before.step, { timeout: 30_000 });
    const after = await g(p);
    expect(after.runId).toBe(before.runId);
    expect(after.note).toBe('');
    expect(await p.inputValue('#in-lr')).toBe('0.1');
    await p.click('#play');
  }, 60_000);

  it('a long status on a small screen (a non-finite step, then Copy link): the settings and the focused control stay below the sticky header; screenshots at 1024×600, 200% zoom and a phone', async () => {
    const p = env.b.page;
    await p.setViewportSize({ width: 1024, height: 600 });
    await p.goto(`${env.server.url}?data=spiral&layers=16:relu*6&init=normal&opt=sgd&lr=2&batch=16&seed=1`);
    await waitReady(p);
    await p.click('#play');
    await p.waitForFunction(() => /non-finite/.test(document.getElementById('status')!.textContent ?? ''), null, { timeout: 60_000 });
    const geometry = () => p.evaluate(() => {
      const top = document.querySelector('.top')!;
      const sticky = getComputedStyle(top).position === 'sticky';
      const f = document.activeElement!.getBoundingClientRect();
      return { sticky, header: top.getBoundingClientRect().bottom, controls: document.querySelector('.controls')!.getBoundingClientRect().top, focus: f.top, inHeader: top.contains(document.activeElement) };
    });
    // Copy link on the stopped run: said, and the status still says why the run stopped.
    await p.click('#share');
    await p.waitForFunction(() => /link/.test(document.getElementById('status')!.textContent ?? ''), null, { timeout: 10_000 });
    expect(await p.textContent('#status')).toMatch(/^link.* · stopped: the loss became non-finite at step \d+/);
    await p.evaluate(() => window.scrollTo(0, 800));
    const scrolled = await geometry();
    expect(scrolled.sticky).toBe(true);
    // The status wraps to several lines: the header is taller than the 4.2rem the column once assumed.
    expect(scrolled.header).toBeGreaterThan(4.2 * 15 + 10);
    expect(scrolled.controls).toBeGreaterThanOrEqual(scrolled.header);
    await p.screenshot({ path: join(SHOTS, 'session-1024x600-scrolled.png') });
    // Tab from the top of the settings through the page: no focused control is under the header.
    await p.evaluate(() => window.scrollTo(0, 0));
    await p.focus('#in-data');
    for (let i = 0; i < 60; i++) {
      await p.keyboard.press('Tab');
      const at = await geometry();
      if (!at.inHeader) expect(at.focus, `Tab ${i + 1}: ${await p.evaluate(() => document.activeElement!.outerHTML.slice(0, 80))}`).toBeGreaterThanOrEqual(at.header - 1);
    }
    // A short window (200% zoom of 1280×900) and a phone: nothing sticks, nothing overflows sideways.
    for (const [w, h, name] of [[640, 450, 'zoom200'], [375, 740, 'phone']] as const) {
      await p.setViewportSize({ width: w, height: h });
      await p.evaluate(() => window.scrollTo(0, 600));
      const at = await geometry();
      expect(at.sticky, name).toBe(false);
      // The charts follow the new width a frame or more later (they resize on a ResizeObserver):
      // wait up to 10 s for the page to settle, then list whatever still sticks out.
      await p.waitForFunction(() => ![...document.querySelectorAll('body *')].some((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1), null, { timeout: 10_000 }).catch(() => undefined);
      const wide = await p.evaluate(() => [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map((e) => `${e.tagName}#${e.id}.${e.className}`));
      expect(wide, name).toEqual([]);
      await p.screenshot({ path: join(SHOTS, `session-${name}-scrolled.png`) });
    }
    await p.setViewportSize({ width: 1280, height: 900 });
  }, 90_000);

  it('made no request outside localhost and logged no console or page error', () => {
    expect(externalRequests(env.b.requests, env.origin)).toEqual([]);
    expect(env.b.errors).toEqual([]);
  });
});
