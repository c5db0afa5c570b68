/**
 * Linear: y = x·Wᵀ + b, W of shape [out, in] as in PyTorch so weights move between the two
 * without transposing.
 *
 * Initialization: `init` names an entry of the initializer registry (init.ts) or is a
 * function. Left undefined, the layer takes the initializer recommended for the activation
 * that consumes its output: `Sequential` tells it which one (He before ReLU, Xavier before
 * tanh/sigmoid, LeCun before SELU); a Linear on its own, or last in a network, is initialised
 * for a linear consumer (Xavier). PyTorch's own default is available as init: 'pytorch'.
 */
import { ACTIVATIONS, type ActivationName } from '../activations.js';
import { INITIALIZERS, getInitializer, type InitName } from '../init.js';
import { linear } from '../ops/matmul.js';
import { defaultGenerator, type Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module, Parameter, stateTensor } from './module.js';

export type InitFunction = (weight: Tensor, bias: Tensor | null) => void;
/** A registry name, a name with its σ/value (for 'normal' and 'constant'), or a function. */
export type InitSpec = InitName | { name: InitName; value?: number } | InitFunction;

export interface LinearOptions {
  bias?: boolean;
  init?: InitSpec;
  generator?: Generator;
}

export class Linear extends Module {
  weight: Parameter;
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** The init asked for (undefined = recommended for the consumer). */
  readonly _init: InitSpec | undefined;
  /**
   * The activation this layer was last initialised for, and the initializer that did it.
   * Sequential re-initialises its (non-function-init) Linear layers for their consumers when it
   * is built, so set weights by hand after building the Sequential, not before.
   */
  _initializedFor: ActivationName = 'linear';
  _initUsed = '';
  private readonly _generator: Generator;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [name, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Linear: ${name} must be a positive integer, got ${v}`);
    }
    if (options.init !== undefined && typeof options.init === 'string') getInitializer(options.init);
    if (options.init !== undefined && typeof options.init === 'object') getInitializer(options.init.name);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this._init = options.init;
    this._generator = options.generator ?? defaultGenerator;
    this.weight = new Parameter(stateTensor([outFeatures, inFeatures]));
    this.bias = (options.bias ?? true) ? new Parameter(stateTensor([outFeatures])) : null;
    this.resetParameters('linear');
  }

  /** (Re-)initialise for a consumer activation; called by Sequential when init was left to the default. */
  resetParameters(consumer: ActivationName, param?: number): void {
    const spec = this._init ?? 'auto';
    this._initializedFor = consumer;
    if (typeof spec === 'function') {
      spec(this.weight, this.bias);
      this._initUsed = 'custom';
      return;
    }
    const name = typeof spec === 'string' ? spec : spec.name;
    const value = typeof spec === 'string' ? undefined : spec.value;
    INITIALIZERS[name].apply(this.weight, this.bias, { activation: consumer, param, value, generator: this._generator });
    this._initUsed = name === 'auto' ? ACTIVATIONS[consumer].init : name;
  }

  /** True when the init was left to the default, so the consumer decides. */
  get initIsDefault(): boolean {
    return this._init === undefined;
  }

  override get typeName(): string {
    return 'Linear';
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}
