/**
 * Differential fuzz against PyTorch 1.13: every case of fixtures/pytorch-fuzz.json (written by
 * fixtures/pytorch-fuzz.py) replayed through the public API on every backend, values and
 * gradients compared in float32, NaN and ±∞ where PyTorch has them.
 */
import { expect, it } from 'vitest';
import { nn, ops, loss, optim, tensor, Tensor } from '../src/index.js';
import { describeEachBackend, fixture } from './helpers/check.js';

type Num = number | 'nan' | 'inf' | '-inf';
interface Enc { shape: number[]; data: Num[] }
interface In extends Enc { grad: boolean }
interface Case {
  name: string;
  op: string;
  args: Record<string, any>;
  inputs: In[];
  cot: Enc;
  output: Enc;
  grads: Array<Enc | null>;
  runningAfter?: [Enc, Enc];
  params?: Enc[];
  stepGrads?: Enc[][];
  after?: Enc[][];
}

const { cases } = fixture<{ cases: Case[] }>('pytorch-fuzz.json');

const num = (v: Num): number => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);
const values = (e: Enc): Float32Array => Float32Array.from(e.data, num);
const load = (e: Enc, requiresGrad = false): Tensor => tensor(values(e), e.shape, { requiresGrad });
const opt = (e: Enc | undefined): Tensor | undefined => (e ? load(e) : undefined);

/**
 * float32 agreement: |a − e| ≤ atol + rtol·|e| with the absolute floor scaled by the largest
 * expected magnitude (sums of many products round at that scale); NaN only where PyTorch has NaN,
 * ±∞ exactly.
 */
function expectClose(actual: ArrayLike<number>, expected: Enc, label: string): void {
  const e = values(expected);
  expect(actual.length, `${label}: element count`).toBe(e.length);
  let scale = 1;
  for (const v of e) if (Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  const atol = 2e-5 * scale;
  const rtol = 1e-4;
  for (let i = 0; i < e.length; i++) {
    const a = actual[i];
    const want = e[i];
    const ok = Number.isNaN(want) ? Number.isNaN(a) : !Number.isFinite(want) ? a === want : Math.abs(a - want) <= atol + rtol * Math.abs(want);
    if (!ok) expect.fail(`${label}[${i}]: gradlab ${a}, PyTorch ${want} (of [${e.slice(0, 12).join(', ')}${e.length > 12 ? ', …' : ''}])`);
  }
}

/** Where a case's gradients are read when not from its inputs (a module's own parameters). */
let gradsOf: Tensor[] | null = null;

/** A module's weight (and bias) set to the case's inputs 1 (and 2), whose gradients are then compared. */
function setParams(m: { weight: Tensor | null; bias: Tensor | null }, xs: Tensor[]): void {
  if (m.weight) m.weight.data.set(xs[1].data);
  if (m.bias && xs[2]) m.bias.data.set(xs[2].data);
  gradsOf = [xs[0], ...(m.weight ? [m.weight] : []), ...(m.bias && xs[2] ? [m.bias] : [])];
}

/** gradlab's call for a case, in the way users write it; inputs in the fixture's order. */
function call(c: Case, xs: Tensor[]): Tensor {
  const a = c.args;
  const [x, y] = xs;
  const red = a.reduction;
  switch (c.op) {
    case 'exp': case 'neg': case 'abs': case 'sin': case 'cos': case 'sigmoid': case 'tanh': case 'relu':
    case 'selu': case 'gelu': case 'silu': case 'softplus': case 'log': case 'sqrt': case 'log10':
      return (ops[c.op] as (t: Tensor) => Tensor)(x);
    case 'elu': return ops.elu(x, a.alpha);
    case 'leakyRelu': return ops.leakyRelu(x, a.negativeSlope);
    case 'clamp': return ops.clamp(x, a.min, a.max);
    case 'pow': return ops.pow(x, a.exponent);
    case 'powTensor': return ops.pow(x, y);
    case 'prelu': return ops.prelu(x, y);
    case 'add': case 'sub': case 'mul': case 'div': return ops[c.op](x, y);
    case 'where': return ops.where(xs[0], xs[1], xs[2]);
    case 'sum': return a.dim === null ? ops.sum(x) : ops.sum(x, a.dim, a.keepdim);
    case 'mean': return a.dim === null ? ops.mean(x) : ops.mean(x, a.dim, a.keepdim);
    case 'variance': return ops.variance(x, a.dim ?? undefined, a.unbiased, a.keepdim);
    case 'std': return ops.std(x, a.dim ?? undefined, a.unbiased, a.keepdim);
    case 'logSumExp': return ops.logSumExp(x, a.dim, a.keepdim);
    case 'max': case 'min': return a.dim === null ? ops[c.op](x) : ops[c.op](x, a.dim, a.keepdim).values;
    case 'amax': case 'amin': return a.dim === null ? ops[c.op](x) : ops[c.op](x, a.dim, a.keepdim);
    case 'norm': return x.norm(num(a.p), a.dim ?? undefined, a.keepdim);
    case 'softmax': return ops.softmax(x, a.dim);
    case 'logSoftmax': return ops.logSoftmax(x, a.dim);
    case 'mse': return loss.mse(x, y, { reduction: red });
    case 'l1': return loss.l1(x, y, { reduction: red });
    case 'huber': return loss.huber(x, y, { reduction: red, delta: a.delta });
    case 'smoothL1': return loss.smoothL1(x, y, { reduction: red, beta: a.beta });
    case 'bceWithLogits': return loss.bceWithLogits(x, y, { reduction: red, weight: opt(a.weight), posWeight: opt(a.posWeight) });
    // nn.BCELoss(weight) as PyTorch users build it, the functional form without.
    case 'bce': return a.weight ? new nn.BCELoss(load(a.weight), { reduction: red }).forward(x, y) : loss.bce(x, y, { reduction: red });
    case 'crossEntropy': return loss.crossEntropy(x, y, { reduction: red, weight: opt(a.weight), ignoreIndex: a.ignoreIndex, labelSmoothing: a.labelSmoothing });
    case 'nllLoss': return loss.nllLoss(x, y, { reduction: red, weight: opt(a.weight), ignoreIndex: a.ignoreIndex });
    case 'klDiv': return loss.klDiv(x, y, { reduction: red, logTarget: a.logTarget });
    case 'layerNorm': {
      if (!a.module) return ops.layerNorm(x, a.normalizedShape, y ?? null, xs[2] ?? null, a.eps);
      // nn.LayerNorm with the case's γ and β written into its parameters, whose gradients are compared.
      const m = new nn.LayerNorm(a.normalizedShape, a.eps, xs.length > 1);
      if (m.weight && m.bias) {
        m.weight.data.set(y.data);
        m.bias.data.set(xs[2].data);
        gradsOf = [x, m.weight, m.bias];
      }
      return m.forward(x);
    }
    case 'matmul': return ops.matmul(x, y);
    case 'permute': return x.permute(a.dims);
    case 'transpose': return ops.transpose(x, a.dim0, a.dim1);
    case 'reshape': return x.reshape(a.shape);
    case 'flatten': return ops.flatten(x, a.startDim);
    case 'narrow': return ops.narrow(x, a.dim, a.start, a.length);
    case 'select': return ops.select(x, a.dim, a.index);
    case 'unsqueeze': return ops.unsqueeze(x, a.dim);
    case 'squeeze': return ops.squeeze(x, a.dim);
    case 'cat': return ops.cat(xs, a.dim);
    case 'stack': return ops.stack(xs, a.dim);
    case 'gather': return ops.gather(x, a.dim, y);
    case 'indexSelect': return ops.indexSelect(x, a.dim, y);
    case 'embedding': return ops.embedding(x, y, a.paddingIdx);
    case 'linearActivation': {
      const Act = { relu: nn.ReLU, sigmoid: nn.Sigmoid, tanh: nn.Tanh }[a.activation as 'relu' | 'sigmoid' | 'tanh'];
      const lin = new nn.Linear(y.shape[1], y.shape[0]);
      const model = new nn.Sequential(lin, new Act());
      setParams(lin, xs);
      return model.forward(x);
    }
    case 'linear': {
      if (!a.module) return ops.linear(x, y, xs[2] ?? null);
      const m = new nn.Linear(y.shape[1], y.shape[0], { bias: xs.length > 2 });
      setParams(m, xs);
      return m.forward(x);
    }
    case 'conv2d': {
      if (!a.module) return ops.conv2d(x, y, xs[2] ?? null, a.stride, a.padding, a.dilation, a.groups);
      const [o, cg, kh, kw] = y.shape;
      const m = new nn.Conv2d(cg * a.groups, o, [kh, kw], { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups, bias: xs.length > 2 });
      setParams(m, xs);
      return m.forward(x);
    }
    case 'maxPool2d': return ops.maxPool2d(x, a.kernelSize, a.stride, a.padding, a.dilation);
    case 'avgPool2d': return ops.avgPool2d(x, a.kernelSize, a.stride, a.padding);
    case 'MaxPool2d': return new nn.MaxPool2d(a.kernelSize, { stride: a.stride, padding: a.padding, dilation: a.dilation, ceilMode: a.ceilMode }).forward(x);
    case 'AvgPool2d': return new nn.AvgPool2d(a.kernelSize, a.stride, a.padding, a.ceilMode, a.countIncludePad, a.divisorOverride).forward(x);
    case 'adaptiveAvgPool2d': return ops.adaptiveAvgPool2d(x, a.outputSize);
    case 'dropout': return ops.dropout(x, a.p, a.training);
    default: throw new Error(`no gradlab call for op '${c.op}'`);
  }
}

function runOpCase(c: Case): void {
  const xs = c.inputs.map((e) => load(e, e.grad));
  gradsOf = null;
  let running: [Tensor, Tensor] | null = null;
  let out: Tensor;
  if (c.op === 'batchNorm') {
    const a = c.args;
    if (a.module) {
      // nn.BatchNorm1d/2d in train() or eval(), its running statistics set to the case's.
      const Bn = xs[0].ndim === 4 ? nn.BatchNorm2d : nn.BatchNorm1d;
      const m = new Bn(xs[0].shape[1], { momentum: a.momentum, eps: a.eps, affine: a.affine });
      m.runningMean!.data.set(values(a.runningMean));
      m.runningVar!.data.set(values(a.runningVar));
      setParams(m, xs);
      if (!a.training) m.eval();
      running = [m.runningMean!, m.runningVar!];
      out = m.forward(xs[0]);
    } else {
      running = [load(a.runningMean), load(a.runningVar)];
      out = ops.batchNorm(xs[0], running[0], running[1], xs[1] ?? null, xs[2] ?? null, a.training, a.momentum, a.eps);
    }
  } else out = call(c, xs);
  expect(out.shape, `${c.name}: shape`).toEqual(c.output.shape);
  expectClose(out.data, c.output, `${c.name} output`);
  if (running) {
    expectClose(running[0].data, c.runningAfter![0], `${c.name} runningMean`);
    expectClose(running[1].data, c.runningAfter![1], `${c.name} runningVar`);
  }
  if (!c.grads.some(Boolean)) return;
  out.backward(load(c.cot));
  c.grads.forEach((g, i) => {
    if (g) expectClose((gradsOf ?? xs)[i].grad!.data, g, `${c.name} grad of input ${i}`);
  });
}

function runOptimCase(c: Case): void {
  const { kind, options } = c.args as { kind: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop' | 'Adagrad'; options: Record<string, any> };
  const params = c.params!.map((e) => load(e, true));
  const o = new optim[kind](params, options as never);
  c.stepGrads!.forEach((step, s) => {
    params.forEach((p, j) => (p.grad = load(step[j])));
    o.step();
    params.forEach((p, j) => expectClose(p.data, c.after![s][j], `${c.name} step ${s + 1} param ${j}`));
  });
}

describeEachBackend('differential fuzz against PyTorch', () => {
  it('has the fixture cases', () => expect(cases.length).toBeGreaterThan(250));
  for (const c of cases) {
    it(c.name, () => (c.op === 'optim' ? runOptimCase(c) : runOpCase(c)));
  }
});
