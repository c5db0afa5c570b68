// Conv and residual models written the way PyTorch code is (examples/mnist's Net, a torchvision-style
// ResNet with `out += identity`, a DenseNet-style concat), and the hooks people use to see why a
// net fails to learn. Reference values: test/fixtures/pytorch-idioms-7.py (PyTorch 1.13), which also
// wrote torch_pt/resnet_user.pt.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { autograd, linspace, manualSeed, nn, noGrad, ops, ops as F, optim, tensor, zeros, type Tensor } from '../src/index.js';
import { loadTorchFile } from '../src/node.js';

const REF = JSON.parse(readFileSync(new URL('./fixtures/pytorch-idioms-7.json', import.meta.url), 'utf8'));
const PT = new URL('./fixtures/torch_pt/resnet_user.pt', import.meta.url).pathname;

const expectClose = (got: ArrayLike<number>, want: readonly number[], tol = 1e-5) => {
  expect(got.length).toBe(want.length);
  const worst = Array.from(got).reduce((m, g, i) => Math.max(m, Math.abs(g - want[i]) / (1 + Math.abs(want[i]))), 0);
  expect(worst, `worst relative difference ${worst}`).toBeLessThanOrEqual(tol);
};

/** The fixture's weights: sin(0.37 i + 1.3 k) / √fan_in, k the parameter's index in namedParameters(). */
function fill(model: nn.Module): void {
  model.namedParameters().forEach(([name, p], k) => {
    const fanIn = p.ndim > 1 ? p.size / p.shape[0] : p.size;
    for (let i = 0; i < p.size; i++) {
      p.data[i] = p.ndim > 1 ? Math.sin(0.37 * i + 1.3 * k) / Math.sqrt(fanIn) : 0.1 * Math.sin(0.37 * i + 1.3 * k) + (name.endsWith('weight') ? 1 : 0);
    }
  });
}
const inputs = (shape: number[], phase: number) => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Array.from({ length: n }, (_, i) => 1.5 * Math.sin(0.013 * i + phase)), shape);
};

// examples/mnist's Net, line for line.
class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 32, 3, 1);
  conv2 = new nn.Conv2d(32, 64, 3, 1);
  dropout1 = new nn.Dropout(0.25);
  dropout2 = new nn.Dropout(0.5);
  fc1 = new nn.Linear(9216, 128);
  fc2 = new nn.Linear(128, 10);

  forward(x: Tensor): Tensor {
    x = this.conv1.forward(x);
    x = F.relu(x);
    x = this.conv2.forward(x);
    x = F.relu(x);
    x = F.maxPool2d(x, 2);
    x = this.dropout1.forward(x);
    x = F.flatten(x, 1);
    x = this.fc1.forward(x);
    x = F.relu(x);
    x = this.dropout2.forward(x);
    x = this.fc2.forward(x);
    return F.logSoftmax(x, 1);
  }
}

describe("examples/mnist's Net", () => {
  it('Adadelta(lr=1.0) with StepLR(step_size=1, gamma=0.7), F.nll_loss, and test()\'s summed loss and pred.eq(target.viewAs(pred)) count equal PyTorch\'s', () => {
    const ref = REF.net;
    const model = new Net();
    fill(model);
    const data = inputs([4, 1, 28, 28], 0.3);
    const target = tensor([3, 1, 4, 1]);
    model.eval(); // as the fixture: dropout off, so the steps are deterministic
    expectClose(noGrad(() => model.forward(data)).data, ref.output0);
    const optimizer = new optim.Adadelta(model.parameters(), { lr: 1.0 });
    const scheduler = new optim.StepLR(optimizer, { stepSize: 1, gamma: 0.7 });
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      optimizer.zeroGrad();
      const output = model.forward(data);
      const loss = F.nllLoss(output, target);
      loss.backward();
      optimizer.step();
      scheduler.step();
      losses.push(loss.item());
      expect(scheduler.getLastLr()[0]).toBeCloseTo(ref.lrs[step], 12);
    }
    // float32 sums of 9216 products in another order: relative 1e-5
    expectClose(losses, ref.losses, 1e-5);
    let testLoss = 0;
    let correct = 0;
    noGrad(() => {
      const output = model.forward(data);
      testLoss += F.nllLoss(output, target, { reduction: 'sum' }).item();
      const pred = output.argmax({ dim: 1, keepdim: true });
      correct += pred.eq(target.viewAs(pred)).sum().item();
      expectClose(output.data, ref.output, 2e-5);
    });
    expect(testLoss).toBeCloseTo(ref.testLoss, 4);
    expect(correct).toBe(ref.correct);
    // Adadelta's state under PyTorch's names, PyTorch's values.
    const state = optimizer.torchStateDict().state as Map<number, Record<string, Tensor>>;
    const fc1 = model.parameters().indexOf(model.fc1.weight);
    expectClose(state.get(fc1)!.acc_delta.data.subarray(0, 8), ref.fc1AccDelta, 1e-4);
  });

  it('in train mode the two Dropouts drop (F.dropout(x, {training: this.training}) too), in eval mode they are the identity', () => {
    manualSeed(1);
    const x = inputs([2, 6], 0);
    expect(F.dropout(x, { training: false })).toBe(x);
    expect(F.dropout(x, 0.5, false)).toBe(x);
    const dropped = F.dropout(x, { p: 0.5 }); // training defaults to true, as PyTorch's F.dropout
    const zerosKept = Array.from(dropped.data).filter((v) => v === 0).length;
    expect(zerosKept).toBeGreaterThan(0);
    for (let i = 0; i < x.size; i++) if (dropped.data[i] !== 0) expect(dropped.data[i]).toBeCloseTo(2 * x.data[i], 6);
    expect(() => F.dropout(x, { p: 0.5, inplace: true })).toThrow(/inplace must be false/);
    expect(() => F.dropout(x, { traning: true } as never)).toThrow(/training/);
    expect(F.dropout2d(inputs([2, 3, 2, 2], 0), { training: false }).shape).toEqual([2, 3, 2, 2]);
  });

  it('F.logSoftmax(x, {dim: 1}), F.softmax(x, {dim: 1}), ops.cat(ts, {dim: 1}), ops.stack(ts, {dim: 1}): PyTorch\'s lone dim keyword', () => {
    const x = inputs([2, 3], 0.5);
    expect(F.logSoftmax(x, { dim: 1 }).tolist()).toEqual(F.logSoftmax(x, 1).tolist());
    expect(F.softmax(x, { dim: 0 }).tolist()).toEqual(F.softmax(x, 0).tolist());
    expect(ops.cat([x, x], { dim: 1 }).shape).toEqual([2, 6]);
    expect(ops.stack([x, x], { dim: 1 }).shape).toEqual([2, 2, 3]);
    expect(() => ops.cat([x, x], { dim: 1, out: x } as never)).toThrow(/cat: unknown option 'out'/);
    expect(() => F.logSoftmax(x, { axis: 1 } as never)).toThrow(/logSoftmax: unknown option 'axis'/);
  });
});

// torchvision's BasicBlock and ResNet, written by the user.
const conv3x3 = (inPlanes: number, outPlanes: number, stride = 1) => new nn.Conv2d(inPlanes, outPlanes, { kernelSize: 3, stride, padding: 1, bias: false });
const conv1x1 = (inPlanes: number, outPlanes: number, stride = 1) => new nn.Conv2d(inPlanes, outPlanes, { kernelSize: 1, stride, bias: false });

class BasicBlock extends nn.Module {
  static expansion = 1;
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  relu = new nn.ReLU({ inplace: true });
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  downsample: nn.Sequential | null;
  stride: number;

  constructor(inplanes: number, planes: number, stride = 1, downsample: nn.Sequential | null = null) {
    super();
    this.conv1 = conv3x3(inplanes, planes, stride);
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new nn.BatchNorm2d(planes);
    this.downsample = downsample;
    this.stride = stride;
  }

  forward(x: Tensor): Tensor {
    let identity = x;
    let out = this.conv1.forward(x);
    out = this.bn1.forward(out);
    out = this.relu.forward(out);
    out = this.conv2.forward(out);
    out = this.bn2.forward(out);
    if (this.downsample !== null) identity = this.downsample.forward(x);
    out.add_(identity); // out += identity: in place on a non-leaf, recorded
    out = this.relu.forward(out);
    return out;
  }
}

class ResNet extends nn.Module {
  inplanes = 8;
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  relu = new nn.ReLU(true);
  layer1: nn.Sequential;
  layer2: nn.Sequential;
  avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
  fc: nn.Linear;

  constructor(block: typeof BasicBlock, layers: number[], numClasses = 10) {
    super();
    this.conv1 = new nn.Conv2d(3, this.inplanes, { kernelSize: 3, stride: 1, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(this.inplanes);
    this.layer1 = this._makeLayer(block, 8, layers[0]);
    this.layer2 = this._makeLayer(block, 16, layers[1], 2);
    this.fc = new nn.Linear(16 * block.expansion, numClasses);
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else if (m instanceof nn.BatchNorm2d) {
        nn.init.constant_(m.weight!, 1);
        nn.init.constant_(m.bias!, 0);
      }
    }
  }

  _makeLayer(block: typeof BasicBlock, planes: number, blocks: number, stride = 1): nn.Sequential {
    let downsample: nn.Sequential | null = null;
    if (stride !== 1 || this.inplanes !== planes * block.expansion) {
      downsample = new nn.Sequential(conv1x1(this.inplanes, planes * block.expansion, stride), new nn.BatchNorm2d(planes * block.expansion));
    }
    const layers = [new block(this.inplanes, planes, stride, downsample)];
    this.inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) layers.push(new block(this.inplanes, planes));
    return new nn.Sequential(...layers);
  }

  forward(x: Tensor): Tensor {
    x = this.conv1.forward(x);
    x = this.bn1.forward(x);
    x = this.relu.forward(x);
    x = this.layer1.forward(x);
    x = this.layer2.forward(x);
    x = this.avgpool.forward(x);
    x = ops.flatten(x, 1);
    return this.fc.forward(x);
  }
}

describe('a user-written ResNet (torchvision BasicBlock) with a state dict PyTorch saved', () => {
  it('has torchvision\'s keys; kaimingNormal_(mode "fan_out") in a modules() loop draws std √(2/fan_out)', () => {
    manualSeed(0);
    const model = new ResNet(BasicBlock, [2, 2]);
    expect(Object.keys(model.stateDict())).toEqual(REF.resnet.keys);
    const w = model.layer2[0].conv2.weight as Tensor; // [16, 16, 3, 3]: fan_out = 16·9
    const d = Array.from(w.data);
    const std = Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
    expect(std).toBeGreaterThan(0.9 * Math.sqrt(2 / 144));
    expect(std).toBeLessThan(1.1 * Math.sqrt(2 / 144));
    expect(Array.from(model.layer1[0].bn1.weight!.data).every((v: number) => v === 1)).toBe(true);
  });

  it('loads resnet_user.pt (num_batches_tracked included); eval and train outputs, three SGD steps and the running statistics equal PyTorch\'s', async () => {
    const ref = REF.resnet;
    const model = new ResNet(BasicBlock, [2, 2]);
    model.loadStateDict((await loadTorchFile(PT)).tensors);
    expect(model.layer1[0].bn1.numBatchesTracked.item()).toBe(2);
    const x = inputs([4, 3, 16, 16], 0.7);
    const y = tensor([1, 0, 3, 9]);
    model.eval();
    expectClose(noGrad(() => model.forward(x)).data, ref.eval0);
    model.train();
    expectClose(model.forward(x).data, ref.train0);
    const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      const loss = F.crossEntropy(model.forward(x), y);
      loss.backward();
      opt.step();
      expect(loss.item()).toBeCloseTo(ref.losses[step], 5);
    }
    model.eval();
    expectClose(noGrad(() => model.forward(x)).data, ref.eval1, 5e-5);
    expectClose((model.layer2[0].downsample!.at(1) as nn.BatchNorm2d).runningMean!.data, ref.runningMean);
    expect(model.layer1[0].bn1.numBatchesTracked.item()).toBe(ref.numBatchesTracked);
  });

  it('Grad-CAM on the last block: a forward hook keeps the activations, a full backward hook the output gradient; the map equals PyTorch\'s', async () => {
    const model = new ResNet(BasicBlock, [2, 2]);
    model.loadStateDict((await loadTorchFile(PT)).tensors);
    model.eval();
    const kept: { act?: Tensor; grad?: Tensor } = {};
    const target = model.layer2[-1] as BasicBlock;
    const h1 = target.registerForwardHook((_m, _i, o: Tensor) => void (kept.act = o.detach()));
    const h2 = target.registerFullBackwardHook((_m, _gi, go) => void (kept.grad = go[0]!.detach()));
    const x = inputs([4, 3, 16, 16], 0.7);
    const y = tensor([1, 0, 3, 9]);
    const scores = model.forward(x);
    scores.gather(1, y.unsqueeze(1)).sum().backward(); // scores[torch.arange(4), y].sum()
    const weights = kept.grad!.mean({ dim: [2, 3], keepdim: true });
    const cam = F.relu(weights.mul(kept.act!).sum({ dim: 1 }));
    h1.remove();
    h2.remove();
    expect(cam.shape).toEqual([4, 8, 8]);
    expectClose(cam.data, REF.resnet.gradCam, 1e-4);
  });

  it('hooks on every module of the user ResNet: forward hooks see every layer and change nothing; backward hooks on the convolutions give their gradients', () => {
    manualSeed(4);
    const model = new ResNet(BasicBlock, [1, 1]);
    const x = inputs([2, 3, 8, 8], 0.4);
    model.eval();
    const want = noGrad(() => model.forward(x)).tolist();
    const seen = new Set<string>();
    const handles = model.namedModules().map(([name, m]) => m.registerForwardHook(() => void seen.add(name)));
    const norms: Record<string, number> = {};
    for (const [name, m] of model.namedModules()) {
      if (m instanceof nn.Conv2d) handles.push(m.registerFullBackwardHook((_m, _gin, gout) => void (norms[name] = gout[0]!.norm().item())));
    }
    const out = model.forward(x);
    expect(out.tolist()).toEqual(want);
    expect(seen.size).toBe(model.namedModules().length);
    out.sum().backward();
    expect(Object.keys(norms).sort()).toEqual(model.namedModules().filter(([, m]) => m instanceof nn.Conv2d).map(([n]) => n).sort());
    for (const h of handles) h.remove();
    // A full backward hook on bn2 makes `out += identity` modify the hook's output in place, which
    // PyTorch refuses too ("Output 0 of BackwardHookFunctionBackward is a view …").
    model.layer1[0].bn2.registerFullBackwardHook(() => undefined);
    expect(() => model.forward(x)).toThrow(/full backward hook.*BackwardHookFunctionBackward.*out = out\.add/);
  });

  it('out.add_(identity) is differentiated as out + identity (finite differences through a BasicBlock)', () => {
    manualSeed(3);
    const block = new BasicBlock(2, 2);
    const x = inputs([1, 2, 3, 3], 0.2).requiresGrad_();
    const f = () => block.forward(x).pow(2).sum();
    f().backward();
    const g = Float32Array.from(x.grad!.data);
    const eps = 1e-2;
    for (const i of [0, 4, 9, 17]) {
      const v = x.data[i];
      x.data[i] = v + eps;
      const up = noGrad(f).item();
      x.data[i] = v - eps;
      const down = noGrad(f).item();
      x.data[i] = v;
      expect(g[i]).toBeCloseTo((up - down) / (2 * eps), 2);
    }
  });

  it('an in-place change PyTorch would refuse is refused with the out-of-place spelling; leaves still need noGrad', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const e = a.exp();
    expect(() => e.add_(1)).toThrow(/exp, whose backward reads its output.*out = out\.add/);
    const b = a.mul(2);
    b.mul(b).sum(); // b is read by a recorded op
    expect(() => b.add_(1)).toThrow(/already read by an op of the recorded graph/);
    const v = a.mul(2).view(3, 1);
    expect(() => v.add_(1)).toThrow(/view \(reshape\)/);
    expect(() => a.add_(1)).toThrow(/noGrad/);
    // A tensor without grad that receives one that requires it joins the graph, as in PyTorch.
    const acc = zeros(3);
    acc.add_(a.mul(3));
    acc.sum().backward();
    expect(a.grad!.tolist()).toEqual([3, 3, 3]);
  });
});

class Dense extends nn.Module {
  stem = new nn.Conv2d(1, 4, 3, { padding: 1 });
  act = new nn.ReLU();
  blocks = new nn.ModuleList([0, 1].map((i) => new nn.Conv2d(4 + 4 * i, 4, 3, { padding: 1 })));
  heads = new nn.ModuleDict({ drop: new nn.Dropout2d(0.2), pool: new nn.AvgPool2d(2) });
  fc = new nn.Linear(48, 5);
  declare scale: Tensor;

  constructor() {
    super();
    this.registerBuffer('scale', linspace(0.5, 2.0, 12).view(1, 12, 1, 1));
  }

  forward(x: Tensor): Tensor {
    x = this.act.forward(this.stem.forward(x));
    for (const conv of this.blocks) x = ops.cat([x, F.relu(conv.forward(x))], 1);
    x = x.mul(this.scale);
    x = this.heads.get('drop').forward(x);
    x = this.heads.get('pool').forward(x);
    x = F.avgPool2d(x, 2);
    x = F.adaptiveAvgPool2d(x, [2, 2]);
    x = x.view(x.shape[0], -1);
    x = F.dropout(x, { p: 0.3, training: this.training });
    return this.fc.forward(x);
  }
}

describe('a DenseNet-style model and the hooks that show why a net fails to learn', () => {
  const ref = REF.dense;
  const make = () => {
    const m = new Dense();
    fill(m);
    return m.eval();
  };
  const xd = inputs([3, 1, 16, 16], 0.1);
  const yd = tensor([0, 4, 2]);

  it('torch.cat on channels, ModuleList/ModuleDict, registerBuffer, F.avgPool2d/adaptiveAvgPool2d, x.view(N, -1): PyTorch\'s keys and output', () => {
    const model = make();
    expect(model.namedParameters().map(([n]) => n)).toEqual(ref.names);
    expect(Object.keys(model.stateDict())).toEqual(ref.stateKeys);
    expectClose(noGrad(() => model.forward(xd)).data, ref.output);
  });

  it('registerForwardHook / registerFullBackwardHook on each layer: activation mean, std, dead fraction and gradient norms equal PyTorch\'s; handles remove them', () => {
    const model = make();
    const acts: Record<string, number[]> = {};
    const grads: Record<string, Array<number | null>> = {};
    const handles = [];
    for (const [name, m] of model.namedModules()) {
      if (!['stem', 'act', 'blocks.0', 'blocks.1', 'fc'].includes(name)) continue;
      handles.push(m.registerForwardHook((_m, _input, output: Tensor) => {
        acts[name] = [output.mean().item(), output.std().item(), output.le(0).float().mean().item()];
      }));
      handles.push(m.registerFullBackwardHook((_m, gradInput, gradOutput) => {
        grads[name] = [gradInput[0] === null ? null : gradInput[0].norm().item(), gradOutput[0]!.norm().item()];
      }));
    }
    const loss = F.crossEntropy(model.forward(xd), yd);
    expect(loss.item()).toBeCloseTo(ref.loss, 5);
    loss.backward({ retainGraph: true });
    for (const [name, want] of Object.entries(ref.acts as Record<string, number[]>)) expectClose(acts[name], want);
    for (const [name, want] of Object.entries(ref.grads as Record<string, Array<number | null>>)) {
      expect(grads[name][0] === null, name).toBe(want[0] === null);
      expectClose(grads[name].filter((v) => v !== null) as number[], want.filter((v) => v !== null) as number[], 1e-4);
    }
    const norms = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, p.grad!.norm().item()]));
    for (const n of ref.names) expect(norms[n], n).toBeCloseTo(ref.paramGrads[n], 5);
    loss.backward(); // retainGraph the first time: the second backward accumulates
    for (const [n, p] of model.namedParameters()) expect(p.grad!.norm().item(), n).toBeCloseTo(ref.paramGrads2[n], 5);
    for (const h of handles) h.remove();
    for (const k of Object.keys(acts)) delete acts[k];
    noGrad(() => model.forward(xd));
    expect(Object.keys(acts)).toEqual([]);
    // zero_grad(set_to_none=True), then `if p.grad is not None` loops
    model.zeroGrad({ setToNone: true });
    expect(model.parameters().every((p) => p.grad === null)).toBe(ref.noneAfterZeroGrad);
    let withGrad = 0;
    for (const p of model.parameters()) if (p.grad !== null) withGrad++;
    expect(withGrad).toBe(0);
  });

  it('autograd.grad(loss, params) leaves .grad alone; parametersToVector; a saliency map from x.requiresGrad_()', () => {
    const model = make();
    const gs = autograd.grad(F.crossEntropy(model.forward(xd), yd), model.parameters());
    expectClose(gs.map((g) => g!.norm().item()), ref.autogradGrad, 1e-5);
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
    const vec = nn.utils.parametersToVector(model.parameters());
    expect(vec.shape).toEqual([ref.vectorSize]);
    expect(vec.norm().item()).toBeCloseTo(ref.vectorNorm, 4);
    const img = xd.narrow(0, 0, 1).clone().requiresGrad_();
    const score = model.forward(img).select(1, 2).sum(); // dense(img)[0, 2]
    score.backward();
    expectClose(img.grad!.data, ref.saliency, 1e-4);
    expect(model.stem.weight.grad!.norm().item()).toBeCloseTo(ref.stemGradNorm, 5);
  });
});

describe('tensor hooks', () => {
  it('registerHook on an intermediate sees its gradient; a hook returning a tensor replaces it (PyTorch\'s order)', () => {
    const a = tensor([0.5, -1.0, 2.0], { requiresGrad: true });
    const b = a.mul(3);
    const seen: number[][] = [];
    b.registerHook((g) => void seen.push(g.tolist() as number[]));
    b.registerHook((g) => g.mul(2));
    b.mul(b).sum().backward();
    expect(seen).toEqual(REF.tensorHook.seen);
    expect(a.grad!.tolist()).toEqual(REF.tensorHook.aGrad);
  });
});

describe('optim.Adadelta', () => {
  it('lr, rho, eps and weightDecay as PyTorch\'s (4 steps, square_avg and acc_delta); its PyTorch-form state resumes the run exactly', () => {
    const ref = REF.adadelta;
    const w = tensor([[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]], { requiresGrad: true });
    const scale = tensor([1.0, 2.0, 3.0]);
    const opt = new optim.Adadelta([w], { lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.1 });
    const step = (o: optim.Adadelta) => {
      o.zeroGrad();
      w.mul(w).mul(scale).sum().add(w.sum()).backward();
      o.step();
    };
    for (let i = 0; i < 3; i++) {
      step(opt);
      expectClose(w.data, ref.steps[i], 1e-6);
    }
    const saved = opt.torchStateDict();
    const resumed = new optim.Adadelta([w], { lr: 0.5, rho: 0.8, eps: 1e-5, weightDecay: 0.1 });
    resumed.loadStateDict(saved);
    step(resumed);
    expectClose(w.data, ref.steps[3], 1e-6);
    const st = resumed.torchStateDict().state as Map<number, Record<string, Tensor>>;
    expectClose(st.get(0)!.square_avg.data, ref.squareAvg, 1e-6);
    expectClose(st.get(0)!.acc_delta.data, ref.accDelta, 1e-6);
    expect(() => new optim.Adadelta([w], { rho: 1.5 })).toThrow(/rho must be in \[0, 1\]/);
    expect(() => new optim.Adadelta([w], 1.0, 0.9, 1e-6, 0, 'x' as never)).toThrow(/Adadelta/);
  });
});
