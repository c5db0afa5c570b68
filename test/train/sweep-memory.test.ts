/**
 * A hyper-parameter sweep in one process, as users write it: build a model, `await fit` a few
 * steps, drop it, next. The dropped models' wasm blocks come back only through the garbage
 * collector, which does not see wasm memory; the heap asks for collections as it hands out new
 * blocks (src/kernels/wasm/memory.ts, WasmHeap.collect). No `--expose-gc` here: vitest runs
 * without it, as users' scripts do.
 */
import { expect, test } from 'vitest';
import { fit, manualSeed, nn } from '../../src/index.js';
import { getWasmBackend } from '../../src/kernels/auto.js';
import { blobs } from './helpers.js';

test('30 models of 2-512-512-3 with Adam, each fitted and dropped: wasm memory stays flat', async () => {
  const heap = getWasmBackend()!.heap;
  expect(heap.collect, 'a collector is found in Node').not.toBeNull();
  const data = blobs(40, 3, 1);
  const reserved: number[] = [];
  for (let i = 0; i < 30; i++) {
    manualSeed(i);
    const model = new nn.Sequential(new nn.Linear(2, 512), new nn.ReLU(), new nn.Linear(512, 512), new nn.ReLU(), new nn.Linear(512, 3));
    await fit(model, data, { epochs: 1, batchSize: 20, lr: 1e-3 * (1 + (i % 3)), monitor: false, health: false });
    reserved.push(heap.reservedBytes);
  }
  // Each model holds ≈ 5 MB (parameters, gradients, Adam's two moments, the rollback copies):
  // 150 MB for 30 without collections. With them the heap stops growing after the first models.
  expect(reserved[29] - reserved[9]).toBeLessThan(16 * 2 ** 20);
  expect(heap.liveBytes).toBeLessThan(64 * 2 ** 20);
});
