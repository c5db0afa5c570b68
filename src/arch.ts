/**
 * Layer-list architectures: the registry of layer types a model description may use
 * (convolutions, pooling, residual blocks, BatchNorm, activations, dropout, linear), each type
 * saying in one place how it is written, checked, built, what state-dict entries and output
 * shape it has, how it is described and how it is exported to PyTorch. models.ts stores a
 * list of these in ModelSpec.arch; the CLI's `--arch` parses the compact form.
 *
 * Compact grammar (also in `gradlab train --help`):
 *   arch   := layer ("," layer)*
 *   layer  := name | name "(" arg ("," arg)* ")"
 *   arg    := value | key "=" value          (positional arguments first, in the type's order)
 *   value  := integer | number | true | false | same | valid
 * e.g. "conv(16,3,padding=1),bn,relu,maxpool(2),residual(32,stride=2),adaptiveavgpool(1),flatten,linear(10)".
 * The JSON form is the same list as objects: {"type": "conv", "out": 16, "kernel": 3, "padding": 1}.
 *
 * Shapes are per example (without N): [C, H, W] for images, [F] for features.
 */
import { ACTIVATION_NAMES, getActivation, type ActivationName } from './activations.js';
import type { InitName } from './init.js';
import { ActivationModule, activationModule } from './nn/activation.js';
import { BatchNorm1d, BatchNorm2d } from './nn/batchnorm.js';
import { Conv2d } from './nn/conv.js';
import { Dropout } from './nn/dropout.js';
import { Linear } from './nn/linear.js';
import type { Module } from './nn/module.js';
import { AdaptiveAvgPool2d, AvgPool2d, Flatten, MaxPool2d } from './nn/pool.js';
import { BasicBlock } from './nn/residual.js';
import { window2d } from './ops/conv.js';
import { closestName } from './options.js';

/** One layer: its type and its arguments (numbers, booleans, 'same'/'valid'). */
export interface LayerSpec {
  type: string;
  [arg: string]: string | number | boolean;
}

/** A state-dict entry relative to the layer ('weight', 'bn1.running_mean', …). */
export interface LayerState {
  key: string;
  shape: number[];
  int64?: boolean;
}

type ArgKind = 'posInt' | 'nonNegInt' | 'padding' | 'bool' | 'prob' | 'eps';

interface LayerType {
  summary: string;
  /** Arguments in positional order, with their kind. */
  args: Record<string, ArgKind>;
  required: string[];
  /** Output shape for an input shape; throws naming the problem. */
  outShape(l: LayerSpec, inShape: number[]): number[];
  build(l: LayerSpec, inShape: number[], init: InitName): Module;
  state(l: LayerSpec, inShape: number[]): LayerState[];
  /** The torch.nn expression of this layer. */
  torch(l: LayerSpec, inShape: number[]): string;
  /**
   * The inverse of build: the layer a module of this type is, with only non-default arguments
   * (undefined for a module of another type); throws naming what the layer list cannot say
   * (a rectangular kernel, a pooling dilation).
   */
  read(m: Module): LayerSpec | undefined;
}

/** One side of a square size ([3, 3] → 3); throws naming the module and argument otherwise. */
function square(m: Module, arg: string, v: number | readonly (number | null)[]): number {
  if (typeof v === 'number') return v;
  if (v.length === 2 && v[0] === v[1] && typeof v[0] === 'number') return v[0];
  throw new Error(`${m.typeName}'s ${arg} ${JSON.stringify(v)} is not square; a layer list has square ${arg}s`);
}

/** The entries of `args` that differ from their defaults. */
function nonDefault(l: LayerSpec, defaults: Record<string, string | number | boolean>): LayerSpec {
  for (const [k, d] of Object.entries(defaults)) if (l[k] === d) delete l[k];
  return l;
}

const num = (l: LayerSpec, k: string, d: number): number => (l[k] === undefined ? d : (l[k] as number));

function needImage(type: string, inShape: number[]): [number, number, number] {
  if (inShape.length !== 3) throw new Error(`${type} needs images [C, H, W] as input, got ${JSON.stringify(inShape)} (put it before flatten)`);
  return inShape as [number, number, number];
}

function bnState(prefix: string, c: number): LayerState[] {
  return [
    { key: `${prefix}weight`, shape: [c] },
    { key: `${prefix}bias`, shape: [c] },
    { key: `${prefix}running_mean`, shape: [c] },
    { key: `${prefix}running_var`, shape: [c] },
    { key: `${prefix}num_batches_tracked`, shape: [], int64: true },
  ];
}

function poolOut(type: string, l: LayerSpec, inShape: number[]): number[] {
  const [c, h, w] = needImage(type, inShape);
  const k = l.kernel as number;
  const s = num(l, 'stride', k);
  const p = num(l, 'padding', 0);
  if (2 * p > k) throw new Error(`${type}: padding ${p} must be at most half the kernel size ${k}`);
  const g = window2d(type, [1, c, h, w], [k, k], [s, s], [p, p], [p, p], [1, 1]);
  return [c, g.oh, g.ow];
}

function convPadding(l: LayerSpec): number | 'same' | 'valid' {
  const p = l.padding;
  return p === 'same' || p === 'valid' ? p : ((p as number | undefined) ?? 0);
}

const pyPadding = (p: number | 'same' | 'valid') => (typeof p === 'string' ? `'${p}'` : String(p));

export const LAYER_TYPES: Readonly<Record<string, LayerType>> = {
  conv: {
    summary: 'conv(out, kernel, stride=1, padding=0|same|valid, dilation=1, groups=1, bias=true): Conv2d',
    args: { out: 'posInt', kernel: 'posInt', stride: 'posInt', padding: 'padding', dilation: 'posInt', groups: 'posInt', bias: 'bool' },
    required: ['out', 'kernel'],
    outShape(l, inShape) {
      const [c, h, w] = needImage('conv', inShape);
      const groups = num(l, 'groups', 1);
      if (c % groups !== 0 || (l.out as number) % groups !== 0) throw new Error(`conv: in channels ${c} and out channels ${l.out} must be divisible by groups ${groups}`);
      const k = l.kernel as number;
      const d = num(l, 'dilation', 1);
      const s = num(l, 'stride', 1);
      const p = convPadding(l);
      if (p === 'same') {
        if (s !== 1) throw new Error(`conv: padding 'same' needs stride 1, got ${s}`);
        return [l.out as number, h, w];
      }
      const pp = p === 'valid' ? 0 : p;
      const g = window2d('conv', [1, c, h, w], [k, k], [s, s], [pp, pp], [pp, pp], [d, d]);
      return [l.out as number, g.oh, g.ow];
    },
    build(l, inShape, init) {
      return new Conv2d(inShape[0], l.out as number, l.kernel as number, {
        stride: num(l, 'stride', 1),
        padding: convPadding(l),
        dilation: num(l, 'dilation', 1),
        groups: num(l, 'groups', 1),
        bias: l.bias !== false,
        init,
      });
    },
    state(l, inShape) {
      const out = l.out as number;
      const k = l.kernel as number;
      const st: LayerState[] = [{ key: 'weight', shape: [out, inShape[0] / num(l, 'groups', 1), k, k] }];
      if (l.bias !== false) st.push({ key: 'bias', shape: [out] });
      return st;
    },
    torch(l, inShape) {
      const p = convPadding(l);
      return `nn.Conv2d(${inShape[0]}, ${l.out}, ${l.kernel}, stride=${num(l, 'stride', 1)}, padding=${pyPadding(p)}, dilation=${num(l, 'dilation', 1)}, groups=${num(l, 'groups', 1)}, bias=${l.bias !== false ? 'True' : 'False'})`;
    },
    read(m) {
      if (!(m instanceof Conv2d)) return undefined;
      const padding = typeof m.padding === 'string' ? m.padding : square(m, 'padding', m.padding);
      return nonDefault({ type: 'conv', out: m.outChannels, kernel: square(m, 'kernel size', m.kernelSize), stride: square(m, 'stride', m.stride), padding, dilation: square(m, 'dilation', m.dilation), groups: m.groups, bias: m.bias !== null }, { stride: 1, padding: 0, dilation: 1, groups: 1, bias: true });
    },
  },
  bn: {
    summary: "bn(eps=1e-5, momentum=0.1): BatchNorm2d on images, BatchNorm1d on features (PyTorch's defaults; momentum weighs the new batch)",
    args: { eps: 'eps', momentum: 'prob' },
    required: [],
    outShape: (_l, inShape) => inShape,
    build(l, inShape) {
      const options = { eps: num(l, 'eps', 1e-5), momentum: num(l, 'momentum', 0.1) };
      return inShape.length === 3 ? new BatchNorm2d(inShape[0], options) : new BatchNorm1d(inShape[0], options);
    },
    state: (_l, inShape) => bnState('', inShape[0]),
    torch: (l, inShape) => `nn.BatchNorm${inShape.length === 3 ? '2' : '1'}d(${inShape[0]}, eps=${l.eps === undefined ? '1e-05' : l.eps}, momentum=${num(l, 'momentum', 0.1)})`,
    read(m) {
      if (!(m instanceof BatchNorm1d || m instanceof BatchNorm2d)) return undefined;
      if (m.momentum === null) throw new Error('momentum null (a cumulative average) has no layer-list form');
      return nonDefault({ type: 'bn', eps: m.eps, momentum: m.momentum }, { eps: 1e-5, momentum: 0.1 });
    },
  },
  maxpool: {
    summary: 'maxpool(kernel, stride=kernel, padding=0): MaxPool2d',
    args: { kernel: 'posInt', stride: 'posInt', padding: 'nonNegInt' },
    required: ['kernel'],
    outShape: (l, inShape) => poolOut('maxpool', l, inShape),
    build: (l) => new MaxPool2d(l.kernel as number, num(l, 'stride', l.kernel as number), num(l, 'padding', 0)),
    state: () => [],
    torch: (l) => `nn.MaxPool2d(${l.kernel}, stride=${num(l, 'stride', l.kernel as number)}, padding=${num(l, 'padding', 0)})`,
    read(m) {
      if (!(m instanceof MaxPool2d)) return undefined;
      if (square(m, 'dilation', typeof m.dilation === 'number' ? m.dilation : [...m.dilation]) !== 1) throw new Error(`MaxPool2d has dilation ${JSON.stringify(m.dilation)}; a layer list's maxpool has none`);
      if (m.ceilMode) throw new Error(`MaxPool2d has ceilMode; a layer list's maxpool has none`);
      const kernel = square(m, 'kernel size', m.kernelSize);
      return nonDefault({ type: 'maxpool', kernel, stride: m.stride === null ? kernel : square(m, 'stride', m.stride), padding: square(m, 'padding', m.padding) }, { stride: kernel, padding: 0 });
    },
  },
  avgpool: {
    summary: 'avgpool(kernel, stride=kernel, padding=0): AvgPool2d (padding counted)',
    args: { kernel: 'posInt', stride: 'posInt', padding: 'nonNegInt' },
    required: ['kernel'],
    outShape: (l, inShape) => poolOut('avgpool', l, inShape),
    build: (l) => new AvgPool2d(l.kernel as number, num(l, 'stride', l.kernel as number), num(l, 'padding', 0)),
    state: () => [],
    torch: (l) => `nn.AvgPool2d(${l.kernel}, stride=${num(l, 'stride', l.kernel as number)}, padding=${num(l, 'padding', 0)})`,
    read(m) {
      if (!(m instanceof AvgPool2d)) return undefined;
      if (m.ceilMode || !m.countIncludePad || m.divisorOverride !== null) throw new Error(`AvgPool2d has ceilMode, countIncludePad = false or a divisorOverride; a layer list's avgpool has none`);
      const kernel = square(m, 'kernel size', m.kernelSize);
      return nonDefault({ type: 'avgpool', kernel, stride: m.stride === null ? kernel : square(m, 'stride', m.stride), padding: square(m, 'padding', m.padding) }, { stride: kernel, padding: 0 });
    },
  },
  adaptiveavgpool: {
    summary: 'adaptiveavgpool(size): AdaptiveAvgPool2d to size×size',
    args: { size: 'posInt' },
    required: ['size'],
    outShape(l, inShape) {
      const [c] = needImage('adaptiveavgpool', inShape);
      return [c, l.size as number, l.size as number];
    },
    build: (l) => new AdaptiveAvgPool2d(l.size as number),
    state: () => [],
    torch: (l) => `nn.AdaptiveAvgPool2d(${l.size})`,
    read: (m) => (m instanceof AdaptiveAvgPool2d ? { type: 'adaptiveavgpool', size: square(m, 'output size', m.outputSize) } : undefined),
  },
  flatten: {
    summary: 'flatten: Flatten (images → features)',
    args: {},
    required: [],
    outShape: (_l, inShape) => [inShape.reduce((a, b) => a * b, 1)],
    build: () => new Flatten(),
    state: () => [],
    torch: () => 'nn.Flatten()',
    read: (m) => (m instanceof Flatten ? { type: 'flatten' } : undefined),
  },
  linear: {
    summary: 'linear(out, bias=true): Linear (on features; flatten images first)',
    args: { out: 'posInt', bias: 'bool' },
    required: ['out'],
    outShape(l, inShape) {
      if (inShape.length !== 1) throw new Error(`linear needs features as input, got images ${JSON.stringify(inShape)}: put flatten before it`);
      return [l.out as number];
    },
    build: (l, inShape, init) => new Linear(inShape[0], l.out as number, { bias: l.bias !== false, init }),
    state: (l, inShape) => [{ key: 'weight', shape: [l.out as number, inShape[0]] }, ...(l.bias !== false ? [{ key: 'bias', shape: [l.out as number] }] : [])],
    torch: (l, inShape) => `nn.Linear(${inShape[0]}, ${l.out}, bias=${l.bias !== false ? 'True' : 'False'})`,
    read: (m) => (m instanceof Linear ? nonDefault({ type: 'linear', out: m.outFeatures, bias: m.bias !== null }, { bias: true }) : undefined),
  },
  dropout: {
    summary: 'dropout(p): Dropout',
    args: { p: 'prob' },
    required: ['p'],
    outShape: (_l, inShape) => inShape,
    build: (l) => new Dropout(l.p as number),
    state: () => [],
    torch: (l) => `nn.Dropout(p=${l.p})`,
    read: (m) => (m instanceof Dropout ? { type: 'dropout', p: m.p } : undefined),
  },
  residual: {
    summary: 'residual(out, stride=1): ResNet basic block, x + F(x) with a 1×1 conv + BN projection when the shape changes',
    args: { out: 'posInt', stride: 'posInt' },
    required: ['out'],
    outShape(l, inShape) {
      const [c, h, w] = needImage('residual', inShape);
      const s = num(l, 'stride', 1);
      const g = window2d('residual', [1, c, h, w], [3, 3], [s, s], [1, 1], [1, 1], [1, 1]);
      return [l.out as number, g.oh, g.ow];
    },
    build: (l, inShape) => new BasicBlock(inShape[0], l.out as number, num(l, 'stride', 1)),
    state(l, inShape) {
      const c = inShape[0];
      const o = l.out as number;
      const s = num(l, 'stride', 1);
      const st: LayerState[] = [{ key: 'conv1.weight', shape: [o, c, 3, 3] }, ...bnState('bn1.', o), { key: 'conv2.weight', shape: [o, o, 3, 3] }, ...bnState('bn2.', o)];
      if (s !== 1 || c !== o) st.push({ key: 'downsample.0.weight', shape: [o, c, 1, 1] }, ...bnState('downsample.1.', o));
      return st;
    },
    torch: (l, inShape) => `BasicBlock(${inShape[0]}, ${l.out}, stride=${num(l, 'stride', 1)})`,
    read: (m) => (m instanceof BasicBlock ? nonDefault({ type: 'residual', out: m.outChannels, stride: m.stride }, { stride: 1 }) : undefined),
  },
};

/** An activation as a layer: its registry name (relu, tanh, …), no arguments. */
const isActivation = (t: string): t is ActivationName => (ACTIVATION_NAMES as readonly string[]).includes(t) && t !== 'softmax';

/** The names a layer may have, for messages and --help. */
export function layerTypeNames(): string[] {
  return [...new Set([...Object.keys(LAYER_TYPES), ...ACTIVATION_NAMES.filter((a) => a !== 'softmax')])];
}

/**
 * " (did you mean 'flatten'?)" for a misspelt layer type, PyTorch's class names included
 * (Conv2d → conv, BatchNorm2d → bn, MaxPool2d → maxpool, ReLU → relu); '' when nothing is near.
 */
function layerHint(type: string): string {
  // linear128, conv32: a size written into the name instead of in parentheses.
  const sized = /^([A-Za-z]+?)(\d+)$/.exec(type);
  if (sized && !/[123]d$/i.test(type) && Object.keys(LAYER_TYPES[sized[1]]?.args ?? {}).length > 0) return ` (arguments go in parentheses: ${sized[1]}(${sized[2]}${LAYER_TYPES[sized[1]]?.required?.length === 2 ? ', …' : ''}))`;
  const bare = type.replace(/[123]d$/i, '');
  const near = /^batch_?norm$/i.test(bare) ? 'bn' : closestName(bare, layerTypeNames());
  return near === undefined ? '' : ` (did you mean '${near}'?)`;
}

/** Whether a layer needs images ([C, H, W]) as input. */
export function needsImages(l: LayerSpec): boolean {
  return ['conv', 'maxpool', 'avgpool', 'adaptiveavgpool', 'residual'].includes(l.type);
}

function checkArg(where: string, type: string, key: string, kind: ArgKind, v: unknown): void {
  const ok =
    kind === 'posInt'
      ? Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1 << 16
      : kind === 'nonNegInt'
        ? Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 1 << 16
        : kind === 'padding'
          ? v === 'same' || v === 'valid' || (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 1 << 16)
          : kind === 'bool'
            ? typeof v === 'boolean'
            : kind === 'eps'
              ? typeof v === 'number' && v > 0 && v < 1
              : typeof v === 'number' && v >= 0 && v < 1;
  if (!ok) {
    const want = { posInt: `a positive integer ≤ ${1 << 16}`, nonNegInt: `an integer in [0, ${1 << 16}]`, padding: `an integer in [0, ${1 << 16}], 'same' or 'valid'`, bool: 'true or false', prob: 'a number in [0, 1)', eps: 'a number in (0, 1)' }[kind];
    // JSON.stringify shows NaN and ±Infinity (1e400 in a JSON file) as null: numbers as they are.
    throw new Error(`${where}: ${type}'s ${key} must be ${want}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
  }
}

/** Check one layer's type and arguments (from JSON or the compact form); returns a clean copy. */
export function validateLayer(value: unknown, where: string): LayerSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: must be an object {type, …arguments}, got ${JSON.stringify(value)}`);
  const v = value as Record<string, unknown>;
  const type = v.type;
  if (typeof type !== 'string') throw new Error(`${where}: type must be a string, one of ${layerTypeNames().join(', ')}`);
  const t = LAYER_TYPES[type];
  if (!t && !isActivation(type)) throw new Error(`${where}: unknown layer type ${JSON.stringify(type)}${layerHint(type)}; one of ${layerTypeNames().join(', ')}`);
  const args = t?.args ?? {};
  const out: LayerSpec = { type };
  for (const [k, a] of Object.entries(v)) {
    if (k === 'type') continue;
    if (!(k in args)) throw new Error(`${where}: ${type} has no argument ${JSON.stringify(k)}${Object.keys(args).length ? ` (it takes ${Object.keys(args).join(', ')})` : ' (it takes none)'}`);
    checkArg(where, type, k, args[k], a);
    out[k] = a as string | number | boolean;
  }
  for (const r of t?.required ?? []) if (!(r in out)) throw new Error(`${where}: ${type} needs ${r} (${t.summary})`);
  return out;
}

/** Parse the compact form; errors name the layer (1-based) and the text. */
/**
 * What is wrong with the part of an --arch string that parseArch could not read, when it is one
 * of the usual slips: a bracket left open or closed twice, PyTorch's module syntax, nested
 * arguments, a character outside ASCII (a name typed with a look-alike letter).
 */
function whyUnreadable(rest: string): string {
  const head = rest.split(',')[0];
  if (rest.trim() === '') return ' (nothing there: an empty list, or a comma at the end)';
  if (/^\s*,/.test(rest)) return ' (an empty layer: two commas in a row, or a comma first)';
  const pytorch = /^\s*(?:torch\.)?nn\.([A-Za-z0-9]+)/.exec(rest);
  if (pytorch) return ` (PyTorch's nn.${pytorch[1]}(…) is written without "nn." and without its input size: conv(out, kernel), linear(out), bn, relu, …)`;
  let depth = 0;
  for (const ch of rest) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (depth < 0) return ` (a ")" without its "(")`;
    if (depth > 1) return ' (arguments cannot be nested: a kernel, stride or padding is one number, the same for height and width)';
  }
  if (depth > 0) return ' (a "(" that is never closed)';
  if (/[\[\]{}]/.test(rest)) return ' (a JSON list starts with "[" and holds {"type": …} objects; the compact form has no brackets)';
  if (/^\s*[A-Za-z][A-Za-z0-9]*\s*(\([^()]*\))?\s*[;|/]/.test(rest)) return ' (layers are separated by commas)';
  const odd = /[^\x20-\x7e]/.exec(head);
  if (odd) return ` (${JSON.stringify(odd[0])}, U+${odd[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}, is not an ASCII letter: layer names are plain ASCII)`;
  return '';
}

export function parseArch(text: string): LayerSpec[] {
  const layers: LayerSpec[] = [];
  const re = /\s*([A-Za-z][A-Za-z0-9]*)\s*(?:\(([^()]*)\))?\s*(,|$)/y;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    const where = `--arch layer ${layers.length + 1}`;
    if (!m || m[0].length === 0) throw new Error(`${where}: cannot read ${JSON.stringify(text.slice(pos, pos + 30))}: expected name or name(arguments), separated by commas${whyUnreadable(text.slice(pos))}`);
    const [, name, argText] = m;
    const t = LAYER_TYPES[name];
    if (!t && !isActivation(name)) validateLayer({ type: name }, `${where} (${name})`); // unknown type: says which exist
    const positional = Object.keys(t?.args ?? {});
    const spec: Record<string, unknown> = { type: name };
    if (argText !== undefined && argText.trim() !== '') {
      argText.split(',').forEach((raw, i) => {
        const part = raw.trim();
        const eq = part.indexOf('=');
        const key = eq >= 0 ? part.slice(0, eq).trim() : positional[i];
        const valText = eq >= 0 ? part.slice(eq + 1).trim() : part;
        if (key === undefined) {
          const takes = positional.length ? `it takes ${positional.join(', ')}` : 'it takes none';
          throw new Error(`${where} (${name}): too many arguments in ${JSON.stringify(argText)} (${takes})`);
        }
        if (key in spec) throw new Error(`${where} (${name}): ${key} is given twice in ${JSON.stringify(argText)}`);
        const val = valText === 'true' ? true : valText === 'false' ? false : valText === 'same' || valText === 'valid' ? valText : valText !== '' && Number.isFinite(Number(valText)) ? Number(valText) : valText;
        spec[key] = val;
      });
    }
    layers.push(validateLayer(spec, `${where} (${name})`));
    pos = re.lastIndex;
    if (m[3] === '') break;
  }
  if (layers.length === 0) throw new Error('--arch: no layers');
  return layers;
}

/**
 * The shape after each layer (per example), checking that each layer accepts its input. An
 * error names the layer as `${where}[i]` (a spec's JSON index), or as `where(i)` gives it.
 */
export function archShapes(arch: readonly LayerSpec[], inShape: number[], where: string | ((i: number) => string) = 'arch'): number[][] {
  const shapes: number[][] = [inShape];
  let s = inShape;
  arch.forEach((l, i) => {
    const t = LAYER_TYPES[l.type];
    try {
      s = t ? t.outShape(l, s) : s;
    } catch (e) {
      throw new Error(`${typeof where === 'function' ? where(i) : `${where}[${i}]`} (${l.type}): ${(e as Error).message}`);
    }
    shapes.push(s);
  });
  return shapes;
}

/** The modules of an arch, in order, given the per-example input shape. */
export function buildArch(arch: readonly LayerSpec[], inShape: number[], init: InitName): Module[] {
  const shapes = archShapes(arch, inShape);
  return arch.map((l, i) => {
    const t = LAYER_TYPES[l.type];
    return t ? t.build(l, shapes[i], init) : activationModule(l.type as ActivationName);
  });
}

/** State-dict entries of layer i of an arch (relative keys), computed without building it. */
export function layerState(l: LayerSpec, inShape: number[]): LayerState[] {
  const t = LAYER_TYPES[l.type];
  if (t) return t.state(l, inShape);
  return l.type === 'prelu' ? [{ key: 'weight', shape: [1] }] : [];
}

/**
 * The layer list of modules (the inverse of buildArch), given the per-example input shape:
 * each module read by its type's `read`, an activation module by its registry name; each layer
 * is then built again and must print as the module does (so a non-default BatchNorm eps, a
 * LeakyReLU slope or a Flatten over other dimensions is refused, not silently changed).
 * Errors name the module's index (plus `offset`) and what does not fit.
 */
export function archFromModules(mods: readonly Module[], inShape: number[], offset = 0): LayerSpec[] {
  const arch = mods.map((m, i) => {
    const where = `layer ${i + offset} (${m.typeName})`;
    try {
      for (const t of Object.values(LAYER_TYPES)) {
        const l = t.read(m);
        if (l) return l;
      }
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
    if (m instanceof ActivationModule && m.extraOptions !== null) throw new Error(`${where} (${m.typeName}) has ${m.extraOptions}; a layer list's ${m.typeName} has PyTorch's defaults`);
    if (m instanceof ActivationModule && isActivation(m.activation)) return { type: m.activation } as LayerSpec;
    throw new Error(`${where} is not a layer type of a layer list (${layerTypeNames().join(', ')})`);
  });
  const built = buildArch(arch, inShape, 'auto');
  built.forEach((b, i) => {
    if (b.toString() !== mods[i].toString()) throw new Error(`layer ${i + offset} is ${mods[i].toString().split('\n')[0]}, but the layer list's ${describeLayer(arch[i])} is ${b.toString().split('\n')[0]}`);
  });
  return arch;
}

/** The torch.nn expression of a layer (activations through `activation`, export-pytorch's map). */
export function torchLayer(l: LayerSpec, inShape: number[], activation: (a: ActivationName) => string): string {
  const t = LAYER_TYPES[l.type];
  return t ? t.torch(l, inShape) : activation(l.type as ActivationName);
}

/** The compact form of a layer: conv(16, 3, padding=1). */
export function describeLayer(l: LayerSpec): string {
  const t = LAYER_TYPES[l.type];
  if (!t) return getActivation(l.type).name;
  const positional = t.required;
  const parts = Object.keys(t.args)
    .filter((k) => l[k] !== undefined)
    .map((k) => (positional.includes(k) ? String(l[k]) : `${k}=${l[k]}`));
  return parts.length ? `${l.type}(${parts.join(', ')})` : l.type;
}

/**
 * Named architectures: `gradlab train --model <name>` and the web lab's model menu read this one
 * table; `epochs` is what the CLI trains when --epochs is not given.
 * cnn is the VGG-style net of the issue's PyTorch reference (conv 32 – BN – pool – conv 64 – BN –
 * pool – fc 128; PyTorch 1.13 trains it to 90.4% on Fashion-MNIST in two epochs), with a BatchNorm
 * before the fully connected ReLU too: without it 77–81% of those 128 units died in the first
 * Adam steps (PyTorch: 45–64%, test/fixtures/torch_cnn_dead_fc.py) and the health check said so.
 * Four epochs: `time gradlab train --data fashion-mnist --model cnn` reached 92.6% test accuracy
 * in 3 min 37 s with no finding (2026-11-28 03:07 UTC, this project's 2-core machine, another
 * process busy on one core; without that BatchNorm: 91.6% in 4 min 1 s, idle).
 * cnn-small is the same layers at a quarter of the channels (8, 16) and half the hidden units
 * (64): 0.33 M multiply-adds per 28×28 image against cnn's 4.2 M, and 52 k parameters against
 * 422 k; `gradlab train --data mnist --model cnn-small` (the built-in 8,000 / 2,000 digits, 4
 * epochs) reached 96.9% test accuracy in 8 s (2026-11-28 03:09 UTC, with its fully connected BatchNorm). It is the lab's CNN (the one it trains live in the browser): a training step at batch 64
 * took 25–35 ms against cnn's 78–114 ms, and a forward pass over 1,000 images 0.29–0.37 s against
 * 0.7–1.4 s (the lab evaluates 2,000 images each time; Node, wasm, 1 thread, busy 2-core machine).
 */
export const MODEL_PRESETS = {
  cnn: {
    arch: 'conv(32,3,padding=1),bn,relu,maxpool(2),conv(64,3,padding=1),bn,relu,maxpool(2),flatten,linear(128),bn,relu',
    epochs: 4,
    label: 'CNN: conv 32 – conv 64 – fc 128',
  },
  'cnn-small': {
    arch: 'conv(8,3,padding=1),bn,relu,maxpool(2),conv(16,3,padding=1),bn,relu,maxpool(2),flatten,linear(64),bn,relu',
    epochs: 4,
    label: 'Small CNN: conv 8 – conv 16 – fc 64',
  },
} as const;
export type ModelPreset = keyof typeof MODEL_PRESETS;
export const MODEL_PRESET_NAMES = Object.keys(MODEL_PRESETS) as ModelPreset[];
