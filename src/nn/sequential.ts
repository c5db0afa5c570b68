/**
 * Sequential: modules applied in order, named '0', '1', … as in PyTorch (so state-dict keys
 * match). On construction it initialises every Linear and Conv2d whose init is a registry name for
 * the activation that consumes its output: the first activation module after it, skipping
 * BatchNorm, Dropout and pooling (which do not change what the next non-linearity needs); 'linear'
 * when none follows (an output layer feeding a loss) or a weight layer or container comes first.
 * Only weights still at the layer's construction default are re-drawn: weights the user set
 * (init functions, loadStateDict, writes to `.data`, training) are kept as they are (see linear.ts).
 * `append(layer)` and `model[i] = layer` do the same for each weight layer whose consumer changed.
 *
 * Forward runs a built-in Linear directly followed by a built-in activation whose derivative
 * comes from its output (ReLU, sigmoid, tanh) as one fused op (ops.linearActivation): the
 * same values and gradients, one pass over memory less each way; and a ReLU directly followed
 * by a MaxPool2d after the pooling (forwardOrder), the same values and gradients on a quarter of
 * the elements. Code that needs each layer's output (fit's monitored steps) calls the layers one
 * by one instead (trace).
 */
import { isGradEnabled } from '../autograd.js';
import { layerEntry, maybeBoundary } from '../memory.js';
import { getActivation, type ActivationName } from '../activations.js';
import { linearActivation } from '../ops/matmul.js';
import type { Tensor } from '../tensor.js';
import { ActivationModule, ELU, GELU, Identity, LeakyReLU, PReLU, ReLU, SELU, SiLU, Sigmoid, Softmax, Softplus, Tanh } from './activation.js';
import { BatchNorm1d, BatchNorm2d } from './batchnorm.js';
import { Conv2d } from './conv.js';
import { AlphaDropout, Dropout } from './dropout.js';
import { Linear, WeightedLayer } from './linear.js';
import { hasHooks, indexable, Module } from './module.js';
import { AdaptiveAvgPool2d, AvgPool2d, Flatten, MaxPool2d, Unflatten } from './pool.js';
import { BasicBlock, Residual } from './residual.js';

/**
 * Built-in layers (exact classes, not subclasses) that keep no reference to their input or
 * output after forward, so Sequential may release the storage between two of them.
 */
const PURE = new Set<unknown>([Linear, Conv2d, BatchNorm1d, BatchNorm2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Flatten, Unflatten, Dropout, AlphaDropout, ReLU, SELU, Sigmoid, Tanh, GELU, SiLU, Softplus, Identity, LeakyReLU, ELU, PReLU, Softmax]);

/**
 * True for built-in layers (exact classes) that keep no reference to their input or output, and
 * for built-in containers of such layers only (a nested Sequential, a Residual), so that an
 * outer Sequential may release what they return.
 */
export function isPureLayer(m: Module): boolean {
  // BasicBlock and Residual are compared here, not listed in PURE: residual.ts imports this
  // module, and the import cycle only works when they are read at call time.
  // A hooked layer hands its input and output to the user's hook, which may keep them.
  if (hasHooks(m)) return false;
  if (PURE.has(m.constructor)) return true;
  if (m.constructor === BasicBlock) return (m as Module).children().every(isPureLayer);
  if (m.constructor === Sequential) return (m as Sequential).layers.every(isPureLayer);
  if (m.constructor === Residual) {
    const r = m as Residual;
    return isPureLayer(r.body) && (r.shortcut === null || isPureLayer(r.shortcut));
  }
  return false;
}

/**
 * The activation module fused with the Linear at `i` (see the header), or null: both exact
 * built-in classes, the activation elementwise with `derivativeFromOutput`, not the identity, and
 * without options beyond its registry entry.
 */
function fusedActivation(layers: readonly Module[], i: number): ActivationModule | null {
  const lin = layers[i];
  const act = layers[i + 1];
  if (lin === undefined || act === undefined || lin.constructor !== Linear || !(act instanceof ActivationModule) || !PURE.has(act.constructor) || hasHooks(lin) || hasHooks(act)) return null;
  // The fused kernel computes the registry's form: GELU's tanh form, Softplus's β run unfused.
  if (act.extraOptions !== null) return null;
  const a = getActivation(act.activation);
  return a.kernel !== null && a.kernel !== 'linear' && a.derivativeFromOutput ? act : null;
}

/**
 * The order forward runs the layers in: where a built-in ReLU is directly followed by a built-in
 * MaxPool2d, the pooling runs first and the ReLU on its output. ReLU is non-decreasing, so max over a window of ReLU(x) is ReLU of the
 * max, the same value, and the gradient reaches the same element (the first of the window's
 * largest values: ReLU creates ties only at 0, where its gradient is 0 anyway); NaN propagates
 * through both. The ReLU then reads a quarter of the values (after 2×2 pooling), each way, and
 * backward keeps the pooled ReLU output instead of the full-size one. null: no such pair (or a
 * Linear fused with the ReLU, see fusedActivation).
 */
function forwardOrder(layers: readonly Module[]): number[] | null {
  let order: number[] | null = null;
  for (let i = 0; i + 1 < layers.length; i++) {
    if (layers[i].constructor !== ReLU || layers[i + 1].constructor !== MaxPool2d || hasHooks(layers[i]) || hasHooks(layers[i + 1]) || (i > 0 && fusedActivation(layers, i - 1) !== null)) continue;
    order ??= layers.map((_, j) => j);
    order[i] = i + 1;
    order[i + 1] = i;
    i++;
  }
  return order;
}

export class Sequential extends Module {
  [index: number]: Module;
  /** @internal Fuse Linear + activation pairs and pool before ReLU in forward (benchmarks turn it off to measure the gain). */
  static _fuse = true;
  private readonly _layers: Module[];

  constructor(...layers: Module[]) {
    super();
    layers.forEach((m, i) => checkLayer(m, `argument ${i}`));
    this._layers = layers;
    this.initializeForConsumers();
    // model[i] as in PyTorch (model[0].weight, model[-1] = new nn.Linear(…) to replace the head),
    // negative i from the end, as ModuleList's.
    return indexable(this, (i) => this.at(i), (i, m: Module) => this.set(i, m), (i) => Number.isInteger(i) && i < this._layers.length && i >= -this._layers.length);
  }

  /** Add a layer at the end (PyTorch's Sequential.append). */
  append(module: Module): this {
    checkLayer(module, 'append');
    return this.changeLayers(() => this._layers.push(module));
  }

  /** Replace layer i (negative i from the end), as PyTorch's `model[i] = layer`. */
  set(i: number, module: Module): this {
    checkLayer(module, `layer ${i}`);
    const j = i < 0 ? this._layers.length + i : i;
    if (!Number.isInteger(i) || j < 0 || j >= this._layers.length) throw new Error(`Sequential: no layer ${i} to replace (the network has ${this._layers.length}); use append to add one`);
    return this.changeLayers(() => (this._layers[j] = module));
  }

  /**
   * Apply `change` to the layers, then initialise, as the constructor does, each weight layer
   * whose consumer activation changed (a new layer, or the Linear before an appended ReLU) —
   * only those still at their construction default; the others keep their values.
   */
  private changeLayers(change: () => void): this {
    const layersBefore = [...this._layers];
    const consumers = layersBefore.map((_, i) => JSON.stringify(this.consumerOf(i)));
    change();
    this._layers.forEach((m, i) => {
      if (m instanceof WeightedLayer && (layersBefore[i] !== m || consumers[i] !== JSON.stringify(this.consumerOf(i)))) {
        const c = this.consumerOf(i);
        m.initializeFor(c.activation, c.param);
      }
    });
    return this;
  }

  /** The activation consuming layer i's output, and its parameter. */
  consumerOf(i: number): { activation: ActivationName; param?: number } {
    for (let j = i + 1; j < this._layers.length; j++) {
      const m = this._layers[j];
      if (m instanceof ActivationModule) {
        return { activation: m.activation, param: Number.isNaN(m.param) ? undefined : m.param };
      }
      if (m instanceof Linear || m instanceof Conv2d || m.namedChildren().length > 0) break;
    }
    return { activation: 'linear' };
  }

  private initializeForConsumers(): void {
    this._layers.forEach((m, i) => {
      if (m instanceof WeightedLayer) {
        const c = this.consumerOf(i);
        m.initializeFor(c.activation, c.param);
      }
    });
  }

  override get typeName(): string {
    return 'Sequential';
  }

  get length(): number {
    return this._layers.length;
  }

  /** Layer i. */
  at(i: number): Module {
    const m = this._layers[i < 0 ? this._layers.length + i : i];
    if (!m) throw new Error(`Sequential: no layer ${i} (the network has ${this._layers.length})`);
    return m;
  }

  get layers(): readonly Module[] {
    return this._layers;
  }

  /**
   * PyTorch's `model[start:end]`: a Sequential of the same layer objects (shared, as PyTorch's),
   * negative indices from the end. Nothing is re-initialised: the layers keep their values even
   * where the slice gives them another consumer (a feature extractor cut before the head).
   */
  slice(start = 0, end = this._layers.length): Sequential {
    if (!Number.isInteger(start) || !Number.isInteger(end)) throw new Error(`Sequential.slice: start and end must be integers, got ${String(start)}, ${String(end)}`);
    const s = new Sequential();
    s._layers.push(...this._layers.slice(start, end));
    return s;
  }

  override namedChildren(): Array<[string, Module]> {
    return this._layers.map((m, i) => [String(i), m]);
  }

  forward(x: Tensor): Tensor {
    // The entry of an outermost Sequential is a safe point of the automatic memory (src/memory.ts);
    // under noGrad one that keeps the input, which the first layer is about to read (layerEntry).
    if (Sequential._depth === 0) {
      if (isGradEnabled()) maybeBoundary();
      else layerEntry(x);
    }
    Sequential._depth++;
    try {
      return this.forwardLayers(x);
    } finally {
      Sequential._depth--;
    }
  }

  /**
   * Every layer's output, running the layers one by one (no fusion): the monitors' view of a
   * forward pass. Values are bit-identical to forward()'s; the outputs are the caller's.
   */
  trace(x: Tensor): Tensor[] {
    if (Sequential._depth === 0) maybeBoundary();
    const outs: Tensor[] = [];
    let h = x;
    for (const [i, m] of this._layers.entries()) {
      try {
        h = m.forward(h);
      } catch (e) {
        throw inLayer(e, i, m);
      }
      outs.push(h);
    }
    return outs;
  }

  /** Nesting depth of Sequential.forward calls in progress. */
  private static _depth = 0;

  private forwardLayers(x: Tensor): Tensor {
    let y = x;
    let owned: Tensor[] | null = null;
    const layers = this._layers;
    let producer = -1; // the layer whose output y is (−1: the input)
    // Earlier outputs of built-in layers that share y's storage (a view layer such as Flatten
    // returns its input's storage reshaped): released together with y, so that none of them
    // keeps a view of a block that was freed and handed out again. null: one of them may be
    // kept by its layer, so y is not released either.
    let sharing: Tensor[] | null = [];
    const order = Sequential._fuse ? forwardOrder(layers) : null;
    for (let j = 0; j < layers.length; j++) {
      const i = order === null ? j : order[j];
      const prev = y;
      const prevSharing: Tensor[] | null = sharing;
      const act = Sequential._fuse ? fusedActivation(layers, i) : null;
      try {
        if (act !== null) {
          const lin = layers[i] as Linear;
          y = linearActivation(prev, lin.weight, lin.bias, getActivation(act.activation).kernel!, act.param);
        } else y = layers[i].forward(y);
      } catch (e) {
        throw inLayer(e, i, layers[i]);
      }
      const pure = producer >= 0 && prev !== x && prev.data !== x.data && isPureLayer(layers[producer]) && isPureLayer(layers[i]);
      if (y.data === prev.data) sharing = pure && prevSharing !== null ? [...prevSharing, prev] : null;
      else sharing = [];
      // `prev`, made by built-in layer `producer` and consumed by built-in layer i (neither
      // keeps its input or output), is unreachable outside the graph. Under noGrad (or with
      // nothing requiring grad) nothing reads it again: free it now. Otherwise backward() frees
      // it (Tensor._graphOwned). This keeps a synchronous training loop's memory flat, where the
      // garbage collector could only return these wasm blocks once the loop yields.
      if (pure && prev.data !== y.data && prevSharing !== null) {
        if (y.node === null && prev.node === null && prevSharing.every((t) => t.node === null)) {
          prev.dispose();
          for (const t of prevSharing) t.dispose();
        } else (owned ??= []).push(prev, ...prevSharing);
      }
      // A fused pair is never reordered (forwardOrder), so layer i + 1 is at position j + 1.
      if (act !== null) j++;
      producer = act !== null ? i + 1 : i;
    }
    if (owned) for (const t of owned) if (t.data !== y.data && t.node !== null) t._graphOwned = true;
    return y;
  }
}

/** A Sequential's layer must be a Module instance; the error says what was given instead and how to fix it. */
function checkLayer(m: unknown, where: string): void {
  if (m instanceof Module) return;
  if (typeof m === 'function' && m.prototype instanceof Module) throw new Error(`Sequential: ${where} is the class ${m.name}, not a layer: write new nn.${m.name}(…)`);
  if (typeof m === 'function') {
    throw new Error(`Sequential: ${where} is a function, not a Module: wrap it in a Module whose forward(x) calls it (PyTorch's Lambda: class Lambda extends nn.Module { constructor(fn) { super(); this.fn = fn; } forward(x) { return this.fn(x); } })`);
  }
  throw new Error(`Sequential: ${where} is not a Module (got ${m === null ? 'null' : Array.isArray(m) ? 'an array: spread it, new nn.Sequential(...layers)' : typeof m})`);
}

/**
 * A layer's error with the layer named: "Sequential layer 3 (Linear(inFeatures=5, …)): linear:
 * input of shape [8, 4] does not match weight [3, 5] …". Nested Sequentials extend the path
 * ("layer 2.0"); the error itself (its class, its cause) is kept, so callers that test for a
 * RangeError (out of memory) still see one.
 */
function inLayer(e: unknown, i: number, m: Module): unknown {
  if (!(e instanceof Error)) return e;
  const t = e as Error & { _layerPath?: string; _layerMessage?: string; _layer?: string };
  t._layerMessage ??= e.message;
  t._layer ??= String(m);
  t._layerPath = t._layerPath === undefined ? String(i) : `${i}.${t._layerPath}`;
  e.message = `Sequential layer ${t._layerPath} (${t._layer}): ${t._layerMessage}`;
  return e;
}
