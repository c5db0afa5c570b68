/**
 * Small, dependency-free SVG charts for the HTML report: line charts (linear or log y) with
 * optional shaded bands, and histograms. Rendered to strings at report time, so the report
 * needs no script and no network, and looks the same in every browser and in print.
 */

export type Point = [number, number | null];

export interface Series {
  name: string;
  color: string;
  points: Point[];
  dash?: string;
  width?: number;
  /** Draw a dot at each point (sparse series such as per-epoch values), while at most one per 4 px. */
  dots?: boolean;
  opacity?: number;
}

export interface Band {
  color: string;
  lower: Point[];
  upper: Point[];
  opacity?: number;
}

export interface ChartOptions {
  title: string;
  series: Series[];
  bands?: Band[];
  xLabel?: string;
  yLabel?: string;
  logY?: boolean;
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
  /** Show the legend (default when there is more than one series). */
  legend?: boolean;
  /** Text shown instead of a chart when there is nothing to draw. */
  empty?: string;
  /** Unique id within the page (for the clip path). */
  id?: string;
  /** Vertical lines at these x positions, each with its label (e.g. the step a run went non-finite). */
  markers?: Array<{ x: number; label: string; color?: string }>;
}

import { thinIndices } from './series.js';

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** ~n "nice" ticks covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/** A hovered value: 4 significant digits. */
export function fmtValue(v: number): string {
  const a = Math.abs(v);
  if (v !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(3);
  return String(Number(v.toPrecision(4)));
}

/**
 * A tick label; never "0" on a log axis (its ticks are powers of ten, each > 0). Past 10⁴ (or
 * under 10⁻³) in short exponent form with the digits the tick has: 150,000 is "1.5e5", where one
 * digit made it "2e5", twice on an axis stepping by 50,000.
 */
export function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(3).replace(/\.?0+e/, 'e').replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
}

const fin = (v: number | null): v is number => v !== null && Number.isFinite(v);

/** A line chart as an <svg> element string. */
export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 560;
  const H = o.height ?? 260;
  const m = { l: 56, r: 12, t: 26, b: 36 };
  const pw = W - m.l - m.r;
  // The legend sits between the title and the plot, never over the data.
  const showLegend = o.legend ?? o.series.length > 1;
  const logY = o.logY ?? false;
  const ok = (p: Point): p is [number, number] => fin(p[0]) && fin(p[1]) && (!logY || p[1] > 0);
  // A title wider than the chart is wrapped at a space onto a second line (never cut off).
  const titleLines = wrapText(o.title, Math.max(20, Math.floor((W - m.l - 4) / 7.4)));
  const titleDrop = 14 * (titleLines.length - 1);
  m.t += titleDrop;
  const legendItems: string[] = [];
  if (showLegend) {
    let lx = m.l;
    let ly = 32 + titleDrop;
    for (const s0 of o.series) {
      // A series with nothing to draw says why in the legend, so the legend never names a curve that is not there.
      const s = s0.points.some(ok) ? s0 : { ...s0, name: `${s0.name} (${logY && s0.points.some((p) => p[1] === 0) ? '0: not drawn on a log scale' : 'no finite value'})` };
      const w = 22 + s.name.length * 6.2;
      if (lx + w > m.l + pw && lx > m.l) {
        lx = m.l;
        ly += 14;
      }
      legendItems.push(`<line x1="${lx}" x2="${lx + 14}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/><text x="${lx + 18}" y="${ly}" class="lg">${esc(s.name)}</text>`);
      lx += w;
    }
    m.t = ly + 8;
  }
  const ph = H - m.t - m.b;
  const all: Array<[number, number]> = [];
  for (const s of o.series) for (const p of s.points) if (ok(p)) all.push(p);
  for (const b of o.bands ?? []) for (const p of [...b.lower, ...b.upper]) if (ok(p)) all.push(p);
  const title = `<text x="${m.l}" y="16" class="ct">${titleLines.map((t, i) => `<tspan x="${m.l}" dy="${i === 0 ? 0 : 14}">${esc(t)}</tspan>`).join('')}</text>`;
  if (all.length === 0) {
    return `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">${title}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">${esc(o.empty ?? 'no data')}</text></svg>`;
  }
  let x0 = all.reduce((a, p) => Math.min(a, p[0]), Infinity);
  let x1 = all.reduce((a, p) => Math.max(a, p[0]), -Infinity);
  for (const mk of o.markers ?? []) if (fin(mk.x)) (x0 = Math.min(x0, mk.x)), (x1 = Math.max(x1, mk.x));
  if (x1 === x0) {
    // One x value: a unit-wide axis around it, which does not reach below 0 when no x does (no "epoch −0.4").
    const lo = x0 >= 0 ? Math.max(0, x0 - 0.5) : x0 - 0.5;
    x1 = lo + 1;
    x0 = lo;
  }
  let y0 = o.yMin ?? all.reduce((a, p) => Math.min(a, p[1]), Infinity);
  let y1 = o.yMax ?? all.reduce((a, p) => Math.max(a, p[1]), -Infinity);
  // A run that diverges (a loss of 1e16 before it turns NaN) would flatten every other curve
  // into the axis: values far outside the bulk (beyond 10 spreads of the 5–95% range) are
  // left off the scale, their lines leaving through the plot's edge, and the chart says so.
  const offScale: string[] = [];
  if (!logY) {
    const ys = all.map((p) => p[1]).sort((a, b) => a - b);
    const q = (t: number) => ys[Math.min(ys.length - 1, Math.floor(t * (ys.length - 1)))];
    const lo = q(0.05);
    const hi = q(0.95);
    const spread = hi - lo || Math.abs(hi) || 1;
    if (o.yMax === undefined && y1 > hi + 10 * spread) {
      y1 = hi + 0.25 * spread;
      offScale.push('↑');
    }
    if (o.yMin === undefined && y0 < lo - 10 * spread) {
      y0 = lo - 0.25 * spread;
      offScale.push('↓');
    }
  }
  if (logY) {
    y0 = Math.log10(y0);
    y1 = Math.log10(y1);
    const pad = Math.max(0.05, (y1 - y0) * 0.05);
    y0 = Math.floor((y0 - pad) * 2) / 2;
    y1 = Math.ceil((y1 + pad) * 2) / 2;
  } else if (o.yMin === undefined || o.yMax === undefined) {
    const pad = (y1 - y0) * 0.06 || Math.abs(y1) * 0.1 || 1;
    if (o.yMin === undefined) y0 -= pad;
    if (o.yMax === undefined) y1 += pad;
  }
  if (y1 === y0) y1 = y0 + 1;
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number) => m.t + ph - (((logY ? Math.log10(y) : y) - y0) / (y1 - y0)) * ph;
  const f = (v: number) => v.toFixed(1);

  const parts: string[] = [];
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" class="plot"/>`);
  // Grid and ticks.
  const yt = logY ? logTicks(y0, y1) : niceTicks(y0, y1, 5);
  let lastTickY = Infinity;
  for (const v of yt) {
    const yy = logY ? m.t + ph - ((v - y0) / (y1 - y0)) * ph : Y(v);
    if (yy < m.t - 0.5 || yy > m.t + ph + 0.5) continue;
    // Labels never overlap: a tick closer than 16 px to the previous one is left out.
    if (lastTickY - yy < 16) continue;
    lastTickY = yy;
    parts.push(`<line x1="${m.l}" x2="${m.l + pw}" y1="${f(yy)}" y2="${f(yy)}" class="grid"/>`);
    parts.push(`<text x="${m.l - 5}" y="${f(yy + 3.5)}" text-anchor="end" class="tick">${logY ? fmtTick(Math.pow(10, v)) : fmtTick(v)}</text>`);
  }
  for (const v of niceTicks(x0, x1, Math.max(2, Math.min(10, Math.floor(pw / 70))))) {
    const xx = X(v);
    parts.push(`<line x1="${f(xx)}" x2="${f(xx)}" y1="${m.t}" y2="${m.t + ph}" class="grid"/>`);
    parts.push(`<text x="${f(xx)}" y="${m.t + ph + 14}" text-anchor="middle" class="tick">${fmtTick(v)}</text>`);
  }
  if (o.xLabel) parts.push(`<text x="${m.l + pw / 2}" y="${H - 4}" text-anchor="middle" class="axis">${esc(o.xLabel)}</text>`);
  if (o.yLabel) parts.push(`<text transform="translate(12 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" class="axis">${esc(o.yLabel)}${logY ? ' (log)' : ''}</text>`);
  const clip = `clip-${o.id ?? hashId(o.title + W + H + o.series.map((q) => q.name).join())}`;
  parts.push(`<clipPath id="${clip}"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath>`);
  const body: string[] = [];
  for (const b of o.bands ?? []) {
    // One polygon per run of points where both bounds are drawable.
    const n = Math.min(b.lower.length, b.upper.length);
    let run: Array<[number, number, number]> = [];
    const flush = () => {
      if (run.length > 1) {
        const top = run.map(([x, , u]) => `${f(X(x))},${f(Y(u))}`);
        const bot = run.map(([x, l]) => `${f(X(x))},${f(Y(l))}`).reverse();
        body.push(`<polygon points="${[...top, ...bot].join(' ')}" fill="${b.color}" fill-opacity="${b.opacity ?? 0.2}" stroke="none"/>`);
      }
      run = [];
    };
    for (let i = 0; i < n; i++) {
      const lo = b.lower[i];
      const up = b.upper[i];
      if (ok(lo) && ok(up)) run.push([lo[0], lo[1], up[1]]);
      else flush();
    }
    flush();
  }
  const hover: string[] = [];
  for (const s of o.series) {
    // Long series are thinned keeping each bucket's min and max (the shape survives).
    const keep = thinIndices([s.points.map((p) => p[1])], Math.max(200, Math.round(pw * 2)));
    const pts = keep.length === s.points.length ? s.points : keep.map((i) => s.points[i]);
    // Hover values: a transparent dot with a <title> at up to ~120 points of each series.
    const every = Math.max(1, Math.ceil(pts.length / 120));
    pts.forEach((p, i) => {
      if (ok(p) && (i % every === 0 || i === pts.length - 1)) hover.push(`<circle cx="${f(X(p[0]))}" cy="${f(Y(p[1]))}" r="4" fill="transparent" class="hv"><title>${esc(s.name)} · ${esc(o.xLabel ?? 'x')} ${fmtTick(p[0])}: ${fmtValue(p[1])}</title></circle>`);
    });
    const segs: string[][] = [[]];
    for (const p of pts) {
      if (ok(p)) segs[segs.length - 1].push(`${f(X(p[0]))},${f(Y(p[1]))}`);
      else if (segs[segs.length - 1].length) segs.push([]);
    }
    for (const seg of segs) {
      if (seg.length > 1) {
        body.push(
          `<polyline points="${seg.join(' ')}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.6}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''} stroke-linejoin="round"><title>${esc(s.name)}</title></polyline>`,
        );
      }
      // Dots only where they can be told apart (one per 4 px at most): a run of 1,000 epochs drew
      // 1,000 per series, a third of the report's size.
      if ((s.dots && pts.length <= pw / 4) || seg.length === 1) for (const pt of seg) body.push(`<circle cx="${pt.split(',')[0]}" cy="${pt.split(',')[1]}" r="2.6" fill="${s.color}"/>`);
    }
  }
  parts.push(`<g clip-path="url(#${clip})">${body.join('')}${hover.join('')}</g>`);
  for (const mk of o.markers ?? []) {
    if (!fin(mk.x)) continue;
    const xx = X(mk.x);
    const c = mk.color ?? '#b42318';
    const anchor = xx > m.l + pw * 0.6 ? 'end' : 'start';
    parts.push(`<line x1="${f(xx)}" x2="${f(xx)}" y1="${m.t}" y2="${m.t + ph}" stroke="${c}" stroke-width="1.5" stroke-dasharray="4 3" class="marker"><title>${esc(mk.label)}</title></line><text x="${f(xx + (anchor === 'end' ? -4 : 4))}" y="${m.t + ph - 6}" text-anchor="${anchor}" class="tick" fill="${c}" style="fill:${c}">${esc(mk.label)}</text>`);
  }
  if (offScale.length > 0) {
    parts.push(`<text x="${m.l + pw - 4}" y="${m.t + 12}" text-anchor="end" class="tick">${offScale.join('')} some values off scale</text>`);
  }
  parts.push(legendItems.join(''));
  return `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">${title}${parts.join('')}</svg>`;
}

/** Words of `s` in lines of at most `max` characters (a longer word gets a line of its own). */
export function wrapText(s: string, max: number): string[] {
  const lines: string[] = [];
  let cur = '';
  for (const w of s.split(' ')) {
    if (cur && cur.length + 1 + w.length > max) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur || lines.length === 0) lines.push(cur);
  return lines;
}

function hashId(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36);
}

/** Tick positions (in log10 units) for a log axis spanning [a, b]. */
function logTicks(a: number, b: number): number[] {
  const out: number[] = [];
  const span = b - a;
  const step = span > 12 ? 3 : span > 6 ? 2 : 1;
  for (let e = Math.ceil(a); e <= Math.floor(b); e += step) out.push(e);
  if (out.length < 2) {
    for (let e = Math.floor(a); e <= Math.ceil(b); e++) for (const mult of [2, 5]) {
      const v = e + Math.log10(mult);
      if (v > a && v < b) out.push(v);
    }
    out.sort((x, y) => x - y);
  }
  return out;
}

export interface HistogramOptions {
  title: string;
  /** {min, max, counts} as in ActivationStats.histogram. */
  histograms: Array<{ name: string; color: string; min: number; max: number; counts: number[]; outline?: boolean }>;
  width?: number;
  height?: number;
  xLabel?: string;
}

/** Histograms (as densities, so different sample counts compare) on a shared x axis. */
export function histogramChart(o: HistogramOptions): string {
  const W = o.width ?? 300;
  const H = o.height ?? 170;
  const legendRow = o.histograms.length > 1;
  // The legend gets its own row under the title (a layer's name is long).
  const m = { l: 40, r: 8, t: legendRow ? 34 : 24, b: 30 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const hs = o.histograms.filter((h) => Number.isFinite(h.min) && Number.isFinite(h.max) && h.counts.length > 0 && h.counts.some((c) => c > 0));
  const title = `<text x="${m.l}" y="15" class="ct">${esc(o.title)}</text>`;
  if (hs.length === 0) return `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">${title}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no data</text></svg>`;
  let x0 = Math.min(...hs.map((h) => h.min));
  let x1 = Math.max(...hs.map((h) => h.max));
  if (x1 === x0) {
    x0 -= 0.5;
    x1 += 0.5;
  }
  const dens = hs.map((h) => {
    const total = h.counts.reduce((a, b) => a + b, 0) || 1;
    const w = (h.max - h.min) / h.counts.length || (x1 - x0) / h.counts.length;
    return h.counts.map((c) => c / total / w);
  });
  const yMax = dens.reduce((a, d) => d.reduce((b, v) => Math.max(b, v), a), 0) || 1;
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number) => m.t + ph - (y / yMax) * ph;
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" class="plot"/>`];
  for (const v of niceTicks(x0, x1, 4)) {
    parts.push(`<line x1="${f(X(v))}" x2="${f(X(v))}" y1="${m.t}" y2="${m.t + ph}" class="grid"/><text x="${f(X(v))}" y="${m.t + ph + 13}" text-anchor="middle" class="tick">${fmtTick(v)}</text>`);
  }
  hs.forEach((h, k) => {
    const w = (h.max - h.min) / h.counts.length;
    const d = dens[k];
    if (h.outline) {
      const pts: string[] = [];
      d.forEach((v, i) => {
        const xa = X(h.min + i * w);
        const xb = X(h.min + (i + 1) * w);
        pts.push(`${f(xa)},${f(Y(v))}`, `${f(xb)},${f(Y(v))}`);
      });
      parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${h.color}" stroke-width="1.3"><title>${esc(h.name)}</title></polyline>`);
    } else {
      d.forEach((v, i) => {
        if (v <= 0) return;
        const xa = X(h.min + i * w);
        const xb = X(h.min + (i + 1) * w);
        parts.push(`<rect x="${f(xa)}" y="${f(Y(v))}" width="${f(Math.max(0.8, xb - xa - 0.6))}" height="${f(m.t + ph - Y(v))}" fill="${h.color}" fill-opacity="0.7"/>`);
      });
    }
  });
  if (hs.length > 1) {
    let lx = m.l + pw - 4;
    const items = hs.map((h) => {
      const w = 16 + h.name.length * 5.6;
      lx -= w;
      return `<rect x="${f(lx)}" y="19" width="10" height="8" fill="${h.color}" fill-opacity="${h.outline ? 0 : 0.7}" stroke="${h.color}"/><text x="${f(lx + 13)}" y="27" class="lg">${esc(h.name)}</text>`;
    });
    parts.push(items.join(''));
  }
  if (o.xLabel) parts.push(`<text x="${m.l + pw / 2}" y="${H - 3}" text-anchor="middle" class="axis">${esc(o.xLabel)}</text>`);
  return `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">${title}${parts.join('')}</svg>`;
}

export interface ChannelMapOptions {
  title: string;
  /** One column per monitored step: its x (epoch) and its step, for the hover text. */
  columns: Array<{ x: number; step: number }>;
  /** values[c][j]: channel c at column j, in [0, 1] (the cell's shade), or null when not recorded. */
  values: Array<Array<number | null>>;
  /** The colour of a cell at 1 (0 is left blank). */
  color: string;
  /** Hover text of a non-blank cell's value ('dead', '42% saturated'). */
  describe: (v: number) => string;
  /** Said in the plot when every cell is blank (an all-blank map otherwise looks like a missing chart). */
  none?: string;
  xLabel?: string;
  width?: number;
  height?: number;
}

/**
 * A channels × time map of a conv layer (one row per filter, one column per monitored step, the
 * first filter at the top): which filters died or saturated, and when. At most ~160 columns are
 * drawn (evenly thinned), so a long run stays a small document.
 */
export function channelMapChart(o: ChannelMapOptions): string {
  const W = o.width ?? 340;
  const H = o.height ?? 180;
  const m = { l: 40, r: 8, t: 24, b: 30 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const rows = o.values.length;
  const title = `<text x="${m.l}" y="15" class="ct">${esc(o.title)}</text>`;
  if (rows === 0 || o.columns.length === 0) return `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">${title}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">no data</text></svg>`;
  const step = Math.max(1, Math.ceil(o.columns.length / 160));
  const cols = o.columns.map((c, j) => ({ ...c, j })).filter((c, k, a) => k % step === 0 || k === a.length - 1);
  const x0 = cols[0].x;
  const x1 = cols[cols.length - 1].x > x0 ? cols[cols.length - 1].x : x0 + 1;
  const cw = pw / cols.length;
  const rh = ph / rows;
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" class="plot"/>`];
  cols.forEach((c, k) => {
    for (let r = 0; r < rows; r++) {
      const v = o.values[r][c.j];
      if (v === null || v === undefined || !(v > 0)) continue;
      parts.push(
        `<rect x="${f(m.l + k * cw)}" y="${f(m.t + r * rh)}" width="${f(Math.max(0.8, cw))}" height="${f(Math.max(0.8, rh))}" shape-rendering="crispEdges" fill="${o.color}" fill-opacity="${Math.min(1, v).toFixed(2)}"><title>filter ${r}, step ${c.step}: ${esc(o.describe(v))}</title></rect>`,
      );
    }
  });
  // x ticks at nice epoch values, placed between the centres of the columns around them (a
  // value between two monitored steps is between their columns), at least 24 px apart so that
  // few columns do not stack labels; y: the first and the last filter.
  let lastTick = -Infinity;
  for (const t of niceTicks(x0, x1, 4)) {
    if (t < x0 || t > x1) continue;
    let k = 0;
    while (k + 1 < cols.length && cols[k + 1].x <= t) k++;
    const frac = k + 1 < cols.length && cols[k + 1].x > cols[k].x ? (t - cols[k].x) / (cols[k + 1].x - cols[k].x) : 0;
    const px = m.l + (k + 0.5 + frac) * cw;
    if (px - lastTick < 24) continue;
    lastTick = px;
    parts.push(`<text x="${f(px)}" y="${m.t + ph + 13}" text-anchor="middle" class="tick">${fmtTick(t)}</text>`);
  }
  if (!parts.some((q) => q.includes('<title>filter '))) parts.push(`<text x="${f(m.l + pw / 2)}" y="${f(m.t + ph / 2 + 4)}" text-anchor="middle" class="empty">${esc(o.none ?? 'all blank')}</text>`);
  parts.push(`<text x="${m.l - 4}" y="${f(m.t + Math.min(rh, 10))}" text-anchor="end" class="tick">0</text><text x="${m.l - 4}" y="${m.t + ph}" text-anchor="end" class="tick">${rows - 1}</text>`);
  parts.push(`<text x="12" y="${m.t + ph / 2}" transform="rotate(-90 12 ${m.t + ph / 2})" text-anchor="middle" class="axis">filter</text>`);
  if (o.xLabel) parts.push(`<text x="${m.l + pw / 2}" y="${H - 3}" text-anchor="middle" class="axis">${esc(o.xLabel)}</text>`);
  return `<svg class="chart" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}">${title}${parts.join('')}</svg>`;
}
