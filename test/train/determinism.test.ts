/**
 * The same seed gives the same numbers: fit twice in one process, and with one thread or
 * several. The thread pool splits GEMMs by output tiles and the other kernels by ranges of
 * rows, channels or planes, so no sum changes its order with the thread count; the tests force
 * the split (`pool.adaptive = false`) so that the threaded kernels really run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getWasmBackend } from '../../src/kernels/auto.js';
import { fit, manualSeed, nn, setNumThreads, tensor, type Report } from '../../src/index.js';
import { withoutTimings } from './helpers.js';

const W = getWasmBackend();

function digits(n: number, side: number): { x: ReturnType<typeof tensor>; y: ReturnType<typeof tensor> } {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const y = Float32Array.from({ length: n }, (_, i) => i % 4);
  // Each class lights its own quadrant, plus noise: learnable, so the weights move.
  const x = Float32Array.from({ length: n * side * side }, (_, j) => {
    const i = Math.floor(j / (side * side));
    const p = j % (side * side);
    const q = (Math.floor(p / side) < side / 2 ? 0 : 2) + (p % side < side / 2 ? 0 : 1);
    return (q === y[i] ? 1 : 0) + rnd() - 0.5;
  });
  return { x: tensor(x, [n, 1, side, side]), y: tensor(y, [n]) };
}

const convNet = () =>
  new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(8, 16, 3, { padding: 1 }), new nn.BatchNorm2d(16), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
    new nn.Linear(16 * 16, 128), new nn.BatchNorm1d(128), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(128, 4),
  );

async function train(threads: number): Promise<{ report: Report; weights: number[][] }> {
  setNumThreads(threads);
  if (threads > 1) {
    const deadline = Date.now() + 5000;
    while (W!.pool.readyWorkers() < threads - 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(W!.pool.readyWorkers()).toBe(threads - 1);
  }
  manualSeed(4);
  const model = convNet();
  const report = await fit(model, digits(256, 16), { epochs: 2, batchSize: 64, seed: 9, validationSplit: 0.25, monitor: { every: 2 } });
  return { report, weights: Object.values(model.stateDict()).map((t) => Array.from(t.data)) };
}

describe('determinism', () => {
  afterEach(() => {
    if (W) W.pool.adaptive = true;
    setNumThreads(1);
  });

  it('a conv net (BatchNorm, max-pooling, Dropout) trains to the same weights and report with 1 and 3 threads, and twice in one process', async () => {
    expect(W, 'the WebAssembly backend is not active in Node').not.toBeNull();
    W!.pool.adaptive = false;
    const one = await train(1);
    const rounds = W!.pool.rounds;
    const three = await train(3);
    expect(W!.pool.rounds, 'the threaded kernels ran').toBeGreaterThan(rounds);
    const again = await train(3);
    expect(one.report.history.epochs.at(-1)!.loss).toBeLessThan(one.report.history.epochs[0].loss);
    expect(three.weights).toEqual(one.weights);
    expect(withoutTimings(three.report)).toEqual(withoutTimings(one.report));
    expect(again.weights).toEqual(three.weights);
  });
});
