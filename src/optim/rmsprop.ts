import type { Tensor } from '../tensor.js';
import { K } from '../kernels/index.js';
import { Optimizer, checkRange, type ParamGroup } from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

/**
 * RMSprop (Hinton, Coursera lecture 6e), exactly torch.optim.RMSprop: v ← αv + (1−α)g²;
 * centred: ḡ ← αḡ + (1−α)g and v̂ = v − ḡ²; p ← p − η·g/(√v̂ + ε), or through a momentum
 * buffer. Defaults lr 1e-2, α 0.99, ε 1e-8 (PyTorch's).
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Iterable<Tensor>, options: RMSpropOptions = {}) {
    super(params, options, 1e-2, 'RMSprop');
    checkRange('RMSprop', 'alpha', options.alpha ?? 0.99, 0, 1, true);
    checkRange('RMSprop', 'momentum', options.momentum ?? 0, 0, Infinity);
    checkRange('RMSprop', 'weightDecay', options.weightDecay ?? 0, 0, Infinity);
    if (!((options.eps ?? 1e-8) >= 0)) throw new Error(`RMSprop: eps must be ≥ 0, got ${options.eps}`);
  }

  get typeName(): string {
    return 'RMSprop';
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<RMSpropOptions>, i: number): void {
    const o = group.options;
    const momentum = o.momentum ?? 0;
    K.rmspropStep({
      param: p.data,
      grad: grad.data,
      squareAvg: this.buffer(i, 'square_avg', p),
      gradAvg: o.centered ? this.buffer(i, 'grad_avg', p) : null,
      momentumBuf: momentum > 0 ? this.buffer(i, 'momentum_buffer', p) : null,
      lr: group.lr,
      alpha: o.alpha ?? 0.99,
      eps: o.eps ?? 1e-8,
      weightDecay: o.weightDecay ?? 0,
      momentum,
    });
  }
}
