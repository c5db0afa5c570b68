/**
 * Dropout (inverted, Srivastava et al. 2014), Dropout2d (whole channels) and AlphaDropout (for SELU networks,
 * Klambauer et al. 2017). Both are the identity in eval mode.
 */
import { alphaDropout, checkDropoutP, dropout, dropout2d } from '../ops/dropout.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export class Dropout extends Module {
  readonly p: number;
  constructor(p = 0.5) {
    super();
    checkDropoutP('Dropout', p);
    this.p = p;
  }
  override get typeName(): string {
    return 'Dropout';
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

/** Zeroes whole channels of an [N, C, H, W] input (ops.dropout2d: other shapes as PyTorch 1.13), as torch.nn.Dropout2d. */
export class Dropout2d extends Module {
  readonly p: number;
  constructor(p = 0.5) {
    super();
    checkDropoutP('Dropout2d', p);
    this.p = p;
  }
  override get typeName(): string {
    return 'Dropout2d';
  }
  forward(x: Tensor): Tensor {
    return dropout2d(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}

export class AlphaDropout extends Module {
  readonly p: number;
  constructor(p = 0.5) {
    super();
    checkDropoutP('AlphaDropout', p);
    this.p = p;
  }
  override get typeName(): string {
    return 'AlphaDropout';
  }
  forward(x: Tensor): Tensor {
    return alphaDropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
