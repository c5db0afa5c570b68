import { expect, it } from 'vitest';
import { ops, tensor, type Tensor } from '../../src/index.js';
import { checkOp, describeEachBackend, filled, t32 } from '../helpers/check.js';

const FILE = 'tensor_ops.json';

checkOp({
  title: 'ops.cat',
  file: FILE,
  prefix: 'cat/',
  call: (a) => (...xs) => ops.cat(xs, a.dim),
  bad: [
    {
      what: 'shapes that differ outside dim',
      run: () => ops.cat([filled([2, 3]), filled([3, 2])], 0),
      mentions: ['cat', 'dimension 0', '[2, 3]', '[3, 2]', 'tensors[1]'],
    },
    { what: 'different numbers of dimensions', run: () => ops.cat([filled([2, 3]), filled([3])], 0), mentions: ['cat', '[2, 3]', '[3]'] },
    { what: 'a dim out of range', run: () => ops.cat([filled([2, 3]), filled([2, 3])], 2), mentions: ['cat', 'dim 2', '[2, 3]'] },
    { what: 'an empty list', run: () => ops.cat([], 0), mentions: ['cat', 'empty'] },
    { what: 'a non-tensor in the list', run: () => ops.cat([filled([2]), [1, 2] as never]), mentions: ['cat', 'tensors[1]', 'Tensor'] },
    { what: 'zero-dimensional tensors', run: () => ops.cat([filled([]), filled([])]), mentions: ['cat', 'zero-dimensional', 'stack'] },
    { what: 'mixed dtypes', run: () => ops.cat([filled([2]), tensor([1, 2], { dtype: 'float64' })]), mentions: ['cat', 'tensors[1]', 'float64', 'float32'] },
    { what: 'a single tensor instead of a list', run: () => ops.cat(filled([2]) as never), mentions: ['cat', 'list'] },
  ],
});

checkOp({
  title: 'ops.stack',
  file: FILE,
  prefix: 'stack/',
  call: (a) => (...xs) => ops.stack(xs, a.dim),
  bad: [
    { what: 'different shapes', run: () => ops.stack([filled([2, 3]), filled([2, 4])]), mentions: ['stack', '[2, 3]', '[2, 4]'] },
    { what: 'a dim out of range', run: () => ops.stack([filled([2, 3])], 3), mentions: ['stack', 'dim 3', '[-3, 2]'] },
  ],
});

checkOp({
  title: 'ops.unsqueeze',
  file: FILE,
  prefix: 'unsqueeze/',
  call: (a) => (x) => ops.unsqueeze(x, a.dim),
  bad: [{ what: 'a dim out of range', run: () => ops.unsqueeze(filled([2, 3]), 3), mentions: ['unsqueeze', 'dim 3', '[-3, 2]', '[2, 3]'] }],
});

checkOp({
  title: 'ops.squeeze',
  file: FILE,
  prefix: 'squeeze/',
  call: (a) => (x) => ops.squeeze(x, a.dim),
  bad: [{ what: 'a dim out of range', run: () => ops.squeeze(filled([2, 3]), 2), mentions: ['squeeze', 'dim 2', '[2, 3]'] }],
});

checkOp({
  title: 'ops.gather',
  file: FILE,
  prefix: 'gather/',
  call: (a) => (x, i) => ops.gather(x, a.dim, i),
  bad: [
    { what: 'an index out of range', run: () => ops.gather(filled([2, 3]), 1, t32([0, 3], [2, 1])), mentions: ['gather', 'index[1] = 3', '[2, 3]', '0..2'] },
    { what: 'a negative index', run: () => ops.gather(filled([2, 3]), 1, t32([-1, 0], [2, 1])), mentions: ['gather', 'index[0] = -1', 'out of range'] },
    { what: 'a fractional index', run: () => ops.gather(filled([2, 3]), 1, t32([0.5, 0], [2, 1])), mentions: ['gather', 'index[0] = 0.5', 'not an integer'] },
    { what: 'an index with fewer dimensions', run: () => ops.gather(filled([2, 3]), 1, t32([0, 1], [2])), mentions: ['gather', '[2]', '[2, 3]', 'dimensions'] },
    { what: 'an index larger than x outside dim', run: () => ops.gather(filled([2, 3]), 1, t32([0, 0, 0], [3, 1])), mentions: ['gather', '[3, 1]', '[2, 3]', 'dimension 0'] },
    { what: 'a dim out of range', run: () => ops.gather(filled([2, 3]), 2, t32([0], [1, 1])), mentions: ['gather', 'dim 2', '[2, 3]'] },
  ],
});

checkOp({
  title: 'ops.narrow',
  file: FILE,
  prefix: 'narrow/',
  call: (a) => (x) => ops.narrow(x, a.dim, a.start, a.length),
  bad: [
    { what: 'a slab beyond the end', run: () => ops.narrow(filled([2, 3]), 1, 2, 2), mentions: ['narrow', 'start 2', 'length 2', '[2, 3]', 'size 3'] },
    { what: 'a start out of range', run: () => ops.narrow(filled([2, 3]), 1, -4, 1), mentions: ['narrow', 'start -4', 'size 3'] },
    { what: 'a fractional start', run: () => ops.narrow(filled([2, 3]), 0, 0.5, 1), mentions: ['narrow', 'start', 'integer', '0.5'] },
    { what: 'a dim out of range', run: () => ops.narrow(filled([2, 3]), 2, 0, 1), mentions: ['narrow', 'dim 2', '[2, 3]'] },
    { what: 'a zero-dimensional tensor', run: () => ops.narrow(filled([]), 0, 0, 1), mentions: ['narrow', 'zero-dimensional'] },
  ],
});

checkOp({
  title: 'ops.select',
  file: FILE,
  prefix: 'select/',
  call: (a) => (x) => ops.select(x, a.dim, a.index),
  bad: [
    { what: 'an index out of range', run: () => ops.select(filled([2, 3]), 0, 2), mentions: ['select', 'index 2', 'size 2'] },
    { what: 'a negative index out of range', run: () => ops.select(filled([2, 3]), 1, -4), mentions: ['select', 'index -4', 'size 3'] },
    { what: 'a dim out of range', run: () => ops.select(filled([2, 3]), -3, 0), mentions: ['select', 'dim -3', '[2, 3]'] },
  ],
});

describeEachBackend('shape ops as users write them', () => {
  it("x[i] and x[:, a:b] as PyTorch users index: select and narrow, and narrow's copy leaves x alone", () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(x.select(0, 1).tolist()).toEqual([4, 5, 6]);
    expect(x.select(1, -1).tolist()).toEqual([3, 6]);
    const cols = x.narrow(1, 1, 2);
    expect(cols.tolist()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    cols.data[0] = 20;
    expect(x.data[1]).toBe(2);
    // Mini-batches as the tutorial slices them: x_train[i*bs : i*bs+bs], the last one shorter.
    const rows = tensor(Array.from({ length: 10 }, (_, i) => i), [5, 2]);
    const batches = [];
    for (let i = 0; i * 2 < 5; i++) batches.push(rows.narrow(0, i * 2, Math.min(2, 5 - i * 2)).tolist());
    expect(batches).toEqual([[[0, 1], [2, 3]], [[4, 5], [6, 7]], [[8, 9]]]);
  });

  it('unsqueeze and squeeze are views: writing through one shows in the other', () => {
    const x = tensor([1, 2, 3]);
    const u = ops.unsqueeze(x, 0);
    expect(u.shape).toEqual([1, 3]);
    u.data[1] = 20;
    expect(x.data[1]).toBe(20);
    expect(ops.squeeze(u).shape).toEqual([3]);
    expect(ops.squeeze(u, 1).shape).toEqual([1, 3]);
  });
  it('cat of tensors of different ranks says so, as PyTorch, and how to match a row to a batch (it said only that sizes must match)', () => {
    expect(() => ops.cat([filled([2, 3]), filled([3])], 0)).toThrow(
      "cat: tensors must have the same number of dimensions: tensors[0] has shape [2, 3] (2), tensors[1] has shape [3] (1); tensors[1].unsqueeze(0) gives it tensors[0]'s rank",
    );
    expect(() => ops.cat([filled([2, 3]), filled([1, 2, 3, 4])], 1)).toThrow(/^cat: tensors must have the same number of dimensions: .* \(4\)$/);
    expect(() => ops.cat([filled([2, 3]), filled([2, 4])], 0)).toThrow('cat: sizes must match except in dimension 0: tensors[0] has shape [2, 3], tensors[1] has shape [2, 4]');
  });

  it('a fractional, NaN or infinite dim is called not an integer (it was "out of range")', () => {
    expect(() => ops.softmax(filled([2, 3]), 0.5)).toThrow('softmax: dim 0.5 is not an integer');
    expect(() => ops.argmax(filled([2, 3]), NaN)).toThrow('argmax: dim NaN is not an integer');
    expect(() => ops.cat([filled([2])], 1.5)).toThrow('cat: dim 1.5 is not an integer');
    expect(() => ops.sum(filled([2, 3]), Infinity)).toThrow('sum: dim Infinity is not an integer');
  });

  it('cat keeps its own list: emptying the array passed in does not break backward', () => {
    const a = tensor([1, 2], { requiresGrad: true });
    const parts = [a, ops.mul(a, 3)];
    const joined = ops.cat(parts);
    parts.length = 0;
    ops.sum(joined).backward();
    expect(Array.from(a.grad!.data)).toEqual([4, 4]);
  });
  it('a batch assembled with stack and split back by gradients through cat', () => {
    const rows = [0, 1, 2].map((i) => tensor([i, i + 0.5], { requiresGrad: true }));
    const batch = ops.stack(rows);
    expect(batch.shape).toEqual([3, 2]);
    const both = ops.cat([batch, ops.mul(batch, 2)], 1);
    ops.sum(both).backward();
    for (const r of rows) expect(Array.from(r.grad!.data)).toEqual([3, 3]);
  });
});

// torch.split / torch.chunk: the pieces, each scaled by its position and joined again, so that
// each piece's values and gradient are told apart (porting.json, make_porting.py).
const weighted = (pieces: Tensor[], dim: number) => ops.cat(pieces.map((p, k) => ops.mul(p, k + 1)), dim);

checkOp({
  title: 'ops.split',
  file: 'porting.json',
  prefix: 'split/',
  call: (a) => (x) => {
    const pieces = ops.split(x, a.splitSizeOrSections, a.dim);
    expect(pieces.length).toBe(a.count);
    return weighted(pieces, a.dim);
  },
  bad: [
    { what: 'sizes that do not add up', run: () => ops.split(filled([5, 2]), [2, 2], 0), mentions: ['split', '[2,2]', 'add up to 4', '5'] },
    { what: 'a split size of 0', run: () => ops.split(filled([4]), 0), mentions: ['split', 'splitSize', 'positive'] },
    { what: 'a fractional split size', run: () => ops.split(filled([4]), 1.5), mentions: ['split', 'splitSize', '1.5'] },
    { what: 'a dim out of range', run: () => ops.split(filled([4, 2]), 2, 2), mentions: ['split', 'dim 2', '[4, 2]'] },
    { what: 'a zero-dimensional x', run: () => ops.split(filled([]), 1), mentions: ['split', 'zero-dimensional'] },
  ],
});

checkOp({
  title: 'ops.chunk',
  file: 'porting.json',
  prefix: 'chunk/',
  call: (a) => (x) => {
    const pieces = ops.chunk(x, a.chunks, a.dim);
    expect(pieces.length).toBe(a.count);
    return weighted(pieces, a.dim);
  },
  bad: [
    { what: 'chunks = 0', run: () => ops.chunk(filled([4]), 0), mentions: ['chunk', 'chunks', 'positive', '0'] },
    { what: 'a dim out of range', run: () => ops.chunk(filled([4, 2]), 2, -3), mentions: ['chunk', 'dim -3', '[4, 2]'] },
  ],
});

describeEachBackend('x.split / x.chunk', () => {
  it("return PyTorch's pieces: 6 rows in 4 chunks are 3 pieces of 2; split(2, {dim: 1}) cuts columns", () => {
    const x = tensor([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11], [12, 13, 14], [15, 16, 17]]);
    expect(x.chunk(4).map((p) => p.shape)).toEqual([[2, 3], [2, 3], [2, 3]]);
    const [a, b] = x.split(2, { dim: 1 });
    expect(a.shape).toEqual([6, 2]);
    expect(b.tolist()).toEqual([[2], [5], [8], [11], [14], [17]]);
  });
  it('sends gradient only to the rows of the pieces the loss used', () => {
    const x = tensor([[1, 2], [3, 4], [5, 6]], { requiresGrad: true });
    const [, mid] = x.split([1, 1, 1]);
    mid.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 1, 1, 0, 0]);
  });
});
