/**
 * Learning-rate schedules, as torch.optim.lr_scheduler: call `step()` once per epoch (after
 * the optimizer's steps); each sets the optimizer's lr from its initial lr η₀ and the epoch t.
 */
import { checkOptions, keywordArgs, pointSnakeCase } from '../options.js';
import { Optimizer } from './optimizer.js';
import { showValue } from '../tensor.js';

export interface Scheduler {
  readonly name: string;
  /** Advance one epoch; ReduceLROnPlateau takes the monitored metric, the epoch schedules an optional epoch (PyTorch's deprecated `step(epoch)`). */
  step(metric?: number): void;
  /** Epochs seen so far. */
  readonly lastEpoch: number;
  stateDict(): Record<string, unknown>;
  loadStateDict(state: Record<string, unknown>): void;
}

// A schedule's arguments (keywordArgs) are given positionally as PyTorch's (`new StepLR(opt, 30, 0.1)`),
// as one options object in camelCase (`new StepLR(opt, {stepSize: 30, gamma: 0.1})`), or both:
// positional ones then the rest by name (`new StepLR(opt, 30, {gamma: 0.1})`).

/** A schedule's optimizer: an Optimizer (its groups' lr are what the schedule sets), else an error naming the schedule. */
function checkOptimizer(name: string, optimizer: unknown): void {
  if (!(optimizer instanceof Optimizer)) {
    throw new Error(`${name}: the first argument must be the optimizer (new ${name}(optimizer, …)), got ${showValue(optimizer)}`);
  }
}

/** The epoch of `step(epoch)`: a finite number ≥ 0, else an error naming the schedule. */
function checkEpoch(name: string, epoch: unknown): number {
  if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch < 0) {
    throw new Error(`${name}.step(epoch): epoch must be a number ≥ 0 (or leave it out: step() advances one epoch), got ${showValue(epoch)}`);
  }
  return epoch;
}

/** @internal The schedules stepped once per epoch with no argument (fit tells them from metric-driven ones). */
export abstract class EpochScheduler implements Scheduler {
  abstract readonly name: string;
  lastEpoch = 0;
  /** `className`: the schedule's name for messages, stated by each subclass (it survives minifiers). */
  constructor(readonly optimizer: Optimizer, className: string) {
    checkOptimizer(className, optimizer);
  }
  /** The lr of parameter group `group` at `epoch`. */
  /** @internal */
  abstract factor(epoch: number, initialLr: number, group: number): number;
  /**
   * Advance one epoch. `step(epoch)`, PyTorch's deprecated form that old code still calls, sets
   * the epoch instead and takes the schedule's closed form there, as PyTorch does; a fractional
   * epoch (CosineAnnealingWarmRestarts' `step(epoch + i / iters)` once per batch) sets the lr
   * between epochs and counts the whole epochs.
   */
  step(epoch?: number): void {
    const t = epoch === undefined ? this.lastEpoch + 1 : checkEpoch(this.name, epoch);
    this.lastEpoch = Math.floor(t);
    this.optimizer.groups.forEach((g, i) => (g.lr = this.factor(t, g.initialLr, i)));
  }
  /** The lr of each parameter group (PyTorch's get_last_lr()). */
  getLastLr(): number[] {
    return this.optimizer.groups.map((g) => g.lr);
  }
  stateDict(): Record<string, unknown> {
    return { lastEpoch: this.lastEpoch };
  }
  /**
   * Restore the epoch count and set the lr to this schedule's value at that epoch (its closed
   * form). With the parameters the state was saved under, that is the lr the optimizer already
   * has, bit for bit; with others (a cosine built for more epochs when a run is extended) the
   * schedule is re-planned from where the run is, instead of continuing from the old plan's lr.
   */
  loadStateDict(state: Record<string, unknown>): void {
    const e = state.lastEpoch;
    if (typeof e !== 'number' || !Number.isSafeInteger(e) || e < 0) throw new Error(`${this.name}.loadStateDict: lastEpoch must be an integer ≥ 0, got ${JSON.stringify(e)}`);
    this.lastEpoch = e;
    this.optimizer.groups.forEach((g, i) => (g.lr = this.factor(this.lastEpoch, g.initialLr, i)));
  }
}

/** η_t = η₀·γ^⌊t/stepSize⌋. */
export class StepLR extends EpochScheduler {
  readonly name = 'StepLR';
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: Optimizer, stepSize: number | { stepSize: number; gamma?: number }, gamma?: number | { gamma?: number }) {
    super(optimizer, 'StepLR');
    const [s, g] = keywordArgs('StepLR', [stepSize, gamma], ['stepSize', 'gamma']) as [number, number | undefined];
    this.stepSize = s;
    this.gamma = g ?? 0.1;
    if (!Number.isInteger(this.stepSize) || this.stepSize < 1) throw new Error(`StepLR: stepSize must be a positive integer, got ${String(this.stepSize)}`);
    if (!(this.gamma > 0)) throw new Error(`StepLR: gamma must be > 0, got ${String(this.gamma)}`);
  }
  factor(t: number, lr0: number): number {
    return lr0 * Math.pow(this.gamma, Math.floor(t / this.stepSize));
  }
}

/**
 * η_t = η₀·γ^(number of milestones ≤ t), as torch.optim.lr_scheduler.MultiStepLR (a milestone
 * given twice counts twice, as PyTorch's Counter does).
 */
export class MultiStepLR extends EpochScheduler {
  readonly name = 'MultiStepLR';
  readonly milestones: readonly number[];
  readonly gamma: number;
  constructor(optimizer: Optimizer, milestones: readonly number[] | { milestones: readonly number[]; gamma?: number }, gamma?: number | { gamma?: number }) {
    super(optimizer, 'MultiStepLR');
    const [m, g] = keywordArgs('MultiStepLR', [milestones, gamma], ['milestones', 'gamma']) as [unknown, number | undefined];
    if (!Array.isArray(m) || m.some((e) => !Number.isInteger(e) || e < 1)) throw new Error(`MultiStepLR: milestones must be an array of positive integers (epochs), got ${JSON.stringify(m)}`);
    this.milestones = [...(m as number[])].sort((a, b) => a - b);
    this.gamma = g ?? 0.1;
    if (!(this.gamma > 0)) throw new Error(`MultiStepLR: gamma must be > 0, got ${String(this.gamma)}`);
  }
  factor(t: number, lr0: number): number {
    return lr0 * Math.pow(this.gamma, this.milestones.filter((m) => m <= t).length);
  }
}

/**
 * η_t = η₀·λ(t) for the user's function λ of the epoch, as torch.optim.lr_scheduler.LambdaLR
 * (`new LambdaLR(opt, (epoch) => 0.95 ** epoch)`; a warm-up: `(e) => Math.min(1, (e + 1) / 5)`),
 * or one function per parameter group. As PyTorch, the lr at construction is already η₀·λ(0).
 */
export class LambdaLR extends EpochScheduler {
  readonly name = 'LambdaLR';
  readonly lrLambdas: ReadonlyArray<(epoch: number) => number>;
  constructor(optimizer: Optimizer, lrLambda: LrLambda | readonly LrLambda[] | { lrLambda: LrLambda | readonly LrLambda[] }) {
    super(optimizer, 'LambdaLR');
    const [f] = (typeof lrLambda === 'function' || Array.isArray(lrLambda) ? [lrLambda] : keywordArgs('LambdaLR', [lrLambda], ['lrLambda'])) as [unknown];
    const n = optimizer.groups.length;
    const fs = Array.isArray(f) ? f : [f];
    if (Array.isArray(f) && f.length !== n) throw new Error(`LambdaLR: got ${f.length} lrLambda functions for ${n} parameter group${n === 1 ? '' : 's'}: give one function, or one per group`);
    fs.forEach((fi, i) => {
      if (typeof fi !== 'function') throw new Error(`LambdaLR: lrLambda${Array.isArray(f) ? `[${i}]` : ''} must be a function of the epoch returning the lr's factor, got ${fi === null ? 'null' : typeof fi}`);
    });
    this.lrLambdas = fs as LrLambda[];
    this.optimizer.groups.forEach((g, i) => (g.lr = this.factor(0, g.initialLr, i)));
  }
  factor(t: number, lr0: number, group: number): number {
    const k = this.lrLambdas[this.lrLambdas.length === 1 ? 0 : group](t);
    if (typeof k !== 'number' || !Number.isFinite(k) || k < 0) throw new Error(`LambdaLR: lrLambda(${t}) must return a finite number ≥ 0, got ${String(k)}`);
    return lr0 * k;
  }
}

type LrLambda = (epoch: number) => number;

/** η_t = η₀·γ^t. */
export class ExponentialLR extends EpochScheduler {
  readonly name = 'ExponentialLR';
  readonly gamma: number;
  constructor(optimizer: Optimizer, gamma: number | { gamma: number }) {
    super(optimizer, 'ExponentialLR');
    [this.gamma] = keywordArgs('ExponentialLR', [gamma], ['gamma']) as [number];
    if (!(this.gamma > 0)) throw new Error(`ExponentialLR: gamma must be > 0, got ${String(this.gamma)}`);
  }
  factor(t: number, lr0: number): number {
    return lr0 * Math.pow(this.gamma, t);
  }
}

/** η_t = η_min + (η₀ − η_min)·(1 + cos(πt/T_max))/2 (Loshchilov & Hutter 2017, without restarts). */
export class CosineAnnealingLR extends EpochScheduler {
  readonly name = 'CosineAnnealingLR';
  readonly tMax: number;
  readonly etaMin: number;
  constructor(optimizer: Optimizer, tMax: number | { tMax: number; etaMin?: number }, etaMin?: number | { etaMin?: number }) {
    super(optimizer, 'CosineAnnealingLR');
    const [t, e] = keywordArgs('CosineAnnealingLR', [tMax, etaMin], ['tMax', 'etaMin']) as [number, number | undefined];
    this.tMax = t;
    this.etaMin = e ?? 0;
    if (!(this.tMax > 0)) throw new Error(`CosineAnnealingLR: tMax must be > 0, got ${String(this.tMax)}`);
    if (!(this.etaMin >= 0)) throw new Error(`CosineAnnealingLR: etaMin must be ≥ 0, got ${String(this.etaMin)}`);
  }
  factor(t: number, lr0: number): number {
    return this.etaMin + ((lr0 - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}

/**
 * η_t = η₀·(s + (e − s)·min(t, T)/T), as torch.optim.lr_scheduler.LinearLR (startFactor s = 1/3,
 * endFactor e = 1, totalIters T = 5 by default): the usual warm-up, alone or first in a SequentialLR.
 */
export class LinearLR extends EpochScheduler {
  readonly name = 'LinearLR';
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(optimizer: Optimizer, startFactor?: number | { startFactor?: number; endFactor?: number; totalIters?: number }, endFactor?: number | object, totalIters?: number | object) {
    super(optimizer, 'LinearLR');
    const [s, e, n] = keywordArgs('LinearLR', [startFactor, endFactor, totalIters], ['startFactor', 'endFactor', 'totalIters']) as Array<number | undefined>;
    this.startFactor = s ?? 1 / 3;
    this.endFactor = e ?? 1;
    this.totalIters = n ?? 5;
    if (!(this.startFactor > 0 && this.startFactor <= 1)) throw new Error(`LinearLR: startFactor must be in (0, 1], got ${String(this.startFactor)}`);
    if (!(this.endFactor >= 0 && this.endFactor <= 1)) throw new Error(`LinearLR: endFactor must be in [0, 1], got ${String(this.endFactor)}`);
    if (!Number.isInteger(this.totalIters) || this.totalIters < 1) throw new Error(`LinearLR: totalIters must be a positive integer, got ${String(this.totalIters)}`);
    this.optimizer.groups.forEach((g, i) => (g.lr = this.factor(0, g.initialLr)));
  }
  factor(t: number, lr0: number): number {
    return lr0 * (this.startFactor + ((this.endFactor - this.startFactor) * Math.min(t, this.totalIters)) / this.totalIters);
  }
}

/**
 * Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017, eq. 5):
 * η_t = η_min + (η₀ − η_min)·(1 + cos(π·T_cur/T_i))/2, where the i-th cycle lasts T_i = T₀·T_mult^i
 * epochs and T_cur counts the epochs since the last restart; as
 * torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1, eta_min=0).
 */
export class CosineAnnealingWarmRestarts extends EpochScheduler {
  readonly name = 'CosineAnnealingWarmRestarts';
  readonly t0: number;
  readonly tMult: number;
  readonly etaMin: number;
  constructor(optimizer: Optimizer, t0: number | { t0: number; tMult?: number; etaMin?: number }, tMult?: number | object, etaMin?: number | object) {
    super(optimizer, 'CosineAnnealingWarmRestarts');
    const [a, b, c] = keywordArgs('CosineAnnealingWarmRestarts', [t0, tMult, etaMin], ['t0', 'tMult', 'etaMin']) as Array<number | undefined>;
    this.t0 = a as number;
    this.tMult = b ?? 1;
    this.etaMin = c ?? 0;
    if (!Number.isInteger(this.t0) || this.t0 < 1) throw new Error(`CosineAnnealingWarmRestarts: t0 (PyTorch's T_0) must be a positive integer, got ${String(this.t0)}`);
    if (!Number.isInteger(this.tMult) || this.tMult < 1) throw new Error(`CosineAnnealingWarmRestarts: tMult must be an integer ≥ 1, got ${String(this.tMult)}`);
    if (!(this.etaMin >= 0)) throw new Error(`CosineAnnealingWarmRestarts: etaMin must be ≥ 0, got ${String(this.etaMin)}`);
  }
  factor(t: number, lr0: number): number {
    let tCur = t;
    let tI = this.t0;
    while (tCur >= tI) {
      tCur -= tI;
      tI *= this.tMult;
    }
    return this.etaMin + ((lr0 - this.etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2;
  }
}

/**
 * One schedule after another, as torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers,
 * milestones): schedulers[i] runs from milestones[i−1], restarted at its epoch 0 there
 * (warm-up then decay: [new LinearLR(opt, 0.1, 1, 5), new CosineAnnealingLR(opt, 25)], [5]).
 * The schedules are given the same optimizer and are stepped by this one only.
 */
export class SequentialLR extends EpochScheduler {
  readonly name = 'SequentialLR';
  readonly schedulers: readonly EpochScheduler[];
  readonly milestones: readonly number[];
  constructor(optimizer: Optimizer, schedulers: readonly Scheduler[] | { schedulers: readonly Scheduler[]; milestones: readonly number[] }, milestones?: readonly number[] | object) {
    super(optimizer, 'SequentialLR');
    const [s, m] = (Array.isArray(schedulers) && Array.isArray(milestones) ? [schedulers, milestones] : keywordArgs('SequentialLR', [schedulers, milestones], ['schedulers', 'milestones'])) as [unknown, unknown];
    if (!Array.isArray(s) || s.length === 0) throw new Error(`SequentialLR: schedulers must be a non-empty array of schedules, got ${showValue(s)}`);
    s.forEach((x, i) => {
      if (!(x instanceof EpochScheduler) || x instanceof SequentialLR) throw new Error(`SequentialLR: schedulers[${i}] must be an epoch schedule (StepLR, LinearLR, CosineAnnealingLR, …), got ${x instanceof ReduceLROnPlateau ? 'ReduceLROnPlateau, which steps on a metric' : showValue(x)}`);
      if (x.optimizer !== optimizer) throw new Error(`SequentialLR: schedulers[${i}] was made for another optimizer than the one given to SequentialLR`);
    });
    if (!Array.isArray(m) || m.length !== s.length - 1 || m.some((e, i) => !Number.isInteger(e) || e < 1 || (i > 0 && e <= m[i - 1]))) {
      throw new Error(`SequentialLR: milestones must be ${s.length - 1} increasing positive integers (one fewer than the schedulers), got ${JSON.stringify(m)}`);
    }
    this.schedulers = s as EpochScheduler[];
    this.milestones = m as number[];
    this.optimizer.groups.forEach((g, i) => (g.lr = this.factor(0, g.initialLr, i)));
  }
  factor(t: number, lr0: number, group: number): number {
    let i = 0;
    while (i < this.milestones.length && this.milestones[i] <= t) i++;
    return this.schedulers[i].factor(i === 0 ? t : t - this.milestones[i - 1], lr0, group);
  }
}

export interface OneCycleLROptions {
  maxLr: number | readonly number[];
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  divFactor?: number;
  finalDivFactor?: number;
  threePhase?: boolean;
}

/**
 * The 1cycle policy (Smith & Topin 2019), as torch.optim.lr_scheduler.OneCycleLR, stepped once
 * per batch: lr rises from maxLr/divFactor to maxLr over pctStart of totalSteps, then anneals to
 * maxLr/(divFactor·finalDivFactor) (threePhase: back down to the start first); momentum (SGD's
 * momentum, Adam's β₁) moves the other way between maxMomentum and baseMomentum, as PyTorch's
 * default cycleMomentum. Annealing: cos, f(p) = end + (start − end)·(1 + cos πp)/2; or linear.
 */
export class OneCycleLR extends EpochScheduler {
  readonly name = 'OneCycleLR';
  readonly totalSteps: number;
  private readonly o: Required<Omit<OneCycleLROptions, 'totalSteps' | 'epochs' | 'stepsPerEpoch' | 'maxLr'>>;
  private readonly maxLrs: number[];
  private readonly phases: Array<{ end: number; lr: [string, string]; m: [string, string] }>;
  constructor(optimizer: Optimizer, maxLr: number | readonly number[] | OneCycleLROptions, totalSteps?: number | Omit<OneCycleLROptions, 'maxLr'>, ...rest: unknown[]) {
    super(optimizer, 'OneCycleLR');
    const keys = ['maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase'];
    const v = keywordArgs('OneCycleLR', [maxLr, totalSteps, ...rest], keys);
    const [ml, ts, ep, spe, pctStart, annealStrategy, cycleMomentum, baseMomentum, maxMomentum, divFactor, finalDivFactor, threePhase] = v as [unknown, number | undefined, number | undefined, number | undefined, ...unknown[]];
    const n = optimizer.groups.length;
    const mls = Array.isArray(ml) ? (ml as number[]) : Array.from({ length: n }, () => ml as number);
    if (mls.length !== n || mls.some((x) => typeof x !== 'number' || !(x > 0))) throw new Error(`OneCycleLR: maxLr must be a number > 0 or one per parameter group (${n}), got ${showValue(ml)}`);
    this.maxLrs = mls;
    if (ts !== undefined) this.totalSteps = ts;
    else if (ep !== undefined && spe !== undefined) this.totalSteps = ep * spe;
    else throw new Error('OneCycleLR: give totalSteps, or epochs and stepsPerEpoch');
    if (!Number.isInteger(this.totalSteps) || this.totalSteps < 1) throw new Error(`OneCycleLR: totalSteps (or epochs·stepsPerEpoch) must be a positive integer, got ${String(this.totalSteps)}`);
    this.o = {
      pctStart: (pctStart as number | undefined) ?? 0.3,
      annealStrategy: (annealStrategy as 'cos' | 'linear' | undefined) ?? 'cos',
      cycleMomentum: (cycleMomentum as boolean | undefined) ?? true,
      baseMomentum: (baseMomentum as number | undefined) ?? 0.85,
      maxMomentum: (maxMomentum as number | undefined) ?? 0.95,
      divFactor: (divFactor as number | undefined) ?? 25,
      finalDivFactor: (finalDivFactor as number | undefined) ?? 1e4,
      threePhase: (threePhase as boolean | undefined) ?? false,
    };
    const o = this.o;
    if (!(o.pctStart >= 0 && o.pctStart <= 1)) throw new Error(`OneCycleLR: pctStart must be in [0, 1], got ${String(o.pctStart)}`);
    if (o.annealStrategy !== 'cos' && o.annealStrategy !== 'linear') throw new Error(`OneCycleLR: annealStrategy must be 'cos' or 'linear', got ${showValue(o.annealStrategy)}`);
    for (const k of ['divFactor', 'finalDivFactor', 'baseMomentum', 'maxMomentum'] as const) if (typeof o[k] !== 'number' || !(o[k] > 0)) throw new Error(`OneCycleLR: ${k} must be a number > 0, got ${showValue(o[k])}`);
    const t = this.totalSteps;
    this.phases = o.threePhase
      ? [
          { end: o.pctStart * t - 1, lr: ['initial', 'max'], m: ['max', 'base'] },
          { end: 2 * o.pctStart * t - 2, lr: ['max', 'initial'], m: ['base', 'max'] },
          { end: t - 1, lr: ['initial', 'min'], m: ['max', 'max'] },
        ]
      : [
          { end: o.pctStart * t - 1, lr: ['initial', 'max'], m: ['max', 'base'] },
          { end: t - 1, lr: ['max', 'min'], m: ['base', 'max'] },
        ];
    if (o.cycleMomentum) {
      optimizer.groups.forEach((g, i) => {
        const opts = g.options as { momentum?: number; betas?: [number, number] };
        if (opts.betas === undefined && !(typeof opts.momentum === 'number' && opts.momentum > 0)) {
          throw new Error(`OneCycleLR: cycleMomentum needs an optimizer with momentum (SGD with momentum > 0, Adam's betas); parameter group ${i} has none: pass {cycleMomentum: false}`);
        }
      });
    }
    // As PyTorch: the groups start at initial_lr = maxLr/divFactor (the optimizer's own lr is not used).
    optimizer.groups.forEach((g, i) => (g.initialLr = this.maxLrs[i] / o.divFactor));
    this.apply(0);
  }
  /** One optimizer step; `step(t)` (PyTorch's deprecated form) sets the step count to t instead. */
  override step(epoch?: number): void {
    this.lastEpoch = epoch === undefined ? this.lastEpoch + 1 : Math.floor(checkEpoch(this.name, epoch));
    if (this.lastEpoch > this.totalSteps) throw new Error(`OneCycleLR: step ${this.lastEpoch} is past totalSteps ${this.totalSteps} (PyTorch raises too): make totalSteps (or epochs·stepsPerEpoch) the number of optimizer steps`);
    this.apply(this.lastEpoch);
  }
  override loadStateDict(state: Record<string, unknown>): void {
    super.loadStateDict(state);
    this.apply(this.lastEpoch);
  }
  private anneal(start: number, end: number, pct: number): number {
    return this.o.annealStrategy === 'cos' ? end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1) : (end - start) * pct + start;
  }
  private at(t: number, values: Record<string, number>, key: 'lr' | 'm'): number {
    let start = 0;
    for (let i = 0; i < this.phases.length; i++) {
      const p = this.phases[i];
      if (t <= p.end || i === this.phases.length - 1) return this.anneal(values[p[key][0]], values[p[key][1]], (t - start) / (p.end - start));
      start = p.end;
    }
    return NaN;
  }
  factor(t: number, _lr0: number, group: number): number {
    const initial = this.maxLrs[group] / this.o.divFactor;
    return this.at(t, { initial, max: this.maxLrs[group], min: initial / this.o.finalDivFactor }, 'lr');
  }
  private apply(t: number): void {
    this.optimizer.groups.forEach((g, i) => {
      g.lr = this.factor(t, g.initialLr, i);
      if (!this.o.cycleMomentum) return;
      const m = this.at(t, { base: this.o.baseMomentum, max: this.o.maxMomentum }, 'm');
      const opts = g.options as { momentum?: number; betas?: [number, number] };
      if (opts.betas !== undefined) opts.betas = [m, opts.betas[1]];
      else opts.momentum = m;
    });
  }
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  minLr?: number;
  eps?: number;
}

/**
 * Multiply lr by `factor` when the metric has not improved for more than `patience` epochs,
 * as torch.optim.lr_scheduler.ReduceLROnPlateau (improvement: better than best·(1 ∓ threshold)
 * in 'rel' mode, best ∓ threshold in 'abs'; changes smaller than eps are skipped).
 */
export class ReduceLROnPlateau implements Scheduler {
  readonly name = 'ReduceLROnPlateau';
  lastEpoch = 0;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  private readonly o: Required<ReduceLROnPlateauOptions>;

  /**
   * `new ReduceLROnPlateau(opt, {mode: 'max', patience: 2})`, or PyTorch's positional form in its
   * order (`ReduceLROnPlateau(opt, 'min', 0.5, 2)`: mode, factor, patience, threshold, …), which
   * may end with an options object (`ReduceLROnPlateau(opt, 'min', {patience: 5})`).
   */
  constructor(private readonly optimizer: Optimizer, options: ReduceLROnPlateauOptions | ReduceLROnPlateauOptions['mode'] = {}, ...rest: unknown[]) {
    checkOptimizer('ReduceLROnPlateau', optimizer);
    const keys = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'] as const;
    if (typeof options === 'string') {
      // PyTorch's keywords after positional arguments, ReduceLROnPlateau(opt, 'min', patience=5), as a last options object.
      const last = rest[rest.length - 1];
      const named = typeof last === 'object' && last !== null ? (rest.pop() as Record<string, unknown>) : {};
      if (rest.length > keys.length - 1) throw new Error(`ReduceLROnPlateau: at most ${keys.length} positional arguments after the optimizer (${keys.join(', ')}), got ${rest.length + 1}`);
      const values = [options, ...rest];
      checkOptions('ReduceLROnPlateau', named, keys);
      const twice = keys.slice(0, values.length).filter((k) => k in named);
      if (twice.length > 0) throw new Error(`ReduceLROnPlateau: ${twice.join(', ')} given both positionally and in the options`);
      options = { ...Object.fromEntries(keys.slice(0, values.length).map((k, i) => [k, values[i]])), ...named } as ReduceLROnPlateauOptions;
    } else if (options === null || typeof options !== 'object') {
      throw new Error(`ReduceLROnPlateau: expected options such as {mode: 'min', patience: 10} or the mode 'min'/'max', got ${String(options)}`);
    }
    checkOptions('ReduceLROnPlateau', options, keys);
    this.o = {
      mode: options.mode ?? 'min',
      factor: options.factor ?? 0.1,
      patience: options.patience ?? 10,
      threshold: options.threshold ?? 1e-4,
      thresholdMode: options.thresholdMode ?? 'rel',
      cooldown: options.cooldown ?? 0,
      minLr: options.minLr ?? 0,
      eps: options.eps ?? 1e-8,
    };
    if (this.o.mode !== 'min' && this.o.mode !== 'max') throw new Error(`ReduceLROnPlateau: mode must be 'min' or 'max', got '${this.o.mode}'`);
    if (!(this.o.factor > 0 && this.o.factor < 1)) throw new Error(`ReduceLROnPlateau: factor must be in (0, 1), got ${this.o.factor}`);
    if (!Number.isInteger(this.o.patience) || this.o.patience < 0) throw new Error(`ReduceLROnPlateau: patience must be an integer ≥ 0, got ${this.o.patience}`);
    if (this.o.thresholdMode !== 'rel' && this.o.thresholdMode !== 'abs') throw new Error(`ReduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got '${this.o.thresholdMode}'`);
    this.best = this.o.mode === 'min' ? Infinity : -Infinity;
  }

  /** 'min': the metric should fall (a loss); 'max': rise (an accuracy). */
  get mode(): 'min' | 'max' {
    return this.o.mode;
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode, threshold } = this.o;
    if (mode === 'min') return thresholdMode === 'rel' ? a < this.best * (1 - threshold) : a < this.best - threshold;
    return thresholdMode === 'rel' ? a > this.best * (threshold + 1) : a > this.best + threshold;
  }

  step(metric?: number): void {
    if (typeof metric !== 'number') throw new Error(`ReduceLROnPlateau.step(metric): the monitored metric (a number) is required, got ${showValue(metric)}`);
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.o.patience) {
      for (const g of this.optimizer.groups) {
        const next = Math.max(g.lr * this.o.factor, this.o.minLr);
        if (g.lr - next > this.o.eps) g.lr = next;
      }
      this.cooldownCounter = this.o.cooldown;
      this.numBadEpochs = 0;
    }
  }

  /** The lr of each parameter group (PyTorch's get_last_lr()). */
  getLastLr(): number[] {
    return this.optimizer.groups.map((g) => g.lr);
  }

  stateDict(): Record<string, unknown> {
    return { lastEpoch: this.lastEpoch, best: this.best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter };
  }
  loadStateDict(state: Record<string, unknown>): void {
    for (const k of ['lastEpoch', 'best', 'numBadEpochs', 'cooldownCounter'] as const) {
      if (typeof state[k] !== 'number') throw new Error(`ReduceLROnPlateau.loadStateDict: ${k} missing`);
    }
    this.lastEpoch = state.lastEpoch as number;
    this.best = state.best as number;
    this.numBadEpochs = state.numBadEpochs as number;
    this.cooldownCounter = state.cooldownCounter as number;
  }
}

// scheduler.get_last_lr(), scheduler.last_epoch: errors naming gradlab's spelling (src/options.ts).
pointSnakeCase(EpochScheduler, ['lastEpoch']);
pointSnakeCase(ReduceLROnPlateau);
