/**
 * Residual connections (He et al. 2016, "Deep Residual Learning for Image Recognition"):
 * y = F(x) + x, or F(x) + P(x) with a projection P where F changes the shape (the paper's
 * option B: a 1×1 convolution, here followed by BatchNorm as in torchvision). The identity
 * path gives the gradient a route around F, ∂y/∂x = ∂F/∂x + I, so a deep stack does not have
 * to learn the identity through its weights: the deeper plain net's higher training error
 * (the paper's "degradation") goes away.
 */
import { add } from '../ops/arithmetic.js';
import { assertTensor } from '../ops/util.js';
import { relu } from '../ops/activation.js';
import { formatShape, showValue, type Tensor } from '../tensor.js';
import { BatchNorm2d } from './batchnorm.js';
import { Conv2d } from './conv.js';
import { imageLayoutHint } from '../ops/conv.js';
import { Module } from './module.js';
import { isPureLayer, Sequential } from './sequential.js';
import { layerEntry } from '../memory.js';

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * y = body(x) + shortcut(x), the shortcut the identity when null. State-dict keys
 * `body.…` and `shortcut.…` (there is no torch.nn equivalent; BasicBlock has torchvision's keys).
 */
export class Residual extends Module {
  body: Module;
  shortcut: Module | null;

  constructor(body: Module, shortcut: Module | null = null) {
    super();
    if (!(body instanceof Module)) throw new Error('Residual: body must be a Module');
    if (shortcut !== null && !(shortcut instanceof Module)) throw new Error('Residual: shortcut must be a Module or null (the identity)');
    this.body = body;
    this.shortcut = shortcut;
  }

  override get typeName(): string {
    return 'Residual';
  }

  forward(x: Tensor): Tensor {
    layerEntry(x);
    const f = this.body.forward(x);
    const s = this.shortcut ? this.shortcut.forward(x) : x;
    if (!sameShape(f.shape, s.shape)) {
      throw new Error(
        `Residual: the body's output ${formatShape(f.shape)} and the ${this.shortcut ? "shortcut's output" : 'input'} ${formatShape(s.shape)} differ` +
          (this.shortcut ? '' : '; give a shortcut that projects the input (e.g. a 1×1 Conv2d with the stride, then BatchNorm2d)'),
      );
    }
    const y = add(f, s);
    // A built-in body's or shortcut's output is reachable only here (unless it is the input or
    // a view of it): released now when nothing was recorded, else when backward frees the graph.
    const own = (t: Tensor, m: Module | null) => m !== null && t.data !== x.data && t.data !== y.data && isPureLayer(m);
    const releaseF = own(f, this.body);
    const releaseS = s.data !== f.data && own(s, this.shortcut);
    if (releaseF) consumed(f);
    if (releaseS) consumed(s);
    return y;
  }
}

/**
 * `t`, an intermediate nothing outside the forward can reach, has been consumed: its storage goes
 * back now when no graph was recorded (noGrad, evaluation), else when backward frees the graph
 * (Tensor._graphOwned), so a whole test set in one batch keeps only the live activations.
 */
function consumed(t: Tensor): void {
  if (t.node === null) t.dispose();
  else t._graphOwned = true;
}

/**
 * ResNet's basic block with torchvision's names and keys (conv1, bn1, conv2, bn2, downsample.0/.1):
 *   y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)),
 * 3×3 convolutions without bias (BatchNorm's β replaces it), conv1 carrying the stride; the
 * shortcut is the identity, or conv 1×1 (stride) + BatchNorm2d when the stride or the channel
 * count changes. Convolutions are initialised for the ReLU they feed (He).
 */
export class BasicBlock extends Module {
  conv1: Conv2d;
  bn1: BatchNorm2d;
  conv2: Conv2d;
  bn2: BatchNorm2d;
  downsample: Sequential | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;

  constructor(inChannels: number, outChannels: number, stride = 1) {
    super();
    if (!Number.isInteger(stride) || stride < 1) throw new Error(`BasicBlock: stride must be a positive integer, got ${showValue(stride)}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.stride = stride;
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(outChannels);
    this.downsample =
      stride !== 1 || inChannels !== outChannels ? new Sequential(new Conv2d(inChannels, outChannels, 1, { stride, bias: false }), new BatchNorm2d(outChannels)) : null;
    for (const c of [this.conv1, this.conv2, this.downsample?.at(0) as Conv2d | undefined]) c?.resetParameters('relu');
  }

  override get typeName(): string {
    return 'BasicBlock';
  }

  forward(x: Tensor): Tensor {
    assertTensor(x, `BasicBlock(${this.inChannels}, ${this.outChannels})`, 'input');
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels) {
      throw new Error(`BasicBlock(${this.inChannels}, ${this.outChannels}): expected input of shape [N, ${this.inChannels}, H, W], got ${formatShape(x.shape)}${imageLayoutHint(x.shape, this.inChannels)}`);
    }
    layerEntry(x);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    // Each intermediate is unreachable outside the block: released as soon as the next op has
    // consumed it (consumed()), as Sequential does between its layers.
    // (A layer replaced by one returning its input, Identity, leaves the storage in use.)
    // A hooked layer's output may be kept by its hook: then nothing is released early.
    const free = isPureLayer(this);
    const done = (t: Tensor, next: Tensor) => free && t !== x && t.data !== x.data && t.data !== next.data && consumed(t);
    const a = this.conv1.forward(x);
    const b = this.bn1.forward(a);
    done(a, b);
    const c = relu(b);
    done(b, c);
    const d = this.conv2.forward(c);
    done(c, d);
    const e = this.bn2.forward(d);
    done(d, e);
    const sum = add(e, identity);
    done(e, sum);
    done(identity, sum);
    const y = relu(sum);
    done(sum, y);
    return y;
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, stride=${this.stride}`;
  }
}
