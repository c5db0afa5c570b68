import type { Tensor } from '../tensor.js';
import { K } from '../kernels/index.js';
import type { FloatArray, RmspropArgs } from '../kernels/types.js';
import { checkBool } from '../options.js';
import { KernelOptimizer, checkRange, withDefaults, type ParamGroup, type ParamGroupSpec } from './optimizer.js';

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  /** Ascend the objective: step along +g (PyTorch ≥ 1.11's maximize). */
  maximize?: boolean;
}

/**
 * RMSprop (Hinton, Coursera lecture 6e), exactly torch.optim.RMSprop: v ← αv + (1−α)g²;
 * centred: ḡ ← αḡ + (1−α)g and v̂ = v − ḡ²; p ← p − η·g/(√v̂ + ε), or through a momentum
 * buffer. Defaults lr 1e-2, α 0.99, ε 1e-8 (PyTorch's).
 */
export class RMSprop extends KernelOptimizer<RMSpropOptions, RmspropArgs> {
  /** PyTorch's defaults (torch.optim.RMSprop); an option not given takes its value from here. */
  static readonly defaults: Readonly<Required<RMSpropOptions>> = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false };

  /** The options as one object, or positionally in PyTorch's order (lr, alpha, eps, weightDecay, momentum, centered). */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<RMSpropOptions>>, options: RMSpropOptions | number = {}, ...rest: unknown[]) {
    super(params, withDefaults('RMSprop', RMSprop.defaults, options, rest, ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered']), undefined, 'RMSprop');
    for (const g of this.groups) this.checkGroupOptions(g.options);
  }

  protected override checkGroupOptions(options: RMSpropOptions): void {
    const o = options as Required<RMSpropOptions>;
    checkRange('RMSprop', 'alpha', o.alpha, 0, 1, true);
    checkRange('RMSprop', 'momentum', o.momentum, 0, Infinity);
    checkRange('RMSprop', 'weightDecay', o.weightDecay, 0, Infinity);
    if (!(typeof o.eps === 'number' && o.eps >= 0 && Number.isFinite(o.eps))) throw new Error(`RMSprop: eps must be a finite number ≥ 0, got ${o.eps}`);
    checkBool('RMSprop', 'maximize', o.maximize);
  }

  get typeName(): string {
    return 'RMSprop';
  }

  protected override bufferNames(group: ParamGroup<RMSpropOptions>): { keeps: readonly string[]; may: readonly string[] } {
    const o = group.options;
    return { keeps: ['square_avg', ...(o.centered ? ['grad_avg'] : []), ...((o.momentum ?? 0) > 0 ? ['momentum_buffer'] : [])], may: ['square_avg', 'grad_avg', 'momentum_buffer'] };
  }

  protected argsOf(p: Tensor, grad: Tensor, group: ParamGroup<RMSpropOptions>, i: number, out?: RmspropArgs): RmspropArgs {
    const o = group.options as Required<RMSpropOptions>;
    const a = out ?? ({} as RmspropArgs);
    a.param = p.data;
    a.grad = grad.data;
    a.squareAvg = this.buffer(i, 'square_avg', p);
    a.gradAvg = o.centered ? this.buffer(i, 'grad_avg', p) : null;
    a.momentumBuf = o.momentum > 0 ? this.buffer(i, 'momentum_buffer', p) : null;
    a.lr = group.lr;
    a.alpha = o.alpha;
    a.eps = o.eps;
    a.weightDecay = o.weightDecay;
    a.momentum = o.momentum;
    return a;
  }

  protected runOne(args: RmspropArgs): void {
    K.rmspropStep(args);
  }

  protected runAll(args: readonly RmspropArgs[], save: readonly (FloatArray | null)[]): boolean {
    return K.rmspropSteps(args, save);
  }
}
