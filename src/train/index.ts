/** The Trainer: fit/evaluate/predict, callbacks, metrics, and the Report contract. */
export {
  fit,
  evaluate,
  predict,
  defaultLossName,
  baselineLoss,
  DEFAULT_EPOCHS,
  DEFAULT_BATCH_SIZE,
  CallbackError,
  type FitData,
  type EvaluateOptions,
  type EvaluateResult,
  type PredictOptions,
} from './fit.js';
export {
  EarlyStopping,
  ModelCheckpoint,
  snapshotState,
  readMonitor,
  type EarlyStoppingOptions,
  type ModelCheckpointOptions,
  type CheckpointState,
  type StateSnapshot,
  type MonitorMode,
} from './callbacks.js';
export { categoricalAccuracy, binaryAccuracy, topKAccuracy, resolveMetric, type Metric, type MetricContext } from './metrics.js';
export { jsonSafe, fmt } from './json.js';
export { macrotask, YIELD_SLICE_MS } from './yield.js';
export type * from './types.js';
