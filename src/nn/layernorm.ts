/**
 * torch.nn.LayerNorm(normalizedShape, eps = 1e-5, elementwiseAffine = true): ops.layerNorm over
 * the last dimensions with a learned γ (`weight`, ones) and β (`bias`, zeros) of that shape; no
 * running statistics, so train and eval compute the same.
 */
import { layerEntry } from '../memory.js';
import { layerNorm } from '../ops/layernorm.js';
import { checkBool, keywordArgs } from '../options.js';
import { formatShape, showValue, type Tensor } from '../tensor.js';
import { Module, Parameter, stateTensor } from './module.js';

export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  weight: Parameter | null;
  bias: Parameter | null;
  /** Positionally as PyTorch, its keywords as a last object: `new nn.LayerNorm(64, {eps: 1e-6})`. */
  constructor(
    normalizedShape: number | readonly number[] | { normalizedShape?: number | readonly number[]; eps?: number; elementwiseAffine?: boolean },
    eps?: number | { eps?: number; elementwiseAffine?: boolean },
    elementwiseAffine?: boolean | { elementwiseAffine?: boolean },
  ) {
    super();
    const [shape, e, affine] = keywordArgs('LayerNorm', [normalizedShape, eps, elementwiseAffine], ['normalizedShape', 'eps', 'elementwiseAffine']) as [unknown, number | undefined, boolean | undefined];
    const dims = typeof shape === 'number' ? [shape] : Array.isArray(shape) ? [...(shape as number[])] : null;
    if (dims === null || dims.length === 0 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
      throw new Error(`LayerNorm: normalizedShape must be a positive integer or a non-empty list of them, got ${showValue(shape)}`);
    }
    if (e !== undefined && (typeof e !== 'number' || !(e > 0))) throw new Error(`LayerNorm: eps must be a number > 0, got ${showValue(e)}`);
    checkBool('LayerNorm', 'elementwiseAffine', affine);
    this.normalizedShape = dims;
    this.eps = e ?? 1e-5;
    this.elementwiseAffine = affine ?? true;
    this.weight = this.elementwiseAffine ? new Parameter(stateTensor(dims, 1)) : null;
    this.bias = this.elementwiseAffine ? new Parameter(stateTensor(dims, 0)) : null;
  }
  override get typeName(): string {
    return 'LayerNorm';
  }
  forward(x: Tensor): Tensor {
    layerEntry(x);
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}
