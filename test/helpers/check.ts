/**
 * THE conformance helper: every op and layer test checks through it, three ways, on every
 * available kernel backend (see backends.ts):
 *   (a) finite differences: gradlab's `gradcheck` on float64 copies of the inputs;
 *   (b) PyTorch: values and gradients against the fixtures written by make_fixtures.py;
 *   (c) bad input: wrong shapes and invalid options throw errors naming the shape/option.
 *
 * Tolerance for (b): an element passes when it is within RTOL·|e| + ATOL (RTOL = 1e-5) of
 * PyTorch's float32 result e, or of PyTorch's float64 answer for the same float32 inputs
 * (stored beside it where the fixture has one), or no farther from that exact answer than
 * PyTorch's float32 result is (never less accurate than PyTorch). The second reference
 * matters where PyTorch's
 * float32 result is itself off by more than 1e-5 relative: GELU's left tail (its
 * 0.5·x·(1 + erf(x/√2)) cancels), softmax's backward g − ⟨g, y⟩ — gradlab, which accumulates
 * such sums in float64, is then closer to the exact answer than PyTorch is.
 *
 * Why an absolute floor ATOL = 1e-7: a value obtained by cancellation carries float32
 * rounding of the size of the terms that cancelled, not of the result, in PyTorch and in any
 * backend that accumulates in float32 (the wasm kernels do, like BLAS): a sum or dot
 * product of k terms of magnitude ~1 is off by up to ≈ k·u·max|term| with u = 2⁻²⁴ ≈ 6e-8
 * (measured: 6e-8 on a matmul element of 1e-3, 2e-8 on a broadcast sum of 4 terms). The same
 * holds for derivatives read from a float32 output near saturation, as PyTorch computes them
 * (sigmoid's y(1 − y), tanh's 1 − y² with y within an ulp of ±1: error u·|g|). A purely
 * relative test of such a value would measure float32 rounding, not gradlab. Fixture values
 * are O(1), so 1e-7 ≈ 2u: it covers that rounding and nothing more; all values of magnitude
 * ≥ 0.01 are held to the purely relative 1e-5. Elementwise activations, whose results involve
 * no sums, are additionally checked against the float64 answer with no floor at all
 * (test/ops/activation.test.ts), which is what catches a formula that loses relative accuracy
 * in a tail.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, appendFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { alloc, setBackend } from '../../src/kernels/index.js';
import { reference } from '../../src/kernels/reference.js';
import type { DType, Kernels } from '../../src/kernels/types.js';
import { Tensor, formatShape, type FloatArray } from '../../src/tensor.js';
import { gradcheck, type GradcheckOptions } from '../../src/gradcheck.js';
import { backends } from './backends.js';

export const RTOL = 1e-5;
export const ATOL = 1e-7;

/** The backends of this run (reference first), resolved once at collection time. */
export const BACKENDS: Kernels[] = await backends();

// ---------------------------------------------------------------------------------------
// Fixtures

/** A float32 tensor stored exactly: shape and base64 of its little-endian bytes. */
export interface Stored {
  shape: number[];
  data: string;
  /** 'float64' for the exact-answer references (8 bytes per value); float32 otherwise. */
  dtype?: 'float64';
}

export interface OpCase {
  inputs: Stored[];
  grad: boolean[];
  args: Record<string, unknown>;
  output: Stored;
  gradOutput: Stored;
  grads: Array<Stored | null>;
  /** PyTorch's float64 results from the same float32 inputs (the exact answer, to ~1e-16). */
  output64?: Stored;
  grads64?: Array<Stored | null>;
  after?: Array<Stored | null>;
  nondiff?: boolean;
}

const cache = new Map<string, unknown>();

/** Parsed JSON of test/fixtures/<name>. */
export function fixture<T = unknown>(name: string): T {
  if (!cache.has(name)) {
    const path = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
    cache.set(name, JSON.parse(readFileSync(path, 'utf8')));
  }
  return cache.get(name) as T;
}

/** The exact values of a stored tensor (float32, or float64 for the exact references). */
export function decode(s: Stored): Float32Array | Float64Array {
  const bytes = Buffer.from(s.data, 'base64');
  // Copy into a fresh (aligned) buffer; the platform is little-endian like the fixture.
  const buf = new Uint8Array(bytes).buffer;
  return s.dtype === 'float64' ? new Float64Array(buf) : new Float32Array(buf);
}

/** A fresh gradlab tensor holding a stored tensor (float32, or float64 for gradcheck). */
export function load(s: Stored, options: { dtype?: DType; requiresGrad?: boolean } = {}): Tensor {
  const v = decode(s);
  // Allocate through the active backend (a fast backend may keep tensors in its own memory).
  const data = alloc(v.length, options.dtype ?? 'float32');
  data.set(v);
  return new Tensor(data, s.shape, options.requiresGrad ?? false);
}

// ---------------------------------------------------------------------------------------
// Comparison and error bookkeeping

/** Largest scaled error |a − e|/max(|e|, ATOL/RTOL) seen per group, for the report. */
const maxErrors = new Map<string, number>();

export function recordError(group: string, err: number): void {
  maxErrors.set(group, Math.max(maxErrors.get(group) ?? 0, err));
}

afterAll(() => {
  const path = process.env.GRADLAB_ERROR_REPORT;
  if (!path || maxErrors.size === 0) return;
  appendFileSync(path, [...maxErrors].map(([k, v]) => `${k}\t${v.toExponential(2)}\n`).join(''));
});

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  /**
   * PyTorch's float64 answer x for the same inputs. An element also passes when it is within
   * tolerance of x, or no farther from x than PyTorch's float32 result is: then the gap to
   * PyTorch's float32 result is float32 rounding (cancellation), and gradlab is at least as
   * accurate as PyTorch.
   */
  exact?: ArrayLike<number>;
  /** Bookkeeping group for the max-error report. */
  group?: string;
}

/**
 * Expect `actual` to match `expected` elementwise within rtol·|e| + atol (defaults RTOL, ATOL;
 * see the header for why). NaN matches NaN, ±∞ must match exactly.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, options: CloseOptions = {}): number {
  const rtol = options.rtol ?? RTOL;
  const atol = options.atol ?? ATOL;
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  let maxScaled = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || !Number.isFinite(e)) {
      if (!Object.is(a, e) && !(Number.isNaN(a) && Number.isNaN(e))) {
        worst = i;
        worstExcess = Infinity;
      }
      continue;
    }
    const err = Math.abs(a - e);
    let scaled = err / Math.max(Math.abs(e), atol / rtol);
    let excess = err - (rtol * Math.abs(e) + atol);
    if (options.exact) {
      const x = options.exact[i];
      const errX = Math.abs(a - x);
      // Within tolerance of the exact answer, or at least as close to it as PyTorch's float32.
      const allowed = Math.max(rtol * Math.abs(x) + atol, Math.abs(e - x));
      scaled = Math.min(scaled, (errX / allowed) * rtol);
      excess = Math.min(excess, errX - allowed);
    }
    if (!(scaled <= maxScaled)) maxScaled = Number.isNaN(scaled) ? Infinity : scaled;
    if (!(excess <= 0) && !(excess <= worstExcess)) {
      worst = i;
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
    }
  }
  if (options.group) recordError(options.group, maxScaled);
  if (worst >= 0) {
    expect.fail(
      `${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} ` +
        (options.exact ? `, exact ${options.exact[worst]} ` : ' ') +
        `(|diff| = ${Math.abs(actual[worst] - expected[worst]).toExponential(3)} > ${rtol}·|e| + ${atol}; max scaled error ${maxScaled.toExponential(3)})`,
    );
  }
  return maxScaled;
}

/** Expect a tensor to match a stored PyTorch tensor in shape and values. */
export function expectTensor(actual: Tensor | null | undefined, expected: Stored, label: string, options: CloseOptions = {}): number {
  expect(actual, `${label}: missing`).toBeTruthy();
  expect(actual!.shape, `${label}: shape`).toEqual(expected.shape);
  return expectClose(actual!.data, decode(expected), label, options);
}

// ---------------------------------------------------------------------------------------
// Finite differences

/** Run gradlab's gradcheck and expect it to pass, with the failures in the message. */
export function expectGradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], label: string, options: GradcheckOptions = {}): void {
  const r = gradcheck(fn, inputs, options);
  recordError('gradcheck', r.maxRelError);
  if (!r.ok) {
    expect.fail(`${label}: gradcheck failed (max abs ${r.maxAbsError.toExponential(3)}); first failures: ${JSON.stringify(r.failures.slice(0, 5))}`);
  }
  expect(r.checked).toBeGreaterThan(0);
}

// ---------------------------------------------------------------------------------------
// Bad input

export interface BadInput {
  /** What is wrong, for the test name. */
  what: string;
  run: () => unknown;
  /** Fragments the error message must contain (the shape, the option's name…). */
  mentions: Array<string | RegExp>;
}

/** Expect `run` to throw an Error whose message contains every fragment of `mentions`. */
export function expectThrowsMentioning(run: () => unknown, mentions: Array<string | RegExp>, label = 'call'): Error {
  let caught: unknown = undefined;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught, `${label}: expected an error`).toBeInstanceOf(Error);
  const msg = (caught as Error).message;
  for (const m of mentions) {
    if (typeof m === 'string') expect(msg, `${label}: message should mention ${m}`).toContain(m);
    else expect(msg, `${label}: message should match ${m}`).toMatch(m);
  }
  return caught as Error;
}

// ---------------------------------------------------------------------------------------
// Backends

/** `describe` once per backend, with that backend active during each test. */
export function describeEachBackend(title: string, body: (backend: Kernels) => void): void {
  for (const b of BACKENDS) {
    describe(`${title} [${b.name}]`, () => {
      beforeEach(() => setBackend(b));
      afterEach(() => setBackend(reference));
      body(b);
    });
  }
}

// ---------------------------------------------------------------------------------------
// The three-way op check

export interface OpCheck {
  /** Suite title, e.g. 'ops.relu'. */
  title: string;
  /** Fixture file and the prefix of its case names, e.g. 'ops.json', 'relu/'. */
  file: string;
  prefix: string;
  /** gradlab's call for a case: receives the case's args, returns a function of the case's inputs. */
  call: (args: Record<string, any>, name: string) => (...inputs: Tensor[]) => Tensor;
  bad?: BadInput[];
  gradcheck?: GradcheckOptions;
  /**
   * The absolute floor, for ops whose every value is a sum of many O(1) products (convolution:
   * C_g·k_h·k_w terms forward, N·H_o·W_o for the weight gradient): float32 rounding of such a sum
   * is up to k·u·max|term| (see the header), so ATOL's 2u is too tight for k in the tens.
   */
  atol?: number;
  /**
   * false: no finite-difference check per case. For cases whose float64 gradients run the same
   * reference kernels another suite already checks by finite differences on smaller inputs.
   */
  finiteDifferences?: false;
}

/** Cases of a fixture file whose names start with `prefix`. */
export function casesOf(file: string, prefix: string): Array<[string, OpCase]> {
  const all = fixture<Record<string, OpCase>>(file);
  return Object.entries(all).filter(([k]) => k.startsWith(prefix));
}

/** Run `call` on the case's inputs in `dtype`, backpropagating the stored upstream gradient. */
export function runCase(c: OpCase, fn: (...inputs: Tensor[]) => Tensor, dtype: DType = 'float32') {
  const inputs = c.inputs.map((s, i) => load(s, { dtype, requiresGrad: c.grad[i] }));
  const out = fn(...inputs);
  if (out.requiresGrad) out.backward(load(c.gradOutput, { dtype }));
  return { inputs, out };
}

export function checkOp(spec: OpCheck): void {
  const cases = casesOf(spec.file, spec.prefix);
  describeEachBackend(spec.title, () => {
    it('has PyTorch fixtures', () => {
      expect(cases.length, `no cases '${spec.prefix}*' in ${spec.file}`).toBeGreaterThan(0);
    });
    for (const [name, c] of cases) {
      it(`${name}: values and gradients match PyTorch (float32)`, () => {
        const { inputs, out } = runCase(c, spec.call(c.args, name));
        expect(out.dtype).toBe('float32');
        const exact = (s: Stored | null | undefined) => (s ? decode(s) : undefined);
        const atol = spec.atol;
        expectTensor(out, c.output, `${name} output`, { group: `${spec.title} value`, exact: exact(c.output64), atol });
        c.grads.forEach((g, i) => {
          if (!g) return;
          const label = `${name} grad of input ${i} ${formatShape(c.inputs[i].shape)}`;
          expectTensor(inputs[i].grad, g, label, { group: `${spec.title} grad`, exact: exact(c.grads64?.[i]), atol });
        });
        c.after?.forEach((a, i) => {
          if (a) expectTensor(inputs[i], a, `${name} input ${i} after the call`, { group: `${spec.title} state` });
        });
      });
      if (spec.finiteDifferences !== false && !c.nondiff && c.grad.some(Boolean)) {
        it(`${name}: gradients match finite differences (float64)`, () => {
          const inputs = c.inputs.map((s, i) => load(s, { dtype: 'float64', requiresGrad: c.grad[i] }));
          expectGradcheck(spec.call(c.args, name), inputs, name, spec.gradcheck);
        });
      }
    }
    for (const b of spec.bad ?? []) {
      it(`refuses ${b.what}`, () => {
        expectThrowsMentioning(b.run, b.mentions, b.what);
      });
    }
  });
}

/** Float32 tensor from nested/flat values (bad-input tests build small inputs with it). */
export function t32(values: number[], shape: number[], requiresGrad = false): Tensor {
  return new Tensor(Float32Array.from(values), shape, requiresGrad);
}

/** A float32 tensor of a shape, filled with 0.5·(i mod 7) − 1 (values need not be random). */
export function filled(shape: number[], requiresGrad = false): Tensor {
  let n = 1;
  for (const d of shape) n *= d;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = 0.5 * (i % 7) - 1;
  return new Tensor(v, shape, requiresGrad);
}

export type { FloatArray };
