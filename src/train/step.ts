/**
 * One training step, the only one: `fit` (so `gradlab train`), the lab's worker, the experiments
 * and the benchmark all run it.
 *
 *   zero gradients → forward → loss → backward → ‖g‖ → clip → optimizer step
 *
 * Ordinary steps run `model.forward` (a Sequential fuses Linear + activation pairs); a monitored
 * step runs `Sequential.trace` instead, which keeps every layer's output for the monitors.
 *
 * The non-finite policy, the same for every caller: a step whose loss, gradient norm or
 * updated weights are not finite changes nothing — the buffers (BatchNorm running statistics)
 * and the weights are restored, so is the random generator (dropout's draws), and with
 * `restoreOptimizer` the optimizer's state too (a loss or
 * gradient that is not finite stops before the optimizer, so only a rejected update needs it)
 * — and the outcome says where the first NaN/±∞ appeared: phase
 * (forward, loss, backward, update), layer (the module index in a Sequential) and parameter.
 * Finding the layer re-runs the step layer by layer with the random generator and the buffers
 * as they were (src/diagnostics/nonfinite.ts), so the cost is paid only on the failing step.
 */
import { K, alloc } from '../kernels/index.js';
import type { FloatArray } from '../kernels/types.js';
import { noGrad } from '../autograd.js';
import { defaultGenerator } from '../random.js';
import { Module, type Parameter } from '../nn/module.js';
import { Sequential, isPureLayer } from '../nn/sequential.js';
import type { Optimizer, OptimizerCheckpoint } from '../optim/optimizer.js';
import { clipGradNorm, clipGradValue } from '../optim/clip.js';
import { firstNonFinite, locateBackward } from '../diagnostics/nonfinite.js';
import type { Tensor } from '../tensor.js';

export interface TrainStepOptions {
  /** The loss of a batch: (model output, targets) → a one-element tensor. */
  loss: (output: Tensor, target: Tensor) => Tensor;
  /** Rescale gradients to this global L2 norm when above it (Pascanu et al. 2013). */
  clipGradNorm?: number;
  /** Clamp each gradient element to [−v, v]. */
  clipGradValue?: number;
  /**
   * Also restore the optimizer's state (step counts, momentum, Adam's moments) when an update
   * is rejected, so that training on after it equals a run that skipped that batch. Costs a
   * copy of that state on every step, so only a caller that goes on after a rejected step
   * sets it (the lab's Resume); `fit` stops there.
   */
  restoreOptimizer?: boolean;
}

/** Where a step's first non-finite value appeared. */
export interface NonFiniteOrigin {
  phase: 'forward' | 'loss' | 'backward' | 'update';
  /** Module index in a Sequential ('3'), or null when the model is not a Sequential or the loss itself failed. */
  layer: string | null;
  /** State-dict key of the first non-finite parameter (gradient or updated value), if any. */
  parameter: string | null;
}

export interface StepOutcome {
  /** The batch loss (before the update). */
  loss: number;
  /** Global L2 norm of the gradients before clipping (NaN when the loss was not finite). */
  gradNorm: number;
  /** The model's output for the batch. */
  output: Tensor;
  /** Every layer's output on a traced step (Sequential only), else null. */
  outputs: Tensor[] | null;
  /** Null when the update was applied; otherwise nothing changed and this says where it failed. */
  nonFinite: NonFiniteOrigin | null;
}

export class TrainStep {
  readonly params: ReadonlyArray<readonly [string, Parameter]>;
  readonly buffers: ReadonlyArray<readonly [string, Tensor]>;
  /** Squared L2 norm of each parameter's gradient in the last step (the monitors read it). */
  readonly gradSq: Float64Array;
  /** Each parameter before the last update (the rollback; the monitors' ‖Δθ‖). */
  readonly before: FloatArray[];
  private readonly buffersBefore: FloatArray[];
  private readonly layers: readonly Module[] | null;
  /** Every module of the model (train mode is set on them each step). */
  private readonly modules: readonly Module[];
  /** Steps run; savedAt[j]: the last step whose update saved parameter j into before[j]. */
  private steps = 0;
  private readonly savedAt: Float64Array;
  /** The optimizer's question "where does parameter p go before its update?" (Optimizer.stepSaving). */
  private readonly saveFor: (p: Tensor) => FloatArray | null;
  /** The optimizer's state before the current step (restoreOptimizer), its arrays reused. */
  private optimizerBefore: OptimizerCheckpoint | null = null;
  private lossTensor: Tensor | null = null;
  private last: StepOutcome | null = null;
  private input: Tensor | null = null;

  constructor(
    readonly model: Module,
    readonly optimizer: Optimizer,
    readonly options: TrainStepOptions,
  ) {
    this.params = model.namedParameters();
    this.buffers = model.namedBuffers();
    this.layers = model instanceof Sequential ? model.layers : null;
    this.gradSq = new Float64Array(this.params.length);
    // In the kernels' memory (wasm for the wasm backend), so the per-step copies stay on the fast path.
    this.before = this.params.map(([, p]) => alloc(p.size, p.dtype));
    this.buffersBefore = this.buffers.map(([, b]) => alloc(b.size, b.dtype));
    this.modules = model.namedModules().map(([, m]) => m);
    this.savedAt = new Float64Array(this.params.length);
    const index = new Map<Tensor, number>(this.params.map(([, p], j) => [p, j]));
    this.saveFor = (p) => {
      const j = index.get(p);
      if (j === undefined) return null;
      this.savedAt[j] = this.steps;
      return this.before[j];
    };
  }

  /** Module index of the layer owning parameter `key`, in a Sequential. */
  layerOf(key: string): string | null {
    if (this.layers === null) return null;
    const dot = key.indexOf('.');
    return dot > 0 ? key.slice(0, dot) : null;
  }

  /**
   * One step on the batch (x, y). `trace`: run the layers one by one and keep their outputs
   * (monitored steps), handed to `beforeUpdate` after backward and before the update. Reads
   * nothing back from the kernels but the loss and the squared gradient norms.
   */
  run(x: Tensor, y: Tensor, trace = false, beforeUpdate?: (outputs: readonly Tensor[]) => void): StepOutcome {
    this.releaseLast();
    const { model, optimizer, params, buffers } = this;
    const genState = defaultGenerator.getState();
    buffers.forEach(([, t], i) => K.copy(t.data, this.buffersBefore[i]));
    // In place (PyTorch 1.13's zero_grad() default): backward overwrites the buffers (β = 0).
    optimizer.zeroGrad(false);
    // model.train(), without walking the module tree by name on every step (a model that
    // overrides train(), e.g. to keep a BatchNorm frozen, gets its own).
    if (model.train === Module.prototype.train) for (const m of this.modules) m.training = true;
    else model.train();

    let outputs: Tensor[] | null = null;
    let output: Tensor;
    if (trace && model instanceof Sequential) {
      outputs = model.trace(x);
      output = outputs.length > 0 ? outputs[outputs.length - 1] : x;
    } else output = model.forward(x);
    const lt = this.options.loss(output, y);
    const lv = lt.item();
    this.lossTensor = lt;
    this.input = x;
    const outcome: StepOutcome = { loss: lv, gradNorm: NaN, output, outputs, nonFinite: null };
    this.last = outcome;

    if (!Number.isFinite(lv)) {
      outcome.nonFinite = this.locateForward(x, outputs, genState) ?? { phase: 'loss', layer: this.lastLayer(), parameter: null };
      this.restoreBuffers();
      defaultGenerator.setState(genState);
      optimizer.zeroGrad();
      return outcome;
    }

    lt.backward();
    let sq = 0;
    for (let j = 0; j < params.length; j++) {
      const g = params[j][1]._peekGrad();
      this.gradSq[j] = g ? K.sumSquares(g.data) : 0;
      sq += this.gradSq[j];
    }
    outcome.gradNorm = Math.sqrt(sq);
    if (!Number.isFinite(outcome.gradNorm)) {
      // A NaN can pass a layer unseen (the ReLU kernel maps NaN to 0): look at the forward first.
      outcome.nonFinite = this.locateForward(x, outputs, genState) ?? this.locateBackward(x, y, genState);
      this.restoreBuffers();
      defaultGenerator.setState(genState);
      optimizer.zeroGrad();
      return outcome;
    }

    // A traced step's outputs, before the update's step boundary moves them out of wasm memory
    // (the monitors' statistics: Monitor.observe).
    if (outputs !== null && beforeUpdate !== undefined) beforeUpdate(outputs);
    if (this.options.clipGradValue !== undefined) clipGradValue(params.map(([, p]) => p), this.options.clipGradValue);
    if (this.options.clipGradNorm !== undefined) clipGradNorm(params.map(([, p]) => p), this.options.clipGradNorm);
    // The optimizer copies each parameter it updates into `before` and checks the new values in
    // the same pass as the update; a parameter it did not update (no gradient, or not given to
    // it) is unchanged, so its copy is taken and checked now.
    const step = ++this.steps;
    if (this.options.restoreOptimizer) this.optimizerBefore = optimizer.saveState(this.optimizerBefore);
    let finite = optimizer.stepSaving(this.saveFor);
    for (let j = 0; j < params.length; j++) {
      if (this.savedAt[j] === step) continue;
      const p = params[j][1];
      K.copy(p.data, this.before[j]);
      if (!K.allFinite(p.data)) finite = false;
    }
    const bad = finite ? -1 : params.findIndex(([, p]) => !K.allFinite(p.data));
    if (bad >= 0) {
      params.forEach(([, p], i) => K.copy(this.before[i], p.data));
      this.restoreBuffers();
      if (this.options.restoreOptimizer) optimizer.restoreState(this.optimizerBefore!);
      defaultGenerator.setState(genState);
      const key = params[bad][0];
      outcome.nonFinite = { phase: 'update', layer: this.layerOf(key), parameter: key };
      optimizer.zeroGrad();
    }
    return outcome;
  }

  /**
   * Hand the last step's layer outputs and loss back to the kernels now (they would otherwise
   * move to JS memory at the next step boundary, one copy each). Only tensors nobody else can
   * hold: outputs of built-in layers consumed by built-in layers, and the loss. Called by the
   * next run(); call it yourself after reading the outcome to release them earlier.
   */
  releaseLast(): void {
    const last = this.last;
    if (last === null) return;
    this.last = null;
    const freed = new Set<FloatArray>();
    if (this.input !== null && !this.input._released) freed.add(this.input._data);
    const release = (t: Tensor) => {
      if (t._released || freed.has(t._data)) return;
      freed.add(t._data);
      t.dispose();
    };
    const layers = this.layers;
    if (layers && last.outputs) {
      last.outputs.forEach((t, i) => {
        if (isPureLayer(layers[i]) && i + 1 < layers.length && isPureLayer(layers[i + 1])) release(t);
      });
    }
    if (this.lossTensor !== null) release(this.lossTensor);
    this.lossTensor = null;
    this.input = null;
  }

  /** Return the rollback copies to the kernels. */
  dispose(): void {
    this.releaseLast();
    for (const b of this.before) K.free(b);
    for (const b of this.buffersBefore) K.free(b);
    for (const m of this.optimizerBefore?.buffers ?? []) for (const b of m.values()) K.free(b);
    this.optimizerBefore = null;
  }

  private restoreBuffers(): void {
    this.buffers.forEach(([, b], i) => K.copy(this.buffersBefore[i], b.data));
  }

  private lastLayer(): string | null {
    return this.layers && this.layers.length > 0 ? String(this.layers.length - 1) : null;
  }

  /** The first layer whose output is non-finite, re-running the forward layer by layer if it was fused. */
  private locateForward(x: Tensor, outputs: Tensor[] | null, genState: ReturnType<typeof defaultGenerator.getState>): NonFiniteOrigin | null {
    if (this.layers === null || !(this.model instanceof Sequential)) return null;
    let outs = outputs;
    if (outs === null) {
      const model = this.model;
      defaultGenerator.setState(genState);
      this.restoreBuffers();
      outs = noGrad(() => model.trace(x));
    }
    const i = firstNonFinite(outs);
    return i >= 0 ? { phase: 'forward', layer: String(i), parameter: null } : null;
  }

  /** Where backward first went non-finite (the step re-run with every layer's gradient retained). */
  private locateBackward(x: Tensor, y: Tensor, genState: ReturnType<typeof defaultGenerator.getState>): NonFiniteOrigin {
    const firstBad = this.params.find(([, p]) => {
      const g = p._peekGrad();
      return g !== null && !K.allFinite(g.data);
    });
    const origin: NonFiniteOrigin = { phase: 'backward', layer: firstBad ? this.layerOf(firstBad[0]) : null, parameter: firstBad ? firstBad[0] : null };
    const layers = this.layers;
    if (layers === null) return origin;
    defaultGenerator.setState(genState);
    this.restoreBuffers();
    this.optimizer.zeroGrad();
    const byLayer = layers.map((_, i) => this.params.filter(([k]) => k.startsWith(`${i}.`)));
    const lossOf = this.options.loss;
    const found = locateBackward(layers, byLayer, x, (o) => lossOf(o, y));
    if (found === null) return origin;
    return { phase: found.phase, layer: found.index >= 0 ? String(found.index) : this.lastLayer(), parameter: found.parameter };
  }
}
