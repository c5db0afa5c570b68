import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ops, tensor } from '../../src/index.js';
import { checkOp, expectThrowsMentioning, filled } from '../helpers/check.js';

for (const name of ['sum', 'mean'] as const) {
  const fn = ops[name];
  checkOp({
    title: `ops.${name}`,
    file: 'ops.json',
    prefix: `${name}/`,
    call: (args) => (x) => (args.dim === undefined ? fn(x) : fn(x, args.dim as number | number[], args.keepdim as boolean)),
    bad: [
      { what: 'a dimension out of range', run: () => fn(filled([2, 3]), 2), mentions: ['dim 2', '2 dimension'] },
      { what: 'a negative dimension out of range', run: () => fn(filled([2, 3]), -3), mentions: ['dim -3'] },
      { what: 'a repeated dimension', run: () => fn(filled([2, 3]), [1, -1]), mentions: ['repeats'] },
      { what: 'a fractional dimension', run: () => fn(filled([2, 3]), 0.5), mentions: ['dim 0.5'] },
    ],
  });
}

for (const [name, fn] of [['var', ops.variance], ['std', ops.std]] as const) {
  checkOp({
    title: `ops.${name === 'var' ? 'variance' : name}`,
    file: 'tensor_ops.json',
    prefix: `${name}/`,
    // x.var(dim, unbiased, keepdim), PyTorch's positional order.
    call: (a) => (x) => (name === 'var' ? x.var(a.dim, a.unbiased ?? true, a.keepdim ?? false) : fn(x, a.dim, a.unbiased ?? true, a.keepdim ?? false)),
    bad: [
      { what: 'a dimension out of range', run: () => fn(filled([2, 3]), 2), mentions: ['dim 2'] },
      { what: 'unbiased that is not a boolean', run: () => fn(filled([2, 3]), 1, 0 as never), mentions: ['var', 'unbiased', '0'] },
    ],
  });
}

// all/any and histogram (makemore's dead units and activation histograms) against PyTorch 1.13
// (makemore.json, made by test/fixtures/makemore.py).
describe('all, any, histogram', () => {
  const OPS = JSON.parse(readFileSync(new URL('../fixtures/makemore.json', import.meta.url), 'utf8')).ops;
  const close = (got: ArrayLike<number>, want: number[], tol: number) => {
    expect(got.length).toBe(want.length);
    Array.from(got).forEach((g, i) => expect(Math.abs(g - want[i]), `[${i}]: ${g} vs ${want[i]}`).toBeLessThanOrEqual(tol));
  };

  it('all(dim, keepdim) and any(dim) give 1/0 as torch.all/any (non-zero is true, negatives included)', () => {
    const b = tensor([[1, 0, 2], [1, 3, -1]]);
    const r = OPS.all_any;
    expect(b.all(0).tolist()).toEqual(r.all0);
    expect(b.all(1, true).tolist()).toEqual(r.all1_keep);
    expect(b.all({ dim: 1, keepdim: true }).tolist()).toEqual(r.all1_keep);
    expect(b.all().item()).toBe(r.all);
    expect(b.any(0).tolist()).toEqual(r.any0);
    expect(ops.any(b).item()).toBe(r.any);
    expect(ops.any(tensor([0, 0, 0])).item()).toBe(r.none);
    expect(b.gt(0.5).all(-1).shape).toEqual([2]);
    expectThrowsMentioning(() => b.all(2), ['all', 'dim 2', 'out of range']);
    expectThrowsMentioning(() => b.any([0, 1] as never), ['any', 'dim', 'one integer']);
  });

  it('histogram: default 100 bins over [min, max], bins with density, range and weight, as torch.histogram', () => {
    const x = tensor(OPS.histogram.x, [4, 3]);
    for (const [got, want] of [
      [ops.histogram(x), OPS.histogram.default],
      [x.histogram(7, { density: true }), OPS.histogram.bins7_density],
      [ops.histogram(x, { bins: 4, range: [-1, 2], weight: tensor(Array.from({ length: 12 }, (_, i) => Math.abs(Math.sin(0.7 * i + 0.5))), [4, 3]) }), OPS.histogram.range_weight],
    ] as const) {
      const [hist, binEdges] = got;
      close(binEdges.data, want[1], 1e-6);
      close(hist.data, want[0], 1e-5);
      expect(got.hist).toBe(hist);
    }
    const [hy, hx] = ops.histogram(tensor([2, 2, 2]), 4);
    expect(hx.tolist()).toEqual([1.5, 1.75, 2, 2.25, 2.5]);
    expect(hy.tolist()).toEqual([0, 0, 3, 0]);
  });

  it('histogram refuses bad bins, range, weight and options by name', () => {
    const x = tensor([1, 2, 3]);
    expectThrowsMentioning(() => ops.histogram(x, 0), ['histogram', 'bins', 'positive integer', '0']);
    expectThrowsMentioning(() => ops.histogram(x, { range: [2, 1] }), ['histogram', 'range', 'min ≤ max']);
    expectThrowsMentioning(() => ops.histogram(x, { weight: tensor([1, 2]) }), ['histogram', 'weight', '[3]', '[2]']);
    expectThrowsMentioning(() => ops.histogram(x, { density: 1 } as never), ['histogram', 'density']);
    expectThrowsMentioning(() => ops.histogram(x, { bin: 5 } as never), ['histogram', "unknown option 'bin'"]);
    expectThrowsMentioning(() => ops.histogram(tensor([1, NaN])), ['histogram', 'non-finite', 'range']);
  });
});

// torch.cumsum along each dimension (porting.json, make_porting.py).
checkOp({
  title: 'ops.cumsum',
  file: 'porting.json',
  prefix: 'cumsum/',
  call: (a) => (x) => ops.cumsum(x, a.dim),
  bad: [
    { what: 'a missing dim', run: () => ops.cumsum(filled([3]), undefined as never), mentions: ['cumsum', 'dim', 'required'] },
    { what: 'a dim out of range', run: () => ops.cumsum(filled([3, 2]), 2), mentions: ['cumsum', 'dim 2'] },
    { what: 'an unknown keyword', run: () => ops.cumsum(filled([3]), { axis: 0 } as never), mentions: ['cumsum', 'axis'] },
  ],
});

describe('x.cumsum', () => {
  it('is the running sum along dim, also as {dim}', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.cumsum(1).tolist()).toEqual([[1, 3, 6], [4, 9, 15]]);
    expect(x.cumsum({ dim: 0 }).tolist()).toEqual([[1, 2, 3], [5, 7, 9]]);
  });
});
