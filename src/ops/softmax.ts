/**
 * Softmax and log-softmax along a dimension, both shifted by the maximum so exp never
 * overflows. Backward uses the saved output:
 *   softmax:     ∂L/∂x = y ⊙ (g − ⟨g, y⟩)
 *   logSoftmax:  ∂L/∂x = g − softmax(x)·Σg
 */
import { record } from '../autograd.js';
import { K } from '../kernels/index.js';
import type { Tensor } from '../tensor.js';
import { assertTensor, dimKeyword, empty, normDim, splitAt } from './util.js';

function softmaxOp(name: string, x: Tensor, dim: number, log: boolean): Tensor {
  assertTensor(x, name, 'x');
  const d = normDim(name, dim, x.ndim);
  const [outer, n, inner] = splitAt(x.shape, d);
  const out = empty(x.shape, x);
  K.softmax(x.data, outer, n, inner, log, out.data);
  return record(out, name, [x], (g, grad) => {
    const gx = grad(0);
    if (gx) K.softmaxBackward(out.data, g, outer, n, inner, log, gx);
  });
}

/** exp(xᵢ)/Σⱼ exp(xⱼ) along `dim` (default: last); PyTorch's `dim=1` also as `{dim: 1}`. */
export function softmax(x: Tensor, dim: number | { dim?: number } = -1): Tensor {
  return softmaxOp('softmax', x, dimKeyword('softmax', dim, -1), false);
}

/** xᵢ − log Σⱼ exp(xⱼ) along `dim` (default: last); `F.logSoftmax(x, {dim: 1})` as PyTorch's F.log_softmax(x, dim=1). */
export function logSoftmax(x: Tensor, dim: number | { dim?: number } = -1): Tensor {
  return softmaxOp('logSoftmax', x, dimKeyword('logSoftmax', dim, -1), true);
}
