/**
 * The optimizer registry: the names the CLI, the lab and the Trainer's string option accept.
 *
 * `create` passes "not given" through: an option left undefined takes the class's own default
 * (`static defaults`), so AdamW keeps its decoupled decay 1e-2 unless weightDecay is set, from
 * the library, the CLI and the lab alike. `defaultLr` is the class's default lr where the class
 * has one; SGD has none (PyTorch requires it), so the registry states the SGD variants' lr here.
 */
import type { Tensor } from '../tensor.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';
import { unknownName } from '../options.js';

export const OPTIMIZER_NAMES = ['sgd', 'momentum', 'nesterov', 'adam', 'adamw', 'rmsprop'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** What a front end may set (the CLI and the lab: lr, weightDecay; a stored recipe: every option); undefined = the optimizer's default. */
export type RegistryOptions = Partial<OptimizerOptionsInEffect>;

/** The options of any registry optimizer, as in effect (Optimizer.effectiveOptions()). */
export interface OptimizerOptionsInEffect {
  lr: number;
  weightDecay: number;
  /** Adam, AdamW. */
  betas?: [number, number];
  eps?: number;
  amsgrad?: boolean;
  /** SGD, RMSprop. */
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** RMSprop. */
  alpha?: number;
  centered?: boolean;
  /** SGD, Adam, AdamW, RMSprop: ascend instead of descend. */
  maximize?: boolean;
}

export interface OptimizerEntry {
  label: string;
  /** Learning rate used when none is given (the class's default where it has one). */
  defaultLr: number;
  /** Every option in effect when none is given: the class's `static defaults` and the entry's fixed choices. */
  defaults: Readonly<OptimizerOptionsInEffect>;
  /** Per-parameter state buffers it keeps (momentum, Adam's two moments): for memory estimates. */
  stateBuffers: number;
  create(params: Tensor[], options?: RegistryOptions): Optimizer;
}

/**
 * An entry whose options in effect are `defaults` overridden by what is given: only the options
 * this optimizer has are passed on, and one not given keeps its default.
 */
function entry(label: string, classDefaults: Readonly<OptimizerOptionsInEffect>, stateBuffers: number, make: (params: Tensor[], o: OptimizerOptionsInEffect) => Optimizer): OptimizerEntry {
  // maximize is the library's (a recipe, the CLI and the lab minimize their loss): not an option of an entry.
  const { maximize: _maximize, ...defaults } = classDefaults;
  return {
    label,
    defaultLr: defaults.lr,
    defaults,
    stateBuffers,
    create(params, options = {}) {
      const o = { ...defaults } as Record<string, unknown>;
      for (const k of Object.keys(defaults)) {
        const v = (options as Record<string, unknown>)[k];
        if (v !== undefined) o[k] = v;
      }
      return make(params, o as unknown as OptimizerOptionsInEffect);
    },
  };
}

/** SGD's lr when none is given: PyTorch has none; 0.1 plain, 0.01 with momentum 0.9 (the same effective step η/(1−μ)). */
const SGD_LR = 0.1;
const MOMENTUM_LR = 0.01;

export const OPTIMIZERS: Readonly<Record<OptimizerName, OptimizerEntry>> = {
  sgd: entry('SGD', { ...SGD.defaults, lr: SGD_LR }, 0, (p, o) => new SGD(p, o)),
  momentum: entry('SGD + momentum 0.9', { ...SGD.defaults, lr: MOMENTUM_LR, momentum: 0.9 }, 1, (p, o) => new SGD(p, o)),
  nesterov: entry('SGD + Nesterov momentum 0.9', { ...SGD.defaults, lr: MOMENTUM_LR, momentum: 0.9, nesterov: true }, 1, (p, o) => new SGD(p, o)),
  adam: entry('Adam', Adam.defaults, 2, (p, o) => new Adam(p, o)),
  adamw: entry('AdamW', AdamW.defaults, 2, (p, o) => new AdamW(p, o)),
  rmsprop: entry('RMSprop', RMSprop.defaults, 1, (p, o) => new RMSprop(p, o)),
};

export function getOptimizer(name: string): OptimizerEntry {
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(name)) {
    throw unknownName('optimizer', 'optimizers', name, OPTIMIZER_NAMES);
  }
  return OPTIMIZERS[name as OptimizerName];
}
