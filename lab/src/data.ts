/**
 * The lab's data: the library's synthetic 2D sets and the user's CSV file (parsed on the page,
 * lab/src/localdata.ts), both split train/test by the chosen ratio and standardised with the
 * training statistics as `gradlab train` does (a synthetic set with --standardize); and
 * the built-in MNIST digits: the package's
 * data/mnist-10k/*.gz, fetched from the lab's own origin (Vite's dev server serves data/ as
 * its public directory; `gradlab lab`'s server serves it beside dist/lab) and gunzipped in
 * the browser — no network beyond the page's origin.
 */
import { blobs, circles, moons, spiral, xor } from '../../src/data/synthetic.js';
import { fetchBuiltinMnist } from '../../src/data/mnist.js';
import { rowSize, trainValidationSplit, type Dataset } from '../../src/data/dataset.js';
import { scaleSplits } from '../../src/data/scaler.js';
import { Generator } from '../../src/random.js';
import { Tensor } from '../../src/tensor.js';
import type { LocalData } from './protocol.js';
import { testFraction, type LabState } from './state.js';
import { blobsNoise } from './command.js';

/**
 * The lab's root URL. This module runs in the worker, bundled into dist/lab/assets/ (or
 * served as /src/data.ts by Vite's dev server): one level up is the root either way.
 * (import.meta.url through a variable, so Vite does not treat it as an asset reference.)
 */
const moduleUrl = import.meta.url;
const LAB_ROOT = new URL('../', moduleUrl).href;

export interface LabData {
  train: { x: Tensor; y: Tensor };
  test: { x: Tensor; y: Tensor };
  inputDim: number;
  numClasses: number;
  is2d: boolean;
  /** Standardisation: model input = (raw − shift) / scale. */
  shift: number[];
  scale: number[];
  points?: { x: number[]; y: number[]; label: number[]; test: boolean[] };
  bounds?: { x0: number; x1: number; y0: number; y1: number };
  /** MNIST test pixels in [0, 1], for drawing sample digits. */
  rawTest?: Float32Array;
}

/** The worker's message when a run asks for local data the page has not sent (a shared link). */
export const NO_LOCAL_DATA = 'No CSV file loaded: choose one under "Your own data" (a link names local data but cannot carry the file).';

let mnistCache: Promise<{ train: Dataset; test: Dataset }> | null = null;

export async function loadData(state: LabState, local?: LocalData): Promise<LabData> {
  if (state.dataset === 'mnist') {
    mnistCache ??= fetchBuiltinMnist((file) => new URL(file, LAB_ROOT).href);
    let ds: { train: Dataset; test: Dataset };
    try {
      ds = await mnistCache;
    } catch (e) {
      mnistCache = null;
      throw e;
    }
    // Pixels are already in [0, 1]; the split is the library's fixed stratified one.
    return {
      train: ds.train,
      test: ds.test,
      inputDim: 784,
      numClasses: 10,
      is2d: false,
      shift: [0],
      scale: [1],
      rawTest: ds.test.x.data as Float32Array,
    };
  }
  if (state.dataset === 'local') {
    if (!local) throw new Error(NO_LOCAL_DATA);
    const f = local.featureNames.length;
    const n = local.y.length;
    const all: Dataset = {
      x: new Tensor(local.x, [n, f]),
      y: new Tensor(local.y, [n]),
      numClasses: local.classNames.length,
      classNames: local.classNames,
      featureNames: local.featureNames,
      name: local.name,
    };
    // As `gradlab train --data file.csv` splits a CSV (src/cli/data.ts): stratified, seed + 1,
    // so the same seed and held-out share give the same parts in the lab and the CLI.
    const { train, validation } = trainValidationSplit(all, testFraction(state), new Generator(state.seed + 1), { stratify: true });
    // A file's columns have their own units: each axis of the boundary view its own range.
    return standardised(train, validation, all.numClasses!, false);
  }
  const opts = { n: state.points, noise: state.noise, seed: state.seed };
  const ds: Dataset =
    state.dataset === 'spiral'
      ? spiral(opts)
      : state.dataset === 'circles'
        ? circles(opts)
        : state.dataset === 'xor'
          ? xor(opts)
          : state.dataset === 'moons'
            ? moons(opts)
            : blobs({ ...opts, noise: blobsNoise(state.noise) });
  // As `gradlab train --data <name> --samples --noise --seed --test-fraction --standardize` draws,
  // splits and scales it (src/cli/data.ts): stratified, seed + 1, standardised with the training
  // part's statistics, so the lab's run and the CLI's are the same run (lab/src/command.ts).
  const { train, validation } = trainValidationSplit(ds, testFraction(state), new Generator(state.seed + 1), { stratify: true });
  return standardised(train, validation, ds.numClasses ?? 2, true);
}

/**
 * Features standardised with the training part's mean and standard deviation (the library's
 * scaler, src/data/scaler.ts, as the CLI scales a CSV or, with --standardize, a synthetic set);
 * for 2-feature data also the raw points (training first, then test) and the view's bounds, for
 * the decision boundary.
 */
function standardised(train: Dataset, test: Dataset, numClasses: number, square: boolean): LabData {
  const { train: tr, test: te, scaler } = scaleSplits({ train, test }, 'standard');
  const inputDim = rowSize(train.x);
  const data: LabData = {
    train: tr,
    test: te,
    inputDim,
    numClasses,
    is2d: inputDim === 2,
    shift: scaler.offset,
    scale: scaler.scale,
  };
  if (!data.is2d) return data;
  const nTrain = train.x.shape[0];
  const n = nTrain + test.x.shape[0];
  const raw = new Float32Array(n * 2);
  raw.set(train.x.data);
  raw.set(test.x.data, nTrain * 2);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, raw[i * 2]);
    x1 = Math.max(x1, raw[i * 2]);
    y0 = Math.min(y0, raw[i * 2 + 1]);
    y1 = Math.max(y1, raw[i * 2 + 1]);
  }
  // A margin around the points, so the boundary is seen beyond them.
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const half = (Math.max(x1 - x0, y1 - y0) / 2) * 1.1 || 1;
  const halfX = square ? half : ((x1 - x0) / 2) * 1.1 || Math.abs(cx) * 0.1 || 1;
  const halfY = square ? half : ((y1 - y0) / 2) * 1.1 || Math.abs(cy) * 0.1 || 1;
  data.points = {
    x: Array.from(raw.filter((_, i) => i % 2 === 0), (v) => +v.toFixed(4)),
    y: Array.from(raw.filter((_, i) => i % 2 === 1), (v) => +v.toFixed(4)),
    label: [...Array.from(train.y.data), ...Array.from(test.y.data)],
    test: Array.from({ length: n }, (_, i) => i >= nTrain),
  };
  data.bounds = { x0: cx - halfX, x1: cx + halfX, y0: cy - halfY, y1: cy + halfY };
  return data;
}
