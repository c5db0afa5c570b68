/**
 * THE activation registry: one entry per activation, read by everything else.
 *
 * An entry holds the scalar value f(x) and derivative f′ (from the input x and/or the
 * output y, whichever is stable and cheap), the output range, the initializer that keeps
 * the forward/backward variance of a layer feeding it near one (He et al. 2015 for the
 * ReLU family, Glorot & Bengio 2010 for sigmoid/tanh, Klambauer et al. 2017 for SELU),
 * its gain (PyTorch's `calculate_gain` table where PyTorch has one), and how it fails:
 * the saturation band of sigmoid/tanh, or dead units of ReLU.
 *
 * The reference kernels evaluate `value`/`derivative` directly, the modules, the
 * default initializer of a `Linear`, the health rules, the CLI flags and the lab menus
 * all read this table. The fast kernels implement the same formulas and are tested
 * against these.
 */
import type { UnaryKind } from './kernels/types.js';
import { erfc } from './mathx.js';

export const ACTIVATION_NAMES = [
  'linear',
  'sigmoid',
  'tanh',
  'relu',
  'leakyRelu',
  'prelu',
  'elu',
  'selu',
  'softmax',
  'gelu',
  'silu',
  'softplus',
] as const;
export type ActivationName = (typeof ACTIVATION_NAMES)[number];

/** Initializers an activation may recommend (see init.ts for the full registry). */
export type RecommendedInit = 'xavierUniform' | 'kaimingNormal' | 'lecunNormal';

/**
 * How a unit of this activation stops learning.
 * - saturation: the local derivative f′ falls below `SATURATION_FRACTION` of its peak when the
 *   output is below `below` or above `above` (sigmoid and tanh flatten at both ends).
 * - dead: the output is exactly zero, so f′ = 0 and no gradient flows (ReLU with x ≤ 0); a unit
 *   dead on every example of a batch receives no update at all.
 * - none: the activation keeps a non-zero gradient almost everywhere.
 */
export type FailureMode =
  | { mode: 'saturation'; below: number; above: number }
  | { mode: 'dead' }
  | { mode: 'none' };

/** A unit counts as saturated where f′ is below 5% of its maximum. */
export const SATURATION_FRACTION = 0.05;

export interface Activation {
  name: ActivationName;
  /** Human label, as used in menus. */
  label: string;
  /** One sentence for help texts. */
  summary: string;
  /** Elementwise activations run through the unary kernels under this kind; others have their own ops. */
  kernel: UnaryKind | null;
  /** Default of the activation's parameter (negative slope, α, PReLU's initial slope); NaN when it has none. */
  defaultParam: number;
  /** f(x; p) in float64. Undefined for softmax, which is not elementwise. */
  value?: (x: number, p: number) => number;
  /** f′ given x, y = f(x) and p. */
  derivative?: (x: number, y: number, p: number) => number;
  /**
   * f′ is a function of y = f(x) alone (`derivative` ignores x). A layer fused with this
   * activation (Linear + activation in Sequential) may then write y over its pre-activation
   * and still differentiate: y(1 − y) for sigmoid, 1 − y² for tanh, [y > 0] for ReLU.
   */
  derivativeFromOutput: boolean;
  /** Output range [lo, hi]. */
  range: readonly [number, number];
  /** The initializer a Linear feeding this activation should use. */
  init: RecommendedInit;
  /** Gain g, with std(W) = g/√fan for the recommended init family. */
  gain: (param?: number) => number;
  failure: FailureMode;
  /** Where the activation and its init recommendation come from. */
  citation: string;
}

// SELU constants (Klambauer et al. 2017, eq. 14), as in PyTorch.
export const SELU_ALPHA = 1.6732632423543772848170429916717;
export const SELU_SCALE = 1.0507009873554804934193349852946;

/** Softplus switches to the identity above this input, as PyTorch does (threshold = 20, β = 1). */
const SOFTPLUS_THRESHOLD = 20;

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const INV_SQRT2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Output bounds of the saturation band for sigmoid: y(1−y) < fraction·¼. */
function sigmoidBand(fraction: number): { below: number; above: number } {
  // Solve y² − y + fraction/4 = 0.
  const d = Math.sqrt(1 - fraction);
  return { below: (1 - d) / 2, above: (1 + d) / 2 };
}
/** Output bounds for tanh: 1 − y² < fraction. */
function tanhBand(fraction: number): { below: number; above: number } {
  const y = Math.sqrt(1 - fraction);
  return { below: -y, above: y };
}

const leakyGain = (a: number): number => Math.sqrt(2 / (1 + a * a));

const entries: Activation[] = [
  {
    name: 'linear',
    label: 'Linear (identity)',
    summary: 'f(x) = x. No non-linearity: a stack of linear layers is one linear map.',
    kernel: 'linear',
    defaultParam: NaN,
    value: (x) => x,
    derivative: () => 1,
    derivativeFromOutput: true,
    range: [-Infinity, Infinity],
    init: 'xavierUniform',
    gain: () => 1,
    failure: { mode: 'none' },
    citation: 'Glorot & Bengio 2010',
  },
  {
    name: 'sigmoid',
    label: 'Sigmoid',
    summary: 'σ(x) = 1/(1+e^(−x)), range (0, 1). Saturates at both ends; f′ ≤ ¼ shrinks gradients layer by layer.',
    kernel: 'sigmoid',
    defaultParam: NaN,
    value: sigmoid,
    derivative: (_x, y) => y * (1 - y),
    derivativeFromOutput: true,
    range: [0, 1],
    init: 'xavierUniform',
    gain: () => 1,
    failure: { mode: 'saturation', ...sigmoidBand(SATURATION_FRACTION) },
    citation: 'Glorot & Bengio 2010',
  },
  {
    name: 'tanh',
    label: 'Tanh',
    summary: 'tanh(x), range (−1, 1), zero-centred. Saturates at ±1.',
    kernel: 'tanh',
    defaultParam: NaN,
    value: Math.tanh,
    derivative: (_x, y) => 1 - y * y,
    derivativeFromOutput: true,
    range: [-1, 1],
    init: 'xavierUniform',
    gain: () => 5 / 3,
    failure: { mode: 'saturation', ...tanhBand(SATURATION_FRACTION) },
    citation: 'Glorot & Bengio 2010; gain 5/3 from PyTorch',
  },
  {
    name: 'relu',
    label: 'ReLU',
    summary: 'max(0, x). Non-saturating for x > 0; a unit with x ≤ 0 on every input is dead.',
    kernel: 'relu',
    defaultParam: NaN,
    // Written so that NaN propagates (NaN ≤ 0 is false), as in PyTorch: a ReLU must not hide a NaN.
    value: (x) => (x <= 0 ? 0 : x),
    // PyTorch's convention (threshold_backward: y ≤ 0 ? 0 : g): f′(0) = 0, and a NaN passes the
    // gradient through (NaN ≤ 0 is false), so the NaN is not hidden on the way back either.
    derivative: (_x, y) => (y <= 0 ? 0 : 1),
    derivativeFromOutput: true,
    range: [0, Infinity],
    init: 'kaimingNormal',
    gain: () => Math.SQRT2,
    failure: { mode: 'dead' },
    citation: 'Nair & Hinton 2010; He et al. 2015',
  },
  {
    name: 'leakyRelu',
    label: 'Leaky ReLU',
    summary: 'x for x > 0, a·x otherwise (a = 0.01): a small slope keeps units from dying.',
    kernel: 'leakyRelu',
    defaultParam: 0.01,
    value: (x, a) => (x > 0 ? x : a * x),
    derivative: (x, _y, a) => (x > 0 ? 1 : a),
    derivativeFromOutput: false,
    range: [-Infinity, Infinity],
    init: 'kaimingNormal',
    gain: (a = 0.01) => leakyGain(a),
    failure: { mode: 'none' },
    citation: 'Maas et al. 2013; He et al. 2015',
  },
  {
    name: 'prelu',
    label: 'PReLU',
    summary: 'Leaky ReLU whose negative slope a is learned (initially 0.25).',
    kernel: null,
    defaultParam: 0.25,
    value: (x, a) => (x > 0 ? x : a * x),
    derivative: (x, _y, a) => (x > 0 ? 1 : a),
    derivativeFromOutput: false,
    range: [-Infinity, Infinity],
    init: 'kaimingNormal',
    gain: (a = 0.25) => leakyGain(a),
    failure: { mode: 'none' },
    citation: 'He et al. 2015',
  },
  {
    name: 'elu',
    label: 'ELU',
    summary: 'x for x > 0, α(eˣ − 1) otherwise: negative outputs push mean activations toward zero.',
    kernel: 'elu',
    defaultParam: 1,
    value: (x, a) => (x > 0 ? x : a * Math.expm1(x)),
    // For x ≤ 0, f′ = α·eˣ, from x as PyTorch does: y + α would cancel in float32 where
    // y ≈ −α (x ≲ −5), losing the gradient's relative accuracy. Tested as x ≤ 0, as PyTorch's
    // elu_backward: a NaN input takes the slope 1 (g passes), not α·e^NaN.
    derivative: (x, _y, a) => (x <= 0 ? a * Math.exp(x) : 1),
    derivativeFromOutput: false,
    range: [-1, Infinity],
    init: 'kaimingNormal',
    // Not in PyTorch's table; ELU behaves as the identity for x > 0, so the ReLU gain.
    gain: () => Math.SQRT2,
    failure: { mode: 'none' },
    citation: 'Clevert et al. 2016',
  },
  {
    name: 'selu',
    label: 'SELU',
    summary: 'λ·ELU with α ≈ 1.6733, λ ≈ 1.0507: keeps mean 0 and variance 1 through depth under LeCun-normal init.',
    kernel: 'selu',
    defaultParam: NaN,
    value: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
    // For x ≤ 0, f′ = λα·eˣ, from x (y + λα cancels in float32 where y ≈ −λα); tested as x ≤ 0,
    // as PyTorch's elu_backward, so a NaN input takes the slope λ.
    derivative: (x) => (x <= 0 ? SELU_SCALE * SELU_ALPHA * Math.exp(x) : SELU_SCALE),
    derivativeFromOutput: false,
    range: [-SELU_SCALE * SELU_ALPHA, Infinity],
    init: 'lecunNormal',
    // PyTorch's value: 3/4, chosen so that kaiming-style init with this gain stays self-normalising.
    gain: () => 3 / 4,
    failure: { mode: 'none' },
    citation: 'Klambauer et al. 2017',
  },
  {
    name: 'softmax',
    label: 'Softmax',
    summary: 'exp(xᵢ)/Σⱼexp(xⱼ) over the last dimension: class probabilities at the output.',
    kernel: null,
    defaultParam: NaN,
    derivativeFromOutput: false,
    range: [0, 1],
    init: 'xavierUniform',
    gain: () => 1,
    failure: { mode: 'none' },
    citation: 'Bridle 1990',
  },
  {
    name: 'gelu',
    label: 'GELU',
    summary: 'x·Φ(x) with Φ the standard normal CDF (exact erf form).',
    kernel: 'gelu',
    defaultParam: NaN,
    // Φ(x) = ½·erfc(−x/√2), computed from erfc so the left tail keeps its relative accuracy.
    value: (x) => 0.5 * x * erfc(-x * INV_SQRT2),
    // f′ = Φ(x) + x·φ(x).
    derivative: (x) => 0.5 * erfc(-x * INV_SQRT2) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x),
    derivativeFromOutput: false,
    range: [-0.17, Infinity],
    init: 'kaimingNormal',
    // Not in PyTorch's table; GELU approaches ReLU away from 0, so the ReLU gain.
    gain: () => Math.SQRT2,
    failure: { mode: 'none' },
    citation: 'Hendrycks & Gimpel 2016',
  },
  {
    name: 'silu',
    label: 'SiLU (Swish)',
    summary: 'x·σ(x): smooth, non-monotonic near 0, ReLU-like far from it.',
    kernel: 'silu',
    defaultParam: NaN,
    value: (x) => x * sigmoid(x),
    // f′ = σ(x)·(1 + x·(1 − σ(x))).
    derivative: (x) => {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    },
    derivativeFromOutput: false,
    range: [-0.28, Infinity],
    init: 'kaimingNormal',
    gain: () => Math.SQRT2,
    failure: { mode: 'none' },
    citation: 'Elfwing et al. 2018; Ramachandran et al. 2017',
  },
  {
    name: 'softplus',
    label: 'Softplus',
    summary: 'log(1 + eˣ): a smooth ReLU (β = 1; the identity above x = 20, as in PyTorch).',
    kernel: 'softplus',
    defaultParam: NaN,
    value: (x) => (x > SOFTPLUS_THRESHOLD ? x : Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))),
    derivative: (x) => (x > SOFTPLUS_THRESHOLD ? 1 : sigmoid(x)),
    derivativeFromOutput: false,
    range: [0, Infinity],
    init: 'kaimingNormal',
    gain: () => Math.SQRT2,
    failure: { mode: 'none' },
    citation: 'Dugas et al. 2001',
  },
];

export const ACTIVATIONS: Readonly<Record<ActivationName, Activation>> = Object.freeze(
  Object.fromEntries(entries.map((e) => [e.name, Object.freeze(e)])) as Record<ActivationName, Activation>,
);

/** Entries by kernel kind, for the reference kernels. */
export const UNARY: Readonly<Record<UnaryKind, Activation>> = Object.freeze(
  Object.fromEntries(entries.filter((e) => e.kernel !== null).map((e) => [e.kernel, e])) as Record<UnaryKind, Activation>,
);

export function isActivationName(name: string): name is ActivationName {
  return (ACTIVATION_NAMES as readonly string[]).includes(name);
}

/** `leakyRelu` → `leaky_relu`, at the type level. */
type SnakeCase<S extends string> = S extends `${infer H}${infer T}` ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${SnakeCase<T>}` : S;

/** An activation name as getActivation reads it: the registry's, or PyTorch's snake_case spelling ('leaky_relu'). */
export type ActivationSpelling = ActivationName | SnakeCase<ActivationName>;

/** The entry for `name`, or an error that lists the valid names. */
/** PyTorch's snake_case spelling ('leaky_relu') read as the registry's camelCase name ('leakyRelu'). */
function camelName(name: string): string {
  return typeof name === 'string' ? name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) : name;
}

export function getActivation(name: string): Activation {
  name = camelName(name);
  if (!isActivationName(name)) {
    const given = typeof name === 'string' ? `'${name.length > 40 ? name.slice(0, 40) + '…' : name}'` : `(a ${name === null ? 'null' : typeof name === 'object' ? ((name as object).constructor?.name ?? 'object') : typeof name}, not a name)`;
    throw new Error(`Unknown activation ${given}. Valid activations: ${ACTIVATION_NAMES.join(', ')}.`);
  }
  return ACTIVATIONS[name];
}
