/**
 * Initializers: gains and fans exactly as torch.nn.init; uniform bounds exact (every sample
 * inside, the extremes close to the bound); normal initializers' sample std against PyTorch's
 * formula on large tensors (gradlab's RNG differs from torch's, so samples are not compared).
 */
import { expect, it } from 'vitest';
import { init, Generator, manualSeed, zeros, ACTIVATION_NAMES } from '../src/index.js';
import { INIT_NAMES, getInitializer } from '../src/init.js';
import { describeEachBackend, expectThrowsMentioning, fixture } from './helpers/check.js';

const I = fixture<{
  gains: Record<string, number>;
  fans: Record<string, { fanIn: number; fanOut: number }>;
  bounds: Record<string, number>;
  stds: Record<string, number>;
}>('init.json');

const shapeOf = (k: string) => k.split('x').map(Number);

function moments(d: ArrayLike<number>) {
  let s = 0;
  let ss = 0;
  let max = 0;
  for (let i = 0; i < d.length; i++) {
    s += d[i];
    ss += d[i] * d[i];
    max = Math.max(max, Math.abs(d[i]));
  }
  const mean = s / d.length;
  return { mean, std: Math.sqrt(ss / d.length - mean * mean), max };
}

function parseKaiming(key: string) {
  const [, shape, mode, a, nl] = key.split('/');
  return { shape: shapeOf(shape), mode: mode as 'fanIn' | 'fanOut', a: Number(a.slice(2)), nonlinearity: nl as never };
}

describeEachBackend('init', () => {
  it('calculateGain matches torch.nn.init.calculate_gain exactly', () => {
    for (const [k, v] of Object.entries(I.gains)) {
      const m = /^(\w+)(?:\((.+)\))?$/.exec(k)!;
      const param = m[2] === undefined ? undefined : m[2] === 'sqrt5' ? Math.sqrt(5) : Number(m[2]);
      expect(init.calculateGain(m[1] as never, param), k).toBe(v);
    }
  });

  it('computeFans matches _calculate_fan_in_and_fan_out', () => {
    for (const [k, v] of Object.entries(I.fans)) expect(init.computeFans(shapeOf(k)), k).toEqual(v);
    expectThrowsMentioning(() => init.computeFans([5]), ['[5]']);
  });

  it('xavierUniform and kaimingUniform: every sample inside the exact bound, the extremes within 1% of it', () => {
    manualSeed(1);
    for (const [k, bound] of Object.entries(I.bounds)) {
      let t;
      if (k.startsWith('xavierUniform')) {
        const [, shape, g] = k.split('/');
        t = init.xavierUniform(zeros(shapeOf(shape)), Number(g.slice(5)));
      } else {
        const o = parseKaiming(k);
        t = init.kaimingUniform(zeros(o.shape), { a: o.a, mode: o.mode, nonlinearity: o.nonlinearity });
      }
      const m = moments(t.data);
      // float32 storage may round a sample up by half an ulp.
      expect(m.max, k).toBeLessThanOrEqual(bound * (1 + 2 ** -24));
      expect(m.max, k).toBeGreaterThan(0.99 * bound);
      // U(−b, b) has std b/√3; sampling error of the std is ≈ std/√(2n)·… ≤ 1% for n ≥ 512.
      expect(Math.abs(m.std / (bound / Math.sqrt(3)) - 1), k).toBeLessThan(5 * Math.sqrt(0.4 / t.size) + 1e-3);
    }
  });

  it("xavierNormal and kaimingNormal: sample std matches PyTorch's formula on large tensors", () => {
    manualSeed(2);
    for (const [k, std] of Object.entries(I.stds)) {
      let t;
      if (k.startsWith('xavierNormal')) {
        const [, shape, g] = k.split('/');
        t = init.xavierNormal(zeros(shapeOf(shape)), Number(g.slice(5)));
      } else {
        const o = parseKaiming(k);
        t = init.kaimingNormal(zeros(o.shape), { a: o.a, mode: o.mode, nonlinearity: o.nonlinearity });
      }
      const m = moments(t.data);
      // Sample std of n normals: relative sd 1/√(2n); mean: sd std/√n. 5 sd.
      expect(Math.abs(m.std / std - 1), k).toBeLessThan(5 / Math.sqrt(2 * t.size));
      expect(Math.abs(m.mean), k).toBeLessThan((5 * std) / Math.sqrt(t.size));
    }
  });

  it('lecunNormal / lecunUniform / normal / uniform / constant follow their formulas', () => {
    manualSeed(3);
    const n = init.lecunNormal(zeros([400, 250]));
    expect(Math.abs(moments(n.data).std * Math.sqrt(250) - 1)).toBeLessThan(5 / Math.sqrt(2e5));
    const u = init.lecunUniform(zeros([400, 250]));
    expect(moments(u.data).max).toBeLessThanOrEqual(Math.sqrt(3 / 250) * (1 + 2 ** -24));
    const v = init.uniform(zeros([10000]), -2, 3);
    expect(Math.min(...v.data)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...v.data)).toBeLessThanOrEqual(3);
    expect(Math.abs(moments(v.data).mean - 0.5)).toBeLessThan(5 * (5 / Math.sqrt(12)) / 100);
    const w = init.normal(zeros([100000]), 1.5, 0.25);
    expect(Math.abs(moments(w.data).mean - 1.5)).toBeLessThan(5 * 0.25 / Math.sqrt(1e5));
    expect(Math.abs(moments(w.data).std / 0.25 - 1)).toBeLessThan(5 / Math.sqrt(2e5));
    expect(Array.from(init.constant(zeros([3]), 0.3).data)).toEqual([0.3, 0.3, 0.3].map(Math.fround));
    expect(Array.from(init.ones(zeros([2])).data)).toEqual([1, 1]);
  });

  for (const shape of [[6, 6], [8, 5], [5, 8], [4, 3, 2]]) {
    it(`orthogonal ${JSON.stringify(shape)}: Q·Qᵀ = gain²·I (rows ≤ cols) or Qᵀ·Q = gain²·I (rows > cols)`, () => {
      const gain = 1.7;
      const t = init.orthogonal(zeros(shape), gain, new Generator(11));
      const rows = shape[0];
      const cols = t.size / rows;
      const small = Math.min(rows, cols);
      for (let i = 0; i < small; i++) {
        for (let j = 0; j < small; j++) {
          let dot = 0;
          if (rows <= cols) for (let c = 0; c < cols; c++) dot += t.data[i * cols + c] * t.data[j * cols + c];
          else for (let r = 0; r < rows; r++) dot += t.data[r * cols + i] * t.data[r * cols + j];
          // float32 storage: each entry off by ≤ ½ulp, so the dot by ≲ √n·u·gain².
          expect(Math.abs(dot - (i === j ? gain * gain : 0)), `${i},${j}`).toBeLessThan(1e-6 * gain * gain);
        }
      }
    });
  }

  it('is deterministic under manualSeed', () => {
    manualSeed(9);
    const a = Array.from(init.kaimingNormal(zeros([4, 4])).data);
    manualSeed(9);
    expect(Array.from(init.kaimingNormal(zeros([4, 4])).data)).toEqual(a);
  });

  it('refuses an unknown nonlinearity, listing the valid ones', () => {
    expectThrowsMentioning(() => init.calculateGain('swish' as never), ["'swish'", ...ACTIVATION_NAMES]);
    expectThrowsMentioning(() => init.kaimingNormal(zeros([2, 2]), { nonlinearity: 'swish' as never }), ["'swish'", 'relu']);
  });
  it('refuses an unknown initializer name, listing the valid ones', () => {
    expectThrowsMentioning(() => getInitializer('glorot'), ["'glorot'", ...INIT_NAMES]);
  });
  it('refuses bad options, naming them', () => {
    expectThrowsMentioning(() => init.kaimingUniform(zeros([2, 2]), { mode: 'fanAvg' as never }), ['mode', 'fanAvg']);
    expectThrowsMentioning(() => init.uniform(zeros([2]), 1, 0), ['a', 'b']);
    expectThrowsMentioning(() => init.normal(zeros([2]), 0, -1), ['std']);
    expectThrowsMentioning(() => init.orthogonal(zeros([3])), ['[3]']);
    expectThrowsMentioning(() => init.calculateGain('leakyRelu', NaN), ['param']);
  });
});
