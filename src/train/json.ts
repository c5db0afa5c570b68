/**
 * JSON encoding of reports: JSON has no NaN or ±Infinity, and typed arrays serialise as
 * objects. A Report therefore stores every non-finite number as `null` (consistently; the
 * findings' evidence text spells the raw value out) and every typed array as a plain array.
 */

/** A deep copy of `value` in which non-finite numbers are null and typed arrays are arrays. */
export function jsonSafe<T>(value: T): T {
  return convert(value) as T;
}

function convert(v: unknown): unknown {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v === null || typeof v !== 'object') return typeof v === 'function' || typeof v === 'undefined' || typeof v === 'symbol' ? undefined : v;
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, (x) => (Number.isFinite(x) ? x : null));
  if (Array.isArray(v)) return v.map((x) => {
    const c = convert(x);
    return c === undefined ? null : c;
  });
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const c = convert(x);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

/** A number as text for evidence strings: 'NaN', 'Infinity', '-Infinity' or 4 significant digits. */
export function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return 'n/a';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}
