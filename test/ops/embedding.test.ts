import { ops, tensor } from '../../src/index.js';
import { checkOp, filled } from '../helpers/check.js';

// F.embedding(input, weight, padding_idx) against PyTorch 1.13 (pytorch_examples.json, made by
// make_pytorch_examples.py): the rows looked up, ∂W summed over repeated indices, none for padding_idx.
checkOp({
  title: 'ops.embedding',
  file: 'pytorch_examples.json',
  prefix: 'embedding/',
  call: (a) => (input, weight) => ops.embedding(input, weight, a.paddingIdx ?? null),
  bad: [
    { what: 'an index past the table', run: () => ops.embedding(tensor([0, 3]), filled([3, 2])), mentions: ['embedding', 'input[1] = 3', 'out of range', '3 rows'] },
    { what: 'a fractional index', run: () => ops.embedding(tensor([1.5]), filled([3, 2])), mentions: ['embedding', 'input[0] = 1.5', 'not an integer'] },
    { what: 'a weight that is not a matrix', run: () => ops.embedding(tensor([0]), filled([3])), mentions: ['embedding', 'weight', 'matrix', '[3]'] },
    { what: 'a paddingIdx outside the table', run: () => ops.embedding(tensor([0]), filled([3, 2]), 3), mentions: ['embedding', 'paddingIdx', '[-3, 2]', '3'] },
    { what: 'indices as an array', run: () => ops.embedding([0, 1] as never, filled([3, 2])), mentions: ['embedding', 'input', 'Tensor'] },
  ],
});
