import { describe, expect, it } from 'vitest';
import { Generator } from '../../src/random.js';
import { spiral, circles, xor, moons, blobs, sine, plane, syntheticDatasets } from '../../src/data/synthetic.js';
import { classCounts, validateDataset, type Dataset } from '../../src/data/dataset.js';

function rows(ds: Dataset): number[][] {
  const f = ds.x.shape[1];
  return Array.from({ length: ds.x.shape[0] }, (_, i) => Array.from(ds.x.data.subarray(i * f, i * f + f)));
}

describe('synthetic datasets', () => {
  it('every set is deterministic in its seed, valid, and differs across seeds', () => {
    for (const [name, make] of Object.entries(syntheticDatasets)) {
      const a = make({ n: 101, noise: 0.1, seed: 5 });
      const b = make({ n: 101, noise: 0.1, seed: 5 });
      const c = make({ n: 101, noise: 0.1, seed: 6 });
      expect(validateDataset(a), name).toBe(101);
      expect(a.x.data, name).toEqual(b.x.data);
      expect(a.y.data, name).toEqual(b.y.data);
      expect(a.x.data, name).not.toEqual(c.x.data);
      expect(Array.from(a.x.data).every(Number.isFinite), name).toBe(true);
      // A given generator is used instead of the seed.
      const g = make({ n: 101, noise: 0.1, generator: new Generator(5) });
      expect(g.x.data, name).toEqual(a.x.data);
    }
  });

  it('classification sets: shapes, class balance, shuffled order', () => {
    expect(spiral({ n: 200 }).x.shape).toEqual([200, 2]);
    expect(classCounts(spiral({ n: 200 }))).toEqual([100, 100]);
    expect(classCounts(spiral({ n: 301, arms: 3 }))).toEqual([101, 100, 100]);
    expect(spiral({ arms: 5 }).numClasses).toBe(5);
    expect(classCounts(circles({ n: 200 }))).toEqual([100, 100]);
    expect(classCounts(moons({ n: 201 }))).toEqual([100, 101]);
    expect(classCounts(blobs({ n: 100, centers: 3 }))).toEqual([34, 33, 33]);
    const x = xor({ n: 1000 });
    const [c0, c1] = classCounts(x);
    expect(c0 + c1).toBe(1000);
    expect(Math.abs(c0 - c1)).toBeLessThan(120);
    // Shuffled: the first 20 labels are not all one class.
    expect(new Set(spiral({ n: 200 }).y.data.subarray(0, 20)).size).toBe(2);
  });

  it('spiral follows Playground: radius grows to 5 along each arm, arms offset by 2π/k', () => {
    const ds = spiral({ n: 400, noise: 0 });
    const r = rows(ds).map(([a, b]) => Math.hypot(a, b));
    expect(Math.min(...r)).toBe(0);
    expect(Math.max(...r)).toBeLessThan(5);
    expect(Math.max(...r)).toBeGreaterThan(4.9);
    // With noise 0, each point of arm 1 is the point of arm 0 rotated by π: (x, y) → (−x, −y).
    const arm = (k: number): string[] => rows(ds).filter((_, i) => ds.y.data[i] === k).map(([a, b]) => `${a.toFixed(4)},${b.toFixed(4)}`).sort();
    const neg = rows(ds).filter((_, i) => ds.y.data[i] === 0).map(([a, b]) => `${(-a + 0).toFixed(4)},${(-b + 0).toFixed(4)}`).sort();
    expect(neg.map((s) => s.replace(/-0\.0000/g, '0.0000'))).toEqual(arm(1).map((s) => s.replace(/-0\.0000/g, '0.0000')));
  });

  it('circles without noise: class 1 inside radius 2.5, class 0 in the ring 3.5..5', () => {
    const ds = circles({ n: 500, noise: 0 });
    rows(ds).forEach(([a, b], i) => {
      const r = Math.hypot(a, b);
      if (ds.y.data[i] === 1) expect(r).toBeLessThan(2.5);
      else {
        expect(r).toBeGreaterThanOrEqual(3.5 - 1e-6);
        expect(r).toBeLessThanOrEqual(5 + 1e-6);
      }
    });
    // Noise flips some labels (labels come from the noisy position) but never moves points.
    const noisy = circles({ n: 500, noise: 0.5 });
    const flipped = rows(noisy).filter(([a, b], i) => (Math.hypot(a, b) < 2.5 ? 1 : 0) !== noisy.y.data[i]).length;
    expect(flipped).toBeGreaterThan(10);
    expect(rows(noisy).every(([a, b]) => Math.hypot(a, b) <= 5 + 1e-6)).toBe(true);
  });

  it('xor without noise: label 1 exactly when x1·x2 ≥ 0, |coordinates| ≥ 0.3', () => {
    const ds = xor({ n: 500 });
    rows(ds).forEach(([a, b], i) => {
      expect(ds.y.data[i]).toBe(a * b >= 0 ? 1 : 0);
      expect(Math.abs(a)).toBeGreaterThanOrEqual(0.3 - 1e-6);
      expect(Math.abs(b)).toBeLessThanOrEqual(5.3 + 1e-6);
    });
  });

  it('moons without noise lie on the two half circles of make_moons', () => {
    const ds = moons({ n: 100, noise: 0 });
    rows(ds).forEach(([a, b], i) => {
      if (ds.y.data[i] === 0) expect(Math.hypot(a, b)).toBeCloseTo(1, 5);
      else expect(Math.hypot(a - 1, b - 0.5)).toBeCloseTo(1, 5);
    });
  });

  it('blobs: given centres and spread (noise = cluster_std)', () => {
    const ds = blobs({ n: 3000, centers: [[0, 0], [10, 10], [-10, 5]], noise: 0.5 });
    const centers = [[0, 0], [10, 10], [-10, 5]];
    for (let k = 0; k < 3; k++) {
      const pts = rows(ds).filter((_, i) => ds.y.data[i] === k);
      const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
      const sd = Math.sqrt(pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0) / pts.length);
      expect(mx).toBeCloseTo(centers[k][0], 1);
      expect(sd).toBeGreaterThan(0.45);
      expect(sd).toBeLessThan(0.55);
    }
    expect(blobs({ centers: 4, numFeatures: 5 }).x.shape).toEqual([200, 5]);
    expect(() => blobs({ centers: [[0], [1, 2]] })).toThrow(/same number/);
  });

  it('regression sets: shapes and formulas', () => {
    const s = sine({ n: 50 });
    expect(s.x.shape).toEqual([50, 1]);
    expect(s.y.shape).toEqual([50, 1]);
    expect(s.numClasses).toBeUndefined();
    for (let i = 0; i < 50; i++) expect(s.y.data[i]).toBeCloseTo(Math.sin(s.x.data[i]), 5);
    const p = plane({ n: 50 });
    expect(p.y.shape).toEqual([50, 1]);
    for (let i = 0; i < 50; i++) expect(p.y.data[i]).toBeCloseTo((p.x.data[2 * i] + p.x.data[2 * i + 1]) / 10, 5);
  });

  it('validates options naming them', () => {
    expect(() => spiral({ n: 0 })).toThrow(/spiral: n must be an integer ≥ 1, got 0/);
    expect(() => circles({ noise: -1 })).toThrow(/circles: noise must be a finite number ≥ 0, got -1/);
    expect(() => spiral({ arms: 1 })).toThrow(/arms must be an integer ≥ 2/);
    expect(() => blobs({ centerBox: [1, 1] })).toThrow(/centerBox must be \[lo, hi\]/);
  });
});
