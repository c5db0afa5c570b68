/**
 * Tensor methods mirroring the ops, as PyTorch's `x.add(y)`, `x.sum(1)`, `x.argmax(1)`, …
 * Each method is the op of the same name with `this` as its first argument; nothing is
 * computed here. They live apart from tensor.ts (added to Tensor.prototype by declaration
 * merging when this module is imported, which src/index.ts does) so that the Tensor class
 * does not import the ops, which import it.
 */
import * as ops from './ops/index.js';
import { formatTensor } from './format.js';
import { Tensor, formatShape } from './tensor.js';

declare module './tensor.js' {
  interface Tensor {
    /** ops.add(this, y) */
    add(y: Tensor | number): Tensor;
    /** ops.sub(this, y) */
    sub(y: Tensor | number): Tensor;
    /** ops.mul(this, y) */
    mul(y: Tensor | number): Tensor;
    /** ops.div(this, y) */
    div(y: Tensor | number): Tensor;
    /** ops.neg(this) */
    neg(): Tensor;
    /** ops.matmul(this, y) */
    matmul(y: Tensor): Tensor;
    /** ops.sum(this, dim, keepdim): all elements when dim is omitted. */
    sum(dim?: number | readonly number[], keepdim?: boolean): Tensor;
    /** ops.mean(this, dim, keepdim) */
    mean(dim?: number | readonly number[], keepdim?: boolean): Tensor;
    /** ops.reshape: `x.reshape(2, -1)` or `x.reshape([2, -1])` (shares storage). */
    reshape(...shape: number[] | [readonly number[]]): Tensor;
    /** The same as reshape (storage is always contiguous, so a view is always possible). */
    view(...shape: number[] | [readonly number[]]): Tensor;
    /** ops.flatten(this, startDim, endDim) */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** ops.exp(this) */
    exp(): Tensor;
    /** ops.log(this) */
    log(): Tensor;
    /** ops.pow(this, exponent) */
    pow(exponent: Tensor | number): Tensor;
    /** ops.sqrt(this) */
    sqrt(): Tensor;
    /** ops.abs(this) */
    abs(): Tensor;
    /** ops.clamp(this, min, max) */
    clamp(min?: number | null | ops.ClampBounds, max?: number | null): Tensor;
    /** ops.max(this): the largest element; with dim, {values, indices} along it. */
    max(): Tensor;
    max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
    /** ops.min(this): the smallest element; with dim, {values, indices} along it. */
    min(): Tensor;
    min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
    /** ops.argmax(this, dim, keepdim) */
    argmax(dim?: number, keepdim?: boolean): Tensor;
    /** ops.argmin(this, dim, keepdim) */
    argmin(dim?: number, keepdim?: boolean): Tensor;
    /** ops.logSumExp(this, dim, keepdim) */
    logSumExp(dim: number | readonly number[], keepdim?: boolean): Tensor;
    /** ops.permute: `x.permute(1, 0)` or `x.permute([1, 0])`. */
    permute(...dims: number[] | [readonly number[]]): Tensor;
    /** ops.unsqueeze(this, dim) */
    unsqueeze(dim: number): Tensor;
    /** ops.squeeze(this, dim) */
    squeeze(dim?: number): Tensor;
    /** ops.gather(this, dim, index) */
    gather(dim: number, index: Tensor): Tensor;
    /** ops.transpose(this, dim0, dim1) */
    transpose(dim0: number, dim1: number): Tensor;
    /** Transpose of a matrix; a tensor of ≤ 1 dimension is returned as is (PyTorch's t()). */
    t(): Tensor;
    /** ops.relu(this) */
    relu(): Tensor;
    /** ops.sigmoid(this) */
    sigmoid(): Tensor;
    /** ops.tanh(this) */
    tanh(): Tensor;
    /** ops.softmax(this, dim) */
    softmax(dim: number): Tensor;
    /** ops.logSoftmax(this, dim) */
    logSoftmax(dim: number): Tensor;
    /** ops.eq(this, y): 1 where equal, else 0. */
    eq(y: Tensor | number): Tensor;
    /** ops.ne(this, y) */
    ne(y: Tensor | number): Tensor;
    /** ops.gt(this, y) */
    gt(y: Tensor | number): Tensor;
    /** ops.ge(this, y) */
    ge(y: Tensor | number): Tensor;
    /** ops.lt(this, y) */
    lt(y: Tensor | number): Tensor;
    /** ops.le(this, y) */
    le(y: Tensor | number): Tensor;
    /** Number of elements (PyTorch's numel(); also the `size` property). */
    numel(): number;
    /** Number of dimensions (PyTorch's dim(); also the `ndim` property). */
    dim(): number;
    /** The values as nested arrays (PyTorch's tolist(); the same as toArray()). */
    tolist(): NestedArray;
    /** Set requiresGrad in place and return this tensor (PyTorch's requires_grad_()). */
    requiresGrad_(requiresGrad?: boolean): this;
  }
}

/** `f(2, 3)` and `f([2, 3])` alike. */
function listArg(args: Array<number | readonly number[]>): readonly number[] {
  return args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly number[]) : (args as number[]);
}

const methods: { [K in keyof Tensor]?: (this: Tensor, ...args: any[]) => unknown } = {
  add(y: Tensor | number) { return ops.add(this, y); },
  sub(y: Tensor | number) { return ops.sub(this, y); },
  mul(y: Tensor | number) { return ops.mul(this, y); },
  div(y: Tensor | number) { return ops.div(this, y); },
  neg() { return ops.neg(this); },
  matmul(y: Tensor) { return ops.matmul(this, y); },
  sum(dim?: number | readonly number[], keepdim?: boolean) { return ops.sum(this, dim, keepdim); },
  mean(dim?: number | readonly number[], keepdim?: boolean) { return ops.mean(this, dim, keepdim); },
  reshape(...shape: Array<number | readonly number[]>) { return ops.reshape(this, listArg(shape)); },
  view(...shape: Array<number | readonly number[]>) { return ops.reshape(this, listArg(shape)); },
  flatten(startDim?: number, endDim?: number) { return ops.flatten(this, startDim, endDim); },
  exp() { return ops.exp(this); },
  log() { return ops.log(this); },
  pow(exponent: Tensor | number) { return ops.pow(this, exponent); },
  sqrt() { return ops.sqrt(this); },
  abs() { return ops.abs(this); },
  clamp(min?: number | null | ops.ClampBounds, max?: number | null) { return ops.clamp(this, min, max); },
  max(dim?: number, keepdim?: boolean) { return dim === undefined ? ops.max(this) : ops.max(this, dim, keepdim); },
  min(dim?: number, keepdim?: boolean) { return dim === undefined ? ops.min(this) : ops.min(this, dim, keepdim); },
  argmax(dim?: number, keepdim?: boolean) { return ops.argmax(this, dim, keepdim); },
  argmin(dim?: number, keepdim?: boolean) { return ops.argmin(this, dim, keepdim); },
  logSumExp(dim: number | readonly number[], keepdim?: boolean) { return ops.logSumExp(this, dim, keepdim); },
  permute(...dims: Array<number | readonly number[]>) { return ops.permute(this, listArg(dims)); },
  unsqueeze(dim: number) { return ops.unsqueeze(this, dim); },
  squeeze(dim?: number) { return ops.squeeze(this, dim); },
  gather(dim: number, index: Tensor) { return ops.gather(this, dim, index); },
  transpose(dim0: number, dim1: number) { return ops.transpose(this, dim0, dim1); },
  t() {
    if (this.ndim > 2) throw new Error(`t(): expects a tensor with at most 2 dimensions, got shape ${formatShape(this.shape)}; use transpose(dim0, dim1) or permute`);
    return this.ndim < 2 ? ops.reshape(this, this.shape) : ops.transpose(this, 0, 1);
  },
  relu() { return ops.relu(this); },
  sigmoid() { return ops.sigmoid(this); },
  tanh() { return ops.tanh(this); },
  softmax(dim: number) { return ops.softmax(this, dim); },
  logSoftmax(dim: number) { return ops.logSoftmax(this, dim); },
  eq(y: Tensor | number) { return ops.eq(this, y); },
  ne(y: Tensor | number) { return ops.ne(this, y); },
  gt(y: Tensor | number) { return ops.gt(this, y); },
  ge(y: Tensor | number) { return ops.ge(this, y); },
  lt(y: Tensor | number) { return ops.lt(this, y); },
  le(y: Tensor | number) { return ops.le(this, y); },
  numel() { return this.size; },
  dim() { return this.ndim; },
  tolist() { return this.toArray(); },
  requiresGrad_(requiresGrad = true) {
    this.requiresGrad = requiresGrad;
    return this;
  },
};

// Non-enumerable, as class methods are.
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
}

// console.log(x) in Node shows the values, as print(x) does in Python.
Object.defineProperty(Tensor.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value(this: Tensor) {
    return formatTensor(this);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});
