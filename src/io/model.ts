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
 *   config          JSON training configuration (flags, optimizer, lr, epochs, seed, …)
 *   data            JSON {name, classNames?, featureNames?, scaler?}: how inputs were prepared
 *   summary         JSON final metrics (optional)
 *
 * A checkpoint is a model file plus the training state needed to resume exactly:
 * the optimizer's per-parameter buffers as tensors 'optimizer.<i>.<buffer>' (i = index in
 * model.parameters()), and `checkpoint` = JSON {epoch, optimizer {type, step, groups},
 * scheduler, generator, history}.
 *
 * Loading validates everything before building anything: the header (parseSafetensors), the
 * format, the spec (registry names, bounded sizes), and that the tensors are exactly the
 * spec's state dict with the right shapes, dtypes and finite values. Each problem is an
 * Error naming the file and what is wrong.
 */
import { Tensor } from '../tensor.js';
import type { Module } from '../nn/module.js';
import type { Sequential } from '../nn/sequential.js';
import type { OptimizerState } from '../optim/optimizer.js';
import type { GeneratorState } from '../random.js';
import { buildModel, stateDictShapes, validateSpec, type ModelSpec } from '../models.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsEntry, type SafetensorsInput } from './safetensors.js';

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
  config?: Record<string, unknown>;
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
  if (info.config !== undefined) md.config = JSON.stringify(info.config);
  if (info.data !== undefined) md.data = JSON.stringify(info.data);
  if (info.summary !== undefined) md.summary = JSON.stringify(info.summary);
  return md;
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
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${name}: metadata "${key}" is not valid JSON: ${(e as Error).message}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface LoadedModel {
  model: Sequential;
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
  const config = parseJsonField<unknown>(md, 'config', name, false);
  if (config !== undefined && !isObject(config)) throw new Error(`${name}: metadata "config" must be a JSON object`);
  const data = parseJsonField<unknown>(md, 'data', name, false);
  if (data !== undefined) validateDataInfo(data, name, spec);
  const summary = parseJsonField<unknown>(md, 'summary', name, false);
  if (summary !== undefined && !isObject(summary)) throw new Error(`${name}: metadata "summary" must be a JSON object`);

  // The tensors must be exactly the spec's state dict (plus optimizer buffers in a checkpoint).
  const want = stateDictShapes(spec);
  const wantKeys = new Set(want.map((w) => w.key));
  const optimizerKeys: string[] = [];
  for (const key of file.tensors.keys()) {
    if (wantKeys.has(key)) continue;
    if (format === CHECKPOINT_FORMAT && key.startsWith('optimizer.')) {
      optimizerKeys.push(key);
      continue;
    }
    throw new Error(`${name}: unexpected tensor "${key}": the architecture in "spec" has ${want.map((w) => w.key).join(', ')}`);
  }
  const state: Record<string, Tensor> = {};
  for (const w of want) {
    const e = file.tensors.get(w.key);
    if (!e) throw new Error(`${name}: missing tensor "${w.key}" (shape ${describeShape(w.shape)}) required by the architecture in "spec"`);
    if (e.shape.join() !== w.shape.join()) throw new Error(`${name}: tensor "${w.key}" has shape ${describeShape(e.shape)} but the architecture needs ${describeShape(w.shape)}`);
    if (w.int64) {
      if (!['I64', 'I32', 'U64', 'U32'].includes(e.dtype)) throw new Error(`${name}: tensor "${w.key}" must be an integer (I64), got ${e.dtype}`);
      const v = Number(e.data[0]);
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${name}: tensor "${w.key}" must be a non-negative count, got ${e.data[0]}`);
      state[w.key] = new Tensor(new Float32Array([v]), []);
      continue;
    }
    if (e.dtype !== 'F32' && e.dtype !== 'F64' && e.dtype !== 'F16' && e.dtype !== 'BF16') throw new Error(`${name}: tensor "${w.key}" must be floating point (F32), got ${e.dtype}`);
    checkValues(e, w.key, name);
    if (w.key.endsWith('running_var')) {
      const d = e.data as Float32Array;
      for (let i = 0; i < d.length; i++) if (d[i] < 0) throw new Error(`${name}: tensor "${w.key}" holds a negative variance (${d[i]}) at index ${i}`);
    }
    state[w.key] = new Tensor(e.data instanceof Float64Array ? Float32Array.from(e.data) : (e.data as Float32Array), e.shape);
  }

  let training: TrainingState | undefined;
  if (format === CHECKPOINT_FORMAT) training = parseTrainingState(md, file.tensors, optimizerKeys, spec, name);

  const model = buildModel(spec);
  model.loadStateDict(state);
  model.eval();
  const info: ModelInfo = { spec };
  if (config !== undefined) info.config = config as Record<string, unknown>;
  if (data !== undefined) info.data = data as DataInfo;
  if (summary !== undefined) info.summary = summary as Record<string, unknown>;
  const out: LoadedModel = { model, info, metadata: { ...md }, format };
  if (training) out.training = training;
  return out;
}

function validateDataInfo(data: unknown, name: string, spec: ModelSpec): void {
  const where = `${name}: metadata "data"`;
  if (!isObject(data)) throw new Error(`${where} must be a JSON object`);
  const strings = (v: unknown, field: string) => {
    if (v !== undefined && !(Array.isArray(v) && v.every((s) => typeof s === 'string'))) throw new Error(`${where}: ${field} must be an array of strings`);
  };
  strings(data.classNames, 'classNames');
  strings(data.featureNames, 'featureNames');
  if (data.scaler !== undefined) {
    const s = data.scaler;
    const nums = (v: unknown) => Array.isArray(v) && v.length === spec.inputs && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!isObject(s) || typeof s.method !== 'string' || !nums(s.offset) || !nums(s.scale) || (s.scale as number[]).some((x) => x === 0)) {
      throw new Error(`${where}: scaler must be {method, offset, scale} with ${spec.inputs} finite numbers each (scale non-zero)`);
    }
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
    if (!isObject(g) || typeof g.lr !== 'number' || typeof g.initialLr !== 'number') throw new Error(`${where}: each optimizer group needs numeric lr and initialLr`);
  }
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
  };
}
