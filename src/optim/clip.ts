/**
 * Gradient clipping (Pascanu et al. 2013), as torch.nn.utils.clip_grad_norm_/clip_grad_value_.
 */
import { K } from '../kernels/index.js';
import type { Tensor } from '../tensor.js';

export interface ClipNormOptions {
  /** Throw when the total norm is NaN or ±∞ (PyTorch's error_if_nonfinite). */
  errorIfNonfinite?: boolean;
}

/**
 * Scale all gradients together so that their global L2 norm ‖g‖ = √(Σ_p ‖g_p‖²) is at most
 * maxNorm: g ← g·maxNorm/(‖g‖ + 1e-6) when ‖g‖ > maxNorm. Returns the norm before clipping.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number, options: ClipNormOptions = {}): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const list = [...params];
  const total = gradNorm(list);
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

/** Global L2 norm ‖g‖ = √(Σ_p ‖g_p‖²) of the parameters' gradients: the one gradient-norm routine. */
export function gradNorm(params: Iterable<Tensor>): number {
  let sq = 0;
  for (const p of params) {
    const g = p._peekGrad();
    if (g !== null) sq += K.sumSquares(g.data);
  }
  return Math.sqrt(sq);
}

/** Clamp every gradient element to [−clip, clip]. */
export function clipGradValue(params: Iterable<Tensor>, clip: number): void {
  if (!(clip >= 0)) throw new Error(`clipGradValue: clip must be ≥ 0, got ${clip}`);
  for (const p of params) {
    const g = p._peekGrad();
    if (g) K.clampInPlace(g.data, clip);
  }
}
