/**
 * Reductions: sum and mean over all elements or over dimensions, as torch.sum/torch.mean, and
 * var/std composed from them.
 */
import { record } from '../autograd.js';
import { K, alloc, dtypeOf } from '../kernels/index.js';
import type { FloatArray } from '../kernels/types.js';
import { showValue, type Tensor } from '../tensor.js';
import { assertTensor, broadcastStrides, empty, normDim, showSize, splitAt } from './util.js';
import { div, mul, sub } from './arithmetic.js';
import { sqrt } from './elementwise.js';

/**
 * Σ over `dim` (a dimension, a list of them, or all when omitted). Reducing one dimension at a
 * time keeps each step a [outer, n, inner] kernel call.
 */
export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return reduce('sum', x, dim, keepdim);
}

/** Arithmetic mean over `dim` (all elements when omitted). */
export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return reduce('mean', x, dim, keepdim);
}

/**
 * Variance over `dim` (all elements when omitted), as torch.var: Σ(x − x̄)² / (N − 1) with
 * Bessel's correction (`unbiased`, PyTorch's default), Σ(x − x̄)² / N without. Composed of
 * mean, sub, mul and sum, whose backward gives ∂/∂x = 2(x − x̄)/(N − 1).
 */
export function variance(x: Tensor, dim?: number | readonly number[], unbiased = true, keepdim = false): Tensor {
  const dims = reducedDims('variance', x, dim);
  if (typeof unbiased !== 'boolean') throw new Error(`variance: unbiased must be true or false, got ${showValue(unbiased)}`);
  const d = sub(x, mean(x, dim, true));
  const n = dims.reduce((p, k) => p * x.shape[k], 1);
  return div(sum(mul(d, d), dim, keepdim), Math.max(n - (unbiased ? 1 : 0), 0));
}

/** Standard deviation: √var (torch.std), unbiased by default. */
export function std(x: Tensor, dim?: number | readonly number[], unbiased = true, keepdim = false): Tensor {
  reducedDims('std', x, dim);
  return sqrt(variance(x, dim, unbiased, keepdim));
}

/** The dimensions a reduction `op` of x runs over (all when `dim` is omitted), checked: x a Tensor, each dim in range, none repeated. */
function reducedDims(op: string, x: Tensor, dim: number | readonly number[] | undefined): number[] {
  assertTensor(x, op, 'x');
  if (dim !== undefined && typeof dim !== 'number' && !Array.isArray(dim)) normDim(op, dim as never, x.ndim); // throws, naming what was given
  const dims =
    dim === undefined ? x.shape.map((_, i) => i) : (typeof dim === 'number' ? [dim] : [...dim]).map((d) => normDim(op, d, x.ndim));
  if (new Set(dims).size !== dims.length) throw new Error(`${op}: dim ${showSize(dim)} repeats a dimension`);
  return dims;
}

function reduce(op: 'sum' | 'mean', x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const reduced = new Set(reducedDims(op, x, dim));
  const keptShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const outShape = keepdim ? keptShape : x.shape.filter((_, i) => !reduced.has(i));
  let count = 1;
  for (const d of reduced) count *= x.shape[d];
  const scale = op === 'mean' ? 1 / count : 1;

  // Fold the reduced dimensions away one by one, highest first (indices below stay valid).
  let data = x.data;
  let shape = x.shape.slice();
  for (const d of [...reduced].sort((a, b) => b - a)) {
    const [outer, n, inner] = splitAt(shape, d);
    const next = empty([outer * inner], x).data;
    K.sumAxis(data, outer, n, inner, next);
    data = next;
    shape = shape.map((s, i) => (i === d ? 1 : s));
  }
  const out = empty(outShape, x);
  K.copy(data, out.data);
  if (scale !== 1) K.scale(out.data, scale);

  return record(out, op, [x], (g, grad) => {
    const gx = grad(0);
    if (!gx) return;
    // Broadcast g (laid out in keptShape) back over every reduced dimension.
    broadcastBack(g, keptShape, x.shape, scale, gx);
  });
}

/** gx += scale · g, with g laid out in `from` (1 on the reduced dimensions) broadcast to `to`. */
function broadcastBack(g: FloatArray, from: readonly number[], to: readonly number[], scale: number, gx: FloatArray): void {
  const dims = to.map((d, i) => (from[i] === 1 && d !== 1 ? i : -1)).filter((i) => i >= 0);
  if (dims.length <= 1) {
    const [outer, n, inner] = dims.length === 1 ? splitAt(to, dims[0]) : [g.length, 1, 1];
    K.broadcastAxis(g, outer, n, inner, scale, gx);
    return;
  }
  // Several reduced dimensions: expand g through broadcast strides (g + 0), then accumulate.
  const gStrides = broadcastStrides(from, to);
  const expanded = alloc(gx.length, dtypeOf(gx));
  K.binary('add', g, gStrides, ZERO, to.map(() => 0), expanded, to);
  K.axpy(scale, expanded, gx);
  K.free(expanded);
}

const ZERO = new Float64Array(1);
