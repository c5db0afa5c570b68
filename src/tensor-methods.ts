/**
 * Tensor methods mirroring the ops, as PyTorch's `x.add(y)`, `x.sum(1)`, `x.argmax(1)`, …
 * Each method is the op of the same name with `this` as its first argument; nothing is
 * computed here. They live apart from tensor.ts (added to Tensor.prototype by declaration
 * merging when this module is imported, which src/index.ts does) so that the Tensor class
 * does not import the ops, which import it.
 */
import * as ops from './ops/index.js';
import * as init from './init.js';
import { formatTensor } from './format.js';
import { Tensor, formatShape, multinomial, parseDtype, tensor, zeros, type DType } from './tensor.js';
import { Generator } from './random.js';
import { isGradEnabled, noGrad, record, type Node } from './autograd.js';
import { K, alloc } from './kernels/index.js';
import { ABSENT_DEVICE_METHODS, checkOptions, keywordArgs, pointAbsent, pointSnakeCase } from './options.js';
import { copiesOfViews } from './ops/util.js';

declare global {
  // The storage arrays' PyTorch-style fills (m.bias.data.fill_(0.01)) and updates (p.data.add_(p.grad, {alpha: -lr})), defined at the end of this file.
  interface Float32Array { add_(other: Tensor | ArrayLike<number> | number, alpha?: number | { alpha?: number }): this; sub_(other: Tensor | ArrayLike<number> | number, alpha?: number | { alpha?: number }): this; mul_(other: Tensor | ArrayLike<number> | number): this; fill_(value: number): this; zero_(): this; normal_(mean?: number, std?: number): this; uniform_(a?: number, b?: number): this; copy_(src: Tensor | ArrayLike<number>): this }
  interface Float64Array { add_(other: Tensor | ArrayLike<number> | number, alpha?: number | { alpha?: number }): this; sub_(other: Tensor | ArrayLike<number> | number, alpha?: number | { alpha?: number }): this; mul_(other: Tensor | ArrayLike<number> | number): this; fill_(value: number): this; zero_(): this; normal_(mean?: number, std?: number): this; uniform_(a?: number, b?: number): this; copy_(src: Tensor | ArrayLike<number>): this }
}

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
    /** ops.sum(this, dim, keepdim): all elements when dim is omitted; PyTorch's keywords as a last object, `x.sum({dim: 1, keepdim: true})`. */
    sum(dim?: number | readonly number[], keepdim?: boolean): Tensor;
    sum(keywords: DimKeywords): Tensor;
    sum(dim: number | readonly number[], keywords: { keepdim?: boolean }): Tensor;
    /** ops.mean(this, dim, keepdim) */
    mean(dim?: number | readonly number[], keepdim?: boolean): Tensor;
    mean(keywords: DimKeywords): Tensor;
    mean(dim: number | readonly number[], keywords: { keepdim?: boolean }): Tensor;
    /** ops.reshape: `x.reshape(2, -1)` or `x.reshape([2, -1])` (shares storage). */
    reshape(...shape: number[] | [readonly number[]]): Tensor;
    /** The same as reshape (storage is always contiguous, so a view is always possible). */
    view(...shape: number[] | [readonly number[]]): Tensor;
    /** This tensor with `other`'s shape (PyTorch's view_as: `target.viewAs(pred)`). */
    viewAs(other: Tensor): Tensor;
    /** The same as viewAs (PyTorch's reshape_as). */
    reshapeAs(other: Tensor): Tensor;
    /** PyTorch's expand_as for the shapes broadcasting gives: this tensor broadcast to `other`'s shape (a copy). */
    expandAs(other: Tensor): Tensor;
    /** ops.flatten(this, startDim, endDim) */
    flatten(startDim?: number, endDim?: number): Tensor;
    /** ops.exp(this) */
    exp(): Tensor;
    /** ops.log(this) */
    log(): Tensor;
    /** ops.log10(this) (makemore's `loss.log10().item()`) */
    log10(): Tensor;
    /** ops.pow(this, exponent) */
    pow(exponent: Tensor | number): Tensor;
    /** ops.sqrt(this) */
    sqrt(): Tensor;
    /** ops.abs(this) */
    abs(): Tensor;
    /** ops.sin(this) */
    sin(): Tensor;
    /** ops.cos(this) */
    cos(): Tensor;
    /** ops.clamp(this, min, max) */
    clamp(min?: number | null | ops.ClampBounds, max?: number | null): Tensor;
    /** ops.max(this): the largest element; with dim, {values, indices} along it. */
    max(): Tensor;
    max(dim: number, keepdim?: boolean): ops.ValuesIndices;
    max(keywords: { dim: number; keepdim?: boolean }): ops.ValuesIndices;
    max(dim: number, keywords: { keepdim?: boolean }): ops.ValuesIndices;
    /** ops.min(this): the smallest element; with dim, {values, indices} along it. */
    min(): Tensor;
    min(dim: number, keepdim?: boolean): ops.ValuesIndices;
    min(keywords: { dim: number; keepdim?: boolean }): ops.ValuesIndices;
    min(dim: number, keywords: { keepdim?: boolean }): ops.ValuesIndices;
    /** ops.argmax(this, dim, keepdim) */
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmax(keywords: { dim?: number; keepdim?: boolean }): Tensor;
    argmax(dim: number, keywords: { keepdim?: boolean }): Tensor;
    /** ops.argmin(this, dim, keepdim) */
    argmin(dim?: number, keepdim?: boolean): Tensor;
    argmin(keywords: { dim?: number; keepdim?: boolean }): Tensor;
    argmin(dim: number, keywords: { keepdim?: boolean }): Tensor;
    /** ops.logSumExp(this, dim, keepdim) */
    logSumExp(dim: number | readonly number[], keepdim?: boolean): Tensor;
    logSumExp(keywords: { dim: number | readonly number[]; keepdim?: boolean }): Tensor;
    logSumExp(dim: number | readonly number[], keywords: { keepdim?: boolean }): Tensor;
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
    softmax(dim: number | { dim: number }): Tensor;
    /** ops.logSoftmax(this, dim) */
    logSoftmax(dim: number | { dim: number }): Tensor;
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
    /** The number of elements (PyTorch's nelement, the same as numel). */
    nelement(): number;
    /** Number of dimensions (PyTorch's dim(); also the `ndim` property). */
    dim(): number;
    /** The values as nested arrays (PyTorch's tolist(); the same as toArray()). */
    tolist(): NestedArray;
    /** Set requiresGrad in place and return this tensor (PyTorch's requires_grad_()). */
    requiresGrad_(requiresGrad?: boolean): this;
    /** ops.variance(this, dim, unbiased, keepdim): PyTorch's x.var(), unbiased by default. */
    var(dim?: number | readonly number[], unbiased?: boolean, keepdim?: boolean): Tensor;
    var(keywords: DimKeywords & { unbiased?: boolean }): Tensor;
    var(dim: number | readonly number[], keywords: { unbiased?: boolean; keepdim?: boolean }): Tensor;
    /** ops.std(this, dim, unbiased, keepdim) */
    std(dim?: number | readonly number[], unbiased?: boolean, keepdim?: boolean): Tensor;
    std(keywords: DimKeywords & { unbiased?: boolean }): Tensor;
    std(dim: number | readonly number[], keywords: { unbiased?: boolean; keepdim?: boolean }): Tensor;
    /** ops.matmul(this, y) for matrices (PyTorch's mm). */
    mm(y: Tensor): Tensor;
    /** this · this */
    square(): Tensor;
    /** ops.narrow(this, dim, start, length): `x[:, 2:5]` is `x.narrow(1, 2, 3)`. */
    narrow(dim: number, start: number, length: number): Tensor;
    /** ops.select(this, dim, index): `x[i]` is `x.select(0, i)`, `x[:, 0]` is `x.select(1, 0)`. */
    select(dim: number, index: number): Tensor;
    /** ops.index(this, indices): PyTorch's `x[indices]` for an integer tensor (`C[Xb]` is `C.index(Xb)`), a copy of shape indices.shape + this.shape[1:]. */
    index(indices: Tensor): Tensor;
    /** ops.indexSelect(this, dim, index) (PyTorch's index_select; a 1-D index). */
    indexSelect(dim: number, index: Tensor): Tensor;
    /** ops.all(this, dim, keepdim): 1 where every element over dim is non-zero, else 0. */
    all(dim?: number, keepdim?: boolean): Tensor;
    all(keywords: { dim?: number; keepdim?: boolean }): Tensor;
    /** ops.any(this, dim, keepdim): 1 where some element over dim is non-zero, else 0. */
    any(dim?: number, keepdim?: boolean): Tensor;
    any(keywords: { dim?: number; keepdim?: boolean }): Tensor;
    /** ops.histogram(this, bins, options): `const [hy, hx] = t.histogram({density: true})`. */
    histogram(bins?: number | ops.HistogramOptions, options?: ops.HistogramOptions): ops.HistogramResult;
    /** multinomial(this, numSamples, replacement, {generator}) (torch.multinomial). */
    multinomial(numSamples: number, replacement?: boolean | { replacement?: boolean; generator?: Generator }, options?: { generator?: Generator }): Tensor;
    /** The transpose (PyTorch's x.T): dimensions in reverse order. */
    readonly T: Tensor;
    /** The size of the first dimension, as PyTorch's len(x) (a batch's number of examples); undefined for a 0-d tensor. */
    readonly length: number | undefined;
    /** The node of the op that made this tensor, null for a leaf (PyTorch's grad_fn). */
    readonly gradFn: Node | null;
    /**
     * This tensor in `dtype` ('float32'/'float', 'float64'/'double'; an integer type as long());
     * the device 'cpu' (the only one) changes nothing. The same tensor when nothing changes, as PyTorch.
     */
    to(dtypeOrDevice: DTypeName | 'cpu'): Tensor;
    /** to('float32') */
    float(): Tensor;
    /** to('float64') */
    double(): Tensor;
    /** With a dtype, to(dtype); without, PyTorch's type name ('torch.FloatTensor'). */
    type(): string;
    type(dtype: DTypeName): Tensor;
    /**
     * The values truncated toward zero, outside the graph (PyTorch's long()/int()). gradlab keeps
     * integers (labels, indices) as float values, exact up to 2^24, so the dtype stays float.
     */
    long(): Tensor;
    /** The same as long(). */
    int(): Tensor;
    /** This tensor (storage is always contiguous). */
    contiguous(): Tensor;
    /** This tensor (the CPU is the only device). */
    cpu(): Tensor;
    /** In place, outside the graph: this += alpha·y (y broadcast to this shape); returns this. */
    add_(y: Tensor | number, alpha?: number | { alpha?: number }): this;
    /** In place: this −= alpha·y. */
    sub_(y: Tensor | number, alpha?: number | { alpha?: number }): this;
    /** In place: this ·= y. */
    mul_(y: Tensor | number): this;
    /** In place: this /= y. */
    div_(y: Tensor | number): this;
    /** In place: clamp to [min, max]. */
    clamp_(min?: number | null, max?: number | null): this;
    /** In place: every element 0 (e.g. `w.grad.zero_()`). */
    zero_(): this;
    /** In place: every element `value`. */
    fill_(value: number): this;
    /** In place: the values of `src` (broadcast to this shape). */
    copy_(src: Tensor): this;
    /** In place: N(mean, std²) draws (init.normal). */
    normal_(mean?: number, std?: number): this;
    /** In place: U(a, b) draws (init.uniform). */
    uniform_(a?: number, b?: number): this;
    /** ops.maskedFill(this, mask, value): value where mask is 1 (mask broadcast), as x.masked_fill(mask, value). */
    maskedFill(mask: Tensor, value: number | Tensor): Tensor;
    /** ops.split(this, splitSizeOrSections, dim): the pieces along dim, as x.split(2, dim=1). */
    split(splitSizeOrSections: number | readonly number[], dim?: number | { dim?: number }): Tensor[];
    /** ops.chunk(this, chunks, dim): at most `chunks` pieces of equal size along dim. */
    chunk(chunks: number, dim?: number | { dim?: number }): Tensor[];
    /** ops.cumsum(this, dim): the running sum along dim. */
    cumsum(dim: number | { dim?: number }): Tensor;
    /** ops.topk(this, k, dim, largest, sorted) → [values, indices]. */
    topk(k: number, dim?: number, largest?: boolean, sorted?: boolean): ops.ValuesIndices;
    topk(k: number, keywords: { dim?: number; largest?: boolean; sorted?: boolean }): ops.ValuesIndices;
    topk(k: number, dim: number, keywords: { largest?: boolean; sorted?: boolean }): ops.ValuesIndices;
    /**
     * The p-norm (p = 2 'fro' by default, any p, ±Infinity) over all elements or along dim, as
     * torch.norm / Tensor.norm: ops.norm (PyTorch's gradients at a zero slice and on ties).
     */
    norm(p?: number | 'fro', dim?: number | readonly number[], keepdim?: boolean): Tensor;
    norm(keywords: DimKeywords & { p?: number | 'fro' }): Tensor;
    norm(p: number | 'fro', keywords: DimKeywords): Tensor;
    /** ops.amax(this, dim, keepdim): the largest value over dim (all when omitted); ties share the gradient. */
    amax(dim?: number | readonly number[], keepdim?: boolean): Tensor;
    amax(keywords: DimKeywords): Tensor;
    /** ops.amin(this, dim, keepdim) */
    amin(dim?: number | readonly number[], keepdim?: boolean): Tensor;
    amin(keywords: DimKeywords): Tensor;
  }
}

/** The shape of viewAs's (…) `other`, which must be a Tensor. */
function shapeOf(name: string, other: Tensor): readonly number[] {
  if (!(other instanceof Tensor)) throw new Error(`${name}(other): other must be a Tensor, got ${other === null ? 'null' : Array.isArray(other) ? 'an array (use view(...shape))' : typeof other}`);
  return other.shape;
}

/** PyTorch's `dim=…, keepdim=…` keywords of a reduction, as its last argument: `x.sum({dim: 1, keepdim: true})` (KEYWORDS below). */
export interface DimKeywords {
  dim?: number | readonly number[];
  keepdim?: boolean;
}

/** `f(2, 3)` and `f([2, 3])` alike. */
function listArg(args: Array<number | readonly number[]>): readonly number[] {
  return args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly number[]) : (args as number[]);
}

/**
 * An in-place method (PyTorch's trailing underscore): `value` is computed outside the graph and
 * written into this tensor's storage. As PyTorch, a leaf that requires grad may only be changed
 * in place while no graph is recorded (`noGrad(() => w.sub_(w.grad.mul(lr)))`, the manual SGD
 * step). With `recorded` (add_, sub_, mul_, div_), an intermediate of the graph is changed through
 * the graph instead (inPlaceRecorded); the other in-place methods refuse it.
 */
function inPlace(t: Tensor, name: string, value: () => Tensor | number, recorded?: { other: Tensor | number; op: (self: Tensor) => Tensor }): Tensor {
  // PyTorch's `out += identity` in a ResNet block: an in-place op on an intermediate of the graph
  // (or on a tensor without grad, with an operand that requires it) is recorded; a leaf that
  // requires grad (a parameter) still needs noGrad, below.
  if (recorded !== undefined && isGradEnabled() && !(t.isLeaf && t.requiresGrad) && (t.requiresGrad || (recorded.other instanceof Tensor && recorded.other.requiresGrad))) {
    return inPlaceRecorded(t, name, recorded.op);
  }
  if (isGradEnabled() && t.requiresGrad) {
    throw new Error(
      `${name}(): this tensor (shape ${formatShape(t.shape)}) ${t.isLeaf ? 'is a leaf that requires grad (a parameter)' : 'is part of a recorded graph'}, ` +
        `so it cannot be changed in place while gradients are recorded: do it inside noGrad(() => …) (PyTorch's torch.no_grad()), or use the out-of-place ${name.slice(0, -1)}()`,
    );
  }
  const viewOp = copiesOfViews.get(t);
  if (viewOp !== undefined) {
    throw new Error(
      `${name}(): this tensor came from ${viewOp}(), which in PyTorch is a view of its input (so ${name} would change the input too) but in gradlab is a copy: ` +
        `change the input's .data (x.data[i] = v) to write through, or clone() first to change only the copy`,
    );
  }
  const v = noGrad(value);
  t._version++;
  if (typeof v === 'number') K.fill(t.data, v);
  else {
    if (!sameShape(v, t)) {
      throw new Error(`${name}(): the result has shape ${formatShape(v.shape)} but this tensor has shape ${formatShape(t.shape)}: in place, the other operand must broadcast to this tensor's shape`);
    }
    const src = v.data;
    const dst = t.data;
    if (src.constructor === dst.constructor) K.copy(src, dst);
    else for (let i = 0; i < dst.length; i++) dst[i] = src[i];
  }
  return t;
}

/**
 * Ops whose backward reads only their inputs (and buffers of their own), never their output, so
 * the output may be changed in place (inPlaceRecorded): a ResNet's `out += identity` after a
 * BatchNorm or a convolution. An activation's backward reads its output (σ′ = σ(1 − σ)).
 */
const KEEPS_NO_OUTPUT = new Set(['add', 'sub', 'mul', 'div', 'linear', 'matmul', 'conv2d', 'batchNorm', 'avgPool2d', 'adaptiveAvgPool2d', 'maxPool2d', 'cat', 'sum', 'mean', 'permute', 'gather', 'narrow', 'embedding', 'dropout', 'dropout2d', 'clone', 'maskedFill', 'cumsum']);

/**
 * An in-place op recorded in the graph, as PyTorch's `out += identity` on a non-leaf (or on a
 * tensor without grad when the other operand requires it): the op runs out of place on a tensor
 * standing for `t`'s old value (the same storage and node), and `t` takes the result's storage and
 * node, so code holding `t` sees the new value and backward goes through the op. Refused when an
 * op already recorded read `t` (its backward would see the new value: PyTorch's "modified by an
 * inplace operation" error) or when `t` is a view sharing its input's storage (in PyTorch the
 * change would write through to the input).
 */
function inPlaceRecorded(t: Tensor, name: string, op: (self: Tensor) => Tensor): Tensor {
  if (t._consumed) {
    throw new Error(
      `${name}(): this tensor (shape ${formatShape(t.shape)}) was already read by an op of the recorded graph, whose backward needs its current value (PyTorch: "modified by an inplace operation"): ` +
        `use the out-of-place ${name.slice(0, -1)}() (out = out.${name.slice(0, -1)}(…)), or change it before it is used`,
    );
  }
  if (t.node?.op === 'backwardHook') {
    throw new Error(
      `${name}(): this tensor is the output of a module with a full backward hook, which hands it on through an identity (PyTorch: "Output 0 of BackwardHookFunctionBackward is a view and is being modified inplace"): use the out-of-place ${name.slice(0, -1)}() (out = out.${name.slice(0, -1)}(…))`,
    );
  }
  if (t.node !== null && t.node.inputs.some((x) => x._data === t._data)) {
    throw new Error(`${name}(): this tensor is a view (${t.node.op}) of another tensor of the graph, which an in-place change would have to write through: use the out-of-place ${name.slice(0, -1)}()`);
  }
  if (t.node !== null && !KEEPS_NO_OUTPUT.has(t.node.op)) {
    throw new Error(
      `${name}(): this tensor is the output of ${t.node.op}, whose backward reads its output (PyTorch: "modified by an inplace operation"): use the out-of-place ${name.slice(0, -1)}() (out = out.${name.slice(0, -1)}(…))`,
    );
  }
  const old = new Tensor(t.data, t.shape, t.requiresGrad);
  old.node = t.node;
  const r = op(old);
  if (!sameShape(r, t)) {
    throw new Error(`${name}(): the result has shape ${formatShape(r.shape)} but this tensor has shape ${formatShape(t.shape)}: in place, the other operand must broadcast to this tensor's shape`);
  }
  t.data = r.data;
  t._requiresGrad = r.requiresGrad;
  t.node = r.node;
  return t;
}

/** add_/sub_'s alpha: a number or PyTorch's keyword as `{alpha}`. */
function alphaArg(name: string, alpha: number | { alpha?: number } | undefined): number {
  if (typeof alpha === 'object' && alpha !== null) {
    checkOptions(`${name}()`, alpha, ['alpha']);
    alpha = alpha.alpha;
  }
  const a = alpha ?? 1;
  if (typeof a !== 'number') throw new Error(`${name}(): alpha must be a number, got ${String(a)}`);
  return a;
}

const scaled = (y: Tensor | number, a: number): Tensor | number => (a === 1 ? y : typeof y === 'number' ? y * a : ops.mul(y, a));

const sameShape = (a: Tensor, b: Tensor): boolean => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

/** The values truncated toward zero, outside the graph: PyTorch's conversion to an integer type (held as float values here). */
const truncated = (t: Tensor): Tensor => tensor(Array.from(t.data, Math.trunc), t.shape, { dtype: t.dtype });

/** `t` in `dtype` (a copy whose gradient flows back; integer types: truncated), or `t` itself when it is already. */
function toDtype(t: Tensor, dtype: DType | 'integer' | null): Tensor {
  if (dtype === 'integer') return truncated(t);
  if (dtype === null || dtype === t.dtype) return t;
  const out = new Tensor(alloc(t.size, dtype, false), t.shape);
  const src = t.data;
  const dst = out.data;
  for (let i = 0; i < dst.length; i++) dst[i] = src[i];
  return record(out, 'to', [t], (g, grad) => {
    const gt = grad(0);
    if (gt) for (let i = 0; i < gt.length; i++) gt[i] += g[i];
  });
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
  viewAs(other: Tensor) { return ops.reshape(this, shapeOf('viewAs', other)); },
  reshapeAs(other: Tensor) { return ops.reshape(this, shapeOf('reshapeAs', other)); },
  expandAs(other: Tensor) {
    const shape = shapeOf('expandAs', other);
    const out = ops.add(this, zeros(shape, { dtype: this.dtype }));
    if (!sameShape(out, other)) throw new Error(`expandAs(): a tensor of shape ${formatShape(this.shape)} does not expand to ${formatShape(shape)} (only dimensions of size 1 expand)`);
    return out;
  },
  flatten(startDim?: number, endDim?: number) { return ops.flatten(this, startDim, endDim); },
  exp() { return ops.exp(this); },
  log() { return ops.log(this); },
  log10() { return ops.log10(this); },
  pow(exponent: Tensor | number) { return ops.pow(this, exponent); },
  sqrt() { return ops.sqrt(this); },
  abs() { return ops.abs(this); },
  sin() { return ops.sin(this); },
  cos() { return ops.cos(this); },
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
  nelement() { return this.size; },
  dim() { return this.ndim; },
  tolist() { return this.toArray(); },
  var(dim?: number | readonly number[], unbiased?: boolean, keepdim?: boolean) { return ops.variance(this, dim, unbiased, keepdim); },
  std(dim?: number | readonly number[], unbiased?: boolean, keepdim?: boolean) { return ops.std(this, dim, unbiased, keepdim); },
  mm(y: Tensor) {
    if (this.ndim !== 2 || !(y instanceof Tensor) || y.ndim !== 2) throw new Error(`mm(): expects two matrices, got shapes ${formatShape(this.shape)} and ${y instanceof Tensor ? formatShape(y.shape) : String(y)}; use matmul for batches`);
    return ops.matmul(this, y);
  },
  square() { return ops.mul(this, this); },
  narrow(dim: number, start: number, length: number) { return ops.narrow(this, dim, start, length); },
  select(dim: number, index: number) { return ops.select(this, dim, index); },
  index(indices: Tensor) { return ops.index(this, indices); },
  indexSelect(dim: number, index: Tensor) { return ops.indexSelect(this, dim, index); },
  all(dim?: number, keepdim?: boolean) { return ops.all(this, dim, keepdim); },
  any(dim?: number, keepdim?: boolean) { return ops.any(this, dim, keepdim); },
  histogram(bins?: number | ops.HistogramOptions, options?: ops.HistogramOptions) { return ops.histogram(this, bins, options); },
  multinomial(numSamples: number, replacement?: boolean | { replacement?: boolean; generator?: Generator }, options?: { generator?: Generator }) { return multinomial(this, numSamples, replacement, options); },
  to(dtypeOrDevice: unknown) { return toDtype(this, parseDtype('to()', dtypeOrDevice)); },
  float() { return toDtype(this, 'float32'); },
  double() { return toDtype(this, 'float64'); },
  type(dtype?: unknown) {
    if (dtype === undefined) return this.dtype === 'float64' ? 'torch.DoubleTensor' : 'torch.FloatTensor';
    return toDtype(this, parseDtype('type()', dtype));
  },
  long() { return truncated(this); },
  int() { return truncated(this); },
  contiguous() { return this; },
  cpu() { return this; },
  add_(y: Tensor | number, alpha?: number | { alpha?: number }) {
    const a = alphaArg('add_', alpha);
    return inPlace(this, 'add_', () => ops.add(this, scaled(y, a)), { other: y, op: (self: Tensor) => ops.add(self, scaled(y === this ? self : y, a)) });
  },
  sub_(y: Tensor | number, alpha?: number | { alpha?: number }) {
    const a = alphaArg('sub_', alpha);
    return inPlace(this, 'sub_', () => ops.sub(this, scaled(y, a)), { other: y, op: (self: Tensor) => ops.sub(self, scaled(y === this ? self : y, a)) });
  },
  mul_(y: Tensor | number) { return inPlace(this, 'mul_', () => ops.mul(this, y), { other: y, op: (self: Tensor) => ops.mul(self, y === this ? self : y) }); },
  div_(y: Tensor | number) { return inPlace(this, 'div_', () => ops.div(this, y), { other: y, op: (self: Tensor) => ops.div(self, y === this ? self : y) }); },
  clamp_(min?: number | null, max?: number | null) { return inPlace(this, 'clamp_', () => ops.clamp(this, min, max)); },
  zero_() { return inPlace(this, 'zero_', () => 0); },
  fill_(value: number) {
    if (typeof value !== 'number') throw new Error(`fill_(): value must be a number, got ${String(value)}`);
    return inPlace(this, 'fill_', () => value);
  },
  copy_(src: Tensor) {
    if (!(src instanceof Tensor)) throw new Error(`copy_(): src must be a Tensor, got ${String(src)}`);
    return inPlace(this, 'copy_', () => (sameShape(src, this) ? src : ops.add(src, zeros(this.shape, { dtype: this.dtype }))));
  },
  normal_(mean = 0, std = 1) { return inPlace(this, 'normal_', () => init.normal(zeros(this.shape, { dtype: this.dtype }), mean, std)); },
  uniform_(a = 0, b = 1) { return inPlace(this, 'uniform_', () => init.uniform(zeros(this.shape, { dtype: this.dtype }), a, b)); },
  maskedFill(mask: Tensor, value: number | Tensor) { return ops.maskedFill(this, mask, value); },
  split(splitSizeOrSections: number | readonly number[], dim?: number | { dim?: number }) { return ops.split(this, splitSizeOrSections, dim); },
  chunk(chunks: number, dim?: number | { dim?: number }) { return ops.chunk(this, chunks, dim); },
  cumsum(dim: number | { dim?: number }) { return ops.cumsum(this, dim); },
  topk(k: number, dim?: number, largest?: boolean, sorted?: boolean) { return ops.topk(this, k, dim, largest, sorted); },
  norm(p: number | 'fro' = 2, dim?: number | readonly number[], keepdim = false) {
    if (p !== 'fro' && typeof p !== 'number') throw new Error(`norm(): p must be a number, 'fro' or Infinity, got ${String(p)}`);
    return ops.norm(this, p === 'fro' ? 2 : p, dim, keepdim);
  },
  amax(dim?: number | readonly number[], keepdim?: boolean) { return ops.amax(this, dim, keepdim); },
  amin(dim?: number | readonly number[], keepdim?: boolean) { return ops.amin(this, dim, keepdim); },
  requiresGrad_(requiresGrad = true) {
    this.requiresGrad = requiresGrad;
    return this;
  },
};

// PyTorch's keywords as a last object: x.sum({dim: 1, keepdim: true}), x.std(0, {unbiased: false}),
// x.topk(3, {dim: 1}); keywordArgs checks the names (snake_case pointed at camelCase).
const KEYWORDS: Record<string, readonly string[]> = {
  sum: ['dim', 'keepdim'], mean: ['dim', 'keepdim'], max: ['dim', 'keepdim'], min: ['dim', 'keepdim'], argmax: ['dim', 'keepdim'], argmin: ['dim', 'keepdim'],
  logSumExp: ['dim', 'keepdim'], softmax: ['dim'], logSoftmax: ['dim'], var: ['dim', 'unbiased', 'keepdim'], std: ['dim', 'unbiased', 'keepdim'],
  topk: ['k', 'dim', 'largest', 'sorted'], norm: ['p', 'dim', 'keepdim'], amax: ['dim', 'keepdim'], amin: ['dim', 'keepdim'], all: ['dim', 'keepdim'], any: ['dim', 'keepdim'],
};
for (const [name, keys] of Object.entries(KEYWORDS)) {
  const fn = (methods as Record<string, (...a: unknown[]) => unknown>)[name];
  (methods as Record<string, unknown>)[name] = function (this: Tensor, ...args: unknown[]) {
    const last = args[args.length - 1];
    if (typeof last !== 'object' || last === null || Array.isArray(last) || last instanceof Tensor) return fn.apply(this, args);
    const values = keywordArgs(`${name}()`, args, keys);
    while (values.length > 0 && values[values.length - 1] === undefined) values.pop();
    return fn.apply(this, values);
  };
}

// Non-enumerable, as class methods are.
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
}

// Properties (getters), as PyTorch's attributes x.T and x.grad_fn, and len(x).
Object.defineProperty(Tensor.prototype, 'T', {
  get(this: Tensor) {
    return ops.permute(this, this.shape.map((_, i) => this.ndim - 1 - i));
  },
  configurable: true,
  enumerable: false,
});
Object.defineProperty(Tensor.prototype, 'length', {
  get(this: Tensor) {
    return this.ndim === 0 ? undefined : this.shape[0];
  },
  configurable: true,
  enumerable: false,
});
Object.defineProperty(Tensor.prototype, 'gradFn', {
  get(this: Tensor) {
    return this.node;
  },
  configurable: true,
  enumerable: false,
});

// console.log(x) in Node shows the values, as print(x) does in Python.
Object.defineProperty(Tensor.prototype, Symbol.for('nodejs.util.inspect.custom'), {
  value(this: Tensor) {
    return formatTensor(this);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});

/** The tensor last turned into text, and that text: `C[Xb]` looks its key up here (see tensorKey below). */
let lastText: { text: string; tensor: WeakRef<Tensor> } | null = null;

// A one-element tensor is a number where JS wants one, as PyTorch's float(t): `running_loss += loss`
// adds its value (it was string concatenation, "0tensor(2.3)"), `Number(t)`, `t > 0.5`. Text
// (`${t}`, String(t)) is the printed tensor; a larger tensor used as a number is an error.
Object.defineProperty(Tensor.prototype, Symbol.toPrimitive, {
  value(this: Tensor, hint: 'string' | 'number' | 'default') {
    if (hint === 'string') {
      const text = formatTensor(this);
      lastText = { text, tensor: new WeakRef(this) };
      return text;
    }
    if (this.size === 1) return this.item();
    if (hint === 'number') {
      throw new Error(`a tensor of shape ${formatShape(this.shape)} (${this.size} elements) used as a number: only a one-element tensor converts (loss.item()); compare or combine tensors with their methods (x.gt(y), x.add(y))`);
    }
    return formatTensor(this);
  },
  writable: true,
  configurable: true,
  enumerable: false,
});

// makemore's `emb = C[Xb]` and `Xtr[ix]`: PyTorch's indexing by an integer tensor. JS turns the key
// Xb into text (Symbol.toPrimitive with hint 'string', just above) and looks that text up on C; a
// Proxy at the end of Tensor's prototype chain, reached only by names no tensor has, finds that
// text was Xb's and returns C.index(Xb). Names a tensor has never reach it, so ops and methods run
// as before. An integer key (`probs[2]`, `x[-1]`) is x.select(0, i), a copy as select's (so an
// in-place change of it is refused there). Writing through either key (`C[ix] = v`, `x[0] = v`,
// `x[0][1] = v`) is refused rather than stored as a property of a copy.
const TENSOR_TEXT = /^tensor\(/;
const INTEGER = /^-?(0|[1-9]\d*)$/;
function tensorKey(self: Tensor, key: string): Tensor {
  const t = lastText !== null && lastText.text === key ? lastText.tensor.deref() : undefined;
  if (t === undefined) throw new Error(`indexing a tensor of shape ${formatShape(self.shape)} by the text ${JSON.stringify(key.slice(0, 40))}…: index by the tensor itself (x[t] or x.index(t)), not by its printed form`);
  return ops.index(self, t);
}
const indexing = new Proxy(Object.getPrototypeOf(Tensor.prototype) as object, {
  get(target, key, receiver) {
    if (typeof key === 'string' && receiver instanceof Tensor) {
      if (INTEGER.test(key)) return ops.select(receiver, 0, Number(key));
      if (TENSOR_TEXT.test(key)) return tensorKey(receiver, key);
    }
    return Reflect.get(target, key, receiver);
  },
  set(target, key, value, receiver) {
    if (typeof key === 'string' && receiver instanceof Tensor && INTEGER.test(key)) {
      throw new Error(`x[${key}] = v (x of shape ${formatShape(receiver.shape)}) is not supported: x[i] is a copy in gradlab, not a view; write the storage (x.data[i] = v in a 1-D tensor, x.data.set(values, i * rowSize) for a row) or build the values with ops`);
    }
    if (typeof key === 'string' && TENSOR_TEXT.test(key) && receiver instanceof Tensor) {
      throw new Error(`x[t] = v (assigning through an integer-tensor index, x of shape ${formatShape(receiver.shape)}) is not supported: gradlab's tensors are not views; build the values with ops (x.index(t), ops.where, ops.cat) or write x.data in place`);
    }
    return Reflect.set(target, key, value, receiver);
  },
});
Object.setPrototypeOf(Tensor.prototype, indexing);

// p.requires_grad, z.grad_fn, x.is_leaf: errors naming gradlab's spelling (src/options.ts).
pointSnakeCase(Tensor, ['requiresGrad', 'retainsGrad']);
pointSnakeCase(Generator); // g.manual_seed(…) names manualSeed
pointAbsent(Tensor, { ...ABSENT_DEVICE_METHODS, numpy: 'JavaScript has no NumPy: t.tolist() gives nested arrays, t.data the Float32Array itself' });

// m.bias.data.fill_(0.01): PyTorch's .data is a tensor, gradlab's the storage array itself; the
// storage arrays take PyTorch's in-place fills too (underscore names no standard method uses),
// each returning the array. The weight-origin fingerprint sees these writes as the user's.
/** The other operand of a storage array's add_/sub_/mul_: a Tensor or array of the same length. */
function arrayOperand(name: string, self: FloatArrayLike, other: unknown): ArrayLike<number> {
  if (other === null || other === undefined) throw new Error(`.data.${name}(): other is ${other} (a parameter's grad is null until backward reaches it: did it take part in the loss?)`);
  const d = other instanceof Tensor ? other.data : other;
  if (typeof d !== 'object' || typeof (d as ArrayLike<number>).length !== 'number') throw new Error(`.data.${name}(): other must be a Tensor, an array or a number, got ${String(other)}`);
  if ((d as ArrayLike<number>).length !== self.length) throw new Error(`.data.${name}(): other has ${(d as ArrayLike<number>).length} elements${other instanceof Tensor ? ` (shape ${formatShape(other.shape)})` : ''}, this storage ${self.length}`);
  return d as ArrayLike<number>;
}
type FloatArrayLike = Float32Array | Float64Array;

/** self += a·other, elementwise (other a number, a Tensor or an array of self's length). */
function updateArray(self: FloatArrayLike, name: string, other: unknown, a: number): FloatArrayLike {
  if (typeof other === 'number') {
    for (let i = 0; i < self.length; i++) self[i] += a * other;
    return self;
  }
  const d = arrayOperand(name, self, other);
  for (let i = 0; i < self.length; i++) self[i] += a * d[i];
  return self;
}

const arrayMethods = {
  fill_(this: Float32Array, value: number) {
    if (typeof value !== 'number') throw new Error(`.data.fill_(): value must be a number, got ${String(value)}`);
    return this.fill(value);
  },
  zero_(this: Float32Array) { return this.fill(0); },
  normal_(this: Float32Array, mean = 0, std = 1) {
    this.set(init.normal(zeros([this.length]), mean, std).data);
    return this;
  },
  uniform_(this: Float32Array, a = 0, b = 1) {
    this.set(init.uniform(zeros([this.length]), a, b).data);
    return this;
  },
  // makemore's `p.data += -lr * p.grad` (JS has no += on arrays): p.data.add_(p.grad, {alpha: -lr}).
  add_(this: Float32Array, other: Tensor | ArrayLike<number> | number, alpha?: number | { alpha?: number }) {
    return updateArray(this, 'add_', other, alphaArg('.data.add_', alpha));
  },
  sub_(this: Float32Array, other: Tensor | ArrayLike<number> | number, alpha?: number | { alpha?: number }) {
    return updateArray(this, 'sub_', other, -alphaArg('.data.sub_', alpha));
  },
  mul_(this: Float32Array, other: Tensor | ArrayLike<number> | number) {
    if (typeof other === 'number') {
      for (let i = 0; i < this.length; i++) this[i] *= other;
      return this;
    }
    const d = arrayOperand('mul_', this, other);
    for (let i = 0; i < this.length; i++) this[i] *= d[i];
    return this;
  },
  copy_(this: Float32Array, src: Tensor | ArrayLike<number>) {
    const d = src instanceof Tensor ? src.data : src;
    if (d === null || typeof d !== 'object' || typeof (d as ArrayLike<number>).length !== 'number') throw new Error(`.data.copy_(): src must be a Tensor or an array, got ${String(src)}`);
    if (d.length !== this.length) throw new Error(`.data.copy_(): src has ${d.length} elements, this storage ${this.length}`);
    this.set(d);
    return this;
  },
};
for (const proto of [Float32Array.prototype, Float64Array.prototype]) {
  for (const [name, fn] of Object.entries(arrayMethods)) {
    if (!Object.prototype.hasOwnProperty.call(proto, name)) Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}
