/**
 * The gradient-norm chart's log axis on a run whose norms span 1e-30 to 5e4 with exact zeros (a
 * 64-wide, 6-layer ReLU net with normal(0, 1) init, clipped at 1): uPlot's own log ticks looped
 * without end there and the page died with "RangeError: Invalid array length" a few hundred steps
 * in. The lab now draws decades itself and treats values ≤ 0 as gaps. Also the clipping lesson as
 * a student runs it. No console or page errors.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { canvasColours, SHOTS, waitReady, waitSteps, useLab } from './browser.js';

type G = { gradlab: { charts: { gradNorm: number[][] }; running: boolean }; lab: { stop(): void } };

async function trainTo(p: Page, steps: number): Promise<void> {
  await waitSteps(p, steps, 90_000);
  await p.evaluate(() => (window as unknown as G).lab.stop());
  const g = await p.evaluate(() => (window as unknown as G).gradlab.charts.gradNorm);
  expect(g[0].length).toBeGreaterThan(100);
  expect(await canvasColours(p, '#gnorm-chart canvas')).toBeGreaterThan(3);
}

describe('the log-scale gradient-norm chart', () => {
  const env = useLab({ width: 1280, height: 900 }, { open: false });

  it('survives gradient norms from 1e-30 to 5e4 with exact zeros', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=spiral&noise=0.1&layers=64:relu*6&init=normal&opt=sgd&lr=0.2&clip=1&batch=16&seed=1`);
    await waitReady(p);
    if (!(await p.evaluate(() => (window as unknown as G).gradlab.running))) await p.click('#play');
    await trainTo(p, 1500);
    await p.locator('#gnorm-chart').screenshot({ path: join(SHOTS, 'logchart-wide-range.png') });
    expect(env.b.errors).toEqual([]);
  }, 120_000);

  it('the clipping lesson trains past step 1500 with its chart drawn', async () => {
    const p = env.b.page;
    await p.goto(env.server.url);
    await waitReady(p);
    await p.click('button[data-lesson="clipping"]');
    await trainTo(p, 1500);
    expect(env.b.errors).toEqual([]);
  }, 120_000);
});
