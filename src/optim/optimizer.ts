/**
 * Optimizer base: parameter groups with their options, per-parameter state, zeroGrad/step,
 * and a serialisable state for checkpoints. Each optimizer's update rule is one kernel call
 * per parameter (kernels/reference.ts states the formulas).
 */
import { alloc } from '../kernels/index.js';
import type { FloatArray } from '../kernels/types.js';
import { Tensor } from '../tensor.js';
import { stepBoundary } from '../memory.js';

export interface ParamGroup<O> {
  params: Tensor[];
  options: O;
  /** Current learning rate (schedules change it). */
  lr: number;
  /** The learning rate the optimizer started with (schedules scale it). */
  initialLr: number;
}

export interface OptimizerState {
  type: string;
  step: number;
  groups: Array<{ lr: number; initialLr: number }>;
  /** Per-parameter buffers in parameter order, by buffer name. */
  buffers: Array<Record<string, number[]>>;
  /** Steps each parameter has taken (absent in older states: every parameter took `step`). */
  paramSteps?: number[];
}

export abstract class Optimizer<O extends { lr?: number } = { lr?: number }> {
  readonly groups: ParamGroup<O>[];
  /** Calls to step(). */
  stepCount = 0;
  /**
   * Updates applied to each parameter (Adam's t): as in PyTorch, a step on which a parameter
   * has no gradient does not count for it, so its bias correction is not advanced.
   */
  protected paramSteps: number[] = [];
  /** Per-parameter state buffers (momentum, moments), created on first use. */
  private readonly state: Array<Map<string, FloatArray>> = [];

  constructor(params: Iterable<Tensor>, options: O, defaultLr: number | undefined, name: string) {
    const list = [...params];
    if (list.length === 0) throw new Error(`${name}: got an empty parameter list`);
    // As in PyTorch, a parameter with requiresGrad false (a frozen layer) may be passed: it
    // has no gradient, so step() leaves it alone until it is unfrozen.
    list.forEach((p, i) => {
      if (p instanceof Tensor) return;
      if (typeof p === 'object' && p !== null && 'params' in p) {
        throw new Error(`${name}: parameter groups ({params, lr, …}) are not supported: pass one list of parameters (model.parameters()) and the options as the second argument`);
      }
      throw new Error(`${name}: parameter ${i} is not a Tensor (got ${p === null ? 'null' : typeof p})`);
    });
    if (new Set(list).size !== list.length) throw new Error(`${name}: a parameter appears more than once`);
    const lr = options.lr ?? defaultLr;
    if (lr === undefined) throw new Error(`${name}: lr is required`);
    if (!(typeof lr === 'number' && lr >= 0 && Number.isFinite(lr))) throw new Error(`${name}: lr must be a finite number ≥ 0, got ${lr}`);
    this.groups = [{ params: list, options, lr, initialLr: lr }];
  }

  /** The class name ('Adam'), stated by each optimizer so that it survives minifiers; saved in states. */
  abstract get typeName(): string;

  /**
   * The options in effect: each option as given, or the class's `static defaults` where it was
   * not, and the current learning rate. What the Report, model files and the lab record.
   */
  effectiveOptions(): EffectiveOptions<O> {
    const g = this.groups[0];
    const out = { ...g.options, lr: g.lr } as Record<string, unknown>;
    for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) out[k] = v.slice();
    return out as EffectiveOptions<O>;
  }

  /** Every parameter across groups. */
  get params(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** The learning rate of the first group. */
  get lr(): number {
    return this.groups[0].lr;
  }
  set lr(value: number) {
    if (!(value >= 0 && Number.isFinite(value))) throw new Error(`lr must be a finite number ≥ 0, got ${value}`);
    for (const g of this.groups) g.lr = value;
  }

  /**
   * Set gradients to null (PyTorch's set_to_none=True default), or with `setToNone = false`
   * zero the existing gradients in place (PyTorch's zero_grad(set_to_none=False)): the same
   * storage is then reused by every step instead of allocating fresh gradients, which matters
   * with the wasm backend inside a synchronous training loop (see stepScope()). The zeros are
   * lazy (Tensor.zeroGradInPlace): the next backward overwrites the gradient instead.
   */
  zeroGrad(setToNone = true): void {
    for (const p of this.params) {
      if (setToNone) p.zeroGrad();
      else p.zeroGradInPlace();
    }
    stepBoundary();
  }

  /**
   * Apply one update to every parameter that has a gradient. Also a step boundary of the
   * automatic memory (src/memory.ts): the step's tensors leave wasm memory.
   */
  step(): void {
    this.stepCount++;
    let i = 0;
    for (const g of this.groups) {
      for (const p of g.params) {
        const grad = p._peekGrad();
        if (grad !== null) {
          this.paramSteps[i] = (this.paramSteps[i] ?? 0) + 1;
          this.update(p, grad, g, i);
        }
        i++;
      }
    }
    stepBoundary();
  }

  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup<O>, index: number): void;

  /** The buffer `name` of parameter `index`, or undefined before its first use. */
  protected getBuffer(index: number, name: string): FloatArray | undefined {
    return this.state[index]?.get(name);
  }

  /** The buffer `name` of parameter `index`, created zero-filled on first use. */
  protected buffer(index: number, name: string, like: Tensor): FloatArray {
    let m = this.state[index];
    if (!m) this.state[index] = m = new Map();
    let b = m.get(name);
    if (!b) {
      b = alloc(like.size, like.dtype);
      m.set(name, b);
    }
    return b;
  }

  stateDict(): OptimizerState {
    return {
      type: this.typeName,
      step: this.stepCount,
      paramSteps: this.params.map((_, i) => this.paramSteps[i] ?? 0),
      groups: this.groups.map((g) => ({ lr: g.lr, initialLr: g.initialLr })),
      buffers: this.params.map((_, i) => {
        const rec: Record<string, number[]> = {};
        for (const [n, b] of this.state[i] ?? []) rec[n] = Array.from(b);
        return rec;
      }),
    };
  }

  loadStateDict(state: OptimizerState): void {
    if (state.type !== this.typeName) throw new Error(`loadStateDict: state is for ${state.type}, not ${this.typeName}`);
    if (state.buffers.length !== this.params.length) {
      throw new Error(`loadStateDict: state has ${state.buffers.length} parameters, the optimizer ${this.params.length}`);
    }
    if (state.groups.length !== this.groups.length) throw new Error(`loadStateDict: state has ${state.groups.length} groups, the optimizer ${this.groups.length}`);
    state.buffers.forEach((rec, i) => {
      for (const [n, v] of Object.entries(rec)) {
        if (!Array.isArray(v) || v.length !== this.params[i].size) {
          throw new Error(`loadStateDict: buffer '${n}' of parameter ${i} has ${v.length} values, expected ${this.params[i].size}`);
        }
      }
    });
    this.stepCount = state.step;
    this.paramSteps = state.paramSteps ? state.paramSteps.slice() : this.params.map(() => state.step);
    state.groups.forEach((g, i) => {
      this.groups[i].lr = g.lr;
      this.groups[i].initialLr = g.initialLr;
    });
    this.state.length = 0;
    state.buffers.forEach((rec, i) => {
      for (const [n, v] of Object.entries(rec)) this.buffer(i, n, this.params[i]).set(v);
    });
  }
}

/** Every option of O set (the defaults filled in). */
export type EffectiveOptions<O> = { [K in keyof O]-?: Exclude<O[K], undefined> };

/**
 * `options` over `defaults`, where an option left undefined ("not given") keeps its default: the
 * one place an optimizer's defaults are applied, so `{weightDecay: undefined}` means the class's
 * default, never 0 or NaN.
 */
export function withDefaults<O extends object>(defaults: Readonly<O>, options: O | undefined): O {
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? v.slice() : v;
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) out[k] = v.slice();
  return out as O;
}

export function checkRange(where: string, name: string, value: number, lo: number, hi: number, hiInclusive = false): void {
  const ok = typeof value === 'number' && value >= lo && (hiInclusive ? value <= hi : value < hi);
  if (!ok) throw new Error(`${where}: ${name} must be in [${lo}, ${hi}${hiInclusive ? ']' : ')'}, got ${value}`);
}
