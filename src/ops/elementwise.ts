/**
 * Elementwise math beyond the activations, as torch.exp/log/sqrt/abs/sin/cos/pow/clamp/where and the
 * comparisons torch.eq/ne/gt/ge/lt/le. No kernel of the interface computes these yet, so they
 * are plain loops here (storage is a Float32Array/Float64Array on every backend); each
 * derivative is PyTorch's, including its choices at the points where the function has none
 * (|x|′(0) = 0, clamp′ = 1 on the bounds, pow′ = 0 for a zero exponent).
 */
import { record } from '../autograd.js';
import type { FloatArray } from '../kernels/types.js';
import { Tensor, formatShape, showValue } from '../tensor.js';
import { asTensor, assertSameDtype, assertTensor, broadcastOffsets, broadcastShapes, empty, uninitialized } from './util.js';

/** y = f(x) elementwise; backward gx += g·f′, f′ given from x and y. */
export function map(op: string, x: Tensor, f: (v: number) => number, df: (x: number, y: number) => number): Tensor {
  assertTensor(x, op, 'x');
  const out = uninitialized(x.shape, x);
  const xd = x.data;
  const yd = out.data;
  for (let i = 0; i < xd.length; i++) yd[i] = f(xd[i]);
  return record(out, op, [x], (g, grad) => {
    const gx = grad(0);
    if (!gx) return;
    const xv = x.data;
    const yv = out.data;
    for (let i = 0; i < gx.length; i++) gx[i] += g[i] * df(xv[i], yv[i]);
  });
}

/** eˣ; ∂/∂x = y. */
export const exp = (x: Tensor): Tensor => map('exp', x, Math.exp, (_, y) => y);
/** ln x (−∞ at 0, NaN below); ∂/∂x = 1/x. */
export const log = (x: Tensor): Tensor => map('log', x, Math.log, (v) => 1 / v);
/** log₁₀ x (makemore's `loss.log10()`); ∂/∂x = 1/(x ln 10). */
export const log10 = (x: Tensor): Tensor => map('log10', x, Math.log10, (v) => 1 / (v * Math.LN10));
/** √x; ∂/∂x = 1/(2y) (∞ at 0, as PyTorch). */
export const sqrt = (x: Tensor): Tensor => map('sqrt', x, Math.sqrt, (_, y) => 1 / (2 * y));
/** |x|; ∂/∂x = sign(x), 0 at 0 (PyTorch's subgradient). */
export const abs = (x: Tensor): Tensor => map('abs', x, Math.abs, (v) => (v > 0 ? 1 : v < 0 ? -1 : 0));
/** sin x; ∂/∂x = cos x. */
export const sin = (x: Tensor): Tensor => map('sin', x, Math.sin, (v) => Math.cos(v));
/** cos x; ∂/∂x = −sin x. */
export const cos = (x: Tensor): Tensor => map('cos', x, Math.cos, (v) => -Math.sin(v));

/** PyTorch's keyword form of clamp's bounds. */
export interface ClampBounds {
  min?: number | null;
  max?: number | null;
}

/**
 * min(max(x, min), max) with either bound null (not both). As PyTorch: min > max gives max
 * everywhere, NaN stays NaN, and ∂/∂x = 1 where min ≤ x ≤ max (bounds included), 0 elsewhere.
 */
export function clamp(x: Tensor, min?: number | null | ClampBounds, max?: number | null): Tensor {
  assertTensor(x, 'clamp', 'x');
  let bounds: ClampBounds = { min: min as number | null | undefined, max };
  // clamp(x, {min: 0}) for PyTorch's keyword form clamp(x, min=0).
  if (typeof min === 'object' && min !== null && !((min as unknown) instanceof Tensor)) {
    if (max !== undefined) throw new Error('clamp: give the bounds either as an object {min, max} or as two numbers, not both');
    bounds = min;
  }
  for (const name of ['min', 'max'] as const) {
    const v: unknown = bounds[name];
    if (v !== null && v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) {
      throw new Error(`clamp: ${name} must be a number or null, got ${v instanceof Tensor ? `a Tensor of shape ${formatShape(v.shape)}` : String(v)}`);
    }
  }
  if ((bounds.min ?? null) === null && (bounds.max ?? null) === null) throw new Error('clamp: at least one of min and max must be a number (both are null)');
  const lo = bounds.min ?? -Infinity;
  const hi = bounds.max ?? Infinity;
  return map(
    'clamp',
    x,
    (v) => (v !== v ? v : Math.min(Math.max(v, lo), hi)),
    (v) => (v >= lo && v <= hi ? 1 : 0),
  );
}

/** Operands of a broadcasting elementwise op: tensors (numbers become 0-d), the output shape and each operand's offsets. */
function broadcastOperands(op: string, names: string[], operands: Array<Tensor | number>, like: Tensor) {
  const ts = operands.map((o, i) => {
    if (typeof o !== 'number') assertTensor(o, op, names[i]);
    return asTensor(o, like);
  });
  let shape = ts[0].shape;
  for (let i = 1; i < ts.length; i++) shape = broadcastShapes(op, shape, ts[i].shape);
  return { ts, shape, offsets: ts.map((t) => broadcastOffsets(t.shape, shape)) };
}

/** gIn[offsets[i]] += contrib[i]: the gradient of a broadcast input sums over the dimensions it was broadcast along. */
function accumulate(gIn: FloatArray, offsets: Int32Array | null, i: number, v: number): void {
  gIn[offsets === null ? i : offsets[i]] += v;
}

/**
 * xᵉ elementwise with broadcasting (base or exponent may be a number), as torch.pow:
 * ∂/∂x = e·xᵉ⁻¹ (0 where e = 0), ∂/∂e = xᵉ·ln x (0 where x = 0 and e ≥ 0).
 */
export function pow(x: Tensor | number, exponent: Tensor | number): Tensor {
  if (typeof x === 'number' && typeof exponent === 'number') throw new Error('pow: at least one of x and exponent must be a Tensor');
  if (typeof x !== 'number') assertTensor(x, 'pow', 'x');
  if (typeof exponent !== 'number') assertTensor(exponent, 'pow', 'exponent');
  const like = typeof x === 'number' ? (exponent as Tensor) : x;
  const { ts, shape, offsets } = broadcastOperands('pow', ['x', 'exponent'], [x, exponent], like);
  const [a, b] = ts;
  assertSameDtype('pow', a, b);
  const [oa, ob] = offsets;
  const out = uninitialized(shape, a);
  const ad = a.data;
  const bd = b.data;
  const yd = out.data;
  for (let i = 0; i < yd.length; i++) yd[i] = Math.pow(ad[oa === null ? i : oa[i]], bd[ob === null ? i : ob[i]]);
  return record(out, 'pow', [a, b], (g, grad) => {
    const ga = grad(0);
    const gb = grad(1);
    const av = a.data;
    const bv = b.data;
    const yv = out.data;
    for (let i = 0; i < g.length; i++) {
      const base = av[oa === null ? i : oa[i]];
      const e = bv[ob === null ? i : ob[i]];
      if (ga && e !== 0) accumulate(ga, oa, i, g[i] * e * Math.pow(base, e - 1));
      if (gb && !(base === 0 && e >= 0)) accumulate(gb, ob, i, g[i] * yv[i] * Math.log(base));
    }
  });
}

/**
 * x where cond ≠ 0, y elsewhere, with broadcasting over the three (x or y may be a number), as
 * torch.where. The gradient goes to the operand that was chosen; cond gets none.
 */
export function where(cond: Tensor, x: Tensor | number, y: Tensor | number): Tensor {
  assertTensor(cond, 'where', 'cond');
  const like = typeof x !== 'number' ? x : typeof y !== 'number' ? y : cond;
  const { ts, shape, offsets } = broadcastOperands('where', ['cond', 'x', 'y'], [cond, x, y], like);
  const [c, a, b] = ts;
  assertSameDtype('where', a, b);
  const [oc, oa, ob] = offsets;
  const out = uninitialized(shape, a);
  const cd = c.data;
  const ad = a.data;
  const bd = b.data;
  const yd = out.data;
  for (let i = 0; i < yd.length; i++) {
    yd[i] = cd[oc === null ? i : oc[i]] !== 0 ? ad[oa === null ? i : oa[i]] : bd[ob === null ? i : ob[i]];
  }
  // The choice is saved as a mask in ordinary memory (cond may change before backward).
  const chose = new Uint8Array(yd.length);
  for (let i = 0; i < chose.length; i++) chose[i] = cd[oc === null ? i : oc[i]] !== 0 ? 1 : 0;
  return record(out, 'where', [a, b], (g, grad) => {
    const ga = grad(0);
    const gb = grad(1);
    for (let i = 0; i < g.length; i++) {
      if (chose[i]) {
        if (ga) accumulate(ga, oa, i, g[i]);
      } else if (gb) accumulate(gb, ob, i, g[i]);
    }
  });
}

/**
 * `value` where mask is 1, x elsewhere, as torch.masked_fill (out of place): mask and x broadcast
 * together (PyTorch expands both), mask holds gradlab's booleans (0/1, what the comparisons
 * give). The filled elements are constants, so ∂/∂x = g where mask is 0 and 0 where it is 1
 * (summed over any dimension x was broadcast along). `value` is a number, or PyTorch's
 * 0-dimensional tensor that needs no gradient.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  assertTensor(x, 'maskedFill', 'x');
  assertTensor(mask, 'maskedFill', 'mask');
  let v: number;
  if (value instanceof Tensor) {
    if (value.size !== 1 || value.ndim > 0) throw new Error(`maskedFill: value must be a number or a 0-dimensional tensor, got a tensor of shape ${formatShape(value.shape)}`);
    if (value.requiresGrad) throw new Error('maskedFill: value is a tensor that requires grad; gradlab fills a constant (pass value.item(), or use ops.where(mask, value, x) for a gradient into value)');
    v = value.data[0];
  } else if (typeof value === 'number') v = value;
  else throw new Error(`maskedFill: value must be a number, got ${showValue(value)}`);
  const md = mask.data;
  for (let i = 0; i < md.length; i++) {
    if (md[i] !== 0 && md[i] !== 1) throw new Error(`maskedFill: mask must hold booleans (0 or 1, as x.gt(0) gives), got ${md[i]} at flat position ${i}`);
  }
  const shape = broadcastShapes('maskedFill', x.shape, mask.shape);
  const ox = broadcastOffsets(x.shape, shape);
  const om = broadcastOffsets(mask.shape, shape);
  const out = uninitialized(shape, x);
  const xd = x.data;
  const yd = out.data;
  // The mask is read now and kept as bytes: mask's storage may change before backward.
  const filled = new Uint8Array(yd.length);
  for (let i = 0; i < yd.length; i++) {
    filled[i] = md[om === null ? i : om[i]];
    yd[i] = filled[i] ? v : xd[ox === null ? i : ox[i]];
  }
  return record(out, 'maskedFill', [x], (g, grad) => {
    const gx = grad(0);
    if (gx) for (let i = 0; i < g.length; i++) if (!filled[i]) accumulate(gx, ox, i, g[i]);
  });
}

type Comparison = (a: number, b: number) => boolean;

function compare(op: string, test: Comparison, x: Tensor, y: Tensor | number): Tensor {
  assertTensor(x, op, 'x');
  const { ts, shape, offsets } = broadcastOperands(op, ['x', 'y'], [x, y], x);
  const [a, b] = ts;
  const [oa, ob] = offsets;
  const out = empty(shape, a);
  const ad = a.data;
  const bd = b.data;
  const yd = out.data;
  for (let i = 0; i < yd.length; i++) yd[i] = test(ad[oa === null ? i : oa[i]], bd[ob === null ? i : ob[i]]) ? 1 : 0;
  return out;
}

/** 1 where x = y, else 0 (a float tensor outside the graph, as PyTorch's bool result has no gradient). */
export const eq = (x: Tensor, y: Tensor | number): Tensor => compare('eq', (a, b) => a === b, x, y);
/** 1 where x ≠ y (NaN ≠ NaN), else 0. */
export const ne = (x: Tensor, y: Tensor | number): Tensor => compare('ne', (a, b) => a !== b, x, y);
/** 1 where x > y, else 0. */
export const gt = (x: Tensor, y: Tensor | number): Tensor => compare('gt', (a, b) => a > b, x, y);
/** 1 where x ≥ y, else 0. */
export const ge = (x: Tensor, y: Tensor | number): Tensor => compare('ge', (a, b) => a >= b, x, y);
/** 1 where x < y, else 0. */
export const lt = (x: Tensor, y: Tensor | number): Tensor => compare('lt', (a, b) => a < b, x, y);
/** 1 where x ≤ y, else 0. */
export const le = (x: Tensor, y: Tensor | number): Tensor => compare('le', (a, b) => a <= b, x, y);
