/**
 * Tensor methods as PyTorch users chain them. Each method is its op (same name) with `this`
 * first: checked here by equality with the op, and by whole expressions users write — a
 * cross-entropy by hand, an accuracy metric — against the library's own losses.
 */
import { expect, it } from 'vitest';
import { Tensor, labels, loss, ops, randn, tensor, manualSeed } from '../src/index.js';
import { describeEachBackend, expectThrowsMentioning, filled } from './helpers/check.js';

const same = (a: Tensor, b: Tensor) => {
  expect(a.shape).toEqual(b.shape);
  expect(Array.from(a.data)).toEqual(Array.from(b.data));
};

describeEachBackend('Tensor methods', () => {
  it('each method computes exactly its op', () => {
    const x = filled([2, 3]);
    const y = filled([3]);
    const pos = ops.add(ops.abs(x), 0.5);
    same(x.add(y), ops.add(x, y));
    same(x.sub(2), ops.sub(x, 2));
    same(x.mul(y), ops.mul(x, y));
    same(x.div(y.add(3)), ops.div(x, ops.add(y, 3)));
    same(x.neg(), ops.neg(x));
    same(x.matmul(filled([3, 4])), ops.matmul(x, filled([3, 4])));
    same(x.sum(), ops.sum(x));
    same(x.sum(1, true), ops.sum(x, 1, true));
    same(x.mean([0, 1]), ops.mean(x, [0, 1]));
    same(x.exp(), ops.exp(x));
    same(pos.log(), ops.log(pos));
    same(pos.sqrt(), ops.sqrt(pos));
    same(x.abs(), ops.abs(x));
    same(x.pow(3), ops.pow(x, 3));
    same(x.clamp(-0.5, null), ops.clamp(x, -0.5));
    same(x.max(), ops.max(x));
    same(x.min(1).values, ops.min(x, 1).values);
    same(x.max(0, true).indices, ops.max(x, 0, true).indices);
    same(x.argmax(), ops.argmax(x));
    same(x.argmin(1, true), ops.argmin(x, 1, true));
    same(x.logSumExp(1), ops.logSumExp(x, 1));
    same(x.permute(1, 0), ops.permute(x, [1, 0]));
    same(x.permute([1, 0]), x.t());
    same(x.transpose(0, 1), x.t());
    same(x.unsqueeze(-1), ops.unsqueeze(x, -1));
    same(x.unsqueeze(0).squeeze(), x);
    same(x.gather(1, labels([2, 0]).unsqueeze(1)), ops.gather(x, 1, ops.unsqueeze(labels([2, 0]), 1)));
    same(x.relu(), ops.relu(x));
    same(x.sigmoid(), ops.sigmoid(x));
    same(x.tanh(), ops.tanh(x));
    same(x.softmax(1), ops.softmax(x, 1));
    same(x.logSoftmax(0), ops.logSoftmax(x, 0));
    for (const c of ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const) same(x[c](y), ops[c](x, y));
    same(x.flatten(), ops.flatten(x));
  });

  it('numel(), dim() and tolist() answer as in PyTorch', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(x.numel()).toBe(6);
    expect(x.dim()).toBe(2);
    expect(x.tolist()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(tensor(2.5).tolist()).toBe(2.5);
  });

  it('reshape and view take sizes as arguments or as one list, and share storage', () => {
    const x = filled([2, 3]);
    expect(x.reshape(3, 2).shape).toEqual([3, 2]);
    expect(x.reshape([-1]).shape).toEqual([6]);
    const v = x.view(6);
    v.data[0] = 42;
    expect(x.data[0]).toBe(42);
    expectThrowsMentioning(() => x.view(4, 2), ['reshape', '[2, 3]', '[4, 2]']);
  });

  it('t() leaves vectors alone and refuses 3-D tensors, naming the shape', () => {
    expect(filled([4]).t().shape).toEqual([4]);
    expectThrowsMentioning(() => filled([2, 3, 4]).t(), ['t()', '[2, 3, 4]', 'transpose']);
  });

  it('methods are not enumerable: spreading or iterating a tensor shows its fields only', () => {
    const keys = Object.keys(filled([2]));
    expect(keys).not.toContain('add');
    expect(keys).toContain('shape');
  });

  it('cross-entropy written by hand, PyTorch style, equals loss.crossEntropy in value and gradient', () => {
    manualSeed(3);
    const logits = randn([8, 5], { requiresGrad: true });
    const y = labels([0, 4, 2, 2, 1, 3, 0, 4]);
    const mine = logits.logSoftmax(1).gather(1, y.unsqueeze(1)).neg().mean();
    mine.backward();
    const gMine = Float32Array.from(logits.grad!.data);
    logits.grad = null;
    const ref = loss.crossEntropy(logits, y);
    ref.backward();
    expect(mine.shape).toEqual([]);
    expect(mine.item()).toBeCloseTo(ref.item(), 6);
    gMine.forEach((g, i) => expect(g).toBeCloseTo(logits.grad!.data[i], 7));
  });

  it('a custom accuracy metric: argmax, eq, mean', () => {
    const logits = tensor([[0.1, 2, -1], [3, 0, 0], [0, 0, 1], [1, 5, 2]]);
    const y = labels([1, 0, 0, 1]);
    const acc = logits.argmax(1).eq(y).mean().item();
    expect(acc).toBe(0.75);
  });

  it('a softmax-temperature / entropy regulariser chains through exp, log, clamp and sum', () => {
    const x = tensor([[1, 2, 3], [0, 0, 0]], { requiresGrad: true });
    const p = x.div(2).softmax(1);
    const entropy = p.mul(p.clamp(1e-12, null).log()).sum(1).neg();
    entropy.mean().backward();
    expect(entropy.data[1]).toBeCloseTo(Math.log(3), 6);
    expect(x.grad!.shape).toEqual([2, 3]);
    // A uniform row sits at the entropy's maximum: zero gradient.
    for (const g of x.grad!.data.slice(3)) expect(Math.abs(g)).toBeLessThan(1e-7);
  });
});

describeEachBackend('tensor(nested, options)', () => {
  it('takes {requiresGrad} where the shape would be, as torch.tensor(data, requires_grad=True)', () => {
    const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
    expect(w.shape).toEqual([2, 2]);
    expect(w.requiresGrad).toBe(true);
    expect(tensor([1, 2, 3], { dtype: 'float64' }).dtype).toBe('float64');
    expect(tensor(5, { requiresGrad: true }).requiresGrad).toBe(true);
  });
  it('still takes a shape (with options after it)', () => {
    const t = tensor([1, 2, 3, 4], [2, 2], { requiresGrad: true });
    expect(t.shape).toEqual([2, 2]);
    expect(t.requiresGrad).toBe(true);
    expect(tensor([1, 2, 3, 4], undefined).shape).toEqual([4]);
  });
});

// makemore's `p.data += -lr * p.grad`: JS has no += on an array, so the storage array takes add_ (with PyTorch's alpha), sub_ and mul_.
it('p.data.add_(p.grad, {alpha: -lr}), .data.sub_, .data.mul_ update the storage in place; a null grad is named', () => {
  const p = tensor([1, 2, 3], { requiresGrad: true });
  p.mul(p).sum().backward();
  const lr = 0.1;
  expect(p.data.add_(p.grad!, { alpha: -lr })).toBe(p.data);
  [0.8, 1.6, 2.4].forEach((v, i) => expect(p.data[i]).toBeCloseTo(v, 6));
  p.data.sub_([1, 1, 1], 0.5).mul_(2);
  [0.6, 2.2, 3.8].forEach((v, i) => expect(p.data[i]).toBeCloseTo(v, 6));
  p.data.mul_(tensor([0, 1, 0])).add_(1);
  expect(p.data[0]).toBe(1);
  expect(p.data[2]).toBe(1);
  const q = tensor([1, 2], { requiresGrad: true });
  expectThrowsMentioning(() => q.data.add_(q.grad!, { alpha: -lr }), ['.data.add_()', 'null', 'take part in the loss']);
  expectThrowsMentioning(() => q.data.add_(tensor([1, 2, 3])), ['.data.add_()', '3 elements', '[3]', 'this storage 2']);
  expectThrowsMentioning(() => q.data.add_(tensor([1, 2]), { alhpa: 1 } as never), ['alhpa']);
});

// makemore's `emb = C[Xb]` and `Xb, Yb = Xtr[ix], Ytr[ix]`: indexing by an integer tensor with JS's brackets.
it('C[Xb] and Xtr[ix] index by an integer tensor (C.index(Xb)), with gradients; probs[2] is select(0, 2); writes through either are refused; other property names behave as before', async () => {
  const C = tensor([[0, 1], [2, 3], [4, 5], [6, 7]], { requiresGrad: true }) as Tensor & Record<string, any>;
  const Xb = tensor([[0, 3, 3], [1, 2, -1]]);
  const emb: Tensor = C[Xb as any];
  expect(emb.shape).toEqual([2, 3, 2]);
  expect(emb.tolist()).toEqual(C.index(Xb).tolist());
  const other: Tensor = C[tensor([2]) as any];
  emb.sum().add(other.sum()).backward();
  expect(C.grad!.tolist()).toEqual([[1, 1], [1, 1], [2, 2], [3, 3]]);
  const Xtr = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) as Tensor & Record<string, any>;
  const Ytr = tensor([10, 20, 30]) as Tensor & Record<string, any>;
  const ix = tensor([2, 0, 2]);
  const [Xbatch, Ybatch] = [Xtr[ix as any] as Tensor, Ytr[ix as any] as Tensor];
  expect(Xbatch.tolist()).toEqual([[7, 8, 9], [1, 2, 3], [7, 8, 9]]);
  expect(Ybatch.tolist()).toEqual([30, 10, 30]);
  // Out of range: the index op's message.
  expectThrowsMentioning(() => Xtr[tensor([3]) as any], ['index 3', 'out of bounds', 'size 3']);
  // Writing through a tensor key is refused (PyTorch writes into C; a property would be silently wrong).
  expectThrowsMentioning(() => { C[Xb as any] = 0; }, ['x[t] = v', 'not supported', '[4, 2]']);
  // A key that is text some other tensor printed as, not the tensor: an error, never a wrong lookup.
  const stale = String(Xb);
  String(ix);
  expectThrowsMentioning(() => C[stale], ['indexing a tensor of shape [4, 2]', 'index by the tensor itself']);
  // An integer key is select(0, i) (a copy: an in-place change of it, or a write through it, is refused).
  expect((C[3] as Tensor).tolist()).toEqual([6, 7]);
  expect((C[-4] as Tensor).tolist()).toEqual([0, 1]);
  expect((C[1][0] as Tensor).item()).toBe(2);
  expect(Array.from(Xtr as ArrayLike<Tensor>, (r) => r.tolist())).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  expectThrowsMentioning(() => C[4], ['select', 'index 4', 'out of range']);
  expectThrowsMentioning(() => { C[0] = tensor([9, 9]); }, ['x[0] = v', 'not supported', 'copy', 'x.data']);
  expectThrowsMentioning(() => { C[0][1] = 9; }, ['x[1] = v', 'not supported']);
  expectThrowsMentioning(() => (Xtr[0] as Tensor).add_(1), ['add_()', 'select()', 'copy']);
  expectThrowsMentioning(() => (tensor(3) as Tensor & Record<string, any>)[0], ['select', 'zero-dimensional']);
  // Everything else is as before: unknown names are undefined, new properties are the object's own, awaiting a tensor gives it.
  expect(C.foo).toBeUndefined();
  expect(C['1.5']).toBeUndefined();
  C.label = 'embedding';
  expect(Object.keys(C)).toContain('label');
  expect(await C).toBe(C);
  expect(C instanceof Tensor).toBe(true);
});
