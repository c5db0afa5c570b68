/**
 * Activation functions as differentiable ops. Every elementwise activation runs through
 * one pair of kernels (unary / unaryBackward) parameterised by the registry entry in
 * activations.ts; there is no per-activation copy of the loop.
 */
import { getActivation, SELU_ALPHA, SELU_SCALE, type ActivationName } from '../activations.js';
import { record } from '../autograd.js';
import { K } from '../kernels/index.js';
import type { UnaryKind } from '../kernels/types.js';
import { Tensor, formatShape } from '../tensor.js';
import { assertSameDtype, assertTensor, checkFiniteOption, empty, uninitialized } from './util.js';
import { softmax } from './softmax.js';

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
/** x·Φ(x), the exact (erf) form (Hendrycks & Gimpel 2016). */
export const gelu = (x: Tensor): Tensor => unary('gelu', x);
/** x·σ(x) (Elfwing et al. 2018). */
export const silu = (x: Tensor): Tensor => unary('silu', x);
/** log(1 + eˣ), β = 1, identity above x = 20 (PyTorch's threshold). */
export const softplus = (x: Tensor): Tensor => unary('softplus', x);

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
