import { describe, expect, test } from 'vitest';
import { manualSeed, nn } from '../../src/index.js';
import { fit } from '../../src/train/index.js';
import { DEFAULT_MONITOR_EVERY } from '../../src/diagnostics/index.js';
import { blobs, healthyMlp } from '../train/helpers.js';

describe('monitors', () => {
  test('record the first step, then every N steps, per layer named by module path', async () => {
    manualSeed(1);
    const m = new nn.Sequential(new nn.Linear(2, 16), new nn.Tanh(), new nn.Dropout(0.1), new nn.Linear(16, 16), new nn.ReLU(), new nn.Linear(16, 3));
    const r = await fit(m, blobs(100, 3, 1), { epochs: 2, batchSize: 10, seed: 1, monitor: { every: 4, histogramBins: 8 } });
    expect(r.monitors.every).toBe(4);
    expect(r.monitors.steps).toEqual([1, 4, 8, 12, 16, 20]);
    expect(r.monitors.layers.map((l) => [l.name, l.kind, l.activation ?? null])).toEqual([
      ['0', 'Linear', null],
      ['1', 'Tanh', 'tanh'],
      ['3', 'Linear', null],
      ['4', 'ReLU', 'relu'],
      ['5', 'Linear', null],
    ]);
    const [l0, tanh, , relu] = r.monitors.layers;
    for (const l of r.monitors.layers) expect(l.samples.map((s) => s.step)).toEqual(r.monitors.steps);
    const a = l0.samples[1].activation!;
    expect(a.p15).toBeLessThanOrEqual(a.p50);
    expect(a.p50).toBeLessThanOrEqual(a.p85);
    expect(a.histogram.counts).toHaveLength(8);
    expect(a.count).toBe(160);
    expect(tanh.samples[0].activation!.saturated).toBeTypeOf('number');
    expect(relu.samples[0].activation!.dead).toBeTypeOf('number');
    const ps = l0.samples[1].params!;
    expect(ps.map((p) => p.name)).toEqual(['0.weight', '0.bias']);
    expect(ps[0].size).toBe(32);
    expect(ps[0].norm).toBeGreaterThan(0);
    expect(ps[0].gradNorm).toBeGreaterThan(0);
    // Adam's first step moves every weight by ≈ lr: ‖Δθ‖ ≈ lr·√n.
    expect(l0.samples[0].params![0].updateRatio! * l0.samples[0].params![0].norm).toBeCloseTo(1e-3 * Math.sqrt(32), 4);
    expect(l0.samples[0].symmetricUnits).toBe(0);
    expect(l0.units).toBe(16);
    // The global series matches the per-step gradient norm and the per-layer ratio.
    const g = r.monitors.global[2];
    expect(g.gradNorm).toBe(r.history.steps[g.step - 1].gradNorm);
    expect(g.firstToLastRatio).toBeCloseTo(l0.samples[2].gradNorm! / r.monitors.layers[4].samples[2].gradNorm!, 10);
    // Evaluation-set probe of the activation layers.
    expect(r.monitors.evaluation!.map((e) => e.layer)).toEqual(['1', '4']);
  });

  test('monitor: false records nothing; the default period is DEFAULT_MONITOR_EVERY', async () => {
    const off = await fit(healthyMlp(1), blobs(40, 3, 1), { epochs: 1, batchSize: 10, monitor: false });
    expect(off.monitors.steps).toEqual([]);
    expect(off.monitors.layers).toEqual([]);
    const on = await fit(healthyMlp(1), blobs(400, 3, 1), { epochs: 1, batchSize: 10 });
    expect(on.monitors.steps).toEqual([1, ...Array.from({ length: Math.floor(40 / DEFAULT_MONITOR_EVERY) }, (_, i) => (i + 1) * DEFAULT_MONITOR_EVERY)]);
  });

  test('monitor.layers restricts the monitored layers', async () => {
    const r = await fit(healthyMlp(1), blobs(40, 3, 1), { epochs: 1, batchSize: 10, monitor: { every: 1, layers: ['0', '2'] } });
    expect(r.monitors.layers.map((l) => l.name)).toEqual(['0', '2']);
    await expect(fit(healthyMlp(1), blobs(40, 3, 1), { monitor: { layers: ['9'] } })).rejects.toThrow(/'9'/);
  });
});
