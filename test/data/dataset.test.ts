import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '../../src/tensor.js';
import { Generator } from '../../src/random.js';
import { subset, trainValidationSplit, classCounts, validateDataset, type Dataset } from '../../src/data/dataset.js';

function labelled(counts: number[]): Dataset {
  const y: number[] = [];
  counts.forEach((c, k) => y.push(...new Array(c).fill(k)));
  const n = y.length;
  return { x: new Tensor(Float32Array.from({ length: n }, (_, i) => i), [n, 1]), y: tensor(y), numClasses: counts.length, classNames: counts.map((_, k) => `c${k}`), name: 'toy' };
}

describe('subset and trainValidationSplit', () => {
  it('subset copies the chosen rows in order and keeps the description', () => {
    const ds = labelled([3, 2]);
    const s = subset(ds, [4, 0, 2]);
    expect(Array.from(s.x.data)).toEqual([4, 0, 2]);
    expect(Array.from(s.y.data)).toEqual([1, 0, 0]);
    expect(s.classNames).toEqual(['c0', 'c1']);
    expect(() => subset(ds, [5])).toThrow(/index 5 is out of range for 5 examples/);
  });

  it('splits round(N · fraction) into validation, disjoint and complete, seeded', () => {
    const ds = labelled([60, 40]);
    const a = trainValidationSplit(ds, 0.25, new Generator(3));
    expect(a.validation.x.shape[0]).toBe(25);
    expect(a.train.x.shape[0]).toBe(75);
    const all = [...a.train.x.data, ...a.validation.x.data].sort((p, q) => p - q);
    expect(all).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const b = trainValidationSplit(ds, 0.25, new Generator(3));
    expect(b.validation.x.data).toEqual(a.validation.x.data);
    const c = trainValidationSplit(ds, 0.25, new Generator(4));
    expect(c.validation.x.data).not.toEqual(a.validation.x.data);
    expect(a.train.name).toBe('toy (train)');
  });

  it('stratify keeps class shares (largest remainder hits the exact total)', () => {
    const ds = labelled([50, 30, 17, 3]);
    const { train, validation } = trainValidationSplit(ds, 0.2, new Generator(0), { stratify: true });
    expect(validation.x.shape[0]).toBe(20);
    expect(classCounts(validation)).toEqual([10, 6, 3, 1]);
    expect(classCounts(train)).toEqual([40, 24, 14, 2]);
    // Classes are interleaved, not grouped.
    expect(Array.from(train.y.data.subarray(0, 20))).not.toEqual(new Array(20).fill(0));
  });

  it('a label of 1e9 is refused at once by classCounts (the count array grew a billion entries)', () => {
    const ds = { x: tensor([1, 2, 3, 4], [4, 1]), y: tensor([0, 1, 1e9, 0]) };
    const t0 = Date.now();
    expect(() => classCounts(ds)).toThrow('classCounts: label 1000000000 of example 2 is not a class index below 1048576');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('stratify splits a class of more than 200,000 examples (no argument-spread stack overflow)', () => {
    // 2 classes × 250,000 examples: push(...list) passed each class's indices as arguments.
    const n = 500_000;
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) y[i] = i % 2;
    const ds: Dataset = { x: new Tensor(Float32Array.from({ length: n }, (_, i) => i), [n, 1]), y: new Tensor(y, [n]), numClasses: 2, name: 'big' };
    const { train, validation } = trainValidationSplit(ds, 0.2, new Generator(0), { stratify: true });
    expect(classCounts(validation)).toEqual([50_000, 50_000]);
    expect(classCounts(train)).toEqual([200_000, 200_000]);
  });

  it('rejects bad fractions and splits leaving a part empty', () => {
    const ds = labelled([2, 2]);
    expect(() => trainValidationSplit(ds, 0)).toThrow(/fraction must be in \(0, 1\)/);
    expect(() => trainValidationSplit(ds, 1)).toThrow(/fraction must be in \(0, 1\)/);
    expect(() => trainValidationSplit(ds, 0.05)).toThrow(/leaves an empty part \(0 validation, 4 training\)/);
  });

  it('validateDataset checks labels against numClasses', () => {
    const ds = labelled([2, 2]);
    expect(validateDataset(ds)).toBe(4);
    expect(() => validateDataset({ ...ds, y: tensor([0, 1, 2, 0]) })).toThrow(/label 2 of example 2 is not a class index in 0\.\.1/);
    expect(() => validateDataset({ ...ds, y: tensor([0, 0.5, 1, 0]) })).toThrow(/label 0.5 of example 1/);
  });
});
