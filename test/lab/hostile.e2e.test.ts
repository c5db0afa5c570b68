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

  it('hostile links — negative layers, lr=NaN, an unknown activation, 10,000 layers (a 70 KB link), a huge width, markup in every echoed value, settings after #: the page loads, says what it used, runs no injected script', async () => {
    const p = env.b.page;
    const inject = encodeURIComponent('"><img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>');
    const links: Array<[string, RegExp]> = [
      ['?layers=-3', /^layers=-3: '-3': the width must be an integer from 1 to 128; using 1$/],
      ['?lr=NaN', /^lr=NaN: the learning rate must be a number from 0\.000001 to 10; using /],
      ['?layers=8:swish', /^layers=8:swish: '8:swish': unknown activation 'swish'; one of .*; using relu$/],
      [`?layers=${Array(10_000).fill('8:relu').join(',')}`, /at most 40/],
      ['?layers=1000000000:relu', /the width must be an integer from 1 to 128; using 128$/],
      ...(['data', 'opt', 'layers', 'lr', 'model', 'init', 'loss', 'batch'].map((k) => [`?${k}=${inject}`, new RegExp(`^${k}="><img src=x onerror=.*…: `)]) as Array<[string, RegExp]>),
      [`?${inject}=1`, /^"><img src=x onerror=.*…=1: unknown setting; the settings are /],
      // Settings after '#' are read (they were ignored without a word) and moved into the query.
      ['#lr=NaN&layers=8:relu', /^lr=NaN: the learning rate must be a number from 0\.000001 to 10; using /],
    ];
    for (const [link, said] of links) {
      env.b.errors.length = 0;
      await p.goto(`${env.server.url}${link}`);
      await waitReady(p);
      const h = await handle(p);
      const pwned = await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned ?? 0);
      expect(pwned, link.slice(0, 80)).toBe(0);
      expect(await p.isVisible('#notice'), link.slice(0, 80)).toBe(true);
      expect(h.notice.some((m) => said.test(m)), `${link.slice(0, 80)}: ${JSON.stringify(h.notice).slice(0, 400)}`).toBe(true);
      expect(h.state.layers.length).toBeLessThanOrEqual(40);
      expect(h.state.layers.every((l) => l.width >= 1 && l.width <= 128)).toBe(true);
      expect(Number.isFinite(h.state.lr) && h.state.lr > 0).toBe(true);
      expect(await p.$$eval('#notice img, #notice script', (els) => els.length)).toBe(0);
      expect(env.b.errors, link.slice(0, 80)).toEqual([]);
    }
    // The hash's settings now live in the query, which the page keeps up to date.
    expect(new URL(p.url()).hash).toBe('');
    expect(new URL(p.url()).searchParams.get('layers')).toBe('8:relu');
  }, 180_000);

  it('window.lab called with hostile arguments throws an Error naming the call and the value, and changes nothing', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=moons&layers=8:relu*2`);
    await waitReady(p);
    const before = (await handle(p)).state;
    const calls: Array<[string, RegExp]> = [
      ['lab.set(null)', /^lab\.set: settings must be an object such as \{lr: 0\.01, layers: '16:relu\*2'\}, got null$/],
      ['lab.set("lr=0.1")', /^lab\.set: settings must be an object .*, got "lr=0\.1"$/],
      ['lab.set({layers: [8, 8]})', /^lab\.set: layers must be a string, number or boolean .*, got an array$/],
      ['lab.set({lr: NaN})', /^lab\.set: lr=NaN: the learning rate must be a number from 0\.000001 to 10/],
      ['lab.set({layers: "8:relu*10000"})', /^lab\.set: layers=8:relu\*10000: .*from 1 to 40/],
      ['lab.set({act: "relu"})', /^lab\.set: act=relu: unknown setting/],
      ['lab.startLesson("nope")', /^lab\.startLesson: no lesson 'nope'; lessons: /],
      ['lab.loadCsv(null)', /^lab\.loadCsv: text must be a CSV file's text \(a string\), got null$/],
      ['lab.answer("nope", 0)', /nope/],
    ];
    for (const [call, says] of calls) {
      const message = await p.evaluate((c) => {
        try {
          new Function('lab', c)((window as unknown as { lab: unknown }).lab);
          return 'no error';
        } catch (e) {
          return e instanceof Error ? e.message : `not an Error: ${String(e)}`;
        }
      }, call);
      expect(message, call).toMatch(says);
    }
    expect((await handle(p)).state).toEqual(before);
    expect(env.b.errors).toEqual([]);
  }, 60_000);

  it('a #quiz= link naming no question says so above the first question (it showed question 1 without a word); a malformed escape too', async () => {
    const p = env.b.page;
    for (const [hash, shown] of [['#quiz=no-such-question', 'no-such-question'], ['#quiz=%E0%A4%A', '%E0%A4%A'], ['#quiz=%3Cimg%20src%3Dx%3E', '<img src=x>']]) {
      env.b.errors.length = 0;
      await p.goto(`${env.server.url}?data=moons${hash}`);
      await waitReady(p);
      await p.waitForSelector('.quiz-unknown', { timeout: 10_000 });
      expect(await p.textContent('.quiz-unknown')).toBe(`This link names quiz question '${shown}', which this lab does not have; showing question 1.`);
      expect(await p.$$eval('#quiz img', (els) => els.length)).toBe(0);
      expect(env.b.errors, hash).toEqual([]);
    }
    // Choosing a question clears it.
    await p.locator('.quiz-nav button').nth(1).click();
    expect(await p.$('.quiz-unknown')).toBeNull();
  }, 60_000);
});
