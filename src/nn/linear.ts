/**
 * Linear: y = x·Wᵀ + b, W of shape [out, in] as in PyTorch so weights move between the two
 * without transposing.
 *
 * Initialization: `init` names an entry of the initializer registry (init.ts) or is a
 * function. The constructor draws the weights at once (as PyTorch does), for a linear
 * consumer (Xavier) when `init` is left undefined. `Sequential` then re-draws them for the
 * activation that consumes the layer's output (He before the ReLU family, Xavier before
 * tanh/sigmoid, LeCun before SELU), but only while they are still the values drawn here:
 *
 *   The user's weights are the user's. A weight written by anything else — an `init.*`
 *   function, `loadStateDict`, a write to `weight.data` or `weight.data[i]`, an optimizer
 *   step, a layer built and filled elsewhere — is never re-drawn. The bias follows the same
 *   rule on its own.
 *
 * Writes to `.data` cannot be intercepted, so the construction default is recognised by its
 * values (weight-origin.ts keeps a fingerprint of what was drawn). A network built in one go
 * draws exactly what it drew before this rule existed, so seeded runs are unchanged.
 * PyTorch's own default is available as init: 'pytorch'.
 */
import { layerEntry } from '../memory.js';
import { checkBool, checkOptions, isPlainObject, keywordArgs, pointSnakeCase } from '../options.js';
import { showValue } from '../tensor.js';
import { ACTIVATIONS, type ActivationName } from '../activations.js';
import { INITIALIZERS, getInitializer, type InitName } from '../init.js';
import { linear } from '../ops/matmul.js';
import { defaultGenerator, type Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { isLayerDefault, markLayerDefault } from '../weight-origin.js';
import { Module, Parameter, stateTensor } from './module.js';

export type InitFunction = (weight: Tensor, bias: Tensor | null) => void;
/** A registry name, a name with its σ/value (for 'normal' and 'constant'), or a function. */
export type InitSpec = InitName | { name: InitName; value?: number } | InitFunction;

export interface LinearOptions {
  bias?: boolean;
  init?: InitSpec;
  generator?: Generator;
}

const LINEAR_OPTIONS = Object.keys({ bias: 1, init: 1, generator: 1 } satisfies Record<keyof LinearOptions, 1>);

/**
 * A layer with a weight and an optional bias drawn by an initializer that depends on the
 * activation consuming its output (Linear, Conv2d): the one place of the rule in the header.
 */
export abstract class WeightedLayer extends Module {
  abstract weight: Parameter;
  abstract bias: Parameter | null;
  /** The init asked for (undefined = recommended for the consumer). */
  readonly _init: InitSpec | undefined;
  /**
   * The activation this layer was last initialised for, and the initializer that did it
   * ('user' once Sequential found weights the user set).
   */
  _initializedFor: ActivationName = 'linear';
  _initUsed = '';
  private readonly _generator: Generator;

  constructor(init: InitSpec | undefined, generator: Generator | undefined) {
    super();
    if (init !== undefined && typeof init === 'string') getInitializer(init);
    if (init !== undefined && typeof init === 'object') getInitializer(init.name);
    this._init = init;
    this._generator = generator ?? defaultGenerator;
  }

  /**
   * (Re-)initialise weight and bias for a consumer activation with the layer's init; the
   * result counts as the layer's default (see the header). An explicit call re-draws
   * whatever the tensors hold; Sequential calls initializeFor instead.
   */
  resetParameters(consumer: ActivationName, param?: number): void {
    this.draw(consumer, param, this.bias);
  }

  /**
   * Re-initialise for the consumer activation only what still holds the layer's default
   * values: the weight, and the bias with it when the bias is also at its default (no
   * initializer's bias depends on the consumer, so a default bias beside a user's weight
   * stays). A function init is the user's own: left alone.
   */
  initializeFor(consumer: ActivationName, param?: number): void {
    if (typeof this._init === 'function') return;
    if (!this.isAtDefault) {
      this._initUsed = 'user';
      return;
    }
    this.draw(consumer, param, this.bias !== null && isLayerDefault(this.bias) ? this.bias : null);
  }

  /** True while the weight holds exactly the values the layer's own init drew. */
  get isAtDefault(): boolean {
    return isLayerDefault(this.weight);
  }

  private draw(consumer: ActivationName, param: number | undefined, bias: Parameter | null): void {
    const spec = this._init ?? 'auto';
    this._initializedFor = consumer;
    if (typeof spec === 'function') {
      spec(this.weight, bias);
      this._initUsed = 'custom';
      return;
    }
    const name = typeof spec === 'string' ? spec : spec.name;
    const value = typeof spec === 'string' ? undefined : spec.value;
    INITIALIZERS[name].apply(this.weight, bias, { activation: consumer, param, value, generator: this._generator });
    markLayerDefault(this.weight);
    if (bias) markLayerDefault(bias);
    this._initUsed = name === 'auto' ? ACTIVATIONS[consumer].init : name;
  }

  /** True when the init was left to the default, so the consumer decides. */
  get initIsDefault(): boolean {
    return this._init === undefined;
  }
}

export class Linear extends WeightedLayer {
  weight: Parameter;
  bias: Parameter | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  /**
   * PyTorch's arguments in its order, its keywords as a last object (keywordArgs): `new
   * nn.Linear(4, 2, false)` is `nn.Linear(4, 2, False)`, and `new nn.Linear({inFeatures: 784,
   * outFeatures: 20})` is `nn.Linear(in_features=28*28, out_features=20)`.
   */
  constructor(options: LinearOptions & { inFeatures: number; outFeatures: number });
  constructor(inFeatures: number, options: LinearOptions & { outFeatures: number });
  constructor(inFeatures: number, outFeatures: number, options?: LinearOptions | boolean);
  constructor(...args: unknown[]) {
    let [inFeatures, outFeatures, options = {}] = args as [number, number, LinearOptions | boolean | undefined];
    if (isPlainObject(inFeatures) || isPlainObject(outFeatures)) {
      const values = keywordArgs('Linear', args, ['inFeatures', 'outFeatures', 'bias'], LINEAR_OPTIONS.filter((k) => k !== 'bias'));
      [inFeatures, outFeatures] = values as [number, number];
      options = { bias: values[2], init: values[3], generator: values[4] } as LinearOptions;
    }
    if (typeof options === 'boolean') options = { bias: options };
    checkOptions('Linear', options, LINEAR_OPTIONS);
    checkBool('Linear', 'bias', options.bias);
    super(options.init, options.generator);
    for (const [name, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Linear: ${name} must be a positive integer, got ${showValue(v)}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = new Parameter(stateTensor([outFeatures, inFeatures], 0, `Linear(${inFeatures}, ${outFeatures}).weight`));
    this.bias = (options.bias ?? true) ? new Parameter(stateTensor([outFeatures])) : null;
    this.resetParameters('linear');
  }

  override get typeName(): string {
    return 'Linear';
  }

  forward(x: Tensor): Tensor {
    layerEntry(x);
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

// layer.in_features, …: errors naming gradlab's spelling (src/options.ts).
pointSnakeCase(Linear, ['inFeatures', 'outFeatures']);
