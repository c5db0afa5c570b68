/**
 * The lab tells the truth, driven as a student would in Debian's Chromium: a link or a typed
 * value the lab cannot use says what was used instead (never a silent default, never a blank
 * page); the run on the page is the run `gradlab train` replays from the command the page shows
 * (the same non-finite finding, the same epoch losses bit for bit); lessons are judged on
 * measurements taken at or after their first step; a long session keeps the page's memory
 * flat and the charts' start; a phone-sized window shows the notice and the keyboard reaches it.
 * Screenshots go to artifacts/lab/truth-*.png.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type LabServer } from '../../src/lab-server.node.js';
import { CHROMIUM, pause, waitReady, waitSteps, type LabBrowser, SHOTS, startLab } from './browser.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');

interface Snap {
  settings: Record<string, string>;
  steps: number[];
  loss: number[];
  findings: Array<{ rule: string; evidence: string; layers: string[]; step: number }>;
  lesson: { id: string; verdict: string; evidence: string } | null;
}
type W = {
  lab: { snapshot(): Snap; startLesson(id: string): void; set(s: Record<string, unknown>): void; stop(): void };
  gradlab: { state: { lr: number; layers: unknown[]; model: string; batchSize: number }; notice: string[]; step: number; charts: { gradNorm: number[][] } };
};
const snap = (p: Page) => p.evaluate(() => (window as unknown as W).lab.snapshot());
const handle = (p: Page) => p.evaluate(() => { const g = (window as unknown as W).gradlab; return { state: g.state, notice: g.notice, step: g.step }; });
const settled = (p: Page, timeout = 120_000) =>
  p.waitForFunction(() => ['pass', 'fail'].includes((window as unknown as W).lab.snapshot().lesson?.verdict ?? ''), null, { timeout, polling: 250 });

/** `gradlab train` as a user runs it (the built CLI, the same kernels as the lab's worker). */
function gradlab(command: string): { code: number; json: { status: string; steps: number; findings: Snap['findings']; history: Array<{ loss: number }> } } {
  const argv = command.split(' ');
  expect(argv.slice(0, 2)).toEqual(['gradlab', 'train']);
  const r = spawnSync(process.execPath, [CLI, ...argv.slice(1), '--json', '-q'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, json: JSON.parse(r.stdout) };
}

describe('the lab tells the truth', () => {
  let server: LabServer;
  let b: LabBrowser;

  beforeAll(async () => {
    if (!existsSync(CLI)) execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });
    ({ server, b } = await startLab({ width: 1280, height: 900 }));
  }, 240_000);

  afterAll(async () => {
    await b?.close();
    await server?.close();
  });

  it('has Chromium', () => expect(existsSync(CHROMIUM)).toBe(true));

  it('a link with values the lab cannot use says what it used instead; the address bar and a reload show the settings in use', async () => {
    const p = b.page;
    await p.goto(`${server.url}?lr=abc&model=foo&batch=0&layers=16:relu*1000&width=3`);
    await waitReady(p);
    expect(await p.isVisible('#notice')).toBe(true);
    const h = await handle(p);
    expect(h.notice).toEqual([
      'width=3: unknown setting; the settings are data, noise, train, points, model, layers, init, dropout, loss, opt, lr, batch, clip, seed',
      'model=foo: unknown model; one of mlp, cnn, cnn-small; using mlp',
      "layers=16:relu*1000: '16:relu*1000': the count after * must be an integer from 1 to 40; using 40",
      'lr=abc: the learning rate must be a number from 0.000001 to 10; using 0.01',
      'batch=0: the batch size must be an integer from 1 to 1024; using 1',
    ]);
    expect(await p.getAttribute('#notice', 'role')).toBe('alert');
    expect(h.state).toMatchObject({ lr: 0.01, model: 'mlp', batchSize: 1 });
    expect(h.state.layers).toHaveLength(40);
    await p.screenshot({ path: join(SHOTS, 'truth-notice.png') });
    // The page trains what it says.
    await p.click('#play');
    await waitSteps(p, 5);
    await pause(p);
    // The address bar shows the settings in use, so a reload (or Copy link) gives this run, without the notice.
    const search = await p.evaluate(() => location.search);
    expect(search).toContain('lr=0.01');
    expect(search).toContain('layers=16:relu*40');
    expect(search).not.toContain('width=');
    await p.reload();
    await waitReady(p);
    expect(await p.isHidden('#notice')).toBe(true);
    expect((await handle(p)).state).toEqual(h.state);
    expect(b.errors).toEqual([]);
  }, 120_000);

  it('a typed value out of range says so and what was used; window.lab.set refuses it, changing nothing', async () => {
    const p = b.page;
    await p.goto(`${server.url}?data=moons&layers=8:relu*2`);
    await waitReady(p);
    expect(await p.isHidden('#notice')).toBe(true);
    await p.fill('#in-lr', '-3');
    await p.press('#in-lr', 'Tab');
    await p.waitForFunction(() => (window as unknown as W).gradlab.notice.length === 1);
    expect((await handle(p)).notice).toEqual(['lr=-3: the learning rate must be a number from 0.000001 to 10; using 0.000001']);
    expect(await p.inputValue('#in-lr')).toBe('0.000001');
    await p.fill('#in-depth', '');
    await p.press('#in-depth', 'Tab');
    await p.waitForFunction(() => (window as unknown as W).gradlab.notice[0]?.startsWith('You typed'));
    expect((await handle(p)).notice).toEqual(['You typed "": the number of hidden layers must be an integer from 0 to 40; using 2']);
    // The keyboard reaches the notice's button; Enter dismisses it.
    await p.focus('#notice button');
    await p.keyboard.press('Enter');
    expect(await p.isHidden('#notice')).toBe(true);

    const before = (await handle(p)).state;
    for (const [settings, msg] of [
      [{ lr: 'abc' }, /^lab\.set: lr=abc: the learning rate must be a number/],
      [{ model: 'cnn' }, /model=cnn: a CNN needs images \(data=mnist\)/],
      [{ depth: 3 }, /depth=3: unknown setting/],
    ] as const) {
      const err = await p.evaluate((s) => {
        try {
          (window as unknown as W).lab.set(s);
          return null;
        } catch (e) {
          return (e as Error).message;
        }
      }, settings);
      expect(err).toMatch(msg);
    }
    expect((await handle(p)).state).toEqual(before);
    expect(b.errors).toEqual([]);
  }, 120_000);

  it('the exploding lesson gives the non-finite finding gradlab train gives for the command on the page', async () => {
    const p = b.page;
    await p.goto(server.url);
    await waitReady(p);
    await p.click('button[data-lesson="exploding"]');
    await settled(p);
    const s = await snap(p);
    expect(s.lesson!.verdict, s.lesson!.evidence).toBe('pass');
    const lab = s.findings.filter((f) => f.rule === 'non-finite');
    expect(lab).toHaveLength(1);
    await p.click('#cli-run summary');
    const command = (await p.textContent('#cli-command'))!;
    expect(command).toBe(
      'gradlab train --data spiral --samples 400 --noise 0.1 --test-fraction 0.3 --standardize --layers 16,16,16,16,16,16 --activation relu --no-batchnorm --init normal --optimizer sgd --lr 2 --batch-size 16 --seed 1 --schedule none --epochs 1 --monitor-every 5',
    );
    const cli = gradlab(command);
    expect(cli.code).toBe(1);
    expect(cli.json.status).toBe('non-finite');
    const cliFinding = cli.json.findings.filter((f) => f.rule === 'non-finite');
    expect(cliFinding).toHaveLength(1);
    // The same step, phase, layer and words.
    expect(lab[0].evidence).toBe(cliFinding[0].evidence);
    expect(lab[0].layers).toEqual(cliFinding[0].layers);
    expect(lab[0].step).toBe(cliFinding[0].step);
    // The steps applied, on the page's counter and in the CLI's summary: the non-finite one is not.
    expect((await handle(p)).step).toBe(cli.json.steps);
    expect(cli.json.steps).toBe(cliFinding[0].step - 1);
    // And every other finding: a stopped run is probed over the test set as fit's end of training is (dead units here).
    const rules = (fs: Snap['findings']) => fs.map((f) => [f.rule, f.evidence]);
    expect(rules(s.findings)).toEqual(rules(cli.json.findings));
    expect(s.findings.map((f) => f.rule)).toContain('dead-units');
    // The page numbers that epoch as the finding does, and shows no accuracy for non-finite outputs (the CLI reports none).
    const epoch = /\(epoch (\d+), batch \d+\)/.exec(lab[0].evidence)![1];
    expect(await p.textContent('#status')).toContain(`· epoch ${epoch} ·`);
    expect(await p.textContent('output[data-metric="test-acc-"]')).toBe('—');
    await p.locator('#findings').screenshot({ path: join(SHOTS, 'truth-nonfinite.png') });
    expect(b.errors).toEqual([]);
  }, 240_000);

  it('the same run: the command\'s epoch losses are the lab\'s per-step losses averaged, bit for bit', async () => {
    const p = b.page;
    // moons, 400 points, 70% training: 280 examples, 18 batches an epoch (17 of 16, one of 8).
    await p.goto(`${server.url}?data=moons&layers=8:relu*2&seed=3`);
    await waitReady(p);
    await p.click('#play');
    await waitSteps(p, 36);
    await pause(p);
    const loss = (await snap(p)).loss;
    const command = (await p.textContent('#cli-command'))!.replace(/--epochs \d+/, '--epochs 2');
    const cli = gradlab(command);
    expect(cli.code).toBe(0);
    const epochLoss = (from: number) => {
      let sum = 0;
      for (let i = 0; i < 18; i++) sum += loss[from + i] * (i === 17 ? 8 : 16);
      return sum / 280;
    };
    expect(cli.json.history.map((e) => e.loss)).toEqual([epochLoss(0), epochLoss(18)]);
  }, 240_000);

  it('a lesson is judged on measurements from its own steps: initialization claims at step 1, trained-net claims after `from`', async () => {
    const p = b.page;
    await p.goto(server.url);
    await waitReady(p);
    // constant-init once passed on the test accuracy of step 0 (its checks start at step 300).
    await p.evaluate(() => (window as unknown as W).lab.startLesson('constant-init'));
    await settled(p);
    let s = await snap(p);
    expect(s.lesson!.verdict, s.lesson!.evidence).toBe('pass');
    const at = Number(/test accuracy [\d.]+% at step (\d+)/.exec(s.lesson!.evidence)![1]);
    expect(at).toBeGreaterThanOrEqual(300);
    // Xavier at depth 30: the spread claim is about the initial weights.
    await p.evaluate(() => (window as unknown as W).lab.startLesson('xavier-depth30'));
    await settled(p);
    s = await snap(p);
    expect(s.lesson!.verdict, s.lesson!.evidence).toBe('pass');
    expect(s.lesson!.evidence).toMatch(/with the initial weights, .*: at step 1, σ of the first hidden layer's output/);
    // (1/√2)^29 ≈ 4e-5: ReLU halves the variance in each of the 29 layers after the first.
    const ratio = Number(/ratio ([\d.e+-]+)/.exec(s.lesson!.evidence)![1]);
    expect(ratio).toBeGreaterThan(4e-6);
    expect(ratio).toBeLessThan(4e-4);
    // Overfitting is judged as the CLI judges it: the rise in test loss against its standard error (fit's validation).
    await p.evaluate(() => (window as unknown as W).lab.startLesson('overfitting'));
    await settled(p);
    s = await snap(p);
    expect(s.lesson!.verdict, s.lesson!.evidence).toBe('pass');
    expect(s.lesson!.evidence).toMatch(/the rise is [\d.]+ standard errors/);
    await p.evaluate(() => (window as unknown as W).lab.stop());
  }, 300_000);

  it('a long session keeps the page\'s memory flat and the charts\' start; the page stays responsive', async () => {
    const p = b.page;
    await p.goto(`${server.url}?data=spiral&layers=16:tanh*2`);
    await waitReady(p);
    const cdp = await b.context.newCDPSession(p);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    await p.click('#play');
    await waitSteps(p, 25_000, 120_000);
    const h0 = await heap();
    const s0 = (await handle(p)).step;
    await waitSteps(p, s0 + 60_000, 180_000);
    const t = Date.now();
    await handle(p);
    // An evaluate round trip while training: the page is not starved by the worker's messages.
    expect(Date.now() - t).toBeLessThan(3000);
    const h1 = await heap();
    await pause(p);
    const s = await snap(p);
    // Bounded per-step record (it grew by every step before: 24 bytes a step, forever).
    expect(s.steps.length).toBeLessThanOrEqual(20_000);
    expect(s.steps[s.steps.length - 1]).toBe((await handle(p)).step);
    expect(h1 - h0).toBeLessThan(6e6);
    // The gradient-norm chart still has points from the first fifth of the run (it once kept 3 points of the first 128,000 steps).
    const xs = await p.evaluate(() => (window as unknown as W).gradlab.charts.gradNorm[0]);
    const last = xs[xs.length - 1];
    const first = xs.filter((x) => x <= last / 5).length;
    const second = xs.filter((x) => x > last / 5 && x <= (2 * last) / 5).length;
    expect(first).toBeGreaterThan(100);
    expect(first).toBeGreaterThan(second / 2);
    await p.locator('#gnorm-chart').screenshot({ path: join(SHOTS, 'truth-long-gnorm.png') });
    await cdp.detach();
    expect(b.errors).toEqual([]);
  }, 400_000);

  it('on a phone, the notice fits and comes before the settings', async () => {
    const phone = await b.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${server.url}?lr=1e308&seed=-5`);
    await waitReady(phone);
    expect(await phone.isVisible('#notice')).toBe(true);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(1);
    const [notice, settings] = await Promise.all([phone.locator('#notice').boundingBox(), phone.locator('#settings-panel').boundingBox()]);
    expect(notice!.y + notice!.height).toBeLessThanOrEqual(settings!.y);
    await phone.screenshot({ path: join(SHOTS, 'truth-notice-phone.png') });
    await phone.close();
  }, 120_000);
});
