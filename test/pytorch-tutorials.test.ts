// Lines of PyTorch's "Tensors" and "Autograd" tutorials and the from-scratch part of "What is
// torch.nn really?", written as a PyTorch user writes them in JS. Reference values: PyTorch 1.13
// on the same inputs (test/fixtures/make_pytorch_habits.py → pytorch_habits.json), or the values
// the tutorials print.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loss, noGrad, ones, onesLike, ops, rand, randn, tensor, zeros, Tensor } from '../src/index.js';

const REF = JSON.parse(readFileSync(new URL('./fixtures/pytorch_habits.json', import.meta.url), 'utf8'));
const close = (got: ArrayLike<number>, want: number[], tol = 1e-6) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i] - w), `element ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(tol * (1 + Math.abs(w))));
};

describe('the Tensors tutorial', () => {
  it('creates, indexes, joins and multiplies tensors as the tutorial does', () => {
    const data = [
      [1, 2],
      [3, 4],
    ];
    const x_data = tensor(data);
    // torch.tensor(t) copies, outside the graph.
    const copy = tensor(x_data);
    copy.data[0] = 100;
    expect(x_data.tolist()).toEqual(data);
    expect(onesLike(x_data).tolist()).toEqual([
      [1, 1],
      [1, 1],
    ]);
    const shape = [2, 3];
    expect(rand(shape).shape).toEqual([2, 3]);
    expect(ones(shape).dtype).toBe('float32');
    // tensor = torch.ones(4, 4); tensor[:, 1] = 0 — gradlab writes the column through .data.
    const t = ones(4, 4);
    expect(t.select(0, 0).tolist()).toEqual([1, 1, 1, 1]); // tensor[0]
    expect(t.select(1, -1).tolist()).toEqual([1, 1, 1, 1]); // tensor[..., -1]
    for (let i = 0; i < 4; i++) t.data[i * 4 + 1] = 0;
    // In PyTorch select/narrow/T are views, so writing into one writes into t; here they are
    // copies, so an in-place write into one is refused rather than silently leaving t unchanged.
    expect(() => t.select(1, 1).fill_(0)).toThrow(/fill_\(\): this tensor came from select\(\), which in PyTorch is a view.*clone\(\) first/);
    expect(() => t.narrow(0, 0, 2).zero_()).toThrow(/came from narrow\(\)/);
    expect(() => t.T.mul_(2)).toThrow(/came from permute\(\)/);
    expect(t.T.clone().mul_(2).shape).toEqual([4, 4]);
    const t1 = ops.cat([t, t, t], 1);
    expect(t1.shape).toEqual([4, 12]);
    const y1 = t.matmul(t.T);
    expect(y1.select(0, 0).tolist()).toEqual([3, 3, 3, 3]);
    expect(t.mul(t).sum().item()).toBe(12);
    // agg.item() into a JS number; in place: tensor.add_(5)
    expect(typeof t.sum().item()).toBe('number');
    expect(t.add_(5).select(0, 0).tolist()).toEqual([6, 5, 6, 6]);
    expect(t.numel()).toBe(16);
    expect(t.length).toBe(4); // len(tensor): the first dimension
    expect(tensor(3).length).toBeUndefined();
    expect(t.dim()).toBe(2);
    expect(t.T.shape).toEqual([4, 4]);
    expect(randn(2, 3).T.shape).toEqual([3, 2]);
  });

  it('dtype conversions are no-ops or copies as in PyTorch; a GPU device is refused by name', () => {
    const x = tensor([1.7, -2.5, 3]);
    expect(x.float()).toBe(x);
    expect(x.to('cpu')).toBe(x);
    expect(x.contiguous()).toBe(x);
    expect(x.type()).toBe('torch.FloatTensor');
    expect(x.double().dtype).toBe('float64');
    expect(x.long().tolist()).toEqual([1, -2, 3]);
    expect(() => x.to('cuda' as never)).toThrow(/no 'cuda' device.*CPU/);
    expect(() => x.type('int8' as never)).toThrow(/type\(\): expected a dtype.*'int8'/);
    // torch.tensor(y, dtype=torch.long): integer values held in float32, truncated as PyTorch converts.
    const y = tensor([2.9, -1.5, 7], { dtype: 'long' });
    expect([y.dtype, ...(y.tolist() as number[])]).toEqual(['float32', 2, -1, 7]);
    expect(x.to('int64').tolist()).toEqual([1, -2, 3]);
    expect(tensor([1, 2], { dtype: 'double' }).dtype).toBe('float64');
    expect(zeros(2, { dtype: 'float' }).dtype).toBe('float32');
    expect(() => zeros(2, { dtype: 'cpu' } as never)).toThrow(/zeros\(\): 'cpu' is a device, not a dtype/);
    expect(() => tensor([1], { dtype: 'float16' } as never)).toThrow(/tensor\(\): expected a dtype .*'float16'/);
    // A float64 copy still carries the gradient back.
    const w = tensor([1, 2], { requiresGrad: true });
    w.double().mul(3).sum().backward();
    expect(w.grad!.tolist()).toEqual([3, 3]);
  });

  it('(pred.argmax(1) == y).type(torch.float).sum().item() and _, predicted = torch.max(outputs, 1)', () => {
    const pred = tensor([
      [0.1, 2, 0.3],
      [5, 1, 0],
      [0, 0, 1],
    ]);
    const y = tensor([1, 2, 2]);
    expect(pred.argmax(1).eq(y).type('float').sum().item()).toBe(2);
    expect(pred.argmax(1).eq(y).float().mean().item()).toBeCloseTo(2 / 3, 6);
    const [values, predicted] = pred.max(1);
    expect(values.tolist()).toEqual([2, 5, 1]);
    expect(predicted.tolist()).toEqual([1, 0, 2]);
    expect(pred.max(1)[1].tolist()).toEqual([1, 0, 2]);
    expect(pred.max(1).indices.tolist()).toEqual([1, 0, 2]);
  });

  it("PyTorch's snake_case options are errors naming gradlab's spelling, never silently ignored", () => {
    expect(() => tensor([1, 2], { requires_grad: true } as never)).toThrow(/tensor\(\): unknown option 'requires_grad' \(gradlab spells it requiresGrad\)/);
    expect(() => randn(2, 3, { requires_grad: true } as never)).toThrow(/randn\(\).*requiresGrad/);
    // device=device as "Learning PyTorch with Examples" writes it: the CPU is accepted (a no-op, as .to('cpu')), another device refused.
    expect(zeros([2], { device: 'cpu' }).shape).toEqual([2]);
    expect(() => zeros([2], { device: 'cuda:0' } as never)).toThrow(/zeros\(\): gradlab has no 'cuda:0' device/);
    expect(() => zeros([2], { devise: 'cpu' } as never)).toThrow(/zeros\(\): unknown option 'devise' \(did you mean 'device'\?\); the options are requiresGrad, dtype, device/);
    // F.cross_entropy(x, y, label_smoothing=0.1) or reduce=False would change the loss in PyTorch: refused.
    expect(() => loss.crossEntropy(tensor([[1, 2]]), tensor([1]), { label_smoothing: 0.1 } as never)).toThrow(/crossEntropy: unknown option 'label_smoothing'/);
    expect(() => loss.mse(tensor([1]), tensor([2]), { reduce: false } as never)).toThrow(/mse: unknown option 'reduce'; the options are reduction/);
    expect(() => loss.huber(tensor([1]), tensor([2]), { beta: 1 } as never)).toThrow(/huber: unknown option 'beta' \(did you mean 'delta'\?\); the options are reduction, delta/);
    // F.cross_entropy(x, y, weight): a Tensor where gradlab takes options.
    expect(() => loss.crossEntropy(tensor([[1, 2]]), tensor([1]), tensor([1, 1]) as never)).toThrow(/crossEntropy: options must be an object such as \{reduction: …\}, got a Tensor/);
  });

  it('normalises with mean() and std() as PyTorch (unbiased), and reads int64 labels', () => {
    const x = tensor([
      [1, 2, 3, 4],
      [2, 4, 6, 8],
    ]);
    // torch.tensor([[1,2,3,4],[2,4,6,8.]]).std() = 2.3146, .std(1) = [1.2910, 2.5820], .var(1, False) = [1.25, 5]
    expect(x.std().item()).toBeCloseTo(2.31455, 4);
    expect(x.std(1).tolist()).toEqual([expect.closeTo(1.29099, 4), expect.closeTo(2.58199, 4)]);
    expect(x.var(1, false).tolist()).toEqual([1.25, 5]);
    const z = x.sub(x.mean()).div(x.std());
    expect(z.mean().item()).toBeCloseTo(0, 6);
    expect(z.std().item()).toBeCloseTo(1, 5);
    expect(tensor(new BigInt64Array([3n, 0n, 9n])).tolist()).toEqual([3, 0, 9]);
  });

  it('hostile operands and indices are named, never a TypeError from inside', () => {
    expect(() => ones(2).add_(undefined as never)).toThrow(/^add: other must be a Tensor or a number, got undefined/);
    expect(() => ones(2).mul('2' as never)).toThrow(/mul: other must be a Tensor or a number, got "2"/);
    expect(() => ones(2, 3).narrow(0, '1' as never, 1)).toThrow(/narrow: start must be an integer, got "1"/);
    expect(() => ones(2, 3).to({ dtype: 'float64' } as never)).toThrow(/to\(\): expected a dtype .* got \{"dtype":"float64"\}/);
    expect(() => ones(2).fill_('a' as never)).toThrow(/fill_\(\): value must be a number/);
  });

  it('broadcasting errors name both shapes', () => {
    expect(() => tensor([1, 2, 3]).add(tensor([1, 2]))).toThrow(/\[3\] and \[2\]/);
    expect(() => ones(2, 3).matmul(ones(2, 3))).toThrow(/\[2, 3\] and \[2, 3\]/);
    expect(() => tensor([1, 2]).item()).toThrow(/item\(\).*\[2\].*2 elements/);
  });
});

describe('the Autograd tutorial', () => {
  it('computes the gradients of the one-layer network as PyTorch does', () => {
    const ref = REF.autograd;
    const x = ones(5); // input tensor
    const y = zeros(3); // expected output
    const w = tensor(ref.w, [5, 3], { requiresGrad: true });
    const b = tensor(ref.b, { requiresGrad: true });
    const z = x.matmul(w).add(b);
    const l = loss.bceWithLogits(z, y);
    expect(z.gradFn!.op).toBe('add');
    expect(l.gradFn).not.toBeNull();
    expect(w.gradFn).toBeNull();
    close(z.data, ref.z);
    expect(l.item()).toBeCloseTo(ref.loss, 6);
    l.backward();
    close(w.grad!.data, ref.wGrad);
    close(b.grad!.data, ref.bGrad);
    // A second backward through the freed graph is an error that says what to do.
    expect(() => l.backward()).toThrow(/second time.*retainGraph: true/);
    // Disabling gradient tracking: torch.no_grad() and detach().
    expect(x.matmul(w).add(b).requiresGrad).toBe(true);
    expect(noGrad(() => x.matmul(w).add(b)).requiresGrad).toBe(false);
    expect(x.matmul(w).add(b).detach().requiresGrad).toBe(false);
  });

  it("the Jacobian product: backward(ones_like(out), retain_graph=True) twice accumulates; grad.zero_() resets (the tutorial's printed values)", () => {
    const inp = zeros(4, 5);
    for (let i = 0; i < 4; i++) inp.data[i * 5 + i] = 1; // torch.eye(4, 5)
    inp.requiresGrad_();
    const out = inp.add(1).pow(2).t();
    out.backward(onesLike(out), { retainGraph: true });
    const first = [
      [4, 2, 2, 2, 2],
      [2, 4, 2, 2, 2],
      [2, 2, 4, 2, 2],
      [2, 2, 2, 4, 2],
    ];
    expect(inp.grad!.tolist()).toEqual(first);
    out.backward(onesLike(out), true); // retain_graph positionally, as PyTorch's backward(gradient, retain_graph)
    expect(inp.grad!.tolist()).toEqual(first.map((r) => r.map((v) => 2 * v)));
    inp.grad!.zero_();
    out.backward(onesLike(out), { retainGraph: true });
    expect(inp.grad!.tolist()).toEqual(first);
    expect(() => out.backward(onesLike(out), { retain_graph: true } as never)).toThrow(/backward\(\): unknown option 'retain_graph'.*retainGraph/);
    // loss.backward(retain_graph=True) without a gradient: the options alone.
    const s = inp.mul(inp).sum();
    s.backward({ retainGraph: true });
    s.backward();
    expect(() => s.backward()).toThrow(/second time/);
    expect(() => out.backward()).toThrow(/one-element outputs.*\[5, 4\]/);
  });
});

describe('"What is torch.nn really?" from scratch', () => {
  it('hand-made weights, a hand-written log_softmax and nll, and a manual SGD step under noGrad match PyTorch', () => {
    const ref = REF.fromScratch;
    const [n, d, c] = ref.shape;
    const xb = tensor(ref.x, [n, d]);
    const yb = tensor(ref.y);
    // weights = torch.randn(784, 10) / math.sqrt(784) (here fixed values); weights.requires_grad_()
    const w0: number[] = [];
    for (let i = 0; i < d; i++) for (let j = 0; j < c; j++) w0.push(Math.cos(0.9 * i - 0.4 * j));
    const weights = tensor(w0, [d, c]).div(Math.sqrt(d));
    weights.requiresGrad_();
    const bias = zeros(c, { requiresGrad: true });
    const log_softmax = (x: Tensor) => x.sub(x.exp().sum(-1).log().unsqueeze(-1));
    const model = (xb: Tensor) => log_softmax(xb.matmul(weights).add(bias));
    // -input[range(target.shape[0]), target].mean()
    const nll = (input: Tensor, target: Tensor) => input.gather(1, target.unsqueeze(1)).mean().neg();
    const lr = 0.5;
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const l = nll(model(xb), yb);
      losses.push(l.item());
      l.backward();
      noGrad(() => {
        weights.sub_(weights.grad!.mul(lr)); // weights -= weights.grad * lr
        bias.sub_(bias.grad!.mul(lr));
        weights.grad!.zero_();
        bias.grad!.zero_();
      });
    }
    close(losses, ref.losses, 1e-5);
    close(weights.data, ref.weights, 1e-5);
    close(bias.data, ref.bias, 1e-5);
    const accuracy = (out: Tensor, yb: Tensor) => out.argmax(1).eq(yb).float().mean();
    expect(accuracy(model(xb), yb).item()).toBeCloseTo(ref.accuracy, 6);
    // The hand-written pieces agree with the library's: nll after log_softmax is cross-entropy.
    const logits = xb.matmul(weights).add(bias);
    expect(nll(log_softmax(logits), yb).item()).toBeCloseTo(loss.crossEntropy(logits, yb).item(), 5);
    expect(loss.nllLoss(logits.logSoftmax(1), yb).item()).toBeCloseTo(loss.crossEntropy(logits, yb).item(), 6);
  });

  it('an in-place update of a parameter while the graph is recorded is refused, pointing at noGrad', () => {
    const w = randn(3, 2).requiresGrad_();
    w.mul(w).sum().backward();
    expect(() => w.sub_(w.grad!.mul(0.1))).toThrow(/sub_\(\).*leaf that requires grad.*noGrad/);
    const before = w.tolist();
    noGrad(() => w.sub_(w.grad!, { alpha: 0.1 })); // p.sub_(grad, alpha=lr)
    expect(w.tolist()).not.toEqual(before);
    // The other operand broadcasts to this tensor's shape, never the other way.
    const a = zeros(2, 3);
    a.add_(tensor([1, 2, 3]));
    expect(a.tolist()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(() => tensor([1, 2, 3]).add_(zeros(2, 3))).toThrow(/add_\(\): the result has shape \[2, 3\] but this tensor has shape \[3\]/);
    expect(a.mul_(2).div_(4).clamp_(1, null).fill_(7).tolist()).toEqual([
      [7, 7, 7],
      [7, 7, 7],
    ]);
    expect(a.copy_(tensor([1, 2, 3])).tolist()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
  });
});
