/**
 * Dropout is random, so it is checked statistically (and against finite differences with a
 * fixed mask: a seeded generator makes each call draw the same mask).
 */
import { expect, it } from 'vitest';
import { Generator, manualSeed, nn, ops, randn, tensor } from '../../src/index.js';
import { describeEachBackend, expectGradcheck, expectThrowsMentioning, filled } from '../helpers/check.js';

const N = 200_000;

function stats(d: ArrayLike<number>) {
  let s = 0;
  let ss = 0;
  for (let i = 0; i < d.length; i++) {
    s += d[i];
    ss += d[i] * d[i];
  }
  const mean = s / d.length;
  return { mean, var: ss / d.length - mean * mean };
}

describeEachBackend('ops.dropout', () => {
  for (const p of [0.1, 0.5, 0.8]) {
    it(`p=${p}: zeroes a fraction ≈ p and scales the rest by 1/(1 − p), preserving the mean`, () => {
      manualSeed(42);
      const x = ops.add(randn([N]), 2); // mean 2, so a scaling error shows in the mean
      const y = ops.dropout(x, p, true);
      let zeros = 0;
      let misscaled = 0;
      for (let i = 0; i < N; i++) {
        if (y.data[i] === 0) zeros++;
        else if (!(Math.abs(y.data[i] - x.data[i] / (1 - p)) <= 1e-6 * Math.abs(y.data[i]) + 1e-7)) misscaled++;
      }
      expect(misscaled).toBe(0);
      // Binomial: sd of the zero fraction is √(p(1−p)/N) ≤ 1.2e-3; allow 5 sd.
      expect(Math.abs(zeros / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
      // Mean of y: sd ≈ √(Var(y)/N); Var(y) ≤ (E[x²])/(1−p) = 5/(1−p).
      const sd = Math.sqrt(5 / (1 - p) / N);
      expect(Math.abs(stats(y.data).mean - stats(x.data).mean)).toBeLessThan(5 * sd);
    });
  }

  it('passes gradients through the kept elements only, scaled by 1/(1 − p)', () => {
    const x = randn([1000], { requiresGrad: true });
    const y = ops.dropout(x, 0.3, true, new Generator(3));
    y.backward(tensor(new Float32Array(1000).fill(1), [1000]));
    const want = Array.from(y.data, (v) => Math.fround(v === 0 ? 0 : 1 / 0.7));
    expect(Array.from(x.grad!.data)).toEqual(want);
  });

  it('gradients match finite differences (float64, fixed mask)', () => {
    const x = tensor(Float64Array.from({ length: 24 }, (_, i) => Math.sin(i)), [4, 6], { requiresGrad: true });
    expectGradcheck((t) => ops.dropout(t, 0.4, true, new Generator(9)), [x], 'dropout');
  });

  it('is the identity in eval mode and for p = 0', () => {
    const x = filled([3, 4]);
    expect(ops.dropout(x, 0.5, false)).toBe(x);
    expect(ops.dropout(x, 0, true)).toBe(x);
    const m = new nn.Dropout(0.5).eval();
    expect(m.forward(x)).toBe(x);
  });

  it('is deterministic under manualSeed', () => {
    manualSeed(7);
    const a = Array.from(ops.dropout(filled([100]), 0.5).data);
    manualSeed(7);
    const b = Array.from(ops.dropout(filled([100]), 0.5).data);
    expect(a).toEqual(b);
  });

  for (const p of [-0.1, 1, 1.5, NaN]) {
    it(`refuses p = ${p}, naming p and the range [0, 1)`, () => {
      expectThrowsMentioning(() => ops.dropout(filled([2]), p), ['p', '[0, 1)', String(p)]);
      expectThrowsMentioning(() => new nn.Dropout(p), ['Dropout', 'p', '[0, 1)']);
      expectThrowsMentioning(() => new nn.AlphaDropout(p), ['AlphaDropout', 'p', '[0, 1)']);
    });
  }
});

describeEachBackend('ops.alphaDropout', () => {
  for (const p of [0.1, 0.3]) {
    it(`p=${p}: keeps mean ≈ 0 and variance ≈ 1 on SELU-distributed input`, () => {
      manualSeed(5);
      // SELU of N(0, 1) has mean ≈ 0 and variance ≈ 1 (its fixed point, Klambauer et al. 2017).
      const x = ops.selu(randn([N]));
      const sx = stats(x.data);
      expect(Math.abs(sx.mean)).toBeLessThan(0.02);
      expect(Math.abs(sx.var - 1)).toBeLessThan(0.03);
      const y = ops.alphaDropout(x, p, true);
      const sy = stats(y.data);
      // Sampling sd of the mean ≈ 1/√N ≈ 2.2e-3 and of the variance ≈ √(2/N)·(kurtosis) ≲ 6e-3.
      expect(Math.abs(sy.mean - sx.mean)).toBeLessThan(0.015);
      expect(Math.abs(sy.var - sx.var)).toBeLessThan(0.03);
      // Dropped units sit at a·α′ + b.
      const aPrime = -ops.selu(tensor([-1e4])).data[0];
      const a = 1 / Math.sqrt((1 - p) * (1 + p * aPrime * aPrime));
      const dropped = a * -aPrime + a * aPrime * p;
      let count = 0;
      for (let i = 0; i < N; i++) if (Math.abs(y.data[i] - dropped) < 1e-6) count++;
      expect(Math.abs(count / N - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
    });
  }
  it('is the identity in eval mode', () => {
    const x = filled([5]);
    expect(new nn.AlphaDropout(0.2).eval().forward(x)).toBe(x);
  });
  it('gradients match finite differences (float64, fixed mask)', () => {
    const x = tensor(Float64Array.from({ length: 12 }, (_, i) => Math.cos(i)), [3, 4], { requiresGrad: true });
    expectGradcheck((t) => ops.alphaDropout(t, 0.25, true, new Generator(4)), [x], 'alphaDropout');
  });
});
