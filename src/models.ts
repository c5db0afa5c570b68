/**
 * Model specs: a plain-JSON description of a multi-layer perceptron, and the Sequential it
 * builds. The spec is what the CLI's flags produce, what a .safetensors model file stores in
 * its `__metadata__`, and what the lab's URL state holds, so the three build the same network.
 *
 * Per hidden layer: Linear → [BatchNorm1d] → activation → [Dropout]; then a final Linear to
 * the outputs. The output non-linearity (softmax/sigmoid) is not a layer: the loss applies it
 * (crossEntropy on logits, bceWithLogits), which is numerically stabler than a softmax layer
 * followed by a log (the log-sum-exp trick).
 *
 * BatchNorm is placed before the activation, as Ioffe & Szegedy 2015 (§3.2) do: it
 * normalises the pre-activation x = Wu + b, whose distribution is "more likely to be
 * symmetric, non-sparse". The Linear before a BatchNorm keeps its bias (PyTorch's default)
 * so the state-dict keys are those of the obvious PyTorch model.
 */
import { ACTIVATION_NAMES, getActivation, type ActivationName } from './activations.js';
import { archFromModules, archShapes, buildArch, describeLayer, layerState, needsImages, validateLayer, type LayerSpec } from './arch.js';
import { INIT_NAMES, type InitName } from './init.js';
import { BatchNorm1d, BatchNorm2d } from './nn/batchnorm.js';
import { Conv2d } from './nn/conv.js';
import { BasicBlock } from './nn/residual.js';
import { ActivationModule, activationModule, PReLU } from './nn/activation.js';
import { Dropout } from './nn/dropout.js';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, Unflatten } from './nn/pool.js';
import { Linear, WeightedLayer } from './nn/linear.js';
import { Module } from './nn/module.js';
import { showValue } from './tensor.js';
import { Sequential } from './nn/sequential.js';

export const OUTPUT_KINDS = ['softmax', 'sigmoid', 'linear'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

export interface ModelSpec {
  /** Input features per example (784 for MNIST). */
  inputs: number;
  /** Hidden layer widths, first to last ([] is a linear/logistic model). */
  layers: number[];
  activation: ActivationName;
  /** Initializer registry name; 'auto' picks the activation's recommended one. */
  init: InitName;
  batchnorm: boolean;
  /** Dropout probability after each hidden activation (0 = none). */
  dropout: number;
  /** Output units: classes for softmax, 1 for a binary sigmoid, targets for linear. */
  outputs: number;
  /** How the outputs are read: softmax over classes (crossEntropy), sigmoid (bceWithLogits) or linear (mse). */
  output: OutputKind;
  /** Per hidden layer activation, overriding `activation` (the lab sets it per layer). */
  activations?: ActivationName[];
  /** Per hidden layer BatchNorm switch, overriding `batchnorm`. */
  batchnorms?: boolean[];
  /**
   * A layer list (arch.ts: conv, pooling, residual blocks, …) instead of `layers`; then
   * activation, batchnorm and dropout are unused and `init` applies to every Linear and Conv2d.
   * The output Linear(outputs) is appended unless the list ends with linear(outputs) (after a
   * flatten when the last layer gives images). Model files with an arch are format_version 2.
   */
  arch?: LayerSpec[];
  /**
   * The per-example shape the flat input rows are viewed as, e.g. [1, 28, 28] (the model starts
   * with Unflatten(1, inputShape)); needed when the arch starts with an image layer.
   */
  inputShape?: number[];
}

/** Largest number of layers in an arch. */
export const MAX_ARCH_LAYERS = 256;

/** The spec's layers including the output layer, and the per-example input shape (arch specs). */
export function fullArch(spec: ModelSpec): { layers: LayerSpec[]; inShape: number[] } {
  const arch = spec.arch ?? [];
  const inShape = spec.inputShape ?? [spec.inputs];
  const layers = arch.slice();
  const last = layers[layers.length - 1];
  if (!(last?.type === 'linear' && last.out === spec.outputs)) {
    const shapes = archShapes(arch, inShape);
    if (shapes[shapes.length - 1].length !== 1) layers.push({ type: 'flatten' });
    layers.push({ type: 'linear', out: spec.outputs });
  }
  return { layers, inShape };
}

/** The activation after hidden layer i. */
export function layerActivation(spec: ModelSpec, i: number): ActivationName {
  return spec.activations?.[i] ?? spec.activation;
}

/** Whether hidden layer i has a BatchNorm1d after its Linear. */
export function layerBatchnorm(spec: ModelSpec, i: number): boolean {
  return spec.batchnorms?.[i] ?? spec.batchnorm;
}

/** Whether the model has a BatchNorm layer (an MLP's per hidden layer, an arch's bn or a residual block's), which cannot train on a batch of one example. */
export function usesBatchNorm(spec: ModelSpec): boolean {
  if (spec.arch) return spec.arch.some((l) => l.type === 'bn' || l.type === 'residual');
  return spec.layers.some((_, h) => layerBatchnorm(spec, h));
}

/** Largest layer width and depth accepted (guards against absurd specs in files). */
export const MAX_WIDTH = 1 << 16;
export const MAX_DEPTH = 64;
/** Largest number of parameters a spec may describe (about 1 GB of float32). */
export const MAX_PARAMETERS = 256 * 1024 * 1024;

const isPosInt = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= max;

/**
 * Check a spec (from flags, a file or a URL) and return it normalised to exactly the
 * ModelSpec fields; throws an Error naming the field and its allowed values.
 */
export function validateSpec(value: unknown, where = 'model spec'): ModelSpec {
  const fail = (msg: string): never => {
    throw new Error(`${where}: ${msg}`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('must be an object');
  const s = value as Record<string, unknown>;
  if (!isPosInt(s.inputs, 1 << 24)) fail(`inputs must be an integer in [1, ${1 << 24}], got ${JSON.stringify(s.inputs)}`);
  if (!Array.isArray(s.layers)) fail(`layers must be an array of widths, got ${JSON.stringify(s.layers)}`);
  const layers = s.layers as unknown[];
  if (layers.length > MAX_DEPTH) fail(`at most ${MAX_DEPTH} hidden layers, got ${layers.length}`);
  layers.forEach((w, i) => {
    if (!isPosInt(w, MAX_WIDTH)) fail(`layers[${i}] must be an integer in [1, ${MAX_WIDTH}], got ${JSON.stringify(w)}`);
  });
  const checkActivation = (a: unknown, name: string) => {
    if (typeof a !== 'string' || !(ACTIVATION_NAMES as readonly string[]).includes(a)) {
      fail(`${name} must be one of ${ACTIVATION_NAMES.join(', ')}; got ${JSON.stringify(a)}`);
    }
    if (a === 'softmax') fail(`${name} softmax is not elementwise and cannot be a hidden activation; choose another`);
  };
  checkActivation(s.activation, 'activation');
  const perLayer = (key: 'activations' | 'batchnorms'): unknown[] | undefined => {
    const v = s[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.length !== layers.length) fail(`${key} must be an array with one entry per hidden layer (${layers.length}), got ${JSON.stringify(v)}`);
    return v as unknown[];
  };
  const activations = perLayer('activations');
  activations?.forEach((a, i) => checkActivation(a, `activations[${i}]`));
  const batchnorms = perLayer('batchnorms');
  batchnorms?.forEach((b, i) => {
    if (typeof b !== 'boolean') fail(`batchnorms[${i}] must be true or false, got ${JSON.stringify(b)}`);
  });
  if (typeof s.init !== 'string' || !(INIT_NAMES as readonly string[]).includes(s.init)) fail(`init must be one of ${INIT_NAMES.join(', ')}; got ${JSON.stringify(s.init)}`);
  if (typeof s.batchnorm !== 'boolean') fail(`batchnorm must be true or false, got ${JSON.stringify(s.batchnorm)}`);
  if (typeof s.dropout !== 'number' || !(s.dropout >= 0 && s.dropout < 1)) fail(`dropout must be a number in [0, 1), got ${JSON.stringify(s.dropout)}`);
  if (!isPosInt(s.outputs, 1 << 20)) fail(`outputs must be an integer in [1, ${1 << 20}], got ${JSON.stringify(s.outputs)}`);
  if (typeof s.output !== 'string' || !(OUTPUT_KINDS as readonly string[]).includes(s.output)) fail(`output must be one of ${OUTPUT_KINDS.join(', ')}; got ${JSON.stringify(s.output)}`);
  if (s.output === 'softmax' && (s.outputs as number) < 2) fail('a softmax output needs at least 2 outputs (classes)');
  const spec: ModelSpec = {
    inputs: s.inputs as number,
    layers: (layers as number[]).slice(),
    activation: s.activation as ActivationName,
    init: s.init as InitName,
    batchnorm: s.batchnorm as boolean,
    dropout: s.dropout as number,
    outputs: s.outputs as number,
    output: s.output as OutputKind,
  };
  if (activations) spec.activations = activations as ActivationName[];
  if (batchnorms) spec.batchnorms = batchnorms as boolean[];
  if (s.inputShape !== undefined) {
    const shape = s.inputShape;
    if (!Array.isArray(shape) || shape.length < 1 || shape.length > 3 || !shape.every((d) => isPosInt(d, 1 << 24)) || shape.reduce((a: number, b: number) => a * b, 1) !== spec.inputs) {
      fail(`inputShape must be 1 to 3 positive integers whose product is inputs (${spec.inputs}), got ${JSON.stringify(shape)}`);
    }
    spec.inputShape = (shape as number[]).slice();
  }
  if (s.arch !== undefined) {
    if (!Array.isArray(s.arch) || s.arch.length === 0 || s.arch.length > MAX_ARCH_LAYERS) fail(`arch must be a list of 1 to ${MAX_ARCH_LAYERS} layers, got ${Array.isArray(s.arch) ? `${s.arch.length}` : JSON.stringify(s.arch)?.slice(0, 80) ?? String(s.arch)}`);
    if (layers.length > 0) fail(`give either layers (an MLP's hidden widths) or arch (a layer list), not both`);
    spec.arch = (s.arch as unknown[]).map((l, i) => validateLayer(l, `${where}: arch[${i}]`));
    if (needsImages(spec.arch[0]) && spec.inputShape?.length !== 3) {
      fail(`arch starts with ${spec.arch[0].type}, which needs images: give inputShape [C, H, W] (inputs ${spec.inputs})`);
    }
    try {
      // Every layer's input checked here, the output layer's too (fullArch checks only what it adds to).
      const { layers: all, inShape } = fullArch(spec);
      archShapes(all, inShape);
    } catch (e) {
      fail((e as Error).message);
    }
  }
  const n = countParameters(spec);
  if (n > MAX_PARAMETERS) fail(`describes ${n} parameters, more than the ${MAX_PARAMETERS} allowed`);
  return spec;
}

/** A tensor of the state dict: key, shape, and whether it is PyTorch's int64 counter. */
export interface StateEntrySpec {
  key: string;
  shape: number[];
  int64: boolean;
}

/**
 * The state-dict keys and shapes the spec's Sequential has, in PyTorch's order, computed
 * without building it (so a file's tensors can be checked before anything is allocated).
 */
export function stateDictShapes(spec: ModelSpec): StateEntrySpec[] {
  const out: StateEntrySpec[] = [];
  if (spec.arch) {
    const { layers, inShape } = fullArch(spec);
    const shapes = archShapes(layers, inShape);
    const offset = inShape.length > 1 ? 1 : 0;
    layers.forEach((l, j) => {
      for (const e of layerState(l, shapes[j])) out.push({ key: `${j + offset}.${e.key}`, shape: e.shape, int64: e.int64 ?? false });
    });
    return out;
  }
  let i = 0;
  let inp = spec.inputs;
  spec.layers.forEach((w, h) => {
    out.push({ key: `${i}.weight`, shape: [w, inp], int64: false }, { key: `${i}.bias`, shape: [w], int64: false });
    i++;
    if (layerBatchnorm(spec, h)) {
      out.push(
        { key: `${i}.weight`, shape: [w], int64: false },
        { key: `${i}.bias`, shape: [w], int64: false },
        { key: `${i}.running_mean`, shape: [w], int64: false },
        { key: `${i}.running_var`, shape: [w], int64: false },
        { key: `${i}.num_batches_tracked`, shape: [], int64: true },
      );
      i++;
    }
    if (layerActivation(spec, h) === 'prelu') out.push({ key: `${i}.weight`, shape: [1], int64: false });
    i++;
    if (spec.dropout > 0) i++;
    inp = w;
  });
  out.push({ key: `${i}.weight`, shape: [spec.outputs, inp], int64: false }, { key: `${i}.bias`, shape: [spec.outputs], int64: false });
  return out;
}

/** Trainable values of the spec's model (BatchNorm's running statistics excluded). */
export function countParameters(spec: ModelSpec): number {
  let n = 0;
  for (const e of stateDictShapes(spec)) {
    if (e.int64 || e.key.endsWith('running_mean') || e.key.endsWith('running_var')) continue;
    n += e.shape.reduce((a, b) => a * b, 1);
  }
  return n;
}

/** An init that leaves the weights as allocated: for a model whose weights are loaded next. */
const leaveUninitialized = (): void => {};

/** Float32 bytes of one training step, by kind (see trainingMemoryEstimate). */
export interface TrainingMemory {
  parameters: number;
  /** fit's copy of the parameters before each update (the non-finite guard restores it). */
  parameterCopy: number;
  gradients: number;
  optimizer: number;
  activations: number;
  total: number;
}

/**
 * Bytes a training step of the spec's model needs at once, in float32: the parameters, fit's
 * copy of them (restored when a step turns non-finite), their gradients, `stateBuffers` optimizer buffers per parameter (Adam: 2), and for a batch
 * the input, each hidden layer's saved outputs (Linear, BatchNorm's output and x̂, the
 * activation, Dropout's output and mask) and the logits with their softmax, each with a
 * gradient of the same size in backward. An estimate from above (fused ops save less).
 */
export function trainingMemoryEstimate(spec: ModelSpec, batchSize: number, stateBuffers: number): TrainingMemory {
  const p = countParameters(spec);
  let perExample = spec.inputs + 3 * spec.outputs;
  spec.layers.forEach((w, h) => {
    perExample += 2 * w * (2 + (layerBatchnorm(spec, h) ? 2 : 0) + (spec.dropout > 0 ? 2 : 0));
  });
  const m: TrainingMemory = { parameters: 4 * p, parameterCopy: 4 * p, gradients: 4 * p, optimizer: 4 * p * stateBuffers, activations: 4 * batchSize * perExample, total: 0 };
  m.total = m.parameters + m.parameterCopy + m.gradients + m.optimizer + m.activations;
  return m;
}

/**
 * Build the Sequential for a spec. Weights are drawn from the global generator (seed it with
 * manualSeed first for reproducible weights); each hidden Linear is initialised for the
 * activation that follows it, the output Linear for a linear consumer.
 * `initialize: false` allocates the layers without drawing any weights (for a model about to be
 * loaded): the random stream is left untouched and no time is spent on an initialization that
 * would be overwritten.
 */
export function buildModel(specIn: ModelSpec, options: { initialize?: boolean } = {}): Sequential {
  const spec = validateSpec(specIn);
  const init = (options.initialize ?? true) ? spec.init : leaveUninitialized;
  const mods: Module[] = [];
  if (spec.arch) {
    const { layers, inShape } = fullArch(spec);
    if (inShape.length > 1) mods.push(new Unflatten(1, inShape));
    return new Sequential(...mods, ...buildArch(layers, inShape, spec.init));
  }
  let inp = spec.inputs;
  spec.layers.forEach((w, h) => {
    mods.push(new Linear(inp, w, { init }));
    if (layerBatchnorm(spec, h)) mods.push(new BatchNorm1d(w));
    mods.push(activationModule(layerActivation(spec, h)));
    if (spec.dropout > 0) mods.push(new Dropout(spec.dropout));
    inp = w;
  });
  // The output layer feeds the loss (a linear consumer); 'auto' gives it Xavier.
  mods.push(new Linear(inp, spec.outputs, { init }));
  return new Sequential(...mods);
}

/** One line per layer, e.g. "784 → Linear(256) → BatchNorm1d → ReLU → … → Linear(10) → softmax". */
export function describeSpec(spec: ModelSpec): string {
  if (spec.arch) {
    const { layers, inShape } = fullArch(spec);
    return [inShape.join('×'), ...layers.map(describeLayer), spec.output].join(' → ');
  }
  const parts: string[] = [String(spec.inputs)];
  spec.layers.forEach((w, h) => {
    parts.push(`Linear(${w})`);
    if (layerBatchnorm(spec, h)) parts.push('BatchNorm1d');
    parts.push(layerActivation(spec, h));
    if (spec.dropout > 0) parts.push(`Dropout(${spec.dropout})`);
  });
  parts.push(`Linear(${spec.outputs})`, spec.output);
  return parts.join(' → ');
}

/** Modules that only a layer list (a spec with `arch`) holds: a Sequential starting with one is read as a layer list. */
const LAYER_LIST_ONLY = [Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, BasicBlock, BatchNorm2d];

/**
 * The spec of a conv net built by hand: nn.Unflatten(1, [C, H, W]) (a model file's model takes
 * rows of C·H·W features, as the CLI's do), then layers of the layer-list registry
 * (archFromModules), ending with the output Linear.
 */
function layerListSpec(mods: readonly Module[], options: { output?: OutputKind; init?: InitName }): ModelSpec {
  const fail = (msg: string): never => {
    throw new Error(`specFromModel: ${msg}`);
  };
  const u = mods[0];
  if (!(u instanceof Unflatten) || u.dim !== 1 || u.sizes.length !== 3) {
    fail(`layer 0 is ${u.typeName}: a model file's conv net takes rows of C·H·W features, so put nn.Unflatten(1, [C, H, W]) first (its state-dict keys then start at 1, as the CLI's conv nets do)`);
  }
  const inShape = (u as Unflatten).sizes.slice();
  let arch: LayerSpec[];
  try {
    arch = archFromModules(mods.slice(1), inShape, 1);
  } catch (e) {
    return fail((e as Error).message);
  }
  const last = arch[arch.length - 1];
  if (last?.type !== 'linear') fail(`the model ends with ${mods[mods.length - 1].typeName}; a model file's model ends with its output Linear (the loss applies the output non-linearity)`);
  const outputs = last.out as number;
  const inits = new Set(mods.filter((m): m is WeightedLayer => m instanceof WeightedLayer).map((m) => (typeof m._init === 'string' ? m._init : 'auto')));
  const spec: ModelSpec = {
    inputs: inShape.reduce((a, b) => a * b, 1),
    inputShape: inShape,
    layers: [],
    activation: 'relu',
    init: options.init ?? (inits.size === 1 ? ([...inits][0] as InitName) : 'auto'),
    batchnorm: false,
    dropout: 0,
    outputs,
    output: options.output ?? (outputs >= 2 ? 'softmax' : fail('the model has one output: say how it is read, output "sigmoid" (a binary classifier) or "linear" (regression)')),
    arch,
  };
  return validateSpec(spec, 'specFromModel');
}

/**
 * The spec of a Sequential that has the shape buildModel builds (Linear → [BatchNorm1d] →
 * activation → [Dropout] per hidden layer, then a Linear), however it was built: the inverse of
 * buildModel, so a model assembled by hand with `nn` can be saved as a model file. `output` (how
 * the outputs are read) is not in the modules: default softmax for ≥ 2 outputs; give it for one.
 * A Sequential starting with nn.Unflatten(1, [C, H, W]) (or with a conv-net layer) is read as a
 * layer list (layerListSpec). Throws naming the first layer that does not fit, and why.
 */
export function specFromModel(model: Module, options: { output?: OutputKind; init?: InitName } = {}): ModelSpec {
  const fail = (msg: string): never => {
    throw new Error(`specFromModel: ${msg}; a model file holds Linear → [BatchNorm1d] → activation → [Dropout] per hidden layer, then a Linear (save other models' weights with saveSafetensors(path, model.stateDict()))`);
  };
  if (!(model instanceof Sequential)) fail(`the model is ${model instanceof Module ? `a ${model.typeName}` : showValue(model)}, not a Sequential`);
  const mods = (model as Sequential).layers;
  if (mods[0] instanceof Unflatten || (mods[0] !== undefined && LAYER_LIST_ONLY.some((C) => mods[0] instanceof C))) return layerListSpec(mods, options);
  const layers: number[] = [];
  const activations: ActivationName[] = [];
  const batchnorms: boolean[] = [];
  const dropouts: number[] = [];
  const inits = new Set<string>();
  let inputs = 0;
  let width = 0;
  let i = 0;
  const linear = (m: Module | undefined, at: number): Linear => {
    if (!(m instanceof Linear)) return fail(`layer ${at} is ${m ? m.typeName : 'missing'}, expected a Linear`);
    if (!m.bias) fail(`layer ${at} (Linear) has no bias`);
    if (width && m.inFeatures !== width) fail(`layer ${at} (Linear) takes ${m.inFeatures} features but gets ${width}`);
    inits.add(typeof m._init === 'string' ? m._init : 'auto');
    return m;
  };
  for (;;) {
    const lin = linear(mods[i], i);
    if (i === 0) inputs = lin.inFeatures;
    width = lin.outFeatures;
    i++;
    if (i === mods.length) break;
    layers.push(width);
    const bn = mods[i];
    if (bn instanceof BatchNorm1d) {
      if (!bn.weight || !bn.runningMean || bn.eps !== 1e-5) fail(`layer ${i} (BatchNorm1d) must be affine, track running statistics and have eps 1e-5`);
      i++;
    }
    batchnorms.push(bn instanceof BatchNorm1d);
    const act = mods[i];
    if (act instanceof ActivationModule && i === mods.length - 1) {
      fail(`the model ends with ${act.typeName}: the output non-linearity is not a layer in a model file (the loss applies it); remove it and give output ${act.activation === 'sigmoid' ? '"sigmoid"' : '"softmax"'}`);
    }
    if (!(act instanceof ActivationModule) || act.activation === 'softmax') fail(`layer ${i} is ${act ? act.typeName : 'missing'}, expected a hidden activation`);
    const a = act as ActivationModule;
    if (a.extraOptions !== null) fail(`layer ${i} (${a.typeName}) has ${a.extraOptions}; a model file's ${a.typeName} has PyTorch's defaults`);
    const def = getActivation(a.activation).defaultParam;
    if (a instanceof PReLU) {
      if (a.weight.size !== 1) fail(`layer ${i} (PReLU) has ${a.weight.size} slopes; a model file's PReLU has one`);
    } else if (!Number.isNaN(def) && a.param !== def) fail(`layer ${i} (${a.typeName}) has parameter ${a.param}; a model file's ${a.typeName} has the default ${def}`);
    activations.push(a.activation);
    i++;
    const d = mods[i];
    dropouts.push(d instanceof Dropout ? d.p : 0);
    if (d instanceof Dropout) i++;
  }
  if (new Set(dropouts).size > 1) fail(`the hidden layers have different dropout probabilities (${dropouts.join(', ')}); a model file has one`);
  const outputs = width;
  const output = options.output ?? (outputs >= 2 ? 'softmax' : fail('the model has one output: say how it is read, output "sigmoid" (a binary classifier) or "linear" (regression)'));
  const init = options.init ?? (inits.size === 1 ? ([...inits][0] as InitName) : 'auto');
  const spec: ModelSpec = {
    inputs,
    layers,
    activation: activations[0] ?? 'relu',
    init,
    batchnorm: batchnorms[0] ?? false,
    dropout: dropouts[0] ?? 0,
    outputs,
    output,
  };
  if (new Set(activations).size > 1) spec.activations = activations;
  if (new Set(batchnorms).size > 1) spec.batchnorms = batchnorms;
  return validateSpec(spec, 'specFromModel');
}
