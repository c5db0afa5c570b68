/**
 * ONNX export: a gradlab model as an ONNX graph (opset 17, IR version 8), written with
 * protobufjs (onnx-schema.ts holds the schema).
 *
 * The graph computes what `gradlab predict` computes, from the raw feature rows:
 *   input  "input"          float32 [batch, inputs]  (batch is dynamic)
 *   → the stored feature scaler, if any: (x − offset) / scale          (src/data/scaler.ts)
 *   → the layers, one ONNX_LAYERS rule each (BatchNorm in eval mode, Dropout the identity; conv
 *     nets too: Conv2d, BatchNorm2d, the pools, Flatten/Unflatten, BasicBlock, Residual; the
 *     spatial sizes are fixed, so adaptive pooling to any size has a form)
 *   output "probabilities"  softmax over the classes, or σ(logit) for one sigmoid unit
 *          ("values" for a linear output: the logits themselves)
 *   output "logits"         the last Linear's output
 *
 * Layers are translated by a table of rules (module class → nodes), so a new layer type is
 * one entry: `{ module: Conv2d, export: (m, x, g) => g.node('Conv', [x, g.constant(...)], {...}) }`.
 * Activations are a second table keyed by the registry name (activations.ts), typed so that a
 * new activation fails to compile until it has an ONNX form. Where ONNX (opset 17) has no single
 * op the activation is composed from basic ops, computing PyTorch's formula:
 *   GELU (exact)  ½·x·erfc(−x/√2)               (Gelu is an op only from opset 20; erfc below)
 *   SiLU          x·σ(x)
 *   Softplus      x > 20 ? x : Softplus(x)       (PyTorch's threshold 20, β = 1)
 *   σ, ELU, SELU  composed too, where onnxruntime's single ops lose relative accuracy (below)
 * Each composition keeps float32's relative accuracy where ONNX's obvious form would cancel
 * (1 + erf(x) in GELU's left tail, eˣ − 1 near 0 in ELU/SELU, 1 − tanh in onnxruntime's σ).
 */
import { VERSION } from '../version.js';
import type { ActivationName } from '../activations.js';
import { SELU_ALPHA, SELU_SCALE } from '../activations.js';
import { describeSpec, type ModelSpec } from '../models.js';
import { ActivationModule, PReLU, Softmax } from '../nn/activation.js';
import { BatchNorm } from '../nn/batchnorm.js';
import { Conv2d } from '../nn/conv.js';
import { AdaptiveAvgPool2d, AvgPool2d, Flatten, MaxPool2d, Unflatten } from '../nn/pool.js';
import { BasicBlock, Residual } from '../nn/residual.js';
import { pair } from '../ops/conv.js';
import { AlphaDropout, Dropout } from '../nn/dropout.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { Sequential } from '../nn/sequential.js';
import { Tensor } from '../tensor.js';
import { noGrad } from '../autograd.js';
import type { ModelInfo } from './model.js';
import { modelProtoType, ONNX_ATTR, ONNX_DTYPE } from './onnx-schema.js';

export const ONNX_OPSET = 17;
export const ONNX_IR_VERSION = 8;

/** An attribute value: a float, an int, a list of ints, or a string. Ints are marked with int(). */
export type OnnxAttribute = { f: number } | { i: number } | { ints: number[] } | { floats: number[] } | { s: string };
export const float = (f: number): OnnxAttribute => ({ f });
export const int = (i: number): OnnxAttribute => ({ i });
export const ints = (v: number[]): OnnxAttribute => ({ ints: v });

interface NodeMessage {
  input: string[];
  output: string[];
  name: string;
  opType: string;
  attribute: Array<Record<string, unknown>>;
}
interface TensorMessage {
  dims: number[];
  dataType: number;
  name: string;
  rawData: Uint8Array;
}

/** Little-endian float32 bytes (ONNX raw_data is little-endian on every platform). */
function float32Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return out;
}

/** The graph under construction: unique value names, nodes in order, and constant tensors. */
export class OnnxGraph {
  readonly nodes: NodeMessage[] = [];
  readonly initializers: TensorMessage[] = [];
  private readonly used = new Set<string>();

  /** A value name not used yet, from a stem ('0.weight', 'relu', …). */
  fresh(stem: string): string {
    let name = stem;
    for (let k = 1; this.used.has(name); k++) name = `${stem}_${k}`;
    this.used.add(name);
    return name;
  }

  /** A float32 constant (an initializer); returns its name. */
  constant(stem: string, values: ArrayLike<number>, dims: number[]): string {
    const name = this.fresh(stem);
    const size = dims.reduce((a, b) => a * b, 1);
    if (size !== values.length) throw new Error(`ONNX export: constant "${stem}" has ${values.length} values for shape [${dims.join(', ')}]`);
    this.initializers.push({ name, dims: dims.slice(), dataType: ONNX_DTYPE.FLOAT, rawData: float32Bytes(values) });
    return name;
  }

  /** An int64 constant (shapes for Reshape); returns its name. */
  int64(stem: string, values: readonly number[]): string {
    const name = this.fresh(stem);
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.initializers.push({ name, dims: [values.length], dataType: ONNX_DTYPE.INT64, rawData: raw });
    return name;
  }

  /** A tensor's values as a constant of its shape. */
  tensor(stem: string, t: Tensor): string {
    return this.constant(stem, t.data, t.shape);
  }

  /**
   * Each shape-dependent layer's input shape ([1, C, H, W]), from one forward pass of a single
   * example (inputShapesOf): the graph's spatial sizes are fixed, only the batch is dynamic.
   */
  inputShapes = new Map<Module, readonly number[]>();

  private readonly scalars = new Map<number, string>();

  /** A float32 scalar constant (one initializer per value, shared by every node using it). */
  scalar(stem: string, v: number): string {
    let name = this.scalars.get(v);
    if (name === undefined) this.scalars.set(v, (name = this.constant(stem, [v], [])));
    return name;
  }

  /** One node with one output; returns the output's name. */
  node(opType: string, inputs: string[], attributes: Record<string, OnnxAttribute> = {}, stem = opType.toLowerCase()): string {
    return this.nodeTo(this.fresh(stem), opType, inputs, attributes);
  }

  /** One node writing the value `output` (a name reserved with fresh()); returns it. */
  nodeTo(output: string, opType: string, inputs: string[], attributes: Record<string, OnnxAttribute> = {}): string {
    this.nodes.push({
      input: inputs,
      output: [output],
      name: `${opType}_${this.nodes.length}`,
      opType,
      attribute: Object.entries(attributes).map(([name, a]) => {
        if ('f' in a) return { name, type: ONNX_ATTR.FLOAT, f: a.f };
        if ('i' in a) return { name, type: ONNX_ATTR.INT, i: a.i };
        if ('ints' in a) return { name, type: ONNX_ATTR.INTS, ints: a.ints };
        if ('floats' in a) return { name, type: ONNX_ATTR.FLOATS, floats: a.floats };
        return { name, type: ONNX_ATTR.STRING, s: new TextEncoder().encode(a.s) };
      }),
    });
    return output;
  }

  /** The nodes of one layer (through its ONNX_LAYERS rule); containers call this for their children. */
  layer(m: Module, x: string, key: string): string {
    const rule = ONNX_LAYERS.find((r) => m instanceof r.module);
    if (!rule) {
      throw new Error(`ONNX export: layer ${key} (${m.typeName}) has no ONNX form; exportable layers: ${ONNX_LAYERS.map((r) => r.name).join(', ')}`);
    }
    return rule.export(m, x, this, key);
  }
}

/** How one layer type becomes ONNX nodes. */
export interface OnnxLayerRule {
  /** For messages. */
  name: string;
  /** The module class (subclasses match too; the first matching rule wins). */
  module: abstract new (...args: never[]) => Module;
  /** The nodes computing the layer's output from the value named `x`; returns the output's name. `key` is its state-dict prefix ('3'). */
  export(m: Module, x: string, g: OnnxGraph, key: string): string;
}

/**
 * σ(x) = 1/(1 + e^(−x)), composed: onnxruntime's Sigmoid op loses relative accuracy for small
 * outputs (it returned 5.72e-6 for σ(−12.07) = 5.747e-6), which matters for probabilities;
 * the composition keeps float32's relative accuracy down to σ ≈ 1e-38.
 */
function sigmoid(x: string, g: OnnxGraph, stem = 'sigmoid'): string {
  const e = g.node('Exp', [g.node('Neg', [x])]);
  return g.node('Reciprocal', [g.node('Add', [e, g.scalar('one', 1)])], {}, stem);
}

/**
 * eˣ − 1 without the cancellation of Exp(x) − 1 near 0 (onnxruntime's Elu and Selu lose ~1e-5
 * relative there), by Kahan's identity expm1(x) = (u − 1)·x / log u with u = fl(eˣ) (u = 1:
 * x itself); below x = −1, u − 1 does not cancel and is used directly.
 */
function expm1(x: string, g: OnnxGraph): string {
  const one = g.scalar('one', 1);
  const u = g.node('Exp', [x]);
  const um1 = g.node('Sub', [u, one]);
  const kahan = g.node('Div', [g.node('Mul', [um1, x]), g.node('Log', [u])]);
  const nearZero = g.node('Where', [g.node('Equal', [u, one]), x, kahan]);
  return g.node('Where', [g.node('Less', [x, g.scalar('minus_one', -1)]), um1, nearZero], {}, 'expm1');
}

/** Numerical Recipes' erfcc coefficients (mathx.ts erfc), c₀ first. */
const ERFC_COEFFICIENTS = [1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];

/**
 * erfc(w) by the Chebyshev fit mathx.ts uses (relative error < 1.2e-7 everywhere), composed:
 * ONNX has only Erf, and 1 − erf(w) cancels for large w (GELU's left tail).
 *   t = 1/(1 + z/2), z = |w|;  r = t·exp(−z² − 1.26551223 + t·(c₀ + t·(c₁ + …)));  erfc = w ≥ 0 ? r : 2 − r
 */
function erfc(w: string, g: OnnxGraph): string {
  const z = g.node('Abs', [w]);
  const t = g.node('Reciprocal', [g.node('Add', [g.node('Mul', [z, g.scalar('half', 0.5)]), g.scalar('one', 1)])]);
  let p = g.scalar('erfc_c8', ERFC_COEFFICIENTS[8]);
  for (let k = 7; k >= 0; k--) p = g.node('Add', [g.node('Mul', [t, p]), g.scalar(`erfc_c${k}`, ERFC_COEFFICIENTS[k])]);
  const arg = g.node('Add', [g.node('Sub', [g.node('Neg', [g.node('Mul', [z, z])]), g.scalar('erfc_c', 1.26551223)]), g.node('Mul', [t, p])]);
  const r = g.node('Mul', [t, g.node('Exp', [arg])]);
  return g.node('Where', [g.node('GreaterOrEqual', [w, g.scalar('zero', 0)]), r, g.node('Sub', [g.scalar('two', 2), r])], {}, 'erfc');
}

/** ELU: x for x > 0, α·(eˣ − 1) otherwise (NaN stays NaN). */
function elu(x: string, g: OnnxGraph, alpha: number): string {
  const neg = g.node('Mul', [expm1(x, g), g.scalar('alpha', alpha)]);
  return g.node('Where', [g.node('Greater', [x, g.scalar('zero', 0)]), x, neg], {}, 'elu');
}

/** How each activation of the registry becomes ONNX nodes (param: slope, α; m: the module). */
export const ONNX_ACTIVATIONS: Readonly<Record<ActivationName, (x: string, g: OnnxGraph, param: number, m: ActivationModule, key: string) => string>> = {
  linear: (x) => x,
  sigmoid: (x, g) => sigmoid(x, g),
  tanh: (x, g) => g.node('Tanh', [x]),
  relu: (x, g) => g.node('Relu', [x]),
  leakyRelu: (x, g, a) => g.node('LeakyRelu', [x], { alpha: float(a) }),
  // The learned slope, shape [1] or [C] for channel dimension 1: ONNX broadcasts from the last
  // dimension, so on [N, C, H, W] (or any rank > 2) a [C] slope becomes [C, 1, 1].
  prelu: (x, g, _a, m, key) => {
    const w = (m as PReLU).weight;
    const rank = g.inputShapes.get(m)?.length ?? 2;
    const dims = w.size > 1 && rank > 2 ? [w.size, ...new Array<number>(rank - 2).fill(1)] : w.shape;
    return g.node('PRelu', [x, g.constant(`${key}.weight`, w.data, dims)]);
  },
  elu: (x, g, a) => elu(x, g, a),
  selu: (x, g) => g.node('Mul', [elu(x, g, SELU_ALPHA), g.scalar('selu_scale', SELU_SCALE)], {}, 'selu'),
  softmax: (x, g, _p, m) => g.node('Softmax', [x], { axis: int((m as Softmax)._dim) }),
  // x·Φ(x) = ½·x·erfc(−x/√2), as the registry computes it.
  gelu: (x, g) => g.node('Mul', [g.node('Mul', [x, g.scalar('half', 0.5)]), erfc(g.node('Mul', [x, g.scalar('minus_inv_sqrt2', -Math.SQRT1_2)]), g)], {}, 'gelu'),
  silu: (x, g) => g.node('Mul', [x, sigmoid(x, g)], {}, 'silu'),
  // PyTorch's Softplus(β = 1, threshold = 20): the identity above 20.
  softplus: (x, g) => g.node('Where', [g.node('Greater', [x, g.scalar('threshold', 20)]), x, g.node('Softplus', [x])], {}, 'softplus'),
};

export const ONNX_LAYERS: OnnxLayerRule[] = [
  {
    name: 'Sequential',
    module: Sequential,
    export: (m, x, g, key) => (m as Sequential).layers.reduce((v, child, i) => g.layer(child, v, key ? `${key}.${i}` : String(i)), x),
  },
  {
    name: 'Linear',
    module: Linear,
    // y = x·Wᵀ + b: Gemm with transB (W stays [out, in] as stored).
    export(m, x, g, key) {
      const l = m as Linear;
      const inputs = [x, g.tensor(`${key}.weight`, l.weight)];
      if (l.bias) inputs.push(g.tensor(`${key}.bias`, l.bias));
      return g.node('Gemm', inputs, { transB: int(1) }, 'linear');
    },
  },
  {
    name: 'BatchNorm1d/BatchNorm2d',
    module: BatchNorm,
    // Eval mode, per channel (dimension 1): (x − running_mean)/√(running_var + ε)·γ + β.
    export(m, x, g, key) {
      const bn = m as BatchNorm;
      const c = bn.numFeatures;
      if (!bn.runningMean || !bn.runningVar) throw new Error(`ONNX export: layer ${key} (${bn.typeName}) tracks no running statistics, so it has no eval-mode form`);
      const gamma = bn.weight ? g.tensor(`${key}.weight`, bn.weight) : g.constant(`${key}.weight`, new Float32Array(c).fill(1), [c]);
      const beta = bn.bias ? g.tensor(`${key}.bias`, bn.bias) : g.constant(`${key}.bias`, new Float32Array(c), [c]);
      return g.node('BatchNormalization', [x, gamma, beta, g.tensor(`${key}.running_mean`, bn.runningMean), g.tensor(`${key}.running_var`, bn.runningVar)], { epsilon: float(bn.eps) }, 'batchnorm');
    },
  },
  {
    name: 'Conv2d',
    module: Conv2d,
    // Conv with W [out, in/groups, kH, kW] as stored; PyTorch's 'same' puts the odd pixel of
    // padding at the end (bottom/right), which ONNX's explicit pads express.
    export(m, x, g, key) {
      const c = m as Conv2d;
      const [kh, kw] = c.kernelSize;
      const [dh, dw] = c.dilation;
      let pads: number[];
      if (c.padding === 'valid') pads = [0, 0, 0, 0];
      else if (c.padding === 'same') {
        const th = dh * (kh - 1);
        const tw = dw * (kw - 1);
        pads = [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)];
      } else pads = [c.padding[0], c.padding[1], c.padding[0], c.padding[1]];
      const inputs = [x, g.tensor(`${key}.weight`, c.weight)];
      if (c.bias) inputs.push(g.tensor(`${key}.bias`, c.bias));
      return g.node('Conv', inputs, { kernel_shape: ints([kh, kw]), strides: ints([...c.stride]), dilations: ints([dh, dw]), pads: ints(pads), group: int(c.groups) }, 'conv');
    },
  },
  {
    name: 'MaxPool2d',
    module: MaxPool2d,
    // Padding never wins a max (PyTorch pads with −∞; ONNX ignores pads): the same.
    export(m, x, g) {
      const p = m as MaxPool2d;
      if (p.ceilMode) throw new Error('ONNX export: MaxPool2d with ceilMode is not exported yet');
      const k = pair('MaxPool2d', 'kernelSize', p.kernelSize, 1);
      const st = pair('MaxPool2d', 'stride', p.stride ?? p.kernelSize, 1);
      const pd = pair('MaxPool2d', 'padding', p.padding, 0);
      const dl = pair('MaxPool2d', 'dilation', p.dilation, 1);
      return g.node('MaxPool', [x], { kernel_shape: ints(k), strides: ints(st), pads: ints([pd[0], pd[1], pd[0], pd[1]]), dilations: ints(dl) }, 'maxpool');
    },
  },
  {
    name: 'AvgPool2d',
    module: AvgPool2d,
    // PyTorch's default count_include_pad = True: padded zeros count in the mean.
    export(m, x, g) {
      const p = m as AvgPool2d;
      if (p.ceilMode || !p.countIncludePad || p.divisorOverride !== null) throw new Error('ONNX export: AvgPool2d with ceilMode, countIncludePad = false or divisorOverride is not exported yet');
      const k = pair('AvgPool2d', 'kernelSize', p.kernelSize, 1);
      const st = pair('AvgPool2d', 'stride', p.stride ?? p.kernelSize, 1);
      const pd = pair('AvgPool2d', 'padding', p.padding, 0);
      return g.node('AveragePool', [x], { kernel_shape: ints(k), strides: ints(st), pads: ints([pd[0], pd[1], pd[0], pd[1]]), count_include_pad: int(1) }, 'avgpool');
    },
  },
  {
    name: 'AdaptiveAvgPool2d',
    module: AdaptiveAvgPool2d,
    // Output cell (i, j) averages rows ⌊iH/oh⌋ … ⌈(i+1)H/oh⌉ − 1 and likewise columns (PyTorch's
    // windows). 1×1 is GlobalAveragePool; when oh divides H and ow divides W the windows tile
    // the input, an AveragePool; otherwise each cell is a Slice + ReduceMean, concatenated. The
    // input's H and W are fixed in the graph (only the batch is dynamic): exportOnnx finds them.
    export(m, x, g, key) {
      const o = (m as AdaptiveAvgPool2d).outputSize;
      const shape = g.inputShapes.get(m);
      if (typeof o === 'number' && o === 1) return g.node('GlobalAveragePool', [x], {}, 'gap');
      if (!shape) throw new Error(`ONNX export: layer ${key} (AdaptiveAvgPool2d, output size ${JSON.stringify(o)}) was not reached by a forward pass, so its input size is unknown`);
      const [, , h, w] = shape;
      const [oh, ow] = typeof o === 'number' ? [o, o] : [o[0] ?? h, o[1] ?? w];
      if (oh === 1 && ow === 1) return g.node('GlobalAveragePool', [x], {}, 'gap');
      if (h % oh === 0 && w % ow === 0) {
        const k = [h / oh, w / ow];
        return g.node('AveragePool', [x], { kernel_shape: ints(k), strides: ints(k) }, 'adaptive_avgpool');
      }
      const axes = g.int64(`${key}.axes`, [2, 3]);
      const rows: string[] = [];
      for (let i = 0; i < oh; i++) {
        const cells: string[] = [];
        for (let j = 0; j < ow; j++) {
          const starts = g.int64(`${key}.starts`, [Math.floor((i * h) / oh), Math.floor((j * w) / ow)]);
          const ends = g.int64(`${key}.ends`, [Math.ceil(((i + 1) * h) / oh), Math.ceil(((j + 1) * w) / ow)]);
          cells.push(g.node('ReduceMean', [g.node('Slice', [x, starts, ends, axes])], { axes: ints([2, 3]), keepdims: int(1) }));
        }
        rows.push(cells.length === 1 ? cells[0] : g.node('Concat', cells, { axis: int(3) }));
      }
      return rows.length === 1 ? rows[0] : g.node('Concat', rows, { axis: int(2) }, 'adaptive_avgpool');
    },
  },
  {
    name: 'Flatten',
    module: Flatten,
    export(m, x, g, key) {
      const f = m as Flatten;
      if (f.startDim !== 1 || f.endDim !== -1) throw new Error(`ONNX export: layer ${key} (Flatten) flattens dimensions ${f.startDim}..${f.endDim}; only 1..−1 (to [batch, features]) has an ONNX form here`);
      return g.node('Flatten', [x], { axis: int(1) }, 'flatten');
    },
  },
  {
    name: 'Unflatten',
    module: Unflatten,
    // [batch, C·H·W] → [batch, C, H, W]: Reshape with the batch left to ONNX (−1).
    export(m, x, g, key) {
      const u = m as Unflatten;
      if (u.dim !== 1) throw new Error(`ONNX export: layer ${key} (Unflatten) unflattens dimension ${u.dim}; only dimension 1 has an ONNX form here`);
      return g.node('Reshape', [x, g.int64(`${key}.shape`, [-1, ...u.sizes])], {}, 'unflatten');
    },
  },
  {
    name: 'BasicBlock',
    module: BasicBlock,
    // y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).
    export(m, x, g, key) {
      const b = m as BasicBlock;
      const k = (name: string) => (key ? `${key}.${name}` : name);
      const identity = b.downsample ? g.layer(b.downsample, x, k('downsample')) : x;
      const h = g.node('Relu', [g.layer(b.bn1, g.layer(b.conv1, x, k('conv1')), k('bn1'))]);
      const f = g.layer(b.bn2, g.layer(b.conv2, h, k('conv2')), k('bn2'));
      return g.node('Relu', [g.node('Add', [f, identity])], {}, 'block');
    },
  },
  {
    name: 'Residual',
    module: Residual,
    export(m, x, g, key) {
      const r = m as Residual;
      const k = (name: string) => (key ? `${key}.${name}` : name);
      return g.node('Add', [g.layer(r.body, x, k('body')), r.shortcut ? g.layer(r.shortcut, x, k('shortcut')) : x], {}, 'residual');
    },
  },
  { name: 'Dropout', module: Dropout, export: (_m, x) => x },
  { name: 'AlphaDropout', module: AlphaDropout, export: (_m, x) => x },
  {
    name: 'activations',
    module: ActivationModule,
    export(m, x, g, key) {
      const a = m as ActivationModule;
      if (a.extraOptions !== null) throw new Error(`exportOnnx: ${key} (${a.typeName}) has ${a.extraOptions}; the export writes ${a.typeName} with PyTorch's defaults only`);
      return ONNX_ACTIVATIONS[a.activation](x, g, a.param, a, key);
    },
  },
];

export interface OnnxExportOptions {
  /** Graph name and doc string source (e.g. the model file's path). */
  name?: string;
  /** Extra metadata_props entries. */
  metadata?: Record<string, string>;
}

/**
 * The input shape of every layer whose ONNX form depends on it (AdaptiveAvgPool2d: the window
 * sizes; PReLU with a slope per channel: the rank), from an eval-mode forward pass of one zero
 * example: each such layer's forward is shadowed for the pass to note its input's shape. The
 * model's modes are restored.
 */
function inputShapesOf(model: Module, inputs: number): Map<Module, readonly number[]> {
  const shapes = new Map<Module, readonly number[]>();
  const watched = model.modules().filter((m) => m instanceof AdaptiveAvgPool2d || (m instanceof PReLU && m.weight.size > 1));
  if (watched.length === 0) return shapes;
  const modes = model.modules().map((m) => [m, m.training] as const);
  for (const p of watched) {
    const forward = Object.getPrototypeOf(p).forward as (x: Tensor) => Tensor;
    p.forward = (x: Tensor) => {
      shapes.set(p, x.shape.slice());
      return forward.call(p, x);
    };
  }
  try {
    model.eval();
    noGrad(() => model.forward(new Tensor(new Float32Array(inputs), [1, inputs])));
  } finally {
    for (const p of watched) delete (p as { forward?: unknown }).forward;
    for (const [m, t] of modes) m.training = t;
  }
  return shapes;
}

/**
 * The ONNX model file (bytes) of a model and its info (spec, and the data info whose scaler and
 * class names predict uses).
 */
export function exportOnnx(model: Module, info: ModelInfo, options: OnnxExportOptions = {}): Uint8Array {
  if (info === null || typeof info !== 'object' || info.spec === undefined) {
    throw new Error('exportOnnx: info must be {spec, data?} as loadModel returns it (or {spec: specFromModel(model)})');
  }
  const spec: ModelSpec = info.spec;
  const g = new OnnxGraph();
  g.inputShapes = inputShapesOf(model, spec.inputs);
  // The graph's interface names, reserved first so no inner value takes them.
  const input = g.fresh('input');
  const first = g.fresh(spec.output === 'linear' ? 'values' : 'probabilities');
  const logits = g.fresh('logits');
  let x = input;
  const scaler = info.data?.scaler;
  if (scaler) {
    if (scaler.offset.length !== spec.inputs || scaler.scale.length !== spec.inputs) throw new Error(`ONNX export: the scaler has ${scaler.offset.length} features, the model ${spec.inputs}`);
    x = g.node('Sub', [x, g.constant('scaler.offset', scaler.offset, [spec.inputs])], {}, 'centred');
    x = g.node('Div', [x, g.constant('scaler.scale', scaler.scale, [spec.inputs])], {}, 'scaled');
  }
  g.nodeTo(logits, 'Identity', [g.layer(model, x, '')]);
  // The output non-linearity predict applies (the loss applies it in training).
  if (spec.output === 'softmax') g.nodeTo(first, 'Softmax', [logits], { axis: int(-1) });
  else g.nodeTo(first, 'Identity', [spec.output === 'sigmoid' ? sigmoid(logits, g) : logits]);
  const valueInfo = (name: string, features: number) => ({
    name,
    type: { tensorType: { elemType: ONNX_DTYPE.FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: features }] } } },
  });
  const metadata: Record<string, string> = { 'gradlab.spec': JSON.stringify(spec), ...(options.metadata ?? {}) };
  if (info.data?.classNames) metadata['gradlab.classNames'] = JSON.stringify(info.data.classNames);
  if (info.data?.featureNames) metadata['gradlab.featureNames'] = JSON.stringify(info.data.featureNames);
  const Model = modelProtoType();
  const message = Model.fromObject({
    irVersion: ONNX_IR_VERSION,
    producerName: 'gradlab',
    producerVersion: VERSION,
    modelVersion: 1,
    docString: `${describeSpec(spec)}${scaler ? ` (inputs scaled: ${scaler.method})` : ''}`,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: options.name ?? 'gradlab',
      node: g.nodes,
      initializer: g.initializers,
      input: [valueInfo(input, spec.inputs)],
      output: [valueInfo(first, spec.outputs), valueInfo(logits, spec.outputs)],
    },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return Model.encode(message).finish();
}
