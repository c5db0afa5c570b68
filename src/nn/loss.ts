/**
 * Loss modules, as torch.nn's: `criterion = new nn.CrossEntropyLoss()` then
 * `criterion.forward(logits, target)`. Each holds its options (reduction, Huber's δ) and calls
 * the function of the same loss in src/loss.ts, where the formulas and gradients live; a loss
 * module has no parameters, so it adds nothing to a state dict.
 *
 * PyTorch's class weights, ignore_index and label smoothing (CrossEntropyLoss, NLLLoss) and
 * pos_weight (BCEWithLogitsLoss) are options in camelCase; a weight Tensor may also come first,
 * as PyTorch's positional `nn.CrossEntropyLoss(weight)`. Other options are refused by name.
 */
import { bce, bceWithLogits, checkLossOption, crossEntropy, huber, klDiv, l1, mse, nllLoss, smoothL1, type LossOptions, type Reduction } from '../loss.js';
import { checkOptions } from '../options.js';
import { Tensor, showValue } from '../tensor.js';
import { Module } from './module.js';

type LossFn = (input: Tensor, target: Tensor, opts: LossOptions & { delta?: number }) => Tensor;

/** PyTorch's `nn.CrossEntropyLoss(weight)`: a Tensor first is the weight, options after it. */
function weightFirst(weight: Tensor | Record<string, unknown>, options: Record<string, unknown>): Record<string, unknown> {
  return weight instanceof Tensor ? { ...options, weight } : weight;
}

abstract class LossModule extends Module {
  readonly reduction: Reduction;
  protected readonly options: LossOptions & { delta?: number };
  protected abstract readonly fn: LossFn;

  constructor(name: string, options: Record<string, unknown>, allowed: readonly string[]) {
    super();
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new Error(`${name}: options must be an object like {reduction: 'mean'}, got ${showValue(options)}`);
    }
    // Every key (PyTorch's ignore_index pointed at ignoreIndex) and every value, at construction.
    checkOptions(name, options, allowed);
    for (const [key, v] of Object.entries(options)) if (v !== undefined) checkLossOption(name, key, v);
    const reduction = (options.reduction ?? 'mean') as Reduction;
    if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
      throw new Error(`${name}: reduction must be 'mean', 'sum' or 'none', got '${String(options.reduction)}'`);
    }
    this.reduction = reduction;
    this.options = { ...(options as LossOptions & { delta?: number }), reduction };
  }

  /** ℓ(input, target), reduced as the module was built to. */
  forward(input: Tensor, target?: Tensor): Tensor {
    if (target === undefined) throw new Error(`${this.typeName}.forward(input, target): the target is missing`);
    return this.fn(input, target, this.options);
  }

  override extraRepr(): string {
    return this.reduction === 'mean' ? '' : `reduction='${this.reduction}'`;
  }
}

/** −log softmax(x)_y on logits [N, C] and class indices [N] (src/loss.ts crossEntropy). */
export class CrossEntropyLoss extends LossModule {
  protected readonly fn: LossFn = crossEntropy;
  constructor(options: Tensor | { reduction?: Reduction; weight?: Tensor | null; ignoreIndex?: number; labelSmoothing?: number } = {}, rest: { reduction?: Reduction; ignoreIndex?: number; labelSmoothing?: number } = {}) {
    super('CrossEntropyLoss', weightFirst(options, rest), ['reduction', 'weight', 'ignoreIndex', 'labelSmoothing']);
  }
  override get typeName(): string {
    return 'CrossEntropyLoss';
  }
}

/** −x_y on log-probabilities [N, C] and class indices [N], after nn.LogSoftmax(1) (src/loss.ts nllLoss). */
export class NLLLoss extends LossModule {
  protected readonly fn: LossFn = nllLoss;
  constructor(options: Tensor | { reduction?: Reduction; weight?: Tensor | null; ignoreIndex?: number } = {}, rest: { reduction?: Reduction; ignoreIndex?: number } = {}) {
    super('NLLLoss', weightFirst(options, rest), ['reduction', 'weight', 'ignoreIndex']);
  }
  override get typeName(): string {
    return 'NLLLoss';
  }
}

/** (x − t)² (src/loss.ts mse). */
export class MSELoss extends LossModule {
  protected readonly fn: LossFn = mse;
  constructor(options: { reduction?: Reduction } = {}) {
    super('MSELoss', options, ['reduction']);
  }
  override get typeName(): string {
    return 'MSELoss';
  }
}

/** |x − t| (src/loss.ts l1). */
export class L1Loss extends LossModule {
  protected readonly fn: LossFn = l1;
  constructor(options: { reduction?: Reduction } = {}) {
    super('L1Loss', options, ['reduction']);
  }
  override get typeName(): string {
    return 'L1Loss';
  }
}

/** Huber with threshold δ (default 1; src/loss.ts huber). */
export class HuberLoss extends LossModule {
  protected readonly fn: LossFn = huber;
  constructor(options: { reduction?: Reduction; delta?: number } = {}) {
    super('HuberLoss', options, ['reduction', 'delta']);
  }
  override get typeName(): string {
    return 'HuberLoss';
  }
  override extraRepr(): string {
    return [super.extraRepr(), this.options.delta === undefined ? '' : `delta=${this.options.delta}`].filter(Boolean).join(', ');
  }
}

/** Binary cross-entropy on logits, the log-sum-exp form (src/loss.ts bceWithLogits). */
export class BCEWithLogitsLoss extends LossModule {
  protected readonly fn: LossFn = bceWithLogits;
  constructor(options: Tensor | { reduction?: Reduction; weight?: Tensor | null; posWeight?: Tensor | null } = {}, rest: { reduction?: Reduction; posWeight?: Tensor | null } = {}) {
    super('BCEWithLogitsLoss', weightFirst(options, rest), ['reduction', 'weight', 'posWeight']);
  }
  override get typeName(): string {
    return 'BCEWithLogitsLoss';
  }
}

/** Binary cross-entropy on probabilities, after nn.Sigmoid (src/loss.ts bce); BCEWithLogitsLoss on the logits is the stable form. */
export class BCELoss extends LossModule {
  protected readonly fn: LossFn = bce;
  constructor(options: Tensor | { reduction?: Reduction; weight?: Tensor | null } = {}, rest: { reduction?: Reduction } = {}) {
    super('BCELoss', weightFirst(options, rest), ['reduction', 'weight']);
  }
  override get typeName(): string {
    return 'BCELoss';
  }
}

/** Smooth L1 with threshold β (default 1; src/loss.ts smoothL1): Huber with δ = β, over β. */
export class SmoothL1Loss extends LossModule {
  protected readonly fn: LossFn = smoothL1;
  constructor(options: { reduction?: Reduction; beta?: number } = {}) {
    super('SmoothL1Loss', options, ['reduction', 'beta']);
  }
  override get typeName(): string {
    return 'SmoothL1Loss';
  }
}

/** KL divergence on log-probabilities (src/loss.ts klDiv); {reduction: 'batchmean'} is the divergence itself. */
export class KLDivLoss extends LossModule {
  protected readonly fn: LossFn = klDiv as LossFn;
  constructor(options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}) {
    const { reduction, ...rest } = options;
    super('KLDivLoss', rest, ['logTarget']);
    // 'batchmean' is KLDivLoss's own reduction; the others are checked as every loss's.
    if (reduction !== undefined && !['mean', 'sum', 'none', 'batchmean'].includes(reduction)) throw new Error(`KLDivLoss: reduction must be 'batchmean', 'mean', 'sum' or 'none', got '${String(reduction)}'`);
    (this as { reduction: Reduction }).reduction = (reduction ?? 'mean') as Reduction;
    this.options.reduction = this.reduction;
  }
  override get typeName(): string {
    return 'KLDivLoss';
  }
}
