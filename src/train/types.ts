/**
 * The Trainer's contract: options of fit(), the callbacks it calls, and the Report it
 * returns. The Report is plain JSON-serialisable data ({config, history, monitors, findings})
 * drawn by the CLI, the HTML report and the web lab.
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
  /** Record monitors every N optimizer steps (default chosen to keep overhead ≤ 10%). */
  every?: number;
  /** Bins of activation histograms. */
  histogramBins?: number;
}

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** An Optimizer instance, or a registry name (with `lr`, `weightDecay`). Default 'adam'. */
  optimizer?: Optimizer | OptimizerName;
  lr?: number;
  weightDecay?: number;
  /** A loss name or function; default crossEntropy for class labels, mse otherwise. */
  loss?: LossName | ((output: Tensor, target: Tensor) => Tensor);
  metrics?: MetricName[];
  validationSplit?: number;
  validationData?: TensorData;
  shuffle?: boolean;
  clipGradNorm?: number;
  clipGradValue?: number;
  /** A scheduler, or a factory given the optimizer; stepped once per epoch. */
  schedule?: Scheduler | ((optimizer: Optimizer) => Scheduler);
  callbacks?: Callback[];
  seed?: number;
  /** Per-layer monitors; false turns them off. */
  monitor?: MonitorOptions | false;
  /** Run the health rules and report findings (default true). */
  health?: boolean;
  /** Cancellation: training stops after the current batch. */
  signal?: AbortSignal;
  /** Yield to the event loop every N batches so a browser tab stays responsive. */
  yieldEvery?: number;
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
  loss: number;
  metrics: Record<string, number>;
  valLoss?: number;
  valMetrics?: Record<string, number>;
  lr: number;
  durationMs: number;
}

export interface History {
  epochs: EpochLogs[];
  /** Per-step training loss and gradient norm (every step). */
  steps: Array<{ step: number; loss: number; gradNorm: number; lr: number }>;
}

export type Severity = 'info' | 'warning' | 'error';
export type RuleName =
  | 'vanishing-gradients'
  | 'exploding-gradients'
  | 'non-finite'
  | 'saturation'
  | 'dead-units'
  | 'symmetry'
  | 'overfitting'
  | 'underfitting';

export interface Finding {
  rule: RuleName;
  severity: Severity;
  /** Module paths as in namedParameters() ('0', '1', …). */
  layers: string[];
  step: number;
  evidence: string;
  advice: string;
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
  /** Fraction of units inactive on every example of the batch (ReLU). */
  dead?: number;
}

export interface ParameterStats {
  /** Parameter key, as in namedParameters() ('0.weight'). */
  name: string;
  norm: number;
  gradNorm: number;
  /** ‖Δθ‖/‖θ‖ of the last update. */
  updateRatio: number;
}

export interface LayerSample {
  step: number;
  /** Pre-activation (Linear/BN output) or activation output statistics. */
  activation?: ActivationStats;
  params?: ParameterStats[];
  /** Hidden units with identical incoming weights (count of units duplicating another). */
  symmetricUnits?: number;
}

export interface LayerSeries {
  /** Module path ('0', '1', …). */
  name: string;
  /** Module class ('Linear', 'BatchNorm1d', 'ReLU', …). */
  kind: string;
  activation?: ActivationName;
  samples: LayerSample[];
}

export interface Monitors {
  steps: number[];
  layers: LayerSeries[];
  /** Global gradient norm and ‖∇first‖/‖∇last‖ at each monitored step. */
  global: Array<{ step: number; gradNorm: number; firstToLastRatio: number }>;
}

export interface Report {
  config: Record<string, unknown>;
  history: History;
  monitors: Monitors;
  findings: Finding[];
  /** Why training ended. */
  stopReason?: 'completed' | 'early-stopping' | 'cancelled' | 'non-finite';
}

export interface TrainContext {
  model: Module;
  optimizer: Optimizer;
  /** Set to true in a callback to stop after the current epoch. */
  stopTraining: boolean;
  report: Report;
}

export interface Callback {
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(logs: EpochLogs, ctx: TrainContext): void | Promise<void>;
  onBatchEnd?(logs: BatchLogs, ctx: TrainContext): void | Promise<void>;
  /** A health finding, as soon as it is made. */
  onFinding?(finding: Finding, ctx: TrainContext): void | Promise<void>;
}
