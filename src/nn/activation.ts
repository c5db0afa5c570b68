/**
 * Activation modules. Each is a thin wrapper naming its registry entry (activations.ts), so
 * the default initializer of a preceding Linear, the monitors and the health rules can ask
 * any activation module what it is.
 */
import { layerEntry } from '../memory.js';
import { getActivation, type ActivationName } from '../activations.js';
import { gelu, hardtanh, prelu, softplus, unary, type GeluApproximate } from '../ops/activation.js';
import { logSoftmax, softmax } from '../ops/softmax.js';
import { showValue, type Tensor } from '../tensor.js';
import { markSoftmaxOutput } from '../warnings.js';
import { Module, Parameter, stateTensor } from './module.js';
import { keywordArgs } from '../options.js';

/** PyTorch's module class name for each activation. */
const MODULE_NAMES: Readonly<Record<ActivationName, string>> = {
  linear: 'Identity',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  relu: 'ReLU',
  leakyRelu: 'LeakyReLU',
  prelu: 'PReLU',
  elu: 'ELU',
  selu: 'SELU',
  softmax: 'Softmax',
  gelu: 'GELU',
  silu: 'SiLU',
  softplus: 'Softplus',
};

export abstract class ActivationModule extends Module {
  abstract readonly activation: ActivationName;
  override get typeName(): string {
    return MODULE_NAMES[this.activation];
  }
  /** The activation's parameter (slope, α) or NaN. */
  get param(): number {
    return getActivation(this.activation).defaultParam;
  }
  /**
   * Options beyond the registry's entry (GELU's approximate 'tanh', Softplus's β and threshold),
   * as text for a message; null when there are none. Model files, layer lists and the ONNX export
   * hold only the registry's form, so they refuse a module that has some rather than drop them.
   */
  get extraOptions(): string | null {
    return null;
  }
}

/** A module applying the registry's elementwise activation `kind`. */
abstract class Elementwise extends ActivationModule {
  forward(x: Tensor): Tensor {
    layerEntry(x);
    const a = getActivation(this.activation);
    return unary(a.kernel!, x, this.param);
  }
}

export class ReLU extends Elementwise {
  readonly activation = 'relu' as const;
}
export class SELU extends Elementwise {
  readonly activation = 'selu' as const;
}
export class Sigmoid extends Elementwise {
  readonly activation = 'sigmoid' as const;
}
export class Tanh extends Elementwise {
  readonly activation = 'tanh' as const;
}
/** torch.nn.GELU(approximate='none'): `new nn.GELU()`, `new nn.GELU({approximate: 'tanh'})` (ops.gelu). */
export class GELU extends Elementwise {
  readonly activation = 'gelu' as const;
  readonly approximate: GeluApproximate;
  constructor(options: { approximate?: GeluApproximate } | GeluApproximate = {}) {
    super();
    const a = (keywordArgs('GELU', [options], ['approximate'])[0] ?? 'none') as GeluApproximate;
    if (a !== 'none' && a !== 'tanh') throw new Error(`GELU: approximate must be 'none' or 'tanh', got ${showValue(a)}`);
    this.approximate = a;
  }
  override forward(x: Tensor): Tensor {
    if (this.approximate === 'none') return super.forward(x);
    layerEntry(x);
    return gelu(x, this.approximate);
  }
  override get extraOptions(): string | null {
    return this.approximate === 'none' ? null : `approximate='${this.approximate}'`;
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}
export class SiLU extends Elementwise {
  readonly activation = 'silu' as const;
}
/** torch.nn.Softplus(beta=1, threshold=20): `new nn.Softplus()`, `new nn.Softplus({beta: 2, threshold: 10})` or `new nn.Softplus(2, 10)` (ops.softplus). */
export class Softplus extends Elementwise {
  readonly activation = 'softplus' as const;
  readonly beta: number;
  readonly threshold: number;
  constructor(beta: number | { beta?: number; threshold?: number } = 1, threshold?: number) {
    super();
    const [b = 1, th = 20] = keywordArgs('Softplus', [beta, threshold], ['beta', 'threshold']) as [number | undefined, number | undefined];
    if (typeof b !== 'number' || !Number.isFinite(b) || b === 0) throw new Error(`Softplus: beta must be a finite non-zero number, got ${showValue(b)}`);
    if (typeof th !== 'number' || Number.isNaN(th)) throw new Error(`Softplus: threshold must be a number, got ${showValue(th)}`);
    this.beta = b;
    this.threshold = th;
  }
  override forward(x: Tensor): Tensor {
    if (this.extraOptions === null) return super.forward(x);
    layerEntry(x);
    return softplus(x, this.beta, this.threshold);
  }
  override get extraOptions(): string | null {
    return this.beta === 1 && this.threshold === 20 ? null : `beta=${this.beta}, threshold=${this.threshold}`;
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}
/**
 * torch.nn.Hardtanh(min_val=-1, max_val=1): `new nn.Hardtanh()`, `new nn.Hardtanh(-2, 2)` or
 * `new nn.Hardtanh({minVal, maxVal})` (ops.hardtanh). Not an activation of the registry: the
 * monitors see it as any other layer (no saturation band), and layer lists and exports refuse it.
 */
export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  constructor(minVal: number | { minVal?: number; maxVal?: number } = -1, maxVal?: number) {
    super();
    const [lo = -1, hi = 1] = keywordArgs('Hardtanh', [minVal, maxVal], ['minVal', 'maxVal']) as [number | undefined, number | undefined];
    for (const [name, v] of [['minVal', lo], ['maxVal', hi]] as const) {
      if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`Hardtanh: ${name} must be a number, got ${showValue(v)}`);
    }
    if (lo > hi) throw new Error(`Hardtanh: minVal (${lo}) must not be greater than maxVal (${hi})`);
    this.minVal = lo;
    this.maxVal = hi;
  }
  override forward(x: Tensor): Tensor {
    return hardtanh(x, this.minVal, this.maxVal);
  }
  override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}
/** torch.nn.ReLU6(): min(max(x, 0), 6), a Hardtanh on [0, 6]. */
export class ReLU6 extends Hardtanh {
  constructor() {
    super(0, 6);
  }
  override extraRepr(): string {
    return '';
  }
}
export class Identity extends Elementwise {
  readonly activation = 'linear' as const;
  override forward(x: Tensor): Tensor {
    return x;
  }
}

/** An elementwise activation with one fixed, validated parameter (named as in PyTorch). */
abstract class Parametric extends Elementwise {
  // The class name is passed in: subclass fields (`activation`) are not set yet while this runs.
  constructor(
    className: string,
    private readonly _paramName: string,
    private readonly _value: number,
  ) {
    super();
    if (typeof _value !== 'number' || !Number.isFinite(_value)) throw new Error(`${className}: ${_paramName} must be a finite number, got ${showValue(_value)}${typeof _value === 'object' && _value !== null ? ` (PyTorch's keyword is the argument itself here: new nn.${className}(0.2))` : ''}`);
  }
  override get param(): number {
    return this._value;
  }
  override extraRepr(): string {
    return `${this._paramName}=${this._value}`;
  }
}

export class LeakyReLU extends Parametric {
  readonly activation = 'leakyRelu' as const;
  constructor(negativeSlope = 0.01) {
    super('LeakyReLU', 'negativeSlope', negativeSlope);
  }
}

export class ELU extends Parametric {
  readonly activation = 'elu' as const;
  constructor(alpha = 1) {
    super('ELU', 'alpha', alpha);
  }
}

/** PReLU (He et al. 2015): a learned negative slope, one shared or one per channel. */
export class PReLU extends ActivationModule {
  readonly activation = 'prelu' as const;
  weight: Parameter;
  constructor(numParameters = 1, init = 0.25) {
    super();
    if (!Number.isInteger(numParameters) || numParameters < 1) throw new Error(`PReLU: numParameters must be a positive integer, got ${numParameters}`);
    if (typeof init !== 'number' || !Number.isFinite(init)) throw new Error(`PReLU: init must be a finite number, got ${init}`);
    this.weight = new Parameter(stateTensor([numParameters], init));
  }
  /** The mean learned slope (for initializing the preceding layer, the initial one). */
  override get param(): number {
    const d = this.weight.data;
    let s = 0;
    for (let i = 0; i < d.length; i++) s += d[i];
    return s / d.length;
  }
  forward(x: Tensor): Tensor {
    layerEntry(x);
    return prelu(x, this.weight);
  }
  override extraRepr(): string {
    return `numParameters=${this.weight.size}`;
  }
}

export class Softmax extends ActivationModule {
  readonly activation = 'softmax' as const;
  readonly _dim: number;
  /** `new nn.Softmax(1)` or, as PyTorch's `nn.Softmax(dim=1)`, `new nn.Softmax({dim: 1})`. */
  constructor(dimOrKeywords: number | { dim?: number } = -1) {
    super();
    const dim = (keywordArgs('Softmax', [dimOrKeywords], ['dim'])[0] ?? -1) as number;
    if (!Number.isInteger(dim)) throw new Error(`Softmax: dim must be an integer, got ${showValue(dim)}`);
    this._dim = dim;
  }
  forward(x: Tensor): Tensor {
    layerEntry(x);
    const out = softmax(x, this._dim);
    markSoftmaxOutput(out, this); // crossEntropy warns about a double softmax (warnings.ts)
    return out;
  }
  override extraRepr(): string {
    return `dim=${this._dim}`;
  }
}

/**
 * log softmax(x) along `dim` (torch.nn.LogSoftmax), the input nn.NLLLoss expects. Not a
 * registry activation (its output is not a hidden layer's): a plain module, as Flatten.
 */
export class LogSoftmax extends Module {
  readonly _dim: number;
  /** `new nn.LogSoftmax(1)` or, as PyTorch's `nn.LogSoftmax(dim=1)`, `new nn.LogSoftmax({dim: 1})`. */
  constructor(dimOrKeywords: number | { dim?: number } = -1) {
    super();
    const dim = (keywordArgs('LogSoftmax', [dimOrKeywords], ['dim'])[0] ?? -1) as number;
    if (!Number.isInteger(dim)) throw new Error(`LogSoftmax: dim must be an integer, got ${showValue(dim)}`);
    this._dim = dim;
  }
  override get typeName(): string {
    return 'LogSoftmax';
  }
  forward(x: Tensor): Tensor {
    layerEntry(x);
    return logSoftmax(x, this._dim);
  }
  override extraRepr(): string {
    return `dim=${this._dim}`;
  }
}

/** The module for a registry activation name (what the CLI and the lab build networks from). */
export function activationModule(name: ActivationName, param?: number, channels = 1): ActivationModule {
  const a = getActivation(name);
  const p = param ?? a.defaultParam;
  switch (a.name) {
    case 'linear':
      return new Identity();
    case 'relu':
      return new ReLU();
    case 'leakyRelu':
      return new LeakyReLU(p);
    case 'prelu':
      return new PReLU(channels, p);
    case 'elu':
      return new ELU(p);
    case 'selu':
      return new SELU();
    case 'sigmoid':
      return new Sigmoid();
    case 'tanh':
      return new Tanh();
    case 'softmax':
      return new Softmax();
    case 'gelu':
      return new GELU();
    case 'silu':
      return new SiLU();
    case 'softplus':
      return new Softplus();
  }
}

