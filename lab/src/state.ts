/**
 * The lab's whole configuration, and its URL form. Menus and the URL parser read the
 * library's registries (activations, initializers, optimizers), so a new registry entry shows
 * up in the lab and in shared links without touching this file.
 */
import { ACTIVATIONS, ACTIVATION_NAMES, type ActivationName } from '../../src/activations.js';
import { INITIALIZERS, INIT_NAMES, type InitName } from '../../src/init.js';
import { OPTIMIZERS, OPTIMIZER_NAMES, type OptimizerName } from '../../src/optim/registry.js';
import { defaultLr } from '../../src/recipe.js';
import { MODEL_PRESETS, MODEL_PRESET_NAMES, parseArch, type ModelPreset } from '../../src/arch.js';
import { usesBatchNorm } from '../../src/models.js';

/**
 * 'local' is the user's own CSV file: the URL says `data=local`, but the file stays on the page
 * (a link cannot carry it; lab/src/upload.ts says so when a link names it without the file).
 */
export const DATASET_NAMES = ['spiral', 'circles', 'xor', 'moons', 'blobs', 'mnist', 'local'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];
export const DATASET_LABELS: Record<DatasetName, string> = {
  spiral: 'Spiral (2D)',
  circles: 'Circles (2D)',
  xor: 'XOR (2D)',
  moons: 'Moons (2D)',
  blobs: 'Blobs (2D, 3 classes)',
  mnist: 'MNIST digits (784 pixels, 10 classes)',
  local: 'Your CSV file (local, not in links)',
};

/** Data sets drawn by the library's synthetic generators (noise and size apply to these only). */
export const isSynthetic = (d: DatasetName): boolean => d !== 'mnist' && d !== 'local';

/**
 * The network: 'mlp' (the hidden layers of `layers`) or a named architecture of the library's
 * MODEL_PRESETS (src/arch.ts; `gradlab train --model` builds the same), for data whose rows are
 * images (`imageShape`). A link that names a CNN on other data gets the MLP.
 */
export const MODEL_NAMES = ['mlp', ...MODEL_PRESET_NAMES] as const;
export type ModelName = 'mlp' | ModelPreset;
export const MODEL_LABELS: Record<ModelName, string> = {
  mlp: 'MLP: the hidden layers below',
  ...(Object.fromEntries(MODEL_PRESET_NAMES.map((n) => [n, MODEL_PRESETS[n].label])) as Record<ModelPreset, string>),
};

/** The per-example shape [C, H, W] of a data set's rows when they are images, else null. */
export function imageShape(d: DatasetName): [number, number, number] | null {
  return d === 'mnist' ? [1, 28, 28] : null;
}

/** The held-out share of a run (`gradlab train --test-fraction`): 1 − trainRatio, without float noise. */
export const testFraction = (s: LabState): number => Number((1 - s.trainRatio).toFixed(10));

/** Output layer and loss, as one choice: the loss decides what the output units mean. */
export const HEAD_NAMES = ['crossEntropy', 'bceWithLogits', 'mse', 'huber', 'l1'] as const;
export type HeadName = (typeof HEAD_NAMES)[number];
export const HEAD_LABELS: Record<HeadName, string> = {
  crossEntropy: 'Softmax + cross-entropy',
  bceWithLogits: 'Sigmoid + binary cross-entropy (2 classes)',
  mse: 'Linear + mean squared error (one-hot)',
  huber: 'Linear + Huber (one-hot)',
  l1: 'Linear + L1 (one-hot)',
};

export interface LayerSpec {
  width: number;
  activation: ActivationName;
  bn: boolean;
}

export interface LabState {
  dataset: DatasetName;
  /** Noise of the synthetic set (Playground's scale: 0 … 0.5). */
  noise: number;
  /** Fraction of the examples used for training; the rest is the test set. */
  trainRatio: number;
  /** Number of examples of a synthetic set. */
  points: number;
  /** The network: 'mlp', or a named CNN on image data (then layers and dropout are not used). */
  model: ModelName;
  /** Hidden layers, input side first. */
  layers: LayerSpec[];
  init: InitName;
  dropout: number;
  head: HeadName;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  /** Max global gradient norm; 0 = no clipping. */
  clip: number;
  seed: number;
}

/**
 * Settings that change how the next steps are taken, not what is trained: changing them
 * carries on with the same model and optimizer state, as the TensorFlow Playground does for
 * its learning rate (a new batch size from the next epoch: an epoch's batches are one
 * shuffle, as in `gradlab train`). Every other setting (data, network, initializer, optimizer,
 * seed) starts a new run.
 */
export const LIVE_SETTINGS = ['lr', 'batchSize', 'clip'] as const satisfies ReadonlyArray<keyof LabState>;

/** True when `a` and `b` differ only in LIVE_SETTINGS. */
export function onlyLiveChanges(a: LabState, b: LabState): boolean {
  const strip = (s: LabState) => {
    const c: Partial<LabState> = cloneState(s);
    for (const k of LIVE_SETTINGS) delete c[k];
    return JSON.stringify(c);
  };
  return strip(a) === strip(b);
}

export const DEFAULT_STATE: LabState = {
  dataset: 'spiral',
  noise: 0.1,
  trainRatio: 0.7,
  points: 400,
  model: 'mlp',
  layers: [
    { width: 16, activation: 'tanh', bn: false },
    { width: 16, activation: 'tanh', bn: false },
  ],
  init: 'auto',
  dropout: 0,
  head: 'crossEntropy',
  optimizer: 'adam',
  // The lab's documented deviation (src/recipe.ts LR_DEVIATIONS.lab); other optimizers start at their own.
  lr: defaultLr('adam', 'lab'),
  batchSize: 16,
  clip: 0,
  seed: 1,
};

export const LIMITS = {
  noise: [0, 0.5],
  trainRatio: [0.1, 0.9],
  points: [50, 2000],
  depth: [0, 40],
  width: [1, 128],
  dropout: [0, 0.9],
  lr: [1e-6, 10],
  batchSize: [1, 1024],
  clip: [0, 1e6],
  seed: [0, 2 ** 31 - 1],
} as const;

export function cloneState(s: LabState): LabState {
  return { ...s, layers: s.layers.map((l) => ({ ...l })) };
}

/** Encode layers compactly, runs collapsed: "16:relu:bn*30,8:tanh". */
export function encodeLayers(layers: LayerSpec[]): string {
  const tok = (l: LayerSpec) => `${l.width}:${l.activation}${l.bn ? ':bn' : ''}`;
  const out: string[] = [];
  let i = 0;
  while (i < layers.length) {
    const t = tok(layers[i]);
    let j = i + 1;
    while (j < layers.length && tok(layers[j]) === t) j++;
    out.push(j - i > 1 ? `${t}*${j - i}` : t);
    i = j;
  }
  return out.join(',') || 'none';
}

/**
 * A setting a link, the form or `window.lab.set` gave that the lab could not use as given: the
 * parameter, the value, and what was used instead — shown on the page (main.ts), never silent.
 */
export interface StateProblem {
  param: string;
  value: string;
  message: string;
}

/** What each URL parameter is, in the page's words (messages name both). */
export const PARAM_LABELS = {
  data: 'data set',
  noise: 'noise',
  train: 'training fraction',
  points: 'number of examples',
  model: 'model',
  layers: 'hidden layers',
  init: 'initializer',
  dropout: 'dropout',
  loss: 'output and loss',
  opt: 'optimizer',
  lr: 'learning rate',
  batch: 'batch size',
  clip: 'gradient clipping',
  seed: 'seed',
} as const;
export type ParamName = keyof typeof PARAM_LABELS;
export const PARAM_NAMES = Object.keys(PARAM_LABELS) as ParamName[];

/** A number to check: the setting's URL name and page label, the text given, the allowed range. */
export interface NumberField {
  param: string;
  label: string;
  value: string;
  range: readonly [number, number];
  fallback: number;
  integer?: boolean;
  /** How the message names the value (default `param=value`). */
  where?: string;
}

/** A number as people write it: digits, an optional point and exponent (not hex, binary, '1_000' or 'Infinity'). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A value as a message quotes it: at most 40 characters (a 5,000-character link value is not echoed whole). */
export const shown = (v: string): string => (v.length > 40 ? `${v.slice(0, 39)}…` : v);

/**
 * The number to use for a value typed or linked, in [lo, hi]: not a number → the fallback;
 * outside the range → the nearest bound; integers rounded. Each change is reported to `problems`.
 */
export function checkNumber(f: NumberField, problems: StateProblem[]): number {
  const [lo, hi] = f.range;
  // Decimal notation only, as the CLI's flags (Number() would read batch=0x20 as 32 and 0b11 as 3 without a word).
  const n = DECIMAL.test(f.value.trim()) ? Number(f.value) : NaN;
  const report = (used: number) =>
    problems.push({ param: f.param, value: f.value, message: `${f.where ?? `${f.param}=${shown(f.value)}`}: the ${f.label} must be ${f.integer ? 'an integer' : 'a number'} from ${lo} to ${hi}; using ${used}` });
  if (!Number.isFinite(n)) {
    report(f.fallback);
    return f.fallback;
  }
  const c = Math.min(hi, Math.max(lo, n));
  const used = f.integer ? Math.round(c) : c;
  if (used !== n) report(used);
  return used;
}

/** Collects the problems of one parse; each reader returns the value used. */
class Checker {
  readonly problems: StateProblem[] = [];
  constructor(private readonly p: URLSearchParams) {}

  problem(param: string, value: string, message: string): void {
    this.problems.push({ param, value, message: `${shown(param)}=${shown(value)}: ${message}` });
  }

  num(param: ParamName, range: readonly [number, number], fallback: number, integer = false): number {
    const v = this.p.get(param);
    return v === null ? fallback : checkNumber({ param, label: PARAM_LABELS[param], value: v, range, fallback, integer }, this.problems);
  }

  /** One of `names`; anything else → the fallback. */
  pick<T extends string>(param: ParamName, names: readonly T[], fallback: T): T {
    const v = this.p.get(param);
    if (v === null) return fallback;
    if ((names as readonly string[]).includes(v)) return v as T;
    this.problem(param, v, `unknown ${PARAM_LABELS[param]}; one of ${names.join(', ')}; using ${fallback}`);
    return fallback;
  }
}

/**
 * Hidden layers from their URL form ("16:relu:bn*30,8:tanh"; "none" for none). Each bad part
 * is reported to `problems` with what was used instead.
 */
export function decodeLayers(s: string | null, fallback: LayerSpec[], problems: StateProblem[] = []): LayerSpec[] {
  if (s === null) return fallback.map((l) => ({ ...l }));
  if (s === 'none' || s === '') return [];
  const out: LayerSpec[] = [];
  // The problems of the first few bad parts; past them, how many more (a link of a thousand bad parts is one notice, not a thousand).
  const found: StateProblem[] = [];
  const bad = (part: string, msg: string) => found.push({ param: 'layers', value: s, message: `layers=${shown(s)}: '${shown(part)}': ${msg}` });
  const maxDepth = LIMITS.depth[1];
  for (const part of s.split(',')) {
    const [body, rep, ...extra] = part.split('*');
    const [w, a, bn, ...more] = body.split(':');
    const width = checkNumber({ param: 'layers', label: 'width', value: w, range: LIMITS.width, fallback: 8, integer: true, where: `layers=${shown(s)}: '${shown(part)}'` }, found);
    let activation: ActivationName = 'relu';
    if ((ACTIVATION_NAMES as readonly string[]).includes(a)) activation = a as ActivationName;
    else bad(part, `${a === undefined ? 'no activation' : `unknown activation '${shown(a)}'`}; one of ${ACTIVATION_NAMES.join(', ')}; using relu`);
    if ((bn !== undefined && bn !== 'bn') || more.length) bad(part, `expected width:activation, width:activation:bn or either with *count; ignoring '${shown([bn, ...more].join(':'))}'`);
    let count = 1;
    if (extra.length) bad(part, `one * per part; ignoring '*${shown(extra.join('*'))}'`);
    if (rep !== undefined) count = checkNumber({ param: 'layers', label: 'count after *', value: rep, range: [1, maxDepth], fallback: 1, integer: true, where: `layers=${shown(s)}: '${shown(part)}'` }, found);
    for (let k = 0; k < count; k++) out.push({ width, activation, bn: bn === 'bn' });
  }
  const SHOWN_PROBLEMS = 5;
  problems.push(...found.slice(0, SHOWN_PROBLEMS));
  if (found.length > SHOWN_PROBLEMS) problems.push({ param: 'layers', value: s, message: `layers=${shown(s)}: ${found.length - SHOWN_PROBLEMS} more problems like these` });
  if (out.length > maxDepth) {
    problems.push({ param: 'layers', value: s, message: `layers=${shown(s)}: ${out.length} hidden layers; at most ${maxDepth}: using the first ${maxDepth}` });
    out.length = maxDepth;
  }
  return out;
}

/**
 * Switch the optimizer. A learning rate still at the old optimizer's default becomes the new
 * one's (Adam → SGD: 0.01 → 0.1, as the help says); one the user chose is kept.
 */
export function withOptimizer(s: LabState, optimizer: OptimizerName): LabState {
  const atDefault = s.lr === defaultLr(s.optimizer, 'lab');
  return { ...cloneState(s), optimizer, lr: atDefault ? defaultLr(optimizer, 'lab') : s.lr };
}

/**
 * Parse a query string (with or without '?'). Settings it leaves out come from `base`; an unknown
 * parameter, an unknown name or an out-of-range number is reported in `problems` (what was
 * given, what was used: the fallback for a name or a non-number, the nearest bound for a number).
 */
export function parseStateChecked(search: string, base: LabState = DEFAULT_STATE): { state: LabState; problems: StateProblem[] } {
  const p = new URLSearchParams(search);
  const c = new Checker(p);
  for (const [k, v] of p) if (!(PARAM_NAMES as string[]).includes(k)) c.problem(k, v, `unknown setting; the settings are ${PARAM_NAMES.join(', ')}`);
  const optimizer = c.pick('opt', OPTIMIZER_NAMES, base.optimizer);
  // A link without lr: the linked optimizer's default (the base's lr belongs to the base's optimizer).
  const lrFallback = optimizer === base.optimizer ? base.lr : defaultLr(optimizer, 'lab');
  const dataset = c.pick('data', DATASET_NAMES, base.dataset);
  let model: ModelName = 'mlp';
  if (imageShape(dataset)) model = c.pick('model', MODEL_NAMES, base.model);
  else {
    const m = p.get('model');
    if (m !== null && m !== 'mlp') c.problem('model', m, `${(MODEL_NAMES as readonly string[]).includes(m) ? 'a CNN needs images (data=mnist)' : `unknown model; one of ${MODEL_NAMES.join(', ')}`}; using mlp`);
  }
  const state: LabState = {
    dataset,
    noise: c.num('noise', LIMITS.noise, base.noise),
    trainRatio: c.num('train', LIMITS.trainRatio, base.trainRatio),
    points: c.num('points', LIMITS.points, base.points, true),
    model,
    layers: decodeLayers(p.get('layers'), base.layers, c.problems),
    init: c.pick('init', INIT_NAMES, base.init),
    dropout: c.num('dropout', LIMITS.dropout, base.dropout),
    head: c.pick('loss', HEAD_NAMES, base.head),
    optimizer,
    lr: c.num('lr', LIMITS.lr, lrFallback),
    batchSize: c.num('batch', LIMITS.batchSize, base.batchSize, true),
    clip: c.num('clip', LIMITS.clip, base.clip),
    seed: c.num('seed', LIMITS.seed, base.seed, true),
  };
  // BatchNorm cannot normalise a batch of one example (its variance is 0), and `gradlab train` refuses it.
  if (state.batchSize < 2 && hasBatchNorm(state)) {
    c.problem('batch', p.get('batch') ?? String(state.batchSize), 'with BatchNorm the batch size must be at least 2 (the variance of a batch of one example is 0, so BatchNorm cannot normalise it); using 2');
    state.batchSize = 2;
  }
  return { state, problems: c.problems };
}

/**
 * The settings a link carries: its query, and settings written after '#' as well (`#lr=0.1&…`,
 * as other playgrounds keep them), which would otherwise be ignored without a word; the hash's
 * win where both name one. `fromHash` says the page should move them into the query. A hash
 * without '=' (an anchor) or the quiz's `#quiz=…` is not settings.
 */
export function linkQuery(search: string, hash: string): { query: string; fromHash: boolean } {
  const h = hash.replace(/^#\??/, '');
  if (!h.includes('=') || /^quiz=/.test(h)) return { query: search.replace(/^\?/, ''), fromHash: false };
  const q = new URLSearchParams(search);
  for (const [k, v] of new URLSearchParams(h)) q.set(k, v);
  return { query: q.toString(), fromHash: true };
}

/** Whether the state's network has BatchNorm: the library's usesBatchNorm (src/models.ts) over the preset's layer list or the MLP's hidden layers. */
export function hasBatchNorm(s: LabState): boolean {
  const arch = s.model !== 'mlp' ? { arch: parseArch(MODEL_PRESETS[s.model].arch) } : {};
  return usesBatchNorm({ inputs: 1, layers: s.layers.map((l) => l.width), activation: 'relu', init: s.init, batchnorm: false, batchnorms: s.layers.map((l) => l.bn), dropout: 0, outputs: 1, output: 'linear', ...arch });
}

/** parseStateChecked's state, for settings known to be valid (lessons, the lab's own URL). */
export function parseState(search: string, base: LabState = DEFAULT_STATE): LabState {
  return parseStateChecked(search, base).state;
}

/**
 * `s` with some settings changed (URL names and text, as the form and `window.lab.set` give
 * them); settings not named stay as they are, except that a new data set without images drops
 * a CNN (not a problem: the model was not asked for).
 */
export function changeSettings(s: LabState, changes: Record<string, string>): { state: LabState; problems: StateProblem[] } {
  const q = new URLSearchParams(serializeState(s));
  for (const [k, v] of Object.entries(changes)) q.set(k, v);
  if ('data' in changes && !('model' in changes)) q.delete('model');
  return parseStateChecked(q.toString(), s);
}

/** The query string of a state (every setting, so a link reproduces the run). */
export function serializeState(s: LabState): string {
  const p = new URLSearchParams();
  p.set('data', s.dataset);
  p.set('noise', String(s.noise));
  p.set('train', String(s.trainRatio));
  p.set('points', String(s.points));
  p.set('model', s.model);
  p.set('layers', encodeLayers(s.layers));
  p.set('init', s.init);
  p.set('dropout', String(s.dropout));
  p.set('loss', s.head);
  p.set('opt', s.optimizer);
  p.set('lr', String(s.lr));
  p.set('batch', String(s.batchSize));
  p.set('clip', String(s.clip));
  p.set('seed', String(s.seed));
  return p.toString().replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%2A/g, '*');
}

export { ACTIVATIONS, ACTIVATION_NAMES, INITIALIZERS, INIT_NAMES, OPTIMIZERS, OPTIMIZER_NAMES };
export type { ActivationName, InitName, OptimizerName };
