/**
 * Layer normalization (Ba, Kiros & Hinton 2016), as torch.nn.functional.layer_norm: over the
 * last dimensions, those of `normalizedShape`, y = (x − μ)/√(σ² + ε)·γ + β with μ and the biased
 * σ² of each slice (PyTorch's: no Bessel correction, unlike torch.var's default). Composed of
 * mean, variance and arithmetic, whose backward gives the layer-norm gradient.
 */
import { Tensor, formatShape, showValue } from '../tensor.js';
import { add, div, mul, sub } from './arithmetic.js';
import { sqrt } from './elementwise.js';
import { mean, variance } from './reduce.js';
import { assertTensor } from './util.js';

export function layerNorm(x: Tensor, normalizedShape: number | readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5): Tensor {
  assertTensor(x, 'layerNorm', 'x');
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : null;
  if (shape === null || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`layerNorm: normalizedShape must be a positive integer or a non-empty list of them, got ${showValue(normalizedShape)}`);
  }
  const k = shape.length;
  if (x.ndim < k || !shape.every((d, i) => x.shape[x.ndim - k + i] === d)) {
    throw new Error(`layerNorm: input of shape ${formatShape(x.shape)} does not end with normalizedShape ${formatShape(shape)}`);
  }
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`layerNorm: eps must be a number > 0, got ${showValue(eps)}`);
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t === null || t === undefined) continue;
    if (!(t instanceof Tensor) || t.ndim !== k || !shape.every((d, i) => t.shape[i] === d)) {
      throw new Error(`layerNorm: ${name} must be a Tensor of shape ${formatShape(shape)} (normalizedShape), got ${t instanceof Tensor ? formatShape(t.shape) : showValue(t)}`);
    }
  }
  const dims = shape.map((_, i) => x.ndim - k + i);
  const centred = sub(x, mean(x, dims, true));
  let y = div(centred, sqrt(add(variance(x, dims, false, true), eps)));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}
