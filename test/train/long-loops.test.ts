/**
 * A conv net trained the way PyTorch users write the loop (the quick form of
 * bench/habits-long.mjs): BatchNorm2d, MaxPool2d, evaluation under model.eval() + noGrad every
 * epoch, the best weights kept by hand, checkpoints written every epoch, and the habits that keep
 * things alive (losses.push(loss), outputs.push(out.detach()), model.stateDict() every step).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataLoader, loss, manualSeed, nn, noGrad, optim, snapshotState, tensor, TensorDataset, type Tensor } from '../../src/index.js';
import { memoryInfo } from '../../src/memory.js';
import { loadSafetensors, loadTorchFile, saveSafetensors, saveTorchFile } from '../../src/node.js';

function digits(n: number, seed: number): { x: Tensor; y: Tensor } {
  // Two classes of 8×8 images: a bright vertical or horizontal bar at a random place, with noise.
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const x = new Float32Array(n * 64);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    const at = Math.floor(rnd() * 8);
    for (let p = 0; p < 64; p++) x[i * 64 + p] = 0.3 * rnd() + ((y[i] === 0 ? p % 8 : Math.floor(p / 8)) === at ? 1 : 0);
  }
  return { x: tensor(x, [n, 1, 8, 8]), y: tensor(y, [n]) };
}

const convNet = () => new nn.Sequential(
  new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(), new nn.MaxPool2d(2),
  new nn.Flatten(), new nn.Linear(4 * 4 * 4, 2),
);

describe('a conv net over a long PyTorch-style loop', () => {
  it('eval + noGrad every epoch, the best weights kept with snapshotState, a checkpoint every epoch: wasm memory flat, the best epoch reloads exactly', async () => {
    manualSeed(5);
    const train = digits(64, 3);
    const test = digits(64, 9);
    const model = convNet();
    const optimizer = new optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
    const loader = new DataLoader(new TensorDataset(train.x, train.y), { batchSize: 8, shuffle: true });
    const dir = mkdtempSync(join(tmpdir(), 'long-loops-'));
    const evaluate = () => {
      model.eval();
      const acc = noGrad(() => model.forward(test.x).argmax(1).eq(test.y).float().mean().item());
      model.train();
      return acc;
    };
    let best: ReturnType<typeof snapshotState> | null = null;
    let bestAcc = -1, bestOutput: number[] = [];
    const aliased = model.stateDict();
    const at: number[] = [];
    try {
      for (let epoch = 0; epoch < 30; epoch++) {
        for (const [x, y] of loader) {
          optimizer.zeroGrad();
          loss.crossEntropy(model.forward(x), y).backward();
          optimizer.step();
        }
        const acc = evaluate();
        if (acc > bestAcc) {
          bestAcc = acc;
          best = snapshotState(model);
          model.eval();
          bestOutput = Array.from(noGrad(() => model.forward(test.x)).data);
          model.train();
        }
        if (epoch % 2 === 0) await saveTorchFile(join(dir, 'ck.pt'), { epoch, model_state_dict: model.stateDict(), optimizer_state_dict: optimizer.torchStateDict() });
        else await saveSafetensors(join(dir, 'model.safetensors'), model.stateDict());
        if (epoch === 5 || epoch === 29) at.push(memoryInfo().liveBytes);
      }
      expect(at[1]).toBe(at[0]);
      expect(bestAcc).toBeGreaterThan(0.9);
      // stateDict() aliases the live tensors (as PyTorch's state_dict); the snapshot does not.
      expect(aliased['0.weight']).toBe(model[0].weight);
      expect(aliased['1.running_mean'].data).toBe(model.stateDict()['1.running_mean'].data);
      expect(Array.from(best!['0.weight'].data)).not.toEqual(Array.from(model[0].weight.data));
      // Both files hold the last epoch's weights (and running statistics).
      const last = snapshotState(model);
      const pt = await loadTorchFile(join(dir, 'ck.pt'));
      expect((pt.object as { epoch: number }).epoch).toBe(28);
      const st = await loadSafetensors(join(dir, 'model.safetensors'));
      for (const k of ['0.weight', '1.running_var', '5.bias']) expect(Array.from(st.tensors.get(k)!.data as Float32Array)).toEqual(Array.from(last[k].data));
      // The best epoch's weights and statistics put back: the same outputs bit for bit.
      model.loadStateDict(best!);
      model.eval();
      expect(Array.from(noGrad(() => model.forward(test.x)).data)).toEqual(bestOutput);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('losses.push(loss), outputs.push(out.detach()) and stateDict() every step: kept values stay right, wasm memory flat', () => {
    manualSeed(6);
    const train = digits(32, 4);
    const model = convNet();
    const optimizer = new optim.Adam(model.parameters(), { lr: 1e-2 });
    const losses: Tensor[] = [], values: number[] = [], outputs: Tensor[] = [], firstRows: number[][] = [];
    let live = 0;
    for (let s = 0; s < 300; s++) {
      const x = train.x.narrow(0, (s % 4) * 8, 8);
      optimizer.zeroGrad();
      const out = model.forward(x);
      const l = loss.crossEntropy(out, train.y.narrow(0, (s % 4) * 8, 8));
      l.backward();
      optimizer.step();
      losses.push(l);
      values.push(l.item());
      outputs.push(out.detach());
      firstRows.push(Array.from(out.data.subarray(0, 2)));
      const sd = model.stateDict();
      expect(sd['0.weight']).toBe(model[0].weight);
      if (s === 30) live = memoryInfo().liveBytes;
    }
    expect(memoryInfo().liveBytes).toBe(live);
    expect(losses.map((l) => l.item())).toEqual(values);
    expect(outputs.map((o) => Array.from(o.data.subarray(0, 2)))).toEqual(firstRows);
    // Backward freed each graph (PyTorch's retain_graph=False): a kept loss holds no activations.
    expect(() => losses[0].backward()).toThrow();
    expect(values[299]).toBeLessThan(values[0]);
  });
});
