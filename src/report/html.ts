/**
 * The HTML report: ONE self-contained file (inline CSS and SVG; no script, no network) with
 * a run's configuration, loss/accuracy curves (train vs validation), per-layer gradient
 * norms over time (log scale), activation percentile bands (15/50/85, as Ioffe & Szegedy
 * 2015 Fig. 1 plot them), histograms, dead/saturated fractions and the health findings.
 * Given several reports (`gradlab compare`), the runs are put side by side: a summary table,
 * overlaid curves, and one column per run.
 */
import type { EpochLogs, Finding, LayerSeries, Report } from '../train/types.js';
import { currentFindings } from '../diagnostics/rules.js';
import { nameList, reportLayerNamer } from '../diagnostics/names.js';
import { smoothEma } from './series.js';
import { boundarySvg, type BoundaryPicture } from './boundary.js';

/** What a report can show beyond the Report itself (the CLI has the model and the data). */
export interface ReportExtras {
  /** The decision boundary of a classifier on 2-D data (boundaryPicture). */
  boundary?: BoundaryPicture;
}
import { channelMapChart, esc, histogramChart, lineChart, PALETTE, type Band, type Point, type Series } from './svg.js';

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#d9dde5;--bg:#fff;--panel:#f6f7f9;--err:#b42318;--warn:#b54708;--info:#175cd3}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:18px 28px 10px;border-bottom:1px solid var(--line)}h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:26px 0 8px}h3{font-size:14px;margin:14px 0 6px}
main{padding:4px 28px 40px;max-width:1500px}.sub{color:var(--muted)}
.grid{display:flex;flex-wrap:wrap;gap:10px}.card{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:6px}
.runs{display:grid;grid-template-columns:repeat(auto-fill,minmax(600px,1fr));gap:14px}.run{border:1px solid var(--line);border-radius:8px;padding:6px 12px 12px}
table{border-collapse:collapse;font-size:13px}td,th{padding:3px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}th{background:var(--panel);font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.kv td:first-child{color:var(--muted);white-space:nowrap}
.finding{border-left:4px solid var(--muted);background:var(--panel);padding:6px 10px;margin:6px 0;border-radius:0 6px 6px 0}
.finding.resolved{opacity:.75;border-style:dashed}.finding.error{border-color:var(--err)}.finding.warning{border-color:var(--warn)}.finding.info{border-color:var(--info)}
.sev{font-weight:700;text-transform:uppercase;font-size:11px;margin-right:6px}.error .sev{color:var(--err)}.warning .sev{color:var(--warn)}.info .sev{color:var(--info)}
.advice{color:var(--muted);margin-top:2px}.ok{color:#067647;font-weight:600}.bad{color:var(--err);font-weight:600}
svg.chart{display:block;background:#fff;max-width:100%;height:auto}.card.full{flex:1 1 100%}.card.full svg.chart{width:100%}svg .hv:hover{fill:#1d2330;fill-opacity:.5}svg .ct{font-size:12.5px;font-weight:600;fill:var(--fg)}svg .tick{font-size:10px;fill:var(--muted)}svg .axis{font-size:10.5px;fill:var(--muted)}
svg .grid{stroke:#eceef2;stroke-width:1}svg .plot{fill:#fff;stroke:var(--line)}svg .lg{font-size:10.5px;fill:var(--fg)}svg .lgbg{fill:#fff;fill-opacity:.8}svg .empty{font-size:12px;fill:var(--muted)}
code{background:var(--panel);padding:0 4px;border-radius:3px}details summary{cursor:pointer;color:var(--muted)}
table,pre{display:block;max-width:100%;overflow-x:auto}
@media (max-width:700px){header{padding:14px 12px 8px}main{padding:4px 12px 32px}.runs{grid-template-columns:1fr}.card.full{overflow-x:auto}.card.full svg.chart{min-width:720px}}
@media print{.runs{display:block}table{display:table}.card.full{overflow:visible}.card.full svg.chart{min-width:0}}
`;

type Num = number | null | undefined;
const fmt = (v: Num, digits = 4): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits));
const pct = (v: Num): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)}%`);

function accuracyOf(m: Record<string, number> | undefined): number | undefined {
  if (!m) return undefined;
  return m.accuracy ?? m.binaryAccuracy;
}

/** Steps per epoch, from the history (for an x axis in epochs). */
function stepsPerEpoch(r: Report): number {
  const n = r.config.trainExamples;
  const bs = r.config.batchSize;
  if (typeof n === 'number' && typeof bs === 'number' && n > 0 && bs > 0) return Math.ceil(n / bs);
  const steps = r.history.steps.length;
  const epochs = r.history.epochs.length;
  return epochs > 0 && steps > 0 ? steps / epochs : 1;
}

function runTitle(r: Report, i?: number): string {
  const label = r.config.label as string | undefined;
  const arch = r.config.architecture as string | undefined;
  return label ?? arch ?? `run ${(i ?? 0) + 1}`;
}

/** Per-step values smoothed as TensorBoard does (debiased EMA; in log space for a loss). */
function smooth(points: Point[], weight: number, log: boolean): Point[] {
  const ys = smoothEma(points.map((p) => p[1]), weight, log);
  return points.map((p, i) => [p[0], ys[i]]);
}

/** TensorBoard's default smoothing weight, 0.6, is for one point per logging interval; per step, ~4 epochs' worth of memory is too much and one step's too little: the weight is 1 − 4/steps-per-epoch, within [0.6, 0.99]. */
const smoothingWeight = (spe: number) => Math.min(0.99, Math.max(0.6, 1 - 4 / Math.max(1, spe)));

export class Ids {
  private n = 0;
  next(prefix: string): string {
    return `${prefix}${++this.n}`;
  }
}

function lossChart(r: Report, ids: Ids, width: number): string {
  const spe = stepsPerEpoch(r);
  const steps: Point[] = r.history.steps.map((s) => [s.step / spe, s.loss]);
  const epochs = r.history.epochs;
  const positive = r.history.steps.every((s) => s.loss === null || s.loss > 0);
  const series: Series[] = [
    { name: 'train (per step)', color: '#9ec5e8', points: steps, width: 1 },
    { name: `train (smoothed${positive ? ' in log space' : ''})`, color: PALETTE[0], points: smooth(steps, smoothingWeight(spe), positive) },
    { name: 'train (running average over batches)', color: PALETTE[0], points: epochs.map((e) => [e.epoch + 1, e.loss]), dots: true, dash: '4 3' },
  ];
  if (epochs.some((e) => e.trainLoss !== undefined)) series.push({ name: 'train (end of epoch, eval mode)', color: '#1b4f80', points: epochs.map((e) => [e.epoch + 1, e.trainLoss ?? null]), dots: true, width: 2 });
  if (epochs.some((e) => e.valLoss !== undefined)) series.push({ name: 'validation', color: PALETTE[1], points: epochs.map((e) => [e.epoch + 1, e.valLoss ?? null]), dots: true, width: 2 });
  if (r.history.baselineLoss !== undefined && r.history.baselineLoss !== null && steps.length) {
    const x1 = Math.max(epochs.length, steps.length ? (steps[steps.length - 1][0] as number) : 1);
    series.push({ name: 'constant-predictor baseline', color: '#999', points: [[0, r.history.baselineLoss], [x1, r.history.baselineLoss]], dash: '2 3', width: 1 });
  }
  const nf = r.nonFinite;
  const markers = nf ? [{ x: nf.step / spe, label: `non-finite at step ${nf.step}` }] : [];
  return lineChart({ id: ids.next('l'), title: 'Loss', series, xLabel: 'epoch', yLabel: 'loss', logY: positive && steps.length > 0, width, height: 280, markers });
}

function accuracyChart(r: Report, ids: Ids, width: number): string | null {
  const epochs = r.history.epochs;
  if (!epochs.some((e) => accuracyOf(e.metrics) !== undefined)) return null;
  const series: Series[] = [];
  if (epochs.some((e) => accuracyOf(e.trainMetrics) !== undefined)) series.push({ name: 'train (end of epoch, eval mode)', color: PALETTE[0], points: epochs.map((e) => [e.epoch + 1, accuracyOf(e.trainMetrics) ?? null]), dots: true });
  series.push({ name: 'train (running average over batches)', color: PALETTE[0], points: epochs.map((e) => [e.epoch + 1, accuracyOf(e.metrics) ?? null]), dash: '4 3', width: 1 });
  if (epochs.some((e) => accuracyOf(e.valMetrics) !== undefined)) series.push({ name: 'validation', color: PALETTE[1], points: epochs.map((e) => [e.epoch + 1, accuracyOf(e.valMetrics) ?? null]), dots: true, width: 2 });
  return lineChart({ id: ids.next('a'), title: 'Accuracy', series, xLabel: 'epoch', yLabel: 'accuracy', width, height: 280, legend: true });
}

/** The layer's name as everywhere (src/diagnostics/names.ts). */
function layerLabel(r: Report, l: LayerSeries): string {
  return reportLayerNamer(r)(l.name);
}

function gradientChart(r: Report, ids: Ids, width: number): string {
  const spe = stepsPerEpoch(r);
  const layers = r.monitors.layers.filter((l) => l.samples.some((s) => s.gradNorm !== undefined));
  const series: Series[] = layers.map((l, i) => ({
    name: layerLabel(r, l),
    color: PALETTE[i % PALETTE.length],
    points: l.samples.map((s) => [s.step / spe, s.gradNorm ?? null] as Point),
  }));
  // The layers are sampled every monitorEvery steps, so a run that explodes between two samples
  // (or before the second) would show no explosion here: the whole model's norm of every step,
  // which the exploding-gradients rule reads, is drawn behind them.
  if (r.history.steps.some((s) => s.gradNorm !== null && s.gradNorm > 0)) {
    series.unshift({ name: 'all layers (every step)', color: '#bbb', width: 1, points: r.history.steps.map((s) => [s.step / spe, s.gradNorm !== null && s.gradNorm > 0 ? s.gradNorm : null] as Point) });
  }
  const nf = r.nonFinite;
  const markers = nf ? [{ x: nf.step / spe, label: `non-finite at step ${nf.step}` }] : [];
  return lineChart({ id: ids.next('g'), title: 'Gradient norm per layer ‖∇θ‖', series, xLabel: 'epoch', yLabel: '‖∇θ‖', logY: true, width, height: 280, legend: true, markers, empty: 'no monitor samples' });
}

function updateRatioChart(r: Report, ids: Ids, width: number): string {
  const spe = stepsPerEpoch(r);
  const layers = r.monitors.layers.filter((l) => l.samples.some((s) => s.params?.some((p) => p.name.endsWith('weight'))));
  const series: Series[] = layers.map((l, i) => ({
    name: layerLabel(r, l),
    color: PALETTE[i % PALETTE.length],
    points: l.samples.map((s) => [s.step / spe, s.params?.find((p) => p.name.endsWith('weight'))?.updateRatio ?? null] as Point),
  }));
  // The monitors record the ratio as null where ‖w‖ = 0 before the step: with samples and nothing to draw, that is why.
  const empty = layers.length === 0 ? 'no monitor samples' : 'undefined at every monitored step: the weights were all zero (‖w‖ = 0)';
  return lineChart({ id: ids.next('u'), title: 'Update ratio ‖Δw‖/‖w‖ per layer (≈1e-3 is healthy)', series, xLabel: 'epoch', yLabel: 'ratio', logY: true, width, height: 280, legend: true, empty });
}

function percentileCharts(r: Report, ids: Ids, width: number): string[] {
  const spe = stepsPerEpoch(r);
  return r.monitors.layers
    .filter((l) => l.samples.some((s) => s.activation))
    .map((l, i) => {
      const color = PALETTE[i % PALETTE.length];
      const pts = (k: 'p15' | 'p50' | 'p85'): Point[] => l.samples.map((s) => [s.step / spe, s.activation ? s.activation[k] : null]);
      const band: Band = { color, lower: pts('p15'), upper: pts('p85'), opacity: 0.25 };
      return lineChart({
        id: ids.next('p'),
        title: `${layerLabel(r, l)}${l.activation ? ' output' : ' (pre-act.)'}`,
        series: [{ name: 'median', color, points: pts('p50') }],
        bands: [band],
        xLabel: 'epoch',
        width,
        height: 180,
        legend: false,
      });
    });
}

function histogramCharts(r: Report, width: number): string[] {
  return r.monitors.layers
    .filter((l) => l.samples.some((s) => s.activation))
    .map((l, i) => {
      const withAct = l.samples.filter((s) => s.activation);
      const first = withAct[0];
      const last = withAct[withAct.length - 1];
      const hs = [{ name: `step ${last.step}`, color: PALETTE[i % PALETTE.length], ...last.activation!.histogram }];
      if (first !== last) hs.push({ name: `step ${first.step}`, color: '#444', ...first.activation!.histogram, outline: true } as (typeof hs)[number]);
      return histogramChart({ title: `${layerLabel(r, l)}`, histograms: hs, width, height: 170 });
    });
}

/**
 * Dead/saturated fractions per batch over time, for the layers whose units are units
 * (`channels` false) or for those whose units are the channels of an [N, C, H, W] output
 * (`channels` true: conv layers, where a dead unit is a dead filter).
 */
function failureChart(r: Report, ids: Ids, width: number, channels: boolean): string | null {
  const spe = stepsPerEpoch(r);
  const series: Series[] = [];
  // Colours by the layer's place among those drawn here (activation layers are every other
  // monitored layer, so the monitors' index repeated a colour every fifth layer of a deep net).
  let drawn = 0;
  r.monitors.layers.forEach((l) => {
    if ((l.channels !== undefined) !== channels) return;
    const color = PALETTE[drawn % PALETTE.length];
    const dead = l.samples.some((s) => s.activation?.dead !== undefined);
    const saturated = l.samples.some((s) => s.activation?.saturated !== undefined);
    if (dead) series.push({ name: `${layerLabel(r, l)} dead${channels ? ' filters' : ''}`, color, points: l.samples.map((s) => [s.step / spe, s.activation?.dead ?? null]) });
    if (saturated) series.push({ name: `${layerLabel(r, l)} saturated`, color, dash: '5 3', points: l.samples.map((s) => [s.step / spe, s.activation?.saturated ?? null]) });
    if (dead || saturated) drawn++;
  });
  if (series.length === 0) return null;
  const title = channels
    ? 'Conv layers: dead filters (ReLU; share of channels ≤ 0 at every position of the batch) / saturated outputs (sigmoid, tanh)'
    : 'Dead (ReLU) / saturated (sigmoid, tanh) fraction per batch';
  return lineChart({ id: ids.next('f'), title, series, xLabel: 'epoch', yLabel: 'fraction', yMin: 0, yMax: 1, width, height: 240, legend: true });
}

/**
 * One filters × time map per conv layer with a failure mode: dead filters (ReLU family) or each
 * filter's saturated fraction (sigmoid, tanh), per monitored step.
 */
function channelMaps(r: Report, width: number): string[] {
  const spe = stepsPerEpoch(r);
  const out: string[] = [];
  for (const l of r.monitors.layers) {
    const c = l.channels;
    if (c === undefined) continue;
    const ss = l.samples.filter((s) => s.activation?.deadChannels !== undefined || s.activation?.channelSaturated !== undefined);
    if (ss.length === 0) continue;
    const dead = ss.some((s) => s.activation!.deadChannels !== undefined);
    const values = Array.from({ length: c }, (_, ch) =>
      ss.map((s) => {
        const a = s.activation!;
        if (dead) return a.deadChannels ? (a.deadChannels.includes(ch) ? 1 : 0) : null;
        return a.channelSaturated?.[ch] ?? null;
      }),
    );
    out.push(
      channelMapChart({
        title: `${layerLabel(r, l)}: ${dead ? 'dead filters' : 'saturation per filter'}`,
        columns: ss.map((s) => ({ x: s.step / spe, step: s.step })),
        values,
        color: dead ? '#b42318' : '#b54708',
        describe: (v) => (dead ? 'dead on the whole batch' : `${(100 * v).toFixed(0)}% of its values saturated`),
        none: dead ? 'no filter was dead at any monitored step' : 'no filter had saturated values at any monitored step',
        xLabel: 'epoch',
        width,
        height: Math.min(260, Math.max(120, 60 + 3 * c)),
      }),
    );
  }
  return out;
}

function probeTable(r: Report): string {
  const ev = r.monitors.evaluation;
  if (!ev || ev.length === 0) return '';
  const rows = ev
    .map((p) => `<tr><td>${esc(reportLayerNamer(r)(p.layer))}</td><td>${esc(p.activation)}</td><td class="n">${p.units}${p.channels !== undefined ? ' filters' : ''}</td><td class="n">${p.examples}</td><td class="n">${p.dead !== undefined ? pct(p.dead) : '–'}</td><td class="n">${p.saturated !== undefined ? pct(p.saturated) : '–'}</td></tr>`)
    .join('');
  return `<h3>Dead / saturated units over the evaluation set (end of training)</h3><table><tr><th>layer</th><th>activation</th><th>units / filters</th><th>examples</th><th>dead</th><th>saturated</th></tr>${rows}</table>`;
}

/** Current findings first, then those that held during training and no longer do, marked resolved. */
function findingsHtml(r: Report): string {
  const name = reportLayerNamer(r);
  const current = currentFindings(r.findings);
  const resolved = r.findings.filter((f) => f.status === 'resolved');
  const one = (f: Finding) => {
    const gone = f.status === 'resolved';
    const when = gone
      ? ` · held at steps ${f.firstStep ?? f.step}–${f.lastStep ?? f.step}, no longer at the end`
      : f.firstStep !== undefined && f.firstStep !== f.step
        ? ` · since step ${f.firstStep}, still at step ${f.step}`
        : ` · step ${f.step}`;
    return `<div class="finding ${esc(f.severity)}${gone ? ' resolved' : ''}" data-rule="${esc(f.rule)}" data-status="${gone ? 'resolved' : 'current'}"><span class="sev">${gone ? `resolved ${esc(f.severity)}` : esc(f.severity)}</span><b>${esc(f.rule)}</b>${f.layers.length ? ` · ${esc(nameList(f.layers, name))}` : ''}${when}<div>${esc(f.evidence)}</div><div class="advice">→ ${esc(f.advice)}</div></div>`;
  };
  const now = current.length ? current.map(one).join('') : '<p class="ok">No health problem holds at the end of training.</p>';
  const before = resolved.length ? `<h3>Resolved during training</h3><p class="sub">These held at some point and no longer held at the end.</p>${resolved.map(one).join('')}` : '';
  return now + before;
}

function configTable(r: Report): string {
  const c = r.config;
  const skip = new Set(['model', 'summary', 'cli', 'spec', 'data', 'label']);
  const rows: Array<[string, string]> = [];
  if (c.architecture) rows.push(['architecture', String(c.architecture)]);
  const data = c.data as { name?: string; train?: number; test?: number; classes?: number | null } | undefined;
  if (data && typeof data === 'object') rows.push(['data', `${data.name ?? ''} — ${data.train ?? '?'} training, ${data.test ?? '?'} held-out examples${data.classes ? `, ${data.classes} classes` : ''}`]);
  const cli = c.cli as Record<string, unknown> | undefined;
  const spec = (c.spec ?? (cli?.spec as unknown)) as Record<string, unknown> | undefined;
  if (spec) rows.push(['activation / init', `${spec.activation} / ${spec.init}${spec.batchnorm ? ', BatchNorm' : ''}${spec.dropout ? `, dropout ${spec.dropout}` : ''}`]);
  for (const [k, v] of Object.entries(c)) {
    if (skip.has(k) || k === 'architecture' || v === null || v === undefined || typeof v === 'object') continue;
    rows.push([k, String(v)]);
  }
  if (r.durationMs !== undefined) rows.push(['duration', `${(r.durationMs / 1000).toFixed(1)} s`]);
  rows.push(['stopped', String(r.stopReason ?? 'completed')]);
  if (r.nonFinite) rows.push(['non-finite', `step ${r.nonFinite.step} (epoch ${r.nonFinite.epoch + 1}), ${r.nonFinite.phase}${r.nonFinite.layer !== null ? `, ${reportLayerNamer(r)(r.nonFinite.layer)}` : ''}${r.nonFinite.parameter ? ` (${r.nonFinite.parameter})` : ''}, loss ${r.nonFinite.loss}`]);
  const model = typeof c.model === 'string' ? `<details><summary>module tree</summary><pre>${esc(c.model)}</pre></details>` : '';
  return `<table class="kv">${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>${model}`;
}

function epochTable(epochs: EpochLogs[]): string {
  if (epochs.length === 0) return '';
  const hasAcc = epochs.some((e) => accuracyOf(e.metrics) !== undefined);
  const hasVal = epochs.some((e) => e.valLoss !== undefined);
  const hasTrain = epochs.some((e) => e.trainLoss !== undefined);
  const head = `<tr><th>epoch</th>${hasTrain ? `<th>train loss</th>${hasAcc ? '<th>train accuracy</th>' : ''}` : ''}<th>running loss</th>${hasAcc ? '<th>running accuracy</th>' : ''}${hasVal ? `<th>val loss</th>${hasAcc ? '<th>val accuracy</th>' : ''}` : ''}<th>lr</th><th>time</th></tr>`;
  // A long run's table keeps the first and the last EPOCH_TABLE_ENDS epochs and every k-th between
  // (at most EPOCH_TABLE_ROWS rows): 1,000 epochs made a 229 kB table nobody reads row by row;
  // the JSON log (--json) and the charts hold every epoch.
  const n = epochs.length;
  const every = n <= EPOCH_TABLE_ROWS ? 1 : Math.ceil((n - 2 * EPOCH_TABLE_ENDS) / (EPOCH_TABLE_ROWS - 2 * EPOCH_TABLE_ENDS));
  const shown = epochs.filter((_, i) => every === 1 || i < EPOCH_TABLE_ENDS || i >= n - EPOCH_TABLE_ENDS || (i - EPOCH_TABLE_ENDS) % every === every - 1);
  const rows = shown
    .map(
      (e) =>
        `<tr><td class="n">${e.epoch + 1}</td>${hasTrain ? `<td class="n">${fmt(e.trainLoss)}</td>${hasAcc ? `<td class="n">${pct(accuracyOf(e.trainMetrics))}</td>` : ''}` : ''}<td class="n">${fmt(e.loss)}</td>${hasAcc ? `<td class="n">${pct(accuracyOf(e.metrics))}</td>` : ''}${hasVal ? `<td class="n">${fmt(e.valLoss)}</td>${hasAcc ? `<td class="n">${pct(accuracyOf(e.valMetrics))}</td>` : ''}` : ''}<td class="n">${fmt(e.lr, 6)}</td><td class="n">${(e.durationMs / 1000).toFixed(1)} s</td></tr>`,
    )
    .join('');
  const what = shown.length === n ? 'per-epoch table' : `per-epoch table (${shown.length} of ${n} epochs: the first and last ${EPOCH_TABLE_ENDS}, one in ${every} between)`;
  return `<details><summary>${what}</summary><table>${head}${rows}</table></details>`;
}

/** The per-epoch table's most rows, and the epochs always shown at each end of a longer run. */
const EPOCH_TABLE_ROWS = 200;
const EPOCH_TABLE_ENDS = 20;

function headline(r: Report): string {
  const last = r.history.epochs[r.history.epochs.length - 1];
  if (!last) return r.stopReason === 'non-finite' ? '<span class="bad">diverged before the first epoch ended</span>' : 'no completed epoch';
  const acc = accuracyOf(last.valMetrics) ?? accuracyOf(last.trainMetrics) ?? accuracyOf(last.metrics);
  const parts = [`final ${last.valLoss !== undefined ? 'validation' : 'training'} loss <b>${fmt(last.valLoss ?? last.loss)}</b>`];
  if (acc !== undefined) parts.push(`${accuracyOf(last.valMetrics) !== undefined ? 'validation' : 'training'} accuracy <b>${pct(acc)}</b>`);
  const current = currentFindings(r.findings);
  const errors = current.filter((f) => f.severity === 'error').length;
  const warnings = current.filter((f) => f.severity === 'warning').length;
  const resolved = r.findings.length - current.length;
  const notes = current.filter((f) => f.severity === 'info').length;
  const noted = notes ? `, ${notes} note${notes === 1 ? '' : 's'}` : '';
  parts.push(errors || warnings ? `<span class="${errors ? 'bad' : ''}">${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}${noted}</span>` : `<span class="ok">healthy at the end</span>${notes ? ` (${notes} note${notes === 1 ? '' : 's'})` : ''}`);
  if (resolved) parts.push(`${resolved} resolved during training`);
  if (r.stopReason === 'non-finite') parts.push('<span class="bad">stopped: non-finite loss/weights</span>');
  return parts.join(' · ');
}

/** All sections of one run; `w` is the width of full-size charts. */
function runSections(r: Report, ids: Ids, w: number, small: number, extra: ReportExtras = {}): string {
  const acc = accuracyChart(r, ids, w);
  const fail = failureChart(r, ids, w, false);
  const failConv = failureChart(r, ids, w, true);
  const maps = channelMaps(r, Math.round(w / 2) - 12);
  return `
<h2>Findings</h2>${findingsHtml(r)}
<h2>Learning curves</h2><p class="sub">Hover a curve for its values.</p><div class="grid"><div class="card full">${lossChart(r, ids, w)}</div>${acc ? `<div class="card full">${acc}</div>` : ''}</div>${epochTable(r.history.epochs)}${extra.boundary ? `<h2>Decision boundary</h2>${boundarySvg(extra.boundary)}` : ''}
<h2>Gradients</h2><div class="grid"><div class="card full">${gradientChart(r, ids, w)}</div><div class="card full">${updateRatioChart(r, ids, w)}</div></div>
<h2>Activations: percentile bands</h2><p class="sub">Shaded: 15th–85th percentile of each layer's outputs over a training batch; line: median. Stable bands mean the layer's input distribution is not drifting.</p><div class="grid">${percentileCharts(r, ids, small).map((c) => `<div class="card">${c}</div>`).join('')}</div>
<h2>Activations: histograms</h2><p class="sub">Filled: last monitored step; outline: first.</p><div class="grid">${histogramCharts(r, small).map((c) => `<div class="card">${c}</div>`).join('')}</div>
<h2>Dead and saturated units</h2>${fail || failConv ? `<div class="grid">${[failConv, fail].filter((c) => c).map((c) => `<div class="card full">${c}</div>`).join('')}</div>` : '<p class="sub">The activation has no dead or saturated regime.</p>'}${failConv ? '<p class="sub">In a conv layer the unit is a channel: a dead filter is zero at every position of every example.</p>' : ''}${maps.length ? `<h3>Per filter, over time</h3><p class="sub">One row per filter of a conv layer, one column per monitored step; dark: dead on the whole batch (ReLU), or the share of the filter's values in the saturation band (sigmoid, tanh).</p><div class="grid">${maps.map((c) => `<div class="card">${c}</div>`).join('')}</div>` : ''}${probeTable(r)}
<h2>Configuration</h2>${configTable(r)}`;
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body>${body}</body></html>
`;
}

function compareTable(rs: Report[]): string {
  const rows = rs
    .map((r, i) => {
      const last = r.history.epochs[r.history.epochs.length - 1];
      const current = currentFindings(r.findings);
      const e = current.filter((f) => f.severity === 'error').length;
      const w = current.filter((f) => f.severity === 'warning').length;
      const gone = r.findings.filter((f) => f.status === 'resolved').map((f) => `${f.rule} (resolved)`);
      return `<tr><td><span style="color:${PALETTE[i % PALETTE.length]}">■</span> ${esc(runTitle(r, i))}</td><td class="n">${pct(accuracyOf(last?.valMetrics))}</td><td class="n">${fmt(last?.valLoss)}</td><td class="n">${fmt(last?.trainLoss ?? last?.loss)}</td><td class="n">${pct(accuracyOf(last?.trainMetrics) ?? accuracyOf(last?.metrics))}</td><td>${e}E ${w}W ${esc([...current.map((f) => f.rule), ...gone].join(', '))}</td><td>${esc(r.stopReason ?? 'completed')}</td><td class="n">${r.durationMs !== undefined ? (r.durationMs / 1000).toFixed(1) + ' s' : '–'}</td></tr>`;
    })
    .join('');
  return `<table><tr><th>run</th><th>val accuracy</th><th>val loss</th><th>train loss (eval)</th><th>train accuracy (eval)</th><th>findings</th><th>stopped</th><th>time</th></tr>${rows}</table>`;
}

/** The runs overlaid on shared charts, one colour per run (the summary table's). */
function overlayCharts(rs: Report[], ids: Ids): string {
  const W = 1100;
  const color = (i: number) => PALETTE[i % PALETTE.length];
  const perEpoch = (pick: (e: EpochLogs) => number | null | undefined) =>
    rs.map((r, i): Series => ({ name: runTitle(r, i), color: color(i), points: r.history.epochs.map((e) => [e.epoch + 1, pick(e) ?? null] as Point), dots: true }));
  const smoothTrain: Series[] = rs.map((r, i) => {
    const spe = stepsPerEpoch(r);
    const pts: Point[] = r.history.steps.map((s) => [s.step / spe, s.loss]);
    const positive = r.history.steps.every((s) => s.loss === null || s.loss > 0);
    return { name: runTitle(r, i), color: color(i), points: smooth(pts, smoothingWeight(spe), positive) };
  });
  const gradSeries: Series[] = rs.map((r, i) => {
    const spe = stepsPerEpoch(r);
    return { name: runTitle(r, i), color: color(i), points: r.monitors.global.map((g) => [g.step / spe, g.gradNorm] as Point) };
  });
  const ratioSeries: Series[] = rs.map((r, i) => {
    const spe = stepsPerEpoch(r);
    return { name: runTitle(r, i), color: color(i), points: r.monitors.global.map((g) => [g.step / spe, g.firstToLastRatio] as Point) };
  });
  const positive = rs.every((r) => r.history.epochs.every((e) => (e.valLoss ?? e.loss ?? 1) > 0) && r.history.steps.every((s) => s.loss === null || s.loss > 0));
  const card = (svg: string) => `<div class="card full">${svg}</div>`;
  return `<div class="grid">
${card(lineChart({ id: ids.next('c'), title: 'Validation loss', series: perEpoch((e) => e.valLoss), xLabel: 'epoch', yLabel: 'loss', logY: positive, width: W, height: 320, legend: true }))}
${card(lineChart({ id: ids.next('c'), title: 'Training loss (per step, smoothed as TensorBoard does)', series: smoothTrain, xLabel: 'epoch', yLabel: 'loss', logY: positive, width: W, height: 320, legend: true }))}
${card(lineChart({ id: ids.next('c'), title: 'Validation accuracy', series: perEpoch((e) => accuracyOf(e.valMetrics)), xLabel: 'epoch', yLabel: 'accuracy', width: W, height: 300, legend: true }))}
${card(lineChart({ id: ids.next('c'), title: 'Training accuracy (end of epoch, eval mode)', series: perEpoch((e) => accuracyOf(e.trainMetrics) ?? accuracyOf(e.metrics)), xLabel: 'epoch', yLabel: 'accuracy', width: W, height: 300, legend: true }))}
${card(lineChart({ id: ids.next('c'), title: 'Global gradient norm ‖∇θ‖ (monitored steps)', series: gradSeries, xLabel: 'epoch', yLabel: '‖∇θ‖', logY: true, width: W, height: 300, legend: true }))}
${card(lineChart({ id: ids.next('c'), title: 'Gradient ratio ‖∇first layer‖ / ‖∇last layer‖ (1 = balanced)', series: ratioSeries, xLabel: 'epoch', yLabel: 'ratio', logY: true, width: W, height: 300, legend: true }))}
</div>`;
}

/**
 * The report for one run, or for several runs side by side (compare). Returns the complete
 * HTML document.
 */
export function renderReport(report: Report | Report[], extras: ReportExtras = {}): string {
  const ids = new Ids();
  if (!Array.isArray(report)) {
    const title = `gradlab report — ${runTitle(report)}`;
    const body = `<header><h1>gradlab training report</h1><div class="sub">${esc(runTitle(report))}</div><div>${headline(report)}</div></header><main>${runSections(report, ids, 1100, 340, extras)}</main>`;
    return page(title, body);
  }
  const rs = report;
  if (rs.length === 0) return page('gradlab comparison', '<header><h1>gradlab comparison</h1><p>No runs.</p></header>');
  // Each run's findings (current first, resolved marked), not six whole reports stacked.
  const findings = rs
    .map((r, i) => `<details${i === 0 ? ' open' : ''}><summary><span style="color:${PALETTE[i % PALETTE.length]}">■</span> ${esc(runTitle(r, i))} — ${headline(r)}</summary>${findingsHtml(r)}</details>`)
    .join('');
  const body = `<header><h1>gradlab comparison</h1><div class="sub">${rs.length} runs, same data, seed and budget; varied: ${esc(variedKeys(rs))}</div></header>
<main><h2>Summary</h2>${compareTable(rs)}<h2>The runs overlaid</h2><p class="sub">One colour per run, as in the table; hover a curve for its values.</p>${overlayCharts(rs, ids)}<h2>Findings per run</h2>${findings}</main>`;
  return page('gradlab comparison', body);
}

function variedKeys(rs: Report[]): string {
  const specs = rs.map((r) => ({ ...((r.config.spec as Record<string, unknown>) ?? {}), optimizer: r.config.optimizer, lr: r.config.lr }));
  const keys = ['activation', 'init', 'batchnorm', 'optimizer', 'lr', 'layers', 'dropout'];
  const varied = keys.filter((k) => new Set(specs.map((s) => JSON.stringify((s as Record<string, unknown>)[k]))).size > 1);
  return varied.length ? varied.join(', ') : 'nothing (identical configurations)';
}
