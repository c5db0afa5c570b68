/**
 * Initializers, as torch.nn.init: each fills its tensor in place (outside the graph) and
 * returns it. All randomness comes from the seeded generator.
 *
 * Fans (computeFans): for a weight of shape [out, in, …k], fan_in = in·∏k, fan_out = out·∏k.
 * - Xavier/Glorot (Glorot & Bengio 2010, eq. 16): Var(W) = g²·2/(fan_in + fan_out),
 *   uniform bound g·√(6/(fan_in + fan_out)); keeps activation AND gradient variance roughly
 *   constant across layers for symmetric, linear-near-zero activations (tanh, sigmoid).
 * - Kaiming/He (He et al. 2015, eq. 10): Var(W) = g²/fan with g = √(2/(1 + a²)); for ReLU
 *   (a = 0) half the units are off, so the variance must double to keep it constant.
 * - LeCun (LeCun et al. 1998; Klambauer et al. 2017 for SELU): Var(W) = 1/fan_in.
 * - Orthogonal (Saxe et al. 2014): a (semi-)orthogonal matrix from the QR decomposition of a
 *   Gaussian one, signs fixed by diag(R) so the distribution is uniform (Haar).
 */
import { ACTIVATIONS, getActivation, type ActivationName, type ActivationSpelling } from './activations.js';
import { defaultGenerator, Generator } from './random.js';
import { checkOptions, unknownName } from './options.js';
import { formatShape, showValue, Tensor } from './tensor.js';
import { markUserSet } from './weight-origin.js';

export type FanMode = 'fanIn' | 'fanOut';

export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new Error(`computeFans: fan in and fan out cannot be computed for a tensor with fewer than 2 dimensions (shape ${formatShape(shape)})`);
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/**
 * The recommended gain for a non-linearity: PyTorch's table (linear/sigmoid 1, tanh 5/3,
 * relu √2, leakyRelu √(2/(1 + a²)) with a = 0.01 by default, selu 3/4), extended by the
 * activation registry to the other activations (see activations.ts for each value's reason).
 * 'conv1d' … 'conv3d' give 1 as in PyTorch.
 */
export function calculateGain(nonlinearity: ActivationSpelling | 'conv1d' | 'conv2d' | 'conv3d', param?: number): number {
  if (nonlinearity === 'conv1d' || nonlinearity === 'conv2d' || nonlinearity === 'conv3d') return 1;
  const a = getActivation(nonlinearity); // also PyTorch's spelling, 'leaky_relu'
  if (param !== undefined && (typeof param !== 'number' || !Number.isFinite(param))) {
    throw new Error(`calculateGain: param must be a finite number, got ${showValue(param)}`);
  }
  return a.gain(param);
}

function fill(t: Tensor, f: () => number): Tensor {
  markUserSet(t);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = f();
  return t;
}

/**
 * An initializer's numbers given positionally (`normal(w, 0, 0.02)`) or, as PyTorch's keyword
 * arguments, in one object (`normal(w, {std: 0.02})` for `normal_(w, std=0.02)`): the values
 * in `names` order, then the generator; each a finite number or undefined (its default).
 */
function numbers(where: string, args: readonly unknown[], names: readonly string[]): [...Array<number | undefined>, Generator | undefined] {
  let values = args;
  const first = args[0];
  if (typeof first === 'object' && first !== null && !(first instanceof Generator)) {
    checkOptions(where, first, [...names, 'generator']);
    const o = first as Record<string, unknown>;
    values = [...names.map((n) => o[n]), o.generator];
  }
  names.forEach((n, i) => {
    const v = values[i];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw new Error(`${where}: ${n} must be a finite number, got ${String(v)}`);
  });
  const g = values[names.length];
  if (g !== undefined && !(g instanceof Generator)) throw new Error(`${where}: generator must be a Generator, got ${String(g)}`);
  return values.slice(0, names.length + 1) as [...Array<number | undefined>, Generator | undefined];
}

/** The tensor an initializer fills: a Tensor (a parameter, `layer.weight`), else an error naming the initializer. */
function target(where: string, t: unknown): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new Error(`${where}: the tensor to fill must be a Tensor (such as layer.weight), got ${Array.isArray(t) ? 'an array' : showValue(t)}`);
}

type Keywords<K extends string> = { [k in K]?: number } & { generator?: Generator };

/** U(a, b). */
export function uniform(t: Tensor, a: number | Keywords<'a' | 'b'> = 0, b = 1, generator: Generator = defaultGenerator): Tensor {
  target('init.uniform', t);
  const [lo = 0, hi = 1, g = defaultGenerator] = numbers('init.uniform', [a, b, generator], ['a', 'b']);
  if (!((lo as number) <= (hi as number))) throw new Error(`init.uniform: a must be ≤ b, got a=${lo}, b=${hi}`);
  return fill(t, () => (g as Generator).uniform(lo as number, hi as number));
}

/** N(mean, std²). */
export function normal(t: Tensor, mean: number | Keywords<'mean' | 'std'> = 0, std = 1, generator: Generator = defaultGenerator): Tensor {
  target('init.normal', t);
  const [m = 0, s = 1, g = defaultGenerator] = numbers('init.normal', [mean, std, generator], ['mean', 'std']);
  if (!((s as number) >= 0)) throw new Error(`init.normal: std must be ≥ 0, got ${s}`);
  return fill(t, () => (g as Generator).normal(m as number, s as number));
}

export function constant(t: Tensor, value: number | Keywords<'val'>): Tensor {
  target('init.constant', t);
  // constant_(w, {val: 0.5}), PyTorch's keyword; a missing or non-number value is named (it would fill NaN).
  [value] = numbers('init.constant', [value], ['val']) as unknown as [number];
  if (value === undefined) throw new Error('init.constant: the value to fill with (val) is missing');
  markUserSet(t);
  t.data.fill(value);
  return t;
}

export const zeros = (t: Tensor): Tensor => constant(t, 0);
export const ones = (t: Tensor): Tensor => constant(t, 1);

/** U(−b, b) with b = gain·√(6/(fan_in + fan_out)). */
export function xavierUniform(t: Tensor, gain: number | Keywords<'gain'> = 1, generator: Generator = defaultGenerator): Tensor {
  target('init.xavierUniform', t);
  const [g = 1, gen = defaultGenerator] = numbers('init.xavierUniform', [gain, generator], ['gain']);
  const { fanIn, fanOut } = computeFans(t.shape);
  const bound = (g as number) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -bound, bound, gen as Generator);
}

/** N(0, σ²) with σ = gain·√(2/(fan_in + fan_out)). */
export function xavierNormal(t: Tensor, gain: number | Keywords<'gain'> = 1, generator: Generator = defaultGenerator): Tensor {
  target('init.xavierNormal', t);
  const [g = 1, gen = defaultGenerator] = numbers('init.xavierNormal', [gain, generator], ['gain']);
  const { fanIn, fanOut } = computeFans(t.shape);
  return normal(t, 0, (g as number) * Math.sqrt(2 / (fanIn + fanOut)), gen as Generator);
}

export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (0 for ReLU). */
  a?: number;
  /** 'fanIn' (default) or 'fanOut'; PyTorch's 'fan_in'/'fan_out' too. */
  mode?: FanMode | 'fan_in' | 'fan_out';
  /** PyTorch's default is 'leakyRelu' (with a = 0 that is ReLU's gain √2); PyTorch's 'leaky_relu' too. */
  nonlinearity?: ActivationSpelling;
  generator?: Generator;
}

function kaimingStd(t: Tensor, options: KaimingOptions | number, where: string): number {
  target(where, t);
  // kaiming_uniform_(w, math.sqrt(5)): PyTorch's first positional argument is a.
  if (typeof options === 'number') options = { a: options };
  checkOptions(where, options, ['a', 'mode', 'nonlinearity', 'generator']);
  // PyTorch's spellings ('fan_out', 'leaky_relu') are read as gradlab's ('fanOut', 'leakyRelu').
  const given = (options.mode ?? 'fanIn') as string;
  const mode = given === 'fan_in' ? 'fanIn' : given === 'fan_out' ? 'fanOut' : given;
  if (mode !== 'fanIn' && mode !== 'fanOut') throw new Error(`${where}: mode must be 'fanIn' or 'fanOut', got '${given}'`);
  if (options.a !== undefined && (typeof options.a !== 'number' || !Number.isFinite(options.a))) throw new Error(`${where}: a must be a finite number, got ${showValue(options.a)}`);
  let nonlinearity: ActivationName;
  try {
    nonlinearity = getActivation(options.nonlinearity ?? 'leakyRelu').name;
  } catch (e) {
    throw new Error(`${where}: nonlinearity: ${(e as Error).message}`);
  }
  const fans = computeFans(t.shape);
  const fan = mode === 'fanIn' ? fans.fanIn : fans.fanOut;
  const gain = calculateGain(nonlinearity, nonlinearity === 'leakyRelu' || nonlinearity === 'prelu' ? (options.a ?? 0) : undefined);
  return gain / Math.sqrt(fan);
}

/** U(−b, b) with b = √3·gain/√fan (He et al. 2015). */
export function kaimingUniform(t: Tensor, options: KaimingOptions | number = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options, 'init.kaimingUniform');
  return uniform(t, -bound, bound, typeof options === 'number' ? undefined : options.generator);
}

/** N(0, σ²) with σ = gain/√fan (He et al. 2015). */
export function kaimingNormal(t: Tensor, options: KaimingOptions | number = {}): Tensor {
  return normal(t, 0, kaimingStd(t, options, 'init.kaimingNormal'), typeof options === 'number' ? undefined : options.generator);
}

/** U(−b, b) with b = √(3/fan_in) (LeCun et al. 1998). */
export function lecunUniform(t: Tensor, generator: Generator = defaultGenerator): Tensor {
  target('init.lecunUniform', t);
  const bound = Math.sqrt(3 / computeFans(t.shape).fanIn);
  return uniform(t, -bound, bound, generator);
}

/** N(0, 1/fan_in), the init SELU's self-normalisation assumes (Klambauer et al. 2017). */
export function lecunNormal(t: Tensor, generator: Generator = defaultGenerator): Tensor {
  target('init.lecunNormal', t);
  return normal(t, 0, 1 / Math.sqrt(computeFans(t.shape).fanIn), generator);
}

/**
 * A (semi-)orthogonal matrix times `gain` (Saxe et al. 2014), computed as PyTorch does: QR of a
 * Gaussian [rows, cols] matrix (transposed when rows < cols), Q·sign(diag R).
 */
export function orthogonal(t: Tensor, gainArg: number | Keywords<'gain'> = 1, generatorArg: Generator = defaultGenerator): Tensor {
  target('init.orthogonal', t);
  const [gain = 1, generator = defaultGenerator] = numbers('init.orthogonal', [gainArg, generatorArg], ['gain']) as [number | undefined, Generator | undefined];
  if (t.ndim < 2) throw new Error(`init.orthogonal: only tensors with 2 or more dimensions are supported, got shape ${formatShape(t.shape)}`);
  const rows = t.shape[0];
  const cols = t.size / rows;
  markUserSet(t);
  const transpose = rows < cols;
  const m = transpose ? cols : rows; // tall matrix m×n, m ≥ n
  const n = transpose ? rows : cols;
  // Column-major Gaussian matrix A (m×n), orthonormalised by modified Gram–Schmidt in float64
  // (equivalent to Householder QR with R's diagonal made positive).
  const q: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = generator.normal();
    q.push(v);
  }
  for (let j = 0; j < n; j++) {
    const v = q[j];
    for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += v[i] * q[p][i];
      for (let i = 0; i < m; i++) v[i] -= dot * q[p][i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) v[i] /= norm;
  }
  // Write Q (m×n) or Qᵀ into the row-major [rows, cols] tensor.
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) t.data[r * cols + c] = gain * (transpose ? q[r][c] : q[c][r]);
  }
  return t;
}

/**
 * N(mean, std²) truncated to [a, b] (PyTorch's trunc_normal_: a and b are absolute bounds, not
 * multiples of std), by rejection: a draw outside [a, b] is drawn again, so the values follow the
 * truncated normal exactly (PyTorch uses the inverse CDF; the distribution is the same).
 */
export function truncNormal(t: Tensor, mean: number | Keywords<'mean' | 'std' | 'a' | 'b'> = 0, std = 1, a = -2, b = 2, generator: Generator = defaultGenerator): Tensor {
  target('init.truncNormal', t);
  const [m = 0, s = 1, lo = -2, hi = 2, g = defaultGenerator] = numbers('init.truncNormal', [mean, std, a, b, generator], ['mean', 'std', 'a', 'b']) as [number, number, number, number, Generator];
  if (!(s >= 0)) throw new Error(`init.truncNormal: std must be ≥ 0, got ${s}`);
  if (!(lo < hi)) throw new Error(`init.truncNormal: a must be < b, got a=${lo}, b=${hi}`);
  // Rejection needs the interval to carry some mass: PyTorch warns beyond 2 std from [a, b].
  if (m < lo - 2 * s || m > hi + 2 * s) throw new Error(`init.truncNormal: mean ${m} is more than 2 std from [a, b] = [${lo}, ${hi}]`);
  return fill(t, () => {
    for (;;) {
      const v = g.normal(m, s);
      if (v >= lo && v <= hi) return v;
    }
  });
}

// PyTorch's in-place spellings (nn.init.xavier_uniform_ → init.xavierUniform_): the same functions.
export {
  uniform as uniform_, normal as normal_, constant as constant_, zeros as zeros_, ones as ones_,
  xavierUniform as xavierUniform_, xavierNormal as xavierNormal_, kaimingUniform as kaimingUniform_,
  kaimingNormal as kaimingNormal_, orthogonal as orthogonal_, truncNormal as truncNormal_,
};

// ---------------------------------------------------------------------------------------
// The initializer registry: what a Linear layer's `init` option, the CLI's --init and the
// lab's menu may name. Each entry initialises a layer's weight and bias, knowing the
// activation that consumes the layer's output (`act`, with its parameter).

export const INIT_NAMES = [
  'auto',
  'pytorch',
  'xavierUniform',
  'xavierNormal',
  'kaimingUniform',
  'kaimingNormal',
  'lecunUniform',
  'lecunNormal',
  'orthogonal',
  'standard',
  'normal',
  'zeros',
  'constant',
] as const;
export type InitName = (typeof INIT_NAMES)[number];

export interface InitContext {
  /** The activation that consumes the layer's output ('linear' for an output layer). */
  activation: ActivationName;
  /** The activation's parameter (negative slope, PReLU's initial slope), if any. */
  param?: number;
  /** Standard deviation for 'normal', value for 'constant'. */
  value?: number;
  generator: Generator;
}

export interface Initializer {
  name: InitName;
  label: string;
  summary: string;
  /** Fill a layer's weight [out, in] and bias [out]. */
  apply(weight: Tensor, bias: Tensor | null, ctx: InitContext): void;
}

function gainOf(ctx: InitContext): number {
  const a = ACTIVATIONS[ctx.activation];
  return a.gain(Number.isNaN(a.defaultParam) ? undefined : (ctx.param ?? a.defaultParam));
}

const zeroBias = (bias: Tensor | null) => {
  if (bias) zeros(bias);
};

const initializers: Initializer[] = [
  {
    name: 'auto',
    label: 'Auto (recommended for the activation)',
    summary: 'He for the ReLU family, Xavier for sigmoid/tanh/linear outputs, LeCun for SELU; biases zero.',
    apply(w, b, ctx) {
      INITIALIZERS[ACTIVATIONS[ctx.activation].init].apply(w, b, ctx);
    },
  },
  {
    name: 'pytorch',
    label: 'PyTorch default',
    summary: "torch.nn.Linear's own: kaiming_uniform(a=√5) on weights (U(±1/√fan_in)), biases U(±1/√fan_in).",
    apply(w, b, ctx) {
      kaimingUniform(w, { a: Math.sqrt(5), nonlinearity: 'leakyRelu', generator: ctx.generator });
      if (b) {
        const bound = 1 / Math.sqrt(computeFans(w.shape).fanIn);
        uniform(b, -bound, bound, ctx.generator);
      }
    },
  },
  {
    name: 'xavierUniform',
    label: 'Xavier/Glorot uniform',
    summary: 'U(±√(6/(fan_in+fan_out))) (Glorot & Bengio 2010); for sigmoid and tanh.',
    apply(w, b, ctx) {
      xavierUniform(w, 1, ctx.generator);
      zeroBias(b);
    },
  },
  {
    name: 'xavierNormal',
    label: 'Xavier/Glorot normal',
    summary: 'N(0, 2/(fan_in+fan_out)) (Glorot & Bengio 2010).',
    apply(w, b, ctx) {
      xavierNormal(w, 1, ctx.generator);
      zeroBias(b);
    },
  },
  {
    name: 'kaimingUniform',
    label: 'He/Kaiming uniform',
    summary: "U(±√3·g/√fan_in) with the activation's gain g (He et al. 2015).",
    apply(w, b, ctx) {
      const bound = (Math.sqrt(3) * gainOf(ctx)) / Math.sqrt(computeFans(w.shape).fanIn);
      uniform(w, -bound, bound, ctx.generator);
      zeroBias(b);
    },
  },
  {
    name: 'kaimingNormal',
    label: 'He/Kaiming normal',
    summary: "N(0, g²/fan_in) with the activation's gain g, √2 for ReLU (He et al. 2015); for the ReLU family.",
    apply(w, b, ctx) {
      normal(w, 0, gainOf(ctx) / Math.sqrt(computeFans(w.shape).fanIn), ctx.generator);
      zeroBias(b);
    },
  },
  {
    name: 'lecunUniform',
    label: 'LeCun uniform',
    summary: 'U(±√(3/fan_in)) (LeCun et al. 1998).',
    apply(w, b, ctx) {
      lecunUniform(w, ctx.generator);
      zeroBias(b);
    },
  },
  {
    name: 'lecunNormal',
    label: 'LeCun normal',
    summary: 'N(0, 1/fan_in); with SELU it makes the network self-normalising (Klambauer et al. 2017).',
    apply(w, b, ctx) {
      lecunNormal(w, ctx.generator);
      zeroBias(b);
    },
  },
  {
    name: 'orthogonal',
    label: 'Orthogonal',
    summary: "A random orthogonal matrix times the activation's gain (Saxe et al. 2014).",
    apply(w, b, ctx) {
      orthogonal(w, gainOf(ctx), ctx.generator);
      zeroBias(b);
    },
  },
  {
    name: 'standard',
    label: 'Standard U(±1/√n)',
    summary: 'The "commonly used heuristic" U(−1/√fan_in, 1/√fan_in) that Glorot & Bengio 2010 compare against (eq. 1).',
    apply(w, b, ctx) {
      const bound = 1 / Math.sqrt(computeFans(w.shape).fanIn);
      uniform(w, -bound, bound, ctx.generator);
      zeroBias(b);
    },
  },
  {
    name: 'normal',
    label: 'Normal N(0, σ²)',
    summary: 'Fixed-σ Gaussian (σ = 1 unless given), ignoring the fan: too large or too small at depth.',
    apply(w, b, ctx) {
      normal(w, 0, ctx.value ?? 1, ctx.generator);
      zeroBias(b);
    },
  },
  {
    name: 'zeros',
    label: 'Zeros',
    summary: 'All weights 0: every hidden unit computes the same thing and receives the same update (symmetry).',
    apply(w, b) {
      zeros(w);
      zeroBias(b);
    },
  },
  {
    name: 'constant',
    label: 'Constant',
    summary: 'All weights equal to one value (0.1 unless given): symmetric like zeros.',
    apply(w, b, ctx) {
      constant(w, ctx.value ?? 0.1);
      zeroBias(b);
    },
  },
];

export const INITIALIZERS: Readonly<Record<InitName, Initializer>> = Object.freeze(
  Object.fromEntries(initializers.map((i) => [i.name, i])) as Record<InitName, Initializer>,
);

export function isInitName(name: string): name is InitName {
  return (INIT_NAMES as readonly string[]).includes(name);
}

export function getInitializer(name: string): Initializer {
  if (!isInitName(name)) throw unknownName('initializer', 'initializers', name, INIT_NAMES);
  return INITIALIZERS[name];
}
