import { ops } from '../../src/index.js';
import { checkOp, filled } from '../helpers/check.js';

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
