import { describe, expect, test } from 'vitest';
import { ACTIVATIONS } from '../../src/index.js';
import { activationStats, deadFraction, percentileSorted, saturatedFraction, symmetricUnits } from '../../src/diagnostics/index.js';

describe('activation statistics', () => {
  test('mean, std, percentiles and histogram of a layer output', () => {
    const x = Float32Array.from({ length: 101 }, (_, i) => i); // 0..100
    const s = activationStats(x, 101, 1, undefined, { histogramBins: 10 });
    expect(s.mean).toBeCloseTo(50, 10);
    expect(s.std).toBeCloseTo(Math.sqrt((101 * 101 - 1) / 12), 6);
    expect([s.p15, s.p50, s.p85]).toEqual([15, 50, 85]);
    expect(s.histogram.min).toBe(0);
    expect(s.histogram.max).toBe(100);
    expect(s.histogram.counts.reduce((a, b) => a + b, 0)).toBe(101);
    expect(s.histogram.counts[0]).toBe(10);
    expect(s.count).toBe(101);
  });

  test('percentiles of a large output come from a subsample and stay close', () => {
    const n = 100_000;
    const x = Float32Array.from({ length: n }, (_, i) => i / n);
    const s = activationStats(x, 1000, 100, undefined, { percentileSamples: 2048 });
    expect(Math.abs(s.p15 - 0.15)).toBeLessThan(0.03);
    expect(Math.abs(s.p50 - 0.5)).toBeLessThan(0.03);
    expect(Math.abs(s.p85 - 0.85)).toBeLessThan(0.03);
    expect(percentileSorted([1, 2, 3, 4], 4, 0.5)).toBe(2.5);
  });

  test('percentiles, extremes and histogram by selection equal those of the sorted sample: ties, ±0, one or two values, a NaN', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296);
    const cases: number[][] = [[5], [2, -1], [0, -0, 0, -0], Array(50).fill(1.5)];
    for (let t = 0; t < 200; t++) {
      const n = 1 + Math.floor(rnd() * 3000);
      // Few distinct values (many ties) in half the cases, a ReLU-like mass at 0 in some.
      const levels = t % 2 === 0 ? 1 + Math.floor(rnd() * 6) : 0;
      cases.push(Array.from({ length: n }, () => (levels ? Math.floor(rnd() * levels) - 2 : rnd() < 0.3 ? 0 : rnd() * 4 - 2)));
    }
    cases.push([3, NaN, 1, 2]);
    for (const c of cases) {
      const x = Float32Array.from(c);
      const got = activationStats(x, x.length, 1, undefined, { histogramBins: 7 });
      // The sample the statistics see: every value (n ≤ 2048) or the fixed pseudo-random picks.
      const m = Math.min(x.length, 2048);
      const sample = new Float64Array(m);
      if (m === x.length) sample.set(x);
      else {
        let s = 0x9e3779b9 | 0;
        for (let i = 0; i < m; i++) {
          s ^= s << 13;
          s ^= s >>> 17;
          s ^= s << 5;
          sample[i] = x[(s >>> 0) % x.length];
        }
      }
      sample.sort();
      const want = [0.15, 0.5, 0.85].map((q) => percentileSorted(sample, m, q));
      expect([got.p15, got.p50, got.p85], `n=${c.length}`).toEqual(want);
      expect(got.histogram.min).toBe(sample[0]);
      expect(Object.is(got.histogram.max, sample[m - 1]) || got.histogram.max === sample[m - 1]).toBe(true);
      expect(got.histogram.counts.reduce((a, b) => a + b, 0)).toBe(m);
    }
  });

  test('saturation uses the registry band: sigmoid outputs with f′ < 5% of its peak', () => {
    const f = ACTIVATIONS.sigmoid.failure as { below: number; above: number };
    const y = Float32Array.from([0.001, 0.5, 0.999, 0.3]);
    expect(saturatedFraction(y, f.below, f.above)).toBe(0.5);
    const s = activationStats(y, 4, 1, 'sigmoid');
    expect(s.saturated).toBe(0.5);
    expect(s.dead).toBeUndefined();
    const t = ACTIVATIONS.tanh.failure as { below: number; above: number };
    expect(saturatedFraction(Float32Array.from([-0.99, 0.1, 0.98, 0.97]), t.below, t.above)).toBe(0.5);
  });

  test('a ReLU unit is dead when its output is 0 on every row of the batch', () => {
    // 3 rows × 4 units: unit 1 and unit 3 never fire.
    const y = Float32Array.from([1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0]);
    expect(deadFraction(y, 3, 4)).toBe(0.5);
    y[5] = 0.5; // unit 1 fires on row 1
    expect(deadFraction(y, 3, 4)).toBe(0.25);
    expect(activationStats(y, 3, 4, 'relu').dead).toBe(0.25);
  });

  test('symmetric units: identical incoming weights and bias, up to rounding', () => {
    const w = Float32Array.from([1, 2, 3, 1, 2, 3, 0.5, 0.1, 0.2, 1, 2, 3.0000001]);
    expect(symmetricUnits(w, null, 4, 3)).toBe(2);
    expect(symmetricUnits(w, Float32Array.from([0, 1, 0, 0]), 4, 3)).toBe(1);
    expect(symmetricUnits(new Float32Array(12), null, 4, 3)).toBe(3);
    const random = Float32Array.from({ length: 64 * 2 }, (_, i) => Math.sin(i * 12.9898) * 43758.5453 % 1);
    expect(symmetricUnits(random, null, 64, 2)).toBe(0);
  });
});
