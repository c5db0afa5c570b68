/**
 * The optimizer registry: the names the CLI, the lab and the Trainer's string option accept.
 */
import type { Tensor } from '../tensor.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'nesterov', 'adam', 'adamw', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export interface OptimizerEntry {
  label: string;
  /** Learning rate used when none is given. */
  defaultLr: number;
  /** Per-parameter state buffers it keeps (momentum, Adam's two moments): for memory estimates. */
  stateBuffers: number;
  create(params: Tensor[], lr: number, weightDecay: number): Optimizer;
}

export const OPTIMIZERS: Readonly<Record<OptimizerName, OptimizerEntry>> = {
  sgd: { label: 'SGD', defaultLr: 0.1, stateBuffers: 0, create: (p, lr, weightDecay) => new SGD(p, { lr, weightDecay }) },
  momentum: { label: 'SGD + momentum 0.9', defaultLr: 0.01, stateBuffers: 1, create: (p, lr, weightDecay) => new SGD(p, { lr, momentum: 0.9, weightDecay }) },
  nesterov: {
    label: 'SGD + Nesterov momentum 0.9',
    defaultLr: 0.01,
    stateBuffers: 1,
    create: (p, lr, weightDecay) => new SGD(p, { lr, momentum: 0.9, nesterov: true, weightDecay }),
  },
  adam: { label: 'Adam', defaultLr: 1e-3, stateBuffers: 2, create: (p, lr, weightDecay) => new Adam(p, { lr, weightDecay }) },
  adamw: { label: 'AdamW', defaultLr: 1e-3, stateBuffers: 2, create: (p, lr, weightDecay) => new AdamW(p, { lr, weightDecay }) },
  rmsprop: { label: 'RMSprop', defaultLr: 1e-3, stateBuffers: 1, create: (p, lr, weightDecay) => new RMSprop(p, { lr, weightDecay }) },
};

export function getOptimizer(name: string): OptimizerEntry {
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(name)) {
    throw new Error(`Unknown optimizer '${name}'. Valid optimizers: ${OPTIMIZER_NAMES.join(', ')}.`);
  }
  return OPTIMIZERS[name as OptimizerName];
}
