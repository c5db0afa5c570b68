/**
 * Checks shared by the API's option objects. A misspelt option (`{epoch: 5}`, PyTorch's
 * `weight_decay`) would otherwise be ignored and the default used in silence; every options
 * object (fit, evaluate, predict, the optimizers and their parameter groups, the schedules)
 * refuses a key it does not know, naming it, the closest known one, and the known ones.
 */

import { showValue } from './tensor.js';

/** A boolean option given as anything else (`{bias: 'no'}` would read as true). */
export function checkBool(where: string, name: string, v: unknown): void {
  if (v !== undefined && typeof v !== 'boolean') throw new Error(`${where}: ${name} must be true or false, got ${showValue(v)}`);
}

/** The known name closest to `key`: same letters ignoring case and `_`/`-` (snake_case → camelCase), else at most 2 edits away. */
export function closestName(key: string, known: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  const exact = known.find((k) => norm(k) === norm(key));
  if (exact !== undefined) return exact;
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(norm(key), norm(k), bestD);
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

/**
 * Throw if `options` is not a plain object (when given) or has a key outside `known`:
 * `${where}: unknown option 'epoch' (options: epochs, batchSize, …); did you mean 'epochs'?`.
 */
export function checkOptionKeys(where: string, options: unknown, known: readonly string[], noun = 'option'): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where}: ${noun}s must be an object {${known.slice(0, 3).join(', ')}, …}, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = closestName(key, known);
    throw new Error(`${where}: unknown ${noun} '${key}' (${noun}s: ${known.join(', ')})${near !== undefined ? `; did you mean '${near}'?` : ''}`);
  }
}
