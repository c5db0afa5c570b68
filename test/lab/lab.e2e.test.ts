/**
 * The web lab end to end, in Debian's chromium driven by playwright-core: served by serveLab
 * from the built dist/lab (built here if missing), the page loads cross-origin isolated, its
 * menus come from the registries, changing activation/init/BatchNorm rebuilds the run and the
 * URL, training lowers the loss and updates the charts, a lesson produces the library's
 * health findings, step/pause work, a shared URL restores the state, MNIST trains, the layout
 * holds at phone size, and no request leaves localhost. Screenshots go to artifacts/lab/.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { ACTIVATION_NAMES } from '../../src/activations.js';
import { INIT_NAMES } from '../../src/init.js';
import { OPTIMIZER_NAMES } from '../../src/optim/registry.js';
import { CHROMIUM, externalRequests, canvasColours, pause, waitReady, waitSteps, SHOTS, useLab } from './browser.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const DIST = join(ROOT, 'dist', 'lab');
const haveChromium = existsSync(CHROMIUM);

interface LabHandle {
  state: { layers: Array<{ width: number; activation: string; bn: boolean }>; init: string; dataset: string; [k: string]: unknown };
  lesson: string | null;
  evals: Array<{ step: number; trainLoss: number; testLoss: number; trainAcc: number; testAcc: number }>;
  step: number;
  running: boolean;
  ready: boolean;
  backend: string | null;
  findings: string[];
}
const lab = (page: Page) => page.evaluate(() => {
  const g = (window as unknown as { gradlab: LabHandle }).gradlab;
  return { state: g.state, lesson: g.lesson, evals: g.evals, step: g.step, running: g.running, ready: g.ready, backend: g.backend, findings: g.findings };
});

describe('web lab in chromium', () => {
  it('has Chromium to drive (Debian chromium, installed by scripts/setup.sh)', () => {
    expect(haveChromium).toBe(true);
  });
  const env = useLab({ width: 1440, height: 1000 }, { open: false });

  it('loads cross-origin isolated, with menus from the registries', async () => {
    const res = await env.b.page.goto(env.server.url);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['cross-origin-opener-policy']).toBe('same-origin');
    expect(res?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    await waitReady(env.b.page);
    expect(await env.b.page.evaluate(() => crossOriginIsolated)).toBe(true);
    const values = (sel: string) => env.b.page.$$eval(`${sel} option`, (os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    expect(await values('#in-act')).toEqual([...ACTIVATION_NAMES]);
    expect(await values('#in-init')).toEqual([...INIT_NAMES]);
    expect(await values('#in-opt')).toEqual([...OPTIMIZER_NAMES]);
    // Default net is tanh: Xavier uniform is the marked recommendation.
    const marked = await env.b.page.$$eval('#in-init option', (os) => os.filter((o) => o.textContent!.includes('★')).map((o) => (o as HTMLOptionElement).value));
    expect(marked).toEqual(['xavierUniform']);
    // Every control has a label.
    const unlabelled = await env.b.page.$$eval('#settings input, #settings select', (els) =>
      els.filter((e) => !(e as HTMLInputElement).labels?.length && !e.getAttribute('aria-label')).map((e) => e.id),
    );
    expect(unlabelled).toEqual([]);
  });

  it('changes activation, init and BatchNorm, trains, and the loss falls while the charts update', async () => {
    const p = env.b.page;
    await p.selectOption('#in-act', 'relu');
    await p.selectOption('#in-init', 'kaimingNormal');
    await p.check('#in-bn');
    await waitReady(p);
    const st = (await lab(p)).state;
    expect(st.layers.every((l) => l.activation === 'relu' && l.bn)).toBe(true);
    expect(st.init).toBe('kaimingNormal');
    expect(p.url()).toContain('layers=16:relu:bn*2');
    expect(p.url()).toContain('init=kaimingNormal');
    const relMarked = await p.$$eval('#in-init option', (os) => os.filter((o) => o.textContent!.includes('★')).map((o) => (o as HTMLOptionElement).value));
    expect(relMarked).toEqual(['kaimingNormal']);

    await p.click('#play');
    await waitSteps(p, 600);
    await pause(p);
    const r = await lab(p);
    expect(r.backend).toMatch(/wasm|reference/);
    expect(r.evals.length).toBeGreaterThan(3);
    const first = r.evals[0];
    const last = r.evals[r.evals.length - 1];
    expect(last.trainLoss).toBeLessThan(first.trainLoss * 0.8);
    expect(last.trainAcc).toBeGreaterThan(first.trainAcc);
    expect(await canvasColours(p, '#boundary')).toBeGreaterThan(20);
    expect(await canvasColours(p, '#grad-bars')).toBeGreaterThan(3);
    expect(await canvasColours(p, '#grad-heat')).toBeGreaterThan(3);
    expect(await p.locator('#hists figure').count()).toBeGreaterThanOrEqual(4); // 2 BN + 2 ReLU
    expect(await p.locator('#loss-chart .u-over').count()).toBe(1);
    expect(await p.textContent('#metrics')).toMatch(/Train loss\s*\d/);

    // Step one batch while paused: exactly one more optimizer step.
    const before = (await lab(p)).step;
    await p.click('#step');
    await p.waitForFunction((k) => (window as unknown as { gradlab: LabHandle }).gradlab.step === k + 1, before, { timeout: 10_000 });
    await p.screenshot({ path: join(SHOTS, 'lab-trained.png'), fullPage: true });
  });

  it('runs a lesson in one click and shows the health findings with advice', async () => {
    const p = env.b.page;
    await p.click('button[data-lesson="deep-sigmoid"]');
    await expect.poll(async () => (await lab(p)).lesson).toBe('deep-sigmoid');
    expect(await p.isVisible('#lesson-banner')).toBe(true);
    expect(await p.textContent('#lesson-banner')).toContain('What to look for');
    expect(p.url()).toContain('layers=16:sigmoid*10');
    await p.waitForSelector('#findings li[data-rule="vanishing-gradients"]', { timeout: 60_000 });
    expect(await p.textContent('#findings li[data-rule="vanishing-gradients"]')).toContain('Advice');
    await pause(p);
    await p.screenshot({ path: join(SHOTS, 'lab-lesson-deep-sigmoid.png'), fullPage: true });
  });

  it('restores every setting from a shared URL', async () => {
    const p = env.b.page;
    await p.selectOption('#in-data', 'moons');
    await p.fill('#in-depth', '3');
    await p.press('#in-depth', 'Enter');
    await p.locator('#in-depth').blur();
    await p.selectOption('#in-act', 'gelu');
    await p.selectOption('#in-opt', 'momentum');
    await p.fill('#in-lr', '0.02');
    await p.locator('#in-lr').blur();
    await p.fill('#in-seed', '42');
    await p.locator('#in-seed').blur();
    await waitReady(p);
    const shared = p.url();
    const before = (await lab(p)).state;
    expect(before).toMatchObject({ dataset: 'moons', optimizer: 'momentum', lr: 0.02, seed: 42 });
    expect(before.layers).toHaveLength(3);
    await p.click('#share');
    const second = await env.b.context.newPage();
    await second.goto(shared);
    await waitReady(second);
    expect((await lab(second)).state).toEqual(before);
    expect(await second.inputValue('#in-act')).toBe('gelu');
    expect(await second.inputValue('#in-depth')).toBe('3');
    expect(await second.inputValue('#in-opt')).toBe('momentum');
    await second.reload();
    await waitReady(second);
    expect((await lab(second)).state).toEqual(before);
    await second.close();
  });

  it('is usable by keyboard: tab to the run controls, Enter trains', async () => {
    const p = env.b.page;
    await p.goto(env.server.url);
    await waitReady(p);
    await p.keyboard.press('Tab'); // skip link
    await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('play');
    const outline = await p.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await p.keyboard.press('Enter');
    await waitSteps(p, 20);
    await p.keyboard.press('Enter');
    await p.waitForFunction(() => !(window as unknown as { gradlab: LabHandle }).gradlab.running);
  });

  it('switching Adam → SGD at the default learning rate picks SGD\'s default, as the help text says', async () => {
    const p = env.b.page;
    await p.goto(env.server.url);
    await waitReady(p);
    expect((await lab(p)).state).toMatchObject({ optimizer: 'adam', lr: 0.01 });
    await p.selectOption('#in-opt', 'sgd');
    await waitReady(p);
    expect((await lab(p)).state).toMatchObject({ optimizer: 'sgd', lr: 0.1 });
    expect(await p.inputValue('#in-lr')).toBe('0.1');
    expect(p.url()).toContain('lr=0.1');
  });

  it('applies learning rate, batch size and clipping to the run in progress; other settings start over', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=spiral&layers=16:relu*2&opt=sgd&lr=0.05&batch=16`);
    await waitReady(p);
    await p.click('#play');
    await waitSteps(p, 100);
    for (const [id, value] of [['#in-lr', '0.2'], ['#in-batch', '32'], ['#in-clip', '1']]) {
      const before = await lab(p);
      await p.fill(id, value);
      await p.press(id, 'Enter');
      await waitSteps(p, before.step + 20);
      // The run carries on: a restart would clear the evaluation history and start again at step 0.
      const after = await lab(p);
      expect(after.running).toBe(true);
      expect(after.evals.length).toBeGreaterThanOrEqual(before.evals.length);
      expect(after.evals[0].step).toBe(before.evals[0].step);
    }
    const st = (await lab(p)).state;
    expect([st.lr, st.batchSize, st.clip]).toEqual([0.2, 32, 1]);
    expect(p.url()).toContain('lr=0.2');
    await pause(p);
    // The network is not a live setting: changing it restarts from step 0.
    await p.fill('#in-width', '12');
    await p.press('#in-width', 'Enter');
    await waitReady(p);
    expect((await lab(p)).step).toBe(0);
  });

  it('trains the built-in MNIST', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=mnist&layers=32:relu&opt=adam&lr=0.003&batch=64`);
    await waitReady(p);
    await p.click('#play');
    await waitSteps(p, 150, 90_000);
    await pause(p);
    const r = await lab(p);
    expect(r.evals[r.evals.length - 1].testAcc).toBeGreaterThan(0.6);
    await p.screenshot({ path: join(SHOTS, 'lab-mnist.png'), fullPage: true });
  });

  it('carries no copy of the digits in dist/lab: they come from the package data/ through the server', () => {
    const files = readdirSync(DIST, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.filter((e) => /\.(json|gz)$/.test(e.name)).map((e) => e.name)).toEqual([]);
    const bytes = files.reduce((s, e) => s + statSync(join(e.parentPath, e.name)).size, 0);
    expect(bytes).toBeLessThan(2_000_000);
  });

  it('fits a phone-sized window', async () => {
    const phone = await env.b.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${env.server.url}?data=xor&layers=8:relu*3`);
    await waitReady(phone);
    // Settings start folded on a phone so the boundary is on the first screen; they open by keyboard.
    expect(await phone.$eval('#settings-panel', (d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await phone.isVisible('#boundary')).toBe(true);
    await phone.click('#play');
    await waitSteps(phone, 200);
    await pause(phone);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(1);
    await phone.screenshot({ path: join(SHOTS, 'lab-phone-390x844.png') });
    await phone.focus('#settings-panel > summary');
    await phone.keyboard.press('Enter');
    expect(await phone.$eval('#settings-panel', (d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(1);
    await phone.screenshot({ path: join(SHOTS, 'lab-phone-full.png'), fullPage: true });
    await phone.close();
  });

  it('made no request outside localhost and logged no errors', () => {
    expect(env.b.requests.length).toBeGreaterThan(5);
    expect(externalRequests(env.b.requests, env.origin)).toEqual([]);
    expect(env.b.errors).toEqual([]);
  });
});
