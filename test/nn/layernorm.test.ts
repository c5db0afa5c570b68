/**
 * nn.LayerNorm and ops.layerNorm: PyTorch's values and gradients are checked by
 * test/pytorch-fuzz.test.ts (fixtures/pytorch-fuzz.py, cases 'layerNorm/…'); here the module as
 * users build it, and bad input.
 */
import { expect, it } from 'vitest';
import { nn, ops, randn, tensor } from '../../src/index.js';
import { describeEachBackend, expectThrowsMentioning, filled } from '../helpers/check.js';

describeEachBackend('nn.LayerNorm', () => {
  it("has PyTorch's parameters and state-dict keys, and normalizes each row to mean 0 and variance 1", () => {
    const model = new nn.Sequential(new nn.Linear(4, 6), new nn.LayerNorm(6), new nn.ReLU());
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    const h = new nn.LayerNorm(6).forward(ops.mul(randn([3, 6]), 5));
    const mu = ops.mean(h, 1);
    const v = ops.variance(h, 1, false);
    for (let i = 0; i < 3; i++) {
      expect(mu.data[i]).toBeCloseTo(0, 5);
      expect(v.data[i]).toBeCloseTo(1, 3);
    }
  });
  it('without elementwiseAffine has no parameters; a constant row gives zeros, not NaN', () => {
    const ln = new nn.LayerNorm([2, 2], { elementwiseAffine: false });
    expect(ln.parameters()).toHaveLength(0);
    const x = tensor([[[3, 3], [3, 3]]], { requiresGrad: true });
    const y = ln.forward(x);
    expect(Array.from(y.data)).toEqual([0, 0, 0, 0]);
    ops.sum(ops.mul(y, tensor([[[1, 2], [3, 4]]]))).backward();
    expect(Array.from(x.grad!.data).every(Number.isFinite)).toBe(true);
  });
  it('names the problem in bad input', () => {
    expectThrowsMentioning(() => new nn.LayerNorm(0), ['LayerNorm', 'normalizedShape', '0']);
    expectThrowsMentioning(() => new nn.LayerNorm(4, { eps: -1 }), ['LayerNorm', 'eps', '-1']);
    expectThrowsMentioning(() => new nn.LayerNorm(4, { elementwise_affine: false } as never), ['LayerNorm', 'elementwise_affine']);
    expectThrowsMentioning(() => new nn.LayerNorm(4).forward(filled([2, 5])), ['layerNorm', '[2, 5]', '[4]']);
    expectThrowsMentioning(() => ops.layerNorm(filled([2, 4]), 4, filled([3])), ['layerNorm', 'weight', '[4]', '[3]']);
  });
});
