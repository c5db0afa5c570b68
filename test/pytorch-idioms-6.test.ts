// Everyday PyTorch idioms outside the tutorials, written as a PyTorch user writes them.
// Reference values: test/fixtures/pytorch-idioms-6.py (PyTorch 1.13).
import { describe, expect, it } from 'vitest';
import { init, manualSeed, nn, noGrad, ops, tensor, zeros } from '../src/index.js';

describe('initialisation habits', () => {
  const initWeights = (m: nn.Module) => {
    if (m instanceof nn.Linear) {
      nn.init.xavierUniform_(m.weight);
      m.bias!.data.fill_(0.01);
    }
  };
  const bound = (fanIn: number, fanOut: number) => Math.sqrt(6 / (fanIn + fanOut));
  const maxAbs = (d: ArrayLike<number>) => Math.max(...Array.from(d, Math.abs));

  it('model.apply(initWeights) with nn.init.xavierUniform_ and bias.data.fill_ holds after a Sequential, built before or after', () => {
    manualSeed(0);
    const after = new nn.Sequential(new nn.Linear(20, 30), new nn.ReLU(), new nn.Linear(30, 5));
    after.apply(initWeights);
    const l = new nn.Linear(20, 30);
    initWeights(l);
    const w = Float32Array.from(l.weight.data);
    const before = new nn.Sequential(l, new nn.ReLU(), new nn.Linear(30, 5));
    expect(Array.from(before[0].weight.data)).toEqual(Array.from(w)); // not re-drawn for the ReLU
    for (const m of [after[0], after[2], before[0]] as nn.Linear[]) {
      expect(maxAbs(m.weight.data)).toBeLessThanOrEqual(bound(m.inFeatures, m.outFeatures));
      expect(Array.from(m.bias!.data).every((b) => b === Math.fround(0.01))).toBe(true);
    }
    // Xavier's bound is well below He's for the ReLU: the values are Xavier's, not the default's.
    expect(maxAbs(after[0].weight.data)).toBeGreaterThan(0.8 * bound(20, 30));
  });

  it('nn.init.zeros_ / constant_ on a weight, then new nn.Sequential(...): the symmetric weights stay exactly', () => {
    const a = new nn.Linear(3, 4);
    const b = new nn.Linear(4, 2);
    nn.init.zeros_(a.weight);
    init.constant_(b.weight, 0.5);
    const model = new nn.Sequential(a, new nn.Tanh(), b);
    expect(Array.from(model[0].weight.data).every((v) => v === 0)).toBe(true);
    expect(Array.from(model[2].weight.data).every((v) => v === 0.5)).toBe(true);
  });

  it('weight.data.normal_(0, 0.02), weight.normal_ under noGrad and bias.data.zero_ (BERT-style init)', () => {
    manualSeed(1);
    const l = new nn.Linear(100, 100);
    l.weight.data.normal_(0, 0.02);
    l.bias!.data.zero_();
    const d = Array.from(l.weight.data);
    const mean = d.reduce((s, v) => s + v, 0) / d.length;
    const std = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length);
    expect(Math.abs(mean)).toBeLessThan(0.002);
    expect(std).toBeGreaterThan(0.019);
    expect(std).toBeLessThan(0.021);
    expect(Array.from(l.bias!.data).every((v) => v === 0)).toBe(true);
    noGrad(() => l.weight.uniform_(-0.1, 0.1));
    expect(maxAbs(l.weight.data)).toBeLessThanOrEqual(0.1);
    expect(() => l.weight.normal_()).toThrow(/noGrad/);
    expect(() => l.weight.data.fill_('0' as unknown as number)).toThrow(/value must be a number/);
  });

  it('kaimingUniform_(w, {a: Math.sqrt(5)}) (nn.Linear\'s own reset_parameters) is bounded by 1/√fan_in; calculateGain("leaky_relu", 0.2)', () => {
    const w = zeros(64, 50);
    init.kaimingUniform_(w, { a: Math.sqrt(5) });
    expect(maxAbs(w.data)).toBeLessThanOrEqual(1 / Math.sqrt(50));
    expect(maxAbs(w.data)).toBeGreaterThan(0.9 / Math.sqrt(50));
    expect(init.calculateGain('leaky_relu' as 'leakyRelu', 0.2)).toBeCloseTo(1.3867504905630728, 12);
  });

  it('truncNormal_(w, 0, 1, -2, 2) and truncNormal_(w, {std: 0.02}) stay in [a, b]; orthogonal_ gives WᵀW = I', () => {
    manualSeed(2);
    const w = zeros(5000);
    nn.init.truncNormal_(w, 0, 1, -2, 2);
    expect(Math.min(...w.data)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...w.data)).toBeLessThanOrEqual(2);
    expect(Math.max(...w.data)).toBeGreaterThan(1.9);
    // Var of N(0,1) truncated to ±2: 1 − 2·2·φ(2)/(Φ(2) − Φ(−2)) = 0.7737.
    const v = Array.from(w.data).reduce((s, x) => s + x * x, 0) / w.size;
    expect(v).toBeGreaterThan(0.74);
    expect(v).toBeLessThan(0.81);
    const s = zeros(1000);
    init.truncNormal_(s, { std: 0.02 }); // a, b stay ±2: absolute bounds, so nothing is cut
    expect(maxAbs(s.data)).toBeLessThan(0.1);
    expect(() => init.truncNormal_(s, 0, 1, 2, -2)).toThrow(/a must be < b/);
    expect(init.constant_(zeros(2), { val: 0.5 }).tolist()).toEqual([0.5, 0.5]);
    expect(() => init.constant_(zeros(2), undefined as never)).toThrow(/the value to fill with \(val\) is missing/);
    const q2 = init.orthogonal_(zeros(4, 4), { gain: 2 });
    expect(q2.T.matmul(q2).data[0]).toBeCloseTo(4, 4);
    const q = init.orthogonal_(zeros(6, 4));
    const qtq = q.T.matmul(q);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) expect(qtq.data[i * 4 + j]).toBeCloseTo(i === j ? 1 : 0, 5);
  });

  it('model[0:2] as model.slice(0, 2) shares the layers and re-draws nothing', () => {
    manualSeed(3);
    const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
    const w = Array.from(model[0].weight.data);
    const features = model.slice(0, 1); // the Linear loses its ReLU consumer in the slice
    expect(features.length).toBe(1);
    expect(features[0]).toBe(model[0]);
    expect(Array.from(model[0].weight.data)).toEqual(w);
    expect(model.slice(-1)[0]).toBe(model[2]);
    expect(String(model.slice(0, 2))).toBe('Sequential(\n  (0): Linear(inFeatures=4, outFeatures=8, bias=true)\n  (1): ReLU()\n)');
  });
});

describe('tensor idioms in training loops', () => {
  it('topk values, indices and gradient as torch.topk', () => {
    const x = tensor([[1, 5, 2, 5], [7, 0, 1, -3]], { requiresGrad: true });
    const [v, i] = x.topk(2, 1);
    expect(v.tolist()).toEqual([[5, 5], [7, 1]]);
    expect(i.tolist()).toEqual([[1, 3], [0, 2]]);
    const [v0, i0] = ops.topk(x, 1, 0, false);
    expect(v0.tolist()).toEqual([[1, 0, 1, -3]]);
    expect(i0.tolist()).toEqual([[0, 1, 1, 1]]);
    v0.sum().backward();
    expect(x.grad!.tolist()).toEqual([[1, 0, 0, 0], [0, 1, 1, 1]]);
    // top-5 accuracy as users write it
    const logits = tensor([[0.1, 0.5, 0.2, 0.9, 0.3, 0.0, 0.8]]);
    expect(logits.topk(5, 1).indices.eq(tensor([[6]])).sum().item()).toBe(1);
    expect(() => x.topk(5, 1)).toThrow(/k must be an integer in \[0, 4\]/);
  });

  it('p.grad.norm() and norm(1), norm(Infinity), norm(2, 1), norm(3) as torch.norm', () => {
    const x = tensor([[3, -4], [1, 2]], { requiresGrad: true });
    const n = x.norm();
    n.backward();
    expect(n.item()).toBeCloseTo(5.4772257804870605, 5);
    const g = [[0.5477225184440613, -0.7302967309951782], [0.18257418274879456, 0.3651483654975891]];
    x.grad!.tolist().flat().forEach((v, k) => expect(v).toBeCloseTo(g[Math.floor(k / 2)][k % 2], 6));
    expect(x.norm(1).item()).toBe(10);
    expect(x.norm(Infinity).item()).toBe(4);
    expect((x.norm(2, 1).tolist() as number[]).map((v) => +v.toFixed(5))).toEqual([5, 2.23607]);
    expect(x.norm(3).item()).toBeCloseTo(4.641589164733887, 5);
  });

  it('F.one_hot as ops.oneHot, numClasses inferred or given', () => {
    expect(ops.oneHot(tensor([0, 2, 1])).tolist()).toEqual([[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    expect(ops.oneHot(tensor([1]), 4).shape).toEqual([1, 4]);
    expect(() => ops.oneHot(tensor([3]), 3)).toThrow(/index 3 is out of range for numClasses 3/);
    expect(() => ops.oneHot(tensor([0.5]))).toThrow(/non-negative integers/);
  });

  it("PyTorch's keywords as a last object on the reduction methods: x.sum({dim: 1, keepdim: true}), x.std(0, {unbiased: false}), x.max({dim: 1})", () => {
    const x = tensor([[1, 2], [3, 5]]);
    expect(x.sum({ dim: 1, keepdim: true } as never).tolist()).toEqual([[3], [8]]);
    expect(x.mean({ dim: 0 } as never).tolist()).toEqual([2, 3.5]);
    expect(x.std(0, { unbiased: false } as never).tolist()).toEqual([1, 1.5]);
    expect((x.max({ dim: 1 } as never) as unknown as ops.ValuesIndices).indices.tolist()).toEqual([1, 1]);
    expect(x.topk(1, { dim: 0 } as never).values.tolist()).toEqual([[3, 5]]);
    expect(() => x.sum({ dim: 1, keep_dim: true } as never)).toThrow("sum(): unknown option 'keep_dim' (gradlab spells it keepdim); the options are dim, keepdim");
  });
});
