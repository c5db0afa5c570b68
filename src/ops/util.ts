/**
 * Shared helpers for ops: output allocation, broadcasting, dimension handling, checks.
 */
import { alloc, allocShape } from '../kernels/index.js';
import { Tensor, formatShape, shapeSize, showValue, type DType } from '../tensor.js';
import { stage } from '../memory.js';
import { checkOptions } from '../options.js';

/** A fresh zero tensor with `like`'s dtype. */
export function empty(shape: readonly number[], like: Tensor): Tensor {
  return new Tensor(allocShape('output', shape, like.dtype), shape);
}

/**
 * A fresh tensor whose contents are unspecified, for an op's output that its kernel writes in
 * full (GEMM with β = 0, elementwise maps): zeroing it first would be a wasted pass over memory.
 */
export function uninitialized(shape: readonly number[], like: Tensor): Tensor {
  return new Tensor(allocShape('output', shape, like.dtype, false), shape);
}

/**
 * Op-internal storage saved for backward (BatchNorm's batch statistics, softmax probabilities,
 * dropout masks, max-pooling indices), held as a step-local Tensor rather than a bare array: when
 * backward never comes (a loss computed for logging without noGrad, an output dropped) the next
 * step boundary moves it out of wasm memory with the graph's activations (src/memory.ts), where
 * a bare array would stay until the garbage collector and an event-loop turn. The backward closure
 * reads `.data` at backward time; record()'s release disposes it.
 */
export function savedBuffer(n: number, dtype: DType, zero = true): Tensor {
  return new Tensor(alloc(n, dtype, zero), [n]);
}

/**
 * Numbers become constant tensors of the other operand's dtype; anything else but a Tensor is an
 * error naming `op` and the argument (`name`: 'input', 'other').
 */
export function asTensor(x: Tensor | number, like?: Tensor, op = 'operand', name = 'operand'): Tensor {
  if (typeof x !== 'number') {
    if (!(x instanceof Tensor)) throw new Error(`${op}: ${name} must be a Tensor or a number, got ${Array.isArray(x) ? 'an array (make it one with tensor([...]))' : showValue(x)}`);
    return x;
  }
  const t = new Tensor(alloc(1, like?.dtype ?? 'float32', false), []);
  t.data[0] = x;
  return t;
}

/**
 * Every op checks its tensor arguments here on entry; an input whose storage was moved to JS
 * memory at a step boundary is copied back into the backend's memory (src/memory.ts) so the
 * fast kernels run on it.
 */
/** A size argument as given, for a message: [2,0.5] as JSON writes it (BigInts and all), anything else as showValue shows it. */
export function showSize(v: unknown): string {
  return Array.isArray(v) ? `[${v.map((d) => (Array.isArray(d) ? showSize(d) : typeof d === 'number' ? JSON.stringify(d) : showValue(d))).join(',')}]` : showValue(v);
}

export function assertTensor(x: unknown, op: string, arg: string): asserts x is Tensor {
  if (!(x instanceof Tensor)) {
    // torch.max(outputs.data, 1): PyTorch's t.data is a tensor (t.detach()); gradlab's is the raw Float32Array.
    const typed = x instanceof Float32Array || x instanceof Float64Array ? ` (a tensor's .data is its raw ${x.constructor.name} in gradlab; PyTorch's outputs.data is outputs.detach() here, or pass outputs itself)` : '';
    throw new Error(`${op}: ${arg} must be a Tensor, got ${Array.isArray(x) ? 'an array (make it one with tensor([...]))' : showValue(x)}${typed}`);
  }
  if (x._evicted) stage(x);
}

/** An optional tensor argument (a bias, BatchNorm's statistics): null or undefined, else a Tensor (assertTensor). */
export function assertOptionalTensor(x: unknown, op: string, arg: string): asserts x is Tensor | null | undefined {
  if (x !== null && x !== undefined) assertTensor(x, op, arg);
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


/**
 * PyTorch's lone `dim` keyword as a last object — `F.softmax(x, dim=1)`, `torch.cat(ts, dim=1)` as
 * `softmax(x, {dim: 1})`, `cat(ts, {dim: 1})` — for the ops whose only option is dim: the number
 * inside (another key is an error naming it), or `dim` itself.
 */
export function dimKeyword<D>(op: string, dim: D | { dim?: D }, dflt: D): D {
  if (typeof dim === 'object' && dim !== null && !Array.isArray(dim) && !(dim instanceof Tensor)) {
    checkOptions(op, dim, ['dim']);
    return (dim as { dim?: D }).dim ?? dflt;
  }
  return dim as D;
}

/** Normalise a possibly negative dimension, with an error naming the op and the shape. */
export function normDim(op: string, dim: number, ndim: number): number {
  if (!Number.isInteger(dim) || dim < -Math.max(ndim, 1) || dim >= Math.max(ndim, 1)) {
    if (typeof dim !== 'number') throw new Error(`${op}: dim must be an integer (PyTorch's dim=1 is the argument 1 here), got ${showValue(dim)}`);
    if (!Number.isInteger(dim)) throw new Error(`${op}: dim ${dim} is not an integer (a dimension is counted in whole steps: 0, 1, …, or -1 for the last)`);
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

/** Row-major strides of a contiguous tensor of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let st = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = st;
    st *= shape[i];
  }
  return s;
}

/**
 * Offsets Σ_d i_d·strides[d] of every multi-index i of `shape`, in row-major order: the one
 * primitive behind broadcasting, permutation and reduction over arbitrary dimensions in the ops
 * written as plain loops (x[offsets[k]] is the k-th element read through those strides).
 */
export function stridedOffsets(shape: readonly number[], strides: readonly number[]): Int32Array {
  const n = shapeSize(shape);
  const out = new Int32Array(n);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    out[k] = off;
    for (let d = nd - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= (shape[d] - 1) * strides[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** For each element of `outShape`, the offset of the element of an input of `shape` broadcast to it; null when the shapes are equal. */
export function broadcastOffsets(shape: readonly number[], outShape: readonly number[]): Int32Array | null {
  if (shape.length === outShape.length && shape.every((d, i) => d === outShape[i])) return null;
  return stridedOffsets(outShape, broadcastStrides(shape, outShape));
}

/** Offsets of the elements of `shape` spanned by `dims` (row-major over them, in the order listed). */
export function dimOffsets(shape: readonly number[], dims: readonly number[]): Int32Array {
  const st = contiguousStrides(shape);
  return stridedOffsets(
    dims.map((d) => shape[d]),
    dims.map((d) => st[d]),
  );
}

/**
 * normDim with the shape in the error: `dim` of a tensor of `shape`, in [−n, n) for n =
 * ndim + extra (extra = 1 where a new dimension is inserted: unsqueeze, stack).
 */
export function dimOfShape(op: string, dim: unknown, shape: readonly number[], extra: 0 | 1 = 0): number {
  const n = Math.max(shape.length + extra, 1);
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < -n || dim >= n) {
    if (typeof dim === 'object' && dim !== null && !(dim instanceof Tensor) && 'dim' in dim) throw new Error(`${op}: dim must be an integer (PyTorch's dim=1 is the argument 1 here), got ${showValue(dim)}`);
    if (typeof dim === 'number' && !Number.isInteger(dim)) throw new Error(`${op}: dim ${dim} is not an integer (a dimension is counted in whole steps: 0, 1, …, or -1 for the last)`);
    const got = dim instanceof Tensor ? `a Tensor of shape ${formatShape(dim.shape)}` : showValue(dim);
    throw new Error(`${op}: dim ${got} is out of range [${-n}, ${n - 1}] for a tensor of shape ${formatShape(shape)}`);
  }
  return dim < 0 ? dim + n : dim;
}

/**
 * Outputs of ops that are views in PyTorch but copies here (narrow, select, permute/transpose/T):
 * an in-place write into one would change x in PyTorch and not here, so the in-place methods
 * refuse them (tensor-methods.ts) instead of diverging silently. The op's name, for the message.
 */
export const copiesOfViews = new WeakMap<Tensor, string>();
