/**
 * The lab's layer panels on a conv net: the gradient bars take every layer with weights (conv
 * layers and residual blocks too), the histograms BatchNorm2d outputs too, and a conv layer's
 * caption counts dead filters. Snapshots come from a real monitored run, as the worker makes them.
 */
import { describe, expect, it } from 'vitest';
import { failureText, filterStrip, histogramLayers, statText, weightGradNorm, weightedLayers } from '../../lab/src/layers.js';
import type { LayerSnapshot } from '../../lab/src/protocol.js';
import { Monitor } from '../../src/diagnostics/monitors.js';
import { manualSeed, nn, optim, loss } from '../../src/index.js';
import { TrainStep } from '../../src/train/step.js';
import { digitImages } from '../helpers/digits.js';

describe('lab layer panels on a conv net', () => {
  it('bars for Conv2d, BasicBlock and Linear; histograms for BN2d and activations; dead filters counted', async () => {
    manualSeed(0);
    const c2 = new nn.Conv2d(8, 8, 3, { padding: 1 });
    for (let c = 0; c < 3; c++) c2.bias!.data[c] = -20;
    const model = new nn.Sequential(new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), c2, new nn.ReLU(), new nn.BasicBlock(8, 8), new nn.MaxPool2d(4), new nn.Flatten(), new nn.Linear(392, 10));
    const params = model.namedParameters();
    const monitor = new Monitor(model, params, { every: 1 });
    const opt = new optim.Adam(params.map(([, p]) => p));
    const step = new TrainStep(model, opt, { loss: (out, y) => loss.crossEntropy(out, y) });
    const { x, y } = await digitImages(32);
    const r = step.run(x, y, true);
    monitor.record(1, r.outputs, step.gradSq, step.before, r.gradNorm);
    // As the worker's latestLayers() builds them.
    const layers: LayerSnapshot[] = monitor.data.layers.map((l) => ({ name: l.name, kind: l.kind, activation: l.activation, stats: l.samples[0].activation, params: l.samples[0].params, channels: l.channels }));
    expect(weightedLayers(layers).map((l) => l.name)).toEqual(['0', '3', '5', '8']);
    for (const l of weightedLayers(layers)) expect(weightGradNorm(l)).toBeGreaterThan(0);
    expect(histogramLayers(layers).map((l) => l.name)).toEqual(['1', '2', '4', '5']);
    const relu2 = layers.find((l) => l.name === '4')!;
    expect(failureText(relu2.stats!, relu2.channels)).toBe(' · dead filters 3/8');
    expect(failureText({ ...relu2.stats!, dead: 0.25 })).toBe(' · dead 25%');
    expect(failureText({ ...relu2.stats!, dead: undefined, saturated: 0.5 }, 8)).toBe(' · saturated 50%');
    // The strip above the histogram: filters 0–2 red, the others pale; none for a Linear's ReLU-less output.
    expect(filterStrip(relu2.stats!, relu2.channels)).toEqual([...Array(3).fill('#c0392b'), ...Array(5).fill('#cfe3f5')]);
    expect(filterStrip(layers.find((l) => l.name === '8')!.stats!, undefined)).toBeNull();
    expect(filterStrip({ ...relu2.stats!, deadChannels: undefined, channelSaturated: [0, 1] }, 2)).toEqual(['rgba(181, 71, 8, 0.10)', 'rgba(181, 71, 8, 1.00)']);
  });
});

describe('lab layer captions', () => {
  it('statText: short numbers, exponent form for huge ones, "non-finite" for NaN/±∞', () => {
    expect(statText(0.123456)).toBe('0.12');
    expect(statText(-3)).toBe('-3.00');
    expect(statText(1.5213095438541645e23)).toBe('1.5e+23');
    expect(statText(341429462.32)).toBe('3.4e+8');
    for (const v of [NaN, Infinity, -Infinity]) expect(statText(v)).toBe('non-finite');
  });
});
