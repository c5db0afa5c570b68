/**
 * Automatic memory (src/memory.ts), tested the way PyTorch users write loops: no stepScope, no
 * dispose, fresh tensors from their own arrays every step, outputs and losses kept for later.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fit, loss, manualSeed, nn, noGrad, ops, optim, stepScope, tensor, Tensor } from '../src/index.js';
import { getWasmBackend } from '../src/kernels/auto.js';
import { memoryInfo, setYoungBudget } from '../src/memory.js';

const W = getWasmBackend();

function batches(n: number, rows: number, cols: number, classes: number) {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, () => ({
    x: Float32Array.from({ length: rows * cols }, rnd),
    y: Float32Array.from({ length: rows }, () => Math.floor(rnd() * classes)),
  }));
}

class Residual extends nn.Module {
  lin1 = new nn.Linear(16, 16);
  lin2 = new nn.Linear(16, 16);
  forward(x: Tensor): Tensor {
    return ops.add(x, this.lin2.forward(ops.relu(this.lin1.forward(x))));
  }
}

class Net extends nn.Module {
  inp = new nn.Linear(12, 16);
  block = new Residual();
  out = new nn.Linear(16, 3);
  forward(x: Tensor): Tensor {
    return this.out.forward(this.block.forward(ops.relu(this.inp.forward(x))));
  }
}

describe('automatic memory: plain PyTorch-style loops', () => {
  afterEach(() => setYoungBudget());

  it.each([
    ['nn.Sequential', () => new nn.Sequential(new nn.Linear(12, 16), new nn.ReLU(), new nn.Linear(16, 16), new nn.Tanh(), new nn.Linear(16, 3))],
    ['a custom Module with a residual block', () => new Net()],
  ])('%s: fresh tensors each step, no scope — wasm memory flat, kept losses keep their values', (_, make) => {
    expect(W, 'the WebAssembly backend is not active in Node').not.toBeNull();
    manualSeed(3);
    const model = make();
    const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
    const data = batches(20, 32, 12, 3);
    const kept: Array<{ l: Tensor; value: number; out: Tensor; first: number[] }> = [];
    let live0 = 0, reserved0 = 0;
    for (let s = 0; s < 400; s++) {
      const b = data[s % data.length];
      opt.zeroGrad();
      const out = model.forward(tensor(b.x, [32, 12]));
      const l = loss.crossEntropy(out, tensor(b.y, [32]));
      l.backward();
      opt.step();
      if (s % 50 === 0) kept.push({ l, value: l.item(), out, first: Array.from(out.data.subarray(0, 6)) });
      if (s === 20) {
        live0 = W!.heap.liveBytes;
        reserved0 = W!.heap.reservedBytes;
      }
    }
    expect(W!.heap.liveBytes).toBe(live0);
    expect(W!.heap.reservedBytes).toBe(reserved0);
    for (const k of kept) {
      expect(k.l.item()).toBe(k.value);
      expect(Array.from(k.out.data.subarray(0, 6))).toEqual(k.first);
    }
    expect(kept[kept.length - 1].value).toBeLessThan(kept[0].value);
  });

  it('trains to exactly the same weights as the stepScope + zeroGrad(false) loop', () => {
    const run = (scoped: boolean) => {
      manualSeed(5);
      const model = new Net();
      const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
      const data = batches(5, 8, 12, 3);
      for (let s = 0; s < 30; s++) {
        const b = data[s % 5];
        const step = () => {
          opt.zeroGrad(!scoped);
          loss.crossEntropy(model.forward(tensor(b.x, [8, 12])), tensor(b.y, [8])).backward();
          opt.step();
        };
        if (scoped) stepScope(step);
        else step();
      }
      return model.parameters().map((p) => Array.from(p.data));
    };
    expect(run(false)).toEqual(run(true));
  });

  // Flatten returns its input's storage reshaped. When the flattened tensor was released by
  // backward but the max-pool output sharing its block was not, the next step boundary freed
  // that block a second time — after Adam had received it as the state of a parameter of the
  // same size (the Linear below has 64·8 = 512 weights, as the pooled activation of 8 samples,
  // [8, 4, 4, 4], has 512 values): the state was then overwritten and training diverged.
  it('a conv net with Flatten (a view of the pooled activation) trains exactly as under stepScope', () => {
    const run = (scoped: boolean) => {
      manualSeed(2);
      const model = new nn.Sequential(
        new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
        new nn.Linear(64, 8), new nn.ReLU(), new nn.Linear(8, 3),
      );
      const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
      const data = batches(5, 8, 64, 3);
      for (let s = 0; s < 10; s++) {
        const b = data[s % 5];
        const step = () => {
          opt.zeroGrad(!scoped);
          loss.crossEntropy(model.forward(tensor(b.x, [8, 1, 8, 8])), tensor(b.y, [8])).backward();
          opt.step();
        };
        if (scoped) stepScope(step);
        else step();
      }
      return model.parameters().map((p) => Array.from(p.data));
    };
    const plain = run(false);
    expect(plain.flat().every((v) => Math.abs(v) < 2)).toBe(true);
    expect(plain).toEqual(run(true));
  });

  it('noGrad: a conv net with Flatten evaluated in a loop gives the same output for the same input', () => {
    manualSeed(2);
    const model = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(64, 3));
    const data = batches(4, 8, 64, 3);
    const first = noGrad(() => Array.from(model.forward(tensor(data[0].x, [8, 1, 8, 8])).data));
    const kept = noGrad(() => Array.from({ length: 40 }, (_, s) => model.forward(tensor(data[s % 4].x, [8, 1, 8, 8]))));
    expect(Array.from(kept[0].data)).toEqual(first);
    expect(Array.from(kept[36].data)).toEqual(first);
  });

  it('zeroGrad between forward and backward (a step boundary inside the step) gives the same gradients', () => {
    const grads = (boundaryInside: boolean) => {
      manualSeed(9);
      const model = new Net();
      const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
      const b = batches(1, 8, 12, 3)[0];
      if (!boundaryInside) opt.zeroGrad();
      const l = loss.crossEntropy(model.forward(tensor(b.x, [8, 12])), tensor(b.y, [8]));
      if (boundaryInside) opt.zeroGrad();
      l.backward();
      return model.parameters().map((p) => Array.from(p.grad!.data));
    };
    expect(grads(true)).toEqual(grads(false));
  });

  it.each([
    ['tensor(); zeroGrad(); forward; backward; step()', false],
    ["loss = …; zeroGrad(); backward(); step() (PyTorch's 'Learning PyTorch with examples' order)", true],
  ])('%s: the batch and the graph stay in wasm memory until step(), moved once', (_, mid) => {
    expect(W).not.toBeNull();
    manualSeed(2);
    const model = new nn.Sequential(new nn.Linear(12, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 3));
    const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
    const data = batches(4, 32, 12, 3);
    const step = (s: number) => {
      const x = tensor(data[s % 4].x, [32, 12]);
      const y = tensor(data[s % 4].y, [32]);
      if (mid) {
        const l = loss.crossEntropy(model.forward(x), y);
        opt.zeroGrad();
        l.backward();
      } else {
        opt.zeroGrad();
        loss.crossEntropy(model.forward(x), y).backward();
      }
      opt.step();
    };
    for (let s = 0; s < 3; s++) step(s);
    const before = memoryInfo();
    for (let s = 3; s < 13; s++) step(s);
    const after = memoryInfo();
    // Nothing is copied back in (the zeroGrad boundary moved the batch, or the whole graph, to JS
    // arrays before: 2 tensors copied back a step in the first order, the graph's kernels on JS
    // arrays in the second), and step() moves exactly the four tensors the loop made and may
    // still hold — x, y, the logits, the loss — once each (cross-entropy's per-row losses before
    // the mean are freed by backward).
    expect(after.staged - before.staged).toBe(0);
    expect((after.evictedTensors - before.evictedTensors) / 10).toBe(4);
    expect((after.evictedBytes - before.evictedBytes) / 10).toBe(4 * (32 * 12 + 32 + 32 * 3 + 1));
  });

  it('zeroGrad() moves a tensor from before the previous boundary together with a view made since', () => {
    expect(W).not.toBeNull();
    manualSeed(5);
    const lin = new nn.Linear(6, 2);
    const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
    const x = tensor(Float32Array.from({ length: 24 }, (_, i) => i / 7), [4, 6]);
    const values = Array.from(x.data);
    opt.zeroGrad(); // x gets its step of grace
    const v = x.reshape([24]); // a view of x's block, made after that boundary
    const sub = new Tensor(x.data.subarray(6, 18), [12]); // and a tensor over part of it
    opt.zeroGrad(); // x's grace is over, but its block is still shared with v and sub
    const other = tensor(Float32Array.from({ length: 24 }, () => -1), [24]); // would reuse a freed block of that size
    opt.zeroGrad();
    opt.zeroGrad();
    expect(Array.from(v.data)).toEqual(values);
    expect(Array.from(sub.data)).toEqual(values.slice(6, 18));
    expect(Array.from(x.data)).toEqual(values);
    expect(Array.from(other.data)).toEqual(new Array(24).fill(-1));
    ops.sum(lin.forward(x)).backward();
    opt.step();
    expect(Array.from(v.data)).toEqual(values);
  });

  it('a hand-written SGD loop whose only boundary is model.zeroGrad() stays flat', () => {
    expect(W).not.toBeNull();
    manualSeed(6);
    const model = new nn.Sequential(new nn.Linear(12, 64), new nn.ReLU(), new nn.Linear(64, 3));
    const data = batches(4, 64, 12, 3);
    let reserved = 0;
    for (let s = 0; s < 400; s++) {
      const l = loss.crossEntropy(model.forward(tensor(data[s % 4].x, [64, 12])), tensor(data[s % 4].y, [64]));
      l.backward();
      noGrad(() => {
        for (const p of model.parameters()) p.sub_(p.grad!.mul(0.05));
        model.zeroGrad();
      });
      if (s === 100) reserved = memoryInfo().reservedBytes;
    }
    expect(memoryInfo().reservedBytes).toBe(reserved);
    expect(memoryInfo().youngBytes).toBeLessThan(64 * 1024);
  });

  it("an input with requiresGrad each step (saliency, adversarial examples): its x.grad read every step, wasm memory flat", () => {
    expect(W).not.toBeNull();
    manualSeed(8);
    const model = new nn.Sequential(new nn.Linear(12, 32), new nn.ReLU(), new nn.Linear(32, 3));
    const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const data = batches(8, 32, 12, 3);
    const kept: Array<{ g: Tensor; values: number[] }> = [];
    let live = 0;
    for (let s = 0; s < 400; s++) {
      const x = tensor(data[s % 8].x, [32, 12], { requiresGrad: true });
      opt.zeroGrad();
      loss.crossEntropy(model.forward(x), tensor(data[s % 8].y, [32])).backward();
      const values = Array.from(x.grad!.data);
      opt.step();
      // Read after step(): the boundary moved x and its gradient to JS memory together.
      expect(Array.from(x.grad!.data)).toEqual(values);
      if (s % 100 === 0) kept.push({ g: x.grad!, values });
      if (s === 50) live = memoryInfo().liveBytes;
    }
    // Each step's x.grad (1.5 kB) used to be persistent wasm memory, returned only by the
    // FinalizationRegistry, i.e. never inside this synchronous loop: +525 kB over 350 steps.
    expect(memoryInfo().liveBytes).toBe(live);
    for (const k of kept) expect(Array.from(k.g.data)).toEqual(k.values);
    expect(kept[0].values.some((v) => v !== 0)).toBe(true);
  });

  it('a gradient the user holds keeps its values after zeroGrad() and the next backward', () => {
    manualSeed(4);
    const lin = new nn.Linear(4, 2);
    const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
    const x = tensor([[1, 2, 3, 4]]);
    ops.sum(lin.forward(x)).backward();
    const held = lin.weight.grad!;
    const values = Array.from(held.data);
    opt.zeroGrad();
    expect(lin.weight.grad).toBeNull();
    ops.sum(ops.mul(lin.forward(tensor([[-5, 6, -7, 8]])), 3)).backward();
    expect(Array.from(held.data)).toEqual(values);
    expect(Array.from(lin.weight.grad!.data)).toEqual([-15, 18, -21, 24, -15, 18, -21, 24]);
  });

  it('an evaluation loop under noGrad with fresh tensors stays flat (early boundaries past the budget)', () => {
    expect(W).not.toBeNull();
    setYoungBudget(1 << 20);
    manualSeed(1);
    const model = new Net();
    const data = batches(10, 64, 12, 3);
    const firstRow: number[] = [];
    let reserved0 = 0;
    noGrad(() => {
      for (let s = 0; s < 600; s++) {
        const b = data[s % 10];
        const out = model.forward(tensor(b.x, [64, 12]));
        if (s < 10) firstRow.push(out.data[0]); // the user reads each output as it comes
        if (s === 100) reserved0 = W!.heap.reservedBytes;
      }
    });
    expect(W!.heap.reservedBytes).toBe(reserved0);
    expect(memoryInfo().youngBytes).toBeLessThanOrEqual(1 << 20);
    // The outputs read during the loop are the model's: the same input gives the same output.
    expect(firstRow.every((v) => Number.isFinite(v))).toBe(true);
    const again = noGrad(() => model.forward(tensor(data[0].x, [64, 12])).data[0]);
    expect(again).toBe(firstRow[0]);
  });

  // `loss(model.forward(tensor(x)), tensor(y))`: the second tensor() is a safe point in the
  // middle of the step. When one step's tensors outgrow the budget, a boundary there moved the
  // activations backward needs to JS arrays, every step (the benchmark CNN at batch 128 passes
  // 64 MB: ≈ 1 s a step instead of ≈ 0.11 s). Backward finding its graph moved doubles the budget.
  it('a step larger than the young budget: the budget grows until the graph stays in wasm memory, and training matches the in-budget run', () => {
    expect(W).not.toBeNull();
    const run = (budget?: number) => {
      setYoungBudget(budget);
      manualSeed(4);
      const model = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(64, 3));
      const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
      const data = batches(4, 8, 64, 3);
      const at: Array<ReturnType<typeof memoryInfo>> = [];
      for (let s = 0; s < 40; s++) {
        const b = data[s % 4];
        opt.zeroGrad();
        loss.crossEntropy(model.forward(tensor(b.x, [8, 1, 8, 8])), tensor(b.y, [8])).backward();
        opt.step();
        if (s === 19 || s === 39) at.push(memoryInfo());
      }
      return { at, weights: model.parameters().map((p) => Array.from(p.data)) };
    };
    const roomy = run();
    const start = memoryInfo();
    const tight = run(4096);
    // It grew, a few times (each doubling), and stopped: no boundary past the budget in the last 20 steps.
    expect(tight.at[1].budgetGrowths - start.budgetGrowths).toBeGreaterThanOrEqual(1);
    expect(tight.at[1].budgetGrowths - start.budgetGrowths).toBeLessThanOrEqual(6);
    expect(tight.at[1].youngBudgetBytes).toBeGreaterThan(4096);
    expect(tight.at[1].earlyBoundaries).toBe(tight.at[0].earlyBoundaries);
    // From then on a step moves as much to JS memory as with room to spare.
    expect(tight.at[1].evictedBytes - tight.at[0].evictedBytes).toBe(roomy.at[1].evictedBytes - roomy.at[0].evictedBytes);
    // The steps whose graph was moved ran on the same values (JS arrays, the reference kernels).
    tight.weights.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - roomy.weights[i][j])).toBeLessThan(1e-4)));
  });

  it('an evaluation loop past the budget (no backward) never grows it', () => {
    setYoungBudget(1 << 16);
    const g0 = memoryInfo().budgetGrowths;
    manualSeed(2);
    const model = new Net();
    const data = batches(4, 64, 12, 3);
    // Outside noGrad too: a loss computed for logging builds a graph that backward never reads.
    for (let s = 0; s < 200; s++) loss.crossEntropy(model.forward(tensor(data[s % 4].x, [64, 12])), tensor(data[s % 4].y, [64]));
    expect(memoryInfo().earlyBoundaries).toBeGreaterThan(0);
    expect(memoryInfo().budgetGrowths).toBe(g0);
    expect(memoryInfo().youngBudgetBytes).toBe(1 << 16);
  });

  it('a whole dataset made with tensor() (past the budget) starts in JS memory: no wasm growth, fit and ops use its values', async () => {
    setYoungBudget(1 << 16);
    manualSeed(4);
    const { x: xs, y: ys } = batches(1, 2000, 12, 3)[0]; // 96 kB of features: past the 64 kB budget
    const reserved0 = W!.heap.reservedBytes;
    const early0 = memoryInfo().earlyBoundaries;
    const x = tensor(xs, [2000, 12]);
    const y = tensor(ys, [2000]);
    expect(memoryInfo().earlyBoundaries).toBe(early0);
    // Not in wasm memory, and no early boundary copied it out (the features are copied once).
    expect(W!.heap.owns(x.data as Float32Array)).toBe(false);
    expect(W!.heap.owns(y.data as Float32Array)).toBe(true);
    expect(W!.heap.reservedBytes - reserved0).toBeLessThan(2000 * 12 * 4);
    expect(Array.from(x.data.subarray(0, 5))).toEqual(Array.from(xs.subarray(0, 5)));
    // The user's array is copied, not shared: changing it later leaves the tensor as it was.
    const first = xs[0];
    xs[0] = 99;
    expect(x.data[0]).toBe(first);
    xs[0] = first;
    // An op stages it into wasm memory and computes on the same values as on a small tensor.
    const s = ops.sum(x).item();
    let want = 0;
    for (const v of xs) want += v;
    expect(s).toBeCloseTo(want, 1);
    // fit reads its rows; the model learns as on any tensor.
    const model = new nn.Sequential(new nn.Linear(12, 16), new nn.ReLU(), new nn.Linear(16, 3));
    const rep = await fit(model, { x, y }, { epochs: 2, batchSize: 50, seed: 1 });
    expect(rep.history.epochs).toHaveLength(2);
    expect(Number.isFinite(rep.history.epochs[1].loss)).toBe(true);
  });

  it('a tensor kept across steps and used again as an input computes on its values', () => {
    manualSeed(2);
    const model = new nn.Sequential(new nn.Linear(12, 3));
    const opt = new optim.SGD(model.parameters(), { lr: 0 });
    const b = batches(1, 4, 12, 3)[0];
    const x = tensor(b.x, [4, 12]);
    const first = Array.from(model.forward(x).data);
    for (let s = 0; s < 5; s++) {
      opt.zeroGrad();
      const out = model.forward(x);
      expect(Array.from(out.data)).toEqual(first);
      ops.sum(out).backward();
      opt.step();
    }
  });

  // Ops keep buffers for backward (BatchNorm's batch statistics, dropout masks, softmax
  // probabilities, max-pooling indices). Evaluation in the loop under noGrad (BatchNorm in eval
  // mode, or a model left in train mode), and a loss computed for logging without noGrad and
  // never backpropagated, each left those buffers in wasm memory until the garbage collector
  // and an event-loop turn — never, in a synchronous loop: ~0.5 kB per step for BatchNorm(64),
  // the whole mask for Dropout.
  it.each([
    ['model.eval(); noGrad(forward); model.train() every step', 'eval-nograd'],
    ['noGrad(forward) in train mode (Dropout, BatchNorm with batch statistics)', 'train-nograd'],
    ['a validation loss without noGrad, never backpropagated', 'no-backward'],
  ])('%s: wasm memory stays flat', (_, kind) => {
    expect(W).not.toBeNull();
    manualSeed(6);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
      new nn.Linear(64, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Dropout(0.3), new nn.Linear(16, 3),
    );
    const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
    const data = batches(4, 8, 64, 3);
    const logged: number[] = [];
    let live0 = 0;
    for (let s = 0; s < 300; s++) {
      const b = data[s % 4];
      const x = tensor(b.x, [8, 1, 8, 8]);
      const y = tensor(b.y, [8]);
      opt.zeroGrad();
      loss.crossEntropy(model.forward(x), y).backward();
      opt.step();
      if (kind === 'eval-nograd') {
        model.eval();
        logged.push(noGrad(() => loss.crossEntropy(model.forward(x), y).item()));
        model.train();
      } else if (kind === 'train-nograd') logged.push(noGrad(() => loss.crossEntropy(model.forward(x), y).item()));
      else logged.push(loss.crossEntropy(model.forward(x), y).item());
      if (s === 20) live0 = W!.heap.liveBytes;
    }
    expect(W!.heap.liveBytes - live0).toBe(0);
    expect(logged.every(Number.isFinite)).toBe(true);
  });

  it('a ResNet (BasicBlock, Residual) with StepLR, clipGradNorm and an evaluation every epoch: wasm memory flat', () => {
    expect(W).not.toBeNull();
    manualSeed(10);
    const model = new nn.Sequential(
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(),
      new nn.BasicBlock(4, 4), new nn.BasicBlock(4, 8, 2), new nn.Residual(new nn.Sequential(new nn.Conv2d(8, 8, 3, { padding: 1 }), new nn.ReLU())),
      new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Dropout(0.2), new nn.Linear(8, 3),
    );
    const opt = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const sched = new optim.StepLR(opt, { stepSize: 2, gamma: 0.8 });
    const data = batches(4, 8, 64, 3);
    const evalLoss: number[] = [];
    let live0 = 0;
    for (let epoch = 0; epoch < 40; epoch++) {
      model.train();
      for (const b of data) {
        opt.zeroGrad();
        loss.crossEntropy(model.forward(tensor(b.x, [8, 1, 8, 8])), tensor(b.y, [8])).backward();
        optim.clipGradNorm(model.parameters(), 1);
        opt.step();
      }
      model.eval();
      evalLoss.push(noGrad(() => loss.crossEntropy(model.forward(tensor(data[0].x, [8, 1, 8, 8])), tensor(data[0].y, [8])).item()));
      sched.step();
      if (epoch === 3) live0 = W!.heap.liveBytes;
    }
    expect(W!.heap.liveBytes - live0).toBe(0);
    expect(evalLoss.at(-1)!).toBeLessThan(evalLoss[0]);
  });

  it('backward after a step boundary reads the buffers the boundary moved (BatchNorm, Dropout, max-pooling, cross-entropy)', () => {
    const grads = (boundaryInside: boolean) => {
      manualSeed(8);
      const model = new nn.Sequential(
        new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(),
        new nn.Dropout(0.25), new nn.Linear(64, 3),
      );
      const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
      const b = batches(1, 8, 64, 3)[0];
      if (!boundaryInside) opt.zeroGrad();
      const l = loss.crossEntropy(model.forward(tensor(b.x, [8, 1, 8, 8])), tensor(b.y, [8]));
      if (boundaryInside) opt.zeroGrad();
      l.backward();
      return model.parameters().map((p) => Array.from(p.grad!.data));
    };
    const inside = grads(true);
    const before = grads(false);
    // The boundary moved the saved buffers to JS arrays, so backward ran the reference kernels:
    // the same gradients up to float32 rounding.
    for (let i = 0; i < before.length; i++) {
      for (let j = 0; j < before[i].length; j++) expect(inside[i][j]).toBeCloseTo(before[i][j], 5);
    }
    expect(inside.flat().some((v) => v !== 0)).toBe(true);
  });

  it('a tensor used after dispose() fails loudly, saying what to do', () => {
    const t = tensor([1, 2, 3]);
    t.dispose();
    expect(() => t.data).toThrow(/released by dispose\(\).*clone\(\)/);
    expect(() => ops.relu(t)).toThrow(/released/);
  });
});

describe('automatic memory after errors the user catches', () => {
  it('wrong inputs, bad targets and a second backward, each caught every step: the next steps train as if they never happened, wasm memory flat', () => {
    expect(W).not.toBeNull();
    const run = (hostile: boolean) => {
      manualSeed(5);
      const model = new nn.Sequential(new nn.Conv2d(1, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Flatten(), new nn.Linear(8 * 4 * 4, 3));
      const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
      const x = tensor(Float32Array.from({ length: 16 * 64 }, (_, i) => Math.sin(i)), [16, 1, 8, 8]);
      const y = tensor(Array.from({ length: 16 }, (_, i) => i % 3));
      const mistakes = [
        () => model.forward(tensor(new Float32Array(16 * 64), [16, 8, 8, 1])), // channels last
        () => loss.crossEntropy(model.forward(x), tensor(new Array(16).fill(7))), // class 7 of 3
        () => ops.matmul(model.forward(x), tensor(new Float32Array(8), [4, 2])), // inner dims
        () => {
          const l = loss.crossEntropy(model.forward(x), y);
          l.backward();
          l.backward(); // the graph was freed
        },
      ];
      const losses: number[] = [];
      const reserved: number[] = [];
      for (let s = 0; s < 60; s++) {
        if (hostile) {
          for (const m of mistakes) expect(m).toThrow();
        }
        opt.zeroGrad();
        const l = loss.crossEntropy(model.forward(x), y);
        l.backward();
        opt.step();
        losses.push(l.item());
        if (s >= 20 && s % 10 === 0) reserved.push(memoryInfo().reservedBytes);
      }
      return { losses, reserved };
    };
    const clean = run(false);
    const hostile = run(true);
    // In training mode BatchNorm normalises with the batch's statistics, so the failed forwards
    // (which moved only the running averages, as in PyTorch) change no loss.
    expect(hostile.losses).toEqual(clean.losses);
    // A second backward threw after taking its seed gradient (4 bytes, a 64-byte block) and never returned it.
    expect(new Set(hostile.reserved).size).toBe(1);
  });
});

