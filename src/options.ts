/**
 * Options objects: one check for every constructor and function that takes `{…}` options, so
 * that an unknown key is an error naming it instead of being silently ignored — in particular
 * PyTorch's snake_case spelling (`weight_decay`, `batch_size`, `requires_grad`), which is
 * pointed at gradlab's camelCase one (DESIGN.md: PyTorch's names in camelCase).
 */

import { showValue } from './tensor.js';

/**
 * Throw unless `options` is undefined or a plain object whose keys are all in `allowed`. The
 * message names the first unknown key, gradlab's spelling of a PyTorch one ("weight_decay":
 * "gradlab spells it weightDecay") or else the closest allowed name ("epoch": "did you mean
 * 'epochs'?"), and the allowed ones. `noun`: what the keys are ('option', 'field').
 */
export function checkOptions(where: string, options: unknown, allowed: readonly string[], noun = 'option'): void {
  if (options === undefined) return;
  const proto = typeof options === 'object' && options !== null ? Object.getPrototypeOf(options) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    // A Tensor where options go: PyTorch's positional arguments (F.cross_entropy(x, y, weight)) that gradlab takes by name or not at all.
    const got = options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options === 'object' ? `a ${(options as object).constructor?.name ?? 'object'}` : `${typeof options} ${String(options)}`;
    throw new Error(`${where}: ${noun}s must be an object such as {${allowed[0]}: …}, got ${got}`);
  }
  for (const key of Object.keys(options as object)) {
    if (allowed.includes(key)) continue;
    const near = closestName(key, allowed);
    const snake = near !== undefined && key.includes('_') && plainName(near) === plainName(key);
    const hint = near === undefined ? '' : snake ? ` (gradlab spells it ${near})` : ` (did you mean '${near}'?)`;
    throw new Error(`${where}: unknown ${noun} '${key}'${hint}; the ${noun}s are ${allowed.join(', ')}`);
  }
}

/**
 * PyTorch's call `f(a, b, c=…, d=…)` written in JS as `f(a, b, {c: …, d: …})`: `args` are the
 * arguments in `keys`' order, of which the last may be a plain object of keywords (`keywordOnly`
 * names the keys that can only be given there). Returns the values in the order of
 * `[...keys, ...keywordOnly]`; an unknown keyword, a value given both ways, or too many
 * positional arguments is an error naming it.
 */
export function keywordArgs(where: string, args: readonly unknown[], keys: readonly string[], keywordOnly: readonly string[] = []): unknown[] {
  const positional = [...args];
  while (positional.length > 0 && positional[positional.length - 1] === undefined) positional.pop();
  const named = isPlainObject(positional[positional.length - 1]) ? (positional.pop() as Record<string, unknown>) : {};
  const all = [...keys, ...keywordOnly];
  checkOptions(where, named, all);
  if (positional.length > keys.length) throw new Error(`${where}: at most ${keys.length} positional arguments (${keys.join(', ')}), got ${positional.length}`);
  const twice = keys.slice(0, positional.length).filter((k) => k in named);
  if (twice.length > 0) throw new Error(`${where}: ${twice.join(', ')} given both positionally and in the options`);
  return all.map((k, i) => (i < positional.length ? positional[i] : named[k]));
}

/** An object literal (`{…}`), not an array, a Tensor or another class's instance. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && [Object.prototype, null].includes(Object.getPrototypeOf(v));
}

/** A name without case or '_'/'-': PyTorch's weight_decay and gradlab's weightDecay compare equal. */
function plainName(s: string): string {
  return s.toLowerCase().replace(/[_-]/g, '');
}

/** A boolean option given as anything else (`{bias: 'no'}` would read as true). */
export function checkBool(where: string, name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new Error(`${where}: ${name} must be true or false, got ${showValue(v)}`);
}

/**
 * The error for a name a registry does not hold (a loss, an optimizer, an initializer): the name
 * as given (cut short), the nearest known one (PyTorch's snake_case 'cross_entropy' →
 * 'crossEntropy', a typo 'adamm' → 'adam') and every valid name.
 */
export function unknownName(kind: string, plural: string, name: unknown, known: readonly string[]): Error {
  const given = typeof name === 'string' ? `'${name.length > 40 ? `${name.slice(0, 40)}…` : name}'` : `(${showValue(name)}, not a name)`;
  const near = typeof name === 'string' ? closestName(name, known) : undefined;
  return new Error(`Unknown ${kind} ${given}${near !== undefined ? ` (did you mean '${near}'?)` : ''}. Valid ${plural}: ${known.join(', ')}.`);
}

/** The known name closest to `key`: same letters ignoring case and `_`/`-` (snake_case → camelCase), else at most 2 edits away. */
export function closestName(key: string, known: readonly string[]): string | undefined {
  const exact = known.find((k) => plainName(k) === plainName(key));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(plainName(key), plainName(k), bestD);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best;
}

/** Levenshtein distance, giving up (returning `cap`) once it reaches `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) >= cap) return cap;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]);
    }
    if (rowMin >= cap) return cap;
    prev = cur;
  }
  return Math.min(prev[b.length], cap);
}

/** camelCase → PyTorch's snake_case: 'stateDict' → 'state_dict', 'requiresGrad_' → 'requires_grad_'. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

/**
 * Make PyTorch's snake_case spelling of each camelCase method and accessor of `cls` (its
 * prototype chain up to Object) and of `fields` (instance fields) an error naming gradlab's,
 * where it would otherwise read as undefined: `p.requires_grad` (always falsy), `model.state_dict()`
 * ("is not a function"). A getter on the prototype, so nothing is added to instances, their keys or
 * their JSON; assigning the name still makes an ordinary own property (a user's field of that name).
 */
/**
 * PyTorch's methods that gradlab has no use for (`.cuda()`, `.half()`, `.numpy()`): reading one
 * is an error saying why and what to write instead, where it would otherwise be "is not a
 * function". A getter on the prototype as pointSnakeCase's; assigning the name still makes an
 * own property.
 */
export function pointAbsent(cls: { prototype: object; name: string }, absent: Readonly<Record<string, string>>): void {
  for (const [name, why] of Object.entries(absent)) {
    if (name in cls.prototype) continue;
    Object.defineProperty(cls.prototype, name, {
      get(this: object) {
        throw new Error(`${this.constructor?.name ?? cls.name}.${name}(): ${why}`);
      },
      set(value: unknown) {
        Object.defineProperty(this, name, { value, writable: true, enumerable: true, configurable: true });
      },
      enumerable: false,
      configurable: true,
    });
  }
}

/** What gradlab says of the device and precision methods a PyTorch script calls. */
export const ABSENT_DEVICE_METHODS: Readonly<Record<string, string>> = {
  cuda: "gradlab has no CUDA device: it runs on the CPU (WebAssembly SIMD kernels); leave the call out (.to('cpu') is accepted)",
  half: "gradlab has no float16: tensors are float32 ('float', the default) or float64 ('double')",
  bfloat16: "gradlab has no bfloat16: tensors are float32 ('float', the default) or float64 ('double')",
};

export function pointSnakeCase(cls: { prototype: object; name: string }, fields: readonly string[] = []): void {
  const names = new Set(fields);
  for (let p: object | null = cls.prototype; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const k of Object.getOwnPropertyNames(p)) names.add(k);
  }
  for (const camel of names) {
    const snake = snakeCase(camel);
    if (snake === camel || snake.startsWith('_') || snake in cls.prototype) continue;
    Object.defineProperty(cls.prototype, snake, {
      get(this: object) {
        throw new Error(`${this.constructor?.name ?? cls.name}.${snake}: PyTorch's ${snake} is spelled ${camel} in gradlab`);
      },
      set(value: unknown) {
        Object.defineProperty(this, snake, { value, writable: true, enumerable: true, configurable: true });
      },
      enumerable: false,
      configurable: true,
    });
  }
}
