import { ops, tensor } from '../../src/index.js';
import { checkOp, filled } from '../helpers/check.js';

const FNS = { add: ops.add, sub: ops.sub, mul: ops.mul, div: ops.div } as const;

for (const [name, fn] of Object.entries(FNS)) {
  checkOp({
    title: `ops.${name}`,
    file: 'ops.json',
    prefix: `${name}/`,
    call: () => (a, b) => fn(a, b),
    bad: [
      {
        what: 'shapes that do not broadcast',
        run: () => fn(filled([2, 3]), filled([2, 4])),
        mentions: ['[2, 3]', '[2, 4]', 'broadcast'],
      },
      {
        what: 'two plain numbers',
        run: () => fn(1 as never, 2 as never),
        mentions: ['Tensor'],
      },
      {
        what: 'a string, null or a plain array as an operand',
        run: () => fn(filled([2]), 'a' as never),
        mentions: ['other must be a Tensor or a number', '"a"'],
      },
      {
        what: 'null as the first operand',
        run: () => fn(null as never, filled([2])),
        mentions: ['input must be a Tensor or a number', 'null'],
      },
      {
        what: 'a plain array as an operand',
        run: () => fn(filled([2]), [1, 2] as never),
        mentions: ['an array', 'tensor([...])'],
      },
      {
        what: 'operands of different dtypes',
        run: () => fn(filled([2]), tensor([1, 2], [2], { dtype: 'float64' })),
        mentions: ['float32', 'float64'],
      },
    ],
  });
}
