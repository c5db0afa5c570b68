/**
 * Dropout (inverted, Srivastava et al. 2014), Dropout2d (whole channels) and AlphaDropout (for SELU networks,
 * Klambauer et al. 2017). All are the identity in eval mode.
 */
import { layerEntry } from '../memory.js';
import { alphaDropout, checkDropoutP, dropout, dropout2d } from '../ops/dropout.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** The three dropout modules: a probability p checked once, and the op each applies in training mode. */
abstract class DropoutLayer extends Module {
  readonly p: number;
  constructor(
    p: number,
    private readonly kind: string,
    private readonly op: (x: Tensor, p: number, training: boolean) => Tensor,
  ) {
    super();
    checkDropoutP(kind, p);
    this.p = p;
  }
  override get typeName(): string {
    return this.kind;
  }
  forward(x: Tensor): Tensor {
    layerEntry(x);
    return this.op(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

export class Dropout extends DropoutLayer {
  constructor(p = 0.5) {
    super(p, 'Dropout', dropout);
  }
}

/** Zeroes whole channels of an [N, C, H, W] input (ops.dropout2d: other shapes as PyTorch 1.13), as torch.nn.Dropout2d. */
export class Dropout2d extends DropoutLayer {
  constructor(p = 0.5) {
    super(p, 'Dropout2d', dropout2d);
  }
}

export class AlphaDropout extends DropoutLayer {
  constructor(p = 0.5) {
    super(p, 'AlphaDropout', alphaDropout);
  }
}
