/**
 * toString()/formatTensor against PyTorch's str(t) (test/fixtures/make_tensor_ops.py wrote the
 * strings, with PyTorch's suffix names mapped to gradlab's): every printing regime — fixed,
 * integer, scientific, NaN/±∞, −0, ties rounded to even, wrapping at 80 columns, summarising
 * beyond 1000 elements, empty tensors, float64.
 */
import { describe, expect, it } from 'vitest';
import { Tensor, formatTensor, tensor, ops } from '../src/index.js';
import { decode, fixture, type Stored } from './helpers/check.js';

interface FormatCase {
  tensor: Stored | { shape: number[]; values: number[] };
  requiresGrad: boolean;
  dtype: string;
  str: string;
}

const cases = Object.entries(fixture<Record<string, FormatCase>>('format.json'));

function build(c: FormatCase): Tensor {
  const s = c.tensor;
  const data = 'values' in s ? Float64Array.from(s.values) : Float32Array.from(decode(s));
  return new Tensor(data, s.shape, c.requiresGrad);
}

describe('formatTensor: PyTorch print format', () => {
  it('has fixtures', () => expect(cases.length).toBeGreaterThan(20));
  for (const [name, c] of cases) {
    it(`${name}: prints as PyTorch does`, () => {
      const t = build(c);
      expect(formatTensor(t)).toBe(c.str);
      expect(String(t)).toBe(c.str);
      expect(`${t}`).toBe(c.str);
    });
  }
});

describe('formatTensor: what users print', () => {
  it('shows requiresGrad on the outputs of ops, as PyTorch shows grad_fn', () => {
    const w = tensor([[0.5, -1.25]], { requiresGrad: true });
    expect(String(ops.mul(w, 2))).toBe('tensor([[ 1.0000, -2.5000]], requiresGrad=true)');
    expect(String(ops.mul(w, 2).detach())).toBe('tensor([[ 1.0000, -2.5000]])');
  });
  it('summarises a large tensor in a few lines instead of printing a million numbers', () => {
    const big = new Tensor(new Float32Array(1_000_000).fill(0.25), [1000, 1000]);
    const s = String(big);
    expect(s.split('\n').length).toBe(7);
    expect(s).toContain('...');
  });
  it('printing a disposed tensor does not throw', () => {
    const t = tensor([1, 2, 3]);
    t.dispose();
    expect(() => String(t)).not.toThrow();
  });
  it('console.log shows the values in Node', async () => {
    const { inspect } = await import('node:util');
    expect(inspect(tensor([1, 2]))).toBe('tensor([1., 2.])');
  });
});
