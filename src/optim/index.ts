export { Optimizer, type OptimizerState, type ParamGroup, type EffectiveOptions } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { clipGradNorm, clipGradValue, clipGradNorm as clipGradNorm_, clipGradValue as clipGradValue_, gradNorm, type ClipNormOptions } from './clip.js';
export { StepLR, MultiStepLR, LambdaLR, ExponentialLR, CosineAnnealingLR, LinearLR, CosineAnnealingWarmRestarts, SequentialLR, OneCycleLR, ReduceLROnPlateau, type OneCycleLROptions, type Scheduler, type ReduceLROnPlateauOptions } from './schedule.js';
export { OPTIMIZER_NAMES, OPTIMIZERS, getOptimizer, type OptimizerName, type RegistryOptions, type OptimizerOptionsInEffect } from './registry.js';
