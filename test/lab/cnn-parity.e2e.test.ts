/**
 * The lab's CNN panel says what `gradlab train` says (Debian's Chromium, playwright-core): the
 * same architecture, seed, batches and number of steps run in the lab and through the CLI's own
 * runTrain (stopped after the same step by a callback, so fit's end-of-epoch evaluation runs at
 * that step) give the same numbers, exactly — the evaluation's losses and accuracies (the
 * training sample fit evaluates and the whole test set), each layer's gradient norm, dead
 * filters and activation statistics at the last monitored step, and the findings at the pause.
 * Both run the library's TrainStep on the same data with the same wasm kernels. The accuracy
 * chart, smoothed, still shows the last evaluation (its raw values are drawn too).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
// The kernels `gradlab` runs (its entry point selects them; without this import runTrain would use the reference loops).
import '../../src/kernels/auto.js';
import { getBackend } from '../../src/kernels/index.js';
import { runTrain, type TrainArgs } from '../../src/cli/train.js';
import type { EvalPoint, LayerSnapshot } from '../../lab/src/protocol.js';
import { pause, SHOTS, waitReady, waitSteps, useLab } from './browser.js';

type W = {
  gradlab: { step: number; evals: EvalPoint[]; layers: LayerSnapshot[] | null; running: boolean };
  lab: { snapshot(): { findings: Array<{ rule: string; evidence: string; layers: string[] }> } };
};
const read = (p: Page) =>
  p.evaluate(() => {
    const w = window as unknown as W;
    const snap = (w as unknown as { lab: { snapshot(): { loss: number[] } } }).lab.snapshot();
    return { status: document.getElementById('status')!.textContent ?? '', loss: snap.loss, step: w.gradlab.step, evals: w.gradlab.evals, layers: w.gradlab.layers, findings: w.lab.snapshot().findings, metrics: document.getElementById('metrics')!.textContent ?? '' };
  });
const sink = { write: () => true } as unknown as NodeJS.WritableStream;

describe('the lab\'s CNN numbers are the CLI\'s', () => {
  const env = useLab({ width: 1280, height: 900 }, { open: false });

  it('cnn-small on MNIST: the same evaluation, per-layer gradient norms, dead filters and findings after the same steps', async () => {
    const p = env.b.page;
    await p.goto(`${env.server.url}?data=mnist&model=cnn-small&opt=adam&lr=0.003&batch=64&seed=3`);
    await waitReady(p);
    await p.click('#play');
    await waitSteps(p, 25, 120_000);
    await pause(p);
    // The pause's evaluation and statistics arrive with the post that says it stopped.
    const lab = await read(p);
    const k = lab.step;
    const ev = lab.evals.at(-1)!;
    expect(ev.step).toBe(k);
    expect(lab.layers).not.toBeNull();
    await p.screenshot({ path: join(SHOTS, 'cnn-parity.png'), fullPage: true });

    // `gradlab train --data mnist --model cnn-small --optimizer adam --lr 0.003 --batch-size 64 --seed 3 --schedule none --monitor-every 10`, stopped after step k.
    const args: TrainArgs = {
      data: 'mnist', model: 'cnn-small', layers: [], activation: 'relu', init: 'auto', batchnorm: true, dropout: 0,
      optimizer: 'adam', lr: 0.003, epochs: 1, batchSize: 64, schedule: 'none', seed: 3, monitorEvery: 10, quiet: true,
      callbacks: [{ onBatchEnd: (logs, ctx) => { if (logs.step === k) ctx.stopTraining = true; } }],
    };
    const cli = (await runTrain(args, { stdout: sink, stderr: sink })).report;
    const last = cli.history.epochs.at(-1)!;
    // The same kernels (relaxed SIMD's fused multiply-add rounds otherwise than plain SIMD's mul + add).
    expect(lab.status).toContain(`kernels: ${getBackend()}`);
    // Every step's loss, to the bit.
    expect(lab.loss).toEqual(cli.history.steps.map((s) => s.loss));
    expect(cli.history.steps.at(-1)!.step).toBe(k);

    // The evaluation: the CLI's training sample and test set, the same loss and accuracy to the bit.
    expect(ev.trainLoss).toBe(last.trainLoss);
    expect(ev.trainAcc).toBe(last.trainMetrics!.accuracy);
    expect(ev.testLoss).toBe(last.valLoss);
    expect(ev.testAcc).toBe(last.valMetrics!.accuracy);
    expect(ev.testAcc).toBeGreaterThan(0.5);
    // As the page prints them.
    expect(lab.metrics).toContain(`Test acc. ${(ev.testAcc * 100).toFixed(1)}%`);
    expect(lab.metrics).toContain(`Train loss ${ev.trainLoss.toFixed(4)}`);

    // The layers at the last monitored step: gradient norms, dead filters, activation statistics.
    const at = lab.layers![0].step!;
    expect(at).toBe(Math.floor(k / 10) * 10);
    for (const l of lab.layers!) {
      const series = cli.monitors.layers.find((s) => s.name === l.name)!;
      const sample = series.samples.find((s) => s.step === at)!;
      expect(sample, `layer ${l.name} at step ${at}`).toBeDefined();
      expect(l.gradNorm, `‖∇‖ of layer ${l.name}`).toBe(sample.gradNorm);
      expect(l.stats?.mean, `mean of layer ${l.name}`).toBe(sample.activation?.mean);
      expect(l.stats?.dead, `dead share of layer ${l.name}`).toBe(sample.activation?.dead);
      expect(l.stats?.deadChannels, `dead filters of layer ${l.name}`).toEqual(sample.activation?.deadChannels);
      expect(l.channels).toBe(series.channels);
    }
    // Conv, BatchNorm2d and ReLU outputs of both conv stages were compared (their units are filters).
    expect(lab.layers!.filter((l) => l.channels !== undefined).length).toBeGreaterThanOrEqual(6);
    expect(lab.layers!.filter((l) => l.gradNorm !== undefined && l.gradNorm > 0).length).toBeGreaterThanOrEqual(5);

    // The findings after the pause: both probe the stopped model over the test set.
    expect(lab.findings.map((f) => [f.rule, f.evidence])).toEqual(cli.findings.map((f) => [f.rule, f.evidence]));

    // The accuracy chart does not understate the last evaluation: smoothed over a few evaluations
    // (the first at chance) the curve stays far below it, and the raw values are drawn beside it.
    expect(ev.trainAcc).toBeGreaterThan(0.85);
    await p.evaluate(() => {
      const s = document.getElementById('smoothing') as HTMLInputElement;
      s.value = '0.99';
      s.dispatchEvent(new Event('input'));
    });
    const smoothedLast = await p.evaluate(() => (window as unknown as { gradlab: { charts: { accuracy: number[][] } } }).gradlab.charts.accuracy[1].at(-1)!);
    expect(smoothedLast).toBeLessThan(0.8);
    // Coloured pixels in the plot's band for values above ~0.85 (the y axis is 0…1): only the raw line and its dots can be there.
    const high = await p.$eval('#acc-chart canvas', (c) => {
      const cv = c as HTMLCanvasElement;
      const d = cv.getContext('2d')!.getImageData(0, 0, cv.width, Math.round(cv.height * 0.14)).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 40) n++;
      return n;
    });
    expect(high).toBeGreaterThan(4);
    await p.locator('#acc-chart').screenshot({ path: join(SHOTS, 'cnn-parity-accuracy.png') });
    expect(env.b.errors).toEqual([]);
  }, 240_000);
});
