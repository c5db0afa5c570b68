/**
 * Reductions: sum and mean over all elements or over dimensions, as torch.sum/torch.mean, and
 * var/std composed from them; all/any (not differentiable) and histogram.
 */
import { record } from '../autograd.js';
import { K, alloc, dtypeOf } from '../kernels/index.js';
import type { FloatArray } from '../kernels/types.js';
import { Tensor, formatShape, showValue } from '../tensor.js';
import { assertTensor, broadcastStrides, empty, normDim, showSize, splitAt } from './util.js';
import { div, mul, sub } from './arithmetic.js';
import { checkOptions } from '../options.js';

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
 * sub, mul and sum with the mean detached, so the backward is PyTorch's var_backward,
 * ∂/∂x = 2(x − x̄)/(N − 1): the mean's own term, −Σ(x − x̄)·2/(N(N − 1)), is 0 in exact arithmetic,
 * and through the graph it would spread one infinite x's NaN to every element of its slice.
 */
export function variance(x: Tensor, dim?: number | readonly number[], unbiased = true, keepdim = false): Tensor {
  const dims = reducedDims('variance', x, dim);
  if (typeof unbiased !== 'boolean') throw new Error(`variance: unbiased must be true or false, got ${showValue(unbiased)}`);
  const d = sub(x, mean(x, dim, true).detach());
  const n = dims.reduce((p, k) => p * x.shape[k], 1);
  return div(sum(mul(d, d), dim, keepdim), Math.max(n - (unbiased ? 1 : 0), 0));
}

/**
 * Whether every element (all) or some element (any) over `dim` is non-zero, as torch.all/torch.any:
 * 1 or 0 (gradlab's booleans are the float values comparisons give), over all elements when dim is
 * omitted; makemore's dead units are `h.abs().gt(0.99).all(0)`. Not differentiable (no gradient flows).
 */
export function all(x: Tensor, dim?: number, keepdim = false): Tensor {
  return truth('all', x, dim, keepdim, (s, n) => (s === n ? 1 : 0));
}

/** Whether some element over `dim` is non-zero (torch.any); see all. */
export function any(x: Tensor, dim?: number, keepdim = false): Tensor {
  return truth('any', x, dim, keepdim, (s) => (s > 0 ? 1 : 0));
}

/** Counts the non-zero elements over `dim` and maps (count, n) to 0/1, outside the graph. */
function truth(op: string, x: Tensor, dim: number | undefined, keepdim: boolean, verdict: (count: number, n: number) => number): Tensor {
  assertTensor(x, op, 'x');
  if (dim !== undefined && typeof dim !== 'number') throw new Error(`${op}: dim must be one integer (or omitted for all elements), got ${showValue(dim)}`);
  if (typeof keepdim !== 'boolean') throw new Error(`${op}: keepdim must be true or false, got ${showValue(keepdim)}`);
  const d = dim === undefined ? -1 : normDim(op, dim, x.ndim);
  const [outer, n, inner] = d < 0 ? [1, x.size, 1] : splitAt(x.shape, d);
  const shape = d < 0 ? (keepdim ? x.shape.map(() => 1) : []) : x.shape.flatMap((s, k) => (k !== d ? [s] : keepdim ? [1] : []));
  const out = new Tensor(alloc(outer * inner, dtypeOf(x.data)), shape);
  const xd = x.data;
  const od = out.data;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let count = 0;
      for (let i = 0; i < n; i++) if (xd[(o * n + i) * inner + j] !== 0) count++;
      od[o * inner + j] = verdict(count, n);
    }
  }
  return out;
}

/** torch.histogram's options: `range` [min, max] (default the data's), per-element `weight`, `density`. */
export interface HistogramOptions {
  bins?: number;
  range?: readonly [number, number] | null;
  weight?: Tensor | null;
  density?: boolean;
}

/** torch.histogram's result: `const [hist, binEdges] = histogram(x)`, or `.hist`, `.binEdges`. */
export class HistogramResult implements Iterable<Tensor> {
  constructor(
    readonly hist: Tensor,
    readonly binEdges: Tensor,
  ) {}
  get 0(): Tensor {
    return this.hist;
  }
  get 1(): Tensor {
    return this.binEdges;
  }
  *[Symbol.iterator](): Iterator<Tensor> {
    yield this.hist;
    yield this.binEdges;
  }
}

/**
 * torch.histogram(x, bins=100, range=None, weight=None, density=False): counts of x's elements in
 * `bins` equal bins from min to max (the last bin closed on the right; values outside `range`
 * dropped), `density` dividing by (total × bin width) so the histogram integrates to 1 — makemore's
 * `hy, hx = torch.histogram(t, density=True)`. The bins are also given as the number after x
 * (`histogram(x, 50, {density: true})`). Not differentiable.
 */
export function histogram(x: Tensor, bins?: number | HistogramOptions, options: HistogramOptions = {}): HistogramResult {
  assertTensor(x, 'histogram', 'x');
  if (typeof bins === 'object' && bins !== null) [bins, options] = [undefined, bins];
  for (const k of Object.keys(options)) {
    if (!['bins', 'range', 'weight', 'density'].includes(k)) throw new Error(`histogram: unknown option '${k}' (allowed: bins, range, weight, density)`);
  }
  const nb = bins ?? options.bins ?? 100;
  if (typeof nb !== 'number' || !Number.isInteger(nb) || nb < 1) throw new Error(`histogram: bins must be a positive integer, got ${showValue(nb)} (a tensor of bin edges is not supported)`);
  const xd = x.data;
  let lo: number;
  let hi: number;
  if (options.range !== undefined && options.range !== null) {
    const r = options.range;
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || r[0] > r[1]) throw new Error(`histogram: range must be [min, max] with finite min ≤ max, got ${showValue(r)}`);
    [lo, hi] = r;
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < xd.length; i++) {
      const v = xd[i];
      if (v !== v) [lo, hi] = [NaN, NaN];
      if (lo !== lo) break; // a NaN makes the range [nan, nan], as PyTorch's
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (xd.length === 0) [lo, hi] = [0, 0];
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new Error(`histogram: x holds a non-finite value (range [${lo}, ${hi}]); give range: [min, max]`);
  }
  // As PyTorch: an empty range (all values equal) is widened to [v − 0.5, v + 0.5].
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const w = options.weight ?? null;
  if (w !== null) {
    assertTensor(w, 'histogram', 'weight');
    if (w.size !== x.size || w.ndim !== x.ndim || w.shape.some((s, k) => s !== x.shape[k])) throw new Error(`histogram: weight must have x's shape ${formatShape(x.shape)}, got ${formatShape(w.shape)}`);
  }
  if (options.density !== undefined && typeof options.density !== 'boolean') throw new Error(`histogram: density must be true or false, got ${showValue(options.density)}`);
  const dt = dtypeOf(xd);
  const hist = new Tensor(alloc(nb, dt), [nb]);
  const edges = new Tensor(alloc(nb + 1, dt), [nb + 1]);
  const width = (hi - lo) / nb;
  // As torch.linspace(lo, hi, bins + 1), which torch.histogram uses: the first half counted up from lo, the rest down from hi.
  for (let b = 0; b <= nb; b++) edges.data[b] = b < (nb + 1) >> 1 ? lo + b * width : hi - (nb - b) * width;
  const h = hist.data;
  const wd = w?.data;
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i];
    if (!(v >= lo && v <= hi)) continue;
    const b = Math.min(Math.floor((v - lo) / width), nb - 1);
    h[b] += wd ? wd[i] : 1;
  }
  if (options.density === true) {
    let total = 0;
    for (let b = 0; b < nb; b++) total += h[b];
    for (let b = 0; b < nb; b++) h[b] /= total * width;
  }
  return new HistogramResult(hist, edges);
}

/**
 * Standard deviation: √var (torch.std), unbiased by default. ∂σ/∂var = 1/(2σ), taken as 0 where
 * σ = 0 (a constant slice), as PyTorch's std_backward (masked_fill where the result is 0): the
 * slice's deviations x − x̄ are all 0 there, so the chain gives 0·∞ = NaN otherwise.
 */
export function std(x: Tensor, dim?: number | readonly number[], unbiased = true, keepdim = false): Tensor {
  reducedDims('std', x, dim);
  const v = variance(x, dim, unbiased, keepdim);
  const out = empty(v.shape, v);
  for (let i = 0; i < out.data.length; i++) out.data[i] = Math.sqrt(v.data[i]);
  return record(out, 'std', [v], (g, grad) => {
    const gv = grad(0);
    if (!gv) return;
    const y = out.data;
    for (let i = 0; i < gv.length; i++) gv[i] += y[i] === 0 ? 0 : g[i] / (2 * y[i]);
  });
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

/**
 * Running sum along `dim`, as torch.cumsum(x, dim): yᵢ = Σ_{j ≤ i} xⱼ, accumulated in double as
 * PyTorch's CPU kernel does for float32. Backward is the running sum from the other end:
 * ∂L/∂xⱼ = Σ_{i ≥ j} gᵢ (each xⱼ enters every later yᵢ once).
 */
export function cumsum(x: Tensor, dim: number | { dim?: number }): Tensor {
  assertTensor(x, 'cumsum', 'x');
  let dn: unknown = dim;
  if (typeof dim === 'object' && dim !== null && !Array.isArray(dim)) {
    checkOptions('cumsum', dim, ['dim']);
    dn = dim.dim;
  }
  if (dn === undefined) throw new Error('cumsum: dim is required (torch.cumsum(x, dim)); use x.flatten().cumsum(0) for a running sum over all elements');
  const d = normDim('cumsum', dn as number, x.ndim);
  const [outer, n, inner] = splitAt(x.shape, d);
  const out = empty(x.shape, x);
  const xd = x.data;
  const yd = out.data;
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < inner; k++) {
      const base = o * n * inner + k;
      let s = 0;
      for (let i = 0; i < n; i++) {
        s += xd[base + i * inner];
        yd[base + i * inner] = s;
      }
    }
  }
  return record(out, 'cumsum', [x], (g, grad) => {
    const gx = grad(0);
    if (!gx) return;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < inner; k++) {
        const base = o * n * inner + k;
        let s = 0;
        for (let i = n - 1; i >= 0; i--) {
          s += g[base + i * inner];
          gx[base + i * inner] += s;
        }
      }
    }
  });
}
