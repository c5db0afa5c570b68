/**
 * The Trainer's contract: options of fit(), the callbacks it calls, and the Report it
 * returns. The Report is plain JSON-serialisable data ({config, history, monitors, findings})
 * drawn by the CLI, the HTML report and the web lab.
 *
 * JSON encoding of numbers: JSON has no NaN or ±Infinity, so in a Report every number is
 * finite or `null` — a NaN/±Infinity measured during training is stored as `null`, always
 * (never as a string). The fields where that can happen in practice are typed
 * `number | null`; the evidence text of a finding spells the raw value out ('NaN', 'Infinity').
 * No typed arrays appear in a Report. The live objects handed to callbacks (BatchLogs,
 * EpochLogs) carry the raw numbers, NaN included.
 */
import type { ActivationName } from '../activations.js';
import type { LossName } from '../loss.js';
import type { Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { OptimizerName } from '../optim/registry.js';
import type { Scheduler } from '../optim/schedule.js';
import type { Tensor } from '../tensor.js';

/** Training data: tensors (x [N, …], y [N] class indices or [N, k] targets) or a batch iterable. */
export interface TensorData {
  x: Tensor;
  y: Tensor;
}

export type MetricName = 'accuracy' | 'binaryAccuracy' | `top${number}`;

export interface MonitorOptions {
  /**
   * Record monitors every N optimizer steps (1 = every step). Default DEFAULT_MONITOR_EVERY
   * (src/diagnostics/monitors.ts), chosen to keep the overhead ≤ 10% on the benchmark MLP.
   * The first step is always recorded.
   */
  every?: number;
  /** Bins of activation histograms (default 30). */
  histogramBins?: number;
  /** At most this many values of a layer's output are sorted for its percentiles (default 2048). */
  percentileSamples?: number;
  /** Only these module paths ('0', '2', …); default every Linear, BatchNorm and activation layer. */
  layers?: string[];
}

export interface FitOptions {
  /** The epoch to reach (with initialEpoch: the total, as Keras's `epochs`). Default 10. */
  epochs?: number;
  /**
   * Epoch to start from (0-based), as Keras's `initial_epoch`: a resumed run trains epochs
   * initialEpoch … epochs − 1, numbered as the uninterrupted run numbers them. Default 0.
   */
  initialEpoch?: number;
  /** Optimizer steps already taken: this run's steps are numbered from initialStep + 1. Default 0. */
  initialStep?: number;
  /**
   * A resumed run's past: the epochs before initialEpoch and the findings so far, as the
   * interrupted run's Report had them (a checkpoint stores both). The Report starts from them, so
   * the health rules judge the whole run and a finding keeps its first step, as in the
   * uninterrupted run (the per-step series start at this run's first step).
   */
  initialHistory?: { epochs: EpochLogs[]; findings?: Finding[] };
  /** Examples per batch (default 32); a given DataLoader decides its own (it is what the Report records). With a BatchNorm1d in the model, a last batch of one example is dropped each epoch (trainingLoader), as `gradlab train` does. */
  batchSize?: number;
  /** An Optimizer instance, or a registry name (with `lr`, `weightDecay`). Default 'adam'. */
  optimizer?: Optimizer | OptimizerName;
  lr?: number;
  weightDecay?: number;
  /** A loss name or function; default crossEntropy for class labels, mse otherwise. */
  loss?: LossName | ((output: Tensor, target: Tensor) => Tensor);
  /** Default: ['accuracy'] with a classification loss (crossEntropy, or bceWithLogits on one output column), none otherwise. */
  metrics?: MetricName[];
  validationSplit?: number;
  validationData?: TensorData;
  shuffle?: boolean;
  clipGradNorm?: number;
  clipGradValue?: number;
  /**
   * A scheduler, or a factory given the optimizer; stepped once per epoch, after validation and
   * before the callbacks' onEpochEnd. ReduceLROnPlateau is stepped with the validation loss (the
   * training loss without validation), so its mode must be 'min'; to follow another metric, step
   * it in an onEpochEnd callback instead (`sched.step(logs.valMetrics.accuracy)`).
   */
  schedule?: Scheduler | ((optimizer: Optimizer) => Scheduler);
  callbacks?: Callback[];
  seed?: number;
  /** Per-layer monitors; false turns them off. */
  monitor?: MonitorOptions | false;
  /** Run the health rules and report findings (default true). */
  health?: boolean;
  /** Cancellation: training stops after the current batch. */
  signal?: AbortSignal;
  /**
   * Yield to the event loop (a macrotask: setImmediate in Node, MessageChannel in browsers)
   * every N batches so a browser tab stays responsive. Default: time-based, whenever 16 ms
   * (one frame) have passed since the last yield; 0 never yields between batches.
   */
  yieldEvery?: number;
  /** Examples per batch for validation (default: batchSize). */
  validationBatchSize?: number;
}

export interface BatchLogs {
  epoch: number;
  batch: number;
  /** Optimizer steps so far (1-based after this batch). */
  step: number;
  loss: number;
  metrics: Record<string, number>;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  lr: number;
}

export interface EpochLogs {
  epoch: number;
  /** Running average: the mean of the epoch's batch losses, in training mode while the weights changed. */
  loss: number;
  /** Running averages of the metrics over the epoch's batches (training mode, weights changing). */
  metrics: Record<string, number>;
  /**
   * The model at the end of the epoch in eval mode on the training split (a fixed sample of at
   * most TRAIN_EVAL_EXAMPLES): the "train loss / accuracy" to compare with validation.
   */
  trainLoss?: number;
  trainMetrics?: Record<string, number>;
  /** Examples that evaluation read. */
  trainExamples?: number;
  valLoss?: number;
  /** Standard error of valLoss over the validation examples (std of per-example losses / √n); absent for custom losses. */
  valLossStdErr?: number;
  valMetrics?: Record<string, number>;
  lr: number;
  durationMs: number;
}

export interface History {
  epochs: EpochLogs[];
  /**
   * Per-step training loss and gradient norm (every step; null where the value was NaN/±∞).
   * Not bounded: it grows with the run, by ≈ 0.3 kB of JSON (≈ 0.5 kB of JS heap) per step
   * (bench/fit-callbacks-long.mjs: 2.7 MB after 9,000 steps), as Monitors grows by one sample per
   * monitored step; a run of millions of steps should be split into several fit() calls
   * (initialEpoch/initialStep) keeping what it needs of each Report.
   */
  steps: Array<{ step: number; loss: number | null; gradNorm: number | null; lr: number }>;
  /**
   * Loss of the best constant predictor on the training targets (entropy of the class
   * frequencies for crossEntropy/bceWithLogits, variance of the targets for mse), the
   * "learned nothing" level the underfitting rule compares against; null for custom losses.
   */
  baselineLoss?: number | null;
}

export type Severity = 'info' | 'warning' | 'error';
export type FindingStatus = 'current' | 'resolved';
export type RuleName =
  | 'vanishing-gradients'
  | 'exploding-gradients'
  | 'non-finite'
  | 'saturation'
  | 'dead-units'
  | 'symmetry'
  | 'overfitting'
  | 'underfitting'
  | 'unstable-training'
  | 'update-ratio';

export interface Finding {
  rule: RuleName;
  severity: Severity;
  /** Module paths as in namedParameters() ('0', '1', …). */
  layers: string[];
  /** The step of the latest check at which the rule held (equals lastStep in a Report). */
  step: number;
  /**
   * History (set in a Report by trackFindings): the step of the first and of the last check
   * at which the rule held, and whether it still held at the last check ('current') or
   * stopped holding during training ('resolved': evidence and advice are those of its last
   * firing). A Report lists current findings first.
   */
  firstStep?: number;
  lastStep?: number;
  status?: FindingStatus;
  evidence: string;
  advice: string;
  /** The measured numbers behind `evidence`, for charts (null for NaN/±∞). */
  values?: Record<string, number | null>;
  /** Literature the advice comes from. */
  citation?: string;
}

/** Statistics of one layer's output at one monitored step. */
export interface ActivationStats {
  mean: number;
  std: number;
  /** 15th, 50th and 85th percentiles (Ioffe & Szegedy 2015, Fig. 1). */
  p15: number;
  p50: number;
  p85: number;
  histogram: { min: number; max: number; counts: number[] };
  /** Fraction of units in the activation's saturation band (sigmoid/tanh). */
  saturated?: number;
  /** Fraction of units (channels of a conv output: filters) inactive on every example of the batch (ReLU). */
  dead?: number;
  /** Number of values the statistics were computed from (rows × units). */
  count?: number;
  /** Conv output [N, C, H, W] of a ReLU-family layer: the indices of its dead filters (channels ≤ 0 at every position of every example). */
  deadChannels?: number[];
  /** Conv output [N, C, H, W] of a sigmoid/tanh layer: per channel, the fraction of its values in the saturation band. */
  channelSaturated?: number[];
}

export interface ParameterStats {
  /** Parameter key, as in namedParameters() ('0.weight'). */
  name: string;
  norm: number;
  gradNorm: number;
  /** ‖Δθ‖/‖θ‖ of the last update (θ before the update); null when ‖θ‖ = 0. */
  updateRatio: number | null;
  /** Number of elements (gradNorm/√size is the RMS gradient). */
  size: number;
}

export interface LayerSample {
  step: number;
  /** Pre-activation (Linear/BN output) or activation output statistics. */
  activation?: ActivationStats;
  params?: ParameterStats[];
  /** Hidden units with identical incoming weights (count of units duplicating another). */
  symmetricUnits?: number;
  /** Gradient norm over all of the layer's parameters. */
  gradNorm?: number;
}

export interface LayerSeries {
  /** Module path ('0', '1', …). */
  name: string;
  /** Module class ('Linear', 'BatchNorm1d', 'ReLU', …). */
  kind: string;
  activation?: ActivationName;
  /** Output units of a Linear (its outFeatures) or BatchNorm (numFeatures); output channels of a Conv2d or residual block. */
  units?: number;
  /** Input features of a Linear (its inFeatures); input channels of a Conv2d or residual block. */
  inputs?: number;
  /** Kernel size [kH, kW] of a Conv2d. */
  kernel?: [number, number];
  /**
   * Channels of the layer's output when it is [N, C, H, W] (set at the first monitored step):
   * its units are channels, and `dead` counts filters (channels ≤ 0 at every position of every
   * example of the batch).
   */
  channels?: number;
  /** How a Linear or Conv2d was initialised (an initializer name, 'auto' resolved; 'custom'). */
  init?: string;
  samples: LayerSample[];
}

export interface Monitors {
  /** The monitoring period N in optimizer steps (0 when monitors were off). */
  every?: number;
  /** Wall-clock ms spent computing monitors (a timing: excluded from determinism, like durationMs). */
  durationMs?: number;
  steps: number[];
  layers: LayerSeries[];
  /** Global gradient norm and ‖∇first‖/‖∇last‖ at each monitored step. */
  global: Array<{ step: number; gradNorm: number; firstToLastRatio: number | null }>;
  /**
   * Dead/saturated fractions of the activation layers over an evaluation set at the end of
   * training (the validation set, else up to 1024 training examples), in eval mode.
   */
  evaluation?: ActivationProbe[];
}

/** An activation layer's failure statistics over a whole evaluation set. */
export interface ActivationProbe {
  /** Module path of the activation layer. */
  layer: string;
  activation: ActivationName;
  /** Units; channels when the output is [N, C, H, W] (then `channels` is set too). */
  units: number;
  /** Channels of a [N, C, H, W] output, whose units are channels (filters). */
  channels?: number;
  examples: number;
  /** ReLU: fraction of units (filters) inactive (output ≤ 0, at every position) on every example. */
  dead?: number;
  /** sigmoid/tanh: fraction of outputs in the saturation band. */
  saturated?: number;
}

/** Where the first NaN/±Infinity appeared (Report.nonFinite, set when stopReason is 'non-finite'). */
export interface NonFiniteEvent {
  /** The optimizer step (1-based) whose computation produced it; that update was not applied. */
  step: number;
  epoch: number;
  batch: number;
  /**
   * forward: a module's output; loss: the loss of finite outputs; backward: a gradient;
   * update: the optimizer's update of finite gradients overflowed (the weights were restored).
   */
  phase: 'forward' | 'loss' | 'backward' | 'update';
  /** Module path of the first layer (in the phase's order) where it appeared; null when unknown (non-Sequential model, loss). */
  layer: string | null;
  /** Parameter key when the phase is backward/update and a parameter's gradient/value was the first non-finite. */
  parameter?: string | null;
  /** The loss value, as text ('NaN', 'Infinity', or a number). */
  loss: string;
}

/** Which epoch's weights a callback put back at the end of training (Report.restored). */
export interface RestoredWeights {
  /** Epoch (0-based) whose weights the model now holds. */
  epoch: number;
  /** The callback that restored them ('EarlyStopping'). */
  by: string;
  /** The monitored quantity and its value at that epoch (null for NaN/±∞). */
  monitor: string;
  value: number | null;
}

export interface Report {
  config: Record<string, unknown>;
  history: History;
  monitors: Monitors;
  findings: Finding[];
  /** Why training ended. */
  stopReason?: 'completed' | 'early-stopping' | 'cancelled' | 'non-finite';
  nonFinite?: NonFiniteEvent;
  /**
   * Set when a callback put an earlier epoch's weights back at the end of training
   * (EarlyStopping's restoreBestWeights): the model fit returns — and the end-of-run evaluation
   * and findings — are that epoch's.
   */
  restored?: RestoredWeights;
  /** Wall-clock duration of fit() in ms (excluded from determinism). */
  durationMs?: number;
}

export interface TrainContext {
  model: Module;
  optimizer: Optimizer;
  /**
   * Set to true in a callback to stop training (stopReason 'early-stopping'): from onBatchEnd,
   * after that batch — the epoch ends there, with its validation, logs and onEpochEnd, as in
   * Keras; from onEpochBegin or onEpochEnd, after the current epoch.
   */
  stopTraining: boolean;
  /** The report as built so far (live: its numbers may still be raw NaN until fit returns). */
  report: Report;
  /** Current epoch (0-based) and optimizer steps taken. */
  epoch: number;
  step: number;
}

/**
 * Hooks fit() awaits in this order: onTrainBegin; per epoch onEpochBegin, onBatchEnd after each
 * step, onEpochEnd, onFinding for each new finding; then onTrainStop and onTrainEnd. A hook that
 * throws ends fit() with an error naming the callback (its index and class), the hook and the
 * epoch, whose `cause` is the thrown error and whose `report` is the Report so far (the model
 * keeps the weights of its last step).
 */
export interface Callback {
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  /**
   * Training has ended, whatever the reason (completed, stopped, cancelled, non-finite), before
   * the end-of-run evaluation and health checks: a callback that changes the model here
   * (EarlyStopping's restoreBestWeights) is what the Report describes. onTrainEnd comes after,
   * with the final Report.
   */
  onTrainStop?(ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(logs: EpochLogs, ctx: TrainContext): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs, ctx: TrainContext): void | Promise<void>;
  /** A health finding, as soon as it is made. */
  onFinding?(finding: Finding, ctx: TrainContext): void | Promise<void>;
}
