import { expect, it } from 'vitest';
import { noGrad, ops, tensor, isGradEnabled } from '../src/index.js';
import { describeEachBackend, expectThrowsMentioning } from './helpers/check.js';

const arr = (t: { data: ArrayLike<number> } | null | undefined) => Array.from(t!.data);

describeEachBackend('autograd', () => {
  it('accumulates leaf gradients across backward calls', () => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    ops.sum(ops.mul(x, 2)).backward();
    ops.sum(ops.mul(x, 3)).backward();
    expect(arr(x.grad)).toEqual([5, 5, 5]);
  });
  it('sums the gradients of a tensor used twice (x·x, and a shared intermediate)', () => {
    const x = tensor([1, -2, 3], undefined, { requiresGrad: true });
    ops.sum(ops.mul(x, x)).backward();
    expect(arr(x.grad)).toEqual([2, -4, 6]);
    const y = tensor([1, 2], undefined, { requiresGrad: true });
    const h = ops.mul(y, 3);
    ops.sum(ops.add(h, ops.mul(h, h))).backward();
    expect(arr(y.grad)).toEqual([3 + 2 * 3 * 3, 3 + 2 * 6 * 3]);
  });
  it('records nothing under noGrad, and restores grad mode afterwards (even on throw)', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = noGrad(() => ops.mul(x, 2));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(isGradEnabled()).toBe(true);
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
    expectThrowsMentioning(() => ops.sum(y).backward(), ['does not require grad']);
  });
  it('a second backward through a freed graph throws a clear error', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const l = ops.sum(ops.mul(x, x));
    l.backward();
    expectThrowsMentioning(() => l.backward(), ['second time', 'retainGraph']);
  });
  it('retainGraph allows a second backward, which accumulates', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const l = ops.sum(ops.mul(x, x));
    l.backward(undefined, { retainGraph: true });
    l.backward();
    expect(arr(x.grad)).toEqual([4, 8]);
  });
  it('keeps non-leaf gradients only with retainGrad', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const h = ops.mul(x, 3).retainGrad();
    const k = ops.mul(x, 2);
    ops.sum(ops.mul(ops.add(h, k), 2)).backward();
    expect(arr(h.grad)).toEqual([2, 2]);
    expect(k.grad).toBeNull();
    expect(arr(x.grad)).toEqual([10, 10]);
  });
  it('backward on a non-scalar requires a gradient of its shape', () => {
    const x = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    const y = ops.mul(x, 2);
    expectThrowsMentioning(() => y.backward(), ['one-element', 'Pass a gradient']);
    expectThrowsMentioning(() => y.backward(tensor([1, 1, 1, 1], [4])), ['[4]', '[2, 2]']);
    y.backward(tensor([1, 2, 3, 4], [2, 2]));
    expect(arr(x.grad)).toEqual([2, 4, 6, 8]);
  });
  it('backward on a leaf adds the seed to its own gradient', () => {
    const x = tensor([3], [], { requiresGrad: true });
    x.backward();
    expect(arr(x.grad)).toEqual([1]);
  });
  it('does not propagate into inputs that do not require grad', () => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const c = tensor([5, 6]);
    ops.sum(ops.mul(x, c)).backward();
    expect(c.grad).toBeNull();
    expect(arr(x.grad)).toEqual([5, 6]);
  });
  it('handles deep graphs without overflowing the stack', () => {
    const x = tensor([1], [], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 10000; i++) y = ops.add(y, 0);
    y.backward();
    expect(arr(x.grad)).toEqual([1]);
  });
});
