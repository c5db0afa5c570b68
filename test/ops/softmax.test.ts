import { ops } from '../../src/index.js';
import { checkOp, filled } from '../helpers/check.js';

for (const name of ['softmax', 'logSoftmax'] as const) {
  const fn = ops[name];
  checkOp({
    title: `ops.${name}`,
    file: 'ops.json',
    prefix: `${name}/`,
    call: (args) => (x) => fn(x, args.dim as number),
    bad: [
      { what: 'a dimension out of range', run: () => fn(filled([2, 3]), 2), mentions: [name, 'dim 2'] },
      { what: 'a non-tensor input', run: () => fn(null as never, 0), mentions: [name, 'x'] },
    ],
  });
}
