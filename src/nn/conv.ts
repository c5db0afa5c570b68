/**
 * Conv2d: y = conv2d(x, W, b) over NCHW input (ops/conv.ts), W of shape
 * [outChannels, inChannels/groups, kH, kW] and b [outChannels] as in PyTorch, so weights move
 * between the two unchanged.
 *
 * Initialization follows Linear's rule (the same registry, the same consumer-aware default):
 * `init` names an initializer or is a function; left undefined, the initializer recommended for
 * the activation that consumes the output (He before ReLU, Xavier before tanh/sigmoid, …),
 * which `Sequential` tells the layer; alone, it is initialised for a linear consumer. Fans
 * include the receptive field (computeFans: fan_in = inChannels/groups·kH·kW). PyTorch's own
 * default (kaiming_uniform(a = √5), bias U(±1/√fan_in)) is init: 'pytorch'.
 */
import { layerEntry } from '../memory.js';
import { assertTensor } from '../ops/util.js';
import { checkBool, isPlainObject, keywordArgs, pointSnakeCase } from '../options.js';
import { showValue } from '../tensor.js';
import { conv2d, imageLayoutHint, pair, type Size2d } from '../ops/conv.js';
import type { Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { WeightedLayer, type InitSpec } from './linear.js';
import { Parameter, stateTensor } from './module.js';

export interface Conv2dOptions {
  stride?: Size2d;
  padding?: Size2d | 'same' | 'valid';
  dilation?: Size2d;
  groups?: number;
  bias?: boolean;
  init?: InitSpec;
  generator?: Generator;
}

/** PyTorch's positional order after the channels, then gradlab's keyword-only options. */
const CONV2D_POSITIONAL = ['kernelSize', 'stride', 'padding', 'dilation', 'groups', 'bias'] as const;
const CONV2D_KEYWORD_ONLY = ['init', 'generator'] as const satisfies readonly Exclude<keyof Conv2dOptions, (typeof CONV2D_POSITIONAL)[number]>[];

export class Conv2d extends WeightedLayer {
  weight: Parameter;
  bias: Parameter | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;

  /**
   * PyTorch's arguments in PyTorch's order, its keywords as a last object (keywordArgs):
   * `new nn.Conv2d(1, 32, 3, 1, 1)` is `nn.Conv2d(1, 32, 3, stride=1, padding=1)`, and
   * `new nn.Conv2d(1, 16, {kernelSize: 3, stride: 2, padding: 1})` or `new nn.Conv2d(1, 16, 3,
   * {stride: 2, padding: 1})` is `nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)`.
   */
  constructor(inChannels: number, outChannels: number, options: Conv2dOptions & { kernelSize: Size2d });
  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options?: Conv2dOptions);
  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, stride: Size2d, padding?: Conv2dOptions['padding'] | Conv2dOptions, dilation?: Size2d | Conv2dOptions, groups?: number | Conv2dOptions, bias?: boolean | Conv2dOptions);
  constructor(inChannels: number, outChannels: number, ...args: unknown[]) {
    // The kernel size as a keyword too only when the third argument is the object.
    const values = isPlainObject(args[0]) ? keywordArgs('Conv2d', args, CONV2D_POSITIONAL, CONV2D_KEYWORD_ONLY) : [args[0], ...keywordArgs('Conv2d', args.slice(1), CONV2D_POSITIONAL.slice(1), CONV2D_KEYWORD_ONLY)];
    const kernelSize = values[0] as Size2d | undefined;
    if (kernelSize === undefined) throw new Error('Conv2d: kernelSize is missing: new nn.Conv2d(inChannels, outChannels, kernelSize, {stride, padding, …}) or {kernelSize, …} as the third argument');
    const options = Object.fromEntries([...CONV2D_POSITIONAL, ...CONV2D_KEYWORD_ONLY].map((k, i) => [k, values[i]])) as Conv2dOptions;
    checkBool('Conv2d', 'bias', options.bias);
    super(options.init, options.generator);
    for (const [name, v] of [
      ['inChannels', inChannels],
      ['outChannels', outChannels],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Conv2d: ${name} must be a positive integer, got ${showValue(v)}`);
    }
    const groups = options.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1) throw new Error(`Conv2d: groups must be a positive integer, got ${showValue(groups)}`);
    if (inChannels % groups !== 0) throw new Error(`Conv2d: inChannels ${inChannels} must be divisible by groups ${groups}`);
    if (outChannels % groups !== 0) throw new Error(`Conv2d: outChannels ${outChannels} must be divisible by groups ${groups}`);
    this.kernelSize = pair('Conv2d', 'kernelSize', kernelSize, 1);
    this.stride = pair('Conv2d', 'stride', options.stride ?? 1, 1);
    this.dilation = pair('Conv2d', 'dilation', options.dilation ?? 1, 1);
    const padding = options.padding ?? 0;
    if (padding === 'same' || padding === 'valid') {
      if (padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) throw new Error(`Conv2d: padding 'same' needs stride 1 (as PyTorch), got stride ${this.stride.join('×')}`);
      this.padding = padding;
    } else if (typeof padding === 'string') {
      throw new Error(`Conv2d: padding must be a number, a pair [h, w], 'same' or 'valid', got '${padding}'`);
    } else this.padding = pair('Conv2d', 'padding', padding, 0);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.weight = new Parameter(stateTensor([outChannels, inChannels / groups, ...this.kernelSize], 0, `Conv2d(${inChannels}, ${outChannels}).weight`));
    this.bias = (options.bias ?? true) ? new Parameter(stateTensor([outChannels])) : null;
    this.resetParameters('linear');
  }

  override get typeName(): string {
    return 'Conv2d';
  }

  forward(x: Tensor): Tensor {
    layerEntry(x);
    assertTensor(x, `Conv2d(${this.inChannels}, ${this.outChannels})`, 'input');
    if (x.ndim !== 4) throw new Error(`Conv2d(${this.inChannels}, ${this.outChannels}): expected input of shape [N, ${this.inChannels}, H, W], got [${x.shape.join(', ')}]${imageLayoutHint(x.shape, this.inChannels)}`);
    return conv2d(x, this.weight, this.bias, this.stride, this.padding, this.dilation, this.groups);
  }

  override extraRepr(): string {
    const k = this.kernelSize;
    const parts = [`${this.inChannels}, ${this.outChannels}, kernelSize=[${k}]`, `stride=[${this.stride}]`];
    if (this.padding !== 'valid' && (typeof this.padding === 'string' || this.padding.some((p) => p !== 0))) parts.push(`padding=${typeof this.padding === 'string' ? this.padding : `[${this.padding}]`}`);
    if (this.dilation.some((d) => d !== 1)) parts.push(`dilation=[${this.dilation}]`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push('bias=false');
    return parts.join(', ');
  }
}

// conv.in_channels, conv.kernel_size, …: errors naming gradlab's spelling (src/options.ts).
pointSnakeCase(Conv2d, ['inChannels', 'outChannels', 'kernelSize']);
