/**
 * F.hardtanh / F.relu6 and nn.Hardtanh / nn.ReLU6 against PyTorch 1.13 (test/fixtures/make_hardtanh.py
 * → hardtanh.json): values and input gradients inside, outside and at the interval's ends, at ±0,
 * ±∞ and NaN (whose gradient PyTorch passes through), float32 and float64; finite differences
 * away from the kinks; bad arguments.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { gradcheck, nn, ops, tensor } from '../../src/index.js';
import { describeEachBackend, expectThrowsMentioning } from '../helpers/check.js';

interface Case { op: 'hardtanh' | 'relu6'; minVal: number; maxVal: number; dtype: 'float32' | 'float64'; x: (number | string)[]; g: number[]; y: (number | string)[]; gx: (number | string)[] }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/hardtanh.json', import.meta.url), 'utf8')) as { cases: Case[] };
const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));

describeEachBackend('hardtanh and relu6', () => {
  it('equal PyTorch: values and gradients at the ends, ±0, ±∞ and NaN (functional and module forms)', () => {
    expect(fixture.cases.length).toBe(10);
    for (const c of fixture.cases) {
      for (const form of ['functional', 'module'] as const) {
        const x = tensor(c.x.map(num), { dtype: c.dtype, requiresGrad: true });
        const y =
          form === 'functional'
            ? c.op === 'relu6' ? ops.relu6(x) : ops.hardtanh(x, c.minVal, c.maxVal)
            : c.op === 'relu6' ? new nn.ReLU6().forward(x) : new nn.Hardtanh({ minVal: c.minVal, maxVal: c.maxVal }).forward(x);
        y.backward(tensor(c.g, { dtype: c.dtype }));
        const what = `${form} ${c.op}(${c.minVal}, ${c.maxVal}) ${c.dtype}`;
        expect(Array.from(y.data), what).toEqual(c.y.map(num));
        expect(Array.from(x.grad!.data), what).toEqual(c.gx.map(num));
      }
    }
  });

  it('finite differences away from the ends; -0 stays -0', () => {
    const x = tensor([-1.7, -0.4, 0.2, 0.9, 1.6, 3], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((a) => ops.hardtanh(a, -0.5, 1.2), [x]).ok).toBe(true);
    expect(gradcheck((a) => ops.relu6(a), [x]).ok).toBe(true);
    expect(Object.is(ops.hardtanh(tensor([-0])).data[0], -0)).toBe(true);
  });

  it('refuses a reversed interval or a non-number bound, naming it', () => {
    const x = tensor([0.5]);
    expectThrowsMentioning(() => ops.hardtanh(x, 1, -1), ['hardtanh', 'minVal (1)', 'maxVal (-1)']);
    expectThrowsMentioning(() => ops.hardtanh(x, Number.NaN, 1), ['hardtanh', 'minVal']);
    expectThrowsMentioning(() => new nn.Hardtanh(2, 1), ['Hardtanh', 'minVal (2)']);
    expectThrowsMentioning(() => new nn.Hardtanh({ maxVal: 'big' as unknown as number }), ['Hardtanh', 'maxVal']);
    expect(String(new nn.Hardtanh(-2, 2))).toBe('Hardtanh(minVal=-2, maxVal=2)');
    expect(String(new nn.ReLU6())).toBe('ReLU6()');
  });

  it('trains in a Sequential as a user writes it (a ReLU6 net, state dict keys as PyTorch)', () => {
    const model = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU6(), new nn.Linear(4, 1), new nn.Hardtanh());
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    const y = model.forward(tensor([[1, 2, 3], [-1, 0, 1]]));
    expect(y.shape).toEqual([2, 1]);
    for (const v of y.data) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  });
});
