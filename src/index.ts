/**
 * gradlab's public API. Namespaces ops, nn, init, loss, optim as in DESIGN.md; everything
 * exported here is browser-safe (Node-only helpers live in 'gradlab/node').
 */
export { Tensor, tensor, zeros, ones, full, randn, rand, randint, multinomial, zerosLike, onesLike, randLike, randnLike, arange, linspace, labels, shapeSize, formatShape, type TensorOptions, type NestedArray, type DType, type DTypeName, type FloatArray } from './tensor.js';
export { noGrad, isGradEnabled, backward, stepScope } from './autograd.js';
// PyTorch's torch.utils.hooks.RemovableHandle: what Tensor.registerHook and Module.register…Hook return.
export { RemovableHandle } from './hooks.js';
// User-defined differentiable functions: autograd.Function, as torch.autograd.Function.
export * as autograd from './autograd-function.js';
export { memoryInfo, markPersistent, stepBoundary } from './memory.js';
export { manualSeed, Generator, defaultGenerator, type GeneratorState } from './random.js';
// Importing the library selects the fastest kernels the runtime supports (WebAssembly SIMD in
// Node synchronously; in browsers asynchronously: await ready()).
import './kernels/auto.js';
export { ready, shutdownThreads } from './kernels/auto.js';
export { setNumThreads, getNumThreads, getBackend, getGemmKernel, setBackend } from './kernels/index.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
export {
  ACTIVATIONS,
  ACTIVATION_NAMES,
  SATURATION_FRACTION,
  getActivation,
  isActivationName,
  type Activation,
  type ActivationName,
  type ActivationSpelling,
  type FailureMode,
} from './activations.js';

export * as ops from './ops/index.js';
// Tensor methods mirroring the ops (x.add(y), x.argmax(1), …), added to Tensor.prototype.
import './tensor-methods.js';
export type { DimKeywords } from './tensor-methods.js';
export { formatTensor } from './format.js';
export * as nn from './nn/index.js';
export * as init from './init.js';
export * as loss from './loss.js';
export * as optim from './optim/index.js';

// Data sets, batching, splits, synthetic problems, IDX/CSV parsing (browser-safe).
export * from './data/index.js';
// safetensors (browser-safe byte-level format; file helpers are in gradlab/node).
export * from './io/index.js';
// Model files from/to bytes (gradlab/node has saveModel/loadModel for paths), model specs, ONNX export.
export { modelToBytes, modelFromBytes, type SaveModelOptions, type LoadedModel, type ModelInfo, type DataInfo } from './io/model.js';
export { buildModel, specFromModel, validateSpec, describeSpec, type ModelSpec, type OutputKind } from './models.js';
export { exportOnnx, ONNX_LAYERS, ONNX_ACTIVATIONS, ONNX_OPSET, type OnnxLayerRule, type OnnxExportOptions } from './io/export-onnx.js';
// The run recipe: typed DataSpec/RunConfig with their readers, and the one table of default departures.
export { readDataSpec, readRunConfig, defaultLr, LR_DEVIATIONS, RUN_LIMITS, type DataSpec, type RunConfig } from './recipe.js';

// Training: fit/evaluate/predict, callbacks, and the Report contract.
export {
  fit, evaluate, predict, EarlyStopping, ModelCheckpoint, snapshotState, DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE, CallbackError,
  type FitData, type EvaluateOptions, type EvaluateResult, type PredictOptions, type EarlyStoppingOptions,
  type ModelCheckpointOptions, type CheckpointState, type StateSnapshot,
} from './train/index.js';
export type * from './train/types.js';
// Diagnostics: per-layer monitors and the health rules.
export {
  HEALTH_RULES, RULE_NAMES, THRESHOLDS, runHealthChecks, trackFindings, currentFindings, getRule, DEFAULT_MONITOR_EVERY, probeActivations, layerNamer, reportLayerNamer,
  type HealthRule,
} from './diagnostics/index.js';
// The "check your understanding" questions the lab and the experiment pages ask.
export { QUIZ, checkAnswer, quizQuestion, quizForExperiment, type QuizQuestion } from './quiz.js';
