// nn.init.xavierUniform_(m.weight), as torch.nn.init: the same functions as the top-level init.
export * as init from '../init.js';
export * as utils from './utils.js';
export { Module, Parameter, ModuleList, ModuleDict, type StateEntry, type StateDictSource, type ForwardHook, type ForwardPreHook, type BackwardHook, type BackwardPreHook } from './module.js';
export { Linear, type LinearOptions, type InitSpec, type InitFunction } from './linear.js';
export { BatchNorm, BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './batchnorm.js';
export { LayerNorm } from './layernorm.js';
export { Conv2d, type Conv2dOptions } from './conv.js';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Unflatten } from './pool.js';
export {
  ActivationModule,
  ReLU,
  LeakyReLU,
  PReLU,
  ELU,
  SELU,
  Sigmoid,
  Tanh,
  Softmax,
  GELU,
  SiLU,
  Softplus,
  Hardtanh,
  ReLU6,
  Identity,
  LogSoftmax,
  activationModule,
} from './activation.js';
export { Dropout, Dropout2d, AlphaDropout } from './dropout.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { Sequential } from './sequential.js';
export { Residual, BasicBlock } from './residual.js';
export { CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, HuberLoss, SmoothL1Loss, KLDivLoss, BCEWithLogitsLoss, BCELoss } from './loss.js';
