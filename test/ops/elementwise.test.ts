import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { gradcheck, ops, tensor, Tensor } from '../../src/index.js';
import { checkOp, describeEachBackend, expectThrowsMentioning, filled, t32 } from '../helpers/check.js';

const FILE = 'tensor_ops.json';
const notTensor = (f: (x: Tensor) => unknown) => ({ what: 'a non-tensor x', run: () => f([1, 2] as never), mentions: ['x', 'Tensor'] });

for (const name of ['exp', 'log', 'sqrt', 'abs'] as const) {
  checkOp({ title: `ops.${name}`, file: FILE, prefix: `${name}/`, call: () => ops[name], bad: [notTensor(ops[name])] });
}

// sin and cos (y = sin(x) in "Learning PyTorch with Examples"): cases in pytorch_examples.json (make_pytorch_examples.py).
for (const name of ['sin', 'cos'] as const) {
  checkOp({ title: `ops.${name}`, file: 'pytorch_examples.json', prefix: `${name}/`, call: () => ops[name], bad: [notTensor(ops[name])] });
}

checkOp({
  title: 'ops.pow',
  file: FILE,
  prefix: 'pow/',
  call: (a) => (x, e) => (a.base !== undefined ? ops.pow(a.base, x) : ops.pow(x, a.exponent ?? e)),
  bad: [
    { what: 'two numbers', run: () => ops.pow(2, 3), mentions: ['pow', 'Tensor'] },
    { what: 'an exponent that does not broadcast', run: () => ops.pow(filled([2, 3]), filled([4])), mentions: ['pow', '[2, 3]', '[4]'] },
    { what: 'a string exponent', run: () => ops.pow(filled([2]), '2' as never), mentions: ['pow', 'exponent', 'Tensor'] },
  ],
});

checkOp({
  title: 'ops.clamp',
  file: FILE,
  prefix: 'clamp/',
  call: (a) => (x) => ops.clamp(x, a.min, a.max),
  bad: [
    { what: 'both bounds null', run: () => ops.clamp(filled([2]), null, null), mentions: ['clamp', 'min', 'max'] },
    { what: 'a NaN bound', run: () => ops.clamp(filled([2]), NaN, 1), mentions: ['clamp', 'min', 'NaN'] },
    { what: 'a tensor bound', run: () => ops.clamp(filled([2]), 0, filled([3]) as never), mentions: ['clamp', 'max', '[3]'] },
    { what: 'bounds both as an object and a number', run: () => ops.clamp(filled([2]), { min: 0 }, 1), mentions: ['clamp', '{min, max}'] },
    { what: 'a string bound in the object', run: () => ops.clamp(filled([2]), { max: '1' as never }), mentions: ['clamp', 'max', '1'] },
  ],
});

checkOp({
  title: 'ops.where',
  file: FILE,
  prefix: 'where/',
  call: (a) => (c, x, y) => ops.where(c, x, a.y ?? y),
  bad: [
    {
      what: 'operands that do not broadcast',
      run: () => ops.where(filled([2, 3]), filled([2, 3]), filled([2])),
      mentions: ['where', '[2, 3]', '[2]'],
    },
    { what: 'a cond that is not a tensor', run: () => ops.where([1, 0] as never, filled([2]), 0), mentions: ['where', 'cond', 'Tensor'] },
  ],
});

const COMPARISONS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
for (const name of COMPARISONS) {
  checkOp({
    title: `ops.${name}`,
    file: FILE,
    prefix: `${name}/`,
    call: (a) => (x, y) => ops[name](x, a.y ?? y),
    bad: [
      { what: 'shapes that do not broadcast', run: () => ops[name](filled([2, 3]), filled([4])), mentions: [name, '[2, 3]', '[4]'] },
      notTensor((x) => ops[name](x, 0)),
    ],
  });
}

describeEachBackend('elementwise ops as users write them', () => {
  it('comparisons give 0/1 tensors outside the graph, so a metric never backpropagates', () => {
    const x = tensor([0.2, 0.7, 0.5], { requiresGrad: true });
    const hits = ops.gt(x, 0.5);
    expect(Array.from(hits.data)).toEqual([0, 1, 0]);
    expect(hits.requiresGrad).toBe(false);
    expect(hits.dtype).toBe('float32');
  });
  it('a hand-written MSE with pow and a Huber with where/abs/clamp match the library losses', () => {
    const x = tensor([[0.5, -1.5], [2.5, 0.25]], { requiresGrad: true });
    const y = tensor([[0, 0], [0, 1]]);
    const mse = ops.mean(ops.pow(ops.sub(x, y), 2));
    mse.backward();
    const g = Array.from(x.grad!.data);
    expect(mse.item()).toBeCloseTo((0.25 + 2.25 + 6.25 + 0.5625) / 4, 6);
    expect(g).toEqual([0.25, -0.75, 1.25, -0.375]);
    const d = ops.abs(ops.sub(x, y));
    const huber = ops.where(ops.lt(d, 1), ops.mul(ops.pow(d, 2), 0.5), ops.sub(d, 0.5));
    expect(Array.from(huber.data)).toEqual([0.125, 1, 2, 0.28125]);
    expect(Array.from(ops.clamp(x, 0, 1).data)).toEqual([0.5, 0, 1, 0.25]);
  });
  it("clamp takes PyTorch's keyword form as an object: clamp(x, {min: 1e-12})", () => {
    const p = tensor([0, 0.5, 2]);
    expect(Array.from(ops.clamp(p, { min: 0.25 }).data)).toEqual(Array.from(ops.clamp(p, 0.25).data));
    expect(Array.from(p.clamp({ max: 1 }).data)).toEqual([0, 0.5, 1]);
  });
  it('pow(x, 0) is 1 with zero gradient, even at x = 0 (PyTorch)', () => {
    const x = tensor([0, -2, 3], { requiresGrad: true });
    const y = ops.pow(x, 0);
    ops.sum(y).backward();
    expect(Array.from(y.data)).toEqual([1, 1, 1]);
    expect(Array.from(x.grad!.data)).toEqual([0, 0, 0]);
  });
  it('where reads cond at the call: changing cond afterwards does not reroute the gradient', () => {
    const c = t32([1, 0], [2]);
    const x = tensor([1, 2], { requiresGrad: true });
    const y = tensor([3, 4], { requiresGrad: true });
    const out = ops.where(c, x, y);
    c.data[0] = 0;
    ops.sum(out).backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 0]);
    expect(Array.from(y.grad!.data)).toEqual([0, 1]);
  });
  it('names the op and both shapes when a comparison cannot broadcast', () => {
    expectThrowsMentioning(() => ops.eq(filled([3]), filled([2])), ['eq', '[3]', '[2]']);
  });
});

// log10 (makemore's lossi.append(loss.log10().item())) against PyTorch 1.13 (makemore.json, test/fixtures/makemore.py) and finite differences.
it('log10: values and ∂/∂x = 1/(x ln 10) as PyTorch', () => {
  const ref = JSON.parse(readFileSync(new URL('../fixtures/makemore.json', import.meta.url), 'utf8')).ops.log10;
  const x = tensor([0.5, 1, 7, 123], { requiresGrad: true });
  const y = x.log10();
  y.sum().backward();
  Array.from(y.data).forEach((v, i) => expect(v).toBeCloseTo(ref.out[i], 6));
  Array.from(x.grad!.data).forEach((v, i) => expect(v).toBeCloseTo(ref.grad[i], 6));
  expect(gradcheck((a) => ops.log10(a), [tensor([0.3, 2, 50], { dtype: 'float64', requiresGrad: true })]).ok).toBe(true);
  expect(tensor([0]).log10().item()).toBe(-Infinity);
  expectThrowsMentioning(() => ops.log10([1] as never), ['log10', 'Tensor']);
});

// x.masked_fill(mask, value): PyTorch's values and gradients (porting.json, make_porting.py).
checkOp({
  title: 'ops.maskedFill',
  file: 'porting.json',
  prefix: 'maskedFill/',
  call: (a) => (x, mask) => ops.maskedFill(x, mask, a.value === '-inf' ? -Infinity : a.value),
  bad: [
    notTensor((x) => ops.maskedFill(x, filled([2]), 0)),
    { what: 'a mask that does not broadcast', run: () => ops.maskedFill(filled([2, 3]), t32([1, 0], [2]), 0), mentions: ['maskedFill', '[2, 3]', '[2]'] },
    { what: 'a mask of values other than 0 and 1', run: () => ops.maskedFill(filled([3]), t32([1, 0.5, 0], [3]), 0), mentions: ['maskedFill', 'mask', '0.5', 'position 1'] },
    { what: 'a value that is not a number', run: () => ops.maskedFill(filled([3]), t32([1, 0, 0], [3]), 'x' as never), mentions: ['maskedFill', 'value', 'number'] },
    { what: 'a value tensor that requires grad', run: () => ops.maskedFill(filled([3]), t32([1, 0, 0], [3]), tensor(1, { requiresGrad: true })), mentions: ['maskedFill', 'value', 'requires grad', 'where'] },
  ],
});

describeEachBackend('x.maskedFill', () => {
  it('is ops.maskedFill: the masked entries take the value, the others keep x and get its gradient', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]], { requiresGrad: true });
    const y = x.maskedFill(x.gt(3), 0);
    expect(Array.from(y.data)).toEqual([1, 2, 3, 0, 0, 0]);
    y.sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([1, 1, 1, 0, 0, 0]);
  });
});
