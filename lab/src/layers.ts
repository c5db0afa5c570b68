/**
 * Which monitored layers each panel of the lab shows, and how a layer's failure fraction reads:
 * the same for an MLP and a conv net (whose units are channels: filters). Plain functions over
 * the worker's LayerSnapshots, without the DOM.
 */
import { WEIGHTED_KINDS } from '../../src/diagnostics/names.js';
import type { ActivationStats } from '../../src/train/types.js';
import type { LayerSnapshot } from './protocol.js';

/** The layers the gradient bars and heat map show: those with weights (Linear, Conv2d, residual blocks), input first. */
export const weightedLayers = (layers: readonly LayerSnapshot[]): LayerSnapshot[] => layers.filter((l) => WEIGHTED_KINDS.includes(l.kind));

/** The ‖∇W‖ a layer's bar shows: its (first) weight's gradient norm (a residual block's first convolution's). */
export const weightGradNorm = (l: LayerSnapshot): number => l.params?.find((p) => p.name.endsWith('weight'))?.gradNorm ?? 0;

/** The layers with a histogram: activations (a BasicBlock's output is a ReLU's) and BatchNorm outputs. */
export const histogramLayers = (layers: readonly LayerSnapshot[]): LayerSnapshot[] => layers.filter((l) => l.activation || l.kind.startsWith('BatchNorm'));

/**
 * A statistic in a caption: 2 decimals up to 10⁴, 2 significant digits in exponent form beyond
 * (an exploding layer's mean of 1.5e+23, not 24 digits), "non-finite" for NaN/±∞ (never "NaN").
 */
export function statText(v: number): string {
  if (!Number.isFinite(v)) return 'non-finite';
  return Math.abs(v) < 1e4 ? v.toFixed(2) : v.toExponential(1);
}

/**
 * A layer's failure fraction as caption text: " · saturated 40%", " · dead 12%", or for a conv
 * layer's output " · dead filters 3/16"; '' when its activation has none.
 */
export function failureText(st: ActivationStats, channels?: number): string {
  if (st.saturated !== undefined) return ` · saturated ${(st.saturated * 100).toFixed(0)}%`;
  if (st.dead === undefined) return '';
  return channels !== undefined ? ` · dead filters ${Math.round(st.dead * channels)}/${channels}` : ` · dead ${(st.dead * 100).toFixed(0)}%`;
}

/**
 * One colour per filter of a conv layer's output, for the strip under its histogram: dead filters
 * red, live ones pale blue (ReLU); or the filter's saturated share as the shade of orange
 * (sigmoid, tanh). Null for a layer without channels or without a per-channel record.
 */
export function filterStrip(st: ActivationStats, channels?: number): string[] | null {
  if (channels === undefined) return null;
  if (st.deadChannels !== undefined) {
    const dead = new Set(st.deadChannels);
    return Array.from({ length: channels }, (_, c) => (dead.has(c) ? '#c0392b' : '#cfe3f5'));
  }
  const sat = st.channelSaturated;
  if (sat === undefined || sat.length !== channels) return null;
  return sat.map((v) => `rgba(181, 71, 8, ${(0.1 + 0.9 * Math.min(1, Math.max(0, v))).toFixed(2)})`);
}
