/**
 * The Trainer: fit(), evaluate(), predict().
 *
 * One step: forward (module by module for a Sequential, keeping each output for the
 * monitors and the non-finite locator) → loss → check the loss is finite → backward →
 * global gradient norm → check it is finite → clip → step → check the weights are finite →
 * metrics, history, monitors, callbacks. A step whose loss, gradients or update is
 * non-finite is never applied: the weights (and BatchNorm running statistics) stay those of
 * the last finite step, training stops with stopReason 'non-finite', and Report.nonFinite
 * names the step, the phase and the first layer where it appeared.
 *
 * The API is async and yields a macrotask between batches (yieldEvery) so that a browser
 * tab stays responsive; an AbortSignal cancels after the current batch.
 *
 * Determinism: `seed` seeds the global generator (dropout masks, as manualSeed) and, from
 * it, the generator that shuffles and splits the data; the same seed, model and data give
 * bit-identical reports except for the durations.
 */
import { noGrad } from '../autograd.js';
import { getBackend, K } from '../kernels/index.js';
import { getLoss, type LossName } from '../loss.js';
import { Sigmoid, Softmax } from '../nn/activation.js';
import { BatchNorm1d } from '../nn/batchnorm.js';
import { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import type { Optimizer } from '../optim/optimizer.js';
import { getOptimizer, type OptimizerName } from '../optim/registry.js';
import { EpochScheduler, ReduceLROnPlateau, type Scheduler } from '../optim/schedule.js';
import { defaultGenerator, Generator, manualSeed } from '../random.js';
import { Tensor, formatShape, showValue } from '../tensor.js';
import { doubleSoftmaxMessage, warnOnce } from '../warnings.js';
import { DataLoader, trainingLoader } from '../data/dataloader.js';
import { checkClassIndices, checkFiniteValues, gatherRows } from '../data/dataset.js';
import { checkOptions } from '../options.js';
import { Monitor, probeActivations } from '../diagnostics/monitors.js';
import { TrainStep } from './step.js';
import { runHealthChecks, nonFiniteFinding, trackFindings } from '../diagnostics/rules.js';
import { checkMetricName, defaultMetrics, resolveMetric, type Metric } from './metrics.js';
import { jsonSafe } from './json.js';
import { type BatchLogs, type Callback, type EpochLogs, type FitOptions, type Finding, type MetricName, type Report, type TensorData, type TrainContext } from './types.js';
import { macrotask, now, YIELD_SLICE_MS } from './yield.js';

export const DEFAULT_EPOCHS = 10;

/**
 * What fit() throws when a callback throws: the message names the callback (index and class),
 * the hook and the epoch; `cause` is the callback's error and `report` the Report up to then
 * (JSON-safe, without a stopReason). The model keeps the weights of the last step taken.
 */
export class CallbackError extends Error {
  constructor(
    message: string,
    readonly report: Report,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = 'CallbackError';
  }
}
export const DEFAULT_BATCH_SIZE = 32;

type LossFn = (output: Tensor, target: Tensor) => Tensor;

/** Input data of fit/evaluate: tensors, or a DataLoader yielding {x, y} batches. */
export type FitData = TensorData | DataLoader;

function isLoader(d: unknown): d is DataLoader {
  if (d instanceof DataLoader && d.mapStyle) {
    // Not read by collating every item once: a getter that augments draws afresh each epoch, and a
    // collateFn may depend on its batch (padding), which fit's own {x, y} batches would silently change.
    throw new Error(
      `fit/evaluate: this DataLoader batches a Dataset class (length + get(i)) or uses a collateFn, whose batches fit cannot read as {x, y} rows (an augmenting get(i) or a per-batch collateFn would silently change). ` +
        `Either write the training loop (for (const [x, y] of loader) { … }: README "Coming from PyTorch"), or stack the items once into tensors and pass those: ` +
        `const [x, y] = defaultCollate(Array.from({length: ds.length}, (_, i) => ds.get(i))); fit(model, new DataLoader(new TensorDataset(x, y), {batchSize: ${d.batchSize}, shuffle: ${d.shuffle}}), …)`,
    );
  }
  return d instanceof DataLoader;
}

function checkTensorData(where: string, d: TensorData, name = 'data'): number {
  if (!d || !(d.x instanceof Tensor) || !(d.y instanceof Tensor)) throw new Error(`${where}: ${name} must be {x: Tensor, y: Tensor} or a DataLoader`);
  if (d.x.ndim < 1) throw new Error(`${where}: ${name}.x needs a first (example) dimension, got shape [${d.x.shape}]`);
  if (d.y.ndim < 1 || d.y.ndim > 2) throw new Error(`${where}: ${name}.y must be [N] class indices or [N, k] targets, got shape [${d.y.shape}]`);
  if (d.x.shape[0] !== d.y.shape[0]) throw new Error(`${where}: ${name}.x has ${d.x.shape[0]} examples but ${name}.y has ${d.y.shape[0]}`);
  if (d.x.shape[0] === 0) throw new Error(`${where}: ${name} has no examples`);
  return d.x.shape[0];
}

/** Every option of fit, evaluate and predict (the compiler keeps the lists complete): another key is a misspelling. */
const FIT_OPTIONS = Object.keys({
  epochs: 1, initialEpoch: 1, initialStep: 1, initialHistory: 1, batchSize: 1, optimizer: 1, lr: 1, weightDecay: 1, loss: 1, metrics: 1, validationSplit: 1,
  validationData: 1, shuffle: 1, clipGradNorm: 1, clipGradValue: 1, schedule: 1, callbacks: 1, seed: 1, monitor: 1, health: 1, signal: 1,
  yieldEvery: 1, validationBatchSize: 1,
} satisfies Record<keyof FitOptions, 1>);
const EVALUATE_OPTIONS = Object.keys({ batchSize: 1, loss: 1, metrics: 1, yieldEvery: 1, signal: 1 } satisfies Record<keyof EvaluateOptions, 1>);
const PREDICT_OPTIONS = Object.keys({ batchSize: 1, yieldEvery: 1, signal: 1 } satisfies Record<keyof PredictOptions, 1>);

function checkModel(where: string, model: unknown): void {
  if (!(model instanceof Module)) {
    throw new Error(`${where}: model must be an nn.Module (e.g. an nn.Sequential), got ${model === null ? 'null' : typeof model === 'object' ? (model.constructor?.name ?? 'an object') : typeof model}`);
  }
}

/**
 * The targets against the loss fit chose, checked once over the whole set instead of failing in
 * a batch (whose row numbers are the shuffled batch's): class indices must be integers in
 * 0..C−1 for the model's C outputs; targets [N] with a model of several outputs that are not
 * class indices, or [N, 1] (labels as a column), fit neither classification nor one regression
 * target per example.
 */
function checkTargets(where: string, lossName: string, chosen: boolean, y: Tensor, columns: number, name: string): void {
  if (lossName === 'crossEntropy') {
    // log softmax of a single logit is 0 whatever the weights: a loss of 0 and no gradient (PyTorch trains on, silently, when every label is 0).
    if (columns === 1) {
      throw new Error(`${where}: loss 'crossEntropy' on a model of 1 output is always 0 (the softmax of one logit is 1): it measures and trains nothing; for two classes give the model 2 outputs, or keep 1 output (no Sigmoid after it) with loss 'bceWithLogits' and targets of shape [N, 1] in [0, 1]`);
    }
    if (y.ndim === 1) checkClassIndices(y, columns, `${where}: ${name}.y (class indices for a model of ${columns} outputs)`);
  } else if (lossName === 'bceWithLogits') {
    // A target outside [0, 1] makes −t·log σ(z) − (1−t)·log(1−σ(z)) unbounded below: the loss falls forever (labels 0, 1, 2 need crossEntropy).
    const bad = Array.prototype.findIndex.call(y.data, (v: number) => !(v >= 0 && v <= 1));
    if (bad >= 0) {
      throw new Error(`${where}: ${name}.y holds ${showValue(y.data[bad])} (element ${bad}), but bceWithLogits needs targets in [0, 1]${Number.isInteger(y.data[bad]) && y.data[bad] > 1 ? "; class indices 0, 1, 2, … need loss 'crossEntropy' and a model of one output per class" : ''}`);
    }
  } else if (chosen && y.ndim === 2 && y.shape[1] === 1 && columns > 1) {
    // Labels as a column ([N, 1], as read from a CSV or numpy's y[:, None]): mse against every output column.
    throw new Error(
      `${where}: ${name}.y has shape ${formatShape(y.shape)} but the model has ${columns} outputs: class indices go as shape [${y.shape[0]}] ` +
        `(${name}.y.reshape(-1), PyTorch's y.squeeze(1)); for regression give the model 1 output, or y of shape [${y.shape[0]}, ${columns}]`,
    );
  } else if (chosen && y.ndim === 1 && columns > 1) {
    const bad = Array.prototype.findIndex.call(y.data, (v: number) => !Number.isInteger(v) || v < 0);
    throw new Error(
      `${where}: ${name}.y has shape [${y.shape}] (one target per example) but the model has ${columns} outputs: ` +
        `for classification y must hold class indices 0..${columns - 1} (${name}.y[${bad}] = ${y.data[bad]} is not one); ` +
        `for regression give the model 1 output, or y of shape [${y.shape[0]}, ${columns}]`,
    );
  }
}

function checkInt(where: string, name: string, v: number | undefined, min: number): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new Error(`${where}: ${name} must be an integer ≥ ${min}, got ${showValue(v)}`);
}

function checkPositive(where: string, name: string, v: number | undefined): void {
  if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new Error(`${where}: ${name} must be a finite number > 0, got ${showValue(v)}`);
}

/** Whether every value of y is 0 or 1. */
function isBinary(y: Tensor): boolean {
  for (let i = 0; i < y.size; i++) if (y.data[i] !== 0 && y.data[i] !== 1) return false;
  return true;
}

function isClassIndices(y: Tensor): boolean {
  if (y.ndim !== 1) return false;
  for (let i = 0; i < y.size; i++) if (!Number.isInteger(y.data[i]) || y.data[i] < 0) return false;
  return true;
}

/**
 * The default loss: crossEntropy for class indices [N] with a multi-column output,
 * bceWithLogits for one output column and 0/1 targets, mse otherwise.
 */
export function defaultLossName(y: Tensor, outputColumns: number): LossName {
  if (outputColumns > 1 && isClassIndices(y)) return 'crossEntropy';
  if (outputColumns === 1 && isBinary(y)) return 'bceWithLogits';
  return 'mse';
}

/**
 * The "learned nothing" loss: the loss of the best constant prediction on targets y
 * (Shannon entropy of the class frequencies for crossEntropy and bceWithLogits, the mean
 * per-column variance for mse). null for other losses.
 */
export function baselineLoss(name: string, y: Tensor): number | null {
  const n = y.shape[0];
  if (n === 0) return null;
  if (name === 'crossEntropy') {
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) counts.set(y.data[i], (counts.get(y.data[i]) ?? 0) + 1);
    let h = 0;
    for (const c of counts.values()) h -= (c / n) * Math.log(c / n);
    return h;
  }
  if (name === 'bceWithLogits') {
    let h = 0;
    const cols = y.size / n;
    for (let j = 0; j < cols; j++) {
      let pos = 0;
      for (let i = 0; i < n; i++) pos += y.data[i * cols + j];
      const p = pos / n;
      if (p > 0 && p < 1) h -= p * Math.log(p) + (1 - p) * Math.log(1 - p);
    }
    return h / cols;
  }
  if (name === 'mse') {
    const cols = y.size / n;
    let v = 0;
    for (let j = 0; j < cols; j++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const t = y.data[i * cols + j];
        s += t;
        s2 += t * t;
      }
      v += s2 / n - (s / n) ** 2;
    }
    return v / cols;
  }
  return null;
}

interface ResolvedLoss {
  name: string;
  fn: LossFn;
  /** Per-example losses (built-in losses only), for the standard error of an evaluation. */
  perExample?: (output: Tensor, target: Tensor) => Tensor;
}

/** The loss function for an option, given the targets and the output's columns. */
function resolveLoss(option: FitOptions['loss'], y: Tensor, outputColumns: number): ResolvedLoss {
  if (typeof option === 'function') return { name: option.name || 'custom', fn: option };
  const name = option ?? defaultLossName(y, outputColumns);
  const f = getLoss(name);
  if (name === 'crossEntropy') return { name, fn: (o, t) => f(o, t), perExample: (o, t) => f(o, t, { reduction: 'none' }) };
  // Pointwise losses compare same-shaped tensors: targets [B] against an output [B, 1].
  const target = (o: Tensor, t: Tensor) => (t.ndim === 1 && o.ndim === 2 && o.shape[1] === 1 ? new Tensor(t.data, [t.shape[0], 1]) : t);
  return { name, fn: (o, t) => f(o, target(o, t)), perExample: (o, t) => f(o, target(o, t), { reduction: 'none' }) };
}

/** Batches of tensor data, without shuffling (evaluation). */
function* sequentialBatches(d: TensorData, batchSize: number): IterableIterator<TensorData> {
  const n = d.x.shape[0];
  const xr = d.x.size / n;
  const yr = d.y.size / n;
  for (let s = 0; s < n; s += batchSize) {
    const b = Math.min(batchSize, n - s);
    yield {
      x: new Tensor(d.x.data.subarray(s * xr, (s + b) * xr), [b, ...d.x.shape.slice(1)]),
      y: new Tensor(d.y.data.subarray(s * yr, (s + b) * yr), [b, ...d.y.shape.slice(1)]),
    };
  }
}

function endsInSigmoid(model: Module): boolean {
  return model instanceof Sequential && model.length > 0 && model.at(-1) instanceof Sigmoid;
}

function outputColumns(out: Tensor): number {
  return out.ndim >= 2 ? out.size / out.shape[0] : 1;
}

interface MetricAcc {
  metric: Metric;
  hits: number;
  cases: number;
}

function resolveMetrics(names: readonly string[], model: Module, out: Tensor, y: Tensor): MetricAcc[] {
  const ctx = { outputColumns: outputColumns(out), probabilities: endsInSigmoid(model), classIndices: y.ndim === 1 };
  return names.map((n) => ({ metric: resolveMetric(n, ctx), hits: 0, cases: 0 }));
}

function metricValues(accs: readonly MetricAcc[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of accs) out[a.metric.name] = a.cases > 0 ? a.hits / a.cases : NaN;
  return out;
}

/** Run `fn` in eval mode, restoring the model's previous mode afterwards. */
function inEvalMode<T>(model: Module, fn: () => T): T {
  const modes = model.namedModules().map(([, m]) => m.training);
  model.eval();
  try {
    return fn();
  } finally {
    model.namedModules().forEach(([, m], i) => (m.training = modes[i]));
  }
}

export interface EvaluateOptions {
  batchSize?: number;
  loss?: FitOptions['loss'];
  metrics?: MetricName[];
  /** Yield a macrotask every N batches (default: time-based, every 16 ms). */
  yieldEvery?: number;
  signal?: AbortSignal;
}

export interface EvaluateResult {
  loss: number;
  /** Standard error of the mean loss over the examples; undefined for custom losses. */
  lossStdErr?: number;
  metrics: Record<string, number>;
  /** Examples evaluated. */
  examples: number;
}

/**
 * Running loss and metrics over evaluation batches: the mean loss over examples (with its
 * standard error when the loss gives per-example values) and the metrics' hit counts. One
 * place for evaluate() and the Trainer's validation.
 */
class EvalAccumulator {
  private loss: ResolvedLoss | null = null;
  private accs: MetricAcc[] | null = null;
  private total = 0;
  private sumSq = 0;
  private n = 0;
  private perExample = true;

  constructor(
    private readonly lossOpt: FitOptions['loss'],
    private readonly targets: Tensor,
    private readonly metricNames: readonly string[],
    /** evaluate(): check the whole set's targets against the loss once it is chosen (fit checks its own). */
    private readonly checkAs?: string,
  ) {}

  /** Evaluate one batch (the caller sets eval mode and noGrad). */
  add(model: Module, b: TensorData): void {
    const out = model.forward(b.x);
    if (this.loss === null) {
      this.loss = resolveLoss(this.lossOpt, this.targets, outputColumns(out));
      if (this.checkAs !== undefined) checkTargets(this.checkAs, this.loss.name, this.lossOpt === undefined, this.targets, outputColumns(out), 'data');
    }
    const loss = this.loss;
    const accs = (this.accs ??= resolveMetrics(this.metricNames, model, out, b.y));
    const rows = b.x.shape[0];
    if (loss.perExample) {
      // Per-example losses (the mean over a row's elements for pointwise losses).
      const l = loss.perExample(out, b.y).data;
      const k = l.length / rows;
      for (let r = 0; r < rows; r++) {
        let v = 0;
        for (let j = 0; j < k; j++) v += l[r * k + j];
        v /= k;
        this.total += v;
        this.sumSq += v * v;
      }
    } else {
      this.perExample = false;
      this.total += loss.fn(out, b.y).item() * rows;
    }
    this.n += rows;
    for (const a of accs) {
      const c = a.metric.count(out, b.y);
      a.hits += c.hits;
      a.cases += c.cases;
    }
  }

  result(): EvaluateResult {
    const mean = this.total / this.n;
    const out: EvaluateResult = { loss: mean, metrics: metricValues(this.accs ?? []), examples: this.n };
    if (this.perExample && this.n > 1) out.lossStdErr = Math.sqrt(Math.max(0, this.sumSq / this.n - mean * mean) / (this.n - 1));
    return out;
  }
}

/**
 * Loss (mean over examples, with its standard error) and metrics of a model on data, in eval
 * mode without gradients: fit's validation at each epoch end, and the web lab's.
 */
export function evaluateSync(model: Module, data: TensorData, batchSize: number, lossOpt: FitOptions['loss'], metricNames: readonly string[]): EvaluateResult {
  const acc = new EvalAccumulator(lossOpt, data.y, metricNames);
  inEvalMode(model, () =>
    noGrad(() => {
      for (const b of sequentialBatches(data, batchSize)) acc.add(model, b);
    }),
  );
  return acc.result();
}

/** At most this many training examples are evaluated at the end of each epoch (EpochLogs.trainMetrics). */
export const TRAIN_EVAL_EXAMPLES = 2000;

/**
 * The training examples the end-of-epoch evaluation reads: all of them, or TRAIN_EVAL_EXAMPLES
 * drawn at random by a generator of its own (fixed for the run, so epochs compare, and leaving
 * the seeded global generator untouched; random rather than the first rows or a stride, which
 * a file sorted or cycled by class would bias).
 */
export function trainEvalSample(d: TensorData, max = TRAIN_EVAL_EXAMPLES): TensorData {
  const n = d.x.shape[0];
  if (n <= max) return d;
  const idx = new Generator(0x7a1e).permutation(n).subarray(0, max).sort();
  return { x: gatherRows(d.x, idx), y: gatherRows(d.y, idx) };
}

/**
 * Training loss and metrics that mean what they say: the model at the end of the epoch, in eval
 * mode (BatchNorm running statistics, no dropout), on the training sample — unlike
 * EpochLogs.loss/metrics, running averages over batches in training mode while the weights
 * changed.
 */
export function evaluateTraining(model: Module, sample: TensorData, batchSize: number, lossOpt: FitOptions['loss'], metricNames: readonly string[]): Pick<EpochLogs, 'trainLoss' | 'trainMetrics' | 'trainExamples'> {
  const r = evaluateSync(model, sample, batchSize, lossOpt, metricNames);
  return { trainLoss: r.loss, trainMetrics: r.metrics, trainExamples: sample.x.shape[0] };
}

/**
 * Evaluate a model: the mean loss over the examples and the metrics, in eval mode (BatchNorm
 * running statistics, no dropout), without recording gradients.
 */
export async function evaluate(model: Module, data: FitData, options: EvaluateOptions = {}): Promise<EvaluateResult> {
  const where = 'evaluate';
  checkModel(where, model);
  checkOptions(where, options, EVALUATE_OPTIONS);
  checkInt(where, 'batchSize', options.batchSize, 1);
  checkInt(where, 'yieldEvery', options.yieldEvery, 0);
  for (const m of options.metrics ?? []) checkMetricName(m);
  const batches: Iterable<TensorData> = isLoader(data) ? data : sequentialBatches(data, options.batchSize ?? 256);
  if (!isLoader(data)) checkTensorData(where, data);
  const acc = new EvalAccumulator(options.loss, isLoader(data) ? data.dataset.y : data.y, options.metrics ?? [], where);
  let k = 0;
  let lastYield = now();
  for (const b of batches) {
    if (options.signal?.aborted) throw new Error('evaluate: aborted');
    inEvalMode(model, () => noGrad(() => acc.add(model, b)));
    k++;
    if (options.yieldEvery === undefined ? now() - lastYield >= YIELD_SLICE_MS : options.yieldEvery > 0 && k % options.yieldEvery === 0) {
      await macrotask();
      lastYield = now();
    }
  }
  return acc.result();
}

export interface PredictOptions {
  batchSize?: number;
  yieldEvery?: number;
  signal?: AbortSignal;
}

/** The model's outputs for x (eval mode, no gradients), computed in batches and concatenated. */
export async function predict(model: Module, x: Tensor, options: PredictOptions = {}): Promise<Tensor> {
  checkModel('predict', model);
  checkOptions('predict', options, PREDICT_OPTIONS);
  checkInt('predict', 'batchSize', options.batchSize, 1);
  checkInt('predict', 'yieldEvery', options.yieldEvery, 0);
  if (!(x instanceof Tensor) || x.ndim < 1) throw new Error('predict: x must be a Tensor with a first (example) dimension');
  const n = x.shape[0];
  const bs = options.batchSize ?? 256;
  const row = n > 0 ? x.size / n : 0;
  let out: Tensor | null = null;
  let outRow = 0;
  let k = 0;
  let lastYield = now();
  for (let s = 0; s < n; s += bs) {
    if (options.signal?.aborted) throw new Error('predict: aborted');
    const b = Math.min(bs, n - s);
    const xb = new Tensor(x.data.subarray(s * row, (s + b) * row), [b, ...x.shape.slice(1)]);
    const y = inEvalMode(model, () => noGrad(() => model.forward(xb)));
    if (out === null) {
      outRow = y.size / b;
      out = new Tensor(K.alloc(n * outRow, 'float32'), [n, ...y.shape.slice(1)]);
    }
    out.data.set(y.data, s * outRow);
    k++;
    if (options.yieldEvery === undefined ? now() - lastYield >= YIELD_SLICE_MS : options.yieldEvery > 0 && k % options.yieldEvery === 0) {
      await macrotask();
      lastYield = now();
    }
  }
  return out ?? new Tensor(K.alloc(0, 'float32'), [0]);
}

function validateOptions(o: FitOptions): void {
  const where = 'fit';
  checkOptions(where, o, FIT_OPTIONS);
  checkInt(where, 'epochs', o.epochs, 1);
  checkInt(where, 'initialEpoch', o.initialEpoch, 0);
  checkInt(where, 'initialStep', o.initialStep, 0);
  checkInt(where, 'batchSize', o.batchSize, 1);
  checkInt(where, 'validationBatchSize', o.validationBatchSize, 1);
  checkInt(where, 'yieldEvery', o.yieldEvery, 0);
  checkPositive(where, 'clipGradNorm', o.clipGradNorm);
  checkPositive(where, 'clipGradValue', o.clipGradValue);
  if (o.lr !== undefined && !(o.lr >= 0 && Number.isFinite(o.lr))) throw new Error(`fit: lr must be a finite number ≥ 0, got ${showValue(o.lr)}`);
  if (o.weightDecay !== undefined && !(o.weightDecay >= 0)) throw new Error(`fit: weightDecay must be ≥ 0, got ${showValue(o.weightDecay)}`);
  if (o.validationSplit !== undefined && !(o.validationSplit > 0 && o.validationSplit < 1)) {
    throw new Error(`fit: validationSplit must be in (0, 1) (the validation share), got ${o.validationSplit}`);
  }
  if (o.validationSplit !== undefined && o.validationData !== undefined) throw new Error('fit: give validationSplit or validationData, not both');
  const ih = o.initialHistory;
  if (ih !== undefined) {
    if (!ih || !Array.isArray(ih.epochs) || (ih.findings !== undefined && !Array.isArray(ih.findings))) throw new Error('fit: initialHistory must be {epochs: EpochLogs[], findings?: Finding[]}');
    if (ih.epochs.length > (o.initialEpoch ?? 0)) throw new Error(`fit: initialHistory has ${ih.epochs.length} epochs, more than initialEpoch ${o.initialEpoch ?? 0}`);
  }
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw new Error(`fit: seed must be a safe integer, got ${o.seed}`);
  for (const m of o.metrics ?? []) checkMetricName(m);
  if (o.callbacks !== undefined && !Array.isArray(o.callbacks)) throw new Error('fit: callbacks must be an array');
  if (o.optimizer !== undefined && typeof o.optimizer === 'object' && (o.lr !== undefined || o.weightDecay !== undefined)) {
    throw new Error('fit: lr and weightDecay apply to an optimizer given by name; set them on the Optimizer instance instead');
  }
}

/** The optimizer for the option: an instance as is, or a registry entry with lr (default: the entry's). */
function makeOptimizer(model: Module, o: FitOptions): { optimizer: Optimizer; name: string } {
  if (o.optimizer !== undefined && typeof o.optimizer === 'object') return { optimizer: o.optimizer, name: o.optimizer.typeName };
  const name: OptimizerName = o.optimizer ?? 'adam';
  // Options not given stay undefined: the optimizer's own defaults apply (AdamW's decay 1e-2).
  return { optimizer: getOptimizer(name).create(model.parameters(), { lr: o.lr, weightDecay: o.weightDecay }), name };
}

/**
 * Train `model` on `data` and report how it went: history, monitor series, health findings.
 * Options and defaults (FitOptions): epochs 10, batchSize 32, optimizer 'adam' at the
 * registry's lr, loss by the targets (see defaultLossName), shuffle true, validationSplit
 * takes a seeded random share of the examples, monitors every DEFAULT_MONITOR_EVERY steps,
 * health rules on.
 */
export async function fit(model: Module, data: FitData, options: FitOptions = {}): Promise<Report> {
  const t0 = now();
  checkModel('fit', model);
  validateOptions(options);
  const epochs = options.epochs ?? DEFAULT_EPOCHS;
  const initialEpoch = options.initialEpoch ?? 0;
  if (initialEpoch >= epochs) throw new Error(`fit: initialEpoch ${initialEpoch} must be less than epochs ${epochs} (the epoch to reach, as in Keras)`);
  if (isLoader(data) && options.batchSize !== undefined && options.batchSize !== data.batchSize) {
    throw new Error(`fit: batchSize ${options.batchSize} differs from the DataLoader's batch size ${data.batchSize}; the loader decides it`);
  }
  const batchSize = isLoader(data) ? data.batchSize : (options.batchSize ?? DEFAULT_BATCH_SIZE);
  const shuffle = options.shuffle ?? true;
  const health = options.health ?? true;
  const callbacks: Callback[] = options.callbacks ?? [];
  const signal = options.signal;

  // Randomness: the seed drives dropout (global generator) and, through it, the shuffling and
  // splitting of tensor data. A given DataLoader shuffles with its own generator: nothing is drawn.
  if (options.seed !== undefined) manualSeed(options.seed);

  // Data.
  let loader: DataLoader;
  let trainTargets: Tensor;
  let validation: TensorData | undefined = options.validationData;
  let numTrain: number;
  if (isLoader(data)) {
    if (options.validationSplit !== undefined) throw new Error('fit: validationSplit needs tensor data {x, y}; with a DataLoader pass validationData');
    loader = data;
    trainTargets = data.dataset.y;
    numTrain = data.numExamples;
  } else {
    const n = checkTensorData('fit', data);
    const gen = new Generator(defaultGenerator.nextU32());
    let train: TensorData = data;
    if (options.validationSplit !== undefined) {
      const nVal = Math.round(n * options.validationSplit);
      if (nVal < 1 || nVal > n - 1) throw new Error(`fit: validationSplit ${options.validationSplit} of ${n} examples leaves an empty part`);
      const perm = gen.permutation(n);
      const vi = perm.subarray(0, nVal);
      const ti = perm.subarray(nVal);
      validation = { x: gatherRows(data.x, vi), y: gatherRows(data.y, vi) };
      train = { x: gatherRows(data.x, ti), y: gatherRows(data.y, ti) };
    }
    // A BatchNorm1d cannot train on the last batch of one example that 21 examples in batches of 10 leave (PyTorch:
    // "Expected more than 1 value per channel when training", at the end of the first epoch): it is dropped.
    const batchnorm = model.modules().some((m) => m instanceof BatchNorm1d);
    loader = trainingLoader({ x: train.x, y: train.y }, { batchSize, batchnorm, generator: gen, shuffle });
    trainTargets = train.y;
    numTrain = train.x.shape[0];
  }
  const dataName = isLoader(data) ? "the DataLoader's dataset" : 'data';
  if (validation !== undefined) {
    checkTensorData('fit', validation, 'validationData');
    // Checked here, not by the model at the first evaluation: that came after a whole epoch of training.
    for (const k of ['x', 'y'] as const) {
      const want = loader.dataset[k].shape.slice(1);
      const got = validation[k].shape.slice(1);
      if (got.length !== want.length || got.some((d, i) => d !== want[i])) {
        throw new Error(`fit: validationData.${k} has shape ${formatShape(validation[k].shape)} but ${dataName}.${k} has ${formatShape(loader.dataset[k].shape)}: each example must have the training examples' shape ${formatShape(want)}, got ${formatShape(got)}`);
      }
    }
  }
  checkFiniteValues(loader.dataset.x, `fit: ${dataName}.x`);
  checkFiniteValues(loader.dataset.y, `fit: ${dataName}.y`);
  if (validation !== undefined) {
    checkFiniteValues(validation.x, 'fit: validationData.x');
    checkFiniteValues(validation.y, 'fit: validationData.y');
  }
  const trainProbe = trainEvalSample({ x: loader.dataset.x, y: loader.dataset.y });

  const { optimizer, name: optimizerName } = makeOptimizer(model, options);
  const scheduler: Scheduler | null = options.schedule === undefined ? null : typeof options.schedule === 'function' ? options.schedule(optimizer) : options.schedule;
  if (scheduler instanceof ReduceLROnPlateau && scheduler.mode === 'max') {
    throw new Error(
      "fit: schedule ReduceLROnPlateau has mode 'max', but fit steps it with the validation loss (the training loss without validation), which falls as training improves: " +
        "use mode 'min', or leave it out of fit's options and step it in an onEpochEnd callback with the metric it should follow (sched.step(logs.valMetrics.accuracy))",
    );
  }

  const params = model.namedParameters();
  const layers = model instanceof Sequential ? model.layers : null;
  const monitor = new Monitor(model, params, options.monitor);

  // The options in effect (the optimizer's defaults filled in), as the Report records them.
  const optimizerOptions = optimizer.effectiveOptions() as Record<string, unknown>;
  const config: Record<string, unknown> = {
    epochs,
    batchSize,
    optimizer: optimizerName,
    // A resumed run's optimizer holds the schedule's lr at initialEpoch; the run's lr (the one its
    // advice starts from) is the lr the schedule started from, as in the uninterrupted run.
    lr: scheduler && initialEpoch > 0 ? optimizer.groups[0].initialLr : optimizer.lr,
    weightDecay: typeof optimizerOptions.weightDecay === 'number' ? optimizerOptions.weightDecay : null,
    optimizerOptions,
    loss: typeof options.loss === 'function' ? 'custom' : (options.loss ?? null),
    metrics: options.metrics ?? [],
    validationSplit: options.validationSplit ?? null,
    validationExamples: validation ? validation.x.shape[0] : 0,
    trainExamples: numTrain,
    shuffle,
    clipGradNorm: options.clipGradNorm ?? null,
    clipGradValue: options.clipGradValue ?? null,
    schedule: scheduler ? scheduler.name : null,
    seed: options.seed ?? null,
    initialEpoch,
    initialStep: options.initialStep ?? 0,
    monitorEvery: monitor.enabled ? monitor.every : 0,
    model: model.toString(),
    numParameters: model.numParameters(),
    backend: getBackend(),
  };
  const report: Report = {
    config,
    history: { epochs: [...(options.initialHistory?.epochs ?? [])], steps: [] },
    monitors: monitor.data,
    findings: [...(options.initialHistory?.findings ?? [])],
  };
  const ctx: TrainContext = { model, optimizer, stopTraining: false, report, epoch: 0, step: 0 };

  const keyOf = (f: Finding) => `${f.rule}|${f.layers.join(',')}`;
  // A resumed run's findings were announced before the interruption, as in the uninterrupted run.
  const emitted = new Set<string>(report.findings.map(keyOf));
  const emit = async (findings: Finding[]) => {
    for (const f of findings) {
      const k = keyOf(f);
      if (emitted.has(k)) continue;
      emitted.add(k);
      await call('onFinding', (cb) => cb.onFinding?.(f, ctx));
    }
  };

  let loss: ResolvedLoss | null = null;
  let trainStep: TrainStep | null = null;
  let metrics: MetricAcc[] | null = null;
  let metricNames: readonly string[] = options.metrics ?? [];
  let stopReason: NonNullable<Report['stopReason']> = 'completed';
  let step = options.initialStep ?? 0;
  let lastYield = now();
  let batchesSinceYield = 0;
  let ended = false;

  /** Await `hook` on every callback in order; a throw becomes a CallbackError naming the callback, hook and epoch. */
  async function call(hook: keyof Callback, invoke: (cb: Callback) => unknown): Promise<void> {
    for (let i = 0; i < callbacks.length; i++) {
      if (typeof callbacks[i][hook] !== 'function') continue;
      try {
        await invoke(callbacks[i]);
      } catch (e) {
        const cls = (callbacks[i] as object).constructor?.name;
        const who = `callbacks[${i}]${cls && cls !== 'Object' ? ` (${cls})` : ''}`;
        const when =
          hook === 'onTrainBegin' ? 'before the first epoch' : ended ? `after training (${report.history.epochs.length} epochs, step ${step})` : `in epoch ${ctx.epoch + 1} of ${epochs} (index ${ctx.epoch}, step ${step})`;
        trainStep?.dispose();
        trainStep = null;
        report.durationMs = now() - t0;
        throw new CallbackError(`fit: ${who}.${hook} threw ${when}: ${e instanceof Error ? e.message : String(e)}`, jsonSafe(report), e);
      }
    }
  }

  await call('onTrainBegin', (cb) => cb.onTrainBegin?.(ctx));
  model.train();

  training: for (let epoch = initialEpoch; epoch < epochs; epoch++) {
    ctx.epoch = epoch;
    const te = now();
    await call('onEpochBegin', (cb) => cb.onEpochBegin?.(epoch, ctx));
    model.train();
    let lossSum = 0;
    let examples = 0;
    if (metrics) for (const a of metrics) a.hits = a.cases = 0;
    const lrEpoch = optimizer.lr;
    let batch = 0;
    for (const b of loader) {
      if (signal?.aborted) {
        stopReason = 'cancelled';
        break training;
      }
      step++;
      ctx.step = step;
      const rows = b.x.shape[0];
      if (loss === null) {
        // The loss and metrics are chosen from the first batch's output width.
        const probe = noGrad(() => inEvalMode(model, () => model.forward(b.x)));
        loss = typeof options.loss === 'function' ? { name: 'custom', fn: options.loss } : resolveLoss(options.loss, trainTargets, outputColumns(probe));
        checkTargets('fit', loss.name, options.loss === undefined, trainTargets, outputColumns(probe), dataName);
        if (validation !== undefined) checkTargets('fit', loss.name, options.loss === undefined, validation.y, outputColumns(probe), 'validationData');
        metricNames = options.metrics ?? defaultMetrics(loss.name, outputColumns(probe));
        config.metrics = metricNames;
        metrics = resolveMetrics(metricNames, model, probe, b.y);
        report.history.baselineLoss = baselineLoss(loss.name, trainTargets);
        config.loss = loss.name;
        const last = layers?.at(-1);
        if (loss.name === 'crossEntropy' && last instanceof Softmax) warnOnce(last, `fit: ${doubleSoftmaxMessage(`the model's last layer '${layers!.length - 1}' (${last})`)}`);
        // Logits squashed into (0, 1): the softmax of C of them gives a class at most e/(e + C − 1), so the loss stays above ln(1 + (C − 1)/e) (0.31 for 2 classes, 1.46 for 10).
        if (loss.name === 'crossEntropy' && last instanceof Sigmoid) {
          const c = outputColumns(probe);
          warnOnce(last, `fit: the model's last layer '${layers!.length - 1}' (${last}) squashes what crossEntropy receives into (0, 1), but crossEntropy expects logits: its loss cannot fall below ${Math.log(1 + (c - 1) / Math.E).toFixed(2)} for ${c} classes. Remove the Sigmoid and pass the logits (for one yes/no output: 1 output and loss 'bceWithLogits').`);
        }
        trainStep = new TrainStep(model, optimizer, { loss: loss.fn, clipGradNorm: options.clipGradNorm, clipGradValue: options.clipGradValue });
      }
      const ts = trainStep!;
      const monitored = monitor.shouldRecord(step);
      const r = ts.run(b.x, b.y, monitored, monitored ? (outs) => monitor.observe(step, outs) : undefined);
      const lv = r.loss;
      if (r.nonFinite !== null) {
        report.history.steps.push({ step, loss: lv, gradNorm: r.gradNorm, lr: optimizer.lr });
        report.nonFinite = { step, epoch, batch, phase: r.nonFinite.phase, layer: r.nonFinite.layer, parameter: r.nonFinite.parameter, loss: String(lv) };
        stopReason = 'non-finite';
        const f = nonFiniteFinding(report.nonFinite, report);
        report.findings = trackFindings(report.findings, [f, ...report.findings.filter((k) => k.status === 'current')]);
        await emit([f]);
        break training;
      }

      // Logs.
      lossSum += lv * rows;
      examples += rows;
      const batchMetrics: Record<string, number> = {};
      for (const a of metrics!) {
        const c = a.metric.count(r.output, b.y);
        a.hits += c.hits;
        a.cases += c.cases;
        batchMetrics[a.metric.name] = c.cases > 0 ? c.hits / c.cases : NaN;
      }
      const lr = optimizer.lr;
      report.history.steps.push({ step, loss: lv, gradNorm: r.gradNorm, lr });
      if (monitored) monitor.record(step, r.outputs, ts.gradSq, ts.before, r.gradNorm);
      const logs: BatchLogs = { epoch, batch, step, loss: lv, metrics: batchMetrics, gradNorm: r.gradNorm, lr };
      await call('onBatchEnd', (cb) => cb.onBatchEnd?.(logs, ctx));
      batch++;
      // The step's layer outputs and loss have been read (metrics, monitors, callbacks): hand
      // their storage back now rather than copying them out of wasm memory at the next boundary.
      ts.releaseLast();
      // Stopped from onBatchEnd: end the epoch here (its logs cover the batches run), as Keras does.
      if (ctx.stopTraining) break;

      batchesSinceYield++;
      const y = options.yieldEvery;
      if (y === undefined ? now() - lastYield >= YIELD_SLICE_MS : y > 0 && batchesSinceYield >= y) {
        await macrotask();
        lastYield = now();
        batchesSinceYield = 0;
      }
    }
    if (signal?.aborted) {
      stopReason = 'cancelled';
      break;
    }

    // Epoch end: validation, history, schedule, callbacks, health.
    const logs: EpochLogs = {
      epoch,
      loss: examples > 0 ? lossSum / examples : NaN,
      metrics: metricValues(metrics ?? []),
      lr: lrEpoch,
      durationMs: 0,
    };
    if (validation !== undefined) {
      const v = evaluateSync(model, validation, options.validationBatchSize ?? batchSize, options.loss, metricNames);
      logs.valLoss = v.loss;
      if (v.lossStdErr !== undefined) logs.valLossStdErr = v.lossStdErr;
      logs.valMetrics = v.metrics;
    }
    Object.assign(logs, evaluateTraining(model, trainProbe, options.validationBatchSize ?? batchSize, options.loss, options.metrics ?? []));
    logs.durationMs = now() - te;
    report.history.epochs.push(logs);
    // An epoch schedule takes no argument (a number would be PyTorch's deprecated step(epoch));
    // ReduceLROnPlateau, and a schedule of the user's own, are given the (validation) loss.
    if (scheduler instanceof EpochScheduler) scheduler.step();
    else if (scheduler) scheduler.step(logs.valLoss ?? logs.loss);
    await call('onEpochEnd', (cb) => cb.onEpochEnd?.(logs, ctx));
    if (health) {
      const fresh = runHealthChecks(report);
      report.findings = trackFindings(report.findings, fresh);
      await emit(fresh);
    }
    if (ctx.stopTraining) {
      stopReason = 'early-stopping';
      break;
    }
    // Yield at every epoch end when yielding is on, so a UI sees the epoch's logs.
    if (options.yieldEvery !== 0) {
      await macrotask();
      lastYield = now();
    }
  }

  report.stopReason = stopReason;
  ended = true;
  // Before the end-of-run evaluation and health checks, so that they describe the model returned.
  await call('onTrainStop', (cb) => cb.onTrainStop?.(ctx));
  if (report.restored !== undefined && report.nonFinite !== undefined) {
    // The non-finite finding says which weights the model holds, and a restore changed them.
    const nf = nonFiniteFinding(report.nonFinite, report);
    report.findings = report.findings.map((f) => (f.rule === 'non-finite' ? { ...f, evidence: nf.evidence, advice: nf.advice } : f));
  }
  // Dead/saturated units over an evaluation set (not just a batch).
  if (monitor.enabled && layers) {
    const probeX = validation ? validation.x : isLoader(data) ? data.dataset.x : (data as TensorData).x;
    const m = Math.min(probeX.shape[0], validation ? probeX.shape[0] : 1024);
    const xs = new Tensor(probeX.data.subarray(0, (probeX.size / probeX.shape[0]) * m), [m, ...probeX.shape.slice(1)]);
    const tp = now();
    report.monitors.evaluation = probeActivations(model, xs, Math.max(batchSize, 256));
    monitor.addTime(now() - tp);
  }
  if (health) {
    const fresh = runHealthChecks(report);
    report.findings = trackFindings(report.findings, fresh);
    await emit(fresh);
  }
  report.durationMs = now() - t0;
  // Hand the rollback copies back to the kernels.
  (trainStep as TrainStep | null)?.dispose();
  trainStep = null;
  const safe = jsonSafe(report);
  // Callbacks see the final, JSON-safe report.
  ctx.report = safe;
  await call('onTrainEnd', (cb) => cb.onTrainEnd?.(ctx));
  return safe;
}
