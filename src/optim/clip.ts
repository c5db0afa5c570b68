/**
 * Gradient clipping (Pascanu et al. 2013), as torch.nn.utils.clip_grad_norm_/clip_grad_value_.
 */
import { K } from '../kernels/index.js';
import { Tensor, showValue } from '../tensor.js';
import { checkOptions } from '../options.js';

export interface ClipNormOptions {
  /** p of the p-norm (PyTorch's norm_type): 2 by default, Infinity for the largest |g|. */
  normType?: number;
  /** Throw when the total norm is NaN or ±∞ (PyTorch's error_if_nonfinite). */
  errorIfNonfinite?: boolean;
}

/**
 * The parameters to clip: an iterable of Tensors (`model.parameters()`) or, as PyTorch allows, one
 * Tensor; anything else is an error naming the function and the item.
 */
function paramList(where: string, params: unknown): Tensor[] {
  if (params instanceof Tensor) return [params];
  if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    const what = typeof (params as { parameters?: unknown })?.parameters === 'function' ? 'a Module (pass model.parameters())' : showValue(params);
    throw new Error(`${where}: params must be a list of parameters (model.parameters()) or one Tensor, got ${what}`);
  }
  const list = [...(params as Iterable<unknown>)];
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${where}: parameter ${i} is not a Tensor (got ${Array.isArray(p) ? 'an array' : showValue(p)})`);
  });
  return list as Tensor[];
}

/**
 * Scale all gradients together so that their global norm ‖g‖ (L2 by default: √(Σ_p ‖g_p‖²)) is
 * at most maxNorm: g ← g·maxNorm/(‖g‖ + 1e-6) when ‖g‖ > maxNorm. Returns the norm before
 * clipping. `options` may be the bare normType, as PyTorch's clip_grad_norm_(params, 1.0, 2.0).
 */
export function clipGradNorm(params: Iterable<Tensor> | Tensor, maxNorm: number | ({ maxNorm: number } & ClipNormOptions), options: ClipNormOptions | number = {}): number {
  // clip_grad_norm_(params, max_norm=1.0, norm_type=2): the keywords as one object.
  if (typeof maxNorm === 'object' && maxNorm !== null) {
    checkOptions('clipGradNorm', maxNorm, ['maxNorm', 'normType', 'errorIfNonfinite']);
    const { maxNorm: m, ...rest } = maxNorm;
    [maxNorm, options] = [m, { ...rest, ...(typeof options === 'number' ? { normType: options } : options) }];
  }
  if (typeof maxNorm !== 'number' || !(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be a number > 0, got ${showValue(maxNorm)}`);
  if (typeof options === 'number') options = { normType: options };
  checkOptions('clipGradNorm', options, ['normType', 'errorIfNonfinite']);
  const p = options.normType ?? 2;
  if (typeof p !== 'number' || !(p > 0)) throw new Error(`clipGradNorm: normType must be a number > 0 (Infinity for the largest |g|), got ${String(p)}`);
  const list = paramList('clipGradNorm', params);
  const total = p === 2 ? gradNorm(list) : pNorm(list, p);
  if (!Number.isFinite(total) && options.errorIfNonfinite) {
    throw new Error(`clipGradNorm: the total norm of the gradients is ${total}, so they cannot be clipped`);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1) {
    for (const p of list) {
      const g = p._peekGrad();
      if (g !== null) K.scale(g.data, coef);
    }
  }
  return total;
}

/** (Σ |g|^p)^(1/p) over every gradient element, or max |g| for p = ∞. */
function pNorm(params: readonly Tensor[], p: number): number {
  let acc = 0;
  for (const t of params) {
    const g = t._peekGrad();
    if (g === null) continue;
    for (const v of g.data) {
      const a = Math.abs(v);
      if (p === Infinity) acc = a > acc || a !== a ? a : acc;
      else acc += a ** p;
    }
  }
  return p === Infinity ? acc : acc ** (1 / p);
}

/** Global L2 norm ‖g‖ = √(Σ_p ‖g_p‖²) of the parameters' gradients: the one gradient-norm routine. */
export function gradNorm(params: Iterable<Tensor>): number {
  let sq = 0;
  for (const p of params) {
    const g = p._peekGrad();
    if (g !== null) sq += K.sumSquares(g.data);
  }
  return Math.sqrt(sq);
}

/** Clamp every gradient element to [−clip, clip] (`clip` also as PyTorch's keyword, `{clipValue}`). */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clip: number | { clipValue: number }): void {
  if (typeof clip === 'object' && clip !== null) {
    checkOptions('clipGradValue', clip, ['clipValue']);
    clip = clip.clipValue;
  }
  if (typeof clip !== 'number' || !(clip >= 0)) throw new Error(`clipGradValue: clip must be a number ≥ 0, got ${showValue(clip)}`);
  for (const p of paramList('clipGradValue', params)) {
    const g = p._peekGrad();
    if (g) K.clampInPlace(g.data, clip);
  }
}
