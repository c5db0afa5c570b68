// A TypeScript user's training script, written from PyTorch habits against the package as published
// ('gradlab' through package.json's exports). test/types.test.ts type-checks it with `tsc --strict`
// under the module resolutions users' projects have (nodenext, bundler), then runs the emitted JS:
// every call here must type-check and work.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataLoader, EarlyStopping, Generator, Subset, TensorDataset, autograd, defaultCollate, evaluate, fit, init, loss, manualSeed, nn, noGrad, ops, ops as F, optim, predict, randn, randint, multinomial, randomSplit, snapshotState, tensor, zeros, type Report, type Tensor } from 'gradlab';
import type { RemovableHandle } from 'gradlab';
import { loadSafetensors, loadTorchFile, saveSafetensors, saveTorchFile } from 'gradlab/node';

manualSeed(0);

// A model subclass with typed fields, as a PyTorch user writes it.
class Net extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2 = new nn.Conv2d(4, 8, 3, { padding: 1, bias: false });
  pool = new nn.MaxPool2d(2);
  dropout = new nn.Dropout(0.25);
  blocks: nn.ModuleList<nn.Conv2d>;
  heads = new nn.ModuleDict({ fc: new nn.Linear(8 * 2 * 2, 3) });
  declare mask: Tensor;

  constructor() {
    super();
    this.conv1 = new nn.Conv2d(1, 4, 3, 1, 1);
    this.bn1 = new nn.BatchNorm2d(4, { momentum: 0.1, eps: 1e-5 });
    this.blocks = new nn.ModuleList([new nn.Conv2d(8, 8, 1)]);
    this.registerBuffer('mask', zeros(1, 8, 1, 1).add(1));
    for (const m of this.modules()) {
      if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else if (m instanceof nn.BatchNorm2d) {
        nn.init.constant_(m.weight!, 1);
        nn.init.zeros_(m.bias!);
      }
    }
  }

  forward(x: Tensor): Tensor {
    x = F.relu(this.bn1.forward(this.conv1.forward(x)));
    x = this.pool.forward(x);
    x = F.relu(this.conv2.forward(x));
    for (const conv of this.blocks) x = x.add(conv.forward(x));
    x = x.mul(this.mask);
    x = F.avgPool2d(x, 2);
    x = this.dropout.forward(x);
    x = x.view(x.shape[0], -1);
    x = F.dropout(x, { p: 0.1, training: this.training });
    return this.heads.get('fc').forward(x);
  }
}

// A module of two inputs, as PyTorch's forward(self, x, mask).
class Masked extends nn.Module {
  lin = new nn.Linear(4, 4);
  forward(x: Tensor, mask: Tensor): Tensor {
    return this.lin.forward(x).mul(mask);
  }
}
const masked = new Masked();
let maskedInputs = 0;
masked.registerForwardHook((_m, input) => void (maskedInputs = input.length));
const maskedOut: Tensor = masked.forward(randn(2, 4), tensor([[1, 0, 1, 0], [0, 1, 0, 1]]));
if (maskedInputs !== 2 || maskedOut.shape[1] !== 4) throw new Error('two-input module');

// A map-style dataset: length + get(i), as PyTorch's __len__/__getitem__.
class Blobs {
  private readonly xs: Tensor;
  constructor(readonly length: number) {
    this.xs = randn(length, 1, 8, 8);
  }
  get(i: number): [Tensor, number] {
    return [this.xs.select(0, i), i % 3];
  }
}

const model = new Net();
const dataset = new Blobs(24);
const loader = new DataLoader(dataset, { batchSize: 8, shuffle: true });
const optimizer = new optim.SGD([{ params: model.parameters() }], { lr: 0.05, momentum: 0.9, weightDecay: 1e-4 });
const scheduler = new optim.StepLR(optimizer, { stepSize: 1, gamma: 0.7 });
const criterion = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });

// Hooks: activation statistics per layer, gradient norms per layer.
const stats = new Map<string, { mean: number; std: number; dead: number }>();
const gradNorms = new Map<string, number>();
const handles: RemovableHandle[] = [];
for (const [name, m] of model.namedModules()) {
  if (!(m instanceof nn.Conv2d || m instanceof nn.Linear)) continue;
  handles.push(m.registerForwardHook((_mod, _input, output: Tensor) => {
    stats.set(name, { mean: output.mean().item(), std: output.std().item(), dead: output.le(0).float().mean().item() });
  }));
  handles.push(m.registerFullBackwardHook((_mod, _gradInput, gradOutput) => {
    gradNorms.set(name, gradOutput[0]?.norm().item() ?? 0);
  }));
}
const w = model.conv1.weight;
const wHook = w.registerHook((g: Tensor) => g.clamp(-10, 10));

let runningLoss = 0;
for (let epoch = 0; epoch < 2; epoch++) {
  model.train();
  for (const [i, [inputs, labels]] of [...loader].entries()) {
    optimizer.zeroGrad();
    const outputs = model.forward(inputs);
    const l = criterion.forward(outputs, labels);
    l.backward();
    const total: number = optim.clipGradNorm(model.parameters(), 5.0);
    if (!Number.isFinite(total)) throw new Error('non-finite gradient');
    optimizer.step();
    runningLoss += l.item();
    if (i === 0) for (const [n, p] of model.namedParameters()) if (p.grad !== null) gradNorms.set(`param ${n}`, p.grad.norm().item());
  }
  scheduler.step();
}
for (const h of handles) h.remove();
wHook.remove();
if (stats.size !== 4 || gradNorms.size < 4) throw new Error(`hooks: ${stats.size} layers, ${gradNorms.size} gradient norms`);

// Reductions: the {dim, keepdim} object form and the positional forms.
const x = randn(4, 5);
const s1: Tensor = x.sum({ dim: 1, keepdim: true });
const s2: Tensor = x.sum(1, true);
const s3: Tensor = x.mean({ dim: [0, 1] });
const s4: Tensor = ops.sum(x, 0);
const am: Tensor = x.argmax({ dim: 1, keepdim: true });
const sd: Tensor = x.std(0, { unbiased: false });
const v: Tensor = x.var({ dim: 1, unbiased: true, keepdim: false });
const { values, indices } = x.max(1);
const [topv, topi] = x.topk(2, { dim: 1 });
const mx: Tensor = x.max({ dim: 1, keepdim: true }).values;
const n2: Tensor = x.norm(2, 1);
const lse: Tensor = x.logSumExp({ dim: 1 });
const sm: Tensor = x.softmax({ dim: 1 });
const lsm: Tensor = F.logSoftmax(x, { dim: 1 });
const catd: Tensor = ops.cat([x, lsm], { dim: 1 });
if (catd.shape[1] !== 10) throw new Error('cat {dim}');
const shapes = [s1, s2, s3, s4, am, sd, v, values, indices, topv, topi, mx, n2, lse, sm].map((t) => t.shape.join('x'));
if (shapes.join(' ') !== '4x1 4x1  5 4x1 5 4 4 4 4x2 4x2 4x1 4 4 4x5') throw new Error(`reduction shapes: ${shapes.join(' ')}`);

// Losses with options, the functional forms.
const logits = randn(6, 3, { requiresGrad: true });
const target = tensor([0, 1, 2, 1, 0, 2]);
const l1: Tensor = loss.crossEntropy(logits, target, { reduction: 'sum', labelSmoothing: 0.05 });
const l2: Tensor = F.nllLoss(F.logSoftmax(logits, 1), target, { reduction: 'none' });
const l3: Tensor = new nn.MSELoss({ reduction: 'mean' }).forward(logits, zeros(6, 3));
const l4: Tensor = F.binaryCrossEntropyWithLogits(logits, zeros(6, 3), { posWeight: tensor([1, 2, 3]) });
l1.add(l2.sum()).add(l3).add(l4).backward({ retainGraph: false });
const [gl] = autograd.grad(F.crossEntropy(logits, target), [logits]);
if (gl === null || gl.shape.join() !== '6,3') throw new Error('autograd.grad');

// Evaluation, the way examples/mnist's test() writes it.
model.eval();
let correct = 0;
let testLoss = 0;
noGrad(() => {
  for (const [data, labels] of new DataLoader(dataset, { batchSize: 12 })) {
    const output = F.logSoftmax(model.forward(data), 1);
    testLoss += F.nllLoss(output, labels, { reduction: 'sum' }).item();
    const pred = output.argmax({ dim: 1, keepdim: true });
    correct += pred.eq(labels.viewAs(pred)).sum().item();
  }
});
const accuracy: number = correct / dataset.length;

// State dicts: the model's, a copy, strict=False, the optimizer's (gradlab's and PyTorch's form).
const sd1: Record<string, Tensor> = model.stateDict();
const best = snapshotState(model);
const copy = new Net();
copy.loadStateDict(best);
const { missingKeys, unexpectedKeys } = copy.loadStateDict({ 'conv1.weight': sd1['conv1.weight'] }, { strict: false });
const optState = optimizer.stateDict();
optimizer.loadStateDict(JSON.parse(JSON.stringify(optState)));
const torchState = optimizer.torchStateDict();
if (missingKeys.length === 0 || unexpectedKeys.length !== 0 || torchState.param_groups.length !== 1) throw new Error('state dicts');

// Other optimizers and schedules with PyTorch's options.
const params = model.parameters();
const adam = new optim.Adam(params, { lr: 1e-3, betas: [0.9, 0.999], amsgrad: true });
const adamw = new optim.AdamW(params, { lr: 1e-3, weightDecay: 0.01 });
const rms = new optim.RMSprop(params, { lr: 1e-2, alpha: 0.99, centered: true });
const adadelta = new optim.Adadelta(params, { lr: 1.0, rho: 0.9 });
const onecycle = new optim.OneCycleLR(adam, { maxLr: 0.1, totalSteps: 10 });
const cosine = new optim.CosineAnnealingLR(adamw, 10);
const plateau = new optim.ReduceLROnPlateau(rms, 'min', { patience: 2 });
const lambda = new optim.LambdaLR(adadelta, (e: number) => 0.95 ** e);
onecycle.step();
cosine.step();
plateau.step(testLoss);
lambda.step();
const lrs: number[] = [onecycle.getLastLr()[0], cosine.getLastLr()[0], lambda.getLastLr()[0]];
model.zeroGrad({ setToNone: true });
const vec: Tensor = nn.utils.parametersToVector(model.parameters());

// init with PyTorch's spellings, a Sequential and its indexing, fit on tensors.
const lin = new nn.Linear(4, 3);
init.xavierUniform_(lin.weight);
lin.bias!.data.fill_(0.01);
const gain: number = init.calculateGain('leaky_relu', 0.2);
const seq = new nn.Sequential(lin, new nn.ReLU(), new nn.Linear(3, 2));
const first = seq[0] as nn.Linear;
const xs = randn(32, 4);
const ys = tensor(Array.from({ length: 32 }, (_, i) => i % 2));
const report = await fit(seq, new DataLoader(new TensorDataset(xs, ys), { batchSize: 8, shuffle: true }), { epochs: 2, optimizer: 'adam', lr: 0.01 });
const [cx, cy] = defaultCollate([dataset.get(0), dataset.get(1)]) as [Tensor, Tensor];

// A custom autograd.Function, splits, a collateFn's typed batches, callbacks, files.
class Square extends autograd.Function {
  static override forward(ctx: autograd.FunctionCtx, x: Tensor): Tensor {
    ctx.saveForBackward(x);
    return x.mul(x);
  }
  static override backward(ctx: autograd.FunctionCtx, g: Tensor): Tensor {
    const [x] = ctx.savedTensors;
    return g.mul(x).mul(2);
  }
}
const sq = Square.apply;
const a = randn(3, { requiresGrad: true });
sq(a).sum().backward();
const longLabels = tensor([1, 0, 2], { dtype: 'long' });
const asNumber: number = Number(a.sum());
const catted: Tensor = ops.cat([a, a], 0);
seq.apply((m: nn.Module) => {
  if (m instanceof nn.Linear) nn.init.xavierUniform_(m.weight);
});
const adam2 = new optim.Adam(seq.parameters(), { lr: 1e-3 });
for (const g of adam2.paramGroups) g.lr = 0.01;
const [trainPart, valPart] = randomSplit(new TensorDataset(xs, ys), [0.75, 0.25], new Generator(42));
for (const [xb, yb] of new DataLoader(trainPart, { batchSize: 8 })) if (xb.shape[0] !== yb.shape[0]) throw new Error('split batch');
const custom = new DataLoader(new Subset(new TensorDataset(xs, ys), [0, 1, 2]), {
  batchSize: 2,
  collateFn: (items: Array<[Tensor, Tensor]>) => ({ x: ops.stack(items.map((i) => i[0])), n: items.length }),
});
let items = 0;
for (const b of custom) items += b.n;
const report2: Report = await fit(seq, { x: xs, y: ys }, { epochs: 2, validationSplit: 0.25, callbacks: [new EarlyStopping({ monitor: 'valLoss', patience: 2, restoreBestWeights: true })] });
const scored = await evaluate(seq, { x: xs, y: ys });
const predicted = await predict(seq, xs);
const files = mkdtempSync(join(tmpdir(), 'gradlab-user-'));
await saveTorchFile(join(files, 'ck.pt'), { epoch: 1, model_state_dict: seq.stateDict(), optimizer_state_dict: adam2.torchStateDict() });
const ck = (await loadTorchFile(join(files, 'ck.pt'))).object as { epoch: number; model_state_dict: Record<string, Tensor> };
seq.loadStateDict(ck.model_state_dict);
await saveSafetensors(join(files, 'm.safetensors'), seq.stateDict());
seq.loadStateDict((await loadSafetensors(join(files, 'm.safetensors'))).tensors);
if (items !== 3 || ck.epoch !== 1 || valPart.length !== 8 || catted.shape[0] !== 6 || !Number.isFinite(asNumber + scored.loss + report2.history.epochs.length) || (longLabels.tolist() as number[]).length !== 3 || predicted === undefined) {
  throw new Error('second part');
}

// Karpathy's makemore part 3: a generator, randint batches, C[Xb] (C.index(Xb) in TypeScript), the storage
// update, the diagnostics.
{
  const g = new Generator().manualSeed(2147483647);
  const C = randn([27, 10], { generator: g });
  C.requiresGrad = true;
  const Xtr = tensor([[0, 0, 5], [0, 5, 13], [5, 13, 13]]);
  const ix = randint(0, Xtr.shape[0], [4], { generator: g });
  const emb = C.index(Xtr.index(ix));
  const h = F.tanh(emb.view(emb.shape[0], -1));
  h.retainGrad();
  h.pow(2).sum().backward();
  const [hy, hx] = F.histogram(h, { density: true });
  const dead = h.abs().gt(0.99).all(0).sum().item();
  C.data.add_(C.grad!, { alpha: -0.1 });
  const ud = noGrad(() => C.grad!.mul(0.1).std().div(C.std()).log10().item());
  const next = multinomial(F.softmax(tensor([[1, 2, 3]]), 1), 1, { generator: g }).item();
  if (emb.shape.length !== 3 || hy.shape[0] !== 100 || hx.shape[0] !== 101 || !Number.isFinite(ud + dead + next) || h.grad === null) throw new Error('makemore');
}

// Porting: masked_fill, split/chunk, cumsum, clone, GELU(approximate='tanh'), Softplus(beta), maximize.
{
  const x = randn(4, 6, { requiresGrad: true });
  const [a, b] = x.split([4, 2], { dim: 1 });
  const parts: Tensor[] = x.chunk(3, 1);
  const act = new nn.Sequential(new nn.GELU({ approximate: 'tanh' }), new nn.Softplus({ beta: 2, threshold: 5 }));
  const y = act.forward(a.cumsum({ dim: 1 }).maskedFill(a.gt(0), 0)).sum().add(b.clone().sum()).add(F.gelu(parts[0], 'tanh').sum());
  y.backward();
  new optim.Adam([x], { lr: 0.01, maximize: true }).step();
  if (x.grad === null || ops.softplus(x, { beta: 2 }).shape[1] !== 6 || ops.split(x, 2, 1).length !== 3) throw new Error('porting');
}

console.log(JSON.stringify({
  epochs: report.history.epochs.length,
  findings: report.findings.map((f) => f.rule),
  accuracy,
  runningLoss: Number.isFinite(runningLoss),
  lrs: lrs.every(Number.isFinite),
  vec: vec.shape,
  gain,
  first: first.weight.shape,
  batch: [cx.shape, cy.shape],
}));
