import { describe, expect, test } from 'vitest';
import { Tensor, manualSeed, nn, ops, tensor } from '../../src/index.js';
import { record } from '../../src/autograd.js';
import { fit } from '../../src/train/index.js';
import { blobs } from './helpers.js';

/** Identity forward whose backward sends NaN to its input (a broken op). */
class NaNBackward extends nn.Module {
  forward(x: Tensor): Tensor {
    const out = new Tensor(x.data.slice(), x.shape);
    return record(out, 'nanBackward', [x], (_g, grad) => {
      const gx = grad(0);
      if (gx) gx.fill(NaN);
    });
  }
}

/** √x elementwise: NaN where an input is negative, a forward NaN that the data itself does not hold. */
class Sqrt extends nn.Module {
  forward(x: Tensor): Tensor {
    return ops.sqrt(x);
  }
}

const snapshot = (m: nn.Module) => Object.fromEntries(Object.entries(m.stateDict()).map(([k, t]) => [k, Array.from(t.data)]));

describe('non-finite values stop training at the first bad step, keeping the last finite weights', () => {
  test('NaN or Infinity in the data is refused before training, naming the example and element', async () => {
    const d = blobs(40, 3, 1);
    d.x.data[2 * 25 + 1] = NaN;
    d.x.data[2 * 30] = -Infinity;
    const m = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const before = snapshot(m);
    await expect(fit(m, d, { epochs: 1 })).rejects.toThrow(/fit: data\.x holds 2 non-finite values, the first NaN at example 25, element 1/);
    expect(snapshot(m)).toEqual(before);
    const y = blobs(40, 3, 1);
    y.y.data[7] = NaN;
    await expect(fit(m, y, { epochs: 1 })).rejects.toThrow(/fit: data\.y holds a non-finite value, the first NaN at example 7/);
  });

  test('forward: a NaN made inside the model is traced to the first module whose output is non-finite', async () => {
    manualSeed(1);
    const m = new nn.Sequential(new Sqrt(), new nn.Linear(2, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 3));
    const d = blobs(40, 3, 1);
    for (let i = 0; i < d.x.size; i++) d.x.data[i] = Math.abs(d.x.data[i]);
    d.x.data[2 * 25] = -1; // example 25, in the third batch of 10 without shuffling: √−1 = NaN
    let before: Record<string, number[]> = {};
    const r = await fit(m, d, {
      epochs: 2,
      batchSize: 10,
      shuffle: false,
      seed: 1,
      callbacks: [{ onBatchEnd: (l, ctx) => void (l.step === 2 && (before = snapshot(ctx.model))) }],
    });
    expect(r.stopReason).toBe('non-finite');
    expect(r.nonFinite).toMatchObject({ step: 3, epoch: 0, batch: 2, phase: 'forward', layer: '0' });
    expect(r.findings[0]).toMatchObject({ rule: 'non-finite', severity: 'error', layers: ['0'], step: 3 });
    expect(snapshot(m)).toEqual(before); // weights and BatchNorm running statistics of step 2
    expect(r.history.steps).toHaveLength(3);
  });

  test('backward: the first layer in backward order that produces a non-finite gradient', async () => {
    manualSeed(1);
    const m = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new NaNBackward(), new nn.Linear(8, 8), new nn.ReLU(), new nn.Linear(8, 3));
    const before = snapshot(m);
    const r = await fit(m, blobs(20, 3, 1), { epochs: 1, batchSize: 10, seed: 1 });
    expect(r.stopReason).toBe('non-finite');
    expect(r.nonFinite).toMatchObject({ step: 1, phase: 'backward', layer: '2' });
    expect(r.findings.find((f) => f.rule === 'non-finite')!.layers).toEqual(['2']);
    expect(snapshot(m)).toEqual(before);
    for (const p of m.parameters()) expect(p.grad).toBeNull();
  });

  test('update: an update that overflows float32 is undone', async () => {
    manualSeed(1);
    const m = new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Linear(4, 3));
    const before = snapshot(m);
    const d = blobs(20, 3, 1);
    d.x.data.forEach((v, i) => (d.x.data[i] = v * 1e3));
    const r = await fit(m, d, { epochs: 1, batchSize: 10, seed: 1, optimizer: 'sgd', lr: 1e38 });
    expect(r.stopReason).toBe('non-finite');
    expect(r.nonFinite).toMatchObject({ step: 1, phase: 'update' });
    expect(['0', '2']).toContain(r.nonFinite!.layer);
    expect(snapshot(m)).toEqual(before);
  });

  test('loss: finite outputs whose loss overflows', async () => {
    manualSeed(1);
    const m = new nn.Sequential(new nn.Linear(1, 1));
    (m.at(0) as nn.Linear).weight.data[0] = 1;
    const r = await fit(m, { x: tensor([[1e20], [1e20]]), y: tensor([[5], [5]]) }, { epochs: 1, batchSize: 2, seed: 1 });
    expect(r.nonFinite).toMatchObject({ step: 1, phase: 'loss', layer: '0', loss: 'Infinity' });
    expect(r.history.steps[0].loss).toBeNull(); // Infinity is stored as null in the report
    expect(r.findings[0].evidence).toMatch(/Infinity/);
  });
});
