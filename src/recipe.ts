/**
 * The run recipe: what was trained on (DataSpec) and how (RunConfig), as one typed record that
 * the CLI stores in model files and checkpoints, and that train, resume, evaluate, predict and
 * inspect read back. Each record has one reader (readDataSpec, readRunConfig) that checks every
 * field as strictly as the command-line flags are checked — the same limits (RUN_LIMITS) — and
 * throws an Error naming the field and the allowed range; no cast reads a record anywhere else.
 *
 * Defaults: an optimizer's options default in its class (`static defaults`, PyTorch's values),
 * the registry (src/optim/registry.ts) passes "not given" through, and the front ends' deliberate
 * departures from those defaults are the one table LR_DEVIATIONS below. ARCHITECTURE.md lists
 * where every default lives.
 */
import { validateSpec, type ModelSpec } from './models.js';
import { getOptimizer, OPTIMIZER_NAMES, OPTIMIZERS, type OptimizerName, type OptimizerOptionsInEffect } from './optim/registry.js';

export const SCHEDULES = ['cosine', 'none'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

/** Held-out share of data sets without a test split of their own (synthetic, CSV, a single IDX file). */
export const DEFAULT_TEST_FRACTION = 0.2;

/** Examples of a synthetic set (train + test) when --samples is not given. */
export const DEFAULT_SAMPLES = 1000;

/**
 * Allowed values of the recipe's numbers: the CLI's flags and the readers of stored recipes use
 * these same ranges (integers inclusive).
 */
export const RUN_LIMITS = {
  epochs: [1, 100000],
  batchSize: [1, 1 << 20],
  seed: [0, 2 ** 32 - 1],
  samples: [10, 1e7],
  // Synthetic sets have coordinates of order 1; beyond this the points overflow float32 into ±Infinity.
  noise: [0, 1000],
  limit: [1, Number.MAX_SAFE_INTEGER],
} as const satisfies Record<string, readonly [number, number]>;

export type FrontEnd = 'library' | 'cli' | 'lab';

/**
 * Where a front end deliberately departs from an optimizer's own default learning rate, and why.
 * Everything not listed here is the registry's default (OPTIMIZERS[name].defaultLr).
 * - cli adam 0.002: `gradlab train` with no flags (MNIST, [512, 256] ReLU + BatchNorm, batch 64,
 *   cosine): 95.3–95.9% held-out accuracy over seeds 0–3 against 95.4% at Adam's 1e-3; the
 *   larger step is safe with BatchNorm (Ioffe & Szegedy 2015, §3.3). See cli/train.ts DEFAULTS.
 * - lab adam 0.01: the lab's 2D sets (400 points, batch 16, a few hundred steps on screen): at
 *   1e-3 the boundary barely moves in the first minute; the TensorFlow Playground's default is 0.03.
 */
export const LR_DEVIATIONS: Readonly<Record<Exclude<FrontEnd, 'library'>, Readonly<Partial<Record<OptimizerName, number>>>>> = {
  cli: { adam: 0.002 },
  lab: { adam: 0.01 },
};

/** The learning rate used when none is given, for the library, the CLI or the lab. */
export function defaultLr(optimizer: OptimizerName, where: FrontEnd = 'library'): number {
  const dev = where === 'library' ? undefined : LR_DEVIATIONS[where][optimizer];
  return dev ?? getOptimizer(optimizer).defaultLr;
}

/** How the data was drawn or read, and split. Replayed by evaluate, predict and resume. */
export interface DataSpec {
  /** A built-in or synthetic name ('mnist', 'spiral') or a path (.csv, IDX file or directory). */
  source: string;
  /** Seed of a synthetic set and of the held-out split. */
  seed: number;
  /** Examples of a synthetic set (train + test); undefined = the set's default. */
  samples?: number;
  /** Noise of a synthetic set; undefined = the set's default. */
  noise?: number;
  /** Only the first `limit` training examples. */
  limit?: number;
  /** CSV: the label column (undefined = the last). */
  label?: string;
  /** Feature scaling fitted on the training part (its values are in the model file's "data"). */
  scaler: 'standard' | 'none';
  /** Held-out share where the source has no test split. */
  testFraction: number;
}

/** One training run: what the CLI stores in a model's metadata ("config") and in report.config.cli. */
export interface RunConfig {
  data: DataSpec;
  model: ModelSpec;
  optimizer: OptimizerName;
  /** Every option of the optimizer as in effect (its defaults filled in); lr is the initial lr. */
  optimizerOptions: OptimizerOptionsInEffect;
  schedule: ScheduleName;
  /** Epochs in total (a resumed run's target). */
  epochs: number;
  batchSize: number;
  /** Max global gradient norm, or null for none. */
  clip: number | null;
  /** Seed of the weights, shuffling and dropout. */
  seed: number;
}

/** The scaler a source gets: CSV features are standardised, the others are used as they are. */
export function scalerFor(source: string): DataSpec['scaler'] {
  return /\.csv$/i.test(source) ? 'standard' : 'none';
}

/** A DataSpec from a source and the options given (the rest left to their defaults). */
export function makeDataSpec(source: string, o: { seed?: number; samples?: number; noise?: number; limit?: number; label?: string; testFraction?: number; scaler?: DataSpec['scaler'] } = {}): DataSpec {
  return readDataSpec({ ...o, source, seed: o.seed ?? 0, scaler: o.scaler ?? scalerFor(source), testFraction: o.testFraction ?? DEFAULT_TEST_FRACTION }, 'data');
}

// ---------------------------------------------------------------------------------------
// Typed readers

class Reader {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly where: string,
    private readonly prefix: string,
  ) {}

  fail(field: string, want: string, v: unknown): never {
    throw new Error(`${this.where}: ${this.prefix}${field} must be ${want}, got ${JSON.stringify(v) ?? String(v)}`);
  }
  has(field: string): boolean {
    return this.obj[field] !== undefined;
  }
  int(field: string, [lo, hi]: readonly [number, number]): number {
    const v = this.obj[field];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < lo || v > hi) this.fail(field, `an integer in [${lo}, ${hi === Number.MAX_SAFE_INTEGER ? '∞' : hi}]`, v);
    return v as number;
  }
  /** A finite number in [lo, hi] ((lo, hi] with loOpen, [lo, hi) with hiOpen). */
  num(field: string, lo: number, hi = Infinity, loOpen = false, hiOpen = false): number {
    const v = this.obj[field];
    const ok = typeof v === 'number' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
    if (!ok) {
      const range = hi === Infinity ? `${loOpen ? '>' : '≥'} ${lo}` : `in ${loOpen ? '(' : '['}${lo}, ${hi}${hiOpen ? ')' : ']'}`;
      this.fail(field, `a finite number ${range}`, v);
    }
    return v as number;
  }
  str(field: string): string {
    const v = this.obj[field];
    if (typeof v !== 'string' || v.length === 0 || v.length > 4096) this.fail(field, 'a non-empty string (at most 4096 characters)', v);
    return v as string;
  }
  bool(field: string): boolean {
    const v = this.obj[field];
    if (typeof v !== 'boolean') this.fail(field, 'true or false', v);
    return v as boolean;
  }
  oneOf<T extends string>(field: string, names: readonly T[]): T {
    const v = this.obj[field];
    if (typeof v !== 'string' || !(names as readonly string[]).includes(v)) this.fail(field, `one of ${names.join(', ')}`, v);
    return v as T;
  }
  /** Every key is one of `known`. */
  only(known: readonly string[]): void {
    for (const k of Object.keys(this.obj)) if (!known.includes(k)) throw new Error(`${this.where}: unknown field ${this.prefix}${k} (known: ${known.join(', ')})`);
  }
}

function asObject(v: unknown, where: string, name: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${where}: ${name} must be a JSON object, got ${JSON.stringify(v) ?? String(v)}`);
  return v as Record<string, unknown>;
}

const DATA_FIELDS = ['source', 'seed', 'samples', 'noise', 'limit', 'label', 'scaler', 'testFraction'] as const;

/** Check a stored DataSpec; `where` (e.g. the file and metadata entry) prefixes every error. */
export function readDataSpec(value: unknown, where: string, prefix = 'data.'): DataSpec {
  const o = asObject(value, where, prefix.replace(/\.$/, '') || 'data');
  const r = new Reader(o, where, prefix);
  r.only(DATA_FIELDS);
  const d: DataSpec = {
    source: r.str('source'),
    seed: r.int('seed', RUN_LIMITS.seed),
    scaler: r.oneOf('scaler', ['standard', 'none'] as const),
    testFraction: r.num('testFraction', 0, 1, true, true),
  };
  if (r.has('samples')) d.samples = r.int('samples', RUN_LIMITS.samples);
  if (r.has('noise')) d.noise = r.num('noise', ...RUN_LIMITS.noise);
  if (r.has('limit')) d.limit = r.int('limit', RUN_LIMITS.limit);
  if (r.has('label')) d.label = r.str('label');
  return d;
}

const OPTION_FIELDS = ['lr', 'weightDecay', 'betas', 'eps', 'amsgrad', 'momentum', 'dampening', 'nesterov', 'alpha', 'centered'] as const;

/** Check a stored optimizer's options against what that optimizer has; missing ones take its defaults. */
export function readOptimizerOptions(value: unknown, optimizer: OptimizerName, where: string, prefix = 'optimizerOptions.'): OptimizerOptionsInEffect {
  const o = asObject(value, where, prefix.replace(/\.$/, ''));
  const defaults = OPTIMIZERS[optimizer].defaults;
  const known = OPTION_FIELDS.filter((k) => defaults[k] !== undefined);
  const r = new Reader(o, where, prefix);
  r.only(known);
  const out = { ...defaults, betas: defaults.betas?.slice() } as OptimizerOptionsInEffect;
  if (out.betas === undefined) delete out.betas;
  if (r.has('lr')) out.lr = r.num('lr', 0, Infinity, true);
  if (r.has('weightDecay')) out.weightDecay = r.num('weightDecay', 0);
  if (r.has('eps')) out.eps = r.num('eps', 0);
  if (r.has('momentum')) out.momentum = r.num('momentum', 0);
  if (r.has('dampening')) out.dampening = r.num('dampening', 0, 1);
  if (r.has('alpha')) out.alpha = r.num('alpha', 0, 1);
  for (const b of ['amsgrad', 'nesterov', 'centered'] as const) if (r.has(b)) out[b] = r.bool(b);
  if (r.has('betas')) {
    const v = o.betas;
    const ok = Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && x >= 0 && x < 1);
    if (!ok) r.fail('betas', 'a pair of numbers in [0, 1)', v);
    out.betas = [(v as number[])[0], (v as number[])[1]];
  }
  return out;
}

const CONFIG_FIELDS = ['data', 'model', 'optimizer', 'optimizerOptions', 'schedule', 'epochs', 'batchSize', 'clip', 'seed'] as const;

/**
 * Check a stored RunConfig (a model file's or checkpoint's "config") and return it typed, the
 * optimizer's defaults filled in. Model files written before the recipe (a flat record with
 * `data` a string, `spec`, `lr`, `csvLabel`, …) are read too.
 */
export function readRunConfig(value: unknown, where: string): RunConfig {
  const o = asObject(value, where, 'config');
  if (typeof o.data === 'string') return readFlatConfig(o, where);
  const r = new Reader(o, where, '');
  r.only(CONFIG_FIELDS);
  const optimizer = r.oneOf('optimizer', OPTIMIZER_NAMES);
  return {
    data: readDataSpec(o.data, where),
    model: validateSpec(o.model, `${where}: model`),
    optimizer,
    optimizerOptions: readOptimizerOptions(o.optimizerOptions ?? {}, optimizer, where),
    schedule: r.oneOf('schedule', SCHEDULES),
    epochs: r.int('epochs', RUN_LIMITS.epochs),
    batchSize: r.int('batchSize', RUN_LIMITS.batchSize),
    clip: o.clip === null || o.clip === undefined ? null : r.num('clip', 0, Infinity, true),
    seed: r.int('seed', RUN_LIMITS.seed),
  };
}

/** The flat configuration of model files written before the recipe. */
function readFlatConfig(o: Record<string, unknown>, where: string): RunConfig {
  const r = new Reader(o, where, '');
  const optimizer = r.oneOf('optimizer', OPTIMIZER_NAMES);
  const seed = r.int('seed', RUN_LIMITS.seed);
  const source = r.str('data');
  const data: Record<string, unknown> = { source, seed, scaler: scalerFor(source), testFraction: DEFAULT_TEST_FRACTION };
  for (const k of ['samples', 'noise', 'limit'] as const) if (o[k] !== undefined) data[k] = o[k];
  if (o.csvLabel !== undefined) data.label = o.csvLabel;
  const options: Record<string, unknown> = {};
  if (o.lr !== undefined) options.lr = o.lr;
  if (o.weightDecay !== undefined) options.weightDecay = o.weightDecay;
  return {
    data: readDataSpec(data, where, ''),
    model: validateSpec(o.spec, `${where}: spec`),
    optimizer,
    optimizerOptions: readOptimizerOptions(options, optimizer, where, ''),
    schedule: r.oneOf('schedule', SCHEDULES),
    epochs: r.int('epochs', RUN_LIMITS.epochs),
    batchSize: r.int('batchSize', RUN_LIMITS.batchSize),
    clip: o.clip === null || o.clip === undefined ? null : r.num('clip', 0, Infinity, true),
    seed,
  };
}
