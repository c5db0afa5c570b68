import { describe, expect, it } from 'vitest';
import { Tensor, tensor } from '../../src/tensor.js';
import { Generator } from '../../src/random.js';
import { DataLoader } from '../../src/data/dataloader.js';
import { TensorDataset, type Dataset } from '../../src/data/dataset.js';

/** Row i of x is [i, 100 + i]; y[i] = i, so a batch reveals which examples it holds. */
function indexed(n: number, targets = false): Dataset {
  const x = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = 100 + i;
  }
  const y = targets ? tensor(Array.from({ length: n * 3 }, (_, k) => k), [n, 3]) : tensor(Array.from({ length: n }, (_, i) => i));
  return { x: new Tensor(x, [n, 2]), y, name: 'indexed' };
}

function epoch(dl: DataLoader): number[][] {
  const out: number[][] = [];
  for (const b of dl) {
    const rows: number[] = [];
    for (let i = 0; i < b.x.shape[0]; i++) {
      expect(b.x.data[2 * i + 1]).toBe(100 + b.x.data[2 * i]);
      expect(b.y.data[i]).toBe(b.x.data[2 * i]);
      rows.push(b.x.data[2 * i]);
    }
    out.push(rows);
  }
  return out;
}

describe('DataLoader', () => {
  it("refuses a misspelt option (PyTorch's batch_size) and a missing dataset by name", () => {
    const d = { x: tensor([[1], [2]]), y: tensor([0, 1]) };
    expect(() => new DataLoader(d, { batch_size: 2 } as never)).toThrow("DataLoader: unknown option 'batch_size' (gradlab spells it batchSize); the options are batchSize, shuffle, dropLast, generator, reuseBuffers, numWorkers, pinMemory");
    expect(() => new DataLoader(null as never)).toThrow('DataLoader: the dataset must be {x: Tensor, y: Tensor}, got null');
  });
  it("an object that is neither {x, y} nor a dataset of examples, or {x, y} of arrays, is refused with what a dataset needs; TensorDataset.get names the range", () => {
    expect(() => new DataLoader({ items: 4 } as never, { batchSize: 2 })).toThrow(
      "DataLoader: dataset: x and y must be Tensors, got an object with keys items; a dataset of examples needs length and get(i) (or PyTorch's __len__ and __getitem__), which DataLoader batches; or make it one of tensors: new TensorDataset(stack(",
    );
    // A list of examples is a dataset, as in PyTorch (test/data/map-style.test.ts).
    expect(([...new DataLoader([[tensor([1, 2]), 0]] as never, { batchSize: 1 })][0] as unknown as Tensor[])[0].shape).toEqual([1, 2]);
    expect(() => new DataLoader({ x: [[1, 2]], y: [0] } as never, { batchSize: 1 })).toThrow('got x an array and y an array; make them tensors: {x: tensor(x), y: tensor(y)}');
    const ds = new TensorDataset(tensor([[1, 2], [3, 4]]), tensor([0, 1]));
    expect(ds.get(-1)[1].item()).toBe(1);
    expect(() => ds.get(2)).toThrow('TensorDataset.get: index 2 is out of range for 2 examples (an integer in [-2, 1])');
    expect(() => ds.get(0.5)).toThrow('TensorDataset.get: index 0.5 is out of range');
  });

  it('without shuffle yields the examples in order, with a shorter last batch', () => {
    const dl = new DataLoader(indexed(10), { batchSize: 4 });
    expect(dl.length).toBe(3);
    expect(epoch(dl)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('dropLast skips the short batch', () => {
    const dl = new DataLoader(indexed(10), { batchSize: 4, dropLast: true });
    expect(dl.length).toBe(2);
    expect(epoch(dl)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(epoch(new DataLoader(indexed(8), { batchSize: 4, dropLast: true }))).toHaveLength(2);
  });

  it('with shuffle covers every example exactly once per epoch', () => {
    const dl = new DataLoader(indexed(103), { batchSize: 10, shuffle: true, generator: new Generator(1) });
    for (let e = 0; e < 3; e++) {
      const seen = epoch(dl).flat().sort((a, b) => a - b);
      expect(seen).toEqual(Array.from({ length: 103 }, (_, i) => i));
    }
  });

  it('same seed → same batches; different seed or next epoch → different order', () => {
    const run = (seed: number): number[][][] => {
      const dl = new DataLoader(indexed(50), { batchSize: 8, shuffle: true, generator: new Generator(seed) });
      return [epoch(dl), epoch(dl)];
    };
    const a = run(42);
    expect(run(42)).toEqual(a);
    expect(run(43)[0]).not.toEqual(a[0]);
    expect(a[1]).not.toEqual(a[0]);
    expect(a[0].flat()).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('yields new tensors every batch, as PyTorch: batches kept in a list keep their values', () => {
    const dl = new DataLoader(indexed(10), { batchSize: 3 });
    const kept: Array<[Tensor, Tensor]> = [];
    for (const [x, y] of dl) kept.push([x, y]); // the Python habit: for x, y in loader
    expect(kept.length).toBe(4);
    expect(new Set(kept.map(([x]) => x)).size).toBe(4);
    // indexed(n): example i holds x = [i, …], y = i; without shuffling batch k holds 3k … 3k + 2.
    expect(kept.map(([, y]) => Array.from(y.data))).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    const it1 = dl[Symbol.iterator]();
    const first = it1.next().value!;
    const snapshot = Array.from(first.x.data);
    it1.next();
    expect(Array.from(first.x.data)).toEqual(snapshot);
    expect(first.x).toBe([...first][0]);
  });

  it('reuseBuffers (fit\'s opt-in): the same persistent tensors every batch, overwritten in place, same values', () => {
    const fresh = [...new DataLoader(indexed(10), { batchSize: 3 })].map((b) => Array.from(b.y.data));
    const dl = new DataLoader(indexed(10), { batchSize: 3, reuseBuffers: true });
    const xs = new Set<Tensor>();
    const ys: number[][] = [];
    for (const [x, y] of dl) {
      xs.add(x);
      ys.push(Array.from(y.data));
    }
    expect(ys).toEqual(fresh);
    expect(xs.size).toBe(2); // one pair for full batches, one for the short last batch
    expect(() => new DataLoader(indexed(10), { reuseBuffers: 'yes' as never })).toThrow(/reuseBuffers must be true or false/);
  });

  it('batches [N, k] targets and higher-rank inputs', () => {
    const ds = indexed(5, true);
    const dl = new DataLoader(ds, { batchSize: 2 });
    const shapes: number[][] = [];
    const ys: number[][] = [];
    for (const b of dl) {
      shapes.push(b.y.shape);
      ys.push(Array.from(b.y.data));
    }
    expect(shapes).toEqual([[2, 3], [2, 3], [1, 3]]);
    expect(ys[2]).toEqual([12, 13, 14]);
    const img: Dataset = { x: new Tensor(new Float32Array(3 * 4).map((_, i) => i), [3, 2, 2]), y: tensor([0, 1, 2]), name: 'img' };
    const b = new DataLoader(img, { batchSize: 2 })[Symbol.iterator]().next().value;
    expect(b.x.shape).toEqual([2, 2, 2]);
    expect(Array.from(b.x.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('validates options with messages naming the option', () => {
    const ds = indexed(4);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(/batchSize must be an integer ≥ 1, got 0/);
    expect(() => new DataLoader(ds, { batchSize: 2.5 })).toThrow(/batchSize must be an integer ≥ 1, got 2.5/);
    expect(() => new DataLoader(ds, { shuffle: 'yes' as unknown as boolean })).toThrow(/shuffle must be true or false/);
    expect(() => new DataLoader(ds, { dropLast: 1 as unknown as boolean })).toThrow(/dropLast must be true or false/);
    expect(() => new DataLoader(ds, { generator: {} as Generator })).toThrow(/generator must be a Generator/);
    expect(() => new DataLoader(ds, { batchSize: 5, dropLast: true })).toThrow(/dropLast with batchSize 5 would drop every example/);
    expect(() => new DataLoader({ x: ds.x, y: tensor([1, 2, 3]), name: 'bad' })).toThrow(/bad: x has 4 examples .* but y has 3/);
  });

  it("len(loader.dataset) and len(loader) as PyTorch's test loops use them: 100 * correct / loader.dataset.length", () => {
    const ds = indexed(10);
    const loader = new DataLoader(ds, { batchSize: 4 });
    expect((loader.dataset as Dataset & { length: number }).length).toBe(10);
    expect(loader.length).toBe(3);
    expect(Object.keys(ds)).toEqual(['x', 'y', 'name']);
    expect(JSON.stringify(Object.keys(loader.dataset))).toBe('["x","y","name"]');
    let correct = 0;
    for (const [x, y] of loader) for (let i = 0; i < y.shape[0]; i++) if (x.data[2 * i] === y.data[i]) correct++;
    expect((100 * correct) / (loader.dataset as Dataset & { length: number }).length).toBe(100);
  });

  it('uses the global generator by default', async () => {
    const { manualSeed } = await import('../../src/random.js');
    manualSeed(7);
    const a = epoch(new DataLoader(indexed(20), { batchSize: 20, shuffle: true }));
    manualSeed(7);
    const b = epoch(new DataLoader(indexed(20), { batchSize: 20, shuffle: true }));
    expect(a).toEqual(b);
  });
});

describe('DataLoader in PyTorch\'s positional order', () => {
  it('new DataLoader(ds, 4, true) is DataLoader(ds, batch_size=4, shuffle=True); anything else as the second argument is named', () => {
    const ds = new TensorDataset(tensor(Array.from({ length: 10 }, (_, i) => [i, -i])), tensor(Array.from({ length: 10 }, (_, i) => i % 2)));
    expect([...new DataLoader(ds, 4)].map(([x]) => x.shape[0])).toEqual([4, 4, 2]);
    const shuffled = new DataLoader(ds, 4, true);
    expect([shuffled.batchSize, shuffled.shuffle]).toEqual([4, true]);
    expect(new DataLoader(ds, 4, { dropLast: true }).dropLast).toBe(true);
    expect(() => new DataLoader(ds, 4, { batchSize: 5 })).toThrow('DataLoader: batchSize given both positionally and in the options');
    expect(() => new DataLoader(ds, '4' as never)).toThrow('DataLoader: the second argument is the batch size or the options {batchSize, shuffle, …}, got "4"');
    expect(() => new DataLoader(ds, null as never)).toThrow('got null');
    expect(() => new DataLoader(ds, 4, 'yes' as never)).toThrow('DataLoader: shuffle must be true or false, got yes');
    expect(() => new DataLoader(ds, 0)).toThrow('DataLoader: batchSize must be an integer ≥ 1, got 0');
    expect(() => new DataLoader(ds, { batch_size: 4 } as never)).toThrow("unknown option 'batch_size' (gradlab spells it batchSize)");
  });
});
