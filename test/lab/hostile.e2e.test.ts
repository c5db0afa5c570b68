/**
 * The lab under a tester's hands (Debian's Chromium): hostile values typed into the number
 * fields (out of range, empty, text the browser cannot read as a number) are clamped or kept and
 * the notice says which field, what was typed and what is used; BatchNorm with a batch of one
 * becomes batch 2, said; a link with a 5,000-character value gives a short notice that fits a
 * 390 px phone; the layer panels say which step they show; Train clicked before the first
 * evaluation arrived is not undone by it. No console or page error throughout. Screenshots: artifacts/lab/hostile-*.png.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { pause, SHOTS, waitReady, waitSteps, useLab } from './browser.js';

type W = { gradlab: { notice: string[]; state: { lr: number; batchSize: number; noise: number; layers: Array<{ width: number }> }; step: number; layers: Array<{ step?: number }> | null } };
const handle = (p: Page) => p.evaluate(() => { const g = (window as unknown as W).gradlab; return { notice: g.notice, state: g.state, step: g.step }; });

/** Type into a field as a user does (select all, type, Tab away) and wait for the notice to change. */
async function typeInto(p: Page, id: string, text: string): Promise<void> {
  const before = JSON.stringify((await handle(p)).notice);
  await p.click(id, { clickCount: 3 });
  await p.keyboard.press('Control+A');
  await p.keyboard.press('Backspace');
  if (text) await p.keyboard.type(text);
  await p.keyboard.press('Tab');
  await p.waitForFunction((b) => JSON.stringify((window as unknown as W).gradlab.notice) !== b, before, { timeout: 10_000 });
}

describe('the lab with hostile input', () => {
  const env = useLab({ width: 1280, height: 900 }, { open: false });

  it('typed values out of range, empty or unreadable: clamped or kept, and said in the notice', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=moons&layers=8:relu*2`);
    await waitReady(p);
    await typeInto(p, '#in-lr', '1000000');
    expect((await handle(p)).notice).toEqual(['lr=1000000: the learning rate must be a number from 0.000001 to 10; using 10']);
    expect(await p.inputValue('#in-lr')).toBe('10');
    await typeInto(p, '#in-batch', '-5');
    expect((await handle(p)).notice).toEqual(['batch=-5: the batch size must be an integer from 1 to 1024; using 1']);
    await typeInto(p, '#in-width', '1000000000');
    expect((await handle(p)).notice).toEqual(['You typed "1000000000": the width of the hidden layers must be an integer from 1 to 128; using 128']);
    // "1e" is no number: the browser reports it as empty; the notice says what happened, the old value stays.
    await typeInto(p, '#in-noise', '1e');
    expect((await handle(p)).notice).toEqual(['noise: you typed something that is not a number: the noise must be a number from 0 to 0.5; using 0.1']);
    await typeInto(p, '#in-depth', '1e');
    expect((await handle(p)).notice).toEqual(['You typed something that is not a number: the number of hidden layers must be an integer from 0 to 40; using 2']);
    const h = await handle(p);
    expect(h.state).toMatchObject({ lr: 10, batchSize: 1, noise: 0.1 });
    expect(h.state.layers.map((l) => l.width)).toEqual([128, 128]);
    await p.locator('#notice').screenshot({ path: join(SHOTS, 'hostile-notice.png') });
    expect(env.b.errors).toEqual([]);
  }, 60_000);

  it('BatchNorm switched on with a batch of one (which gradlab train refuses): batch 2, said, and it trains', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=moons&layers=8:relu*2&batch=1`);
    await waitReady(p);
    expect((await handle(p)).notice).toEqual([]);
    await p.check('#in-bn');
    await p.waitForFunction(() => (window as unknown as W).gradlab.notice.length === 1);
    expect((await handle(p)).notice).toEqual(['batch=1: with BatchNorm the batch size must be at least 2 (the variance of a batch of one example is 0, so BatchNorm cannot normalise it); using 2']);
    expect(await p.inputValue('#in-batch')).toBe('2');
    await waitReady(p);
    await p.click('#play');
    await waitSteps(p, 20);
    await pause(p);
    expect(await p.textContent('#status')).not.toMatch(/error/i);
    expect(env.b.errors).toEqual([]);
  }, 60_000);

  it('the layer panels say which monitored step they show', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=spiral&layers=8:tanh*3&batch=8`);
    await waitReady(p);
    await p.click('#play');
    await waitSteps(p, 40);
    await pause(p);
    const { at, step } = await p.evaluate(() => ({ at: (window as unknown as W).gradlab.layers![0].step!, step: (window as unknown as W).gradlab.step }));
    expect(at % 5).toBe(0);
    expect(at).toBeLessThanOrEqual(step);
    expect(step - at).toBeLessThan(5);
    for (const id of ['#grad-when', '#act-when']) expect(await p.textContent(id)).toBe(`At step ${at} (measured every 5 steps).`);
    // A new run clears them until its first measurement.
    await p.click('#reset');
    await waitReady(p);
    expect(await p.textContent('#grad-when')).toBe('');
    expect(env.b.errors).toEqual([]);
  }, 60_000);

  it('Train clicked at once, while the first evaluation is still under way: the page never says it stopped', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=mnist&model=cnn&batch=16`);
    await waitReady(p);
    await p.click('#play');
    // Sampled in the page every animation frame until two steps ran: never "not running", never "Train"/"Resume".
    const states = await p.evaluate(
      () =>
        new Promise<string[]>((resolve) => {
          const g = (window as unknown as { gradlab: { running: boolean; step: number } }).gradlab;
          const seen = new Set<string>();
          const t0 = performance.now();
          const tick = () => {
            seen.add(`${g.running}/${document.getElementById('play')!.textContent}`);
            if (g.step >= 2 || performance.now() - t0 > 45_000) resolve([...seen]);
            else requestAnimationFrame(tick);
          };
          tick();
        }),
    );
    expect(states).toEqual(['true/Pause']);
    await pause(p);
    expect(env.b.errors).toEqual([]);
  }, 60_000);

  it('Train, Pause, Step and Reset pressed as fast as a hand can: the page ends in the state the last press asked for', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=spiral&layers=16:tanh*3`);
    await waitReady(p);
    const order = ['#play', '#play', '#step', '#play', '#reset', '#play', '#play', '#step', '#play', '#play', '#play', '#reset', '#play'];
    // No waiting between presses; a click on a disabled Step (while running) does nothing, as a
    // hand's (force: no waiting for it to be enabled, which it may become or stop being meanwhile).
    for (const id of order) await p.click(id, { force: true, timeout: 2_000 });
    await waitSteps(p, 30);
    expect(await p.textContent('#play')).toBe('Pause');
    await pause(p);
    const a = await p.evaluate(() => ({ step: (window as unknown as W).gradlab.step, steps: (window as unknown as { lab: { snapshot(): { steps: number[] } } }).lab.snapshot().steps }));
    // One run, its steps 1, 2, 3, … with nothing of the runs before the Reset mixed in, and paused means paused.
    expect(a.steps[0]).toBe(1);
    expect(a.steps.every((v, i) => v === i + 1)).toBe(true);
    expect(a.steps.at(-1)).toBe(a.step);
    await p.waitForTimeout(500);
    expect(await p.evaluate(() => (window as unknown as W).gradlab.step)).toBe(a.step);
    expect(await p.textContent('#play')).toBe('Resume');
    expect(env.b.errors).toEqual([]);
  }, 60_000);

  it('a link with a 5,000-character value: a short notice that fits a phone', async () => {
    const phone = await env.b.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    const errors: string[] = [];
    phone.on('pageerror', (e) => errors.push(String(e)));
    phone.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await phone.goto(`${env.server.url}?layers=${'q:relu,'.repeat(700)}&data=${'x'.repeat(5000)}`);
    await waitReady(phone);
    const notice = (await handle(phone)).notice;
    expect(notice.length).toBeLessThanOrEqual(8);
    expect(notice.join('\n').length).toBeLessThan(2000);
    expect(notice).toContain(`data=${'x'.repeat(39)}…: unknown data set; one of spiral, circles, xor, moons, blobs, mnist, local; using spiral`);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(1);
    expect((await phone.locator('#notice').boundingBox())!.height).toBeLessThan(700);
    await phone.screenshot({ path: join(SHOTS, 'hostile-phone-notice.png') });
    await phone.close();
    expect(errors).toEqual([]);
  }, 60_000);
});
