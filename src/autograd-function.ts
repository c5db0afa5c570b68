/**
 * User-defined differentiable functions, as torch.autograd.Function: a subclass gives a static
 * `forward(ctx, ...args)` that computes the output from tensors (and any other arguments) and a
 * static `backward(ctx, gradOutput)` that returns ∂L/∂input for each argument of forward (a
 * Tensor of the input's shape, or null for an argument that is not a Tensor or needs none).
 * `MyFunction.apply(...args)` runs it and records one node of the graph, so the rest of autograd
 * treats it as any built-in op:
 *
 *   class LegendrePolynomial3 extends autograd.Function {
 *     static forward(ctx, x) { ctx.saveForBackward(x); return x.pow(3).mul(5).sub(x.mul(3)).mul(0.5); }
 *     static backward(ctx, g) { const [x] = ctx.savedTensors; return g.mul(x.pow(2).mul(5).sub(1).mul(1.5)); }
 *   }
 *   const P3 = LegendrePolynomial3.apply;  // detached from the class, as PyTorch's habit
 *
 * As in PyTorch, forward and backward run without recording (noGrad): the function is one node,
 * its inside is opaque to autograd, and backward's result is not differentiated again.
 */
import { isGradEnabled, noGrad, record } from './autograd.js';
import { alloc } from './kernels/index.js';
import { pointSnakeCase } from './options.js';
import { Tensor, formatShape } from './tensor.js';
// torch.autograd.grad and torch.autograd.backward, as the namespace has them.
export { grad, backward, type GradOptions } from './autograd.js';

/** What forward hands to backward (PyTorch's ctx). */
export class FunctionCtx {
  /** For each argument of forward: whether it is a Tensor that requires a gradient (PyTorch's needs_input_grad). */
  readonly needsInputGrad: readonly boolean[];
  private _saved: Tensor[] = [];
  /** @internal */
  constructor(needsInputGrad: boolean[]) {
    this.needsInputGrad = needsInputGrad;
  }
  /** Keep tensors for backward (PyTorch's save_for_backward). */
  saveForBackward(...tensors: Tensor[]): void {
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor) && t !== null && t !== undefined) throw new Error(`saveForBackward: argument ${i} is not a Tensor (got ${typeof t}); keep other values as fields of ctx (ctx.alpha = …)`);
    });
    this._saved = tensors;
  }
  /** The tensors given to saveForBackward, in order (PyTorch's saved_tensors). */
  get savedTensors(): Tensor[] {
    return this._saved;
  }
}

type ForwardFn = (ctx: FunctionCtx, ...args: any[]) => Tensor; // eslint-disable-line @typescript-eslint/no-explicit-any
type BackwardFn = (ctx: FunctionCtx, gradOutput: Tensor) => Tensor | null | undefined | ReadonlyArray<Tensor | null | undefined>;

// Named Function as PyTorch's (autograd.Function); inside this module it shadows the global, which it does not use.
export class Function {
  /** Compute the output; override in the subclass (static). */
  static forward(_ctx: FunctionCtx, ..._args: unknown[]): Tensor {
    throw new Error(`${this.name}: define static forward(ctx, ...inputs) returning a Tensor`);
  }

  /** ∂L/∂input for each argument of forward, given ∂L/∂output; override in the subclass (static). */
  static backward(_ctx: FunctionCtx, _gradOutput: Tensor): Tensor | null | undefined | ReadonlyArray<Tensor | null | undefined> {
    throw new Error(`${this.name}: define static backward(ctx, gradOutput) returning the gradient of each input`);
  }

  /**
   * Run the function on `args` and record it in the graph. A getter returning a bound function,
   * so `const P3 = LegendrePolynomial3.apply` works detached, as PyTorch users write it.
   */
  static get apply(): (...args: unknown[]) => Tensor {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const cls = this;
    return (...args: unknown[]) => applyFunction(cls.name, cls.forward.bind(cls) as ForwardFn, cls.backward.bind(cls) as BackwardFn, args);
  }

  constructor() {
    throw new Error(`${new.target.name}: an autograd.Function is not instantiated; call ${new.target.name}.apply(...inputs)`);
  }
}

function applyFunction(name: string, forward: ForwardFn, backward: BackwardFn, args: unknown[]): Tensor {
  const inputs = args.map((a) => (a instanceof Tensor ? a : null));
  const ctx = new FunctionCtx(inputs.map((t) => t !== null && t.requiresGrad && isGradEnabled()));
  let out = noGrad(() => forward(ctx, ...args));
  if (!(out instanceof Tensor)) throw new Error(`${name}.forward must return a Tensor, got ${out === null ? 'null' : Array.isArray(out) ? 'an array (one output per Function is supported)' : typeof out}`);
  // A tensor that existed before (an input, a parameter, a saved one) returned as it is gets its
  // own output tensor: the node must not be attached to a tensor someone else holds.
  if (inputs.includes(out) || out.requiresGrad || out.node !== null || ctx.savedTensors.includes(out)) out = noGrad(() => out.clone());
  const tensorArgs = inputs.flatMap((t, i) => (t === null ? [] : [{ t, i }]));
  const shape = out.shape;
  const dtype = out.dtype;
  return record(out, name, tensorArgs.map((a) => a.t), (g, grad) => {
    const gData = alloc(g.length, dtype);
    gData.set(g);
    const gradOutput = new Tensor(gData, shape);
    const result = noGrad(() => backward(ctx, gradOutput));
    const grads = Array.isArray(result) ? result : [result];
    if (grads.length !== args.length) {
      throw new Error(`${name}.backward returned ${grads.length} gradient${grads.length === 1 ? '' : 's'}, forward took ${args.length} argument${args.length === 1 ? '' : 's'}: return one per argument (null for those that need none)`);
    }
    tensorArgs.forEach(({ t, i }, k) => {
      const gi = grads[i];
      const gx = grad(k);
      if (gi === null || gi === undefined || gx === null) return;
      if (!(gi instanceof Tensor)) throw new Error(`${name}.backward: gradient ${i} must be a Tensor or null, got ${typeof gi}`);
      if (formatShape(gi.shape) !== formatShape(t.shape)) throw new Error(`${name}.backward: gradient ${i} has shape ${formatShape(gi.shape)}, input ${i} has shape ${formatShape(t.shape)}`);
      const d = gi.data;
      for (let j = 0; j < gx.length; j++) gx[j] += d[j];
    });
    grads.forEach((gi, i) => {
      if (gi !== null && gi !== undefined && inputs[i] === null) throw new Error(`${name}.backward: gradient ${i} is given but argument ${i} of forward is not a Tensor; return null for it`);
    });
  });
}

// ctx.save_for_backward(x), ctx.saved_tensors, ctx.needs_input_grad: errors naming gradlab's spelling.
pointSnakeCase(FunctionCtx, ['needsInputGrad']);
