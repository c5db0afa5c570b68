import { expect, it } from 'vitest';
import { Tensor, manualSeed, ops, randn } from '../../src/index.js';
import { checkOp, describeEachBackend, expectGradcheck, expectThrowsMentioning, filled } from '../helpers/check.js';

checkOp({
  title: 'ops.matmul',
  file: 'ops.json',
  prefix: 'matmul/',
  call: () => (a, b) => ops.matmul(a, b),
  bad: [
    { what: 'inner dimensions that differ', run: () => ops.matmul(filled([2, 3]), filled([4, 2])), mentions: ['[2, 3]', '[4, 2]'] },
    { what: 'a 0-d operand', run: () => ops.matmul(filled([]), filled([2, 2])), mentions: ['[]'] },
    {
      what: 'batch dimensions that do not broadcast',
      run: () => ops.matmul(filled([2, 3, 4]), filled([3, 4, 5])),
      mentions: ['broadcast', '[2]', '[3]'],
    },
    { what: 'a non-tensor operand', run: () => ops.matmul(filled([2, 2]), [[1, 2]] as never), mentions: ['matmul', 'b'] },
  ],
});

checkOp({
  title: 'ops.linear',
  file: 'ops.json',
  prefix: 'linear/',
  call: () => (x, w, b) => ops.linear(x, w, b ?? null),
  bad: [
    { what: 'an input whose last dimension is not in_features', run: () => ops.linear(filled([5, 3]), filled([2, 4])), mentions: ['[5, 3]', '[2, 4]'] },
    { what: 'a weight that is not 2-D', run: () => ops.linear(filled([5, 4]), filled([4])), mentions: ['weight', '[4]'] },
    { what: 'a bias of the wrong size', run: () => ops.linear(filled([5, 4]), filled([2, 4]), filled([3])), mentions: ['bias', '[3]'] },
  ],
});

// The fused Linear + activation (Sequential's fast path) must be the composition exactly:
// values and all three gradients bit-identical to linear() then the activation, whether the
// gradients are written fresh or accumulated, and correct by finite differences.
describeEachBackend('ops.linearActivation', () => {
  const kinds = ['relu', 'sigmoid', 'tanh'] as const;
  const run = (fused: boolean, kind: (typeof kinds)[number], withBias: boolean, twice: boolean) => {
    manualSeed(11);
    const x = randn([6, 19], { requiresGrad: true });
    const w = randn([21, 19], { requiresGrad: true });
    const b = withBias ? randn([21], { requiresGrad: true }) : null;
    const f = () => (fused ? ops.linearActivation(x, w, b, kind) : ops.activation(ops.linear(x, w, b), kind));
    const y = f();
    const values = Array.from(y.data);
    const weights = randn([6, 21]);
    ops.sum(ops.mul(y, weights)).backward();
    // Twice: the second backward accumulates into existing gradients (β = 1 paths).
    if (twice) ops.sum(ops.mul(f(), weights)).backward();
    return [values, ...[x, w, b].map((t) => (t ? Array.from(t.grad!.data) : []))];
  };
  for (const kind of kinds) {
    it(`equals linear then ${kind}, bit for bit (values, ∂x, ∂W, ∂b; fresh and accumulated; with and without bias)`, () => {
      for (const withBias of [true, false]) {
        for (const twice of [false, true]) {
          const a = run(true, kind, withBias, twice);
          const b = run(false, kind, withBias, twice);
          expect(a).toEqual(b);
          expect(a.flat().every(Number.isFinite)).toBe(true);
        }
      }
    });
    it(`passes gradcheck: ${kind}`, () => {
      manualSeed(12);
      const f64 = (shape: number[]) => new Tensor(Float64Array.from(randn(shape).data), shape, true);
      expectGradcheck((x, w, b) => ops.linearActivation(x, w, b, kind), [f64([4, 5]), f64([3, 5]), f64([3])], `linearActivation ${kind}`);
    });
  }
  it('refuses an activation whose derivative needs its input, naming it', () => {
    expectThrowsMentioning(() => ops.linearActivation(filled([2, 3]), filled([4, 3]), null, 'gelu'), ["'gelu'", 'linear()']);
    expectThrowsMentioning(() => ops.linearActivation(filled([2, 3]), filled([4, 2]), null, 'relu'), ['[2, 3]', '[4, 2]']);
  });
  it('matmul names both operands: inner dimensions, and batch dimensions that do not broadcast (it named only [2] and [3])', () => {
    expect(() => ops.matmul(filled([2, 3]), filled([4, 5]))).toThrow('matmul: shapes [2, 3] and [4, 5] cannot be multiplied (2×3 and 4×5)');
    expect(() => ops.matmul(filled([2, 3, 4]), filled([3, 4, 5]))).toThrow(
      'matmul: the batch dimensions of [2, 3, 4] and [3, 4, 5], [2] and [3], cannot be broadcast together (the last two dimensions are the matrices)',
    );
    expect(ops.matmul(filled([2, 3, 4]), filled([1, 4, 5])).shape).toEqual([2, 3, 5]);
  });
});
