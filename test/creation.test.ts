// Tensor creation the PyTorch way: torch.zeros(2, 3), torch.randn(4, 5), zeros_like, arange,
// linspace, StepLR(opt, 30, 0.1), kaiming_normal_(w, mode='fan_out', nonlinearity='leaky_relu').
// Reference values printed by PyTorch 1.13 (/usr/bin/python3):
//   torch.linspace(-1, 2, 7).tolist() → [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]
//   torch.arange(0, 1, 0.1) → 10 values, the last 0.8999999761581421 (float32)
//   torch.arange(5, 0, -2).tolist() → [5, 3, 1]
import { describe, expect, it } from 'vitest';
import { Generator, arange, full, init, linspace, manualSeed, multinomial, nn, ones, onesLike, optim, rand, randint, randn, tensor, zeros, zerosLike } from '../src/index.js';

describe('tensor creation, PyTorch style', () => {
  it('takes the dimensions one by one, with or without options', () => {
    expect(zeros(2, 3).shape).toEqual([2, 3]);
    expect(ones(4).tolist()).toEqual([1, 1, 1, 1]);
    expect(zeros(2, 3, { requiresGrad: true }).requiresGrad).toBe(true);
    manualSeed(5);
    const a = randn(3, 4);
    manualSeed(5);
    expect(Array.from(randn([3, 4]).data)).toEqual(Array.from(a.data));
    expect(rand(2, 2, { dtype: 'float64' }).dtype).toBe('float64');
    expect(zeros([]).shape).toEqual([]);
  });

  it('refuses what is not a shape, naming the function', () => {
    expect(() => zeros('3' as never)).toThrow(/zeros\(\): expected a shape such as \[2, 3\] \(or the dimensions, zeros\(2, 3\)\), got string/);
    expect(() => randn(2, -1)).toThrow(/randn\(\): invalid shape \[2, -1\]/);
    expect(() => ones(2.5)).toThrow(/ones\(\): invalid shape/);
    expect(() => zeros([2], 3 as never)).toThrow(/zeros\(\): options must be an object/);
  });

  it("full()'s value is a number or a boolean, as torch.full's; a string, null or an array was filled in as NaN or 0", () => {
    for (const [v, says] of [['1', '"1"'], [null, 'null'], [undefined, 'undefined'], [[1], 'an array'], [2n, '2n']] as const) {
      expect(() => full([2], v as never), String(v)).toThrow(`full(): fillValue must be a number, got ${says}`);
    }
    expect(Array.from(full([2], NaN).data)).toEqual([NaN, NaN]);
    expect(Array.from(full([2], true as never).data)).toEqual([1, 1]);
    expect(Array.from(full([2, 1], -Infinity).data)).toEqual([-Infinity, -Infinity]);
  });

  it('zerosLike, onesLike, arange and linspace give PyTorch values', () => {
    const t = randn([2, 5], { dtype: 'float64' });
    expect(zerosLike(t).shape).toEqual([2, 5]);
    expect(zerosLike(t).dtype).toBe('float64');
    expect(Array.from(onesLike(t).data).every((v) => v === 1)).toBe(true);
    expect(arange(5).tolist()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(5, 0, -2).tolist()).toEqual([5, 3, 1]);
    const tenth = arange(0, 1, 0.1);
    expect(tenth.shape).toEqual([10]);
    expect(tenth.data[9]).toBe(0.8999999761581421);
    expect(linspace(-1, 2, 7).tolist()).toEqual([-1, -0.5, 0, 0.5, 1, 1.5, 2]);
    expect(linspace(0, 1, 1).tolist()).toEqual([0]);
    expect(() => arange(0, 5, -1)).toThrow(/end 5 cannot be reached from start 0 with step -1/);
    expect(() => arange(0, 1, 0)).toThrow(/step must be non-zero/);
    expect(() => linspace(0, 1, 2.5)).toThrow(/steps must be an integer/);
  });
});

describe('schedulers and init, PyTorch style', () => {
  it('StepLR takes PyTorch positional arguments or an options object; getLastLr reports the lr', () => {
    const params = new nn.Linear(2, 2).parameters();
    const a = new optim.SGD(params, { lr: 0.1 });
    const b = new optim.SGD(params, { lr: 0.1 });
    const sa = new optim.StepLR(a, 2, 0.5);
    const sb = new optim.StepLR(b, { stepSize: 2, gamma: 0.5 });
    for (let e = 0; e < 4; e++) {
      sa.step();
      sb.step();
    }
    expect(sa.getLastLr()).toEqual([0.025]);
    expect(sb.getLastLr()).toEqual([0.025]);
    expect(() => new optim.StepLR(a, { stepSize: 2, gama: 0.5 } as never)).toThrow(/StepLR: unknown option 'gama' \(did you mean 'gamma'\?\); the options are stepSize, gamma/);
    expect(new optim.CosineAnnealingLR(a, { tMax: 10 }).etaMin).toBe(0);
  });

  it("reads PyTorch's spellings in init: mode 'fan_out', nonlinearity 'leaky_relu'", () => {
    const w = zeros(64, 16, 3, 3);
    manualSeed(1);
    init.kaimingNormal(w, { mode: 'fan_out' as never, nonlinearity: 'leaky_relu' as never, a: 0.2 });
    let ss = 0;
    for (const v of w.data) ss += v * v;
    // std = gain / √fanOut with gain = √(2 / (1 + a²)) and fanOut = 64·3·3.
    const std = Math.sqrt(2 / (1 + 0.04)) / Math.sqrt(64 * 9);
    expect(Math.sqrt(ss / w.size) / std).toBeGreaterThan(0.95);
    expect(Math.sqrt(ss / w.size) / std).toBeLessThan(1.05);
    expect(init.calculateGain('leaky_relu' as never, 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    expect(() => init.kaimingNormal(w, { mode: 'fan_avg' as never })).toThrow(/mode must be 'fanIn' or 'fanOut', got 'fan_avg'/);
  });

  it('parameter groups as PyTorch: per-group lr over the shared options, schedulers scale each group', () => {
    const body = new nn.Linear(2, 2);
    const head = new nn.Linear(2, 1);
    const opt = new optim.SGD([{ params: body.parameters() }, { params: head.parameters(), lr: 0.5 }], { lr: 0.1, momentum: 0 });
    const w0 = Array.from(body.weight.data);
    const h0 = Array.from(head.weight.data);
    for (const p of [...body.parameters(), ...head.parameters()]) p.grad = ones(p.shape);
    opt.step();
    // SGD without momentum: θ ← θ − lr·g with g = 1, so the body moves by 0.1 and the head by 0.5.
    expect(Array.from(body.weight.data).map((v, i) => v - w0[i])).toEqual(w0.map(() => expect.closeTo(-0.1, 6)));
    expect(Array.from(head.weight.data).map((v, i) => v - h0[i])).toEqual(h0.map(() => expect.closeTo(-0.5, 6)));
    const sched = new optim.StepLR(opt, 1, 0.5);
    sched.step();
    expect(sched.getLastLr()).toEqual([0.05, 0.25]);
    // Adam's per-group options are checked like the top-level ones.
    expect(() => new optim.Adam([{ params: body.parameters(), betas: [0.9, 2] as [number, number] }])).toThrow(/betas\[1\] must be in \[0, 1\), got 2/);
    expect(() => new optim.Adam([{ params: body.parameters(), momentum: 0.9 } as never])).toThrow(/parameter group 0: unknown option 'momentum'/);
    expect(() => new optim.SGD([{ params: body.parameters() }])).toThrow(/SGD: parameter group 0: lr is required/);
    // Top-level options are checked as the groups' are: a misspelling is not ignored for the default.
    expect(() => new optim.Adam(body.parameters(), { learningRate: 0.1 } as never)).toThrow(/^Adam: unknown option 'learningRate'; the options are lr, betas, eps, weightDecay, amsgrad, maximize$/);
    expect(() => new optim.AdamW(body.parameters(), { weight_decay: 0.1 } as never)).toThrow(/^AdamW: unknown option 'weight_decay' \(gradlab spells it weightDecay\); the options are /);
    expect(() => new optim.SGD(body.parameters(), { lr: 0.1, momentun: 0.9 } as never)).toThrow(/^SGD: unknown option 'momentun' \(did you mean 'momentum'\?\); the options are /);
    // A bare number is the lr, as PyTorch's RMSprop(params, 0.01).
    expect(new optim.RMSprop(body.parameters(), 0.01).lr).toBe(0.01);
    // A Module where its parameters belong: named, not "params is not iterable".
    expect(() => new optim.Adam(body as never)).toThrow(/^Adam: params must be a list of parameters .*got a Module \(pass model\.parameters\(\)\)$/);
    expect(() => new optim.SGD(null as never, { lr: 0.1 })).toThrow(/^SGD: params must be .*got null$/);
    expect(() => new optim.Adam([{ params: body.parameters() }, { params: [body.weight] }])).toThrow(/a parameter appears more than once/);
    // A layer shared by two models: which parameter repeats which, and the fix.
    const shared = new nn.Linear(3, 2);
    const [m1, m2] = [new nn.Sequential(shared, new nn.ReLU()), new nn.Sequential(new nn.Linear(4, 3), shared)];
    expect(() => new optim.SGD([...m1.parameters(), ...m2.parameters()], { lr: 0.1 })).toThrow(
      'SGD: a parameter appears more than once: parameter 4 (shape [2, 3]) is parameter 0 again (a layer shared by two models gives its parameters in both): pass each once, e.g. [...new Set([...a.parameters(), ...b.parameters()])]',
    );
    expect(new optim.SGD([...new Set([...m1.parameters(), ...m2.parameters()])], { lr: 0.1 }).params).toHaveLength(4);
    expect(() => new optim.Adam([body.weight, { params: head.parameters() }] as never)).toThrow(/parameter 1 is a parameter group .* give either parameters or groups, not both/);
  });
});

// makemore's torch.randint(0, n, (batch_size,), generator=g) with g = torch.Generator().manual_seed(2147483647),
// and torch.multinomial(probs, num_samples=1, generator=g) in its sampling loop.
describe('randint, multinomial and Generator().manualSeed, as makemore uses them', () => {
  it('randint(low, high, size, {generator}) draws integers in [low, high), reproducibly per generator; randint(high, size) starts at 0', () => {
    const g = new Generator().manualSeed(2147483647);
    const a = randint(0, 10, [1000], { generator: g });
    expect(a.shape).toEqual([1000]);
    expect(Array.from(a.data).every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
    expect(new Set(a.data).size).toBe(10);
    const b = randint(0, 10, [1000], { generator: new Generator().manualSeed(2147483647) });
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    const c = randint(-3, -1, [2, 50]);
    expect(c.shape).toEqual([2, 50]);
    expect(new Set(c.data)).toEqual(new Set([-3, -2]));
    expect(Array.from(randint(2, [20]).data).every((v) => v === 0 || v === 1)).toBe(true);
    expect(() => randint(5, 5, [3])).toThrow(/randint\(\): high must be greater than low.*low 5 and high 5/);
    expect(() => randint(0, 2.5, [3])).toThrow(/randint\(\): high must be an integer, got 2.5/);
    expect(() => randint(0, 10, 32 as never)).toThrow(/randint\(\): size must be a shape array such as \[32\]/);
    expect(() => randint(0, 10, [3], { generater: g } as never)).toThrow(/generater/);
    expect(() => new Generator().manual_seed(1)).toThrow(/manual_seed is spelled manualSeed/);
  });

  it('multinomial draws each category with its probability (weights need not sum to 1), without replacement unless asked', () => {
    const g = new Generator().manualSeed(1);
    const counts = [0, 0, 0];
    const draws = multinomial(tensor([1, 0, 3]), 1, { generator: g });
    expect(draws.shape).toEqual([1]);
    for (let i = 0; i < 4000; i++) counts[multinomial(tensor([1, 0, 3]), 1, { generator: g }).item()]++;
    expect(counts[1]).toBe(0);
    expect(counts[2] / 4000).toBeGreaterThan(0.72);
    expect(counts[2] / 4000).toBeLessThan(0.78);
    const rows = tensor([[0.2, 0.8, 0], [0.5, 0, 0.5]]).multinomial(2, { generator: g });
    expect(rows.shape).toEqual([2, 2]);
    expect([...rows.tolist()[0]].sort()).toEqual([0, 1]);
    expect(() => tensor([[0, 0, 1]]).multinomial(2)).toThrow(/multinomial\(\): row 0 has only 1 non-zero categories for 2 samples without replacement/);
    expect(multinomial(tensor([0, 0, 1]), 3, true).tolist()).toEqual([2, 2, 2]);
    expect(() => multinomial(tensor([0.5, -0.5]), 1)).toThrow(/probabilities must be finite and non-negative, got -0.5 at \[1\]/);
    expect(() => multinomial(tensor([0, 0]), 1)).toThrow(/row 0 sums to 0/);
    expect(() => multinomial(tensor([1, 1]), 3)).toThrow(/cannot draw 3 samples without replacement from 2 categories/);
    expect(() => multinomial(tensor([1, 1]), 1, { generater: g } as never)).toThrow(/unknown option 'generater'/);
  });
});
