/**
 * Shape ops. `reshape` and `flatten` share storage with their input (a view, as in PyTorch
 * for contiguous tensors); `permute` and `transpose` copy through strided reads.
 */
import { record } from '../autograd.js';
import { K } from '../kernels/index.js';
import { Tensor, formatShape, shapeSize } from '../tensor.js';
import { assertTensor, contiguousStrides, copiesOfViews, empty, normDim, showSize } from './util.js';

/** The same data under a new shape; one dimension may be −1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  assertTensor(x, 'reshape', 'x');
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1)) {
    throw new Error(`reshape: shape must be a list of integers ≥ 0 (one of them may be -1), got ${showSize(shape)}`);
  }
  const s = shape.slice();
  const infer = s.indexOf(-1);
  if (infer !== s.lastIndexOf(-1)) throw new Error(`reshape: only one dimension can be -1, got ${formatShape(shape)}`);
  if (infer >= 0) {
    const known = shapeSize(s.filter((_, i) => i !== infer));
    if (known === 0 || x.size % known !== 0) throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) into ${formatShape(shape)}`);
    s[infer] = x.size / known;
  }
  if (shapeSize(s) !== x.size) throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) into ${formatShape(shape)}`);
  const out = new Tensor(x.data, s);
  return record(out, 'reshape', [x], (g, grad) => {
    // ∂L/∂x is ∂L/∂out under x's shape: the same buffer when nothing else wrote into x's gradient.
    if (grad.adopt(0)) return;
    const gx = grad.target(0);
    if (gx && gx.beta === 0) K.copy(g, gx.data);
    else if (gx) K.axpy(1, g, gx.data);
  });
}

/** Merge dimensions startDim..endDim into one (torch.flatten). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  assertTensor(x, 'flatten', 'x');
  const s = normDim('flatten', startDim, x.ndim);
  const e = normDim('flatten', endDim, x.ndim);
  if (x.ndim === 0) return reshape(x, [1]);
  if (s > e) throw new Error(`flatten: startDim ${startDim} comes after endDim ${endDim}`);
  const merged = shapeSize(x.shape.slice(s, e + 1));
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

const ZERO = new Float64Array(1);

/**
 * Reorder the dimensions: output dimension i is input dimension dims[i] (negative dims count
 * from the end). Copies through strided reads (out = x[strided] + 0: the binary kernel does the
 * gather); backward is the same kernel's reduction back into x's layout.
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  assertTensor(x, 'permute', 'x');
  if (!Array.isArray(dims)) throw new Error(`permute: dims must be a list of dimensions, got ${String(dims)}`);
  const n = Math.max(x.ndim, 1);
  if (dims.length !== x.ndim || dims.some((d) => !Number.isInteger(d) || d < -n || d >= n) || new Set(dims.map((d) => (d + n) % n)).size !== dims.length) {
    throw new Error(`permute: dims ${formatShape(dims)} is not a permutation of the ${x.ndim} dimension(s) of a tensor of shape ${formatShape(x.shape)}`);
  }
  const perm = dims.map((d) => (d < 0 ? d + n : d));
  const inStrides = contiguousStrides(x.shape);
  const outShape = perm.map((p) => x.shape[p]);
  const readStrides = perm.map((p) => inStrides[p]);
  const zeros = outShape.map(() => 0);
  const out = empty(outShape, x);
  K.binary('add', x.data, readStrides, ZERO, zeros, out.data, outShape);
  copiesOfViews.set(out, 'permute');
  return record(out, 'permute', [x], (g, grad) => {
    const gx = grad(0);
    if (gx) K.binaryBackward('add', 0, g, outShape, x.data, readStrides, ZERO, zeros, gx);
  });
}

/** Swap two dimensions (copies; permute with two entries exchanged). */
export function transpose(x: Tensor, dim0 = 0, dim1 = 1): Tensor {
  assertTensor(x, 'transpose', 'x');
  const d0 = normDim('transpose', dim0, x.ndim);
  const d1 = normDim('transpose', dim1, x.ndim);
  return permute(x, x.shape.map((_, i) => (i === d0 ? d1 : i === d1 ? d0 : i)));
}

/** torch.clone(x): a copy with its own storage whose gradient flows back to x (Tensor.clone). */
export function clone(x: Tensor): Tensor {
  assertTensor(x, 'clone', 'x');
  return x.clone();
}
