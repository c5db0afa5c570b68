/**
 * Module and Parameter: one contract for every layer (convnetjs' lesson): forward, the
 * parameters with their gradients, train/eval mode, and state serialisation.
 *
 * As in PyTorch, a module's parameters, buffers and children are its fields: a field holding
 * a Parameter is a parameter, another Tensor a buffer (running statistics), a Module a child.
 * State-dict keys are the field names in snake_case (runningMean → running_mean), joined by
 * dots along the module path, which gives PyTorch's keys for the same architecture.
 */
import { K, alloc } from '../kernels/index.js';
import type { DType } from '../kernels/types.js';
import { Tensor, formatShape } from '../tensor.js';
import { markPersistent, stepBoundary } from '../memory.js';

/** A trainable tensor; its storage is persistent (src/memory.ts): it stays in wasm memory. */
export class Parameter extends Tensor {
  constructor(t: Tensor) {
    super(t.data, t.shape, true);
    markPersistent(this);
  }
}

const snake = (s: string): string => s.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());

export abstract class Module {
  /** Train mode (batch statistics, dropout on) or eval mode. */
  training = true;

  abstract forward(x: Tensor): Tensor;

  /** Own fields by kind, in declaration order; fields starting with '_' are private. */
  private ownFields(): Array<[string, unknown]> {
    return Object.entries(this).filter(([k]) => !k.startsWith('_') && k !== 'training');
  }

  /** Child modules with their names. */
  namedChildren(): Array<[string, Module]> {
    return this.ownFields().filter((e): e is [string, Module] => e[1] instanceof Module);
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
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Set every parameter's gradient to null. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
    stepBoundary();
  }

  /**
   * Parameters and buffers by key, in PyTorch's order (per module: parameters, then buffers,
   * then children). The tensors share storage with the module; clone them to snapshot.
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
   * Copy values from `state` into this module's parameters and buffers. With `strict`
   * (default), missing or unexpected keys are an error; shapes must always match.
   * Nothing is written unless every check passes.
   */
  loadStateDict(state: Record<string, Tensor | { data: ArrayLike<number>; shape: readonly number[] }>, strict = true): void {
    const own = this.stateDict();
    const missing = Object.keys(own).filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !(k in own));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      throw new Error(`loadStateDict: ${parts.join('; ')}`);
    }
    for (const [k, t] of Object.entries(own)) {
      const src = state[k];
      if (!src) continue;
      const same = src.shape.length === t.shape.length && src.shape.every((d, i) => d === t.shape[i]);
      if (!same) throw new Error(`loadStateDict: '${k}' has shape ${formatShape(src.shape)} in the state dict but ${formatShape(t.shape)} in the model`);
      if (src.data.length !== t.size) throw new Error(`loadStateDict: '${k}' has ${src.data.length} values for shape ${formatShape(t.shape)}`);
    }
    for (const [k, t] of Object.entries(own)) {
      const src = state[k];
      if (!src) continue;
      for (let i = 0; i < t.size; i++) t.data[i] = src.data[i];
    }
  }

  /** Convert parameters and buffers to `dtype` in place (float64 for gradcheck). */
  to(dtype: DType): this {
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

/** Fresh zeros of a dtype for module state (kept here so every module allocates the same way). */
export function stateTensor(shape: readonly number[], value = 0): Tensor {
  const t = markPersistent(new Tensor(alloc(shape.reduce((a, b) => a * b, 1), 'float32'), shape));
  if (value !== 0) K.fill(t.data, value);
  return t;
}
