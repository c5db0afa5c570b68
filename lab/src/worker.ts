/// <reference lib="webworker" />
/**
 * The training worker: owns the data, the model and the optimizer, trains batch by batch in
 * time slices (yielding between slices so pause/step/reset messages get through), and posts
 * plain-JSON progress: losses, evaluations, per-layer statistics, the decision boundary and
 * health findings. The page never touches a Tensor.
 */
import { ACTIVATIONS } from '../../src/activations.js';
import { noGrad } from '../../src/autograd.js';
import { getBackend, getNumThreads, setNumThreads } from '../../src/kernels/index.js';
import { bceWithLogits, crossEntropy, huber, l1, mse } from '../../src/loss.js';
import { BatchNorm1d, Dropout, Linear, Sequential, ActivationModule, type Module } from '../../src/nn/index.js';
import { softmax } from '../../src/ops/softmax.js';
import { TrainStep } from '../../src/train/step.js';
import type { Optimizer } from '../../src/optim/optimizer.js';
import { manualSeed, type Generator } from '../../src/random.js';
import { shuffleGenerator, trainingLoader, type Batch, type DataLoader } from '../../src/data/dataloader.js';
import { Tensor } from '../../src/tensor.js';
import type { Finding, Report, TensorData } from '../../src/train/types.js';
import { Monitor, probeActivations } from '../../src/diagnostics/monitors.js';
import { layerLabels } from '../../src/diagnostics/names.js';
import { runHealthChecks, trackFindings } from '../../src/diagnostics/rules.js';
import { ready as kernelsReady } from '../../src/kernels/auto.js';
import { baselineLoss, evaluateSync, trainEvalSample, type EvaluateResult } from '../../src/train/fit.js';
import { thinOlderHalf } from '../../src/report/series.js';
import type { FloatArray } from '../../src/kernels/types.js';
import { loadData, type LabData } from './data.js';
import { monitorEvery } from './command.js';
import { buildLabModel, labOptimizer, outputUnits } from './model.js';
import { firstConvIndex, firstConvView } from './convview.js';
import type { Boundary, ConvPanelData, EvalPoint, FromWorker, FromWorkerBody, LayerSnapshot, LocalData, ModelInfo, StepPoint, ToWorker } from './protocol.js';
import type { LabState } from './state.js';

declare const self: DedicatedWorkerGlobalScope;

/** The run the worker is on (the page's id from `reset`); every message carries it. */
let currentRun = 0;
const post = (m: FromWorkerBody, runId = currentRun) => self.postMessage({ ...m, runId } as FromWorker);

interface Session {
  runId: number;
  state: LabState;
  data: LabData;
  model: Sequential;
  optimizer: Optimizer;
  /** The library's training step over model and optimizer. */
  trainer: TrainStep;
  params: Tensor[];
  /** Training targets in the form the loss wants. */
  trainTarget: Tensor;
  /**
   * What every evaluation reads, as `gradlab train`'s end of epoch does (fit): the training
   * examples fit evaluates (trainEvalSample: all, or 2,000 drawn by its own generator) and the
   * whole test set, targets in the loss's form.
   */
  trainSample: TensorData;
  testData: TensorData;
  /**
   * The batches, as `gradlab train` draws them (trainingLoader, shuffled by shuffleGenerator(seed));
   * a new batch size (a live setting) makes a new loader on the same generator.
   */
  loader: DataLoader;
  shuffle: Generator;
  batches: Iterator<Batch>;
  /** Batches taken in the current epoch. */
  batch: number;
  step: number;
  epoch: number;
  monitor: Monitor;
  /** The run as a Trainer Report, so the library's health rules can read it. */
  report: Report;
  /** The epoch's loss summed over its examples, and their count (fit's mean: a short last batch weighs less). */
  epochLoss: number;
  epochExamples: number;
  epochStart: number;
  lastHealthAt: number;
  /** Step of the last health check. */
  lastHealthStep: number;
  findings: Finding[];
  findingsChanged: boolean;
  pendingSteps: StepPoint[];
  pendingEvals: EvalPoint[];
  lastLayers?: LayerSnapshot[];
  /** Whether the statistics of step 1 went to the page (once per run, for the lessons about initialization). */
  firstLayersSent: boolean;
  lastEvalAt: number;
  evalCostMs: number;
  lastBoundaryAt: number;
  /** The test image the conv panel shows, and whether the page asked for another since the last post. */
  digit: number;
  digitChanged: boolean;
  stopReason?: string;
  /** The step that went non-finite and was not applied, and the attempts at it so far (cleared when it is applied). */
  rejected?: { step: number; attempts: number };
  /** Batches skipped so far: each rejected attempt's (its batch is not drawn again this epoch). */
  skipped: number;
}

let session: Session | null = null;

/** Module class names survive minification only this way. */
function kindOf(m: Module): string {
  if (m instanceof Linear) return 'Linear';
  if (m instanceof BatchNorm1d) return 'BatchNorm1d';
  if (m instanceof Dropout) return 'Dropout';
  if (m instanceof ActivationModule) return 'Activation';
  return 'Module';
}
let running = false;
let generation = 0;
/** The last run control (play/pause/step) handled, echoed in every progress post. */
let ctl = 0;

const BOUNDARY = 60;
/** Health checks run at least this often, in steps (lessons' step windows are ≥ 2,500 wide). */
const HEALTH_STEPS = 1000;
const HIST_BINS = 24;

function targetsFor(state: LabState, y: Tensor, numClasses: number): Tensor {
  if (state.head === 'crossEntropy') return y;
  const k = outputUnits(state, numClasses);
  const n = y.shape[0];
  const t = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    if (k === 1) t[i] = y.data[i];
    else t[i * k + y.data[i]] = 1;
  }
  return new Tensor(t, [n, k]);
}

function lossOf(state: LabState, out: Tensor, target: Tensor): Tensor {
  switch (state.head) {
    case 'crossEntropy':
      return crossEntropy(out, target);
    case 'bceWithLogits':
      return bceWithLogits(out, target);
    case 'mse':
      return mse(out, target);
    case 'huber':
      return huber(out, target);
    case 'l1':
      return l1(out, target);
  }
}

function gather(src: Tensor, idx: ArrayLike<number>, from = 0, count = idx.length): Tensor {
  const r = src.size / src.shape[0];
  const out = new Float32Array(count * r);
  for (let i = 0; i < count; i++) {
    const j = idx[from + i];
    out.set(src.data.subarray(j * r, j * r + r), i * r);
  }
  return new Tensor(out, [count, ...src.shape.slice(1)]);
}

async function reset(state: LabState, runId: number, local?: LocalData): Promise<void> {
  const gen = ++generation;
  running = false;
  session = null;
  currentRun = runId;
  try {
    if (state.dataset === 'mnist') post({ type: 'loading', message: 'Loading the built-in MNIST digits…' });
    const data = await loadData(state, local);
    if (gen !== generation) return;
    await kernelsReady();
    if (gen !== generation) return;
    manualSeed(state.seed);
    const model = buildLabModel(state, data.inputDim, data.numClasses);
    const params = model.parameters();
    const optimizer = labOptimizer(state, params);
    const trainTarget = targetsFor(state, data.train.y, data.numClasses);
    const trainSample = trainEvalSample({ x: data.train.x, y: trainTarget });
    const testData = { x: data.test.x, y: targetsFor(state, data.test.y, data.numClasses) };
    const shuffle = shuffleGenerator(state.seed);
    const loader = labLoader(state, data.train.x, trainTarget, shuffle);
    const monitor = new Monitor(model, model.namedParameters(), { every: monitorEvery(data.is2d), histogramBins: HIST_BINS });
    const report: Report = {
      config: { ...state, layers: state.layers.map((l) => ({ ...l })), source: 'gradlab lab', optimizerOptions: optimizer.effectiveOptions() },
      history: { epochs: [], steps: [], baselineLoss: baselineLoss(state.head, trainTarget) },
      monitors: monitor.data,
      findings: [],
    };
    session = {
      runId,
      state,
      data,
      model,
      optimizer,
      // restoreOptimizer: Resume goes on after a rejected step, so its moments must not carry it.
      trainer: new TrainStep(model, optimizer, { loss: (o, t) => lossOf(state, o, t), clipGradNorm: state.clip > 0 ? state.clip : undefined, restoreOptimizer: true }),
      params,
      trainTarget,
      trainSample,
      testData,
      loader,
      shuffle,
      batches: loader[Symbol.iterator](),
      batch: 0,
      step: 0,
      epoch: 0,
      monitor,
      report,
      epochLoss: 0,
      epochExamples: 0,
      epochStart: performance.now(),
      lastHealthAt: 0,
      lastHealthStep: 0,
      findings: [],
      findingsChanged: false,
      pendingSteps: [],
      pendingEvals: [],
      lastEvalAt: 0,
      evalCostMs: 0,
      lastBoundaryAt: 0,
      digit: 0,
      digitChanged: false,
      firstLayersSent: false,
      skipped: 0,
    };
    const initUsed: Record<string, string> = {};
    const labels = layerLabels(monitor.data.layers);
    const modules = model.layers.map((m, i) => {
      const kind = kindOf(m);
      if (m instanceof Linear) initUsed[String(i)] = m._initUsed;
      const activation = m instanceof ActivationModule ? m.activation : undefined;
      const summary =
        m instanceof Linear ? `${m.inFeatures}→${m.outFeatures}` : m instanceof BatchNorm1d ? 'BatchNorm' : activation ? ACTIVATIONS[activation].label : kind;
      return { name: String(i), kind, activation, summary, label: labels.get(String(i)) ?? `module ${i}` };
    });
    const info: ModelInfo = {
      backend: getBackend(),
      threads: getNumThreads(),
      parameters: params.reduce((s, p) => s + p.size, 0),
      modules,
      inputDim: data.inputDim,
      numClasses: data.numClasses,
      trainSize: data.train.x.shape[0],
      testSize: data.test.x.shape[0],
      is2d: data.is2d,
      points: data.points,
      bounds: data.bounds,
      initUsed,
    };
    const conv = firstConvIndex(model);
    if (conv >= 0) info.firstConv = String(conv);
    post({ type: 'ready', info });
    evaluate(session);
    flush(session, true);
  } catch (e) {
    if (gen === generation) post({ type: 'error', message: e instanceof Error ? e.message : String(e) }, runId);
  }
}

/** The training batches of a run (as `gradlab train`'s: BatchNorm in an MLP layer drops a last batch of one). */
function labLoader(state: LabState, x: Tensor, y: Tensor, shuffle: Generator): DataLoader {
  const batchnorm = state.model === 'mlp' && state.layers.some((l) => l.bn);
  return trainingLoader({ x, y }, { batchSize: Math.min(state.batchSize, x.shape[0]), batchnorm, generator: shuffle });
}

function nextBatch(s: Session): Batch {
  let r = s.batches.next();
  if (r.done) {
    endEpoch(s);
    s.epoch++;
    s.batch = 0;
    // A batch size changed during the epoch takes effect from the next one.
    if (s.loader.batchSize !== Math.min(s.state.batchSize, s.data.train.x.shape[0])) s.loader = labLoader(s.state, s.data.train.x, s.trainTarget, s.shuffle);
    s.batches = s.loader[Symbol.iterator]();
    r = s.batches.next();
  }
  s.batch++;
  return r.value as Batch;
}

/**
 * Close an epoch: its mean loss per example and the test loss, as the Trainer's EpochLogs: fit's
 * validation (the CLI's), the whole test set, the loss with its standard error, which the
 * overfitting rule's z-test reads — without it a noisy test loss reads as overfitting.
 */
function endEpoch(s: Session): void {
  if (!s.epochExamples) return;
  const te = evaluateSync(s.model, s.testData, s.loader.batchSize, s.state.head, ['accuracy']);
  s.report.history.epochs.push({
    epoch: s.epoch,
    loss: s.epochLoss / s.epochExamples,
    metrics: {},
    valLoss: te.loss,
    ...(te.lossStdErr !== undefined ? { valLossStdErr: te.lossStdErr } : {}),
    valMetrics: te.metrics,
    lr: s.state.lr,
    durationMs: performance.now() - s.epochStart,
  });
  s.epochLoss = 0;
  s.epochExamples = 0;
  s.epochStart = performance.now();
  thinHistory(s);
}

/** Long runs: keep every other old record so memory and the rules' cost stay bounded. */
function thinHistory(s: Session): void {
  thinOlderHalf(s.report.history.steps, 20000);
  thinOlderHalf(s.report.history.epochs, 2000);
  if (s.monitor.data.steps.length > 1500) {
    const keep = new Set(s.monitor.data.steps.filter((_, i, a) => i >= a.length >> 1 || i % 2 === 0));
    s.monitor.data.steps.splice(0, s.monitor.data.steps.length, ...[...keep]);
    s.monitor.data.global.splice(0, s.monitor.data.global.length, ...s.monitor.data.global.filter((g) => keep.has(g.step)));
    for (const l of s.monitor.data.layers) l.samples.splice(0, l.samples.length, ...l.samples.filter((x) => keep.has(x.step)));
  }
}

/** Forget the monitors' records of a step (its failed attempt's, when the step is tried again). */
function dropMonitored(s: Session, step: number): void {
  const d = s.monitor.data;
  if (d.steps.at(-1) !== step) return;
  d.steps.pop();
  if (d.global.at(-1)?.step === step) d.global.pop();
  for (const l of d.layers) if (l.samples.at(-1)?.step === step) l.samples.pop();
}

/** The layers' statistics at the last monitored step (or the first: step 1, the initial weights). */
function latestLayers(s: Session, first = false): LayerSnapshot[] {
  return s.monitor.data.layers.map((l) => {
    const x = l.samples[first ? 0 : l.samples.length - 1];
    return {
      name: l.name,
      step: x?.step,
      kind: l.kind,
      activation: l.activation,
      stats: x?.activation,
      channels: l.channels,
      params: x?.params,
      gradNorm: x?.gradNorm,
      symmetricUnits: x?.symmetricUnits,
    };
  });
}

/**
 * When training stops (paused, or a non-finite step): dead and saturated units over the whole
 * test set, not just a batch — what `fit` (and so `gradlab train`) measures at the end of
 * training, so a stopped run gets the CLI's findings. Dropped when training resumes.
 */
function probeStopped(s: Session): void {
  s.report.monitors.evaluation = probeActivations(s.model, s.data.test.x, Math.max(s.state.batchSize, 256));
}

/** The health rules on the run so far; findings keep their history (current first, then resolved). */
function runHealth(s: Session): void {
  const all = trackFindings(s.report.findings, runHealthChecks(s.report));
  s.report.findings = all;
  const key = (fs: Finding[]) => fs.map((f) => `${f.rule}:${f.status}:${f.layers.join(',')}`).join('|');
  if (key(all) !== key(s.findings) || all.some((f, i) => f.evidence !== s.findings[i]?.evidence)) {
    s.findings = all;
    s.findingsChanged = true;
  }
  s.lastHealthAt = performance.now();
  s.lastHealthStep = s.step;
}

/**
 * One optimizer step: the library's TrainStep (the same step, non-finite policy and
 * gradient norm as `fit` and `gradlab train`), traced layer by layer on monitored steps.
 */
function trainStep(s: Session, forceMonitor: boolean): void {
  const { x: xb, y: yb } = nextBatch(s);
  const step = s.step + 1;
  const monitor = forceMonitor || s.monitor.shouldRecord(step);
  const r = s.trainer.run(xb, yb, monitor, monitor ? (outs) => s.monitor.observe(step, outs) : undefined);
  const finite = r.nonFinite === null;
  // A non-finite step is not applied (TrainStep rolls back the weights, the buffers and the
  // optimizer's state): the step count stays at the steps applied, and Resume or Step try the
  // same step again on the next batch, so going on equals a run whose epoch lacked the batch
  // (the loader's order is the seed's; a skipped batch is not drawn again). A retry's record
  // replaces its failed attempt's, so the charts and the history show each step once.
  const steps = s.report.history.steps;
  const retry = steps.at(-1)?.step === step;
  if (retry) steps.pop();
  steps.push({ step, loss: Number.isFinite(r.loss) ? r.loss : null, gradNorm: Number.isFinite(r.gradNorm) ? r.gradNorm : null, lr: s.state.lr });
  s.pendingSteps.push({ step, loss: r.loss, gradNorm: r.gradNorm });
  if (finite) {
    s.step = step;
    // A retried step that went through: the run goes on, so its non-finite finding becomes resolved (held at that step).
    if (s.rejected) {
      delete s.report.nonFinite;
      delete s.report.stopReason;
    }
    s.rejected = undefined;
    s.epochLoss += r.loss * xb.shape[0];
    s.epochExamples += xb.shape[0];
  } else {
    running = false;
    s.skipped++;
    s.rejected = { step, attempts: retry ? (s.rejected?.attempts ?? 1) + 1 : 1 };
    s.stopReason = 'non-finite';
    s.report.stopReason = 'non-finite';
    const event = {
      step,
      epoch: s.epoch,
      batch: s.batch - 1,
      phase: r.nonFinite!.phase,
      layer: r.nonFinite!.layer,
      parameter: r.nonFinite!.parameter,
      loss: String(r.loss),
    };
    s.report.nonFinite = event;
    probeStopped(s);
  }
  if (retry) dropMonitored(s, step);
  if (r.outputs !== null) {
    s.monitor.record(step, r.outputs, s.trainer.gradSq, s.trainer.before, finite ? r.gradNorm : NaN);
    s.lastLayers = latestLayers(s);
  }
  s.trainer.releaseLast();
  if (!finite) runHealth(s);
}

/**
 * Evaluate the model as fit does at an epoch's end (evaluateSync over trainSample and the test
 * set, in the run's batch size) and send the point to the page. A non-finite loss has no
 * accuracy: its outputs predict nothing, and `gradlab train` reports none (null).
 */
function evaluate(s: Session): void {
  const t0 = performance.now();
  const bs = s.loader.batchSize;
  const train = evaluateSync(s.model, s.trainSample, bs, s.state.head, ['accuracy']);
  const test = evaluateSync(s.model, s.testData, bs, s.state.head, ['accuracy']);
  const acc = (r: EvaluateResult) => (Number.isFinite(r.loss) ? r.metrics.accuracy : NaN);
  s.pendingEvals.push({ step: s.step, epoch: s.epoch, trainLoss: train.loss, trainAcc: acc(train), testLoss: test.loss, testAcc: acc(test) });
  s.evalCostMs = performance.now() - t0;
  s.lastEvalAt = performance.now();
}

function boundary(s: Session): Boundary | undefined {
  const b = s.data.bounds;
  if (!s.data.is2d || !b) return undefined;
  const N = BOUNDARY;
  const xs = new Float32Array(N * N * 2);
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < N; c++) {
      const px = b.x0 + ((c + 0.5) / N) * (b.x1 - b.x0);
      const py = b.y1 - ((r + 0.5) / N) * (b.y1 - b.y0);
      const o = (r * N + c) * 2;
      xs[o] = (px - s.data.shift[0]) / s.data.scale[0];
      xs[o + 1] = (py - s.data.shift[1]) / s.data.scale[1];
    }
  }
  return noGrad(() => {
    s.model.eval();
    let out = s.model.forward(new Tensor(xs, [N * N, 2]));
    s.model.train();
    const k = out.shape[1];
    const cls: number[] = new Array(N * N);
    const prob: number[] = new Array(N * N);
    if (k === 1) {
      for (let i = 0; i < N * N; i++) {
        const p = 1 / (1 + Math.exp(-out.data[i]));
        cls[i] = p > 0.5 ? 1 : 0;
        prob[i] = p > 0.5 ? p : 1 - p;
      }
    } else {
      if (s.state.head === 'crossEntropy') out = softmax(out, 1);
      for (let i = 0; i < N * N; i++) {
        let best = 0;
        let sum = 0;
        for (let c = 0; c < k; c++) {
          const v = out.data[i * k + c];
          sum += Math.max(0, v);
          if (v > out.data[i * k + best]) best = c;
        }
        cls[i] = best;
        prob[i] = s.state.head === 'crossEntropy' ? out.data[i * k + best] : sum > 0 ? Math.min(1, Math.max(0, out.data[i * k + best]) / sum) : 1 / k;
      }
    }
    // A NaN/Infinity output stays NaN: the page draws "no prediction", not an unsure model.
    return { size: N, cls, prob: prob.map((p) => (Number.isFinite(p) ? Math.round(p * 1000) / 1000 : NaN)) };
  });
}

function digits(s: Session): { pixels: number[][]; label: number[]; pred: number[] } | undefined {
  // Only the MNIST digits are drawn (a CSV file with other than 2 features has no picture).
  if (s.data.is2d || !s.data.rawTest) return undefined;
  const n = 24;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  const x = gather(s.data.test.x, idx);
  return noGrad(() => {
    s.model.eval();
    const out = s.model.forward(x);
    s.model.train();
    const k = out.shape[1];
    const pred: number[] = [];
    const pixels: number[][] = [];
    const label: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (out.data[i * k + c] > out.data[i * k + best]) best = c;
      pred.push(best);
      label.push(s.data.test.y.data[i]);
      pixels.push(Array.from(s.data.rawTest!.subarray(i * 784, i * 784 + 784), (v) => Math.round(v * 255)));
    }
    return { pixels, label, pred };
  });
}

/** The first conv layer on the chosen test image (conv nets on MNIST), for the conv panel. */
function convPanel(s: Session): ConvPanelData | undefined {
  if (!s.data.rawTest) return undefined;
  const i = s.digit;
  const view = firstConvView(s.model, gather(s.data.test.x, [i]));
  if (!view) return undefined;
  const pixels = Array.from(s.data.rawTest.subarray(i * 784, i * 784 + 784), (v) => Math.round(v * 255));
  return { ...view, index: i, label: s.data.test.y.data[i], pixels };
}

function flush(s: Session, full: boolean): void {
  const now = performance.now();
  let b: Boundary | undefined;
  let d: ReturnType<typeof digits>;
  let c: ConvPanelData | undefined;
  if (full || now - s.lastBoundaryAt > (s.data.is2d ? 200 : 1500)) {
    b = boundary(s);
    d = digits(s);
    c = convPanel(s);
    s.lastBoundaryAt = now;
  } else if (s.digitChanged) c = convPanel(s);
  s.digitChanged = false;
  post(
    {
    type: 'progress',
    running,
    step: s.step,
    epoch: s.epoch,
    steps: s.pendingSteps,
    evals: s.pendingEvals,
    layers: s.lastLayers,
    firstLayers: !s.firstLayersSent && s.monitor.data.steps.length ? latestLayers(s, true) : undefined,
    boundary: b,
    digits: d,
    conv: c,
    findings: s.findingsChanged ? s.findings : undefined,
    healthStep: s.lastHealthStep,
    stopReason: s.stopReason,
    ctl,
    rejected: s.rejected,
    skipped: s.skipped,
    },
    s.runId,
  );
  s.findingsChanged = false;
  if (s.monitor.data.steps.length) s.firstLayersSent = true;
  s.pendingSteps = [];
  s.pendingEvals = [];
  s.lastLayers = undefined;
}

let loopToken = 0;

async function loop(): Promise<void> {
  const gen = generation;
  const token = ++loopToken;
  while (running && session && gen === generation && token === loopToken) {
    const s = session;
    const t0 = performance.now();
    try {
      while (running && performance.now() - t0 < 45) trainStep(s, false);
      // Evaluate at most ~every 120 ms on 2D sets, and so that evaluation stays under ~20% of the time.
      if (performance.now() - s.lastEvalAt > Math.max(120, s.evalCostMs * 5) || !running) evaluate(s);
      // Every 0.7 s, and at least every HEALTH_STEPS steps: a small net on a fast machine runs
      // thousands of steps in 0.7 s, and a lesson judges its claim within a step range.
      if (performance.now() - s.lastHealthAt > 700 || s.step - s.lastHealthStep >= HEALTH_STEPS || !running) runHealth(s);
      flush(s, !running);
    } catch (e) {
      running = false;
      post({ type: 'error', message: e instanceof Error ? e.message : String(e) }, s.runId);
    }
    await new Promise((r) => setTimeout(r, 0));
  }
}

self.onmessage = (ev: MessageEvent<ToWorker>) => {
  const m = ev.data;
  // Commands for another run than the current one (sent before a reset arrived) are dropped.
  // Acknowledged even when dropped below, so the page never waits on a control that did nothing.
  if (m.type === 'play' || m.type === 'pause' || m.type === 'step') ctl = m.ctl;
  if (m.type !== 'reset' && m.runId !== currentRun) return;
  switch (m.type) {
    case 'reset':
      void reset(m.state, m.runId, m.local);
      break;
    case 'update':
      // Same model and optimizer state: only how the next steps are taken changes.
      if (session) {
        session.state = m.state;
        session.optimizer.lr = m.state.lr;
        session.trainer.options.clipGradNorm = m.state.clip > 0 ? m.state.clip : undefined;
        Object.assign(session.report.config, { lr: m.state.lr, batchSize: m.state.batchSize, clip: m.state.clip, optimizerOptions: session.optimizer.effectiveOptions() });
      }
      break;
    case 'play':
      if (session && !running) {
        session.stopReason = undefined;
        delete session.report.monitors.evaluation;
        running = true;
        void loop();
      }
      break;
    case 'pause':
      running = false;
      if (session) {
        probeStopped(session);
        evaluate(session);
        runHealth(session);
        flush(session, true);
      }
      break;
    case 'digit':
      // An index the page computed from the test size; anything else is ignored.
      if (session && Number.isInteger(m.index) && m.index >= 0 && m.index < session.data.test.x.shape[0]) {
        session.digit = m.index;
        session.digitChanged = true;
        // While training, the next slice's post carries it; while paused, post it now.
        if (!running) flush(session, false);
      }
      break;
    case 'step':
      if (session && !running) {
        session.stopReason = undefined;
        try {
          trainStep(session, true);
          probeStopped(session);
          evaluate(session);
          runHealth(session);
          flush(session, true);
        } catch (e) {
          post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
        }
      }
      break;
  }
};

try {
  const hc = (self.navigator as Navigator | undefined)?.hardwareConcurrency ?? 1;
  if (getBackend() !== 'reference') setNumThreads(Math.max(1, Math.min(4, hc)));
} catch {
  /* the reference backend has one thread */
}
