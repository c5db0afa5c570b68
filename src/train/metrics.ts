/**
 * Metrics computed from a batch's outputs: accuracy (multi-class by argmax, binary by
 * threshold) and top-k accuracy. Each returns the number of hits and the number of cases,
 * so epoch values are exact averages over examples rather than means of batch means.
 */
import type { Tensor } from '../tensor.js';
import type { MetricName } from './types.js';

export interface Metric {
  /** The key in logs ('accuracy', 'top5'); validation values are logged as valMetrics[name]. */
  readonly name: string;
  /** Hits and cases of one batch: output [B, C], target [B] class indices or [B, k]. */
  count(output: Tensor, target: Tensor): { hits: number; cases: number };
}

/** Index of the largest of row r of a [rows, c] array (first on ties, as argmax). */
function argmaxRow(d: ArrayLike<number>, r: number, c: number): number {
  const o = r * c;
  let best = 0;
  let bv = d[o];
  for (let k = 1; k < c; k++) {
    if (d[o + k] > bv) {
      bv = d[o + k];
      best = k;
    }
  }
  return best;
}

/** The class of row r of the target: the index for [B], the argmax for one-hot [B, C]. */
function targetClass(t: Tensor, r: number, c: number): number {
  return t.ndim === 1 ? t.data[r] : argmaxRow(t.data, r, c);
}

function checkRows(name: string, output: Tensor, target: Tensor): number {
  const b = output.shape[0];
  if (target.shape[0] !== b) throw new Error(`${name}: output has ${b} rows but target has ${target.shape[0]}`);
  return b;
}

/** Multi-class accuracy: argmax of the output equals the class. */
export function categoricalAccuracy(name = 'accuracy'): Metric {
  return {
    name,
    count(output, target) {
      const b = checkRows(name, output, target);
      const c = output.size / Math.max(b, 1);
      let hits = 0;
      for (let r = 0; r < b; r++) if (argmaxRow(output.data, r, c) === targetClass(target, r, c)) hits++;
      return { hits, cases: b };
    },
  };
}

/**
 * Binary accuracy per element: the output on the positive side of `threshold` (0 for
 * logits, 0.5 for probabilities) agrees with the target being ≥ 0.5.
 */
export function binaryAccuracy(threshold: number, name = 'binaryAccuracy'): Metric {
  return {
    name,
    count(output, target) {
      checkRows(name, output, target);
      if (target.size !== output.size) throw new Error(`${name}: output has ${output.size} values but target has ${target.size}`);
      let hits = 0;
      for (let i = 0; i < output.size; i++) if (output.data[i] > threshold === target.data[i] >= 0.5) hits++;
      return { hits, cases: output.size };
    },
  };
}

/** Top-k accuracy: the class is among the k largest outputs (ties counted in the class's favour only when strictly fewer than k are larger). */
export function topKAccuracy(k: number, name = `top${k}`): Metric {
  if (!Number.isInteger(k) || k < 1) throw new Error(`top-k accuracy: k must be an integer ≥ 1, got ${k}`);
  return {
    name,
    count(output, target) {
      const b = checkRows(name, output, target);
      const c = output.size / Math.max(b, 1);
      let hits = 0;
      for (let r = 0; r < b; r++) {
        const y = targetClass(target, r, c);
        const v = output.data[r * c + y];
        let larger = 0;
        for (let j = 0; j < c; j++) if (output.data[r * c + j] > v) larger++;
        if (larger < k) hits++;
      }
      return { hits, cases: b };
    },
  };
}

export interface MetricContext {
  /** Columns of the model's output. */
  outputColumns: number;
  /** The model ends in a Sigmoid (outputs are probabilities, threshold 0.5; else logits, threshold 0). */
  probabilities: boolean;
  /** The targets are class indices [N] (vs [N, k] targets). */
  classIndices: boolean;
}

/**
 * The metric for a name. 'accuracy' resolves as Keras does: binary (threshold) when the
 * output has one column, argmax otherwise.
 */
export function resolveMetric(name: MetricName | string, ctx: MetricContext): Metric {
  const threshold = ctx.probabilities ? 0.5 : 0;
  if (name === 'accuracy') return ctx.outputColumns === 1 ? binaryAccuracy(threshold, 'accuracy') : categoricalAccuracy('accuracy');
  if (name === 'binaryAccuracy') return binaryAccuracy(threshold);
  const m = /^top(\d+)$/.exec(name);
  if (m) {
    if (ctx.outputColumns < 2) throw new Error(`metric '${name}' needs a multi-class output (got ${ctx.outputColumns} column)`);
    return topKAccuracy(Number(m[1]), name);
  }
  throw new Error(`Unknown metric '${name}'. Valid metrics: accuracy, binaryAccuracy, top<k> (e.g. top5).`);
}

/**
 * fit's metrics when none are asked for: accuracy for a classification loss (crossEntropy;
 * bceWithLogits on a single output column, where accuracy is binary), none otherwise.
 */
export function defaultMetrics(lossName: string, outputColumns: number): MetricName[] {
  return lossName === 'crossEntropy' || (lossName === 'bceWithLogits' && outputColumns === 1) ? ['accuracy'] : [];
}

/** Check metric names before training starts (the output shape is not known yet). */
export function checkMetricName(name: string): void {
  if (name === 'accuracy' || name === 'binaryAccuracy') return;
  const m = /^top(\d+)$/.exec(name);
  if (m && Number(m[1]) >= 1) return;
  throw new Error(`fit: unknown metric '${name}'. Valid metrics: accuracy, binaryAccuracy, top<k> (e.g. top5).`);
}
