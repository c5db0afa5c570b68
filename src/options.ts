/**
 * Options objects: one check for every constructor and function that takes `{…}` options, so
 * that an unknown key is an error naming it instead of being silently ignored — in particular
 * PyTorch's snake_case spelling (`weight_decay`, `batch_size`, `requires_grad`), which is
 * pointed at gradlab's camelCase one (DESIGN.md: PyTorch's names in camelCase).
 */

/** PyTorch's snake_case spelling in camelCase: 'weight_decay' → 'weightDecay'. */
export function camelCase(key: string): string {
  return key.replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Throw unless `options` is undefined or a plain object whose keys are all in `allowed`;
 * the message names the first unknown key, and gradlab's spelling of a PyTorch one.
 */
export function checkOptions(where: string, options: unknown, allowed: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const got = options === null ? 'null' : Array.isArray(options) ? 'an array' : `${typeof options} ${String(options)}`;
    throw new Error(`${where}: options must be an object such as {${allowed[0]}: …}, got ${got}`);
  }
  for (const key of Object.keys(options)) {
    if (allowed.includes(key)) continue;
    const camel = camelCase(key);
    const hint = camel !== key && allowed.includes(camel) ? ` (PyTorch's ${key} is spelled ${camel} in gradlab)` : '';
    throw new Error(`${where}: unknown option '${key}'${hint}; the options are ${allowed.join(', ')}`);
  }
}
