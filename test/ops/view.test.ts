import { expect, it } from 'vitest';
import { ops } from '../../src/index.js';
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
