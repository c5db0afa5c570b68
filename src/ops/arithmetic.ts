/**
 * Elementwise arithmetic with broadcasting, as torch.add/sub/mul/div.
 * Backward sums the gradient over the dimensions an input was broadcast along.
 */
import { record } from '../autograd.js';
import { K } from '../kernels/index.js';
import type { BinaryKind } from '../kernels/types.js';
import { Tensor } from '../tensor.js';
import { asTensor, assertSameDtype, broadcastShapes, broadcastStrides, empty } from './util.js';

function binary(kind: BinaryKind, x: Tensor | number, y: Tensor | number): Tensor {
  if (typeof x === 'number' && typeof y === 'number') throw new Error(`${kind}: at least one operand must be a Tensor`);
  const a = asTensor(x, typeof y === 'number' ? undefined : y instanceof Tensor ? y : undefined, kind, 'input');
  const b = asTensor(y, a, kind, 'other');
  assertSameDtype(kind, a, b);
  const shape = broadcastShapes(kind, a.shape, b.shape);
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const out = empty(shape, a);
  K.binary(kind, a.data, sa, b.data, sb, out.data, shape);
  // x + y and x − y pass ∂L/∂out to x unchanged (∂out/∂x = 1): when x has the output's shape,
  // backward hands x the output gradient itself (GradSink.adopt) after y's is computed from it.
  // y's gradient of a full-size addition is a copy (or a sum into what is there).
  const passes = (kind === 'add' || kind === 'sub') && a.size === out.size;
  const copies = kind === 'add' && b.size === out.size;
  return record(out, kind, [a, b], (g, grad) => {
    if (copies) {
      const tb = grad.target(1);
      if (tb && tb.beta === 0) K.copy(g, tb.data);
      else if (tb) K.axpy(1, g, tb.data);
    } else {
      const gb = grad(1);
      if (gb) K.binaryBackward(kind, 1, g, shape, a.data, sa, b.data, sb, gb);
    }
    if (passes && grad.adopt(0)) return;
    const ga = grad(0);
    if (ga) K.binaryBackward(kind, 0, g, shape, a.data, sa, b.data, sb, ga);
  });
}

/** x + y */
export const add = (x: Tensor | number, y: Tensor | number): Tensor => binary('add', x, y);
/** x − y */
export const sub = (x: Tensor | number, y: Tensor | number): Tensor => binary('sub', x, y);
/** x ⊙ y */
export const mul = (x: Tensor | number, y: Tensor | number): Tensor => binary('mul', x, y);
/** x ⊘ y */
export const div = (x: Tensor | number, y: Tensor | number): Tensor => binary('div', x, y);
/** −x */
export const neg = (x: Tensor): Tensor => binary('mul', x, -1);
