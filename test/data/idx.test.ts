import { afterAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIdx, parseIdx, idxToDataset, FASHION_MNIST_CLASSES, MNIST_CLASSES, type IdxDType } from '../../src/data/idx.js';
import { loadData } from '../../src/cli/data.js';
import { loadIdxDataset, loadFashionMnist, loadMnistIdx, readIdxFile, FASHION_MNIST_DIR } from '../../src/data/datasets.node.js';
import { classCounts } from '../../src/data/dataset.js';

const dir = mkdtempSync(join(tmpdir(), 'gradlab-idx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('IDX parse/encode', () => {
  it('round trips every element type with big-endian sizes and values', () => {
    const cases: Array<[IdxDType, number[]]> = [
      ['u8', [0, 1, 128, 255, 7, 9]],
      ['i8', [-128, -1, 0, 1, 127, 5]],
      ['i16', [-32768, -2, 0, 300, 32767, 1]],
      ['i32', [-2147483648, -1, 0, 65536, 2147483647, 3]],
      ['f32', [0.5, -1.25, 3, 1e-3, -0, 65504]],
      ['f64', [Math.PI, -1e300, 0, 1, 2, 3]],
    ];
    for (const [dtype, values] of cases) {
      const bytes = encodeIdx(values, [2, 3], dtype);
      const p = parseIdx(bytes, 'x.idx');
      expect(p.dtype).toBe(dtype);
      expect(p.shape).toEqual([2, 3]);
      const expected = dtype === 'f32' ? Array.from(Float32Array.from(values)) : values;
      expect(Array.from(p.data)).toEqual(expected);
    }
  });

  it('uses the documented header layout (magic 00 00 08 03, big-endian sizes)', () => {
    const bytes = encodeIdx(new Uint8Array(2 * 28 * 28), [2, 28, 28]);
    expect(Array.from(bytes.subarray(0, 16))).toEqual([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]);
    expect(bytes.length).toBe(16 + 2 * 784);
  });

  it('parses from a view with an odd byte offset', () => {
    const bytes = encodeIdx([1, -2, 3], [3], 'i32');
    const big = new Uint8Array(bytes.length + 1);
    big.set(bytes, 1);
    expect(Array.from(parseIdx(big.subarray(1)).data)).toEqual([1, -2, 3]);
  });

  const good = encodeIdx([1, 2, 3, 4, 5, 6], [2, 3]);
  const corrupt: Array<[string, Uint8Array, RegExp]> = [
    ['empty', new Uint8Array(0), /imgs\.idx: truncated IDX file: 0 bytes/],
    ['bad magic', Uint8Array.from([0x12, 0x34, 8, 1, 0, 0, 0, 0]), /imgs\.idx: not an IDX file: magic number starts 12 34 08 01/],
    ['unknown type', Uint8Array.from([0, 0, 0x07, 1, 0, 0, 0, 0]), /unknown IDX element type 0x07/],
    ['zero dims', Uint8Array.from([0, 0, 8, 0]), /declares 0 dimensions/],
    ['truncated header', good.subarray(0, 9), /truncated IDX header: 2 dimensions need 12 bytes, file has 9/],
    ['truncated data', good.subarray(0, good.length - 1), /truncated IDX data: shape \[2, 3\] of u8 needs 6 bytes after the header, file has 5/],
    ['extra data', Uint8Array.from([...good, 0, 0]), /size mismatch: .* needs 6 bytes after the header, file has 8 \(2 extra\)/],
    ['wrong sizes', Uint8Array.from([0, 0, 8, 1, 0xff, 0xff, 0xff, 0xff, 1, 2]), /truncated IDX data: shape \[4294967295\]/],
    ['gzip not decompressed', gzipSync(good), /is gzip-compressed/],
  ];
  for (const [label, bytes, msg] of corrupt) {
    it(`rejects ${label} with a message naming the file`, () => {
      expect(() => parseIdx(bytes, 'imgs.idx')).toThrow(msg);
      expect(() => parseIdx(bytes, 'imgs.idx')).toThrow(/^imgs\.idx: /);
    });
  }
});

describe('IDX datasets from files', () => {
  const images = new Uint8Array(3 * 4);
  images.set([0, 255, 51, 102, 1, 2, 3, 4, 255, 255, 0, 0]);
  const imgPath = join(dir, 'imgs-idx3-ubyte');
  const lblPath = join(dir, 'lbls-idx1-ubyte.gz');
  writeFileSync(imgPath, encodeIdx(images, [3, 2, 2]));
  writeFileSync(lblPath, gzipSync(encodeIdx([2, 0, 9], [3])));

  it('loads plain and gzip files, scales pixels to [0, 1] and flattens images', async () => {
    const ds = await loadIdxDataset(imgPath, lblPath);
    expect(ds.x.shape).toEqual([3, 4]);
    expect(ds.y.shape).toEqual([3]);
    expect(Array.from(ds.x.data.subarray(0, 4))).toEqual([0, 1, 0.2, 0.4].map((v) => Math.fround(v)));
    expect(Array.from(ds.y.data)).toEqual([2, 0, 9]);
    expect(ds.numClasses).toBe(10);
  });

  it('names the file on errors: missing, corrupt gzip, count mismatch, bad label', async () => {
    await expect(readIdxFile(join(dir, 'nope'))).rejects.toThrow(/nope: cannot read: no such file/);
    const badGz = join(dir, 'bad.gz');
    writeFileSync(badGz, Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await expect(readIdxFile(badGz)).rejects.toThrow(/bad\.gz: corrupt gzip data/);
    const two = join(dir, 'two-labels');
    writeFileSync(two, encodeIdx([1, 2], [2]));
    await expect(loadIdxDataset(imgPath, two)).rejects.toThrow(/two-labels: has 2 labels but .*imgs-idx3-ubyte has 3 images/);
    const big = join(dir, 'big-labels');
    writeFileSync(big, encodeIdx([1, 2, 10], [3]));
    await expect(loadIdxDataset(imgPath, big)).rejects.toThrow(/big-labels: label 10 of example 2 is outside 0\.\.9/);
  });

  it('idxToDataset rejects non-u8 images', () => {
    expect(() => idxToDataset(parseIdx(encodeIdx([1, 2], [1, 2], 'f32')), parseIdx(encodeIdx([0], [1])))).toThrow(/expected u8 pixels/);
  });

  it('misuse is named: not bytes, a misspelt or PyTorch-spelt option, numClasses not an integer ≥ 2, the two files swapped', async () => {
    expect(() => parseIdx('train-images-idx3-ubyte' as never)).toThrow("parseIdx: bytes must be a Uint8Array (the file's contents), got a string (a path? readIdxFile(path) in gradlab/node reads and parses a file)");
    expect(() => parseIdx(null as never)).toThrow('parseIdx: bytes must be a Uint8Array');
    const images = parseIdx(encodeIdx(new Uint8Array(8), [2, 2, 2]));
    const labels = parseIdx(encodeIdx([0, 1], [2]));
    expect(() => idxToDataset(images, labels, { num_classes: 2 } as never)).toThrow("idxToDataset: unknown option 'num_classes' (gradlab spells it numClasses)");
    for (const k of [0, 1, 2.5, NaN]) expect(() => idxToDataset(images, labels, { numClasses: k })).toThrow('idxToDataset: numClasses must be an integer ≥ 2');
    expect(() => idxToDataset(labels, images)).toThrow('images: expected images of shape [N, ...], got [2] (the shape of labels: are the images and labels files swapped?)');
    const img = join(dir, 'sw-images-idx3-ubyte');
    const lab = join(dir, 'sw-labels-idx1-ubyte');
    writeFileSync(img, encodeIdx(new Uint8Array(8), [2, 2, 2]));
    writeFileSync(lab, encodeIdx([0, 1], [2]));
    await expect(loadIdxDataset(lab, img)).rejects.toThrow(`${lab}: expected images of shape [N, ...], got [2] (the shape of labels: are the images and labels files swapped?)`);
    await expect(loadIdxDataset(img, lab, { classes: 2 } as never)).rejects.toThrow("loadIdxDataset: unknown option 'classes'");
  });

  it('finds MNIST-layout files in a directory (dot names, .gz) and explains when they are absent', async () => {
    const mdir = join(dir, 'mnist');
    await import('node:fs/promises').then((f) => f.mkdir(mdir));
    writeFileSync(join(mdir, 't10k-images.idx3-ubyte'), encodeIdx(images, [3, 2, 2]));
    writeFileSync(join(mdir, 't10k-labels-idx1-ubyte.gz'), gzipSync(encodeIdx([1, 1, 1], [3])));
    const test = await loadMnistIdx(mdir, { split: 'test' });
    expect(test.x.shape).toEqual([3, 4]);
    expect(test.name).toBe('mnist (test)');
    await expect(loadMnistIdx(mdir, { split: 'train' })).rejects.toThrow(/MNIST not found in .*mnist \(missing train-images-idx3-ubyte\[\.gz\], train-labels-idx1-ubyte\[\.gz\]\)\. Point --data/);
    await expect(loadFashionMnist(mdir)).rejects.toThrow(/apt-get install dataset-fashion-mnist.*--data/);
    await expect(loadFashionMnist(mdir, { split: 'valid' as 'test' })).rejects.toThrow(/split must be 'train' or 'test', got valid/);
  });
});

describe('--data <directory of IDX files>', () => {
  it('names the classes by the directory: Fashion-MNIST clothing for a fashion directory, digits otherwise', async () => {
    const img = encodeIdx(new Uint8Array(20 * 4).map((_, i) => i), [20, 2, 2]);
    const lbl = encodeIdx(Array.from({ length: 20 }, (_, i) => i % 10), [20]);
    const names: Record<string, string[] | undefined> = {};
    for (const sub of ['my-fashion-copy', 'digits']) {
      const d = join(dir, sub);
      await import('node:fs/promises').then((f) => f.mkdir(d));
      for (const split of ['train', 't10k']) {
        writeFileSync(join(d, `${split}-images-idx3-ubyte`), img);
        writeFileSync(join(d, `${split}-labels-idx1-ubyte`), lbl);
      }
      const loaded = await loadData(d);
      expect(loaded.train.x.shape).toEqual([20, 4]);
      names[sub] = loaded.info.classNames;
    }
    expect(names['my-fashion-copy']).toEqual(FASHION_MNIST_CLASSES);
    expect(names.digits).toEqual(MNIST_CLASSES);
  });
});

describe('real Fashion-MNIST (Debian dataset-fashion-mnist, installed by scripts/setup.sh)', () => {
  it('loads 60,000 training images with balanced labels 0..9', async () => {
    const ds = await loadFashionMnist();
    expect(ds.x.shape).toEqual([60000, 784]);
    expect(ds.y.shape).toEqual([60000]);
    expect(ds.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(classCounts(ds)).toEqual(new Array(10).fill(6000));
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of ds.x.data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    // First training label of Fashion-MNIST is 9 (ankle boot), second 0 (T-shirt/top).
    expect(Array.from(ds.y.data.subarray(0, 2))).toEqual([9, 0]);
  }, 30000);

  it('loads 10,000 test images', async () => {
    const ds = await loadFashionMnist(FASHION_MNIST_DIR, { split: 'test' });
    expect(ds.x.shape).toEqual([10000, 784]);
    expect(classCounts(ds)).toEqual(new Array(10).fill(1000));
    expect(Math.min(...ds.y.data)).toBe(0);
    expect(Math.max(...ds.y.data)).toBe(9);
  }, 30000);
});
