/**
 * Model files: a Sequential built from a ModelSpec, stored as safetensors.
 *
 * Tensors: the model's state dict under PyTorch's names ('0.weight', '1.running_mean', …),
 * float32 (float64 models stay F64), `num_batches_tracked` as a 0-d I64 as PyTorch stores it.
 * `safetensors.torch.load_file` + `model.load_state_dict` on the equivalent torch Sequential
 * loads it unchanged.
 *
 * `__metadata__` (safetensors allows only string values, so structured values are JSON text):
 *   format          "gradlab.model" (or "gradlab.checkpoint")
 *   format_version  "2" when the spec has a layer list (`arch`: conv nets, residual blocks),
 *                   "1" for an MLP spec (so files of MLPs stay readable by older gradlab);
 *                   both are read
 *   spec            JSON ModelSpec (src/models.ts): the architecture
 *   config          JSON RunConfig (src/recipe.ts): the data recipe, optimizer and its options in
 *                   effect, schedule, epochs, batch size, clipping, seed — read by readRunConfig
 *   data            JSON {name, classNames?, featureNames?, scaler?}: how inputs were prepared
 *   summary         JSON final metrics (optional)
 *
 * A checkpoint is a model file plus the training state needed to resume exactly:
 * the optimizer's per-parameter buffers as tensors 'optimizer.<i>.<buffer>' (i = index in
 * model.parameters()), and `checkpoint` = JSON {epoch, optimizer {type, step, groups},
 * scheduler, generator, history}.
 *
 * A plain PyTorch state dict (torch.save's .pt, or safetensors without gradlab metadata) is read
 * by parseStateDict given a partial spec (the CLI's --arch): the rest of the spec is read off the
 * tensors' keys and shapes.
 *
 * Loading validates everything before building anything: the header (parseSafetensors), the
 * format, the spec (registry names, bounded sizes), and that the tensors are exactly the
 * spec's state dict with the right shapes, dtypes and finite values. Each problem is an
 * Error naming the file and what is wrong.
 */
import { checkOptions } from '../options.js';
import { Tensor } from '../tensor.js';
import type { Module } from '../nn/module.js';
import type { Sequential } from '../nn/sequential.js';
import type { OptimizerState } from '../optim/optimizer.js';
import type { GeneratorState } from '../random.js';
import { buildModel, describeSpec, specFromModel, stateDictShapes, validateSpec, type ModelSpec, type OutputKind } from '../models.js';
import { describeLayer, MODEL_PRESETS, needsImages, parseArch, validateLayer, type ModelPreset } from '../arch.js';
import { readRunConfig, type RunConfig } from '../recipe.js';
import { parseJsonBounded } from './json.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsEntry, type SafetensorsInput } from './safetensors.js';
import { isTorchFile, parseTorchFile } from './torch-file.js';

export const MODEL_FORMAT = 'gradlab.model';
export const CHECKPOINT_FORMAT = 'gradlab.checkpoint';
export const MODEL_FORMAT_VERSION = '2';
/** Versions this gradlab reads: 1 (MLP specs only) and 2 (specs with a layer list). */
const READABLE_VERSIONS = ['1', '2'];

/** How the inputs were prepared; predict applies the same. */
export interface DataInfo {
  name?: string;
  classNames?: string[];
  featureNames?: string[];
  /** Feature scaling fitted on the training split (src/data/scaler.ts), applied before the model. */
  scaler?: { method: string; offset: number[]; scale: number[] };
}

export interface ModelInfo {
  spec: ModelSpec;
  /** How the model was trained (written by the CLI; checked by readRunConfig on load). */
  config?: RunConfig;
  data?: DataInfo;
  summary?: Record<string, unknown>;
}

export interface TrainingState {
  /** Epochs completed. */
  epoch: number;
  optimizer: OptimizerState;
  scheduler?: Record<string, unknown> | null;
  /** The global generator's state at the end of `epoch`. */
  generator: GeneratorState;
  /** The data loader's shuffling generator's state at the end of `epoch`, if it has its own. */
  shuffle?: GeneratorState | null;
  /** Training history so far (plain JSON, e.g. Report.history). */
  history?: unknown;
  /** Health findings so far (plain JSON, Report.findings), so a resumed run keeps their first steps. */
  findings?: unknown;
}

function stateTensors(model: Module): Map<string, SafetensorsInput> {
  const out = new Map<string, SafetensorsInput>();
  for (const [key, t] of Object.entries(model.stateDict())) {
    if (key.endsWith('num_batches_tracked')) out.set(key, { dtype: 'I64', shape: t.shape, data: Array.from(t.data, (v) => Math.round(v)) });
    else out.set(key, t);
  }
  return out;
}

function baseMetadata(format: string, info: ModelInfo): Record<string, string> {
  const spec = validateSpec(info.spec);
  const md: Record<string, string> = { format, format_version: spec.arch ? MODEL_FORMAT_VERSION : '1', spec: JSON.stringify(spec) };
  // Through the reader, so a file is only ever written with a recipe that reads back.
  if (info.config !== undefined) md.config = JSON.stringify(readRunConfig(info.config, 'config'));
  if (info.data !== undefined) md.data = JSON.stringify(info.data);
  if (info.summary !== undefined) md.summary = JSON.stringify(info.summary);
  return md;
}

/**
 * What saveModel / modelToBytes store with the weights; every field is optional: the spec is
 * read off the model (specFromModel) unless given (or given as config.model).
 */
export interface SaveModelOptions {
  spec?: ModelSpec;
  config?: RunConfig;
  data?: DataInfo;
  summary?: Record<string, unknown>;
  /** How the outputs are read when the spec is read off the model (needed for one output). */
  output?: OutputKind;
}

/** The ModelInfo to store for a model and the options of saveModel. */
export function modelInfoFor(model: Module, options: SaveModelOptions = {}): ModelInfo {
  const spec = options.spec ?? options.config?.model ?? specFromModel(model, options.output !== undefined ? { output: options.output } : {});
  if (options.config !== undefined && JSON.stringify(validateSpec(options.config.model, 'config.model')) !== JSON.stringify(validateSpec(spec))) {
    throw new Error(`saveModel: config.model (${JSON.stringify(options.config.model)}) describes another model than the spec (${JSON.stringify(spec)})`);
  }
  const info: ModelInfo = { spec };
  if (options.config !== undefined) info.config = options.config;
  if (options.data !== undefined) info.data = options.data;
  if (options.summary !== undefined) info.summary = options.summary;
  return info;
}

/**
 * A model file's bytes (what `gradlab train --out` writes; `gradlab evaluate/predict/inspect/export`
 * read it): the browser-side saveModel.
 */
export function modelToBytes(model: Module, options: SaveModelOptions = {}): Uint8Array {
  return serializeModel(model, modelInfoFor(model, options));
}

/**
 * A model file's model, spec, recipe and data info from its bytes: the browser-side loadModel.
 * With `arch`, the bytes are a plain PyTorch state dict of that architecture (parseStateDict).
 */
export function modelFromBytes(bytes: Uint8Array, name = 'model file', options: { arch?: StateDictArch } = {}): LoadedModel {
  checkOptions(`${name}: loadModel`, options, ['arch']);
  return options.arch !== undefined ? parseStateDict(bytes, options.arch, name) : parseModel(bytes, name);
}

/** The model file's bytes. */
export function serializeModel(model: Module, info: ModelInfo): Uint8Array {
  checkModelMatchesSpec(model, info.spec);
  return serializeSafetensors(stateTensors(model), baseMetadata(MODEL_FORMAT, info));
}

/** A checkpoint's bytes: the model file plus optimizer buffers and the training state. */
export function serializeCheckpoint(model: Module, info: ModelInfo, state: TrainingState): Uint8Array {
  checkModelMatchesSpec(model, info.spec);
  const tensors = stateTensors(model);
  const params = model.parameters();
  if (state.optimizer.buffers.length !== params.length) {
    throw new Error(`serializeCheckpoint: the optimizer state has ${state.optimizer.buffers.length} parameters, the model ${params.length}`);
  }
  state.optimizer.buffers.forEach((rec, i) => {
    for (const [name, values] of Object.entries(rec)) {
      tensors.set(`optimizer.${i}.${name}`, { dtype: params[i].dtype === 'float64' ? 'F64' : 'F32', shape: params[i].shape, data: values });
    }
  });
  const md = baseMetadata(CHECKPOINT_FORMAT, info);
  md.checkpoint = JSON.stringify({
    epoch: state.epoch,
    optimizer: { type: state.optimizer.type, step: state.optimizer.step, groups: state.optimizer.groups },
    scheduler: state.scheduler ?? null,
    generator: state.generator,
    shuffle: state.shuffle ?? null,
    history: state.history ?? null,
    findings: state.findings ?? null,
  });
  return serializeSafetensors(tensors, md);
}

function checkModelMatchesSpec(model: Module, spec: ModelSpec): void {
  const sd = model.stateDict();
  const want = stateDictShapes(validateSpec(spec));
  const keys = Object.keys(sd);
  if (keys.length !== want.length || want.some((w) => !(w.key in sd) || sd[w.key].shape.join() !== w.shape.join())) {
    throw new Error(`the model's state dict (${keys.join(', ')}) does not match its spec (${want.map((w) => w.key).join(', ')})`);
  }
}

function parseJsonField<T>(md: Record<string, string>, key: string, name: string, required: boolean): T | undefined {
  const text = md[key];
  if (text === undefined) {
    if (required) throw new Error(`${name}: metadata has no "${key}" entry`);
    return undefined;
  }
  return parseJsonBounded(text, `${name}: metadata "${key}"`) as T;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface LoadedModel {
  model: Sequential;
  /** The architecture (the same object as info.spec). */
  spec: ModelSpec;
  /** How it was trained, when the file says (info.config). */
  config?: RunConfig;
  /** How inputs were prepared, when the file says (info.data). */
  data?: DataInfo;
  info: ModelInfo;
  /** Present when the file is a checkpoint. */
  training?: TrainingState;
  /** Every metadata entry as stored. */
  metadata: Record<string, string>;
  format: string;
}

function describeShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

function checkValues(entry: SafetensorsEntry, key: string, name: string): void {
  const d = entry.data;
  if (d instanceof Float32Array || d instanceof Float64Array) {
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) throw new Error(`${name}: tensor "${key}" holds a non-finite value (${d[i]}) at index ${i}; the model diverged before it was saved`);
    }
  }
}

/**
 * Parse and validate a model file or checkpoint and build its model (in eval mode).
 * `name` (the path) prefixes every error message.
 */
export function parseModel(bytes: Uint8Array, name = 'model file'): LoadedModel {
  if (isTorchFile(bytes)) {
    throw new Error(`${name}: a PyTorch file (torch.save) holds weights but no architecture; give it: --arch on the command line, loadModel(path, {arch}) in the library`);
  }
  const file = parseSafetensors(bytes, name);
  const md = file.metadata;
  if (md === null) throw new Error(`${name}: no __metadata__: this is a safetensors file but not a gradlab model (it lacks the architecture "spec")`);
  const format = md.format;
  if (format !== MODEL_FORMAT && format !== CHECKPOINT_FORMAT) {
    throw new Error(`${name}: metadata "format" is ${JSON.stringify(format)}, expected "${MODEL_FORMAT}" or "${CHECKPOINT_FORMAT}"`);
  }
  if (!READABLE_VERSIONS.includes(md.format_version)) {
    throw new Error(`${name}: format_version ${JSON.stringify(md.format_version)} is not supported (this gradlab reads versions ${READABLE_VERSIONS.join(' and ')})`);
  }
  const spec = validateSpec(parseJsonField<unknown>(md, 'spec', name, true), `${name}: metadata "spec"`);
  const configJson = parseJsonField<unknown>(md, 'config', name, false);
  const config = configJson === undefined ? undefined : readRunConfig(configJson, `${name}: metadata "config"`);
  if (config !== undefined && JSON.stringify(config.model) !== JSON.stringify(spec)) {
    throw new Error(`${name}: metadata "config" describes another model (${JSON.stringify(config.model)}) than "spec" (${JSON.stringify(spec)})`);
  }
  const data = parseJsonField<unknown>(md, 'data', name, false);
  if (data !== undefined) validateDataInfo(data, name, spec);
  const summary = parseJsonField<unknown>(md, 'summary', name, false);
  if (summary !== undefined && !isObject(summary)) throw new Error(`${name}: metadata "summary" must be a JSON object`);

  // The tensors must be exactly the spec's state dict (plus optimizer buffers in a checkpoint).
  const optimizerKeys: string[] = [];
  const state = stateFromTensors(file.tensors, spec, name, 'the architecture in "spec"', (key) => {
    if (format !== CHECKPOINT_FORMAT || !key.startsWith('optimizer.')) return false;
    optimizerKeys.push(key);
    return true;
  });

  let training: TrainingState | undefined;
  if (format === CHECKPOINT_FORMAT) training = parseTrainingState(md, file.tensors, optimizerKeys, spec, name);

  // Allocated without an initialization (which would draw from the random stream and then be
  // overwritten): every tensor is the file's.
  const model = buildModel(spec, { initialize: false });
  model.loadStateDict(state);
  model.eval();
  const info: ModelInfo = { spec };
  if (config !== undefined) info.config = config;
  if (data !== undefined) info.data = data as DataInfo;
  if (summary !== undefined) info.summary = summary as Record<string, unknown>;
  const out: LoadedModel = { model, spec, info, metadata: { ...md }, format };
  if (config !== undefined) out.config = config;
  if (data !== undefined) out.data = data as DataInfo;
  if (training) out.training = training;
  return out;
}

/**
 * The model's state (PyTorch's keys → tensors) from a file's tensors, which must be exactly the
 * spec's state dict (`isExtra` may claim other keys): names, shapes, dtypes, finite values,
 * non-negative variances. `what` names the architecture in messages.
 */
function stateFromTensors(tensors: Map<string, SafetensorsEntry>, spec: ModelSpec, name: string, what: string, isExtra: (key: string) => boolean = () => false): Record<string, Tensor> {
  const want = stateDictShapes(spec);
  const wantKeys = new Set(want.map((w) => w.key));
  for (const key of tensors.keys()) {
    if (wantKeys.has(key) || isExtra(key)) continue;
    throw new Error(`${name}: unexpected tensor "${key}": ${what} has ${want.map((w) => w.key).join(', ')}`);
  }
  const state: Record<string, Tensor> = {};
  for (const w of want) {
    const e = tensors.get(w.key);
    if (!e) throw new Error(`${name}: missing tensor "${w.key}" (shape ${describeShape(w.shape)}) required by ${what}`);
    if (e.shape.join() !== w.shape.join()) throw new Error(`${name}: tensor "${w.key}" has shape ${describeShape(e.shape)} but the architecture needs ${describeShape(w.shape)}`);
    if (w.int64) {
      if (!['I64', 'I32', 'U64', 'U32'].includes(e.dtype)) throw new Error(`${name}: tensor "${w.key}" must be an integer (I64), got ${e.dtype}`);
      const v = Number(e.data[0]);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name}: tensor "${w.key}" must be a non-negative count, got ${e.data[0]}`);
      state[w.key] = new Tensor(new Float32Array([v]), []);
      continue;
    }
    if (e.dtype !== 'F32' && e.dtype !== 'F64' && e.dtype !== 'F16' && e.dtype !== 'BF16') throw new Error(`${name}: tensor "${w.key}" must be floating point (F32, F64, F16 or BF16, read as float32), got ${e.dtype}`);
    checkValues(e, w.key, name);
    if (w.key.endsWith('running_var')) {
      const d = e.data as Float32Array;
      for (let i = 0; i < d.length; i++) if (d[i] < 0) throw new Error(`${name}: tensor "${w.key}" holds a negative variance (${d[i]}) at index ${i}`);
    }
    state[w.key] = new Tensor(e.data instanceof Float64Array ? Float32Array.from(e.data) : (e.data as Float32Array), e.shape);
  }
  return state;
}

// ---------------------------------------------------------------------------------------
// Plain PyTorch state dicts

/** The format name a plain state dict (no gradlab metadata) is reported under. */
export const STATE_DICT_FORMAT = 'pytorch.state_dict';

/**
 * A plain state dict's keys without the name of the module holding the Sequential: "net.0.weight"
 * → "0.weight" (also DistributedDataParallel's "module."). Returns the prefix removed ('' if none).
 */
function sequentialPrefix(keys: string[], name: string): string {
  const plain = /^\d+\./;
  if (keys.length === 0) throw new Error(`${name}: the file holds no tensors`);
  if (keys.every((k) => plain.test(k))) return '';
  const m = /^((?:[A-Za-z_][A-Za-z0-9_]*\.)+)\d+\./.exec(keys[0]);
  const prefix = m?.[1];
  if (!prefix || !keys.every((k) => k.startsWith(prefix) && plain.test(k.slice(prefix.length)))) {
    throw new Error(`${name}: the tensor names (${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', …' : ''}) are not those of one torch.nn.Sequential ("0.weight", "1.bias", … or "<name>.0.weight", …)`);
  }
  return prefix;
}

/**
 * The spec of a plain PyTorch state dict of an nn.Sequential of gradlab's MLP shape (Linear →
 * [BatchNorm1d] → activation → [Dropout] per hidden layer, then a Linear), from its tensors and
 * the `arch` given: the widths, inputs, outputs, BatchNorms, PReLUs and Dropouts are read off the
 * keys and shapes (module indices skip the layers without tensors); `arch` must say what the
 * tensors cannot (the hidden activation, unless every one is PReLU) and may say anything else
 * (output: default softmax for ≥ 2 outputs; dropout p: default 0.5, PyTorch's, used only in
 * training). Fields that contradict the tensors are reported by the tensor check.
 */
export function inferStateDictSpec(tensors: Map<string, SafetensorsEntry>, arch: Partial<ModelSpec>, name = 'state dict'): ModelSpec {
  const groups = new Map<number, Map<string, SafetensorsEntry>>();
  for (const [key, e] of tensors) {
    const dot = key.indexOf('.');
    const i = Number(key.slice(0, dot));
    if (!groups.has(i)) groups.set(i, new Map());
    groups.get(i)!.set(key.slice(dot + 1), e);
  }
  const fail = (msg: string): never => {
    throw new Error(`${name}: ${msg} (a gradlab model is Linear → [BatchNorm1d] → activation → [Dropout] per hidden layer, then a Linear)`);
  };
  const linearAt = (i: number): SafetensorsEntry => {
    const g = groups.get(i);
    const w = g?.get('weight');
    const has = `tensors of module ${i}: ${[...(g?.keys() ?? [])].map((k) => `"${i}.${k}"`).join(', ') || 'none'}`;
    if (g !== undefined && w === undefined) return fail(`tensor "${i}.weight" is missing: module ${i} must be a Linear (${has})`);
    if (w !== undefined && w.shape.length !== 2) return fail(`"${i}.weight" has shape [${w.shape.join(', ')}]; module ${i} must be a Linear, whose weight is [out, in]`);
    if (w !== undefined && !g!.has('bias')) return fail(`tensor "${i}.bias" is missing: module ${i} must be a Linear with a bias (${has})`);
    if (w === undefined) return fail(`module ${i} is not a Linear with a bias (${has})`);
    return w;
  };
  const indices = [...groups.keys()].sort((a, b) => a - b);
  const last = indices[indices.length - 1];
  let i = 0;
  const layers: number[] = [];
  const batchnorms: boolean[] = [];
  const prelus: boolean[] = [];
  const dropouts: boolean[] = [];
  const first = linearAt(0);
  let w = first;
  while (i !== last) {
    layers.push(w.shape[0]);
    let j = i + 1;
    const bn = groups.get(j)?.has('running_mean') ?? false;
    batchnorms.push(bn);
    if (bn) j++;
    const prelu = groups.get(j)?.has('weight') === true && groups.get(j)!.get('weight')!.shape.length === 1 && !groups.get(j)!.has('bias');
    prelus.push(prelu);
    j++;
    const next = indices.find((k) => k >= j);
    if (next === undefined || next > j + 1) fail(`after module ${j - 1} the next module with tensors is ${next ?? 'none'}; expected ${j} (the next Linear) or ${j + 1} (after a Dropout)`);
    dropouts.push(next === j + 1);
    i = next!;
    w = linearAt(i);
  }
  if (new Set(dropouts).size > 1) fail(`some hidden layers have a Dropout and some do not`);
  const outputs = w.shape[0];
  let activation = arch.activation;
  if (activation === undefined && arch.activations === undefined) {
    if (layers.length === 0 || prelus.every(Boolean)) activation = layers.length === 0 ? 'relu' : 'prelu';
    else fail('give the hidden activation: the tensors do not show it (e.g. --arch \'{"activation": "tanh"}\', or "activations": [...] per layer)');
  }
  const spec: Record<string, unknown> = {
    inputs: first.shape[1],
    layers,
    init: 'auto',
    batchnorm: batchnorms[0] ?? false,
    dropout: dropouts[0] ? 0.5 : 0,
    outputs,
    ...(outputs >= 2 ? { output: 'softmax' } : {}),
    ...(new Set(batchnorms).size > 1 ? { batchnorms } : {}),
    ...arch,
  };
  if (activation !== undefined) spec.activation = activation;
  else spec.activation = arch.activations?.[0];
  if (spec.output === undefined) fail('the model has one output: say how it is read, "output": "sigmoid" (a binary classifier) or "linear" (regression)');
  return validateSpec(spec, `${name}: architecture`);
}

/** Whether the tensors are exactly the spec's state dict (keys and shapes). */
/** Each tensor missing, unexpected or of another shape than the spec's state dict has, named as the file names it (`orig`). */
function stateDictProblems(tensors: Map<string, SafetensorsEntry>, spec: ModelSpec, orig: (key: string) => string): { problems: string[]; off: number } {
  const want = stateDictShapes(spec);
  const keys = new Set(want.map((w) => w.key));
  const problems: string[] = [];
  // How far the shapes are off, in elements: of two input sizes as wrong, the nearer is named.
  let off = 0;
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  for (const w of want) {
    const e = tensors.get(w.key);
    if (!e) problems.push(`missing tensor "${orig(w.key)}" (shape ${describeShape(w.shape)})`);
    else if (e.shape.length !== w.shape.length || e.shape.some((d, i) => d !== w.shape[i])) {
      problems.push(`tensor "${orig(w.key)}" has shape ${describeShape(e.shape)}, the layer list needs ${describeShape(w.shape)}`);
      off += Math.abs(size(e.shape) - size(w.shape));
    }
  }
  for (const [k, e] of tensors) if (!keys.has(k)) problems.push(`unexpected tensor "${orig(k)}" (shape ${describeShape(e.shape)})`);
  return { problems, off };
}

function matchesSpec(tensors: Map<string, SafetensorsEntry>, spec: ModelSpec): boolean {
  const want = stateDictShapes(spec);
  return want.length === tensors.size && want.every((w) => {
    const e = tensors.get(w.key);
    return e !== undefined && e.shape.length === w.shape.length && e.shape.every((d, i) => d === w.shape[i]);
  });
}

/**
 * A state dict of a layer-list architecture (train's `--arch`, e.g. a torch.nn.Sequential of
 * Conv2d/BatchNorm2d/…/Linear): the outputs come from the last `linear`; an image input's
 * shape, unless given as `inputShape`, is the square one whose state dict the tensors are;
 * PyTorch's Sequential starts at the first conv where gradlab's has an Unflatten of the flat
 * input rows before it, so module indices are shifted by one when that is what matches.
 */
function layerListStateDict(tensors: Map<string, SafetensorsEntry>, arch: Partial<ModelSpec>, name: string): { spec: ModelSpec; tensors: Map<string, SafetensorsEntry> } {
  const layers = arch.arch!;
  // As train --arch: unless the list ends with a linear, the output linear(classes) is implied
  // (fullArch adds it, with a flatten before it on images), its width that of the last module's
  // weight (the tensors with the highest module index).
  const end = layers[layers.length - 1];
  let outputs: number;
  if (end?.type === 'linear') outputs = end.out as number;
  else {
    const lastIndex = Math.max(...[...tensors.keys()].map((k) => Number(/^(\d+)\./.exec(k)?.[1] ?? -1)));
    const w = tensors.get(`${lastIndex}.weight`);
    if (!w || w.shape.length !== 2) throw new Error(`${name}: the layer list (${layers.map(describeLayer).join(', ')}) does not end in linear(outputs), and the tensors' last module (${lastIndex}) is not a Linear whose width gives the outputs`);
    outputs = w.shape[0];
  }
  const base = {
    layers: [] as number[],
    activation: arch.activation ?? 'relu',
    init: arch.init ?? 'auto',
    batchnorm: false,
    dropout: 0,
    outputs,
    output: arch.output ?? (outputs >= 2 ? 'softmax' : undefined),
    arch: layers,
  } as Partial<ModelSpec>;
  if (base.output === undefined) throw new Error(`${name}: the model has one output: say how it is read, "output": "sigmoid" (a binary classifier) or "linear" (regression)`);
  const shifted = new Map([...tensors].map(([k, e]) => [k.replace(/^(\d+)\./, (_, i: string) => `${Number(i) + 1}.`), e] as const));
  const candidates: number[][] = [];
  if (arch.inputShape) candidates.push(arch.inputShape.slice());
  else if (needsImages(layers[0])) {
    const w = [...tensors.values()].find((e) => e.shape.length === 4);
    const channels = w ? w.shape[1] * (typeof layers[0].groups === 'number' ? layers[0].groups : 1) : 1;
    for (let side = 1; side <= 1024; side++) candidates.push([channels, side, side]);
  } else {
    const w = [...tensors.values()].find((e) => e.shape.length === 2);
    if (w) candidates.push([w.shape[1]]);
  }
  // The first (smallest) shape whose state dict the tensors are. Pooling that rounds down lets a
  // few sizes above it match too (28 to 31 for two 2×2 max pools), and the smallest is the one
  // the layers divide evenly; but when the largest size tried matches as well (adaptive pooling
  // before the first linear), the tensors say nothing about the size and the user must.
  const specFor = (inShape: number[]): ModelSpec | undefined => {
    try {
      return validateSpec({ ...base, inputs: inShape.reduce((a, b) => a * b, 1), ...(inShape.length > 1 ? { inputShape: inShape } : {}) }, `${name}: --arch`);
    } catch {
      return undefined;
    }
  };
  const matching = (spec: ModelSpec | undefined, inShape: number[]) =>
    spec === undefined ? undefined : matchesSpec(tensors, spec) ? tensors : inShape.length > 1 && matchesSpec(shifted, spec) ? shifted : undefined;
  // What is wrong with the tensors, at the input shape where least is: named in the error when none fits.
  let closest: { problems: string[]; off: number; inShape: number[] } | undefined;
  const unshift = (k: string) => k.replace(/^(\d+)\./, (_, i: string) => `${Number(i) - 1}.`);
  for (const inShape of candidates) {
    const spec = specFor(inShape);
    const match = matching(spec, inShape);
    if (spec !== undefined && match === undefined) {
      for (const [t, orig] of inShape.length > 1 ? ([[tensors, (k: string) => k], [shifted, unshift]] as const) : ([[tensors, (k: string) => k]] as const)) {
        const { problems, off } = stateDictProblems(t, spec, orig);
        if (closest === undefined || problems.length < closest.problems.length || (problems.length === closest.problems.length && off < closest.off)) closest = { problems, off, inShape };
      }
    }
    if (spec === undefined || match === undefined) continue;
    const largest = candidates[candidates.length - 1];
    if (!arch.inputShape && candidates.length > 1 && matching(specFor(largest), largest) !== undefined) {
      throw new Error(
        `${name}: the tensors fit images of any size from ${inShape.join('×')} to ${largest.join('×')} (the layers before the first linear do not fix it); ` +
          `give the input shape: --arch '{"arch": "…", "inputShape": [${inShape[0]}, H, W]}' (loadModel(path, {arch: {arch, inputShape}}))`,
      );
    }
    return { spec, tensors: match };
  }
  if (closest !== undefined) {
    // Every problem (missing, unexpected, another shape), as PyTorch's load_state_dict lists them, up to a screenful.
    const at = arch.inputShape || closest.inShape.length < 2 ? '' : ` (on ${closest.inShape.join('×')} images, the size that fits best)`;
    const shown = closest.problems.length > 12 ? [...closest.problems.slice(0, 12), `… (${closest.problems.length} problems in all)`] : closest.problems;
    throw new Error(`${name}: ${closest.problems.length > 3 ? 'its tensors are ' : ''}not the state dict of ${layers.map(describeLayer).join(' → ')}${at}: ${shown.join('; ')}`);
  }
  throw new Error(
    `${name}: its tensors (${[...tensors].slice(0, 6).map(([k, e]) => `${k} [${e.shape.join(', ')}]`).join(', ')}${tensors.size > 6 ? ', …' : ''}) are not the state dict of ${layers.map(describeLayer).join(' → ')}` +
      (arch.inputShape ? ` on inputs ${JSON.stringify(arch.inputShape)}` : needsImages(layers[0]) ? ' on square images of any size up to 1024 (give "inputShape": [C, H, W] for others)' : ''),
  );
}

/** The fields an architecture for a plain state dict may give (the ModelSpec's; the compiler keeps the list complete). */
const SPEC_FIELDS = Object.keys({
  inputs: 1, layers: 1, activation: 1, init: 1, batchnorm: 1, dropout: 1, outputs: 1, output: 1, activations: 1, batchnorms: 1, arch: 1, inputShape: 1,
} satisfies Record<keyof ModelSpec, 1>);

/**
 * The architecture of a plain state dict, as the library takes it: a partial ModelSpec, whose
 * `arch` may be a layer list or its compact form ('conv(8,3,padding=1),bn,relu,…'), or that
 * compact form or a preset's name ('cnn-small') alone.
 */
export type StateDictArch = Partial<Omit<ModelSpec, 'arch'>> & { arch?: ModelSpec['arch'] | string } | string;

function readStateDictArch(a: StateDictArch): Partial<ModelSpec> {
  const list = (v: string | readonly unknown[], where: string) =>
    typeof v === 'string' ? parseArch(v in MODEL_PRESETS ? MODEL_PRESETS[v as ModelPreset].arch : v) : v.map((l, i) => validateLayer(l, `${where} layer ${i + 1}`));
  if (typeof a === 'string') return { arch: list(a, 'arch') };
  if (typeof a !== 'object' || a === null) throw new Error(`arch: expected a model spec or a layer list, got ${JSON.stringify(a)}`);
  if (a.arch === undefined) return a as Partial<ModelSpec>;
  if (typeof a.arch !== 'string' && !Array.isArray(a.arch)) throw new Error(`arch.arch: expected a layer list (an array or the compact form), got ${JSON.stringify(a.arch)}`);
  return { ...a, arch: list(a.arch, 'arch.arch') } as Partial<ModelSpec>;
}

/**
 * Build a model from a plain PyTorch state dict — the .pt file `torch.save(model.state_dict(),
 * path)` writes (torch-file.ts) or safetensors without gradlab metadata — and `arch` (a layer
 * list, layerListStateDict, or an MLP spec, inferStateDictSpec): what `gradlab
 * evaluate/predict/inspect/export --arch` and `loadModel(path, {arch})` read.
 */
export function parseStateDict(bytes: Uint8Array, archIn: StateDictArch, name = 'state dict'): LoadedModel {
  const arch = readStateDictArch(archIn);
  // A misspelt field ("activaton") would leave the default in its place, silently.
  checkOptions(`${name}: architecture`, arch, SPEC_FIELDS, 'field');
  // torch.save's .pt (PyTorch's own route) or safetensors.
  const file = isTorchFile(bytes) ? { tensors: parseTorchFile(bytes, name).tensors, metadata: null } : parseSafetensors(bytes, name);
  const md = file.metadata ?? {};
  if (md.format === MODEL_FORMAT || md.format === CHECKPOINT_FORMAT) throw new Error(`${name}: this is a gradlab ${md.format === MODEL_FORMAT ? 'model file' : 'checkpoint'}, which stores its architecture; give no architecture (--arch) for it`);
  const prefix = sequentialPrefix([...file.tensors.keys()], name);
  let tensors = new Map([...file.tensors].map(([k, e]) => [k.slice(prefix.length), e] as const));
  let spec: ModelSpec;
  if (arch.arch !== undefined) ({ spec, tensors } = layerListStateDict(tensors, arch, name));
  else spec = inferStateDictSpec(tensors, arch, name);
  const state = stateFromTensors(tensors, spec, name, `the architecture (${describeSpec(spec)})`);
  const model = buildModel(spec, { initialize: false });
  model.loadStateDict(state);
  model.eval();
  return { model, spec, info: { spec }, metadata: { ...md }, format: STATE_DICT_FORMAT };
}

function validateDataInfo(data: unknown, name: string, spec: ModelSpec): void {
  const where = `${name}: metadata "data"`;
  if (!isObject(data)) throw new Error(`${where} must be a JSON object`);
  const strings = (v: unknown, field: string) => {
    if (v !== undefined && !(Array.isArray(v) && v.every((s) => typeof s === 'string'))) throw new Error(`${where}: ${field} must be an array of strings`);
  };
  strings(data.classNames, 'classNames');
  strings(data.featureNames, 'featureNames');
  const classes = spec.output === 'softmax' ? spec.outputs : spec.output === 'sigmoid' ? 2 : null;
  if (Array.isArray(data.classNames) && classes !== null && data.classNames.length !== classes) {
    throw new Error(`${where}: classNames has ${data.classNames.length} names but the model has ${classes} classes`);
  }
  if (Array.isArray(data.featureNames) && data.featureNames.length !== spec.inputs) {
    throw new Error(`${where}: featureNames has ${data.featureNames.length} names but the model has ${spec.inputs} inputs`);
  }
  if (data.scaler !== undefined) {
    const s = data.scaler;
    const nums = (v: unknown) => Array.isArray(v) && v.length === spec.inputs && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!isObject(s) || typeof s.method !== 'string' || !nums(s.offset) || !nums(s.scale) || (s.scale as number[]).some((x) => x === 0)) {
      throw new Error(`${where}: scaler must be {method, offset, scale} with ${spec.inputs} finite numbers each (scale non-zero)`);
    }
  }
}

/**
 * A checkpoint's history and findings, which a resumed run's Report starts from (fit's
 * initialHistory): plain JSON checked to the shape the health rules and the summary read.
 */
function checkPastRun(history: unknown, findings: unknown, epoch: number, where: string): void {
  const numOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));
  if (history !== null && history !== undefined) {
    if (!isObject(history) || !Array.isArray(history.epochs)) throw new Error(`${where}: history must be an object with an epochs array, or null`);
    if (history.epochs.length > epoch) throw new Error(`${where}: history has ${history.epochs.length} epochs, more than the ${epoch} completed`);
    history.epochs.forEach((e: unknown, i: number) => {
      if (!isObject(e) || e.epoch !== i || !numOrNull(e.loss) || !numOrNull(e.lr) || !isObject(e.metrics)) {
        throw new Error(`${where}: history.epochs[${i}] must be {epoch: ${i}, loss, lr, metrics, …} with numbers or null, got ${JSON.stringify(e)?.slice(0, 80)}`);
      }
    });
  }
  if (findings !== null && findings !== undefined) {
    if (!Array.isArray(findings)) throw new Error(`${where}: findings must be an array or null`);
    findings.forEach((f: unknown, i: number) => {
      const ok =
        isObject(f) && typeof f.rule === 'string' && ['error', 'warning', 'info'].includes(f.severity as string) && Array.isArray(f.layers) && f.layers.every((l) => typeof l === 'string') &&
        Number.isInteger(f.step) && typeof f.evidence === 'string' && typeof f.advice === 'string' && (f.status === undefined || f.status === 'current' || f.status === 'resolved');
      if (!ok) throw new Error(`${where}: findings[${i}] must be {rule, severity, layers, step, evidence, advice, …}, got ${JSON.stringify(f)?.slice(0, 80)}`);
    });
  }
}

function parseTrainingState(
  md: Record<string, string>,
  tensors: Map<string, SafetensorsEntry>,
  optimizerKeys: string[],
  spec: ModelSpec,
  name: string,
): TrainingState {
  const ck = parseJsonField<unknown>(md, 'checkpoint', name, true);
  const where = `${name}: metadata "checkpoint"`;
  if (!isObject(ck)) throw new Error(`${where} must be a JSON object`);
  if (!Number.isInteger(ck.epoch) || (ck.epoch as number) < 0) throw new Error(`${where}: epoch must be a non-negative integer`);
  const opt = ck.optimizer;
  if (!isObject(opt) || typeof opt.type !== 'string' || !Number.isInteger(opt.step) || !Array.isArray(opt.groups)) {
    throw new Error(`${where}: optimizer must be {type, step, groups}`);
  }
  for (const g of opt.groups as unknown[]) {
    if (!isObject(g)) throw new Error(`${where}: each optimizer group must be {lr, initialLr}`);
    for (const k of ['lr', 'initialLr'] as const) {
      const v = g[k];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${where}: optimizer group ${k} must be a finite number ≥ 0, got ${JSON.stringify(v)}`);
    }
  }
  if ((opt.groups as unknown[]).length !== 1) throw new Error(`${where}: optimizer must have exactly 1 parameter group, got ${(opt.groups as unknown[]).length}`);
  if ((opt.step as number) < 0) throw new Error(`${where}: optimizer step must be ≥ 0, got ${opt.step}`);
  const checkGen = (gen: unknown, field: string): GeneratorState => {
    if (!isObject(gen) || !Array.isArray(gen.s) || gen.s.length !== 4 || !gen.s.every((v) => Number.isInteger(v) && v >= 0 && v < 2 ** 32)) {
      throw new Error(`${where}: ${field} must be {s: [4 uint32], spare}`);
    }
    if (gen.s.every((v) => v === 0)) throw new Error(`${where}: ${field} state is all zeros (invalid for xoshiro128**)`);
    if (gen.spare !== null && gen.spare !== undefined && (typeof gen.spare !== 'number' || !Number.isFinite(gen.spare))) throw new Error(`${where}: ${field}.spare must be a finite number or null`);
    return { s: gen.s.slice() as [number, number, number, number], spare: (gen.spare as number | null | undefined) ?? null };
  };
  const generator = checkGen(ck.generator, 'generator');
  const shuffle = ck.shuffle === null || ck.shuffle === undefined ? null : checkGen(ck.shuffle, 'shuffle');
  if (ck.scheduler !== null && ck.scheduler !== undefined && !isObject(ck.scheduler)) throw new Error(`${where}: scheduler must be an object or null`);
  checkPastRun(ck.history, ck.findings, ck.epoch as number, where);

  // Parameter shapes in model.parameters() order: the state dict minus buffers.
  const paramShapes = stateDictShapes(spec)
    .filter((e) => !e.int64 && !e.key.endsWith('running_mean') && !e.key.endsWith('running_var'))
    .map((e) => e.shape);
  const buffers: Array<Record<string, number[]>> = paramShapes.map(() => ({}));
  for (const key of optimizerKeys) {
    const m = /^optimizer\.(\d+)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(key);
    if (!m) throw new Error(`${name}: tensor "${key}" is not of the form optimizer.<parameter index>.<buffer>`);
    const i = Number(m[1]);
    if (i >= paramShapes.length) throw new Error(`${name}: tensor "${key}" refers to parameter ${i}, but the model has ${paramShapes.length}`);
    const e = tensors.get(key)!;
    if (e.shape.join() !== paramShapes[i].join()) throw new Error(`${name}: tensor "${key}" has shape ${describeShape(e.shape)}, parameter ${i} has ${describeShape(paramShapes[i])}`);
    if (e.dtype !== 'F32' && e.dtype !== 'F64') throw new Error(`${name}: tensor "${key}" must be F32, got ${e.dtype}`);
    checkValues(e, key, name);
    buffers[i][m[2]] = Array.from(e.data as Float32Array);
  }
  return {
    epoch: ck.epoch as number,
    optimizer: { type: opt.type as string, step: opt.step as number, groups: opt.groups as OptimizerState['groups'], buffers },
    scheduler: (ck.scheduler as Record<string, unknown> | null | undefined) ?? null,
    generator,
    shuffle,
    history: ck.history ?? undefined,
    findings: ck.findings ?? undefined,
  };
}
