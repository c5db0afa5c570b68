/**
 * Build the lab's network from its state, through src/models.ts's buildModel: the MLP (per hidden
 * layer Linear → [BatchNorm1d] → activation → [Dropout], then the output Linear), or a named CNN
 * (src/arch.ts MODEL_PRESETS, as `gradlab train --model` builds it: the flat image rows viewed as
 * [N, 1, 28, 28] by an Unflatten first, the output Linear appended). 'auto' gives each Linear and
 * Conv2d the init its consumer activation recommends.
 */
import { MODEL_PRESETS, parseArch } from '../../src/arch.js';
import { buildModel, type OutputKind } from '../../src/models.js';
import type { Sequential } from '../../src/nn/index.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { OPTIMIZERS } from '../../src/optim/registry.js';
import type { Tensor } from '../../src/tensor.js';
import { imageShape, type LabState } from './state.js';

export function outputUnits(state: LabState, numClasses: number): number {
  return state.head === 'bceWithLogits' && numClasses === 2 ? 1 : numClasses;
}

export function buildLabModel(state: LabState, inputDim: number, numClasses: number): Sequential {
  const output: OutputKind = state.head === 'crossEntropy' ? 'softmax' : state.head === 'bceWithLogits' && numClasses === 2 ? 'sigmoid' : 'linear';
  if (state.model !== 'mlp') {
    const inputShape = imageShape(state.dataset);
    // parseState gives the MLP to data that is not images; a state built by hand may not.
    if (!inputShape) throw new Error(`model ${state.model} needs images, and data set ${state.dataset} has none: choose MNIST digits or the MLP`);
    return buildModel({
      inputs: inputDim,
      layers: [],
      // Unused by a layer list (its activations are layers); required by the spec.
      activation: 'relu',
      init: state.init,
      batchnorm: false,
      dropout: 0,
      outputs: outputUnits(state, numClasses),
      output,
      arch: parseArch(MODEL_PRESETS[state.model].arch),
      inputShape,
    });
  }
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
    output,
  });
}

/**
 * The lab's optimizer: the registry's, with the lab's lr and every other option left to the
 * optimizer's defaults (AdamW keeps its decoupled decay 1e-2), as the CLI and fit() build it.
 */
export function labOptimizer(state: LabState, params: Tensor[]): Optimizer {
  return OPTIMIZERS[state.optimizer].create(params, { lr: state.lr });
}
