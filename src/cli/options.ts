/**
 * Parsing and validating flag values. Every name list comes from a registry (activations,
 * initializers, optimizers), so a new registry entry is a new valid flag value with no CLI
 * change; an invalid value is a usage error (exit 2) listing the valid ones.
 */
import { closestName } from '../options.js';
import { ACTIVATION_NAMES, type ActivationName } from '../activations.js';
import { INIT_NAMES, type InitName } from '../init.js';
import { OPTIMIZER_NAMES, type OptimizerName } from '../optim/registry.js';
import { readRegularFile } from '../io/files.node.js';
import { parseJsonBounded } from '../io/json.js';
import { usageError } from './errors.js';

/** Hidden activations the CLI offers (softmax is not elementwise). */
export const HIDDEN_ACTIVATIONS = ACTIVATION_NAMES.filter((a) => a !== 'softmax') as Exclude<ActivationName, 'softmax'>[];

export function choice<T extends string>(flag: string, value: string, valid: readonly T[]): T {
  if ((valid as readonly string[]).includes(value)) return value as T;
  const near = closestName(value, valid);
  const hint = near !== undefined ? ` (did you mean '${near}'?)` : '';
  throw usageError(`invalid value '${value}' for ${flag}${hint}. Valid values: ${valid.join(', ')}`);
}

export const parseActivation = (v: string): ActivationName => choice('--activation', v, HIDDEN_ACTIVATIONS);
export const parseInit = (v: string): InitName => choice('--init', v, INIT_NAMES);
export const parseOptimizer = (v: string): OptimizerName => choice('--optimizer', v, OPTIMIZER_NAMES);

export function parseIntFlag(flag: string, v: string | number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === 'number' ? v : /^[+]?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(`invalid value '${v}' for ${flag}: expected an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? '∞' : max}]${typeof v === 'string' ? whyNotNumber(v, [min, max]) : ''}`);
  }
  return n;
}

const NUM = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Why a flag's text is not the number it looks like, for the message: a value that double
 * precision rounds to 0 or Infinity (1e-400, 1e400), another notation (0x10, 1_000, 1,5), or an
 * integer in `integerRange` written as a decimal or exponent (1e3, 2.0) where digits are expected. '' otherwise.
 */
function whyNotNumber(v: string, integerRange?: readonly [number, number]): string {
  const t = v.trim();
  if (NUM.test(t)) {
    const n = Number(t);
    if (!Number.isFinite(n)) return ` (${t} is beyond the largest double, about 1.8e308)`;
    if (n === 0 && /[1-9]/.test(t.split(/[eE]/)[0])) return ` (${t} is below the smallest double, 5e-324, and reads as 0)`;
    if (integerRange && Number.isSafeInteger(n) && n >= integerRange[0] && n <= integerRange[1] && !/^[+]?\d+$/.test(t)) return ` (write it in digits: ${n})`;
    return '';
  }
  if (/^[+-]?0[xob][\da-f]+$/i.test(t) || /^[+-]?\d+(_\d+)+$/.test(t)) return ' (decimal digits only: no 0x, 0o, 0b or _ separators)';
  if (/^[+-]?\d*,\d+$/.test(t)) return ` (a decimal comma? write ${t.replace(',', '.')})`;
  return '';
}

/** A finite number in [min, max] (maxInclusive false makes it [min, max)). */
export function parseNumberFlag(flag: string, v: string | number, min: number, max = Infinity, maxInclusive = true, minInclusive = true): number {
  const n = typeof v === 'number' ? v : NUM.test(v.trim()) ? Number(v) : NaN;
  const ok = Number.isFinite(n) && (minInclusive ? n >= min : n > min) && (maxInclusive ? n <= max : n < max);
  if (!ok) {
    const range = `${minInclusive ? '[' : '('}${min}, ${max === Infinity ? '∞)' : `${max}${maxInclusive ? ']' : ')'}`}`;
    throw usageError(`invalid value '${v}' for ${flag}: expected a number in ${range}${typeof v === 'string' ? whyNotNumber(v) : ''}`);
  }
  return n;
}

/** --data: a name or a path; nothing, or '-' (stdin, which the readers cannot size or seek), is said to be neither. */
export function parseDataFlag(v: string): string {
  if (v.trim() === '') throw usageError(`invalid value '${v}' for --data: give a data set name (mnist, spiral, …) or the path of a .csv file or IDX data`);
  if (v === '-') throw usageError("--data -: data is not read from stdin (a file is opened once, checked and sized before it is read): save it to a .csv file and give its path");
  return v;
}

/** --label: a column name as the header has it (cells are trimmed); an empty one names no column. */
export function parseLabelFlag(v: string): string {
  if (v.trim() === '') throw usageError(`invalid value '${v}' for --label: give the label column's name as the CSV header has it (default: the last column)`);
  return v.trim();
}

/** "256,256" (or "256 256") → [256, 256]; "" or "none" → [] (no hidden layer). An empty item ("8,,8", "8,") is an error, not skipped. */
export function parseLayers(v: string): number[] {
  const t = v.trim();
  if (t === '' || t === 'none' || t === '0') return [];
  const parts = t.split(/\s*,\s*|\s+/);
  const empty = parts.indexOf('');
  if (empty >= 0) throw usageError(`invalid value '${v}' for --layers: width ${empty + 1} of ${parts.length} is empty; expected comma-separated integers in [1, ${1 << 16}], e.g. 256,128`);
  return parts.map((p) => parseIntFlag('--layers', p, 1, 1 << 16));
}

/** A comma-separated list of registry names (compare's grids). */
export function parseList<T extends string>(flag: string, v: string, valid: readonly T[]): T[] {
  const items = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw usageError(`${flag} needs at least one value. Valid values: ${valid.join(', ')}`);
  return [...new Set(items.map((s) => choice(flag, s, valid)))];
}

export function parseBoolList(flag: string, v: string): boolean[] {
  const items = v.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s.length > 0);
  const map: Record<string, boolean> = { true: true, false: false, on: true, off: false, yes: true, no: false, '1': true, '0': false };
  if (items.length === 0) throw usageError(`${flag} needs at least one value (true, false)`);
  return [...new Set(items.map((s) => {
    if (!(s in map)) throw usageError(`invalid value '${s}' for ${flag}. Valid values: true, false`);
    return map[s];
  }))];
}

/** Largest JSON file a flag reads (`--arch file.json`). */
export const MAX_FLAG_JSON_BYTES = 1 << 20;

/**
 * A flag's JSON value: inline (starting with `{` or `[`) or a `.json` file, read as a regular
 * file of at most MAX_FLAG_JSON_BYTES (a FIFO or a device is refused, not waited on) and parsed
 * bounded in depth (io/json.ts); `null` when the value is neither, for the flag's other form
 * (`--arch`'s compact layer list). Every problem is a usage error naming the flag.
 */
export async function readJsonFlag(flag: string, value: string): Promise<{ json: unknown } | null> {
  const text = value.trim();
  const inline = text.startsWith('{') || text.startsWith('[');
  if (!inline && !/\.json$/i.test(text)) return null;
  let source = text;
  if (!inline) {
    try {
      source = (await readRegularFile(value, { maxBytes: MAX_FLAG_JSON_BYTES, what: `${flag} file` })).toString('utf8');
    } catch (e) {
      throw usageError(`${flag}: ${(e as Error).message}`);
    }
  }
  try {
    return { json: parseJsonBounded(source, `${flag} ${inline ? 'value' : value}`) };
  } catch (e) {
    throw usageError((e as Error).message);
  }
}
