// Module and Tensor habits from PyTorch: model[0], children(), modules(), apply(init_weights),
// requires_grad_(False) to freeze a layer, x.requires_grad_().
import { describe, expect, it } from 'vitest';
import { DataLoader, evaluate, fit, init, loss, manualSeed, nn, noGrad, ones, ops, optim, predict, randn, tensor, zeros } from '../../src/index.js';

describe('PyTorch module habits', () => {
  it('.cuda(), .half() and .numpy() say why gradlab has none and what to write (they were "is not a function"); a field of that name is still the user\'s', () => {
    const model = new nn.Sequential(new nn.Linear(2, 3), new nn.ReLU());
    const x = randn([4, 2]);
    expect(() => model.cuda()).toThrow("Sequential.cuda(): gradlab has no CUDA device: it runs on the CPU (WebAssembly SIMD kernels); leave the call out (.to('cpu') is accepted)");
    expect(() => x.cuda()).toThrow('Tensor.cuda(): gradlab has no CUDA device');
    expect(() => model.half()).toThrow("Sequential.half(): gradlab has no float16: tensors are float32 ('float', the default) or float64 ('double')");
    expect(() => x.half()).toThrow('Tensor.half(): gradlab has no float16');
    expect(() => x.bfloat16()).toThrow('Tensor.bfloat16(): gradlab has no bfloat16');
    expect(() => x.numpy()).toThrow('Tensor.numpy(): JavaScript has no NumPy: t.tolist() gives nested arrays, t.data the Float32Array itself');
    class Net extends nn.Module {
      half = new nn.Linear(2, 2);
      forward(t: ReturnType<typeof randn>) {
        return this.half.forward(t);
      }
    }
    const net = new Net();
    expect(net.forward(x).shape).toEqual([4, 2]);
    expect(Object.keys(net.stateDict())).toEqual(['half.weight', 'half.bias']);
    expect(Object.keys(x)).not.toContain('cuda');
  });

  it("train('false'), requiresGrad_('no') and apply(5) are refused naming the module (a string would have switched training on)", () => {
    const m = new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU());
    expect(() => m.train('false' as never)).toThrow("Sequential.train(): mode must be true or false, got \"false\"");
    expect(m.training).toBe(true);
    expect(() => m.requiresGrad_('no' as never)).toThrow('Sequential.requiresGrad_(): requiresGrad must be true or false');
    expect(() => m.apply(5 as never)).toThrow('Sequential.apply(fn): fn must be a function of a module, got 5');
    expect(m.eval().training).toBe(false);
  });
  it('a shape error inside a Sequential names the layer (its path through nested Sequentials) and keeps the shapes', () => {
    const m = new nn.Sequential(new nn.Linear(2, 4), new nn.ReLU(), new nn.Sequential(new nn.Linear(5, 3), new nn.ReLU()));
    expect(() => m.forward(randn(1, 2))).toThrow('Sequential layer 2.0 (Linear(inFeatures=5, outFeatures=3, bias=true)): linear: input of shape [1, 4] does not match weight [3, 5] (expected last dimension 5)');
    const fused = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU()); // Linear + ReLU run as one op
    expect(() => fused.forward(randn(2, 2))).toThrow(/^Sequential layer 0 \(Linear\(inFeatures=3, .*input of shape \[2, 2\]/);
    expect(() => fused.trace(randn(2, 2))).toThrow(/^Sequential layer 0 \(Linear/);
  });

  it("a misspelt or PyTorch-spelt constructor option is refused by name, not ignored; a boolean given as a string too", () => {
    expect(() => new nn.Linear(2, 3, { biass: false } as never)).toThrow("Linear: unknown option 'biass' (did you mean 'bias'?); the options are bias, init, generator");
    expect(() => new nn.Linear(2, 3, { bias: 'no' } as never)).toThrow('Linear: bias must be true or false, got "no"');
    expect(() => new nn.Conv2d(1, 2, 3, { paddding: 1 } as never)).toThrow(/^Conv2d: unknown option 'paddding' \(did you mean 'padding'\?\); the options are /);
    expect(() => new nn.Conv2d(1, 2, 3, { bias: 0 } as never)).toThrow('Conv2d: bias must be true or false, got 0');
    expect(() => new nn.BatchNorm1d(3, { track_running_stats: false } as never)).toThrow(/^BatchNorm1d: unknown option 'track_running_stats' \(gradlab spells it trackRunningStats\); the options are /);
    expect(() => new nn.BatchNorm2d(3, { affine: 'false' } as never)).toThrow('BatchNorm2d: affine must be true or false, got "false"');
    expect(() => new nn.AdaptiveAvgPool2d(0)).toThrow(/^AdaptiveAvgPool2d: outputSize must be a positive integer/);
    expect(() => loss.mse(randn(2), randn(2), { reduce: 'sum' } as never)).toThrow("mse: unknown option 'reduce'; the options are reduction");
    expect(() => loss.huber(randn(2), randn(2), { delta: 2, reduction: 'sum' })).not.toThrow();
  });

  it('model[i] reaches the layers, negative from the end; out of range throws; model[i] = layer replaces', () => {
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
    expect(model[0]).toBe(model.layers[0]);
    expect(model[-1]).toBe(model.layers[2]);
    expect((model[2] as nn.Linear).weight.shape).toEqual([2, 8]);
    expect(0 in model && -3 in model && !(3 in model)).toBe(true);
    expect(() => model[3]).toThrow(/no layer 3 \(the network has 3\)/);
    model[1] = new nn.Tanh();
    expect(model[1]).toBeInstanceOf(nn.Tanh);
    expect(() => {
      model[3] = new nn.Tanh();
    }).toThrow(/no layer 3 to replace \(the network has 3\); use append/);
    expect(() => {
      model[0] = nn.Tanh as never;
    }).toThrow(/layer 0 is the class Tanh, not a layer/);
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

  it('register_buffer, register_parameter and add_module in a constructor, as PyTorch code writes them', () => {
    class Scaled extends nn.Module {
      constructor() {
        super();
        this.registerParameter('scale', new nn.Parameter(ones(3)));
        this.registerBuffer('offset', tensor([1, 2, 3]));
        this.addModule('proj', new nn.Linear(3, 3));
      }
      forward(x: any) {
        const self = this as any;
        return self.proj.forward(x.mul(self.scale).add(self.offset));
      }
    }
    const m = new Scaled();
    expect(Object.keys(m.stateDict())).toEqual(['scale', 'offset', 'proj.weight', 'proj.bias']);
    expect(m.namedParameters().map(([k]) => k)).toEqual(['scale', 'proj.weight', 'proj.bias']);
    expect(m.forward(randn(2, 3)).shape).toEqual([2, 3]);
    expect(() => m.registerBuffer('state_dict', zeros(1))).toThrow(/'state_dict' is a method or property/);
    expect(() => m.registerBuffer('a.b', zeros(1))).toThrow(/without '\.'/);
    expect(() => m.registerParameter('w', zeros(1) as never)).toThrow(/expected an nn.Parameter or null, got a Tensor/);
    expect(() => m.registerBuffer('tmp', zeros(1), false)).toThrow(/non-persistent buffers are not supported/);
    expect(() => (m as any).register_buffer('x', zeros(1))).toThrow(/register_buffer is spelled registerBuffer/);
  });

  it('nn.Parameter(data, requires_grad=False) and a non-tensor argument', () => {
    expect(new nn.Parameter(randn(3), false).requiresGrad).toBe(false);
    expect(new nn.Parameter(randn(3), { requiresGrad: false }).requiresGrad).toBe(false);
    expect(new nn.Parameter(randn(3)).requiresGrad).toBe(true);
    expect(() => new nn.Parameter([1, 2] as never)).toThrow(/nn.Parameter: expected a Tensor .* got an array/);
    expect(() => new nn.Parameter(randn(3), { requires_grad: false } as never)).toThrow(/gradlab spells it requiresGrad/);
  });

  it('x.requiresGrad_() makes a leaf that receives a gradient', () => {
    const x = tensor([1, 2, 3]).requiresGrad_();
    x.mul(x).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([2, 4, 6]);
    expect(tensor([1]).requiresGrad_(false).requiresGrad).toBe(false);
  });

  it("constructor arguments given positionally as in PyTorch mean what they mean there", () => {
    manualSeed(2);
    const model = new nn.Sequential(new nn.Linear(3, 2));
    // optim.SGD(model.parameters(), 0.1): the learning rate.
    expect(new optim.SGD(model.parameters(), 0.1).lr).toBe(0.1);
    expect(new optim.Adam(model.parameters(), 0.01).lr).toBe(0.01);
    // nn.Linear(3, 2, False): no bias.
    expect(new nn.Linear(3, 2, false).bias).toBeNull();
    // nn.Conv2d(1, 4, 3, 2, 1): stride 2, padding 1 — the same layer as the options object.
    const pos = new nn.Conv2d(1, 4, 3, 2, 1);
    const named = new nn.Conv2d(1, 4, 3, { stride: 2, padding: 1 });
    expect([pos.stride, pos.padding]).toEqual([named.stride, named.padding]);
    expect(pos.forward(randn(1, 1, 8, 8)).shape).toEqual([1, 4, 4, 4]);
  });

  it("PyTorch's snake_case options are errors that name gradlab's spelling, never silently ignored", () => {
    const params = new nn.Linear(3, 2).parameters();
    expect(() => new optim.SGD(params, { lr: 0.1, weight_decay: 1e-4 } as never)).toThrow(/SGD: unknown option 'weight_decay' \(gradlab spells it weightDecay\)/);
    expect(() => new optim.AdamW(params, { lr: 0.1, amsGrad: true } as never)).toThrow(/AdamW: unknown option 'amsGrad' \(did you mean 'amsgrad'\?\); the options are lr, .*amsgrad/);
    const data = { x: randn(10, 3), y: zeros(10) };
    expect(() => new DataLoader(data, { batch_size: 4 } as never)).toThrow(/DataLoader: unknown option 'batch_size'.*batchSize/);
    expect(() => new nn.BatchNorm1d(4, { track_running_stats: false } as never)).toThrow(/BatchNorm1d: unknown option 'track_running_stats'.*trackRunningStats/);
    expect(() => new nn.Conv2d(1, 2, 3, { padding_mode: 'reflect' } as never)).toThrow(/Conv2d: unknown option 'padding_mode'/);
    expect(() => new nn.Linear(3, 2, { bias: false, device: 'cpu' } as never)).toThrow(/Linear: unknown option 'device'/);
    expect(() => new optim.StepLR(new optim.SGD(params, 0.1), { step_size: 1 } as never)).toThrow(/StepLR: unknown option 'step_size'.*stepSize/);
  });

  it("PyTorch's snake_case names throw, naming gradlab's, where they would read as undefined", () => {
    const model = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
    const p = model.parameters()[0] as any;
    // `if (p.requires_grad)` would otherwise be silently false.
    expect(() => p.requires_grad).toThrow(/Parameter.requires_grad: PyTorch's requires_grad is spelled requiresGrad in gradlab/);
    expect(() => (model as any).state_dict()).toThrow(/Sequential.state_dict: .* stateDict/);
    expect(() => (model as any).named_parameters()).toThrow(/namedParameters/);
    expect(() => (model[1] as any).running_mean).toThrow(/BatchNorm1d.running_mean: .* runningMean/);
    expect(() => (model[0] as any).in_features).toThrow(/Linear.in_features: .* inFeatures/);
    const opt = new optim.SGD(model.parameters(), 0.1) as any;
    expect(() => opt.zero_grad()).toThrow(/SGD.zero_grad: .* zeroGrad/);
    expect(() => opt.param_groups).toThrow(/paramGroups/);
    expect(() => (new optim.StepLR(opt, 1) as any).get_last_lr()).toThrow(/StepLR.get_last_lr: .* getLastLr/);
    expect(() => (new DataLoader({ x: randn(4, 3), y: zeros(4) }) as any).batch_size).toThrow(/DataLoader.batch_size: .* batchSize/);
    // A user's own field of such a name is an ordinary field, and keys and state dicts are unchanged.
    class Net extends nn.Module {
      zero_grad = 5;
      fc = new nn.Linear(2, 2);
      forward(x: any) {
        return this.fc.forward(x);
      }
    }
    expect(new Net().zero_grad).toBe(5);
    expect(Object.keys(new Net().stateDict())).toEqual(['fc.weight', 'fc.bias']);
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']);
  });

  it("fit, evaluate and predict refuse Keras' and PyTorch's spellings (batch_size, verbose) instead of training with the defaults", async () => {
    const model = new nn.Sequential(new nn.Linear(2, 2));
    const data = { x: randn(8, 2), y: tensor([0, 1, 0, 1, 0, 1, 0, 1]) };
    await expect(fit(model, data, { epochs: 1, batch_size: 4 } as never)).rejects.toThrow(/fit: unknown option 'batch_size' \(gradlab spells it batchSize\)/);
    await expect(fit(model, data, { epochs: 1, verbose: 0 } as never)).rejects.toThrow(/fit: unknown option 'verbose'/);
    await expect(evaluate(model, data, { batch_size: 4 } as never)).rejects.toThrow(/evaluate: unknown option 'batch_size'/);
    await expect(predict(model, data.x, { batch_size: 4 } as never)).rejects.toThrow(/predict: unknown option 'batch_size'/);
  });

  it("init functions, clip_grad_norm_ and schedulers take PyTorch's keyword arguments as an object, or positionally", () => {
    manualSeed(7);
    const w = zeros(64, 100);
    // nn.init.normal_(w, std=0.02), nn.init.uniform_(w, b=0.1), nn.init.xavier_uniform_(w, gain=2)
    init.normal(w, { std: 0.02 });
    const sd = Math.sqrt(Array.from(w.data).reduce((s, v) => s + v * v, 0) / w.size);
    expect(sd).toBeGreaterThan(0.018);
    expect(sd).toBeLessThan(0.022);
    init.uniform(w, { b: 0.1 });
    expect(Math.min(...w.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...w.data)).toBeLessThan(0.1);
    init.xavierUniform(w, { gain: 2 });
    expect(Math.max(...w.data.map(Math.abs))).toBeLessThanOrEqual(2 * Math.sqrt(6 / 164) + 1e-7);
    expect(() => init.normal(w, { sd: 0.02 } as never)).toThrow(/init.normal: unknown option 'sd' \(did you mean 'std'\?\); the options are mean, std, generator/);
    // nn.init.kaiming_uniform_(w, a=math.sqrt(5)), PyTorch's Linear default: U(±1/√fan_in).
    init.kaimingUniform(w, Math.sqrt(5));
    expect(Math.max(...w.data.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(100) + 1e-7);
    expect(Math.max(...w.data.map(Math.abs))).toBeGreaterThan(0.095);
    expect(() => init.kaimingNormal(w, { nonLinearity: 'relu' } as never)).toThrow(/init.kaimingNormal: unknown option 'nonLinearity'/);
    // clip_grad_norm_(params, max_norm, norm_type=inf): the largest |g|.
    const p = tensor([3, -4, 1], { requiresGrad: true });
    p.mul(tensor([1, 1, 1])).mul(p).sum().backward(); // g = 2p = [6, -8, 2]
    expect(optim.clipGradNorm([p], 100, Infinity)).toBe(8);
    expect(optim.clipGradNorm([p], 100, { normType: 1 })).toBe(16);
    expect(optim.clipGradNorm([p], 100)).toBeCloseTo(Math.sqrt(104), 5);
    expect(() => optim.clipGradNorm([p], 1, { norm_type: 2 } as never)).toThrow(/unknown option 'norm_type' \(gradlab spells it normType\)/);
    const opt = new optim.SGD([p], 0.1);
    expect(() => new optim.CosineAnnealingLR(opt, { T_max: 10 } as never)).toThrow(/unknown option 'T_max' \(gradlab spells it tMax\)/);
    expect(() => new optim.ReduceLROnPlateau(opt, { min_lr: 1e-5 } as never)).toThrow(/ReduceLROnPlateau: unknown option 'min_lr' \(gradlab spells it minLr\)/);
    // nn.BatchNorm2d(64, 1e-3, 0.01): eps, momentum.
    const bn = new nn.BatchNorm2d(4, 1e-3, 0.01);
    expect([bn.eps, bn.momentum]).toEqual([1e-3, 0.01]);
    // Keyword arguments written as an object where gradlab takes the value itself: named, with the fix.
    expect(() => new nn.Dropout({ p: 0.2 } as never)).toThrow(/Dropout: p must be a number in \[0, 1\), got \{"p":0.2\} \(PyTorch's p=0.2 is the argument 0.2 here\)/);
    expect(() => new nn.LeakyReLU({ negative_slope: 0.2 } as never)).toThrow(/LeakyReLU: negativeSlope .* new nn.LeakyReLU\(0.2\)/);
    // dim=1 written as an object: the methods take it as PyTorch's keyword; the ops name it in the error.
    expect(randn(2, 3).sum({ dim: 1 } as never).shape).toEqual([2]);
    expect(() => ops.sum(randn(2, 3), { dim: 1 } as never)).toThrow(/sum: dim must be an integer \(PyTorch's dim=1 is the argument 1 here\)/);
  });

  it('a binary classifier as beginners write it: nn.Sigmoid then nn.BCELoss, the same as BCEWithLogitsLoss on the logits', () => {
    manualSeed(9);
    const model = new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 1));
    const x = randn(16, 2);
    const y = tensor(Array.from({ length: 16 }, (_, i) => i % 2), [16, 1]);
    const logits = model.forward(x);
    const probs = new nn.Sigmoid().forward(logits);
    expect(new nn.BCELoss().forward(probs, y).item()).toBeCloseTo(new nn.BCEWithLogitsLoss().forward(logits, y).item(), 5);
    const opt = new optim.SGD(model.parameters(), 0.5);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) {
      opt.zeroGrad();
      const l = new nn.BCELoss().forward(new nn.Sigmoid().forward(model.forward(x)), y);
      l.backward();
      opt.step();
      losses.push(l.item());
    }
    expect(losses[29]).toBeLessThan(losses[0]);
    expect(() => new nn.BCELoss().forward(logits.mul(10), y)).toThrow(/bce: input\[\d+\] = .* is not a probability/);
  });

  it('torch.manual_seed(0) makes a whole run repeat: init, DataLoader shuffling and dropout', () => {
    const run = () => {
      manualSeed(0);
      const model = new nn.Sequential(new nn.Linear(4, 16), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(16, 3));
      const opt = new optim.Adam(model.parameters(), 0.01);
      const data = { x: randn(40, 4), y: tensor(Array.from({ length: 40 }, (_, i) => i % 3)) };
      const losses: number[] = [];
      for (let epoch = 0; epoch < 2; epoch++) {
        for (const [x, y] of new DataLoader(data, { batchSize: 8, shuffle: true })) {
          opt.zeroGrad();
          const l = loss.crossEntropy(model.forward(x), y);
          l.backward();
          opt.step();
          losses.push(l.item());
        }
      }
      return losses;
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1);
  });

  it('model.parameters() given to two optimizers: each step() updates them, as in PyTorch', () => {
    manualSeed(8);
    const model = new nn.Linear(3, 1);
    const w0 = Array.from(model.weight.data);
    const opt1 = new optim.SGD(model.parameters(), 0.1);
    const opt2 = new optim.SGD(model.parameters(), 0.05);
    const x = randn(4, 3);
    loss.mse(model.forward(x), zeros(4, 1)).backward();
    const g = Array.from(model.weight.grad!.data);
    opt1.step();
    opt2.step();
    Array.from(model.weight.data).forEach((v, i) => expect(v).toBeCloseTo(w0[i] - 0.15 * g[i], 6));
    opt2.zeroGrad();
    expect(model.weight.grad).toBeNull();
  });

  it('loadStateDict(sd, {strict: false}) loads what matches and returns the missing and unexpected keys', () => {
    manualSeed(3);
    const src = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 2));
    const dst = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU(), new nn.Linear(3, 5));
    const sd = src.stateDict();
    const partial = { '0.weight': sd['0.weight'], '0.bias': sd['0.bias'], 'head.weight': zeros(1) };
    expect(dst.loadStateDict(partial, { strict: false })).toEqual({ missingKeys: ['2.weight', '2.bias'], unexpectedKeys: ['head.weight'] });
    expect(Array.from((dst[0] as nn.Linear).weight.data)).toEqual(Array.from(sd['0.weight'].data));
    expect(() => dst.loadStateDict(partial)).toThrow(/missing keys.*'2.weight'/);
    expect(() => dst.loadStateDict(partial, { strcit: false } as never)).toThrow(/unknown option 'strcit'/);
    // best = copy.deepcopy(model.state_dict()): clone() each tensor; a structuredClone is refused with that advice.
    const best = Object.fromEntries(Object.entries(src.stateDict()).map(([k, v]) => [k, v.clone()]));
    noGrad(() => (src[0] as nn.Linear).weight.add_(1));
    src.loadStateDict(best);
    expect(Array.from((src[0] as nn.Linear).weight.data)).toEqual(Array.from(best['0.weight'].data));
    expect(() => src.loadStateDict(structuredClone(src.stateDict()))).toThrow(/structuredClone of a Tensor loses its class; snapshot with snapshotState\(model\) \(or t.clone\(\) each tensor\)/);
    // torch.load's result passed whole: what loadSafetensors returns is {tensors, metadata}.
    expect(() => dst.loadStateDict({ tensors: new Map(Object.entries(sd)), metadata: {} } as never)).toThrow(/loadSafetensors returns.*\.tensors/);
  });

  it('zero_grad: gradients become null (set_to_none, the default) or zeros with setToNone false, from the optimizer or the model', () => {
    manualSeed(4);
    const model = new nn.Sequential(new nn.Linear(3, 2));
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    const step = () => loss.mse(model.forward(randn(4, 3)), randn(4, 2)).backward();
    const bias = (model[0] as nn.Linear).bias!;
    step();
    opt.zeroGrad();
    expect(bias.grad).toBeNull();
    step();
    opt.zeroGrad({ setToNone: false });
    expect(bias.grad!.tolist()).toEqual([0, 0]);
    step();
    model.zeroGrad(false);
    expect(bias.grad!.tolist()).toEqual([0, 0]);
    step();
    model.zeroGrad();
    expect(bias.grad).toBeNull();
  });

  it("model.to('cpu') and model.float() change nothing; model.double() converts; a GPU device is refused", () => {
    manualSeed(5);
    const model = new nn.Sequential(new nn.Linear(3, 2), new nn.BatchNorm1d(2));
    const w = (model[0] as nn.Linear).weight;
    const before = Array.from(w.data);
    const data = w.data;
    expect(model.to('cpu')).toBe(model);
    expect(model.float()).toBe(model);
    expect(w.data).toBe(data);
    expect(model.double().forward(randn(4, 3, { dtype: 'float64' })).dtype).toBe('float64');
    expect(Array.from(w.data)).toEqual(before);
    expect(() => model.to('cuda:0' as never)).toThrow(/Sequential.to\(\): gradlab has no 'cuda:0' device/);
    expect(() => model.to('long' as never)).toThrow(/Sequential.to\(\): a model's parameters .* floating point/);
  });

  it('nn.Sequential given a class, a bare function or a list says how to write it', () => {
    expect(() => new nn.Sequential(new nn.Linear(2, 2), nn.ReLU as never)).toThrow(/argument 1 is the class ReLU, not a layer: write new nn.ReLU\(…\)/);
    expect(() => new nn.Sequential(new nn.Linear(2, 2), ((x: unknown) => x) as never)).toThrow(/argument 1 is a function.*Lambda/);
    expect(() => new nn.Sequential([new nn.Linear(2, 2)] as never)).toThrow(/argument 0 is not a Module \(got an array: spread it/);
  });

  it('nn.Sequential with a Lambda module, nn.LogSoftmax + nn.NLLLoss as nn.CrossEntropyLoss, paramGroups lr', () => {
    manualSeed(6);
    class Lambda extends nn.Module {
      constructor(readonly func: (x: any) => any) {
        super();
      }
      forward(x: any) {
        return this.func(x);
      }
    }
    const body = new nn.Sequential(
      new Lambda((x) => x.view(-1, 1, 4, 4)),
      new nn.Conv2d(1, 3, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.AdaptiveAvgPool2d(1),
      new Lambda((x) => x.view(x.shape[0], -1)),
    );
    const x = randn(5, 16);
    const y = tensor([0, 2, 1, 1, 0]);
    const logits = body.forward(x);
    expect(logits.shape).toEqual([5, 3]);
    const nllOut = new nn.NLLLoss().forward(new nn.LogSoftmax(1).forward(logits), y).item();
    expect(nllOut).toBeCloseTo(new nn.CrossEntropyLoss().forward(logits, y).item(), 6);
    expect(Object.keys(body.stateDict())).toEqual(['1.weight', '1.bias']);
    // for g in optimizer.param_groups: g['lr'] = 0.05
    const opt = new optim.SGD(body.parameters(), { lr: 0.1 });
    for (const g of opt.paramGroups) g.lr = 0.05;
    expect(opt.lr).toBe(0.05);
    // clip_grad_norm_ returns the total norm before clipping.
    new nn.CrossEntropyLoss().forward(body.forward(x), y).backward();
    let sq = 0;
    for (const p of body.parameters()) for (const g of p.grad!.data) sq += g * g;
    expect(optim.clipGradNorm(body.parameters(), 1e-3)).toBeCloseTo(Math.sqrt(sq), 5);
    noGrad(() => {
      for (const p of body.parameters()) p.sub_(p.grad!.mul(0.05));
    });
  });
});
