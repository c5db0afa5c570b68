/**
 * Build the lab's network from its state: per hidden layer Linear → [BatchNorm1d] → activation
 * → [Dropout], then the output Linear. Initialisation goes through the initializer registry;
 * 'auto' leaves it to Sequential, which gives each Linear the init its consumer recommends.
 */
import { BatchNorm1d, Dropout, Linear, Sequential, activationModule, type Module } from '../../src/nn/index.js';
import type { LabState } from './state.js';

export function outputUnits(state: LabState, numClasses: number): number {
  return state.head === 'bceWithLogits' && numClasses === 2 ? 1 : numClasses;
}

export function buildLabModel(state: LabState, inputDim: number, numClasses: number): Sequential {
  const mods: Module[] = [];
  let fan = inputDim;
  const init = state.init === 'auto' ? undefined : state.init;
  for (const l of state.layers) {
    mods.push(new Linear(fan, l.width, { init }));
    if (l.bn) mods.push(new BatchNorm1d(l.width));
    mods.push(activationModule(l.activation, undefined, 1));
    if (state.dropout > 0) mods.push(new Dropout(state.dropout));
    fan = l.width;
  }
  mods.push(new Linear(fan, outputUnits(state, numClasses), { init }));
  return new Sequential(...mods);
}
