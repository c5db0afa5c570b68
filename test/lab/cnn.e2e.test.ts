/**
 * The lab's CNN end to end, in Debian's chromium driven by playwright-core (served by serveLab
 * from the built dist/lab, as lab.e2e.test.ts): the model menu offers the library's CNN presets on
 * MNIST only, choosing one rebuilds the run and the URL, training raises the accuracy, the first
 * conv layer's filters and feature maps are drawn and change as it trains, the user cycles the
 * digit, and hostile URL values fall back to the MLP. Screenshots go to artifacts/lab/.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { MODEL_PRESETS } from '../../src/arch.js';
import { type LabServer } from '../../src/lab-server.node.js';
import type { ConvPanelData } from '../../lab/src/protocol.js';
import { CHROMIUM, externalRequests, type LabBrowser, pause, waitReady, SHOTS, startLab } from './browser.js';


interface LabHandle {
  state: { model: string; dataset: string; lr: number; batchSize: number };
  evals: Array<{ step: number; trainAcc: number; testAcc: number }>;
  step: number;
  running: boolean;
  ready: boolean;
  conv: ConvPanelData | null;
}
const lab = (page: Page) =>
  page.evaluate(() => {
    const g = (window as unknown as { gradlab: LabHandle }).gradlab;
    return { state: g.state, evals: g.evals, step: g.step, running: g.running, ready: g.ready, conv: g.conv };
  });
/** Until the conv panel has data for test image `index` (it arrives with the worker's next post). */
const waitConv = (page: Page, index: number) =>
  page.waitForFunction((i) => (window as unknown as { gradlab: LabHandle }).gradlab.conv?.index === i, index, { timeout: 30_000 });

/** The canvas's pixels as one number per pixel (to see whether a drawing changed). */
const pixels = (page: Page, selector: string) =>
  page.$eval(selector, (c) => {
    const cv = c as HTMLCanvasElement;
    const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
    const out: number[] = [];
    for (let i = 0; i < d.length; i += 4) out.push((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    return out;
  });
const distinct = (px: number[]) => new Set(px).size;
const changed = (a: number[], b: number[]) => (a.length === b.length ? a.filter((v, i) => v !== b[i]).length : Infinity);

describe('the lab\'s CNN on MNIST in chromium', () => {
  let server: LabServer;
  let b: LabBrowser;
  let origin: string;

  beforeAll(async () => {
    expect(existsSync(CHROMIUM)).toBe(true);
    ({ server, b, origin } = await startLab({ width: 1440, height: 1000 }));
  }, 180_000);

  afterAll(async () => {
    await b?.close();
    await server?.close();
  });

  it('offers the library\'s CNN presets on MNIST only; the MLP has no conv panel', async () => {
    const p = b.page;
    await p.goto(`${server.url}?data=spiral`);
    await waitReady(p);
    const options = () => p.$$eval('#in-model option', (os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, disabled: (o as HTMLOptionElement).disabled })));
    expect((await options()).map((o) => o.value)).toEqual(['mlp', ...Object.keys(MODEL_PRESETS)]);
    // No images in a 2-D set: the CNNs are there but disabled, and the help says why.
    expect((await options()).filter((o) => o.disabled).map((o) => o.value)).toEqual(Object.keys(MODEL_PRESETS));
    expect(await p.textContent('#in-model-help')).toContain('need images');
    expect(await p.isHidden('#conv-card')).toBe(true);

    await p.goto(`${server.url}?data=mnist&layers=32:relu&lr=0.003&batch=32`);
    await waitReady(p);
    expect((await options()).every((o) => !o.disabled)).toBe(true);
    expect(await p.isHidden('#conv-card')).toBe(true);
  });

  it('trains the CNN: accuracy rises, and the filters and feature maps are drawn and change', async () => {
    const p = b.page;
    await p.selectOption('#in-model', 'cnn-small');
    await waitReady(p);
    expect((await lab(p)).state.model).toBe('cnn-small');
    expect(p.url()).toContain('model=cnn-small');
    // The MLP's layer settings do not apply to the CNN: disabled, not silently ignored.
    for (const id of ['#in-depth', '#in-width', '#in-act', '#in-bn', '#in-dropout']) expect(await p.isDisabled(id), id).toBe(true);
    expect(await p.isEnabled('#in-init')).toBe(true);
    expect(await p.isVisible('#conv-card')).toBe(true);
    await waitConv(p, 0);
    const before = (await lab(p)).conv!;
    expect([before.outChannels, before.kh, before.kw, before.h, before.w, before.activation]).toEqual([8, 3, 3, 28, 28, 'relu']);
    // Small messages: the filters and maps of 8 channels travel as a few thousand small integers.
    expect(JSON.stringify(before).length).toBeLessThan(30_000);
    const gridBefore = await pixels(p, '#conv-grid');
    expect(distinct(gridBefore)).toBeGreaterThan(30);
    expect(distinct(await pixels(p, '#conv-digit'))).toBeGreaterThan(10);
    expect(await p.textContent('#conv-caption')).toMatch(/Test digit #0: class \d, predicted \d/);

    await p.click('#play');
    await p.waitForFunction(() => (window as unknown as { gradlab: LabHandle }).gradlab.step >= 150, null, { timeout: 120_000 });
    // A post of the conv panel from the running loop (the worker's cadence), before pausing.
    await p.waitForFunction((w) => JSON.stringify((window as unknown as { gradlab: LabHandle }).gradlab.conv?.weights) !== w, JSON.stringify(before.weights), { timeout: 30_000 });
    await pause(p);
    const r = await lab(p);
    const first = r.evals[0];
    const last = r.evals[r.evals.length - 1];
    expect(first.testAcc).toBeLessThan(0.3);
    expect(last.testAcc).toBeGreaterThan(0.85);
    expect(last.trainAcc).toBeGreaterThan(first.trainAcc + 0.5);

    const after = r.conv!;
    expect(after.index).toBe(0);
    const moved = after.weights.filter((w, i) => w !== before.weights[i]).length;
    expect(moved).toBeGreaterThan(36); // of 72 quantised weights
    expect(after.maps.filter((v, i) => v !== before.maps[i]).length).toBeGreaterThan(500);
    const gridAfter = await pixels(p, '#conv-grid');
    expect(distinct(gridAfter)).toBeGreaterThan(30);
    expect(changed(gridBefore, gridAfter)).toBeGreaterThan(1000);
    expect(await p.textContent('#conv-scale')).toMatch(/largest \|w\| [\d.]+.*after ReLU/);
    await p.screenshot({ path: join(SHOTS, 'lab-cnn-trained.png'), fullPage: true });
    await p.locator('#conv-card').screenshot({ path: join(SHOTS, 'lab-cnn-conv-panel.png') });
  });

  it('cycles the digit: next, previous (wrapping), or a typed index; a reset keeps the choice', async () => {
    const p = b.page;
    const at0 = (await lab(p)).conv!;
    await p.click('#conv-next');
    await waitConv(p, 1);
    const at1 = (await lab(p)).conv!;
    expect(at1.pixels).not.toEqual(at0.pixels);
    expect(at1.weights).toEqual(at0.weights); // paused: same filters, another digit's maps
    expect(at1.maps).not.toEqual(at0.maps);
    expect(await p.textContent('#conv-caption')).toContain('Test digit #1:');
    await p.click('#conv-prev');
    await waitConv(p, 0);
    await p.click('#conv-prev');
    await waitConv(p, 1999); // the built-in test set's last image
    await p.fill('#conv-index', '42');
    await p.press('#conv-index', 'Enter');
    await waitConv(p, 42);
    await p.fill('#conv-index', '-3');
    await p.press('#conv-index', 'Enter');
    await waitConv(p, 1997); // wraps as the buttons do

    await p.fill('#conv-index', '42');
    await p.press('#conv-index', 'Enter');
    await waitConv(p, 42);
    await p.click('#reset');
    await waitReady(p);
    await waitConv(p, 42);
    expect((await lab(p)).step).toBe(0);
  });

  it('refuses hostile model values cleanly (the MLP), and the menu back to the MLP hides the panel', async () => {
    const p = b.page;
    for (const v of ['%3Cscript%3E', '__proto__', 'cnn-small%00', 'CNN']) {
      await p.goto(`${server.url}?data=mnist&model=${v}`);
      await waitReady(p);
      expect((await lab(p)).state.model, v).toBe('mlp');
      expect(await p.isHidden('#conv-card')).toBe(true);
    }
    await p.goto(`${server.url}?data=spiral&model=cnn-small`);
    await waitReady(p);
    expect((await lab(p)).state.model).toBe('mlp');

    await p.goto(`${server.url}?data=mnist&model=cnn-small`);
    await waitReady(p);
    expect(await p.isVisible('#conv-card')).toBe(true);
    await p.selectOption('#in-model', 'mlp');
    await waitReady(p);
    expect(await p.isHidden('#conv-card')).toBe(true);
    expect(await p.isEnabled('#in-depth')).toBe(true);
    expect(b.errors).toEqual([]);
    expect(externalRequests(b.requests, origin)).toEqual([]);
  });

  it('fits a phone-sized window with the conv panel', async () => {
    const phone = await b.context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${server.url}?data=mnist&model=cnn-small`);
    await waitReady(phone);
    await waitConv(phone, 0);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(1);
    await phone.locator('#conv-card').screenshot({ path: join(SHOTS, 'lab-cnn-phone.png') });
    await phone.close();
  });
});
