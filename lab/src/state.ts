/**
 * The lab's whole configuration, and its URL form. Menus and the URL parser read the
 * library's registries (activations, initializers, optimizers), so a new registry entry shows
 * up in the lab and in shared links without touching this file.
 */
import { ACTIVATIONS, ACTIVATION_NAMES, type ActivationName } from '../../src/activations.js';
import { INITIALIZERS, INIT_NAMES, type InitName } from '../../src/init.js';
import { OPTIMIZERS, OPTIMIZER_NAMES, type OptimizerName } from '../../src/optim/registry.js';
import { defaultLr } from '../../src/recipe.js';
import { MODEL_PRESETS, MODEL_PRESET_NAMES, type ModelPreset } from '../../src/arch.js';

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
 * its learning rate. Every other setting (data, network, initializer, optimizer, seed)
 * starts a new run.
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

function clampNum(v: string | null, [lo, hi]: readonly [number, number], fallback: number, integer = false): number {
  if (v === null || v.trim() === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) return fallback;
  const c = Math.min(hi, Math.max(lo, n));
  return integer ? Math.round(c) : c;
}

export function decodeLayers(s: string | null, fallback: LayerSpec[]): LayerSpec[] {
  if (s === null) return fallback.map((l) => ({ ...l }));
  if (s === 'none' || s === '') return [];
  const out: LayerSpec[] = [];
  for (const part of s.split(',')) {
    const [body, rep] = part.split('*');
    const [w, a, bn] = body.split(':');
    const width = clampNum(w, LIMITS.width, 8, true);
    const activation = (ACTIVATION_NAMES as readonly string[]).includes(a) ? (a as ActivationName) : 'relu';
    const count = clampNum(rep ?? '1', [1, LIMITS.depth[1]], 1, true);
    for (let k = 0; k < count && out.length < LIMITS.depth[1]; k++) out.push({ width, activation, bn: bn === 'bn' });
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

function pick<T extends string>(v: string | null, names: readonly T[], fallback: T): T {
  return v !== null && (names as readonly string[]).includes(v) ? (v as T) : fallback;
}

/** Parse a query string (with or without '?'); unknown or out-of-range values fall back to the defaults. */
export function parseState(search: string, base: LabState = DEFAULT_STATE): LabState {
  const p = new URLSearchParams(search);
  const optimizer = pick(p.get('opt'), OPTIMIZER_NAMES, base.optimizer);
  // A link without lr: the linked optimizer's default (the base's lr belongs to the base's optimizer).
  const lrFallback = optimizer === base.optimizer ? base.lr : defaultLr(optimizer, 'lab');
  const dataset = pick(p.get('data'), DATASET_NAMES, base.dataset);
  return {
    dataset,
    noise: clampNum(p.get('noise'), LIMITS.noise, base.noise),
    trainRatio: clampNum(p.get('train'), LIMITS.trainRatio, base.trainRatio),
    points: clampNum(p.get('points'), LIMITS.points, base.points, true),
    model: imageShape(dataset) ? pick(p.get('model'), MODEL_NAMES, base.model) : 'mlp',
    layers: decodeLayers(p.get('layers'), base.layers),
    init: pick(p.get('init'), INIT_NAMES, base.init),
    dropout: clampNum(p.get('dropout'), LIMITS.dropout, base.dropout),
    head: pick(p.get('loss'), HEAD_NAMES, base.head),
    optimizer,
    lr: clampNum(p.get('lr'), LIMITS.lr, lrFallback),
    batchSize: clampNum(p.get('batch'), LIMITS.batchSize, base.batchSize, true),
    clip: clampNum(p.get('clip'), LIMITS.clip, base.clip),
    seed: clampNum(p.get('seed'), LIMITS.seed, base.seed, true),
  };
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
