/**
 * Optimizer base: parameter groups with their options, per-parameter state, zeroGrad/step,
 * and a serialisable state for checkpoints. Each optimizer's update rule is a kernel
 * (kernels/reference.ts states the formulas); a step runs it over all parameters in one call.
 */
import { K, alloc } from '../kernels/index.js';
import { stepsOf } from '../kernels/reference.js';
import type { FloatArray } from '../kernels/types.js';
import { Tensor, formatShape, showValue } from '../tensor.js';
import { stepBoundary, zeroGradBoundary } from '../memory.js';
import { checkOptions, keywordArgs, pointSnakeCase, snakeCase } from '../options.js';
import { zeroGradMode } from '../nn/module.js';

/** A parameter group as given (PyTorch's `{'params': …, 'lr': …}`): parameters and option overrides. */
export type ParamGroupSpec<O> = { params: Iterable<Tensor> } & Partial<O>;

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

  /**
   * `params`: a list of parameters, or PyTorch's parameter groups `[{params, lr, …}, …]`, each
   * group's options overriding `options` (which already hold the class's defaults) for its
   * parameters, e.g. a smaller lr for a pretrained body than for a new head.
   */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec<O>>, options: O, defaultLr: number | undefined, name: string) {
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      const what =
        params === null ? 'null'
        : params instanceof Tensor ? 'one Tensor (pass a list: [t])'
        : typeof params === 'object' && typeof (params as { parameters?: unknown }).parameters === 'function' ? 'a Module (pass model.parameters())'
        : typeof params;
      throw new Error(`${name}: params must be a list of parameters (model.parameters()) or of parameter groups [{params, lr, …}], got ${what}`);
    }
    const items = [...(params as Iterable<unknown>)];
    if (items.length === 0) throw new Error(`${name}: got an empty parameter list`);
    const isGroup = (p: unknown): p is ParamGroupSpec<O> => typeof p === 'object' && p !== null && !(p instanceof Tensor) && 'params' in p;
    const specs: Array<{ params: unknown[]; overrides: Record<string, unknown>; where: string }> = [];
    // `options` holds the class's defaults and what was given, already checked by withDefaults.
    const optionNames = ['lr', ...Object.keys(options).filter((o) => o !== 'lr')];
    if (items.every(isGroup)) {
      items.forEach((g, k) => {
        const { params: ps, ...overrides } = g as ParamGroupSpec<O> & Record<string, unknown>;
        const where = `parameter group ${k}`;
        if (ps === null || typeof ps !== 'object' || typeof (ps as Iterable<unknown>)[Symbol.iterator] !== 'function') throw new Error(`${name}: ${where}: params must be a list of parameters`);
        checkOptions(`${name}: ${where}`, overrides, optionNames);
        specs.push({ params: [...(ps as Iterable<unknown>)], overrides, where });
      });
    } else {
      const g = items.findIndex(isGroup);
      if (g >= 0) throw new Error(`${name}: parameter ${g} is a parameter group ({params, …}) in a list of parameters: give either parameters or groups, not both`);
      specs.push({ params: items, overrides: {}, where: '' });
    }
    // As in PyTorch, a parameter with requiresGrad false (a frozen layer) may be passed: it
    // has no gradient, so step() leaves it alone until it is unfrozen.
    this.base = { options, defaultLr, name, optionNames };
    this.groups = specs.map(({ params: ps, overrides, where }) => this.makeGroup(ps, overrides, where ? `${name}: ${where}:` : `${name}:`));
    const all = this.params;
    if (new Set(all).size !== all.length) {
      const again = all.findIndex((p, i) => all.indexOf(p) !== i);
      // PyTorch warns and would step it twice; a layer shared by two models lists its parameters twice.
      throw new Error(
        `${name}: a parameter appears more than once: parameter ${again} (shape ${formatShape(all[again].shape)}) is parameter ${all.indexOf(all[again])} again ` +
          '(a layer shared by two models gives its parameters in both): pass each once, e.g. [...new Set([...a.parameters(), ...b.parameters()])]',
      );
    }
  }

  /** What the constructor was given, for the groups addParamGroup adds. */
  private readonly base: { options: O; defaultLr: number | undefined; name: string; optionNames: string[] };

  private makeGroup(ps: unknown[], overrides: Record<string, unknown>, at: string): ParamGroup<O> {
    if (ps.length === 0) throw new Error(`${at} got an empty parameter list`);
    ps.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw new Error(`${at} parameter ${i} is not a Tensor (got ${p === null ? 'null' : typeof p})`);
      // As PyTorch ("can't optimize a non-leaf Tensor"): backward keeps no gradient for it, and
      // writing it would not change the tensors it was computed from.
      if (p.node !== null) {
        throw new Error(
          `${at} parameter ${i} (shape ${formatShape(p.shape)}) is not a leaf tensor: it was computed by ${p.node.op === 'freed' ? 'an op' : `'${p.node.op}'`}, so backward keeps no gradient for it and step() could not change what it was computed from; ` +
            `optimize the tensor it was computed from, or make a leaf: p = p.detach().requiresGrad_()`,
        );
      }
    });
    const o = { ...this.base.options, ...overrides } as O;
    const lr = o.lr ?? this.base.defaultLr;
    if (lr === undefined) throw new Error(`${at} lr is required`);
    if (!(typeof lr === 'number' && lr >= 0 && Number.isFinite(lr))) throw new Error(`${at} lr must be a finite number ≥ 0, got ${showValue(lr)}`);
    return { params: ps as Tensor[], options: o, lr, initialLr: lr };
  }

  /**
   * The buffers a step keeps for a parameter of `group` (`keeps`: Adam's exp_avg and exp_avg_sq,
   * max_exp_avg_sq with amsgrad) and every name this optimizer may keep (`may`). loadStateDict
   * takes a parameter's record with all of `keeps` or none (not yet stepped): with one moment and
   * not the other, the next step would start the missing one from zero beside the loaded one
   * (Adam's update m̂/(√v̂ + ε) with v = 0). Empty lists check nothing (a user's subclass).
   */
  protected bufferNames(_group: ParamGroup<O>): { keeps: readonly string[]; may: readonly string[] } {
    return { keeps: [], may: [] };
  }

  /** Check a group's options (the ranges of momentum, betas, …): each optimizer states its own. */
  protected checkGroupOptions(_options: O): void {}

  /**
   * Add a parameter group (PyTorch's add_param_group), e.g. a layer unfrozen for fine-tuning:
   * `opt.addParamGroup({params: model.layer4.parameters(), lr: 1e-4})`. Options not given are the
   * optimizer's; its parameters start without state, and schedulers scale the group from its lr.
   */
  addParamGroup(group: ParamGroupSpec<O>): void {
    const { name, optionNames } = this.base;
    const at = `${name}.addParamGroup:`;
    if (group === null || typeof group !== 'object' || group instanceof Tensor || !('params' in group)) {
      throw new Error(`${at} expected a parameter group {params, lr?, …}, got ${group instanceof Tensor ? 'a Tensor (write {params: [t]})' : Array.isArray(group) ? 'an array (write {params: [...]})' : showValue(group)}`);
    }
    const { params: ps, ...overrides } = group as ParamGroupSpec<O> & Record<string, unknown>;
    const list = ps instanceof Tensor ? [ps] : ps !== null && typeof ps === 'object' && typeof (ps as Iterable<unknown>)[Symbol.iterator] === 'function' ? [...(ps as Iterable<unknown>)] : null;
    if (list === null) throw new Error(`${at} params must be a list of parameters (module.parameters()), got ${showValue(ps)}`);
    checkOptions(`${at.slice(0, -1)}`, overrides, optionNames);
    const g = this.makeGroup(list, overrides, at);
    const existing = new Set(this.params);
    if (new Set(g.params).size !== g.params.length || g.params.some((p) => existing.has(p))) throw new Error(`${at} a parameter appears more than once (in this group or in an existing one)`);
    this.checkGroupOptions(g.options);
    this.groups.push(g);
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
    // A run recipe minimizes its loss and does not record maximize: it appears only when set.
    if (out.maximize === false) delete out.maximize;
    return out as EffectiveOptions<O>;
  }

  /** Every parameter across groups. */
  get params(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** The parameter groups (PyTorch's param_groups: `for (const g of opt.paramGroups) g.lr = 0.01`). */
  get paramGroups(): ParamGroup<O>[] {
    return this.groups;
  }

  /** The learning rate of the first group. */
  get lr(): number {
    return this.groups[0].lr;
  }
  set lr(value: number) {
    if (!(value >= 0 && Number.isFinite(value))) throw new Error(`lr must be a finite number ≥ 0, got ${showValue(value)}`);
    for (const g of this.groups) g.lr = value;
  }

  /**
   * Set gradients to null (PyTorch's set_to_none=True default), or with `setToNone = false`
   * zero the existing gradients in place (PyTorch's zero_grad(set_to_none=False)): the same
   * storage is then reused by every step instead of allocating fresh gradients, which matters
   * with the wasm backend inside a synchronous training loop (see stepScope()). The zeros are
   * lazy (Tensor.zeroGradInPlace): the next backward overwrites the gradient instead.
   */
  zeroGrad(setToNone: boolean | { setToNone?: boolean } = true): void {
    setToNone = zeroGradMode(`${this.typeName}.zeroGrad()`, setToNone);
    for (const p of this.params) {
      if (setToNone) p.zeroGrad();
      else p.zeroGradInPlace();
    }
    zeroGradBoundary();
  }

  /**
   * Apply one update to every parameter that has a gradient. Also a step boundary of the
   * automatic memory (src/memory.ts): the step's tensors leave wasm memory.
   */
  step(): void;
  /**
   * PyTorch's `optimizer.step(closure)`: the closure (zero the gradients, compute the loss, call
   * backward, return the loss) runs first and its loss is returned. Anything else is an error: a
   * closure that is never called would leave the gradients as they were, without a word.
   */
  step<L>(closure: () => L): L;
  step<L>(closure?: () => L): L | undefined {
    if (closure !== undefined && typeof closure !== 'function') {
      throw new Error(`${this.typeName}.step(): its one argument is a closure that recomputes the loss (PyTorch's step(closure)), got ${showValue(closure)}`);
    }
    const loss = closure?.();
    this.applyStep(null);
    stepBoundary();
    return loss;
  }

  /**
   * @internal step() for TrainStep: each updated parameter `p` for which `saveFor(p)` gives an
   * array has its values copied there before its update, and its updated values checked, in the
   * same pass as the update (the rollback copy and the non-finite check, without two more
   * passes over the weights). Returns false when one of those updated values is not finite.
   */
  stepSaving(saveFor: (p: Tensor) => FloatArray | null): boolean {
    const finite = this.applyStep(saveFor);
    stepBoundary();
    return finite;
  }

  /** This step's updates (objects reused from step to step) and where each saves its parameter. */
  private readonly pending: PendingUpdate<O>[] = [];
  private readonly pendingSave: Array<FloatArray | null> = [];

  private applyStep(saveFor: ((p: Tensor) => FloatArray | null) | null): boolean {
    // paramGroups hands out the groups themselves (PyTorch's `g['lr'] = …`): a value written there
    // is checked here, as the lr setter checks its own, before any parameter moves.
    this.groups.forEach((g, k) => {
      if (!(typeof g.lr === 'number' && g.lr >= 0 && Number.isFinite(g.lr))) {
        throw new Error(`${this.typeName}.step(): parameter group ${k} has lr ${showValue(g.lr)}; lr must be a finite number ≥ 0`);
      }
    });
    this.stepCount++;
    const pending = this.pending;
    const save = this.pendingSave;
    let n = 0;
    let i = 0;
    for (const group of this.groups) {
      for (const p of group.params) {
        const grad = p._peekGrad();
        if (grad !== null) {
          this.paramSteps[i] = (this.paramSteps[i] ?? 0) + 1;
          // A graph recorded before this step and backpropagated after it would read the new values (autograd.ts checkVersions).
          p._version++;
          const u = (pending[n] ??= { p, param: p.data, grad, group, index: i });
          u.p = p;
          u.param = p.data;
          u.grad = grad;
          u.group = group;
          u.index = i;
          save[n] = saveFor === null ? null : saveFor(p);
          n++;
        }
        i++;
      }
    }
    pending.length = n;
    save.length = n;
    return this.updateAll(pending, save);
  }

  /** One parameter's update (optimizers written outside gradlab implement this). */
  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup<O>, index: number): void;

  /**
   * The step's updates, with the copy before and the check after where `save[j]` is an array
   * (see stepSaving); false when a checked value is not finite. This default runs update() per
   * parameter; the built-in optimizers run all of them as one batched kernel call (one round
   * of the thread pool for the whole model on the wasm backend).
   */
  protected updateAll(pending: readonly PendingUpdate<O>[], save: readonly (FloatArray | null)[]): boolean {
    return stepsOf(K, pending, save, (u) => this.update(u.p, u.grad, u.group, u.index));
  }

  /**
   * @internal TrainStep's rollback of a rejected update (TrainStepOptions.restoreOptimizer): the
   * step counts and a copy of every state buffer (momentum, Adam's m and v), taken before a step
   * into `into` (the previous checkpoint, whose arrays are reused), so that restoreState() makes
   * the step as if never taken.
   */
  saveState(into: OptimizerCheckpoint | null): OptimizerCheckpoint {
    const c = into ?? { stepCount: 0, paramSteps: [], buffers: [] };
    c.stepCount = this.stepCount;
    c.paramSteps = this.paramSteps.slice();
    this.params.forEach((_, i) => {
      const mine = this.state[i];
      let theirs = c.buffers[i];
      if (!theirs) c.buffers[i] = theirs = new Map();
      for (const [n, b] of theirs) {
        if (mine?.get(n)?.length === b.length) continue;
        K.free(b);
        theirs.delete(n);
      }
      for (const [n, b] of mine ?? []) {
        let copy = theirs.get(n);
        if (!copy) theirs.set(n, (copy = alloc(b.length, b instanceof Float64Array ? 'float64' : 'float32', false)));
        K.copy(b, copy);
      }
    });
    return c;
  }

  /**
   * @internal The state saveState() copied: buffers created since (on a parameter's first
   * update) are dropped, as if never used, so stateDict() matches a run without that step.
   */
  restoreState(c: OptimizerCheckpoint): void {
    this.stepCount = c.stepCount;
    this.paramSteps = c.paramSteps.slice();
    this.params.forEach((_, i) => {
      const mine = this.state[i];
      if (!mine) return;
      for (const [n, b] of mine) {
        const copy = c.buffers[i]?.get(n);
        if (copy) K.copy(copy, b);
        else {
          mine.delete(n);
          K.free(b);
        }
      }
    });
  }

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

  /**
   * PyTorch's `{state, param_groups}` as gradlab's state. Parameter ids are positions in the
   * groups' order, as PyTorch numbers them; a group option that differs from this optimizer's
   * (PyTorch's load_state_dict would take the saved one) is an error naming it, so that nothing
   * changes silently.
   */
  private fromTorchState(t: TorchOptimizerState): OptimizerState {
    const where = `${this.typeName}.loadStateDict`;
    if (!Array.isArray(t.param_groups) || t.state === null || typeof t.state !== 'object') throw new Error(`${where}: PyTorch's optimizer state needs state and param_groups (a list)`);
    if (t.param_groups.length !== this.groups.length) throw new Error(`loadStateDict: state has ${t.param_groups.length} groups, the optimizer ${this.groups.length}`);
    const ids = t.param_groups.flatMap((g) => (Array.isArray(g.params) ? g.params : []));
    if (ids.length !== this.params.length) throw new Error(`loadStateDict: state has ${ids.length} parameters, the optimizer ${this.params.length}`);
    t.param_groups.forEach((g, gi) => {
      for (const [k, mine] of Object.entries(this.groups[gi].options as Record<string, unknown>)) {
        const theirs = g[snakeCase(k)];
        if (k === 'lr' || mine === undefined || JSON.stringify(theirs) === JSON.stringify(mine)) continue;
        // A state saved before PyTorch 1.11 has no maximize: it descended, as maximize false does.
        if (k === 'maximize' && theirs === undefined && mine === false) continue;
        if (theirs === undefined) {
          const keys = Object.keys(g).filter((key) => key !== 'params');
          throw new Error(`${where}: group ${gi} of the saved state has no ${snakeCase(k)} (it has ${keys.join(', ')}), so it is not ${this.typeName}'s state`);
        }
        throw new Error(`${where}: group ${gi} of the saved state has ${snakeCase(k)}=${JSON.stringify(theirs)}, this optimizer ${k}: ${JSON.stringify(mine)}; construct it with the saved options`);
      }
    });
    const paramSteps: number[] = [];
    const buffers = ids.map((id, i) => {
      const rec: Record<string, number[]> = {};
      paramSteps.push(0);
      const saved = t.state instanceof Map ? (t.state.get(id) ?? t.state.get(String(id))) : t.state[String(id)];
      for (const [name, v] of Object.entries(saved ?? {})) {
        const values = torchValues(v);
        if (values === undefined && typeof v !== 'number') throw new Error(`${where}: state of parameter ${id}: '${name}' is not a tensor or a number (${showValue(v)})`);
        if (name === 'step') paramSteps[i] = Number(values === undefined ? v : values[0]);
        else rec[name] = values ?? [];
      }
      return rec;
    });
    const lr = (g: Record<string, unknown>) => g.lr as number;
    return {
      type: this.typeName,
      step: Math.max(0, ...paramSteps),
      paramSteps,
      groups: t.param_groups.map((g) => ({ lr: lr(g), initialLr: (g.initial_lr as number | undefined) ?? lr(g) })),
      buffers,
    };
  }

  /**
   * The state in PyTorch's form, `{state, param_groups}` (optimizer.state_dict()): buffers as
   * Tensors of their parameter's shape under PyTorch's names, the group options in snake_case,
   * parameter ids in group order, and each parameter's step count as PyTorch 1.13's Adam and
   * RMSprop keep it (a float tensor; SGD keeps none). `saveTorchFile` writes it for
   * `optimizer.load_state_dict` in PyTorch; `loadStateDict` reads it back.
   */
  torchStateDict(): TorchOptimizerState {
    const state = new Map<number, Record<string, unknown>>();
    let id = 0;
    const param_groups = this.groups.map((g) => {
      // maximize only when set, as effectiveOptions: PyTorch reads a group without it as false.
      const options = Object.fromEntries(Object.entries(g.options as Record<string, unknown>).filter(([k, v]) => !(k === 'maximize' && v === false)).map(([k, v]) => [snakeCase(k), v]));
      const params = g.params.map(() => id++);
      return { ...options, lr: g.lr, ...(g.initialLr !== g.lr ? { initial_lr: g.initialLr } : {}), params };
    });
    this.params.forEach((p, i) => {
      const buffers = this.state[i];
      if (!buffers || buffers.size === 0) return;
      const rec: Record<string, unknown> = {};
      if (this.typeName !== 'SGD') rec.step = new Tensor(Float32Array.of(this.paramSteps[i] ?? this.stepCount), []);
      for (const [n, b] of buffers) rec[n] = new Tensor(Float32Array.from(b), p.shape.slice());
      state.set(i, rec);
    });
    return { state, param_groups };
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

  /**
   * `state`: what stateDict() returned, or PyTorch's optimizer state dict `{state, param_groups}`
   * (`checkpoint.optimizer_state_dict` of `(await loadTorchFile(path)).object`, a training
   * checkpoint that torch.save wrote), whose buffers carry the same names as gradlab's.
   */
  loadStateDict(state: OptimizerState | TorchOptimizerState): void {
    if (state !== null && typeof state === 'object' && 'param_groups' in state) state = this.fromTorchState(state);
    // The whole record is checked before anything is changed: a half-loaded optimizer would step
    // with one run's moments and another's step count.
    const where = `${this.typeName}.loadStateDict`;
    if (state === null || typeof state !== 'object' || Array.isArray(state)) throw new Error(`${where}: the state must be the object optimizer.stateDict() returned, got ${showValue(state)}`);
    if (typeof state.type !== 'string') throw new Error(`${where}: the state has no type (the object optimizer.stateDict() returned has type, step, groups and buffers)`);
    if (state.type !== this.typeName) throw new Error(`loadStateDict: state is for ${state.type}, not ${this.typeName}`);
    if (!Number.isSafeInteger(state.step) || state.step < 0) throw new Error(`${where}: step must be an integer ≥ 0, got ${showValue(state.step)}`);
    if (!Array.isArray(state.buffers) || !state.buffers.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) throw new Error(`${where}: buffers must be a list of one record per parameter`);
    if (!Array.isArray(state.groups) || !state.groups.every((g) => g !== null && typeof g === 'object' && Number.isFinite(g.lr) && g.lr >= 0 && Number.isFinite(g.initialLr))) {
      throw new Error(`${where}: groups must be a list of {lr, initialLr} with finite learning rates ≥ 0`);
    }
    if (state.paramSteps !== undefined && (!Array.isArray(state.paramSteps) || state.paramSteps.length !== this.params.length || !state.paramSteps.every((n) => Number.isSafeInteger(n) && n >= 0))) {
      throw new Error(`${where}: paramSteps must list one step count (an integer ≥ 0) per parameter, ${this.params.length}`);
    }
    if (state.buffers.length !== this.params.length) {
      throw new Error(`loadStateDict: state has ${state.buffers.length} parameters, the optimizer ${this.params.length}`);
    }
    if (state.groups.length !== this.groups.length) throw new Error(`loadStateDict: state has ${state.groups.length} groups, the optimizer ${this.groups.length}`);
    state.buffers.forEach((rec, i) => {
      const names = Object.keys(rec);
      const { keeps, may } = this.bufferNames(this.groups.find((g) => g.params.includes(this.params[i]))!);
      const stray = may.length > 0 ? names.filter((n) => !may.includes(n)) : [];
      if (stray.length > 0) throw new Error(`${where}: parameter ${i} has a buffer '${stray[0]}', which ${this.typeName} does not keep (its buffers: ${may.join(', ')})`);
      const missing = names.length > 0 ? keeps.filter((n) => !names.includes(n)) : [];
      if (missing.length > 0) {
        throw new Error(`${where}: parameter ${i} has ${names.join(', ')} but not ${missing.join(', ')}: a step would start ${missing.length === 1 ? 'it' : 'them'} from zero beside the others; give every buffer of a parameter (${keeps.join(', ')}) or none`);
      }
      for (const [n, v] of Object.entries(rec)) {
        if (!Array.isArray(v) || v.length !== this.params[i].size) {
          throw new Error(`loadStateDict: buffer '${n}' of parameter ${i} has ${Array.isArray(v) ? v.length : 'no list of'} values, expected ${this.params[i].size}`);
        }
        if (!v.every((x) => typeof x === 'number')) throw new Error(`${where}: buffer '${n}' of parameter ${i} holds a value that is not a number`);
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

/**
 * A built-in optimizer: its update is one kernel taking one argument object per parameter
 * (`argsOf`), run for the whole step as one batched call (`runAll`: one round of the thread pool
 * on the wasm backend) or for a single parameter (`runOne`, for update()). The argument objects
 * are reused from step to step, so a step allocates none.
 */
export abstract class KernelOptimizer<O extends { lr?: number }, A> extends Optimizer<O> {
  /** This step's kernel arguments, one reused object per updated parameter. */
  private readonly batch: A[] = [];

  /** Parameter `index`'s kernel arguments for this step, written into `out` when given. */
  protected abstract argsOf(p: Tensor, grad: Tensor, group: ParamGroup<O>, index: number, out?: A): A;
  /** The kernel on one parameter. */
  protected abstract runOne(args: A): void;
  /** The kernel on every parameter of the step, with updateAll's `save` (see stepSaving). */
  protected abstract runAll(args: readonly A[], save: readonly (FloatArray | null)[]): boolean;

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<O>, index: number): void {
    const flip = maximizes(group);
    if (flip) negate(grad.data);
    try {
      this.runOne(this.argsOf(p, grad, group, index));
    } finally {
      if (flip) negate(grad.data);
    }
  }

  protected override updateAll(pending: readonly PendingUpdate<O>[], save: readonly (FloatArray | null)[]): boolean {
    const batch = this.batch;
    batch.length = pending.length;
    pending.forEach((u, j) => (batch[j] = this.argsOf(u.p, u.grad, u.group, u.index, batch[j])));
    // maximize (PyTorch 1.13's SGD, Adam, AdamW, RMSprop): the update starts from −g in place of
    // g, before weight decay and the moments. The kernels read g only, so it is negated in place
    // for the step and back after it: a sign flip is exact, and the user's .grad ends unchanged.
    const flip = pending.some((u) => maximizes(u.group));
    if (flip) for (const u of pending) if (maximizes(u.group)) negate(u.grad.data);
    try {
      return this.runAll(batch, save);
    } finally {
      if (flip) for (const u of pending) if (maximizes(u.group)) negate(u.grad.data);
    }
  }
}

const maximizes = (group: ParamGroup<{ lr?: number }>): boolean => (group.options as { maximize?: boolean }).maximize === true;

function negate(a: FloatArray): void {
  for (let i = 0; i < a.length; i++) a[i] = -a[i];
}

/** @internal An optimizer's step counts and state buffers at one moment (Optimizer.saveState). */
export interface OptimizerCheckpoint {
  stepCount: number;
  paramSteps: number[];
  /** Per parameter, a copy of each of its buffers that existed. */
  buffers: Array<Map<string, FloatArray>>;
}

/** PyTorch's optimizer.state_dict(): buffers by parameter id, and the groups' options with their parameter ids. */
export interface TorchOptimizerState {
  /** By parameter id: PyTorch's int keys, which are strings in a JS object (loadTorchFile's .object) and numbers in a Map (torchStateDict, so that torch.load sees ints). */
  state: Record<string, Record<string, unknown>> | Map<number | string, Record<string, unknown>>;
  param_groups: Array<Record<string, unknown> & { params: number[] }>;
}

/** A buffer of a PyTorch state: a Tensor, a tensor entry of a file ({data}), or a number list. */
function torchValues(v: unknown): number[] | undefined {
  if (v instanceof Tensor) return Array.from(v.data);
  if (Array.isArray(v)) return v as number[];
  const data = v !== null && typeof v === 'object' ? (v as { data?: unknown }).data : undefined;
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) return Array.from(data as unknown as ArrayLike<number | bigint>, Number);
  return undefined;
}

/** A parameter updated by the current step: the parameter, its storage, its gradient, its group and index. */
export interface PendingUpdate<O> {
  p: Tensor;
  param: FloatArray;
  grad: Tensor;
  group: ParamGroup<O>;
  index: number;
}

/** Every option of O set (the defaults filled in). */
export type EffectiveOptions<O> = { [K in keyof O]-?: Exclude<O[K], undefined> };

/**
 * `options` over `defaults`, where an option left undefined ("not given") keeps its default: the
 * one place an optimizer's defaults are applied, so `{weightDecay: undefined}` means the class's
 * default, never 0 or NaN.
 */
/**
 * An optimizer's options over its class's `defaults`. As PyTorch's `SGD(params, 0.1)`, a bare
 * number is the learning rate; an unknown option (PyTorch's `weight_decay`) is an error.
 */
export function withDefaults<O extends object>(name: string, defaults: Readonly<O>, options: O | number | undefined, rest: readonly unknown[] = [], order: readonly string[] = ['lr']): O {
  // PyTorch's positional form, SGD(params, 0.01, 0.9): the options in `order`, a last object for the rest (keywordArgs).
  if (typeof options === 'number' || rest.length > 0) {
    const values = keywordArgs(name, [options, ...rest], order, Object.keys(defaults).filter((k) => !order.includes(k)));
    options = Object.fromEntries([...order, ...Object.keys(defaults).filter((k) => !order.includes(k))].map((k, i) => [k, values[i]])) as O;
  }
  checkOptions(name, options, ['lr', ...Object.keys(defaults).filter((k) => k !== 'lr')]);
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined) out[k] = Array.isArray(v) ? v.slice() : v;
  for (const [k, v] of Object.entries(out)) if (Array.isArray(v)) out[k] = v.slice();
  return out as O;
}

export function checkRange(where: string, name: string, value: number, lo: number, hi: number, hiInclusive = false): void {
  const ok = typeof value === 'number' && value >= lo && (hiInclusive ? value <= hi : value < hi);
  if (!ok) throw new Error(`${where}: ${name} must be in [${lo}, ${hi}${hiInclusive ? ']' : ')'}, got ${value}`);
}

// optimizer.zero_grad(), optimizer.param_groups: errors naming gradlab's spelling (src/options.ts).
pointSnakeCase(Optimizer, ['stepCount']);
