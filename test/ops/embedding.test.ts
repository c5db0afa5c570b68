import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gradcheck, ops, tensor } from '../../src/index.js';
import { checkOp, expectThrowsMentioning, filled } from '../helpers/check.js';

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

// x.index(t) (PyTorch's x[t], makemore's C[Xb]) and indexSelect, against PyTorch 1.13 (makemore.json, made by
// test/fixtures/makemore.py), finite differences, and bad indices.
describe('x.index(t) and indexSelect', () => {
  const OPS = JSON.parse(readFileSync(new URL('../fixtures/makemore.json', import.meta.url), 'utf8')).ops;
  const seq = (shape: number[], phase = 0) => tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.7 + phase)), shape);
  const close = (got: ArrayLike<number>, want: number[]) => {
    expect(got.length).toBe(want.length);
    // The inputs are sin(0.7 i) in float32 on both sides, which PyTorch rounds differently in the last place.
    Array.from(got).forEach((g, i) => expect(Math.abs(g - want[i]), `[${i}]`).toBeLessThan(1e-5));
  };

  it('x[idx] for a 2-D idx of a 3-D x (negative indices from the end): values and ∂x summed over repeats, as PyTorch', () => {
    const x = seq([5, 2, 3]).requiresGrad_();
    const out = x.index(tensor([[0, -1, 2], [4, 4, 0]]));
    expect(out.shape).toEqual(OPS.index.out_shape);
    close(out.data, OPS.index.out);
    out.mul(seq(out.shape, 1)).sum().backward();
    close(x.grad!.data, OPS.index.grad);
  });

  it('indexSelect(x, 1, idx) with a repeated index, as torch.index_select', () => {
    const x = seq([2, 4, 3]).requiresGrad_();
    const out = ops.indexSelect(x, 1, tensor([3, 0, 3, 3]));
    expect(out.shape).toEqual(OPS.index_select.out_shape);
    close(out.data, OPS.index_select.out);
    out.mul(seq(out.shape, 2)).sum().backward();
    close(x.grad!.data, OPS.index_select.grad);
  });

  it('gradients equal finite differences in float64', () => {
    const x = tensor(Array.from({ length: 12 }, (_, i) => Math.cos(i)), [4, 3], { dtype: 'float64', requiresGrad: true });
    const idx = tensor([[1, 1], [-4, 2]]);
    expect(gradcheck((a) => a.index(idx).mul(a.index(idx)).sum(), [x]).ok).toBe(true);
    expect(gradcheck((a) => ops.indexSelect(a, -1, tensor([2, 2, 0])).pow(3).sum(), [x]).ok).toBe(true);
  });

  it('bad indices name the index, the position and the shapes', () => {
    const x = seq([3, 2]);
    expectThrowsMentioning(() => x.index(tensor([0, 3])), ['index', 'index 3', 'indices[1]', 'out of bounds', 'size 3', '[3, 2]']);
    expectThrowsMentioning(() => x.index(tensor([-4])), ['index -4', 'out of bounds']);
    expectThrowsMentioning(() => x.index(tensor([0.5])), ['index 0.5', 'not an integer']);
    expectThrowsMentioning(() => x.index([0, 1] as never), ['index', 'indices', 'Tensor']);
    expectThrowsMentioning(() => ops.indexSelect(x, 0, tensor([[0]])), ['indexSelect', '1-D', '[1, 1]']);
    expectThrowsMentioning(() => ops.indexSelect(x, 2, tensor([0])), ['indexSelect', 'dim', 'out of range']);
  });
});
