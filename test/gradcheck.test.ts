import { expect, it } from 'vitest';
import { gradcheck, ops, tensor, Tensor } from '../src/index.js';
import { record } from '../src/autograd.js';
import { describeEachBackend, expectThrowsMentioning } from './helpers/check.js';

const x64 = () => tensor(Float64Array.from([0.3, -1.2, 2.5, 0.8]), [2, 2], { requiresGrad: true });

describeEachBackend('gradcheck', () => {
  it('passes a correct op (tanh∘matmul)', () => {
    const r = gradcheck((a, b) => ops.tanh(ops.matmul(a, b)), [x64(), x64()]);
    expect(r.ok).toBe(true);
    expect(r.checked).toBe(8);
    expect(r.maxAbsError).toBeLessThan(1e-8);
  });
  it('catches a wrong backward', () => {
    // y = x², but the backward claims 3x.
    const bad = (x: Tensor) => {
      const out = new Tensor(Float64Array.from(x.data, (v) => v * v), x.shape);
      return record(out, 'bad', [x], (g, grad) => {
        const gx = grad(0)!;
        for (let i = 0; i < g.length; i++) gx[i] += 3 * x.data[i] * g[i];
      });
    };
    const r = gradcheck(bad, [x64()]);
    expect(r.ok).toBe(false);
    expect(r.failures.length).toBeGreaterThan(0);
  });
  it('leaves the inputs and their gradients as they were', () => {
    const x = x64();
    x.grad = tensor(Float64Array.from([1, 2, 3, 4]), [2, 2]);
    gradcheck((a) => ops.sigmoid(a), [x]);
    expect(Array.from(x.grad.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(x.data)).toEqual([0.3, -1.2, 2.5, 0.8]);
  });
  it('refuses float32 inputs that require grad, naming the shape and dtype', () => {
    expectThrowsMentioning(() => gradcheck((a) => a, [tensor([1, 2], undefined, { requiresGrad: true })]), ['float32', '[2]', 'float64']);
  });
  it('refuses when no input requires grad', () => {
    expectThrowsMentioning(() => gradcheck((a) => a, [tensor(Float64Array.from([1]))]), ['no input requires grad']);
  });
});
