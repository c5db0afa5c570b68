/**
 * A Sequential(Linear, BatchNorm1d, ReLU, Linear) with PyTorch's weights: state-dict keys,
 * order and shapes, loadStateDict, forward output, crossEntropy loss and every parameter's
 * gradient, running statistics after the training step, and the eval-mode output.
 */
import { expect, it } from 'vitest';
import { Generator, loss, manualSeed, nn, ops, randn, tensor } from '../../src/index.js';
import { decode, describeEachBackend, expectGradcheck, expectTensor, expectThrowsMentioning, fixture, load, type Stored } from '../helpers/check.js';

const M = fixture<{
  keys: string[];
  shapes: Record<string, number[]>;
  parameterKeys: string[];
  state0: Record<string, Stored>;
  x: Stored;
  y: Stored;
  output: Stored;
  loss: Stored;
  grads: Record<string, Stored>;
  stateAfterTrain: Record<string, Stored>;
  outputEval: Stored;
}>('mlp.json');

const build = () => new nn.Sequential(new nn.Linear(4, 8), new nn.BatchNorm1d(8), new nn.ReLU(), new nn.Linear(8, 3));
const torchState = (s: Record<string, Stored>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { data: decode(v), shape: v.shape }]));

describeEachBackend('nn.Sequential MLP (Linear-BatchNorm1d-ReLU-Linear)', () => {
  it("has PyTorch's state-dict keys, in PyTorch's order, with PyTorch's shapes", () => {
    const sd = build().stateDict();
    expect(Object.keys(sd)).toEqual(M.keys);
    for (const k of M.keys) expect(sd[k].shape, k).toEqual(M.shapes[k]);
    expect(build().namedParameters().map(([k]) => k)).toEqual(M.parameterKeys);
  });

  it("loads torch's weights and matches its forward output, loss, gradients and running statistics", () => {
    const model = build();
    model.loadStateDict(torchState(M.state0));
    for (const [k, t] of Object.entries(model.stateDict())) expect(Array.from(t.data), k).toEqual(Array.from(decode(M.state0[k])));
    const out = model.forward(load(M.x));
    expectTensor(out, M.output, 'output', { group: 'MLP value' });
    const l = loss.crossEntropy(out, load(M.y));
    expectTensor(l, M.loss, 'loss', { group: 'MLP value' });
    l.backward();
    for (const [k, p] of model.namedParameters()) expectTensor(p.grad, M.grads[k], `grad ${k}`, { group: 'MLP grad' });
    const sd = model.stateDict();
    for (const k of M.keys) expectTensor(sd[k], M.stateAfterTrain[k], `state ${k}`, { group: 'MLP state' });
    model.eval();
    expectTensor(model.forward(load(M.x)), M.outputEval, 'eval output', { group: 'MLP value' });
  });

  it('parameter gradients match finite differences (float64)', () => {
    const model = build();
    model.loadStateDict(torchState(M.state0));
    model.to('float64');
    const x = load(M.x, { dtype: 'float64' });
    const y = load(M.y, { dtype: 'float64' });
    expectGradcheck(() => loss.crossEntropy(model.forward(x), y), model.parameters(), 'MLP');
  });

  it('loadStateDict refuses missing/unexpected keys and wrong shapes, naming them, and writes nothing', () => {
    const model = build();
    const before = Array.from(model.stateDict()['0.weight'].data);
    const s = torchState(M.state0);
    const { ['1.running_mean']: _drop, ...missing } = s;
    expectThrowsMentioning(() => model.loadStateDict(missing), ['missing', '1.running_mean']);
    expectThrowsMentioning(() => model.loadStateDict({ ...s, extra: s['0.bias'] }), ['unexpected', 'extra']);
    expectThrowsMentioning(() => model.loadStateDict({ ...s, '0.bias': { data: new Float32Array(3), shape: [3] } }), ['0.bias', '[3]', '[8]']);
    expect(Array.from(model.stateDict()['0.weight'].data)).toEqual(before);
  });
});

describeEachBackend('nn modules', () => {
  it('Linear stores weight [out, in] and matches ops.linear; refuses bad sizes and unknown inits by name', () => {
    const l = new nn.Linear(3, 2);
    expect(l.weight.shape).toEqual([2, 3]);
    expect(l.bias!.shape).toEqual([2]);
    expect(new nn.Linear(3, 2, { bias: false }).bias).toBeNull();
    expectThrowsMentioning(() => new nn.Linear(0, 2), ['inFeatures']);
    expectThrowsMentioning(() => new nn.Linear(2, 1.5), ['outFeatures']);
    expectThrowsMentioning(() => new nn.Linear(2, 2, { init: 'glorot' as never }), ["'glorot'", 'xavierUniform']);
  });
  it('activation modules compute their ops; LeakyReLU/ELU/PReLU take their parameters', () => {
    const x = tensor([-2, -0.5, 0.5, 2]);
    const cases: Array<[nn.Module, number[]]> = [
      [new nn.ReLU(), [0, 0, 0.5, 2]],
      [new nn.LeakyReLU(0.1), [-0.2, -0.05, 0.5, 2]],
      [new nn.PReLU(1, 0.5), [-1, -0.25, 0.5, 2]],
      [new nn.ELU(2), [2 * Math.expm1(-2), 2 * Math.expm1(-0.5), 0.5, 2]],
    ];
    for (const [m, want] of cases) expect(Array.from(m.forward(x).data)).toEqual(want.map(Math.fround));
    expect(new nn.PReLU(3).weight.shape).toEqual([3]);
    expectThrowsMentioning(() => new nn.LeakyReLU(NaN), ['negativeSlope']);
    expectThrowsMentioning(() => new nn.ELU(Infinity), ['alpha']);
    expectThrowsMentioning(() => new nn.PReLU(0), ['numParameters']);
  });
  it('Sequential fuses Linear + ReLU/tanh/sigmoid, with the values and gradients of the layer-by-layer forward, bit for bit', () => {
    const make = () => {
      manualSeed(5);
      return new nn.Sequential(
        new nn.Linear(9, 12), new nn.ReLU(), // fused
        new nn.Linear(12, 11), new nn.Tanh(), // fused
        new nn.Linear(11, 10), new nn.LeakyReLU(), // not: f′ needs the input
        new nn.Linear(10, 8), new nn.Sigmoid(), // fused
        new nn.Linear(8, 3, { bias: false }), new nn.ReLU(), // fused, no bias
      );
    };
    const x = randn([7, 9], { generator: new Generator(1) });
    const run = (fuse: boolean) => {
      const m = make();
      nn.Sequential._fuse = fuse;
      try {
        const y = m.forward(x);
        expect(y.node!.op).toBe(fuse ? 'linear+relu' : 'relu');
        const values = Array.from(y.data);
        ops.sum(ops.mul(y, y)).backward();
        return [values, ...m.parameters().map((p) => Array.from(p.grad!.data))];
      } finally {
        nn.Sequential._fuse = true;
      }
    };
    const fused = run(true);
    expect(fused).toEqual(run(false));
    expect(fused.flat().some((v) => v !== 0)).toBe(true);
  });
  it('train()/eval() propagate to children', () => {
    const m = build();
    m.eval();
    expect(m.layers.every((l) => !l.training)).toBe(true);
    m.train();
    expect(m.layers.every((l) => l.training)).toBe(true);
  });
});
