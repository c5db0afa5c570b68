/**
 * Build the lab's network from its state: per hidden layer Linear → [BatchNorm1d] → activation
 * → [Dropout], then the output Linear, through src/models.ts's buildModel. 'auto' gives each
 * Linear the init its consumer activation recommends.
 */
import { buildModel } from '../../src/models.js';
import type { Sequential } from '../../src/nn/index.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { OPTIMIZERS } from '../../src/optim/registry.js';
import type { Tensor } from '../../src/tensor.js';
import type { LabState } from './state.js';

export function outputUnits(state: LabState, numClasses: number): number {
  return state.head === 'bceWithLogits' && numClasses === 2 ? 1 : numClasses;
}

export function buildLabModel(state: LabState, inputDim: number, numClasses: number): Sequential {
  // The same builder as the CLI's model files (src/models.ts), with per-layer settings.
  return buildModel({
    inputs: inputDim,
    layers: state.layers.map((l) => l.width),
    activation: state.layers[0]?.activation ?? 'relu',
    activations: state.layers.map((l) => l.activation),
    init: state.init,
    batchnorm: false,
    batchnorms: state.layers.map((l) => l.bn),
    dropout: state.dropout,
    outputs: outputUnits(state, numClasses),
    output: state.head === 'crossEntropy' ? 'softmax' : state.head === 'bceWithLogits' && numClasses === 2 ? 'sigmoid' : 'linear',
  });
}

/**
 * The lab's optimizer: the registry's, with the lab's lr and every other option left to the
 * optimizer's defaults (AdamW keeps its decoupled decay 1e-2), as the CLI and fit() build it.
 */
export function labOptimizer(state: LabState, params: Tensor[]): Optimizer {
  return OPTIMIZERS[state.optimizer].create(params, { lr: state.lr });
}
