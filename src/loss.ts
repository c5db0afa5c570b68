/**
 * Loss functions, as torch.nn.functional's, with reduction 'mean' (default), 'sum' or 'none'.
 *
 * - mse:   ℓ = (x − t)²
 * - l1:    ℓ = |x − t|
 * - huber: ℓ = ½(x − t)² if |x − t| < δ, else δ(|x − t| − ½δ)   (δ = 1)
 * - bceWithLogits: ℓ = max(x, 0) − x·t + log(1 + e^(−|x|)), the log-sum-exp form of
 *   −[t·log σ(x) + (1 − t)·log(1 − σ(x))] that never overflows; its gradient σ(x) − t is the
 *   "clean feedback" that a sigmoid followed by MSE lacks (no σ′ factor to vanish).
 * - crossEntropy: ℓ = −log softmax(x)_y on logits [N, C] with integer labels [N], fused with
 *   log-softmax; gradient softmax(x) − onehot(y).
 * - nllLoss: ℓ = −x_y on log-probabilities [N, C] (what logSoftmax gives).
 * - bce:   ℓ = −[t·log p + (1 − t)·log(1 − p)] on probabilities (what a sigmoid gives).
 */
import { checkOptions, unknownName } from './options.js';
import { record } from './autograd.js';
import { K } from './kernels/index.js';
import type { PointwiseLossKind } from './kernels/types.js';
import { assertTensor, broadcastShapes, empty, savedBuffer } from './ops/util.js';
import { add, div, mul, neg, sub } from './ops/arithmetic.js';
import { logSoftmax } from './ops/softmax.js';
import { softplus } from './ops/activation.js';
import { clamp, exp, log } from './ops/elementwise.js';
import { mean, sum } from './ops/reduce.js';
import { Tensor, formatShape, showValue } from './tensor.js';
import { checkDoubleSoftmax } from './warnings.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  reduction?: Reduction;
}

/**
 * The rule for each loss option's value that holds whatever the inputs' shapes (a weight's length
 * is checked against the classes at the call): one place for the loss functions and the loss
 * modules, which check their options at construction with it. Returns the value.
 */
export function checkLossOption(where: string, key: string, v: unknown): unknown {
  const bad = (want: string) => new Error(`${where}: ${key} must be ${want}, got ${showValue(v)}`);
  switch (key) {
    case 'weight':
    case 'posWeight':
      if (v != null && !(v instanceof Tensor)) throw bad(`a Tensor${Array.isArray(v) ? ' (make it one with tensor([...]))' : ''}`);
      break;
    case 'labelSmoothing':
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw bad('a number in [0, 1]');
      break;
    case 'ignoreIndex':
      if (!Number.isInteger(v)) throw bad('an integer');
      break;
    case 'delta':
      if (typeof v !== 'number' || !(v > 0)) throw bad('> 0');
      break;
    case 'beta':
      if (typeof v !== 'number' || !(v > 0)) throw new Error(`${where}: beta must be > 0, got ${showValue(v)} (β = 0 is the L1 loss: use l1)`);
      break;
    case 'logTarget':
      if (typeof v !== 'boolean') throw bad('true or false');
      break;
  }
  return v;
}

/** The reduction asked for; an unknown option (PyTorch's label_smoothing, reduce) is an error, not ignored. */
function reductionOf(where: string, opts: LossOptions, extra: readonly string[] = []): Reduction {
  checkOptions(where, opts, ['reduction', ...extra]);
  const r = opts.reduction ?? 'mean';
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new Error(`${where}: reduction must be 'mean', 'sum' or 'none', got '${r}'`);
  return r;
}

/** Reduce per-element losses `l` (already a recorded tensor) as asked. */
function reduce(l: Tensor, reduction: Reduction, name: string): Tensor {
  if (reduction === 'none') return l;
  const n = l.size;
  const scale = reduction === 'mean' ? 1 / n : 1;
  let s = 0;
  for (let i = 0; i < n; i++) s += l.data[i];
  const out = empty([], l);
  out.data[0] = s * scale;
  record(out, name, [l], (g, grad) => {
    const gl = grad(0);
    if (gl) K.broadcastAxis(g, 1, n, 1, scale, gl);
  });
  // The per-element losses are this function's own and unreachable from outside: released at
  // once when nothing was recorded, else by backward with its graph (rather than moved to JS
  // memory at the next step boundary).
  if (l.node === null) l.dispose();
  else l._graphOwned = true;
  return out;
}

/**
 * Input and target of an elementwise loss must have one shape. PyTorch broadcasts them with a
 * warning ([N, 1] against [N] becomes [N, N]: every prediction against every target, a loss that
 * still decreases while the model learns the mean) — gradlab refuses, saying what PyTorch would do
 * and the reshape that was meant.
 */
function checkSameShape(kind: string, input: Tensor, target: Tensor): void {
  if (input.shape.length === target.shape.length && input.shape.every((d, i) => d === target.shape[i])) return;
  let hint = '';
  try {
    const b = broadcastShapes(kind, input.shape, target.shape);
    hint = `; PyTorch would broadcast them to ${formatShape(b)} (with a warning), comparing every prediction with every target`;
  } catch {
    /* not broadcastable either */
  }
  if (input.size === target.size) hint += `: give the target the input's shape, target.reshape(${input.shape.join(', ')})`;
  throw new Error(`${kind}: input of shape ${formatShape(input.shape)} and target of shape ${formatShape(target.shape)} must have the same shape${hint}`);
}

function pointwise(kind: PointwiseLossKind, p: number, input: Tensor, target: Tensor, opts: LossOptions): Tensor {
  assertTensor(input, kind, 'input');
  assertTensor(target, kind, 'target');
  const reduction = reductionOf(kind, opts, kind === 'huber' ? ['delta'] : []);
  checkSameShape(kind, input, target);
  const l = empty(input.shape, input);
  K.pointwiseLoss(kind, p, input.data, target.data, l.data);
  record(l, kind, [input, target], (g, grad) => {
    K.pointwiseLossBackward(kind, p, input.data, target.data, g, grad(0), grad(1));
  });
  return reduce(l, reduction, kind);
}

export function mse(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return pointwise('mse', NaN, input, target, opts);
}

export function l1(input: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  return pointwise('l1', NaN, input, target, opts);
}

export function huber(input: Tensor, target: Tensor, opts: LossOptions & { delta?: number } = {}): Tensor {
  checkOptions('huber', opts, ['reduction', 'delta']);
  const delta = checkLossOption('huber', 'delta', opts.delta ?? 1) as number;
  return pointwise('huber', delta, input, target, { reduction: opts.reduction });
}

/**
 * bceWithLogits with PyTorch's `posWeight` p (broadcast over the classes, the last dimension: a
 * weight on the positive term) and `weight` w (broadcast to the input):
 * ℓ = w·[p·t·softplus(−x) + (1 − t)·softplus(x)], since −log σ(x) = softplus(−x) and
 * −log(1 − σ(x)) = softplus(x); composed of differentiable ops.
 */
export function bceWithLogits(logits: Tensor, target: Tensor, opts: LossOptions & { weight?: Tensor | null; posWeight?: Tensor | null } = {}): Tensor {
  const reduction = reductionOf('bceWithLogits', opts, ['weight', 'posWeight']);
  const { weight, posWeight } = opts;
  if (weight == null && posWeight == null) return pointwise('bceWithLogits', NaN, logits, target, { reduction });
  assertTensor(logits, 'bceWithLogits', 'logits');
  assertTensor(target, 'bceWithLogits', 'target');
  checkSameShape('bceWithLogits', logits, target);
  for (const [name, t] of [['weight', weight], ['posWeight', posWeight]] as const) {
    if (t == null) continue;
    checkLossOption('bceWithLogits', name, t);
    try {
      broadcastShapes('bceWithLogits', t.shape, logits.shape);
    } catch {
      throw new Error(`bceWithLogits: ${name} of shape ${formatShape(t.shape)} does not broadcast to the logits' shape ${formatShape(logits.shape)}${name === 'posWeight' ? ' (one weight per class, the last dimension)' : ''}`);
    }
  }
  const pos = mul(target, softplus(neg(logits)));
  let l = add(posWeight == null ? pos : mul(posWeight, pos), mul(sub(1, target), softplus(logits)));
  if (weight != null) l = mul(weight, l);
  if (reduction === 'none') return l;
  return reduction === 'mean' ? mean(l) : sum(l);
}

/**
 * smoothL1 (torch.nn.functional.smooth_l1_loss, Girshick 2015): 0.5·d²/β for |d| < β, else
 * |d| − 0.5·β; that is huber with δ = β, divided by β (β = 1 by default: the two coincide).
 */
export function smoothL1(input: Tensor, target: Tensor, opts: LossOptions & { beta?: number } = {}): Tensor {
  const reduction = reductionOf('smoothL1', opts, ['beta']);
  const beta = checkLossOption('smoothL1', 'beta', opts.beta ?? 1) as number;
  const h = huber(input, target, { reduction, delta: beta });
  return beta === 1 ? h : div(h, beta);
}

/**
 * klDiv (torch.nn.functional.kl_div): ℓ = t·(log t − x) on log-probabilities x, 0 where t = 0
 * (t·log t → 0); with logTarget the target is log t: ℓ = eᵗ·(t − x). Reduction 'batchmean' (the
 * KL divergence itself) divides the sum by the batch size; 'mean' (PyTorch's default, which
 * PyTorch warns is not the KL divergence) by the element count.
 */
export function klDiv(input: Tensor, target: Tensor, opts: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  assertTensor(input, 'klDiv', 'input');
  assertTensor(target, 'klDiv', 'target');
  checkOptions('klDiv', opts, ['reduction', 'logTarget']);
  const reduction = opts.reduction ?? 'mean';
  if (!['mean', 'sum', 'none', 'batchmean'].includes(reduction)) throw new Error(`klDiv: reduction must be 'batchmean', 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  if (opts.logTarget !== undefined) checkLossOption('klDiv', 'logTarget', opts.logTarget);
  checkSameShape('klDiv', input, target);
  let l: Tensor;
  if (opts.logTarget) l = mul(exp(target), sub(target, input));
  else {
    const t = target.data;
    const x = input.data;
    for (let i = 0; i < t.length; i++) {
      if (!(t[i] >= 0)) throw new Error(`klDiv: target[${i}] = ${t[i]} is not a probability (give log-probabilities with {logTarget: true})`);
    }
    l = empty(input.shape, input);
    for (let i = 0; i < t.length; i++) l.data[i] = t[i] > 0 ? t[i] * (Math.log(t[i]) - x[i]) : -t[i] * x[i];
    // PyTorch's xlogy(t, t) − t·x: ∂/∂x = −t; ∂/∂t = log t + 1 − x, the 1 from t·log t's own
    // derivative (a constant log t would drop it), and NaN at t = 0 as PyTorch's (xlogy's t/t = 0/0).
    record(l, 'klDiv', [input, target], (g, grad) => {
      const gx = grad(0);
      const gt = grad(1);
      if (gx) for (let i = 0; i < t.length; i++) gx[i] -= g[i] * t[i];
      if (gt) for (let i = 0; i < t.length; i++) gt[i] += g[i] * (t[i] > 0 ? Math.log(t[i]) + 1 - x[i] : NaN);
    });
  }
  if (reduction === 'none') return l;
  if (reduction === 'sum') return sum(l);
  if (reduction === 'mean') return mean(l);
  return div(sum(l), input.ndim === 0 ? 1 : input.shape[0]);
}

/** Class indices from a tensor of integer values, checked against the number of classes. */
function labelsOf(where: string, target: Tensor, n: number, c: number): Int32Array {
  if (target.ndim !== 1 || target.shape[0] !== n) {
    throw new Error(`${where}: target must hold one class index per row, shape [${n}], got ${formatShape(target.shape)}`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = target.data[i];
    if (!Number.isInteger(v) || v < 0 || v >= c) {
      throw new Error(`${where}: target[${i}] = ${v} is not a class index in [0, ${c - 1}]`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * PyTorch's class-loss options (torch.nn.functional.cross_entropy / nll_loss): `weight` [C] a
 * rescaling per class, `ignoreIndex` a target value that contributes nothing (−100 by default),
 * `labelSmoothing` ε ∈ [0, 1] (crossEntropy only).
 */
export interface ClassLossOptions extends LossOptions {
  weight?: Tensor | null;
  ignoreIndex?: number;
  labelSmoothing?: number;
}

const CLASS_OPTIONS = ['weight', 'ignoreIndex', 'labelSmoothing'] as const;

/**
 * The loss with PyTorch's options, composed of differentiable ops from the log-probabilities
 * logp [N, C]: ℓᵢ = −Σ_c A_ic·logp_ic with a constant A. Class indices yᵢ (Müller et al. 2019 for
 * the smoothing): A_ic = (1 − ε)·w_{yᵢ}·[c = yᵢ] + (ε/C)·w_c, a zero row where yᵢ = ignoreIndex,
 * and 'mean' divides by Σᵢ w_{yᵢ} over the rows kept (PyTorch's weighted mean; 0/0 = NaN when all
 * are ignored, as PyTorch). Probabilities t [N, C] as the target: A_ic = w_c·((1 − ε)·t_ic + ε/C),
 * and 'mean' divides by N.
 */
function classLoss(where: string, logp: Tensor, target: Tensor, opts: ClassLossOptions, reduction: Reduction): Tensor {
  const [n, c] = logp.shape;
  const w = opts.weight ?? null;
  if (w !== null && (!(w instanceof Tensor) || w.ndim !== 1 || w.shape[0] !== c)) {
    throw new Error(`${where}: weight must be a Tensor of one weight per class, shape [${c}], got ${w instanceof Tensor ? formatShape(w.shape) : showValue(w)}`);
  }
  const eps = checkLossOption(where, 'labelSmoothing', opts.labelSmoothing ?? 0) as number;
  const ignore = checkLossOption(where, 'ignoreIndex', opts.ignoreIndex ?? -100) as number;
  const wc = (k: number) => (w === null ? 1 : w.data[k]);
  const a = logp.dtype === 'float64' ? new Float64Array(n * c) : new Float32Array(n * c);
  let denominator = n;
  let kept = n;
  if (target.ndim === 2) {
    if (target.shape[0] !== n || target.shape[1] !== c) throw new Error(`${where}: a target of class probabilities must have the logits' shape [${n}, ${c}], got ${formatShape(target.shape)}`);
    if (opts.ignoreIndex !== undefined) throw new Error(`${where}: ignoreIndex applies to class indices, not to a target of class probabilities`);
    // A of ops, so that a target that requires grad (soft labels being learned, distillation)
    // gets PyTorch's gradient −w_c·(1 − ε)·logp_ic too.
    // (A target of the other dtype is taken as a constant in logp's, as before: no gradient reaches it.)
    const like = (u: Tensor) => (u.dtype === logp.dtype ? u : new Tensor(logp.dtype === 'float64' ? Float64Array.from(u.data) : Float32Array.from(u.data), u.shape));
    const t = like(target);
    let soft = eps === 0 ? t : add(mul(t, 1 - eps), eps / c);
    if (w !== null) soft = mul(soft, like(w));
    const rowsSoft = neg(sum(mul(logp, soft), 1));
    if (reduction === 'none') return rowsSoft;
    return reduction === 'sum' ? sum(rowsSoft) : div(sum(rowsSoft), n);
  } else {
    if (target.ndim !== 1 || target.shape[0] !== n) throw new Error(`${where}: target must hold one class index per row, shape [${n}] (or class probabilities [${n}, ${c}]), got ${formatShape(target.shape)}`);
    denominator = 0;
    kept = 0;
    for (let i = 0; i < n; i++) {
      const y = target.data[i];
      if (y === ignore) continue;
      if (!Number.isInteger(y) || y < 0 || y >= c) throw new Error(`${where}: target[${i}] = ${y} is not a class index in [0, ${c - 1}] (nor ignoreIndex ${ignore})`);
      denominator += wc(y);
      kept++;
      a[i * c + y] += (1 - eps) * wc(y);
      if (eps > 0) for (let k = 0; k < c; k++) a[i * c + k] += (eps / c) * wc(k);
    }
  }
  const rows = neg(sum(mul(logp, new Tensor(a, [n, c])), 1));
  if (reduction === 'none') return rows;
  if (reduction === 'sum') return sum(rows);
  // Every row ignored: PyTorch's 0/0 = NaN loss, with a zero gradient (each row's gradient is
  // −w_{yᵢ}/Σw over the rows kept: there are none). Rows kept with weights summing to 0 divide by 0.
  if (kept === 0) return add(mul(sum(rows), 0), NaN);
  return div(sum(rows), denominator);
}

/**
 * Are any of PyTorch's class-loss options given, or a target holding −100 (PyTorch's default
 * ignore_index, a padding label: ignored without options too)? The fused kernels take none.
 */
function hasClassOptions(opts: ClassLossOptions, target: Tensor): boolean {
  return opts.weight != null || opts.ignoreIndex !== undefined || (opts.labelSmoothing ?? 0) !== 0 || target.data.includes(-100);
}

export function crossEntropy(logits: Tensor, classIndices: Tensor, opts: ClassLossOptions = {}): Tensor {
  assertTensor(logits, 'crossEntropy', 'logits');
  assertTensor(classIndices, 'crossEntropy', 'classIndices');
  const reduction = reductionOf('crossEntropy', opts, CLASS_OPTIONS);
  if (logits.ndim !== 2) {
    // PyTorch also takes one unbatched example ([C] with a 0-d target) and [N, C, d…] per position; gradlab takes the batch form.
    const hint = logits.ndim === 1 ? ` (one example: logits.unsqueeze(0) with a target of shape [1])` : logits.ndim > 2 ? ` (per-position logits [N, C, d…]: move C last and flatten to [N·d…, C])` : '';
    throw new Error(`crossEntropy: logits must be [N, C], got ${formatShape(logits.shape)}${hint}`);
  }
  checkDoubleSoftmax(logits);
  if (classIndices.ndim === 2 || hasClassOptions(opts, classIndices)) return classLoss('crossEntropy', logSoftmax(logits, 1), classIndices, opts, reduction);
  const [n, c] = logits.shape;
  const labels = labelsOf('crossEntropy', classIndices, n, c);
  const l = empty([n], logits);
  const probs = logits.requiresGrad ? savedBuffer(n * c, logits.dtype) : null;
  K.crossEntropy(logits.data, labels, n, c, l.data, probs?.data ?? null);
  record(l, 'crossEntropy', [logits], (g, grad) => {
    const gx = grad(0);
    if (gx && probs) K.crossEntropyBackward(probs.data, labels, n, c, g, gx);
  }, () => probs?.dispose());
  return reduce(l, reduction, 'crossEntropy');
}

/**
 * bce: ℓ = −w·[t·log p + (1 − t)·log(1 − p)] on probabilities p ∈ [0, 1] (torch.nn.functional.
 * binary_cross_entropy, after a sigmoid), each log clamped at −100 as PyTorch does so that p = 0
 * or 1 gives a finite loss; `weight` w broadcasts to the input. The gradients are PyTorch's
 * closed forms, not the clamped logs' derivatives (which are 0 where a log is clamped):
 * ∂ℓ/∂p = w·(p − t)/max(p(1 − p), 1e-12), large but finite at p = 0 or 1 with t on the other
 * side, and ∂ℓ/∂t = w·(log(1 − p) − log p), unclamped (±∞ at p = 0 or 1).
 * bceWithLogits on the logits is the stable form and should be preferred.
 */
export function bce(input: Tensor, target: Tensor, opts: LossOptions & { weight?: Tensor | null } = {}): Tensor {
  assertTensor(input, 'bce', 'input');
  assertTensor(target, 'bce', 'target');
  const reduction = reductionOf('bce', opts, ['weight']);
  checkSameShape('bce', input, target);
  const bad = input.data.findIndex((v) => !(v >= 0 && v <= 1));
  if (bad >= 0) {
    throw new Error(`bce: input[${bad}] = ${input.data[bad]} is not a probability in [0, 1] (apply a sigmoid first, or use bceWithLogits on the logits)`);
  }
  const weight = opts.weight ?? null;
  if (weight !== null) {
    checkLossOption('bce', 'weight', weight);
    try {
      broadcastShapes('bce', weight.shape, input.shape);
    } catch {
      throw new Error(`bce: weight of shape ${formatShape(weight.shape)} does not broadcast to the input's shape ${formatShape(input.shape)}`);
    }
  }
  const l = empty(input.shape, input);
  const p = input.data;
  const t = target.data;
  for (let i = 0; i < p.length; i++) l.data[i] = -(t[i] * Math.max(Math.log(p[i]), -100) + (1 - t[i]) * Math.max(Math.log(1 - p[i]), -100));
  record(l, 'bce', [input, target], (g, grad) => {
    const gp = grad(0);
    const gt = grad(1);
    // PyTorch's EPSILON in binary_cross_entropy_backward: keeps p(1 − p) = 0 from dividing by zero.
    if (gp) for (let i = 0; i < p.length; i++) gp[i] += (g[i] * (p[i] - t[i])) / Math.max((1 - p[i]) * p[i], 1e-12);
    if (gt) for (let i = 0; i < p.length; i++) gt[i] += g[i] * (Math.log(1 - p[i]) - Math.log(p[i]));
  });
  const lw = weight === null ? l : mul(weight, l);
  if (reduction === 'none') return lw;
  return reduction === 'mean' ? mean(lw) : sum(lw);
}

/**
 * nllLoss: ℓ = −x_{i,yᵢ} on log-probabilities x [N, C] (torch.nn.functional.nll_loss), with integer
 * labels [N]; after logSoftmax(logits, 1) it equals crossEntropy(logits), which fuses the two.
 * Gradient: −1 at each row's label, 0 elsewhere.
 */
export function nllLoss(input: Tensor, classIndices: Tensor, opts: Omit<ClassLossOptions, 'labelSmoothing'> = {}): Tensor {
  assertTensor(input, 'nllLoss', 'input');
  assertTensor(classIndices, 'nllLoss', 'classIndices');
  const reduction = reductionOf('nllLoss', opts, ['weight', 'ignoreIndex']);
  if (input.ndim !== 2) throw new Error(`nllLoss: input must be log-probabilities [N, C], got ${formatShape(input.shape)}`);
  if (hasClassOptions(opts, classIndices)) {
    if (classIndices.ndim !== 1) throw new Error(`nllLoss: target must hold one class index per row, shape [${input.shape[0]}], got ${formatShape(classIndices.shape)}`);
    return classLoss('nllLoss', input, classIndices, opts, reduction);
  }
  const [n, c] = input.shape;
  const labels = labelsOf('nllLoss', classIndices, n, c);
  const l = empty([n], input);
  const x = input.data;
  for (let i = 0; i < n; i++) l.data[i] = -x[i * c + labels[i]];
  record(l, 'nllLoss', [input], (g, grad) => {
    const gx = grad(0);
    if (gx) for (let i = 0; i < n; i++) gx[i * c + labels[i]] -= g[i];
  });
  return reduce(l, reduction, 'nllLoss');
}

export const LOSS_NAMES = ['mse', 'l1', 'huber', 'bceWithLogits', 'crossEntropy'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

export const LOSSES: Readonly<Record<LossName, (input: Tensor, target: Tensor, opts?: LossOptions) => Tensor>> = {
  mse,
  l1,
  huber,
  bceWithLogits,
  crossEntropy,
};

export function getLoss(name: string): (input: Tensor, target: Tensor, opts?: LossOptions) => Tensor {
  if (!(LOSS_NAMES as readonly string[]).includes(name)) throw unknownName('loss', 'losses', name, LOSS_NAMES);
  return LOSSES[name as LossName];
}
