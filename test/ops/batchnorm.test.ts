import { ops } from '../../src/index.js';
import { checkOp, filled } from '../helpers/check.js';

checkOp({
  title: 'ops.batchNorm',
  file: 'ops.json',
  prefix: 'batchNorm/',
  call: (a) => (x, rm, rv, w, b) => ops.batchNorm(x, rm ?? null, rv ?? null, w ?? null, b ?? null, a.training, a.momentum, a.eps),
  bad: [
    {
      what: 'a batch of one in training',
      run: () => ops.batchNorm(filled([1, 3]), filled([3]), filled([3]), null, null, true),
      mentions: ['[1, 3]', 'training', 'more than 1 value per channel'],
    },
    { what: 'a 1-D input', run: () => ops.batchNorm(filled([3]), null, null, null, null, true), mentions: ['[3]', '[N, C]'] },
    {
      what: 'a weight of the wrong size',
      run: () => ops.batchNorm(filled([4, 3]), null, null, filled([2]), null, true),
      mentions: ['weight', '[2]', '[4, 3]'],
    },
    {
      what: 'running statistics of the wrong size',
      run: () => ops.batchNorm(filled([4, 3]), filled([4]), filled([3]), null, null, false),
      mentions: ['runningMean', '[4]'],
    },
    {
      what: 'eval mode without running statistics',
      run: () => ops.batchNorm(filled([4, 3]), null, null, null, null, false),
      mentions: ['runningMean', 'runningVar'],
    },
    { what: 'eps ≤ 0', run: () => ops.batchNorm(filled([4, 3]), null, null, null, null, true, 0.1, 0), mentions: ['eps'] },
    { what: 'a non-finite momentum', run: () => ops.batchNorm(filled([4, 3]), null, null, null, null, true, NaN), mentions: ['momentum'] },
  ],
});
