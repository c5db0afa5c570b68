/**
 * Extrema and log-sum-exp, as torch.max/min/argmax/argmin/logsumexp. Indices are float tensors
 * holding integers, as gradlab's class labels are (they feed gather, eq and crossEntropy).
 *
 * PyTorch's conventions, kept here: over a dimension the first extreme index wins ties and NaN
 * counts as the extreme (the first NaN is selected), and the gradient goes to the selected
 * index alone; over all elements (max(x), min(x)) the gradient is shared evenly among the
 * elements equal to the result (PyTorch's evenly_distribute_backward).
 */
import { record } from '../autograd.js';
import { Tensor, formatShape } from '../tensor.js';
import { assertTensor, dimOfShape, dimOffsets, empty } from './util.js';
import { gather as gatherFn } from './shape.js';
import { reshape } from './view.js';

/** Is `a` strictly beyond the current extreme `b` (NaN beats everything, the first NaN stays)? */
type Beats = (a: number, b: number) => boolean;
const above: Beats = (a, b) => (a !== a ? b === b : a > b);
const below: Beats = (a, b) => (a !== a ? b === b : a < b);

/**
 * Kept and reduced dimensions of `x` for a reduction over `dims`, with each output element's
 * base offset and the offsets of the elements it reduces over.
 */
function plan(x: Tensor, dims: number[], keepdim: boolean) {
  const reduced = new Set(dims);
  const kept = x.shape.map((_, i) => i).filter((i) => !reduced.has(i));
  const outShape = keepdim ? x.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : kept.map((i) => x.shape[i]);
  return { outShape, base: dimOffsets(x.shape, kept), inner: dimOffsets(x.shape, [...dims].sort((a, b) => a - b)) };
}

function checkNonEmpty(op: string, x: Tensor, n: number, dim?: number): void {
  if (n === 0) {
    throw new Error(
      dim === undefined
        ? `${op}: cannot reduce an empty tensor of shape ${formatShape(x.shape)} over all elements; give a dim`
        : `${op}: cannot reduce dimension ${dim} of size 0 (shape ${formatShape(x.shape)})`,
    );
  }
}

function dimsOf(op: string, x: Tensor, dim: number | readonly number[] | undefined): number[] {
  if (dim === undefined) return x.shape.map((_, i) => i);
  const list = typeof dim === 'number' ? [dim] : Array.isArray(dim) ? [...dim] : null;
  if (list === null) throw new Error(`${op}: dim must be an integer or a list of integers, got ${dim instanceof Tensor ? 'a Tensor' : String(dim)}`);
  const dims = list.map((d) => dimOfShape(op, d, x.shape));
  if (new Set(dims).size !== dims.length) throw new Error(`${op}: dim ${JSON.stringify(dim)} repeats a dimension`);
  return x.ndim === 0 ? [] : dims;
}

function dimOf(op: string, x: Tensor, dim: unknown): number {
  if (dim instanceof Tensor) {
    throw new Error(`${op}: dim must be an integer, got a Tensor of shape ${formatShape(dim.shape)} (for the elementwise extreme of two tensors use where(gt(x, y), x, y))`);
  }
  return dimOfShape(op, dim, x.shape);
}

/** The extreme over all elements (0-d), the gradient shared evenly among the elements that attain it. */
function extremeAll(op: string, x: Tensor, beats: Beats): Tensor {
  assertTensor(x, op, 'x');
  checkNonEmpty(op, x, x.size);
  const xd = x.data;
  let best = xd[0];
  for (let i = 1; i < xd.length; i++) if (beats(xd[i], best)) best = xd[i];
  const out = empty([], x);
  out.data[0] = best;
  return record(out, op, [x], (g, grad) => {
    const gx = grad(0);
    if (!gx) return;
    const xv = x.data;
    const v = out.data[0];
    const attains = (a: number) => (v !== v ? a !== a : a === v);
    let count = 0;
    for (let i = 0; i < xv.length; i++) if (attains(xv[i])) count++;
    const share = g[0] / count;
    for (let i = 0; i < xv.length; i++) if (attains(xv[i])) gx[i] += share;
  });
}

/** Index of the extreme along dim (first on ties), as offsets into x and as positions. */
function extremeAlong(op: string, x: Tensor, d: number, keepdim: boolean, beats: Beats) {
  const dims = x.ndim === 0 ? [] : [d];
  const { outShape, base, inner } = plan(x, dims, keepdim);
  checkNonEmpty(op, x, inner.length, d);
  const xd = x.data;
  const selected = new Int32Array(base.length);
  const values = empty(outShape, x);
  const indices = empty(outShape, x);
  const vd = values.data;
  const id = indices.data;
  for (let o = 0; o < base.length; o++) {
    let k = 0;
    let best = xd[base[o]];
    for (let j = 1; j < inner.length; j++) {
      const v = xd[base[o] + inner[j]];
      if (beats(v, best)) {
        best = v;
        k = j;
      }
    }
    selected[o] = base[o] + inner[k];
    vd[o] = best;
    id[o] = k;
  }
  return { values, indices, selected };
}

/**
 * max/min along a dim: PyTorch's named tuple (values, indices), read as `r.values`/`r.indices`,
 * as `r[0]`/`r[1]`, or destructured: `const [, predicted] = outputs.max(1)`.
 */
export class ValuesIndices implements Iterable<Tensor> {
  constructor(
    readonly values: Tensor,
    readonly indices: Tensor,
  ) {}
  get 0(): Tensor {
    return this.values;
  }
  get 1(): Tensor {
    return this.indices;
  }
  *[Symbol.iterator](): Iterator<Tensor> {
    yield this.values;
    yield this.indices;
  }
}

function extremeDim(op: string, x: Tensor, dim: unknown, keepdim: boolean, beats: Beats): ValuesIndices {
  assertTensor(x, op, 'x');
  const d = dimOf(op, x, dim);
  const { values, indices, selected } = extremeAlong(op, x, d, keepdim, beats);
  record(values, op, [x], (g, grad) => {
    const gx = grad(0);
    if (gx) for (let o = 0; o < selected.length; o++) gx[selected[o]] += g[o];
  });
  return new ValuesIndices(values, indices);
}

/**
 * max(x): the largest element, a 0-d tensor. max(x, dim, keepdim): {values, indices} along dim,
 * the first index on ties; NaN propagates (it counts as the largest).
 */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? extremeAll('max', x, above) : extremeDim('max', x, dim, keepdim, above);
}

/** min(x): the smallest element (0-d). min(x, dim, keepdim): {values, indices} along dim, as max. */
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(x: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? extremeAll('min', x, below) : extremeDim('min', x, dim, keepdim, below);
}

/**
 * amax/amin over `dim` (a dimension, a list, or all when omitted), as torch.amax/amin: values
 * only, and the gradient shared evenly among the elements equal to the result in each slice
 * (PyTorch's scale_grad_by_count: g·[x = y]/#{x = y}); a NaN result gives its whole slice NaN
 * (no element equals it: g/0·0), as PyTorch.
 */
function amaxAmin(op: string, x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean, beats: Beats): Tensor {
  assertTensor(x, op, 'x');
  if (typeof keepdim !== 'boolean') throw new Error(`${op}: keepdim must be true or false, got ${String(keepdim)}`);
  const dims = dimsOf(op, x, dim);
  const { outShape, base, inner } = plan(x, dims, keepdim);
  checkNonEmpty(op, x, inner.length, dim === undefined ? undefined : dims[0]);
  const out = empty(outShape, x);
  const xd = x.data;
  for (let o = 0; o < base.length; o++) {
    let best = xd[base[o]];
    for (let j = 1; j < inner.length; j++) if (beats(xd[base[o] + inner[j]], best)) best = xd[base[o] + inner[j]];
    out.data[o] = best;
  }
  return record(out, op, [x], (g, grad) => {
    const gx = grad(0);
    if (!gx) return;
    for (let o = 0; o < base.length; o++) {
      const v = out.data[o];
      let count = 0;
      for (let j = 0; j < inner.length; j++) if (x.data[base[o] + inner[j]] === v) count++;
      const share = g[o] / count;
      for (let j = 0; j < inner.length; j++) gx[base[o] + inner[j]] += x.data[base[o] + inner[j]] === v ? share : share * 0;
    }
  });
}

/** The largest value over `dim` (all elements when omitted), torch.amax; ties share the gradient evenly. */
export const amax = (x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor => amaxAmin('amax', x, dim, keepdim, above);
/** The smallest value over `dim` (all elements when omitted), torch.amin; ties share the gradient evenly. */
export const amin = (x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor => amaxAmin('amin', x, dim, keepdim, below);

/**
 * The vector p-norm over `dim` (all elements when omitted), as torch.linalg.vector_norm(x, ord,
 * dim, keepdim) and torch.norm(x, p, dim, keepdim): (Σ|xᵢ|ᵖ)^(1/p); p = ∞ / −∞ the largest /
 * smallest |xᵢ|, p = 0 the count of non-zeros. Gradients as PyTorch's norm_backward:
 * sgn(x)·|x|^(p−1)·g/‖x‖^(p−1) (p = 1: sgn(x)·g, p = 2: x·g/‖x‖), 0 where ‖x‖ = 0 (a zero slice
 * has no direction); ±∞ shares g·sgn(x) evenly among the elements whose |x| attains the norm;
 * p = 0 is piecewise constant (0).
 */
export function norm(x: Tensor, p = 2, dim?: number | readonly number[], keepdim = false): Tensor {
  assertTensor(x, 'norm', 'x');
  if (typeof p !== 'number' || Number.isNaN(p)) throw new Error(`norm: p must be a number (Infinity for the largest |x|), got ${String(p)}`);
  if (typeof keepdim !== 'boolean') throw new Error(`norm: keepdim must be true or false, got ${String(keepdim)}`);
  const dims = dimsOf('norm', x, dim);
  const { outShape, base, inner } = plan(x, dims, keepdim);
  if (p === -Infinity) checkNonEmpty('norm', x, inner.length, dim === undefined ? undefined : dims[0]);
  const out = empty(outShape, x);
  const xd = x.data;
  for (let o = 0; o < base.length; o++) {
    let r = p === -Infinity ? Infinity : 0;
    for (let j = 0; j < inner.length; j++) {
      const a = Math.abs(xd[base[o] + inner[j]]);
      if (p === Infinity) r = a > r || a !== a ? a : r;
      else if (p === -Infinity) r = a < r || a !== a ? a : r;
      else if (p === 0) r += a !== 0 ? 1 : 0;
      else r += p === 1 ? a : p === 2 ? a * a : Math.pow(a, p);
      if (r !== r) break;
    }
    out.data[o] = p === Infinity || p === -Infinity || p === 0 || p === 1 ? r : p === 2 ? Math.sqrt(r) : Math.pow(r, 1 / p);
  }
  return record(out, 'norm', [x], (g, grad) => {
    const gx = grad(0);
    if (!gx || p === 0) return;
    const xv = x.data;
    for (let o = 0; o < base.length; o++) {
      const n = out.data[o];
      if (p === Infinity || p === -Infinity) {
        let count = 0;
        for (let j = 0; j < inner.length; j++) {
          const a = Math.abs(xv[base[o] + inner[j]]);
          if (a === n || a !== a) count++;
        }
        for (let j = 0; j < inner.length; j++) {
          const k = base[o] + inner[j];
          const a = Math.abs(xv[k]);
          if (a === n || a !== a) gx[k] += Math.sign(xv[k]) * (g[o] / count);
        }
        continue;
      }
      if (p === 1) {
        for (let j = 0; j < inner.length; j++) gx[base[o] + inner[j]] += Math.sign(xv[base[o] + inner[j]]) * g[o];
        continue;
      }
      const scale = n === 0 ? 0 : g[o] / Math.pow(n, p - 1);
      for (let j = 0; j < inner.length; j++) {
        const k = base[o] + inner[j];
        const v = xv[k];
        gx[k] += v === 0 ? 0 : Math.sign(v) * Math.pow(Math.abs(v), p - 1) * scale;
      }
    }
  });
}

function argExtreme(op: string, x: Tensor, dim: number | undefined, keepdim: boolean, beats: Beats): Tensor {
  assertTensor(x, op, 'x');
  if (dim === undefined) {
    // Over the flattened tensor; keepdim keeps every dimension as 1 (PyTorch).
    checkNonEmpty(op, x, x.size);
    const xd = x.data;
    let k = 0;
    for (let i = 1; i < xd.length; i++) if (beats(xd[i], xd[k])) k = i;
    const out = empty(keepdim ? x.shape.map(() => 1) : [], x);
    out.data[0] = k;
    return out;
  }
  return extremeAlong(op, x, dimOf(op, x, dim), keepdim, beats).indices;
}

/** Index of the largest element along dim (of the flattened tensor when dim is omitted); first on ties. Not differentiable. */
export const argmax = (x: Tensor, dim?: number, keepdim = false): Tensor => argExtreme('argmax', x, dim, keepdim, above);
/** Index of the smallest element along dim (of the flattened tensor when dim is omitted); first on ties. */
export const argmin = (x: Tensor, dim?: number, keepdim = false): Tensor => argExtreme('argmin', x, dim, keepdim, below);

/**
 * log Σᵢ exp(xᵢ) over `dim` (one dimension or several), computed as m + log Σ exp(xᵢ − m) with
 * m the maximum so exp never overflows (m taken as 0 when it is infinite, as PyTorch does, so
 * that all −∞ gives −∞). Summed in float64. ∂/∂xᵢ = exp(xᵢ − y): the softmax.
 */
export function logSumExp(x: Tensor, dim: number | readonly number[], keepdim = false): Tensor {
  assertTensor(x, 'logSumExp', 'x');
  if (dim === undefined || dim === null) throw new Error('logSumExp: dim is required (a dimension or a list of them), as in torch.logsumexp');
  const dims = dimsOf('logSumExp', x, dim);
  const { outShape, base, inner } = plan(x, dims, keepdim);
  const out = empty(outShape, x);
  const xd = x.data;
  const yd = out.data;
  for (let o = 0; o < base.length; o++) {
    let m = -Infinity;
    for (let j = 0; j < inner.length; j++) {
      const v = xd[base[o] + inner[j]];
      if (v > m || v !== v) m = v;
    }
    if (m === Infinity || m === -Infinity) m = 0;
    let s = 0;
    for (let j = 0; j < inner.length; j++) s += Math.exp(xd[base[o] + inner[j]] - m);
    yd[o] = m + Math.log(s);
  }
  return record(out, 'logSumExp', [x], (g, grad) => {
    const gx = grad(0);
    if (!gx) return;
    const xv = x.data;
    const y = out.data;
    for (let o = 0; o < base.length; o++) {
      for (let j = 0; j < inner.length; j++) {
        const k = base[o] + inner[j];
        gx[k] += g[o] * Math.exp(xv[k] - y[o]);
      }
    }
  });
}

/**
 * torch.topk(x, k, dim=-1, largest=true, sorted=true) → [values, indices]: the k largest (or
 * smallest) elements along `dim`, in order (ties: the lower index first; NaN counts as the
 * largest, as PyTorch). The values are gather(x, dim, indices), so the gradient reaches the
 * selected elements alone.
 */
export function topk(x: Tensor, k: number, dim = -1, largest = true, sorted = true): ValuesIndices {
  assertTensor(x, 'topk', 'x');
  const shape = x.ndim === 0 ? [1] : x.shape;
  const d = dim < 0 ? dim + shape.length : dim;
  if (!Number.isInteger(dim) || d < 0 || d >= shape.length) throw new Error(`topk: dim must be an integer in [${-shape.length}, ${shape.length - 1}], got ${dim} for shape ${formatShape(x.shape)}`);
  const n = shape[d];
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`topk: k must be an integer in [0, ${n}] (the size of dimension ${d} of shape ${formatShape(x.shape)}), got ${k}`);
  if (typeof largest !== 'boolean' || typeof sorted !== 'boolean') throw new Error(`topk: largest and sorted must be booleans, got ${String(largest)}, ${String(sorted)}`);
  const inner = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, d).reduce((a, b) => a * b, 1);
  const outShape = shape.map((s, j) => (j === d ? k : s));
  const idx = new Float32Array(outer * k * inner);
  const src = x.data;
  const order: number[] = Array.from({ length: n }, (_, i) => i);
  const key = (v: number) => (v !== v ? Infinity : v);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => key(src[(o * n + j) * inner + i]);
      for (let j = 0; j < n; j++) order[j] = j;
      order.sort((a, b) => (largest ? at(b) - at(a) : at(a) - at(b)) || a - b);
      for (let j = 0; j < k; j++) idx[(o * k + j) * inner + i] = order[j];
    }
  }
  const indices = new Tensor(idx, x.ndim === 0 ? [] : outShape);
  const values = gatherFn(x.ndim === 0 ? reshape(x, [1]) : x, d, new Tensor(idx, outShape));
  return new ValuesIndices(x.ndim === 0 ? reshape(values, []) : values, indices);
}
