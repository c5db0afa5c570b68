/**
 * The HTML report: self-contained (no script, no external resource), every chart rendered
 * with a non-zero size, no console errors and no network requests in headless Chromium.
 * Screenshots go to artifacts/ (gitignored) for a human to look at.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../../src/report/html.js';
import { lineChart, niceTicks } from '../../src/report/svg.js';
import { runTrain, type TrainArgs } from '../../src/cli/train.js';
import type { Report } from '../../src/train/types.js';
import { checkPage, hasChromium } from './browser.js';
import '../../src/kernels/auto.js';
import { manualSeed, nn } from '../../src/index.js';
import { fit } from '../../src/train/index.js';
import { digitImages } from '../helpers/digits.js';

const sink = { write: () => true };
const io = { stdout: sink, stderr: sink };
const ARTIFACTS = join(process.cwd(), 'artifacts');

async function train(extra: Partial<TrainArgs>): Promise<Report> {
  const args: TrainArgs = {
    data: 'circles', samples: 400, noise: 0.05, layers: [16, 16], activation: 'relu', init: 'auto', batchnorm: true, dropout: 0,
    optimizer: 'adam', lr: 0.01, epochs: 6, batchSize: 20, schedule: 'cosine', seed: 3, quiet: true, monitorEvery: 2, ...extra,
  } as TrainArgs;
  return (await runTrain(args, io)).report;
}

describe('HTML report', () => {
  it('is one self-contained document: no script, no external URL', async () => {
    const html = renderReport(await train({}));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?https?:/i);
    for (const s of ['Loss', 'Accuracy', 'Gradient norm per layer', 'percentile', 'Findings', 'Configuration', 'Dead']) expect(html).toContain(s);
  });

  // A 10-layer sigmoid net: the colours came from the monitors' index, over Linear and activation
  // layers alike, so hidden 1 and hidden 6 (and 2 and 7, …) were drawn in one colour.
  it('the dead/saturated chart gives each of up to ten layers its own colour', async () => {
    const html = renderReport(await train({ layers: Array(10).fill(8), activation: 'sigmoid', batchnorm: false, epochs: 1 }));
    const chart = html.slice(html.indexOf('aria-label="Dead (ReLU) / saturated'), html.indexOf('</svg>', html.indexOf('aria-label="Dead (ReLU) / saturated')));
    const colours = [...chart.matchAll(/<line [^>]*stroke="(#[0-9a-f]{6})" stroke-width="2.5" stroke-dasharray="5 3"\/>/g)].map((m) => m[1]); // the legend
    expect(colours.length).toBe(10);
    expect(new Set(colours).size).toBe(10);
  });

  it('escapes text from the report (labels, findings)', () => {
    const r: Report = {
      config: { label: '<img src=x onerror=alert(1)>' },
      history: { epochs: [], steps: [] },
      monitors: { steps: [], layers: [], global: [] },
      findings: [{ rule: 'overfitting', severity: 'warning', layers: ['<b>'], step: 1, evidence: 'a < b & c', advice: '"quoted"' }],
    };
    const html = renderReport(r);
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('a &lt; b &amp; c');
  });

  it('a long run: the report stops growing (thinned charts, no dots past one per 4 px, a bounded epoch table)', () => {
    const run = (epochs: number): Report => {
      const spe = 4;
      return {
        config: {},
        history: {
          epochs: Array.from({ length: epochs }, (_, e) => ({
            epoch: e, loss: 1 / (e + 1), metrics: { accuracy: 0.5 + 0.4 * (e / epochs) }, lr: 0.01, durationMs: 30,
            trainLoss: 1 / (e + 2), trainMetrics: { accuracy: 0.6 }, valLoss: 1.1 / (e + 1), valMetrics: { accuracy: 0.55 },
          })),
          steps: Array.from({ length: epochs * spe }, (_, i) => ({ step: i + 1, loss: 1 / (1 + i / spe) + 0.05 * Math.sin(i), gradNorm: 1, lr: 0.01 })),
        },
        monitors: { steps: [], layers: [], global: [] },
        findings: [],
      };
    };
    const short = renderReport(run(30));
    const long = renderReport(run(1000));
    const longer = renderReport(run(3000));
    const longest = renderReport(run(10000));
    // 30 epochs: every row and every dot; 1,000 epochs drew 1,000 dots per per-epoch series and a 1,000-row table.
    expect(short.match(/<tr><td class="n">/g)!.length).toBe(30);
    expect(short).toContain('<summary>per-epoch table</summary>');
    expect(short).toContain('r="2.6"');
    const rows = [...long.matchAll(/<tr><td class="n">(\d+)<\/td>/g)].map((m) => Number(m[1]));
    expect(rows.length).toBe(200);
    expect(rows.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(rows.slice(-20)).toEqual(Array.from({ length: 20 }, (_, i) => 981 + i));
    expect(long).toContain('per-epoch table (200 of 1000 epochs: the first and last 20, one in 6 between)');
    expect(long.match(/r="2.6"/g)).toBeNull();
    // Past ~2,000 points a series is thinned to the chart's width: 3,000 and 10,000 epochs, one size.
    expect(longest.length).toBeLessThan(longer.length * 1.05);
    expect(longer.length).toBeLessThan(400_000);
  });

  it('draws nothing for non-finite values and says so for empty charts', () => {
    const svg = lineChart({ title: 't', series: [{ name: 's', color: '#000', points: [[0, null], [1, NaN], [2, Infinity]] }] });
    expect(svg).toContain('no data');
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6000000000000001, 0.8, 1]);
  });

  it('charts a series of 300,000 points (a long run\'s per-step loss) without a stack overflow', () => {
    const points = Array.from({ length: 300_000 }, (_, i): [number, number] => [i, 1 / (1 + i)]);
    const svg = lineChart({ title: 'loss', series: [{ name: 'loss', color: '#000', points }] });
    expect(svg).toContain('<svg');
    expect(svg).not.toContain('no data');
  });

  it('keeps a diverging run from flattening the other curves: far outliers go off scale, with a note', () => {
    const steady = Array.from({ length: 100 }, (_, i): [number, number] => [i, 2.3 * Math.exp(-i / 30) + 0.3]);
    const diverging: Array<[number, number | null]> = [[0, 2.3], [1, 40], [2, 3e16], [3, null]];
    const svg = lineChart({ title: 'loss', series: [{ name: 'ok', color: '#000', points: steady }, { name: 'bad', color: '#f00', points: diverging }] });
    const ticks = [...svg.matchAll(/text-anchor="end" class="tick">([^<]+)</g)].map((m) => Number(m[1])); // the y axis
    expect(Math.max(...ticks.filter(Number.isFinite))).toBeLessThan(4);
    expect(svg).toContain('↑ some values off scale');
    // Without outliers the range is the data's, and there is no note.
    const plain = lineChart({ title: 'loss', series: [{ name: 'ok', color: '#000', points: steady }] });
    expect(plain).not.toContain('off scale');
  });

  it('renders in headless Chromium: charts with non-zero size, no console errors, no requests', async () => {
    expect(hasChromium(), 'Chromium is missing: install Debian chromium (scripts/setup.sh does)').toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    const dir = mkdtempSync(join(tmpdir(), 'gradlab-report-'));
    const single = await train({});
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(single));
    const page = await checkPage(file, join(ARTIFACTS, 'report-single.png'));
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([]);
    expect(page.charts.length).toBeGreaterThanOrEqual(10);
    for (const c of page.charts) {
      expect(c.width, c.label).toBeGreaterThan(100);
      expect(c.height, c.label).toBeGreaterThan(100);
      expect(c.drawn, c.label).toBeGreaterThan(0);
    }

    // compare: the runs overlaid on shared charts, including one that saturates and one that diverges.
    const runs = [
      await train({ label: 'relu + bn' } as Partial<TrainArgs>),
      await train({ activation: 'sigmoid', init: 'normal', batchnorm: false, layers: [16, 16, 16] }),
      await train({ optimizer: 'sgd', lr: 1e6, init: 'normal', batchnorm: false }),
    ];
    runs[0].config.label = 'relu + bn';
    runs[1].config.label = 'sigmoid, N(0,1) init';
    runs[2].config.label = 'sgd lr 1e6';
    const cmp = join(dir, 'compare.html');
    writeFileSync(cmp, renderReport(runs));
    const page2 = await checkPage(cmp, join(ARTIFACTS, 'report-compare.png'));
    expect(page2.consoleErrors).toEqual([]);
    expect(page2.requests).toEqual([]);
    expect(page2.charts.length).toBeGreaterThanOrEqual(6);
    for (const c of page2.charts) {
      expect(c.width, c.label).toBeGreaterThan(100);
      expect(c.height, c.label).toBeGreaterThan(100);
    }
  });

  it('shows a conv net\'s dead filters per conv layer over time, and the filters in the evaluation table', async () => {
    expect(hasChromium(), 'Chromium is missing: install Debian chromium (scripts/setup.sh does)').toBe(true);
    manualSeed(0);
    // Half of the second conv layer's filters start far below zero: dead from the first step.
    const c2 = new nn.Conv2d(8, 16, 3, { padding: 1 });
    for (let c = 0; c < 8; c++) c2.bias!.data[c] = -10;
    const model = new nn.Sequential(new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2), c2, new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(784, 32), new nn.ReLU(), new nn.Linear(32, 10));
    const r = await fit(model, await digitImages(400), { epochs: 2, batchSize: 50, loss: 'crossEntropy', seed: 0, monitor: { every: 2 }, validationSplit: 0.25 });
    const relu2 = r.monitors.layers.find((l) => l.name === '5')!;
    expect(relu2.samples.every((s) => s.activation!.dead! >= 0.5)).toBe(true);
    const html = renderReport(r);
    expect(html).toContain('Conv layers: dead filters');
    expect(html).toContain('conv 2 · ReLU (module 5) dead filters');
    // The unit-level chart keeps the fully connected ReLU, and only it.
    expect(html).toContain('hidden 1 · ReLU (module 9) dead');
    expect(html).not.toContain('hidden 1 · ReLU (module 9) dead filters');
    expect(html).toMatch(/conv 2 · ReLU \(module 5\)<\/td><td>relu<\/td><td class="n">16 filters<\/td><td class="n">100<\/td><td class="n">(5\d|100)\.\d%/);
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, 'report-conv.html');
    writeFileSync(file, html);
    const page = await checkPage(file, join(ARTIFACTS, 'report-conv.png'));
    expect(page.consoleErrors).toEqual([]);
    expect(page.requests).toEqual([]);
    const conv = page.charts.find((c) => c.label.startsWith('Conv layers: dead filters'));
    expect(conv, page.charts.map((c) => c.label).join(' | ')).toBeDefined();
    expect(conv!.width).toBeGreaterThan(100);
    expect(conv!.drawn).toBeGreaterThan(0);
    // The filters × time map: the 8 filters with the −10 bias are dark at every monitored step, and only they.
    const map = page.charts.find((c) => c.label === 'conv 2 · ReLU (module 5): dead filters');
    expect(map).toBeDefined();
    expect(map!.drawn).toBe(8 * relu2.samples.length);
    expect(html).toContain('<title>filter 7, step 1: dead on the whole batch</title>');
    expect(html).not.toContain('<title>filter 8, step 1:');
    expect(page.charts.find((c) => c.label === 'conv 1 · ReLU (module 2): dead filters')!.drawn).toBe(0);
  });
});
