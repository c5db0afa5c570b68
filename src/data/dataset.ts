/**
 * Datasets: a pair of tensors with a little description. Rows of `x` are examples;
 * `y` holds either class indices (shape [N], float values of integers, as the loss
 * functions expect) or regression targets (shape [N, k]).
 */
import { K } from '../kernels/index.js';
import { Tensor, formatShape, showValue } from '../tensor.js';
import { narrow, select } from '../ops/shape.js';
import { indexable } from '../nn/module.js';
import { defaultGenerator, type Generator } from '../random.js';

export interface Dataset {
  /** Inputs, [N, features] (or [N, ...dims]; every row is flattened by the DataLoader's copy). */
  x: Tensor;
  /** Class indices [N] (float values of integers 0..numClasses−1) or targets [N, k]. */
  y: Tensor;
  /** Set for classification data: the number of classes. */
  numClasses?: number;
  featureNames?: string[];
  /** Names of the classes in index order (classNames[i] is the class of label i). */
  classNames?: string[];
  /** Shown in reports and error messages. */
  name: string;
}

/** A dataset with PyTorch's `ds[i]` → `[x_i, y_i]` (withIndexing). */
export type Indexed<T extends DatasetLike> = T & { readonly [i: number]: [Tensor, Tensor] };

/** Anything with inputs and labels; a Dataset without its description. */
export interface DatasetLike {
  x: Tensor;
  y: Tensor;
  name?: string;
  numClasses?: number;
}

/**
 * torch.utils.data.TensorDataset for inputs and targets: row i of `x` and of `y` is example i.
 * `ds.length` is PyTorch's len(ds), `ds[i]` or `ds.get(i)` its ds[i] (`[x_i, y_i]`, so
 * `ds[0][0]` is the first input), and a DataLoader takes it as it takes any {x, y}.
 */
export class TensorDataset implements DatasetLike {
  /** ds[i]: example i as [x_i, y_i] (withIndexing). */
  readonly [i: number]: [Tensor, Tensor];
  readonly x: Tensor;
  readonly y: Tensor;
  constructor(x: Tensor, y: Tensor, ...more: unknown[]) {
    if (more.length > 0) throw new Error(`TensorDataset: gradlab's datasets hold inputs and targets, two tensors; got ${2 + more.length}`);
    this.x = x;
    this.y = y;
    validateDataset(this, 'TensorDataset');
    return withIndexing(this, 'TensorDataset');
  }
  /** Number of examples. */
  get length(): number {
    return this.x.shape[0];
  }
  /** Example i (negative from the end) as [x_i, y_i]. */
  get(i: number): [Tensor, Tensor] {
    return example(this, i, 'TensorDataset.get');
  }
  /**
   * PyTorch's `ds[start:end]`: examples start … end − 1 as `[xs, ys]`, with Python's slice rules
   * (negative from the end, clamped to the dataset; `xb, yb = train_ds[i * bs : i * bs + bs]`).
   */
  slice(start = 0, end: number = this.length): [Tensor, Tensor] {
    const n = this.length;
    for (const [name, v] of [['start', start], ['end', end]] as const) {
      if (!Number.isInteger(v)) throw new Error(`TensorDataset.slice: ${name} must be an integer, got ${showValue(v)}`);
    }
    const at = (v: number) => Math.min(n, Math.max(0, v < 0 ? v + n : v));
    const [a, b] = [at(start), Math.max(at(start), at(end))];
    return [narrow(this.x, 0, a, b - a), narrow(this.y, 0, a, b - a)];
  }
}

/** Example i (negative from the end) of a dataset as [x_i, y_i]; `where` names the caller. */
function example(ds: DatasetLike, i: number, where: string): [Tensor, Tensor] {
  const n = ds.x.shape[0];
  if (!Number.isInteger(i) || i < -n || i >= n) throw new Error(`${where}: index ${showValue(i)} is out of range for ${n} examples (an integer in [${-n}, ${n - 1}])`);
  return [select(ds.x, 0, i), select(ds.y, 0, i)];
}

/**
 * `ds` with PyTorch's `ds[i]` → `[x_i, y_i]` (a Proxy over integer keys, as ModuleList's;
 * `ds[0][0]` is the first input): TensorDataset and the datasets the IDX loaders return. The
 * examples are read-only: `ds[i] = …` is an error.
 */
export function withIndexing<T extends DatasetLike>(ds: T, where: string): Indexed<T> {
  return indexable(
    ds as Indexed<T>,
    (i) => example(ds, i, `${where}[${i}]`),
    (i) => {
      throw new Error(`${where}: ds[${i}] = … is not supported; the examples are rows of ds.x and ds.y`);
    },
    (i) => Number.isInteger(i) && i >= -ds.x.shape[0] && i < ds.x.shape[0],
  );
}

/** Number of examples (the first dimension of x). */
export function datasetLength(ds: DatasetLike): number {
  return ds.x.shape[0];
}

/**
 * Check the shapes and labels of a dataset; throws an Error naming the dataset and
 * the problem. Returns the number of examples.
 */
export function validateDataset(ds: DatasetLike, where = 'dataset'): number {
  if (ds === null || typeof ds !== 'object') throw new Error(`${where}: the dataset must be {x: Tensor, y: Tensor}, got ${ds === null ? 'null' : typeof ds}`);
  const name = ds.name ?? 'dataset';
  if (!(ds.x instanceof Tensor) || !(ds.y instanceof Tensor)) {
    // PyTorch's map-style datasets (len + getitem) and lists of examples: say how to make {x, y} of them.
    const examples = Array.isArray(ds) || (ds.x === undefined && ds.y === undefined);
    const got = Array.isArray(ds) ? 'an array (of examples?)' : examples ? `an object with keys ${Object.keys(ds).slice(0, 6).join(', ') || '(none)'}` : `x ${showValue(ds.x)} and y ${showValue(ds.y)}`;
    const fix = examples
      ? "a dataset of examples needs length and get(i) (or PyTorch's __len__ and __getitem__), which DataLoader batches; or make it one of tensors: new TensorDataset(stack(examples.map(([x]) => x)), tensor(examples.map(([, y]) => y)))"
      : 'make them tensors: {x: tensor(x), y: tensor(y)}';
    throw new Error(`${where}: ${name}: x and y must be Tensors, got ${got}; ${fix}`);
  }
  if (ds.x.ndim < 1) throw new Error(`${where}: ${name}: x must have a first (example) dimension, got shape ${formatShape(ds.x.shape)}`);
  if (ds.y.ndim < 1 || ds.y.ndim > 2) throw new Error(`${where}: ${name}: y must be [N] (class indices) or [N, k] (targets), got shape ${formatShape(ds.y.shape)}`);
  const n = ds.x.shape[0];
  if (ds.y.shape[0] !== n) {
    throw new Error(`${where}: ${name}: x has ${n} examples (shape ${formatShape(ds.x.shape)}) but y has ${ds.y.shape[0]} (shape ${formatShape(ds.y.shape)})`);
  }
  if (ds.numClasses !== undefined) {
    if (!Number.isInteger(ds.numClasses) || ds.numClasses < 1) throw new Error(`${where}: ${name}: numClasses must be a positive integer, got ${ds.numClasses}`);
    if (ds.y.ndim !== 1) throw new Error(`${where}: ${name}: a classification dataset needs y of shape [N], got ${formatShape(ds.y.shape)}`);
    checkClassIndices(ds.y, ds.numClasses, `${where}: ${name}`);
  }
  return n;
}

/** Throw `${where}: label v of example i is not a class index in 0..C−1` for the first y that is not one. */
export function checkClassIndices(y: Tensor, numClasses: number, where: string): void {
  const d = y.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i];
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw new Error(`${where}: label ${v} of example ${i} is not a class index in 0..${numClasses - 1}`);
    }
  }
}

/**
 * Throw for the first NaN or ±Infinity in `t` (a data set's x or y), naming its example and
 * position and how many there are: training on it would only stop at the first step with a
 * NaN loss blamed on the first layer.
 */
export function checkFiniteValues(t: Tensor, where: string): void {
  const d = t.data;
  // The fast test first (fit checks every value of its data on each call); the count for the message only on failure.
  if (K.allFinite(d)) return;
  let first = -1;
  let count = 0;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (first < 0) return;
  const r = rowSize(t);
  const at = t.ndim > 1 ? `example ${Math.floor(first / r)}, element ${first % r}` : `example ${first}`;
  throw new Error(`${where} holds ${count === 1 ? 'a non-finite value' : `${count} non-finite values`}, the first ${d[first]} at ${at}; remove or impute ${count === 1 ? 'it' : 'them'} before training`);
}

/** Elements per example of a tensor whose first dimension counts examples. */
export function rowSize(t: Tensor): number {
  let s = 1;
  for (let i = 1; i < t.shape.length; i++) s *= t.shape[i];
  return s;
}

/** Copy rows `indices` of `src` into a new tensor of shape [indices.length, ...src.shape[1:]]. */
export function gatherRows(src: Tensor, indices: ArrayLike<number>): Tensor {
  const r = rowSize(src);
  const n = src.shape[0];
  const out = new Float32Array(indices.length * r);
  const d = src.data;
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!Number.isInteger(j) || j < 0 || j >= n) throw new Error(`subset: index ${j} is out of range for ${n} examples`);
    out.set(d.subarray(j * r, (j + 1) * r), i * r);
  }
  return new Tensor(out, [indices.length, ...src.shape.slice(1)]);
}

function describe<T extends DatasetLike>(ds: T): Omit<Dataset, 'x' | 'y' | 'name'> {
  const d = ds as unknown as Dataset;
  const out: Omit<Dataset, 'x' | 'y' | 'name'> = {};
  if (d.numClasses !== undefined) out.numClasses = d.numClasses;
  if (d.featureNames !== undefined) out.featureNames = d.featureNames.slice();
  if (d.classNames !== undefined) out.classNames = d.classNames.slice();
  return out;
}

/** The examples at `indices`, in that order, as a new dataset (copies the rows). */
export function subset(ds: Dataset, indices: ArrayLike<number>, name?: string): Dataset {
  validateDataset(ds, 'subset');
  return { ...describe(ds), x: gatherRows(ds.x, indices), y: gatherRows(ds.y, indices), name: name ?? `${ds.name} (subset)` };
}

export interface SplitOptions {
  /**
   * Keep each class's share equal in both parts (classification data only). Each class
   * contributes round(n_c · fraction) validation examples, adjusted by largest remainder
   * so that the total is exactly round(N · fraction). Default false.
   */
  stratify?: boolean;
}

/**
 * Split into training and validation parts: a seeded random permutation puts
 * round(N · fraction) examples in validation and the rest in training (both in shuffled
 * order). Same generator state → same split. `fraction` is the validation share, in (0, 1),
 * and both parts must be non-empty.
 */
export function trainValidationSplit(
  ds: Dataset,
  fraction: number,
  generator: Generator = defaultGenerator,
  options: SplitOptions = {},
): { train: Dataset; validation: Dataset } {
  const { train: trainIdx, validation: valIdx } = splitIndices(ds, fraction, generator, options);
  return {
    train: { ...describe(ds), x: gatherRows(ds.x, trainIdx), y: gatherRows(ds.y, trainIdx), name: `${ds.name} (train)` },
    validation: { ...describe(ds), x: gatherRows(ds.x, valIdx), y: gatherRows(ds.y, valIdx), name: `${ds.name} (validation)` },
  };
}

/** The example indices of trainValidationSplit's two parts, each in its order (an exported training script selects the same rows). */
export function splitIndices(ds: Dataset, fraction: number, generator: Generator = defaultGenerator, options: SplitOptions = {}): { train: number[]; validation: number[] } {
  const n = validateDataset(ds, 'trainValidationSplit');
  if (!(typeof fraction === 'number' && fraction > 0 && fraction < 1)) {
    throw new Error(`trainValidationSplit: fraction must be in (0, 1) (the validation share), got ${fraction}`);
  }
  const nVal = Math.round(n * fraction);
  if (nVal < 1 || nVal > n - 1) {
    throw new Error(`trainValidationSplit: fraction ${fraction} of ${n} examples leaves an empty part (${nVal} validation, ${n - nVal} training)`);
  }
  const stratify = options.stratify ?? false;
  const perm = generator.permutation(n);
  let valIdx: number[];
  let trainIdx: number[];
  if (!stratify) {
    valIdx = Array.from(perm.subarray(0, nVal));
    trainIdx = Array.from(perm.subarray(nVal));
  } else {
    if (ds.y.ndim !== 1) throw new Error(`trainValidationSplit: stratify needs class labels of shape [N], got ${formatShape(ds.y.shape)}`);
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const j = perm[i];
      const c = ds.y.data[j];
      if (!Number.isInteger(c)) throw new Error(`trainValidationSplit: stratify needs integer class labels, example ${j} has ${c}`);
      let list = byClass.get(c);
      if (!list) byClass.set(c, (list = []));
      list.push(j);
    }
    const classes = [...byClass.keys()].sort((a, b) => a - b);
    const quota = classes.map((c) => Math.floor(byClass.get(c)!.length * fraction));
    let missing = nVal - quota.reduce((a, b) => a + b, 0);
    // Largest remainder (Hamilton) apportionment; ties go to the smaller class index.
    const order = classes
      .map((c, i) => ({ i, rem: byClass.get(c)!.length * fraction - quota[i] }))
      .sort((a, b) => b.rem - a.rem || a.i - b.i);
    for (const { i } of order) {
      if (missing <= 0) break;
      quota[i]++;
      missing--;
    }
    valIdx = [];
    trainIdx = [];
    classes.forEach((c, i) => {
      const list = byClass.get(c)!;
      // Element by element: push(...list) passes every index as an argument and overflows
      // the stack once a class has more than ~10^5 examples.
      for (let k = 0; k < list.length; k++) (k < quota[i] ? valIdx : trainIdx).push(list[k]);
    });
    // Interleave classes again: order by position in the permutation.
    const pos = new Int32Array(n);
    for (let i = 0; i < n; i++) pos[perm[i]] = i;
    valIdx.sort((a, b) => pos[a] - pos[b]);
    trainIdx.sort((a, b) => pos[a] - pos[b]);
  }
  return { train: trainIdx, validation: valIdx };
}

/** Most distinct classes (the model's output layer has one unit per class; the spec's limit). */
export const MAX_CLASSES = 1 << 20;

/** Examples per class (index c holds the count of label c); for class-index labels. */
export function classCounts(ds: DatasetLike, numClasses = ds.numClasses): number[] {
  const k = numClasses ?? 0;
  const counts = new Array<number>(k).fill(0);
  const y = ds.y.data;
  for (let i = 0; i < y.length; i++) {
    const c = y[i];
    if (!Number.isInteger(c) || c < 0) throw new Error(`classCounts: label ${c} of example ${i} is not a class index`);
    // A label of 1e9 grew the array a billion entries (minutes, gigabytes) before anything was said.
    if (c >= MAX_CLASSES) throw new Error(`classCounts: label ${c} of example ${i} is not a class index below ${MAX_CLASSES} (the most classes a model may have)`);
    while (counts.length <= c) counts.push(0);
    counts[c]++;
  }
  return counts;
}
