/**
 * BatchNorm1d over [N, C] or [N, C, L] and BatchNorm2d over [N, C, H, W], exactly as
 * torch.nn.BatchNorm1d/2d (one base class, as PyTorch's _BatchNorm; see ops/batchnorm.ts
 * for the formulas). PyTorch's conventions, not Keras': momentum 0.1 is the weight of the NEW
 * batch statistic (Keras: 0.99 on the old value), eps 1e-5 (Keras: 1e-3), running_var stores
 * the unbiased batch variance. momentum = null gives the cumulative average
 * (factor 1/num_batches_tracked).
 */
import { layerEntry } from '../memory.js';
import { assertTensor } from '../ops/util.js';
import { checkBool, checkOptions, pointSnakeCase } from '../options.js';
import { showValue } from '../tensor.js';
import { batchNorm } from '../ops/batchnorm.js';
import { imageLayoutHint } from '../ops/conv.js';
import type { Tensor } from '../tensor.js';
import { Module, Parameter, stateTensor } from './module.js';

export interface BatchNormOptions {
  momentum?: number | null;
  eps?: number;
  affine?: boolean;
  trackRunningStats?: boolean;
}

const BATCHNORM_OPTIONS = Object.keys({ momentum: 1, eps: 1, affine: 1, trackRunningStats: 1 } satisfies Record<keyof BatchNormOptions, 1>);

/** The shared body of BatchNorm1d and BatchNorm2d (PyTorch's _BatchNorm): they differ only in the input rank they accept. */
export abstract class BatchNorm extends Module {
  weight: Parameter | null;
  bias: Parameter | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  numBatchesTracked: Tensor | null;
  readonly numFeatures: number;
  readonly momentum: number | null;
  readonly eps: number;

  /** The options as one object, or positionally in PyTorch's order: `new nn.BatchNorm2d(64, 1e-3, 0.01)` (eps, momentum, affine, trackRunningStats). */
  constructor(numFeatures: number, options?: BatchNormOptions);
  constructor(numFeatures: number, eps: number, momentum?: number | null, affine?: boolean, trackRunningStats?: boolean);
  constructor(numFeatures: number, optionsOrEps: BatchNormOptions | number = {}, ...rest: unknown[]) {
    super();
    let options: BatchNormOptions;
    if (typeof optionsOrEps === 'number') {
      const [momentum, affine, trackRunningStats] = rest as [number | null | undefined, boolean | undefined, boolean | undefined];
      options = { eps: optionsOrEps, momentum, affine, trackRunningStats };
    } else {
      if (rest.length > 0) throw new Error(`${this.typeName}: after an options object there can be no more arguments (got ${rest.length})`);
      checkOptions(this.typeName, optionsOrEps, BATCHNORM_OPTIONS);
      options = optionsOrEps;
    }
    checkBool(this.typeName, 'affine', options.affine);
    checkBool(this.typeName, 'trackRunningStats', options.trackRunningStats);
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new Error(`${this.typeName}: numFeatures must be a positive integer, got ${showValue(numFeatures)}`);
    const momentum = options.momentum === undefined ? 0.1 : options.momentum;
    // typeof first: a Tensor compared with a number converts (Tensor[Symbol.toPrimitive]), and
    // one of several elements throws an error that would not name this option.
    if (momentum !== null && !(typeof momentum === 'number' && momentum >= 0 && momentum <= 1)) throw new Error(`${this.typeName}: momentum must be a number in [0, 1] or null, got ${showValue(momentum)}`);
    const eps = options.eps ?? 1e-5;
    if (!(typeof eps === 'number' && eps > 0)) throw new Error(`${this.typeName}: eps must be a number > 0, got ${showValue(eps)}`);
    this.numFeatures = numFeatures;
    this.momentum = momentum;
    this.eps = eps;
    const affine = options.affine ?? true;
    this.weight = affine ? new Parameter(stateTensor([numFeatures], 1)) : null;
    this.bias = affine ? new Parameter(stateTensor([numFeatures])) : null;
    const track = options.trackRunningStats ?? true;
    this.runningMean = track ? stateTensor([numFeatures]) : null;
    this.runningVar = track ? stateTensor([numFeatures], 1) : null;
    this.numBatchesTracked = track ? stateTensor([]) : null;
  }

  /** The input layouts this class accepts, e.g. ['[N, C]', '[N, C, L]'] (C is numFeatures). */
  protected abstract readonly _layouts: readonly string[];

  forward(x: Tensor): Tensor {
    layerEntry(x);
    assertTensor(x, `${this.typeName}(${this.numFeatures})`, 'input');
    const ranks = this._layouts.map((l) => l.split(',').length);
    if (!ranks.includes(x.ndim) || x.shape[1] !== this.numFeatures) {
      const expected = this._layouts.map((l) => l.replace('C', String(this.numFeatures))).join(' or ');
      throw new Error(`${this.typeName}(${this.numFeatures}): expected input of shape ${expected}, got [${x.shape.join(', ')}]${ranks.includes(4) ? imageLayoutHint(x.shape, this.numFeatures) : ''}`);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      this.numBatchesTracked.data[0] += 1;
      if (this.momentum === null) factor = 1 / this.numBatchesTracked.data[0];
    }
    // Without running statistics, batch statistics are used in eval mode too (as PyTorch).
    const useBatchStats = this.training || this.runningMean === null;
    return batchNorm(x, this.runningMean, this.runningVar, this.weight, this.bias, useBatchStats, factor, this.eps);
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== null}, trackRunningStats=${this.runningMean !== null}`;
  }
}

export class BatchNorm1d extends BatchNorm {
  protected readonly _layouts = ['[N, C]', '[N, C, L]'];

  override get typeName(): string {
    return 'BatchNorm1d';
  }
}

/** Per channel over N·H·W (the kernels see [N, C, H·W]: no permutation). */
export class BatchNorm2d extends BatchNorm {
  protected readonly _layouts = ['[N, C, H, W]'];

  override get typeName(): string {
    return 'BatchNorm2d';
  }
}

// bn.running_mean, bn.num_features, …: errors naming gradlab's spelling (src/options.ts).
pointSnakeCase(BatchNorm, ['numFeatures', 'runningMean', 'runningVar', 'numBatchesTracked']);
