/**
 * Every non-GEMM kernel of the `Kernels` interface (src/kernels/types.ts) for float32 data in
 * linear memory. Pointers are byte addresses, counts are elements. The formulas are those of
 * src/kernels/reference.ts; comments there give the papers. Design rules:
 * - bandwidth-bound loops (fill, axpy, binary arithmetic, ReLU family, optimizers) use f32x4;
 * - long sums accumulate in float64 (f64x2 where vectorised), as the reference does, so
 *   results agree to float32 rounding rather than drifting with the length of the sum;
 * - transcendental activations evaluate in float64 with the registry's formulas (math.ts),
 *   so wasm and reference round the same value to float32.
 */
import { act, dact, sigmoid } from './math';
import { gemmAny, madd } from './gemm';

// @ts-ignore: decorator
@inline function f(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function sf(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline function fd(p: usize, i: i32): f64 { return <f64>load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function sfd(p: usize, i: i32, v: f64): void { store<f32>(p + (<usize>i << 2), <f32>v); }

export function heapBase(): usize { return __heap_base; }

export function fill(p: usize, n: i32, v: f32): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), vv);
  for (; i < n; i++) sf(p, i, v);
}

/** y ← y + α·x. */
export function axpy(alpha: f32, x: usize, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
  }
  for (; i < n; i++) sf(y, i, f(y, i) + alpha * f(x, i));
}

export function scale(x: usize, n: i32, alpha: f32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(x + o, f32x4.mul(va, v128.load(x + o))); }
  for (; i < n; i++) sf(x, i, f(x, i) * alpha);
}

// @ts-ignore: decorator
@inline function binv(kind: i32, a: v128, b: v128): v128 {
  if (kind == 0) return f32x4.add(a, b);
  if (kind == 1) return f32x4.sub(a, b);
  if (kind == 2) return f32x4.mul(a, b);
  return f32x4.div(a, b);
}
// @ts-ignore: decorator
@inline function bins(kind: i32, a: f32, b: f32): f32 {
  if (kind == 0) return a + b;
  if (kind == 1) return a - b;
  if (kind == 2) return a * b;
  return a / b;
}

/**
 * out[r, j] = a ∘ b over a [rows, cols] view, each operand in one of four layouts:
 * 0 full [rows, cols], 1 row vector [cols] (broadcast down rows, e.g. a bias),
 * 2 scalar, 3 column vector [rows] (broadcast along a row, e.g. a per-row max).
 * The JS side reduces NumPy-style strides to this form; other layouts go to the reference.
 */
export function binary2d(kind: i32, a: usize, am: i32, b: usize, bm: i32, out: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const ro = <usize>r * <usize>cols << 2;
    const pa = am == 0 ? a + ro : am == 1 ? a : am == 2 ? a : a + (<usize>r << 2);
    const pb = bm == 0 ? b + ro : bm == 1 ? b : bm == 2 ? b : b + (<usize>r << 2);
    const sa = am == 0 || am == 1; // a varies along the row
    const sb = bm == 0 || bm == 1;
    const po = out + ro;
    let j = 0;
    if (sa && sb) {
      for (; j + 4 <= cols; j += 4) { const o = <usize>j << 2; v128.store(po + o, binv(kind, v128.load(pa + o), v128.load(pb + o))); }
      for (; j < cols; j++) sf(po, j, bins(kind, f(pa, j), f(pb, j)));
    } else if (sa) {
      const bv = load<f32>(pb); const bb = f32x4.splat(bv);
      for (; j + 4 <= cols; j += 4) { const o = <usize>j << 2; v128.store(po + o, binv(kind, v128.load(pa + o), bb)); }
      for (; j < cols; j++) sf(po, j, bins(kind, f(pa, j), bv));
    } else if (sb) {
      const av = load<f32>(pa); const aa = f32x4.splat(av);
      for (; j + 4 <= cols; j += 4) { const o = <usize>j << 2; v128.store(po + o, binv(kind, aa, v128.load(pb + o))); }
      for (; j < cols; j++) sf(po, j, bins(kind, av, f(pb, j)));
    } else {
      const v = bins(kind, load<f32>(pa), load<f32>(pb));
      for (; j < cols; j++) sf(po, j, v);
    }
  }
}

/** gIn += gOut·∂(a∘b)/∂(a or b), summing where the input was broadcast (same layouts as binary2d). */
export function binaryBackward2d(kind: i32, wrt: i32, g: usize, a: usize, am: i32, b: usize, bm: i32, gin: usize, rows: i32, cols: i32): void {
  const gm = wrt == 0 ? am : bm;
  // Fast path: same-shape add/sub are axpy with ±1.
  if (am == 0 && bm == 0 && kind <= 1) {
    axpy(kind == 1 && wrt == 1 ? -1 : 1, g, gin, rows * cols);
    return;
  }
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const i = r * cols + j;
      const ia = am == 0 ? i : am == 1 ? j : am == 2 ? 0 : r;
      const ib = bm == 0 ? i : bm == 1 ? j : bm == 2 ? 0 : r;
      const go = f(g, i);
      let d: f32;
      if (kind == 0) d = 1;
      else if (kind == 1) d = wrt == 0 ? 1 : -1;
      else if (kind == 2) d = wrt == 0 ? f(b, ib) : f(a, ia);
      else { const bv = f(b, ib); d = wrt == 0 ? 1 / bv : -f(a, ia) / (bv * bv); }
      const ig = gm == 0 ? i : gm == 1 ? j : gm == 2 ? 0 : r;
      sf(gin, ig, f(gin, ig) + go * d);
    }
  }
}

/** Activations without a transcendental part (linear, ReLU, leaky ReLU) run in f32x4. */
// @ts-ignore: decorator
@inline function actv(kind: i32, x: v128, p: v128): v128 {
  if (kind == 0) return x;
  if (kind == 1) return v128.andnot(x, f32x4.le(x, f32x4.splat(0))); // x ≤ 0 ? 0 : x, NaN propagates as in the reference
  return v128.bitselect(x, f32x4.mul(x, p), f32x4.gt(x, f32x4.splat(0)));
}

export function unary(kind: i32, p: f64, x: usize, y: usize, n: i32): void {
  let i = 0;
  if (kind <= 2) {
    const pv = f32x4.splat(<f32>p);
    for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(y + o, actv(kind, v128.load(x + o), pv)); }
  }
  for (; i < n; i++) sfd(y, i, act(kind, fd(x, i), p));
}

/** g·f′, but +0 where f′ = 0 (see `flow` in reference.ts): what the f32x4 ReLU mask gives. */
// @ts-ignore: decorator
@inline function flow(g: f64, d: f64): f64 { return d == 0 ? 0 : g * d; }

/** gx ← β·gx + f′·gy, β ∈ {0, 1}; β = 0 writes gx without reading it. */
export function unaryBackward(kind: i32, p: f64, x: usize, y: usize, gy: usize, gx: usize, n: i32, beta: i32): void {
  let i = 0;
  if (kind <= 2) {
    const zero = f32x4.splat(0);
    const pv = f32x4.splat(<f32>p);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = v128.load(gy + o);
      let d: v128;
      if (kind == 0) d = g;
      else if (kind == 1) d = v128.andnot(g, f32x4.le(v128.load(y + o), zero)); // g unless y ≤ 0: NaN passes g, as PyTorch
      else d = v128.bitselect(g, f32x4.mul(g, pv), f32x4.gt(v128.load(x + o), zero));
      v128.store(gx + o, beta ? f32x4.add(v128.load(gx + o), d) : d);
    }
  }
  if (beta) for (; i < n; i++) sfd(gx, i, fd(gx, i) + flow(fd(gy, i), dact(kind, fd(x, i), fd(y, i), p)));
  else for (; i < n; i++) sfd(gx, i, flow(fd(gy, i), dact(kind, fd(x, i), fd(y, i), p)));
}

/**
 * unary and unaryBackward with the pointers first: the thread pool's elementwise form
 * f(pointers…, scalars…, count), so large activations are cut into ranges (threads.ts).
 */
export function unarySplit(x: usize, y: usize, kind: i32, p: f64, n: i32): void { unary(kind, p, x, y, n); }
export function unaryBackwardSplit(x: usize, y: usize, gy: usize, gx: usize, kind: i32, p: f64, beta: i32, n: i32): void {
  unaryBackward(kind, p, x, y, gy, gx, n, beta);
}

/** y = f(x + bias) over rows; bias = 0 means none; y may alias x. */
export function biasActivation(kind: i32, p: f64, x: usize, bias: usize, rows: i32, cols: i32, y: usize): void {
  const pv = f32x4.splat(<f32>p);
  for (let r = 0; r < rows; r++) {
    const ro = <usize>r * <usize>cols << 2;
    const px = x + ro, py = y + ro;
    let j = 0;
    if (kind <= 2) {
      if (bias) for (; j + 4 <= cols; j += 4) { const o = <usize>j << 2; v128.store(py + o, actv(kind, f32x4.add(v128.load(px + o), v128.load(bias + o)), pv)); }
      else for (; j + 4 <= cols; j += 4) { const o = <usize>j << 2; v128.store(py + o, actv(kind, v128.load(px + o), pv)); }
    }
    for (; j < cols; j++) {
      const v = bias ? f(px, j) + f(bias, j) : f(px, j);
      sfd(py, j, act(kind, <f64>v, p));
    }
  }
}

/** biasActivation on the rows [start, start + count): the pool's ranges (rows are independent). */
export function biasActivationRange(kind: i32, p: f64, x: usize, bias: usize, rows: i32, cols: i32, y: usize, start: i32, count: i32): void {
  const o = <usize>start * <usize>cols << 2;
  biasActivation(kind, p, x + o, bias, min(count, rows - start), cols, y + o);
}

// @ts-ignore: decorator
@inline function dOut(kind: i32, g: v128, y: v128): v128 {
  // f′(y)·g for the identity (0) and ReLU (1): g except where y ≤ 0, as the f32x4 path of unaryBackward.
  return kind == 0 ? g : v128.andnot(g, f32x4.le(y, f32x4.splat(0))); // g unless y ≤ 0: NaN passes g
}
// @ts-ignore: decorator
@inline function lo(s: v128, d: v128): v128 { return f64x2.add(s, f64x2.promote_low_f32x4(d)); }
// @ts-ignore: decorator
@inline function hi(s: v128, d: v128): v128 { return f64x2.add(s, f64x2.promote_low_f32x4(i32x4.shuffle(d, d, 2, 3, 0, 1))); }
// @ts-ignore: decorator
@inline function demote4(s0: v128, s1: v128): v128 { return v128.shuffle<f32>(f32x4.demote_f64x2_zero(s0), f32x4.demote_f64x2_zero(s1), 0, 1, 4, 5); }

/**
 * Column sums over `rows` rows (stride bytes apart) of the columns [0, cols − cols mod 4), in
 * float64 over the rows in order, written to `sums` (0: not wanted); returns the first column
 * left for a scalar tail. With MAP each element is first taken through dOut(kind, ·, y) and
 * written to `dst` (the fused bias + activation backward); without, `src` is summed as it is
 * (sumAxis). Strips of 16 columns keep eight independent f64x2 accumulators: a strip of 4
 * alone waits on the latency of its adds every row.
 */
// @ts-ignore: decorator
@inline function columnSums(MAP: bool, kind: i32, src: usize, y: usize, dst: usize, rows: i32, cols: i32, stride: usize, sums: usize): i32 {
  let j = 0;
  for (; j + 16 <= cols; j += 16) {
    let s0 = f64x2.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    let o = <usize>j << 2;
    for (let r = 0; r < rows; r++) {
      let d0 = v128.load(src + o), d1 = v128.load(src + o, 16), d2 = v128.load(src + o, 32), d3 = v128.load(src + o, 48);
      if (MAP) {
        d0 = dOut(kind, d0, v128.load(y + o)); d1 = dOut(kind, d1, v128.load(y + o, 16));
        d2 = dOut(kind, d2, v128.load(y + o, 32)); d3 = dOut(kind, d3, v128.load(y + o, 48));
        v128.store(dst + o, d0); v128.store(dst + o, d1, 16); v128.store(dst + o, d2, 32); v128.store(dst + o, d3, 48);
      }
      s0 = lo(s0, d0); s1 = hi(s1, d0); s2 = lo(s2, d1); s3 = hi(s3, d1);
      s4 = lo(s4, d2); s5 = hi(s5, d2); s6 = lo(s6, d3); s7 = hi(s7, d3);
      o += stride;
    }
    if (sums) {
      const b = sums + (<usize>j << 2);
      v128.store(b, demote4(s0, s1)); v128.store(b, demote4(s2, s3), 16); v128.store(b, demote4(s4, s5), 32); v128.store(b, demote4(s6, s7), 48);
    }
  }
  for (; j + 4 <= cols; j += 4) {
    let s0 = f64x2.splat(0), s1 = s0;
    let o = <usize>j << 2;
    for (let r = 0; r < rows; r++) {
      let d = v128.load(src + o);
      if (MAP) {
        d = dOut(kind, d, v128.load(y + o));
        v128.store(dst + o, d);
      }
      s0 = lo(s0, d); s1 = hi(s1, d);
      o += stride;
    }
    if (sums) v128.store(sums + (<usize>j << 2), demote4(s0, s1));
  }
  return j;
}

/**
 * Backward of biasActivation for an activation whose f′ is a function of y (registry
 * `derivativeFromOutput`; identity and ReLU in f32x4, sigmoid and tanh scalar):
 * gz = f′(y)·gy, written (gz may alias gy), and gBias = Σ_rows gz (gBias = 0: skipped),
 * written. One pass instead of unaryBackward then sumAxis; the sum runs over rows in order
 * in float64, as sumAxis does (the same columnSums), so fused and unfused results agree bit
 * for bit.
 */
export function biasActivationBackward(kind: i32, p: f64, y: usize, gy: usize, rows: i32, cols: i32, gz: usize, gBias: usize): void {
  biasActivationBackwardCols(kind, p, y, gy, rows, cols, gz, gBias, 0, cols);
}

/** biasActivationBackward on the columns [j0, j1) of the [rows, cols] arrays. */
function biasActivationBackwardCols(kind: i32, p: f64, y: usize, gy: usize, rows: i32, cols: i32, gz: usize, gBias: usize, j0: i32, j1: i32): void {
  const o = <usize>j0 << 2;
  let j = j0 + (kind <= 1 ? columnSums(true, kind, gy + o, y + o, gz + o, rows, j1 - j0, <usize>cols << 2, gBias ? gBias + o : 0) : 0);
  for (; j < j1; j++) {
    let s: f64 = 0;
    for (let r = 0; r < rows; r++) {
      const i = r * cols + j;
      const d = <f32>flow(fd(gy, i), dact(kind, 0, fd(y, i), p));
      sf(gz, i, d);
      s += <f64>d;
    }
    if (gBias) sfd(gBias, j, s);
  }
}

/**
 * biasActivationBackward on the columns [4·start, 4·(start + count)) ∩ [0, cols): the pool's
 * ranges (units of 4 columns, so strips stay whole vectors). A column's gz and its sum over
 * the rows in order do not depend on the other columns, so any cut gives the bits of one call.
 */
export function biasActivationBackwardRange(kind: i32, p: f64, y: usize, gy: usize, rows: i32, cols: i32, gz: usize, gBias: usize, start: i32, count: i32): void {
  biasActivationBackwardCols(kind, p, y, gy, rows, cols, gz, gBias, start << 2, min(cols, (start + count) << 2));
}

/**
 * out[o, i] = Σ_j x[o, j, i], accumulated in float64 over j in order (columnSums, then a scalar
 * tail). inner = 1 (a conv bias gradient: Σ over each run of H·W positions) sums each contiguous
 * run in four float64 lanes (runSum), an order whose rounding is far below float32's.
 */
export function sumAxis(x: usize, outer: i32, n: i32, inner: i32, out: usize): void {
  if (inner == 1) {
    for (let o = 0; o < outer; o++) sfd(out, o, runSum(x + (<usize>o * <usize>n << 2), n));
    return;
  }
  for (let o = 0; o < outer; o++) {
    const base = x + (<usize>o * <usize>n * <usize>inner << 2);
    const ob = out + (<usize>o * <usize>inner << 2);
    for (let i = columnSums(false, 0, base, 0, 0, n, inner, <usize>inner << 2, ob); i < inner; i++) {
      let s: f64 = 0;
      for (let j = 0; j < n; j++) s += fd(base, j * inner + i);
      sfd(ob, i, s);
    }
  }
}

/** gx[o, j, i] += g[o, i]·scale. */
export function broadcastAxis(g: usize, outer: i32, n: i32, inner: i32, scl: f32, gx: usize): void {
  const sv = f32x4.splat(scl);
  for (let o = 0; o < outer; o++) {
    const gb = g + (<usize>o * <usize>inner << 2);
    for (let j = 0; j < n; j++) {
      const xb = gx + (<usize>(o * n + j) * <usize>inner << 2);
      let i = 0;
      for (; i + 4 <= inner; i += 4) { const q = <usize>i << 2; v128.store(xb + q, f32x4.add(v128.load(xb + q), f32x4.mul(v128.load(gb + q), sv))); }
      for (; i < inner; i++) sf(xb, i, f(xb, i) + f(gb, i) * scl);
    }
  }
}

export function softmax(x: usize, outer: i32, n: i32, inner: i32, log: i32, y: usize): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let max = -Infinity;
      for (let j = 0; j < n; j++) max = Math.max(max, fd(x, base + j * inner));
      let s: f64 = 0;
      for (let j = 0; j < n; j++) s += Math.exp(fd(x, base + j * inner) - max);
      if (log) {
        const lse = max + Math.log(s);
        for (let j = 0; j < n; j++) sfd(y, base + j * inner, fd(x, base + j * inner) - lse);
      } else {
        for (let j = 0; j < n; j++) sfd(y, base + j * inner, Math.exp(fd(x, base + j * inner) - max) / s);
      }
    }
  }
}

export function softmaxBackward(y: usize, gy: usize, outer: i32, n: i32, inner: i32, log: i32, gx: usize): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      if (log) {
        let s: f64 = 0;
        for (let j = 0; j < n; j++) s += fd(gy, base + j * inner);
        for (let j = 0; j < n; j++) { const k = base + j * inner; sfd(gx, k, fd(gx, k) + (fd(gy, k) - Math.exp(fd(y, k)) * s)); }
      } else {
        let dot: f64 = 0;
        for (let j = 0; j < n; j++) dot += fd(gy, base + j * inner) * fd(y, base + j * inner);
        for (let j = 0; j < n; j++) { const k = base + j * inner; sfd(gx, k, fd(gx, k) + fd(y, k) * (fd(gy, k) - dot)); }
      }
    }
  }
}

/** losses[r] = lse(x_r) − x_r[y_r]; probs (if non-zero) = softmax. */
export function crossEntropy(logits: usize, labels: usize, n: i32, c: i32, losses: usize, probs: usize): void {
  for (let r = 0; r < n; r++) {
    const off = r * c;
    let max = -Infinity;
    for (let k = 0; k < c; k++) max = Math.max(max, fd(logits, off + k));
    let s: f64 = 0;
    if (probs) {
      // One exp per logit (the f64 exp dominates this kernel): e_k = exp(x_k − max) is kept in
      // probs (as float32) for p_k = e_k/Σe, within 1.5 ulp of exp(x_k − logΣexp).
      for (let k = 0; k < c; k++) { const e = Math.exp(fd(logits, off + k) - max); s += e; sfd(probs, off + k, e); }
      const inv = 1 / s;
      for (let k = 0; k < c; k++) sfd(probs, off + k, fd(probs, off + k) * inv);
    } else for (let k = 0; k < c; k++) s += Math.exp(fd(logits, off + k) - max);
    const lse = max + Math.log(s);
    const lab = load<i32>(labels + (<usize>r << 2));
    sfd(losses, r, lse - fd(logits, off + lab));
  }
}

export function crossEntropyBackward(probs: usize, labels: usize, n: i32, c: i32, gRow: usize, gLen: i32, gx: usize): void {
  for (let r = 0; r < n; r++) {
    const g = gLen == 1 ? f(gRow, 0) : f(gRow, r);
    const off = r * c;
    const lab = load<i32>(labels + (<usize>r << 2));
    for (let k = 0; k < c; k++) sf(gx, off + k, f(gx, off + k) + g * (f(probs, off + k) - (k == lab ? <f32>1 : <f32>0)));
  }
}

// @ts-ignore: decorator
@inline function sign(x: f64): f64 { return x > 0 ? 1 : x < 0 ? -1 : x; }

function plValue(kind: i32, x: f64, t: f64, p: f64): f64 {
  if (kind == 0) return (x - t) * (x - t);
  if (kind == 1) return Math.abs(x - t);
  if (kind == 2) { const d = Math.abs(x - t); return d < p ? 0.5 * d * d : p * (d - 0.5 * p); }
  return Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x)));
}
function plDx(kind: i32, x: f64, t: f64, p: f64): f64 {
  if (kind == 0) return 2 * (x - t);
  if (kind == 1) return sign(x - t);
  if (kind == 2) { const d = x - t; return Math.abs(d) < p ? d : p * sign(d); }
  return sigmoid(x) - t;
}
function plDt(kind: i32, x: f64, t: f64, p: f64): f64 {
  if (kind == 0) return -2 * (x - t);
  if (kind == 1) return -sign(x - t);
  if (kind == 2) { const d = x - t; return Math.abs(d) < p ? -d : -p * sign(d); }
  return -x;
}

/** Kinds: 0 mse, 1 l1, 2 huber (p = δ), 3 bceWithLogits. */
export function pointwiseLoss(kind: i32, p: f64, x: usize, t: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) sfd(out, i, plValue(kind, fd(x, i), fd(t, i), p));
}

export function pointwiseLossBackward(kind: i32, p: f64, x: usize, t: usize, g: usize, gLen: i32, gx: usize, gt: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const gi = gLen == 1 ? fd(g, 0) : fd(g, i);
    const xi = fd(x, i), ti = fd(t, i);
    if (gx) sf(gx, i, f(gx, i) + <f32>(gi * plDx(kind, xi, ti, p)));
    if (gt) sf(gt, i, f(gt, i) + <f32>(gi * plDt(kind, xi, ti, p)));
  }
}

/** Batch normalisation over [N, C, L]; statistics in float64 (see reference.ts for the conventions). */

// ---- BatchNorm on [N, C] (l = 1), channels ch..ch+7 as a column strip of two f32x4. Statistics
// and the normalisation are computed in f64x2 halves, with the formulas of the scalar loops (and
// of reference.ts) up to the order of a product, so results agree to float32 rounding.

// @ts-ignore: decorator
@inline function lo64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
// @ts-ignore: decorator
@inline function hi64(v: v128): v128 { return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)); }
// @ts-ignore: decorator
@inline function to32(a: v128, b: v128): v128 { return v128.shuffle<f32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5); }
// @ts-ignore: decorator
@inline function pair64(v0: f64, v1: f64): v128 { return f64x2.replace_lane(f64x2.splat(v0), 1, v1); }

// @ts-ignore: decorator
@inline function ld2(p: usize, ch: i32): v128 { return pair64(fd(p, ch), fd(p, ch + 1)); }
// @ts-ignore: decorator
@inline function st2(p: usize, ch: i32, v: v128): void { sfd(p, ch, f64x2.extract_lane(v, 0)); sfd(p, ch + 1, f64x2.extract_lane(v, 1)); }

/**
 * Per-channel statistics of one pair of channels (ch, ch + 1) from the sums s = Σx and
 * q = Σ(x − mean)²: saves mean and 1/√(σ² + ε), updates the running statistics, returns the
 * invStd; the same IEEE operations as the scalar loop, lane by lane.
 */
// @ts-ignore: decorator
@inline function bnStats2(mean: v128, q: v128, n: i32, ch: i32, runningMean: usize, runningVar: usize, momentum: f64, eps: f64): v128 {
  const inv = f64x2.div(f64x2.splat(1), f64x2.sqrt(f64x2.add(f64x2.div(q, f64x2.splat(<f64>n)), f64x2.splat(eps))));
  const keep = f64x2.splat(1 - momentum), mom = f64x2.splat(momentum);
  if (runningMean) st2(runningMean, ch, f64x2.add(f64x2.mul(keep, ld2(runningMean, ch)), f64x2.mul(mom, mean)));
  if (runningVar) st2(runningVar, ch, f64x2.add(f64x2.mul(keep, ld2(runningVar, ch)), f64x2.mul(mom, f64x2.div(q, f64x2.splat(<f64>(n - 1))))));
  return inv;
}

/**
 * BatchNorm forward over eight channels of an [N, C] input. Eight channels are four
 * independent f64x2 sums per pass, which hides the latency of the adds (a strip of four
 * waited on it every row); y = (x − mean)·(invStd·γ) + β keeps the last pass within the
 * vector registers.
 */
function bnForward8(
  x: usize, n: i32, c: i32, ch: i32, weight: usize, bias: usize, runningMean: usize, runningVar: usize,
  training: i32, momentum: f64, eps: f64, y: usize, saveMean: usize, saveInvStd: usize,
): void {
  const rs = <usize>c << 2;
  const base = <usize>ch << 2;
  let m0: v128, m1: v128, m2: v128, m3: v128, i0: v128, i1: v128, i2: v128, i3: v128;
  if (training) {
    let s0 = f64x2.splat(0), s1 = s0, s2 = s0, s3 = s0;
    let p = x + base;
    for (let i = 0; i < n; i++) {
      const v0 = v128.load(p), v1 = v128.load(p, 16);
      s0 = lo(s0, v0); s1 = hi(s1, v0); s2 = lo(s2, v1); s3 = hi(s3, v1);
      p += rs;
    }
    const cnt = f64x2.splat(<f64>n);
    m0 = f64x2.div(s0, cnt); m1 = f64x2.div(s1, cnt); m2 = f64x2.div(s2, cnt); m3 = f64x2.div(s3, cnt);
    let q0 = f64x2.splat(0), q1 = q0, q2 = q0, q3 = q0;
    p = x + base;
    for (let i = 0; i < n; i++) {
      const v0 = v128.load(p), v1 = v128.load(p, 16);
      const d0 = f64x2.sub(lo64(v0), m0), d1 = f64x2.sub(hi64(v0), m1), d2 = f64x2.sub(lo64(v1), m2), d3 = f64x2.sub(hi64(v1), m3);
      q0 = f64x2.add(q0, f64x2.mul(d0, d0)); q1 = f64x2.add(q1, f64x2.mul(d1, d1));
      q2 = f64x2.add(q2, f64x2.mul(d2, d2)); q3 = f64x2.add(q3, f64x2.mul(d3, d3));
      p += rs;
    }
    i0 = bnStats2(m0, q0, n, ch, runningMean, runningVar, momentum, eps);
    i1 = bnStats2(m1, q1, n, ch + 2, runningMean, runningVar, momentum, eps);
    i2 = bnStats2(m2, q2, n, ch + 4, runningMean, runningVar, momentum, eps);
    i3 = bnStats2(m3, q3, n, ch + 6, runningMean, runningVar, momentum, eps);
  } else {
    m0 = ld2(runningMean, ch); m1 = ld2(runningMean, ch + 2); m2 = ld2(runningMean, ch + 4); m3 = ld2(runningMean, ch + 6);
    const e = f64x2.splat(eps), one = f64x2.splat(1);
    i0 = f64x2.div(one, f64x2.sqrt(f64x2.add(ld2(runningVar, ch), e))); i1 = f64x2.div(one, f64x2.sqrt(f64x2.add(ld2(runningVar, ch + 2), e)));
    i2 = f64x2.div(one, f64x2.sqrt(f64x2.add(ld2(runningVar, ch + 4), e))); i3 = f64x2.div(one, f64x2.sqrt(f64x2.add(ld2(runningVar, ch + 6), e)));
  }
  st2(saveMean, ch, m0); st2(saveMean, ch + 2, m1); st2(saveMean, ch + 4, m2); st2(saveMean, ch + 6, m3);
  st2(saveInvStd, ch, i0); st2(saveInvStd, ch + 2, i1); st2(saveInvStd, ch + 4, i2); st2(saveInvStd, ch + 6, i3);
  const one = f64x2.splat(1), zero = f64x2.splat(0);
  const a0 = f64x2.mul(i0, weight ? ld2(weight, ch) : one), a1 = f64x2.mul(i1, weight ? ld2(weight, ch + 2) : one);
  const a2 = f64x2.mul(i2, weight ? ld2(weight, ch + 4) : one), a3 = f64x2.mul(i3, weight ? ld2(weight, ch + 6) : one);
  const b0 = bias ? ld2(bias, ch) : zero, b1 = bias ? ld2(bias, ch + 2) : zero, b2 = bias ? ld2(bias, ch + 4) : zero, b3 = bias ? ld2(bias, ch + 6) : zero;
  let p = x + base, q = y + base;
  for (let i = 0; i < n; i++) {
    const v0 = v128.load(p), v1 = v128.load(p, 16);
    v128.store(q, to32(f64x2.add(f64x2.mul(f64x2.sub(lo64(v0), m0), a0), b0), f64x2.add(f64x2.mul(f64x2.sub(hi64(v0), m1), a1), b1)));
    v128.store(q, to32(f64x2.add(f64x2.mul(f64x2.sub(lo64(v1), m2), a2), b2), f64x2.add(f64x2.mul(f64x2.sub(hi64(v1), m3), a3), b3)), 16);
    p += rs; q += rs;
  }
}

/**
 * BatchNorm backward over eight channels (see bnForward8 for the strip width). With
 * x̂ = (x − μ)·invStd, Σg and Σg·x̂ (= invStd·Σg·(x − μ)) give ∂L/∂β and ∂L/∂γ, and
 * ∂L/∂x = γ·invStd·(g − Σg/N − x̂·Σg·x̂/N) (Ioffe & Szegedy 2015, §3), evaluated as
 * a·g − B·x + C with per-channel a = γ·invStd, B = a·invStd·Σg·x̂/N, C = B·μ − a·Σg/N: no
 * division in the loop (one per element was most of this kernel's time). In eval mode
 * ∂L/∂x = a·g (B = C = 0).
 */
function bnBackward8(
  x: usize, gy: usize, n: i32, c: i32, ch: i32, weight: usize, saveMean: usize, saveInvStd: usize,
  training: i32, gx: usize, gxBeta: i32, gWeight: usize, gBias: usize,
): void {
  const rs = <usize>c << 2;
  const base = <usize>ch << 2;
  const m0 = ld2(saveMean, ch), m1 = ld2(saveMean, ch + 2), m2 = ld2(saveMean, ch + 4), m3 = ld2(saveMean, ch + 6);
  let sg0 = f64x2.splat(0), sg1 = sg0, sg2 = sg0, sg3 = sg0, sx0 = sg0, sx1 = sg0, sx2 = sg0, sx3 = sg0;
  let p = x + base, pg = gy + base;
  for (let i = 0; i < n; i++) {
    const v0 = v128.load(p), v1 = v128.load(p, 16), g0 = v128.load(pg), g1 = v128.load(pg, 16);
    const gl0 = lo64(g0), gh0 = hi64(g0), gl1 = lo64(g1), gh1 = hi64(g1);
    sg0 = f64x2.add(sg0, gl0); sg1 = f64x2.add(sg1, gh0); sg2 = f64x2.add(sg2, gl1); sg3 = f64x2.add(sg3, gh1);
    sx0 = f64x2.add(sx0, f64x2.mul(gl0, f64x2.sub(lo64(v0), m0))); sx1 = f64x2.add(sx1, f64x2.mul(gh0, f64x2.sub(hi64(v0), m1)));
    sx2 = f64x2.add(sx2, f64x2.mul(gl1, f64x2.sub(lo64(v1), m2))); sx3 = f64x2.add(sx3, f64x2.mul(gh1, f64x2.sub(hi64(v1), m3)));
    p += rs; pg += rs;
  }
  const i0 = ld2(saveInvStd, ch), i1 = ld2(saveInvStd, ch + 2), i2 = ld2(saveInvStd, ch + 4), i3 = ld2(saveInvStd, ch + 6);
  sx0 = f64x2.mul(sx0, i0); sx1 = f64x2.mul(sx1, i1); sx2 = f64x2.mul(sx2, i2); sx3 = f64x2.mul(sx3, i3);
  if (gWeight) { st2(gWeight, ch, f64x2.add(ld2(gWeight, ch), sx0)); st2(gWeight, ch + 2, f64x2.add(ld2(gWeight, ch + 2), sx1)); st2(gWeight, ch + 4, f64x2.add(ld2(gWeight, ch + 4), sx2)); st2(gWeight, ch + 6, f64x2.add(ld2(gWeight, ch + 6), sx3)); }
  if (gBias) { st2(gBias, ch, f64x2.add(ld2(gBias, ch), sg0)); st2(gBias, ch + 2, f64x2.add(ld2(gBias, ch + 2), sg1)); st2(gBias, ch + 4, f64x2.add(ld2(gBias, ch + 4), sg2)); st2(gBias, ch + 6, f64x2.add(ld2(gBias, ch + 6), sg3)); }
  if (!gx) return;
  const one = f64x2.splat(1), cnt = f64x2.splat(<f64>n);
  const a0 = f64x2.mul(weight ? ld2(weight, ch) : one, i0), a1 = f64x2.mul(weight ? ld2(weight, ch + 2) : one, i1);
  const a2 = f64x2.mul(weight ? ld2(weight, ch + 4) : one, i2), a3 = f64x2.mul(weight ? ld2(weight, ch + 6) : one, i3);
  const t = training ? one : f64x2.splat(0);
  const B0 = f64x2.mul(t, f64x2.mul(f64x2.mul(a0, i0), f64x2.div(sx0, cnt))), B1 = f64x2.mul(t, f64x2.mul(f64x2.mul(a1, i1), f64x2.div(sx1, cnt)));
  const B2 = f64x2.mul(t, f64x2.mul(f64x2.mul(a2, i2), f64x2.div(sx2, cnt))), B3 = f64x2.mul(t, f64x2.mul(f64x2.mul(a3, i3), f64x2.div(sx3, cnt)));
  const C0 = f64x2.mul(t, f64x2.sub(f64x2.mul(B0, m0), f64x2.mul(a0, f64x2.div(sg0, cnt)))), C1 = f64x2.mul(t, f64x2.sub(f64x2.mul(B1, m1), f64x2.mul(a1, f64x2.div(sg1, cnt))));
  const C2 = f64x2.mul(t, f64x2.sub(f64x2.mul(B2, m2), f64x2.mul(a2, f64x2.div(sg2, cnt)))), C3 = f64x2.mul(t, f64x2.sub(f64x2.mul(B3, m3), f64x2.mul(a3, f64x2.div(sg3, cnt))));
  p = x + base; pg = gy + base;
  let po = gx + base;
  for (let i = 0; i < n; i++) {
    const v0 = v128.load(p), v1 = v128.load(p, 16), g0 = v128.load(pg), g1 = v128.load(pg, 16);
    let r0 = f64x2.add(f64x2.sub(f64x2.mul(a0, lo64(g0)), f64x2.mul(B0, lo64(v0))), C0);
    let r1 = f64x2.add(f64x2.sub(f64x2.mul(a1, hi64(g0)), f64x2.mul(B1, hi64(v0))), C1);
    let r2 = f64x2.add(f64x2.sub(f64x2.mul(a2, lo64(g1)), f64x2.mul(B2, lo64(v1))), C2);
    let r3 = f64x2.add(f64x2.sub(f64x2.mul(a3, hi64(g1)), f64x2.mul(B3, hi64(v1))), C3);
    if (gxBeta) {
      const o0 = v128.load(po), o1 = v128.load(po, 16);
      r0 = f64x2.add(lo64(o0), r0); r1 = f64x2.add(hi64(o0), r1); r2 = f64x2.add(lo64(o1), r2); r3 = f64x2.add(hi64(o1), r3);
    }
    v128.store(po, to32(r0, r1));
    v128.store(po, to32(r2, r3), 16);
    p += rs; pg += rs; po += rs;
  }
}

/**
 * Channel ch's statistics for the normalisation: in training, from its mean μ and Σ(x − μ)² = ss
 * over m values (σ² = ss/m, biased, normalises; the running variance takes ss/(m − 1), unbiased,
 * as PyTorch), updating the running statistics with `momentum`; in eval, μ is the running mean
 * (the caller's) and σ² the running variance. Saves μ and 1/√(σ² + ε) for backward and returns
 * 1/√(σ² + ε).
 */
@inline function bnChannelStats(
  ch: i32, training: i32, mean: f64, ss: f64, count: i32, runningMean: usize, runningVar: usize,
  momentum: f64, eps: f64, saveMean: usize, saveInvStd: usize,
): f64 {
  let invStd: f64;
  if (training) {
    invStd = 1 / Math.sqrt(ss / count + eps);
    if (runningMean) sfd(runningMean, ch, (1 - momentum) * fd(runningMean, ch) + momentum * mean);
    if (runningVar) sfd(runningVar, ch, (1 - momentum) * fd(runningVar, ch) + momentum * (ss / (count - 1)));
  } else invStd = 1 / Math.sqrt(fd(runningVar, ch) + eps);
  sfd(saveMean, ch, mean);
  sfd(saveInvStd, ch, invStd);
  return invStd;
}

export function batchNorm(
  x: usize, n: i32, c: i32, l: i32, weight: usize, bias: usize, runningMean: usize, runningVar: usize,
  training: i32, momentum: f64, eps: f64, y: usize, saveMean: usize, saveInvStd: usize,
): void {
  // [N, C] input (l = 1, BatchNorm1d on features): eight channels at a time along the rows.
  const c8 = l == 1 ? c & ~7 : 0;
  for (let ch = 0; ch < c8; ch += 8) bnForward8(x, n, c, ch, weight, bias, runningMean, runningVar, training, momentum, eps, y, saveMean, saveInvStd);
  batchNormRange(x, n, c, l, weight, bias, runningMean, runningVar, training, momentum, eps, y, saveMean, saveInvStd, c8, c - c8);
}

/**
 * BatchNorm forward over channels c0 … c0+cn−1, one at a time (channels are independent, so the
 * thread pool splits [N, C, L] inputs into ranges of channels: a range kernel of threads.ts).
 */
export function batchNormRange(
  x: usize, n: i32, c: i32, l: i32, weight: usize, bias: usize, runningMean: usize, runningVar: usize,
  training: i32, momentum: f64, eps: f64, y: usize, saveMean: usize, saveInvStd: usize, c0: i32, cn: i32,
): void {
  const count = n * l;
  for (let ch = c0; ch < c0 + cn; ch++) {
    // [N, C, L] with runs of L ≥ 4 (BatchNorm2d: L = H·W): f64x2 over each contiguous run.
    if (l >= 4) {
      bnForwardRuns(x, n, c, l, ch, weight, bias, runningMean, runningVar, training, momentum, eps, y, saveMean, saveInvStd);
      continue;
    }
    let mean: f64 = 0, ss: f64 = 0;
    if (training) {
      let s: f64 = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) s += fd(x, (i * c + ch) * l + j);
      mean = s / count;
      for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) { const d = fd(x, (i * c + ch) * l + j) - mean; ss += d * d; }
    } else mean = fd(runningMean, ch);
    const invStd = bnChannelStats(ch, training, mean, ss, count, runningMean, runningVar, momentum, eps, saveMean, saveInvStd);
    const gamma: f64 = weight ? fd(weight, ch) : 1;
    const beta: f64 = bias ? fd(bias, ch) : 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) {
      const idx = (i * c + ch) * l + j;
      sfd(y, idx, (fd(x, idx) - mean) * invStd * gamma + beta);
    }
  }
}

export function batchNormBackward(
  x: usize, gy: usize, n: i32, c: i32, l: i32, weight: usize, saveMean: usize, saveInvStd: usize,
  training: i32, gx: usize, gxBeta: i32, gWeight: usize, gBias: usize,
): void {
  const c8 = l == 1 ? c & ~7 : 0;
  for (let ch = 0; ch < c8; ch += 8) bnBackward8(x, gy, n, c, ch, weight, saveMean, saveInvStd, training, gx, gxBeta, gWeight, gBias);
  batchNormBackwardRange(x, gy, n, c, l, weight, saveMean, saveInvStd, training, gx, gxBeta, gWeight, gBias, c8, c - c8);
}

/** BatchNorm backward over channels c0 … c0+cn−1 (see batchNormRange). */
export function batchNormBackwardRange(
  x: usize, gy: usize, n: i32, c: i32, l: i32, weight: usize, saveMean: usize, saveInvStd: usize,
  training: i32, gx: usize, gxBeta: i32, gWeight: usize, gBias: usize, c0: i32, cn: i32,
): void {
  const count = n * l;
  for (let ch = c0; ch < c0 + cn; ch++) {
    if (l >= 4) {
      bnBackwardRuns(x, gy, n, c, l, ch, weight, saveMean, saveInvStd, training, gx, gxBeta, gWeight, gBias);
      continue;
    }
    const mean = fd(saveMean, ch), invStd = fd(saveInvStd, ch);
    let sumG: f64 = 0, sumGX: f64 = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) {
      const idx = (i * c + ch) * l + j;
      const g = fd(gy, idx);
      sumG += g;
      sumGX += g * (fd(x, idx) - mean) * invStd;
    }
    if (gWeight) sfd(gWeight, ch, fd(gWeight, ch) + sumGX);
    if (gBias) sfd(gBias, ch, fd(gBias, ch) + sumG);
    if (!gx) continue;
    const gamma: f64 = weight ? fd(weight, ch) : 1;
    for (let i = 0; i < n; i++) for (let j = 0; j < l; j++) {
      const idx = (i * c + ch) * l + j;
      const prev: f64 = gxBeta ? fd(gx, idx) : 0;
      if (training) {
        const xhat = (fd(x, idx) - mean) * invStd;
        sfd(gx, idx, prev + gamma * invStd * (fd(gy, idx) - sumG / count - (xhat * sumGX) / count));
      } else {
        sfd(gx, idx, prev + gamma * invStd * fd(gy, idx));
      }
    }
  }
}

export function prelu(x: usize, w: usize, outer: i32, c: i32, inner: i32, y: usize): void {
  for (let o = 0; o < outer; o++) for (let ch = 0; ch < c; ch++) {
    const a = f(w, ch);
    const off = (o * c + ch) * inner;
    for (let i = 0; i < inner; i++) { const v = f(x, off + i); sf(y, off + i, v > 0 ? v : a * v); }
  }
}

export function preluBackward(x: usize, w: usize, gy: usize, outer: i32, c: i32, inner: i32, gx: usize, gw: usize): void {
  for (let o = 0; o < outer; o++) for (let ch = 0; ch < c; ch++) {
    const a = f(w, ch);
    const off = (o * c + ch) * inner;
    let s: f64 = 0;
    for (let i = 0; i < inner; i++) {
      const v = f(x, off + i), g = f(gy, off + i);
      if (gx) sf(gx, off + i, f(gx, off + i) + (v > 0 ? g : a * g));
      if (!(v > 0)) s += <f64>v * <f64>g; // NaN x: NaN, as PyTorch's (x > 0 ? 0 : x·g)
    }
    if (gw) sfd(gw, ch, fd(gw, ch) + s);
  }
}

export function maskScale(x: usize, mask: usize, scl: f32, y: usize, n: i32): void {
  const sv = f32x4.splat(scl);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const o = <usize>i << 2; v128.store(y + o, f32x4.mul(f32x4.mul(v128.load(x + o), v128.load(mask + o)), sv)); }
  for (; i < n; i++) sf(y, i, f(x, i) * f(mask, i) * scl);
}

export function alphaDropout(x: usize, mask: usize, alphaPrime: f32, a: f32, b: f32, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) sf(y, i, a * (f(mask, i) != 0 ? f(x, i) : alphaPrime) + b);
}

/** Σx² in float64; moments also stores Σx at `sumOut`. */
export function moments(x: usize, n: i32, sumOut: usize): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), q0 = f64x2.splat(0), q1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const lo = f64x2.promote_low_f32x4(v), hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    s0 = f64x2.add(s0, lo); s1 = f64x2.add(s1, hi);
    q0 = f64x2.add(q0, f64x2.mul(lo, lo)); q1 = f64x2.add(q1, f64x2.mul(hi, hi));
  }
  const s = f64x2.add(s0, s1), q = f64x2.add(q0, q1);
  let sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  let sq = f64x2.extract_lane(q, 0) + f64x2.extract_lane(q, 1);
  for (; i < n; i++) { const v = fd(x, i); sum += v; sq += v * v; }
  if (sumOut) store<f64>(sumOut, sum);
  return sq;
}

/** 1 when every element is finite: x − x is 0 for finite x and NaN for ±∞/NaN. */
export function allFinite(x: usize, n: i32): i32 {
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) { const v = v128.load(x + (<usize>i << 2)); acc = f32x4.add(acc, f32x4.sub(v, v)); }
  let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) { const v = f(x, i); s += v - v; }
  return s == 0 ? 1 : 0;
}

export function clampInPlace(x: usize, n: i32, clip: f32): void {
  for (let i = 0; i < n; i++) { const v = f(x, i); sf(x, i, v > clip ? clip : v < -clip ? -clip : v); }
}

/** torch.optim.SGD (see reference.ts); buf = 0 when momentum = 0. */
export function sgdStep(param: usize, grad: usize, buf: usize, firstStep: i32, lr: f32, momentum: f32, dampening64: f64, nesterov: i32, wd: f32, n: i32): void {
  sgdCore(param, grad, buf, firstStep, lr, momentum, dampening64, nesterov, wd, n, 0);
}

/**
 * sgdStep; with `save` ≠ 0 each parameter value is also stored there before its update and the
 * updated values are checked (x − x is 0 for finite x, NaN for ±∞/NaN): returns 0 when one is
 * not finite (1 otherwise, and always without `save`). The same holds for adamCore and rmspropCore.
 */
function sgdCore(param: usize, grad: usize, buf: usize, firstStep: i32, lr: f32, momentum: f32, dampening64: f64, nesterov: i32, wd: f32, n: i32, save: usize): i32 {
  // Complements such as 1 − dampening are formed in f64 and rounded once, as PyTorch does with
  // its Python-float scalars: 1 − f32(0.999) would be off by 5e-5 relative.
  const cd = <f32>(1 - dampening64);
  const vlr = f32x4.splat(lr), vm = f32x4.splat(momentum), vd = f32x4.splat(cd), vwd = f32x4.splat(wd);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p = v128.load(param + o);
    let d = f32x4.add(v128.load(grad + o), f32x4.mul(vwd, p));
    if (buf) {
      const bv = firstStep ? d : f32x4.add(f32x4.mul(vm, v128.load(buf + o)), f32x4.mul(vd, d));
      v128.store(buf + o, bv);
      d = nesterov ? f32x4.add(d, f32x4.mul(vm, bv)) : bv;
    }
    const pn = f32x4.sub(p, f32x4.mul(vlr, d));
    v128.store(param + o, pn);
    if (save) { v128.store(save + o, p); acc = f32x4.add(acc, f32x4.sub(pn, pn)); }
  }
  let s: f32 = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < n; i++) {
    const p = f(param, i);
    let d = f(grad, i) + wd * p;
    if (buf) {
      const bv = firstStep ? d : momentum * f(buf, i) + cd * d;
      sf(buf, i, bv);
      d = nesterov ? d + momentum * bv : bv;
    }
    const pn = p - lr * d;
    sf(param, i, pn);
    if (save) { sf(save, i, p); s += pn - pn; }
  }
  return s == 0 ? 1 : 0;
}

/**
 * The f32x4 body of adamCore over elements [0, n − n mod 4); returns where it stopped, and with
 * `saving` leaves Σ(p − p) of the updated values in adamCheck. `general` false: no weight decay
 * of either kind and no AMSGrad maximum, checked once by the caller. Tested inside the loop,
 * those options made plain Adam ≈ 1.4× slower (hence `saving` is a compile-time flag too).
 */
let adamCheck: f32 = 0;
// @ts-ignore: decorator
@inline function adamVec(param: usize, grad: usize, m: usize, v: usize, vMax: usize, stepSize: f32, beta1: f32, beta2: f32, cb1: f32, cb2: f32,
  eps: f32, wd: f32, decay: f32, invBc2Sqrt: f32, n: i32, general: bool, save: usize, saving: bool): i32 {
  const vb1 = f32x4.splat(beta1), vb1c = f32x4.splat(cb1), vb2 = f32x4.splat(beta2), vb2c = f32x4.splat(cb2);
  const veps = f32x4.splat(eps), vwd = f32x4.splat(wd), vdec = f32x4.splat(decay), vss = f32x4.splat(stepSize), vbc = f32x4.splat(invBc2Sqrt);
  let acc = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const p0 = v128.load(param + o);
    let p = p0;
    let g = v128.load(grad + o);
    if (general) {
      if (decay != 1) p = f32x4.mul(p, vdec);
      g = f32x4.add(g, f32x4.mul(vwd, p));
    }
    const mv = f32x4.add(f32x4.mul(vb1, v128.load(m + o)), f32x4.mul(vb1c, g));
    let vv = f32x4.add(f32x4.mul(vb2, v128.load(v + o)), f32x4.mul(f32x4.mul(vb2c, g), g));
    v128.store(m + o, mv);
    v128.store(v + o, vv);
    if (general && vMax) { vv = f32x4.max(v128.load(vMax + o), vv); v128.store(vMax + o, vv); }
    const den = f32x4.add(f32x4.mul(f32x4.sqrt(vv), vbc), veps);
    const pn = f32x4.sub(p, f32x4.div(f32x4.mul(vss, mv), den));
    v128.store(param + o, pn);
    if (saving) { v128.store(save + o, p0); acc = f32x4.add(acc, f32x4.sub(pn, pn)); }
  }
  if (saving) adamCheck = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  return i;
}

/**
 * Adam/AdamW/AMSGrad in f32x4: m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
 * p ← p − (η/(1−β₁ᵗ))·m/(√v̂/√(1−β₂ᵗ) + ε). The bias corrections are scalars computed by the caller.
 * √v̂ is multiplied by 1/√(1−β₂ᵗ) (rounded once, in float64) rather than divided by √(1−β₂ᵗ)
 * as PyTorch writes it: the loop is bound by the divide/square-root unit, and one division
 * fewer per element is ≈ 10% faster, for a difference of at most an ulp in the denominator.
 */
export function adamStep(param: usize, grad: usize, m: usize, v: usize, vMax: usize, stepSize: f32, beta1_64: f64, beta2_64: f64,
  eps: f32, wd: f32, decay: f32, invBc2Sqrt: f32, n: i32): void {
  adamCore(param, grad, m, v, vMax, stepSize, beta1_64, beta2_64, eps, wd, decay, invBc2Sqrt, n, 0);
}

/** adamStep, with `save` as in sgdCore. */
function adamCore(param: usize, grad: usize, m: usize, v: usize, vMax: usize, stepSize: f32, beta1_64: f64, beta2_64: f64,
  eps: f32, wd: f32, decay: f32, invBc2Sqrt: f32, n: i32, save: usize): i32 {
  // 1 − β in f64, rounded once (see sgdStep).
  const beta1 = <f32>beta1_64, beta2 = <f32>beta2_64, cb1 = <f32>(1 - beta1_64), cb2 = <f32>(1 - beta2_64);
  const plain = decay == 1 && wd == 0 && vMax == 0;
  adamCheck = 0;
  let i = save
    ? plain
      ? adamVec(param, grad, m, v, vMax, stepSize, beta1, beta2, cb1, cb2, eps, wd, decay, invBc2Sqrt, n, false, save, true)
      : adamVec(param, grad, m, v, vMax, stepSize, beta1, beta2, cb1, cb2, eps, wd, decay, invBc2Sqrt, n, true, save, true)
    : plain
      ? adamVec(param, grad, m, v, vMax, stepSize, beta1, beta2, cb1, cb2, eps, wd, decay, invBc2Sqrt, n, false, 0, false)
      : adamVec(param, grad, m, v, vMax, stepSize, beta1, beta2, cb1, cb2, eps, wd, decay, invBc2Sqrt, n, true, 0, false);
  let s = adamCheck;
  for (; i < n; i++) {
    const p0 = f(param, i);
    let p = p0;
    if (decay != 1) p *= decay;
    const g = wd == 0 ? f(grad, i) : f(grad, i) + wd * p;
    const mv = beta1 * f(m, i) + cb1 * g;
    let vv = beta2 * f(v, i) + cb2 * g * g;
    sf(m, i, mv); sf(v, i, vv);
    if (vMax) { vv = max(f(vMax, i), vv); sf(vMax, i, vv); }
    const pn = p - (stepSize * mv) / (Mathf.sqrt(vv) * invBc2Sqrt + eps);
    sf(param, i, pn);
    if (save) { sf(save, i, p0); s += pn - pn; }
  }
  return s == 0 ? 1 : 0;
}

/** torch.optim.RMSprop (see reference.ts). */
export function rmspropStep(param: usize, grad: usize, sq: usize, gavg: usize, mbuf: usize, lr: f32, alpha64: f64, eps: f32, wd: f32, momentum: f32, n: i32): void {
  rmspropCore(param, grad, sq, gavg, mbuf, lr, alpha64, eps, wd, momentum, n, 0);
}

/** rmspropStep, with `save` as in sgdCore. */
function rmspropCore(param: usize, grad: usize, sq: usize, gavg: usize, mbuf: usize, lr: f32, alpha64: f64, eps: f32, wd: f32, momentum: f32, n: i32, save: usize): i32 {
  const alpha = <f32>alpha64, ca = <f32>(1 - alpha64); // see sgdStep
  let s: f32 = 0;
  for (let i = 0; i < n; i++) {
    const p = f(param, i);
    const g = f(grad, i) + wd * p;
    const q = alpha * f(sq, i) + ca * g * g;
    sf(sq, i, q);
    let avg: f32;
    if (gavg) {
      const ga = alpha * f(gavg, i) + ca * g;
      sf(gavg, i, ga);
      avg = Mathf.sqrt(q - ga * ga) + eps;
    } else avg = Mathf.sqrt(q) + eps;
    let pn: f32;
    if (mbuf) {
      const b = momentum * f(mbuf, i) + g / avg;
      sf(mbuf, i, b);
      pn = p - lr * b;
    } else pn = p - (lr * g) / avg;
    sf(param, i, pn);
    if (save) { sf(save, i, p); s += pn - pn; }
  }
  return s == 0 ? 1 : 0;
}

/** Float64 slots of one entry of optimizerStepsRange's table. */
const OPT_ENTRY: usize = 16;

/**
 * The optimizer updates of several parameters as one range kernel (one pool round for all of
 * them instead of one per parameter). `table` holds `count` entries of OPT_ENTRY float64:
 * [param, grad, a, b, c, save, n, offset, s₀ … s₇] — byte offsets (0 = absent), the parameter's
 * length and its offset in the concatenated index space (a multiple of 4, so chunks that are
 * multiples of 4 keep SIMD lanes aligned), then the kernel's scalars:
 *   kind 0, Adam: a = m, b = v, c = vMax; s = stepSize, β₁, β₂, ε, λ, decay, 1/√(1−β₂ᵗ)
 *   kind 1, SGD: a = buf; s = firstStep, lr, μ, τ, nesterov, λ
 *   kind 2, RMSprop: a = square_avg, b = grad_avg, c = momentum_buffer; s = lr, α, ε, λ, μ
 * Each element gets exactly the single-tensor kernel's arithmetic, so any split gives the same
 * values. With `save`, the parameter's values are stored there in the update's own pass and
 * the updated values checked: a non-finite one stores 1 at `flag` (every writer stores the
 * same value; the caller reads it after the round).
 */
/** Pointer `slot` of a table entry advanced by `o` bytes (0 stays 0: absent). */
// @ts-ignore: decorator
@inline function optPtr(e: usize, slot: usize, o: usize): usize {
  const q = <usize>load<f64>(e + (slot << 3));
  return q ? q + o : 0;
}

export function optimizerStepsRange(kind: i32, table: usize, count: i32, flag: usize, start: i32, n: i32, ws: usize): void {
  const end = start + n;
  for (let j = 0; j < count; j++) {
    const e = table + ((<usize>j * OPT_ENTRY) << 3);
    const len = <i32>load<f64>(e, 48), off = <i32>load<f64>(e, 56);
    const lo = max(start, off), hi = min(end, off + len);
    if (lo >= hi) continue;
    const k = hi - lo;
    const o = <usize>(lo - off) << 2;
    const param = optPtr(e, 0, o), grad = optPtr(e, 1, o), a = optPtr(e, 2, o), b = optPtr(e, 3, o), c = optPtr(e, 4, o), save = optPtr(e, 5, o);
    const s = e + 64;
    let finite: i32;
    if (kind == 0) {
      finite = adamCore(param, grad, a, b, c, <f32>load<f64>(s), load<f64>(s, 8), load<f64>(s, 16), <f32>load<f64>(s, 24), <f32>load<f64>(s, 32),
        <f32>load<f64>(s, 40), <f32>load<f64>(s, 48), k, save);
    } else if (kind == 1) {
      finite = sgdCore(param, grad, a, <i32>load<f64>(s), <f32>load<f64>(s, 8), <f32>load<f64>(s, 16), load<f64>(s, 24), <i32>load<f64>(s, 32), <f32>load<f64>(s, 40), k, save);
    } else {
      finite = rmspropCore(param, grad, a, b, c, <f32>load<f64>(s), load<f64>(s, 8), <f32>load<f64>(s, 16), <f32>load<f64>(s, 24), <f32>load<f64>(s, 32), k, save);
    }
    if (!finite) store<i32>(flag, 1);
  }
}

// ---------------------------------------------------------------------------------------
// Convolution (im2col/col2im) and max pooling over planes [h, w]; the geometry is the
// Window2d of src/kernels/types.ts, passed flat. Per kernel column j the output columns
// whose input column x·sw − pw + j·dw lies inside [0, w) are a range [x0, x1); outside it
// col holds padding zeros, so the inner loops carry no bounds test.

// @ts-ignore: decorator
@inline function validFrom(shift: i32, sw: i32, ow: i32): i32 {
  // ⌈−shift/sw⌉ clamped to [0, ow]
  const v = shift >= 0 ? 0 : (-shift + sw - 1) / sw;
  return min(ow, v);
}
// @ts-ignore: decorator
@inline function validTo(shift: i32, sw: i32, w: i32, ow: i32, x0: i32): i32 {
  // ⌊(w − 1 − shift)/sw⌋ + 1 clamped to [x0, ow]
  const t = w - 1 - shift;
  const v = t < 0 ? 0 : t / sw + 1;
  return max(x0, min(ow, v));
}

// Rows of a feature map are short (7–64 values): a few v128 moves beat a memory.copy/fill call.
// @ts-ignore: decorator
@inline function copyRun(dst: usize, src: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) v128.store(dst + (<usize>k << 2), v128.load(src + (<usize>k << 2)));
  for (; k < n; k++) store<f32>(dst + (<usize>k << 2), load<f32>(src + (<usize>k << 2)));
}
// @ts-ignore: decorator
@inline function zeros(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) v128.store(dst + (<usize>k << 2), z);
  for (; k < n; k++) store<f32>(dst + (<usize>k << 2), 0);
}

/**
 * One row of col (a kernel tap) when the output rows are as wide as the input's and the strides
 * are 1 (a 'same'-padded convolution): output row y reads input row y − top, columns shifted by
 * `shift`, so the rows with an input row are ONE run of the plane — copied at once — after which
 * the [0, x0) and [x1, ow) ends of each row, which the long run filled from the neighbouring
 * rows, are set to the padding zeros. Rows above or below the plane are zeros. Short rows (14
 * values for 3×3 on 14×14) made the row-by-row copy cost more per value than the copy itself.
 */
function im2colRowsSame(plane: usize, h: i32, w: i32, top: i32, shift: i32, x0: i32, x1: i32, oh: i32, dst: usize): void {
  const y0 = min(max(top, 0), oh);
  const y1 = max(min(h + top, oh), y0);
  zeros(dst, y0 * w);
  if (y1 > y0) {
    // From (y0, x0) to (y1 − 1, x1 − 1): inside the plane at both ends.
    copyRun(dst + (<usize>(y0 * w + x0) << 2), plane + (<usize>((y0 - top) * w + x0 + shift) << 2), (y1 - y0 - 1) * w + (x1 - x0));
    for (let y = y0; y < y1; y++) {
      const r = dst + (<usize>(y * w) << 2);
      for (let k = 0; k < x0; k++) store<f32>(r + (<usize>k << 2), 0);
      for (let k = x1; k < w; k++) store<f32>(r + (<usize>k << 2), 0);
    }
  }
  zeros(dst + (<usize>(y1 * w) << 2), (oh - y1) * w);
}

export function im2col(x: usize, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, oh: i32, ow: i32, col: usize, ld: i32): void {
  for (let ci = 0; ci < c; ci++)
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) {
        const row = ((ci * kh + i) * kw + j) * ld;
        const shift = j * dw - pw;
        const x0 = validFrom(shift, sw, ow);
        const x1 = validTo(shift, sw, w, ow, x0);
        if (sw == 1 && ow == w && sh == 1 && x1 > x0) {
          im2colRowsSame(x + (<usize>(ci * h * w) << 2), h, w, ph - i * dh, shift, x0, x1, oh, col + (<usize>row << 2));
          continue;
        }
        for (let y = 0; y < oh; y++) {
          const iy = y * sh - ph + i * dh;
          const o = row + y * ow;
          const dst = col + (<usize>o << 2);
          if (iy < 0 || iy >= h) {
            zeros(dst, ow);
            continue;
          }
          const src = (ci * h + iy) * w + shift;
          zeros(dst, x0);
          if (sw == 1) copyRun(dst + (<usize>x0 << 2), x + (<usize>(src + x0) << 2), x1 - x0);
          else for (let xo = x0; xo < x1; xo++) sf(col, o + xo, f(x, src + xo * sw));
          zeros(dst + (<usize>x1 << 2), ow - x1);
        }
      }
}

export function col2im(col: usize, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, oh: i32, ow: i32, gx: usize, ld: i32): void {
  for (let ci = 0; ci < c; ci++)
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) {
        const row = ((ci * kh + i) * kw + j) * ld;
        const shift = j * dw - pw;
        const x0 = validFrom(shift, sw, ow);
        const x1 = validTo(shift, sw, w, ow, x0);
        for (let y = 0; y < oh; y++) {
          const iy = y * sh - ph + i * dh;
          if (iy < 0 || iy >= h) continue;
          const o = row + y * ow;
          const dst = (ci * h + iy) * w + shift;
          if (sw == 1) {
            const a = col + (<usize>(o + x0) << 2);
            const b = gx + (<usize>(dst + x0) << 2);
            const n = x1 - x0;
            let k = 0;
            for (; k + 4 <= n; k += 4) {
              const q = <usize>k << 2;
              v128.store(b + q, f32x4.add(v128.load(b + q), v128.load(a + q)));
            }
            for (; k < n; k++) sf(b, k, f(b, k) + f(a, k));
          } else for (let xo = x0; xo < x1; xo++) sf(gx, dst + xo * sw, f(gx, dst + xo * sw) + f(col, o + xo));
        }
      }
}

/**
 * maxPool2d over planes p0 … p0+pn−1 (planes are independent and indices are within a plane, so
 * the thread pool splits large inputs into ranges of planes: a range kernel of threads.ts).
 */
export function maxPool2dRange(x: usize, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, oh: i32, ow: i32, y: usize, indices: usize, p0: i32, pn: i32): void {
  const xo = <usize>p0 * <usize>(h * w) << 2, yo = <usize>p0 * <usize>(oh * ow) << 2;
  maxPool2d(x + xo, pn, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow, y + yo, indices + yo);
}

/** Max pooling (see the Kernels interface): the first maximum in window order wins, a NaN wins at once. */
export function maxPool2d(x: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, oh: i32, ow: i32, y: usize, indices: usize): void {
  // Every window inside the input (no padding, no dilation, no ceil-mode window past the edge).
  if (ph == 0 && pw == 0 && dh == 1 && dw == 1 && (oh - 1) * sh + kh <= h && (ow - 1) * sw + kw <= w) {
    maxPool2dInside(x, planes, h, w, kh, kw, sh, sw, oh, ow, y, indices);
    return;
  }
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let best: f32 = -Infinity;
        let at = -1;
        let nan = false;
        for (let i = 0; i < kh && !nan; i++) {
          const iy = oy * sh - ph + i * dh;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw - pw + j * dw;
            if (ix < 0 || ix >= w) continue;
            const v = f(x, base + iy * w + ix);
            if (v > best || v != v || at < 0) {
              best = v;
              at = iy * w + ix;
              if (v != v) { nan = true; break; }
            }
          }
        }
        const o = (p * oh + oy) * ow + ox;
        sf(y, o, best);
        store<i32>(indices + (<usize>o << 2), at);
      }
  }
}

export function maxPool2dBackward(gy: usize, indices: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32, gx: usize, beta: i32): void {
  const per = oh * ow;
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    if (beta == 0) fill(gx + (<usize>base << 2), h * w, 0);
    for (let o = p * per; o < (p + 1) * per; o++) {
      const at = load<i32>(indices + (<usize>o << 2));
      if (at >= 0) sf(gx, base + at, f(gx, base + at) + f(gy, o));
    }
  }
}

/** maxPool2dBackward over planes p0 … p0+pn−1 (see maxPool2dRange). */
export function maxPool2dBackwardRange(gy: usize, indices: usize, h: i32, w: i32, oh: i32, ow: i32, gx: usize, beta: i32, p0: i32, pn: i32): void {
  const yo = <usize>p0 * <usize>(oh * ow) << 2;
  maxPool2dBackward(gy + yo, indices + yo, pn, h, w, oh, ow, gx + (<usize>p0 * <usize>(h * w) << 2), beta);
}

/**
 * Max pooling without padding or dilation (the usual maxpool(k) after a convolution): every
 * window lies inside the plane, so no bounds tests. Same order and tie/NaN rule as maxPool2d.
 */
function maxPool2dInside(x: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, oh: i32, ow: i32, y: usize, indices: usize): void {
  if (kh == 2 && kw == 2 && sh == 2 && sw == 2) {
    maxPool2x2(x, planes, h, w, oh, ow, y, indices);
    return;
  }
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const o = (p * oh + oy) * ow;
      for (let ox = 0; ox < ow; ox++) {
        const first = oy * sh * w + ox * sw;
        let best = f(x, base + first);
        let at = first;
        for (let i = 0; i < kh && best == best; i++) {
          const r = first + i * w;
          for (let j = i == 0 ? 1 : 0; j < kw; j++) {
            const v = f(x, base + r + j);
            if (v > best || v != v) {
              best = v;
              at = r + j;
              if (v != v) break;
            }
          }
        }
        sf(y, o + ox, best);
        store<i32>(indices + (<usize>(o + ox) << 2), at);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// BatchNorm over [N, C, L] with L ≥ 4 (BatchNorm2d, L = H·W): channel ch is N contiguous runs
// of L floats; each pass runs over them two lanes of float64 at a time (f32x4 loads split into
// halves), with the scalar path's formulas except that the training statistics take one
// shifted pass (see bnForwardRuns) instead of two.

// @ts-ignore: decorator
@inline function hsum(v: v128): f64 { return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1); }

/** Σ x over one run of `len` floats, in float64 (four lanes, then a scalar tail). */
function runSum(p: usize, len: i32): f64 {
  let s0 = f64x2.splat(0), s1 = s0;
  let k = 0;
  for (; k + 4 <= len; k += 4) {
    const v = v128.load(p + (<usize>k << 2));
    s0 = f64x2.add(s0, lo64(v)); s1 = f64x2.add(s1, hi64(v));
  }
  let s = hsum(f64x2.add(s0, s1));
  for (; k < len; k++) s += fd(p, k);
  return s;
}

function bnForwardRuns(
  x: usize, n: i32, c: i32, l: i32, ch: i32, weight: usize, bias: usize, runningMean: usize, runningVar: usize,
  training: i32, momentum: f64, eps: f64, y: usize, saveMean: usize, saveInvStd: usize,
): void {
  const count = n * l;
  let mean: f64 = 0, ss: f64 = 0;
  if (training) {
    // One pass for both moments, about a shift K (the channel's first value): with d = x − K,
    // μ = K + Σd/m and Σ(x − μ)² = Σd² − (Σd)²/m. In float64 over float32 inputs the shift keeps
    // the cancellation harmless (|μ − K| is of the order of σ, not of |μ|), so this agrees with
    // the reference's two passes far below float32's precision while reading x once less.
    const K = fd(x, ch * l);
    const kv = f64x2.splat(K);
    let s0 = f64x2.splat(0), s1 = s0, q0 = s0, q1 = s0;
    let s: f64 = 0;
    for (let i = 0; i < n; i++) {
      const px = x + (<usize>((i * c + ch) * l) << 2);
      let k = 0;
      for (; k + 4 <= l; k += 4) {
        const v = v128.load(px + (<usize>k << 2));
        const d0 = f64x2.sub(lo64(v), kv), d1 = f64x2.sub(hi64(v), kv);
        s0 = f64x2.add(s0, d0); s1 = f64x2.add(s1, d1);
        q0 = f64x2.add(q0, f64x2.mul(d0, d0)); q1 = f64x2.add(q1, f64x2.mul(d1, d1));
      }
      for (; k < l; k++) { const d = fd(px, k) - K; s += d; ss += d * d; }
    }
    s += hsum(f64x2.add(s0, s1));
    ss = max<f64>(ss + hsum(f64x2.add(q0, q1)) - (s * s) / count, 0);
    mean = K + s / count;
  } else mean = fd(runningMean, ch);
  const invStd = bnChannelStats(ch, training, mean, ss, count, runningMean, runningVar, momentum, eps, saveMean, saveInvStd);
  const a: f64 = invStd * (weight ? fd(weight, ch) : 1);
  const b: f64 = bias ? fd(bias, ch) : 0;
  const mv = f64x2.splat(mean), av = f64x2.splat(a), bv = f64x2.splat(b);
  for (let i = 0; i < n; i++) {
    const off = <usize>((i * c + ch) * l) << 2;
    const px = x + off, py = y + off;
    let k = 0;
    for (; k + 4 <= l; k += 4) {
      const q = <usize>k << 2;
      const v = v128.load(px + q);
      v128.store(py + q, to32(f64x2.add(f64x2.mul(f64x2.sub(lo64(v), mv), av), bv), f64x2.add(f64x2.mul(f64x2.sub(hi64(v), mv), av), bv)));
    }
    for (; k < l; k++) sfd(py, k, (fd(px, k) - mean) * a + b);
  }
}

function bnBackwardRuns(
  x: usize, gy: usize, n: i32, c: i32, l: i32, ch: i32, weight: usize, saveMean: usize, saveInvStd: usize,
  training: i32, gx: usize, gxBeta: i32, gWeight: usize, gBias: usize,
): void {
  const count = n * l;
  const mean = fd(saveMean, ch), invStd = fd(saveInvStd, ch);
  const mv = f64x2.splat(mean);
  // Σ g and Σ g·(x − μ) in one pass per run.
  let sumG: f64 = 0, sumGD: f64 = 0;
  for (let i = 0; i < n; i++) {
    const off = <usize>((i * c + ch) * l) << 2;
    const px = x + off, pg = gy + off;
    let g0 = f64x2.splat(0), g1 = g0, d0 = g0, d1 = g0;
    let k = 0;
    for (; k + 4 <= l; k += 4) {
      const q = <usize>k << 2;
      const v = v128.load(px + q), g = v128.load(pg + q);
      const gl = lo64(g), gh = hi64(g);
      g0 = f64x2.add(g0, gl); g1 = f64x2.add(g1, gh);
      d0 = f64x2.add(d0, f64x2.mul(gl, f64x2.sub(lo64(v), mv))); d1 = f64x2.add(d1, f64x2.mul(gh, f64x2.sub(hi64(v), mv)));
    }
    let sg = hsum(f64x2.add(g0, g1)), sd = hsum(f64x2.add(d0, d1));
    for (; k < l; k++) { const g = fd(pg, k); sg += g; sd += g * (fd(px, k) - mean); }
    sumG += sg;
    sumGD += sd;
  }
  const sumGX = sumGD * invStd;
  if (gWeight) sfd(gWeight, ch, fd(gWeight, ch) + sumGX);
  if (gBias) sfd(gBias, ch, fd(gBias, ch) + sumG);
  if (!gx) return;
  // gx = β·gx + A·g − B·(x − μ) − C, A = γ/σ, B = A·Σ g x̂/(m·σ), C = A·Σ g/m (training); A·g in eval.
  const A: f64 = (weight ? fd(weight, ch) : 1) * invStd;
  const B: f64 = training ? (A * invStd * sumGX) / count : 0;
  const C: f64 = training ? (A * sumG) / count : 0;
  const Av = f64x2.splat(A), Bv = f64x2.splat(B), Cv = f64x2.splat(C);
  for (let i = 0; i < n; i++) {
    const off = <usize>((i * c + ch) * l) << 2;
    const px = x + off, pg = gy + off, po = gx + off;
    let k = 0;
    for (; k + 4 <= l; k += 4) {
      const q = <usize>k << 2;
      const v = v128.load(px + q), g = v128.load(pg + q);
      let r0 = f64x2.sub(f64x2.sub(f64x2.mul(Av, lo64(g)), f64x2.mul(Bv, f64x2.sub(lo64(v), mv))), Cv);
      let r1 = f64x2.sub(f64x2.sub(f64x2.mul(Av, hi64(g)), f64x2.mul(Bv, f64x2.sub(hi64(v), mv))), Cv);
      if (gxBeta) { const o = v128.load(po + q); r0 = f64x2.add(r0, lo64(o)); r1 = f64x2.add(r1, hi64(o)); }
      v128.store(po + q, to32(r0, r1));
    }
    for (; k < l; k++) {
      const prev: f64 = gxBeta ? fd(po, k) : 0;
      sfd(po, k, prev + A * fd(pg, k) - B * (fd(px, k) - mean) - C);
    }
  }
}

// @ts-ignore: decorator
@inline function beats(v: f32, best: f32): bool { return (best == best) & ((v > best) | (v != v)); }

/**
 * Average pooling (count_include_pad, as the reference): sums in f64, y = sum·(1/(kh·kw)) rounded
 * once, so values equal the reference's bit for bit. Backward adds gy·(1/(kh·kw)) to each window
 * position, in the reference's order.
 */
export function avgPool2d(x: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, oh: i32, ow: i32, y: usize): void {
  const inv: f64 = 1 / <f64>(kh * kw);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let s: f64 = 0;
        for (let i = 0; i < kh; i++) {
          const iy = oy * sh - ph + i * dh;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw - pw + j * dw;
            if (ix >= 0 && ix < w) s += fd(x, base + iy * w + ix);
          }
        }
        sfd(y, (p * oh + oy) * ow + ox, s * inv);
      }
  }
}

export function avgPool2dBackward(gy: usize, planes: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, dh: i32, dw: i32, oh: i32, ow: i32, gx: usize): void {
  const inv: f64 = 1 / <f64>(kh * kw);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        const v = fd(gy, (p * oh + oy) * ow + ox) * inv;
        for (let i = 0; i < kh; i++) {
          const iy = oy * sh - ph + i * dh;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = ox * sw - pw + j * dw;
            if (ix >= 0 && ix < w) { const at = base + iy * w + ix; sfd(gx, at, fd(gx, at) + v); }
          }
        }
      }
  }
}

/** Adaptive average pooling: output (i, j) averages rows ⌊i·H/H_o⌋ … ⌈(i+1)·H/H_o⌉ − 1 and columns likewise (f64 as the reference). */
export function adaptiveAvgPool2d(x: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32, y: usize): void {
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = (oy * h) / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = (ox * w) / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
        let s: f64 = 0;
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) s += fd(x, base + iy * w + ix);
        sfd(y, (p * oh + oy) * ow + ox, s / <f64>((y1 - y0) * (x1 - x0)));
      }
    }
  }
}

export function adaptiveAvgPool2dBackward(gy: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32, gx: usize): void {
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = (oy * h) / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = (ox * w) / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
        const v = fd(gy, (p * oh + oy) * ow + ox) / <f64>((y1 - y0) * (x1 - x0));
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) { const at = base + iy * w + ix; sfd(gx, at, fd(gx, at) + v); }
      }
    }
  }
}

/** One f32x4 step of beats: lanes of v that beat best (as `beats`) replace it and its index. */
// @ts-ignore: decorator
@inline function beats4(v: v128, best: v128): v128 {
  return v128.and(f32x4.eq(best, best), v128.or(f32x4.gt(v, best), f32x4.ne(v, v)));
}

/**
 * maxpool(2): the four window values in order, unrolled (same tie and NaN rule). Four outputs
 * at a time in f32x4: two rows of 8 inputs, split into even and odd columns by shuffles, then
 * the same four compare-and-selects lane-wise; the last ow mod 4 outputs as one more four
 * (overlapping), or one by one when ow < 4.
 */
function maxPool2x2(x: usize, planes: i32, h: i32, w: i32, oh: i32, ow: i32, y: usize, indices: usize): void {
  const step = i32x4(0, 2, 4, 6);
  for (let p = 0; p < planes; p++) {
    const base = p * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const r0 = 2 * oy * w;
      const o = (p * oh + oy) * ow;
      let ox = 0;
      // The overlapping last four writes the same values twice (7 outputs: 0–3, then 3–6).
      for (; ox < ow && ow >= 4; ox += 4) {
        if (ox + 4 > ow) ox = ow - 4;
        const a = r0 + 2 * ox;
        const top = x + (<usize>(base + a) << 2);
        const bot = top + (<usize>w << 2);
        const t0 = v128.load(top), t1 = v128.load(top, 16), b0 = v128.load(bot), b1 = v128.load(bot, 16);
        const ia = i32x4.add(i32x4.splat(a), step);
        let best = v128.shuffle<f32>(t0, t1, 0, 2, 4, 6);
        let at = ia;
        let v = v128.shuffle<f32>(t0, t1, 1, 3, 5, 7);
        let b = beats4(v, best);
        best = v128.bitselect(v, best, b); at = v128.bitselect(i32x4.add(ia, i32x4.splat(1)), at, b);
        v = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
        b = beats4(v, best);
        best = v128.bitselect(v, best, b); at = v128.bitselect(i32x4.add(ia, i32x4.splat(w)), at, b);
        v = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        b = beats4(v, best);
        best = v128.bitselect(v, best, b); at = v128.bitselect(i32x4.add(ia, i32x4.splat(w + 1)), at, b);
        v128.store(y + (<usize>(o + ox) << 2), best);
        v128.store(indices + (<usize>(o + ox) << 2), at);
      }
      for (; ox < ow; ox++) {
        const a = r0 + 2 * ox;
        let best = f(x, base + a);
        let at = a;
        // Branch-free selects: on real data each comparison is a coin flip for the predictor.
        let v = f(x, base + a + 1);
        let b = beats(v, best);
        best = select<f32>(v, best, b); at = select<i32>(a + 1, at, b);
        v = f(x, base + a + w);
        b = beats(v, best);
        best = select<f32>(v, best, b); at = select<i32>(a + w, at, b);
        v = f(x, base + a + w + 1);
        b = beats(v, best);
        best = select<f32>(v, best, b); at = select<i32>(a + w + 1, at, b);
        sf(y, o + ox, best);
        store<i32>(indices + (<usize>(o + ox) << 2), at);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// A convolution's per-sample products (im2col + GEMM), in fixed groups of whole samples: the
// thread pool splits the batch by groups, so one round covers a layer's forward (or backward)
// instead of one round per sample's GEMM, each sample's col is built and used while in cache
// (one place per group), and im2col/col2im run on every thread. `geo` points at the Window2d as 12 i32 (h, w, kh, kw,
// sh, sw, ph, pw, dh, dw, oh, ow); `ws` is the thread's GEMM scratch; op(W) comes packed once
// (packA) for all samples. Each output value is one GEMM dot product, the same whatever the
// split, so threaded and single-threaded results agree bit for bit.

// @ts-ignore: decorator
@inline function gi32(geo: usize, i: i32): i32 { return load<i32>(geo + (<usize>i << 2)); }

/** im2col of sample j (planes c × h × w at x) into col (row stride oh·ow), with geo's window. */
function im2colGeo(x: usize, c: i32, geo: usize, col: usize): void {
  im2col(x, c, gi32(geo, 0), gi32(geo, 1), gi32(geo, 2), gi32(geo, 3), gi32(geo, 4), gi32(geo, 5), gi32(geo, 6), gi32(geo, 7), gi32(geo, 8), gi32(geo, 9), gi32(geo, 10), gi32(geo, 11), col, gi32(geo, 10) * gi32(geo, 11));
}

/**
 * Groups g0 … g0+gn−1 of `per` consecutive samples (of n) of x [n, c, h, w]: per sample j,
 * col_j = im2col(x_j) into the group's own place col + g·kk·l (kk = c·kh·kw, l = oh·ow; the
 * thread that runs a group reuses it, in cache), y_j [o, l] = bias + W · col_j (wp: W [o, kk]
 * packed by packA; bias 0 = none).
 */
export function convForwardRange(x: usize, n: i32, c: i32, geo: usize, o: i32, wp: usize, bias: usize, col: usize, y: usize, per: i32, g0: i32, gn: i32, ws: usize): void {
  const hw = gi32(geo, 0) * gi32(geo, 1), l = gi32(geo, 10) * gi32(geo, 11);
  const kk = c * gi32(geo, 2) * gi32(geo, 3);
  for (let gi = g0; gi < g0 + gn; gi++) {
    const cj = col + (<usize>gi * <usize>kk * <usize>l << 2);
    for (let j = gi * per; j < min(n, (gi + 1) * per); j++) {
      const yj = y + (<usize>j * <usize>o * <usize>l << 2);
      im2colGeo(x + (<usize>j * <usize>(c * hw) << 2), c, geo, cj);
      if (bias != 0) for (let r = 0; r < o; r++) fill(yj + (<usize>(r * l) << 2), l, f(bias, r));
      gemmAny(0, 0, o, l, kk, 1, 0, kk, cj, l, bias != 0 ? 1 : 0, yj, l, ws, wp);
    }
  }
}

/**
 * Groups g0 … g0+gn−1 of `per` samples: gcol_j = Wᵀ · ∂y_j into the group's place gcol + g·kk·l
 * (wtp: Wᵀ [kk, o] packed by packA), then gx_j = β·gx_j + col2im(gcol_j) (β = 0: gx_j cleared first).
 */
export function convBackwardDataRange(gy: usize, n: i32, c: i32, geo: usize, o: i32, wtp: usize, gcol: usize, gx: usize, per: i32, beta: i32, g0: i32, gn: i32, ws: usize): void {
  const h = gi32(geo, 0), w = gi32(geo, 1), l = gi32(geo, 10) * gi32(geo, 11);
  const kk = c * gi32(geo, 2) * gi32(geo, 3);
  for (let gi = g0; gi < g0 + gn; gi++) {
    const gj = gcol + (<usize>gi * <usize>kk * <usize>l << 2);
    for (let j = gi * per; j < min(n, (gi + 1) * per); j++) {
      gemmAny(1, 0, kk, l, o, 1, 0, kk, gy + (<usize>j * <usize>o * <usize>l << 2), l, 0, gj, l, ws, wtp);
      if (beta == 0) fill(gx + (<usize>j * <usize>(c * h * w) << 2), c * h * w, 0);
      col2im(gj, c, h, w, gi32(geo, 2), gi32(geo, 3), gi32(geo, 4), gi32(geo, 5), gi32(geo, 6), gi32(geo, 7), gi32(geo, 8), gi32(geo, 9), gi32(geo, 10), gi32(geo, 11), gx + (<usize>j * <usize>(c * h * w) << 2), l);
    }
  }
}

/**
 * ∂W over the groups g0 … g0+gn−1 of `per` samples: per sample col_j = im2col(x_j) (rebuilt in
 * the group's place col + g·kk·l, in cache, rather than kept from forward: it would be kk times
 * the input) and the group's Σ_j ∂y_j · col_jᵀ into its part, parts + g·(o·kk + o·withBias);
 * withBias 1: the group's bias sums Σ_j Σ_l ∂y_j[r, l] after them (biasSums). The caller sums
 * the groups in order: a split fixed in advance, so the sums do not depend on the threads.
 */
export function convBackwardWeightRange(gy: usize, x: usize, n: i32, c: i32, geo: usize, o: i32, col: usize, parts: usize, per: i32, withBias: i32, g0: i32, gn: i32, ws: usize): void {
  const hw = gi32(geo, 0) * gi32(geo, 1), l = gi32(geo, 10) * gi32(geo, 11);
  const kk = c * gi32(geo, 2) * gi32(geo, 3);
  for (let gi = g0; gi < g0 + gn; gi++) {
    const cj = col + (<usize>gi * <usize>kk * <usize>l << 2);
    const pg = parts + (<usize>gi * <usize>(o * kk + o * withBias) << 2);
    if (withBias) fill(pg + (<usize>(o * kk) << 2), o, 0);
    for (let j = gi * per; j < min(n, (gi + 1) * per); j++) {
      const gj = gy + (<usize>j * <usize>o * <usize>l << 2);
      im2colGeo(x + (<usize>j * <usize>(c * hw) << 2), c, geo, cj);
      gemmAny(0, 1, o, kk, l, 1, gj, l, cj, l, j == gi * per ? 0 : 1, pg, kk, ws, 0);
      if (withBias) biasSums(gj, o, l, pg + (<usize>(o * kk) << 2));
    }
  }
}

/**
 * dst[r] += Σ_i g[r·l + i] for r < o (a sample's ∂y rows, just used and still in cache); each
 * row's sum in f64x2 lanes, as sumAxis (a conv bias gradient's sum cancels: f32 lanes over a
 * whole row lost 1e-5), over f32x4 sums of blocks of 32 values (converting every vector to
 * float64 cost as much as a separate pass over ∂y).
 */
function biasSums(g: usize, o: i32, l: i32, dst: usize): void {
  const lv = l & ~3, lb = l & ~31;
  for (let r = 0; r < o; r++) {
    const p = g + (<usize>(r * l) << 2);
    let a0 = f64x2.splat(0), a1 = a0;
    let i = 0;
    for (; i < lb; i += 32) {
      const q = p + (<usize>i << 2);
      const s0 = f32x4.add(f32x4.add(v128.load(q), v128.load(q, 16)), f32x4.add(v128.load(q, 32), v128.load(q, 48)));
      const s1 = f32x4.add(f32x4.add(v128.load(q, 64), v128.load(q, 80)), f32x4.add(v128.load(q, 96), v128.load(q, 112)));
      const v = f32x4.add(s0, s1);
      a0 = f64x2.add(a0, lo64(v)); a1 = f64x2.add(a1, hi64(v));
    }
    for (; i < lv; i += 4) {
      const v = v128.load(p + (<usize>i << 2));
      a0 = f64x2.add(a0, lo64(v)); a1 = f64x2.add(a1, hi64(v));
    }
    let s = hsum(f64x2.add(a0, a1));
    for (let i = lv; i < l; i++) s += fd(p, i);
    sfd(dst, r, fd(dst, r) + s);
  }
}

// ---------------------------------------------------------------------------------------
// Direct convolution for a small K = c·kh·kw (a first layer: one to three input planes, 3×3),
// stride 1, dilation 1 (smallConv in src/kernels/types.ts). im2col + GEMM does badly there: a
// K = 9 product streams a col nine times the input and fills 9 of the GEMM tile's 16 columns,
// and batching samples into one product needs a scatter of the output. Here each sample's
// planes are copied once into a zero-bordered [c, oh + kh − 1, ow + kw − 1] plane in the
// group's place (in cache), and every output vector of four positions is Σ over the K taps of
// a shifted f32x4 load of that plane times the tap's weight — the same sum as the GEMM's dot
// product, in the same tap order (relaxed SIMD: fused). Groups of samples as the kernels above.

/** The four lanes' sum, (v₀ + v₁) + (v₂ + v₃). */
// @ts-ignore: decorator
@inline function hsum4(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** Sample x_j [c, h, w] into pad [c, hp, wp] (zeros around, the input at row ph, column pw). */
function padPlanes(x: usize, c: i32, geo: usize, pad: usize, hp: i32, wp: i32): void {
  const h = gi32(geo, 0), w = gi32(geo, 1), ph = gi32(geo, 6), pw = gi32(geo, 7);
  fill(pad, c * hp * wp, 0);
  for (let ci = 0; ci < c; ci++)
    for (let r = 0; r < h; r++)
      memory.copy(pad + (<usize>((ci * hp + r + ph) * wp + pw) << 2), x + (<usize>((ci * h + r) * w) << 2), <usize>w << 2);
}

/**
 * One input plane's share of a 3×3 output plane [oh, ow] (its columns in fours; the caller does
 * a row's last ow mod 4): y = (first ? b : y) + Σ_{i,j} w[i, j] · pad[r + i, x + j]. The nine
 * weights stay in registers and the plane is read once, a row at a time: its three shifted
 * loads feed output rows r (tap row 0, started here), r − 1 (tap row 1) and r − 2 (tap row 2,
 * finished and stored here), so a row costs 3 loads per 9 multiply-adds.
 */
function forward3x3(pad: usize, wp: i32, oh: i32, ow: i32, w: usize, first: bool, b: f32, y: usize): void {
  const w00 = v128.load32_splat(w), w01 = v128.load32_splat(w + 4), w02 = v128.load32_splat(w + 8);
  const w10 = v128.load32_splat(w + 12), w11 = v128.load32_splat(w + 16), w12 = v128.load32_splat(w + 20);
  const w20 = v128.load32_splat(w + 24), w21 = v128.load32_splat(w + 28), w22 = v128.load32_splat(w + 32);
  const vb = f32x4.splat(b);
  const rs = <usize>wp << 2, ys = <usize>ow << 2;
  for (let xo = 0; xo + 4 <= ow; xo += 4) {
    let src = pad + (<usize>xo << 2);
    let dst = y + (<usize>xo << 2);
    let a1 = f32x4.splat(0), a2 = a1; // output rows r − 1, r − 2
    for (let r = 0; r < oh + 2; r++) {
      const p0 = v128.load(src), p1 = v128.load(src, 4), p2 = v128.load(src, 8);
      if (r >= 2) {
        v128.store(dst, madd(p2, w22, madd(p1, w21, madd(p0, w20, a2))));
        dst += ys;
      }
      a2 = madd(p2, w12, madd(p1, w11, madd(p0, w10, a1)));
      if (r < oh) {
        const init = first ? vb : v128.load(y + (<usize>(r * ow + xo) << 2));
        a1 = madd(p2, w02, madd(p1, w01, madd(p0, w00, init)));
      }
      src += rs;
    }
  }
}

/**
 * Groups g0 … g0+gn−1 of `per` samples (of n) of x [n, c, h, w]: y_j [o, oh, ow] = bias + the
 * direct convolution with W [o, c, kh, kw] (bias 0 = none). 3×3 by forward3x3; other kernels
 * four output rows at a time, sharing each tap's weight; a row's last ow mod 4 positions scalar.
 */
export function convDirectForwardRange(x: usize, n: i32, c: i32, geo: usize, o: i32, wt: usize, bias: usize, pad: usize, y: usize, per: i32, g0: i32, gn: i32, ws: usize): void {
  const h = gi32(geo, 0), w = gi32(geo, 1), kh = gi32(geo, 2), kw = gi32(geo, 3), oh = gi32(geo, 10), ow = gi32(geo, 11);
  const hp = oh + kh - 1, wp = ow + kw - 1, kk = c * kh * kw, l = oh * ow, ov = ow & ~3;
  for (let gi = g0; gi < g0 + gn; gi++) {
    const pj = pad + (<usize>gi * <usize>(c * hp * wp) << 2);
    for (let j = gi * per; j < min(n, (gi + 1) * per); j++) {
      padPlanes(x + (<usize>j * <usize>(c * h * w) << 2), c, geo, pj, hp, wp);
      for (let oc = 0; oc < o; oc++) {
        const b: f32 = bias != 0 ? f(bias, oc) : 0;
        const wo = wt + (<usize>(oc * kk) << 2);
        const yo = y + (<usize>(j * o + oc) * <usize>l << 2);
        let r = kh == 3 && kw == 3 ? oh : 0;
        if (kh == 3 && kw == 3) for (let ci = 0; ci < c; ci++) forward3x3(pj + (<usize>(ci * hp * wp) << 2), wp, oh, ow, wo + (<usize>(ci * 9) << 2), ci == 0, b, yo);
        for (; r + 4 <= oh; r += 4) {
          for (let xo = 0; xo < ov; xo += 4) {
            let a0 = f32x4.splat(b), a1 = a0, a2 = a0, a3 = a0;
            for (let ci = 0; ci < c; ci++)
              for (let i = 0; i < kh; i++) {
                const src = pj + (<usize>((ci * hp + r + i) * wp + xo) << 2);
                const wr = wo + (<usize>((ci * kh + i) * kw) << 2);
                for (let jj = 0; jj < kw; jj++) {
                  const wv = v128.load32_splat(wr + (<usize>jj << 2));
                  const s = src + (<usize>jj << 2);
                  a0 = madd(v128.load(s), wv, a0);
                  a1 = madd(v128.load(s + (<usize>wp << 2)), wv, a1);
                  a2 = madd(v128.load(s + (<usize>(2 * wp) << 2)), wv, a2);
                  a3 = madd(v128.load(s + (<usize>(3 * wp) << 2)), wv, a3);
                }
              }
            const d = yo + (<usize>(r * ow + xo) << 2);
            v128.store(d, a0);
            v128.store(d + (<usize>ow << 2), a1);
            v128.store(d + (<usize>(2 * ow) << 2), a2);
            v128.store(d + (<usize>(3 * ow) << 2), a3);
          }
        }
        for (; r < oh; r++)
          for (let xo = 0; xo < ov; xo += 4) {
            let a0 = f32x4.splat(b);
            for (let ci = 0; ci < c; ci++)
              for (let i = 0; i < kh; i++) {
                const src = pj + (<usize>((ci * hp + r + i) * wp + xo) << 2);
                const wr = wo + (<usize>((ci * kh + i) * kw) << 2);
                for (let jj = 0; jj < kw; jj++) a0 = madd(v128.load(src + (<usize>jj << 2)), v128.load32_splat(wr + (<usize>jj << 2)), a0);
              }
            v128.store(yo + (<usize>(r * ow + xo) << 2), a0);
          }
        if (ov < ow)
          for (let r2 = 0; r2 < oh; r2++)
            for (let xo = ov; xo < ow; xo++) {
              let a: f32 = b;
              for (let ci = 0; ci < c; ci++)
                for (let i = 0; i < kh; i++)
                  for (let jj = 0; jj < kw; jj++) a += f(pj, (ci * hp + r2 + i) * wp + xo + jj) * f(wo, (ci * kh + i) * kw + jj);
              sf(yo, r2 * ow + xo, a);
            }
      }
    }
  }
}

/**
 * One (output channel, input plane) pair's 3×3 ∂W for one sample, added to gw[0:9], and with
 * `bias` ≠ 0 the channel's Σ ∂y added to bias[0] (f32x4 sums of two rows at a time, then f64):
 * gw[i, j] += Σ_{r, x} ∂y[r, x] · pad[r + i, x + j], in nine f32x4 accumulators over the
 * positions, each ∂y vector loaded once for the nine taps and, two output rows at a time, each
 * plane vector once for both rows; a row's last ow mod 4 positions are summed after, tap by tap.
 */
function weight3x3(pad: usize, wp: i32, oh: i32, ow: i32, gy: usize, gw: usize, bias: usize): void {
  let a00 = f32x4.splat(0), a01 = a00, a02 = a00, a10 = a00, a11 = a00, a12 = a00, a20 = a00, a21 = a00, a22 = a00;
  let b0 = f64x2.splat(0), b1 = b0;
  const rs = <usize>wp << 2, gs = <usize>ow << 2;
  const ov = ow & ~3;
  let r = 0;
  // Two output rows at a time: plane rows r … r + 3 each loaded once for both (14 loads per 18 multiply-adds).
  for (; r + 2 <= oh; r += 2) {
    const gr = gy + (<usize>(r * ow) << 2);
    const p = pad + (<usize>(r * wp) << 2);
    let bs = f32x4.splat(0);
    for (let xo = 0; xo < ov; xo += 4) {
      const ga = v128.load(gr + (<usize>xo << 2)), gb = v128.load(gr + gs + (<usize>xo << 2));
      bs = f32x4.add(bs, f32x4.add(ga, gb));
      const q0 = p + (<usize>xo << 2), q1 = q0 + rs, q2 = q1 + rs, q3 = q2 + rs;
      let v = v128.load(q0);
      a00 = madd(ga, v, a00);
      v = v128.load(q0, 4); a01 = madd(ga, v, a01);
      v = v128.load(q0, 8); a02 = madd(ga, v, a02);
      v = v128.load(q1); a10 = madd(ga, v, a10); a00 = madd(gb, v, a00);
      v = v128.load(q1, 4); a11 = madd(ga, v, a11); a01 = madd(gb, v, a01);
      v = v128.load(q1, 8); a12 = madd(ga, v, a12); a02 = madd(gb, v, a02);
      v = v128.load(q2); a20 = madd(ga, v, a20); a10 = madd(gb, v, a10);
      v = v128.load(q2, 4); a21 = madd(ga, v, a21); a11 = madd(gb, v, a11);
      v = v128.load(q2, 8); a22 = madd(ga, v, a22); a12 = madd(gb, v, a12);
      v = v128.load(q3); a20 = madd(gb, v, a20);
      v = v128.load(q3, 4); a21 = madd(gb, v, a21);
      v = v128.load(q3, 8); a22 = madd(gb, v, a22);
    }
    b0 = f64x2.add(b0, lo64(bs)); b1 = f64x2.add(b1, hi64(bs));
  }
  for (; r < oh; r++) {
    const gr = gy + (<usize>(r * ow) << 2);
    const p = pad + (<usize>(r * wp) << 2);
    let bs = f32x4.splat(0);
    for (let xo = 0; xo < ov; xo += 4) {
      const g = v128.load(gr + (<usize>xo << 2));
      bs = f32x4.add(bs, g);
      const q0 = p + (<usize>xo << 2), q1 = q0 + rs, q2 = q1 + rs;
      a00 = madd(g, v128.load(q0), a00); a01 = madd(g, v128.load(q0, 4), a01); a02 = madd(g, v128.load(q0, 8), a02);
      a10 = madd(g, v128.load(q1), a10); a11 = madd(g, v128.load(q1, 4), a11); a12 = madd(g, v128.load(q1, 8), a12);
      a20 = madd(g, v128.load(q2), a20); a21 = madd(g, v128.load(q2, 4), a21); a22 = madd(g, v128.load(q2, 8), a22);
    }
    b0 = f64x2.add(b0, lo64(bs)); b1 = f64x2.add(b1, hi64(bs));
  }
  if (bias != 0) {
    let s = hsum(f64x2.add(b0, b1));
    for (let r2 = 0; r2 < oh; r2++) for (let xo = ov; xo < ow; xo++) s += fd(gy, r2 * ow + xo);
    sfd(bias, 0, fd(bias, 0) + s);
  }
  sf(gw, 0, f(gw, 0) + hsum4(a00)); sf(gw, 1, f(gw, 1) + hsum4(a01)); sf(gw, 2, f(gw, 2) + hsum4(a02));
  sf(gw, 3, f(gw, 3) + hsum4(a10)); sf(gw, 4, f(gw, 4) + hsum4(a11)); sf(gw, 5, f(gw, 5) + hsum4(a12));
  sf(gw, 6, f(gw, 6) + hsum4(a20)); sf(gw, 7, f(gw, 7) + hsum4(a21)); sf(gw, 8, f(gw, 8) + hsum4(a22));
  if (ov < ow)
    for (let t = 0; t < 9; t++) {
      const i = t / 3, jj = t % 3;
      let s: f32 = 0;
      for (let r = 0; r < oh; r++)
        for (let xo = ov; xo < ow; xo++) s += f(gy, r * ow + xo) * f(pad, (r + i) * wp + xo + jj);
      sf(gw, t, f(gw, t) + s);
    }
}

/**
 * ∂W of the direct convolution over the groups g0 … g0+gn−1 of `per` samples: the group's
 * Σ_j Σ_{y,x} ∂y_j[oc, y, x] · pad_j[ci, y + i, x + jj] into its part, and its bias sums after
 * them when withBias is 1 (as convBackwardWeightRange; the caller sums the groups in order). 3×3 by weight3x3; other
 * kernels four output channels at a time, sharing each load of the plane; each (channel, tap) sum runs in four f32 lanes over a
 * sample's positions, then is added to the group's part.
 */
export function convDirectBackwardWeightRange(gy: usize, x: usize, n: i32, c: i32, geo: usize, o: i32, pad: usize, parts: usize, per: i32, withBias: i32, g0: i32, gn: i32, ws: usize): void {
  const h = gi32(geo, 0), w = gi32(geo, 1), kh = gi32(geo, 2), kw = gi32(geo, 3), oh = gi32(geo, 10), ow = gi32(geo, 11);
  const hp = oh + kh - 1, wp = ow + kw - 1, kk = c * kh * kw, l = oh * ow, ov = ow & ~3;
  for (let gi = g0; gi < g0 + gn; gi++) {
    const pj = pad + (<usize>gi * <usize>(c * hp * wp) << 2);
    const pg = parts + (<usize>gi * <usize>(o * kk + o * withBias) << 2);
    fill(pg, o * kk + o * withBias, 0);
    for (let j = gi * per; j < min(n, (gi + 1) * per); j++) {
      padPlanes(x + (<usize>j * <usize>(c * h * w) << 2), c, geo, pj, hp, wp);
      const gj = gy + (<usize>j * <usize>o * <usize>l << 2);
      // 3×3: the bias sums ride along in weight3x3's pass over ∂y (a second pass cost 0.7 ms a step).
      if (withBias && !(kh == 3 && kw == 3)) biasSums(gj, o, l, pg + (<usize>(o * kk) << 2));
      let oc = 0;
      if (kh == 3 && kw == 3)
        for (; oc < o; oc++)
          for (let ci = 0; ci < c; ci++)
            weight3x3(pj + (<usize>(ci * hp * wp) << 2), wp, oh, ow, gj + (<usize>(oc * l) << 2), pg + (<usize>(oc * kk + ci * 9) << 2), withBias && ci == 0 ? pg + (<usize>(o * kk + oc) << 2) : 0);
      for (; oc + 4 <= o; oc += 4) {
        const g0p = gj + (<usize>(oc * l) << 2), stride = <usize>l << 2;
        for (let ci = 0; ci < c; ci++)
          for (let i = 0; i < kh; i++)
            for (let jj = 0; jj < kw; jj++) {
              let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
              let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
              for (let r = 0; r < oh; r++) {
                const src = pj + (<usize>((ci * hp + r + i) * wp + jj) << 2);
                const gr = g0p + (<usize>(r * ow) << 2);
                for (let xo = 0; xo < ov; xo += 4) {
                  const pv = v128.load(src + (<usize>xo << 2));
                  const q = gr + (<usize>xo << 2);
                  a0 = madd(v128.load(q), pv, a0);
                  a1 = madd(v128.load(q + stride), pv, a1);
                  a2 = madd(v128.load(q + 2 * stride), pv, a2);
                  a3 = madd(v128.load(q + 3 * stride), pv, a3);
                }
                for (let xo = ov; xo < ow; xo++) {
                  const pv = f(src, xo);
                  s0 += f(gr, xo) * pv;
                  s1 += load<f32>(gr + stride + (<usize>xo << 2)) * pv;
                  s2 += load<f32>(gr + 2 * stride + (<usize>xo << 2)) * pv;
                  s3 += load<f32>(gr + 3 * stride + (<usize>xo << 2)) * pv;
                }
              }
              const t = (ci * kh + i) * kw + jj;
              sf(pg, oc * kk + t, f(pg, oc * kk + t) + (hsum4(a0) + s0));
              sf(pg, (oc + 1) * kk + t, f(pg, (oc + 1) * kk + t) + (hsum4(a1) + s1));
              sf(pg, (oc + 2) * kk + t, f(pg, (oc + 2) * kk + t) + (hsum4(a2) + s2));
              sf(pg, (oc + 3) * kk + t, f(pg, (oc + 3) * kk + t) + (hsum4(a3) + s3));
            }
      }
      for (; oc < o; oc++) {
        const go = gj + (<usize>(oc * l) << 2);
        for (let ci = 0; ci < c; ci++)
          for (let i = 0; i < kh; i++)
            for (let jj = 0; jj < kw; jj++) {
              let a0 = f32x4.splat(0);
              let s0: f32 = 0;
              for (let r = 0; r < oh; r++) {
                const src = pj + (<usize>((ci * hp + r + i) * wp + jj) << 2);
                const gr = go + (<usize>(r * ow) << 2);
                for (let xo = 0; xo < ov; xo += 4) a0 = madd(v128.load(gr + (<usize>xo << 2)), v128.load(src + (<usize>xo << 2)), a0);
                for (let xo = ov; xo < ow; xo++) s0 += f(gr, xo) * f(src, xo);
              }
              const t = oc * kk + (ci * kh + i) * kw + jj;
              sf(pg, t, f(pg, t) + (hsum4(a0) + s0));
            }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Winograd F(2×2, 3×3) (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural
// Networks") for 3×3 convolutions of stride 1 and dilation 1 between many planes (the layers
// after the first). Each 2×2 tile of an output plane is
//   Y = Aᵀ [ Σ_ci (G g_ci Gᵀ) ⊙ (Bᵀ d_ci B) ] A,
// d_ci the tile's 4×4 input patch in plane ci and g_ci the 3×3 kernel, with
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//   Aᵀ = [1 1 1 0; 0 1 −1 −1].
// For each of the 16 positions ξ of the transformed tile the sum over ci is a GEMM,
// M_ξ [co, T] = U_ξ [co, ci] · V_ξ [ci, T] over the T tiles of a group's samples, so a tile
// costs 16·co·ci multiply-adds in the GEMMs instead of 36·co·ci (2.25× fewer), plus the
// transforms (adds only, O((ci + co)·T)). The coefficients are 0, ±1 and ±½, so the result
// differs from the direct sum only by float32 rounding (a few ulps of the terms' size).
// The data gradient of such a layer is the same kind of correlation (of ∂y, padded by 2 − p,
// with the kernels rotated by 180° and their planes swapped), so one range kernel serves both.

/**
 * U_ξ = (G g Gᵀ)_ξ of every 3×3 kernel g of W [o, c, 3, 3] into u [16, o, c], in float64 and
 * rounded once. flip 1 (the data gradient): the kernel from plane oi to plane ci is W[oi, ci]
 * rotated by 180°, stored as u [16, c, o].
 */
export function winogradWeights(w: usize, o: i32, c: i32, flip: i32, u: usize): void {
  const rows = flip ? c : o, cols = flip ? o : c, plane = rows * cols;
  for (let oi = 0; oi < o; oi++) {
    for (let ci = 0; ci < c; ci++) {
      const g = w + (<usize>((oi * c + ci) * 9) << 2);
      // k[a][b]: the kernel as applied (rotated when flip).
      let k00 = fd(g, 0), k01 = fd(g, 1), k02 = fd(g, 2), k10 = fd(g, 3), k11 = fd(g, 4), k12 = fd(g, 5), k20 = fd(g, 6), k21 = fd(g, 7), k22 = fd(g, 8);
      if (flip) {
        let t = k00; k00 = k22; k22 = t; t = k01; k01 = k21; k21 = t; t = k02; k02 = k20; k20 = t; t = k10; k10 = k12; k12 = t;
      }
      // t = G k (4 × 3), then U = t Gᵀ (4 × 4).
      const t00 = k00, t01 = k01, t02 = k02;
      const t10 = 0.5 * (k00 + k10 + k20), t11 = 0.5 * (k01 + k11 + k21), t12 = 0.5 * (k02 + k12 + k22);
      const t20 = 0.5 * (k00 - k10 + k20), t21 = 0.5 * (k01 - k11 + k21), t22 = 0.5 * (k02 - k12 + k22);
      const t30 = k20, t31 = k21, t32 = k22;
      const at = flip ? ci * cols + oi : oi * cols + ci;
      winogradRow(u, plane, at, 0, t00, t01, t02);
      winogradRow(u, plane, at, 4, t10, t11, t12);
      winogradRow(u, plane, at, 8, t20, t21, t22);
      winogradRow(u, plane, at, 12, t30, t31, t32);
    }
  }
}

/** One row of U = t Gᵀ: [t0, ½(t0 + t1 + t2), ½(t0 − t1 + t2), t2] at positions ξ0 … ξ0 + 3. */
// @ts-ignore: decorator
@inline function winogradRow(u: usize, plane: i32, at: i32, xi0: i32, t0: f64, t1: f64, t2: f64): void {
  sfd(u, xi0 * plane + at, t0);
  sfd(u, (xi0 + 1) * plane + at, 0.5 * (t0 + t1 + t2));
  sfd(u, (xi0 + 2) * plane + at, 0.5 * (t0 - t1 + t2));
  sfd(u, (xi0 + 3) * plane + at, t2);
}

/** Floats of one group's place for convWinogradRange: padded planes, V, M. */
export function winogradPlaceFloats(ci: i32, co: i32, oh: i32, ow: i32, per: i32): i32 {
  const ty = (oh + 1) >> 1, tx = (ow + 1) >> 1;
  return ci * (2 * ty + 2) * (2 * tx + 2) + 16 * (ci + co) * per * ty * tx;
}

/**
 * Groups g0 … g0+gn−1 of `spg` samples (of n) of x [n, ci, ih, iw]: y_j [co, oh, ow] =
 * (beta ? y_j : 0) + bias + the 3×3 correlation of x_j, zero-padded by (ph, pw), with the
 * kernels whose U_ξ [co, ci] packA packed at up + ξ·upStride (bias 0 = none). geo holds the
 * Window2d of this correlation (ih, iw, …, ph, pw, …, oh, ow); ow ≥ 7 (four tiles a row).
 * A group runs its samples `per` at a time in its place (scr, winogradPlaceFloats): one
 * sample's padded planes [ci, 2·ty + 2, 2·tx + 2], then V [16, ci, per·T] and M [16, co, per·T]
 * (T = ty·tx tiles a sample), so the `per` samples share each position's GEMM (N = per·T).
 * Each output is the same sum whatever the split, so threads agree bit for bit.
 */
export function convWinogradRange(x: usize, n: i32, ci: i32, geo: usize, co: i32, up: usize, upStride: i32, bias: usize, y: usize, beta: i32, scr: usize, per: i32, spg: i32, g0: i32, gn: i32, ws: usize): void {
  const ih = gi32(geo, 0), iw = gi32(geo, 1), ph = gi32(geo, 6), pw = gi32(geo, 7), oh = gi32(geo, 10), ow = gi32(geo, 11);
  const ty = (oh + 1) >> 1, tx = (ow + 1) >> 1, T = ty * tx, N = per * T;
  const hp = 2 * ty + 2, wp = 2 * tx + 2;
  for (let gi = g0; gi < g0 + gn; gi++) {
    const padj = scr + (<usize>gi * <usize>winogradPlaceFloats(ci, co, oh, ow, per) << 2);
    const v = padj + (<usize>(ci * hp * wp) << 2);
    const m = v + (<usize>(16 * ci * N) << 2);
    for (let j0 = gi * spg; j0 < min(n, (gi + 1) * spg); j0 += per) {
      const j1 = min(min(n, (gi + 1) * spg), j0 + per), nt = (j1 - j0) * T;
      for (let j = j0; j < j1; j++) {
        // This sample's planes, zero-bordered: input row r at row r + ph, column x at x + pw.
        fill(padj, ci * hp * wp, 0);
        for (let c = 0; c < ci; c++)
          for (let r = 0; r < ih; r++)
            copyRow(padj + (<usize>((c * hp + r + ph) * wp + pw) << 2), x + (<usize>((j * ci + c) * ih + r) * <usize>iw << 2), iw);
        winogradInput(padj, ci, hp, wp, ty, tx, v, N, (j - j0) * T);
      }
      for (let xi = 0; xi < 16; xi++)
        gemmAny(0, 0, co, nt, ci, 1, 0, ci, v + (<usize>(xi * ci * N) << 2), N, 0, m + (<usize>(xi * co * N) << 2), N, ws, up + <usize>xi * <usize>upStride);
      for (let j = j0; j < j1; j++)
        winogradOutput(m, co, co * N, N, (j - j0) * T, ty, tx, oh, ow, bias, beta, y + (<usize>j * <usize>(co * oh * ow) << 2));
    }
  }
}

/**
 * len floats from src to dst (not overlapping) in f32x4, the last four overlapping the previous
 * ones when len mod 4 ≠ 0 (len ≥ 4): a row of a small plane, where memory.copy's call costs more
 * than the copy (32 planes × 14 rows of 14 values a sample).
 */
function copyRow(dst: usize, src: usize, len: i32): void {
  if (len < 4) {
    for (let i = 0; i < len; i++) sf(dst, i, f(src, i));
    return;
  }
  for (let i = 0; i < len; i += 4) {
    const at = <usize>min(i, len - 4) << 2;
    v128.store(dst + at, v128.load(src + at));
  }
}

/**
 * V_ξ = (Bᵀ d B)_ξ of every tile of one sample's padded planes pad [ci, hp, wp], four tiles of a
 * row at a time (lanes; a row's last four overlap the previous ones when tx mod 4 ≠ 0, writing
 * the same values again): tile (r, q) of plane c at v + ((ξ·ci + c)·ld + t0 + r·tx + q). The
 * columns 0…3 of four neighbouring patches are the even and odd elements of two loads each.
 */
function winogradInput(pad: usize, ci: i32, hp: i32, wp: i32, ty: i32, tx: i32, v: usize, ld: i32, t0: i32): void {
  const rs = <usize>wp << 2, xs = <usize>(ci * ld) << 2;
  for (let c = 0; c < ci; c++) {
    for (let r = 0; r < ty; r++) {
      for (let q0 = 0; q0 < tx; q0 += 4) {
        const q = min(q0, tx - 4);
        let src = pad + (<usize>((c * hp + 2 * r) * wp + 2 * q) << 2);
        // e_k = row k of d·B: [d0 − d2, d1 + d2, d2 − d1, d1 − d3] of patch row k (the four
        // rows unrolled by hand, so that all sixteen e stay in registers).
        let a0 = v128.load(src), a1 = v128.load(src, 16), b0 = v128.load(src, 8), b1 = v128.load(src, 24);
        let d0 = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6), d1 = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
        let d2 = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6), d3 = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        const e00 = f32x4.sub(d0, d2), e01 = f32x4.add(d1, d2), e02 = f32x4.sub(d2, d1), e03 = f32x4.sub(d1, d3);
        src += rs;
        a0 = v128.load(src); a1 = v128.load(src, 16); b0 = v128.load(src, 8); b1 = v128.load(src, 24);
        d0 = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6); d1 = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
        d2 = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6); d3 = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        const e10 = f32x4.sub(d0, d2), e11 = f32x4.add(d1, d2), e12 = f32x4.sub(d2, d1), e13 = f32x4.sub(d1, d3);
        src += rs;
        a0 = v128.load(src); a1 = v128.load(src, 16); b0 = v128.load(src, 8); b1 = v128.load(src, 24);
        d0 = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6); d1 = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
        d2 = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6); d3 = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        const e20 = f32x4.sub(d0, d2), e21 = f32x4.add(d1, d2), e22 = f32x4.sub(d2, d1), e23 = f32x4.sub(d1, d3);
        src += rs;
        a0 = v128.load(src); a1 = v128.load(src, 16); b0 = v128.load(src, 8); b1 = v128.load(src, 24);
        d0 = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6); d1 = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
        d2 = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6); d3 = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
        const e30 = f32x4.sub(d0, d2), e31 = f32x4.add(d1, d2), e32 = f32x4.sub(d2, d1), e33 = f32x4.sub(d1, d3);
        // V = Bᵀ·e: rows [e0 − e2, e1 + e2, e2 − e1, e1 − e3].
        let dst = v + (<usize>(c * ld + t0 + r * tx + q) << 2);
        v128.store(dst, f32x4.sub(e00, e20)); dst += xs;
        v128.store(dst, f32x4.sub(e01, e21)); dst += xs;
        v128.store(dst, f32x4.sub(e02, e22)); dst += xs;
        v128.store(dst, f32x4.sub(e03, e23)); dst += xs;
        v128.store(dst, f32x4.add(e10, e20)); dst += xs;
        v128.store(dst, f32x4.add(e11, e21)); dst += xs;
        v128.store(dst, f32x4.add(e12, e22)); dst += xs;
        v128.store(dst, f32x4.add(e13, e23)); dst += xs;
        v128.store(dst, f32x4.sub(e20, e10)); dst += xs;
        v128.store(dst, f32x4.sub(e21, e11)); dst += xs;
        v128.store(dst, f32x4.sub(e22, e12)); dst += xs;
        v128.store(dst, f32x4.sub(e23, e13)); dst += xs;
        v128.store(dst, f32x4.sub(e10, e30)); dst += xs;
        v128.store(dst, f32x4.sub(e11, e31)); dst += xs;
        v128.store(dst, f32x4.sub(e12, e32)); dst += xs;
        v128.store(dst, f32x4.sub(e13, e33));
      }
    }
  }
}

/**
 * y [co, oh, ow] = (beta ? y : 0) + bias + Aᵀ m A for every tile of one sample, m_ξ the GEMMs'
 * results at m + (ξ·plane + o·ld + t0 + tile), four tiles a row at a time. A row's last four
 * overlap the previous ones (tx mod 4 ≠ 0); their first lanes are skipped, since with beta they
 * would add twice. Outputs past oh or ow (odd sizes: the last tiles' second row or column) are
 * not stored.
 */
function winogradOutput(m: usize, co: i32, plane: i32, ld: i32, t0: i32, ty: i32, tx: i32, oh: i32, ow: i32, bias: usize, beta: i32, y: usize): void {
  const xs = <usize>plane << 2;
  for (let o = 0; o < co; o++) {
    const vb = f32x4.splat(bias != 0 ? f(bias, o) : 0);
    const yo = y + (<usize>(o * oh * ow) << 2);
    for (let r = 0; r < ty; r++) {
      for (let q0 = 0; q0 < tx; q0 += 4) {
        const q = min(q0, tx - 4), skip = q0 - q;
        let src = m + (<usize>(o * ld + t0 + r * tx + q) << 2);
        // s_i = row i of m·A: [m0 + m1 + m2, m1 − m2 − m3].
        let m0 = v128.load(src); src += xs;
        let m1 = v128.load(src); src += xs;
        let m2 = v128.load(src); src += xs;
        let m3 = v128.load(src); src += xs;
        const s00 = f32x4.add(f32x4.add(m0, m1), m2), s01 = f32x4.sub(f32x4.sub(m1, m2), m3);
        m0 = v128.load(src); src += xs; m1 = v128.load(src); src += xs; m2 = v128.load(src); src += xs; m3 = v128.load(src); src += xs;
        const s10 = f32x4.add(f32x4.add(m0, m1), m2), s11 = f32x4.sub(f32x4.sub(m1, m2), m3);
        m0 = v128.load(src); src += xs; m1 = v128.load(src); src += xs; m2 = v128.load(src); src += xs; m3 = v128.load(src); src += xs;
        const s20 = f32x4.add(f32x4.add(m0, m1), m2), s21 = f32x4.sub(f32x4.sub(m1, m2), m3);
        m0 = v128.load(src); src += xs; m1 = v128.load(src); src += xs; m2 = v128.load(src); src += xs; m3 = v128.load(src);
        const s30 = f32x4.add(f32x4.add(m0, m1), m2), s31 = f32x4.sub(f32x4.sub(m1, m2), m3);
        // Y = Aᵀ·s: rows [s0 + s1 + s2, s1 − s2 − s3], plus the bias.
        const y00 = f32x4.add(f32x4.add(f32x4.add(s00, s10), s20), vb), y01 = f32x4.add(f32x4.add(f32x4.add(s01, s11), s21), vb);
        const y10 = f32x4.add(f32x4.sub(f32x4.sub(s10, s20), s30), vb), y11 = f32x4.add(f32x4.sub(f32x4.sub(s11, s21), s31), vb);
        const col = 2 * q;
        winogradStore(yo + (<usize>(2 * r * ow + col) << 2), y00, y01, 2 * skip, min(8, ow - col), beta);
        if (2 * r + 1 < oh) winogradStore(yo + (<usize>((2 * r + 1) * ow + col) << 2), y10, y11, 2 * skip, min(8, ow - col), beta);
      }
    }
  }
}

/**
 * Eight outputs of a row, columns 2l and 2l + 1 of lane l's tile from y0 and y1 (interleaved),
 * stored (or added, beta) from column `from` to before `to`.
 */
function winogradStore(p: usize, y0: v128, y1: v128, from: i32, to: i32, beta: i32): void {
  let lo = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), hi = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7);
  // Without beta, columns before `from` get the values they already have: store them all.
  if (to == 8 && (from == 0 || !beta)) {
    if (beta) { lo = f32x4.add(v128.load(p), lo); hi = f32x4.add(v128.load(p, 16), hi); }
    v128.store(p, lo);
    v128.store(p, hi, 16);
    return;
  }
  storeLane(p, 0, f32x4.extract_lane(lo, 0), from, to, beta);
  storeLane(p, 1, f32x4.extract_lane(lo, 1), from, to, beta);
  storeLane(p, 2, f32x4.extract_lane(lo, 2), from, to, beta);
  storeLane(p, 3, f32x4.extract_lane(lo, 3), from, to, beta);
  storeLane(p, 4, f32x4.extract_lane(hi, 0), from, to, beta);
  storeLane(p, 5, f32x4.extract_lane(hi, 1), from, to, beta);
  storeLane(p, 6, f32x4.extract_lane(hi, 2), from, to, beta);
  storeLane(p, 7, f32x4.extract_lane(hi, 3), from, to, beta);
}

// @ts-ignore: decorator
@inline function storeLane(p: usize, i: i32, v: f32, from: i32, to: i32, beta: i32): void {
  if (i >= from && i < to) sf(p, i, beta ? f(p, i) + v : v);
}
