import type { Tensor } from '../tensor.js';
import { K } from '../kernels/index.js';
import type { AdamArgs, FloatArray } from '../kernels/types.js';
import { checkBool } from '../options.js';
import { KernelOptimizer, checkRange, withDefaults, type ParamGroup, type ParamGroupSpec } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  /** Ascend the objective: step along +g (PyTorch ≥ 1.11's maximize; keyword only). */
  maximize?: boolean;
}

function validate(name: string, o: Required<AdamOptions>): void {
  if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new Error(`${name}: betas must be a pair [β₁, β₂], got ${JSON.stringify(o.betas)}`);
  checkRange(name, 'betas[0]', o.betas[0], 0, 1);
  checkRange(name, 'betas[1]', o.betas[1], 0, 1);
  if (!(typeof o.eps === 'number' && o.eps >= 0 && Number.isFinite(o.eps))) throw new Error(`${name}: eps must be a finite number ≥ 0, got ${o.eps}`);
  checkRange(name, 'weightDecay', o.weightDecay, 0, Infinity);
  checkBool(name, 'maximize', o.maximize);
}

/**
 * Adam (Kingma & Ba 2015), exactly torch.optim.Adam: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
 * p ← p − (η/(1−β₁ᵗ))·m/(√v/√(1−β₂ᵗ) + ε). Defaults lr 1e-3, betas (0.9, 0.999), ε 1e-8 added
 * AFTER the square root of the bias-corrected v (Keras uses 1e-7), weightDecay as an L2 term
 * added to g; amsgrad keeps the running maximum of v (Reddi et al. 2018).
 */
export class Adam extends KernelOptimizer<AdamOptions, AdamArgs> {
  /** PyTorch's defaults (torch.optim.Adam); an option not given takes its value from here. */
  static readonly defaults: Readonly<Required<AdamOptions>> = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };
  /** The name messages use before the instance exists (typeName is an instance getter). */
  static readonly optimizerName: string = 'Adam';
  /** Decoupled weight decay (AdamW); 0 for Adam. */
  protected decoupled = false;

  /** The options as one object, or positionally in PyTorch's order: `new Adam(params, 1e-3, [0.9, 0.99])` (lr, betas, eps, weightDecay, amsgrad). */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<AdamOptions>>, options: AdamOptions | number = {}, ...rest: unknown[]) {
    // new.target: AdamW's defaults when an AdamW is built.
    const o = withDefaults((new.target as typeof Adam).optimizerName, (new.target as typeof Adam).defaults, options, rest, ['lr', 'betas', 'eps', 'weightDecay', 'amsgrad']) as Required<AdamOptions>;
    super(params, o, undefined, 'Adam');
    for (const g of this.groups) this.checkGroupOptions(g.options);
  }

  protected override checkGroupOptions(options: AdamOptions): void {
    validate(this.typeName, options as Required<AdamOptions>);
  }

  get typeName(): string {
    return 'Adam';
  }

  protected override bufferNames(group: ParamGroup<AdamOptions>): { keeps: readonly string[]; may: readonly string[] } {
    return { keeps: group.options.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'], may: ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] };
  }

  protected argsOf(p: Tensor, grad: Tensor, group: ParamGroup<AdamOptions>, i: number, out?: AdamArgs): AdamArgs {
    const o = group.options as Required<AdamOptions>;
    const a = out ?? ({} as AdamArgs);
    a.param = p.data;
    a.grad = grad.data;
    a.m = this.buffer(i, 'exp_avg', p);
    a.v = this.buffer(i, 'exp_avg_sq', p);
    a.vMax = o.amsgrad ? this.buffer(i, 'max_exp_avg_sq', p) : null;
    a.lr = group.lr;
    a.beta1 = o.betas[0];
    a.beta2 = o.betas[1];
    a.eps = o.eps;
    a.weightDecay = this.decoupled ? 0 : o.weightDecay;
    a.decoupledWeightDecay = this.decoupled ? o.weightDecay : 0;
    a.step = this.paramSteps[i];
    return a;
  }

  protected runOne(args: AdamArgs): void {
    K.adamStep(args);
  }

  protected runAll(args: readonly AdamArgs[], save: readonly (FloatArray | null)[]): boolean {
    return K.adamSteps(args, save);
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019), exactly torch.optim.AdamW: p ← p·(1 − η·λ) before the
 * Adam update, instead of adding λp to the gradient. Default weightDecay 1e-2, as PyTorch.
 */
export class AdamW extends Adam {
  static override readonly defaults: Readonly<Required<AdamOptions>> = { ...Adam.defaults, weightDecay: 1e-2 };
  static override readonly optimizerName: string = 'AdamW';
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<AdamOptions>>, options: AdamOptions | number = {}, ...rest: unknown[]) {
    super(params, options, ...rest);
    this.decoupled = true;
  }
  override get typeName(): string {
    return 'AdamW';
  }
}
