/**
 * The library misused the way users misuse it: every op (and the layers' constructors and
 * forwards) called with one argument swapped for a random hostile value — a tensor of another
 * rank or shape (empty ones too), NaN, a negative or fractional number, a string, null, a
 * BigInt, a plain object, a ragged array. Contract: either a result (finite, when the inputs
 * were finite and the op cannot make NaN of finite values) or an `Error` whose message names the
 * op or the argument — never a TypeError from deep inside ("cannot read properties of
 * undefined"), never a RangeError from WebAssembly or a typed array, never a hang.
 * Seeded (GRADLAB_FUZZ_SEED); GRADLAB_FUZZ=long runs 20× the cases. On the wasm kernels, as users run.
 */
import { describe, expect, it } from 'vitest';
import '../../src/kernels/auto.js';
import { ready } from '../../src/kernels/auto.js';
import * as loss from '../../src/loss.js';
import { DataLoader, TensorDataset } from '../../src/data/index.js';
import * as init from '../../src/init.js';
import * as nn from '../../src/nn/index.js';
import * as optim from '../../src/optim/index.js';
import * as ops from '../../src/ops/index.js';
import type { Generator } from '../../src/random.js';
import { Tensor, randn, tensor } from '../../src/index.js'; // the index installs the Tensor methods
import { cases, rng } from './fuzz.js';
import { memoryInfo, stepBoundary } from '../../src/memory.js';

type Args = unknown[];
interface OpCase {
  name: string;
  /** Words one of which an error about this op must contain (the op's name by default). */
  names?: string[];
  good: () => Args;
  call: (...a: Args) => unknown;
  /** Leading arguments never replaced (a method's receiver: `null.view()` is the caller's TypeError). */
  fixed?: number;
  /** Can turn finite inputs into NaN/Inf (log of a negative, division by zero, empty means). */
  mayNaN?: boolean;
}

const x2 = (): Tensor => randn([3, 4]);
const x4 = (): Tensor => randn([2, 3, 6, 6]);
const OPS: OpCase[] = [
  { name: 'add', good: () => [x2(), x2()], call: (a, b) => ops.add(a as Tensor, b as Tensor) },
  { name: 'mul', good: () => [x2(), randn([4])], call: (a, b) => ops.mul(a as Tensor, b as Tensor) },
  { name: 'div', good: () => [x2(), x2()], call: (a, b) => ops.div(a as Tensor, b as Tensor), mayNaN: true },
  { name: 'matmul', good: () => [x2(), randn([4, 2])], call: (a, b) => ops.matmul(a as Tensor, b as Tensor) },
  { name: 'linear', good: () => [x2(), randn([5, 4]), randn([5])], call: (a, b, c) => ops.linear(a as Tensor, b as Tensor, c as Tensor) },
  { name: 'sum', good: () => [x2(), 1, false], call: (a, b, c) => ops.sum(a as Tensor, b as number, c as boolean) },
  { name: 'mean', good: () => [x2(), 0, true], call: (a, b, c) => ops.mean(a as Tensor, b as number, c as boolean), mayNaN: true },
  { name: 'relu', good: () => [x2()], call: (a) => ops.relu(a as Tensor) },
  { name: 'leakyRelu', good: () => [x2(), 0.1], call: (a, b) => ops.leakyRelu(a as Tensor, b as number) },
  { name: 'prelu', good: () => [randn([3, 4, 2]), randn([4])], call: (a, b) => ops.prelu(a as Tensor, b as Tensor) },
  { name: 'elu', good: () => [x2(), 1], call: (a, b) => ops.elu(a as Tensor, b as number) },
  { name: 'softmax', good: () => [x2(), 1], call: (a, b) => ops.softmax(a as Tensor, b as number) },
  { name: 'logSoftmax', good: () => [x2(), -1], call: (a, b) => ops.logSoftmax(a as Tensor, b as number) },
  {
    name: 'batchNorm',
    good: () => [x2(), tensor([0, 0, 0, 0]), tensor([1, 1, 1, 1]), randn([4]), randn([4]), true, 0.1, 1e-5],
    call: (...a) => ops.batchNorm(...(a as Parameters<typeof ops.batchNorm>)),
    mayNaN: true, // a negative runningVar: √ of it, as in PyTorch
  },
  { name: 'dropout', good: () => [x2(), 0.5, true], call: (a, b, c) => ops.dropout(a as Tensor, b as number, c as boolean) },
  { name: 'reshape', good: () => [x2(), [2, -1]], call: (a, b) => ops.reshape(a as Tensor, b as number[]) },
  { name: 'flatten', good: () => [x4(), 1, -1], call: (a, b, c) => ops.flatten(a as Tensor, b as number, c as number) },
  { name: 'transpose', good: () => [x2(), 0, 1], call: (a, b, c) => ops.transpose(a as Tensor, b as number, c as number) },
  { name: 'permute', good: () => [x4(), [0, 2, 3, 1]], call: (a, b) => ops.permute(a as Tensor, b as number[]) },
  { name: 'exp', good: () => [x2()], call: (a) => ops.exp(a as Tensor), mayNaN: true },
  { name: 'log', good: () => [x2()], call: (a) => ops.log(a as Tensor), mayNaN: true },
  { name: 'pow', good: () => [x2(), 2], call: (a, b) => ops.pow(a as Tensor, b as number), mayNaN: true },
  { name: 'clamp', good: () => [x2(), -0.5, 0.5], call: (a, b, c) => ops.clamp(a as Tensor, b as number, c as number) },
  { name: 'where', good: () => [ops.gt(x2(), tensor(0)), x2(), x2()], call: (a, b, c) => ops.where(a as Tensor, b as Tensor, c as Tensor) },
  { name: 'max', good: () => [x2(), 1], call: (a, b) => ops.max(a as Tensor, b as number) },
  { name: 'argmax', good: () => [x2(), 1], call: (a, b) => ops.argmax(a as Tensor, b as number) },
  { name: 'logSumExp', good: () => [x2(), 1], call: (a, b) => ops.logSumExp(a as Tensor, b as number) },
  { name: 'cat', good: () => [[x2(), randn([2, 4])], 0], call: (a, b) => ops.cat(a as Tensor[], b as number) },
  { name: 'stack', good: () => [[x2(), x2()], 1], call: (a, b) => ops.stack(a as Tensor[], b as number) },
  { name: 'unsqueeze', good: () => [x2(), 1], call: (a, b) => ops.unsqueeze(a as Tensor, b as number) },
  { name: 'squeeze', good: () => [randn([3, 1, 4]), 1], call: (a, b) => ops.squeeze(a as Tensor, b as number) },
  { name: 'gather', good: () => [x2(), 1, tensor([[0, 1], [2, 3], [1, 1]])], call: (a, b, c) => ops.gather(a as Tensor, b as number, c as Tensor) },
  { name: 'narrow', good: () => [x2(), 1, 1, 2], call: (a, b, c, d) => ops.narrow(a as Tensor, b as number, c as number, d as number) },
  { name: 'select', good: () => [x2(), 0, 2], call: (a, b, c) => ops.select(a as Tensor, b as number, c as number) },
  {
    name: 'conv2d',
    good: () => [x4(), randn([4, 3, 3, 3]), randn([4]), 1, 1, 1, 1],
    call: (...a) => ops.conv2d(...(a as Parameters<typeof ops.conv2d>)),
  },
  { name: 'maxPool2d', good: () => [x4(), 2, 2, 0], call: (...a) => ops.maxPool2d(...(a as Parameters<typeof ops.maxPool2d>)) },
  { name: 'avgPool2d', good: () => [x4(), 3, 1, 1], call: (...a) => ops.avgPool2d(...(a as Parameters<typeof ops.avgPool2d>)) },
  { name: 'adaptiveAvgPool2d', good: () => [x4(), 2], call: (a, b) => ops.adaptiveAvgPool2d(a as Tensor, b as number) },
  { name: 'crossEntropy', good: () => [x2(), tensor([0, 3, 1]), {}], call: (a, b, c) => loss.crossEntropy(a as Tensor, b as Tensor, c as object) },
  { name: 'mse', good: () => [x2(), x2(), { reduction: 'sum' }], call: (a, b, c) => loss.mse(a as Tensor, b as Tensor, c as object) },
  { name: 'bceWithLogits', good: () => [x2(), ops.gt(x2(), tensor(0))], call: (a, b) => loss.bceWithLogits(a as Tensor, b as Tensor) },
  { name: 'Linear', good: () => [4, 5, {}], call: (a, b, c) => new nn.Linear(a as number, b as number, c as object).forward(x2()) },
  {
    name: 'Conv2d',
    names: ['Conv2d', 'conv2d'],
    good: () => [3, 4, 3, { padding: 1 }],
    call: (a, b, c, d) => new nn.Conv2d(a as number, b as number, c as number, d as object).forward(x4()),
  },
  { name: 'BatchNorm1d', names: ['BatchNorm1d', 'batchNorm'], good: () => [4, {}], call: (a, b) => new nn.BatchNorm1d(a as number, b as object).forward(x2()) },
  { name: 'MaxPool2d', names: ['MaxPool2d', 'maxPool2d'], good: () => [2, 2, 0], call: (a, b, c) => new nn.MaxPool2d(a as number, b as number, c as number).forward(x4()) },
  { name: 'Dropout', good: () => [0.2], call: (a) => new nn.Dropout(a as number).forward(x2()) },
  { name: 'tensor()', names: ['tensor()', 'Tensor'], good: () => [[[1, 2], [3, 4]], [2, 2]], call: (a, b) => tensor(a as number[], b as number[]) },
  { name: 'gelu', good: () => [x2()], call: (a) => ops.gelu(a as Tensor) },
  { name: 'sigmoid', good: () => [x2()], call: (a) => ops.sigmoid(a as Tensor) },
  { name: 'softplus', good: () => [x2()], call: (a) => ops.softplus(a as Tensor) },
  { name: 'variance', good: () => [x2(), 1], call: (a, b) => ops.variance(a as Tensor, b as number), mayNaN: true },
  { name: 'min', good: () => [x2(), 0], call: (a, b) => ops.min(a as Tensor, b as number) },
  { name: 'argmin', good: () => [x2(), 0], call: (a, b) => ops.argmin(a as Tensor, b as number) },
  { name: 'eq', good: () => [x2(), x2()], call: (a, b) => ops.eq(a as Tensor, b as Tensor) },
  { name: 'alphaDropout', good: () => [x2(), 0.2, true], call: (a, b, c) => ops.alphaDropout(a as Tensor, b as number, c as boolean) },
  { name: 'huber', good: () => [x2(), x2(), { delta: 1 }], call: (a, b, c) => loss.huber(a as Tensor, b as Tensor, c as object) },
  { name: 'l1', good: () => [x2(), x2()], call: (a, b) => loss.l1(a as Tensor, b as Tensor) },
  { name: 'BatchNorm2d', names: ['BatchNorm2d', 'batchNorm'], good: () => [3, { momentum: 0.1 }], call: (a, b) => new nn.BatchNorm2d(a as number, b as object).forward(x4()) },
  { name: 'AvgPool2d', names: ['AvgPool2d', 'avgPool2d'], good: () => [3, 1, 1], call: (a, b, c) => new nn.AvgPool2d(a as number, b as number, c as number).forward(x4()) },
  { name: 'AdaptiveAvgPool2d', names: ['AdaptiveAvgPool2d', 'adaptiveAvgPool2d'], good: () => [2], call: (a) => new nn.AdaptiveAvgPool2d(a as number).forward(x4()) },
  { name: 'Flatten', names: ['Flatten', 'flatten'], good: () => [1, -1], call: (a, b) => new nn.Flatten(a as number, b as number).forward(x4()) },
  { name: 'Unflatten', names: ['Unflatten', 'unflatten', 'reshape'], good: () => [1, [2, 2]], call: (a, b) => new nn.Unflatten(a as number, b as number[]).forward(x2()) },
  { name: 'PReLU', names: ['PReLU', 'prelu'], good: () => [4, 0.25], call: (a, b) => new nn.PReLU(a as number, b as number).forward(x2()) },
  { name: 'LeakyReLU', names: ['LeakyReLU', 'leakyRelu'], good: () => [0.1], call: (a) => new nn.LeakyReLU(a as number).forward(x2()) },
  { name: 'clipGradNorm', good: () => [new nn.Linear(2, 2).parameters(), 1], call: (a, b) => optim.clipGradNorm(a as never, b as number) },
  // One option's value hostile (the options objects themselves are checked by checkOptions).
  { name: 'BatchNorm1d', names: ['BatchNorm1d', 'batchNorm'], good: () => [1e-5, 0.1], call: (eps, momentum) => new nn.BatchNorm1d(4, { eps, momentum } as never).forward(x2()) },
  { name: 'huber', good: () => [1], call: (delta) => loss.huber(x2(), x2(), { delta } as never) },
  { name: 'SGD', good: () => [0.1, 0.9, 0, 1e-4], call: (lr, momentum, dampening, weightDecay) => new optim.SGD(new nn.Linear(2, 2).parameters(), { lr, momentum, dampening, weightDecay } as never) },
  { name: 'Adam', good: () => [1e-3, 0.9, 0.999, 1e-8, 0], call: (lr, b1, b2, eps, weightDecay) => new optim.Adam(new nn.Linear(2, 2).parameters(), { lr, betas: [b1, b2], eps, weightDecay } as never) },
  { name: 'RMSprop', good: () => [1e-2, 0.99, 1e-8, 0], call: (lr, alpha, eps, momentum) => new optim.RMSprop(new nn.Linear(2, 2).parameters(), { lr, alpha, eps, momentum } as never) },
  { name: 'Conv2d', names: ['Conv2d', 'conv2d'], good: () => [1, 1, 1, 1], call: (stride, padding, dilation, groups) => new nn.Conv2d(3, 3, 3, { stride, padding, dilation, groups } as never).forward(x4()) },
  { name: 'DataLoader', good: () => [2, false, false], call: (batchSize, shuffle, dropLast) => [...new DataLoader(new TensorDataset(randn([5, 2]), randn([5])), { batchSize, shuffle, dropLast } as never)] },
  { name: 'kaimingNormal', good: () => [0, 'fanIn', 'relu'], call: (a, mode, nonlinearity) => init.kaimingNormal(randn([3, 4]), { a, mode, nonlinearity } as never) },
  { name: 'Linear', good: () => [true], call: (bias) => new nn.Linear(4, 2, { bias } as never).forward(x2()) },
  // Tensor methods, as PyTorch users write them.
  { fixed: 1, name: 'view', names: ['view', 'reshape'], good: () => [x2(), 2, 6], call: (a, ...d) => (a as Tensor).view(...(d as number[])) },
  { fixed: 1, name: 'sum', good: () => [x2(), 1], call: (a, d) => (a as Tensor).sum(d as number) },
  { fixed: 1, name: 'matmul', good: () => [x2(), randn([4, 2])], call: (a, b) => (a as Tensor).matmul(b as Tensor) },
  { fixed: 1, name: 'transpose', good: () => [x2(), 0, 1], call: (a, b, c) => (a as Tensor).transpose(b as number, c as number) },
  { name: 'Sequential', names: ['Sequential', 'linear', 'relu'], good: () => [x2()], call: (a) => new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU()).forward(a as Tensor) },
  { name: 'SGD', good: () => [{ lr: 0.1, momentum: 0.9 }], call: (a) => new optim.SGD(new nn.Linear(2, 2).parameters(), a as never) },
  { name: 'Adam', good: () => [{ lr: 1e-3, betas: [0.9, 0.999] }], call: (a) => new optim.Adam(new nn.Linear(2, 2).parameters(), a as never) },
  { name: 'DataLoader', good: () => [{ batchSize: 2, shuffle: true }], call: (a) => [...new DataLoader(new TensorDataset(randn([5, 2]), randn([5])), a as never)] },
  { name: 'kaimingUniform', names: ['kaimingUniform', 'computeFans', 'init'], good: () => [randn([3, 4]), { mode: 'fanIn' }], call: (a, b) => init.kaimingUniform(a as Tensor, b as never) },
];

/** A random shape: rank 0–4, sizes 0–4 (empty tensors included). */
function shape(g: Generator): number[] {
  const rank = Math.floor(g.random() * 5);
  return Array.from({ length: rank }, () => Math.floor(g.random() * 5));
}

/** One hostile value. */
function hostile(g: Generator): unknown {
  const pool: (() => unknown)[] = [
    () => randn(shape(g)),
    () => randn(shape(g)),
    () => randn(shape(g)),
    () => NaN,
    () => Infinity,
    () => -1,
    () => -7,
    () => 0,
    () => 1.5,
    () => 1e9,
    () => 2 ** 40,
    () => '2',
    () => 'same',
    () => null,
    () => undefined,
    () => 3n,
    () => ({}),
    () => ({ p: 0.5 }),
    () => [],
    () => [[1, 2], [3]],
    () => [-1, -1],
    () => [2, 0.5],
    () => [1, 2, 3],
    () => true,
    () => new Float64Array(3),
    () => [randn([2, 2]), randn([3])],
    () => () => 1,
    () => randn([3, 4], { dtype: 'float64' }), // another dtype
    () => randn(shape(g), { dtype: 'float64' }),
    () => tensor([[0, 1], [2, 3]], { dtype: 'int64' }),
    () => randn([3, 4], { requiresGrad: true }),
    () => -Infinity,
    () => -0,
    () => [[]],
  ];
  return pool[Math.floor(g.random() * pool.length)]();
}

const describeValue = (v: unknown): string =>
  v instanceof Tensor ? `Tensor[${v.shape}]` : typeof v === 'number' ? String(v) : typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? 'function' : JSON.stringify(v) ?? String(v);

function finiteTensors(args: Args): boolean {
  return args.every((a) => (typeof a !== 'number' || Number.isFinite(a)) && (!(a instanceof Tensor) || (a.size > 0 && a.data.every(Number.isFinite))));
}

describe('ops and layers fed hostile arguments', () => {
  it('every failure is an Error naming the op or argument; every result is finite', async () => {
    await ready();
    const g = rng(41);
    const n = cases(4000);
    const problems: string[] = [];
    let thrown = 0;
    for (let i = 0; i < n; i++) {
      const op = OPS[Math.floor(g.random() * OPS.length)];
      const args = op.good();
      const fixed = op.fixed ?? 0;
      const k = fixed + Math.floor(g.random() * (args.length - fixed));
      args[k] = hostile(g);
      if (g.random() < 0.25) args[fixed + Math.floor(g.random() * (args.length - fixed))] = hostile(g); // and sometimes a second one
      if (g.random() < 0.2) args.length = k + 1; // and sometimes the rest left out
      const what = `${op.name}(${args.map(describeValue).join(', ')})`.replace(/\{"_data.*?\}(?=[,\]])/g, 'Tensor');
      try {
        const r = op.call(...args);
        const out = r instanceof Tensor ? r : (r as { values?: Tensor })?.values;
        if (out instanceof Tensor && !op.mayNaN && finiteTensors(args) && !out.data.every(Number.isFinite)) problems.push(`${what}: non-finite result`);
      } catch (e) {
        thrown++;
        const err = e as Error;
        const names = op.names ?? [op.name];
        // Out of memory is a RangeError naming the shape and size asked for (alloc/allocShape),
        // whoever asked; any other failure names the op or layer.
        const bad =
          !(err instanceof Error) ? 'not an Error' :
          err instanceof TypeError || err instanceof SyntaxError || err instanceof ReferenceError ? `${err.constructor.name}` :
          err instanceof RangeError ? (/tensor of shape \[[\d, ]*\]: [\d,]+ float(32|64) elements/.test(err.message) ? null : 'RangeError from deep inside') :
          !names.some((w) => err.message.includes(w)) ? `message names neither ${names.join(' nor ')}` : null;
        if (bad) problems.push(`${what.slice(0, 160)}: ${bad}: ${String(err?.message).slice(0, 200)}`);
      }
    }
    // One line per op and kind of problem, so a report stays readable.
    const seen = new Map<string, string>();
    for (const p of problems) seen.set(`${p.slice(0, p.indexOf('('))} ${p.slice(p.lastIndexOf('): ') + 3).slice(0, 50)}`, p);
    expect([...seen.values()]).toEqual([]);
    expect(thrown).toBeGreaterThan(n / 3); // hostile values mostly are refused
  }, 120_000);
});

describe('ops fed hostile arguments, over and over', () => {
  it('a call that throws leaves nothing behind in wasm memory: the same hostile calls again reserve no more', async () => {
    await ready();
    // Ops and tensor methods only: a layer or optimizer built in a call keeps persistent
    // parameters until the garbage collector runs (ARCHITECTURE.md, "Dropped models").
    const pure = OPS.filter((op) => /^[a-z]/.test(op.name) && !['clipGradNorm', 'kaimingNormal', 'kaimingUniform'].includes(op.name));
    const round = (): number => {
      const g = rng(43);
      let thrown = 0;
      for (let i = 0; i < cases(1500); i++) {
        const op = pure[Math.floor(g.random() * pure.length)];
        const args = op.good();
        const fixed = op.fixed ?? 0;
        args[fixed + Math.floor(g.random() * (args.length - fixed))] = hostile(g);
        try {
          op.call(...args);
        } catch {
          thrown++;
        }
        stepBoundary(); // what optimizer.step() does: every young tensor leaves wasm memory
      }
      return thrown;
    };
    const thrown = round();
    round();
    const settled = memoryInfo().reservedBytes;
    round();
    round();
    expect(memoryInfo().reservedBytes).toBe(settled);
    expect(thrown).toBeGreaterThan(cases(1500) / 3);
  }, 120_000);
});

describe('every built-in layer given something that is not a tensor', () => {
  it('forward(undefined | array | Float32Array | string | number) is an Error naming the layer, never a TypeError from inside', async () => {
    await ready();
    const layers: Record<string, () => { forward(x: unknown): unknown }> = {
      Linear: () => new nn.Linear(2, 2), Conv2d: () => new nn.Conv2d(1, 2, 3), BatchNorm1d: () => new nn.BatchNorm1d(2), BatchNorm2d: () => new nn.BatchNorm2d(2),
      MaxPool2d: () => new nn.MaxPool2d(2), AvgPool2d: () => new nn.AvgPool2d(2), AdaptiveAvgPool2d: () => new nn.AdaptiveAvgPool2d(1), Flatten: () => new nn.Flatten(),
      Unflatten: () => new nn.Unflatten(1, [2, 1]), ReLU: () => new nn.ReLU(), LeakyReLU: () => new nn.LeakyReLU(), PReLU: () => new nn.PReLU(), ELU: () => new nn.ELU(),
      SELU: () => new nn.SELU(), Sigmoid: () => new nn.Sigmoid(), Tanh: () => new nn.Tanh(), Softmax: () => new nn.Softmax(1), LogSoftmax: () => new nn.LogSoftmax(1),
      GELU: () => new nn.GELU(), SiLU: () => new nn.SiLU(), Softplus: () => new nn.Softplus(), Dropout: () => new nn.Dropout(0.5), Dropout2d: () => new nn.Dropout2d(0.5),
      AlphaDropout: () => new nn.AlphaDropout(0.5), Embedding: () => new nn.Embedding(4, 2), BasicBlock: () => new nn.BasicBlock(2, 2),
      Residual: () => new nn.Residual(new nn.Linear(2, 2)), Sequential: () => new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.ReLU()),
    };
    const problems: string[] = [];
    for (const [name, make] of Object.entries(layers)) {
      for (const [what, x] of [['undefined', undefined], ['an array', [[1, 2]]], ['a Float32Array', new Float32Array(4)], ['a string', 'x'], ['a number', 3]] as const) {
        try {
          make().forward(x);
          problems.push(`${name}.forward(${what}): no error`);
        } catch (e) {
          const err = e as Error;
          if (!(err instanceof Error) || err instanceof TypeError || !/must be a Tensor/.test(err.message)) problems.push(`${name}.forward(${what}): ${err?.constructor?.name}: ${err?.message}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
