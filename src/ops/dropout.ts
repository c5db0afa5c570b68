/**
 * Dropout (Srivastava et al. 2014), inverted (dropout2d: whole channels, below): each element is kept with probability 1 − p and
 * scaled by 1/(1 − p), so evaluation needs no rescaling. AlphaDropout (Klambauer et al. 2017)
 * sets dropped SELU units to the negative saturation value α′ = −λα and applies the affine
 * correction a·x + b that keeps mean 0 and variance 1:
 *   a = ((1 − p)(1 + p·α′²))^(−½),  b = −a·α′·p.
 */
import { record } from '../autograd.js';
import { SELU_ALPHA, SELU_SCALE } from '../activations.js';
import { K, alloc } from '../kernels/index.js';
import { defaultGenerator, type Generator } from '../random.js';
import { formatShape, showValue, type Tensor } from '../tensor.js';
import { warnOnce } from '../warnings.js';
import { checkBool, keywordArgs } from '../options.js';
import { assertTensor, empty, savedBuffer } from './util.js';

export function checkDropoutP(where: string, p: number): void {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`${where}: p must be a number in [0, 1), got ${showValue(p)}${typeof p === 'object' && p !== null ? " (PyTorch's p=0.2 is the argument 0.2 here)" : ''}`);
}

function bernoulliMask(n: number, keep: number, like: Tensor, generator: Generator): Tensor {
  const mask = savedBuffer(n, like.dtype);
  const m = mask.data;
  for (let i = 0; i < n; i++) m[i] = generator.random() < keep ? 1 : 0;
  return mask;
}

/** PyTorch's keywords of F.dropout / F.dropout2d as a last object: `F.dropout(x, {p: 0.5, training: this.training})`. */
export interface DropoutKeywords {
  p?: number;
  training?: boolean;
  /** Only false: gradlab's dropout returns a new tensor. */
  inplace?: boolean;
}

/** dropout's arguments with PyTorch's keywords read from a last object (keywordArgs), defaults p 0.5, training true (as F.dropout's). */
function dropoutArgs(where: string, args: readonly unknown[]): [number, boolean, Generator] {
  const [p, training, inplace, generator] = keywordArgs(where, args, ['p', 'training', 'inplace'], ['generator']) as [number | undefined, boolean | undefined, boolean | undefined, Generator | undefined];
  // inplace was the third positional argument in gradlab only as the generator's place: a Generator there is the generator.
  if (inplace !== undefined && inplace !== false) {
    if (typeof inplace === 'object' && inplace !== null && typeof (inplace as Generator).random === 'function') return [p ?? 0.5, training ?? true, inplace as Generator];
    throw new Error(`${where}: inplace must be false (gradlab's dropout returns a new tensor: write x = F.${where}(x, …)), got ${showValue(inplace)}`);
  }
  checkBool(where, 'training', training);
  return [p ?? 0.5, training ?? true, generator ?? defaultGenerator];
}

/**
 * F.dropout(input, p=0.5, training=True): positionally `dropout(x, 0.5, this.training)` or with
 * PyTorch's keywords as a last object, `dropout(x, {training: this.training})`. As PyTorch's,
 * training defaults to true: in a module's forward pass `this.training`, or evaluation drops too.
 */
export function dropout(x: Tensor, ...args: [p?: number | DropoutKeywords, training?: boolean | DropoutKeywords, generator?: Generator | DropoutKeywords]): Tensor {
  assertTensor(x, 'dropout', 'x');
  const [p, training, generator] = dropoutArgs('dropout', args);
  checkDropoutP('dropout', p);
  if (!training || p === 0) return x;
  return maskScaled('dropout', x, bernoulliMask(x.size, 1 - p, x, generator), 1 / (1 - p));
}

/**
 * Channel dropout (Tompson et al. 2015), as torch.nn.functional.dropout2d: each channel of each
 * sample of an [N, C, H, W] input is zeroed whole with probability p, the others scaled by
 * 1/(1 − p) — neighbouring pixels are correlated, so dropping single pixels of a feature map barely
 * regularises. As PyTorch 1.13's feature dropout, the mask is per (n, c), the first two dimensions,
 * for any input of two or more: an [N, C, L] input drops whole rows of L, and an [N, F] input (the
 * "Defining a neural network" recipe puts Dropout2d after a Linear) single features, with
 * PyTorch's deprecation warning.
 */
export function dropout2d(x: Tensor, ...args: [p?: number | DropoutKeywords, training?: boolean | DropoutKeywords, generator?: Generator | DropoutKeywords]): Tensor {
  assertTensor(x, 'dropout2d', 'x');
  const [p, training, generator] = dropoutArgs('dropout2d', args);
  checkDropoutP('dropout2d', p);
  if (x.ndim < 2) throw new Error(`dropout2d: expects an input of shape [N, C, H, W], got ${formatShape(x.shape)}`);
  if (x.ndim !== 3 && x.ndim !== 4) {
    warnOnce(DROPOUT2D, `dropout2d received a ${x.ndim}-D input of shape ${formatShape(x.shape)}, which PyTorch deprecates: it drops single elements of [N, C] as dropout does (use Dropout), whole channels only of [N, C, H, W]`);
  }
  if (!training || p === 0) return x;
  const plane = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const channels = x.shape[0] * x.shape[1];
  const mask = savedBuffer(x.size, x.dtype);
  const m = mask.data;
  for (let c = 0; c < channels; c++) m.fill(generator.random() < 1 - p ? 1 : 0, c * plane, (c + 1) * plane);
  return maskScaled('dropout2d', x, mask, 1 / (1 - p));
}

/** The subject of dropout2d's warning (no module to name): once per process. */
const DROPOUT2D = {};

/** y = x·mask·scale, backward gx += g·mask·scale; the mask is returned with the graph. */
function maskScaled(op: string, x: Tensor, mask: Tensor, scale: number): Tensor {
  const out = empty(x.shape, x);
  K.maskScale(x.data, mask.data, scale, out.data);
  return record(out, op, [x], (g, grad) => {
    const gx = grad(0);
    if (!gx) return;
    const t = alloc(g.length, x.dtype);
    K.maskScale(g, mask.data, scale, t);
    K.axpy(1, t, gx);
    K.free(t);
  }, () => mask.dispose());
}

/** α′ = −λα, the value SELU tends to for x → −∞. */
const ALPHA_PRIME = -SELU_SCALE * SELU_ALPHA;

export function alphaDropout(x: Tensor, p = 0.5, training = true, generator: Generator = defaultGenerator): Tensor {
  assertTensor(x, 'alphaDropout', 'x');
  checkDropoutP('alphaDropout', p);
  if (!training || p === 0) return x;
  const a = 1 / Math.sqrt((1 - p) * (1 + p * ALPHA_PRIME * ALPHA_PRIME));
  const b = -a * ALPHA_PRIME * p;
  const mask = bernoulliMask(x.size, 1 - p, x, generator);
  const out = empty(x.shape, x);
  K.alphaDropout(x.data, mask.data, ALPHA_PRIME, a, b, out.data);
  return record(out, 'alphaDropout', [x], (g, grad) => {
    const gx = grad(0);
    if (!gx) return;
    const t = alloc(g.length, x.dtype);
    K.maskScale(g, mask.data, a, t);
    K.axpy(1, t, gx);
    K.free(t);
  }, () => mask.dispose());
}
