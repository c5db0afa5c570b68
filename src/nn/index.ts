export { Module, Parameter, ModuleList, ModuleDict, type StateEntry, type StateDictSource } from './module.js';
export { Linear, type LinearOptions, type InitSpec, type InitFunction } from './linear.js';
export { BatchNorm1d, type BatchNormOptions } from './batchnorm.js';
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
  Identity,
  activationModule,
} from './activation.js';
export { Dropout, AlphaDropout } from './dropout.js';
export { Sequential } from './sequential.js';
