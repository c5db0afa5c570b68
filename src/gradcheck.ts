/**
 * Finite-difference gradient check in float64, for users' own ops and for our tests.
 *
 * For L = Σ vᵢ·fᵢ(x) with a fixed random v (so every output element contributes), compare the
 * analytic ∂L/∂x from backward() with the central difference (L(x + εeⱼ) − L(x − εeⱼ))/2ε for
 * every element j of every input that requires grad. Truncation error is O(ε²) and rounding
 * O(u/ε), so ε = 1e-6 in float64 leaves ~1e-10 of noise: tolerances can be tight.
 */
import { noGrad } from './autograd.js';
import { Generator } from './random.js';
import { Tensor, formatShape } from './tensor.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Seed of the projection vector v. */
  seed?: number;
}

export interface GradcheckFailure {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  /** Largest |analytic − numeric|/max(|numeric|, atol). */
  maxRelError: number;
  checked: number;
  failures: GradcheckFailure[];
}

export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  inputs.forEach((x, i) => {
    if (!(x instanceof Tensor)) throw new Error(`gradcheck: input ${i} is not a Tensor`);
    if (x.requiresGrad && x.dtype !== 'float64') {
      throw new Error(`gradcheck: input ${i} (shape ${formatShape(x.shape)}) is ${x.dtype}; finite differences need float64 inputs`);
    }
  });
  if (!inputs.some((x) => x.requiresGrad)) throw new Error('gradcheck: no input requires grad');

  const first = noGrad(() => fn(...inputs));
  const g = new Generator(options.seed ?? 0);
  const v = new Float64Array(first.size);
  for (let i = 0; i < v.length; i++) v[i] = g.normal();
  const project = (out: Tensor): number => {
    if (out.size !== v.length) throw new Error(`gradcheck: fn's output changed size (${out.size} vs ${v.length})`);
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i] * out.data[i];
    return s;
  };

  // Analytic: backward of Σ v·f, with the inputs' existing gradients set aside.
  const saved = inputs.map((x) => x.grad);
  inputs.forEach((x) => (x.grad = null));
  const out = fn(...inputs);
  out.backward(new Tensor(Float64Array.from(v), out.shape));
  const analytic = inputs.map((x) => (x.requiresGrad ? (x.grad?.data ?? new Float64Array(x.size)) : null));
  inputs.forEach((x, i) => (x.grad = saved[i]));

  const result: GradcheckResult = { ok: true, maxAbsError: 0, maxRelError: 0, checked: 0, failures: [] };
  noGrad(() => {
    inputs.forEach((x, k) => {
      const a = analytic[k];
      if (!a) return;
      for (let j = 0; j < x.size; j++) {
        const orig = x.data[j];
        x.data[j] = orig + eps;
        const plus = project(fn(...inputs));
        x.data[j] = orig - eps;
        const minus = project(fn(...inputs));
        x.data[j] = orig;
        const numeric = (plus - minus) / (2 * eps);
        const err = Math.abs(a[j] - numeric);
        result.checked++;
        result.maxAbsError = Math.max(result.maxAbsError, err);
        result.maxRelError = Math.max(result.maxRelError, err / Math.max(Math.abs(numeric), atol));
        if (!(err <= atol + rtol * Math.abs(numeric))) {
          result.ok = false;
          if (result.failures.length < 20) result.failures.push({ input: k, index: j, analytic: a[j], numeric });
        }
      }
    });
  });
  return result;
}
