/**
 * `--data` for the CLI: a built-in name, a synthetic set, a CSV file, or IDX files/directory,
 * loaded as a training part and a held-out test part.
 *
 * Held-out data: MNIST's fixed 2,000-digit test split, the IDX sets' t10k files, and for
 * synthetic and CSV data a seeded 20% split (same seed → same split). Feature scaling
 * (CSV only: standardisation) is fitted on the training part alone and saved with the model.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Generator } from '../random.js';
import { splitIndices, trainValidationSplit, type Dataset } from '../data/dataset.js';
import { syntheticDatasets, type SyntheticName } from '../data/synthetic.js';
import { applyScaler, fitScaler, scaleDataset, type Scaler } from '../data/scaler.js';
import { FASHION_MNIST_DIR, loadBuiltinMnistSplits, loadCsv, loadFashionMnist, loadIdxDataset, loadMnistIdx } from '../data/datasets.node.js';
import { Tensor } from '../tensor.js';
import type { DataInfo } from '../io/model.js';
import { DEFAULT_SAMPLES, DEFAULT_TEST_FRACTION, type DataSpec } from '../recipe.js';
import { printable } from './progress.js';
import { asInputError, inputError, usageError } from './errors.js';
import { closestName } from '../options.js';
import { describeReadError } from '../io/files.node.js';

export const BUILTIN_DATA = ['mnist', 'fashion-mnist'] as const;
export const SYNTHETIC_DATA = ['spiral', 'circles', 'xor', 'moons', 'blobs'] as const;
export const DATA_HELP = `${[...BUILTIN_DATA, ...SYNTHETIC_DATA].join(' | ')} | a .csv file | an IDX images file or directory`;

export interface DataOptions {
  /** Examples of a synthetic set (train + test). */
  samples?: number;
  /** Noise of a synthetic set. */
  noise?: number;
  /** Seed of the synthetic data and of the held-out split. */
  seed?: number;
  /** Held-out share for data without a test split. */
  testFraction?: number;
  /** CSV: name of the label column (default: the last). */
  label?: string;
  /** Keep only the first N training examples (quick experiments and tests). */
  limit?: number;
  /** Synthetic sets: standardise the features with the training part's statistics (a CSV file always is). */
  standardize?: boolean;
  /** CSV (and standardised synthetic sets): scale with this (a saved model's) scaler instead of fitting one on the training part. */
  scaler?: Scaler;
  /** CSV: map labels to these classes (a saved model's), in this order. */
  classNames?: string[];
}

/**
 * Data flags that do not apply to `source` are refused (exit 2), not ignored: --samples and
 * --noise describe a synthetic set; --test-fraction splits data without a test split of its own,
 * which the built-in sets and a directory of IDX files have.
 */
export async function refuseInapplicable(source: string, given: { samples?: number; noise?: number; testFraction?: number }): Promise<void> {
  const synthetic = (SYNTHETIC_DATA as readonly string[]).includes(source);
  for (const [flag, v] of [['--samples', given.samples], ['--noise', given.noise]] as const) {
    if (v !== undefined && !synthetic) throw usageError(`${flag} applies to the synthetic sets (${SYNTHETIC_DATA.join(', ')}); ${source} has its own examples${flag === '--samples' ? ' (--limit takes the first n training examples)' : ''}`);
  }
  if (given.testFraction !== undefined && ((BUILTIN_DATA as readonly string[]).includes(source) || (await kind(source)) === 'dir')) {
    throw usageError(`--test-fraction splits data without a test split of its own (synthetic sets, CSV, a single IDX file); ${source} has its own test split`);
  }
}

export interface LoadedData {
  train: Dataset;
  test: Dataset;
  /** What to store with the model (class names, scaler). */
  info: DataInfo;
  /** Classes, or undefined for regression. */
  numClasses?: number;
  /** Features per example. */
  features: number;
  /** Regression targets per example (for y [N, k]). */
  targets: number;
  /** A file split here (CSV, a single IDX file): the indices of its training examples (after --limit) among its `total`. */
  trainRows?: () => { rows: number[]; total: number };
}

/** What a path is: a file, a directory, or null when there is nothing (a path that exists but cannot be followed, a link loop, is named). */
async function kind(path: string): Promise<'file' | 'dir' | null> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : 'file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return null;
    throw inputError(`${path}: cannot read: ${describeReadError(e)}`);
  }
}

/**
 * The seeded held-out part of a set without a test split of its own. Too few examples for
 * both parts (a CSV of 2 rows) is bad input naming the set and the least that works.
 */
function splitHeldOut(all: Dataset, name: string, fraction: number, seed: number, stratify: boolean): { train: Dataset; validation: Dataset; rows: () => number[] } {
  const n = all.x.shape[0];
  const fits = (k: number) => Math.round(k * fraction) >= 1 && Math.round(k * fraction) <= k - 1;
  if (!fits(n)) {
    // The least size from k·f ≥ ½ and k·(1 − f) ≥ ½ (Math.round), then a step or two for rounding: counting up
    // from 2 took 5·10¹¹ steps for --test-fraction 1e-12 (a hang).
    let least = Math.max(2, Math.ceil(0.5 / fraction) - 1, Math.ceil(0.5 / (1 - fraction)) - 1);
    while (!fits(least) && least < Number.MAX_SAFE_INTEGER) least++;
    const pct = +(fraction * 100).toFixed(2);
    const share = pct > 0 && pct < 100 ? `${pct}%` : `a fraction ${fraction}`;
    throw inputError(`${name}: ${n} example${n === 1 ? '' : 's'}, too few to hold out ${share} for testing and train on the rest; give at least ${least.toLocaleString('en-US')}${least > 1e7 ? ' (or a --test-fraction nearer 0.2)' : ''}`);
  }
  // rows: the training part's example indices in the file, for an exported training script (the same seeded split again).
  return { ...trainValidationSplit(all, fraction, new Generator(seed + 1), { stratify }), rows: () => splitIndices(all, fraction, new Generator(seed + 1), { stratify }).train };
}

/** The first `limit` examples of a data set (all of them without a limit). */
export function limitRows(ds: Dataset, limit: number | undefined): Dataset {
  if (limit === undefined || limit >= ds.x.shape[0]) return ds;
  const rowX = ds.x.size / ds.x.shape[0];
  const rowY = ds.y.size / ds.y.shape[0];
  const x = ds.x.data.slice(0, limit * rowX);
  const y = ds.y.data.slice(0, limit * rowY);
  return { ...ds, x: new Tensor(x, [limit, ...ds.x.shape.slice(1)]), y: new Tensor(y, [limit, ...ds.y.shape.slice(1)]) };
}

function finish(train: Dataset, test: Dataset, info: DataInfo, limit?: number): LoadedData {
  const tr = limitRows(train, limit);
  const features = tr.x.size / tr.x.shape[0];
  const targets = tr.y.ndim === 2 ? tr.y.shape[1] : 1;
  const out: LoadedData = { train: tr, test, info, features, targets };
  if (tr.numClasses !== undefined) out.numClasses = tr.numClasses;
  if (tr.classNames) info.classNames = tr.classNames.slice();
  if (tr.featureNames) info.featureNames = tr.featureNames.slice();
  return out;
}

/** Load `--data`; errors are usage errors (unknown name) or input errors (exit 3). */
export async function loadData(spec: string, options: DataOptions = {}): Promise<LoadedData> {
  const seed = options.seed ?? 0;
  const testFraction = options.testFraction ?? DEFAULT_TEST_FRACTION;
  if (options.label !== undefined && !/\.csv$/i.test(spec)) {
    throw usageError(`--label names a CSV file's label column; '${spec}' is not a .csv file (its labels are fixed by the format)`);
  }
  try {
    if (spec === 'mnist') {
      const { train, test } = await loadBuiltinMnistSplits();
      return finish(train, test, { name: 'mnist' }, options.limit);
    }
    if (spec === 'fashion-mnist') {
      const [train, test] = await Promise.all([loadFashionMnist(FASHION_MNIST_DIR, { split: 'train' }), loadFashionMnist(FASHION_MNIST_DIR, { split: 'test' })]);
      return finish(train, test, { name: 'fashion-mnist' }, options.limit);
    }
    if ((SYNTHETIC_DATA as readonly string[]).includes(spec)) {
      const make = syntheticDatasets[spec as SyntheticName] as (o: { n?: number; noise?: number; seed?: number }) => Dataset;
      const o: { n: number; noise?: number; seed: number } = { n: options.samples ?? DEFAULT_SAMPLES, seed };
      if (options.noise !== undefined) o.noise = options.noise;
      const all = make(o);
      const { train, validation } = splitHeldOut(all, spec, testFraction, seed, all.numClasses !== undefined);
      if (options.standardize) {
        // As the web lab draws its synthetic sets (lab/src/data.ts): the same run in both.
        const scaler = options.scaler ?? fitScaler(train.x, 'standard');
        return finish(scaleDataset(train, scaler), { ...scaleDataset(validation, scaler), name: `${spec} (test)` }, { name: spec, scaler }, options.limit);
      }
      return finish(train, { ...validation, name: `${spec} (test)` }, { name: spec }, options.limit);
    }
    const k = await kind(spec);
    if (k === null) {
      const near = closestName(spec, [...BUILTIN_DATA, ...SYNTHETIC_DATA]);
      throw usageError(`--data: '${printable(spec)}' is neither a data set name nor an existing file${near !== undefined ? ` (did you mean '${near}'?)` : ''}. Valid names: ${[...BUILTIN_DATA, ...SYNTHETIC_DATA].join(', ')}; or give a path to a .csv file or IDX data`);
    }
    if (k === 'dir' && /\.(csv|gz|safetensors|pt|json)$|-ubyte$/i.test(spec)) throw inputError(`${spec}: is a directory, not a file (a directory given to --data must hold the four MNIST-layout IDX files)`);
    if (k === 'dir') {
      // IDX files carry no class names: a directory named for Fashion-MNIST (Debian's, or any
      // path mentioning it) gets the clothing names, any other the digits'.
      const load = resolve(spec) === FASHION_MNIST_DIR || /fashion/i.test(resolve(spec)) ? loadFashionMnist : loadMnistIdx;
      const [train, test] = await Promise.all([load(spec, { split: 'train' }), load(spec, { split: 'test' })]);
      return finish({ ...train, name: `${basename(spec)} (train)` }, { ...test, name: `${basename(spec)} (test)` }, { name: basename(spec) }, options.limit);
    }
    if (/\.csv$/i.test(spec)) {
      const all = await loadCsv(spec, { ...(options.label !== undefined ? { label: options.label } : {}), ...(options.classNames ? { classNames: options.classNames } : {}) });
      const stratify = all.numClasses !== undefined;
      const { train, validation, rows } = splitHeldOut(all, spec, testFraction, seed, stratify);
      const scaler = options.scaler ?? fitScaler(train.x, 'standard');
      return { ...finish(scaleDataset(train, scaler), { ...scaleDataset(validation, scaler), name: `${basename(spec)} (test)` }, { name: basename(spec), scaler }, options.limit), trainRows: () => ({ rows: rows().slice(0, options.limit), total: all.x.shape[0] }) };
    }
    if (/idx3-ubyte(\.gz)?$/.test(basename(spec))) {
      const labels = join(dirname(spec), basename(spec).replace('images', 'labels').replace('idx3', 'idx1'));
      if ((await kind(labels)) !== 'file') throw inputError(`${spec}: IDX images need their labels file; expected ${labels}`);
      const all = await loadIdxDataset(spec, labels, { name: basename(spec) });
      const { train, validation, rows } = splitHeldOut(all, spec, testFraction, seed, true);
      return { ...finish(train, { ...validation, name: `${basename(spec)} (test)` }, { name: basename(spec) }, options.limit), trainRows: () => ({ rows: rows().slice(0, options.limit), total: all.x.shape[0] }) };
    }
    if (/idx1-ubyte(\.gz)?$/.test(basename(spec))) {
      const images = basename(spec).replace('labels', 'images').replace('idx1', 'idx3');
      throw usageError(`--data '${spec}' is an IDX labels file: give the images file (${images === basename(spec) ? '*-images-idx3-ubyte' : images}); its labels are read from beside it`);
    }
    throw usageError(`--data: cannot tell the format of '${printable(spec)}': expected a .csv file, an IDX images file (*-images-idx3-ubyte[.gz]) or a directory of IDX files`);
  } catch (e) {
    throw asInputError(e);
  }
}

/** Load the data a recipe describes (train: as given; resume, evaluate: as stored). */
export function loadDataSpec(d: DataSpec, extra: Pick<DataOptions, 'scaler' | 'classNames'> = {}): Promise<LoadedData> {
  const o: DataOptions = { seed: d.seed, testFraction: d.testFraction, ...extra };
  if (d.scaler === 'standard' && (SYNTHETIC_DATA as readonly string[]).includes(d.source)) o.standardize = true;
  if (d.samples !== undefined) o.samples = d.samples;
  if (d.noise !== undefined) o.noise = d.noise;
  if (d.limit !== undefined) o.limit = d.limit;
  if (d.label !== undefined) o.label = d.label;
  return loadData(d.source, o);
}

/** Apply a saved scaler to new inputs (predict/evaluate on raw features). */
export function applySavedScaler(x: Tensor, scaler: Scaler | DataInfo['scaler'] | undefined): Tensor {
  return scaler ? applyScaler(x, scaler as Scaler) : x;
}

/** Load a data set for evaluating a saved model: its test part, scaled with the model's scaler. */
export async function loadEvalData(
  spec: string,
  info: DataInfo | undefined,
  options: DataOptions & { split?: 'test' | 'train'; whole?: boolean; task?: 'regression' } = {},
): Promise<Dataset> {
  const scaler = info?.scaler;
  if (/\.csv$/i.test(spec) && (await kind(spec)) === 'file' && (options.whole ?? false)) {
    // A separate CSV: evaluate on all of it, classes mapped and features scaled as in training.
    try {
      // task: a regression model's targets are numbers even when a file's are all integers (they were read as classes: "the data's targets have shape [29]").
      const all = await loadCsv(spec, { ...(options.label !== undefined ? { label: options.label } : {}), ...(info?.classNames ? { classNames: info.classNames } : {}), ...(info?.featureNames ? { featureNames: info.featureNames } : {}), ...(options.task ? { task: options.task } : {}) });
      // A file of another width is named by the caller's feature check, not by the scaler.
      return scaler && all.x.shape[1] === scaler.offset.length ? scaleDataset(all, scaler as Scaler) : all;
    } catch (e) {
      throw asInputError(e);
    }
  }
  const d = await loadData(spec, options);
  return options.split === 'train' ? d.train : d.test;
}
