/**
 * A run stopped by a non-finite step, then Resume and Step pressed again and again, as a
 * student does (Debian's Chromium): the step counter shows the steps applied (the rejected step
 * is rolled back, as in `gradlab train`, whose last good weights are "before step N"), each retry
 * replaces the failed attempt's record instead of adding steps that never happened, the status
 * says which step was not applied and what Resume does, and no "NaN" reaches the page; a retry
 * that goes through continues the run, and the command note says where gradlab train stops.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SHOTS, waitReady, useLab } from './browser.js';

type W = {
  gradlab: { step: number; running: boolean; charts: { gradNorm: number[][]; loss: number[][] } };
  lab: { snapshot(): { steps: number[]; loss: Array<number | null>; findings: Array<{ rule: string; step: number; evidence: string }> } };
};
const read = (p: Page) =>
  p.evaluate(() => {
    const w = window as unknown as W;
    const s = w.lab.snapshot();
    return {
      step: w.gradlab.step,
      running: w.gradlab.running,
      steps: s.steps,
      loss: s.loss,
      findings: s.findings,
      gnormX: w.gradlab.charts.gradNorm[0],
      lossX: w.gradlab.charts.loss[0],
      status: document.getElementById('status')!.textContent ?? '',
      play: document.getElementById('play')!.textContent ?? '',
      text: ['status', 'metrics', 'hists', 'grad-card'].map((id) => document.getElementById(id)?.textContent ?? '').join(' '),
    };
  });
/** Until the status names `n` attempts at the rejected step (the retry's answer has arrived). */
const attempts = (p: Page, n: number) =>
  p.waitForFunction((k) => (document.getElementById('status')!.textContent ?? '').includes(k === 1 ? 'that step was not applied' : `${k} attempts`), n, { timeout: 30_000 });

describe('the lab after a non-finite step', () => {
  const env = useLab({ width: 1280, height: 900 }, { open: false });

  it('counts the steps applied; Resume and Step retry the rejected step and say so', async () => {
    const p = env.b.page;
    // The exploding lesson's settings: N(0, 1) weights, SGD at lr 2.
    await p.goto(`${env.server.url}?data=spiral&layers=16:relu*6&init=normal&opt=sgd&lr=2&batch=16&seed=1`);
    await waitReady(p);
    await p.click('#play');
    await attempts(p, 1);
    const first = await read(p);
    const k = first.step;
    expect(first.running).toBe(false);
    // Steps 1…k applied, step k + 1 rejected: the counter says k, the status names k + 1.
    expect(first.steps).toEqual(Array.from({ length: k + 1 }, (_, i) => i + 1));
    expect(Number.isFinite(first.loss[k - 1])).toBe(true);
    expect(Number.isFinite(first.loss[k])).toBe(false);
    expect(first.status).toContain(`non-finite at step ${k + 1}`);
    expect(first.status).toContain(`the weights and the optimizer's state are those after step ${k}`);
    expect(first.status).toContain(`skips that batch and tries step ${k + 1} on the next one`);
    expect(first.status).toMatch(new RegExp(`· step ${k} ·`));
    expect(first.play).toBe('Resume');
    const nf = first.findings.filter((f) => f.rule === 'non-finite');
    expect(nf).toHaveLength(1);
    expect(nf[0].step).toBe(k + 1);
    // The weights are those after step k: the last evaluation is labelled k.
    expect(first.lossX.at(-1)).toBe(k);

    // Resume and Step, pressed again and again: each retries step k + 1 on the next batch.
    let n = 1;
    for (const button of ['#play', '#play', '#step', '#play', '#step', '#step']) {
      await p.click(button);
      await attempts(p, ++n);
      const s = await read(p);
      expect(s.step, `after ${button} (${n} attempts)`).toBe(k);
      expect(s.running).toBe(false);
      expect(s.steps).toEqual(first.steps);
      expect(s.findings.filter((f) => f.rule === 'non-finite').map((f) => f.step)).toEqual([k + 1]);
      // One point per step on the charts, none past the rejected step.
      expect(new Set(s.gnormX).size).toBe(s.gnormX.length);
      expect(Math.max(...s.gnormX)).toBeLessThanOrEqual(k + 1);
      expect(Math.max(...s.lossX)).toBe(k);
      expect(s.status).toContain(`non-finite at step ${k + 1}, ${n} attempts`);
    }
    const last = await read(p);
    // Numbers where numbers belong: the metrics, the status and the histogram captions (a finding may quote the loss, "loss NaN", as the CLI does).
    expect(last.text).not.toMatch(/\bNaN\b|undefined|Infinity/);
    await p.locator('header').screenshot({ path: join(SHOTS, 'nonfinite-status.png') });
    await p.screenshot({ path: join(SHOTS, 'nonfinite-retried.png'), fullPage: true });

    // A setting changed on a stopped run starts it again (as the status says): counter 0, Train.
    await p.fill('#in-lr', '0.2');
    await p.press('#in-lr', 'Enter');
    await p.waitForFunction(() => (window as unknown as W).gradlab.step === 0 && document.getElementById('play')!.textContent === 'Train', null, { timeout: 30_000 });
    await waitReady(p);
    expect((await read(p)).status).not.toContain('non-finite');
    expect(env.b.errors).toEqual([]);
  }, 120_000);

  it('a retry that goes through: the run goes on from the step it retried, and the command is said to stop before it', async () => {
    const p = env.b.page;
    // Batches of one on a deep N(0, 1) ReLU net: some examples overflow, others do not.
    await p.goto(`${env.server.url}?data=xor&layers=32:relu*8&init=normal&opt=sgd&lr=1&batch=1&seed=1`);
    await waitReady(p);
    await p.click('#play');
    await attempts(p, 1);
    const first = await read(p);
    const k = first.step;
    let tries = 1;
    while ((await read(p)).step === k && tries < 40) {
      await p.click('#step');
      tries++;
      // The answer: another attempt named, or the step applied.
      await p.waitForFunction(([k, n]) => (window as unknown as W).gradlab.step > k || (document.getElementById('status')!.textContent ?? '').includes(`${n} attempts`), [k, tries] as const, { timeout: 30_000 });
    }
    const s = await read(p);
    expect(s.step, `still rejected after ${tries} attempts`).toBe(k + 1);
    // Each step once, the retried one with its finite loss; the status no longer says stopped.
    expect(s.steps).toEqual(Array.from({ length: k + 1 }, (_, i) => i + 1));
    expect(s.loss.every((l) => Number.isFinite(l))).toBe(true);
    expect(s.status).not.toContain('non-finite');
    const note = await p.evaluate(() => { const n = document.getElementById('cli-note')!; return n.hidden ? '' : n.textContent; });
    expect(note).toBe(`Step ${k + 1} went non-finite and was taken on another batch (${tries - 1} batch${tries === 2 ? '' : 'es'} skipped): gradlab train stops at that step, so the command replays this run only up to step ${k}.`);
    expect(env.b.errors).toEqual([]);
  }, 90_000);
});
