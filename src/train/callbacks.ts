/**
 * Built-in callbacks: early stopping and model checkpointing (Keras' EarlyStopping and
 * ModelCheckpoint, with PyTorch's state dicts).
 */
import type { Module } from '../nn/module.js';
import type { OptimizerState } from '../optim/optimizer.js';
import type { Callback, EpochLogs, TrainContext } from './types.js';

/** A copy of a module's parameters and buffers: {key: {shape, data}}, loadable by loadStateDict. */
export type StateSnapshot = Record<string, { shape: number[]; data: Float32Array | Float64Array }>;

/** Copy the model's state (so later training does not change the copy). */
export function snapshotState(model: Module): StateSnapshot {
  const out: StateSnapshot = {};
  for (const [k, t] of Object.entries(model.stateDict())) out[k] = { shape: t.shape.slice(), data: t.data.slice() };
  return out;
}

/**
 * The value of `monitor` in an epoch's logs: 'loss', 'valLoss', a metric name ('accuracy',
 * 'top5') or a validation metric ('valAccuracy', 'valTop5'); undefined when absent.
 */
export function readMonitor(logs: EpochLogs, monitor: string): number | undefined {
  if (monitor === 'loss') return logs.loss;
  if (monitor === 'valLoss') return logs.valLoss;
  if (monitor in logs.metrics) return logs.metrics[monitor];
  if (monitor.startsWith('val') && monitor.length > 3 && logs.valMetrics) {
    const key = monitor[3].toLowerCase() + monitor.slice(4);
    if (key in logs.valMetrics) return logs.valMetrics[key];
  }
  return undefined;
}

function availableMonitors(logs: EpochLogs): string[] {
  const out = ['loss', ...Object.keys(logs.metrics)];
  if (logs.valLoss !== undefined) out.push('valLoss');
  for (const k of Object.keys(logs.valMetrics ?? {})) out.push('val' + k[0].toUpperCase() + k.slice(1));
  return out;
}

/**
 * A monitor name in Keras's snake case ('val_loss', 'val_acc') is refused before training with
 * gradlab's camelCase name ('valLoss', 'valAccuracy'): no epoch-log key holds an underscore.
 */
function checkMonitorName(where: string, monitor: unknown): string {
  if (typeof monitor !== 'string' || monitor.length === 0) throw new Error(`${where}: monitor must be a name such as 'valLoss', 'loss' or 'valAccuracy', got ${String(monitor)}`);
  if (monitor.includes('_')) {
    const camel = monitor.replace(/_+([a-z0-9])/gi, (_m, c: string) => c.toUpperCase()).replace(/(^a|A)cc$/, '$1ccuracy');
    throw new Error(`${where}: monitor '${monitor}' is Keras's spelling; gradlab's epoch logs name it '${camel}' (e.g. 'loss', 'valLoss', 'accuracy', 'valAccuracy')`);
  }
  return monitor;
}

export type MonitorMode = 'min' | 'max' | 'auto';

/** 'max' for accuracies, 'min' otherwise (losses). */
export function resolveMode(monitor: string, mode: MonitorMode): 'min' | 'max' {
  if (mode === 'min' || mode === 'max') return mode;
  if (mode !== 'auto') throw new Error(`mode must be 'min', 'max' or 'auto', got '${String(mode)}'`);
  return /accuracy|top\d+/i.test(monitor) ? 'max' : 'min';
}

/** Tracks the best value of a monitored quantity with a minimum improvement. */
class BestTracker {
  best: number;
  constructor(readonly mode: 'min' | 'max', readonly minDelta: number) {
    this.best = mode === 'min' ? Infinity : -Infinity;
  }
  isImprovement(v: number): boolean {
    if (!Number.isFinite(v)) return false;
    return this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta;
  }
}

function read(where: string, logs: EpochLogs, monitor: string): number {
  const v = readMonitor(logs, monitor);
  if (v === undefined) {
    throw new Error(
      `${where}: monitor '${monitor}' is not in the epoch logs (available: ${availableMonitors(logs).join(', ')}).` +
        (monitor.startsWith('val') ? ' Pass validationData or validationSplit to fit(), or monitor a training value.' : ''),
    );
  }
  return v;
}

export interface EarlyStoppingOptions {
  /** Default 'valLoss'. */
  monitor?: string;
  /** Default 'auto': 'max' for accuracies, 'min' otherwise. */
  mode?: MonitorMode;
  /** Epochs without improvement before stopping; default 0 (stop at the first one, as Keras; 0 acts as 1). */
  patience?: number;
  /** An improvement must exceed this (absolute) amount; default 0. */
  minDelta?: number;
  /**
   * At the end of training put back the weights of the best epoch — whether training was
   * stopped early or ran all its epochs (unlike Keras before 3.x, which restored only on a stop).
   * This happens in onTrainStop, before fit's end-of-run evaluation and health checks, and is
   * recorded as Report.restored: the Report describes the model fit returns.
   */
  restoreBestWeights?: boolean;
}

/**
 * Stop training when the monitored value has not improved by more than minDelta for
 * `patience` epochs (Prechelt 1998, "Early stopping — but when?"; Keras' EarlyStopping).
 */
export class EarlyStopping implements Callback {
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  /** Epoch (0-based) of the best value, −1 before the first epoch. */
  bestEpoch = -1;
  bestValue = NaN;
  /** Epoch at which training was stopped, −1 when it was not. */
  stoppedEpoch = -1;
  /** Whether the best weights were put back at the end. */
  restored = false;
  private wait = 0;
  private lastEpoch = -1;
  private tracker: BestTracker;
  private bestState: StateSnapshot | null = null;

  constructor(options: EarlyStoppingOptions = {}) {
    this.monitor = checkMonitorName('EarlyStopping', options.monitor ?? 'valLoss');
    this.mode = resolveMode(this.monitor, options.mode ?? 'auto');
    this.patience = options.patience ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 0) throw new Error(`EarlyStopping: patience must be an integer ≥ 0, got ${this.patience}`);
    this.minDelta = options.minDelta ?? 0;
    if (!(this.minDelta >= 0)) throw new Error(`EarlyStopping: minDelta must be ≥ 0, got ${this.minDelta}`);
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.tracker = new BestTracker(this.mode, this.minDelta);
  }

  onTrainBegin(): void {
    this.tracker = new BestTracker(this.mode, this.minDelta);
    this.bestEpoch = -1;
    this.bestValue = NaN;
    this.stoppedEpoch = -1;
    this.restored = false;
    this.wait = 0;
    this.lastEpoch = -1;
    this.bestState = null;
  }

  onEpochEnd(logs: EpochLogs, ctx: TrainContext): void {
    const v = read('EarlyStopping', logs, this.monitor);
    this.lastEpoch = logs.epoch;
    if (this.tracker.isImprovement(v)) {
      this.tracker.best = v;
      this.bestValue = v;
      this.bestEpoch = logs.epoch;
      this.wait = 0;
      if (this.restoreBestWeights) this.bestState = snapshotState(ctx.model);
      return;
    }
    this.wait++;
    if (this.wait >= Math.max(this.patience, 1)) {
      this.stoppedEpoch = logs.epoch;
      ctx.stopTraining = true;
    }
  }

  onTrainStop(ctx: TrainContext): void {
    if (this.restoreBestWeights && this.bestState && this.bestEpoch !== this.lastEpoch) {
      ctx.model.loadStateDict(this.bestState);
      this.restored = true;
      ctx.report.restored = { epoch: this.bestEpoch, by: 'EarlyStopping', monitor: this.monitor, value: Number.isFinite(this.bestValue) ? this.bestValue : null };
    }
    // The copy is not needed any more (it is a whole model's worth of memory).
    this.bestState = null;
  }
}

/** What a checkpoint hook receives: a copy, safe to write out asynchronously. */
export interface CheckpointState {
  /** Epoch (0-based) just finished. */
  epoch: number;
  /** Optimizer steps so far. */
  step: number;
  /** 'every': the periodic save; 'best': the monitored value improved. */
  reason: 'every' | 'best';
  monitor: string;
  /** The monitored value at this epoch (undefined when absent from the logs). */
  value: number | undefined;
  logs: EpochLogs;
  /** Parameters and buffers by PyTorch state-dict key (copies). */
  modelState: StateSnapshot;
  optimizerState: OptimizerState;
}

export interface ModelCheckpointOptions {
  /** Called with the state to save; awaited before training continues. */
  save: (state: CheckpointState) => void | Promise<void>;
  /** Save every N epochs. Default: 1 when `onBest` is false, off otherwise. */
  every?: number;
  /** Save whenever the monitored value improves. Default false. */
  onBest?: boolean;
  /** Default 'valLoss' (falls back to nothing: a missing monitor with onBest is an error). */
  monitor?: string;
  mode?: MonitorMode;
  minDelta?: number;
}

/**
 * Model checkpointing hook: hands a snapshot of the model and optimizer state to `save`
 * every N epochs and/or when the monitored value improves. Writing it (safetensors, JSON,
 * IndexedDB) is the caller's choice.
 */
export class ModelCheckpoint implements Callback {
  readonly every: number | null;
  readonly onBest: boolean;
  readonly monitor: string;
  /** Epochs at which `save` was called, with the reason. */
  readonly saved: Array<{ epoch: number; reason: 'every' | 'best' }> = [];
  private readonly save: ModelCheckpointOptions['save'];
  private tracker: BestTracker;
  private readonly mode: 'min' | 'max';
  private readonly minDelta: number;

  constructor(options: ModelCheckpointOptions) {
    if (typeof options?.save !== 'function') throw new Error('ModelCheckpoint: options.save must be a function receiving the state to save');
    this.save = options.save;
    this.onBest = options.onBest ?? false;
    const every = options.every ?? (this.onBest ? null : 1);
    if (every !== null && (!Number.isInteger(every) || every < 1)) throw new Error(`ModelCheckpoint: every must be an integer ≥ 1, got ${every}`);
    this.every = every;
    this.monitor = checkMonitorName('ModelCheckpoint', options.monitor ?? 'valLoss');
    this.mode = resolveMode(this.monitor, options.mode ?? 'auto');
    this.minDelta = options.minDelta ?? 0;
    if (!(this.minDelta >= 0)) throw new Error(`ModelCheckpoint: minDelta must be ≥ 0, got ${this.minDelta}`);
    this.tracker = new BestTracker(this.mode, this.minDelta);
  }

  onTrainBegin(): void {
    this.tracker = new BestTracker(this.mode, this.minDelta);
    this.saved.length = 0;
  }

  async onEpochEnd(logs: EpochLogs, ctx: TrainContext): Promise<void> {
    const value = this.onBest ? read('ModelCheckpoint', logs, this.monitor) : readMonitor(logs, this.monitor);
    const reasons: Array<'every' | 'best'> = [];
    if (this.every !== null && (logs.epoch + 1) % this.every === 0) reasons.push('every');
    if (this.onBest && value !== undefined && this.tracker.isImprovement(value)) {
      this.tracker.best = value;
      reasons.push('best');
    }
    if (reasons.length === 0) return;
    const modelState = snapshotState(ctx.model);
    const optimizerState = ctx.optimizer.stateDict();
    for (const reason of reasons) {
      this.saved.push({ epoch: logs.epoch, reason });
      await this.save({ epoch: logs.epoch, step: ctx.step, reason, monitor: this.monitor, value, logs, modelState, optimizerState });
    }
  }
}
