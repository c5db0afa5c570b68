/**
 * Synthetic datasets: small 2-D problems for seeing a network learn, and two regression
 * sets. Every function is pure given its seed: it draws only from `options.generator`
 * if given, else from a fresh `new Generator(options.seed ?? 0)`, so the same options
 * give the same data on every platform.
 *
 * Spiral, circles, xor and plane follow TensorFlow Playground's `dataset.ts` (noise there
 * is the UI value / 100, i.e. 0 … 0.5); moons and blobs follow scikit-learn's
 * `make_moons` and `make_blobs`. Playground labels ±1 become class indices 1 (for +1)
 * and 0 (for −1). As in Playground, the examples are returned in shuffled order.
 */
import { Tensor } from '../tensor.js';
import { Generator } from '../random.js';
import type { Dataset } from './dataset.js';

export interface SyntheticOptions {
  /** Number of examples. Default 200. */
  n?: number;
  /** Noise level; its meaning is given with each set. Default 0 (blobs: 1). */
  noise?: number;
  /** Seed of a fresh generator. Default 0. Ignored when `generator` is given. */
  seed?: number;
  generator?: Generator;
}

function setup(fn: string, o: SyntheticOptions, defaultNoise = 0): { n: number; noise: number; g: Generator } {
  const n = o.n ?? 200;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${fn}: n must be an integer ≥ 1, got ${String(n)}`);
  const noise = o.noise ?? defaultNoise;
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) throw new Error(`${fn}: noise must be a finite number ≥ 0, got ${String(noise)}`);
  const g = o.generator ?? new Generator(o.seed ?? 0);
  return { n, noise, g };
}

/** Split n into k counts differing by at most one, the larger ones first (as make_blobs). */
function balanced(n: number, k: number): number[] {
  const out: number[] = [];
  for (let c = 0; c < k; c++) out.push(Math.floor(n / k) + (c < n % k ? 1 : 0));
  return out;
}

/** Build a dataset from rows generated in order, then shuffle the rows with g. */
function finish(
  g: Generator,
  xs: number[],
  ys: number[],
  features: number,
  targets: number | null,
  extra: Omit<Dataset, 'x' | 'y'>,
): Dataset {
  const n = targets === null ? ys.length : ys.length / targets;
  const perm = g.permutation(n);
  const x = new Float32Array(n * features);
  const yw = targets ?? 1;
  const y = new Float32Array(n * yw);
  for (let i = 0; i < n; i++) {
    const j = perm[i];
    for (let k = 0; k < features; k++) x[i * features + k] = xs[j * features + k];
    for (let k = 0; k < yw; k++) y[i * yw + k] = ys[j * yw + k];
  }
  return {
    ...extra,
    x: new Tensor(x, [n, features]),
    y: new Tensor(y, targets === null ? [n] : [n, targets]),
  };
}

export interface SpiralOptions extends SyntheticOptions {
  /** Number of arms (= classes), ≥ 2. Default 2 (Playground's spiral). */
  arms?: number;
}

/**
 * Interleaved spirals (TensorFlow Playground's `classifySpiralData`, generalised to k arms).
 * Arm j (class j) has m_j ≈ n/k points; point i of it is
 *   r = 5 · i / m_j,   t = 1.75 · 2π · i / m_j + 2π j / k,
 *   (x₁, x₂) = (r sin t + u₁·noise, r cos t + u₂·noise),  u ~ U(−1, 1).
 * With k = 2 the arm offsets are 0 and π, exactly Playground's.
 */
export function spiral(options: SpiralOptions = {}): Dataset {
  const { n, noise, g } = setup('spiral', options);
  const k = options.arms ?? 2;
  if (!Number.isInteger(k) || k < 2) throw new Error(`spiral: arms must be an integer ≥ 2, got ${String(k)}`);
  const xs: number[] = [];
  const ys: number[] = [];
  balanced(n, k).forEach((m, j) => {
    const delta = (2 * Math.PI * j) / k;
    for (let i = 0; i < m; i++) {
      const r = (i / m) * 5;
      const t = ((1.75 * i) / m) * 2 * Math.PI + delta;
      xs.push(r * Math.sin(t) + g.uniform(-1, 1) * noise, r * Math.cos(t) + g.uniform(-1, 1) * noise);
      ys.push(j);
    }
  });
  return finish(g, xs, ys, 2, null, {
    name: k === 2 ? 'spiral' : `spiral (${k} arms)`,
    numClasses: k,
    featureNames: ['x1', 'x2'],
    classNames: Array.from({ length: k }, (_, j) => `arm ${j}`),
  });
}

/**
 * A disc inside a ring (TensorFlow Playground's `classifyCircleData`), radius R = 5.
 * Half the points (class 1) have r ~ U(0, R/2), the other half (class 0) r ~ U(0.7R, R),
 * angle ~ U(0, 2π), position (r sin θ, r cos θ). The noise moves no point: as in
 * Playground, a point's label is whether (x + ε) lies within R/2 of the origin, with
 * ε ~ U(−R, R)² · noise, so noise flips labels near the boundary.
 */
export function circles(options: SyntheticOptions = {}): Dataset {
  const { n, noise, g } = setup('circles', options);
  const R = 5;
  const xs: number[] = [];
  const ys: number[] = [];
  const [nInside, nOutside] = balanced(n, 2);
  const gen = (count: number, rMin: number, rMax: number): void => {
    for (let i = 0; i < count; i++) {
      const r = g.uniform(rMin, rMax);
      const angle = g.uniform(0, 2 * Math.PI);
      const x = r * Math.sin(angle);
      const y = r * Math.cos(angle);
      const nx = g.uniform(-R, R) * noise;
      const ny = g.uniform(-R, R) * noise;
      xs.push(x, y);
      ys.push(Math.hypot(x + nx, y + ny) < R * 0.5 ? 1 : 0);
    }
  };
  gen(nInside, 0, R * 0.5);
  gen(nOutside, R * 0.7, R);
  return finish(g, xs, ys, 2, null, { name: 'circles', numClasses: 2, featureNames: ['x1', 'x2'], classNames: ['outside', 'inside'] });
}

/**
 * Exclusive or of the quadrants (TensorFlow Playground's `classifyXORData`):
 * x₁, x₂ ~ U(−5, 5), each pushed 0.3 away from 0 (padding); label 1 when
 * (x₁ + ε₁)(x₂ + ε₂) ≥ 0 with ε ~ U(−5, 5)² · noise, else 0. Noise flips labels, it
 * does not move points.
 */
export function xor(options: SyntheticOptions = {}): Dataset {
  const { n, noise, g } = setup('xor', options);
  const xs: number[] = [];
  const ys: number[] = [];
  const padding = 0.3;
  for (let i = 0; i < n; i++) {
    let x = g.uniform(-5, 5);
    x += x > 0 ? padding : -padding;
    let y = g.uniform(-5, 5);
    y += y > 0 ? padding : -padding;
    const nx = g.uniform(-5, 5) * noise;
    const ny = g.uniform(-5, 5) * noise;
    xs.push(x, y);
    ys.push((x + nx) * (y + ny) >= 0 ? 1 : 0);
  }
  return finish(g, xs, ys, 2, null, { name: 'xor', numClasses: 2, featureNames: ['x1', 'x2'], classNames: ['different sign', 'same sign'] });
}

/**
 * Two interleaving half circles (scikit-learn's `make_moons`): n_out = ⌊n/2⌋ points
 * (class 0) at (cos s, sin s) and n_in = n − n_out points (class 1) at
 * (1 − cos s, 1 − sin s − 0.5), s evenly spaced over [0, π] (numpy's linspace);
 * then Gaussian noise of standard deviation `noise` is added to both coordinates.
 */
export function moons(options: SyntheticOptions = {}): Dataset {
  const { n, noise, g } = setup('moons', options);
  const nOut = Math.floor(n / 2);
  const nIn = n - nOut;
  const linspace = (i: number, m: number): number => (m === 1 ? 0 : (Math.PI * i) / (m - 1));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < nOut; i++) {
    const s = linspace(i, nOut);
    xs.push(Math.cos(s) + g.normal(0, noise), Math.sin(s) + g.normal(0, noise));
    ys.push(0);
  }
  for (let i = 0; i < nIn; i++) {
    const s = linspace(i, nIn);
    xs.push(1 - Math.cos(s) + g.normal(0, noise), 1 - Math.sin(s) - 0.5 + g.normal(0, noise));
    ys.push(1);
  }
  return finish(g, xs, ys, 2, null, { name: 'moons', numClasses: 2, featureNames: ['x1', 'x2'], classNames: ['upper', 'lower'] });
}

export interface BlobsOptions extends SyntheticOptions {
  /** Number of clusters (centres drawn uniformly in centerBox), or the centres themselves. Default 3. */
  centers?: number | number[][];
  /** Features per example when centres are drawn. Default 2. */
  numFeatures?: number;
  /** Range of the drawn centres' coordinates. Default [−10, 10] (as make_blobs). */
  centerBox?: [number, number];
}

/**
 * Isotropic Gaussian blobs (scikit-learn's `make_blobs`): centre c_j ~ U(centerBox)^d
 * (unless given), cluster j gets ⌊n/k⌋ points plus one for the first n mod k clusters,
 * each x = c_j + noise · z, z ~ N(0, I). Here `noise` is make_blobs' `cluster_std`,
 * default 1. Class j is cluster j.
 */
export function blobs(options: BlobsOptions = {}): Dataset {
  const { n, noise, g } = setup('blobs', options, 1);
  const c = options.centers ?? 3;
  let centers: number[][];
  if (typeof c === 'number') {
    if (!Number.isInteger(c) || c < 1) throw new Error(`blobs: centers must be an integer ≥ 1 or a list of points, got ${c}`);
    const d = options.numFeatures ?? 2;
    if (!Number.isInteger(d) || d < 1) throw new Error(`blobs: numFeatures must be an integer ≥ 1, got ${String(d)}`);
    const [lo, hi] = options.centerBox ?? [-10, 10];
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) throw new Error(`blobs: centerBox must be [lo, hi] with lo < hi, got [${lo}, ${hi}]`);
    centers = [];
    for (let j = 0; j < c; j++) {
      const p: number[] = [];
      for (let k = 0; k < d; k++) p.push(g.uniform(lo, hi));
      centers.push(p);
    }
  } else {
    if (!Array.isArray(c) || c.length < 1) throw new Error('blobs: centers must be an integer ≥ 1 or a non-empty list of points');
    const d = c[0].length;
    if (!c.every((p) => Array.isArray(p) && p.length === d && d > 0 && p.every(Number.isFinite))) {
      throw new Error('blobs: every centre must be a list of the same number (≥ 1) of finite coordinates');
    }
    if (options.numFeatures !== undefined && options.numFeatures !== d) {
      throw new Error(`blobs: numFeatures ${options.numFeatures} disagrees with the given centres' ${d} coordinates`);
    }
    centers = c.map((p) => p.slice());
  }
  const d = centers[0].length;
  const xs: number[] = [];
  const ys: number[] = [];
  balanced(n, centers.length).forEach((m, j) => {
    for (let i = 0; i < m; i++) {
      for (let k = 0; k < d; k++) xs.push(centers[j][k] + g.normal(0, noise));
      ys.push(j);
    }
  });
  return finish(g, xs, ys, d, null, {
    name: 'blobs',
    numClasses: centers.length,
    featureNames: Array.from({ length: d }, (_, k) => `x${k + 1}`),
    classNames: centers.map((_, j) => `blob ${j}`),
  });
}

/**
 * One-dimensional regression: x ~ U(−π, π), y = sin x + noise · z, z ~ N(0, 1).
 * x is [n, 1], y is [n, 1].
 */
export function sine(options: SyntheticOptions = {}): Dataset {
  const { n, noise, g } = setup('sine', options);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = g.uniform(-Math.PI, Math.PI);
    xs.push(x);
    ys.push(Math.sin(x) + g.normal(0, noise));
  }
  return finish(g, xs, ys, 1, 1, { name: 'sine', featureNames: ['x'] });
}

/**
 * A tilted plane (TensorFlow Playground's `regressPlane`): x₁, x₂ ~ U(−6, 6),
 * y = ((x₁ + ε₁) + (x₂ + ε₂)) / 10 with ε ~ U(−6, 6)² · noise (Playground's label scale
 * maps [−10, 10] to [−1, 1]). x is [n, 2], y is [n, 1].
 */
export function plane(options: SyntheticOptions = {}): Dataset {
  const { n, noise, g } = setup('plane', options);
  const R = 6;
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = g.uniform(-R, R);
    const y = g.uniform(-R, R);
    const nx = g.uniform(-R, R) * noise;
    const ny = g.uniform(-R, R) * noise;
    xs.push(x, y);
    ys.push((x + nx + (y + ny)) / 10);
  }
  return finish(g, xs, ys, 2, 1, { name: 'plane', featureNames: ['x1', 'x2'] });
}

/** The synthetic sets by name, for the CLI and the lab's menus. */
export const syntheticDatasets = {
  spiral,
  circles,
  xor,
  moons,
  blobs,
  sine,
  plane,
} as const;

export type SyntheticName = keyof typeof syntheticDatasets;
