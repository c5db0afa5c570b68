/**
 * The conv panel's data (lab/src/convview.ts) without a browser: the first conv layer's filters
 * are its weight as PyTorch lays it out, and its feature maps are conv → BatchNorm (running
 * statistics) → ReLU on the digit, checked against a direct convolution written out here as
 * plain loops (no im2col, no library op), quantised as documented.
 */
import { describe, expect, it } from 'vitest';
import { firstConvIndex, firstConvView, quantize } from '../../lab/src/convview.js';
import { buildLabModel } from '../../lab/src/model.js';
import { parseState } from '../../lab/src/state.js';
import { manualSeed, nn, noGrad, tensor } from '../../src/index.js';
import { Generator } from '../../src/random.js';

/** The lab's CNN on MNIST (10 classes, 784 inputs), as the worker builds it. */
function labCnn() {
  manualSeed(3);
  return buildLabModel(parseState('data=mnist&model=cnn-small'), 784, 10);
}

/** A digit-like image: a bright bar and noise, values in [0, 1]. */
function image(seed = 5): number[] {
  const g = new Generator(seed);
  return Array.from({ length: 784 }, (_, i) => {
    const r = Math.floor(i / 28), c = i % 28;
    return c >= 12 && c <= 15 && r >= 4 && r <= 23 ? 0.9 + 0.1 * g.uniform() : 0.05 * g.uniform();
  });
}

describe('firstConvView', () => {
  it('maps are conv(padding 1) → BatchNorm2d(running stats) → ReLU of the digit, by direct convolution', () => {
    const model = labCnn();
    const conv = model.layers[1] as nn.Conv2d;
    const bn = model.layers[2] as nn.BatchNorm2d;
    const g = new Generator(11);
    // Non-trivial values everywhere, as after some training.
    for (const t of [conv.weight, conv.bias!, bn.weight!, bn.bias!, bn.runningMean!]) for (let i = 0; i < t.size; i++) t.data[i] = g.normal() * 0.5;
    for (let i = 0; i < 8; i++) bn.runningVar!.data[i] = 0.2 + g.uniform();
    const px = image();
    const v = firstConvView(model, tensor(px, [1, 784]))!;
    expect(v).not.toBeNull();
    expect([v.conv, v.shown, v.activation]).toEqual(['1', '3', 'relu']);
    expect([v.outChannels, v.inChannels, v.kh, v.kw, v.h, v.w]).toEqual([8, 1, 3, 3, 28, 28]);

    const w = Array.from(conv.weight.data), b = Array.from(conv.bias!.data);
    const expected: number[] = [];
    for (let o = 0; o < 8; o++) {
      const scale = bn.weight!.data[o] / Math.sqrt(bn.runningVar!.data[o] + 1e-5);
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          let s = b[o];
          for (let ky = 0; ky < 3; ky++) {
            for (let kx = 0; kx < 3; kx++) {
              const iy = y + ky - 1, ix = x + kx - 1;
              if (iy >= 0 && iy < 28 && ix >= 0 && ix < 28) s += w[o * 9 + ky * 3 + kx] * px[iy * 28 + ix];
            }
          }
          expected.push(Math.max(0, (s - bn.runningMean!.data[o]) * scale + bn.bias!.data[o]));
        }
      }
    }
    const peak = Math.max(...expected);
    expect(v.mapScale).toBeCloseTo(peak, 4);
    let worst = 0;
    expected.forEach((e, i) => (worst = Math.max(worst, Math.abs(v.maps[i] - (255 * e) / peak))));
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3); // rounding only
    expect(v.maps.every((q) => Number.isInteger(q) && q >= 0 && q <= 255)).toBe(true);
    // Some filters respond, and not everywhere: a picture, not a constant.
    expect(new Set(v.maps).size).toBeGreaterThan(50);
  });

  it('filters are the weight [out, in, kh, kw] scaled by the largest |w|; the prediction is the eval-mode argmax', () => {
    const model = labCnn();
    const conv = model.layers[1] as nn.Conv2d;
    conv.weight.data.fill(0.01);
    conv.weight.data[2 * 9 + 0 * 3 + 2] = -0.4; // filter 3, row 0, column 2: the largest |w|
    conv.weight.data[5 * 9 + 1 * 3 + 1] = 0.2; // filter 6, centre
    const x = tensor(image(7), [1, 784]);
    const v = firstConvView(model, x)!;
    expect(v.weightScale).toBeCloseTo(0.4, 6);
    expect(v.weights).toHaveLength(72);
    expect(v.weights[2 * 9 + 2]).toBe(-255);
    expect(v.weights[5 * 9 + 4]).toBe(Math.round((255 * 0.2) / 0.4));
    expect(v.weights[0]).toBe(Math.round((255 * 0.01) / 0.4));
    const logits = noGrad(() => {
      model.eval();
      const out = model.forward(x);
      model.train();
      return Array.from(out.data);
    });
    expect(v.pred).toBe(logits.indexOf(Math.max(...logits)));
  });

  it('leaves the model in the mode it was in, and its BatchNorm statistics untouched', () => {
    const model = labCnn();
    const bn = model.layers[2] as nn.BatchNorm2d;
    const before = Array.from(bn.runningMean!.data);
    firstConvView(model, tensor(image(), [1, 784]));
    expect(model.training).toBe(true);
    expect(Array.from(bn.runningMean!.data)).toEqual(before);
    model.eval();
    firstConvView(model, tensor(image(), [1, 784]));
    expect(model.training).toBe(false);
  });

  it('is null for a model without a conv layer (the MLP)', () => {
    const mlp = buildLabModel(parseState('data=mnist&layers=16:relu'), 784, 10);
    expect(firstConvIndex(mlp)).toBe(-1);
    expect(firstConvView(mlp, tensor(image(), [1, 784]))).toBeNull();
  });

  it('shows the conv output itself when no activation follows it (a pool does)', () => {
    manualSeed(1);
    const model = new nn.Sequential(new nn.Unflatten(1, [1, 6, 6]), new nn.Conv2d(1, 2, 3), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8, 3));
    const v = firstConvView(model, tensor(Array.from({ length: 36 }, (_, i) => Math.sin(i)), [1, 36]))!;
    expect([v.conv, v.shown, v.activation, v.h, v.w]).toEqual(['1', '1', null, 4, 4]);
    // Without a ReLU the maps keep their sign.
    expect(v.maps.some((q) => q < 0)).toBe(true);
    expect(Math.max(...v.maps.map(Math.abs))).toBe(255);
  });

  it('refuses a batch instead of one image, naming the shape', () => {
    expect(() => firstConvView(labCnn(), tensor(new Array(2 * 784).fill(0), [2, 784]))).toThrow(/one image \[1, …\], got shape \[2, 784\]/);
  });
});

describe('quantize', () => {
  it('maps the largest |v| to ±255 and all-zero input to zeros with scale 0', () => {
    expect(quantize([0.5, -1, 0.25])).toEqual({ q: [128, -255, 64], scale: 1 });
    expect(quantize([0, 0])).toEqual({ q: [0, 0], scale: 0 });
  });
});
