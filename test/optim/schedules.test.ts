import { describe, expect, it } from 'vitest';
import { nn, optim } from '../../src/index.js';
import { describeEachBackend, expectClose, expectThrowsMentioning, filled, fixture } from '../helpers/check.js';

interface Sched {
  args: Record<string, any>;
  lrs: number[];
  metrics?: number[];
}
const S = fixture<Record<string, Sched>>('schedules.json');

function sgd() {
  return new optim.SGD([new nn.Parameter(filled([1]))], { lr: 0.1 });
}

const MAKE: Record<string, (o: optim.Optimizer, a: Record<string, any>) => optim.Scheduler> = {
  StepLR: (o, a) => new optim.StepLR(o, a.stepSize, a.gamma),
  ExponentialLR: (o, a) => new optim.ExponentialLR(o, a.gamma),
  CosineAnnealingLR: (o, a) => new optim.CosineAnnealingLR(o, a.tMax, a.etaMin),
  ReduceLROnPlateau: (o, a) => new optim.ReduceLROnPlateau(o, a),
};

describeEachBackend('optim schedules', () => {
  for (const [name, s] of Object.entries(S)) {
    it(`${name}: the lr sequence over ${s.lrs.length} epochs matches torch.optim.lr_scheduler`, () => {
      const opt = sgd();
      const sched = MAKE[name.split('/')[0]](opt, s.args);
      const lrs: number[] = [];
      s.lrs.forEach((_, e) => {
        opt.step();
        sched.step(s.metrics?.[e]);
        lrs.push(opt.lr);
      });
      // PyTorch computes these in float64 (chained products vs gradlab's closed forms): 1e-12.
      expectClose(lrs, s.lrs, name, { rtol: 1e-12, atol: 1e-15, group: 'schedule lr' });
    });
  }
  it('refuses invalid options, naming them', () => {
    expectThrowsMentioning(() => new optim.StepLR(sgd(), 0), ['stepSize']);
    expectThrowsMentioning(() => new optim.StepLR(sgd(), 2, -1), ['gamma']);
    expectThrowsMentioning(() => new optim.ExponentialLR(sgd(), 0), ['gamma']);
    expectThrowsMentioning(() => new optim.CosineAnnealingLR(sgd(), 0), ['tMax']);
    expectThrowsMentioning(() => new optim.ReduceLROnPlateau(sgd(), { factor: 1 }), ['factor', '(0, 1)']);
    expectThrowsMentioning(() => new optim.ReduceLROnPlateau(sgd(), { mode: 'up' as never }), ['mode']);
    expectThrowsMentioning(() => new optim.ReduceLROnPlateau(sgd()).step(), ['metric']);
  });
  it('round-trips its state', () => {
    const opt = sgd();
    const a = new optim.StepLR(opt, 2, 0.5);
    a.step();
    a.step();
    a.step();
    const b = new optim.StepLR(sgd(), 2, 0.5);
    b.loadStateDict(a.stateDict());
    expect(b.lastEpoch).toBe(3);
  });
});

describe('schedules given something other than an optimizer', () => {
  it('new StepLR(null, 10) and the others are refused at construction, naming the schedule (not a TypeError at step())', () => {
    const { StepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau, SGD } = optim;
    for (const make of [() => new StepLR(null as never, 10), () => new ExponentialLR({} as never, 0.9), () => new CosineAnnealingLR([] as never, 10), () => new ReduceLROnPlateau(undefined as never)]) {
      expect(make).toThrow(/^(StepLR|ExponentialLR|CosineAnnealingLR|ReduceLROnPlateau): the first argument must be the optimizer/);
    }
    const s = new ReduceLROnPlateau(new SGD(new nn.Linear(2, 2).parameters(), { lr: 0.1 }));
    expect(() => s.step('0.5' as never)).toThrow('ReduceLROnPlateau.step(metric): the monitored metric (a number) is required, got "0.5"');
  });
});
