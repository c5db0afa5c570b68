/**
 * Per-layer statistics for the monitors: the distribution of a layer's output (mean, std,
 * percentiles, histogram), the saturated and dead fractions the activation registry
 * defines, and the symmetry of a layer's incoming weights. Full passes go through the
 * kernels (K.moments); everything else is one cheap loop over data already in memory.
 */
import { ACTIVATIONS, type ActivationName } from '../activations.js';
import { K, alloc } from '../kernels/index.js';
import type { FloatArray } from '../kernels/types.js';
import type { ActivationStats } from '../train/types.js';

/** Buffers reused across calls, owned by the caller (a Monitor), so no allocation per monitored step. */
export class StatsScratch {
  sample = new Float64Array(0);
  active = new Uint8Array(0);
  /** Kernel-allocated scratch (in WebAssembly memory for the wasm backend). */
  private f32: FloatArray | null = null;
  /** A kernel buffer of at least n float32 values. */
  buffer(n: number): FloatArray {
    if (this.f32 === null || this.f32.length < n) this.f32 = alloc(n, 'float32');
    return this.f32.subarray(0, n);
  }
}

export interface StatsOptions {
  histogramBins?: number;
  percentileSamples?: number;
  scratch?: StatsScratch;
  /**
   * Values per unit per row: 1 for [rows, units]; H·W for a conv output [N, C, H, W] viewed as
   * [rows, units, positions], whose units are its channels (a dead filter is a channel that is
   * ≤ 0 at every position of every row).
   */
  positions?: number;
}

/**
 * Percentile q ∈ [0, 1] of sorted values by linear interpolation between closest ranks
 * (NumPy's default 'linear' method).
 */
export function percentileSorted(sorted: ArrayLike<number>, n: number, q: number): number {
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/**
 * Rearrange a[lo … hi] so that a[k] holds the value a sort would put there, with no larger value
 * before it and no smaller one after it (Hoare's selection with a median-of-three pivot).
 */
function selectKth(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const x = a[lo], y = a[(lo + hi) >> 1], z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * percentileSorted(sort(a[0 … m)), m, q) for each q (ascending), by selection; a is reordered.
 * Null when a holds a NaN (the caller sorts: NaN goes last there).
 */
function quantiles(a: Float64Array, m: number, qs: readonly number[]): number[] | null {
  for (let i = 0; i < m; i++) if (Number.isNaN(a[i])) return null;
  if (m === 0) return qs.map(() => NaN);
  const out: number[] = [];
  let from = 0;
  for (const q of qs) {
    const pos = q * (m - 1);
    const lo = Math.floor(pos);
    selectKth(a, lo, from, m - 1);
    let next = a[lo];
    if (lo + 1 < m) {
      // The next order statistic is the smallest value after position lo.
      next = a[lo + 1];
      for (let i = lo + 2; i < m; i++) if (a[i] < next) next = a[i];
    }
    out.push(a[lo] + (next - a[lo]) * (pos - lo));
    from = lo;
  }
  return out;
}

/**
 * Statistics of the values `x` of a layer output viewed as [rows, units] (or [rows, units,
 * positions], options.positions). `activation` (the registry name of the module that produced
 * x, if it is an activation) adds the saturated fraction (sigmoid/tanh: outputs inside the
 * registry's saturation band, over every unit and position) or the dead fraction (ReLU: units
 * — channels of a conv output — with output ≤ 0 at every position of every row).
 *
 * Mean and std are exact (one kernel pass, K.moments). Percentiles and the histogram come
 * from at most `percentileSamples` values picked by a fixed-seed pseudo-random index
 * sequence (independent of the global generator, so monitoring never changes training; no
 * aliasing with the [rows, units] layout as a fixed stride would have) — all values when
 * the output has fewer. With 2048 samples the 15th percentile's standard error is
 * √(q(1−q)/n) ≈ 0.8% in rank; the histogram's min/max are the sample's.
 */
export function activationStats(
  x: FloatArray,
  rows: number,
  units: number,
  activation: ActivationName | undefined,
  options: StatsOptions = {},
): ActivationStats {
  const n = x.length;
  const bins = options.histogramBins ?? 30;
  const maxSamples = options.percentileSamples ?? 2048;
  const { sum, sumSq } = K.moments(x);
  const mean = n > 0 ? sum / n : NaN;
  // Population variance; clamp tiny negative values from cancellation.
  const variance = n > 0 ? Math.max(0, sumSq / n - mean * mean) : NaN;

  const m = Math.min(n, maxSamples);
  const scratch = options.scratch ?? new StatsScratch();
  if (scratch.sample.length < m) scratch.sample = new Float64Array(m);
  const sample = scratch.sample.subarray(0, m);
  if (m === n) {
    for (let i = 0; i < n; i++) sample[i] = x[i];
  } else {
    // xorshift32 with a fixed seed: a deterministic, well-spread choice of indices.
    let s = 0x9e3779b9 | 0;
    for (let i = 0; i < m; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      sample[i] = x[(s >>> 0) % n];
    }
  }
  // Three order statistics (and their right neighbours), the extremes and a histogram need no
  // full sort: selection finds each in O(m) (a sort of 2048 values took ≈ 115 µs, a third of a
  // monitored step's statistics). With a NaN, the sort's order (NaN last) is kept by sorting.
  const pct = quantiles(sample, m, [0.15, 0.5, 0.85]);
  let min = m > 0 ? sample[0] : 0;
  let max = min;
  if (pct === null) {
    sample.sort();
    min = sample[0];
    max = sample[m - 1];
  } else
    for (let i = 1; i < m; i++) {
      const v = sample[i];
      if (v < min) min = v;
      else if (v > max) max = v;
    }
  const counts = new Array<number>(bins).fill(0);
  if (m > 0) {
    const width = max - min;
    if (width > 0) {
      const scale = bins / width;
      for (let i = 0; i < m; i++) {
        let b = Math.floor((sample[i] - min) * scale);
        if (b >= bins) b = bins - 1;
        counts[b]++;
      }
    } else {
      counts[Math.floor(bins / 2)] = m;
    }
  }

  const out: ActivationStats = {
    mean,
    std: Math.sqrt(variance),
    p15: pct === null ? percentileSorted(sample, m, 0.15) : pct[0],
    p50: pct === null ? percentileSorted(sample, m, 0.5) : pct[1],
    p85: pct === null ? percentileSorted(sample, m, 0.85) : pct[2],
    histogram: { min, max, counts },
    count: n,
  };
  if (activation !== undefined) {
    const failure = ACTIVATIONS[activation].failure;
    const positions = options.positions ?? 1;
    if (failure.mode === 'saturation') {
      if (positions > 1) {
        // Per channel, and the layer's fraction as their mean (every channel has rows × positions values).
        const perChannel = channelSaturatedFractions(x, rows, units, positions, failure.below, failure.above);
        out.saturated = units > 0 ? perChannel.reduce((a, v) => a + v, 0) / units : 0;
        // Four decimals (0.01% of a channel) keep a long run's Report small.
        out.channelSaturated = perChannel.map((v) => Math.round(v * 1e4) / 1e4);
      } else out.saturated = saturatedFraction(x, failure.below, failure.above);
    } else if (failure.mode === 'dead') {
      out.dead = deadFraction(x, rows, units, scratch, positions);
      if (positions > 1) {
        // deadFraction left each channel's activity in scratch.active.
        out.deadChannels = [];
        for (let u = 0; u < units; u++) if (scratch.active[u] === 0) out.deadChannels.push(u);
      }
    }
  }
  return out;
}

/** Fraction of values outside (below, above): where f′ < 5% of its peak (activations.ts). */
export function saturatedFraction(y: FloatArray, below: number, above: number): number {
  const n = y.length;
  if (n === 0) return 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (v <= below || v >= above) c++;
  }
  return c / n;
}

/**
 * Per unit of y viewed as [rows, units, positions] (a conv output's channels), the fraction of
 * its values outside (below, above): the saturation band of saturatedFraction, channel by channel.
 */
export function channelSaturatedFractions(y: FloatArray, rows: number, units: number, positions: number, below: number, above: number): number[] {
  const out = new Array<number>(units).fill(0);
  if (rows === 0 || positions === 0) return out;
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      const o = (r * units + u) * positions;
      let c = 0;
      for (let k = 0; k < positions; k++) {
        const v = y[o + k];
        if (v <= below || v >= above) c++;
      }
      out[u] += c;
    }
  }
  const n = rows * positions;
  return out.map((c) => c / n);
}

/**
 * Fraction of units of y viewed as [rows, units, positions] whose output is ≤ 0 at every
 * position of every row: ReLU units (positions = 1) or filters (a conv output's channels,
 * positions = H·W) that passed no gradient for any example of the batch. A unit's scan stops at
 * its first active value, so live units cost little. Leaves each unit's activity (1 active,
 * 0 dead) in scratch.active.
 */
export function deadFraction(y: FloatArray, rows: number, units: number, scratch = new StatsScratch(), positions = 1): number {
  if (units === 0 || rows === 0) return 0;
  if (scratch.active.length < units) scratch.active = new Uint8Array(units);
  const active = scratch.active.subarray(0, units);
  active.fill(0);
  const rowSize = units * positions;
  if (positions === 1) {
    // Row by row until every unit has been active once: in a healthy layer that is the first
    // rows (≈ 2 µs for 128 × 256 instead of 30–75 µs for the whole batch).
    let live = 0;
    for (let r = 0; r < rows && live < units; r++) {
      const o = r * units;
      for (let u = 0; u < units; u++) {
        if (active[u] === 0 && y[o + u] > 0) {
          active[u] = 1;
          live++;
        }
      }
    }
  } else {
    for (let u = 0; u < units; u++) {
      for (let r = 0; r < rows && active[u] === 0; r++) {
        const o = r * rowSize + u * positions;
        for (let k = 0; k < positions; k++) {
          if (y[o + k] > 0) {
            active[u] = 1;
            break;
          }
        }
      }
    }
  }
  let dead = 0;
  for (let u = 0; u < units; u++) if (active[u] === 0) dead++;
  return dead / units;
}

/**
 * Per-unit activity over a whole data set: counts of rows where each unit's output is > 0 (at
 * some position, for y viewed as [rows, units, positions]: a conv output's channels).
 */
export function activeCounts(y: FloatArray, rows: number, units: number, into?: Float64Array, positions = 1): Float64Array {
  const out = into ?? new Float64Array(units);
  for (let r = 0; r < rows; r++) {
    for (let u = 0; u < units; u++) {
      const o = (r * units + u) * positions;
      for (let k = 0; k < positions; k++) {
        if (y[o + k] > 0) {
          out[u]++;
          break;
        }
      }
    }
  }
  return out;
}

/**
 * Relative tolerance under which two units' incoming weights count as identical:
 * ‖wᵢ − wⱼ‖ ≤ tol·max(‖wᵢ‖, ‖wⱼ‖). Units made identical by a symmetric init receive
 * identical updates, so they stay equal up to float32 rounding (ε ≈ 1.2e-7 per operation);
 * 1e-4 leaves room for rounding accumulated over many steps, while two rows drawn from
 * a continuous random init fall that close with probability ~ tol^fan_in (≤ 1e-8 for
 * fan_in ≥ 2).
 */
export const SYMMETRY_TOLERANCE = 1e-4;

/**
 * Hidden units with identical incoming weights (rows of W [out, in], with the bias as an
 * extra input): the number of units that duplicate another (Σ over groups of size − 1).
 * Rows are ordered by their projection on a fixed pseudo-random direction, so only
 * neighbours are compared in full: O(out·in) instead of O(out²·in).
 */
export function symmetricUnits(
  weight: FloatArray,
  bias: FloatArray | null,
  out: number,
  inp: number,
  tol = SYMMETRY_TOLERANCE,
  scratch = new StatsScratch(),
): number {
  if (out < 2) return 0;
  const proj = new Float64Array(out);
  const norms = new Float64Array(out);
  let s = 0x2545f491 | 0;
  const dir = new Float64Array(inp + 1);
  for (let k = 0; k <= inp; k++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    dir[k] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  // Projections W·dir as one matrix-vector product and row norms by the kernels.
  const buf = scratch.buffer(inp + out);
  const d32 = buf.subarray(0, inp);
  const p32 = buf.subarray(inp, inp + out);
  for (let k = 0; k < inp; k++) d32[k] = dir[k];
  if (weight instanceof Float32Array) {
    K.gemm(false, false, out, 1, inp, 1, weight, d32, 0, p32);
    for (let j = 0; j < out; j++) {
      proj[j] = p32[j];
      norms[j] = K.sumSquares(weight.subarray(j * inp, (j + 1) * inp));
    }
  } else {
    for (let j = 0; j < out; j++) {
      let p = 0;
      let q = 0;
      for (let k = 0; k < inp; k++) {
        p += weight[j * inp + k] * dir[k];
        q += weight[j * inp + k] ** 2;
      }
      proj[j] = p;
      norms[j] = q;
    }
  }
  for (let j = 0; j < out; j++) {
    if (bias) {
      proj[j] += bias[j] * dir[inp];
      norms[j] += bias[j] * bias[j];
    }
    norms[j] = Math.sqrt(norms[j]);
  }
  const order = Array.from({ length: out }, (_, j) => j).sort((a, b) => proj[a] - proj[b] || a - b);
  // float32 projections carry a relative rounding error ~ √inp·ε·‖w‖·‖dir‖; widen the reach by it.
  const slack = weight instanceof Float32Array ? 1e-6 * Math.sqrt(inp + 1) : 0;
  const dirNorm = Math.sqrt(dir.reduce((a, v) => a + v * v, 0));
  const close = (a: number, b: number): boolean => {
    const scale = Math.max(norms[a], norms[b]);
    if (scale === 0) return true;
    let d = 0;
    const oa = a * inp;
    const ob = b * inp;
    for (let k = 0; k < inp; k++) {
      const t = weight[oa + k] - weight[ob + k];
      d += t * t;
    }
    if (bias) d += (bias[a] - bias[b]) ** 2;
    return Math.sqrt(d) <= tol * scale;
  };
  let dup = 0;
  // Walk the sorted order; a unit duplicates another when it is close to any earlier unit
  // whose projection is within reach (|Δproj| ≤ ‖Δw‖·‖dir‖ by Cauchy–Schwarz).
  for (let i = 1; i < out; i++) {
    const a = order[i];
    for (let h = i - 1; h >= 0; h--) {
      const b = order[h];
      const reach = (tol + slack) * Math.max(norms[a], norms[b]) * dirNorm;
      if (proj[a] - proj[b] > reach) break;
      if (close(a, b)) {
        dup++;
        break;
      }
    }
  }
  return dup;
}

/** ‖x‖₂ in float64. */
export function norm(x: FloatArray): number {
  return Math.sqrt(K.sumSquares(x));
}

/** ‖a − b‖₂ and ‖b‖₂ (same length), by kernel passes over a scratch buffer. */
export function diffNorm(a: FloatArray, b: FloatArray, scratch = new StatsScratch()): { diff: number; norm: number } {
  if (a instanceof Float64Array || b instanceof Float64Array) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
    return { diff: Math.sqrt(s), norm: norm(b) };
  }
  const t = scratch.buffer(a.length);
  K.copy(a, t);
  K.axpy(-1, b, t);
  return { diff: Math.sqrt(K.sumSquares(t)), norm: norm(b) };
}
