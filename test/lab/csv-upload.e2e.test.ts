/**
 * Your own data in the web lab, in Debian's chromium driven by playwright-core: a CSV file
 * chosen through the real file input (label in the middle column, picked from the menu) trains
 * with the decision-boundary view; hostile files (an empty label, text in a feature column,
 * 1e39) show the reader's message naming row and column and leave the run in progress as it
 * was; the URL says data=local, and a link opened without the file says it cannot carry it;
 * a file dropped on the page and window.lab.loadCsv do the same as the input. Screenshots go
 * to artifacts/lab/.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { type LabServer } from '../../src/lab-server.node.js';
import { circles } from '../../src/data/synthetic.js';
import { CHROMIUM, externalRequests, type LabBrowser, canvasColours, pause, waitReady, waitSteps, SHOTS, startLab } from './browser.js';

const TMP = mkdtempSync(join(tmpdir(), 'gradlab-csv-upload-'));

interface Handle {
  state: { dataset: string; [k: string]: unknown };
  evals: Array<{ step: number; trainAcc: number; testAcc: number; trainLoss: number }>;
  step: number;
  running: boolean;
  ready: boolean;
}
interface Snapshot {
  runId: number;
  settings: Record<string, string>;
  steps: number[];
}
const lab = (page: Page) =>
  page.evaluate(() => {
    const w = window as unknown as { gradlab: Handle; lab: { snapshot(): Snapshot } };
    const g = w.gradlab;
    return { state: g.state, evals: g.evals, step: g.step, running: g.running, ready: g.ready, snap: w.lab.snapshot() };
  });
/**
 * Two concentric rings (the library's circles), written as a user's file would be: the label
 * in the middle column with names, the two features in different units.
 */
function ringsCsv(labelLast = false): string {
  const ds = circles({ n: 400, noise: 0.05, seed: 11 });
  const lines = [labelLast ? 'width_mm,height_m,ring' : 'width_mm,ring,height_m'];
  for (let i = 0; i < 400; i++) {
    const w = (500 + 100 * ds.x.data[i * 2]).toFixed(2);
    const h = (2 + 0.5 * ds.x.data[i * 2 + 1]).toFixed(4);
    const ring = ds.y.data[i] ? 'inner' : 'outer';
    lines.push(labelLast ? `${w},${h},${ring}` : `${w},${ring},${h}`);
  }
  return lines.join('\n') + '\n';
}

function file(name: string, text: string | Uint8Array): string {
  const p = join(TMP, name);
  writeFileSync(p, text);
  return p;
}

describe('your own CSV data in the lab (chromium)', () => {
  let server: LabServer;
  let b: LabBrowser;
  let origin: string;

  beforeAll(async () => {
    ({ server, b, origin } = await startLab({ width: 1440, height: 1000 }));
  }, 180_000);

  afterAll(async () => {
    await b?.close();
    await server?.close();
    rmSync(TMP, { recursive: true, force: true });
  });

  it('has Chromium to drive', () => {
    expect(existsSync(CHROMIUM)).toBe(true);
  });

  it('trains on a file from the file input, label picked from the menu, with the decision boundary', async () => {
    const p = b.page;
    await p.goto(`${server.url}?layers=16:tanh*2&opt=adam&lr=0.03&batch=16`);
    await waitReady(p);
    const before = await lab(p);
    expect(before.state.dataset).toBe('spiral');

    await p.setInputFiles('#in-csv', file('rings.csv', ringsCsv()));
    // The default label is the last column, so "ring" is read as a feature: the message names
    // the cell and points to the menu, and nothing else changes.
    await p.waitForSelector('#csv-error:not([hidden])');
    expect(await p.textContent('#csv-error')).toMatch(
      /^rings\.csv: row 1 \(line 2\), column "ring": "(inner|outer)" is not a number \(if "ring" is the label column, choose it in the "Label column" menu\)\. Nothing else changed/,
    );
    expect((await lab(p)).snap.runId).toBe(before.snap.runId);
    expect(await p.$$eval('#in-label option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['width_mm', 'ring', 'height_m']);

    await p.selectOption('#in-label', 'ring');
    await waitReady(p);
    const r = await lab(p);
    expect(r.state.dataset).toBe('local');
    expect(r.snap.runId).toBeGreaterThan(before.snap.runId);
    expect(p.url()).toContain('data=local');
    expect(await p.isHidden('#csv-error')).toBe(true);
    expect(await p.isHidden('#local-note')).toBe(true);
    const summary = await p.textContent('#csv-summary');
    expect(summary).toContain('rings.csv: 400 rows, 2 features, label "ring" with 2 classes');
    expect(summary).toContain('"width_mm" across, "height_m" up');
    expect(await p.textContent('#h-out')).toBe('Decision boundary');
    expect(await p.isVisible('#boundary')).toBe(true);
    // Noise and size belong to the synthetic sets; the training fraction applies.
    expect(await p.isDisabled('#in-noise')).toBe(true);
    expect(await p.isEnabled('#in-train')).toBe(true);
    await p.screenshot({ path: join(SHOTS, 'lab-csv-uploaded.png'), fullPage: true });
    await p.click('#share');
    await p.waitForFunction(() => document.getElementById('status')?.textContent?.includes('your CSV file is not in it'));

    await p.click('#play');
    await waitSteps(p, 500);
    await pause(p);
    const t = await lab(p);
    const first = t.evals[0];
    const last = t.evals[t.evals.length - 1];
    expect(first.step).toBe(0);
    expect(last.trainAcc).toBeGreaterThan(first.trainAcc + 0.2);
    expect(last.testAcc).toBeGreaterThan(0.9);
    expect(await canvasColours(p, '#boundary')).toBeGreaterThan(20);
    await p.screenshot({ path: join(SHOTS, 'lab-csv-trained.png'), fullPage: true });
  });

  it('a hostile file shows the row and column and leaves the run as it was', async () => {
    const p = b.page;
    const before = await lab(p);
    expect(before.state.dataset).toBe('local');
    expect(before.step).toBeGreaterThan(0);
    const good = ['width_mm,ring,height_m', ...Array.from({ length: 12 }, (_, i) => `${i},${i % 2 ? 'inner' : 'outer'},${i / 10}`)];
    const hostile: Array<[string, string[], string]> = [
      ['empty-label.csv', [...good, '3,,0.5'], 'empty-label.csv: row 13 (line 14), column "ring": empty label'],
      ['text-feature.csv', [...good, '3,inner,tall'], 'text-feature.csv: row 13 (line 14), column "height_m": "tall" is not a number'],
      ['huge.csv', [...good, '1e39,inner,0.5'], 'huge.csv: row 13 (line 14), column "width_mm": "1e39" is outside the float32 range'],
    ];
    // Latin-1 bytes: the page read them as U+FFFD (a class "caf\ufffd"); the library's decoder names the line and byte.
    hostile.push(['latin1.csv', [...good, '3,caf\u00e9,0.5'], 'latin1.csv: line 14 is not UTF-8 text (byte 0xe9 after "3,caf"']);
    for (const [name, lines, message] of hostile) {
      const text = lines.join('\n');
      await p.setInputFiles('#in-csv', file(name, name === 'latin1.csv' ? Buffer.from(text, 'latin1') : text));
      // The same columns as the last file: the menu keeps "ring" as the label.
      await p.waitForFunction((n) => document.getElementById('csv-error')?.textContent?.startsWith(n), name);
      const shown = await p.textContent('#csv-error');
      expect(shown).toContain(message);
      expect(shown).toContain('Nothing else changed: the current run goes on.');
      const now = await lab(p);
      expect(now.snap.runId).toBe(before.snap.runId);
      expect(now.step).toBe(before.step);
      expect(now.state).toEqual(before.state);
      expect(await p.textContent('#csv-summary')).toContain('rings.csv: 400 rows');
    }
    await p.screenshot({ path: join(SHOTS, 'lab-csv-hostile.png'), fullPage: true });
    // The run goes on from where it was.
    await p.click('#step');
    await p.waitForFunction((k) => (window as unknown as { gradlab: Handle }).gradlab.step === k + 1, before.step, { timeout: 10_000 });
    expect((await lab(p)).snap.runId).toBe(before.snap.runId);
  });

  it('a shared link says the data is local and cannot come with it; choosing the file trains', async () => {
    const second = await b.context.newPage();
    await second.goto(b.page.url());
    expect(second.url()).toContain('data=local');
    await second.waitForSelector('#local-note:not([hidden])');
    expect(await second.textContent('#local-note')).toContain('a shared link cannot carry the file itself');
    await second.waitForFunction(() => document.getElementById('status')?.textContent?.includes('No CSV file loaded'));
    expect((await lab(second)).state.dataset).toBe('local');
    // No file yet: no label menu to pick from.
    expect(await second.isHidden('#in-label')).toBe(true);
    await second.screenshot({ path: join(SHOTS, 'lab-csv-link-without-file.png') });

    // Dropped on the page: the same as the file input (the menu starts from the last column).
    const text = ringsCsv(true);
    await second.evaluate((t) => {
      const dt = new DataTransfer();
      dt.items.add(new File([t], 'dropped.csv', { type: 'text/csv' }));
      document.body.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, text);
    await waitReady(second);
    expect(await second.isHidden('#local-note')).toBe(true);
    expect(await second.textContent('#csv-summary')).toContain('dropped.csv: 400 rows, 2 features, label "ring"');
    await second.close();
  });

  it('window.lab.loadCsv reads text as the input does, and throws the page\'s message', async () => {
    const p = b.page;
    const three = 'a,b,c,kind\n' + Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 3) % 11},${i % 5},${i % 3 ? 'x' : 'y'}`).join('\n');
    const summary = await p.evaluate((t) => (window as unknown as { lab: { loadCsv(t: string, o: object): unknown } }).lab.loadCsv(t, { name: 'three.csv', label: 'kind' }), three);
    expect(summary).toEqual({ name: 'three.csv', label: 'kind', rows: 60, features: ['a', 'b', 'c'], classes: ['x', 'y'] });
    await waitReady(p);
    // Three features: no boundary picture, and the card says why.
    expect(await p.textContent('#h-out')).toBe('Output');
    expect(await p.textContent('#output-view')).toContain('3 features: the decision-boundary view needs exactly 2');
    const err = await p.evaluate(() => {
      try {
        (window as unknown as { lab: { loadCsv(t: string, o: object): unknown } }).lab.loadCsv('a,kind\n1,x\n', { name: 'tiny.csv' });
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    });
    expect(err).toBe('tiny.csv: column "kind" has only one class ("x"); a classifier needs at least two — is it the label column?');
    expect(await p.textContent('#csv-error')).toContain(err!);
  });

  it('made no request outside localhost and logged no errors', () => {
    expect(externalRequests(b.requests, origin)).toEqual([]);
    expect(b.errors).toEqual([]);
  });
});
