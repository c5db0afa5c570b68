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
import { keywordArgs } from '../options.js';

/** PyTorch's keyword arguments of the pooling layers, in camelCase. */
export interface PoolKeywords {
  kernelSize?: Size2d;
  stride?: Size2d | null;
  padding?: Size2d;
  dilation?: Size2d;
}

/** Validates pooling options when the layer is built, with the layer's name in the message. */
function checkPool(layer: string, kernelSize: Size2d, stride: Size2d | null, padding: Size2d, dilation: Size2d = 1): void {
  const k = pair(layer, 'kernelSize', kernelSize, 1);
  if (stride !== null) pair(layer, 'stride', stride, 1);
  const p = pair(layer, 'padding', padding, 0);
  pair(layer, 'dilation', dilation, 1);
  if (2 * p[0] > k[0] || 2 * p[1] > k[1]) throw new Error(`${layer}: padding ${p[0]}×${p[1]} must be at most half the kernel size ${k[0]}×${k[1]}`);
}

/** torch.nn.MaxPool2d(kernelSize, stride = kernelSize, padding = 0, dilation = 1). */
export class MaxPool2d extends Module {
  readonly kernelSize: Size2d;
  readonly stride: Size2d | null;
  readonly padding: Size2d;
  readonly dilation: Size2d;
  /** Positionally as PyTorch, its keywords as a last object: `new nn.MaxPool2d({kernelSize: 2, stride: 2})`, `new nn.MaxPool2d(3, {stride: 2})`. */
  constructor(kernelSize: Size2d | PoolKeywords, stride?: Size2d | null | PoolKeywords, padding?: Size2d | PoolKeywords, dilation?: Size2d | PoolKeywords) {
    super();
    const [k, st, p, d] = keywordArgs('MaxPool2d', [kernelSize, stride, padding, dilation], ['kernelSize', 'stride', 'padding', 'dilation']) as [Size2d, Size2d | null | undefined, Size2d | undefined, Size2d | undefined];
    [this.kernelSize, this.stride, this.padding, this.dilation] = [k, st ?? null, p ?? 0, d ?? 1];
    checkPool('MaxPool2d', this.kernelSize, this.stride, this.padding, this.dilation);
  }
  override get typeName(): string {
    return 'MaxPool2d';
  }
  forward(x: Tensor): Tensor {
    layerEntry(x);
    return maxPool2d(x, this.kernelSize, this.stride, this.padding, this.dilation);
  }
  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride ?? this.kernelSize)}, padding=${JSON.stringify(this.padding)}`;
  }
}

/** torch.nn.AvgPool2d(kernelSize, stride = kernelSize, padding = 0), padding counted in the average. */
export class AvgPool2d extends Module {
  readonly kernelSize: Size2d;
  readonly stride: Size2d | null;
  readonly padding: Size2d;
  /** Positionally as PyTorch, its keywords as a last object, as MaxPool2d. */
  constructor(kernelSize: Size2d | PoolKeywords, stride?: Size2d | null | PoolKeywords, padding?: Size2d | PoolKeywords) {
    super();
    const [k, st, p] = keywordArgs('AvgPool2d', [kernelSize, stride, padding], ['kernelSize', 'stride', 'padding']) as [Size2d, Size2d | null | undefined, Size2d | undefined];
    [this.kernelSize, this.stride, this.padding] = [k, st ?? null, p ?? 0];
    checkPool('AvgPool2d', this.kernelSize, this.stride, this.padding);
  }
  override get typeName(): string {
    return 'AvgPool2d';
  }
  forward(x: Tensor): Tensor {
    layerEntry(x);
    return avgPool2d(x, this.kernelSize, this.stride, this.padding);
  }
  override extraRepr(): string {
    return `kernelSize=${JSON.stringify(this.kernelSize)}, stride=${JSON.stringify(this.stride ?? this.kernelSize)}, padding=${JSON.stringify(this.padding)}`;
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
