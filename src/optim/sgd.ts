import type { Tensor } from '../tensor.js';
import { K } from '../kernels/index.js';
import type { FloatArray, SgdArgs } from '../kernels/types.js';
import { checkBool } from '../options.js';
import { KernelOptimizer, checkRange, withDefaults, type ParamGroup, type ParamGroupSpec } from './optimizer.js';

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  /** Ascend the objective: step along +g (PyTorch ≥ 1.11's maximize; keyword only). */
  maximize?: boolean;
}

/**
 * Stochastic gradient descent with optional momentum (Polyak 1964) and Nesterov momentum
 * (Sutskever et al. 2013), exactly torch.optim.SGD: d = g + λp; b ← μb + (1−τ)d (b ← d on the
 * first step); d ← d + μb (Nesterov) or b; p ← p − η·d. lr is required, as in PyTorch.
 */
export class SGD extends KernelOptimizer<SGDOptions, SgdArgs> {
  /** PyTorch's defaults (torch.optim.SGD); lr has none: it is required, as in PyTorch. */
  static readonly defaults: Readonly<Required<Omit<SGDOptions, 'lr'>>> = { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, maximize: false };

  /** The options as one object, or positionally in PyTorch's order: `new SGD(params, 0.01, 0.9)` (lr, momentum, dampening, weightDecay, nesterov). */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<SGDOptions>>, options: SGDOptions | number = {}, ...rest: unknown[]) {
    super(params, withDefaults<SGDOptions>('SGD', SGD.defaults, options, rest, ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov']), undefined, 'SGD');
    for (const g of this.groups) this.checkGroupOptions(g.options);
  }

  protected override checkGroupOptions(options: SGDOptions): void {
    const o = options as Required<SGDOptions>;
    checkRange('SGD', 'momentum', o.momentum, 0, Infinity);
    checkRange('SGD', 'dampening', o.dampening, 0, 1, true);
    checkRange('SGD', 'weightDecay', o.weightDecay, 0, Infinity);
    checkBool('SGD', 'maximize', o.maximize);
    if (o.nesterov && (!(o.momentum > 0) || o.dampening !== 0)) {
      throw new Error('SGD: nesterov requires momentum > 0 and dampening = 0');
    }
  }

  get typeName(): string {
    return 'SGD';
  }

  protected override bufferNames(group: ParamGroup<SGDOptions>): { keeps: readonly string[]; may: readonly string[] } {
    return { keeps: (group.options.momentum ?? 0) !== 0 ? ['momentum_buffer'] : [], may: ['momentum_buffer'] };
  }

  protected argsOf(p: Tensor, grad: Tensor, group: ParamGroup<SGDOptions>, i: number, out?: SgdArgs): SgdArgs {
    const o = group.options as Required<SGDOptions>;
    const momentum = o.momentum;
    const a = out ?? ({} as SgdArgs);
    a.param = p.data;
    a.grad = grad.data;
    a.firstStep = momentum !== 0 && this.getBuffer(i, 'momentum_buffer') === undefined;
    a.buf = momentum !== 0 ? this.buffer(i, 'momentum_buffer', p) : null;
    a.lr = group.lr;
    a.momentum = momentum;
    a.dampening = o.dampening;
    a.nesterov = o.nesterov;
    a.weightDecay = o.weightDecay;
    return a;
  }

  protected runOne(args: SgdArgs): void {
    K.sgdStep(args);
  }

  protected runAll(args: readonly SgdArgs[], save: readonly (FloatArray | null)[]): boolean {
    return K.sgdSteps(args, save);
  }
}
