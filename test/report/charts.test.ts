/**
 * Charts that do not mislead (issue 14): TensorBoard's debiased smoothing (in log space for
 * losses), thinning that keeps spikes, log axes without a "0" and without overlapping labels,
 * hover values, overlaid runs on the compare page, a decision boundary for 2-D data.
 */
import { describe, expect, it } from 'vitest';
import { smoothEma, thinIndices } from '../../src/report/series.js';
import { channelMapChart, lineChart } from '../../src/report/svg.js';
import { renderReport } from '../../src/report/html.js';
import { runTrain, type TrainArgs } from '../../src/cli/train.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const sink = { write: () => true };

describe('smoothing', () => {
  it("is TensorBoard's debiased EMA: it starts at the first value (values by hand)", () => {
    // m₁ = 0.4·1/(1 − 0.6) = 1; m₂ = (0.6·0.4 + 0.4·2)/(1 − 0.36) = 1.625.
    const s = smoothEma([1, 2], 0.6);
    expect(s[0]).toBeCloseTo(1, 12);
    expect(s[1]).toBeCloseTo(1.625, 12);
    expect(smoothEma([3, 3, 3, 3], 0.9).every((v) => Math.abs((v as number) - 3) < 1e-12)).toBe(true);
  });

  it('in log space a diverged start does not hold the curve at 1e12 while the loss is about 1', () => {
    const loss = [1e20, 1e16, 1e12, ...Array.from({ length: 60 }, () => 1)];
    const lin = smoothEma(loss, 0.9);
    const log = smoothEma(loss, 0.9, true);
    expect(lin[lin.length - 1]!).toBeGreaterThan(1e15); // what the report drew before
    expect(log[log.length - 1]!).toBeLessThan(20);
    expect(log[0]).toBeCloseTo(1e20, -10);
  });
});

describe('thinning', () => {
  it('keeps every bucket’s min and max: a single spike in 20,000 points survives', () => {
    const ys = Array.from({ length: 20000 }, (_, i) => 1 + 0.01 * Math.sin(i));
    ys[12345] = 1e6;
    ys[777] = 1e-6;
    const keep = thinIndices([ys], 1000);
    expect(keep.length).toBeLessThanOrEqual(1002);
    expect(keep).toContain(12345);
    expect(keep).toContain(777);
    expect(keep[0]).toBe(0);
    expect(keep[keep.length - 1]).toBe(19999);
  });

  it('a chart that thins each time it fills (the lab\'s) keeps the start of a long run as dense as its end, given x', () => {
    // As lab/src/charts.ts LineChart.push: 150,000 steps, thinned to 2,000 whenever past 4,000.
    const run = (withX: boolean) => {
      let x: number[] = [];
      let y: number[] = [];
      for (let step = 1; step <= 150000; step++) {
        x.push(step);
        y.push(1 + Math.sin(step / 7));
        if (x.length > 4000) {
          const keep = thinIndices([y], 2000, withX ? x : undefined);
          x = keep.map((i) => x[i]);
          y = keep.map((i) => y[i]);
        }
      }
      // Points in the first and in the last fifth of the steps.
      return [x.filter((s) => s <= 30000).length, x.filter((s) => s > 120000).length, x.length];
    };
    const [firstX, lastX, all] = run(true);
    expect(all).toBeLessThanOrEqual(4000);
    expect(firstX).toBeGreaterThan(150);
    expect(firstX / lastX).toBeGreaterThan(0.5);
    // Without x, each round halves the old points again: the first 30,000 steps keep a handful.
    const [firstI] = run(false);
    expect(firstI).toBeLessThan(10);
  });
});

describe('SVG charts', () => {
  const ticks = (svg: string) => [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)" text-anchor="end" class="tick">([^<]*)<\/text>/g)].map((m) => ({ y: Number(m[1]), t: m[2] }));

  it('a log axis has no "0" tick and its labels do not overlap; points have hover values', () => {
    const pts: Array<[number, number]> = Array.from({ length: 500 }, (_, i) => [i, Math.pow(10, -6 + (i / 499) * 9)]);
    const svg = lineChart({ title: 'grad', series: [{ name: '‖∇‖', color: '#000', points: pts }], logY: true, width: 600, height: 200, xLabel: 'step' });
    const t = ticks(svg);
    expect(t.length).toBeGreaterThan(2);
    expect(t.map((x) => x.t)).not.toContain('0');
    for (let i = 1; i < t.length; i++) expect(Math.abs(t[i].y - t[i - 1].y)).toBeGreaterThanOrEqual(16);
    expect(svg).toMatch(/<title>‖∇‖ · step \d+: [\d.e+-]+<\/title>/);
  });
});

describe('report pages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gradlab-charts-'));
  const args = (extra: Partial<TrainArgs>): TrainArgs =>
    ({ data: 'circles', samples: 300, noise: 0.05, layers: [8, 8], activation: 'relu', init: 'auto', batchnorm: false, dropout: 0, optimizer: 'adam', lr: 0.01, epochs: 3, batchSize: 20, schedule: 'none', seed: 1, quiet: true, ...extra }) as TrainArgs;

  it('a 2-D classifier’s report shows its decision boundary; charts are full width', async () => {
    const file = join(dir, 'one.html');
    await runTrain(args({ report: file }), { stdout: sink, stderr: sink });
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('<h2>Decision boundary</h2>');
    expect(html).toMatch(/<svg class="chart boundary"/);
    expect(html).toMatch(/<div class="card full"><svg class="chart" width="1100"/);
  });

  it('the compare page overlays the runs on shared charts instead of stacking whole reports', async () => {
    const a = (await runTrain(args({ label: 'relu' }), { stdout: sink, stderr: sink })).report;
    const b = (await runTrain(args({ label: 'tanh', activation: 'tanh' }), { stdout: sink, stderr: sink })).report;
    const html = renderReport([a, b]);
    expect(html).toContain('The runs overlaid');
    // One validation-loss chart with both runs in its legend, no per-run chart sections.
    const val = html.slice(html.indexOf('Validation loss'));
    expect(val.slice(0, 4000)).toMatch(/class="lg">relu<.*class="lg">tanh</s);
    expect(html.match(/<h2>Learning curves<\/h2>/g)).toBeNull();
  });
});

describe('the filters × time map', () => {
  it('places its epoch labels between the columns around them, never stacked (4 monitored steps over 2 epochs)', () => {
    const columns = [0.03, 0.66, 1.28, 1.91].map((x, j) => ({ x, step: 20 * j }));
    const svg = channelMapChart({ title: 'conv 1 · ReLU (module 3): dead filters', columns, values: [[1, 0, null, 1], [0, 0, 0, 0]], color: '#333', describe: () => 'dead', width: 340 });
    const ticks = [...svg.matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle" class="tick">([^<]+)<\/text>/g)].map((m) => ({ x: Number(m[1]), label: m[2] }));
    expect(ticks.map((t) => t.label)).toEqual(['0.5', '1', '1.5']);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i].x - ticks[i - 1].x).toBeGreaterThanOrEqual(24);
    // Plot 40…332 px wide, 4 columns of 73 px: column centres at 76.5, 149.5, 222.5, 295.5; epoch 1 lies between the 2nd and 3rd.
    const one = ticks.find((t) => t.label === '1')!;
    expect(one.x).toBeGreaterThan(149.5);
    expect(one.x).toBeLessThan(222.5);
    expect(one.x).toBeCloseTo(149.5 + ((1 - 0.66) / (1.28 - 0.66)) * 73, 0);
    expect(svg).not.toContain('no filter was dead');
  });

  it('says so when no filter was ever dead, instead of an empty plot that looks like a missing chart', () => {
    const columns = [0.5, 1].map((x, j) => ({ x, step: 8 * (j + 1) }));
    const blank = channelMapChart({ title: 'conv 1: dead filters', columns, values: [[0, 0], [0, null]], color: '#333', describe: () => 'dead', none: 'no filter was dead at any monitored step' });
    expect(blank).toContain('>no filter was dead at any monitored step</text>');
    expect(blank).not.toContain('<title>filter');
  });
});

describe('tick labels and a boundary of NaN outputs', () => {
  it('keeps a tick\'s digits past 10⁴ (150,000 is not "2e5")', async () => {
    const { fmtTick } = await import('../../src/report/svg.js');
    expect([50000, 100000, 150000, 200000].map(fmtTick)).toEqual(['5e4', '1e5', '1.5e5', '2e5']);
    expect(new Set([125000, 150000, 175000].map(fmtTick)).size).toBe(3);
  });

  it('draws cells whose output is NaN as grey "no prediction", not as a class', async () => {
    const { boundaryPicture, boundarySvg } = await import('../../src/report/boundary.js');
    const { nn, tensor } = await import('../../src/index.js');
    const model = new nn.Linear(2, 3);
    model.weight.data.fill(Number.NaN);
    const x = tensor([[0, 0], [1, 1], [0, 1]]);
    const y = tensor([0, 1, 2]);
    const pic = boundaryPicture(model, { x, y }, null, 8);
    expect(pic.cls.every((c) => c === -1)).toBe(true);
    const svg = boundarySvg(pic);
    expect(svg).not.toMatch(/rgb\(NaN|="NaN/);
    expect(svg).toMatch(/no prediction/i);
  });
});
