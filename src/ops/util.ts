/**
 * Shared helpers for ops: output allocation, broadcasting, dimension handling, checks.
 */
import { alloc } from '../kernels/index.js';
import { Tensor, formatShape, shapeSize } from '../tensor.js';
import { stage } from '../memory.js';

/** A fresh zero tensor with `like`'s dtype. */
export function empty(shape: readonly number[], like: Tensor): Tensor {
  return new Tensor(alloc(shapeSize(shape), like.dtype), shape);
}

/**
 * A fresh tensor whose contents are unspecified, for an op's output that its kernel writes in
 * full (GEMM with β = 0, elementwise maps): zeroing it first would be a wasted pass over memory.
 */
export function uninitialized(shape: readonly number[], like: Tensor): Tensor {
  return new Tensor(alloc(shapeSize(shape), like.dtype, false), shape);
}

/** Numbers become constant tensors of the other operand's dtype. */
export function asTensor(x: Tensor | number, like?: Tensor): Tensor {
  if (typeof x !== 'number') return x;
  const t = new Tensor(alloc(1, like?.dtype ?? 'float32', false), []);
  t.data[0] = x;
  return t;
}

/**
 * Every op checks its tensor arguments here on entry; an input whose storage was moved to JS
 * memory at a step boundary is copied back into the backend's memory (src/memory.ts) so the
 * fast kernels run on it.
 */
export function assertTensor(x: unknown, op: string, arg: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new Error(`${op}: ${arg} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x._evicted) stage(x);
}

export function assertSameDtype(op: string, a: Tensor, b: Tensor): void {
  if (a.dtype !== b.dtype) throw new Error(`${op}: dtypes differ (${a.dtype} vs ${b.dtype})`);
}

/** NumPy/PyTorch broadcasting: align trailing dimensions; each pair must be equal or contain a 1. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together (dimension ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` read in the rank of `outShape`, with 0 on broadcast dimensions. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const n = outShape.length;
  const strides = new Array<number>(n).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const o = n - shape.length + i;
    strides[o] = shape[i] === 1 && outShape[o] !== 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/** Normalise a possibly negative dimension, with an error naming the op and the shape. */
export function normDim(op: string, dim: number, ndim: number): number {
  if (!Number.isInteger(dim) || dim < -Math.max(ndim, 1) || dim >= Math.max(ndim, 1)) {
    throw new Error(`${op}: dim ${dim} is out of range for a tensor with ${ndim} dimension(s)`);
  }
  return dim < 0 ? dim + Math.max(ndim, 1) : dim;
}

/** [outer, n, inner] sizes around dimension `d`. */
export function splitAt(shape: readonly number[], d: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < d; i++) outer *= shape[i];
  for (let i = d + 1; i < shape.length; i++) inner *= shape[i];
  return [outer, shape.length === 0 ? 1 : shape[d], inner];
}

export function checkFiniteOption(op: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${op}: ${name} must be a finite number, got ${value}`);
}
