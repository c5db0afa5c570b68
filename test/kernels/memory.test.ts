/**
 * Deterministic release of wasm storage in training loops: backward frees its own gradient
 * buffers and Sequential's inner activations; stepScope() + zeroGrad(false) keep a synchronous
 * loop's memory flat; none of it changes the numbers.
 */
import { describe, expect, it } from 'vitest';
import { loss, manualSeed, nn, optim, stepScope, tensor } from '../../src/index.js';
import { getWasmBackend } from '../../src/kernels/auto.js';
import { Generator } from '../../src/random.js';
import { train } from '../../src/experiments/common.js';

function setup() {
  manualSeed(1);
  const model = new nn.Sequential(new nn.Linear(20, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 16), new nn.Tanh(), new nn.Linear(16, 3));
  const opt = new optim.Adam(model.parameters(), { lr: 1e-2 });
  const x = tensor(Array.from({ length: 8 * 20 }, (_, i) => Math.sin(i)), [8, 20]);
  const y = tensor([0, 1, 2, 0, 1, 2, 0, 1], [8]);
  return { model, opt, x, y };
}

const W = getWasmBackend();

describe('memory release in training loops', () => {
  it('stepScope + zeroGrad(false) trains exactly like the plain loop', () => {
    const a = setup();
    const b = setup();
    for (let s = 0; s < 5; s++) {
      a.opt.zeroGrad();
      const la = loss.crossEntropy(a.model.forward(a.x), a.y);
      la.backward();
      a.opt.step();
      const lb = stepScope(() => {
        b.opt.zeroGrad(false);
        const l = loss.crossEntropy(b.model.forward(b.x), b.y);
        l.backward();
        b.opt.step();
        return l.item();
      });
      expect(lb).toBe(la.item());
    }
    const pa = a.model.parameters(), pb = b.model.parameters();
    pa.forEach((p, i) => expect(Array.from(pb[i].data)).toEqual(Array.from(p.data)));
  });

  it('keeps the result, the input and the parameters; nothing stepScope produced stays in wasm memory', () => {
    const { model, opt, x, y } = setup();
    let out: ReturnType<typeof model.forward> | null = null;
    let copy: number[] = [];
    const l = stepScope(() => {
      out = model.forward(x);
      copy = Array.from(out.data);
      const l = loss.crossEntropy(out, y);
      l.backward();
      opt.step();
      return l;
    });
    expect(l.data.length).toBe(1); // returned: kept
    // Produced inside and not kept: moved out of wasm memory at opt.step(), values intact.
    expect(Array.from(out!.data)).toEqual(copy);
    expect(W === null || !W.owns(out!.data)).toBe(true);
    expect(x.data.length).toBe(20 * 8);
    for (const p of model.parameters()) expect(p.data.length).toBe(p.shape.reduce((s, d) => s * d, 1));
  });

  it('zeroGrad(false) zeroes gradients in place; zeroGrad() sets them to null', () => {
    const { model, opt, x, y } = setup();
    loss.crossEntropy(model.forward(x), y).backward();
    const g = model.parameters()[0].grad!;
    opt.zeroGrad(false);
    expect(model.parameters()[0].grad).toBe(g);
    expect(g.data.every((v) => v === 0)).toBe(true);
    opt.zeroGrad();
    expect(model.parameters()[0].grad).toBeNull();
  });

  it('the output of a Sequential stays readable after backward, even when the last layer returns its input', () => {
    manualSeed(2);
    const model = new nn.Sequential(new nn.Linear(4, 4), new nn.ReLU(), new nn.Dropout(0.5));
    model.eval(); // Dropout returns its input: the ReLU output is the result and must survive
    const x = tensor([1, -2, 3, -4, 5, -6, 7, -8], [2, 4]);
    const out = model.forward(x);
    const copy = Array.from(out.data);
    out.backward(tensor(new Float32Array(8).fill(1), [2, 4]));
    expect(Array.from(out.data)).toEqual(copy);
  });

    it("the experiments' training loop keeps memory flat (gradients reused, not left to the garbage collector)", async () => {
    expect(W, 'the WebAssembly backend is not active in Node').not.toBeNull();
    const { model, opt, x, y } = setup();
    const data = { x, y, numClasses: 3, name: 'rows' };
    await train({ model, optimizer: opt, data, batchSize: 8, steps: 5, gen: new Generator(1) });
    const live0 = W!.heap.liveBytes;
    await train({ model, optimizer: opt, data, batchSize: 8, steps: 100, gen: new Generator(2) });
    // Parameter gradients stay where they were; nothing else of a step outlives it for long.
    expect(W!.heap.liveBytes - live0).toBeLessThan(model.parameters().reduce((s, p) => s + p.size, 0) * 4 * 10);
  });
  it('a plain loop through Sequential and a scoped loop both keep wasm memory flat', () => {
    expect(W, 'the WebAssembly backend is not active in Node').not.toBeNull();
    const { model, opt, x, y } = setup();
    const plain = () => {
      opt.zeroGrad();
      loss.crossEntropy(model.forward(x), y).backward();
      opt.step();
    };
    const scoped = () => stepScope(() => { opt.zeroGrad(false); loss.crossEntropy(model.forward(x), y).backward(); opt.step(); });
    for (let i = 0; i < 3; i++) scoped();
    const live0 = W!.heap.liveBytes;
    for (let i = 0; i < 50; i++) scoped();
    expect(W!.heap.liveBytes).toBe(live0);
    for (let i = 0; i < 3; i++) plain();
    const live1 = W!.heap.liveBytes;
    for (let i = 0; i < 50; i++) plain();
    expect(W!.heap.liveBytes).toBe(live1);
  });
});
