/**
 * DataLoader: batches of a dataset, reshuffled every epoch from a seeded generator.
 *
 * Buffer reuse: the loader owns one x/y tensor pair for full batches and one for the
 * (shorter) last batch, allocated on first use, and copies rows into them. A yielded
 * batch is therefore valid only until the next one is requested: its tensors are
 * overwritten in place. Call `.clone()` on them to keep a batch. In steady state an
 * epoch allocates nothing per batch (the iterator result and the batch object are reused
 * too).
 */
import { Tensor, zeros } from '../tensor.js';
import { markPersistent } from '../memory.js';
import { defaultGenerator, Generator } from '../random.js';
import { rowSize, validateDataset, type DatasetLike } from './dataset.js';

export interface DataLoaderOptions {
  /** Examples per batch, an integer ≥ 1. Default 1 (as PyTorch). */
  batchSize?: number;
  /** Draw a new random order every epoch. Default false (as PyTorch). */
  shuffle?: boolean;
  /** Skip the last batch when it is shorter than batchSize. Default false (as PyTorch). */
  dropLast?: boolean;
  /** Source of the shuffling order. Default: the global generator (see manualSeed). */
  generator?: Generator;
}

export interface Batch {
  /** [B, ...x.shape[1:]] — overwritten by the next batch. */
  x: Tensor;
  /** [B] or [B, k] — overwritten by the next batch. */
  y: Tensor;
}

interface Buffers {
  x: Tensor;
  y: Tensor;
  batch: Batch;
}

export class DataLoader implements Iterable<Batch> {
  readonly dataset: DatasetLike;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  /** Number of examples in the dataset. */
  readonly numExamples: number;
  private readonly order: Int32Array;
  private full: Buffers | null = null;
  private tail: Buffers | null = null;
  private readonly xRow: number;
  private readonly yRow: number;

  constructor(dataset: DatasetLike, options: DataLoaderOptions = {}) {
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`DataLoader: batchSize must be an integer ≥ 1, got ${String(batchSize)}`);
    }
    const shuffle = options.shuffle ?? false;
    if (typeof shuffle !== 'boolean') throw new Error(`DataLoader: shuffle must be true or false, got ${String(shuffle)}`);
    const dropLast = options.dropLast ?? false;
    if (typeof dropLast !== 'boolean') throw new Error(`DataLoader: dropLast must be true or false, got ${String(dropLast)}`);
    const generator = options.generator ?? defaultGenerator;
    if (!(generator instanceof Generator)) throw new Error('DataLoader: generator must be a Generator (new Generator(seed))');
    const n = validateDataset(dataset, 'DataLoader');
    if (n === 0) throw new Error(`DataLoader: dataset ${dataset.name ?? '(unnamed)'} has no examples`);
    if (dropLast && n < batchSize) {
      throw new Error(`DataLoader: dropLast with batchSize ${batchSize} would drop every example of a dataset of ${n}`);
    }
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = generator;
    this.numExamples = n;
    this.order = new Int32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = i;
    this.xRow = rowSize(dataset.x);
    this.yRow = rowSize(dataset.y);
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.numExamples / this.batchSize) : Math.ceil(this.numExamples / this.batchSize);
  }

  private buffers(size: number): Buffers {
    const make = (): Buffers => {
      // Reused every batch: persistent storage (src/memory.ts), not moved out at step boundaries.
      const x = markPersistent(zeros([size, ...this.dataset.x.shape.slice(1)], { dtype: this.dataset.x.dtype }));
      const y = markPersistent(zeros([size, ...this.dataset.y.shape.slice(1)], { dtype: this.dataset.y.dtype }));
      return { x, y, batch: { x, y } };
    };
    if (size === this.batchSize) return (this.full ??= make());
    return (this.tail ??= make());
  }

  private fill(buf: Buffers, start: number, size: number): void {
    const { xRow, yRow, order } = this;
    const xs = this.dataset.x.data;
    const ys = this.dataset.y.data;
    const xd = buf.x.data;
    const yd = buf.y.data;
    for (let b = 0; b < size; b++) {
      const j = order[start + b];
      let s = j * xRow;
      let o = b * xRow;
      for (let k = 0; k < xRow; k++) xd[o + k] = xs[s + k];
      s = j * yRow;
      o = b * yRow;
      for (let k = 0; k < yRow; k++) yd[o + k] = ys[s + k];
    }
  }

  /**
   * One epoch. With shuffle, each call draws a new permutation (Fisher–Yates) from the
   * generator, so the sequence of epochs is fixed by the generator's seed.
   */
  [Symbol.iterator](): Iterator<Batch> {
    if (this.shuffle) this.generator.permutation(this.numExamples, this.order);
    const n = this.numExamples;
    const bs = this.batchSize;
    const end = this.dropLast ? n - (n % bs) : n;
    let start = 0;
    const result: { done: boolean; value: Batch } = { done: false, value: undefined as unknown as Batch };
    return {
      next: (): IteratorResult<Batch> => {
        if (start >= end) {
          result.done = true;
          result.value = undefined as unknown as Batch;
          return result as IteratorResult<Batch>;
        }
        const size = Math.min(bs, end - start);
        const buf = this.buffers(size);
        this.fill(buf, start, size);
        start += size;
        result.value = buf.batch;
        return result as IteratorResult<Batch>;
      },
    };
  }
}
