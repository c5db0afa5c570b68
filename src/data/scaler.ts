/**
 * Feature scaling, fitted on training data only and then applied unchanged to
 * validation and test data (fitting on all data would leak the held-out examples'
 * statistics into training). A Scaler is plain JSON so it can be saved with a model.
 *
 *   x' = (x − offset) / scale
 *   'minmax':   offset = min,  scale = max − min            (x' ∈ [0, 1] on the training data)
 *   'standard': offset = mean, scale = √(Σ(x − mean)² / N)  (population std, ddof = 0, as
 *                scikit-learn's StandardScaler)
 *   'none':     offset = 0,    scale = 1
 * A constant feature (scale 0) gets scale 1, as scikit-learn does, so it maps to 0.
 */
import { Tensor, formatShape } from '../tensor.js';
import type { Dataset } from './dataset.js';
import { rowSize } from './dataset.js';

export type ScalingMethod = 'minmax' | 'standard' | 'none';
export const SCALING_METHODS: readonly ScalingMethod[] = ['minmax', 'standard', 'none'];

export interface Scaler {
  method: ScalingMethod;
  /** Per feature. */
  offset: number[];
  /** Per feature, never 0. */
  scale: number[];
}

/** Fit a scaler to x ([N, features]); statistics are accumulated in float64. */
export function fitScaler(x: Tensor, method: ScalingMethod): Scaler {
  if (!SCALING_METHODS.includes(method)) throw new Error(`fitScaler: method must be one of ${SCALING_METHODS.join(', ')}, got ${String(method)}`);
  if (x.ndim < 1) throw new Error(`fitScaler: x must be [N, features], got ${formatShape(x.shape)}`);
  const n = x.shape[0];
  const f = rowSize(x);
  const offset = new Array<number>(f).fill(0);
  const scale = new Array<number>(f).fill(1);
  if (method === 'none') return { method, offset, scale };
  if (n === 0) throw new Error('fitScaler: cannot fit on 0 examples');
  const d = x.data;
  for (let j = 0; j < f; j++) {
    if (method === 'minmax') {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = 0; i < n; i++) {
        const v = d[i * f + j];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      offset[j] = lo;
      scale[j] = hi - lo;
    } else {
      let s = 0;
      for (let i = 0; i < n; i++) s += d[i * f + j];
      const mean = s / n;
      let ss = 0;
      for (let i = 0; i < n; i++) {
        const e = d[i * f + j] - mean;
        ss += e * e;
      }
      offset[j] = mean;
      scale[j] = Math.sqrt(ss / n);
    }
    if (!Number.isFinite(offset[j]) || !Number.isFinite(scale[j])) throw new Error(`fitScaler: feature ${j} has non-finite values`);
    if (scale[j] === 0) scale[j] = 1;
  }
  return { method, offset, scale };
}

/** (x − offset) / scale, as a new tensor. */
export function applyScaler(x: Tensor, scaler: Scaler): Tensor {
  const f = rowSize(x);
  if (scaler.offset.length !== f || scaler.scale.length !== f) {
    throw new Error(`applyScaler: scaler has ${scaler.offset.length} features, data has ${f} (shape ${formatShape(x.shape)})`);
  }
  const out = new Float32Array(x.size);
  const d = x.data;
  for (let i = 0; i < out.length; i++) {
    const j = i % f;
    out[i] = (d[i] - scaler.offset[j]) / scaler.scale[j];
  }
  return new Tensor(out, x.shape);
}

/** The dataset with x scaled (y and the description are shared). */
export function scaleDataset(ds: Dataset, scaler: Scaler): Dataset {
  return { ...ds, x: applyScaler(ds.x, scaler) };
}

/**
 * Fit `method` on `splits.train` and apply it to every split. Returns the scaled splits
 * and the scaler (save it to scale future inputs the same way).
 */
export function scaleSplits<S extends { train: Dataset } & Record<string, Dataset | undefined>>(
  splits: S,
  method: ScalingMethod,
): { [K in keyof S]: S[K] } & { scaler: Scaler } {
  const scaler = fitScaler(splits.train.x, method);
  const out: Record<string, unknown> = { scaler };
  for (const [k, ds] of Object.entries(splits)) out[k] = ds === undefined ? undefined : scaleDataset(ds, scaler);
  return out as { [K in keyof S]: S[K] } & { scaler: Scaler };
}
