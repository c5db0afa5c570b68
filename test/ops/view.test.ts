import { expect, it } from 'vitest';
import { ops, tensor } from '../../src/index.js';
import { checkOp, describeEachBackend, filled } from '../helpers/check.js';

const FILE = 'tensor_ops.json';

checkOp({
  title: 'ops.permute',
  file: FILE,
  prefix: 'permute/',
  call: (a) => (x) => ops.permute(x, a.dims),
  bad: [
    { what: 'a repeated dimension', run: () => ops.permute(filled([2, 3, 4]), [0, 0, 1]), mentions: ['permute', '[0, 0, 1]', 'permutation', '[2, 3, 4]'] },
    { what: 'too few dimensions', run: () => ops.permute(filled([2, 3, 4]), [1, 0]), mentions: ['permute', '[1, 0]', '[2, 3, 4]'] },
    { what: 'a dimension out of range', run: () => ops.permute(filled([2, 3]), [0, 2]), mentions: ['permute', '[0, 2]', '[2, 3]'] },
  ],
});

checkOp({
  title: 'ops.transpose',
  file: FILE,
  prefix: 'transpose/',
  call: (a) => (x) => ops.transpose(x, a.dim0, a.dim1),
  bad: [{ what: 'a dim out of range', run: () => ops.transpose(filled([2, 3]), 0, 2), mentions: ['transpose', 'dim 2'] }],
});

describeEachBackend('permute as users write it', () => {
  it('permute twice by inverse permutations gives the tensor back', () => {
    const x = filled([2, 3, 4]);
    const y = ops.permute(ops.permute(x, [2, 0, 1]), [1, 2, 0]);
    expect(y.shape).toEqual([2, 3, 4]);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
  });
});

// torch.clone: a copy whose gradient flows back (porting.json, make_porting.py).
checkOp({
  title: 'ops.clone',
  file: 'porting.json',
  prefix: 'clone/',
  call: () => (x) => ops.mul(ops.clone(x), 3),
});

describeEachBackend('x.clone / x.detach', () => {
  it("clone owns its storage and passes the gradient back, as PyTorch's; detach().clone() is outside the graph", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const c = x.clone();
    expect(c.data).not.toBe(x.data);
    expect(c.requiresGrad).toBe(true);
    c.mul(2).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 2, 2]);
    const d = x.detach().clone();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    d.data[0] = 9;
    expect(x.data[0]).toBe(1);
  });
});
