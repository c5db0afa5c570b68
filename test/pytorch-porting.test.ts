// A PyTorch training script ported line by line, using the names porting code reaches for:
// x.split, x.chunk, x.cumsum, x.maskedFill, nn.GELU({approximate: 'tanh'}), nn.Softplus({beta,
// threshold}) and Adam's maximize. Reference values: test/fixtures/make_porting.py (PyTorch 1.13),
// make_script(), which runs the same script on the same data and weights.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { arange, nn, ops, ops as F, optim, tensor, type Tensor } from '../src/index.js';

/** A stored float32 tensor: its shape and the base64 of its little-endian bytes. */
interface Stored {
  shape: number[];
  data: string;
}
const decode = (s: Stored) => new Float32Array(new Uint8Array(Buffer.from(s.data, 'base64')).buffer);
const load = (s: Stored) => tensor(Array.from(decode(s)), s.shape);

interface Script {
  X: Stored;
  Y: Stored;
  init: Record<string, Stored>;
  scores: number[];
  final: Record<string, Stored>;
}
const REF: Script = JSON.parse(readFileSync(new URL('./fixtures/porting.json', import.meta.url), 'utf8')).script;

const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, tol: number, label: string) => {
  expect(got.length, label).toBe(want.length);
  const worst = Array.from(got).reduce((m, g, i) => Math.max(m, Math.abs(g - want[i]) / (1 + Math.abs(want[i]))), 0);
  expect(worst, `${label}: worst relative difference ${worst}`).toBeLessThanOrEqual(tol);
};

/** The fixture's state dict for one of the two modules (keys of the head start with 'head.'). */
const stateOf = (all: Record<string, Stored>, head: boolean) =>
  Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('head.') === head).map(([k, v]) => [head ? k.slice(5) : k, load(v)]));

describe('a PyTorch script using split, chunk, cumsum, maskedFill, GELU(tanh), Softplus(beta) and Adam(maximize)', () => {
  it('gives PyTorch’s objective at every step and its weights at the end', () => {
    const X = load(REF.X);
    const Y = load(REF.Y);
    // body = nn.Sequential(nn.Linear(6, 12), nn.GELU(approximate='tanh'))
    const body = new nn.Sequential(new nn.Linear(6, 12), new nn.GELU({ approximate: 'tanh' }));
    // head = nn.Sequential(nn.Softplus(beta=2.0, threshold=5.0), nn.Linear(6, 2))
    const head = new nn.Sequential(new nn.Softplus({ beta: 2, threshold: 5 }), new nn.Linear(6, 2));
    body.loadStateDict(stateOf(REF.init, false));
    head.loadStateDict(stateOf(REF.init, true));
    // drop = (torch.arange(6) % 3 == 0)
    const drop = arange(6).eq(0).add(arange(6).eq(3));
    const opt = new optim.Adam([...body.parameters(), ...head.parameters()], { lr: 0.01, maximize: true });
    const scores: number[] = [];
    for (let step = 0; step < 5; step++) {
      const [first, rest] = X.split([4, 2], { dim: 1 });
      const xin = ops.cat([rest, first], { dim: 1 });
      const h = body.forward(xin);
      const [a, b] = h.chunk(2, { dim: 1 });
      const gated = a.mul(b.sigmoid());
      const c = gated.cumsum({ dim: 1 }).maskedFill(drop, 0.0);
      const out = head.forward(c);
      const score = F.mseLoss(out, Y).neg(); // maximized: the loss goes down
      opt.zeroGrad();
      score.backward();
      opt.step();
      scores.push(score.item());
    }
    expectClose(scores, REF.scores, 1e-5, 'scores');
    // Maximizing −MSE lowers the loss, as in PyTorch.
    expect(scores[4]).toBeGreaterThan(scores[0]);
    const final = { ...body.stateDict(), ...Object.fromEntries(Object.entries(head.stateDict()).map(([k, v]) => [`head.${k}`, v])) };
    expect(Object.keys(final).sort()).toEqual(Object.keys(REF.final).sort());
    for (const [k, v] of Object.entries(REF.final)) expectClose((final as Record<string, Tensor>)[k].data, decode(v), 1e-5, k);
  });
});

describe('the tensor basics a port reads, as PyTorch has them', () => {
  const x = () => tensor([[[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], [[13, 14, 15, 16], [17, 18, 19, 20], [21, 22, 23, 24]]]);
  it('view/reshape with -1, flatten(start, end), numel, dim', () => {
    expect(x().view(-1, 4).shape).toEqual([6, 4]);
    expect(x().reshape(2, -1).shape).toEqual([2, 12]);
    expect(x().flatten(1).shape).toEqual([2, 12]);
    expect(x().flatten(0, 1).shape).toEqual([6, 4]);
    expect(x().numel()).toBe(24);
    expect(x().dim()).toBe(3);
  });
  it('t() of a matrix and T (all dimensions reversed, as PyTorch 1.13)', () => {
    const m = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(m.t().tolist()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(x().T.shape).toEqual([4, 3, 2]);
    expect(x().T.tolist()[3][2][1]).toBe(24);
  });
  it("h = x.clone(); h += 1 (PyTorch's in-place change of a copy) keeps x's gradient", () => {
    const x = tensor([1, 2, 3], { requiresGrad: true });
    const h = x.clone();
    h.add_(1);
    h.mul(h).sum().backward();
    // d/dx Σ (x + 1)² = 2(x + 1)
    expect(Array.from(x.grad!.data)).toEqual([4, 6, 8]);
    expect(Array.from(x.data)).toEqual([1, 2, 3]);
  });
  it('clone() keeps the graph and detach() leaves it, as in PyTorch', () => {
    const w = tensor([1, 2], { requiresGrad: true });
    const y = w.clone().mul(w.detach()).sum();
    y.backward();
    // d/dw Σ clone(w)·stop(w) = stop(w): the detached factor gets no gradient.
    expect(Array.from(w.grad!.data)).toEqual([1, 2]);
  });
});
