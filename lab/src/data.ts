/**
 * The lab's data: the library's synthetic 2D sets (split train/test by the chosen ratio and
 * standardised with the training statistics) and the built-in MNIST digits: the package's
 * data/mnist-10k/*.gz, fetched from the lab's own origin (Vite's dev server serves data/ as
 * its public directory; `gradlab lab`'s server serves it beside dist/lab) and gunzipped in
 * the browser — no network beyond the page's origin.
 */
import { blobs, circles, moons, spiral, xor } from '../../src/data/synthetic.js';
import { fetchBuiltinMnist } from '../../src/data/mnist.js';
import type { Dataset } from '../../src/data/dataset.js';
import { Tensor } from '../../src/tensor.js';
import type { LabState } from './state.js';

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

let mnistCache: Promise<{ train: Dataset; test: Dataset }> | null = null;

function rows(t: Tensor, from: number, to: number): Tensor {
  const r = t.size / t.shape[0];
  return new Tensor(t.data.slice(from * r, to * r), [to - from, ...t.shape.slice(1)]);
}

export async function loadData(state: LabState): Promise<LabData> {
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
            // make_blobs' cluster_std: 1 at noise 0, 4 at the maximum 0.5.
            : blobs({ ...opts, noise: 1 + state.noise * 6 });
  const n = ds.x.shape[0];
  const nTrain = Math.max(1, Math.min(n - 1, Math.round(n * state.trainRatio)));
  const numClasses = ds.numClasses ?? 2;
  const raw = ds.x.data;
  const shift = [0, 0];
  const scale = [1, 1];
  for (let k = 0; k < 2; k++) {
    let s = 0;
    let sq = 0;
    for (let i = 0; i < nTrain; i++) s += raw[i * 2 + k];
    const m = s / nTrain;
    for (let i = 0; i < nTrain; i++) sq += (raw[i * 2 + k] - m) ** 2;
    shift[k] = m;
    scale[k] = Math.sqrt(sq / nTrain) || 1;
  }
  const x = new Float32Array(raw.length);
  for (let i = 0; i < n; i++) for (let k = 0; k < 2; k++) x[i * 2 + k] = (raw[i * 2 + k] - shift[k]) / scale[k];
  const xt = new Tensor(x, [n, 2]);
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    x0 = Math.min(x0, raw[i * 2]);
    x1 = Math.max(x1, raw[i * 2]);
    y0 = Math.min(y0, raw[i * 2 + 1]);
    y1 = Math.max(y1, raw[i * 2 + 1]);
  }
  // Square view with a margin, so the boundary is not stretched.
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const half = (Math.max(x1 - x0, y1 - y0) / 2) * 1.1 || 1;
  return {
    train: { x: rows(xt, 0, nTrain), y: rows(ds.y, 0, nTrain) },
    test: { x: rows(xt, nTrain, n), y: rows(ds.y, nTrain, n) },
    inputDim: 2,
    numClasses,
    is2d: true,
    shift,
    scale,
    points: {
      x: Array.from(raw.filter((_, i) => i % 2 === 0), (v) => +v.toFixed(4)),
      y: Array.from(raw.filter((_, i) => i % 2 === 1), (v) => +v.toFixed(4)),
      label: Array.from(ds.y.data),
      test: Array.from({ length: n }, (_, i) => i >= nTrain),
    },
    bounds: { x0: cx - half, x1: cx + half, y0: cy - half, y1: cy + half },
  };
}
