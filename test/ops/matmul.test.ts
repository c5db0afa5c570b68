import { ops } from '../../src/index.js';
import { checkOp, filled } from '../helpers/check.js';

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
