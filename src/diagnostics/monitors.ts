/**
 * Monitors: per-layer statistics recorded during training, every N optimizer steps.
 *
 * For a Sequential the layers are its modules, named by their paths ('0', '1', …) as in
 * namedParameters(). At a monitored step the trainer hands over the outputs of every module
 * of the forward pass it just ran (no extra forward), the squared gradient norms it already
 * computed for the global norm, and the parameter values from before the update (its
 * non-finite guard keeps them anyway); the monitor adds:
 * - the output statistics of Linear/Conv2d/BatchNorm (pre-activations: Ioffe & Szegedy 2015,
 *   Fig. 1), residual blocks (as one layer: their output) and activation modules (with the
 *   saturated/dead fraction the activation registry defines). A 4-D output [N, C, H, W] has
 *   channels as its units: a dead filter is a channel that is ≤ 0 at every position of every
 *   example (the dead filters' indices are kept too); the saturated fraction is over all values,
 *   as for [N, units], and is kept per channel;
 * - per parameter: ‖θ‖, ‖∇θ‖, ‖Δθ‖/‖θ‖ (a block's nested parameters count for the block);
 * - per Linear/Conv2d: the number of units (filters) duplicating another's incoming weights;
 * - globally: ‖∇‖ and ‖∇first‖/‖∇last‖ (first and last layer with parameters).
 */
import { ActivationModule } from '../nn/activation.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/batchnorm.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import { BasicBlock, Residual } from '../nn/residual.js';
import type { Module, Parameter } from '../nn/module.js';
import { isPureLayer, Sequential } from '../nn/sequential.js';
import type { FloatArray } from '../kernels/types.js';
import { noGrad } from '../autograd.js';
import { K } from '../kernels/index.js';
import { Tensor } from '../tensor.js';
import type { ActivationName } from '../activations.js';
import type { ActivationProbe, ActivationStats, LayerSample, LayerSeries, MonitorOptions, Monitors, ParameterStats } from '../train/types.js';
import { activationStats, activeCounts, diffNorm, norm, saturatedFraction, StatsScratch, symmetricUnits } from './stats.js';
import { ACTIVATIONS } from '../activations.js';

/**
 * Default monitoring period in optimizer steps. Measured on the benchmark MLP
 * (784-256-256-10, batch 128, Adam, wasm kernels; bench/monitor-overhead.ts,
 * bench/RESULTS-monitors.md) a monitored step costs about a third of a training step
 * (statistics of 5 layer outputs, a 2048-value sort each, ‖Δθ‖ and the symmetry projection
 * of every Linear); every 20 steps keeps the monitors at a few percent of training time, well
 * inside the 10% budget even on the fastest kernels, and still gives ~24 samples per
 * MNIST epoch at batch 128. On the CNN preset (`--model cnn`, ≈ 14 M output values per monitored
 * step) a monitored step costs ≈ 9% of a step, every 20 steps 2.2% of a 160-step run including
 * the end-of-training probe. The first step is always recorded.
 */
export const DEFAULT_MONITOR_EVERY = 20;

interface LayerEntry {
  index: number;
  name: string;
  module: Module;
  activation?: ActivationName;
  /** Record output statistics (Linear, Conv2d, BatchNorm, residual blocks, activation modules). */
  outputs: boolean;
  /** Indices into the trainer's parameter list. */
  params: number[];
  series: LayerSeries;
}

/**
 * The kind of module a monitor reports, the activation its output is (a BasicBlock ends in a
 * ReLU), and whether its output statistics are recorded.
 */
function describe(m: Module): { kind: string; activation?: ActivationName; outputs: boolean } {
  if (m instanceof ActivationModule) return { kind: m.typeName, activation: m.activation, outputs: true };
  // Spelled out rather than typeName (the constructor's name), which a minifier renames.
  if (m instanceof Linear) return { kind: 'Linear', outputs: true };
  if (m instanceof Conv2d) return { kind: 'Conv2d', outputs: true };
  if (m instanceof BatchNorm1d) return { kind: 'BatchNorm1d', outputs: true };
  if (m instanceof BatchNorm2d) return { kind: 'BatchNorm2d', outputs: true };
  if (m instanceof BasicBlock) return { kind: 'BasicBlock', activation: 'relu', outputs: true };
  if (m instanceof Residual) return { kind: 'Residual', outputs: true };
  return { kind: m.typeName, outputs: false };
}

/** The top-level layers of a model: a Sequential's modules, or another model's children. */
export function layersOf(model: Module): Array<[string, Module]> {
  if (model instanceof Sequential) return model.layers.map((m, i) => [String(i), m]);
  const children = model.namedChildren();
  return children.length > 0 ? children : [['', model]];
}

export class Monitor {
  readonly enabled: boolean;
  readonly every: number;
  readonly data: Monitors;
  private readonly entries: LayerEntry[];
  private readonly params: Array<[string, Parameter]>;
  private readonly scratch = new StatsScratch();
  private readonly bins: number;
  private readonly percentileSamples: number;
  /** Layer indices (into entries) of the first and last layers with parameters. */
  private readonly firstWithParams: number;
  private readonly lastWithParams: number;

  constructor(model: Module, params: Array<[string, Parameter]>, options: MonitorOptions | false | undefined) {
    this.enabled = options !== false;
    const o = options === false ? {} : (options ?? {});
    const every = o.every ?? DEFAULT_MONITOR_EVERY;
    if (!Number.isInteger(every) || every < 1) throw new Error(`fit: monitor.every must be an integer ≥ 1, got ${every}`);
    const bins = o.histogramBins ?? 30;
    if (!Number.isInteger(bins) || bins < 1) throw new Error(`fit: monitor.histogramBins must be an integer ≥ 1, got ${bins}`);
    const ps = o.percentileSamples ?? 2048;
    if (!Number.isInteger(ps) || ps < 1) throw new Error(`fit: monitor.percentileSamples must be an integer ≥ 1, got ${ps}`);
    this.every = every;
    this.bins = bins;
    this.percentileSamples = ps;
    this.params = params;
    const wanted = o.layers ? new Set(o.layers) : null;
    const sequential = model instanceof Sequential;
    const layers = layersOf(model);
    if (wanted) {
      for (const w of wanted) if (!layers.some(([n]) => n === w)) throw new Error(`fit: monitor.layers names '${w}', which is not a layer (layers: ${layers.map(([n]) => `'${n}'`).join(', ')})`);
    }
    this.entries = [];
    layers.forEach(([name, module], index) => {
      const d = describe(module);
      const prefix = name === '' ? '' : `${name}.`;
      const own = params.map(([k], i) => [k, i] as const).filter(([k]) => prefix === '' || k.startsWith(prefix)).map(([, i]) => i);
      if (wanted && !wanted.has(name)) return;
      if (!d.outputs && own.length === 0) return;
      const series: LayerSeries = { name, kind: d.kind, samples: [] };
      if (d.activation) series.activation = d.activation;
      if (module instanceof Linear) {
        series.units = module.outFeatures;
        series.inputs = module.inFeatures;
        if (module._initUsed) series.init = module._initUsed;
      }
      if (module instanceof Conv2d) {
        series.units = module.outChannels;
        series.inputs = module.inChannels;
        series.kernel = [module.kernelSize[0], module.kernelSize[1]];
        if (module._initUsed) series.init = module._initUsed;
      }
      if (module instanceof BasicBlock) {
        series.units = module.outChannels;
        series.inputs = module.inChannels;
      }
      if (module instanceof BatchNorm1d || module instanceof BatchNorm2d) series.units = module.numFeatures;
      this.entries.push({ index, name, module, activation: d.activation, outputs: d.outputs && sequential, params: own, series });
    });
    const withParams = this.entries.filter((e) => e.params.length > 0);
    this.firstWithParams = withParams.length ? this.entries.indexOf(withParams[0]) : -1;
    this.lastWithParams = withParams.length ? this.entries.indexOf(withParams[withParams.length - 1]) : -1;
    this.data = { every: this.enabled ? every : 0, steps: [], layers: this.enabled ? this.entries.map((e) => e.series) : [], global: [] };
  }

  /** observe()'s statistics of a step's layer outputs, for record() of the same step. */
  private observed: { step: number; stats: Array<ActivationStats | undefined> } | null = null;

  /**
   * The statistics of a monitored step's layer outputs, taken before the optimizer's update
   * (TrainStep's beforeUpdate): the outputs are still in wasm memory then, where the kernels
   * read them, rather than copied out to JS arrays by the update's step boundary. record() of
   * the same step uses them; the values do not depend on the update.
   */
  observe(step: number, outputs: readonly Tensor[]): void {
    if (!this.enabled) return;
    const t0 = performance.now();
    this.observed = { step, stats: this.entries.map((e) => (e.outputs ? this.outputStats(e, outputs[e.index]) : undefined)) };
    this.addTime(performance.now() - t0);
  }

  private outputStats(e: LayerEntry, y: Tensor): ActivationStats {
    const rows = y.shape[0] ?? 1;
    // [N, C, H, W]: channels are the units, each over H·W positions.
    const image = y.ndim === 4;
    const units = image ? y.shape[1] : rows > 0 ? y.size / rows : 0;
    if (image) e.series.channels ??= units;
    return activationStats(this.inKernelMemory(y.data), rows, units, e.activation, {
      histogramBins: this.bins,
      percentileSamples: this.percentileSamples,
      scratch: this.scratch,
      positions: image ? y.shape[2] * y.shape[3] : 1,
    });
  }

  /** Whether step (1-based) is recorded: the first step, then every N-th. */
  shouldRecord(step: number): boolean {
    return this.enabled && (step === 1 || step % this.every === 0);
  }

  /**
   * Record one step. `outputs[i]` is the output of layer i of a Sequential (null for other
   * models), `gradSq[j]` the squared gradient norm of parameter j (before clipping), and
   * `before[j]` its values before the update.
   */
  record(step: number, outputs: readonly Tensor[] | null, gradSq: Float64Array, before: readonly FloatArray[], globalGradNorm: number): void {
    if (!this.enabled) return;
    const t0 = performance.now();
    this.data.steps.push(step);
    const layerGrad = new Array<number>(this.entries.length).fill(0);
    const observed = this.observed !== null && this.observed.step === step ? this.observed.stats : null;
    this.observed = null;
    this.entries.forEach((e, li) => {
      const sample: LayerSample = { step };
      if (e.outputs && outputs) sample.activation = observed?.[li] ?? this.outputStats(e, outputs[e.index]);
      if (e.params.length > 0) {
        const ps: ParameterStats[] = [];
        let g = 0;
        for (const j of e.params) {
          const [key, p] = this.params[j];
          const { diff, norm: n0 } = diffNorm(p.data, before[j], this.scratch);
          g += gradSq[j];
          ps.push({ name: key, norm: norm(p.data), gradNorm: Math.sqrt(gradSq[j]), updateRatio: n0 > 0 ? diff / n0 : null, size: p.size });
        }
        sample.params = ps;
        sample.gradNorm = Math.sqrt(g);
        layerGrad[li] = sample.gradNorm;
      }
      if (e.module instanceof Linear || e.module instanceof Conv2d) {
        const m = e.module;
        const out = m.weight.shape[0];
        sample.symmetricUnits = symmetricUnits(m.weight.data, m.bias ? m.bias.data : null, out, m.weight.size / out, undefined, this.scratch);
      }
      e.series.samples.push(sample);
    });
    const first = this.firstWithParams >= 0 ? layerGrad[this.firstWithParams] : NaN;
    const last = this.lastWithParams >= 0 ? layerGrad[this.lastWithParams] : NaN;
    this.data.global.push({ step, gradNorm: globalGradNorm, firstToLastRatio: last > 0 ? first / last : first === 0 ? 1 : Infinity });
    this.addTime(performance.now() - t0);
  }

  /**
   * The values of a layer output where the fast kernels read them. The trainer hands over the
   * outputs after the optimizer step, a step boundary that moved them to JS arrays (ARCHITECTURE.md
   * "Memory"); K.moments over a conv net's 3 M-value output takes ≈ 10–20 ms as a JS loop and ≈ 1 ms
   * in wasm, so one copy into the monitor's kernel scratch (≈ 2 ms) pays.
   */
  private inKernelMemory(x: FloatArray): FloatArray {
    if (K.owns === undefined || !(x instanceof Float32Array) || x.length < 1 << 16 || K.owns(x)) return x;
    const b = this.scratch.buffer(x.length);
    b.set(x);
    return b;
  }

  /** Account monitoring time (also the end-of-training probe, timed by the trainer). */
  addTime(ms: number): void {
    this.data.durationMs = (this.data.durationMs ?? 0) + ms;
  }
}

/**
 * Dead and saturated fractions of a Sequential's activation layers (and BasicBlocks, which end
 * in a ReLU) over a whole evaluation set (eval mode, no gradients), batch by batch: a ReLU unit
 * counts as dead when it is inactive on every example of `x`, not just of one batch; a filter
 * (a channel of a [N, C, H, W] output) when it is inactive at every position of every example.
 */
export function probeActivations(model: Module, x: Tensor, batchSize = 256): ActivationProbe[] {
  if (!(model instanceof Sequential)) return [];
  const layers = model.layers;
  const n = x.shape[0];
  const row = n > 0 ? x.size / n : 0;
  const kinds = layers.map(describe);
  const acts = kinds.map((d) => (d.activation ? ACTIVATIONS[d.activation].failure : null));
  const channels = new Array<number>(layers.length).fill(0);
  const counts: Array<Float64Array | null> = layers.map(() => null);
  const saturated = new Float64Array(layers.length);
  const totals = new Float64Array(layers.length);
  const units = new Array<number>(layers.length).fill(0);
  const wasTraining = model.training;
  model.eval();
  try {
    noGrad(() => {
      for (let start = 0; start < n; start += batchSize) {
        const b = Math.min(batchSize, n - start);
        const input = new Tensor(x.data.subarray(start * row, (start + b) * row), [b, ...x.shape.slice(1)]);
        let h = input;
        layers.forEach((m, i) => {
          const prev = h;
          h = m.forward(h);
          // Under noGrad nothing reads a built-in layer's input again once the next built-in layer
          // has run: free it now, or a synchronous pass over a large set (a conv net's activations
          // are ~100 MB per batch) outgrows wasm memory before the collector can return any.
          if (i > 0 && prev !== input && prev.data !== input.data && prev.data !== h.data && isPureLayer(layers[i - 1]) && isPureLayer(m)) prev.dispose();
          const f = acts[i];
          if (!f || f.mode === 'none') return;
          const image = h.ndim === 4;
          const u = image ? h.shape[1] : h.size / b;
          units[i] = u;
          if (image) channels[i] = u;
          if (f.mode === 'dead') counts[i] = activeCounts(h.data, b, u, counts[i] ?? new Float64Array(u), image ? h.shape[2] * h.shape[3] : 1);
          else {
            saturated[i] += saturatedFraction(h.data, f.below, f.above) * h.size;
            totals[i] += h.size;
          }
        });
      }
    });
  } finally {
    model.train(wasTraining);
  }
  const out: ActivationProbe[] = [];
  layers.forEach((_, i) => {
    const f = acts[i];
    const activation = kinds[i].activation;
    if (!f || f.mode === 'none' || !activation) return;
    const r: ActivationProbe = { layer: String(i), activation, units: units[i], examples: n };
    if (channels[i] > 0) r.channels = channels[i];
    if (f.mode === 'dead') {
      const c = counts[i];
      let dead = 0;
      if (c) for (let u = 0; u < c.length; u++) if (c[u] === 0) dead++;
      r.dead = units[i] > 0 ? dead / units[i] : 0;
    } else r.saturated = totals[i] > 0 ? saturated[i] / totals[i] : 0;
    out.push(r);
  });
  return out;
}
