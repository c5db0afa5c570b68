/**
 * Options objects: one check for every constructor and function that takes `{…}` options, so
 * that an unknown key is an error naming it instead of being silently ignored — in particular
 * PyTorch's snake_case spelling (`weight_decay`, `batch_size`, `requires_grad`), which is
 * pointed at gradlab's camelCase one (DESIGN.md: PyTorch's names in camelCase).
 */

/**
 * Throw unless `options` is undefined or a plain object whose keys are all in `allowed`;
 * the message names the first unknown key, and gradlab's spelling of a PyTorch one.
 */
export function checkOptions(where: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  const proto = typeof options === 'object' && options !== null ? Object.getPrototypeOf(options) : undefined;
  if (proto !== Object.prototype && proto !== null) {
    // A Tensor where options go: PyTorch's positional arguments (F.cross_entropy(x, y, weight)) that gradlab takes by name or not at all.
    const got = options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options === 'object' ? `a ${(options as object).constructor?.name ?? 'object'}` : `${typeof options} ${String(options)}`;
    throw new Error(`${where}: options must be an object such as {${allowed[0]}: …}, got ${got}`);
  }
  for (const key of Object.keys(options as object)) {
    if (allowed.includes(key)) continue;
    // PyTorch's spelling of an allowed name: the same letters, underscores and case aside (weight_decay, T_max, min_lr).
    const plain = (k: string) => k.replace(/_/g, '').toLowerCase();
    const camel = key.includes('_') ? allowed.find((a) => plain(a) === plain(key)) : undefined;
    const hint = camel !== undefined ? ` (gradlab spells it ${camel})` : '';
    throw new Error(`${where}: unknown option '${key}'${hint}; the options are ${allowed.join(', ')}`);
  }
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
