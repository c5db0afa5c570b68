import type { Tensor } from '../tensor.js';
import { Optimizer, checkRange, withDefaults, type ParamGroup, type ParamGroupSpec } from './optimizer.js';

export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
}

/**
 * Adadelta (Zeiler 2012), exactly torch.optim.Adadelta, which PyTorch's examples/mnist trains
 * with (lr 1.0, StepLR γ 0.7): g ← g + λp; v ← ρv + (1−ρ)g²; Δ = √(u + ε)/√(v + ε)·g;
 * u ← ρu + (1−ρ)Δ²; p ← p − η·Δ. Defaults lr 1.0, ρ 0.9, ε 1e-6 (PyTorch's). Buffers under
 * PyTorch's names (square_avg, acc_delta), so a PyTorch checkpoint's optimizer state loads.
 * A plain loop per parameter (in float32, as PyTorch's), not a batched kernel: it is not in the
 * CLI's optimizer registry.
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  /** PyTorch's defaults (torch.optim.Adadelta); an option not given takes its value from here. */
  static readonly defaults: Readonly<Required<AdadeltaOptions>> = { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0 };

  /** The options as one object, or positionally in PyTorch's order (lr, rho, eps, weightDecay). */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<AdadeltaOptions>>, options: AdadeltaOptions | number = {}, ...rest: unknown[]) {
    super(params, withDefaults('Adadelta', Adadelta.defaults, options, rest, ['lr', 'rho', 'eps', 'weightDecay']), undefined, 'Adadelta');
    for (const g of this.groups) this.checkGroupOptions(g.options);
  }

  protected override checkGroupOptions(options: AdadeltaOptions): void {
    const o = options as Required<AdadeltaOptions>;
    checkRange('Adadelta', 'rho', o.rho, 0, 1, true);
    checkRange('Adadelta', 'weightDecay', o.weightDecay, 0, Infinity);
    if (!(typeof o.eps === 'number' && o.eps >= 0 && Number.isFinite(o.eps))) throw new Error(`Adadelta: eps must be a finite number ≥ 0, got ${o.eps}`);
  }

  get typeName(): string {
    return 'Adadelta';
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<AdadeltaOptions>, i: number): void {
    const { rho, eps, weightDecay } = group.options as Required<AdadeltaOptions>;
    const v = this.buffer(i, 'square_avg', p);
    const u = this.buffer(i, 'acc_delta', p);
    const w = p.data;
    const g = grad.data;
    const f = Math.fround;
    for (let j = 0; j < w.length; j++) {
      const gj = weightDecay !== 0 ? f(g[j] + f(weightDecay * w[j])) : g[j];
      v[j] = f(f(v[j] * rho) + f(f(gj * gj) * f(1 - rho)));
      const delta = f(f(f(Math.sqrt(f(u[j] + eps))) / f(Math.sqrt(f(v[j] + eps)))) * gj);
      u[j] = f(f(u[j] * rho) + f(f(delta * delta) * f(1 - rho)));
      w[j] = f(w[j] - f(delta * group.lr));
    }
  }
}
