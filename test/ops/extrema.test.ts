import { expect, it } from 'vitest';
import { ops, tensor, labels, loss } from '../../src/index.js';
import { checkOp, describeEachBackend, expectThrowsMentioning, filled } from '../helpers/check.js';

const FILE = 'tensor_ops.json';

for (const name of ['max', 'min'] as const) {
  const fn = ops[name];
  checkOp({
    title: `ops.${name}`,
    file: FILE,
    prefix: `${name}/`,
    call: (a) => (x) => {
      if (a.dim === undefined) return fn(x);
      const r = fn(x, a.dim, a.keepdim);
      return a.part === 'indices' ? r.indices : r.values;
    },
    bad: [
      { what: 'a dim out of range', run: () => fn(filled([2, 3]), 2), mentions: [name, 'dim 2', '[2, 3]'] },
      { what: 'a fractional dim', run: () => fn(filled([2, 3]), 0.5), mentions: [name, 'dim 0.5'] },
      { what: 'a tensor where dim goes (the elementwise form)', run: () => fn(filled([2]), filled([2]) as never), mentions: [name, 'dim', 'where'] },
      { what: 'an empty tensor over all elements', run: () => fn(filled([0, 3])), mentions: [name, 'empty', '[0, 3]'] },
      { what: 'an empty dimension', run: () => fn(filled([0, 3]), 0), mentions: [name, 'dimension 0', '[0, 3]'] },
    ],
  });
}

for (const name of ['argmax', 'argmin'] as const) {
  const fn = ops[name];
  checkOp({
    title: `ops.${name}`,
    file: FILE,
    prefix: `${name}/`,
    call: (a) => (x) => fn(x, a.dim, a.keepdim ?? false),
    bad: [
      { what: 'a dim out of range', run: () => fn(filled([2, 3]), -3), mentions: [name, 'dim -3', '[2, 3]'] },
      { what: 'an empty tensor', run: () => fn(filled([0])), mentions: [name, 'empty', '[0]'] },
    ],
  });
}

checkOp({
  title: 'ops.logSumExp',
  file: FILE,
  prefix: 'logSumExp/',
  call: (a) => (x) => ops.logSumExp(x, a.dim, a.keepdim),
  bad: [
    { what: 'a missing dim', run: () => ops.logSumExp(filled([2, 3]), undefined as never), mentions: ['logSumExp', 'dim'] },
    { what: 'a dim out of range', run: () => ops.logSumExp(filled([2, 3]), [0, 2]), mentions: ['logSumExp', 'dim 2', '[2, 3]'] },
    { what: 'a repeated dim', run: () => ops.logSumExp(filled([2, 3]), [1, -1]), mentions: ['logSumExp', 'repeats'] },
  ],
});

describeEachBackend('extrema as users write them', () => {
  it('a custom accuracy: argmax over classes, eq to the labels, mean', () => {
    const logits = tensor([[2, 1, 0], [0, 3, 1], [1, 1, 5], [4, 0, 4]]);
    const y = labels([0, 1, 0, 0]);
    const acc = ops.mean(ops.eq(ops.argmax(logits, 1), y));
    // Row 3 ties classes 0 and 2: the first index wins, as in PyTorch.
    expect(acc.item()).toBe(0.75);
  });
  it('max over a dim routes the gradient to the first maximum only; over all it shares it among ties', () => {
    const x = tensor([[1, 3, 3]], { requiresGrad: true });
    const { values, indices } = ops.max(x, 1);
    ops.sum(values).backward();
    expect(Array.from(indices.data)).toEqual([1]);
    expect(Array.from(x.grad!.data)).toEqual([0, 1, 0]);
    x.grad = null;
    ops.max(x).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0.5, 0.5]);
  });
  it('amax shares the gradient among ties where max over a dim picks one; the ∞-norm shares it too', () => {
    const x = tensor([[1, 3, -3]], { requiresGrad: true });
    ops.sum(ops.amax(x, 1)).backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 1, 0]);
    x.grad = null;
    x.norm(Infinity, 1).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0.5, -0.5]);
  });
  it('a gradient-norm of all-zero gradients is 0 with a zero gradient, not NaN', () => {
    const g = tensor([0, 0, 0], { requiresGrad: true });
    const n = g.norm();
    n.backward();
    expect(n.item()).toBe(0);
    expect(Array.from(g.grad!.data)).toEqual([0, 0, 0]);
  });
  it('amax, amin and norm name the problem in bad input', () => {
    expectThrowsMentioning(() => ops.amax(filled([2, 3]), 2), ['amax', '2', '[2, 3]']);
    expectThrowsMentioning(() => ops.amin(filled([0, 3])), ['amin', 'empty', '[0, 3]']);
    expectThrowsMentioning(() => ops.norm(filled([2, 3]), NaN), ['norm', 'p', 'NaN']);
    expectThrowsMentioning(() => ops.norm(filled([2, 3]), 2, [0, 0]), ['norm', 'repeats']);
  });
  it('logSumExp minus the logits is the cross-entropy, without overflow at large logits', () => {
    const logits = tensor([[1000, 999, 998], [-5, 0, 5]], { requiresGrad: true });
    const y = labels([2, 1]);
    const picked = ops.gather(logits, 1, ops.unsqueeze(y, 1));
    const mine = ops.mean(ops.sub(ops.logSumExp(logits, 1, true), picked));
    expect(mine.item()).toBeCloseTo(loss.crossEntropy(logits, y).item(), 4);
    expect(Number.isFinite(mine.item())).toBe(true);
  });
});
