/**
 * The one training step (src/train/step.ts): fit runs the same fused forward as a plain loop,
 * and fit and a hand-driven TrainStep (as the lab's worker drives it) report the same
 * non-finite origin for the same run.
 */
import { describe, expect, test } from 'vitest';
import { loss, manualSeed, nn, optim, tensor, Tensor } from '../../src/index.js';
import { fit } from '../../src/train/index.js';
import { TrainStep } from '../../src/train/step.js';
import { Sequential } from '../../src/nn/sequential.js';
import { blobs } from './helpers.js';
import { describeEachBackend } from '../helpers/check.js';

const mlp = () => new nn.Sequential(new nn.Linear(2, 16), new nn.ReLU(), new nn.Linear(16, 16), new nn.Tanh(), new nn.Linear(16, 3));

describe('TrainStep', () => {
  test('fit trains to exactly the weights of a plain PyTorch-style loop over the same batches', async () => {
    const d = blobs(64, 3, 2);
    manualSeed(4);
    const a = mlp();
    await fit(a, d, { epochs: 2, batchSize: 16, shuffle: false, optimizer: 'sgd', lr: 0.1, seed: 4, health: false });
    manualSeed(4);
    const b = mlp();
    const opt = new optim.SGD(b.parameters(), { lr: 0.1 });
    for (let e = 0; e < 2; e++) {
      for (let s = 0; s < 64; s += 16) {
        opt.zeroGrad();
        const x = new Tensor(d.x.data.slice(s * 2, (s + 16) * 2), [16, 2]);
        const y = new Tensor(d.y.data.slice(s, s + 16), [16]);
        loss.crossEntropy(b.forward(x), y).backward();
        opt.step();
      }
    }
    expect(a.parameters().map((p) => Array.from(p.data))).toEqual(b.parameters().map((p) => Array.from(p.data)));
  });

  test('ordinary steps use the fused forward; monitored steps trace every layer, with the same values', () => {
    manualSeed(2);
    const m = mlp();
    const ts = new TrainStep(m, new optim.SGD(m.parameters(), { lr: 0 }), { loss: (o, t) => loss.crossEntropy(o, t) });
    const x = tensor([[0.5, -1], [2, 0.25]]);
    const y = tensor([0, 2]);
    // The fused path runs Linear + ReLU as one op: the ReLU module's own forward is not called.
    const relu = (m as Sequential).layers[1];
    let reluCalls = 0;
    const f = relu.forward.bind(relu);
    relu.forward = (t: Tensor) => (reluCalls++, f(t));
    const plain = ts.run(x, y);
    expect(plain.outputs).toBeNull();
    expect(reluCalls).toBe(0);
    const traced = ts.run(x, y, true);
    expect(reluCalls).toBe(1);
    expect(traced.outputs).toHaveLength(5);
    expect(traced.loss).toBe(plain.loss);
    expect(traced.gradNorm).toBe(plain.gradNorm);
  });

  test('the same diverging run gives the same non-finite origin through fit and through a hand-driven TrainStep', async () => {
    const run = () => {
      manualSeed(3);
      const m = new Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 8), new nn.ReLU(), new nn.Linear(8, 3));
      const d = blobs(40, 3, 5);
      d.x.data.forEach((v, i) => (d.x.data[i] = v * 1e3));
      return { m, d };
    };
    const viaFit = run();
    const report = await fit(viaFit.m, viaFit.d, { epochs: 5, batchSize: 10, shuffle: false, optimizer: 'sgd', lr: 1e30, seed: 3 });
    expect(report.stopReason).toBe('non-finite');

    const byHand = run();
    const opt = new optim.SGD(byHand.m.parameters(), { lr: 1e30 });
    const ts = new TrainStep(byHand.m, opt, { loss: (o, t) => loss.crossEntropy(o, t) });
    let origin = null;
    let step = 0;
    outer: for (let e = 0; e < 5; e++) {
      for (let s = 0; s < 40; s += 10) {
        step++;
        const r = ts.run(new Tensor(byHand.d.x.data.slice(s * 2, (s + 10) * 2), [10, 2]), new Tensor(byHand.d.y.data.slice(s, s + 10), [10]), step === 1);
        if (r.nonFinite) {
          origin = r.nonFinite;
          break outer;
        }
      }
    }
    expect(origin).not.toBeNull();
    expect(report.nonFinite).toMatchObject({ step, phase: origin!.phase, layer: origin!.layer, parameter: origin!.parameter });
    // Nothing of the failing step was applied: the weights are finite.
    for (const p of byHand.m.parameters()) expect(p.data.every(Number.isFinite)).toBe(true);
  });
});

describeEachBackend('TrainStep: the optimizer saves and checks in its own pass', () => {
  for (const kind of ['adam', 'sgd', 'rmsprop'] as const) {
    test(`${kind}: before[] holds every parameter's values before the update (a frozen bias, a layer the optimizer was not given), and an update that overflows is rolled back`, () => {
      manualSeed(7);
      const m = new Sequential(new nn.Linear(3, 8), new nn.ReLU(), new nn.Linear(8, 8), new nn.ReLU(), new nn.Linear(8, 2));
      const [l0, , l2, , l4] = m.layers as nn.Linear[];
      l0.bias!.requiresGrad = false; // frozen: no gradient, the optimizer skips it
      const given = [l0.weight, l0.bias!, l4.weight, l4.bias!]; // layer 2 not given to the optimizer
      const opt = kind === 'adam' ? new optim.Adam(given, { lr: 0.01 }) : kind === 'sgd' ? new optim.SGD(given, { lr: 0.1, momentum: 0.9 }) : new optim.RMSprop(given, { lr: 0.01 });
      const ts = new TrainStep(m, opt, { loss: (o, t) => loss.crossEntropy(o, t) });
      const x = tensor([[0.5, -1, 2], [2, 0.25, -0.5], [-1, 1, 1], [0.1, 0.2, 0.3]]);
      const y = tensor([0, 1, 1, 0]);
      const values = () => m.parameters().map((p) => Array.from(p.data));
      for (let s = 0; s < 3; s++) {
        const was = values();
        const r = ts.run(x, y);
        expect(r.nonFinite).toBeNull();
        expect(ts.before.map((b) => Array.from(b))).toEqual(was);
        const now = values();
        // Updated: layer 0's weight and layer 4; unchanged: the frozen bias and layer 2.
        expect([now[0] !== was[0] && now[0].some((v, i) => v !== was[0][i]), now[1], now[2], now[3], now[4].some((v, i) => v !== was[4][i])]).toEqual([true, was[1], was[2], was[3], true]);
      }
      // An lr no float32 can carry: the update overflows on every backend, nothing of it is applied.
      for (const g of opt.paramGroups) g.lr = 1e300;
      const was = values();
      const r = ts.run(tensor([[500, -900, 2000], [2000, 250, -500], [-1000, 1000, 1000], [100, 200, 300]]), y);
      expect(r.nonFinite).toMatchObject({ phase: 'update' });
      expect(['0.weight', '4.weight', '4.bias']).toContain(r.nonFinite!.parameter);
      expect(values()).toEqual(was);
    });
  }
});

describeEachBackend('TrainStep restoreOptimizer: a rejected update leaves the optimizer and the generator as if that batch was skipped', () => {
  const batches = [0, 1, 2, 3, 4, 5].map((k) => ({
    x: tensor([[0.5 + k, -1, 2], [2, 0.25 * k, -0.5], [-1, 1, 1 - k], [0.1, 0.2, 0.3 * k]]),
    y: tensor([k % 2, 1, (k + 1) % 2, 0]),
  }));
  const build = (kind: 'adam' | 'sgd' | 'rmsprop', restoreOptimizer: boolean) => {
    manualSeed(11);
    // Dropout: the rejected step's draws are given back too (the generator is restored).
    const m = new Sequential(new nn.Linear(3, 8), new nn.Tanh(), new nn.Dropout(0.3), new nn.Linear(8, 2));
    const opt = kind === 'adam' ? new optim.Adam(m.parameters(), { lr: 0.01 }) : kind === 'sgd' ? new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }) : new optim.RMSprop(m.parameters(), { lr: 0.01, momentum: 0.5 });
    return { m, opt, ts: new TrainStep(m, opt, { loss: (o, t) => loss.crossEntropy(o, t), restoreOptimizer }) };
  };
  /** Steps on `order` (batch indices), with the batch `bad` at position `at` taken with an lr that overflows. */
  const train = (kind: 'adam' | 'sgd' | 'rmsprop', restoreOptimizer: boolean, order: number[], bad?: number) => {
    const r = build(kind, restoreOptimizer);
    order.forEach((b, i) => {
      const lr = r.opt.lr;
      if (i === bad) for (const g of r.opt.paramGroups) g.lr = 1e300;
      const out = r.ts.run(batches[b].x, batches[b].y);
      for (const g of r.opt.paramGroups) g.lr = lr;
      expect(out.nonFinite === null).toBe(i !== bad);
    });
    return { weights: r.m.parameters().map((p) => Array.from(p.data)), state: r.opt.stateDict() };
  };
  for (const kind of ['adam', 'sgd', 'rmsprop'] as const) {
    test(`${kind}: weights, moments and step counts equal a run without the rejected batch (also on the first step)`, () => {
      const skipped = train(kind, true, [0, 1, 2, 4, 5]);
      expect(train(kind, true, [0, 1, 2, 3, 4, 5], 3)).toEqual(skipped);
      // Rejected at the very first step: no state buffer is left behind (stateDict as a fresh optimizer's).
      expect(train(kind, true, [3, 0, 1, 2, 4, 5], 0)).toEqual(skipped);
      const first = build(kind, true);
      for (const g of first.opt.paramGroups) g.lr = 1e300;
      expect(first.ts.run(batches[3].x, batches[3].y).nonFinite).toMatchObject({ phase: 'update' });
      for (const g of first.opt.paramGroups) g.lr = build(kind, true).opt.lr;
      expect(first.opt.stateDict()).toEqual(build(kind, true).opt.stateDict());
      // Without the option, the rejected step's moments and counts stay (fit's behaviour: it stops there).
      expect(train(kind, false, [0, 1, 2, 3, 4, 5], 3).state).not.toEqual(skipped.state);
    });
  }
});
