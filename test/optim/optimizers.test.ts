/**
 * SGD, Adam, AdamW and RMSprop against torch.optim over 12 steps of a fixed gradient sequence,
 * for each option; also with a parameter whose gradient is missing on some steps (PyTorch
 * skips it, its step count included).
 */
import { expect, it } from 'vitest';
import { onesLike, optim } from '../../src/index.js';
import { nn } from '../../src/index.js';
import { decode, describeEachBackend, expectTensor, expectThrowsMentioning, filled, fixture, load, type Stored } from '../helpers/check.js';

interface Config {
  optimizer: 'SGD' | 'Adam' | 'AdamW' | 'RMSprop';
  options: Record<string, any>;
  params: Stored[][];
  /** The same run in float64 (the exact trajectory). */
  exact: Stored[][];
  missing: Record<string, number[]>;
}
const F = fixture<{ params0: Stored[]; grads: Stored[][]; configs: Record<string, Config> }>('optim.json');

const camel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function make(c: Config, params: InstanceType<typeof nn.Parameter>[]) {
  const o = Object.fromEntries(Object.entries(c.options).map(([k, v]) => [camel(k), v]));
  switch (c.optimizer) {
    case 'SGD':
      return new optim.SGD(params, o);
    case 'Adam':
      return new optim.Adam(params, o);
    case 'AdamW':
      return new optim.AdamW(params, o);
    case 'RMSprop':
      return new optim.RMSprop(params, o);
  }
}

describeEachBackend('optim', () => {
  for (const [name, c] of Object.entries(F.configs)) {
    it(`${name}: parameters after each of ${c.params.length} steps match torch.optim`, () => {
      const params = F.params0.map((s) => new nn.Parameter(load(s)));
      const opt = make(c, params);
      c.params.forEach((expected, step) => {
        params.forEach((p, j) => {
          p.grad = (c.missing[String(j)] ?? []).includes(step) ? null : load(F.grads[step][j]);
        });
        opt.step();
        expected.forEach((e, j) =>
          expectTensor(params[j], e, `${name} step ${step + 1} param ${j}`, { group: `${c.optimizer} params`, exact: decode(c.exact[step][j]) }),
        );
      });
    });
  }

  it('zeroGrad sets every gradient to null', () => {
    const p = new nn.Parameter(filled([3]));
    p.grad = filled([3]);
    const opt = new optim.Adam([p]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });

  it("uses PyTorch's defaults (Adam lr 1e-3, betas (0.9, 0.999), eps 1e-8; AdamW weightDecay 1e-2; RMSprop lr 1e-2, alpha 0.99)", () => {
    const p = () => [new nn.Parameter(filled([2]))];
    expect(new optim.Adam(p()).lr).toBe(1e-3);
    expect(new optim.AdamW(p()).lr).toBe(1e-3);
    expect(new optim.RMSprop(p()).lr).toBe(1e-2);
  });

  const P = () => [new nn.Parameter(filled([2]))];
  const bad: Array<[string, () => unknown, string[]]> = [
    ['SGD without lr', () => new optim.SGD(P(), {} as never), ['lr']],
    ['a negative lr (SGD)', () => new optim.SGD(P(), { lr: -0.1 }), ['lr', '-0.1']],
    ['a negative lr (Adam)', () => new optim.Adam(P(), { lr: -1 }), ['lr', '-1']],
    ['a negative lr (RMSprop)', () => new optim.RMSprop(P(), { lr: -1 }), ['lr']],
    ['momentum < 0 (SGD)', () => new optim.SGD(P(), { lr: 0.1, momentum: -0.5 }), ['momentum', '-0.5']],
    ['momentum < 0 (RMSprop)', () => new optim.RMSprop(P(), { momentum: -0.5 }), ['momentum', '-0.5']],
    ['nesterov without momentum', () => new optim.SGD(P(), { lr: 0.1, nesterov: true }), ['nesterov', 'momentum']],
    ['nesterov with dampening', () => new optim.SGD(P(), { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), ['nesterov', 'dampening']],
    ['a negative weightDecay', () => new optim.SGD(P(), { lr: 0.1, weightDecay: -1 }), ['weightDecay']],
    ['betas[0] = 1', () => new optim.Adam(P(), { betas: [1, 0.999] }), ['betas[0]', '[0, 1)']],
    ['betas[1] ≥ 1', () => new optim.AdamW(P(), { betas: [0.9, 1.2] }), ['betas[1]', '1.2']],
    ['a negative beta', () => new optim.Adam(P(), { betas: [-0.1, 0.9] }), ['betas[0]']],
    ['a negative eps', () => new optim.Adam(P(), { eps: -1e-8 }), ['eps']],
    ['alpha > 1 (RMSprop)', () => new optim.RMSprop(P(), { alpha: 1.5 }), ['alpha', '1.5']],
    ['an empty parameter list', () => new optim.Adam([]), ['empty']],
    ['a parameter listed twice', () => {
      const p = new nn.Parameter(filled([2]));
      return new optim.Adam([p, p]);
    }, ['more than once']],
    ['a tensor computed from a parameter (PyTorch: "can\'t optimize a non-leaf Tensor")', () => {
      const p = new nn.Parameter(filled([2]));
      return new optim.SGD([p, p.mul(2)], { lr: 0.1 });
    }, ['parameter 1', 'shape [2]', 'not a leaf tensor', "'mul'", 'detach()']],
  ];
  for (const [what, run, mentions] of bad) it(`refuses ${what}, naming the option`, () => expectThrowsMentioning(run, mentions));
  it("step(closure) runs the closure first and returns its loss, as PyTorch's; any other argument is refused (a closure passed and never called trained nothing)", () => {
    const lin = new nn.Linear(2, 1);
    const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
    const x = filled([4, 2]);
    const before = Array.from(lin.weight.data);
    let calls = 0;
    const l = opt.step(() => {
      calls++;
      opt.zeroGrad();
      const out = lin.forward(x).sum();
      out.backward();
      return out;
    });
    expect(calls).toBe(1);
    expect(l.shape).toEqual([]);
    expect(Array.from(lin.weight.data)).not.toEqual(before);
    expectThrowsMentioning(() => opt.step(5 as never), ['SGD.step(): its one argument is a closure', 'got 5']);
  });
  it('an lr written into paramGroups is checked at the next step, before any parameter moves', () => {
    const lin = new nn.Linear(2, 1);
    const opt = new optim.Adam(lin.parameters());
    for (const p of lin.parameters()) p.grad = onesLike(p);
    const before = Array.from(lin.weight.data);
    opt.paramGroups[0].lr = -0.1;
    expectThrowsMentioning(() => opt.step(), ['Adam.step(): parameter group 0 has lr -0.1; lr must be a finite number ≥ 0']);
    opt.paramGroups[0].lr = NaN;
    expectThrowsMentioning(() => opt.step(), ['has lr NaN']);
    expect(Array.from(lin.weight.data)).toEqual(before);
    opt.paramGroups[0].lr = 0.01;
    opt.step();
    expect(Array.from(lin.weight.data)).not.toEqual(before);
  });
  it('refuses setting a negative lr later', () => {
    const opt = new optim.SGD(P(), { lr: 0.1 });
    expectThrowsMentioning(() => (opt.lr = -1), ['lr']);
  });
});



describeEachBackend('optimizer.loadStateDict with a state that is not one', () => {
  it('null, garbage, a NaN lr or a state of another model is refused naming what, and the optimizer is left as it was', () => {
    const m = new nn.Linear(2, 2);
    const opt = new optim.Adam(m.parameters(), { lr: 0.01 });
    const good = opt.stateDict();
    expectThrowsMentioning(() => opt.loadStateDict(null as never), ['Adam.loadStateDict: the state must be the object optimizer.stateDict() returned, got null']);
    expectThrowsMentioning(() => opt.loadStateDict({ state: 5 } as never), ['Adam.loadStateDict: the state has no type']);
    expectThrowsMentioning(() => opt.loadStateDict({ ...good, groups: [{ lr: NaN, initialLr: 0.01 }] }), ['groups must be a list of {lr, initialLr} with finite learning rates']);
    expectThrowsMentioning(() => opt.loadStateDict({ ...good, step: -1 }), ['step must be an integer ≥ 0, got -1']);
    expectThrowsMentioning(() => opt.loadStateDict({ ...good, buffers: [{ exp_avg: ['a', 0, 0, 0], exp_avg_sq: [0, 0, 0, 0] }, {}] } as never), ["buffer 'exp_avg' of parameter 0 holds a value that is not a number"]);
    // One moment without the other: the next step would divide by √0 + ε (it loaded, and the weights jumped).
    expectThrowsMentioning(() => opt.loadStateDict({ ...good, step: 3, buffers: [{ exp_avg: [0.1, 0.1, 0.1, 0.1] }, {}] }), [
      'Adam.loadStateDict: parameter 0 has exp_avg but not exp_avg_sq: a step would start it from zero beside the others; give every buffer of a parameter (exp_avg, exp_avg_sq) or none',
    ]);
    expectThrowsMentioning(() => opt.loadStateDict({ ...good, buffers: [{ exp_avgs: [0, 0, 0, 0] }, {}] }), ["parameter 0 has a buffer 'exp_avgs', which Adam does not keep (its buffers: exp_avg, exp_avg_sq, max_exp_avg_sq)"]);
    const sgd = new optim.SGD(new nn.Linear(2, 2).parameters(), { lr: 0.1, momentum: 0.9 });
    expectThrowsMentioning(() => sgd.loadStateDict({ ...sgd.stateDict(), buffers: [{ momentum: [0, 0, 0, 0] }, {}] }), ["parameter 0 has a buffer 'momentum', which SGD does not keep (its buffers: momentum_buffer)"]);
    const rms = new optim.RMSprop(new nn.Linear(2, 2).parameters(), { centered: true });
    expectThrowsMentioning(() => rms.loadStateDict({ ...rms.stateDict(), step: 1, buffers: [{ square_avg: [1, 1, 1, 1] }, {}] }), ['parameter 0 has square_avg but not grad_avg']);
    const wider = new nn.Linear(3, 2);
    for (const p of wider.parameters()) p.grad = onesLike(p);
    const other = new optim.Adam(wider.parameters());
    other.step();
    expectThrowsMentioning(() => opt.loadStateDict(other.stateDict()), ['parameter 0 has', 'expected 4']);
    expect(opt.stateDict()).toEqual(good);
  });
});

// maximize (PyTorch 1.13): the update starts from −g (porting.json, make_porting.py).
const M = fixture<{ maximize: { params0: Stored[]; grads: Stored[][]; configs: Record<string, Config> } }>('porting.json').maximize;

describeEachBackend('optim maximize', () => {
  const P = () => [new nn.Parameter(filled([2]))];
  for (const [name, c] of Object.entries(M.configs)) {
    it(`${name}: parameters after each of ${c.params.length} steps match torch.optim, and .grad is left as it was`, () => {
      const params = M.params0.map((s) => new nn.Parameter(load(s)));
      const opt = make(c, params);
      c.params.forEach((expected, step) => {
        params.forEach((p, j) => (p.grad = load(M.grads[step][j])));
        opt.step();
        params.forEach((p, j) => expect(Array.from(p.grad!.data), `${name} step ${step + 1} grad ${j}`).toEqual(Array.from(load(M.grads[step][j]).data)));
        expected.forEach((e, j) =>
          expectTensor(params[j], e, `${name} step ${step + 1} param ${j}`, { group: `${c.optimizer} params`, exact: decode(c.exact[step][j]) }),
        );
      });
    });
  }

  it('maximize ascends: one SGD step moves along +g', () => {
    const p = new nn.Parameter(filled([3]));
    const before = Array.from(p.data);
    p.grad = onesLike(p);
    new optim.SGD([p], { lr: 0.5, maximize: true }).step();
    expect(Array.from(p.data)).toEqual(before.map((v) => v + 0.5));
  });

  it('is an option of a parameter group too, and is in the PyTorch state dict when set (PyTorch reads a group without it as false)', () => {
    const a = new nn.Parameter(filled([2]));
    const b = new nn.Parameter(filled([2]));
    const opt = new optim.Adam([{ params: [a] }, { params: [b], maximize: true }], { lr: 0.1 });
    const groups = opt.torchStateDict().param_groups;
    expect(groups.map((g) => g.maximize)).toEqual([undefined, true]);
    // Loaded into an optimizer with the same groups; one without maximize refuses it, naming it.
    const again = new optim.Adam([{ params: [a] }, { params: [b], maximize: true }], { lr: 0.1 });
    again.loadStateDict(opt.torchStateDict());
    expectThrowsMentioning(() => new optim.Adam([{ params: [a] }, { params: [b] }], { lr: 0.1 }).loadStateDict(opt.torchStateDict()), ['maximize']);
  });

  it('refuses a maximize that is not a boolean, naming it', () => {
    for (const make of [
      () => new optim.SGD(P(), { lr: 0.1, maximize: 1 as never }),
      () => new optim.Adam(P(), { maximize: 'yes' as never }),
      () => new optim.AdamW(P(), { maximize: null as never }),
      () => new optim.RMSprop(P(), { maximize: 0 as never }),
    ]) {
      expectThrowsMentioning(make, ['maximize', 'true or false']);
    }
  });
});
