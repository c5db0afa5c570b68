import { expect, it } from 'vitest';
import { nn, optim } from '../../src/index.js';
import { decode, describeEachBackend, expectClose, expectTensor, expectThrowsMentioning, filled, fixture, load, type Stored } from '../helpers/check.js';

interface NormCase {
  maxNorm: number;
  grads: Stored[];
  total: number;
  clipped: Stored[];
}
const C = fixture<Record<string, any>>('clip.json');

function params(grads: Stored[]) {
  return grads.map((g) => {
    const p = new nn.Parameter(load({ ...g, data: Buffer.from(new Float32Array(decode(g).length).buffer).toString('base64') }));
    p.grad = load(g);
    return p;
  });
}

describeEachBackend('optim.clipGradNorm / clipGradValue', () => {
  for (const name of ['norm/clipped', 'norm/unclipped', 'norm/exact']) {
    const c = C[name] as NormCase;
    it(`${name}: the returned total norm and the clipped gradients match clip_grad_norm_`, () => {
      const ps = params(c.grads);
      const total = optim.clipGradNorm(ps, c.maxNorm);
      expectClose([total], [c.total], `${name} total norm`, { group: 'clip' });
      ps.forEach((p, i) => expectTensor(p.grad, c.clipped[i], `${name} grad ${i}`, { group: 'clip' }));
    });
  }
  it('value: clamps every element to [−clip, clip] as clip_grad_value_', () => {
    const c = C.value as { clip: number; grads: Stored[]; clipped: Stored[] };
    const ps = params(c.grads);
    optim.clipGradValue(ps, c.clip);
    ps.forEach((p, i) => expectTensor(p.grad, c.clipped[i], `value grad ${i}`, { rtol: 0, atol: 0 }));
  });
  it('skips parameters without gradients', () => {
    const p = new nn.Parameter(filled([2]));
    expect(optim.clipGradNorm([p], 1)).toBe(0);
    expect(p.grad).toBeNull();
  });
  it('refuses maxNorm ≤ 0 and a negative clip, naming them', () => {
    expectThrowsMentioning(() => optim.clipGradNorm([], 0), ['maxNorm']);
    expectThrowsMentioning(() => optim.clipGradValue([], -1), ['clip']);
  });
  it('errorIfNonfinite: throws on a NaN norm', () => {
    const p = new nn.Parameter(filled([2]));
    p.grad = filled([2]);
    p.grad.data[0] = NaN;
    expectThrowsMentioning(() => optim.clipGradNorm([p], 1, { errorIfNonfinite: true }), ['NaN']);
  });
});
