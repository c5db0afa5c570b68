import type { Tensor } from '../tensor.js';
import { Optimizer, checkRange, withDefaults, type ParamGroup, type ParamGroupSpec } from './optimizer.js';

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

/**
 * Adagrad (Duchi, Hazan & Singer 2011), exactly torch.optim.Adagrad: at step t,
 * g ← g + λp; η_t = η/(1 + (t − 1)·lrDecay); s ← s + g²; p ← p − η_t·g/(√s + ε), with s starting
 * at initialAccumulatorValue. Defaults lr 1e-2, lrDecay 0, weightDecay 0, initialAccumulatorValue
 * 0, ε 1e-10 (PyTorch's). The buffer under PyTorch's name (sum), so a PyTorch checkpoint's
 * optimizer state loads. A plain loop per parameter in float32, as Adadelta: not in the CLI's
 * optimizer registry.
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  /** PyTorch's defaults (torch.optim.Adagrad); an option not given takes its value from here. */
  static readonly defaults: Readonly<Required<AdagradOptions>> = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 };

  /** The options as one object, or positionally in PyTorch's order (lr, lrDecay, weightDecay, initialAccumulatorValue, eps). */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<AdagradOptions>>, options: AdagradOptions | number = {}, ...rest: unknown[]) {
    super(params, withDefaults('Adagrad', Adagrad.defaults, options, rest, ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps']), undefined, 'Adagrad');
    for (const g of this.groups) this.checkGroupOptions(g.options);
  }

  protected override checkGroupOptions(options: AdagradOptions): void {
    const o = options as Required<AdagradOptions>;
    checkRange('Adagrad', 'lrDecay', o.lrDecay, 0, Infinity);
    checkRange('Adagrad', 'weightDecay', o.weightDecay, 0, Infinity);
    checkRange('Adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue, 0, Infinity);
    if (!(typeof o.eps === 'number' && o.eps >= 0 && Number.isFinite(o.eps))) throw new Error(`Adagrad: eps must be a finite number ≥ 0, got ${o.eps}`);
  }

  protected override bufferNames(): { keeps: readonly string[]; may: readonly string[] } {
    return { keeps: ['sum'], may: ['sum'] };
  }

  get typeName(): string {
    return 'Adagrad';
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<AdagradOptions>, i: number): void {
    const { lrDecay, weightDecay, initialAccumulatorValue, eps } = group.options as Required<AdagradOptions>;
    const fresh = this.getBuffer(i, 'sum') === undefined;
    const s = this.buffer(i, 'sum', p);
    if (fresh && initialAccumulatorValue !== 0) s.fill(initialAccumulatorValue);
    const step = this.paramSteps[i] ?? 1;
    const f = Math.fround;
    const clr = group.lr / (1 + (step - 1) * lrDecay);
    const w = p.data;
    const g = grad.data;
    for (let j = 0; j < w.length; j++) {
      const gj = weightDecay !== 0 ? f(g[j] + f(weightDecay * w[j])) : g[j];
      s[j] = f(s[j] + f(gj * gj));
      w[j] = f(w[j] - f(f(gj / f(f(Math.sqrt(s[j])) + eps)) * clr));
    }
  }
}
