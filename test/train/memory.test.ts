import { describe, expect, it } from 'vitest';
import { getWasmBackend } from '../../src/kernels/auto.js';
import { fit, manualSeed, nn, noGrad, randn, tensor, type Tensor } from '../../src/index.js';

function blobs(n: number): { x: Tensor; y: Tensor } {
  manualSeed(3);
  const x = randn([n, 8]);
  const y = tensor(Array.from({ length: n }, (_, i) => i % 3));
  for (let i = 0; i < n; i++) x.data[i * 8 + (i % 3)] += 3;
  return { x, y };
}

/** A user's layer that keeps a reference to its output: fit must never release that storage. */
class Remember extends nn.Module {
  last: Tensor | null = null;
  forward(x: Tensor): Tensor {
    this.last = x;
    return x;
  }
}

describe('fit releases per-step storage', () => {
  it('wasm memory in use stays flat over a long run (steady state allocates nothing that is kept)', async () => {
    const W = getWasmBackend();
    expect(W, 'the WebAssembly backend is not active in Node').not.toBeNull();
    const data = blobs(256);
    const model = new nn.Sequential(new nn.Linear(8, 64), new nn.BatchNorm1d(64), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(64, 3));
    // Warm up (optimizer state, gradient buffers), then compare in-use bytes after 1 and after 20 more epochs.
    await fit(model, data, { epochs: 1, batchSize: 32, seed: 1, yieldEvery: 0, monitor: false, health: false });
    const before = W!.heap.liveBytes;
    await fit(model, data, { epochs: 20, batchSize: 32, seed: 2, yieldEvery: 0, monitor: false, health: false, optimizer: 'sgd' });
    const after = W!.heap.liveBytes;
    // 160 steps; without release every step keeps ≈ 4 activations of 32×64 floats (≈ 32 KB): > 5 MB.
    expect(after - before).toBeLessThan(256 * 1024);
  });

  // The long runs users start: monitors on every step, a validation set, the health rules, and a
  // callback that keeps what it computes (here the model's output on the validation rows, with
  // noGrad while fit has the model in train mode, so Dropout draws a mask and BatchNorm uses
  // the batch's statistics). Without yielding, nothing waits for the garbage collector: every
  // buffer must be returned when it is done with. Before the fix each kept output left its
  // Dropout mask (100×64 floats) and BatchNorm's statistics in wasm memory.
  it('fit with monitors on every step, validation, health rules and a callback keeping outputs: wasm memory flat over 60 epochs', async () => {
    const W = getWasmBackend();
    expect(W).not.toBeNull();
    const data = blobs(256);
    const val = blobs(100);
    const model = new nn.Sequential(new nn.Linear(8, 64), new nn.BatchNorm1d(64), new nn.ReLU(), new nn.Dropout(0.1), new nn.Linear(64, 32), new nn.Tanh(), new nn.Linear(32, 3));
    const kept: Tensor[] = [];
    let live5 = 0;
    const r = await fit(model, data, {
      epochs: 60, batchSize: 32, seed: 1, yieldEvery: 0, validationData: val, monitor: { every: 1 },
      callbacks: [{
        onBatchEnd: (l, ctx) => void (l.step % 4 === 0 && kept.push(noGrad(() => ctx.model.forward(val.x)))),
        onEpochEnd: (e) => void (e.epoch === 5 && (live5 = W!.heap.liveBytes)),
      }],
    });
    expect(r.history.steps.length).toBe(480);
    // The last epoch ends as the sixth did: no block kept (the kept outputs live in JS memory).
    expect(W!.heap.liveBytes - live5).toBeLessThanOrEqual(0);
    expect(kept.length).toBe(120);
    expect(Array.from(kept[0].data).every(Number.isFinite)).toBe(true);
  });

  it("never releases a custom layer's output (it may hold a reference)", async () => {
    const data = blobs(64);
    const keep = new Remember();
    const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), keep, new nn.Linear(16, 3));
    await fit(model, data, { epochs: 1, batchSize: 16, seed: 1, monitor: false, health: false });
    expect(keep.last).not.toBeNull();
    expect(keep.last!.data.length).toBe(16 * 16);
    expect(Array.from(keep.last!.data).every(Number.isFinite)).toBe(true);
  });
});
