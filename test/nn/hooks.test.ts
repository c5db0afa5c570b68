// Module and tensor hooks (src/nn/module.ts, src/tensor.ts, src/autograd.ts), written as PyTorch users
// write them: per-layer statistics in a Sequential (fused and reordered layers included), hooks that
// keep what they see, hooks that replace values, removal by handle, autograd.grad.
import { describe, expect, it } from 'vitest';
import { autograd, manualSeed, nn, noGrad, ops, randn, tensor, type Tensor } from '../../src/index.js';

const mlp = () => {
  manualSeed(0);
  return new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 8), new nn.Tanh(), new nn.Linear(8, 3));
};

describe('forward hooks', () => {
  it('fire on every layer of a Sequential whose Linear + activation pairs are fused, with the unfused values, and the output is unchanged', () => {
    const x = randn(5, 4);
    const model = mlp();
    const plain = noGrad(() => model.forward(x)).tolist();
    const seen: string[] = [];
    const outs: Record<string, Tensor> = {};
    for (const [name, m] of model.namedModules()) {
      if (name !== '') m.registerForwardHook((_m, input, output) => { seen.push(name); outs[name] = output; expect(Array.isArray(input)).toBe(true); });
    }
    const hooked = model.forward(x);
    expect(seen).toEqual(['0', '1', '2', '3', '4']);
    expect(hooked.tolist()).toEqual(plain);
    expect(outs['1'].tolist()).toEqual(ops.relu(outs['0']).tolist()); // ReLU's own output, not a fused one
    expect(outs['4']).toBe(hooked);
  });

  it('ReLU then MaxPool2d (run pooled first when unhooked) give their own outputs to hooks', () => {
    manualSeed(1);
    const net = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.ReLU(), new nn.MaxPool2d(2));
    const x = randn(2, 1, 6, 6);
    const want = noGrad(() => net.forward(x)).tolist();
    let reluOut: Tensor | null = null;
    net[1].registerForwardHook((_m, _i, out) => void (reluOut = out));
    expect(noGrad(() => net.forward(x)).tolist()).toEqual(want);
    expect(reluOut!.shape).toEqual([2, 2, 4, 4]);
    expect(Math.min(...reluOut!.data)).toBe(0);
  });

  it('activations a hook keeps under noGrad stay valid (Sequential does not release a hooked layer\'s output)', () => {
    const model = mlp();
    const kept: Tensor[] = [];
    for (const m of model.children()) m.registerForwardHook((_m, _i, out) => void kept.push(out));
    const x = randn(64, 4);
    noGrad(() => model.forward(x));
    for (const t of kept) expect(() => t.data).not.toThrow();
    expect(kept.map((t) => t.shape[1])).toEqual([8, 8, 8, 8, 3]);
  });

  it('a pre-hook may replace the input and a hook the output; handle.remove() restores the plain layer (twice is harmless)', () => {
    const lin = new nn.Linear(2, 2, false);
    lin.weight.data.set([1, 0, 0, 1]);
    const pre = lin.registerForwardPreHook((_m, input) => [(input[0] as Tensor).mul(10)]);
    const post = lin.registerForwardHook((_m, _i, out: Tensor) => out.add(1));
    expect(lin.forward(tensor([[1, 2]])).tolist()).toEqual([[11, 21]]);
    pre.remove();
    post.remove();
    post.remove();
    expect(lin.forward(tensor([[1, 2]])).tolist()).toEqual([[1, 2]]);
    expect(() => lin.registerForwardHook('log' as never)).toThrow(/Linear.registerForwardHook\(\): the hook must be a function/);
    expect(Object.keys(lin.stateDict())).toEqual(['weight']); // hooks are not state
  });

  it('a hook on a user Module subclass sees forward\'s arguments; the deprecated registerBackwardHook points to the full hook', () => {
    class Two extends nn.Module {
      forward(a: Tensor, b?: Tensor): Tensor { return a.add(b!); }
    }
    const m = new Two();
    let args: unknown[] = [];
    m.registerForwardHook((_m, input) => void (args = input));
    const a = tensor([1]);
    const b = tensor([2]);
    (m.forward as (a: Tensor, b: Tensor) => Tensor)(a, b);
    expect(args).toEqual([a, b]);
    expect(() => m.registerBackwardHook(() => undefined)).toThrow(/registerFullBackwardHook/);
  });
});

describe('backward hooks', () => {
  it('registerFullBackwardHook: gradInput is ∂L/∂input and gradOutput ∂L/∂output (checked against retainGrad), null for data without grad', () => {
    const model = mlp();
    const x = randn(3, 4).requiresGrad_();
    const got: Record<string, [Tensor | null, Tensor]> = {};
    model[2].registerFullBackwardHook((_m, gin, gout) => void (got.mid = [gin[0], gout[0]!]));
    model[0].registerFullBackwardHook((_m, gin, gout) => void (got.first = [gin[0], gout[0]!]));
    const h0 = model[0].forward(x);
    const h1 = model[1].forward(h0);
    const h2 = model[2].forward(h1);
    h1.retainGrad();
    h2.retainGrad();
    model.slice(3).forward(h2).sum().backward();
    expect(got.mid[0]!.tolist()).toEqual(h1.grad!.tolist());
    expect(got.mid[1].tolist()).toEqual(h2.grad!.tolist());
    expect(got.first[0]!.tolist()).toEqual(x.grad!.tolist());
    // The same model on data that does not require grad: gradInput [null], the hook still runs.
    let ran = 0;
    model[0].registerFullBackwardHook((_m, gin) => { ran++; expect(gin).toEqual([null]); });
    model.forward(randn(3, 4)).sum().backward();
    expect(ran).toBe(1);
  });

  it('a full backward hook may replace gradInput (gradient clipping per layer); a pre-hook may replace gradOutput', () => {
    const lin = new nn.Linear(3, 2);
    const x = randn(4, 3).requiresGrad_();
    lin.registerFullBackwardHook((_m, gin) => [gin[0]!.mul(0)]);
    lin.forward(x).sum().backward();
    expect(Array.from(x.grad!.data).every((v) => v === 0)).toBe(true);
    expect(lin.weight.grad!.norm().item()).toBeGreaterThan(0); // the parameters' gradients are not gradInput
    const lin2 = new nn.Linear(3, 2);
    lin2.registerFullBackwardPreHook((_m, gout) => [gout[0]!.mul(2)]);
    const y = randn(4, 3);
    lin2.forward(y).sum().backward();
    const doubled = lin2.weight.grad!.clone();
    lin2.zeroGrad();
    const lin3 = new nn.Linear(3, 2);
    lin3.weight.data.set(lin2.weight.data);
    lin3.forward(y).sum().backward();
    expect(doubled.tolist()).toEqual(lin3.weight.grad!.mul(2).tolist());
  });

  it('per-parameter gradient hooks (p.registerHook) see each step\'s gradient before it is accumulated, and run on each backward of a retained graph', () => {
    const model = mlp();
    const norms: number[] = [];
    const w = model[0].weight;
    const h = w.registerHook((g) => void norms.push(g.norm().item()));
    const l = model.forward(randn(6, 4)).pow(2).mean();
    l.backward({ retainGraph: true });
    const once = w.grad!.norm().item();
    l.backward();
    expect(norms).toHaveLength(2);
    expect(norms[0]).toBeCloseTo(once, 6);
    expect(norms[1]).toBeCloseTo(once, 6); // the hook sees the incoming gradient, not the accumulated one
    expect(w.grad!.norm().item()).toBeCloseTo(2 * once, 5);
    h.remove();
    model.forward(randn(6, 4)).sum().backward();
    expect(norms).toHaveLength(2);
    // A hook that clips the gradient changes what lands in .grad.
    model.zeroGrad();
    w.registerHook((g) => g.clamp(-1e-3, 1e-3));
    model.forward(randn(6, 4)).pow(2).sum().backward();
    expect(Math.max(...Array.from(w.grad!.data, Math.abs))).toBeLessThanOrEqual(1e-3 + 1e-9);
  });

  it('registerHook errors name the problem', () => {
    expect(() => tensor([1, 2]).registerHook(() => undefined)).toThrow(/does not require grad/);
    const a = tensor([1, 2], { requiresGrad: true });
    a.registerHook(() => tensor([1, 2, 3]));
    expect(() => a.mul(2).sum().backward()).toThrow(/returned a gradient of shape \[3\].*\[2\]/);
  });
});

describe('autograd.grad', () => {
  it('gives ∂out/∂inputs for parameters and intermediates without touching .grad; allowUnused; retainGraph', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([4, 5, 6], { requiresGrad: true });
    const unused = tensor([0], { requiresGrad: true });
    const h = a.mul(b);
    const out = h.sum();
    const [ga, gh] = autograd.grad(out, [a, h], { retainGraph: true });
    expect(ga!.tolist()).toEqual([4, 5, 6]);
    expect(gh!.tolist()).toEqual([1, 1, 1]);
    expect(a.grad).toBeNull();
    expect(b.grad).toBeNull();
    expect(() => autograd.grad(out, [a, unused], { retainGraph: true })).toThrow(/input 1 .* was not used.*allowUnused/);
    const [, none] = autograd.grad(out, [b, unused], { allowUnused: true });
    expect(none).toBeNull();
    expect(() => autograd.grad(out, [a])).toThrow(/second time/);
    expect(() => autograd.grad(a.sum(), [a], { createGraph: true })).toThrow(/createGraph/);
    expect(() => autograd.grad(a.mul(2), [a])).toThrow(/one-element/);
    expect(autograd.grad(a.mul(2), a, tensor([1, 0, 1]))[0]!.tolist()).toEqual([2, 0, 2]);
  });
});
