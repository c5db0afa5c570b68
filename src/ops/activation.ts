/**
 * Activation functions as differentiable ops. Every elementwise activation runs through
 * one pair of kernels (unary / unaryBackward) parameterised by the registry entry in
 * activations.ts; there is no per-activation copy of the loop.
 */
import { getActivation, SELU_ALPHA, SELU_SCALE, type ActivationName } from '../activations.js';
import { record } from '../autograd.js';
import { K } from '../kernels/index.js';
import type { UnaryKind } from '../kernels/types.js';
import { Tensor, formatShape, showValue } from '../tensor.js';
import { keywordArgs } from '../options.js';
import { assertSameDtype, assertTensor, checkFiniteOption, empty, uninitialized } from './util.js';
import { softmax } from './softmax.js';
// The parametrised forms the registry's kernels do not cover (tanh GELU, softplus with β or
// threshold other than 1 and 20): y = f(x) elementwise in double, ∂/∂x = f′(x).
import { map } from './elementwise.js';

/** y = f(x; p) for the registry's elementwise activation `kind`; backward gx ← β·gx + f′·gy. */
export function unary(kind: UnaryKind, x: Tensor, p = NaN): Tensor {
  assertTensor(x, kind, 'x');
  const out = uninitialized(x.shape, x);
  K.unary(kind, p, x.data, out.data);
  return record(out, kind, [x], (g, grad) => {
    const gx = grad.target(0);
    if (gx) K.unaryBackward(kind, p, x.data, out.data, g, gx.data, gx.beta);
  });
}

/** max(0, x) (Nair & Hinton 2010). */
export const relu = (x: Tensor): Tensor => unary('relu', x);

/** x for x > 0, negativeSlope·x otherwise (Maas et al. 2013). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkFiniteOption('leakyRelu', 'negativeSlope', negativeSlope);
  return unary('leakyRelu', x, negativeSlope);
}

/** x for x > 0, α(eˣ − 1) otherwise (Clevert et al. 2016). */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkFiniteOption('elu', 'alpha', alpha);
  return unary('elu', x, alpha);
}

/** λ·(x for x > 0, α(eˣ − 1) otherwise), α ≈ 1.6733, λ ≈ 1.0507 (Klambauer et al. 2017). */
export const selu = (x: Tensor): Tensor => unary('selu', x);
/** σ(x) = 1/(1 + e^(−x)). */
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
/** tanh(x). */
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
/** F.gelu's `approximate`: 'none' is the exact x·Φ(x), 'tanh' the tanh approximation. */
export type GeluApproximate = 'none' | 'tanh';

/**
 * x·Φ(x) (Hendrycks & Gimpel 2016), as F.gelu(x, approximate): the exact (erf) form by default
 * (the registry's kernel), or with approximate 'tanh' PyTorch's
 * ½x(1 + tanh(√(2/π)(x + 0.044715x³))), whose derivative is
 * ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²) with t the tanh. The tanh form is an option of
 * this op, not a registry activation: its failure modes and initializer are GELU's.
 */
export function gelu(x: Tensor, approximate: GeluApproximate | { approximate?: GeluApproximate } = 'none'): Tensor {
  assertTensor(x, 'gelu', 'x');
  const a = (keywordArgs('gelu', [approximate], ['approximate'])[0] ?? 'none') as GeluApproximate;
  if (a !== 'none' && a !== 'tanh') throw new Error(`gelu: approximate must be 'none' or 'tanh', got ${showValue(a)}`);
  if (a === 'none') return unary('gelu', x);
  return map('gelu', x, (v) => 0.5 * v * (1 + Math.tanh(GELU_C * (v + 0.044715 * v * v * v))), (v) => {
    const t = Math.tanh(GELU_C * (v + 0.044715 * v * v * v));
    return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_C * (1 + 3 * 0.044715 * v * v);
  });
}

/** √(2/π), the tanh GELU's scale. */
const GELU_C = Math.sqrt(2 / Math.PI);

/** x·σ(x) (Elfwing et al. 2018). */
export const silu = (x: Tensor): Tensor => unary('silu', x);
/**
 * (1/β)·log(1 + e^(βx)), the identity where βx > threshold, as F.softplus(x, beta = 1,
 * threshold = 20) (also `softplus(x, {beta, threshold})`); ∂/∂x = σ(βx), 1 above the threshold.
 * β = 1 and threshold 20 run the registry's kernel; other values the same formula with β.
 */
export function softplus(x: Tensor, beta: number | { beta?: number; threshold?: number } = 1, threshold?: number): Tensor {
  assertTensor(x, 'softplus', 'x');
  const [b = 1, th = 20] = keywordArgs('softplus', [beta, threshold], ['beta', 'threshold']) as [number | undefined, number | undefined];
  checkFiniteOption('softplus', 'beta', b);
  if (b === 0) throw new Error('softplus: beta must be non-zero (the softplus divides by it), got 0');
  if (typeof th !== 'number' || Number.isNaN(th)) throw new Error(`softplus: threshold must be a number, got ${showValue(th)}`);
  if (b === 1 && th === 20) return unary('softplus', x);
  // max(z, 0) + log1p(e^(−|z|)) is log(1 + eᶻ) without overflow for large z.
  return map('softplus', x, (v) => {
    const z = b * v;
    return z > th ? v : (Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)))) / b;
  }, (v) => {
    const z = b * v;
    return z > th ? 1 : 1 / (1 + Math.exp(-z));
  });
}

/**
 * F.hardtanh(x, min_val=-1, max_val=1): x clamped to [minVal, maxVal] (a NaN stays NaN), with
 * ∂y/∂x = 0 where x ≤ minVal or x ≥ maxVal (the ends included) and 1 elsewhere, as PyTorch's
 * hardtanh_backward — so a NaN passes its gradient through, as there.
 */
export function hardtanh(x: Tensor, minVal: number | { minVal?: number; maxVal?: number } = -1, maxVal?: number): Tensor {
  assertTensor(x, 'hardtanh', 'x');
  const [lo = -1, hi = 1] = keywordArgs('hardtanh', [minVal, maxVal], ['minVal', 'maxVal']) as [number | undefined, number | undefined];
  for (const [name, v] of [['minVal', lo], ['maxVal', hi]] as const) {
    if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`hardtanh: ${name} must be a number, got ${showValue(v)}`);
  }
  if (lo > hi) throw new Error(`hardtanh: minVal (${lo}) must not be greater than maxVal (${hi})`);
  return map('hardtanh', x, (v) => (v < lo ? lo : v > hi ? hi : v), (v) => (v <= lo || v >= hi ? 0 : 1));
}

/** F.relu6(x): min(max(x, 0), 6), hardtanh on [0, 6] (Howard et al. 2017, MobileNets). */
export function relu6(x: Tensor): Tensor {
  assertTensor(x, 'relu6', 'x');
  return hardtanh(x, 0, 6);
}

/**
 * PReLU (He et al. 2015): x for x > 0, a_c·x otherwise, with a learned slope per channel
 * (dimension 1) or one shared slope. ∂L/∂a_c = Σ_{x ≤ 0} x·g.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  assertTensor(x, 'prelu', 'x');
  assertTensor(weight, 'prelu', 'weight');
  assertSameDtype('prelu', x, weight);
  const c = weight.size;
  let outer: number;
  let inner: number;
  if (c === 1) {
    outer = 1;
    inner = x.size;
  } else {
    if (x.ndim < 2 || x.shape[1] !== c) {
      throw new Error(`prelu: weight of shape ${formatShape(weight.shape)} needs input with ${c} channels in dimension 1, got ${formatShape(x.shape)}`);
    }
    outer = x.shape[0];
    inner = x.size / (outer * c);
  }
  const out = empty(x.shape, x);
  K.prelu(x.data, weight.data, outer, c, inner, out.data);
  return record(out, 'prelu', [x, weight], (g, grad) => {
    K.preluBackward(x.data, weight.data, g, outer, c, inner, grad(0), grad(1));
  });
}

/**
 * Apply the registry activation `name` (softmax over the last dimension; PReLU needs its
 * weight, so it is only available as a module).
 */
export function activation(x: Tensor, name: ActivationName, param?: number): Tensor {
  const a = getActivation(name);
  if (a.kernel !== null) return unary(a.kernel, x, param ?? a.defaultParam);
  if (name === 'softmax') return softmax(x, -1);
  if (name === 'prelu') {
    const w = new Tensor(empty([1], x).data, [1]);
    w.data[0] = param ?? a.defaultParam;
    return prelu(x, w);
  }
  throw new Error(`activation: '${name}' has no functional form`);
}

export { SELU_ALPHA, SELU_SCALE };
