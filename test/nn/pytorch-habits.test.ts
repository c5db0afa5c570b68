// Module and Tensor habits from PyTorch: model[0], children(), modules(), apply(init_weights),
// requires_grad_(False) to freeze a layer, x.requires_grad_().
import { describe, expect, it } from 'vitest';
import { init, loss, manualSeed, nn, optim, randn, tensor } from '../../src/index.js';

describe('PyTorch module habits', () => {
  it('a shape error inside a Sequential names the layer (its path through nested Sequentials) and keeps the shapes', () => {
    const m = new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Sequential(new nn.Linear(5, 3), new nn.ReLU()));
    expect(() => m.forward(randn(1, 2))).toThrow('Sequential layer 2.0 (Linear(inFeatures=5, outFeatures=3, bias=true)): linear: input of shape [1, 4] does not match weight [3, 5] (expected last dimension 5)');
    const fused = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU()); // Linear + ReLU run as one op
    expect(() => fused.forward(randn(2, 2))).toThrow(/^Sequential layer 0 \(Linear\(inFeatures=3, .*input of shape \[2, 2\]/);
    expect(() => fused.trace(randn(2, 2))).toThrow(/^Sequential layer 0 \(Linear/);
  });

  it("a misspelt or PyTorch-spelt constructor option is refused by name, not ignored; a boolean given as a string too", () => {
    expect(() => new nn.Linear(2, 3, { biass: false } as never)).toThrow("Linear: unknown option 'biass' (options: bias, init, generator); did you mean 'bias'?");
    expect(() => new nn.Linear(2, 3, { bias: 'no' } as never)).toThrow('Linear: bias must be true or false, got "no"');
    expect(() => new nn.Conv2d(1, 2, 3, { paddding: 1 } as never)).toThrow(/^Conv2d: unknown option 'paddding' .*did you mean 'padding'\?$/);
    expect(() => new nn.Conv2d(1, 2, 3, { bias: 0 } as never)).toThrow('Conv2d: bias must be true or false, got 0');
    expect(() => new nn.BatchNorm1d(3, { track_running_stats: false } as never)).toThrow(/^BatchNorm1d: unknown option 'track_running_stats' .*did you mean 'trackRunningStats'\?$/);
    expect(() => new nn.BatchNorm2d(3, { affine: 'false' } as never)).toThrow('BatchNorm2d: affine must be true or false, got "false"');
    expect(() => new nn.AdaptiveAvgPool2d(0)).toThrow(/^AdaptiveAvgPool2d: outputSize must be a positive integer/);
    expect(() => loss.mse(randn(2), randn(2), { reduce: 'sum' } as never)).toThrow("mse: unknown option 'reduce' (options: reduction)");
    expect(() => loss.huber(randn(2), randn(2), { delta: 2, reduction: 'sum' })).not.toThrow();
  });

  it('model[i] reaches the layers, negative from the end; out of range and assignment throw', () => {
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
    expect(model[0]).toBe(model.layers[0]);
    expect(model[-1]).toBe(model.layers[2]);
    expect((model[2] as nn.Linear).weight.shape).toEqual([2, 8]);
    expect(0 in model && -3 in model && !(3 in model)).toBe(true);
    expect(() => model[3]).toThrow(/no layer 3 \(the network has 3\)/);
    expect(() => {
      model[1] = new nn.Tanh();
    }).toThrow(/layers are fixed at construction/);
    expect(model).toBeInstanceOf(nn.Sequential);
    expect(model.forward(randn([5, 4])).shape).toEqual([5, 2]);
  });

  it('children() and modules() list what PyTorch lists', () => {
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Sequential(new nn.Linear(8, 2)));
    expect(model.children().map((m) => m.typeName)).toEqual(['Linear', 'ReLU', 'Sequential']);
    expect(model.modules().map((m) => m.typeName)).toEqual(['Sequential', 'Linear', 'ReLU', 'Sequential', 'Linear']);
  });

  it('model.apply(initWeights) sets weights that training then starts from', () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
    const seen: string[] = [];
    const initWeights = (m: nn.Module) => {
      seen.push(m.typeName);
      if (m instanceof nn.Linear) {
        init.constant(m.weight, 0.05);
        m.bias!.data.fill(0.01);
      }
    };
    expect(model.apply(initWeights)).toBe(model);
    expect(seen).toEqual(['Linear', 'ReLU', 'Linear', 'Sequential']);
    // The same layers in a new Sequential keep the user's values (never re-drawn for the ReLU).
    const again = new nn.Sequential(...model.layers);
    expect(Array.from((again[0] as nn.Linear).weight.data).every((v) => v === Math.fround(0.05))).toBe(true);
    expect(Array.from((again[2] as nn.Linear).bias!.data).every((v) => Math.abs(v - 0.01) < 1e-9)).toBe(true);
    const out = again.forward(tensor([[1, 1, 1, 1]]));
    // Each hidden unit: 4·0.05 + 0.01 = 0.21; each output: 8·0.21·0.05 + 0.01 = 0.094.
    expect(out.tolist()).toEqual([[expect.closeTo(0.094, 6), expect.closeTo(0.094, 6)]]);
  });

  it('requiresGrad_(false) freezes a layer in a plain loop; the others train', () => {
    manualSeed(1);
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.Tanh(), new nn.Linear(4, 1));
    model[0].requiresGrad_(false);
    const frozen = Array.from((model[0] as nn.Linear).weight.data);
    const head = Array.from((model[2] as nn.Linear).weight.data);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const x = randn([8, 3]);
    const y = randn([8, 1]);
    for (let i = 0; i < 3; i++) {
      opt.zeroGrad();
      loss.mse(model.forward(x), y).backward();
      opt.step();
    }
    expect(Array.from((model[0] as nn.Linear).weight.data)).toEqual(frozen);
    expect((model[0] as nn.Linear).weight.grad).toBeNull();
    expect(Array.from((model[2] as nn.Linear).weight.data)).not.toEqual(head);
  });

  it('x.requiresGrad_() makes a leaf that receives a gradient', () => {
    const x = tensor([1, 2, 3]).requiresGrad_();
    x.mul(x).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 4, 6]);
    expect(tensor([1]).requiresGrad_(false).requiresGrad).toBe(false);
  });
});
