/**
 * Drawing: uPlot line charts for losses/accuracy/gradient norm, and plain canvases for the
 * decision boundary, per-layer gradient norms, activation histograms and MNIST digits.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Boundary, LayerSnapshot } from './protocol.js';
import { filterStrip } from './layers.js';
import { smoothEma, thinIndices } from '../../src/report/series.js';
import { fmtTick } from '../../src/report/svg.js';

export const CLASS_COLORS: Array<[number, number, number]> = [
  [230, 120, 20],
  [20, 110, 200],
  [40, 160, 80],
  [170, 60, 170],
  [200, 50, 60],
  [100, 100, 100],
  [150, 120, 40],
  [20, 160, 170],
  [110, 80, 200],
  [220, 150, 160],
];

export interface LineSeries {
  label: string;
  stroke: string;
  dash?: number[];
}

/** A log axis labels its powers of ten only (never "0", never overlapping 2·10ᵏ/5·10ᵏ labels). */
function logAxisValues(_u: uPlot, splits: number[]): string[] {
  return splits.map((v) => {
    if (!(v > 0)) return '';
    const e = Math.log10(v);
    return Math.abs(e - Math.round(e)) < 1e-9 ? fmtTick(v) : '';
  });
}

/**
 * The log axis's range: whole decades around the positive finite data, within 1e-30…1e30 (never
 * an empty, non-finite or zero-based range).
 */
export function logRange(min: number | null, max: number | null): [number, number] {
  const lo = min !== null && Number.isFinite(min) && min > 0 ? Math.max(min, 1e-30) : 1e-3;
  const hi = max !== null && Number.isFinite(max) && max > 0 ? Math.min(Math.max(max, lo), 1e30) : Math.max(lo, 1);
  const a = 10 ** Math.floor(Math.log10(lo));
  const b = 10 ** Math.ceil(Math.log10(hi));
  return [a, b > a ? b : a * 10];
}

/**
 * The log axis's ticks: its powers of ten (all it labels, logAxisValues), at most 100. uPlot's own
 * log splits (logAxisSplits) looped without end in the clipping lesson's run — gradient norms
 * from 1.7e-30 to 5e4 with gaps where the gradient was exactly 0 — until the page died with
 * RangeError: Invalid array length.
 */
function decadeSplits(_u: uPlot, _axis: number, min: number, max: number): number[] {
  if (!(min > 0 && max >= min && Number.isFinite(max))) return [];
  const out: number[] = [];
  for (let e = Math.ceil(Math.log10(min) - 1e-9); e <= Math.floor(Math.log10(max) + 1e-9) && out.length < 100; e++) out.push(10 ** e);
  return out;
}

/**
 * A uPlot line chart that follows its container's width. It keeps the raw points and draws
 * them smoothed (TensorBoard's debiased EMA, src/report/series.ts; in log space on a log axis
 * or with `logSmoothing`) at the weight set by setSmoothing; past `maxPoints` the points are
 * thinned keeping each bucket's min and max (buckets of equal step spans, so the start of a long
 * run keeps as many points as its end), so a spike never disappears.
 */
export class LineChart {
  readonly plot: uPlot;
  private data: number[][];
  private smoothing = 0;
  private readonly logSmooth: boolean;
  /** A log axis: values ≤ 0 (a gradient that underflowed to exactly 0) have no place on it. */
  private readonly log: boolean;

  constructor(host: HTMLElement, title: string, series: LineSeries[], opts: { log?: boolean; yRange?: [number, number]; logSmoothing?: boolean } = {}) {
    this.data = [[], ...series.map(() => [])];
    this.logSmooth = opts.log === true || opts.logSmoothing === true;
    this.log = opts.log === true;
    const width = Math.max(240, host.clientWidth || 320);
    this.plot = new uPlot(
      {
        title,
        width,
        height: 180,
        scales: {
          x: { time: false },
          y: opts.log ? { distr: 3, range: (_u, min, max) => logRange(min, max) } : opts.yRange ? { range: opts.yRange } : {},
        },
        // A linear axis labels as the report does (fmtTick): uPlot's "250,000" did not fit the axis and lost its first digit.
        axes: [{ label: 'step', size: 36 }, opts.log ? { size: 54, space: 24, splits: decadeSplits, values: logAxisValues } : { size: 54, values: (_u: uPlot, splits: number[]) => splits.map(fmtTick) }],
        legend: { live: false },
        // A line needs two points: a series with one or two finite values (a run stopped by a NaN at step 3) shows them as dots, not an empty plot.
        series: [{ label: 'step' }, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, dash: s.dash, points: { show: (u: uPlot, i: number) => finiteCount(u.data[i]) <= 2 } }))],
        // Smoothed, the raw values stay visible as faint dots (as TensorBoard keeps the raw line):
        // an EMA over a few evaluations lags far behind the last one, and the curve alone would misstate it.
        hooks: { draw: [(u: uPlot) => this.drawRaw(u, series)] },
      },
      this.data as uPlot.AlignedData,
      host,
    );
    new ResizeObserver(() => {
      const w = Math.max(240, host.clientWidth);
      if (Math.abs(w - this.plot.width) > 2) this.plot.setSize({ width: w, height: 180 });
    }).observe(host);
  }

  /**
   * Add a point; a value the axis cannot place (non-finite, or ≤ 0 on a log axis, where uPlot's
   * log splits would never end) is a gap. A point at the last point's x replaces it (a step tried
   * again after a non-finite attempt, an evaluation repeated at the same step): one point per x.
   */
  push(x: number, ys: number[], maxPoints = 4000): void {
    if (this.data[0].at(-1) === x) for (const col of this.data) col.pop();
    this.data[0].push(x);
    ys.forEach((y, i) => this.data[i + 1].push(Number.isFinite(y) && (!this.log || y > 0) ? y : NaN));
    if (this.data[0].length > maxPoints) {
      const keep = thinIndices(this.data.slice(1), maxPoints / 2, this.data[0]);
      this.data = this.data.map((col) => keep.map((i) => col[i]));
    }
  }

  /** The raw values as a faint line with dots under smoothed curves (nothing when unsmoothed: the curve is the raw values). */
  private drawRaw(u: uPlot, series: LineSeries[]): void {
    if (this.smoothing <= 0) return;
    const ctx = u.ctx;
    const dpr = window.devicePixelRatio || 1;
    const r = Math.max(1, Math.round(2 * dpr));
    const { left, top, width, height } = u.bbox;
    ctx.save();
    // Inside the plot (with room for a dot at its edge): the y range follows the smoothed curves, and a raw spike may lie beyond it.
    ctx.beginPath();
    ctx.rect(left - r, top - r, width + 2 * r, height + 2 * r);
    ctx.clip();
    ctx.globalAlpha = 0.35;
    ctx.lineWidth = dpr;
    ctx.setLineDash([]);
    const xs = this.data[0];
    series.forEach((sr, i) => {
      const ys = this.data[i + 1];
      ctx.strokeStyle = ctx.fillStyle = sr.stroke;
      ctx.beginPath();
      let open = false;
      const dots: Array<[number, number]> = [];
      for (let k = 0; k < xs.length; k++) {
        const y = ys[k];
        if (!Number.isFinite(y) || (this.log && y <= 0)) {
          open = false;
          continue;
        }
        const px = u.valToPos(xs[k], 'x', true);
        const py = u.valToPos(y, 'y', true);
        if (open) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        open = true;
        // Dots only where points are few enough to tell apart.
        if (xs.length <= 200) dots.push([px, py]);
      }
      ctx.stroke();
      for (const [px, py] of dots) ctx.fillRect(px - r, py - r, 2 * r, 2 * r);
    });
    ctx.restore();
  }

  /** The EMA weight in [0, 1) the curves are drawn with (0: raw). */
  setSmoothing(weight: number): void {
    this.smoothing = weight;
    this.redraw();
  }

  /** The points as drawn (smoothed), for tests and the scripting interface. */
  get shown(): number[][] {
    if (this.smoothing <= 0) return this.data;
    return [this.data[0], ...this.data.slice(1).map((col) => smoothEma(col, this.smoothing, this.logSmooth).map((v) => (v === null ? NaN : v)))];
  }

  /**
   * uPlot's gap is null: a NaN reaches its min/max (Math.min(x, NaN) is NaN), and on the log axis
   * a NaN range sent its splits into an endless loop (RangeError: Invalid array length).
   */
  redraw(): void {
    this.plot.setData(this.shown.map((col, i) => (i === 0 ? col : col.map((v) => (Number.isFinite(v) ? v : null)))) as uPlot.AlignedData);
  }

  clear(): void {
    this.data = this.data.map(() => []);
    this.plot.setData(this.data as uPlot.AlignedData);
  }
}

export function fitCanvas(canvas: HTMLCanvasElement, cssW: number, cssH: number): CanvasRenderingContext2D {
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  canvas.style.width = `${cssW}px`;
  canvas.style.height = `${cssH}px`;
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  return ctx;
}

export interface Points {
  x: number[];
  y: number[];
  label: number[];
  test: boolean[];
}

/** A decision-boundary cell where the model's output is NaN/Infinity. */
export const NO_PREDICTION_RGB: [number, number, number] = [200, 203, 208];

/** The decision boundary: class colour, lighter where the model is unsure; points on top. */
export function drawBoundary(
  canvas: HTMLCanvasElement,
  size: number,
  boundary: Boundary | null,
  points: Points | undefined,
  bounds: { x0: number; x1: number; y0: number; y1: number } | undefined,
  showTest: boolean,
): void {
  const ctx = fitCanvas(canvas, size, size);
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size, size);
  if (boundary) {
    const N = boundary.size;
    const img = new ImageData(N, N);
    for (let i = 0; i < N * N; i++) {
      // A NaN/Infinity output predicts nothing: grey, as in the HTML report (src/report/boundary.ts), not the white of an unsure model.
      const none = !Number.isFinite(boundary.prob[i]);
      const [r, g, b] = none ? NO_PREDICTION_RGB : CLASS_COLORS[boundary.cls[i] % CLASS_COLORS.length];
      // Confidence 1/k…1 maps to white…a light tint of the class colour.
      const t = none ? 1 : Math.max(0, Math.min(1, (boundary.prob[i] - 0.5) * 2)) * 0.55;
      img.data[i * 4] = 255 + (r - 255) * t;
      img.data[i * 4 + 1] = 255 + (g - 255) * t;
      img.data[i * 4 + 2] = 255 + (b - 255) * t;
      img.data[i * 4 + 3] = 255;
    }
    const off = new OffscreenCanvas(N, N);
    off.getContext('2d')!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, size, size);
  }
  if (points && bounds) {
    const sx = (v: number) => ((v - bounds.x0) / (bounds.x1 - bounds.x0)) * size;
    const sy = (v: number) => size - ((v - bounds.y0) / (bounds.y1 - bounds.y0)) * size;
    for (let i = 0; i < points.x.length; i++) {
      if (points.test[i] && !showTest) continue;
      const [r, g, b] = CLASS_COLORS[points.label[i] % CLASS_COLORS.length];
      ctx.beginPath();
      ctx.arc(sx(points.x[i]), sy(points.y[i]), 3.2, 0, Math.PI * 2);
      if (points.test[i]) {
        ctx.fillStyle = '#fff';
        ctx.fill();
        ctx.lineWidth = 1.6;
        ctx.strokeStyle = `rgb(${r},${g},${b})`;
        ctx.stroke();
      } else {
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.fill();
        ctx.lineWidth = 0.8;
        ctx.strokeStyle = '#fff';
        ctx.stroke();
      }
    }
  }
}

/** Colour of a gradient norm on a log scale: blue (vanishing) … green … red (exploding). */
export function normColor(v: number): string {
  if (!Number.isFinite(v)) return '#000';
  if (v <= 0) return '#1f3f9a';
  const l = Math.log10(v);
  // −6 … +3 mapped onto a blue→green→red ramp.
  const t = Math.max(0, Math.min(1, (l + 6) / 9));
  const hue = t < 0.6 ? 230 - (t / 0.6) * 110 : 120 - ((t - 0.6) / 0.4) * 120;
  return `hsl(${hue.toFixed(0)} 70% ${t < 0.15 ? 35 : 45}%)`;
}

/** Per-Linear gradient norms: one horizontal bar per layer on a log axis (1e-8 … 1e4). */
export function drawGradBars(canvas: HTMLCanvasElement, width: number, rows: Array<{ name: string; value: number }>): void {
  const rowH = rows.length > 16 ? 11 : 18;
  const h = rows.length * rowH + 26;
  const ctx = fitCanvas(canvas, width, h);
  ctx.clearRect(0, 0, width, h);
  ctx.font = '11px system-ui, sans-serif';
  // The labels get the room they need (up to 45% of the width), the bars the rest.
  const left = Math.min(width * 0.45, 6 + Math.max(40, ...rows.map((r) => ctx.measureText(r.name).width)));
  const lo = -8;
  const hi = 4;
  const x = (v: number) => left + ((Math.max(lo, Math.min(hi, Math.log10(Math.max(v, 1e-30)))) - lo) / (hi - lo)) * (width - left - 8);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#555';
  ctx.strokeStyle = '#e3e3e3';
  for (let e = lo; e <= hi; e += 2) {
    const px = x(10 ** e);
    ctx.beginPath();
    ctx.moveTo(px, 0);
    ctx.lineTo(px, h - 16);
    ctx.stroke();
    ctx.fillText(`1e${e}`, px - 10, h - 4);
  }
  rows.forEach((r, i) => {
    const y = i * rowH + 2;
    ctx.fillStyle = '#333';
    ctx.fillText(r.name, 2, y + rowH - 3);
    ctx.fillStyle = normColor(r.value);
    ctx.fillRect(left, y + 1, Math.max(1, x(r.value) - left), rowH - 3);
  });
}

/** Gradient norm per layer over time: rows are the layers with weights (input at top), columns monitored steps. */
export function drawGradHeatmap(canvas: HTMLCanvasElement, width: number, history: number[][], names: string[]): void {
  const rows = names.length;
  const rowH = Math.max(3, Math.min(14, Math.floor(140 / Math.max(1, rows))));
  const left = 64;
  const h = rows * rowH + 4;
  const ctx = fitCanvas(canvas, width, h);
  ctx.clearRect(0, 0, width, h);
  const cols = history.length;
  if (!cols) return;
  const cw = (width - left) / cols;
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#333';
  if (rows <= 12) names.forEach((n, i) => ctx.fillText(n, 2, i * rowH + rowH - 2));
  else {
    ctx.fillText('input', 2, 10);
    ctx.fillText('output', 2, h - 4);
  }
  history.forEach((col, c) => {
    col.forEach((v, r) => {
      ctx.fillStyle = normColor(v);
      ctx.fillRect(left + c * cw, r * rowH, Math.ceil(cw), rowH - 1);
    });
  });
}

/**
 * One activation histogram with its range and failure fractions; for a conv layer's output, a
 * strip above it with one cell per filter (layers.ts filterStrip: dead filters red).
 */
export function drawHistogram(canvas: HTMLCanvasElement, width: number, layer: LayerSnapshot): void {
  const strip = layer.stats ? filterStrip(layer.stats, layer.channels) : null;
  const top = strip ? 8 : 0;
  const h = 74 + top;
  const ctx = fitCanvas(canvas, width, h);
  ctx.clearRect(0, 0, width, h);
  const st = layer.stats;
  if (!st) return;
  if (strip) {
    const cw = width / strip.length;
    strip.forEach((c, i) => {
      ctx.fillStyle = c;
      ctx.fillRect(i * cw, 0, Math.max(1, cw - (cw > 3 ? 1 : 0)), 6);
    });
  }
  const counts = st.histogram.counts;
  const max = Math.max(1, ...counts);
  const bw = width / counts.length;
  const bad = st.saturated !== undefined ? st.saturated > 0.5 : st.dead !== undefined ? st.dead > 0.5 : false;
  ctx.fillStyle = bad ? '#c0392b' : '#2f6fb0';
  counts.forEach((c, i) => {
    const bh = (c / max) * (h - 16 - top);
    ctx.fillRect(i * bw + 0.5, h - 14 - bh, Math.max(1, bw - 1), bh);
  });
  ctx.fillStyle = '#444';
  ctx.font = '10px system-ui, sans-serif';
  const fmt = (v: number) => (Math.abs(v) >= 100 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(0) : v.toFixed(2));
  ctx.fillText(fmt(st.histogram.min), 1, h - 2);
  const maxText = fmt(st.histogram.max);
  ctx.fillText(maxText, width - ctx.measureText(maxText).width - 1, h - 2);
}

/** MNIST sample digits with the predicted class (red when wrong). */
export function drawDigits(canvas: HTMLCanvasElement, width: number, d: { pixels: number[][]; label: number[]; pred: number[] }): void {
  const per = Math.max(4, Math.floor(width / 44));
  const cell = width / per;
  const rows = Math.ceil(d.pixels.length / per);
  const h = rows * (cell + 14);
  const ctx = fitCanvas(canvas, width, h);
  ctx.clearRect(0, 0, width, h);
  d.pixels.forEach((px, i) => {
    const img = new ImageData(28, 28);
    for (let k = 0; k < 784; k++) {
      const v = 255 - px[k];
      img.data[k * 4] = v;
      img.data[k * 4 + 1] = v;
      img.data[k * 4 + 2] = v;
      img.data[k * 4 + 3] = 255;
    }
    const off = new OffscreenCanvas(28, 28);
    off.getContext('2d')!.putImageData(img, 0, 0);
    const cx = (i % per) * cell;
    const cy = Math.floor(i / per) * (cell + 14);
    ctx.drawImage(off, cx + 2, cy + 2, cell - 4, cell - 4);
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = d.pred[i] === d.label[i] ? '#1d7a38' : '#c0392b';
    ctx.fillText(`→ ${d.pred[i]}`, cx + cell / 2 - 10, cy + cell + 10);
  });
}

function finiteCount(col: ArrayLike<number | null | undefined>): number {
  let n = 0;
  for (let i = 0; i < col.length && n < 3; i++) if (Number.isFinite(col[i])) n++;
  return n;
}
