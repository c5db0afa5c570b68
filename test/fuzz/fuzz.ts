/**
 * Shared pieces of the fuzz suite: the in-process CLI driver with a hang guard, the outcome
 * check every case must pass (exit 0–4, a message for every failure, never "internal error"),
 * and seeded generators of hostile values. Quick by default (CI: a few seconds per file);
 * GRADLAB_FUZZ=long multiplies the cases (GRADLAB_FUZZ_SEED picks another sequence).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { run } from '../../src/cli/program.js';
import { Generator } from '../../src/random.js';

export const LONG = process.env.GRADLAB_FUZZ === 'long';
export const SEED = Number(process.env.GRADLAB_FUZZ_SEED ?? 16);
/** Cases per file: `quick` in CI, 20× that with GRADLAB_FUZZ=long. */
export const cases = (quick: number): number => (LONG ? 20 * quick : quick);
/** Per-test timeout (vitest) for `n` cases of about `msEach`. */
export const budget = (n: number, msEach: number): number => Math.max(30_000, n * msEach * 3);

export const fuzzDir = (): string => mkdtempSync(join(tmpdir(), 'gradlab-fuzz-'));
export const rng = (salt: number): Generator => new Generator(SEED * 1000 + salt);

class Capture {
  text = '';
  isTTY = false;
  write(s: string): boolean {
    if (this.text.length < 1e6) this.text += s;
    return true;
  }
}

export interface Outcome {
  code: number;
  out: string;
  err: string;
}

/** A case that has not ended after this long is a hang. */
const HANG_MS = 30_000;

/** Run the CLI in-process; a case still running after HANG_MS fails as a hang. */
export async function cli(argv: string[], options: { interrupted?: boolean } = {}): Promise<Outcome> {
  const stdout = new Capture();
  const stderr = new Capture();
  const controller = new AbortController();
  if (options.interrupted) controller.abort(); // e.g. `lab`, which serves until interrupted
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`hang: gradlab ${argv.map((a) => JSON.stringify(a.slice(0, 80))).join(' ')} ran over ${HANG_MS} ms`));
    }, HANG_MS);
  });
  try {
    const code = await Promise.race([run(argv, { stdout, stderr, signal: controller.signal }), hang]);
    return { code, out: stdout.text, err: stderr.text };
  } finally {
    clearTimeout(timer);
  }
}

/** Tally of exit codes over a file's cases (the README's reliability counts). */
export class Tally {
  counts = new Map<number, number>();
  add(code: number): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }
  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
  toString(): string {
    return [...this.counts.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `exit ${c}: ${n}`).join(', ');
  }
}

/** The contract: exit 0–4 (or 130 if interrupted), a message for every failure, never an internal error. */
export function expectClean(o: Outcome, what: string, tally?: Tally): void {
  tally?.add(o.code);
  const detail = `${what}\n--- stderr ---\n${o.err.slice(0, 2000)}`;
  expect(o.err, detail).not.toContain('internal error');
  expect([0, 1, 2, 3, 4], detail).toContain(o.code);
  if (o.code >= 2) expect(o.err, detail).toMatch(/error/i);
}

/** Hostile scalars: wrong types, edges of number formats, escapes, long and special strings. */
export const HOSTILE_STRINGS = [
  '', ' ', '0', '-0', '-1', '1.5', '1e39', '-1e39', '1e-320', 'NaN', 'Infinity', '-Infinity', '0x10', '1_000', '٣', '1,,2', ',',
  '9007199254740993', '99999999999999999999', '2147483648', '4294967296', 'true', 'null', '[]', '{}', '__proto__', 'constructor',
  '\u0000', '\u001b[2J\u001b]0;x\u0007', '\u202e', 'x'.repeat(5000), '"', "'", '\\', '\n', 'relu', 'adam', 'softmax', 'é',
];

export const HOSTILE_NUMBERS = [0, -0, -1, 1, 2, 1.5, 0.5, 1e-320, 1e39, -1e39, 1e308, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 65536, 1 << 20, 1 << 24, -(2 ** 31)];

export const pick = <T>(g: Generator, xs: readonly T[]): T => xs[g.int(xs.length)];

/** A random JSON value: scalars from the hostile lists, arrays and objects up to `depth`. */
export function randomJson(g: Generator, depth = 3): unknown {
  const r = g.int(depth > 0 ? 8 : 5);
  switch (r) {
    case 0: return null;
    case 1: return g.int(2) === 1;
    case 2: return pick(g, HOSTILE_NUMBERS);
    case 3:
    case 4: return pick(g, HOSTILE_STRINGS);
    case 5: return Array.from({ length: g.int(4) }, () => randomJson(g, depth - 1));
    case 6: {
      const o: Record<string, unknown> = {};
      for (let i = g.int(4); i > 0; i--) o[pick(g, ['a', 'inputs', 'layers', 'classNames', 'scaler', '__proto__', 'lr', 'epoch', 's'])] = randomJson(g, depth - 1);
      return o;
    }
    default: {
      // Deep nesting, kept as text (JSON.stringify itself overflows the stack on it).
      const d = pick(g, [100, 1000, 10_000]);
      return new RawJson(g.int(2) === 0 ? '['.repeat(d) + ']'.repeat(d) : '{"a":'.repeat(d) + '0' + '}'.repeat(d));
    }
  }
}

/** JSON text inserted as is by toJson. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify that writes RawJson values as their text. */
export function toJson(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return `[${v.map((x) => toJson(x) ?? 'null').join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Replace (or delete) one value at a random path inside a JSON value; returns the new value. */
export function mutateJson(g: Generator, v: unknown): unknown {
  if (v === null || typeof v !== 'object' || v instanceof RawJson || g.int(4) === 0) return randomJson(g);
  const keys = Array.isArray(v) ? v.map((_, i) => i) : Object.keys(v);
  if (keys.length === 0) return randomJson(g);
  const k = pick(g, keys as Array<string | number>);
  const copy: Record<string | number, unknown> = Array.isArray(v) ? [...v] : { ...(v as Record<string, unknown>) };
  if (!Array.isArray(v) && g.int(5) === 0) delete copy[k];
  else copy[k] = mutateJson(g, (v as Record<string | number, unknown>)[k]);
  return copy;
}
