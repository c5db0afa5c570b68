import { describe, expect, it } from 'vitest';
import { getWasmBackend } from '../../src/kernels/auto.js';
import { fit, manualSeed, nn, randn, tensor, type Tensor } from '../../src/index.js';

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
