/**
 * The lab page: settings form (built from the library's registries), run controls, live charts,
 * findings and lessons. All training happens in the worker; this file only sends the state and
 * draws what comes back.
 */
import './style.css';
import {
  ACTIVATIONS,
  ACTIVATION_NAMES,
  DATASET_LABELS,
  DATASET_NAMES,
  DEFAULT_STATE,
  HEAD_LABELS,
  HEAD_NAMES,
  INITIALIZERS,
  INIT_NAMES,
  LIMITS,
  MODEL_LABELS,
  MODEL_NAMES,
  OPTIMIZERS,
  OPTIMIZER_NAMES,
  cloneState,
  imageShape,
  isSynthetic,
  onlyLiveChanges,
  changeSettings,
  checkNumber,
  parseState,
  linkQuery,
  parseStateChecked,
  serializeState,
  withOptimizer,
  type ActivationName,
  type LabState,
  type OptimizerName,
  type StateProblem,
} from './state.js';
import { defaultLr } from '../../src/recipe.js';
import { LESSONS, judgeLesson, type Lesson, type LessonVerdict } from './lessons.js';
import { mountQuiz } from './quiz.js';
import { cliCommand, monitorEvery } from './command.js';
import { LineChart, drawBoundary, drawDigits, drawGradBars, drawGradHeatmap, drawHistogram } from './charts.js';
import { failureText, histogramLayers, statText, weightGradNorm, weightedLayers } from './layers.js';
import type { Boundary, EvalPoint, FromWorker, LayerSnapshot, ModelInfo, StepPoint, ToWorker } from './protocol.js';
import { thinOlderHalf } from '../../src/report/series.js';
import type { Finding } from '../../src/train/types.js';
import { nameList } from '../../src/diagnostics/names.js';
import { createUpload } from './upload.js';
import { createConvPanel } from './convpanel.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// Settings after '#' are read as the query's (linkQuery) and moved into it, so the page's own URL updates keep one copy.
const linked = linkQuery(location.search, location.hash);
if (linked.fromHash) history.replaceState(history.state, '', `${location.pathname}?${linked.query}`);
const fromUrl = parseStateChecked(linked.query);
let state: LabState = fromUrl.state;
let info: ModelInfo | null = null;
let running = false;
let lastBoundary: Boundary | null = null;
let lastLayers: LayerSnapshot[] | null = null;
/** The run's first layer statistics (its initial weights), for the lessons about initialization. */
let firstLayers: LayerSnapshot[] | null = null;
let gradHistory: number[][] = [];
let findings: Finding[] = [];
let currentLesson: Lesson | null = null;
let stepCount = 0;
/** The epoch in progress, 0-based as the worker counts; shown 1-based, as the findings and the CLI number epochs. */
let epoch = 0;
let lastEval: EvalPoint | null = null;
let evalHistory: EvalPoint[] = [];
/**
 * The current run's per-step training loss (for window.lab.snapshot()); past MAX_SEEN steps the
 * older half is thinned, so hours of training keep the page's memory flat.
 */
let seen: StepPoint[] = [];
const MAX_SEEN = 20000;
let lessonVerdict: LessonVerdict | null = null;
let stopReason: string | undefined;
/** The step of the worker's last health check (lessons judge only findings this fresh). */
let healthStep = 0;
/** Batches skipped by rejected (non-finite) attempts, and the first step rejected (the CLI stops there). */
let skipped = 0;
let firstRejected: number | undefined;

// ---------------------------------------------------------------------------------------
// Worker

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
/** The current run: `reset` starts a new one; messages of any other run are dropped (protocol.ts). */
let runId = 0;
const send = (m: ToWorker) => worker.postMessage(m);
/** The user's CSV file (lab/src/upload.ts): a file that reads switches the run to it. */
const upload = createUpload(() => applyState({ ...cloneState(state), dataset: 'local' }));
/** Conv nets: the first conv layer's filters and maps for the test digit the user picks (convpanel.ts). */
const convPanel = createConvPanel($('conv-card'), (index) => send({ type: 'digit', runId, index }));

// ---------------------------------------------------------------------------------------
// Form

let uid = 0;
function field(label: string, control: HTMLElement, help?: string): HTMLElement {
  const wrap = document.createElement('div');
  wrap.className = 'field';
  const id = control.id || `f${++uid}`;
  control.id = id;
  const l = document.createElement('label');
  l.htmlFor = id;
  l.textContent = label;
  wrap.append(l, control);
  if (help) {
    const p = document.createElement('p');
    p.className = 'help';
    p.id = `${id}-help`;
    p.textContent = help;
    control.setAttribute('aria-describedby', p.id);
    wrap.append(p);
  }
  return wrap;
}

function select(name: string, options: Array<[string, string]>, value: string): HTMLSelectElement {
  const s = document.createElement('select');
  s.name = name;
  s.id = `in-${name}`;
  for (const [v, text] of options) {
    const o = document.createElement('option');
    o.value = v;
    o.textContent = text;
    s.append(o);
  }
  s.value = value;
  return s;
}

function numberInput(name: string, value: number, min: number, max: number, step: number | 'any'): HTMLInputElement {
  const i = document.createElement('input');
  i.type = 'number';
  i.name = name;
  i.id = `in-${name}`;
  i.min = String(min);
  i.max = String(max);
  i.step = String(step);
  i.value = String(value);
  i.inputMode = step === 1 ? 'numeric' : 'decimal';
  return i;
}

function checkbox(name: string, checked: boolean, label: string): HTMLElement {
  const wrap = document.createElement('div');
  wrap.className = 'field check';
  const i = document.createElement('input');
  i.type = 'checkbox';
  i.name = name;
  i.id = `in-${name}`;
  i.checked = checked;
  const l = document.createElement('label');
  l.htmlFor = i.id;
  l.textContent = label;
  wrap.append(i, l);
  return wrap;
}

function fieldset(legend: string, ...children: HTMLElement[]): HTMLFieldSetElement {
  const f = document.createElement('fieldset');
  const l = document.createElement('legend');
  l.textContent = legend;
  f.append(l, ...children);
  return f;
}

const uniform = <T>(xs: T[]): T | null => (xs.length && xs.every((x) => x === xs[0]) ? xs[0] : null);

function recommendedInitText(s: LabState): string {
  const acts = [...new Set(s.layers.map((l) => l.activation))];
  if (!acts.length) return 'No hidden layers: the output layer uses Xavier.';
  return acts.map((a) => `${ACTIVATIONS[a].label}: ${INITIALIZERS[ACTIVATIONS[a].init].label}`).join('; ') + ' (★ in the menu).';
}

function buildForm(): void {
  $('settings-summary').textContent = `(${summarize(state)})`;
  const form = $<HTMLFormElement>('settings');
  form.replaceChildren();
  const s = state;
  const is2d = isSynthetic(s.dataset);

  // Problem
  const data = select('data', DATASET_NAMES.map((d) => [d, DATASET_LABELS[d]]), s.dataset);
  const noise = numberInput('noise', s.noise, LIMITS.noise[0], LIMITS.noise[1], 0.05);
  const train = numberInput('train', s.trainRatio, LIMITS.trainRatio[0], LIMITS.trainRatio[1], 0.05);
  const points = numberInput('points', s.points, LIMITS.points[0], LIMITS.points[1], 50);
  noise.disabled = points.disabled = !is2d;
  train.disabled = s.dataset === 'mnist';
  form.append(
    fieldset(
      'Problem',
      field('Data set', data),
      field('Noise', noise, is2d ? '0 … 0.5' : s.dataset === 'mnist' ? 'MNIST has a fixed 8,000 / 2,000 split.' : 'Your file: noise and size do not apply.'),
      field('Training fraction', train),
      field('Examples', points),
    ),
    upload.element,
  );

  // Network
  const depth = numberInput('depth', s.layers.length, LIMITS.depth[0], LIMITS.depth[1], 1);
  const width = numberInput('width', uniform(s.layers.map((l) => l.width)) ?? s.layers[0]?.width ?? 8, LIMITS.width[0], LIMITS.width[1], 1);
  const allAct = uniform(s.layers.map((l) => l.activation));
  const actOpts: Array<[string, string]> = ACTIVATION_NAMES.map((a) => [a, ACTIVATIONS[a].label]);
  const act = select('act', allAct ? actOpts : [['', '(mixed)'], ...actOpts], allAct ?? '');
  const allBn = s.layers.length > 0 && s.layers.every((l) => l.bn);
  const bn = checkbox('bn', allBn, 'BatchNorm after every hidden Linear');
  const recommended = new Set(s.layers.map((l) => ACTIVATIONS[l.activation].init));
  const init = select(
    'init',
    INIT_NAMES.map((n) => [n, `${INITIALIZERS[n].label}${recommended.has(n as never) ? ' ★ recommended' : ''}`]),
    s.init,
  );
  const dropout = numberInput('dropout', s.dropout, LIMITS.dropout[0], LIMITS.dropout[1], 0.05);
  const head = select('loss', HEAD_NAMES.map((h) => [h, HEAD_LABELS[h]]), s.head);
  const actHelp = allAct ? ACTIVATIONS[allAct].summary : 'Layers use different activations (see per-layer settings).';
  // The CNNs (src/arch.ts MODEL_PRESETS) need images; under one, the MLP's settings are kept, disabled.
  const images = imageShape(s.dataset) !== null;
  const model = select('model', MODEL_NAMES.map((m) => [m, MODEL_LABELS[m]]), s.model);
  for (const o of model.options) o.disabled = o.value !== 'mlp' && !images;
  const cnn = s.model !== 'mlp';
  for (const c of [depth, width, act, bn.querySelector('input')!, dropout]) c.disabled = cnn;

  const perLayer = document.createElement('details');
  perLayer.className = 'perlayer';
  const sum = document.createElement('summary');
  sum.textContent = `Per-layer settings (${s.layers.length} hidden layer${s.layers.length === 1 ? '' : 's'})`;
  perLayer.append(sum);
  const table = document.createElement('table');
  table.innerHTML = '<caption class="sr">Hidden layers, input side first</caption><thead><tr><th scope="col">Layer</th><th scope="col">Width</th><th scope="col">Activation</th><th scope="col">BN</th></tr></thead>';
  const tb = document.createElement('tbody');
  s.layers.forEach((l, i) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = `hidden ${i + 1}`;
    const w = numberInput(`w${i}`, l.width, LIMITS.width[0], LIMITS.width[1], 1);
    w.setAttribute('aria-label', `Layer ${i + 1} width`);
    w.dataset.layer = String(i);
    w.dataset.prop = 'width';
    const a = select(`a${i}`, actOpts, l.activation);
    a.setAttribute('aria-label', `Layer ${i + 1} activation`);
    a.dataset.layer = String(i);
    a.dataset.prop = 'activation';
    const b = document.createElement('input');
    b.type = 'checkbox';
    b.checked = l.bn;
    b.id = `in-bn${i}`;
    b.setAttribute('aria-label', `Layer ${i + 1} BatchNorm`);
    b.dataset.layer = String(i);
    b.dataset.prop = 'bn';
    tr.append(th);
    for (const c of [w, a, b]) {
      const td = document.createElement('td');
      td.append(c);
      tr.append(td);
    }
    tb.append(tr);
  });
  table.append(tb);
  perLayer.append(table);
  for (const c of table.querySelectorAll('input, select')) (c as HTMLInputElement).disabled = cnn;
  perLayer.open = !allAct || !uniform(s.layers.map((l) => l.width)) || (!allBn && s.layers.some((l) => l.bn));
  perLayer.addEventListener('toggle', () => (perLayerOpen = perLayer.open));
  if (perLayerOpen) perLayer.open = true;

  form.append(
    fieldset(
      'Network',
      field(
        'Model',
        model,
        cnn
          ? `The layers gradlab train --model ${s.model} builds, then the output layer; depth, width, activation, BatchNorm and dropout below are the MLP's.`
          : images
            ? 'Or a convolutional net (CNN) on the digits.'
            : 'CNNs need images: choose MNIST digits.',
      ),
      field('Hidden layers (depth)', depth),
      field('Width (all hidden layers)', width),
      field('Activation (all hidden layers)', act, actHelp),
      bn,
      perLayer,
      field('Initializer', init, `Recommended — ${recommendedInitText(s)}`),
      field('Dropout after each activation', dropout, '0 = off'),
      field('Output and loss', head),
    ),
  );

  // Training
  const opt = select('opt', OPTIMIZER_NAMES.map((o) => [o, OPTIMIZERS[o].label]), s.optimizer);
  const lr = numberInput('lr', s.lr, LIMITS.lr[0], LIMITS.lr[1], 'any');
  const batch = numberInput('batch', s.batchSize, LIMITS.batchSize[0], LIMITS.batchSize[1], 1);
  const clip = numberInput('clip', s.clip, LIMITS.clip[0], LIMITS.clip[1], 'any');
  const seed = numberInput('seed', s.seed, LIMITS.seed[0], LIMITS.seed[1], 1);
  form.append(
    fieldset(
      'Training',
      field('Optimizer', opt),
      field('Learning rate', lr, `Default for ${OPTIMIZERS[s.optimizer].label}: ${defaultLr(s.optimizer, 'lab')}`),
      field('Batch size', batch),
      field('Clip gradient norm', clip, '0 = no clipping'),
      field('Seed', seed, 'Same seed, same data and weights: a shared link reproduces the run.'),
    ),
  );
}

let perLayerOpen = false;

function readForm(target: HTMLElement): void {
  const form = $<HTMLFormElement>('settings');
  const v = (name: string) => (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | null)?.value ?? '';
  const s = cloneState(state);
  const t = target as HTMLInputElement;
  const problems: StateProblem[] = [];
  // A typed number outside its range or not a number at all: the nearest bound or the old value, said in the notice.
  // The browser reports text it cannot read as a number ("1e", "--5") as an empty value: say which it was.
  const bad = t.validity?.badInput === true;
  const where = bad ? 'You typed something that is not a number' : `You typed ${JSON.stringify(t.value)}`;
  const num = (param: string, label: string, range: readonly [number, number], fallback: number) =>
    checkNumber({ param, label, value: t.value, range, fallback, integer: true, where }, problems);
  if (t.dataset.layer !== undefined) {
    const i = Number(t.dataset.layer);
    const l = s.layers[i];
    if (t.dataset.prop === 'width') l.width = num('layers', `width of hidden layer ${i + 1}`, LIMITS.width, l.width);
    if (t.dataset.prop === 'activation') l.activation = t.value as ActivationName;
    if (t.dataset.prop === 'bn') l.bn = t.checked;
  } else if (t.name === 'depth') {
    const d = num('layers', 'number of hidden layers', LIMITS.depth, s.layers.length);
    const proto = s.layers[s.layers.length - 1] ?? { width: 8, activation: 'relu' as ActivationName, bn: false };
    while (s.layers.length < d) s.layers.push({ ...proto });
    s.layers.length = d;
  } else if (t.name === 'width') {
    const w = num('layers', 'width of the hidden layers', LIMITS.width, uniform(s.layers.map((l) => l.width)) ?? s.layers[0]?.width ?? 8);
    s.layers.forEach((l) => (l.width = w));
  } else if (t.name === 'act') {
    if (t.value) s.layers.forEach((l) => (l.activation = t.value as ActivationName));
  } else if (t.name === 'bn') {
    s.layers.forEach((l) => (l.bn = t.checked));
  } else if (t.name === 'opt') {
    showProblems([], 'form');
    applyState(withOptimizer(s, t.value as OptimizerName), false);
    return;
  } else {
    // The old value, not the default, stands in for a field left empty or not a number.
    const r = changeSettings(s, { [t.name]: t.type === 'checkbox' ? String(t.checked) : v(t.name) });
    Object.assign(s, r.state, { layers: s.layers });
    // Text the browser could not read as a number reaches us as '' ("lr=: …"): say what happened.
    problems.push(...r.problems.map((p) => (bad && p.param === t.name ? { ...p, message: p.message.replace(`${p.param}=${p.value}`, `${p.param}: ${where.toLowerCase()}`) } : p)));
  }
  // A combination no single field shows (BatchNorm checked with a batch of one): checked as a link is.
  const whole = changeSettings(s, {});
  problems.push(...whole.problems.filter((p) => !problems.some((q) => q.message === p.message)));
  showProblems(problems, 'form');
  applyState(whole.state, false);
}

/**
 * Say which settings were not used as given (src: a link, the form): the value, the allowed
 * range or names, and what was used instead. The form's notice goes with its next change.
 */
let noticeFrom: 'link' | 'form' | null = null;
function showProblems(problems: StateProblem[], src: 'link' | 'form'): void {
  const box = $('notice');
  if (!problems.length) {
    if (noticeFrom === src) {
      box.hidden = true;
      noticeFrom = null;
    }
    return;
  }
  noticeFrom = src;
  const head = document.createElement('p');
  head.innerHTML = '<strong></strong>';
  head.firstElementChild!.textContent = src === 'link' ? 'This link has settings the lab cannot use as given:' : 'Not used as typed:';
  const ul = document.createElement('ul');
  for (const p of problems) {
    const li = document.createElement('li');
    li.dataset.param = p.param;
    li.textContent = p.message;
    ul.append(li);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = 'Dismiss';
  close.addEventListener('click', () => {
    box.hidden = true;
    noticeFrom = null;
  });
  box.replaceChildren(head, ul, close);
  box.hidden = false;
}

function summarize(s: LabState): string {
  const acts = [...new Set(s.layers.map((l) => ACTIVATIONS[l.activation].label))].join('/');
  const net = s.model !== 'mlp' ? MODEL_LABELS[s.model] : s.layers.length ? `${s.layers.length}×${uniform(s.layers.map((l) => l.width)) ?? 'mixed'} ${acts}${s.layers.some((l) => l.bn) ? ' + BN' : ''}` : 'no hidden layer';
  return `${s.dataset} · ${net} · ${OPTIMIZERS[s.optimizer].label} lr ${s.lr}`;
}

/**
 * The address bar shows the settings in use. A user's change (form, lesson, `lab.set`, a file) is a
 * new history entry, so Back returns to the settings and lesson before it (popstate below); a
 * restore from history or a corrected link replaces the entry. The entry's state names the open lesson.
 */
function writeUrl(push: boolean): void {
  const url = `?${serializeState(state)}${location.hash}`;
  const entry = { lesson: currentLesson?.id ?? null };
  if (push && url !== `${location.search}${location.hash}`) history.pushState(entry, '', url);
  else history.replaceState(entry, '', url);
}

function applyState(s: LabState, rebuildAll = true, push = true): void {
  // Learning rate, batch size and clipping apply to the run in progress; anything else restarts it.
  // A run stopped by a non-finite value restarts on any change: its weights, though those
  // before the bad step, are usually already ruined by the steps that led there.
  const live = !rebuildAll && info !== null && stopReason !== 'non-finite' && onlyLiveChanges(state, s);
  // A change that changes nothing (the same value typed again, Enter in a field): the form shows the
  // value as used, and the run goes on untouched (no restart, no "changed during this run" note).
  const same = !rebuildAll && serializeState(s) === serializeState(state);
  state = s;
  if (same) {
    const focused = document.activeElement?.id;
    buildForm();
    if (focused) document.getElementById(focused)?.focus();
    return;
  }
  writeUrl(push);
  const focusedId = document.activeElement?.id;
  buildForm();
  if (focusedId) document.getElementById(focusedId)?.focus();
  if (rebuildAll) renderLessons();
  if (live) {
    liveChanged = true;
    send({ type: 'update', runId, state });
    renderStatus(`from step ${stepCount}: ${summarize(state)}`);
  } else resetRun();
  // The lesson's verdict at once (a paused run sends nothing until it resumes): never a pass for other settings.
  updateLesson();
}

// ---------------------------------------------------------------------------------------
// Charts

const lossChart = new LineChart(
  $('loss-chart'),
  'Loss',
  [
    { label: 'train', stroke: '#2f6fb0' },
    { label: 'test', stroke: '#e67814', dash: [6, 4] },
  ],
  { logSmoothing: true },
);
const accChart = new LineChart(
  $('acc-chart'),
  'Accuracy',
  [
    { label: 'train', stroke: '#2f6fb0' },
    { label: 'test', stroke: '#e67814', dash: [6, 4] },
  ],
  { yRange: [0, 1] },
);
const gnormChart = new LineChart($('gnorm-chart'), 'Global gradient norm (log)', [{ label: '‖∇‖', stroke: '#7b3fb0' }], { log: true });

function applySmoothing(): void {
  const input = $<HTMLInputElement>('smoothing');
  const w = Math.min(0.99, Math.max(0, Number(input.value) || 0));
  $('smoothing-value').textContent = w.toFixed(2);
  for (const c of [lossChart, accChart, gnormChart]) c.setSmoothing(w);
}
$('smoothing').addEventListener('input', applySmoothing);
applySmoothing();

function boundarySize(): number {
  const host = $('output-view');
  return Math.max(200, Math.min(420, host.clientWidth || 320));
}

function drawOutput(): void {
  const host = $('output-view');
  // Only 2-D data has a picture here (MNIST's digits draw their own canvas).
  if (!info?.is2d) return;
  let canvas = host.querySelector('canvas');
  if (!canvas) {
    canvas = document.createElement('canvas');
    canvas.id = 'boundary';
    canvas.setAttribute('role', 'img');
    host.append(canvas);
  }
  if (info?.is2d) {
    canvas.setAttribute('aria-label', `Decision boundary: background colour is the predicted class${lastBoundary?.prob.some((v) => !Number.isFinite(v)) ? ', grey where the output is NaN/Infinity (no prediction)' : ''}; filled dots are training points, rings are test points`);
    drawBoundary(canvas, boundarySize(), lastBoundary, info.points, info.bounds, true);
  }
}

/** A layer's display name, the library's (layerLabels, sent by the worker with the model). */
function layerName(path: string): string {
  return info?.modules.find((m) => m.name === path)?.label ?? `module ${path}`;
}

function drawLayers(): void {
  if (!lastLayers || !info) return;
  // Layers are measured on monitored steps only: say which one the bars and histograms show.
  const at = lastLayers.find((l) => l.step !== undefined)?.step;
  const when = at === undefined ? '' : `At step ${at} (measured every ${monitorEvery(info.is2d)} steps).`;
  for (const id of ['grad-when', 'act-when']) {
    $(id).textContent = when;
    if (at !== undefined) $(id).dataset.step = String(at);
  }
  const width = Math.max(220, $('grad-bars').parentElement!.clientWidth - 4);
  const linear = weightedLayers(lastLayers);
  // The bars show the name without its module suffix (the role and size), for room.
  const short = (p: string) => layerName(p).replace(/ \(module \d+\)$/, '');
  const rows = linear.map((l) => ({ name: short(l.name), value: weightGradNorm(l) }));
  drawGradBars($<HTMLCanvasElement>('grad-bars'), width, rows);
  drawGradHeatmap($<HTMLCanvasElement>('grad-heat'), width, gradHistory, linear.map((l) => short(l.name)));

  const host = $('hists');
  const acts = histogramLayers(lastLayers);
  if (host.childElementCount !== acts.length) {
    host.replaceChildren(
      ...acts.map((l) => {
        const fig = document.createElement('figure');
        fig.dataset.layer = l.name;
        const cap = document.createElement('figcaption');
        const c = document.createElement('canvas');
        c.setAttribute('role', 'img');
        fig.append(cap, c);
        return fig;
      }),
    );
  }
  const cellW = Math.max(120, Math.min(220, Math.floor((host.clientWidth - 16) / Math.max(1, Math.min(acts.length, Math.floor(host.clientWidth / 130))))));
  acts.forEach((l, i) => {
    const fig = host.children[i] as HTMLElement;
    const cap = fig.querySelector('figcaption')!;
    const st = l.stats!;
    const frac = failureText(st, l.channels);
    cap.textContent = `${layerName(l.name)} · μ ${statText(st.mean)} σ ${Number.isFinite(st.std) ? st.std.toExponential(1) : statText(st.std)}${frac}`;
    fig.classList.toggle('bad', (st.saturated ?? 0) > 0.5 || (st.dead ?? 0) > 0.5);
    const canvas = fig.querySelector('canvas')!;
    canvas.setAttribute('aria-label', cap.textContent);
    drawHistogram(canvas, cellW - 10, l);
  });
}

function renderFindings(): void {
  const ul = $('findings');
  ul.replaceChildren();
  if (!findings.length) {
    const li = document.createElement('li');
    li.className = 'none';
    li.textContent = running || stepCount ? 'No problems found so far.' : 'Train to see findings.';
    ul.append(li);
    return;
  }
  for (const f of findings) {
    const gone = f.status === 'resolved';
    const li = document.createElement('li');
    li.className = `finding ${f.severity}${gone ? ' resolved' : ''}`;
    li.dataset.rule = f.rule;
    li.dataset.status = gone ? 'resolved' : 'current';
    const head = document.createElement('p');
    head.className = 'fhead';
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = gone ? `resolved ${f.severity}` : f.severity;
    const title = document.createElement('strong');
    title.textContent = ` ${f.rule}`;
    const where = document.createElement('span');
    where.className = 'where';
    const when = gone
      ? ` · held at steps ${f.firstStep ?? f.step}–${f.lastStep ?? f.step}, no longer`
      : f.firstStep !== undefined && f.firstStep !== f.step
        ? ` · since step ${f.firstStep}, still at step ${f.step}`
        : ` · step ${f.step}`;
    where.textContent = `${f.layers.length ? ` · ${nameList(f.layers, layerName)}` : ''}${when}`;
    head.append(badge, title, where);
    const ev = document.createElement('p');
    ev.textContent = f.evidence;
    const adv = document.createElement('p');
    adv.className = 'advice';
    adv.textContent = `Advice: ${f.advice}`;
    li.append(head, ev, adv);
    const cite = (f as Finding & { citation?: string }).citation;
    if (cite) {
      const c = document.createElement('p');
      c.className = 'cite';
      c.textContent = cite;
      li.append(c);
    }
    ul.append(li);
  }
}

function renderMetrics(): void {
  const m = $('metrics');
  if (!lastEval) {
    m.textContent = '';
    return;
  }
  // No loss or accuracy when the outputs are not finite (the worker sends NaN): a dash, as the CLI prints, not "NaN".
  const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '—');
  const loss = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : '—');
  m.innerHTML = '';
  const items: Array<[string, string]> = [
    ['Train loss', loss(lastEval.trainLoss)],
    ['Test loss', loss(lastEval.testLoss)],
    ['Train acc.', pct(lastEval.trainAcc)],
    ['Test acc.', pct(lastEval.testAcc)],
  ];
  for (const [k, v] of items) {
    const span = document.createElement('span');
    span.innerHTML = `<b></b> <output></output>`;
    span.querySelector('b')!.textContent = k;
    const o = span.querySelector('output')!;
    o.textContent = v;
    o.dataset.metric = k.toLowerCase().replace(/[^a-z]+/g, '-');
    m.append(span);
  }
  // Evaluating a CNN on all of MNIST takes seconds, so it runs rarely: say which step the numbers are from.
  const when = document.createElement('span');
  when.className = 'when';
  when.dataset.step = String(lastEval.step);
  when.textContent = `(evaluated at step ${lastEval.step})`;
  m.append(when);
}

/** The status of the run stopped by a non-finite step (nonFiniteText), '' otherwise. */
let rejectedText = '';

function renderStatus(extra = ''): void {
  const play = $<HTMLButtonElement>('play');
  play.textContent = running ? 'Pause' : stepCount ? 'Resume' : 'Train';
  play.setAttribute('aria-pressed', String(running));
  $<HTMLButtonElement>('step').disabled = running || !info;
  const parts = [`step ${stepCount}`, `epoch ${epoch + 1}`];
  if (info) parts.push(`${info.parameters.toLocaleString('en')} parameters`, `kernels: ${info.backend}${info.threads > 1 ? ` × ${info.threads} threads` : ''}`);
  if (!crossOriginIsolated) parts.push('not cross-origin isolated');
  // A run stopped by a non-finite step keeps saying so while it stays stopped (a "link copied" goes before it).
  const stopped = !running && rejectedText ? rejectedText : '';
  $('status').textContent = [extra, stopped, ...parts].filter((x) => x !== '').join(' · ');
  renderCommand();
}

/** Whether lr, batch size or clipping changed during the run (the CLI command cannot replay that). */
let liveChanged = false;

/** The run as a `gradlab train` command (command.ts), for the epochs run so far. */
function renderCommand(): void {
  const c = cliCommand(state, epoch + 1);
  $('cli-command').textContent = 'command' in c ? c.command : '';
  $<HTMLButtonElement>('copy-cli').hidden = !('command' in c);
  const note = $('cli-note');
  const text =
    'reason' in c
      ? c.reason
      : liveChanged
        ? 'The learning rate, batch size or clipping changed during this run: the command trains with the current values from the start, so its steps after the change differ.'
        : firstRejected !== undefined && stepCount >= firstRejected
          ? `Step ${firstRejected} went non-finite and was taken on another batch (${skipped} batch${skipped === 1 ? '' : 'es'} skipped): gradlab train stops at that step, so the command replays this run only up to step ${firstRejected - 1}.`
          : '';
  note.textContent = text;
  note.hidden = text === '';
}

// ---------------------------------------------------------------------------------------
// Run

function resetRun(): void {
  running = false;
  rejectedText = '';
  acked = true;
  info = null;
  lastBoundary = null;
  lastLayers = null;
  firstLayers = null;
  gradHistory = [];
  findings = [];
  stepCount = 0;
  epoch = 0;
  lastEval = null;
  evalHistory = [];
  lossChart.clear();
  accChart.clear();
  gnormChart.clear();
  $('hists').replaceChildren();
  for (const id of ['grad-when', 'act-when']) $(id).textContent = '';
  renderFindings();
  renderMetrics();
  renderStatus('building');
  runId++;
  seen = [];
  lessonVerdict = null;
  stopReason = undefined;
  healthStep = 0;
  skipped = 0;
  firstRejected = undefined;
  liveChanged = false;
  send({ type: 'reset', runId, state, local: upload.forRun(state) });
}

let pendingPlay = false;

worker.onmessage = (ev: MessageEvent<FromWorker>) => {
  const m = ev.data;
  // A message of a previous run (in flight when the settings or the lesson changed) is dropped.
  if (m.runId !== runId) return;
  if (m.type === 'loading') {
    renderStatus(m.message);
    return;
  }
  if (m.type === 'error') {
    running = false;
    acked = true;
    renderStatus(`Error: ${m.message}`);
    return;
  }
  if (m.type === 'ready') {
    info = m.info;
    const host = $('output-view');
    host.replaceChildren();
    $('h-out').textContent = info.is2d ? 'Decision boundary' : state.dataset === 'mnist' ? 'Test digits and predictions' : 'Output';
    if (!info.is2d && state.dataset === 'local') host.append(upload.noPicture(info.inputDim));
    convPanel.setModel(info);
    drawOutput();
    renderStatus();
    if (pendingPlay) {
      pendingPlay = false;
      togglePlay();
    }
    return;
  }
  // progress: whether the run is running, unless the worker posted this before the page's last
  // play/pause/step reached it (a slow first evaluation's post must not undo a Train click).
  if (m.ctl === ctl) {
    running = m.running;
    acked = true;
  }
  stepCount = m.step;
  epoch = m.epoch;
  // A zero or non-finite norm is a gap on the log axis, not a point at 1e-12.
  for (const s of m.steps) {
    // A step tried again after a non-finite attempt (Resume/Step): its record replaces the attempt's.
    if (seen.at(-1)?.step === s.step) seen.pop();
    gnormChart.push(s.step, [s.gradNorm > 0 ? s.gradNorm : NaN]);
    seen.push(s);
  }
  thinOlderHalf(seen, MAX_SEEN);
  for (const e of m.evals) {
    lossChart.push(e.step, [e.trainLoss, e.testLoss]);
    accChart.push(e.step, [e.trainAcc, e.testAcc]);
    lastEval = e;
    evalHistory.push(e);
  }
  thinOlderHalf(evalHistory, MAX_SEEN / 4);
  lossChart.redraw();
  accChart.redraw();
  gnormChart.redraw();
  if (m.firstLayers) firstLayers = m.firstLayers;
  if (m.layers) {
    lastLayers = m.layers;
    gradHistory.push(weightedLayers(m.layers).map(weightGradNorm));
    if (gradHistory.length > 240) gradHistory = gradHistory.filter((_, i) => i % 2 === 0 || i > 120);
    drawLayers();
  }
  if (m.boundary) {
    lastBoundary = m.boundary;
    drawOutput();
  }
  if (m.digits) {
    const host = $('output-view');
    let c = host.querySelector('canvas');
    if (!c) {
      c = document.createElement('canvas');
      host.append(c);
    }
    c.setAttribute('role', 'img');
    c.setAttribute('aria-label', 'First test digits with the predicted class (green right, red wrong)');
    drawDigits(c, Math.max(220, host.clientWidth), m.digits);
  }
  if (m.conv) convPanel.draw(m.conv);
  if (m.findings) findings = m.findings;
  stopReason = m.stopReason;
  healthStep = m.healthStep;
  skipped = m.skipped;
  firstRejected ??= m.rejected?.step;
  renderFindings();
  updateLesson();
  renderMetrics();
  rejectedText = m.rejected ? nonFiniteText(m.rejected) : '';
  renderStatus();
};

/**
 * The status of a run stopped by a non-finite step: `step` counts the steps applied, so say which
 * was not, and what Resume does (the worker restores the optimizer's state with the weights, so
 * going on equals a run whose epoch lacked the skipped batches).
 */
function nonFiniteText(r: { step: number; attempts: number }): string {
  const tries = r.attempts > 1 ? `, ${r.attempts} attempts with different batches` : '';
  return `stopped: the loss became non-finite at step ${r.step}${tries}; that step was not applied (the weights and the optimizer's state are those after step ${r.step - 1}). Resume or Step skips that batch and tries step ${r.step} on the next one; a lower learning rate or clipping starts a new run`;
}

/** Run controls sent (play/pause/step), echoed by the worker's progress posts. */
let ctl = 0;
/**
 * Whether the worker has answered the last control. `running` is what the last press asked for
 * (the button shows it at once); until the answer, steps already under way still arrive, so
 * `gradlab.running` (for scripts: "the worker may still be stepping") stays true until then.
 */
let acked = true;

function togglePlay(): void {
  if (!info) {
    pendingPlay = true;
    return;
  }
  // Each press flips the button at once, both ways: presses faster than the worker's answers
  // (a double click) alternate play and pause, as the label each press saw said.
  send({ type: running ? 'pause' : 'play', runId, ctl: ++ctl });
  running = !running;
  acked = false;
  renderStatus();
}

$('play').addEventListener('click', togglePlay);
$('step').addEventListener('click', () => {
  send({ type: 'step', runId, ctl: ++ctl });
  acked = false;
});
$('reset').addEventListener('click', () => resetRun());
$('share').addEventListener('click', async () => {
  const url = location.href;
  let ok = false;
  try {
    await navigator.clipboard.writeText(url);
    ok = true;
  } catch {
    /* clipboard may be unavailable (insecure context, permissions) */
  }
  const local = state.dataset === 'local' ? ' (it says data=local: your CSV file is not in it)' : '';
  renderStatus(`${ok ? 'link copied' : `link: ${url}`}${local}`);
});
$('copy-cli').addEventListener('click', async () => {
  const text = $('cli-command').textContent ?? '';
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    /* clipboard may be unavailable: the command is on the page to select */
  }
  renderStatus(ok ? 'command copied' : 'select the command to copy it');
});
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (e.key === ' ' && (t === document.body || t.id === 'main')) {
    e.preventDefault();
    togglePlay();
  }
});

const form = $<HTMLFormElement>('settings');
form.addEventListener('change', (e) => readForm(e.target as HTMLElement));
form.addEventListener('submit', (e) => e.preventDefault());

// ---------------------------------------------------------------------------------------
// Lessons

function renderLessons(): void {
  const ol = $('lessons');
  ol.replaceChildren();
  for (const l of LESSONS) {
    const li = document.createElement('li');
    li.className = 'lesson';
    const h = document.createElement('h3');
    h.textContent = l.title;
    const q = document.createElement('p');
    q.textContent = l.question;
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = 'Run this experiment';
    b.dataset.lesson = l.id;
    b.setAttribute('aria-label', `Run lesson: ${l.title}`);
    b.addEventListener('click', () => runLesson(l));
    li.append(h, q, b);
    ol.append(li);
  }
}

/**
 * Whether the run uses the lesson's own settings (a lesson's claim is about those), with any
 * seed unless the lesson needs its own (`fixedSeed`).
 */
function onLessonSettings(l: Lesson): boolean {
  const own = parseState(l.settings, DEFAULT_STATE);
  return serializeState(state) === serializeState(l.fixedSeed ? own : { ...own, seed: state.seed });
}

/** Judge the current lesson on the current run and show the verdict with its evidence. */
function updateLesson(): void {
  const l = currentLesson;
  const box = document.getElementById('lesson-verdict');
  if (!l || !box) return;
  if (!onLessonSettings(l)) {
    lessonVerdict = { id: l.id, verdict: 'pending', evidence: `The settings differ from the lesson's (${l.fixedSeed ? `its seed too: ${l.fixedSeed}` : 'any seed is fine'}): load the lesson again to check its claim.`, step: stepCount };
  } else {
    lessonVerdict = judgeLesson(l, { step: stepCount, evals: evalHistory, layers: lastLayers, firstLayers, findings, healthStep, stopReason }, lessonVerdict);
  }
  const v = lessonVerdict;
  box.dataset.verdict = v.verdict;
  box.className = `verdict ${v.verdict}`;
  const head = box.querySelector('strong')!;
  head.textContent =
    v.verdict === 'pass'
      ? `✓ The claim holds (seed ${state.seed}, step ${v.step})`
      : v.verdict === 'fail'
        ? v.heldAt !== undefined
          ? `✗ The claim held at step ${v.heldAt} but not at step ${v.step} (seed ${state.seed})`
          : `✗ The claim did not hold (seed ${state.seed}, step ${v.step})`
        : `… Checking (from step ${l.from}, until step ${l.until})`;
  box.querySelector('pre')!.textContent = v.evidence;
  quiz.onVerdict(v);
}

function runLesson(l: Lesson): void {
  showLesson(l);
  // Always a fresh run, also when this lesson's settings are already loaded (running it again).
  applyState(parseState(l.settings, DEFAULT_STATE), true);
  updateLesson();
  pendingPlay = true;
  const banner = $('lesson-banner');
  banner.tabIndex = -1;
  banner.focus();
}

/** The lesson's banner (question, what to look for, verdict); `null` closes it. */
function showLesson(l: Lesson | null): void {
  currentLesson = l;
  const banner = $('lesson-banner');
  if (!l) {
    banner.hidden = true;
    return;
  }
  banner.hidden = false;
  banner.innerHTML = '';
  const h = document.createElement('h2');
  h.textContent = `Lesson: ${l.title}`;
  const q = document.createElement('p');
  q.textContent = l.question;
  const look = document.createElement('p');
  look.className = 'look';
  look.innerHTML = '<b>What to look for:</b> ';
  look.append(document.createTextNode(l.lookFor));
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = 'Close lesson';
  close.addEventListener('click', () => {
    showLesson(null);
    writeUrl(false);
  });
  const verdict = document.createElement('div');
  verdict.id = 'lesson-verdict';
  verdict.className = 'verdict pending';
  verdict.setAttribute('aria-live', 'polite');
  verdict.append(document.createElement('strong'), document.createElement('pre'));
  banner.append(h, q, look, verdict, close);
}

/** Back/Forward: the entry's settings and lesson (a hash-only entry, such as a quiz link, changes neither). */
window.addEventListener('popstate', (e) => {
  const entry = e.state as { lesson?: string | null } | null;
  const parsed = parseStateChecked(location.search);
  const l = LESSONS.find((x) => x.id === entry?.lesson) ?? null;
  if (serializeState(parsed.state) === serializeState(state) && (entry === null || l === currentLesson)) return;
  showProblems(parsed.problems, 'link');
  const keep = currentLesson && serializeState(parsed.state) === serializeState(parseState(currentLesson.settings, DEFAULT_STATE));
  showLesson(entry !== null ? l : keep ? currentLesson : null);
  applyState(parsed.state, false, false);
  updateLesson();
});

// ---------------------------------------------------------------------------------------

window.addEventListener('resize', () => {
  drawOutput();
  drawLayers();
  convPanel.redraw();
});

// The sticky header's height, for the settings column below it and for scroll-padding (style.css):
// a long status (a non-finite step's) wraps to several lines. 0 when the header does not stick.
const header = document.querySelector<HTMLElement>('.top')!;
function measureHeader(): void {
  const sticky = getComputedStyle(header).position === 'sticky';
  document.documentElement.style.setProperty('--header-h', `${sticky ? header.offsetHeight : 0}px`);
}
new ResizeObserver(measureHeader).observe(header);
window.addEventListener('resize', measureHeader);

// On a phone the settings start folded, so the boundary and charts are on the first screen.
if (window.matchMedia('(max-width: 820px)').matches) $<HTMLDetailsElement>('settings-panel').open = false;
buildForm();
renderLessons();
// The address bar shows the settings in use: a link with a bad value is replaced by what runs (the notice says what changed).
// A reload keeps the open lesson: the history entry's state survives it.
showLesson(LESSONS.find((x) => x.id === (history.state as { lesson?: string } | null)?.lesson) ?? null);
writeUrl(false);
showProblems(fromUrl.problems, 'link');
resetRun();
const quiz = mountQuiz($('quiz'), { runLesson: (id) => lab.startLesson(id) });
/**
 * The scripting interface (README: "Driving the lab from a script"): course material embeds the
 * lab and tests drive it through these calls. `set` takes a partial settings object with the
 * URL state's names (data, noise, layers, init, opt, lr, batch, clip, seed, …); like the form,
 * lr/batch/clip apply to the run in progress and anything else starts a new run.
 */
const lab = {
  lessons: () => LESSONS.map((l) => ({ id: l.id, title: l.title, anySeed: !l.fixedSeed })),
  startLesson(id: string): void {
    const l = LESSONS.find((x) => x.id === id);
    if (!l) throw new Error(`lab.startLesson: no lesson '${id}'; lessons: ${LESSONS.map((x) => x.id).join(', ')}`);
    runLesson(l);
  },
  start(): void {
    if (!running) togglePlay();
  },
  stop(): void {
    if (running) togglePlay();
    pendingPlay = false;
  },
  /** Throws, changing nothing, when a setting is unknown or its value cannot be used as given. */
  set(settings: Record<string, string | number | boolean>): void {
    const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 39)}…` : v) : typeof v);
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
      throw new Error(`lab.set: settings must be an object such as {lr: 0.01, layers: '16:relu*2'}, got ${kind(settings)}`);
    }
    const odd = Object.entries(settings).find(([, v]) => !['string', 'number', 'boolean'].includes(typeof v));
    if (odd) throw new Error(`lab.set: ${odd[0]} must be a string, number or boolean (as in a link: layers '16:relu*2'), got ${kind(odd[1])}`);
    const r = changeSettings(state, Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, String(v)])));
    if (r.problems.length) throw new Error(`lab.set: ${r.problems.map((p) => p.message).join('; ')}`);
    applyState(r.state, false);
  },
  /** Read CSV text as the file input does (label: a column name, default the last); throws the page's message. */
  loadCsv(text: string, options?: { name?: string; label?: string }) {
    if (typeof text !== 'string') throw new Error(`lab.loadCsv: text must be a CSV file's text (a string), got ${text === null ? 'null' : typeof text}`);
    if (options !== undefined && (typeof options !== 'object' || options === null)) throw new Error(`lab.loadCsv: options must be {name?, label?}, got ${options === null ? 'null' : typeof options}`);
    return upload.load(text, options);
  },
  snapshot() {
    return {
      runId,
      settings: Object.fromEntries(new URLSearchParams(serializeState(state))),
      steps: seen.map((p) => p.step),
      loss: seen.map((p) => p.loss),
      findings: findings.map((f) => ({ ...f })),
      lesson: currentLesson ? { id: currentLesson.id, verdict: lessonVerdict?.verdict ?? 'pending', evidence: lessonVerdict?.evidence ?? '' } : null,
    };
  },
  /** The quiz (src/quiz.ts): [{id, question, options, answer, lesson, explanation}]. */
  quiz: () => quiz.list(),
  /** Answer a question (option: 0-based index): {correct, explanation, lesson}; shown in the panel. */
  answer: (id: string, option: number) => quiz.answer(id, option),
};

// For tests and the curious: the current state and lesson.
Object.assign(window, {
  lab,
  gradlab: {
    get state() { return cloneState(state); },
    get lesson() { return currentLesson?.id ?? null; },
    get evals() { return evalHistory.slice(); },
    get step() { return stepCount; },
    /** True from a press of Train until the worker has stopped (a Pause's answer, a non-finite step, the end). */
    get running() { return running || !acked; },
    get ready() { return info !== null; },
    get backend() { return info?.backend ?? null; },
    get findings() { return findings.map((f) => f.rule); },
    get conv() { return convPanel.last; },
    /** The per-layer statistics the panels show (the last monitored step's: LayerSnapshot.step). */
    get layers() { return lastLayers; },
    /** The line charts' points as drawn (x, then each series; smoothed as shown). */
    get charts() { return { loss: lossChart.shown, accuracy: accChart.shown, gradNorm: gnormChart.shown }; },
    /** The notice's lines: settings of the link or the form not used as given. */
    get notice() { return $('notice').hidden ? [] : [...$('notice').querySelectorAll('li')].map((li) => li.textContent); },
  },
});
