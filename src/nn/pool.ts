/**
 * Pooling and flattening modules over NCHW input, as torch.nn.MaxPool2d, AvgPool2d,
 * AdaptiveAvgPool2d and Flatten (ops/pool.ts for the formulas). None has parameters.
 */
import { layerEntry } from '../memory.js';
import { pair, type Size2d } from '../ops/conv.js';
import { adaptiveAvgPool2d, adaptiveOutputSize, avgPool2d, maxPool2d } from '../ops/pool.js';
import { assertTensor, normDim, showSize } from '../ops/util.js';
import { flatten, reshape } from '../ops/view.js';
import { formatShape, showValue, type Tensor } from '../tensor.js';
import { Module } from './module.js';
import { checkBool, keywordArgs } from '../options.js';

/** PyTorch's keyword arguments of the pooling layers, in camelCase. */
export interface PoolKeywords {
  kernelSize?: Size2d;
  stride?: Size2d | null;
  padding?: Size2d;
  dilation?: Size2d;
  /** ⌈⌉ instead of ⌊⌋ in the output size (PyTorch's ceil_mode): a last, partial window. */
  ceilMode?: boolean;
  /** AvgPool2d: whether padded zeros count in the divisor (PyTorch's count_include_pad, default true). */
  countIncludePad?: boolean;
  /** AvgPool2d: the divisor of every window's sum, in place of its size (PyTorch's divisor_override). */
  divisorOverride?: number | null;
}

/** Validates pooling options when the layer is built, with the layer's name in the message. */
function checkPool(layer: string, kernelSize: Size2d, stride: Size2d | null, padding: Size2d, dilation: Size2d = 1): void {
  const k = pair(layer, 'kernelSize', kernelSize, 1);
  if (stride !== null) pair(layer, 'stride', stride, 1);
  const p = pair(layer, 'padding', padding, 0);
  pair(layer, 'dilation', dilation, 1);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) throw new Error(`${layer}: padding ${p[0]}×${p[1]} must be at most half the kernel size ${k[0]}×${k[1]}`);
}

/** torch.nn.MaxPool2d(kernelSize, stride = kernelSize, padding = 0, dilation = 1, {ceilMode = false}). */
export class MaxPool2d extends Module {
  readonly kernelSize: Size2d;
  readonly stride: Size2d | null;
  readonly padding: Size2d;
  readonly dilation: Size2d;
  readonly ceilMode: boolean;
  /**
   * Positionally as PyTorch, its keywords as a last object: `new nn.MaxPool2d({kernelSize: 2, stride: 2})`,
   * `new nn.MaxPool2d(3, {stride: 2, ceilMode: true})`; positionally PyTorch's return_indices
   * comes before ceilMode, and only false is taken (the indices are not returned).
   */
  constructor(
    kernelSize: Size2d | PoolKeywords,
    stride?: Size2d | null | PoolKeywords,
    padding?: Size2d | PoolKeywords,
    dilation?: Size2d | PoolKeywords,
    returnIndices?: false | PoolKeywords,
    ceilMode?: boolean | PoolKeywords,
  ) {
    super();
    const [k, st, p, d, ri, ceil] = keywordArgs('MaxPool2d', [kernelSize, stride, padding, dilation, returnIndices, ceilMode], ['kernelSize', 'stride', 'padding', 'dilation', 'returnIndices', 'ceilMode']) as [
      Size2d, Size2d | null | undefined, Size2d | undefined, Size2d | undefined, unknown, boolean | undefined,
    ];
    if (ri !== undefined && ri !== false) throw new Error(`MaxPool2d: returnIndices must be false (gradlab's MaxPool2d returns the values only), got ${showValue(ri)}`);
    [this.kernelSize, this.stride, this.padding, this.dilation] = [k, st ?? null, p ?? 0, d ?? 1];
    checkBool('MaxPool2d', 'ceilMode', ceil);
    this.ceilMode = ceil ?? false;
    checkPool('MaxPool2d', this.kernelSize, this.stride, this.padding, this.dilation);
  }
  override get typeName(): string {
    return 'MaxPool2d';
  }
  forward(x: Tensor): Tensor {
    layerEntry(x);
    return maxPool2d(x, this.kernelSize, this.stride, this.padding, this.dilation, this.ceilMode);
  }
  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride ?? this.kernelSize)}, padding=${JSON.stringify(this.padding)}${this.ceilMode ? ', ceilMode=true' : ''}`;
  }
}

/**
 * torch.nn.AvgPool2d(kernelSize, stride = kernelSize, padding = 0, ceilMode = false,
 * countIncludePad = true, divisorOverride = null): padding counted in the average by default.
 */
export class AvgPool2d extends Module {
  readonly kernelSize: Size2d;
  readonly stride: Size2d | null;
  readonly padding: Size2d;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
  readonly divisorOverride: number | null;
  /** Positionally as PyTorch, its keywords as a last object, as MaxPool2d. */
  constructor(
    kernelSize: Size2d | PoolKeywords,
    stride?: Size2d | null | PoolKeywords,
    padding?: Size2d | PoolKeywords,
    ceilMode?: boolean | PoolKeywords,
    countIncludePad?: boolean | PoolKeywords,
    divisorOverride?: number | null | PoolKeywords,
  ) {
    super();
    const [k, st, p, ceil, count, div] = keywordArgs('AvgPool2d', [kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride], ['kernelSize', 'stride', 'padding', 'ceilMode', 'countIncludePad', 'divisorOverride']) as [
      Size2d, Size2d | null | undefined, Size2d | undefined, boolean | undefined, boolean | undefined, number | null | undefined,
    ];
    [this.kernelSize, this.stride, this.padding] = [k, st ?? null, p ?? 0];
    checkBool('AvgPool2d', 'ceilMode', ceil);
    checkBool('AvgPool2d', 'countIncludePad', count);
    if (div != null && !(Number.isInteger(div) && div > 0)) throw new Error(`AvgPool2d: divisorOverride must be a positive integer (or null), got ${showValue(div)}`);
    [this.ceilMode, this.countIncludePad, this.divisorOverride] = [ceil ?? false, count ?? true, div ?? null];
    checkPool('AvgPool2d', this.kernelSize, this.stride, this.padding);
  }
  override get typeName(): string {
    return 'AvgPool2d';
  }
  forward(x: Tensor): Tensor {
    layerEntry(x);
    return avgPool2d(x, this.kernelSize, this.stride, this.padding, this.ceilMode, this.countIncludePad, this.divisorOverride);
  }
  override extraRepr(): string {
    const extra = `${this.ceilMode ? ', ceilMode=true' : ''}${this.countIncludePad ? '' : ', countIncludePad=false'}${this.divisorOverride === null ? '' : `, divisorOverride=${this.divisorOverride}`}`;
    return `kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride ?? this.kernelSize)}, padding=${JSON.stringify(this.padding)}${extra}`;
  }
}

/** torch.nn.AdaptiveAvgPool2d(outputSize): a number or [h, w] (null keeps that input dimension). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: number | readonly [number | null, number | null]) {
    super();
    adaptiveOutputSize('AdaptiveAvgPool2d', outputSize);
  }
  override get typeName(): string {
    return 'AdaptiveAvgPool2d';
  }
  forward(x: Tensor): Tensor {
    layerEntry(x);
    return adaptiveAvgPool2d(x, this.outputSize);
  }
  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}

/** torch.nn.Flatten(startDim = 1, endDim = −1): merges those dimensions (a view, no copy). */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    for (const [name, v] of [
      ['startDim', startDim],
      ['endDim', endDim],
    ] as const) {
      if (!Number.isInteger(v)) throw new Error(`Flatten: ${name} must be an integer, got ${showValue(v)}`);
    }
  }
  override get typeName(): string {
    return 'Flatten';
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `startDim=${this.startDim}, endDim=${this.endDim}`;
  }
}

/** torch.nn.Unflatten(dim, sizes): dimension `dim` becomes `sizes` (a view; [N, 784] → [N, 1, 28, 28]). */
export class Unflatten extends Module {
  readonly sizes: number[];
  constructor(
    readonly dim: number,
    sizes: readonly number[],
  ) {
    super();
    if (!Number.isInteger(dim)) throw new Error(`Unflatten: dim must be an integer, got ${dim}`);
    if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((v) => Number.isInteger(v) && v >= 1)) {
      throw new Error(`Unflatten: sizes must be a non-empty list of positive integers, got ${showSize(sizes)}`);
    }
    this.sizes = sizes.slice();
  }
  override get typeName(): string {
    return 'Unflatten';
  }
  forward(x: Tensor): Tensor {
    assertTensor(x, 'Unflatten', 'input');
    const d = normDim('Unflatten', this.dim, x.ndim);
    const n = this.sizes.reduce((a, b) => a * b, 1);
    if (x.shape[d] !== n) throw new Error(`Unflatten: dimension ${d} of input ${formatShape(x.shape)} has ${x.shape[d]} values, but sizes ${formatShape(this.sizes)} need ${n}`);
    return reshape(x, [...x.shape.slice(0, d), ...this.sizes, ...x.shape.slice(d + 1)]);
  }
  override extraRepr(): string {
    return `dim=${this.dim}, sizes=${formatShape(this.sizes)}`;
  }
}
