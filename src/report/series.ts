/**
 * Curves as the charts draw them, shared by the HTML report (svg.ts) and the web lab
 * (lab/src/charts.ts): TensorBoard's debiased exponential smoothing, and thinning that keeps a
 * long series' shape.
 */

/**
 * Exponential moving average with TensorBoard's debiasing (tensorboard/…/vz_line_chart2,
 * "smoothing"): mₜ = w·mₜ₋₁ + (1 − w)·yₜ with m₀ = 0, shown as mₜ/(1 − wᵗ) — the same bias
 * correction as Adam's (Kingma & Ba 2015, §3) — so the curve starts at the first value instead
 * of at 0 or above every raw point. With `log`, the average is taken over log y and
 * exponentiated (a geometric mean: a loss spanning decades is not dragged up by its largest
 * values). Non-finite (or, in log space, non-positive) values pass through as null and do not
 * enter the average. `weight` ∈ [0, 1): 0 is no smoothing.
 */
export function smoothEma(ys: ReadonlyArray<number | null>, weight: number, log = false): Array<number | null> {
  if (!(weight >= 0 && weight < 1)) throw new Error(`smoothEma: weight must be in [0, 1), got ${weight}`);
  let last = 0;
  let n = 0;
  return ys.map((y) => {
    if (y === null || !Number.isFinite(y) || (log && y <= 0)) return null;
    const v = log ? Math.log(y) : y;
    last = last * weight + (1 - weight) * v;
    n++;
    const m = last / (1 - Math.pow(weight, n));
    return log ? Math.exp(m) : m;
  });
}

/**
 * Indices to keep so that at most ~`maxPoints` remain while the shape survives: the points are
 * cut into maxPoints/2 buckets and each keeps its minimum and its maximum (of every series
 * given), in order, plus the first and last point. Keeping every other point instead drops
 * spikes, and a spike is what a gradient-norm chart is read for.
 *
 * Buckets hold equal numbers of consecutive points, or, given the points' increasing x values
 * `xs`, equal spans of x whose width is a power of two and whose edges are its multiples. A chart
 * that thins again each time it fills (the lab's) needs the latter: its old buckets then nest in
 * the new ones, so the start of a long run stays as dense as its end; with buckets of points,
 * every round halves the older points once more and the start is left with a handful.
 */
export function thinIndices(series: ReadonlyArray<ReadonlyArray<number | null>>, maxPoints: number, xs?: ReadonlyArray<number>): number[] {
  const n = series.length ? series[0].length : 0;
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const buckets = Math.max(1, Math.floor(maxPoints / (2 * Math.max(1, series.length))));
  const keep = new Set<number>([0, n - 1]);
  const span = xs ? xs[n - 1] - xs[0] : 0;
  // Bucket of point i: by x (width a power of two, edges at its multiples), or by position.
  const width = span > 0 ? Math.pow(2, Math.ceil(Math.log2(span / buckets))) : 0;
  const bucketOf = xs && width > 0 ? (i: number) => Math.floor(xs[i] / width) : (i: number) => Math.floor((i * buckets) / n);
  for (let from = 0; from < n; ) {
    const b = bucketOf(from);
    let to = from + 1;
    while (to < n && bucketOf(to) === b) to++;
    for (const ys of series) {
      let lo = -1;
      let hi = -1;
      let gap = false;
      for (let i = from; i < to; i++) {
        const y = ys[i];
        if (y === null || !Number.isFinite(y)) {
          // One missing value per bucket keeps a gap a gap.
          if (!gap) keep.add(i);
          gap = true;
          continue;
        }
        if (lo < 0 || y < (ys[lo] as number)) lo = i;
        if (hi < 0 || y > (ys[hi] as number)) hi = i;
      }
      if (lo >= 0) keep.add(lo);
      if (hi >= 0) keep.add(hi);
    }
    from = to;
  }
  return [...keep].sort((a, b) => a - b);
}

/**
 * Keep a growing record list bounded, in place: past `max` entries the older half keeps every
 * other entry, so recent detail stays and a long session's memory stays flat (the web lab's
 * worker history and the page's per-step record).
 */
export function thinOlderHalf<T>(xs: T[], max: number): void {
  if (xs.length <= max) return;
  const keepFrom = xs.length >> 1;
  const kept = xs.filter((_, i) => i >= keepFrom || i % 2 === 0);
  xs.splice(0, xs.length, ...kept);
}
