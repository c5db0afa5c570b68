// Lines of PyTorch's "Learning PyTorch with Examples" and of its recipes ("What is a state_dict",
// "Saving and loading a general checkpoint", "Warmstarting a model", "Zeroing out gradients",
// "Defining a neural network", LR schedulers, freezing), written as a PyTorch user writes them in
// JS. Reference values: PyTorch 1.13 on the same inputs (test/fixtures/make_pytorch_examples.py →
// pytorch_examples.json), finite differences, or closed forms.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataLoader, TensorDataset, autograd, full, gradcheck, init, linspace, manualSeed, nn, noGrad, ops, optim, rand, randLike, randn, randnLike, tensor, zeros, type Tensor } from '../src/index.js';

const REF = JSON.parse(readFileSync(new URL('./fixtures/pytorch_examples.json', import.meta.url), 'utf8'));
const close = (got: number, want: number, rtol = 1e-5, atol = 1e-6) => expect(Math.abs(got - want), `${got} vs ${want}`).toBeLessThanOrEqual(atol + rtol * Math.abs(want));

// The tutorial's LegendrePolynomial3, as a user writes it.
class LegendrePolynomial3 extends autograd.Function {
  static override forward(ctx: autograd.FunctionCtx, input: Tensor): Tensor {
    ctx.saveForBackward(input);
    return input.pow(3).mul(5).sub(input.mul(3)).mul(0.5);
  }
  static override backward(ctx: autograd.FunctionCtx, gradOutput: Tensor): Tensor {
    const [input] = ctx.savedTensors;
    return gradOutput.mul(input.pow(2).mul(5).sub(1).mul(1.5));
  }
}

describe('Learning PyTorch with Examples', () => {
  it('y = sin(x): x.sin() and x.cos() are differentiable (finite differences) and match Math', () => {
    const x = linspace(-Math.PI, Math.PI, 7);
    expect(x.sin().tolist()).toEqual(Array.from(x.data, (v) => Math.fround(Math.sin(v))));
    expect(ops.cos(x).tolist()).toEqual(Array.from(x.data, (v) => Math.fround(Math.cos(v))));
    for (const f of [(t: Tensor) => t.sin(), (t: Tensor) => t.cos().mul(t.sin())]) {
      const r = gradcheck(f, [randn([5], { dtype: 'float64', requiresGrad: true })]);
      expect(r.ok, JSON.stringify(r.failures)).toBe(true);
    }
  });

  it('a custom autograd.Function (LegendrePolynomial3) trains as in PyTorch: losses, gradients and the updated weights', () => {
    const ref = REF.legendre;
    const x = linspace(-Math.PI, Math.PI, ref.n);
    const y = x.sin();
    const a = full([], 0.0, { requiresGrad: true });
    const b = full([], -1.0, { requiresGrad: true });
    const c = full([], 0.0, { requiresGrad: true });
    const d = full([], 0.3, { requiresGrad: true });
    for (let t = 0; t < 3; t++) {
      const P3 = LegendrePolynomial3.apply; // detached from the class, as the tutorial does
      const yPred = a.add(b.mul(P3(c.add(d.mul(x)))));
      const loss = yPred.sub(y).pow(2).sum();
      close(loss.item(), ref.losses[t], 1e-5);
      loss.backward();
      [a, b, c, d].forEach((p, i) => close(p.grad!.item(), ref.grads[t][i], 1e-4, 2e-5));
      noGrad(() => {
        for (const p of [a, b, c, d]) {
          p.sub_(p.grad!.mul(5e-6));
          p.grad = null;
        }
      });
    }
    [a, b, c, d].forEach((p, i) => close(p.item(), ref.after[i], 1e-6, 1e-9));
  });

  it('autograd.Function: its backward agrees with finite differences; one node in the graph; nothing recorded under noGrad', () => {
    const P3 = LegendrePolynomial3.apply;
    const r = gradcheck((t) => P3(t), [randn([6], { dtype: 'float64', requiresGrad: true })]);
    expect(r.ok, JSON.stringify(r.failures)).toBe(true);
    const x = tensor([0.5, -1], { requiresGrad: true });
    const out = P3(x);
    expect(out.node?.op).toBe('LegendrePolynomial3');
    expect(out.node?.inputs).toEqual([x]);
    expect(noGrad(() => P3(x)).requiresGrad).toBe(false);
    expect(P3(tensor([2])).tolist()).toEqual([17]); // ½(5·8 − 6)
  });

  it('autograd.Function with two tensors and a number, a null gradient, ctx.needsInputGrad, and an input returned as it is', () => {
    class MulAdd extends autograd.Function {
      static override forward(ctx: autograd.FunctionCtx, x: Tensor, w: Tensor, k: number): Tensor {
        ctx.saveForBackward(x, w);
        (ctx as unknown as { k: number }).k = k;
        return x.mul(w).add(k);
      }
      static override backward(ctx: autograd.FunctionCtx, g: Tensor) {
        const [x, w] = ctx.savedTensors;
        expect(ctx.needsInputGrad).toEqual([true, false, false]);
        return [g.mul(w), null, null];
      }
    }
    const x = tensor([1, 2], { requiresGrad: true });
    const w = tensor([3, 4]);
    const y = MulAdd.apply(x, w, 10);
    expect(y.tolist()).toEqual([13, 18]);
    y.sum().backward();
    expect(x.grad!.tolist()).toEqual([3, 4]);
    class Same extends autograd.Function {
      static override forward(_ctx: autograd.FunctionCtx, x: Tensor): Tensor {
        return x;
      }
      static override backward(_ctx: autograd.FunctionCtx, g: Tensor): Tensor {
        return g.mul(2);
      }
    }
    const z = tensor([1, 1], { requiresGrad: true });
    const out = Same.apply(z);
    expect(out).not.toBe(z);
    expect(z.isLeaf).toBe(true);
    out.sum().backward();
    expect(z.grad!.tolist()).toEqual([2, 2]);
    // Returning a parameter it did not receive leaves that parameter a leaf.
    const param = new nn.Parameter(tensor([5]));
    class ReturnsW extends autograd.Function {
      static override forward(_ctx: autograd.FunctionCtx, _x: Tensor): Tensor {
        return param;
      }
      static override backward(_ctx: autograd.FunctionCtx, g: Tensor): Tensor {
        return g;
      }
    }
    const r = ReturnsW.apply(tensor([1], { requiresGrad: true }));
    expect(r).not.toBe(param);
    expect(param.isLeaf).toBe(true);
  });

  it('autograd.Function mistakes give errors naming the function and the fix', () => {
    expect(() => new (LegendrePolynomial3 as unknown as new () => unknown)()).toThrow('LegendrePolynomial3: an autograd.Function is not instantiated; call LegendrePolynomial3.apply(...inputs)');
    class NoForward extends autograd.Function {}
    expect(() => NoForward.apply(tensor([1]))).toThrow(/NoForward: define static forward/);
    class Twice extends autograd.Function {
      static override forward(_ctx: autograd.FunctionCtx, x: Tensor): Tensor {
        return x.mul(2);
      }
      static override backward(_ctx: autograd.FunctionCtx, g: Tensor) {
        return [g, g];
      }
    }
    expect(() => Twice.apply(tensor([1], { requiresGrad: true })).sum().backward()).toThrow('Twice.backward returned 2 gradients, forward took 1 argument: return one per argument (null for those that need none)');
    class WrongShape extends autograd.Function {
      static override forward(_ctx: autograd.FunctionCtx, x: Tensor): Tensor {
        return x.sum();
      }
      static override backward(_ctx: autograd.FunctionCtx, g: Tensor): Tensor {
        return g;
      }
    }
    expect(() => WrongShape.apply(tensor([1, 2], { requiresGrad: true })).backward()).toThrow('WrongShape.backward: gradient 0 has shape [], input 0 has shape [2]');
    class Snake extends autograd.Function {
      static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
        (ctx as unknown as { save_for_backward(t: Tensor): void }).save_for_backward(x);
        return x;
      }
    }
    expect(() => Snake.apply(tensor([1]))).toThrow("FunctionCtx.save_for_backward: PyTorch's save_for_backward is spelled saveForBackward in gradlab");
    class NotTensor extends autograd.Function {
      static override forward(): Tensor {
        return [1, 2] as never;
      }
    }
    expect(() => NotTensor.apply(tensor([1]))).toThrow('NotTensor.forward must return a Tensor, got an array (one output per Function is supported)');
  });

  it('DynamicNet: a parameter reused by a random number of terms accumulates its gradient over forwards as in PyTorch; SGD with momentum steps alike', () => {
    const ref = REF.dynamic;
    const x = linspace(-Math.PI, Math.PI, ref.n);
    const y = x.sin();
    class DynamicNet extends nn.Module {
      a = new nn.Parameter(tensor(0.1));
      b = new nn.Parameter(tensor(-0.2));
      c = new nn.Parameter(tensor(0.05));
      d = new nn.Parameter(tensor(0.02));
      e = new nn.Parameter(tensor(-0.003));
      extra = 0;
      forward(x: Tensor): Tensor {
        let out = this.a.add(this.b.mul(x)).add(this.c.mul(x.pow(2))).add(this.d.mul(x.pow(3)));
        for (let exp = 4; exp < 4 + this.extra; exp++) out = out.add(this.e.mul(x.pow(exp)));
        return out;
      }
    }
    const model = new DynamicNet();
    const criterion = new nn.MSELoss({ reduction: 'sum' });
    ref.extra.forEach((k: number, i: number) => {
      model.extra = k;
      const loss = criterion.forward(model.forward(x), y);
      close(loss.item(), ref.losses[i], 1e-5);
      loss.backward(); // no zeroGrad between: gradients add up, as in PyTorch
    });
    expect(model.namedParameters().map(([n]) => n)).toEqual(['a', 'b', 'c', 'd', 'e']);
    for (const [n, p] of model.namedParameters()) close(p.grad!.item(), ref.grads[n], 1e-4, 1e-4);
    new optim.SGD(model.parameters(), { lr: 1e-4, momentum: 0.9 }).step();
    for (const [n, p] of model.namedParameters()) close(p.item(), ref.after[n], 1e-5, 1e-8);
  });

  it('p.grad = null and p.grad = undefined both reset; a wrong assignment says what is wrong', () => {
    const a = randn([], { requiresGrad: true });
    a.mul(3).backward();
    a.grad = undefined as never;
    expect(a.grad).toBeNull();
    a.mul(3).backward();
    expect((a.grad as Tensor | null)!.item()).toBe(3); // a fresh gradient, not 6
    expect(() => {
      a.grad = [1] as never;
    }).toThrow('Tensor.grad: must be a Tensor, null or undefined, got an array');
    expect(() => {
      a.grad = zeros(2);
    }).toThrow('grad: the assigned gradient has shape [2], the tensor []');
  });

  it('Sequential(Linear(3, 1), Flatten(0, 1)) with MSELoss(sum) and RMSprop follows PyTorch from the same weights', () => {
    // PyTorch 1.13 from weight [[0.1, 0.2, 0.3]], bias 0.05: the losses and weights of three steps.
    const ref = REF.rmsprop;
    const x = linspace(-Math.PI, Math.PI, 2000);
    const y = x.sin();
    const xx = x.unsqueeze(-1).pow(tensor([1, 2, 3]));
    const model = new nn.Sequential(new nn.Linear(3, 1), new nn.Flatten(0, 1));
    const lin = model[0] as nn.Linear;
    lin.weight.data.set([0.1, 0.2, 0.3]);
    lin.bias!.data[0] = 0.05;
    const lossFn = new nn.MSELoss({ reduction: 'sum' });
    const optimizer = new optim.RMSprop(model.parameters(), { lr: 1e-3 });
    for (let t = 0; t < 3; t++) {
      const loss = lossFn.forward(model.forward(xx), y);
      close(loss.item(), ref.losses[t], 2e-6);
      optimizer.zeroGrad();
      loss.backward();
      optimizer.step();
    }
    // model[0]'s weight[:, i] and bias, as the tutorial prints them.
    [0, 1, 2].forEach((i) => close(lin.weight.select(1, i).item(), ref.weight[i], 1e-5, 1e-7));
    close(lin.bias!.item(), ref.bias, 1e-5, 1e-7);
  });
});

describe('recipes', () => {
  it('Sequential.append and model[i] = layer (replacing the head) as in PyTorch; an appended ReLU re-draws the Linear before it only while at its default', () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(4, 8));
    const firstDraw = ((model[0]) as nn.Linear).weight.data.slice();
    model.append(new nn.ReLU()).append(new nn.Linear(8, 3));
    expect(model.length).toBe(3);
    expect(model.forward(randn(2, 4)).shape).toEqual([2, 3]);
    // The Linear now feeds a ReLU: drawn again for it, as new Sequential(Linear, ReLU, Linear) does.
    expect(((model[0]) as nn.Linear).weight.data).not.toEqual(firstDraw);
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    // A weight the user set is kept when the consumer changes.
    const kept = new nn.Sequential(new nn.Linear(2, 2));
    noGrad(() => ((kept[0]) as nn.Linear).weight.fill_(0.5));
    kept.append(new nn.Tanh());
    expect(((kept[0]) as nn.Linear).weight.tolist()).toEqual([
      [0.5, 0.5],
      [0.5, 0.5],
    ]);
    model[-1] = new nn.Linear(8, 5);
    expect(model.forward(randn(2, 4)).shape).toEqual([2, 5]);
    expect(model.stateDict()['2.weight'].shape).toEqual([5, 8]);
    expect(() => model.append(nn.ReLU as never)).toThrow('Sequential: append is the class ReLU, not a layer: write new nn.ReLU(…)');
    expect(() => model.append([new nn.ReLU()] as never)).toThrow(/append is not a Module \(got an array/);
  });

  it('randLike/randnLike: the shape and dtype of their argument, from the seeded generator', () => {
    const t = zeros([3, 2], { dtype: 'float64' });
    manualSeed(3);
    const a = randnLike(t);
    manualSeed(3);
    expect(randn([3, 2], { dtype: 'float64' }).tolist()).toEqual(a.tolist());
    expect([a.shape, a.dtype]).toEqual([[3, 2], 'float64']);
    const u = randLike(t, { requiresGrad: true });
    expect(u.requiresGrad).toBe(true);
    expect(Array.from(u.data).every((v) => v >= 0 && v < 1)).toBe(true);
    expect(() => randLike(t, { requires_grad: true } as never)).toThrow(/randLike\(\): unknown option 'requires_grad' \(gradlab spells it requiresGrad\)/);
    expect(() => randnLike([1, 2] as never)).toThrow('randnLike(): expected a Tensor whose shape and dtype to copy, got an array');
    expect(() => randLike(null as never)).toThrow('randLike(): expected a Tensor whose shape and dtype to copy, got null');
    manualSeed(4);
    const r1 = rand(5).tolist();
    manualSeed(4);
    expect(randLike(zeros(5)).tolist()).toEqual(r1);
  });

  it('MultiStepLR, LambdaLR and ReduceLROnPlateau(optimizer, "min", 0.5, 1) give PyTorch\'s lr sequences; getLastLr() on each', () => {
    const sgd = () => new optim.SGD([new nn.Parameter(zeros(1))], { lr: 0.1 });
    let opt = sgd();
    const multi = new optim.MultiStepLR(opt, [3, 5, 5, 8], 0.5);
    const lrs: number[] = [];
    for (let e = 0; e < REF.schedules.MultiStepLR.length; e++) {
      opt.step();
      multi.step();
      lrs.push(multi.getLastLr()[0]);
    }
    lrs.forEach((v, i) => close(v, REF.schedules.MultiStepLR[i], 1e-12, 0));
    // MultiStepLR(opt, milestones=[3, 5, 5, 8], gamma=0.5) and StepLR(opt, 2, gamma=0.5): keywords as a last options object.
    opt = sgd();
    const keywordMulti = new optim.MultiStepLR(opt, [3, 5, 5, 8], { gamma: 0.5 });
    REF.schedules.MultiStepLR.forEach((want: number) => {
      keywordMulti.step();
      close(keywordMulti.getLastLr()[0], want, 1e-12, 0);
    });
    const step = new optim.StepLR(sgd(), 2, { gamma: 0.5 });
    step.step();
    step.step();
    close(step.getLastLr()[0], 0.05, 1e-12, 0);
    expect(() => new optim.StepLR(sgd(), 2, { step_size: 3 } as never)).toThrow(/StepLR: unknown option 'step_size' \(gradlab spells it stepSize\)/);
    expect(() => new optim.StepLR(sgd(), 2, { stepSize: 3 } as never)).toThrow('StepLR: stepSize given both positionally and in the options');
    const byOptions = new optim.MultiStepLR(sgd(), { milestones: [2], gamma: 0.1 });
    byOptions.step();
    byOptions.step();
    close(byOptions.getLastLr()[0], 0.01, 1e-12, 0);
    // LambdaLR: the lr at construction is already η₀·λ(0), as PyTorch's.
    opt = sgd();
    const lambda = new optim.LambdaLR(opt, (e) => Math.min(1, (e + 1) / 4) * 0.9 ** Math.max(0, e - 3));
    close(opt.lr, REF.schedules.LambdaLR0[0], 1e-12, 0);
    REF.schedules.LambdaLR.forEach((want: number) => {
      opt.step();
      lambda.step();
      close(lambda.getLastLr()[0], want, 1e-12, 0);
    });
    expect(() => new optim.LambdaLR(sgd(), 0.95 as never)).toThrow('LambdaLR: lrLambda must be a function of the epoch returning the lr\'s factor, got number');
    // One function per parameter group, as PyTorch's list of lambdas.
    const two = new optim.SGD([{ params: [new nn.Parameter(zeros(1))] }, { params: [new nn.Parameter(zeros(1))], lr: 1 }], { lr: 0.1 });
    const perGroup = new optim.LambdaLR(two, [(e) => 0.5 ** e, () => 0.1]);
    perGroup.step();
    expect(perGroup.getLastLr()).toEqual([0.05, 0.1]);
    expect(() => new optim.LambdaLR(two, [() => 1])).toThrow('LambdaLR: got 1 lrLambda functions for 2 parameter groups: give one function, or one per group');
    expect(() => new optim.LambdaLR(sgd(), () => NaN)).toThrow('LambdaLR: lrLambda(0) must return a finite number ≥ 0, got NaN');
    expect(() => new optim.MultiStepLR(sgd(), [0, 2])).toThrow('MultiStepLR: milestones must be an array of positive integers (epochs), got [0,2]');
    opt = sgd();
    const plateau = new optim.ReduceLROnPlateau(opt, 'min', 0.5, 1);
    const ref = REF.schedules.ReduceLROnPlateau;
    ref.metrics.forEach((m: number, i: number) => {
      opt.step();
      plateau.step(m); // scheduler.step(val_loss)
      close(plateau.getLastLr()[0], ref.lrs[i], 1e-12, 0);
    });
    // ReduceLROnPlateau(optimizer, 'min', patience=1, factor=0.5): the keywords as a last options object.
    opt = sgd();
    const keywords = new optim.ReduceLROnPlateau(opt, 'min', { patience: 1, factor: 0.5 } as never);
    ref.metrics.forEach((m: number, i: number) => {
      keywords.step(m);
      close(keywords.getLastLr()[0], ref.lrs[i], 1e-12, 0);
    });
    expect(() => new optim.ReduceLROnPlateau(sgd(), 'min', 0.5, { factor: 0.2 } as never)).toThrow('ReduceLROnPlateau: factor given both positionally and in the options');
    expect(() => new optim.ReduceLROnPlateau(sgd(), 'min', { min_lr: 0.1 } as never)).toThrow(/unknown option 'min_lr' \(gradlab spells it minLr\)/);
    expect(() => new optim.ReduceLROnPlateau(sgd(), 'up' as never)).toThrow("ReduceLROnPlateau: mode must be 'min' or 'max', got 'up'");
    expect(() => new optim.ReduceLROnPlateau(sgd(), 5 as never)).toThrow(/expected options such as \{mode: 'min', patience: 10\} or the mode 'min'\/'max', got 5/);
  });

  it('Dropout2d zeroes whole channels, scales the rest by 1/(1 − p), is the identity in eval, and its gradient is the same mask', () => {
    manualSeed(0);
    const m = new nn.Dropout2d(0.5);
    const x = randn([8, 6, 3, 3], { requiresGrad: true });
    const y = m.forward(x);
    y.sum().backward();
    let dropped = 0;
    for (let c = 0; c < 48; c++) {
      const ratios = new Set<number>();
      for (let j = 0; j < 9; j++) ratios.add(Math.round((y.data[c * 9 + j] / x.data[c * 9 + j]) * 1e6) / 1e6);
      expect([...ratios].length, `channel ${c}`).toBe(1);
      const r = [...ratios][0];
      expect([0, 2]).toContain(r);
      if (r === 0) dropped++;
      for (let j = 0; j < 9; j++) expect(x.grad!.data[c * 9 + j]).toBe(r);
    }
    expect(dropped).toBeGreaterThan(10);
    expect(dropped).toBeLessThan(38);
    m.eval();
    expect(m.forward(x)).toBe(x);
    expect(String(m)).toBe('Dropout2d(p=0.5)');
    expect(() => new nn.Dropout2d(1)).toThrow(/Dropout2d: p must be a number in \[0, 1\)/);
    expect(() => ops.dropout2d(randn(5), 0.5, true)).toThrow('dropout2d: expects an input of shape [N, C, H, W], got [5]');
  });

  it('defining a neural network: Dropout2d after a conv and after a Linear (PyTorch 1.13 warns and drops single features), F.max_pool2d, log_softmax(x, dim=1)', () => {
    class Net extends nn.Module {
      conv1 = new nn.Conv2d(1, 32, 3, 1);
      conv2 = new nn.Conv2d(32, 64, 3, 1);
      dropout1 = new nn.Dropout2d(0.25);
      dropout2 = new nn.Dropout2d(0.5);
      fc1 = new nn.Linear(9216, 128);
      fc2 = new nn.Linear(128, 10);
      forward(x: Tensor): Tensor {
        x = ops.relu(this.conv1.forward(x));
        x = ops.relu(this.conv2.forward(x));
        x = ops.maxPool2d(x, 2);
        x = this.dropout1.forward(x);
        x = ops.flatten(x, 1);
        x = ops.relu(this.fc1.forward(x));
        x = this.dropout2.forward(x);
        x = this.fc2.forward(x);
        return ops.logSoftmax(x, 1);
      }
    }
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => warnings.push(m);
    try {
      const myNn = new Net();
      const result = myNn.forward(rand([2, 1, 28, 28]));
      expect(result.shape).toEqual([2, 10]);
      Array.from(result.exp().sum(1).data).forEach((v) => close(v, 1, 1e-5));
      result.sum().backward();
      expect(myNn.conv1.weight.grad!.shape).toEqual([32, 1, 3, 3]);
    } finally {
      console.warn = warn;
    }
    expect(warnings.join('\n')).toMatch(/dropout2d received a 2-D input of shape \[2, 128\], which PyTorch deprecates/);
    // [N, C, L]: whole rows of L, as PyTorch 1.13 (its "channel-wise 1D dropout" reading).
    manualSeed(1);
    const y = ops.dropout2d(randn([4, 5, 6]), 0.5, true);
    for (let r = 0; r < 20; r++) {
      const row = Array.from(y.data.subarray(r * 6, r * 6 + 6));
      expect(row.every((v) => v === 0) || row.every((v) => v !== 0), `row ${r}`).toBe(true);
    }
  });

  it("torch.max(outputs.data, 1) and ops.max(outputs, dim=1) written literally get errors that say gradlab's form; outputs.argmax({dim: 1}) as a method works", () => {
    const outputs = randn(4, 10);
    expect(() => ops.max(outputs.data as never, 1)).toThrow("max: x must be a Tensor, got an object (Float32Array) (a tensor's .data is its raw Float32Array in gradlab; PyTorch's outputs.data is outputs.detach() here, or pass outputs itself)");
    expect(outputs.argmax({ dim: 1 } as never).tolist()).toEqual(outputs.argmax(1).tolist());
    expect(() => ops.max(outputs, { dim: 1 } as never)).toThrow(/max: dim must be an integer \(PyTorch's dim=1 is the argument 1 here\)/);
    const [, predicted] = ops.max(outputs, 1);
    expect(predicted.tolist()).toEqual(outputs.argmax(1).tolist());
  });

  it('nn.Embedding(6, 3, padding_idx=0): rows looked up for any index shape, gradients summed over repeats, none for the padding row (PyTorch values)', () => {
    const ref = REF.embedding;
    manualSeed(0);
    const emb = new nn.Embedding(6, 3, 0);
    expect(emb.weight.select(0, 0).tolist()).toEqual([0, 0, 0]); // the padding row starts at zero
    expect(Object.keys(emb.stateDict())).toEqual(['weight']);
    expect(String(emb)).toBe('Embedding(6, 3, paddingIdx=0)');
    noGrad(() => emb.weight.copy_(tensor(Array.from({ length: 18 }, (_, i) => Math.sin(Math.floor(i / 3) + 0.5 * (i % 3))), [6, 3])));
    const idx = tensor(ref.index);
    const out = emb.forward(idx);
    expect(out.shape).toEqual(ref.outShape);
    Array.from(out.data).forEach((v, i) => close(v, ref.out[i], 1e-6, 1e-7));
    const G = tensor(Array.from({ length: 24 }, (_, n) => Math.cos((Math.floor(n / 3) % 4) + 0.3 * (n % 3) + 0.7 * Math.floor(n / 12))), [2, 4, 3]);
    out.mul(G).sum().backward();
    Array.from(emb.weight.grad!.data).forEach((v, i) => close(v, ref.weightGrad[i], 1e-5, 1e-6));
    // An optimizer step leaves the padding row as it is (no gradient), as in PyTorch.
    const padRow = emb.weight.select(0, 0).tolist();
    const row1 = Array.from(emb.weight.data.subarray(3, 6));
    new optim.SGD(emb.parameters(), { lr: 0.1 }).step();
    expect(emb.weight.select(0, 0).tolist()).toEqual(padRow);
    row1.forEach((v, j) => close(emb.weight.data[3 + j], v - 0.1 * ref.weightGrad[3 + j], 1e-6, 1e-7));
    const r = gradcheck((w) => ops.embedding(tensor([[2, 2], [0, 1]]), w), [randn([3, 2], { dtype: 'float64', requiresGrad: true })]);
    expect(r.ok, JSON.stringify(r.failures)).toBe(true);
  });

  it('nn.Embedding: bad indices, sizes and options are named; fromPretrained copies and freezes', () => {
    const emb = new nn.Embedding(4, 2, { paddingIdx: -1 });
    expect(emb.paddingIdx).toBe(3);
    expect(() => emb.forward(tensor([1, 4]))).toThrow('embedding: input[1] = 4 is out of range: the table has 4 rows (indices 0..3); input has shape [2]');
    expect(() => emb.forward(tensor([0.5]))).toThrow('embedding: input[0] = 0.5 is not an integer');
    expect(() => new nn.Embedding(0, 2)).toThrow('Embedding: numEmbeddings must be an integer ≥ 1, got 0');
    expect(() => new nn.Embedding(4, 2, 4)).toThrow('Embedding: paddingIdx must be an integer in [-4, 3] (within numEmbeddings), got 4');
    expect(() => new nn.Embedding(4, 2, { padding_idx: 0 } as never)).toThrow(/Embedding: unknown option 'padding_idx' \(gradlab spells it paddingIdx\)/);
    const table = tensor([[1, 2], [3, 4]]);
    const pre = nn.Embedding.fromPretrained(table);
    expect(pre.weight.requiresGrad).toBe(false);
    expect(pre.forward(tensor([1, 1, 0])).tolist()).toEqual([[3, 4], [3, 4], [1, 2]]);
    table.data[0] = 100; // a copy
    expect(pre.weight.data[0]).toBe(1);
    expect(nn.Embedding.fromPretrained(table, { freeze: false }).weight.requiresGrad).toBe(true);
    expect(() => nn.Embedding.fromPretrained(tensor([1, 2]))).toThrow('Embedding.fromPretrained: embeddings must be a matrix Tensor [numEmbeddings, embeddingDim], got shape [2]');
  });

  it('DataLoader(trainset, batch_size=4, shuffle=True, num_workers=2) ports as written: numWorkers and pinMemory change nothing', () => {
    const ds = new TensorDataset(randn(10, 2), tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const order = (o: Record<string, unknown>) => {
      manualSeed(3);
      return [...new DataLoader(ds, { batchSize: 4, shuffle: true, ...o })].map(([, y]) => y.tolist());
    };
    expect(order({ numWorkers: 2, pinMemory: true })).toEqual(order({}));
    expect(() => new DataLoader(ds, { numWorkers: -1 })).toThrow('DataLoader: numWorkers must be an integer ≥ 0, got -1');
    expect(() => new DataLoader(ds, { num_workers: 2 } as never)).toThrow(/DataLoader: unknown option 'num_workers' \(gradlab spells it numWorkers\)/);
  });

  it('a general checkpoint {epoch, modelStateDict, optimizerStateDict, loss} through JSON: the resumed plain loop continues bit for bit', () => {
    const make = () => new nn.Sequential(new nn.Linear(5, 16), new nn.ReLU(), new nn.Linear(16, 3));
    manualSeed(1);
    const xs = randn(64, 5);
    const ys = tensor(Array.from({ length: 64 }, (_, i) => i % 3));
    const criterion = new nn.CrossEntropyLoss();
    const stepOf = (model: nn.Sequential, opt: optim.Optimizer) => {
      opt.zeroGrad();
      const loss = criterion.forward(model.forward(xs), ys);
      loss.backward();
      opt.step();
      return loss.item();
    };
    manualSeed(2);
    const model = make();
    const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
    for (let i = 0; i < 5; i++) stepOf(model, optimizer);
    const text = JSON.stringify({ epoch: 5, modelStateDict: model.stateDict(), optimizerStateDict: optimizer.stateDict(), loss: 0.5 });
    const straight = Array.from({ length: 5 }, () => stepOf(model, optimizer));

    const checkpoint = JSON.parse(text);
    manualSeed(99);
    const model2 = make();
    const optimizer2 = new optim.Adam(model2.parameters(), { lr: 1e-2 });
    model2.loadStateDict(checkpoint.modelStateDict);
    optimizer2.loadStateDict(checkpoint.optimizerStateDict);
    expect(checkpoint.epoch).toBe(5);
    const resumed = Array.from({ length: 5 }, () => stepOf(model2, optimizer2));
    expect(resumed).toEqual(straight);
    expect(model2.stateDict()['2.weight'].tolist()).toEqual(model.stateDict()['2.weight'].tolist());
  });

  it('what is a state_dict: every key and shape of the model and the optimizer', () => {
    class Net extends nn.Module {
      conv1 = new nn.Conv2d(3, 6, 5);
      pool = new nn.MaxPool2d(2, 2);
      conv2 = new nn.Conv2d(6, 16, 5);
      fc1 = new nn.Linear(16 * 5 * 5, 120);
      fc2 = new nn.Linear(120, 84);
      fc3 = new nn.Linear(84, 10);
      forward(x: Tensor): Tensor {
        x = this.pool.forward(ops.relu(this.conv1.forward(x)));
        x = this.pool.forward(ops.relu(this.conv2.forward(x)));
        x = ops.flatten(x, 1);
        return this.fc3.forward(ops.relu(this.fc2.forward(ops.relu(this.fc1.forward(x)))));
      }
    }
    const net = new Net();
    const optimizer = new optim.SGD(net.parameters(), { lr: 0.001, momentum: 0.9 });
    const lines = Object.entries(net.stateDict()).map(([k, v]) => `${k}\t${JSON.stringify(v.shape)}`);
    expect(lines).toEqual([
      'conv1.weight\t[6,3,5,5]', 'conv1.bias\t[6]', 'conv2.weight\t[16,6,5,5]', 'conv2.bias\t[16]',
      'fc1.weight\t[120,400]', 'fc1.bias\t[120]', 'fc2.weight\t[84,120]', 'fc2.bias\t[84]', 'fc3.weight\t[10,84]', 'fc3.bias\t[10]',
    ]);
    const sd = optimizer.stateDict();
    expect(sd.groups).toEqual([{ lr: 0.001, initialLr: 0.001 }]);
    expect(sd.buffers.length).toBe(10);
    expect(() => (optimizer as unknown as { state_dict(): unknown }).state_dict()).toThrow("SGD.state_dict: PyTorch's state_dict is spelled stateDict in gradlab");
  });

  it('warmstarting: loadStateDict(sd, {strict: false}) loads the shared layers and reports the rest; a size mismatch is an error, as in PyTorch', () => {
    class A extends nn.Module {
      fc1 = new nn.Linear(4, 8);
      fc2 = new nn.Linear(8, 2);
      forward(x: Tensor) {
        return this.fc2.forward(this.fc1.forward(x));
      }
    }
    class B extends nn.Module {
      fc1 = new nn.Linear(4, 8);
      head = new nn.Linear(8, 5);
      forward(x: Tensor) {
        return this.head.forward(this.fc1.forward(x));
      }
    }
    const a = new A();
    const b = new B();
    const headBefore = b.head.weight.data.slice();
    expect(b.loadStateDict(a.stateDict(), { strict: false })).toEqual({ missingKeys: ['head.weight', 'head.bias'], unexpectedKeys: ['fc2.weight', 'fc2.bias'] });
    expect(b.fc1.weight.tolist()).toEqual(a.fc1.weight.tolist());
    expect(b.head.weight.data).toEqual(headBefore);
    expect(() => b.loadStateDict(a.stateDict())).toThrow(/head\.weight/);
    class C extends nn.Module {
      fc1 = new nn.Linear(4, 6);
      forward(x: Tensor) {
        return this.fc1.forward(x);
      }
    }
    expect(() => new C().loadStateDict(a.stateDict(), { strict: false })).toThrow("size mismatch for 'fc1.weight': shape [8, 4] in the state dict, [6, 4] in the model");
  });

  it('zeroing out gradients: without zeroGrad they add up over backward calls; with it each step starts afresh', () => {
    const net = new nn.Linear(3, 1);
    const x = tensor([[1, 2, 3]]);
    net.forward(x).sum().backward();
    net.forward(x).sum().backward();
    expect(net.weight.grad!.tolist()).toEqual([[2, 4, 6]]);
    const optimizer = new optim.SGD(net.parameters(), { lr: 0.001, momentum: 0.9 });
    optimizer.zeroGrad();
    expect(net.weight.grad).toBeNull();
    net.forward(x).sum().backward();
    expect(net.weight.grad!.tolist()).toEqual([[1, 2, 3]]);
    net.zeroGrad();
    expect(net.weight.grad).toBeNull();
  });

  it('freezing: requiresGrad = false on every parameter, a new head, an optimizer over the head only — frozen weights unchanged and without grads', () => {
    manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 3));
    for (const p of model.parameters()) p.requiresGrad = false;
    model[2] = new nn.Linear(8, 2); // the new head requires grad
    const optimizer = new optim.SGD(model[2].parameters(), { lr: 0.1, momentum: 0.9 });
    const frozen = ((model[0]) as nn.Linear).weight.data.slice();
    const head = ((model[2]) as nn.Linear).weight.data.slice();
    for (let i = 0; i < 3; i++) {
      optimizer.zeroGrad();
      new nn.CrossEntropyLoss().forward(model.forward(randn(6, 4)), tensor([0, 1, 0, 1, 1, 0])).backward();
      optimizer.step();
    }
    expect(((model[0]) as nn.Linear).weight.grad).toBeNull();
    expect(((model[0]) as nn.Linear).weight.data).toEqual(frozen);
    expect(((model[2]) as nn.Linear).weight.data).not.toEqual(head);
  });

  it('fine-tuning: optimizer.addParamGroup({params, lr}) adds an unfrozen layer with its own lr; mistakes are named', () => {
    const body = new nn.Linear(3, 4);
    const head = new nn.Linear(4, 2);
    const optimizer = new optim.SGD(head.parameters(), { lr: 0.1, momentum: 0.9 });
    optimizer.addParamGroup({ params: body.parameters(), lr: 0.01 });
    expect(optimizer.paramGroups.map((g) => g.lr)).toEqual([0.1, 0.01]);
    expect(optimizer.paramGroups[1].options.momentum).toBe(0.9);
    const before = body.weight.data.slice();
    optimizer.zeroGrad();
    head.forward(body.forward(tensor([[1, 2, 3]]))).sum().backward();
    const g = body.weight.grad!.data.slice();
    optimizer.step();
    // The first SGD step with momentum is p −= lr·g, with the group's lr.
    body.weight.data.forEach((v, i) => close(v, before[i] - 0.01 * g[i], 1e-6, 1e-7));
    const sched = new optim.StepLR(optimizer, 1, 0.5);
    sched.step();
    expect(sched.getLastLr()).toEqual([0.05, 0.005]);
    expect(optimizer.stateDict().buffers.length).toBe(4);
    expect(() => optimizer.addParamGroup({ params: body.parameters() })).toThrow('SGD.addParamGroup: a parameter appears more than once (in this group or in an existing one)');
    expect(() => optimizer.addParamGroup({ params: new nn.Linear(1, 1).parameters(), momentum: -1 })).toThrow(/SGD: momentum must be in \[0, Infinity\), got -1/);
    expect(() => optimizer.addParamGroup({ params: new nn.Linear(1, 1).parameters(), weight_decay: 0.1 } as never)).toThrow(/SGD.addParamGroup: unknown option 'weight_decay' \(gradlab spells it weightDecay\)/);
    expect(() => optimizer.addParamGroup(new nn.Linear(1, 1).parameters() as never)).toThrow('SGD.addParamGroup: expected a parameter group {params, lr?, …}, got an array (write {params: [...]})');
    expect(() => (optimizer as unknown as { add_param_group(g: unknown): void }).add_param_group({})).toThrow("SGD.add_param_group: PyTorch's add_param_group is spelled addParamGroup in gradlab");
    expect(() => new optim.SGD(randn([2], { requiresGrad: true }) as never, 0.1)).toThrow('SGD: params must be a list of parameters (model.parameters()) or of parameter groups [{params, lr, …}], got one Tensor (pass a list: [t])');
    const adam = new optim.Adam([new nn.Parameter(zeros(2))]);
    expect(() => adam.addParamGroup({ params: [new nn.Parameter(zeros(1))], betas: [1.5, 0.9] })).toThrow(/betas/);
  });

  it('kaimingNormal(w, {mode: "fanOut", nonlinearity: "relu"}) has std √(2/fan_out) with fan_out = outChannels·k·k; PyTorch spellings work too', () => {
    manualSeed(5);
    const w = zeros(64, 32, 3, 3);
    init.kaimingNormal(w, { mode: 'fanOut', nonlinearity: 'relu' });
    const std = Math.sqrt(2 / (64 * 9));
    // 18,432 samples: the sample std is within 2% of σ with overwhelming probability.
    expect(Math.abs(w.std().item() / std - 1)).toBeLessThan(0.02);
    init.kaimingNormal(w, { mode: 'fan_out' as never, nonlinearity: 'relu' });
    expect(Math.abs(w.std().item() / std - 1)).toBeLessThan(0.02);
  });

  it("clip_grad_norm_(params, max_norm=1.0) and clip_grad_value_(p, clip_value=0.5): PyTorch's keywords as an object, one tensor as params", () => {
    const w = tensor([3, 4], { requiresGrad: true });
    w.mul(tensor([1, 1])).sum().backward(); // grad [1, 1]
    w.grad!.mul_(tensor([3, 4]));
    expect(optim.clipGradNorm(w, { maxNorm: 1 })).toBeCloseTo(5, 6); // one tensor, keywords
    Array.from(w.grad!.data).forEach((v, i) => close(v, [0.6, 0.8][i], 1e-5));
    optim.clipGradValue([w], { clipValue: 0.7 });
    Array.from(w.grad!.data).forEach((v, i) => close(v, [0.6, 0.7][i], 1e-6));
    expect(optim.clipGradNorm([w], { maxNorm: 10, normType: Infinity })).toBeCloseTo(0.7, 6);
    expect(() => optim.clipGradNorm([w], { max_norm: 1 } as never)).toThrow(/clipGradNorm: unknown option 'max_norm' \(gradlab spells it maxNorm\)/);
    expect(() => optim.clipGradNorm(new nn.Linear(2, 2) as never, 1)).toThrow('clipGradNorm: params must be a list of parameters (model.parameters()) or one Tensor, got a Module (pass model.parameters())');
    expect(() => optim.clipGradValue([w, 3] as never, 1)).toThrow('clipGradValue: parameter 1 is not a Tensor (got 3)');
    expect(() => optim.clipGradValue([w], { clip_value: 1 } as never)).toThrow(/clipGradValue: unknown option 'clip_value' \(gradlab spells it clipValue\)/);
  });

  it('clipGradNorm / clipGradValue over model.parameters(), and manualSeed then two identical runs', () => {
    const run = () => {
      manualSeed(42);
      const m = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Dropout(0.5), new nn.Linear(8, 1));
      const o = new optim.Adam(m.parameters());
      const norms: number[] = [];
      let l = 0;
      for (let i = 0; i < 4; i++) {
        o.zeroGrad();
        const loss = m.forward(randn(16, 4)).pow(2).mean();
        loss.backward();
        norms.push(optim.clipGradNorm(m.parameters(), 0.1));
        optim.clipGradValue(m.parameters(), 0.01);
        o.step();
        l = loss.item();
      }
      for (const p of m.parameters()) expect(Math.max(...Array.from(p.grad!.data, Math.abs))).toBeLessThanOrEqual(0.01);
      return [l, ...norms];
    };
    expect(run()).toEqual(run());
  });
});
