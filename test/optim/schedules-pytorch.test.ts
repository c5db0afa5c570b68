// Warm-up and one-cycle schedules as a PyTorch user writes them: each lr (and momentum / Adam's β₁)
// sequence over 30 steps equals PyTorch's (test/fixtures/pytorch-schedules-6.py wrote the JSON).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nn, ones, optim, tensor, zeros } from '../../src/index.js';

type Seq = { lr: number[]; m: number[] };
const torch = JSON.parse(readFileSync(new URL('../fixtures/pytorch-schedules-6.json', import.meta.url), 'utf8')) as Record<string, Seq>;

function run(make: (o: optim.Optimizer) => { step(): void; getLastLr(): number[] }, kind: 'sgd' | 'adam' = 'sgd', n = 30): Seq {
  const p = new nn.Parameter(zeros(1));
  const opt = kind === 'sgd' ? new optim.SGD([p], { lr: 0.1, momentum: 0.9 }) : new optim.Adam([p], { lr: 0.1 });
  const scheduler = make(opt);
  const lr: number[] = [];
  const m: number[] = [];
  for (let i = 0; i < n; i++) {
    lr.push(scheduler.getLastLr()[0]);
    const o = opt.paramGroups[0].options as { momentum?: number; betas?: [number, number] };
    m.push(kind === 'sgd' ? o.momentum! : o.betas![0]);
    p.grad = ones(1);
    opt.step();
    scheduler.step();
  }
  return { lr, m };
}

function expectSame(got: Seq, want: Seq): void {
  got.lr.forEach((v, i) => expect(v).toBeCloseTo(want.lr[i], 14));
  got.m.forEach((v, i) => expect(v).toBeCloseTo(want.m[i], 14));
}

describe('schedules equal PyTorch over 30 steps', () => {
  it('OneCycleLR(opt, {maxLr: 0.1, totalSteps: 30}) with SGD: lr and the cycled momentum', () => {
    expectSame(run((o) => new optim.OneCycleLR(o, { maxLr: 0.1, totalSteps: 30 })), torch.onecycle);
  });
  it("OneCycleLR(opt, 0.01, 30, {threePhase: true, annealStrategy: 'linear'}) with Adam: lr and β₁", () => {
    expectSame(run((o) => new optim.OneCycleLR(o, 0.01, 30, { threePhase: true, annealStrategy: 'linear' }), 'adam'), torch.onecycleAdam3);
  });
  it('CosineAnnealingWarmRestarts(opt, 5, 2, 0.001) and (opt, {t0: 7})', () => {
    expectSame(run((o) => new optim.CosineAnnealingWarmRestarts(o, 5, 2, 0.001)), torch.warm);
    expectSame(run((o) => new optim.CosineAnnealingWarmRestarts(o, { t0: 7 })), torch.warm1);
  });
  it('LinearLR warm-up, and SequentialLR([LinearLR, CosineAnnealingLR], [5])', () => {
    expectSame(run((o) => new optim.LinearLR(o, { startFactor: 0.1, totalIters: 5 })), torch.linear);
    expectSame(run((o) => new optim.SequentialLR(o, [new optim.LinearLR(o, { startFactor: 0.1, totalIters: 5 }), new optim.CosineAnnealingLR(o, 25)], [5])), torch.seq);
  });
  it('LambdaLR(opt, (e) => 0.95 ** e)', () => {
    expectSame(run((o) => new optim.LambdaLR(o, (e) => 0.95 ** e)), torch.lambda);
  });
});

describe('schedule misuse is named', () => {
  const sgd = (momentum = 0.9) => new optim.SGD([new nn.Parameter(zeros(1))], { lr: 0.1, momentum });
  it('OneCycleLR stepped past totalSteps, or without momentum to cycle, or without totalSteps', () => {
    const o = sgd();
    const s = new optim.OneCycleLR(o, { maxLr: 0.1, epochs: 2, stepsPerEpoch: 3 });
    for (let i = 0; i < 6; i++) s.step();
    expect(() => s.step()).toThrow(/step 7 is past totalSteps 6/);
    expect(() => new optim.OneCycleLR(sgd(0), { maxLr: 0.1, totalSteps: 10 })).toThrow(/cycleMomentum: false/);
    expect(new optim.OneCycleLR(sgd(0), { maxLr: 0.1, totalSteps: 10, cycleMomentum: false }).getLastLr()[0]).toBeCloseTo(0.004, 12);
    expect(() => new optim.OneCycleLR(o, 0.1)).toThrow(/give totalSteps, or epochs and stepsPerEpoch/);
    expect(() => new optim.OneCycleLR(o, { maxLr: 0.1, total_steps: 10 } as never)).toThrow(/totalSteps/);
  });
  it('SequentialLR with the wrong number of milestones, or a schedule of another optimizer', () => {
    const o = sgd();
    const a = new optim.LinearLR(o);
    expect(() => new optim.SequentialLR(o, [a, new optim.CosineAnnealingLR(o, 10)], [])).toThrow(/milestones must be 1 increasing positive integers/);
    expect(() => new optim.SequentialLR(o, [a, new optim.CosineAnnealingLR(sgd(), 10)], [3])).toThrow(/schedulers\[1\] was made for another optimizer/);
    expect(() => new optim.CosineAnnealingWarmRestarts(o, 0)).toThrow(/t0 \(PyTorch's T_0\) must be a positive integer/);
  });
});

describe('clip_grad_norm_ where PyTorch users look for it', () => {
  it('nn.utils.clipGradNorm_ returns the total norm before clipping and scales the gradients', () => {
    const p = new nn.Parameter(zeros(2));
    p.grad = tensor([3, 4]);
    expect(nn.utils.clipGradNorm_([p], 1)).toBeCloseTo(5, 6);
    expect(Array.from(p.grad.data).map((v) => +v.toFixed(5))).toEqual([0.6, 0.8]);
    expect(optim.clipGradNorm_).toBe(optim.clipGradNorm);
  });
});

// scheduler.step(epoch): PyTorch's deprecated form that old code still calls, and
// CosineAnnealingWarmRestarts' documented step(epoch + i / iters) once per batch
// (test/fixtures/make_schedule_epoch.py wrote schedule_epoch.json with PyTorch 1.13).
describe('scheduler.step(epoch) as in PyTorch', () => {
  const fx = JSON.parse(readFileSync(new URL('../fixtures/schedule_epoch.json', import.meta.url), 'utf8')) as {
    lr: number;
    iters: number;
    cases: Record<string, { lrs: number[]; lastEpoch: number }>;
  };
  const warm = Array.from({ length: 5 * fx.iters }, (_, k) => Math.floor(k / fx.iters) + (k % fx.iters) / fx.iters);
  const cases: Array<[string, (o: optim.Optimizer) => { step(e?: number): void; lastEpoch: number }, Array<number | null>]> = [
    ['StepLR', (o) => new optim.StepLR(o, 3, 0.5), [0, 3, 7, 2, null, null, 9]],
    ['MultiStepLR', (o) => new optim.MultiStepLR(o, [2, 5], 0.1), [1, 2, 6, null, 4]],
    ['ExponentialLR', (o) => new optim.ExponentialLR(o, 0.9), [5, null, 2, 10]],
    ['CosineAnnealingLR', (o) => new optim.CosineAnnealingLR(o, 10, 0.001), [3, null, 8, 10, 1]],
    ['LambdaLR', (o) => new optim.LambdaLR(o, (e: number) => 1 / (1 + e)), [4, null, 1]],
    ['LinearLR', (o) => new optim.LinearLR(o, 0.25, 1.0, 4), [2, null, 6, 1]],
    ['CosineAnnealingWarmRestarts_T1', (o) => new optim.CosineAnnealingWarmRestarts(o, 3, 1, 0.01), warm],
    ['CosineAnnealingWarmRestarts_T2', (o) => new optim.CosineAnnealingWarmRestarts(o, 2, 2, 0.0), warm],
    ['OneCycleLR', (o) => new optim.OneCycleLR(o, 1.0, { totalSteps: 20 }), [5, null, 12, 3]],
  ];
  it.each(cases)('%s', (name, make, calls) => {
    const p = new nn.Parameter(zeros(1));
    const opt = new optim.SGD([p], { lr: fx.lr, momentum: 0.9 });
    const s = make(opt);
    const lrs: number[] = [];
    for (const c of calls) {
      p.grad = ones(1);
      opt.step();
      if (c === null) s.step();
      else s.step(c);
      lrs.push(opt.paramGroups[0].lr);
    }
    const want = fx.cases[name];
    lrs.forEach((v, i) => expect(v, `${name}, call ${i + 1}`).toBeCloseTo(want.lrs[i], 12));
    expect(s.lastEpoch).toBe(want.lastEpoch);
  });
  it('a bad epoch names the schedule and the value', () => {
    const opt = new optim.SGD([new nn.Parameter(zeros(1))], { lr: 0.1 });
    expect(() => new optim.StepLR(opt, 3).step(-1)).toThrow(/StepLR\.step\(epoch\): epoch must be a number ≥ 0.*got -1/);
    expect(() => new optim.StepLR(opt, 3).step(Number.NaN)).toThrow(/StepLR\.step\(epoch\).*NaN/);
    expect(() => new optim.StepLR(opt, 3).step('2' as unknown as number)).toThrow(/StepLR\.step\(epoch\)/);
  });
});
