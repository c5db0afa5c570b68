/**
 * `gradlab evaluate`, `predict`, `inspect` and `export`: each a function from parsed
 * arguments to a result and an exit code, so tests call them in-process.
 */
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Tensor } from '../tensor.js';
import { evaluate, predict } from '../train/index.js';
import { describeSpec, countParameters, type ModelSpec } from '../models.js';
import { loadModel } from '../io/model.node.js';
import { STATE_DICT_FORMAT, type LoadedModel } from '../io/model.js';
import { exportPytorch } from '../io/export-pytorch.js';
import { exportPytorchTrain } from '../io/export-pytorch-train.js';
import { MODEL_PRESETS, parseArch, validateLayer, type ModelPreset } from '../arch.js';
import { exportOnnx, ONNX_OPSET } from '../io/export-onnx.js';
import { writeFileAtomic } from '../io/atomic.node.js';
import { MAX_CSV_BYTES, builtinDataDir, readIdxFile } from '../data/datasets.node.js';
import { BUILTIN_MNIST_FILES } from '../data/mnist.js';
import { readRegularFile } from '../io/files.node.js';
import { parseJsonBounded } from '../io/json.js';
import { parseIdx } from '../data/idx.js';
import { applyScaler, type Scaler } from '../data/scaler.js';
import { decodeCsvBytes, FLOAT32_MAX, parseCsvInputs, showCell } from '../data/csv.js';
import { limitRows, loadDataSpec, loadEvalData, refuseInapplicable } from './data.js';
import { asInputError, asWriteError, CliError, EXIT, inputError, usageError, type ExitCode } from './errors.js';
import { DEFAULT_TEST_FRACTION, readDataSpec, scalerFor, type DataSpec } from '../recipe.js';
import { checkOutputs } from './outputs.js';
import { readJsonFlag } from './options.js';
import { num, pct, printable, shellWord } from './progress.js';
import type { CliIO } from './train.js';

/**
 * `--arch` for a plain PyTorch state dict: a JSON model spec, inline ('{"activation": "tanh"}')
 * or a .json file; what the tensors show (widths, inputs, outputs, BatchNorm, PReLU, Dropout)
 * may be left out (io/model.ts inferStateDictSpec).
 */
export async function readArchFlag(text: string): Promise<Partial<ModelSpec>> {
  const read = await readJsonFlag('--arch', text);
  if (read === null) {
    // train's layer list, compact form: conv(16,3,padding=1),bn,relu,…,linear(10), or a preset's name (--model's)
    try {
      const t = text.trim();
      return { arch: parseArch(t in MODEL_PRESETS ? MODEL_PRESETS[t as ModelPreset].arch : t) };
    } catch (e) {
      const msg = (e as Error).message;
      throw usageError(msg.startsWith('--arch') ? msg : `--arch: ${msg}`);
    }
  }
  const v = read.json;
  try {
    // A JSON list of layers, or a spec whose "arch" is a list or the compact form.
    if (Array.isArray(v)) return { arch: v.map((l, i) => validateLayer(l, `--arch: layer ${i + 1}`)) };
    if (typeof v === 'object' && v !== null && 'arch' in v) {
      const a = (v as { arch: unknown }).arch;
      const arch = typeof a === 'string' ? parseArch(a) : Array.isArray(a) ? a.map((l, i) => validateLayer(l, `--arch: "arch" layer ${i + 1}`)) : null;
      if (arch === null) throw new Error('"arch" must be a layer list (a JSON list or the compact form train takes)');
      return { ...(v as Partial<ModelSpec>), arch };
    }
  } catch (e) {
    throw usageError(`--arch: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null) throw usageError(`--arch: expected a JSON object (a model spec, e.g. {"activation": "tanh", "output": "softmax"}), got ${JSON.stringify(v).slice(0, 60)}`);
  return v as Partial<ModelSpec>;
}

/** The model file at `path`, or (with --arch) the plain PyTorch state dict there. */
export async function openModel(path: string, arch?: string): Promise<LoadedModel> {
  const archSpec = arch === undefined ? undefined : await readArchFlag(arch);
  try {
    return await loadModel(path, archSpec !== undefined ? { arch: archSpec } : {});
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    if (archSpec !== undefined && /stores its architecture; give no architecture/.test(msg)) throw usageError(msg);
    if (archSpec === undefined && /no __metadata__|metadata "format" is/.test(msg)) {
      throw inputError(`${msg}. For a plain PyTorch state dict, give its architecture: --arch '{"activation": "relu"}' (see --help)`);
    }
    throw asInputError(e);
  }
}

function checkFeatures(got: number, want: number, what: string): void {
  if (got !== want) throw inputError(`${what} has ${got} feature${got === 1 ? '' : 's'} per example but the model expects ${want}`);
}

// ---------------------------------------------------------------------------------------
// evaluate

export interface EvaluateArgs {
  model: string;
  /** The architecture of a plain PyTorch state dict (readArchFlag). */
  arch?: string;
  /** Default: the source the model was trained on (its recipe). */
  data?: string;
  split?: 'test' | 'train';
  /** Each of these overrides only its own part of the stored data recipe. */
  seed?: number;
  /** CSV: the label column. */
  label?: string;
  samples?: number;
  noise?: number;
  limit?: number;
  json?: boolean;
}

export interface EvaluateSummary {
  model: string;
  data: string;
  examples: number;
  loss: number | null;
  accuracy?: number | null;
  /** The parts of the model's data recipe a flag changed (source, seed, samples, noise, limit, label). */
  overridden: string[];
}

/** Whether two --data values name the same source (a path compared resolved). */
function sameSource(a: string, b: string): boolean {
  return a === b || resolve(a) === resolve(b);
}

/**
 * The data evaluate uses: the model's stored recipe (src/recipe.ts DataSpec), each flag
 * overriding only the part it names. Returns what was overridden, with the trained value.
 */
function evaluationRecipe(args: EvaluateArgs, m: LoadedModel): { spec: DataSpec; overridden: Array<[string, unknown, unknown]> } {
  const stored = m.info.config?.data;
  const source = args.data ?? stored?.source;
  if (source === undefined) throw usageError(`${args.model}: the model file stores no data recipe; give --data`);
  const base: DataSpec = stored && sameSource(source, stored.source) ? stored : { ...(stored ?? {}), source, seed: stored?.seed ?? 0, scaler: scalerFor(source), testFraction: stored?.testFraction ?? DEFAULT_TEST_FRACTION };
  const spec: DataSpec = { ...base };
  const overridden: Array<[string, unknown, unknown]> = [];
  if (stored && !sameSource(source, stored.source)) overridden.push(['data', source, stored.source]);
  for (const k of ['seed', 'samples', 'noise', 'limit', 'label'] as const) {
    const v = args[k];
    if (v === undefined || (k === 'limit' && args.split !== 'train')) continue;
    if (v !== base[k]) overridden.push([k, v, base[k]]);
    (spec as unknown as Record<string, unknown>)[k] = v;
  }
  return { spec: readDataSpec(spec, '--data'), overridden };
}

export async function runEvaluate(args: EvaluateArgs, io: CliIO): Promise<{ code: ExitCode; result: EvaluateSummary }> {
  const m = await openModel(args.model, args.arch);
  const spec = m.info.spec;
  let recipe: DataSpec;
  let overridden: Array<[string, unknown, unknown]>;
  try {
    ({ spec: recipe, overridden } = evaluationRecipe(args, m));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw usageError((e as Error).message);
  }
  // Flags that would change nothing are refused rather than reported as overrides.
  await refuseInapplicable(recipe.source, { samples: args.samples, noise: args.noise });
  const stored = m.info.config?.data;
  const classNames = m.info.data?.classNames;
  let ds;
  if (/\.csv$/i.test(recipe.source) && !(stored && sameSource(recipe.source, stored.source))) {
    // Another CSV than the training file: all of its rows, classes mapped and features scaled as in training.
    if (args.split === 'train') throw usageError(`--split train names the training part of the data the model was trained on; ${recipe.source} is another file, evaluated whole`);
    ds = await loadEvalData(recipe.source, m.info.data, { whole: true, ...(recipe.label !== undefined ? { label: recipe.label } : {}), ...(spec.output === 'linear' ? { task: 'regression' as const } : {}) });
  } else {
    const scaler = m.info.data?.scaler as Scaler | undefined;
    const d = await loadDataSpec(recipe, { ...(scaler ? { scaler } : {}), ...(classNames ? { classNames } : {}) });
    ds = args.split === 'train' ? d.train : d.test;
  }
  // --limit on the test part: its first n examples (on the training part it is the recipe's limit).
  if (args.limit !== undefined && args.split !== 'train') ds = limitRows(ds, args.limit);
  checkFeatures(ds.x.size / Math.max(1, ds.x.shape[0]), spec.inputs, ds.name);
  const classification = spec.output === 'softmax';
  if (classification && ds.numClasses !== undefined && ds.numClasses > spec.outputs) {
    throw inputError(`${ds.name} has ${ds.numClasses} classes but the model has ${spec.outputs} outputs`);
  }
  if (!classification && (ds.y.ndim !== 2 || ds.y.shape[1] !== spec.outputs)) {
    throw inputError(`${ds.name}: the model predicts ${spec.outputs} target(s) per example; the data's targets have shape [${ds.y.shape.join(', ')}]`);
  }
  let r;
  try {
    r = await evaluate(m.model, { x: ds.x, y: ds.y }, { loss: classification ? 'crossEntropy' : 'mse', metrics: classification ? ['accuracy'] : [], yieldEvery: 0 });
  } catch (e) {
    throw asInputError(e);
  }
  if (!Number.isFinite(r.loss)) {
    throw inputError(`${ds.name}: the loss of ${args.model} on it is not finite (${r.loss}): its inputs are too large for the model (its weights are finite)`);
  }
  const result: EvaluateSummary = { model: args.model, data: ds.name, examples: r.examples, loss: r.loss, overridden: overridden.map(([k]) => k) };
  if (classification) result.accuracy = r.metrics.accuracy ?? null;
  if (args.json) io.stdout.write(JSON.stringify(result) + '\n');
  else {
    io.stdout.write(`${printable(args.model)} on ${printable(ds.name)} (${r.examples} examples): loss ${num(result.loss)}${classification ? `  accuracy ${pct(result.accuracy ?? undefined)}` : ''}\n`);
    if (overridden.length > 0) {
      const show = (v: unknown) => (v === undefined ? 'the default' : String(v));
      io.stdout.write(`  overriding the training recipe: ${overridden.map(([k, v, was]) => `${k} ${show(v)} (trained with ${show(was)})`).join(', ')}\n`);
    }
  }
  return { code: EXIT.ok, result };
}

// ---------------------------------------------------------------------------------------
// predict

export interface PredictArgs {
  model: string;
  arch?: string;
  input: string;
  json?: boolean;
  /** Probabilities shown per row. */
  top?: number;
  /** Read the input from this text instead of a file (stdin, tests). */
  stdinText?: string;
}

export interface Prediction {
  index: number;
  class?: number;
  label?: string;
  probability?: number;
  top?: Array<{ class: number; label?: string; probability: number }>;
  values?: number[];
}

async function readInputRows(input: string, m: LoadedModel, stdinText?: string): Promise<Tensor> {
  const spec = m.info.spec;
  const n = spec.inputs;
  const fromRows = (rows: number[][], what: string): Tensor => {
    if (rows.length === 0) throw inputError(`${what}: no input rows`);
    const x = new Float32Array(rows.length * n);
    rows.forEach((r, i) => {
      if (!Array.isArray(r)) throw inputError(`${what}: row ${i + 1} is not an array of numbers`);
      checkFeatures(r.length, n, `${what}: row ${i + 1}`);
      r.forEach((v, j) => {
        if (typeof v !== 'number' || !(Math.abs(v) <= FLOAT32_MAX)) {
          // JSON reads 1e400 as Infinity: say what the value became, and name a string, true or null as what it is.
          const why =
            typeof v === 'number'
              ? `${v} is not a number in the float32 range (magnitude at most ${FLOAT32_MAX.toPrecision(8)}${Number.isFinite(v) ? '' : '; JSON reads a larger number as Infinity'})`
              : typeof v === 'string'
                ? `${showCell(v)} is a string, not a number (write numbers without quotes)`
                : `${v === null ? 'null' : typeof v === 'boolean' ? String(v) : Array.isArray(v) ? 'an array' : 'an object'} is not a number`;
          throw inputError(`${what}: row ${i + 1}, feature ${j + 1}: ${why}`);
        }
        x[i * n + j] = v;
      });
    });
    return new Tensor(x, [rows.length, n]);
  };
  const trimmed = input.trim();
  if (trimmed === '') throw usageError("<input> is empty: give a CSV, JSON or IDX file, inline JSON such as '[0.1, 0.2]', or - for stdin");
  // Inline JSON: '[0.1, 0.2]' or '[[...], [...]]' (an object is JSON too, refused by parseJsonRows with what it expects).
  const json = (t: string) => t.startsWith('[') || t.startsWith('{');
  if (json(trimmed)) return parseJsonRows(trimmed, 'input', n, fromRows);
  let text: string | null = null;
  let bytes: Uint8Array | null = null;
  if (input === '-') text = stdinText ?? (await readStdin());
  else {
    if (/idx3-ubyte(\.gz)?$|\.idx$/i.test(input)) {
      const idx = await readIdxFile(input).catch((e) => {
        throw asInputError(e);
      });
      return idxToInputs(idx, n, input);
    }
    bytes = await readRegularFile(input, { maxBytes: MAX_CSV_BYTES, what: 'input file' }).catch((e) => {
      // Numbers typed as a CSV row are not a file name: inline rows are JSON.
      if (/^\s*[-+.\deE]+(\s*[,\s]\s*[-+.\deE]+)*\s*$/.test(input) && /no such file/.test((e as Error)?.message ?? '')) {
        throw usageError(`<input> ${printable(input)} is neither a file nor JSON: give one row inline as JSON, '[${input.trim().split(/\s*[,\s]\s*/).join(', ')}]'`);
      }
      throw asInputError(e);
    });
    if (bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08) return idxToInputs(parseIdxSafe(bytes, input), n, input);
    text = decodeInput(bytes, input);
  }
  const t = text.trim();
  if (json(t)) return parseJsonRows(t, input, n, fromRows);
  return parseCsvRows(t, input, m);
}

function parseIdxSafe(bytes: Uint8Array, name: string) {
  try {
    return parseIdx(bytes, name);
  } catch (e) {
    throw asInputError(e);
  }
}

function idxToInputs(idx: { data: ArrayLike<number>; shape: number[]; dtype: string }, n: number, name: string): Tensor {
  const rows = idx.shape[0];
  const per = idx.shape.slice(1).reduce((a, b) => a * b, 1);
  checkFeatures(per, n, name);
  const x = new Float32Array(rows * per);
  const scale = idx.dtype === 'u8' ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) {
    const v = idx.data[i] * scale;
    if (!(Math.abs(v) <= FLOAT32_MAX)) throw inputError(`${name}: value ${idx.data[i]} at example ${Math.floor(i / Math.max(1, per))}, feature ${(i % Math.max(1, per)) + 1} is not a number in the float32 range`);
    x[i] = v;
  }
  return new Tensor(x, [rows, per]);
}

function parseJsonRows(text: string, what: string, n: number, fromRows: (rows: number[][], what: string) => Tensor): Tensor {
  let v: unknown;
  try {
    // Rows of numbers are 2 deep; deeper nesting is refused before it is built (and echoed).
    v = parseJsonBounded(text, what.length > 80 ? what.slice(0, 80) + '…' : what, { maxDepth: 2 });
  } catch (e) {
    throw inputError((e as Error).message);
  }
  if (!Array.isArray(v)) throw inputError(`${what}: expected a JSON array of ${n} numbers or an array of such rows, got ${v === null ? 'null' : typeof v === 'object' ? 'an object' : typeof v}`);
  const rows = v.length > 0 && Array.isArray(v[0]) ? (v as number[][]) : [v as number[]];
  return fromRows(rows, what);
}

function parseCsvRows(text: string, what: string, m: LoadedModel): Tensor {
  try {
    const label = m.info.config?.data.label;
    return parseCsvInputs(text, { name: what, features: m.info.spec.inputs, ...(m.info.data?.featureNames ? { featureNames: m.info.data.featureNames } : {}), ...(label !== undefined ? { label } : {}) });
  } catch (e) {
    throw asInputError(e);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of process.stdin) {
    total += (c as Buffer).length;
    if (total > MAX_CSV_BYTES) throw inputError(`stdin: more than ${MAX_CSV_BYTES.toLocaleString('en-US')} bytes of input`);
    chunks.push(c as Buffer);
  }
  return decodeInput(Buffer.concat(chunks), 'stdin');
}

/** Input text (CSV or JSON) from bytes, as a CSV file is read: not UTF-8 or binary is bad input naming the line. */
function decodeInput(bytes: Uint8Array, name: string): string {
  try {
    return decodeCsvBytes(bytes, name);
  } catch (e) {
    throw asInputError(e);
  }
}

export async function runPredict(args: PredictArgs, io: CliIO): Promise<{ code: ExitCode; predictions: Prediction[] }> {
  const m = await openModel(args.model, args.arch);
  const spec = m.info.spec;
  let x = await readInputRows(args.input, m, args.stdinText);
  if (m.info.data?.scaler) x = applyScaler(x, m.info.data.scaler as Scaler);
  const out = await predict(m.model, x, { yieldEvery: 0 });
  // The weights are checked finite on load, so a non-finite output comes from inputs too large
  // for this model (finite float32 values can still overflow in a layer).
  for (let i = 0; i < out.data.length; i++) {
    if (!Number.isFinite(out.data[i])) {
      const row = Math.floor(i / spec.outputs);
      throw inputError(`${printable(args.input.length > 80 ? args.input.slice(0, 80) + '…' : args.input)}: row ${row + 1}: the model's outputs are not finite (${out.data[i]}); the inputs are too large for it`);
    }
  }
  const rows = x.shape[0];
  const k = spec.outputs;
  const names = m.info.data?.classNames;
  const top = Math.max(1, Math.min(args.top ?? 1, k));
  const preds: Prediction[] = [];
  for (let i = 0; i < rows; i++) {
    const logits = Array.from(out.data.subarray(i * k, (i + 1) * k));
    if (spec.output === 'softmax') {
      const mx = logits.reduce((a, b) => Math.max(a, b), -Infinity); // not Math.max(...): up to 2^20 classes
      const e = logits.map((v) => Math.exp(v - mx));
      const s = e.reduce((a, b) => a + b, 0);
      const p = e.map((v) => v / s);
      const order = p.map((v, c) => [v, c] as const).sort((a, b) => b[0] - a[0]);
      const best = order[0][1];
      const pr: Prediction = { index: i, class: best, probability: p[best] };
      if (names) pr.label = names[best];
      if (top > 1) pr.top = order.slice(0, top).map(([v, c]) => ({ class: c, probability: v, ...(names ? { label: names[c] } : {}) }));
      preds.push(pr);
    } else if (spec.output === 'sigmoid') {
      const p = 1 / (1 + Math.exp(-logits[0]));
      preds.push({ index: i, class: p >= 0.5 ? 1 : 0, probability: p });
    } else preds.push({ index: i, values: logits });
  }
  if (args.json) io.stdout.write(JSON.stringify({ model: args.model, predictions: preds }) + '\n');
  else {
    for (const p of preds) {
      if (p.values) io.stdout.write(`${p.index}\t${p.values.map((v) => v.toPrecision(6)).join('\t')}\n`);
      else {
        const extra = p.top ? '\t' + p.top.map((t) => `${printable(t.label ?? String(t.class))}:${t.probability.toFixed(4)}`).join(' ') : '';
        io.stdout.write(`${p.index}\t${printable(p.label ?? String(p.class))}\t${p.probability!.toFixed(4)}${extra}\n`);
      }
    }
  }
  return { code: EXIT.ok, predictions: preds };
}

// ---------------------------------------------------------------------------------------
// inspect

export interface TensorSummary {
  name: string;
  dtype: string;
  shape: number[];
  size: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  norm: number;
  zeros: number;
}

export function summarizeTensor(name: string, t: Tensor, dtype = 'F32'): TensorSummary {
  const d = t.data;
  const n = d.length;
  let s = 0;
  let sq = 0;
  let mn = Infinity;
  let mx = -Infinity;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    const v = d[i];
    s += v;
    sq += v * v;
    if (v < mn) mn = v;
    if (v > mx) mx = v;
    if (v === 0) zeros++;
  }
  const mean = n ? s / n : 0;
  return {
    name,
    dtype,
    shape: t.shape.slice(),
    size: n,
    mean,
    std: n ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : 0,
    min: n ? mn : 0,
    max: n ? mx : 0,
    norm: Math.sqrt(sq),
    zeros: n ? zeros / n : 0,
  };
}

export interface InspectResult {
  path: string;
  format: string;
  architecture: string;
  parameters: number;
  spec: unknown;
  config?: unknown;
  data?: unknown;
  summary?: unknown;
  checkpoint?: { epoch: number; optimizer: string; step: number };
  tensors: TensorSummary[];
}

export async function runInspect(args: { model: string; arch?: string; json?: boolean }, io: CliIO): Promise<{ code: ExitCode; result: InspectResult }> {
  const m = await openModel(args.model, args.arch);
  const sd = m.model.stateDict();
  const tensors = Object.entries(sd).map(([k, t]) => summarizeTensor(k, t, k.endsWith('num_batches_tracked') ? 'I64' : 'F32'));
  const result: InspectResult = {
    path: args.model,
    format: m.format,
    architecture: describeSpec(m.info.spec),
    parameters: countParameters(m.info.spec),
    spec: m.info.spec,
    tensors,
  };
  if (m.info.config) result.config = m.info.config;
  if (m.info.data) result.data = { ...m.info.data, ...(m.info.data.scaler ? { scaler: { method: m.info.data.scaler.method } } : {}) };
  if (m.info.summary) result.summary = m.info.summary;
  if (m.training) result.checkpoint = { epoch: m.training.epoch, optimizer: m.training.optimizer.type, step: m.training.optimizer.step };
  if (args.json) {
    io.stdout.write(JSON.stringify(result) + '\n');
    return { code: EXIT.ok, result };
  }
  // Everything shown comes from the file: escapes in names are shown, not run.
  const w = (s: string) => io.stdout.write(printable(s, true) + '\n');
  w(`${args.model}: ${m.format === 'gradlab.checkpoint' ? 'checkpoint' : m.format === STATE_DICT_FORMAT ? 'PyTorch state dict (architecture from --arch and the tensors)' : 'model'}`);
  w(`  architecture  ${result.architecture}`);
  w(`  parameters    ${result.parameters.toLocaleString('en-US')}`);
  const c = m.info.config;
  if (c) {
    const d = c.data;
    const drawn = (['samples', 'noise', 'limit', 'label'] as const).filter((k) => d[k] !== undefined).map((k) => `${k} ${d[k]}`);
    w(`  data          ${[d.source, ...drawn, `seed ${d.seed}`, `${d.testFraction * 100}% held out`, ...(d.scaler !== 'none' ? [`scaler ${d.scaler}`] : [])].join(', ')}`);
    const opts = Object.entries(c.optimizerOptions).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join('/') : v}`);
    w(`  training      ${c.optimizer} (${opts.join(', ')}), epochs ${c.epochs}, batch ${c.batchSize}, schedule ${c.schedule}${c.clip !== null ? `, clip ${c.clip}` : ''}, seed ${c.seed}`);
  }
  const s = m.info.summary as Record<string, unknown> | undefined;
  if (s) w(`  result        ${Object.entries(s).map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`).join(', ')}`);
  if (m.info.data?.classNames) w(`  classes       ${m.info.data.classNames.join(', ')}`);
  if (m.info.data?.scaler) w(`  inputs        scaled (${m.info.data.scaler.method}) as in training`);
  if (result.checkpoint) w(`  checkpoint    after epoch ${result.checkpoint.epoch} (${result.checkpoint.optimizer}, ${result.checkpoint.step} steps)`);
  w('');
  w(m.model.toString());
  w('');
  const header = ['tensor', 'shape', 'mean', 'std', 'min', 'max', 'norm', 'zeros'];
  const rows = tensors.map((t) => [
    t.name,
    `[${t.shape.join(', ')}]`,
    ...[t.mean, t.std, t.min, t.max, t.norm].map((v) => (t.dtype === 'I64' ? String(v) : fmtNum(v))),
    `${(100 * t.zeros).toFixed(1)}%`,
  ]);
  w(table(header, rows));
  return { code: EXIT.ok, result };
}

function fmtNum(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e4 ? v.toExponential(3) : v.toFixed(4);
}

/** A plain-text table, columns padded, numbers right-aligned. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const isNum = (s: string) => /^[-+]?[\d.]+(e[-+]?\d+)?%?$/.test(s);
  const line = (r: string[]) => r.map((c, i) => (isNum(c) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------
// export

export interface ExportArgs {
  model: string;
  arch?: string;
  /** Write a PyTorch script here. */
  pytorch?: string;
  /** Write an ONNX model here. */
  onnx?: string;
  json?: boolean;
}

export async function runExport(args: ExportArgs, io: CliIO): Promise<{ code: ExitCode }> {
  if (args.pytorch === undefined && args.onnx === undefined) throw usageError('export: give --onnx <file.onnx>, --pytorch <file.py> and/or --pytorch-train <train.py>');
  if (args.pytorch !== undefined && args.arch !== undefined) throw usageError('export: --pytorch writes a script for a gradlab model file; a PyTorch state dict (--arch) is already PyTorch\'s: export it with --onnx');
  await checkOutputs([{ flag: '--onnx', path: args.onnx }, { flag: '--pytorch', path: args.pytorch }], [{ flag: '<model>', path: args.model }, { flag: '--arch', path: args.arch }]);
  const m = await openModel(args.model, args.arch);
  const result: Record<string, string> = { model: args.model };
  const lines: string[] = [];
  if (args.pytorch !== undefined) {
    const script = resolve(args.pytorch);
    const weights = resolve(args.model);
    // Relative to the script's directory when both sit in one tree, so the pair can be moved together.
    const rel = relative(dirname(script), weights);
    const weightsPath = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : weights;
    const src = exportPytorch(m.info.spec, { weightsPath, ...(m.info.data ? { data: m.info.data } : {}), source: args.model });
    try {
      await writeFileAtomic(args.pytorch, src);
    } catch (e) {
      throw asWriteError(e);
    }
    Object.assign(result, { pytorch: args.pytorch, weights: weightsPath });
    lines.push(`wrote ${args.pytorch}: torch.nn.Sequential of ${describeSpec(m.info.spec)}, loading ${weightsPath}\n  python3 ${shellWord(args.pytorch)}   # prints the model`);
  }
  if (args.onnx !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = exportOnnx(m.model, m.info, { name: basename(args.model) });
    } catch (e) {
      throw asInputError(e);
    }
    try {
      await writeFileAtomic(args.onnx, bytes);
    } catch (e) {
      throw asWriteError(e);
    }
    result.onnx = args.onnx;
    const first = m.info.spec.output === 'linear' ? 'values' : 'probabilities';
    lines.push(`wrote ${args.onnx}: ONNX (opset ${ONNX_OPSET}) of ${describeSpec(m.info.spec)}${m.info.data?.scaler ? ', inputs scaled as in training' : ''}\n  input "input" [batch, ${m.info.spec.inputs}] → outputs "${first}", "logits" [batch, ${m.info.spec.outputs}]`);
  }
  if (args.json) io.stdout.write(JSON.stringify(result) + '\n');
  else io.stdout.write(lines.join('\n') + '\n');
  return { code: EXIT.ok };
}


/**
 * `gradlab export --pytorch-train`: the run's recipe as a standalone PyTorch training script
 * (src/io/export-pytorch-train.ts). Needs the recipe a trained model file stores.
 */
export async function runExportTrain(args: { model: string; script: string; json?: boolean }, io: CliIO): Promise<{ code: ExitCode }> {
  await checkOutputs([{ flag: '--pytorch-train', path: args.script }], [{ flag: '<model>', path: args.model }]);
  const m = await openModel(args.model);
  const config = m.info.config;
  if (config === undefined) {
    throw inputError(`${args.model}: the file stores no training recipe (metadata "config"), so there is nothing to re-train; it was not written by \`gradlab train\``);
  }
  // A file gradlab split itself: the script gets its training examples, read again from the file
  // the recipe names (relative to here); without it, the script trains on every example.
  let trainRows: { rows: number[]; total: number } | undefined;
  let unsplit = false;
  if (/\.csv$/i.test(config.data.source) || /idx3-ubyte(\.gz)?$/.test(basename(config.data.source))) {
    const scaler = m.info.data?.scaler as Scaler | undefined;
    const classNames = m.info.data?.classNames;
    trainRows = await loadDataSpec(config.data, { ...(scaler ? { scaler } : {}), ...(classNames ? { classNames } : {}) }).then(
      (d) => d.trainRows?.(),
      () => undefined,
    );
    unsplit = trainRows === undefined;
  }
  const src = exportPytorchTrain(m.info.spec, { config, ...(m.info.data ? { data: m.info.data } : {}), source: args.model, ...(trainRows ? { trainRows } : {}) });
  try {
    await writeFileAtomic(args.script, src);
  } catch (e) {
    throw asWriteError(e);
  }
  if (args.json) io.stdout.write(JSON.stringify({ model: args.model, pytorchTrain: args.script }) + '\n');
  else {
    // The built-in digits' directory is this installation's; other sources are the user's files.
    const data = config.data.source === 'mnist' ? shellWord(dirname(join(builtinDataDir(), BUILTIN_MNIST_FILES.images))) : 'PATH';
    io.stdout.write(
      `wrote ${args.script}: the recipe of ${describeSpec(m.info.spec)} (${config.optimizer}, ${config.epochs} epoch${config.epochs === 1 ? '' : 's'}, batch ${config.batchSize}) as a PyTorch training script\n` +
        `  python3 ${shellWord(args.script)} --data ${data} --out trained.safetensors                    # one process\n` +
        `  torchrun --nproc_per_node=2 ${shellWord(args.script)} --data ${data} --out trained.safetensors  # DistributedDataParallel\n` +
        (trainRows ? `  it trains on the ${trainRows.rows.length} of the ${trainRows.total} examples of ${printable(config.data.source)} gradlab trained on (the held-out part is left out)\n` : '') +
        (unsplit ? `  note: ${printable(config.data.source)} is not readable here, so the script trains on every example of PATH, the part gradlab held out included\n` : ''),
    );
  }
  return { code: EXIT.ok };
}
