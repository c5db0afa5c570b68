/**
 * Scalar activation formulas in float64, the same definitions as src/activations.ts
 * (which the reference kernels evaluate), so the wasm results round to the same float32.
 * Kinds are numbered as UNARY_KIND in src/kernels/wasm/backend.ts.
 */

export const SELU_ALPHA: f64 = 1.6732632423543772848170429916717;
export const SELU_SCALE: f64 = 1.0507009873554804934193349852946;
const INV_SQRT2: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327;

// @ts-ignore: decorator
@inline export function sigmoid(x: f64): f64 {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** erfc with relative error < 1.2e-7 (Numerical Recipes erfcc), as src/mathx.ts. */
export function erfc(x: f64): f64 {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** log1p for the softplus/BCE tails. */
// @ts-ignore: decorator
@inline function log1p(x: f64): f64 { return Math.log1p(x); }

export function act(kind: i32, x: f64, p: f64): f64 {
  switch (kind) {
    case 0: return x;
    case 1: return x <= 0 ? 0 : x; // NaN propagates, as in PyTorch
    case 2: return x > 0 ? x : p * x;
    case 3: return x > 0 ? x : p * Math.expm1(x);
    case 4: return SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x));
    case 5: return sigmoid(x);
    case 6: return Math.tanh(x);
    case 7: return 0.5 * x * erfc(-x * INV_SQRT2);
    case 8: return x * sigmoid(x);
    case 9: return x > 20 ? x : Math.max(x, 0) + log1p(Math.exp(-Math.abs(x)));
  }
  return NaN;
}

/** f′ from x and/or y = f(x), exactly as the registry's `derivative`. */
export function dact(kind: i32, x: f64, y: f64, p: f64): f64 {
  switch (kind) {
    case 0: return 1;
    case 1: return y <= 0 ? 0 : 1; // a NaN passes the gradient, as PyTorch's threshold_backward
    case 2: return x > 0 ? 1 : p;
    // From x, not y + α: y ≈ −α cancels in float32 for x ≲ −5 (see src/activations.ts).
    case 3: return x <= 0 ? p * Math.exp(x) : 1; // x ≤ 0 as PyTorch's elu_backward: NaN takes slope 1
    case 4: return x <= 0 ? SELU_SCALE * SELU_ALPHA * Math.exp(x) : SELU_SCALE;
    case 5: return y * (1 - y);
    case 6: return 1 - y * y;
    case 7: return 0.5 * erfc(-x * INV_SQRT2) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
    case 8: { const s = sigmoid(x); return s * (1 + x * (1 - s)); }
    case 9: return x > 20 ? 1 : sigmoid(x);
  }
  return NaN;
}
