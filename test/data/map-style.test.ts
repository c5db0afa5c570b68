// A user's own Dataset class fed to DataLoader as in PyTorch: length + get(i) (or __len__ and
// __getitem__), shuffle reshuffling each epoch, dropLast, collateFn, Subset, randomSplit.
import { describe, expect, it } from 'vitest';
import { DataLoader, Generator, Subset, TensorDataset, manualSeed, nn, optim, loss, randomSplit, randn, tensor, type Tensor } from '../../src/index.js';

class Squares {
  get length() {
    return 10;
  }
  get(i: number): [Tensor, number] {
    return [tensor([i, i * i]), i % 2];
  }
}

describe('map-style datasets in DataLoader', () => {
  it('batches a Dataset class by stacking its items (labels become a tensor); len(loader), dropLast, entries()', () => {
    const loader = new DataLoader(new Squares(), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    const batches = [...loader] as unknown as Array<[Tensor, Tensor]>;
    expect(batches.length).toBe(2);
    const [x, y] = batches[1];
    expect(x.tolist()).toEqual([[4, 16], [5, 25], [6, 36], [7, 49]]);
    expect(y.tolist()).toEqual([0, 1, 0, 1]);
    expect([...loader.entries()].map(([i]) => i)).toEqual([0, 1]);
    expect(new DataLoader(new Squares(), { batchSize: 4 }).length).toBe(3);
  });

  it('PyTorch spelling __len__/__getitem__, shuffled anew each epoch (each item once per epoch), and trains a model', () => {
    class Py {
      __len__() {
        return 12;
      }
      __getitem__(i: number) {
        return { x: tensor([i / 12, 1 - i / 12]), y: i % 3 };
      }
    }
    manualSeed(0);
    const loader = new DataLoader(new Py(), { batchSize: 5, shuffle: true, generator: new Generator(1) });
    const epoch = () => ([...loader] as unknown as Array<{ x: Tensor; y: Tensor }>).flatMap((b) => (b.x.tolist() as number[][]).map((r) => Math.round(r[0] * 12)));
    const e1 = epoch();
    const e2 = epoch();
    expect([...e1].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(e2).not.toEqual(e1);
    const model = new nn.Linear(2, 3);
    const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
    for (const { x, y } of loader as unknown as Iterable<{ x: Tensor; y: Tensor }>) {
      opt.zeroGrad();
      loss.crossEntropy(model.forward(x), y).backward();
      opt.step();
    }
  });

  it('collateFn receives the list of items, on a Dataset class or a TensorDataset', () => {
    const sizes = [...new DataLoader(new Squares(), { batchSize: 4, collateFn: (items) => items.length })];
    expect(sizes).toEqual([4, 4, 2]);
    const ds = new TensorDataset(randn(5, 3), tensor([0, 1, 0, 1, 1]));
    const pairs = [...new DataLoader(ds, { batchSize: 2, collateFn: (items) => (items as Array<[Tensor, Tensor]>).map(([x, y]) => [x.shape, y.item()]) })];
    expect(pairs[0]).toEqual([[[3], 0], [[3], 1]]);
    expect(() => new DataLoader(new Squares(), { collateFn: 'stack' as never })).toThrow(/collateFn must be a function/);
  });

  it('items that do not batch are named', () => {
    class Ragged {
      length = 3;
      get(i: number) {
        return tensor(Array.from({ length: i + 1 }, () => 1));
      }
    }
    expect(() => [...new DataLoader(new Ragged(), { batchSize: 3 })]).toThrow(/item 1 is a tensor of shape \[2\], item 0 a tensor of shape \[1\]: the items of a batch must have one shape \(or give a collateFn\)/);
  });
});

describe('Subset and randomSplit', () => {
  it('randomSplit with fractions as PyTorch 1.13 ([0.8, 0.2] of 10 → 8, 2; [0.5, 0.3, 0.2] of 11 → 6, 3, 2; [0.5, 0.5] of 7 → 4, 3) and counts; disjoint, seeded', () => {
    const lens = (ds: object, l: number[]) => randomSplit(ds, l, new Generator(42)).map((s) => s.length);
    expect(lens(new Squares(), [0.8, 0.2])).toEqual([8, 2]);
    expect(lens({ length: 11, get: (i: number) => i }, [0.5, 0.3, 0.2])).toEqual([6, 3, 2]);
    expect(lens({ length: 7, get: (i: number) => i }, [0.5, 0.5])).toEqual([4, 3]);
    const [train, val] = randomSplit(new Squares(), [7, 3], new Generator(42));
    const seen = [...train.indices, ...val.indices].sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(randomSplit(new Squares(), [7, 3], new Generator(42))[0].indices).toEqual(train.indices);
    expect(() => randomSplit(new Squares(), [7, 2])).toThrow(/sum to 9, not to the dataset's 10 items/);
    const xs = [...new DataLoader(val, { batchSize: 3 })] as unknown as Array<[Tensor, Tensor]>;
    expect((xs[0][0].tolist() as number[][]).map((r) => r[0])).toEqual([...val.indices]);
  });

  it('Subset of a TensorDataset gives [x, y] pairs; bad indices are named', () => {
    const ds = new TensorDataset(tensor([[1], [2], [3]]), tensor([0, 1, 2]));
    const s = new Subset(ds, [2, 0]);
    expect(s.length).toBe(2);
    expect((s.get(0) as Tensor[]).map((t) => t.tolist())).toEqual([[3], 2]);
    expect(() => new Subset(ds, [3])).toThrow(/indices\[0\] = 3 is not an index of a dataset of 3/);
  });
});

describe('fit and a map-style loader', () => {
  it('fit refuses a DataLoader over a Dataset class, naming what to do', async () => {
    const { fit } = await import('../../src/index.js');
    await expect(fit(new nn.Linear(2, 2), new DataLoader(new Squares(), { batchSize: 2 }), { epochs: 1 })).rejects.toThrow(/fit cannot read as \{x, y\} rows.*write the training loop.*defaultCollate.*new TensorDataset\(x, y\), \{batchSize: 2, shuffle: false\}/);
  });
});
