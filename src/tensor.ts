/**
 * Tensor: a shape, a flat row-major Float32Array (Float64Array for gradcheck), an optional
 * gradient, and the node of the op that made it. Storage is always contiguous; ops that
 * need another layout (transposed matmul operands) ask the kernels for it instead of
 * materialising copies.
 */
import { formatTensor } from './format.js';
import { backward, record, type BackwardOptions, type Node } from './autograd.js';
import { K, alloc, allocShape, dtypeOf } from './kernels/index.js';
import type { DType, FloatArray } from './kernels/types.js';
import { defaultGenerator, type Generator } from './random.js';
import { bornMoved, isPersistentArray, markPersistent, maybeBoundary, startsMoved, track, untrack } from './memory.js';
import { checkBool, checkOptions } from './options.js';
import { addHook, type RemovableHandle } from './hooks.js';

export type { DType, FloatArray } from './kernels/types.js';

export type NestedArray = number | NestedArray[];

/**
 * A dtype as options and to()/type() take it: gradlab's, PyTorch's aliases ('float', 'double'),
 * or an integer type ('int64'/'long', 'int32'/'int'), whose values gradlab keeps as float32
 * holding integers (labels, indices; exact up to 2^24), truncated toward zero as PyTorch converts.
 */
export type DTypeName = DType | 'float' | 'double' | 'int64' | 'long' | 'int32' | 'int';

export interface TensorOptions {
  requiresGrad?: boolean;
  dtype?: DTypeName;
  /** PyTorch's `device=device`: 'cpu', gradlab's only device, is accepted and changes nothing. */
  device?: 'cpu';
}

const TENSOR_OPTIONS = ['requiresGrad', 'dtype', 'device'] as const;

/** A creation function's options: the names (checkOptions) and the device, which can only be the CPU. */
function checkTensorOptions(where: string, options: unknown, allowed: readonly string[] = TENSOR_OPTIONS): void {
  checkOptions(where, options, allowed);
  const device = (options as TensorOptions | undefined)?.device;
  if (device !== undefined && parseDtype(where, device) !== null) throw new Error(`${where}: device '${String(device)}' is a dtype; the device can only be 'cpu' (or left out)`);
}
const RANDOM_OPTIONS = [...TENSOR_OPTIONS, 'generator'] as const;

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function checkShape(shape: readonly number[], where: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${where}: invalid shape ${formatShape(shape)} (dimensions must be non-negative integers)`);
  }
}

/**
 * The dtype a `to()`/`type()` argument or a `dtype` option names, PyTorch's aliases included
 * ('float' and 'double' for float32 and float64); 'integer' for an integer type (see DTypeName);
 * null for the device 'cpu' (gradlab's only one: a no-op, as `model.to('cpu')` in PyTorch).
 * Anything else — 'cuda', 'float16' — is an error naming it.
 */
export function parseDtype(where: string, spec: unknown): DType | 'integer' | null {
  switch (spec) {
    case 'float32': case 'float': return 'float32';
    case 'float64': case 'double': return 'float64';
    case 'int64': case 'long': case 'int32': case 'int': return 'integer';
    case 'cpu': return null;
  }
  // PyTorch's spellings: torch.float, torch.float64, and the type names x.type() returns ('torch.FloatTensor').
  const torchName = typeof spec === 'string' ? /^torch\.(?:(float32|float|float64|double|int64|long|int32|int)|(Float|Double|Long|Int)Tensor)$/.exec(spec) : null;
  if (torchName) return parseDtype(where, torchName[1] ?? torchName[2].toLowerCase());
  if (typeof spec === 'string' && /^(torch\.)?(cuda|mps|xpu|meta)/.test(spec)) {
    throw new Error(`${where}: gradlab has no '${spec}' device: it runs on the CPU (WebAssembly SIMD kernels), so leave out .to(device) or use 'cpu'`);
  }
  throw new Error(`${where}: expected a dtype ('float32' or 'float', 'float64' or 'double', 'int64' or 'long', 'int32' or 'int') or the device 'cpu', got ${typeof spec === 'string' ? `'${spec}'` : typeof spec === 'object' && spec !== null ? JSON.stringify(spec) : String(spec)}`);
}

/** The storage of a creation function's `dtype` option (integer types: float32, see DTypeName), and whether to truncate. */
function storageOf(where: string, spec: DTypeName | undefined, fallback: DType, requiresGrad?: boolean): { dtype: DType; integer: boolean } {
  if (spec === undefined) return { dtype: fallback, integer: false };
  const d = parseDtype(where, spec);
  if (d === null) throw new Error(`${where}: 'cpu' is a device, not a dtype; leave it out (the CPU is gradlab's only device)`);
  // As PyTorch: integers have no gradient (a step of lr·g would leave the integers).
  if (d === 'integer' && requiresGrad === true) throw new Error(`${where}: only floating-point tensors can require gradients, not dtype '${spec}'`);
  return d === 'integer' ? { dtype: 'float32', integer: true } : { dtype: d, integer: false };
}

export class Tensor {
  /** @internal The storage; read and write it as `data`. */
  _data: FloatArray;
  readonly shape: number[];
  /** @internal Whether gradients flow to this tensor; read and set it as `requiresGrad`. */
  _requiresGrad: boolean;
  /** @internal The gradient as stored; read `grad` (which resolves a pending zero) outside autograd. */
  _grad: Tensor | null = null;
  /**
   * @internal Set by zeroGradInPlace(): `_grad` holds stale values that count as zeros. The
   * `grad` getter zero-fills it on first read; backward() instead overwrites it (β = 0, see
   * GradTarget), so a training step never pays a separate pass to zero it.
   */
  _gradZeroPending = false;
  /**
   * @internal Storage of a gradient set to null by zeroGrad() that nobody outside gradlab can
   * reach: the next backward writes the new gradient into it (β = 0) instead of taking fresh
   * memory, so `zeroGrad()` (set to none, PyTorch's default) costs nothing per step.
   */
  _gradSpare: FloatArray | null = null;
  /** @internal This tensor was handed to user code as some parameter's `.grad` (see zeroGrad). */
  _exposed = false;
  /** @internal Storage stays in wasm memory across step boundaries (src/memory.ts). */
  _persistent = false;
  /** @internal Storage was moved to a JS array at a step boundary (src/memory.ts). */
  _evicted = false;
  /** @internal dispose() or a stepScope released the storage: using the tensor is an error. */
  _released = false;
  /** @internal In memory.ts's young list and counted towards its budget. */
  _young = false;
  /** The op that produced this tensor, or null for a leaf. */
  node: Node | null = null;
  /** Set by retainGrad(): keep the gradient of a non-leaf tensor. */
  retainsGrad = false;
  /**
   * @internal Set by Sequential.forward on the outputs of its inner layers, which no user code
   * can reach (built-in layers on both sides, not the input, not the result): only the graph
   * references them, so backward() releases their storage when it frees the graph.
   */
  _graphOwned = false;
  /** @internal Gradient hooks (registerHook), in registration order; null when none. */
  _hooks: Array<(grad: Tensor) => Tensor | void | undefined | null> | null = null;
  /** @internal An op recorded in the graph read this tensor: an in-place change would alter what its backward sees (tensor-methods.ts inPlace). */
  _consumed = false;
  /**
   * @internal PyTorch's version counter: in-place methods and optimizer steps add 1. record()
   * keeps the sum over an op's inputs and backward compares it (autograd.ts checkVersions): a
   * weight changed between forward and backward gave gradients of the new weight, silently.
   */
  _version = 0;

  constructor(data: FloatArray, shape: readonly number[], requiresGrad = false) {
    checkShape(shape, 'Tensor');
    if (data.length !== shapeSize(shape)) {
      throw new Error(`Tensor: data has ${data.length} elements but shape ${formatShape(shape)} needs ${shapeSize(shape)}`);
    }
    this._data = data;
    this.shape = shape.slice();
    this._requiresGrad = requiresGrad;
    track(this);
  }

  /** Whether backward() computes a gradient for this tensor (PyTorch's requires_grad). */
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  /**
   * As PyTorch, only a leaf's flag can be changed (`p.requires_grad = True` on makemore's
   * parameters): a tensor an op computed from tensors that require grad has a graph behind it,
   * and turning its flag off would cut that graph without saying so (detach() does that openly).
   */
  set requiresGrad(value: boolean) {
    if (this.node !== null && value !== this._requiresGrad) {
      throw new Error(`requiresGrad: only a leaf's flag can change, and this tensor (shape ${formatShape(this.shape)}) was computed by ${this.node.op}; use t.detach() for a copy outside the graph`);
    }
    this._requiresGrad = value;
  }

  /**
   * Flat row-major storage; may be written in place. For a tensor made during a training step
   * the array is that step's: after the next step boundary (optimizer.step/zeroGrad) read
   * `.data` from the tensor again (src/memory.ts). The tensor itself always stays valid.
   */
  get data(): FloatArray {
    if (this._released) throw releasedError(this);
    return this._data;
  }

  set data(a: FloatArray) {
    if (!(a instanceof Float32Array || a instanceof Float64Array) || a.length !== this._data.length) {
      throw new Error(`Tensor.data: expected a Float32Array or Float64Array of ${this._data.length} elements, got ${a?.constructor?.name ?? typeof a}${a && 'length' in a ? ` of ${a.length}` : ''}`);
    }
    this._data = a;
    this._released = false;
    this._evicted = false;
    if (this._persistent) markPersistent(this);
    else track(this);
  }

  /** ∂L/∂this, accumulated by backward() on leaves (and on tensors that called retainGrad()). */
  get grad(): Tensor | null {
    const g = this._peekGrad();
    if (g !== null) g._exposed = true;
    return g;
  }

  set grad(g: Tensor | null | undefined) {
    // `a.grad = None` is PyTorch's reset; JS code writes null or undefined for it.
    if (g === null || g === undefined) this._dropGrad();
    else {
      // As PyTorch ("assigned grad has data of a different size/type"): an optimizer would read
      // a gradient of another length past its end or short of it.
      if (!(g instanceof Tensor)) throw new Error(`Tensor.grad: must be a Tensor, null or undefined, got ${Array.isArray(g) ? 'an array (make it one with tensor([...]))' : showValue(g)}`);
      if (g.shape.length !== this.shape.length || g.shape.some((d, i) => d !== this.shape[i])) {
        throw new Error(`Tensor.grad: the assigned gradient has shape ${formatShape(g.shape)}, the tensor ${formatShape(this.shape)}`);
      }
      if (g.dtype !== this.dtype) throw new Error(`Tensor.grad: the assigned gradient is ${g.dtype}, the tensor ${this.dtype}`);
      if (this._grad !== null && this._grad !== g) this._dropGrad();
      this._grad = g;
      g._exposed = true;
    }
    this._gradZeroPending = false;
  }

  /** @internal The gradient for library code (optimizers, clipping, monitors): as `grad`, without marking it as handed to the user. */
  _peekGrad(): Tensor | null {
    if (this._gradZeroPending) {
      this._gradZeroPending = false;
      K.fill(this._grad!._data, 0);
    }
    return this._grad;
  }

  /**
   * Set the gradient to null, keeping its wasm storage for the next backward (`_gradSpare`). A
   * gradient tensor the user was given keeps its values: it moves to a JS copy first.
   */
  private _dropGrad(): void {
    const g = this._grad;
    this._grad = null;
    this._gradZeroPending = false;
    if (g === null || g._released || !isPersistentArray(g._data) || g._data.length !== this.size || this._gradSpare !== null) return;
    const d = g._data;
    if (g._exposed) {
      g._data = d.slice();
      g._persistent = false;
    }
    this._gradSpare = d;
  }

  /** @internal Take the spare gradient storage (contents unspecified), if any. */
  _takeGradSpare(): FloatArray | null {
    const s = this._gradSpare;
    this._gradSpare = null;
    return s;
  }

  /**
   * Zero the gradient, keeping its storage (PyTorch's zero_grad(set_to_none=False)). Lazy:
   * the zeros are written when `.grad` is next read, or never, when backward() overwrites
   * the gradient first. No gradient yet: nothing to do.
   */
  zeroGradInPlace(): void {
    if (this._grad !== null) this._gradZeroPending = true;
  }

  get dtype(): DType {
    return dtypeOf(this._data);
  }

  /** Number of elements. */
  get size(): number {
    return this._released ? shapeSize(this.shape) : this._data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** True for tensors not produced by a recorded op. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item(): tensor of shape ${formatShape(this.shape)} has ${this.size} elements, not 1`);
    return this.data[0];
  }

  /**
   * What JSON.stringify writes: `{shape, data}` with every value (float32 values are float64
   * numbers exactly, so the text round-trips bit for bit), and `dtype` when not float32. It is a
   * state-dict entry, so `JSON.stringify({epoch, modelStateDict: model.stateDict(), optimizerStateDict:
   * optimizer.stateDict()})` saves a general checkpoint and `model.loadStateDict(JSON.parse(text).modelStateDict)` loads it.
   */
  toJSON(): { shape: number[]; data: number[]; dtype?: DType } {
    const out: { shape: number[]; data: number[]; dtype?: DType } = { shape: this.shape.slice(), data: Array.from(this.data) };
    if (this.dtype !== 'float32') out.dtype = this.dtype;
    return out;
  }

  /** Backpropagate from this tensor (see autograd.ts): `backward()`, `backward(gradient, {retainGraph})`, `backward({retainGraph: true})`. */
  backward(gradient?: Tensor | null | BackwardOptions, options?: BackwardOptions | boolean): void {
    backward(this, gradient, options);
  }

  /**
   * PyTorch's register_hook: `hook(grad)` runs during backward once this tensor's gradient
   * ∂L/∂this is complete, before it flows further (for a leaf, before it is added to `.grad`);
   * a Tensor it returns (of this shape) replaces the gradient, as `x.registerHook((g) => g.clamp(-1, 1))`.
   * `grad` is the hook's own copy (keeping it is safe); hooks run under noGrad, in registration
   * order. Returns a handle: `handle.remove()`.
   */
  registerHook(hook: (grad: Tensor) => Tensor | void | undefined | null): RemovableHandle {
    if (!this.requiresGrad) throw new Error(`registerHook(): cannot register a hook on a tensor that does not require grad (shape ${formatShape(this.shape)}); make it one with requiresGrad_() first`);
    const list = (this._hooks ??= []);
    return addHook('registerHook()', list, hook, () => {
      if (this._hooks === list) this._hooks = null;
    });
  }

  /** Keep this non-leaf tensor's gradient in `.grad` after backward. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  /** A tensor sharing this one's storage, outside the graph. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /**
   * A copy with its own storage, as torch.clone: recorded, so the gradient of the copy flows back
   * to this tensor (∂L/∂x = ∂L/∂copy); `x.detach().clone()` is a copy outside the graph.
   */
  clone(): Tensor {
    const out = new Tensor(alloc(this.size, this.dtype), this.shape);
    K.copy(this.data, out.data);
    return record(out, 'clone', [this], (g, grad) => {
      const gx = grad(0);
      if (gx) K.axpy(1, g, gx);
    });
  }

  /**
   * Opt-in: give this tensor's storage (and its gradient's) back to the backend now instead of
   * at the next step boundary. Afterwards the tensor must not be used (reading `.data` throws);
   * never dispose a tensor whose storage another tensor shares (a reshape of it), or a
   * parameter. See stepScope() in autograd.ts for the training-loop form.
   */
  dispose(): void {
    if (this._released) return;
    untrack(this);
    if (this._data.length > 0) K.free(this._data);
    this._data = this._data instanceof Float64Array ? new Float64Array(0) : new Float32Array(0);
    this._released = true;
    if (this._grad !== null) this._grad.dispose();
    this._grad = null;
    this._gradZeroPending = false;
    if (this._gradSpare !== null) K.free(this._gradSpare);
    this._gradSpare = null;
  }

  /** Set the gradient to null (as PyTorch's zero_grad(set_to_none=True)). */
  zeroGrad(): void {
    this.grad = null;
  }

  /** The values as nested arrays. */
  toArray(): NestedArray {
    const build = (dim: number, offset: number): NestedArray => {
      if (dim === this.shape.length) return this.data[offset];
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: NestedArray[] = [];
      for (let i = 0; i < this.shape[dim]; i++) out.push(build(dim + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** The values as PyTorch prints them (see format.ts). */
  toString(): string {
    return formatTensor(this);
  }
}

function releasedError(t: Tensor): Error {
  return new Error(
    `This tensor (shape ${formatShape(t.shape)}) was released by dispose() or at the end of a stepScope, so its values are gone. ` +
      'Keep it by passing it to stepScope(fn, [tensor]) or by returning it from fn, or clone() it before it is released.',
  );
}

/** The deepest nesting tensor() reads (PyTorch's tensors have at most 64 dimensions too); deeper would overflow the stack. */
const MAX_DIMS = 64;

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let d: NestedArray = data;
  while (Array.isArray(d)) {
    if (shape.length === MAX_DIMS) throw new Error(`tensor(): nested more than ${MAX_DIMS} levels deep`);
    shape.push(d.length);
    if (d.length === 0) break;
    d = d[0];
  }
  return shape;
}

/** `[i, j, …]` of flat position `k` in `shape`, for messages. */
function indexOf(k: number, shape: readonly number[]): string {
  const idx: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    idx.unshift(k % shape[d]);
    k = Math.floor(k / shape[d]);
  }
  return `[${idx.join(', ')}]`;
}

/** A value as an error message shows it: strings quoted and cut short; null, undefined and numbers as they are; plain objects as short JSON; arrays, functions and other objects by kind. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? v.slice(0, 20) + '…' : v);
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'bigint') return `${v}n (a BigInt: convert it with Number())`;
  if (v === null || v === undefined || typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return 'an array';
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    // A plain object as written ({"p":0.2}: PyTorch's keyword argument where gradlab takes a value).
    let json: string | undefined;
    try {
      json = JSON.stringify(v);
    } catch {
      json = undefined;
    }
    if (json !== undefined) return json.length > 40 ? json.slice(0, 40) + '…' : json;
  }
  return `an object (${v.constructor?.name ?? 'Object'})`;
}

/**
 * An element of user data as a number: numbers as they are (NaN too: it is a float value),
 * booleans as 0/1 as PyTorch's torch.tensor([True]) does; anything else (a string, null, an
 * object) is an error naming the element, not a NaN or a silent coercion of "1".
 */
function element(v: unknown, at: () => string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const hint = v instanceof Tensor ? ' (a list of tensors is joined with stack([...]) or cat([...]))' : ArrayBuffer.isView(v) ? ' (make the rows plain arrays, Array.from(row), or join them with one typed array and a shape)' : '';
  throw new Error(`tensor(): element ${at()} is ${showValue(v)}, not a number${hint}`);
}

/** `path`: the indices of `data` in the nested array (as PyTorch's "at dim" names the depth). */
function flattenInto(data: NestedArray, shape: number[], dim: number, out: FloatArray, pos: { i: number }, path: number[]): void {
  if (dim === shape.length) {
    if (Array.isArray(data)) throw new Error(`tensor(): ragged nested array: element [${path.join(', ')}] is an array, but the first element at that depth is a number`);
    out[pos.i] = element(data, () => indexOf(pos.i, shape));
    pos.i++;
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    const got = Array.isArray(data) ? `has length ${data.length}` : `is ${showValue(data)}, not a list`;
    throw new Error(
      `tensor(): ragged nested array: element [${path.join(', ')}] ${got}, but the first one at depth ${dim} has length ${shape[dim]}: ` +
        `every row must have the same length (pad the short ones, or make one tensor per row)`,
    );
  }
  for (let j = 0; j < data.length; j++) {
    path.push(j);
    flattenInto(data[j] as NestedArray, shape, dim + 1, out, pos, path);
    path.pop();
  }
}

/**
 * Create a tensor from a number, nested arrays, a flat array or a typed array.
 * With a flat source, `shape` gives the layout (default: 1-D).
 */
export function tensor(
  data: NestedArray | ArrayLike<number> | BigInt64Array | Tensor,
  shapeOrOptions?: readonly number[] | TensorOptions,
  options: TensorOptions = {},
): Tensor {
  // A safe point of the automatic memory (src/memory.ts): user code between ops holds tensors, not storage.
  maybeBoundary();
  // tensor(nested, {requiresGrad}) as in PyTorch: an options object where the shape would be.
  const isOptions = typeof shapeOrOptions === 'object' && shapeOrOptions !== null && !('length' in shapeOrOptions);
  const shape = isOptions ? undefined : ((shapeOrOptions ?? undefined) as readonly number[] | undefined);
  if (isOptions) options = shapeOrOptions as TensorOptions;
  checkTensorOptions('tensor()', options, TENSOR_OPTIONS);
  if (shape !== undefined) {
    if (!Array.isArray(shape)) throw new Error(`tensor(): shape must be a list of dimensions such as [2, 3], got ${showValue(shape)}`);
    checkShape(shape, 'tensor()');
  }
  // torch.tensor(t): a copy of t's values, outside the graph.
  if (data instanceof Tensor) return tensor(data.data, shape ?? data.shape, { dtype: data.dtype, ...options });
  const plainNumber = typeof data === 'number' || typeof data === 'boolean';
  const arrayLike = typeof data === 'object' && data !== null && !(data instanceof DataView) && (ArrayBuffer.isView(data) || typeof (data as ArrayLike<number>).length === 'number');
  if (!plainNumber && !arrayLike) {
    const raw = data instanceof ArrayBuffer || data instanceof DataView ? ` (raw bytes: view them as numbers, e.g. new Float32Array(${data instanceof DataView ? 'view.buffer' : 'buffer'}))` : '';
    throw new Error(`tensor(): data must be a number, a (nested) array or a typed array, got ${showValue(data)}${raw}`);
  }
  checkBool('tensor()', 'requiresGrad', options.requiresGrad);
  const { dtype, integer } = storageOf('tensor()', options.dtype, data instanceof Float64Array ? 'float64' : 'float32', options.requiresGrad);
  // The storage is allocated before the data is read: an element that is not a number, a ragged
  // row or a shape that does not fit returns it, as no tensor will own it (no boundary would).
  let out: FloatArray | undefined;
  let outShape: number[];
  let moved = false;
  try {
    if (typeof data === 'number' || typeof data === 'boolean') {
      outShape = shape ? shape.slice() : [];
      out = allocShape('tensor()', outShape, dtype);
      if (out.length !== 1) throw new Error(`tensor(): a number gives one element, but shape ${formatShape(outShape)} needs ${out.length}`);
      out[0] = element(data, () => '');
    } else if (Array.isArray(data) && data.some((x) => Array.isArray(x))) {
      const inferred = inferShape(data as NestedArray);
      out = allocShape('tensor()', inferred, dtype);
      flattenInto(data as NestedArray, inferred, 0, out, { i: 0 }, []);
      outShape = inferred;
      if (shape && shapeSize(shape) !== out.length) {
        throw new Error(`tensor(): nested data of shape ${formatShape(inferred)} cannot take shape ${formatShape(shape)}`);
      }
      if (shape) outShape = shape.slice();
    } else {
      const flat = data as ArrayLike<number>;
      outShape = shape ? shape.slice() : [flat.length];
      checkShape(outShape, 'tensor()');
      if (shapeSize(outShape) !== flat.length) {
        throw new Error(`tensor(): ${flat.length} values cannot take shape ${formatShape(outShape)} (${shapeSize(outShape)} elements)`);
      }
      // A whole dataset starts in JS memory (memory.ts, startsMoved); anything smaller in the kernels'.
      moved = dtype === 'float32' && startsMoved(flat.length);
      out = moved ? new Float32Array(flat.length) : allocShape('tensor()', outShape, dtype, false);
      // int64 labels (BigInt64Array, as numpy's int64 arrive) convert exactly up to 2^53.
      if (flat instanceof BigInt64Array || flat instanceof BigUint64Array) for (let i = 0; i < flat.length; i++) out[i] = Number((flat as BigInt64Array)[i]);
      else if (ArrayBuffer.isView(flat)) (out as Float32Array).set(flat as unknown as ArrayLike<number>);
      else for (let i = 0; i < flat.length; i++) out[i] = element(flat[i], () => `[${i}]`);
    }
  } catch (e) {
    if (out !== undefined) K.free(out);
    throw e;
  }
  if (integer) for (let i = 0; i < out.length; i++) out[i] = Math.trunc(out[i]);
  const t = new Tensor(out, outShape, options.requiresGrad ?? false);
  return moved ? bornMoved(t) : t;
}

/**
 * A creation function's arguments: a shape array and options (`zeros([2, 3], {requiresGrad})`),
 * or the dimensions one by one as in PyTorch's `torch.zeros(2, 3)`, optionally followed by the
 * options (`zeros(2, 3, {requiresGrad: true})`).
 */
export type ShapeArgs<O> = [shape: readonly number[], options?: O] | number[] | [...dims: number[], options: O];

function shapeArgs<O extends object>(where: string, args: ReadonlyArray<unknown>, allowed: readonly string[] = TENSOR_OPTIONS): [number[], O] {
  let shape: unknown = args[0];
  let options: unknown = args[1];
  if (typeof args[0] === 'number') {
    const last = args[args.length - 1];
    const hasOptions = typeof last === 'object' && last !== null;
    shape = args.slice(0, hasOptions ? -1 : args.length);
    options = hasOptions ? last : undefined;
  } else if (args.length > 2) {
    throw new Error(`${where}: expected (shape, options) or the dimensions one by one, got ${args.length} arguments`);
  }
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) {
    throw new Error(`${where}: expected a shape such as [2, 3] (or the dimensions, ${where.replace('()', '')}(2, 3)), got ${shape === null ? 'null' : typeof shape}`);
  }
  const dims = Array.from(shape as ArrayLike<unknown>) as number[];
  checkTensorOptions(where, options, allowed);
  checkShape(dims, where);
  return [dims, (options ?? {}) as O];
}

export function zeros(...args: ShapeArgs<TensorOptions>): Tensor {
  const [shape, options] = shapeArgs<TensorOptions>('zeros()', args);
  return zerosFor('zeros()', shape, options);
}

/** Zeros of a checked shape; `where` is the creation function an error names. */
function zerosFor(where: string, shape: number[], options: TensorOptions): Tensor {
  checkBool(where, 'requiresGrad', options.requiresGrad);
  return new Tensor(allocShape(where, shape, storageOf(where, options.dtype, 'float32', options.requiresGrad).dtype), shape, options.requiresGrad ?? false);
}

export function full(shape: readonly number[], value: number, options: TensorOptions = {}): Tensor {
  const [dims, opts] = shapeArgs<TensorOptions>('full()', [shape, options]);
  // As torch.full: a number (NaN and ±Infinity too) or a boolean; a string or null was filled in as NaN or 0.
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`full(): fillValue must be a number, got ${showValue(value)}`);
  const t = zerosFor('full()', dims, opts);
  K.fill(t.data, Number(value));
  return t;
}

export function ones(...args: ShapeArgs<TensorOptions>): Tensor {
  const [shape, options] = shapeArgs<TensorOptions>('ones()', args);
  const t = zerosFor('ones()', shape, options);
  K.fill(t.data, 1);
  return t;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

/** Samples of N(0, 1). */
export function randn(...args: ShapeArgs<RandomOptions>): Tensor {
  const [shape, options] = shapeArgs<RandomOptions>('randn()', args, RANDOM_OPTIONS);
  const t = zerosFor('randn()', shape, options);
  const g = options.generator ?? defaultGenerator;
  for (let i = 0; i < t.size; i++) t.data[i] = g.normal();
  return t;
}

/** Samples of U[0, 1). */
export function rand(...args: ShapeArgs<RandomOptions>): Tensor {
  const [shape, options] = shapeArgs<RandomOptions>('rand()', args, RANDOM_OPTIONS);
  const t = zerosFor('rand()', shape, options);
  const g = options.generator ?? defaultGenerator;
  for (let i = 0; i < t.size; i++) t.data[i] = g.random();
  return t;
}

/**
 * Integers drawn uniformly from [low, high), as torch.randint(low, high, size, generator=g) (or
 * randint(high, size), low 0): `randint(0, n, [32], {generator: g})`. Held as float values, as
 * gradlab keeps indices; PyTorch's draws differ (another generator), their distribution does not.
 */
export function randint(...args: [low: number, high: number, size: readonly number[], options?: RandomOptions] | [high: number, size: readonly number[], options?: RandomOptions]): Tensor {
  const [low, high, size, options = {}] = (typeof args[1] === 'number' ? args : [0, ...args]) as [number, number, readonly number[], RandomOptions?];
  for (const [k, v] of [['low', low], ['high', high]] as const) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`randint(): ${k} must be an integer, got ${showValue(v)}`);
  }
  if (high <= low) throw new Error(`randint(): high must be greater than low, got low ${low} and high ${high} (the range [low, high) is empty)`);
  if (!Array.isArray(size)) throw new Error(`randint(): size must be a shape array such as [32] (PyTorch's tuple (32,)), got ${showValue(size)}`);
  const [shape, opts] = shapeArgs<RandomOptions>('randint()', [size, options], RANDOM_OPTIONS);
  if (opts.requiresGrad === true) throw new Error('randint(): integers cannot require gradients (requiresGrad: true)');
  const t = zerosFor('randint()', shape, opts);
  const g = opts.generator ?? defaultGenerator;
  for (let i = 0; i < t.size; i++) t.data[i] = low + g.int(high - low);
  return t;
}

/**
 * torch.multinomial(input, num_samples, replacement=False, generator=g): for each row of `input`
 * (1-D, or 2-D: one draw per row) `numSamples` category indices drawn with probability ∝ the row's
 * non-negative weights (not necessarily normalised), without replacement unless `replacement`;
 * makemore's sampling loop `ix = torch.multinomial(probs, 1, {generator: g}).item()`. Outside the graph.
 */
export function multinomial(input: Tensor, numSamples: number, replacement: boolean | { replacement?: boolean; generator?: Generator } = false, options: { generator?: Generator } = {}): Tensor {
  if (!(input instanceof Tensor)) throw new Error(`multinomial(): input must be a Tensor of probabilities, got ${showValue(input)}`);
  if (typeof replacement === 'object' && replacement !== null) [replacement, options] = [replacement.replacement ?? false, replacement];
  for (const k of Object.keys(options)) if (k !== 'generator' && k !== 'replacement') throw new Error(`multinomial(): unknown option '${k}' (allowed: replacement, generator)`);
  if (typeof replacement !== 'boolean') throw new Error(`multinomial(): replacement must be true or false, got ${showValue(replacement)}`);
  if (input.ndim !== 1 && input.ndim !== 2) throw new Error(`multinomial(): input must be 1-D or 2-D (one distribution per row), got shape ${formatShape(input.shape)}`);
  const k = input.shape[input.ndim - 1];
  const rows = input.ndim === 2 ? input.shape[0] : 1;
  if (!Number.isInteger(numSamples) || numSamples < 1) throw new Error(`multinomial(): numSamples must be a positive integer, got ${showValue(numSamples)}`);
  if (!replacement && numSamples > k) throw new Error(`multinomial(): cannot draw ${numSamples} samples without replacement from ${k} categories (give replacement: true)`);
  const g = options.generator ?? defaultGenerator;
  const out = new Tensor(alloc(rows * numSamples), input.ndim === 2 ? [rows, numSamples] : [numSamples]);
  const w = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let j = 0; j < k; j++) {
      const v = input.data[r * k + j];
      if (!(v >= 0) || v === Infinity) throw new Error(`multinomial(): probabilities must be finite and non-negative, got ${v} at ${input.ndim === 2 ? `[${r}, ${j}]` : `[${j}]`}`);
      w[j] = v;
      total += v;
    }
    for (let s = 0; s < numSamples; s++) {
      if (!(total > 0)) throw new Error(`multinomial(): ${s === 0 ? `row ${r} sums to 0` : `row ${r} has only ${s} non-zero categories for ${numSamples} samples without replacement`}`);
      let u = g.random() * total;
      let j = 0;
      while (j < k - 1 && (u >= w[j] || w[j] === 0)) u -= w[j++];
      while (w[j] === 0) j--; // rounding at the top end: the last category with weight
      out.data[r * numSamples + s] = j;
      if (!replacement) {
        total -= w[j];
        w[j] = 0;
      }
    }
  }
  return out;
}

/** The argument of a *Like function must be a Tensor (an array has no shape to copy). */
function assertLike(where: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${where}: expected a Tensor whose shape and dtype to copy, got ${Array.isArray(t) ? 'an array (make it a tensor first, or give the shape to the function without Like)' : showValue(t)}`);
}

/** A *Like function: `make` over `t`'s shape, with `t`'s dtype unless the options give another. */
function like<O extends TensorOptions>(where: string, t: Tensor, options: O, allowed: readonly string[], make: (shape: readonly number[], options: O) => Tensor): Tensor {
  assertLike(where, t);
  checkTensorOptions(where, options, allowed);
  return make(t.shape, { dtype: t.dtype, ...options });
}

/** Zeros of `t`'s shape and dtype (torch.zeros_like). */
export function zerosLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return like('zerosLike()', t, options, TENSOR_OPTIONS, (shape, o) => zeros(shape, o));
}

/** Ones of `t`'s shape and dtype (torch.ones_like). */
export function onesLike(t: Tensor, options: TensorOptions = {}): Tensor {
  return like('onesLike()', t, options, TENSOR_OPTIONS, (shape, o) => ones(shape, o));
}

/** Samples of N(0, 1) in `t`'s shape and dtype (torch.randn_like). */
export function randnLike(t: Tensor, options: RandomOptions = {}): Tensor {
  return like('randnLike()', t, options, RANDOM_OPTIONS, (shape, o) => randn(shape, o));
}

/** Samples of U[0, 1) in `t`'s shape and dtype (torch.rand_like). */
export function randLike(t: Tensor, options: RandomOptions = {}): Tensor {
  return like('randLike()', t, options, RANDOM_OPTIONS, (shape, o) => rand(shape, o));
}

/** start, start + step, … up to but excluding end (torch.arange); `arange(n)` is 0 … n − 1. */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  checkTensorOptions('arange()', options, TENSOR_OPTIONS);
  if (end === undefined) [start, end] = [0, start];
  for (const [k, v] of [['start', start], ['end', end], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`arange(): ${k} must be a finite number, got ${String(v)}`);
  }
  if (step === 0) throw new Error('arange(): step must be non-zero');
  if ((end - start) * step < 0) throw new Error(`arange(): end ${end} cannot be reached from start ${start} with step ${step}`);
  const n = Math.ceil((end - start) / step);
  const t = zerosFor('arange()', [n], options);
  for (let i = 0; i < n; i++) t.data[i] = start + i * step;
  return t;
}

/** `steps` evenly spaced values from start to end, both included (torch.linspace). */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  checkTensorOptions('linspace()', options, TENSOR_OPTIONS);
  if (!Number.isFinite(start) || !Number.isFinite(end)) throw new Error(`linspace(): start and end must be finite numbers, got ${String(start)} and ${String(end)}`);
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`linspace(): steps must be an integer ≥ 0, got ${String(steps)}`);
  const t = zerosFor('linspace()', [steps], options);
  // As PyTorch: the first half counts up from start, the second down from end, so both ends are exact.
  const h = steps > 1 ? (end - start) / (steps - 1) : 0;
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) t.data[i] = i < half || steps === 1 ? start + i * h : end - (steps - 1 - i) * h;
  return t;
}

/** Integer class labels stored as float values, as gradlab's loss functions expect. */
export function labels(values: ArrayLike<number>): Tensor {
  return tensor(values, [values.length]);
}
