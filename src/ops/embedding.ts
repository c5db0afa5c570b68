/**
 * Embedding lookup, as torch.nn.functional.embedding(input, weight, padding_idx): for an input of
 * class indices (float values holding integers, as gradlab keeps labels) of any shape and a
 * weight [numEmbeddings, embeddingDim], out[…, :] = weight[input[…], :], of shape
 * input.shape + [embeddingDim]. ∂L/∂weight[k] = Σ of g over the positions holding k (a row looked
 * up twice gets both); the row paddingIdx gets none, as PyTorch's. The input gets no gradient.
 */
import { record } from '../autograd.js';
import { formatShape, showValue, type Tensor } from '../tensor.js';
import { assertTensor, uninitialized } from './util.js';

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
  const [n, dim] = weight.shape;
  const pad = embeddingPaddingIdx('embedding', paddingIdx, n);
  const ids = input.data;
  const rows = new Int32Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      throw new Error(`embedding: input[${i}] = ${v} is ${Number.isInteger(v) ? 'out of range' : 'not an integer'}: the table has ${n} rows (indices 0..${n - 1}); input has shape ${formatShape(input.shape)}`);
    }
    rows[i] = v;
  }
  const out = uninitialized([...input.shape, dim], weight);
  const wd = weight.data;
  const od = out.data;
  for (let i = 0; i < rows.length; i++) od.set(wd.subarray(rows[i] * dim, (rows[i] + 1) * dim), i * dim);
  return record(out, 'embedding', [weight], (g, grad) => {
    const gw = grad(0);
    if (!gw) return;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (r === pad) continue;
      for (let j = 0; j < dim; j++) gw[r * dim + j] += g[i * dim + j];
    }
  });
}
