/**
 * optim.Adagrad: its steps against PyTorch are in test/pytorch-fuzz.test.ts ('optim/Adagrad,…'
 * cases of fixtures/pytorch-fuzz.py); here its state under PyTorch's names, resuming from it,
 * and bad options.
 */
import { expect, it } from 'vitest';
import { optim, tensor, type Tensor } from '../../src/index.js';
import { describeEachBackend, expectThrowsMentioning } from '../helpers/check.js';

describeEachBackend('optim.Adagrad', () => {
  const run = (opt: optim.Adagrad, w: Tensor, steps: number) => {
    for (let i = 0; i < steps; i++) {
      opt.zeroGrad();
      w.mul(w).sum().add(w.sum()).backward();
      opt.step();
    }
  };
  it("keeps PyTorch's 'sum' buffer, and a run resumed from its state dict continues the same", () => {
    const opts = { lr: 0.1, lrDecay: 0.1, initialAccumulatorValue: 0.25 };
    const w = tensor([0.5, -1.5, 2.0], { requiresGrad: true });
    const opt = new optim.Adagrad([w], opts);
    run(opt, w, 2);
    const st = opt.torchStateDict().state as Map<number, Record<string, Tensor>>;
    expect(Object.keys(st.get(0)!).sort()).toEqual(['step', 'sum']);
    const w2 = tensor(Array.from(w.data), { requiresGrad: true });
    const resumed = new optim.Adagrad([w2], opts);
    resumed.loadStateDict(opt.torchStateDict());
    run(opt, w, 1);
    run(resumed, w2, 1);
    expect(Array.from(w2.data)).toEqual(Array.from(w.data));
  });
  it('names the option in bad input', () => {
    const w = tensor([1], { requiresGrad: true });
    expectThrowsMentioning(() => new optim.Adagrad([w], { lrDecay: -1 }), ['Adagrad', 'lrDecay', '-1']);
    expectThrowsMentioning(() => new optim.Adagrad([w], { initialAccumulatorValue: -0.5 }), ['Adagrad', 'initialAccumulatorValue']);
    expectThrowsMentioning(() => new optim.Adagrad([w], { eps: NaN }), ['Adagrad', 'eps']);
    expectThrowsMentioning(() => new optim.Adagrad([w], { lr_decay: 0.1 } as never), ['Adagrad', 'lr_decay', 'lrDecay']);
  });
});
