/**
 * nn.BatchNorm1d against torch.nn.BatchNorm1d over a sequence of training steps (inputs of
 * varying size, [N, C] and [N, C, L]) and then eval: outputs, gradients of input, weight and
 * bias, and the whole state dict (running_mean, running_var, num_batches_tracked) after each
 * step; for the default, momentum=None (cumulative average), affine=False and
 * trackRunningStats=False variants.
 */
import { expect, it } from 'vitest';
import { nn, tensor } from '../../src/index.js';
import {
  decode,
  describeEachBackend,
  expectGradcheck,
  expectTensor,
  expectThrowsMentioning,
  filled,
  fixture,
  load,
  type Stored,
} from '../helpers/check.js';

interface Step {
  training: boolean;
  input: Stored;
  output: Stored;
  gradOutput: Stored;
  gradInput: Stored;
  gradWeight?: Stored;
  gradBias?: Stored;
  state: Record<string, Stored>;
  /** The same step in float64 (a twin module fed the same inputs). */
  exact: { output: Stored; gradInput: Stored; gradWeight?: Stored; gradBias?: Stored };
}
interface Variant {
  options: { momentum?: number | null; eps?: number; affine?: boolean; track_running_stats?: boolean };
  init: Record<string, Stored>;
  steps: Step[];
}

const VARIANTS = fixture<Record<string, Variant>>('batchnorm1d.json');

function build(v: Variant) {
  const o = v.options;
  const bn = new nn.BatchNorm1d(4, {
    ...('momentum' in o ? { momentum: o.momentum } : {}),
    ...(o.eps !== undefined ? { eps: o.eps } : {}),
    ...(o.affine !== undefined ? { affine: o.affine } : {}),
    ...(o.track_running_stats !== undefined ? { trackRunningStats: o.track_running_stats } : {}),
  });
  bn.loadStateDict(Object.fromEntries(Object.entries(v.init).map(([k, s]) => [k, { data: decode(s), shape: s.shape }])));
  return bn;
}

describeEachBackend('nn.BatchNorm1d', () => {
  for (const [name, v] of Object.entries(VARIANTS)) {
    it(`${name}: ${v.steps.filter((s) => s.training).length} train steps then eval match PyTorch (outputs, grads, state)`, () => {
      const bn = build(v);
      // (The fixture's JSON keys are sorted; order is checked against PyTorch's in mlp.test.ts.)
      expect(Object.keys(bn.stateDict()).sort()).toEqual(Object.keys(v.init).sort());
      v.steps.forEach((s, i) => {
        bn.train(s.training);
        bn.zeroGrad();
        const x = load(s.input, { requiresGrad: true });
        const y = bn.forward(x);
        y.backward(load(s.gradOutput));
        const at = `${name} step ${i} (${s.training ? 'train' : 'eval'}, input [${s.input.shape}])`;
        const ex = (k: keyof Step['exact']) => ({ exact: decode(s.exact[k]!) });
        expectTensor(y, s.output, `${at} output`, { group: 'BatchNorm1d value', ...ex('output') });
        expectTensor(x.grad, s.gradInput, `${at} grad input`, { group: 'BatchNorm1d grad', ...ex('gradInput') });
        if (s.gradWeight) expectTensor(bn.weight!.grad, s.gradWeight, `${at} grad weight`, { group: 'BatchNorm1d grad', ...ex('gradWeight') });
        if (s.gradBias) expectTensor(bn.bias!.grad, s.gradBias, `${at} grad bias`, { group: 'BatchNorm1d grad', ...ex('gradBias') });
        const state = bn.stateDict();
        expect(Object.keys(state).sort()).toEqual(Object.keys(s.state).sort());
        for (const [k, st] of Object.entries(s.state)) expectTensor(state[k], st, `${at} ${k}`, { group: 'BatchNorm1d state' });
      });
    });
  }

  it('gradients w.r.t. input, weight and bias match finite differences (float64), train and eval', () => {
    for (const training of [true, false]) {
      const bn = new nn.BatchNorm1d(3).to('float64');
      bn.weight!.data.set([0.7, 1.3, -0.4]);
      bn.bias!.data.set([0.1, -0.2, 0.3]);
      bn.runningMean!.data.set([0.2, -0.1, 0.05]);
      bn.runningVar!.data.set([0.9, 1.4, 0.6]);
      bn.train(training);
      const x = tensor(Float64Array.from({ length: 30 }, (_, i) => Math.sin(1.7 * i) * (1 + (i % 3))), [5, 3, 2], { requiresGrad: true });
      expectGradcheck((t) => bn.forward(t), [x, bn.weight!, bn.bias!], `BatchNorm1d ${training ? 'train' : 'eval'}`);
    }
  });

  it('refuses a batch of one in training, naming the shape, but accepts it in eval', () => {
    const bn = new nn.BatchNorm1d(3);
    expectThrowsMentioning(() => bn.forward(filled([1, 3])), ['[1, 3]', 'training']);
    bn.eval();
    expect(bn.forward(filled([1, 3])).shape).toEqual([1, 3]);
  });

  it('refuses inputs whose channel dimension is not numFeatures', () => {
    expectThrowsMentioning(() => new nn.BatchNorm1d(3).forward(filled([4, 5])), ['[4, 5]', '[N, 3]']);
    expectThrowsMentioning(() => new nn.BatchNorm1d(3).forward(filled([4])), ['[4]']);
  });

  it('refuses invalid options, naming them', () => {
    expectThrowsMentioning(() => new nn.BatchNorm1d(0), ['numFeatures']);
    expectThrowsMentioning(() => new nn.BatchNorm1d(3, { momentum: -0.1 }), ['momentum', '[0, 1]']);
    expectThrowsMentioning(() => new nn.BatchNorm1d(3, { momentum: 1.5 }), ['momentum']);
    expectThrowsMentioning(() => new nn.BatchNorm1d(3, { eps: 0 }), ['eps']);
  });

  it("has PyTorch's defaults: momentum 0.1, eps 1e-5, affine, tracking running stats", () => {
    const bn = new nn.BatchNorm1d(2);
    expect(bn.momentum).toBe(0.1);
    expect(bn.eps).toBe(1e-5);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(Array.from(bn.runningVar!.data)).toEqual([1, 1]);
  });
});
