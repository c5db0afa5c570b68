/**
 * Row lookups: embedding, x[index] (index) and index_select.
 *
 * Embedding lookup, as torch.nn.functional.embedding(input, weight, padding_idx): for an input of
 * class indices (float values holding integers, as gradlab keeps labels) of any shape and a
 * weight [numEmbeddings, embeddingDim], out[…, :] = weight[input[…], :], of shape
 * input.shape + [embeddingDim]. ∂L/∂weight[k] = Σ of g over the positions holding k (a row looked
 * up twice gets both); the row paddingIdx gets none, as PyTorch's. The input gets no gradient.
 */
import { record } from '../autograd.js';
import { formatShape, showValue, type Tensor } from '../tensor.js';
import { assertTensor, dimOfShape, splitAt, uninitialized } from './util.js';

/** paddingIdx in [−n, n) (negative from the end, as PyTorch), normalised; null for none. */
export function embeddingPaddingIdx(where: string, paddingIdx: unknown, numEmbeddings: number): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null;
  if (typeof paddingIdx !== 'number' || !Number.isInteger(paddingIdx) || paddingIdx < -numEmbeddings || paddingIdx >= numEmbeddings) {
    throw new Error(`${where}: paddingIdx must be an integer in [${-numEmbeddings}, ${numEmbeddings - 1}] (within numEmbeddings), got ${showValue(paddingIdx)}`);
  }
  return paddingIdx < 0 ? paddingIdx + numEmbeddings : paddingIdx;
}

export function embedding(input: Tensor, weight: Tensor, paddingIdx: number | null = null): Tensor {
  assertTensor(input, 'embedding', 'input');
  assertTensor(weight, 'embedding', 'weight');
  if (weight.ndim !== 2) throw new Error(`embedding: weight must be a matrix [numEmbeddings, embeddingDim], got shape ${formatShape(weight.shape)}`);
  const pad = embeddingPaddingIdx('embedding', paddingIdx, weight.shape[0]);
  const rows = indexValues('embedding', input, weight.shape[0], false, (i, v, n) => `input[${i}] = ${v} is ${Number.isInteger(v) ? 'out of range' : 'not an integer'}: the table has ${n} rows (indices 0..${n - 1}); input has shape ${formatShape(input.shape)}`);
  return take('embedding', weight, 0, rows, [...input.shape, weight.shape[1]], pad);
}

/**
 * x[index] for an integer tensor `index` of any shape, as PyTorch's advanced indexing on the first
 * dimension (makemore's `emb = C[Xb]`, `Xtr[ix]`): out[i…, :] = x[index[i…], :], of shape
 * index.shape + x.shape[1:], a copy; negative indices count from the end. ∂L/∂x[k] = Σ of g over
 * the positions holding k (as embedding, which is this op on a matrix). JS has no `x[t]` for a
 * tensor t, so it is `x.index(t)`.
 */
export function index(x: Tensor, indices: Tensor): Tensor {
  assertTensor(x, 'index', 'x');
  assertTensor(indices, 'index', 'indices');
  if (x.ndim === 0) throw new Error('index: a 0-dimensional tensor cannot be indexed (it has no rows); use item()');
  const rows = indexValues('index', indices, x.shape[0], true, (i, v, n) => `index ${v} (indices[${i}]) is ${Number.isInteger(v) ? `out of bounds for dimension 0 with size ${n}` : 'not an integer'}; x has shape ${formatShape(x.shape)}, indices ${formatShape(indices.shape)}`);
  return take('index', x, 0, rows, [...indices.shape, ...x.shape.slice(1)], null);
}

/**
 * torch.index_select(x, dim, index): the entries of x at positions `index` (a 1-D integer tensor,
 * negative from the end) along `dim`, of x's shape with shape[dim] = index.length; a copy.
 * ∂L/∂x at each selected position is the sum of g over the places it was selected to.
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  assertTensor(x, 'indexSelect', 'x');
  const d = dimOfShape('indexSelect', dim, x.shape);
  assertTensor(index, 'indexSelect', 'index');
  if (index.ndim > 1) throw new Error(`indexSelect: index must be 1-D (or a scalar), got shape ${formatShape(index.shape)}; x.index(t) takes an index of any shape along dim 0`);
  const n = x.ndim === 0 ? 1 : x.shape[d];
  const rows = indexValues('indexSelect', index, n, true, (i, v) => `index ${v} (index[${i}]) is ${Number.isInteger(v) ? `out of bounds for dimension ${d} with size ${n}` : 'not an integer'}; x has shape ${formatShape(x.shape)}`);
  const shape = x.ndim === 0 ? [] : x.shape.map((s, k) => (k === d ? rows.length : s));
  return take('indexSelect', x, d, rows, shape, null);
}

/** The integer values of an index tensor, checked to lie in [0, n) (or [−n, n), wrapped, with `negative`). */
function indexValues(op: string, t: Tensor, n: number, negative: boolean, message: (i: number, v: number, n: number) => string): Int32Array {
  const ids = t.data;
  const out = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v >= n || v < (negative ? -n : 0)) throw new Error(`${op}: ${message(i, v, n)}`);
    out[i] = v < 0 ? v + n : v;
  }
  return out;
}

/**
 * out[o, i, :] = x[o, rows[i], :] over x's [outer, n, inner] split at `dim`, recorded as `op`;
 * backward scatters g back, adding where a row was taken more than once and skipping `pad`.
 */
function take(op: string, x: Tensor, dim: number, rows: Int32Array, shape: number[], pad: number | null): Tensor {
  const [outer, n, inner] = splitAt(x.shape, dim);
  const m = rows.length;
  const out = uninitialized(shape, x);
  const xd = x.data;
  const od = out.data;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < m; i++) od.set(xd.subarray((o * n + rows[i]) * inner, (o * n + rows[i] + 1) * inner), (o * m + i) * inner);
  }
  return record(out, op, [x], (g, grad) => {
    const gx = grad(0);
    if (!gx) return;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < m; i++) {
        const r = rows[i];
        if (r === pad) continue;
        const to = (o * n + r) * inner;
        const from = (o * m + i) * inner;
        for (let j = 0; j < inner; j++) gx[to + j] += g[from + j];
      }
    }
  });
}
