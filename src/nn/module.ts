/**
 * Module and Parameter: one contract for every layer (convnetjs' lesson): forward, the
 * parameters with their gradients, train/eval mode, and state serialisation.
 *
 * As in PyTorch, a module's parameters, buffers and children are its fields: a field holding
 * a Parameter is a parameter, another Tensor a buffer (running statistics), a Module a child.
 * State-dict keys are the field names in snake_case (runningMean → running_mean), joined by
 * dots along the module path, which gives PyTorch's keys for the same architecture.
 *
 * Containers: a field holding an nn.ModuleList or nn.ModuleDict is a child whose children are
 * '0', '1', … or the keys (`blocks.0.lin1.weight`, as PyTorch). A plain array of modules in a
 * field counts exactly as a ModuleList over that array, and a plain object whose values are
 * modules as a ModuleDict (both read afresh each time, so pushing to the array registers the
 * new module). Modules kept any other way — an array or object mixing modules with other
 * values, nested arrays, a Map or Set, an array of Parameters — are an error at first use
 * (parameters(), train(), stateDict(), …), never silently left out.
 */
import { K, alloc, allocShape } from '../kernels/index.js';
import type { DType } from '../kernels/types.js';
import { Tensor, formatShape, parseDtype, showValue } from '../tensor.js';
import { ABSENT_DEVICE_METHODS, checkBool, checkOptions, pointAbsent, pointSnakeCase } from '../options.js';
import { markPersistent, zeroGradBoundary } from '../memory.js';
import { markUserSet } from '../weight-origin.js';
import { isGradEnabled, record } from '../autograd.js';
import { addHook, type RemovableHandle } from '../hooks.js';

/** One entry of a state dict: a Tensor, or its shape and values (integer and int64 data accepted). */
export type StateEntry = Tensor | { shape: readonly number[]; data: ArrayLike<number> | BigInt64Array | BigUint64Array };
/** A state dict: a plain object or a Map from PyTorch's keys to entries. */
export type StateDictSource = Record<string, StateEntry> | ReadonlyMap<string, StateEntry>;

/**
 * A trainable tensor sharing `t`'s storage, as torch.nn.Parameter(data, requires_grad=True);
 * its storage is persistent (src/memory.ts): it stays in wasm memory.
 */
export class Parameter extends Tensor {
  constructor(t: Tensor, requiresGrad: boolean | { requiresGrad?: boolean } = true) {
    if (!(t instanceof Tensor)) throw new Error(`nn.Parameter: expected a Tensor (nn.Parameter(randn(3, 4))), got ${describeValue(t)}`);
    if (typeof requiresGrad === 'object' && requiresGrad !== null) {
      checkOptions('nn.Parameter', requiresGrad, ['requiresGrad']);
      requiresGrad = requiresGrad.requiresGrad ?? true;
    }
    if (typeof requiresGrad !== 'boolean') throw new Error(`nn.Parameter: requiresGrad must be true or false, got ${String(requiresGrad)}`);
    super(t.data, t.shape, requiresGrad);
    markPersistent(this);
  }
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

/** PyTorch's forward hook: `hook(module, input, output)`; `input` is the array of forward's arguments; a value it returns replaces the output. */
export type ForwardHook = (module: Module, input: unknown[], output: any) => unknown;
/** PyTorch's forward pre-hook: `hook(module, input)`; a value it returns replaces the arguments (an array, or one value). */
export type ForwardPreHook = (module: Module, input: unknown[]) => unknown;
/**
 * PyTorch's full backward hook: `hook(module, gradInput, gradOutput)`, the gradients with respect
 * to forward's arguments (null for an argument without a gradient) and to its output; an array it
 * returns replaces gradInput.
 */
export type BackwardHook = (module: Module, gradInput: Array<Tensor | null>, gradOutput: Array<Tensor | null>) => unknown;
/** PyTorch's full backward pre-hook: `hook(module, gradOutput)`; an array it returns replaces gradOutput. */
export type BackwardPreHook = (module: Module, gradOutput: Array<Tensor | null>) => unknown;

interface ModuleHooks {
  forwardPre: ForwardPreHook[];
  forward: ForwardHook[];
  backward: BackwardHook[];
  backwardPre: BackwardPreHook[];
}

export abstract class Module {
  /** Train mode (batch statistics, dropout on) or eval mode. */
  training = true;
  /** @internal The hooks registered on this module (registerForwardHook, …); null before the first. */
  _hooks: ModuleHooks | null = null;

  /**
   * The module's computation (PyTorch's forward, called as `module.forward(x)`). A subclass may take
   * more arguments, as PyTorch's do (`forward(x, mask)`, `forward(input, target)`).
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a subclass's further arguments are its own
  abstract forward(x: Tensor, ...args: any[]): Tensor;

  /**
   * PyTorch's register_forward_hook: after every `forward` of this module, `hook(module, input,
   * output)` — to record each layer's activations: `layer.registerForwardHook((m, input, out) =>
   * stats.push(out.std().item()))`. A value the hook returns replaces the output. Returns a handle:
   * `handle.remove()`. A hooked layer is run on its own inside a Sequential (no fusion with its
   * neighbour), and its input and output are never released early, so the hook may keep them.
   */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    return addHook(`${this.typeName}.registerForwardHook()`, this.hookLists().forward, hook);
  }

  /** PyTorch's register_forward_pre_hook: `hook(module, input)` before every `forward`; a value it returns replaces the arguments. */
  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    return addHook(`${this.typeName}.registerForwardPreHook()`, this.hookLists().forwardPre, hook);
  }

  /**
   * PyTorch's register_full_backward_hook: during backward, once the gradients with respect to
   * this module's inputs are computed, `hook(module, gradInput, gradOutput)` (arrays, one entry per
   * argument of forward / per output; null where there is no gradient — the input of the first
   * layer, when the data does not require grad; the hook then runs once gradOutput is known).
   * An array it returns replaces gradInput (a module with one tensor input). As PyTorch, forward
   * sees its input and output through an identity op (the same storage) when a backward hook is set.
   */
  registerFullBackwardHook(hook: BackwardHook): RemovableHandle {
    return addHook(`${this.typeName}.registerFullBackwardHook()`, this.hookLists().backward, hook);
  }

  /** PyTorch's register_full_backward_pre_hook: `hook(module, gradOutput)` when the gradient of the output is known; an array it returns replaces gradOutput. */
  registerFullBackwardPreHook(hook: BackwardPreHook): RemovableHandle {
    return addHook(`${this.typeName}.registerFullBackwardPreHook()`, this.hookLists().backwardPre, hook);
  }

  /**
   * PyTorch's register_backward_hook is deprecated there (it gave the gradients of the module's
   * last op, not of its inputs); gradlab has only the full hook.
   */
  registerBackwardHook(_hook: BackwardHook): RemovableHandle {
    throw new Error(`${this.typeName}.registerBackwardHook(): deprecated in PyTorch and not in gradlab; use registerFullBackwardHook(hook), which PyTorch recommends (the same hook(module, gradInput, gradOutput))`);
  }

  /** The hook lists, made on first use, and `forward` routed through them (callHooked). */
  private hookLists(): ModuleHooks {
    if (this._hooks !== null) return this._hooks;
    const hooks: ModuleHooks = { forwardPre: [], forward: [], backward: [], backwardPre: [] };
    const inner = this.forward as (...args: unknown[]) => unknown;
    // An own, non-enumerable `forward` (not a field: ownFields skips it) that every caller —
    // user code, Sequential, fit's monitors — reaches through `module.forward(x)`.
    Object.defineProperty(this, 'forward', {
      value: function (this: Module, ...args: unknown[]) {
        return callHooked(this, hooks, inner, args);
      },
      writable: true,
      configurable: true,
      enumerable: false,
    });
    this._hooks = hooks;
    return hooks;
  }

  /** Own fields by kind, in declaration order; fields starting with '_' are private. */
  private ownFields(): Array<[string, unknown]> {
    return Object.entries(this).filter(([k]) => !k.startsWith('_') && k !== 'training');
  }

  /** Child modules with their names (arrays and plain objects of modules as containers, see the header). */
  namedChildren(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    for (const [k, v] of this.ownFields()) {
      const c = childOf(this, k, v);
      if (c !== null) out.push([k, c]);
    }
    return out;
  }

  /** Every module below this one (this one included) with its dotted path ('' for this one). */
  namedModules(prefix = ''): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  /** Parameters with their state-dict keys, this module's own first, then children's. */
  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = [];
    for (const [k, v] of this.ownFields()) if (v instanceof Parameter) out.push([prefix + snake(k), v]);
    for (const [name, child] of this.namedChildren()) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** The direct child modules (PyTorch's children()). */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every module below it (PyTorch's modules()). */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * Call `fn` on every submodule, children before parents, then on this one; returns this
   * (PyTorch's apply, as in `model.apply(initWeights)`). Weights that `fn` writes are the
   * user's (src/weight-origin.ts): a Sequential built from these modules afterwards keeps them.
   */
  apply(fn: (m: Module) => void): this {
    if (typeof fn !== 'function') throw new Error(`${this.typeName}.apply(fn): fn must be a function of a module, got ${showValue(fn)}`);
    for (const c of this.children()) c.apply(fn);
    fn(this);
    return this;
  }

  /**
   * PyTorch's register_buffer / register_parameter / add_module: set the field `name`, which
   * field discovery then finds (a Tensor is a buffer: in stateDict(), not in parameters()).
   * Writing `this.name = …` in the constructor does the same.
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): void {
    if (persistent !== true) throw new Error(`${this.typeName}.registerBuffer('${name}'): non-persistent buffers are not supported; keep the tensor in a field starting with '_' (not in stateDict())`);
    this.setField('registerBuffer', name, tensor, (v) => v instanceof Tensor && !(v instanceof Parameter), 'a Tensor (not a Parameter)');
  }

  /** PyTorch's register_parameter (see registerBuffer). */
  registerParameter(name: string, param: Parameter | null): void {
    this.setField('registerParameter', name, param, (v) => v instanceof Parameter, 'an nn.Parameter');
  }

  /** PyTorch's add_module (see registerBuffer). */
  addModule(name: string, module: Module | null): void {
    this.setField('addModule', name, module, (v) => v instanceof Module, 'a Module');
  }

  private setField(fn: string, name: string, value: unknown, ok: (v: unknown) => boolean, what: string): void {
    const where = `${this.typeName}.${fn}('${String(name)}')`;
    if (typeof name !== 'string' || name === '' || name.includes('.') || name.startsWith('_')) {
      throw new Error(`${where}: the name must be a non-empty string without '.' that does not start with '_' (such fields are private)`);
    }
    if (name === 'training' || (name in this && !Object.prototype.hasOwnProperty.call(this, name))) throw new Error(`${where}: '${name}' is a method or property of ${this.typeName}`);
    if (value !== null && !ok(value)) throw new Error(`${where}: expected ${what} or null, got ${describeValue(value)}`);
    (this as unknown as Record<string, unknown>)[name] = value;
  }

  /** Set requiresGrad on every parameter (PyTorch's requires_grad_, e.g. to freeze a layer); returns this. */
  requiresGrad_(requiresGrad = true): this {
    checkBool(`${this.typeName}.requiresGrad_()`, 'requiresGrad', requiresGrad);
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Buffers (non-parameter state such as running statistics) with their keys. */
  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    // A buffer is module state: persistent storage (src/memory.ts).
    for (const [k, v] of this.ownFields()) if (v instanceof Tensor && !(v instanceof Parameter)) out.push([prefix + snake(k), markPersistent(v)]);
    for (const [name, child] of this.namedChildren()) out.push(...child.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  /** Set train mode on this module and its children. */
  train(mode = true): this {
    // As PyTorch ("training mode is expected to be boolean"): train('false') would train.
    checkBool(`${this.typeName}.train()`, 'mode', mode);
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /**
   * Set every parameter's gradient to null (PyTorch's zero_grad() default), or with
   * `setToNone = false` zero them in place (see Optimizer.zeroGrad).
   */
  zeroGrad(setToNone: boolean | { setToNone?: boolean } = true): void {
    const none = zeroGradMode(`${this.typeName}.zeroGrad()`, setToNone);
    for (const p of this.parameters()) {
      if (none) p.zeroGrad();
      else p.zeroGradInPlace();
    }
    zeroGradBoundary();
  }

  /**
   * Parameters and buffers by key, in PyTorch's order (per module: parameters, then buffers,
   * then children). The tensors are the module's own (as PyTorch's state_dict aliases them):
   * `best = model.stateDict()` follows training. To keep a copy (PyTorch's
   * `copy.deepcopy(model.state_dict())`), `snapshotState(model)`: JS arrays, loadable by loadStateDict.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const visit = (m: Module, prefix: string) => {
      for (const [k, v] of m.ownFields()) if (v instanceof Parameter) out[prefix + snake(k)] = v;
      for (const [k, v] of m.ownFields()) if (v instanceof Tensor && !(v instanceof Parameter)) out[prefix + snake(k)] = v;
      for (const [name, child] of m.namedChildren()) visit(child, `${prefix}${name}.`);
    };
    visit(this, '');
    return out;
  }

  /**
   * Copy values from `state` into this module's parameters and buffers, as PyTorch's
   * load_state_dict. `state` is a plain object or a Map (what `loadSafetensors(…).tensors`
   * returns) of Tensors or `{shape, data}` entries; integer data (PyTorch stores
   * num_batches_tracked as int64: a BigInt64Array) is converted exactly up to 2^53.
   *
   * Every problem is reported at once, in one Error: each missing key, each unexpected key
   * (these two only with `strict`, the default) and each shape mismatch (always, as PyTorch).
   * Nothing is written unless every check passes. Returns the keys that did not match (empty
   * under `strict`). The loaded tensors are the user's: Sequential never re-initialises them.
   */
  loadStateDict(state: StateDictSource, strictOrOptions: boolean | { strict?: boolean } = true): { missingKeys: string[]; unexpectedKeys: string[] } {
    const where = `loadStateDict(${this.typeName})`;
    // loadStateDict(sd, false) or loadStateDict(sd, {strict: false}), as PyTorch's strict=False.
    if (typeof strictOrOptions === 'object') checkOptions(where, strictOrOptions, ['strict']);
    else if (typeof strictOrOptions !== 'boolean') throw new Error(`${where}: strict must be true or false (or {strict}), got ${String(strictOrOptions)}`);
    const strict = typeof strictOrOptions === 'boolean' ? strictOrOptions : (strictOrOptions.strict ?? true);
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new Error(`${where}: the state dict must be a plain object or a Map of tensors, got ${describeValue(state)}`);
    }
    if (!(state instanceof Map) && 'tensors' in state && 'object' in state && 'path' in state) {
      throw new Error(`${where}: this is a whole PyTorch file ({tensors, path, object}, what loadTorchFile returns); pass its .tensors: model.loadStateDict(file.tensors), or from a checkpoint the model's entry of .object: model.loadStateDict(file.object.model_state_dict)`);
    }
    if (!(state instanceof Map) && (state as Record<string, unknown>).tensors instanceof Map && 'metadata' in state) {
      throw new Error(`${where}: this is a whole safetensors file ({tensors, metadata}, what loadSafetensors returns); pass its .tensors: model.loadStateDict(file.tensors)`);
    }
    const given = new Map<string, StateEntry>(state instanceof Map ? state : Object.entries(state));
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !given.has(k));
    const unexpectedKeys = [...given.keys()].filter((k) => !(k in own));
    const problems: string[] = [];
    for (const [k, t] of Object.entries(own)) {
      const src = given.get(k);
      if (src === undefined) continue;
      if (typeof src !== 'object' || src === null || !Array.isArray(src.shape) || src.data === undefined || typeof src.data.length !== 'number') {
        // structuredClone(model.stateDict()) (PyTorch's copy.deepcopy) keeps a Tensor's fields but not its class.
        const cloned = typeof src === 'object' && src !== null && '_data' in src ? ': a structuredClone of a Tensor loses its class; snapshot with snapshotState(model) (or t.clone() each tensor) instead' : '';
        // Bare values have no shape to check against the model's: say how to give one.
        const bare = Array.isArray(src) || ArrayBuffer.isView(src) ? `: values without a shape; give tensor(values, ${formatShape(t.shape)}) or {shape: ${formatShape(t.shape)}, data: values}` : '';
        problems.push(`'${k}' is not a tensor or {shape, data} entry (got ${describeValue(src)})${cloned}${bare}`);
        continue;
      }
      // data: a typed array or an array of numbers; a string's characters or an array of
      // strings/nulls would be written as NaN (or 0) without a word.
      const data: unknown = src.data;
      if (!(ArrayBuffer.isView(data) && !(data instanceof DataView)) && !Array.isArray(data)) {
        problems.push(`'${k}' has data ${describeValue(data)}; expected a typed array (Float32Array, …) or an array of numbers`);
        continue;
      }
      if (Array.isArray(data)) {
        const bad = data.findIndex((v) => typeof v !== 'number');
        if (bad >= 0) {
          problems.push(`'${k}' has data[${bad}] = ${showValue(data[bad])}, not a number${Array.isArray(data[bad]) ? ' (data is the flat list of values, row-major; the shape gives the layout)' : ''}`);
          continue;
        }
      }
      const same = src.shape.length === t.shape.length && src.shape.every((d, i) => d === t.shape[i]);
      if (!same) problems.push(`size mismatch for '${k}': shape ${formatShape(src.shape)} in the state dict, ${formatShape(t.shape)} in the model`);
      else if (src.data.length !== t.size) problems.push(`'${k}' has ${src.data.length} values for shape ${formatShape(t.shape)}`);
      else if (typeof src.data[0] === 'bigint') {
        const bad = Array.prototype.findIndex.call(src.data, (v: bigint) => !Number.isSafeInteger(Number(v)));
        if (bad >= 0) problems.push(`'${k}' holds ${String(src.data[bad])} at index ${bad}, beyond 2^53`);
      }
    }
    const lines: string[] = [];
    if (strict && missingKeys.length) lines.push(`missing keys (in the model, not in the state dict): ${missingKeys.map((k) => `'${k}'`).join(', ')}`);
    if (strict && unexpectedKeys.length) lines.push(`unexpected keys (in the state dict, not in the model): ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`);
    lines.push(...problems);
    // nn.DataParallel / DistributedDataParallel save their wrapped model's keys under 'module.'.
    const wrapped = unexpectedKeys.filter((k) => k.startsWith('module.') && k.slice(7) in own);
    if (strict && wrapped.length > 0 && wrapped.length === unexpectedKeys.length) {
      lines.push(`the state dict's keys start with 'module.', as (Distributed)DataParallel saves them: strip it (PyTorch: model.module.state_dict(); here: the keys without their first 'module.')`);
    }
    if (lines.length) throw new Error(`${where}: nothing was loaded:\n  ${lines.join('\n  ')}`);
    for (const [k, t] of Object.entries(own)) {
      const src = given.get(k);
      if (src === undefined) continue;
      const d = src.data;
      if (typeof d[0] === 'bigint') for (let i = 0; i < t.size; i++) t.data[i] = Number(d[i]);
      else for (let i = 0; i < t.size; i++) t.data[i] = d[i] as number;
      markUserSet(t);
    }
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Convert parameters and buffers to `dtype` in place (float64 for gradcheck); PyTorch's
   * aliases 'float'/'double' are accepted, the device 'cpu' is a no-op and an integer dtype an
   * error (parseDtype).
   */
  to(dtypeOrDevice: DType | 'float' | 'double' | 'cpu'): this {
    const dtype = parseDtype(`${this.typeName}.to()`, dtypeOrDevice);
    if (dtype === null) return this;
    if (dtype === 'integer') throw new Error(`${this.typeName}.to(): a model's parameters and buffers are floating point ('float32' or 'float64'), not '${String(dtypeOrDevice)}'`);
    for (const [, m] of this.namedModules()) {
      for (const [k, v] of Object.entries(m)) {
        if (v instanceof Tensor && v.dtype !== dtype) {
          const data = alloc(v.size, dtype);
          for (let i = 0; i < v.size; i++) data[i] = v.data[i];
          v.data = data;
          v.grad = null;
          (m as unknown as Record<string, unknown>)[k] = v;
        }
      }
    }
    return this;
  }

  /** Parameters and buffers in float32, in place (PyTorch's module.float()). */
  float(): this {
    return this.to('float32');
  }

  /** Parameters and buffers in float64, in place (PyTorch's module.double()). */
  double(): this {
    return this.to('float64');
  }

  /** Number of trainable values. */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /**
   * The module's class name as PyTorch spells it ('Linear', 'ReLU'), stated explicitly by each
   * class so that it survives minifiers (which rename constructors).
   */
  get typeName(): string {
    return this.constructor.name;
  }

  /** One line per module, as PyTorch prints a model. */
  toString(): string {
    const children = this.namedChildren();
    const head = `${this.typeName}(${this.extraRepr()}`;
    if (children.length === 0) return head + ')';
    const lines = children.map(([n, c]) => `  (${n}): ${c.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }

  /** Constructor arguments shown by toString(). */
  extraRepr(): string {
    return '';
  }
}

/** @internal True when `m` has a hook registered (Sequential then runs it alone and keeps its input and output). */
export function hasHooks(m: Module): boolean {
  const h = m._hooks;
  return h !== null && (h.forward.length > 0 || h.forwardPre.length > 0 || h.backward.length > 0 || h.backwardPre.length > 0);
}

/**
 * The identity a full backward hook sees its module's input and output through (PyTorch's
 * BackwardHookFunction): the same storage, and ∂L/∂x = ∂L/∂out handed on as it is.
 */
function hookThrough(x: Tensor): Tensor {
  const out = new Tensor(x.data, x.shape);
  return record(out, 'backwardHook', [x], (g, grad) => {
    if (grad.adopt(0)) return;
    const gx = grad.target(0);
    if (gx && gx.beta === 0) K.copy(g, gx.data);
    else if (gx) K.axpy(1, g, gx.data);
  });
}

/**
 * `inner` (the module's own forward) on `args` with the module's hooks: the pre-hooks may replace
 * the arguments, the forward hooks the output. With backward hooks (and the graph recorded), each
 * argument that requires grad and the output pass through an identity op (hookThrough: the same
 * storage), whose gradients are the module's gradInput and gradOutput, caught by
 * tensor hooks (Tensor.registerHook): PyTorch's BackwardHookFunction.
 */
function callHooked(m: Module, hooks: ModuleHooks, inner: (...args: unknown[]) => unknown, args: unknown[]): unknown {
  let input = args;
  for (const pre of [...hooks.forwardPre]) {
    const r = pre(m, input);
    if (r !== undefined && r !== null) input = Array.isArray(r) ? r : [r];
  }
  const backward = (hooks.backward.length > 0 || hooks.backwardPre.length > 0) && isGradEnabled();
  const gradInput: Array<Tensor | null> = input.map(() => null);
  let gradOutput: Array<Tensor | null> | null = null;
  let waiting = 0;
  const fire = (): Array<Tensor | null> | null => {
    let replaced: Array<Tensor | null> | null = null;
    for (const hook of [...hooks.backward]) {
      const r = hook(m, gradInput, gradOutput ?? [null]);
      if (r === undefined || r === null) continue;
      const list = Array.isArray(r) ? r : [r];
      if (!list.every((g) => g === null || g instanceof Tensor)) throw new Error(`${m.typeName}: a full backward hook returned ${showValue(r)}; it must return nothing or an array of gradients (Tensor or null), one per input`);
      list.forEach((g, i) => (gradInput[i] = g as Tensor | null));
      replaced = gradInput;
    }
    return replaced;
  };
  if (backward) {
    const tensorInputs = input.filter((x) => x instanceof Tensor && x.requiresGrad).length;
    input = input.map((x, i) => {
      if (!(x instanceof Tensor) || !x.requiresGrad) return x;
      const through = hookThrough(x);
      through.registerHook((g) => {
        gradInput[i] = g;
        if (--waiting > 0) return;
        const replaced = fire();
        if (replaced === null) return;
        if (tensorInputs > 1) throw new Error(`${m.typeName}: a full backward hook replaced gradInput of a module called with ${tensorInputs} inputs that require grad; gradlab replaces it only for one (return nothing, or register Tensor.registerHook on the inputs)`);
        return replaced[i] ?? undefined;
      });
      return through;
    });
  }
  let out = inner.apply(m, input);
  for (const hook of [...hooks.forward]) {
    const r = hook(m, input, out);
    if (r !== undefined) out = r;
  }
  if (backward && out instanceof Tensor && out.requiresGrad) {
    const through = hookThrough(out);
    // The output's gradient comes first in every backward (retainGraph: again), then the inputs'.
    const tensorInputs = input.filter((x) => x instanceof Tensor && x.requiresGrad).length;
    through.registerHook((g) => {
      gradOutput = [g];
      waiting = tensorInputs;
      gradInput.fill(null);
      let replacement: Tensor | undefined;
      for (const pre of [...hooks.backwardPre]) {
        const r = pre(m, gradOutput);
        if (r === undefined || r === null) continue;
        const first = Array.isArray(r) ? r[0] : r;
        if (!(first instanceof Tensor)) throw new Error(`${m.typeName}: a full backward pre-hook returned ${showValue(r)}; it must return nothing or an array holding the output's gradient`);
        gradOutput = [first];
        replacement = first;
      }
      // No input requires grad (the first layer): gradInput is all null and the hook runs now.
      if (waiting === 0) fire();
      return replacement;
    });
    out = through;
  }
  return out;
}

/**
 * zeroGrad's argument: PyTorch's set_to_none as a boolean or `{setToNone}`; true (set the
 * gradients to null) unless it says false. Shared by Module.zeroGrad and Optimizer.zeroGrad.
 */
export function zeroGradMode(where: string, setToNone: unknown): boolean {
  if (typeof setToNone === 'boolean') return setToNone;
  checkOptions(where, setToNone, ['setToNone']);
  const v = (setToNone as { setToNone?: unknown }).setToNone ?? true;
  if (typeof v !== 'boolean') throw new Error(`${where}: setToNone must be true or false, got ${String(v)}`);
  return v;
}

/**
 * Fresh zeros of a dtype for module state (kept here so every module allocates the same way);
 * `name` ("Linear(1000000, 1000000).weight") is what an out-of-memory error names.
 */
export function stateTensor(shape: readonly number[], value = 0, name = 'module state'): Tensor {
  const t = markPersistent(new Tensor(allocShape(name, shape, 'float32'), shape));
  if (value !== 0) K.fill(t.data, value);
  return t;
}

// ---------------------------------------------------------------------------------------
// Containers. They live beside Module because field discovery (namedChildren) wraps plain
// arrays and objects of modules in them.

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);

/** What an unregistered value holds that training would need: a module or parameter, searched a few levels down. */
function hiddenState(v: unknown, depth = 0): 'module' | 'parameter' | null {
  if (v instanceof Module) return 'module';
  if (v instanceof Parameter) return 'parameter';
  if (depth >= 4) return null;
  let values: Iterable<unknown>;
  if (Array.isArray(v) || v instanceof Set) values = v;
  else if (v instanceof Map) values = v.values();
  else if (isPlainObject(v)) values = Object.values(v);
  else return null;
  let found: 'module' | 'parameter' | null = null;
  for (const x of values) {
    const h = hiddenState(x, depth + 1);
    if (h === 'module') return h;
    found ??= h;
  }
  return found;
}

/** 'a' or 'an' before a name, as it is spoken ("an Int32Array", "a Float32Array"). */
const article = (name: string): string => (/^([aeioAEIO]|un)/.test(name) ? `an ${name}` : `a ${name}`);
const describeValue = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : v instanceof Parameter ? 'a Parameter' : v instanceof Tensor ? 'a Tensor' : typeof v === 'object' ? article((v as object).constructor?.name ?? 'object') : article(typeof v);

/** Views of plain arrays / objects of modules, kept so that each field has one container. */
const views = new WeakMap<object, Module>();

/**
 * A field's value as a child module: the module itself, a ModuleList over an array of modules,
 * a ModuleDict over a plain object of modules; null when it holds no module or parameter; an
 * Error naming the field when it holds them in a form training would not reach.
 */
function childOf(owner: Module, field: string, v: unknown): Module | null {
  if (v instanceof Module) return v;
  const where = `${owner.typeName}.${field}`;
  if (Array.isArray(v) && v.length > 0 && v.every((m) => m instanceof Module)) {
    let view = views.get(v) as ModuleList | undefined;
    if (view === undefined) views.set(v, (view = ModuleList._over(v as Module[])));
    return view;
  }
  if (isPlainObject(v)) {
    const entries = Object.entries(v);
    if (entries.length > 0 && entries.every(([, m]) => m instanceof Module)) {
      let view = views.get(v) as ModuleDict | undefined;
      if (view === undefined) views.set(v, (view = new ModuleDict()));
      view._replace(entries as Array<[string, Module]>, where);
      return view;
    }
  }
  if (!(Array.isArray(v) || isPlainObject(v) || v instanceof Map || v instanceof Set)) return null;
  const hidden = hiddenState(v);
  if (hidden === null) return null;
  if (Array.isArray(v)) {
    const bad = v.findIndex((m) => !(m instanceof Module));
    const what = hidden === 'module' ? 'modules' : 'parameters';
    throw new Error(
      `${where} is an array holding ${what} and other values (index ${bad} is ${describeValue(v[bad])}), which parameters(), train()/eval() and stateDict() would not reach: ` +
        (hidden === 'module' ? `keep modules in an nn.ModuleList (or an array of modules only; nest nn.ModuleList for lists of lists)` : 'give each Parameter its own field, or wrap them in a Module'),
    );
  }
  if (isPlainObject(v)) {
    const bad = Object.entries(v).find(([, m]) => !(m instanceof Module))!;
    throw new Error(
      `${where} is an object holding ${hidden === 'module' ? 'modules' : 'parameters'} and other values ('${bad[0]}' is ${describeValue(bad[1])}), which parameters(), train()/eval() and stateDict() would not reach: ` +
        (hidden === 'module' ? 'keep modules in an nn.ModuleDict (or an object of modules only)' : 'give each Parameter its own field, or wrap them in a Module'),
    );
  }
  throw new Error(`${where} is ${describeValue(v)} holding ${hidden}s, which parameters(), train()/eval() and stateDict() would not reach: use an nn.ModuleDict (by key) or an nn.ModuleList (by index)`);
}

/** An integer index as a property key ('0', '-1'). */
const INDEX = /^-?\d+$/;

/**
 * @internal `target` behind a Proxy that gives integer keys PyTorch's list indexing
 * (`list[i]`, `list[-1]`, `list[i] = m`, `i in list`) through the three accessors; every other
 * key is the object's own. ModuleList and Sequential return it from their constructors.
 */
export function indexable<T extends object, M>(target: T, at: (i: number) => M, put: (i: number, m: M) => void, has: (i: number) => boolean): T {
  const key = (prop: string | symbol): number | null => (typeof prop === 'string' && INDEX.test(prop) ? Number(prop) : null);
  return new Proxy(target, {
    get(t, prop, receiver) {
      const i = key(prop);
      return i === null ? Reflect.get(t, prop, receiver) : at(i);
    },
    set(t, prop, value, receiver) {
      const i = key(prop);
      if (i === null) return Reflect.set(t, prop, value, receiver);
      put(i, value as M);
      return true;
    },
    has(t, prop) {
      const i = key(prop);
      return i === null ? Reflect.has(t, prop) : has(i);
    },
  });
}

/**
 * An indexed list of modules, as torch.nn.ModuleList: its modules are registered as children
 * '0', '1', … (state-dict keys `blocks.0.weight`), so parameters(), train()/eval(),
 * stateDict() and the printed model reach them. Not a layer itself: iterate over it in your
 * forward.
 *
 * Index access: `list.get(i)`, and `list[i]` as in PyTorch (`self.blocks[i]`), negative i
 * counting from the end; `list[i] = m` replaces. Index access goes through a Proxy that
 * handles integer keys only; an index out of range throws instead of giving undefined.
 * A plain array of modules in a field is registered as a ModuleList over that array.
 */
export class ModuleList<T extends Module = Module> extends Module implements Iterable<T> {
  [index: number]: T;
  /** @internal The modules (the user's own array for a view of a field). */
  _modules: T[] = [];

  constructor(modules: Iterable<T> = []) {
    super();
    if (modules === null || typeof (modules as Partial<Iterable<T>>)[Symbol.iterator] !== 'function') {
      throw new Error(`ModuleList: expected an iterable of modules, got ${describeValue(modules)}`);
    }
    this.extend(modules);
    return indexable(this, (i) => this.get(i), (i, m: T) => this.set(i, m), (i) => this.index(i) !== null);
  }

  /** @internal A ModuleList over `array` itself (a field's plain array of modules). */
  static _over<M extends Module>(array: M[]): ModuleList<M> {
    const list = new ModuleList<M>();
    list._modules = array;
    return list;
  }

  override get typeName(): string {
    return 'ModuleList';
  }

  get length(): number {
    return this._modules.length;
  }

  /** Position of index i (negative counts from the end), or null when out of range. */
  private index(i: number): number | null {
    if (!Number.isInteger(i)) return null;
    const j = i < 0 ? this._modules.length + i : i;
    return j >= 0 && j < this._modules.length ? j : null;
  }

  private checkModule(m: unknown, where: string): T {
    if (!(m instanceof Module)) throw new Error(`ModuleList.${where}: expected a Module, got ${describeValue(m)}`);
    return m as T;
  }

  /** Module i (negative i counts from the end). */
  get(i: number): T {
    if (!Number.isInteger(i)) throw new Error(`ModuleList.get: index must be an integer, got ${String(i)}`);
    const j = this.index(i);
    if (j === null) throw new Error(`ModuleList: index ${i} is out of range for a list of ${this._modules.length} module${this._modules.length === 1 ? '' : 's'}`);
    return this._modules[j];
  }

  /** Replace module i. */
  set(i: number, module: T): this {
    if (!Number.isInteger(i)) throw new Error(`ModuleList.set: index must be an integer, got ${String(i)}`);
    const j = this.index(i);
    if (j === null) throw new Error(`ModuleList.set: index ${i} is out of range for a list of ${this._modules.length} modules`);
    this._modules[j] = this.checkModule(module, 'set');
    return this;
  }

  append(module: T): this {
    this._modules.push(this.checkModule(module, 'append'));
    return this;
  }

  extend(modules: Iterable<T>): this {
    const add = Array.from(modules, (m, i) => this.checkModule(m, `extend (item ${i})`));
    this._modules.push(...add);
    return this;
  }

  /** Insert before index i (as Python's list.insert: i may equal the length; negative counts from the end). */
  insert(i: number, module: T): this {
    if (!Number.isInteger(i)) throw new Error(`ModuleList.insert: index must be an integer, got ${i}`);
    const n = this._modules.length;
    const j = Math.min(Math.max(i < 0 ? n + i : i, 0), n);
    this._modules.splice(j, 0, this.checkModule(module, 'insert'));
    return this;
  }

  /** Remove and return module i (the last by default). */
  pop(i = -1): T {
    const m = this.get(i);
    this._modules.splice(this.index(i)!, 1);
    return m;
  }

  [Symbol.iterator](): Iterator<T> {
    return this._modules[Symbol.iterator]();
  }

  override namedChildren(): Array<[string, Module]> {
    return this._modules.map((m, i) => [String(i), m]);
  }

  forward(_x?: Tensor): Tensor {
    throw new Error('ModuleList is a container, not a layer: call its modules in your forward (for (const block of this.blocks) x = block.forward(x))');
  }
}

/**
 * Modules by name, as torch.nn.ModuleDict: registered as children under their keys
 * (state-dict keys `heads.cls.weight`), in insertion order. Access by key with `get(key)`;
 * `set`, `has`, `delete`, `pop`, `clear`, `update`, `keys()`, `values()`, `entries()`, `size`. Iteration yields
 * [key, module] pairs as a Map does (PyTorch's iterates the keys). Keys are non-empty strings
 * without '.' (the state-dict separator). A plain object whose values are all modules in a
 * field is registered as a ModuleDict over that object.
 */
export class ModuleDict<T extends Module = Module> extends Module implements Iterable<[string, T]> {
  private readonly _modules = new Map<string, T>();

  constructor(modules: Record<string, T> | Iterable<readonly [string, T]> = {}) {
    super();
    if (modules === null || typeof modules !== 'object') throw new Error(`ModuleDict: expected an object or iterable of [key, module] pairs, got ${describeValue(modules)}`);
    this.update(modules);
  }

  override get typeName(): string {
    return 'ModuleDict';
  }

  /** @internal Make this view hold `entries` (a field's plain object), checked as set() does. */
  _replace(entries: ReadonlyArray<readonly [string, Module]>, where: string): void {
    this._modules.clear();
    for (const [k, m] of entries) {
      checkKey(k, where);
      this._modules.set(k, m as T);
    }
  }

  get size(): number {
    return this._modules.size;
  }

  get(key: string): T {
    const m = this._modules.get(key);
    if (m === undefined) {
      const keys = [...this._modules.keys()];
      throw new Error(`ModuleDict: no module '${String(key)}'${keys.length ? `; keys: ${keys.join(', ')}` : ' (the dict is empty)'}`);
    }
    return m;
  }

  has(key: string): boolean {
    return this._modules.has(key);
  }

  set(key: string, module: T): this {
    checkKey(key, 'ModuleDict.set');
    if (!(module instanceof Module)) throw new Error(`ModuleDict.set('${key}'): expected a Module, got ${describeValue(module)}`);
    this._modules.set(key, module);
    return this;
  }

  /** Remove a module; true when it was there. */
  delete(key: string): boolean {
    return this._modules.delete(key);
  }

  /** Remove and return the module under `key` (PyTorch's pop). */
  pop(key: string): T {
    const m = this.get(key);
    this._modules.delete(key);
    return m;
  }

  clear(): void {
    this._modules.clear();
  }

  /** Add or replace modules from an object or [key, module] pairs. */
  update(modules: Record<string, T> | Iterable<readonly [string, T]>): this {
    const pairs = typeof (modules as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function' ? Array.from(modules as Iterable<readonly [string, T]>) : Object.entries(modules);
    pairs.forEach((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw new Error(`ModuleDict: item ${i} is not a [key, module] pair`);
    });
    for (const [k, m] of pairs) this.set(k, m);
    return this;
  }

  keys(): IterableIterator<string> {
    return this._modules.keys();
  }

  values(): IterableIterator<T> {
    return this._modules.values();
  }

  entries(): IterableIterator<[string, T]> {
    return this._modules.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, T]> {
    return this._modules.entries();
  }

  override namedChildren(): Array<[string, Module]> {
    return [...this._modules.entries()];
  }

  forward(_x?: Tensor): Tensor {
    throw new Error("ModuleDict is a container, not a layer: call its modules in your forward (this.heads.get('name').forward(x))");
  }
}

function checkKey(key: unknown, where: string): void {
  if (typeof key !== 'string' || key === '' || key.includes('.')) {
    throw new Error(`${where}: module key ${JSON.stringify(key)} must be a non-empty string without '.' (the state-dict separator)`);
  }
}

// model.state_dict(), model.named_parameters(), …: errors naming gradlab's spelling (src/options.ts).
pointSnakeCase(Module);
pointAbsent(Module, ABSENT_DEVICE_METHODS);
