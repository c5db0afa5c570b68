/**
 * Reverse-mode automatic differentiation.
 *
 * Each op that sees an input requiring gradients gives its output a `Node`: the inputs and
 * a backward closure written beside the forward (micrograd's pattern). `backward()` orders
 * the graph topologically from the root and runs the closures in reverse. Gradients of
 * leaves accumulate in `.grad` across calls, as in PyTorch; gradients of intermediate
 * tensors live only during the walk (unless `retainGrad()` was called), and the graph is
 * freed afterwards unless `retainGraph` is set.
 */
import { K, alloc, dtypeOf, setAllocObserver } from './kernels/index.js';
import type { FloatArray } from './kernels/types.js';
import { Tensor, formatShape } from './tensor.js';
import { graphMoved, markArrayPersistent, maybeBoundary } from './memory.js';
import { checkOptions } from './options.js';

/** A gradient buffer and how to combine with it: out ← β·out + ∂L/∂input, β ∈ {0, 1}. */
export interface GradTarget {
  data: FloatArray;
  /**
   * 0: nothing has been accumulated here yet and the contents are unspecified (a fresh
   * buffer, or a parameter gradient zeroed lazily by `zeroGrad(false)`); the op must write
   * every element, ignoring what is there (NaN included), as BLAS does for β = 0.
   * 1: accumulate.
   */
  beta: 0 | 1;
}

/**
 * How a backward closure reaches the gradient buffers of its inputs. Both return null when
 * input `i` does not require a gradient (the closure then skips its work).
 */
export interface GradSink {
  /** The buffer into which the gradient of input `i` must be accumulated (zero-filled if new). */
  (i: number): FloatArray | null;
  /**
   * For ops whose kernels write a whole gradient with a β (GEMM, sumAxis, unaryBackward, BatchNorm, the fused Linear + activation, conv2d's fused kernels, max pooling, reshape when it cannot adopt):
   * the buffer and β. A fresh gradient is then written once instead of zero-filled and
   * accumulated into, which spares two passes over it (one per parameter and per hidden
   * activation in every training step).
   */
  target(i: number): GradTarget | null;
  /**
   * For ops whose input gradient equals their output gradient (a view's backward, an addition's
   * first operand): hand the output gradient itself to input i, which the walk would otherwise
   * free after the op (as PyTorch passes the same gradient tensor on). False, taking nothing,
   * when input i is a leaf (its `.grad` is the user's), already has a gradient, appears twice
   * among the inputs, or differs in size or dtype: then use `target`.
   */
  adopt(i: number): boolean;
}

export interface Node {
  /** Op name, for error messages and debugging. */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Accumulate ∂L/∂inputs given gOut = ∂L/∂output. */
  backward(gOut: FloatArray, grad: GradSink): void;
  /**
   * Return op-internal buffers saved for backward (softmax probabilities, dropout masks),
   * which nobody outside the op can reach; called once when backward frees the graph (and by
   * record() at once when it attaches no node).
   */
  release?(): void;
  /** The sum of the inputs' `_version` when the op ran (checkVersions). */
  readonly version?: number;
}

/** Marks a tensor whose graph was freed by a previous backward. */
const FREED: Node = {
  op: 'freed',
  inputs: [],
  backward() {
    throw new Error(
      'Trying to backward through the graph a second time: its intermediate results were freed. ' +
        'Pass {retainGraph: true} to the first backward() if you need to backward twice.',
    );
  },
};

let gradEnabled = true;

/** Whether ops currently record the graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Run `fn` without recording the graph (inference, weight updates). Synchronous only:
 * the flag is restored when `fn` returns.
 */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
    // The end of an outermost noGrad is a safe point of the automatic memory (src/memory.ts).
    if (prev) maybeBoundary();
  }
}

/**
 * A leaf's gradient storage: the spare kept by zeroGrad() (contents unspecified) or fresh
 * memory; persistent (src/memory.ts), so it stays in wasm memory across steps — unless the leaf
 * itself is step-local (an input made this step with requiresGrad: saliency maps, adversarial
 * examples), whose gradient moves to JS memory with it at the next boundary. Persistent, a
 * gradient per step waited for the garbage collector and an event-loop turn: 1.5 kB a step for
 * a [32, 12] input in a synchronous loop (test/memory.test.ts).
 */
function leafGradStorage(t: Tensor, zero: boolean): FloatArray {
  const spare = t._takeGradSpare();
  if (spare !== null) {
    if (zero) K.fill(spare, 0);
    return spare;
  }
  const data = alloc(t.size, t.dtype, zero);
  return t._young ? data : markArrayPersistent(data);
}

/**
 * Ops whose backward reads none of its inputs' values (∂(a + b) = 1, a reshape moves the
 * gradient): an input changed in place after them leaves their gradient right, as in PyTorch,
 * which checks only the tensors an op saved.
 */
const READS_NO_INPUT = new Set(['add', 'sub', 'neg', 'sum', 'mean', 'cat', 'stack', 'permute', 'reshape', 'view', 'flatten', 'unsqueeze', 'squeeze', 'narrow', 'transpose', 'expand', 'to']);

/**
 * PyTorch's "one of the variables needed for gradient computation has been modified by an
 * inplace operation": an input changed since `node`'s op read it (an in-place method under
 * noGrad, optimizer.step() between forward and backward, as a GAN's generator step through a
 * discriminator just stepped) would make its backward use the new values: wrong gradients,
 * without a word. Versions only grow, so their sum changes exactly when one of them did.
 */
function checkVersions(node: Node): void {
  if (READS_NO_INPUT.has(node.op)) return;
  let version = 0;
  for (const x of node.inputs) version += x._version;
  if (version !== node.version) {
    const changed = node.inputs.map((x) => formatShape(x.shape)).join(', ');
    throw new Error(
      `backward(): one of the variables needed for gradient computation has been modified by an inplace operation: an input of ${node.op} (inputs of shape ${changed}) ` +
        'was changed in place after the forward read it (an in-place method such as mul_() or copy_(), or optimizer.step() before this backward), so its gradient would use the new values. ' +
        'Run the forward again after the change, or change a clone() (PyTorch raises the same error)',
    );
  }
}

/**
 * Attach a node to `out` if grad mode is on and any input requires a gradient.
 * The closure is only kept when it can be needed; when no node is attached (noGrad, or no
 * input needs a gradient: evaluation, frozen layers) `release` runs at once, since no backward
 * will read the buffers it returns — otherwise they would wait for the garbage collector and
 * an event-loop turn, never inside a synchronous loop.
 */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: Node['backward'], release?: () => void): Tensor {
  if (gradEnabled) {
    for (const t of inputs) {
      if (t._requiresGrad) {
        out._requiresGrad = true; // the field itself: out has no node yet, and this loop runs for every op
        let version = 0;
        for (const x of inputs) {
          x._consumed = true;
          version += x._version;
        }
        out.node = release ? { op, inputs, backward, release, version } : { op, inputs, backward, version };
        if (scope !== null) scope.outputs.push(out);
        return out;
      }
    }
  }
  release?.();
  return out;
}

interface Scope {
  outputs: Tensor[];
  /** Storage allocated while the scope was open (only this may be released). */
  allocated: Set<FloatArray>;
}

let scope: Scope | null = null;

/**
 * An optional optimisation for training loops: run `fn` (forward, loss, backward, optimizer
 * step) and, when it returns, free the storage of every tensor that a recorded op produced
 * inside it (activations, the loss), except the tensors in `keep` and whatever `fn` returns
 * if it is a Tensor. Leaves (inputs, parameters), parameter gradients and optimizer state are
 * never touched; outputs that share a leaf's storage (reshape of an input) are skipped.
 *
 * Not needed for flat memory: the automatic memory (src/memory.ts) moves a step's tensors that
 * are still reachable out of wasm memory at the step boundary (optimizer.step/zeroGrad), one
 * copy each. stepScope frees them instead, sparing that copy, when the loop knows it keeps
 * nothing of the step.
 *
 * Contract: after the scope, a released tensor has no storage (reading `.data` throws, saying
 * so); read `loss.item()` or any statistics inside `fn`, or pass the tensors to `keep`. Scopes
 * do not nest (an inner scope joins the outer one). Tensors a step boundary inside the scope
 * already moved to JS memory are kept (they are valid and cost no wasm memory).
 */
export function stepScope<T>(fn: () => T, keep: readonly Tensor[] = []): T {
  if (scope !== null) return fn();
  const s: Scope = { outputs: [], allocated: new Set() };
  scope = s;
  setAllocObserver((a) => s.allocated.add(a));
  let result: T;
  try {
    result = fn();
  } finally {
    scope = null;
    setAllocObserver(null);
  }
  const kept = new Set<FloatArray>();
  for (const t of keep) kept.add(t._data);
  if (result instanceof Tensor) kept.add(result._data);
  for (const t of s.outputs) {
    if (!kept.has(t._data) && s.allocated.has(t._data)) t.dispose();
  }
  return result;
}

export interface BackwardOptions {
  /** Keep the graph so that backward can run through it again. */
  retainGraph?: boolean;
}

/** Where a leaf's gradient accumulates: its `.grad` storage and β (0 when nothing is there yet, see GradTarget). */
function leafTarget(t: Tensor): GradTarget {
  const held = t._grad;
  if (held === null) {
    const data = leafGradStorage(t, false);
    t._grad = new Tensor(data, t.shape.slice());
    return { data, beta: 0 };
  }
  if (t._gradZeroPending) {
    t._gradZeroPending = false;
    return { data: held.data, beta: 0 };
  }
  return { data: held.data, beta: 1 };
}

/** A gradient the walk will free, copied into a tensor of `shape` for the caller. */
function copyOf(g: FloatArray, shape: readonly number[]): Tensor {
  const out = new Tensor(alloc(g.length, dtypeOf(g), false), shape.slice());
  K.copy(g, out.data);
  return out;
}

/**
 * PyTorch's torch.autograd.grad(outputs, inputs, grad_outputs, retain_graph, allow_unused): the
 * gradients of `output` with respect to each of `inputs` (leaves or intermediate tensors),
 * returned as new tensors — no `.grad` changes, so `autograd.grad(loss, model.parameters())`
 * measures gradients without touching the optimizer's. `gradOutput` as backward's `gradient`.
 * An input the output does not depend on is an error, or null with `allowUnused`. Higher-order
 * gradients (createGraph) are not supported: the walk records no graph of its own.
 */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | Iterable<Tensor>,
  gradOutputs?: Tensor | readonly (Tensor | null)[] | null | GradOptions,
  options: GradOptions = {},
): Array<Tensor | null> {
  const where = 'autograd.grad()';
  if (gradOutputs !== undefined && gradOutputs !== null && !(gradOutputs instanceof Tensor) && !Array.isArray(gradOutputs)) [gradOutputs, options] = [undefined, gradOutputs as GradOptions];
  checkOptions(where, options, ['retainGraph', 'createGraph', 'allowUnused']);
  if (options.createGraph === true) throw new Error(`${where}: createGraph (higher-order gradients) is not supported: gradlab's backward records no graph`);
  const outs = outputs instanceof Tensor ? [outputs] : Array.isArray(outputs) ? outputs : null;
  if (outs === null || outs.length !== 1 || !(outs[0] instanceof Tensor)) throw new Error(`${where}: outputs must be one Tensor (the loss), or an array holding one; got ${outs === null ? typeof outputs : `${outs.length} outputs (sum them first)`}`);
  const root = outs[0];
  const list = inputs instanceof Tensor ? [inputs] : inputs !== null && typeof inputs === 'object' && Symbol.iterator in inputs ? [...inputs] : null;
  if (list === null || list.length === 0 || !list.every((t) => t instanceof Tensor)) throw new Error(`${where}: inputs must be a Tensor or a list of Tensors (model.parameters()), got ${list === null ? typeof inputs : list.length === 0 ? 'an empty list' : 'a list holding something else'}`);
  list.forEach((t, i) => {
    if (!t.requiresGrad) throw new Error(`${where}: input ${i} (shape ${formatShape(t.shape)}) does not require grad`);
  });
  if (!root.requiresGrad) throw new Error(`${where}: the output does not require grad and has no graph (was it computed under noGrad?)`);
  const seed = seedOf(where, root, Array.isArray(gradOutputs) ? gradOutputs[0] : (gradOutputs as Tensor | null | undefined));
  const capture = new Map<Tensor, Tensor | null>(list.map((t) => [t, null]));
  walk(root, seed, options.retainGraph === true, capture);
  return list.map((t, i) => {
    const r = capture.get(t) ?? null;
    if (r === null && options.allowUnused !== true) throw new Error(`${where}: input ${i} (shape ${formatShape(t.shape)}) was not used in the graph of the output; pass {allowUnused: true} to get null for it`);
    return r;
  });
}

/** autograd.grad's options, PyTorch's keywords in camelCase. */
export interface GradOptions {
  retainGraph?: boolean;
  createGraph?: boolean;
  allowUnused?: boolean;
}

/** `.grad` of leaf `t` ← `.grad` + g. */
function addToLeaf(t: Tensor, g: FloatArray): void {
  const target = leafTarget(t);
  if (target.beta === 0) K.copy(g, target.data);
  else K.axpy(1, g, target.data);
}

/**
 * Run `t`'s gradient hooks (Tensor.registerHook) on its complete gradient `g`, in registration
 * order and under noGrad, as PyTorch: each gets its own copy (the walk frees `g` after use), and
 * a Tensor one returns replaces the gradient, in `g`, for the next hook and the rest of the walk.
 */
function runHooks(t: Tensor, g: FloatArray): void {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    for (const hook of [...t._hooks!]) {
      const copy = new Tensor(alloc(g.length, dtypeOf(g), false), t.shape.slice());
      K.copy(g, copy.data);
      const r = hook(copy);
      if (r === undefined || r === null) continue;
      if (!(r instanceof Tensor) || r.shape.length !== t.shape.length || r.shape.some((d, i) => d !== t.shape[i])) {
        throw new Error(`backward(): a hook registered with registerHook() returned ${r instanceof Tensor ? `a gradient of shape ${formatShape(r.shape)}` : typeof r}; it must return nothing or a Tensor of the tensor's shape ${formatShape(t.shape)}`);
      }
      if (r.dtype === dtypeOf(g)) K.copy(r.data, g);
      else g.set(r.data);
    }
  } finally {
    gradEnabled = prev;
  }
}

/** Topological order (inputs before outputs) of the tensors that require gradients below `root`. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: deep networks would overflow the call stack of a recursive one.
  const stack: Array<[Tensor, number]> = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Backpropagate from `root`. `gradient` defaults to 1 for a one-element root, and must be
 * given (with root's shape) otherwise, as in PyTorch. As PyTorch's `backward(gradient=None,
 * retain_graph=None)`: `gradient` may be null, the options may come first
 * (`loss.backward({retainGraph: true})`) and may be the bare boolean `retainGraph`.
 */
export function backward(root: Tensor, gradient?: Tensor | null | BackwardOptions, options: BackwardOptions | boolean = {}): void {
  if (gradient !== undefined && gradient !== null && !(gradient instanceof Tensor)) {
    if (typeof gradient !== 'object' || Array.isArray(gradient) || ArrayBuffer.isView(gradient)) {
      const got = Array.isArray(gradient) || ArrayBuffer.isView(gradient) ? 'an array (make it one with tensor([...]))' : `${typeof gradient} ${String(gradient)}`;
      throw new Error(`backward(): gradient must be a Tensor of the output's shape ${formatShape(root.shape)}, got ${got}`);
    }
    [gradient, options] = [undefined, gradient];
  }
  if (typeof options === 'boolean') options = { retainGraph: options };
  checkOptions('backward()', options, ['retainGraph']);
  if (!root.requiresGrad) {
    throw new Error('backward(): the tensor does not require grad and has no graph (was it computed under noGrad, or from tensors without requiresGrad?)');
  }
  walk(root, seedOf('backward()', root, gradient), options.retainGraph === true, null);
}

/**
 * The walk's starting gradient ∂L/∂root: 1 for a one-element root when `gradient` is not given,
 * else a copy of `gradient`, which must have root's shape.
 */
function seedOf(where: string, root: Tensor, gradient: Tensor | null | undefined): FloatArray {
  if (gradient === undefined || gradient === null) {
    if (root.size !== 1) {
      throw new Error(`${where}: grad can be implicitly created only for one-element outputs; output has shape ${formatShape(root.shape)}. Pass a gradient (as backward(onesLike(out)) for the sum of its elements).`);
    }
    const seed = alloc(1, root.dtype);
    seed[0] = 1;
    return seed;
  }
  // The shape, not just the size, must match (as PyTorch): a [4] gradient for a [2, 2]
  // output is almost certainly laid out for another tensor.
  if (!(gradient instanceof Tensor) || gradient.shape.length !== root.shape.length || gradient.shape.some((d, i) => d !== root.shape[i])) {
    throw new Error(`${where}: gradient of shape ${gradient instanceof Tensor ? formatShape(gradient.shape) : typeof gradient} does not match output shape ${formatShape(root.shape)}`);
  }
  const seed = alloc(root.size, root.dtype);
  K.copy(gradient.data, seed);
  return seed;
}

/**
 * The reverse walk from `root` with gradient `seed` (taken over: freed here). `capture` (autograd.grad):
 * the gradients of these tensors are collected into the map instead, and no leaf's `.grad` changes.
 */
function walk(root: Tensor, seed: FloatArray, retainGraph: boolean, capture: Map<Tensor, Tensor | null> | null): void {
  const options = { retainGraph };
  const order = topoOrder(root);
  // Tensors of this graph moved to JS memory by a boundary past the budget: let it grow.
  for (const t of order) {
    if (t._evicted) {
      graphMoved();
      break;
    }
  }
  const grads = new Map<Tensor, FloatArray>();
  grads.set(root, seed);

  /** A leaf whose gradient is not wanted (autograd.grad of other tensors): its ops skip it. */
  const skipped = (t: Tensor) => capture !== null && t.node === null && !capture.has(t);
  /**
   * A tensor whose gradient collects in the walk's map: non-leaves, and leaves with hooks (which
   * see, and may replace, the whole gradient before it is added to `.grad`) or captured.
   */
  const inMap = (t: Tensor) => t.node !== null || t._hooks !== null || capture !== null;
  const bufferFor = (t: Tensor): FloatArray | null => {
    if (!t.requiresGrad || skipped(t)) return null;
    if (!inMap(t)) {
      // _peekGrad zero-fills a gradient that zeroGrad(false) left pending.
      let held = t._peekGrad();
      if (held === null) t._grad = held = new Tensor(leafGradStorage(t, true), t.shape.slice());
      return held._data;
    }
    let g = grads.get(t);
    if (g === undefined) {
      g = alloc(t.size, t.dtype);
      grads.set(t, g);
    }
    return g;
  };
  const targetFor = (t: Tensor): GradTarget | null => {
    if (!t.requiresGrad || skipped(t)) return null;
    if (!inMap(t)) return leafTarget(t);
    let g = grads.get(t);
    if (g !== undefined) return { data: g, beta: 1 };
    g = alloc(t.size, t.dtype, false);
    grads.set(t, g);
    return { data: g, beta: 0 };
  };
  /** The output gradient an op handed to an input (GradSink.adopt): the walk keeps it. */
  let adopted: FloatArray | null = null;
  const sinkFor = (inputs: readonly Tensor[], gOut: FloatArray): GradSink => {
    const sink = ((i: number) => bufferFor(inputs[i])) as GradSink;
    sink.adopt = (i: number) => {
      const t = inputs[i];
      if (adopted === gOut || !t.requiresGrad || t.node === null || grads.has(t) || inputs.indexOf(t) !== i || inputs.lastIndexOf(t) !== i) return false;
      if (gOut.length !== t.size || dtypeOf(gOut) !== t.dtype) return false;
      grads.set(t, gOut);
      adopted = gOut;
      return true;
    };
    sink.target = (i: number) => {
      const t = inputs[i];
      // An input passed twice (x·x, matmul(a, a)): its second gradient must add to the first,
      // which the op may not have written yet when it asks; accumulate into zeros instead.
      if (inputs.indexOf(t) !== i || inputs.lastIndexOf(t) !== i) {
        const data = bufferFor(t);
        return data === null ? null : { data, beta: 1 };
      }
      return targetFor(t);
    };
    return sink;
  };

  // The root may itself be a leaf (x.backward() on a parameter).
  if (root.node === null) {
    if (root._hooks !== null) runHooks(root, seed);
    if (capture === null) addToLeaf(root, seed);
    else if (capture.has(root)) capture.set(root, copyOf(seed, root.shape));
    K.free(seed);
    return;
  }

  try {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const node = t.node;
      const g = grads.get(t);
      if (g === undefined) continue;
      if (t._hooks !== null) runHooks(t, g);
      if (capture?.has(t)) capture.set(t, copyOf(g, t.shape));
      if (node === null) {
        // A leaf with hooks (bufferFor): its whole gradient, after the hooks, goes to `.grad`.
        if (capture === null) addToLeaf(t, g);
        grads.delete(t);
        K.free(g);
        continue;
      }
      if (t.retainsGrad && capture === null) {
        if (t.grad === null) t.grad = new Tensor(alloc(t.size, t.dtype), t.shape.slice());
        K.axpy(1, g, t.grad.data);
      }
      const inputs = node.inputs;
      if (node.version !== undefined) checkVersions(node);
      node.backward(g, sinkFor(inputs, g));
      grads.delete(t);
      // g was allocated by this walk and nobody else holds it (retainGrad copied it above):
      // returning it now lets the next node's gradient reuse the block — unless an input took it.
      if (adopted !== g) K.free(g);
      adopted = null;
      if (!options.retainGraph) {
        node.release?.();
        t.node = FREED;
      }
    }
  } catch (e) {
    // A backward that throws (a second backward through a freed graph, a user Function's
    // backward): the walk's own gradient buffers are raw blocks that no tensor owns, so no
    // boundary would ever return them; they go back now (an adopted one is in the map once).
    for (const g of new Set(grads.values())) K.free(g);
    throw e;
  }
  if (!options.retainGraph) {
    // Every closure that read them has run and the graph is gone.
    for (const t of order) if (t._graphOwned) t.dispose();
  }
  maybeBoundary();
}
