/**
 * PyTorch's map-style datasets: a user's class with a length and an item getter — `length` and
 * `get(i)` (or PyTorch's own `__len__()` and `__getitem__(i)`), or an array of items — batched by DataLoader through a
 * collate function, as torch.utils.data does; plus Subset and randomSplit over any dataset.
 * Items are fetched one by one (a getter may draw a fresh augmentation each epoch), so this path is
 * slower than a TensorDataset's row copies, which DataLoader keeps for {x, y} datasets.
 */
import { select, stack } from '../ops/shape.js';
import { Generator, defaultGenerator } from '../random.js';
import { Tensor, showValue, tensor } from '../tensor.js';

export interface MapStyleDataset<T = unknown> {
  readonly length: number;
  get(i: number): T;
}

/** A dataset written as PyTorch's: `__len__()` and `__getitem__(i)`. */
export interface PyMapStyleDataset {
  __len__(): number;
  __getitem__(i: number): unknown;
}
type PyDataset = PyMapStyleDataset;

/** Is `ds` a map-style dataset (not an {x, y} of tensors)? */
export function isMapStyle(ds: unknown): boolean {
  // A list of examples is one, as in PyTorch (DataLoader(list(zip(xs, ys)))).
  if (Array.isArray(ds)) return true;
  if (ds === null || typeof ds !== 'object') return false;
  const d = ds as Record<string, unknown>;
  if (d.x instanceof Tensor && d.y instanceof Tensor) return false;
  return (typeof d.get === 'function' && typeof d.length === 'number') || (typeof d.__getitem__ === 'function' && typeof d.__len__ === 'function');
}

/** The number of items of a map-style dataset (`length`, else `__len__()`), checked. */
export function mapLength(ds: object, where: string): number {
  const d = ds as Partial<MapStyleDataset> & Partial<PyDataset>;
  const n = Array.isArray(ds) || typeof d.get === 'function' ? d.length : d.__len__!();
  if (!Number.isInteger(n) || (n as number) < 0) throw new Error(`${where}: the dataset's length must be an integer ≥ 0, got ${showValue(n)}`);
  return n as number;
}

/** Item i of a map-style dataset (`get(i)`, else `__getitem__(i)`). */
export function mapItem(ds: object, i: number): unknown {
  if (Array.isArray(ds)) return ds[i];
  const d = ds as Partial<MapStyleDataset> & Partial<PyDataset>;
  return typeof d.get === 'function' ? d.get(i) : d.__getitem__!(i);
}

/**
 * PyTorch's default_collate: Tensors are stacked along a new first dimension, numbers become a
 * tensor [B], arrays (an (x, y) pair) and plain objects are collated field by field.
 */
export function defaultCollate(items: readonly unknown[], where = 'DataLoader: default collate'): unknown {
  const first = items[0];
  if (first instanceof Tensor) {
    const bad = items.findIndex((t) => !(t instanceof Tensor) || t.shape.join() !== first.shape.join());
    if (bad >= 0) throw new Error(`${where}: item ${bad} is ${items[bad] instanceof Tensor ? `a tensor of shape [${(items[bad] as Tensor).shape}]` : showValue(items[bad])}, item 0 a tensor of shape [${first.shape}]: the items of a batch must have one shape (or give a collateFn)`);
    return stack(items as Tensor[], 0);
  }
  if (typeof first === 'number' || typeof first === 'boolean') return tensor(items.map(Number));
  if (Array.isArray(first)) return first.map((_, j) => defaultCollate(items.map((it) => (it as unknown[])[j]), `${where}[${j}]`));
  if (first !== null && typeof first === 'object' && Object.getPrototypeOf(first) === Object.prototype) {
    return Object.fromEntries(Object.keys(first).map((k) => [k, defaultCollate(items.map((it) => (it as Record<string, unknown>)[k]), `${where}.${k}`)]));
  }
  throw new Error(`${where}: cannot batch items like ${showValue(first)} (Tensors, numbers, arrays and plain objects of them are stacked): give a collateFn`);
}

/** One epoch of index batches over n items: shuffled by `generator` when asked, the short tail dropped when asked. */
export function* indexBatches(n: number, batchSize: number, shuffle: boolean, dropLast: boolean, generator: Generator): IterableIterator<Int32Array> {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (shuffle) generator.permutation(n, order);
  const end = dropLast ? n - (n % batchSize) : n;
  for (let s = 0; s < end; s += batchSize) yield order.subarray(s, Math.min(s + batchSize, end));
}

/** torch.utils.data.Subset: the items of `dataset` at `indices`, in that order. */
export class Subset<T = unknown> implements MapStyleDataset<T> {
  readonly indices: readonly number[];
  constructor(readonly dataset: object, indices: ArrayLike<number>) {
    const n = datasetSize(dataset, 'Subset');
    this.indices = Array.from(indices);
    const bad = this.indices.findIndex((i) => !Number.isInteger(i) || i < 0 || i >= n);
    if (bad >= 0) throw new Error(`Subset: indices[${bad}] = ${this.indices[bad]} is not an index of a dataset of ${n}`);
  }
  get length(): number {
    return this.indices.length;
  }
  get(i: number): T {
    if (!Number.isInteger(i) || i < -this.length || i >= this.length) throw new Error(`Subset: no item ${i} (the subset has ${this.length})`);
    const j = this.indices[i < 0 ? i + this.length : i];
    const d = this.dataset as { x?: unknown; y?: unknown };
    if (d.x instanceof Tensor && d.y instanceof Tensor) return [select(d.x, 0, j), select(d.y, 0, j)] as T;
    return mapItem(this.dataset, j) as T;
  }
}

function datasetSize(ds: object, where: string): number {
  const d = ds as { x?: unknown; y?: unknown };
  if (d !== null && typeof d === 'object' && d.x instanceof Tensor && d.y instanceof Tensor) return d.x.shape[0];
  if (isMapStyle(ds)) return mapLength(ds, where);
  throw new Error(`${where}: the dataset must be a TensorDataset ({x, y}) or have length and get(i) (or __len__ and __getitem__), got ${showValue(ds)}`);
}

/**
 * torch.utils.data.random_split(dataset, lengths, generator): disjoint Subsets of a random
 * permutation, of the given lengths, or of fractions summing to 1 (floor of each, the remainder
 * given one by one to the first subsets, round-robin, as PyTorch 1.13 does).
 */
export function randomSplit<T = unknown>(dataset: object, lengths: readonly number[], generator: Generator = defaultGenerator): Subset<T>[] {
  const n = datasetSize(dataset, 'randomSplit');
  if (!Array.isArray(lengths) || lengths.length === 0 || lengths.some((l) => typeof l !== 'number' || !(l >= 0))) throw new Error(`randomSplit: lengths must be an array of numbers ≥ 0 (counts, or fractions summing to 1), got ${showValue(lengths)}`);
  if (!(generator instanceof Generator)) throw new Error('randomSplit: generator must be a Generator (new Generator(seed))');
  let counts = [...lengths];
  const total = counts.reduce((a, b) => a + b, 0);
  if (Math.abs(total - 1) <= 1e-9 && counts.some((l) => !Number.isInteger(l))) {
    counts = lengths.map((f) => Math.floor(n * f));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]++;
  } else if (counts.some((l) => !Number.isInteger(l)) || total !== n) {
    throw new Error(`randomSplit: the lengths ${JSON.stringify(lengths)} sum to ${total}, not to the dataset's ${n} items (nor are they fractions summing to 1)`);
  }
  const order = generator.permutation(n);
  let at = 0;
  return counts.map((c) => new Subset<T>(dataset, order.subarray(at, (at += c))));
}
