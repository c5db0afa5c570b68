/**
 * DataLoader: batches of a dataset, reshuffled every epoch from a seeded generator.
 *
 * As PyTorch's, each batch is new tensors holding copies of its rows: a batch may be kept,
 * stored in a list or compared with a later one. They are ordinary step-local tensors
 * (src/memory.ts): a batch still referenced at the next step boundary moves to JS memory,
 * one that is dropped is freed. A batch is also iterable, so `for (const [x, y] of loader)`
 * works as `for x, y in loader` does in Python. `reuseBuffers` is the opt-in for loops that
 * never keep a batch (fit's): one persistent pair of tensors, overwritten batch after batch.
 */
import { alloc, type FloatArray } from '../kernels/index.js';
import { Tensor, showValue } from '../tensor.js';
import { markPersistent } from '../memory.js';
import { defaultGenerator, Generator } from '../random.js';
import { isPlainObject, keywordArgs, pointSnakeCase } from '../options.js';
import { rowSize, validateDataset, type DatasetLike } from './dataset.js';
import { defaultCollate, indexBatches, isMapStyle, mapItem, mapLength, type MapStyleDataset, type PyMapStyleDataset } from './map-style.js';
import { select } from '../ops/shape.js';

export interface DataLoaderOptions<B = unknown> {
  /** Examples per batch, an integer ≥ 1. Default 1 (as PyTorch). */
  batchSize?: number;
  /** Draw a new random order every epoch. Default false (as PyTorch). */
  shuffle?: boolean;
  /** Skip the last batch when it is shorter than batchSize. Default false (as PyTorch). */
  dropLast?: boolean;
  /** Source of the shuffling order. Default: the global generator (see manualSeed). */
  generator?: Generator;
  /**
   * Opt-in speed-up for loops that never keep a batch past the next one (fit, the CLI and the
   * experiments use it): every batch is written into the same two tensors, kept in wasm memory,
   * so nothing is allocated or moved at step boundaries. A kept batch would then change under
   * you. Default false: each batch is new tensors, as in PyTorch.
   */
  reuseBuffers?: boolean;
  /**
   * PyTorch's worker processes (num_workers), an integer ≥ 0. Batches are made in the calling
   * thread, in the same order whatever the value, so it changes nothing; accepted so that
   * `DataLoader(trainset, batch_size=4, shuffle=True, num_workers=2)` ports as written.
   */
  numWorkers?: number;
  /** PyTorch's pin_memory (page-locked host memory for GPU copies): there is no GPU, so it changes nothing. */
  pinMemory?: boolean;
  /**
   * PyTorch's collate_fn: makes a batch of the list of items (for an {x, y} dataset, the
   * `[x[i], y[i]]` pairs). Default: defaultCollate for a map-style dataset (stack), and the
   * row-copying Batch for {x, y}.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the items are the dataset's, whatever its get(i) returns
  collateFn?: (items: any[]) => B;
}

/**
 * One batch: `x` [B, ...x.shape[1:]] and `y` [B] or [B, k]; as PyTorch's `[inputs, labels]` list
 * also `const [x, y] = batch`, `data[0]`, `data[1]`, `f(...batch)`.
 */
export class Batch implements Iterable<Tensor> {
  readonly length = 2;
  constructor(
    readonly x: Tensor,
    readonly y: Tensor,
  ) {}
  get 0(): Tensor {
    return this.x;
  }
  get 1(): Tensor {
    return this.y;
  }
  *[Symbol.iterator](): Iterator<Tensor> {
    yield this.x;
    yield this.y;
  }
}

/** What a DataLoader reads: an {x, y} dataset, a map-style dataset (a user's Dataset class) or an array of items. */
export type DataLoaderItems = DatasetLike | MapStyleDataset | PyMapStyleDataset | readonly unknown[];

/** Every DataLoaderOptions key (the compiler keeps the list complete): another is a misspelling (`batch_size`). */
const DATALOADER_OPTIONS = Object.keys({ batchSize: 1, shuffle: 1, dropLast: 1, generator: 1, reuseBuffers: 1, numWorkers: 1, pinMemory: 1, collateFn: 1 } satisfies Record<keyof DataLoaderOptions, 1>);

/**
 * `B`: what one batch is. A Batch (`[x, y]`, `.x`, `.y`) for an {x, y} dataset; for a map-style
 * dataset, what the collate function makes (typed from `collateFn`; defaultCollate's `[X, Y]` of
 * `[input, label]` items is typed as Batch too: destructure it, `const [x, y] = batch`).
 */
export class DataLoader<B = Batch> implements Iterable<B> {
  /** The dataset; `loader.dataset.length` is PyTorch's len(loader.dataset). */
  readonly dataset: DatasetLike & { readonly length: number };
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly generator: Generator;
  /** Number of examples in the dataset. */
  readonly numExamples: number;
  private readonly order: Int32Array;
  private readonly xRow: number;
  private readonly yRow: number;
  readonly reuseBuffers: boolean;
  /** With reuseBuffers: the batch for full batches and the one for the shorter last batch. */
  private reused: { full?: Batch; tail?: Batch } = {};
  /** A map-style dataset or a collateFn: the items' source and the collate function. */
  private readonly mapped: { source: object; collate: (items: unknown[]) => unknown } | null = null;

  constructor(items: DataLoaderItems, options?: DataLoaderOptions<B>);
  /** PyTorch's positional order, DataLoader(dataset, batch_size, shuffle): `new DataLoader(ds, 64, true)`, the rest by name. */
  constructor(items: DataLoaderItems, batchSize: number, shuffle?: boolean | DataLoaderOptions<B>, options?: DataLoaderOptions<B>);
  constructor(items: DataLoaderItems, ...args: unknown[]) {
    // Past the map-style branch, an {x, y} dataset (validateDataset checks it).
    const dataset = items as DatasetLike;
    if (args.length > 0 && args[0] !== undefined && !isPlainObject(args[0]) && typeof args[0] !== 'number') {
      throw new Error(`DataLoader: the second argument is the batch size or the options {batchSize, shuffle, …}, got ${showValue(args[0])}`);
    }
    const [batchSizeArg, shuffleArg, ...rest] = keywordArgs('DataLoader', args, ['batchSize', 'shuffle'], DATALOADER_OPTIONS.filter((k) => k !== 'batchSize' && k !== 'shuffle'));
    const options = { batchSize: batchSizeArg, shuffle: shuffleArg, ...Object.fromEntries(DATALOADER_OPTIONS.filter((k) => k !== 'batchSize' && k !== 'shuffle').map((k, i) => [k, rest[i]])) } as DataLoaderOptions<B>;
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`DataLoader: batchSize must be an integer ≥ 1, got ${showValue(batchSize)}`);
    }
    const shuffle = options.shuffle ?? false;
    if (typeof shuffle !== 'boolean') throw new Error(`DataLoader: shuffle must be true or false, got ${String(shuffle)}`);
    const dropLast = options.dropLast ?? false;
    if (typeof dropLast !== 'boolean') throw new Error(`DataLoader: dropLast must be true or false, got ${String(dropLast)}`);
    const reuseBuffers = options.reuseBuffers ?? false;
    if (typeof reuseBuffers !== 'boolean') throw new Error(`DataLoader: reuseBuffers must be true or false, got ${String(reuseBuffers)}`);
    const numWorkers = options.numWorkers ?? 0;
    if (!Number.isInteger(numWorkers) || numWorkers < 0) throw new Error(`DataLoader: numWorkers must be an integer ≥ 0, got ${showValue(numWorkers)}`);
    if (typeof (options.pinMemory ?? false) !== 'boolean') throw new Error(`DataLoader: pinMemory must be true or false, got ${String(options.pinMemory)}`);
    const generator = options.generator ?? defaultGenerator;
    if (!(generator instanceof Generator)) throw new Error('DataLoader: generator must be a Generator (new Generator(seed))');
    if (options.collateFn !== undefined && typeof options.collateFn !== 'function') throw new Error(`DataLoader: collateFn must be a function of the list of items, got ${showValue(options.collateFn)}`);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = generator;
    this.reuseBuffers = reuseBuffers;
    if (isMapStyle(items) || options.collateFn !== undefined) {
      // A user's Dataset class (length + get(i), or __len__ + __getitem__), or a collateFn: items one by one.
      if (reuseBuffers) throw new Error('DataLoader: reuseBuffers needs an {x, y} dataset without a collateFn');
      const source: object = isMapStyle(items) ? items : { length: validateDataset(dataset, 'DataLoader'), get: (i: number) => [select(dataset.x, 0, i), select(dataset.y, 0, i)] };
      const n = mapLength(source, 'DataLoader');
      if (n === 0) throw new Error('DataLoader: the dataset has no items');
      this.mapped = { source, collate: options.collateFn ?? ((items) => defaultCollate(items)) };
      this.dataset = dataset as DatasetLike & { readonly length: number };
      this.numExamples = n;
      this.order = new Int32Array(0);
      this.xRow = this.yRow = 0;
      return;
    }
    const n = validateDataset(dataset, 'DataLoader');
    if (n === 0) throw new Error(`DataLoader: dataset ${dataset.name ?? '(unnamed)'} has no examples`);
    if (dropLast && n < batchSize) {
      throw new Error(`DataLoader: dropLast with batchSize ${batchSize} would drop every example of a dataset of ${n}`);
    }
    // len(loader.dataset) as PyTorch users write it: `loader.dataset.length`, the number of
    // examples, on any {x, y} (a TensorDataset has its own). Non-enumerable, so the object's
    // keys, JSON and equality are as they were.
    if (!('length' in dataset) && Object.isExtensible(dataset)) {
      Object.defineProperty(dataset, 'length', {
        get(this: DatasetLike) {
          return this.x.shape[0];
        },
        enumerable: false,
        configurable: true,
      });
    }
    this.dataset = dataset as DatasetLike & { readonly length: number };
    this.numExamples = n;
    this.order = new Int32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = i;
    this.xRow = rowSize(dataset.x);
    this.yRow = rowSize(dataset.y);
  }

  /** Over a map-style dataset or with a collateFn: batches are whatever the collate function makes, not {x, y} rows. */
  get mapStyle(): boolean {
    return this.mapped !== null;
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.numExamples / this.batchSize) : Math.ceil(this.numExamples / this.batchSize);
  }

  /** A batch of `size` examples: new tensors, or (reuseBuffers) the loader's own persistent pair. */
  private storage(size: number): Batch {
    const make = (): Batch => {
      const { xRow, yRow, dataset } = this;
      const x = new Tensor(alloc(size * xRow, dataset.x.dtype), [size, ...dataset.x.shape.slice(1)]);
      const y = new Tensor(alloc(size * yRow, dataset.y.dtype), [size, ...dataset.y.shape.slice(1)]);
      // Reused every batch: persistent storage (src/memory.ts), not moved out at step boundaries.
      return this.reuseBuffers ? new Batch(markPersistent(x), markPersistent(y)) : new Batch(x, y);
    };
    if (!this.reuseBuffers) return make();
    return size === this.batchSize ? (this.reused.full ??= make()) : (this.reused.tail ??= make());
  }

  /** Rows are gathered here first when the batch lives in shared (wasm) memory; see batch(). */
  private staging: FloatArray | null = null;

  /** The batch holding the examples order[start … start + size). */
  private batch(start: number, size: number): Batch {
    const { xRow, yRow, order, dataset } = this;
    const b = this.storage(size);
    const { x, y } = b;
    const xs = dataset.x.data;
    const ys = dataset.y.data;
    const xd = x.data;
    const yd = y.data;
    // V8 copies into a SharedArrayBuffer (the threaded wasm memory) word by word: gathering
    // 128 rows of 784 there took 1.7× as long as into a plain array and one copy after it
    // (93–101 against 55–62 µs a batch, measured 2026-11-29).
    const shared = !(xd.buffer instanceof ArrayBuffer) && xd.length >= 4096;
    let xg: FloatArray = xd;
    if (shared) {
      if (this.staging === null || this.staging.length < xd.length || this.staging.constructor !== xd.constructor) {
        this.staging = xd instanceof Float64Array ? new Float64Array(xd.length) : new Float32Array(xd.length);
      }
      xg = this.staging;
    }
    for (let i = 0; i < size; i++) {
      const j = order[start + i];
      xg.set(xs.subarray(j * xRow, (j + 1) * xRow), i * xRow);
    }
    if (shared) xd.set(xg.length === xd.length ? xg : xg.subarray(0, xd.length));
    if (yRow === 1) for (let i = 0; i < size; i++) yd[i] = ys[order[start + i]];
    else for (let i = 0; i < size; i++) {
      const j = order[start + i];
      yd.set(ys.subarray(j * yRow, (j + 1) * yRow), i * yRow);
    }
    return b;
  }

  /** `for (const [i, data] of trainloader.entries())`: PyTorch's `for i, data in enumerate(trainloader, 0)`, one epoch, batch by batch. */
  *entries(): IterableIterator<[number, B]> {
    let i = 0;
    for (const b of this) yield [i++, b];
  }

  /**
   * One epoch. With shuffle, each call draws a new permutation (Fisher–Yates) from the
   * generator, so the sequence of epochs is fixed by the generator's seed.
   */
  [Symbol.iterator](): Iterator<B> {
    if (this.mapped !== null) {
      const { source, collate } = this.mapped;
      const batches = indexBatches(this.numExamples, this.batchSize, this.shuffle, this.dropLast, this.generator);
      return (function* () {
        for (const idx of batches) yield collate(Array.from(idx, (i) => mapItem(source, i))) as B;
      })();
    }
    if (this.shuffle) this.generator.permutation(this.numExamples, this.order);
    const n = this.numExamples;
    const bs = this.batchSize;
    const end = this.dropLast ? n - (n % bs) : n;
    let start = 0;
    return {
      next: (): IteratorResult<B> => {
        if (start >= end) return { done: true, value: undefined };
        const size = Math.min(bs, end - start);
        const value = this.batch(start, size) as unknown as B;
        start += size;
        return { done: false, value };
      },
    };
  }
}

/**
 * The generator that shuffles a run's training batches (`gradlab train`, the web lab): its own
 * stream, seed + 0x5eed, apart from the weights' (manualSeed(seed)) and the split's (seed + 1).
 */
export const shuffleGenerator = (seed: number): Generator => new Generator(seed + 0x5eed);

/**
 * A run's training batches, as `gradlab train` and the web lab draw them: reshuffled every epoch
 * by `generator` (shuffleGenerator(seed)); with BatchNorm a last batch of one example is dropped,
 * as PyTorch's drop_last does (its variance would be 0; shuffling puts that example in a full
 * batch the next epoch). `fit` draws tensor data's batches here too, `shuffle` as given.
 */
export function trainingLoader(train: DatasetLike, o: { batchSize: number; batchnorm: boolean; generator: Generator; shuffle?: boolean }): DataLoader {
  const examples = validateDataset(train, 'trainingLoader');
  // A set of one example is all one batch: BatchNorm's own error names it, not a dropLast the caller never asked for.
  const dropLast = o.batchnorm && examples > 1 && examples % o.batchSize === 1;
  return new DataLoader(train, { batchSize: o.batchSize, shuffle: o.shuffle ?? true, generator: o.generator, dropLast, reuseBuffers: true });
}

// loader.batch_size, loader.drop_last: errors naming gradlab's spelling (src/options.ts).
pointSnakeCase(DataLoader, ['batchSize', 'dropLast', 'numExamples', 'reuseBuffers']);
