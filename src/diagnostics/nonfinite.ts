/**
 * Locating the first NaN/±Infinity of a training step.
 *
 * Forward: the first module (in forward order) whose output holds a non-finite value.
 * Backward: gradients flow from the output layer towards the input, so "first" is in that
 * order: walking the layers from the last to the first, the first layer that receives a
 * finite gradient at its output but produces a non-finite gradient (for one of its
 * parameters, or for its input). To see the gradients at every layer boundary the step is
 * re-run with retainGrad() on each layer's output; the caller restores the random-generator
 * state (identical dropout masks) and the buffers (BatchNorm running statistics) around it.
 */
import { K } from '../kernels/index.js';
import type { Module, Parameter } from '../nn/module.js';
import type { Tensor } from '../tensor.js';

/** Index of the first tensor with a non-finite value, or −1. */
export function firstNonFinite(tensors: readonly Tensor[]): number {
  for (let i = 0; i < tensors.length; i++) if (!K.allFinite(tensors[i].data)) return i;
  return -1;
}

export function isFiniteTensor(t: Tensor | null): boolean {
  return t === null || K.allFinite(t.data);
}

export interface BackwardOrigin {
  /** 'loss' when the gradient of the loss with respect to the model's output is already non-finite. */
  phase: 'backward' | 'loss';
  /** Index of the layer, or −1 for the loss. */
  index: number;
  /** Key of the first non-finite parameter gradient of that layer, if any. */
  parameter: string | null;
}

/**
 * Re-run forward and backward through `layers` on `x` with every layer output's gradient
 * retained, and find where backward first went non-finite. `params[i]` lists layer i's
 * parameters with their keys. Leaves the parameters' `.grad` set (the caller zeroes them).
 */
export function locateBackward(
  layers: readonly Module[],
  params: ReadonlyArray<ReadonlyArray<readonly [string, Parameter]>>,
  x: Tensor,
  lossOf: (output: Tensor) => Tensor,
): BackwardOrigin | null {
  const outs: Tensor[] = [];
  let h = x;
  for (const m of layers) {
    h = m.forward(h);
    if (h.requiresGrad) h.retainGrad();
    outs.push(h);
  }
  const l = lossOf(h);
  if (!l.requiresGrad) return null;
  l.backward();
  const last = outs.length - 1;
  if (last < 0) return null;
  if (!isFiniteTensor(outs[last].grad)) return { phase: 'loss', index: -1, parameter: null };
  for (let i = last; i >= 0; i--) {
    const badParam = params[i].find(([, p]) => !isFiniteTensor(p._peekGrad()));
    const inputBad = i > 0 && outs[i - 1] !== outs[i] && !isFiniteTensor(outs[i - 1].grad);
    if (badParam || inputBad) return { phase: 'backward', index: i, parameter: badParam ? badParam[0] : null };
  }
  return null;
}
