/**
 * Joining and indexing, as torch.cat/stack/unsqueeze/squeeze/gather/narrow/select (permute is in view.ts,
 * beside transpose). unsqueeze and squeeze are views (reshape); the others copy into contiguous
 * storage, and their backward routes each gradient element back to the element it came from.
 */
import { record } from '../autograd.js';
import { Tensor, formatShape, showValue } from '../tensor.js';
import { assertTensor, contiguousStrides, copiesOfViews, dimKeyword, dimOfShape, empty, showSize, splitAt, stridedOffsets } from './util.js';
import { reshape } from './view.js';

/** Insert a dimension of size 1 at `dim` ∈ [−ndim − 1, ndim] (a view). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  assertTensor(x, 'unsqueeze', 'x');
  const d = dimOfShape('unsqueeze', dim, x.shape, 1);
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** Remove dimension `dim` if its size is 1 (otherwise return x's shape unchanged), or every size-1 dimension when dim is omitted (a view). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  assertTensor(x, 'squeeze', 'x');
  if (dim === undefined) return reshape(x, x.shape.filter((s) => s !== 1));
  const d = dimOfShape('squeeze', dim, x.shape);
  if (x.ndim === 0 || x.shape[d] !== 1) return reshape(x, x.shape);
  return reshape(x, x.shape.filter((_, i) => i !== d));
}

function checkList(op: string, tensors: readonly Tensor[]): void {
  if (!Array.isArray(tensors)) throw new Error(`${op}: tensors must be a list of Tensors, got ${tensors instanceof Tensor ? 'a Tensor' : typeof tensors}`);
  if (tensors.length === 0) throw new Error(`${op}: expected a non-empty list of tensors`);
  tensors.forEach((t, i) => {
    assertTensor(t, op, `tensors[${i}]`);
    if (t.dtype !== tensors[0].dtype) throw new Error(`${op}: tensors[${i}] is ${t.dtype} but tensors[0] is ${tensors[0].dtype}`);
  });
}

/**
 * Concatenate along `dim`: every tensor has the same number of dimensions and the same sizes
 * except in dim. Laid out as [outer, nₖ, inner], tensor k fills the slab of columns after the
 * tensors before it. PyTorch's `torch.cat(ts, dim=1)` is `cat(ts, 1)` or `cat(ts, {dim: 1})`.
 */
export function cat(tensors: readonly Tensor[], dimOrKeywords: number | { dim?: number } = 0): Tensor {
  const dim = dimKeyword('cat', dimOrKeywords, 0);
  checkList('cat', tensors);
  const first = tensors[0];
  tensors.forEach((t, i) => {
    if (t.ndim === 0) throw new Error(`cat: tensors[${i}] is zero-dimensional (shape []) and cannot be concatenated; use stack`);
  });
  const d = dimOfShape('cat', dim, first.shape);
  tensors.forEach((t, i) => {
    // As PyTorch: "Tensors must have same number of dimensions" — with the fix for the usual case, a row [C] among [N, C] tensors.
    if (t.ndim !== first.ndim) {
      const [lo, hi] = t.ndim < first.ndim ? [`tensors[${i}]`, 'tensors[0]'] : ['tensors[0]', `tensors[${i}]`];
      throw new Error(
        `cat: tensors must have the same number of dimensions: tensors[0] has shape ${formatShape(first.shape)} (${first.ndim}), tensors[${i}] has shape ${formatShape(t.shape)} (${t.ndim})` +
          (Math.abs(t.ndim - first.ndim) === 1 ? `; ${lo}.unsqueeze(0) gives it ${hi}'s rank (or stack tensors of one shape into a new dimension)` : ''),
      );
    }
    if (t.shape.some((s, j) => j !== d && s !== first.shape[j])) {
      throw new Error(
        `cat: sizes must match except in dimension ${d}: tensors[0] has shape ${formatShape(first.shape)}, tensors[${i}] has shape ${formatShape(t.shape)}`,
      );
    }
  });
  const total = tensors.reduce((s, t) => s + t.shape[d], 0);
  const outShape = first.shape.map((s, j) => (j === d ? total : s));
  const [outer, , inner] = splitAt(outShape, d);
  const out = empty(outShape, first);
  const od = out.data;
  const row = total * inner;
  const starts: number[] = [];
  let start = 0;
  for (const t of tensors) {
    starts.push(start);
    const w = t.shape[d] * inner;
    const td = t.data;
    for (let o = 0; o < outer; o++) for (let j = 0; j < w; j++) od[o * row + start + j] = td[o * w + j];
    start += w;
  }
  // A copy of the list: the caller may reuse its array before backward.
  const inputs = tensors.slice();
  return record(out, 'cat', inputs, (g, grad) => {
    inputs.forEach((t, k) => {
      const gt = grad(k);
      if (!gt) return;
      const w = t.shape[d] * inner;
      for (let o = 0; o < outer; o++) for (let j = 0; j < w; j++) gt[o * w + j] += g[o * row + starts[k] + j];
    });
  });
}

/** Join tensors of one shape along a new dimension `dim` ∈ [−ndim − 1, ndim] (also `{dim}`, as cat's). */
export function stack(tensors: readonly Tensor[], dimOrKeywords: number | { dim?: number } = 0): Tensor {
  const dim = dimKeyword('stack', dimOrKeywords, 0);
  checkList('stack', tensors);
  const first = tensors[0];
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((s, j) => s !== first.shape[j])) {
      throw new Error(`stack: every tensor must have the same shape: tensors[0] has shape ${formatShape(first.shape)}, tensors[${i}] has shape ${formatShape(t.shape)}`);
    }
  });
  const d = dimOfShape('stack', dim, first.shape, 1);
  return cat(
    tensors.map((t) => reshape(t, [...t.shape.slice(0, d), 1, ...t.shape.slice(d)])),
    d,
  );
}

/**
 * out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (likewise for other dims), as torch.gather:
 * index has x's number of dimensions, each size at most x's except along dim, and holds integers
 * in [0, x.shape[dim]) (float values, as gradlab's labels). Backward adds each gradient element
 * into the element it was read from (scatter-add).
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  assertTensor(x, 'gather', 'x');
  assertTensor(index, 'gather', 'index');
  const d = dimOfShape('gather', dim, x.shape);
  const xShape = x.ndim === 0 ? [1] : x.shape;
  const iShape = index.ndim === 0 ? [1] : index.shape;
  if (Math.max(index.ndim, 1) !== Math.max(x.ndim, 1)) {
    throw new Error(`gather: index must have as many dimensions as x: index has shape ${formatShape(index.shape)}, x has shape ${formatShape(x.shape)}`);
  }
  iShape.forEach((s, j) => {
    if (j !== d && s > xShape[j]) {
      throw new Error(`gather: index of shape ${formatShape(index.shape)} is larger than x of shape ${formatShape(x.shape)} in dimension ${j}`);
    }
  });
  const n = xShape[d];
  const st = contiguousStrides(xShape);
  const base = stridedOffsets(iShape, st.map((s, j) => (j === d ? 0 : s)));
  const from = new Int32Array(base.length);
  const id = index.data;
  for (let i = 0; i < from.length; i++) {
    const v = id[i];
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      throw new Error(
        `gather: index[${i}] = ${v} is ${Number.isInteger(v) ? 'out of range' : 'not an integer'}: x of shape ${formatShape(x.shape)} has indices 0..${n - 1} in dimension ${d}`,
      );
    }
    from[i] = base[i] + v * st[d];
  }
  const out = empty(index.shape, x);
  const xd = x.data;
  const od = out.data;
  for (let i = 0; i < from.length; i++) od[i] = xd[from[i]];
  return record(out, 'gather', [x], (g, grad) => {
    const gx = grad(0);
    if (gx) for (let i = 0; i < from.length; i++) gx[from[i]] += g[i];
  });
}

/** A position along a dimension of size n, negative from the end as in PyTorch; `end` allows n itself. */
function position(op: string, name: string, v: unknown, n: number, end = false): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${op}: ${name} must be an integer, got ${showValue(v)}`);
  const p = v < 0 ? v + n : v;
  if (p < 0 || p > (end ? n : n - 1)) throw new Error(`${op}: ${name} ${v} is out of range for a dimension of size ${n}`);
  return p;
}

/**
 * The elements start … start + length − 1 along `dim` (torch.narrow; `x[:, 2:5]` is
 * `x.narrow(1, 2, 3)`), start negative from the end. A copy, where PyTorch's is a view: writing
 * into it in place leaves x unchanged. Backward adds the gradient into that slab of x's.
 */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  assertTensor(x, 'narrow', 'x');
  if (x.ndim === 0) throw new Error('narrow: x is zero-dimensional (shape []); there is no dimension to narrow');
  const d = dimOfShape('narrow', dim, x.shape);
  const n = x.shape[d];
  const s0 = position('narrow', 'start', start, n, true);
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0 || s0 + length > n) {
    throw new Error(`narrow: start ${start} and length ${String(length)} go beyond dimension ${d} of shape ${formatShape(x.shape)} (size ${n})`);
  }
  const [outer, , inner] = splitAt(x.shape, d);
  const out = empty(x.shape.map((s, j) => (j === d ? length : s)), x);
  const w = length * inner;
  const row = n * inner;
  const off = s0 * inner;
  const xd = x.data;
  const od = out.data;
  for (let o = 0; o < outer; o++) for (let j = 0; j < w; j++) od[o * w + j] = xd[o * row + off + j];
  copiesOfViews.set(out, 'narrow');
  return record(out, 'narrow', [x], (g, grad) => {
    const gx = grad(0);
    if (gx) for (let o = 0; o < outer; o++) for (let j = 0; j < w; j++) gx[o * row + off + j] += g[o * w + j];
  });
}

/** The slice at `index` along `dim`, that dimension removed (torch.select; `x[:, 0]` is `x.select(1, 0)`, `x[i]` is `x.select(0, i)`). */
export function select(x: Tensor, dim: number, index: number): Tensor {
  assertTensor(x, 'select', 'x');
  if (x.ndim === 0) throw new Error('select: x is zero-dimensional (shape []); there is no dimension to select from');
  const d = dimOfShape('select', dim, x.shape);
  const i = position('select', 'index', index, x.shape[d]);
  const out = reshape(narrow(x, d, i, 1), x.shape.filter((_, j) => j !== d));
  copiesOfViews.set(out, 'select');
  return out;
}

/**
 * torch.split(x, splitSizeOrSections, dim = 0): x cut along `dim` into pieces of
 * `splitSizeOrSections` elements (the last one smaller when the size does not divide), or into
 * pieces of the listed sizes, which must add up to x.shape[dim]. Each piece is narrow(x, dim,
 * start, size): a copy (a view in PyTorch) whose backward adds its gradient into its slab of x's,
 * so pieces used in the loss all send their gradient back and unused ones send zero.
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dimOrKeywords: number | { dim?: number } = 0): Tensor[] {
  assertTensor(x, 'split', 'x');
  const dim = dimKeyword('split', dimOrKeywords, 0);
  if (x.ndim === 0) throw new Error('split: x is zero-dimensional (shape []); there is no dimension to split');
  const d = dimOfShape('split', dim, x.shape);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof splitSizeOrSections === 'number') {
    const s = splitSizeOrSections;
    if (!Number.isInteger(s) || s < 0 || (s === 0 && n !== 0)) throw new Error(`split: splitSize must be a positive integer, got ${showValue(s)}`);
    sizes = [];
    for (let at = 0; at < n; at += s) sizes.push(Math.min(s, n - at));
    if (n === 0) sizes.push(0);
  } else if (Array.isArray(splitSizeOrSections)) {
    sizes = splitSizeOrSections.slice();
    if (!sizes.every((k) => Number.isInteger(k) && k >= 0)) throw new Error(`split: splitSizeOrSections must be an integer or a list of integers ≥ 0, got ${showSize(splitSizeOrSections)}`);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== n) throw new Error(`split: the sizes ${showSize(splitSizeOrSections)} add up to ${total}, but dimension ${d} of x ${formatShape(x.shape)} has ${n}`);
  } else {
    throw new Error(`split: splitSizeOrSections must be an integer or a list of integers, got ${showValue(splitSizeOrSections)}`);
  }
  const pieces: Tensor[] = [];
  let start = 0;
  for (const k of sizes) {
    pieces.push(narrow(x, d, start, k));
    start += k;
  }
  return pieces;
}

/**
 * torch.chunk(x, chunks, dim = 0): split(x, ⌈x.shape[dim]/chunks⌉, dim), so, as PyTorch, fewer
 * than `chunks` pieces when the size does not allow that many of equal size (6 in 4 chunks: 2, 2, 2).
 */
export function chunk(x: Tensor, chunks: number, dimOrKeywords: number | { dim?: number } = 0): Tensor[] {
  assertTensor(x, 'chunk', 'x');
  const dim = dimKeyword('chunk', dimOrKeywords, 0);
  if (typeof chunks !== 'number' || !Number.isInteger(chunks) || chunks < 1) throw new Error(`chunk: chunks must be a positive integer, got ${showValue(chunks)}`);
  if (x.ndim === 0) throw new Error('chunk: x is zero-dimensional (shape []); there is no dimension to chunk');
  const d = dimOfShape('chunk', dim, x.shape);
  const n = x.shape[d];
  return n === 0 ? split(x, 0, d) : split(x, Math.ceil(n / chunks), d);
}

/**
 * F.one_hot(indices, numClasses=-1): a float tensor of shape [...indices.shape, numClasses] with 1
 * at each index and 0 elsewhere (numClasses −1: one more than the largest index, as PyTorch).
 * Not differentiable (indices are labels).
 */
export function oneHot(indices: Tensor, numClasses = -1): Tensor {
  assertTensor(indices, 'oneHot', 'indices');
  const id = indices.data;
  let max = -1;
  for (let i = 0; i < id.length; i++) {
    const v = id[i];
    if (!Number.isInteger(v) || v < 0) throw new Error(`oneHot: indices must be non-negative integers (class labels), got ${v} at flat position ${i}`);
    if (v > max) max = v;
  }
  if (!Number.isInteger(numClasses) || numClasses < -1) throw new Error(`oneHot: numClasses must be an integer ≥ 1 (or -1: one more than the largest index), got ${showValue(numClasses)}`);
  const c = numClasses === -1 ? max + 1 : numClasses;
  if (max >= c) throw new Error(`oneHot: index ${max} is out of range for numClasses ${c}`);
  const out = new Float32Array(id.length * c);
  for (let i = 0; i < id.length; i++) out[i * c + id[i]] = 1;
  return new Tensor(out, [...indices.shape, c]);
}
