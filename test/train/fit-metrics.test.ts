/**
 * fit records accuracy by default when the loss is a classification loss (crossEntropy, or
 * bceWithLogits on one output column), and nothing by default for regression; the Report
 * says which metrics were used.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, fit, manualSeed, nn, tensor } from '../../src/index.js';
import { blobs, xor } from './helpers.js';

const quiet = { monitor: false, health: false } as const;

describe('fit: accuracy by default for classification', () => {
  it('crossEntropy (class indices, several outputs): accuracy in every epoch, for training and validation, and in config.metrics', async () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 3));
    const data = blobs(300, 3, 1);
    const report = await fit(model, data, { epochs: 5, batchSize: 32, lr: 0.05, validationSplit: 0.2, seed: 1, ...quiet });
    expect(report.config.metrics).toEqual(['accuracy']);
    expect(report.config.loss).toBe('crossEntropy');
    for (const e of report.history.epochs) {
      expect(e.metrics.accuracy).toBeGreaterThanOrEqual(0);
      expect(e.metrics.accuracy).toBeLessThanOrEqual(1);
      expect(e.valMetrics?.accuracy).toBeGreaterThanOrEqual(0);
    }
    // Well-separated blobs: the last epoch is far above chance (1/3).
    expect(report.history.epochs.at(-1)!.metrics.accuracy).toBeGreaterThan(0.8);
  });

  it('the validation accuracy is the one evaluate() computes on the same examples after training', async () => {
    manualSeed(2);
    const model = new nn.Sequential(new nn.Linear(2, 8), new nn.Tanh(), new nn.Linear(8, 3));
    const train = blobs(200, 3, 3);
    const val = blobs(90, 3, 4);
    const report = await fit(model, train, { epochs: 2, validationData: val, seed: 0, ...quiet });
    const ev = evaluate(model, val, { metrics: ['accuracy'] });
    expect(report.history.epochs.at(-1)!.valMetrics!.accuracy).toBe((await ev).metrics.accuracy);
  });

  it('bceWithLogits on one output column: (binary) accuracy by default', async () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 1));
    const report = await fit(model, xor(200, 1), { epochs: 2, seed: 0, ...quiet });
    expect(report.config.loss).toBe('bceWithLogits');
    expect(report.config.metrics).toEqual(['accuracy']);
    expect(typeof report.history.epochs[0].metrics.accuracy).toBe('number');
  });

  it('regression (mse) records no metric; an explicit metrics: [] is respected', async () => {
    manualSeed(0);
    const reg = new nn.Sequential(new nn.Linear(2, 4), new nn.Tanh(), new nn.Linear(4, 1));
    const x = tensor([[0, 1], [1, 0], [0.5, 0.5], [1, 1]]);
    const r1 = await fit(reg, { x, y: tensor([0.3, -0.2, 0.7, 1.5]) }, { epochs: 1, ...quiet });
    expect(r1.config.loss).toBe('mse');
    expect(r1.config.metrics).toEqual([]);
    expect(r1.history.epochs[0].metrics).toEqual({});
    const cls = new nn.Sequential(new nn.Linear(2, 3));
    const r2 = await fit(cls, blobs(60, 3, 0), { epochs: 1, metrics: [], ...quiet });
    expect(r2.config.metrics).toEqual([]);
    expect(r2.history.epochs[0].metrics).toEqual({});
  });
});
