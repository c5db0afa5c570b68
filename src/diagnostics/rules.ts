/**
 * The health check: one rule per way training fails, each reading only a Report (so the CLI
 * and the lab can re-run them on a saved report), each finding naming the layer(s), the
 * measured evidence, and the remedy from the literature. HEALTH_RULES is the registry the
 * CLI and the lab list; THRESHOLDS holds every number a rule decides by, with its reason.
 */
import { ACTIVATIONS, type ActivationName } from '../activations.js';
import { INITIALIZERS, isInitName } from '../init.js';
import { fmt } from '../train/json.js';
import type { Finding, LayerSeries, NonFiniteEvent, Report, RuleName, Severity } from '../train/types.js';
import { nameList, reportLayerNamer, WEIGHTED_KINDS } from './names.js';

/**
 * The numbers the rules decide by. Each is a ratio or a fraction, never an absolute
 * value, so that it holds across data scales, widths and losses.
 */
export const THRESHOLDS = {
  /**
   * vanishing-gradients: a Linear or Conv2d layer's (or residual block's first convolution's) RMS
   * weight gradient (‖∇W‖/√size) below 1/100 of the last such layer's, as the median over the
   * monitored steps. Variance-preserving
   * initialisation keeps the backward signal's variance equal across layers (Glorot & Bengio
   * 2010, eq. 13; He et al. 2015, eq. 13), so healthy layers sit within a small factor of each
   * other; two orders of magnitude means the early layer learns ~100× slower, the
   * "vanishing" regime of Hochreiter 1991 and Bengio et al. 1994. RMS (not the norm) so that
   * layers of different sizes compare fairly.
   */
  vanishingRatio: 1e-2,
  /**
   * vanishing-gradients speaks only while the loss is still high: the median training loss of
   * the last tenth of the steps at least this fraction of the constant predictor's loss (of the
   * first tenth's median when there is no baseline). A network that fits its data has small
   * gradients everywhere because its loss is small (∂L/∂z = p − y → 0 for cross-entropy), and
   * the early layers' share of that is convergence, not a failure to learn; below a quarter of
   * the "learned nothing" loss the network has clearly learned, so its early layers did.
   */
  vanishingLossFloor: 0.25,
  /**
   * update-ratio: every layer with weights moves them by less than this fraction of their norm per
   * step (‖Δw‖/‖w‖ of the weight, median over the monitored steps at which it had a gradient),
   * while the loss is still high (vanishingLossFloor). Healthy training moves weights by about a
   * thousandth of their norm per step (Karpathy, CS231n notes, "Neural Networks Part 3": ratio
   * ≈ 1e-3); at 1e-5 a thousand steps change the weights by at most 1% even if every step points
   * the same way, so the network cannot leave its initialisation within a run. Only when every
   * layer is that slow (a step size problem): one slow layer among fast ones is vanishing gradients.
   */
  smallUpdateRatio: 1e-5,
  /**
   * exploding-gradients: the global gradient norm grew by two orders of magnitude (median of
   * the last tenth of the steps over the median of the first tenth) while the loss rose — the
   * exponential growth Pascanu et al. 2013 (§2) describe — or the loss itself rose tenfold
   * (divergence: the median of the last tenth an order of magnitude above the untrained
   * network's loss, the first step's: in a long run the first tenth already holds a divergence
   * of the first steps, which then hid it), or it rose tenfold in some tenth of the run and the
   * last tenth is still above the first step's loss (a divergence the run has not recovered from).
   */
  explodingGrowth: 1e2,
  divergenceLossGrowth: 10,
  /**
   * saturation: the fraction of a sigmoid/tanh layer's outputs inside the registry's
   * saturation band (f′ < 5% of its peak), median over the monitored steps. Under the
   * unit-variance pre-activations Xavier/LeCun init aims for (LeCun et al. 1998 §4.6; Glorot &
   * Bengio 2010) tanh has 2.9% of its outputs in the band (|x| > 2.18) and sigmoid ≪ 1%
   * (|x| > 4.4); 30% is ten times tanh's — a layer passing almost no gradient for a third of its
   * unit-example pairs.
   */
  saturatedFraction: 0.3,
  /**
   * dead-units: the fraction of a ReLU layer's units inactive on every example of the
   * evaluation set (or, without one, the median over the second half of the monitored steps of
   * the fraction inactive on a whole batch). With He init a unit's pre-activation is symmetric
   * about 0, so a live unit is silent on all of even 32 examples with probability ~2⁻³²;
   * training makes representations sparser but a healthy layer keeps most units alive
   * (Glorot et al. 2011 report ~50–80% of activations zero yet few dead units). Half of the
   * layer dead is half of its capacity gone (Lu et al. 2019, "Dying ReLU and initialization").
   */
  deadFraction: 0.5,
  /**
   * symmetry: at least one hidden unit whose incoming weights and bias equal another's
   * (relative tolerance SYMMETRY_TOLERANCE) at the last monitored step. Under any continuous
   * random init two units coincide with probability 0; units made equal by a constant init
   * get equal gradients and stay equal forever (Goodfellow et al. 2016, §8.4).
   */
  symmetricUnits: 1,
  /**
   * overfitting: Prechelt's generalisation loss GL = E_val(final)/E_val(best) − 1 (Prechelt
   * 1998, "Early stopping — but when?") above 10% (twice his largest α = 5%), while the
   * training loss kept falling after the best epoch, and the rise is statistically real: larger
   * than `overfitZ` standard errors of the difference of the two validation means,
   * √(SE_best² + SE_final²) (SE = std of per-example losses/√n; treating the two as
   * independent is conservative since they share the examples). Without the z-test a run
   * whose validation loss wanders between 0.040 and 0.045 would count as overfitting.
   */
  generalizationLoss: 0.1,
  overfitZ: 2,
  /**
   * underfitting: the final training loss still at least half of the baseline loss (the best
   * constant prediction: the class-frequency entropy, the target variance) — the model
   * explains less than half of what a constant cannot — and flat: it fell by less than 5% over
   * the second half of the epochs. Both hold for validation too when present.
   * (Goodfellow et al. 2016, §5.2: underfitting is a training error that stays high.)
   */
  underfitRelativeLoss: 0.5,
  underfitFlatness: 0.05,
  /**
   * unstable-training: the step losses, as medians over windows of a tenth of the run (≥ 5
   * steps; a median over several batches moves little under minibatch noise at a stable
   * learning rate), either end `unstableRise` × above their best window (the loss went back
   * up), or, over windows of a twentieth, rise by `unstableSwing` × from one window to the next
   * at least `unstableSwings` times in the second half of the run (oscillation: a falling loss
   * rarely rises 25% between two medians of several batches, three times by chance). Past the largest
   * stable step (η > 2/λ_max for a quadratic, LeCun et al. 1998 §4.5; Goodfellow et al. 2016,
   * §8.1.3) the loss oscillates and grows instead of falling. Only windows whose loss is still
   * above `unstableLossFloor` × the constant predictor's count (as for vanishing gradients: below
   * a quarter of the "learned nothing" loss the network has learned, and the relative noise of
   * a small loss is large — a healthy run at 10% of the baseline swings 1.5× between 6-step
   * windows).
   */
  unstableWindow: 5,
  unstableRise: 1.5,
  unstableSwing: 1.25,
  unstableSwings: 3,
  unstableLossFloor: 0.25,
  /**
   * unstable-training, also: the mean loss of the second half of the run ≥ this × the
   * constant predictor's. A network can always do as well as the constant (its output layer's
   * bias alone represents it), and gradient descent at a stable step size gets there within a
   * few steps; a trained network that stays worse than that is being thrown around by steps too
   * large for the optimizer — unless the loss is still falling smoothly toward it (a slow
   * start: no window of the second half rises ≥ underfitFlatness above the one before).
   */
  unstableAboveBaseline: 1.1,
  /** Epochs needed before the epoch-based rules (overfitting, underfitting) speak. */
  minEpochs: 4,
} as const;

export interface HealthRule {
  name: RuleName;
  title: string;
  /** Severity of a typical finding (a finding may be graver). */
  severity: Severity;
  /** How the rule decides, in words (for help texts). */
  criterion: string;
  advice: string;
  citation: string;
  check(report: Report): Finding[];
}

function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

function lastStep(report: Report): number {
  const s = report.history.steps;
  return s.length ? s[s.length - 1].step : 0;
}

/** RMS of a layer's (first) weight gradient at a sample, or NaN. */
function weightRms(series: LayerSeries, i: number): number {
  const w = series.samples[i].params?.find((p) => p.name.endsWith('weight'));
  return w && w.size > 0 ? w.gradNorm / Math.sqrt(w.size) : NaN;
}

/** The layers with weights (Linear, Conv2d, residual blocks) that have parameter samples, input first. */
const weighted = (r: Report) => r.monitors.layers.filter((l) => WEIGHTED_KINDS.includes(l.kind) && l.samples.some((s) => s.params));

/**
 * The loss of the last tenth of the steps (median) and the baseline it is compared with, when it
 * is still ≥ vanishingLossFloor × the baseline (the constant predictor's loss, else the first
 * tenth's median); null once the network has clearly learned, or without losses.
 */
function lossStillHigh(r: Report): { lossNow: number; base: number } | null {
  const losses = finiteLosses(r);
  if (losses.length === 0) return null;
  const k = Math.max(1, Math.floor(losses.length / 10));
  const lossNow = median(losses.slice(-k).map((s) => s.loss));
  const base = r.history.baselineLoss ?? median(losses.slice(0, k).map((s) => s.loss));
  return base > 0 && lossNow >= THRESHOLDS.vanishingLossFloor * base ? { lossNow, base } : null;
}

/** Finite step losses of the history. */
const finiteLosses = (r: Report) => r.history.steps.filter((s): s is { step: number; loss: number; gradNorm: number | null; lr: number } => s.loss !== null && Number.isFinite(s.loss));

/**
 * What the run used, read from its Report (the configuration fit, the CLI or the lab recorded,
 * and the monitored layers), so that advice names what to change from what, and never
 * recommends what the run already does.
 */
export interface RunFacts {
  optimizer: string | null;
  lr: number | null;
  /** Gradient-norm clipping threshold, null when not clipping. */
  clip: number | null;
  batchnorm: boolean;
  /** Hidden layers with weights (Linear, Conv2d, residual blocks: all but the last). */
  hidden: number;
  /** Distinct activations of the hidden layers, input side first. */
  activations: ActivationName[];
  /** Distinct initialisers of the Linear/Conv2d layers that feed an activation (hidden layers). */
  inits: string[];
  epochs: number;
}

export function runFacts(r: Report): RunFacts {
  const c = r.config ?? {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const clipGrad = num(c.clipGradNorm) ?? num(c.clip);
  const layers = r.monitors.layers;
  const hiddenLin = layers.filter((l) => WEIGHTED_KINDS.includes(l.kind)).slice(0, -1);
  const acts: ActivationName[] = [];
  for (const l of layers) if (l.activation && l !== layers[layers.length - 1] && !acts.includes(l.activation) && l.activation !== 'softmax') acts.push(l.activation);
  const inits: string[] = [];
  for (const l of hiddenLin) if (l.init && !inits.includes(l.init)) inits.push(l.init);
  return {
    optimizer: typeof c.optimizer === 'string' ? c.optimizer : null,
    lr: num(c.lr),
    clip: clipGrad !== null && clipGrad > 0 ? clipGrad : null,
    batchnorm: layers.some((l) => l.kind.startsWith('BatchNorm')),
    hidden: hiddenLin.length,
    activations: acts,
    inits,
    epochs: r.history.epochs.length,
  };
}

const initFamily = (name: string) => (/^xavier/.test(name) ? 'xavier' : /^kaiming/.test(name) ? 'kaiming' : /^lecun/.test(name) ? 'lecun' : name);
const initLabel = (name: string) => (isInitName(name) ? INITIALIZERS[name].label : name);
const actLabel = (a: ActivationName) => ACTIVATIONS[a].label;
/** A learning rate divided by k, as text (two significant digits). */
const lrOver = (lr: number, k: number) => fmt(Number((lr / k).toPrecision(2)));

/**
 * The initialisers the run uses that are not the one its activations want (ACTIVATIONS[a].init:
 * He for the ReLU family, Xavier for sigmoid/tanh, LeCun for SELU), as "from X to Y" advice, or
 * null when every hidden layer already uses its activation's family.
 */
function initAdvice(f: RunFacts): string | null {
  if (f.activations.length === 0 || f.inits.length === 0) return null;
  const want = [...new Set(f.activations.map((a) => ACTIVATIONS[a].init))];
  const wrong = f.inits.filter((i) => i !== 'orthogonal' && !want.some((w) => initFamily(w) === initFamily(i)));
  if (wrong.length === 0) return null;
  return `change the initialisation from ${wrong.map(initLabel).join(' / ')} to ${want.map(initLabel).join(' / ')} (recommended for ${f.activations.map(actLabel).join(' / ')}; Glorot & Bengio 2010, He et al. 2015)`;
}

/** Lower the learning rate (from its value) and clip (unless the run clips already, then clip harder). */
function stepSizeAdvice(f: RunFacts, k = 10): string[] {
  const out: string[] = [];
  out.push(f.lr !== null ? `lower the learning rate from ${fmt(f.lr)} to ${lrOver(f.lr, k)}${f.optimizer ? ` (${f.optimizer})` : ''}` : 'lower the learning rate (by about 10×)');
  out.push(f.clip === null ? 'clip the gradient norm (clipGradNorm, e.g. at 1; Pascanu et al. 2013)' : `clip the gradient norm harder than the ${fmt(f.clip)} used now`);
  return out;
}

/** Sentences as advice: the first capitalised, joined with "; ", ending with a full stop. */
function sentence(parts: Array<string | null | false | undefined>): string {
  const p = parts.filter((x): x is string => typeof x === 'string' && x.length > 0);
  if (p.length === 0) return '';
  const s = p.join('; ');
  return s[0].toUpperCase() + s.slice(1) + '.';
}

const RULE_LIST: HealthRule[] = [
  {
    name: 'vanishing-gradients',
    title: 'Vanishing gradients',
    severity: 'warning',
    criterion: `While the training loss is still ≥ ${THRESHOLDS.vanishingLossFloor} × the constant predictor's, an early Linear or Conv2d layer's RMS weight gradient is below ${THRESHOLDS.vanishingRatio} of the last such layer's (median over monitored steps).`,
    advice:
      'Use the ReLU family in hidden layers with He initialisation (He et al. 2015), add BatchNorm before the activations (Ioffe & Szegedy 2015), or make the network shallower; sigmoid/tanh shrink gradients by f′ ≤ ¼ (sigmoid) per layer.',
    citation: 'Hochreiter 1991; Bengio et al. 1994; Glorot & Bengio 2010; He et al. 2015; Ioffe & Szegedy 2015',
    check(r) {
      const lin = weighted(r);
      if (lin.length < 2) return [];
      // Still high: small gradients after the loss has fallen are convergence, not vanishing.
      const high = lossStillHigh(r);
      if (high === null) return [];
      const { lossNow, base } = high;
      const last = lin[lin.length - 1];
      const bad: Array<{ name: string; ratio: number }> = [];
      for (const l of lin.slice(0, -1)) {
        const ratios: number[] = [];
        l.samples.forEach((s, i) => {
          const j = last.samples.findIndex((t) => t.step === s.step);
          if (j < 0) return;
          const a = weightRms(l, i);
          const b = weightRms(last, j);
          if (b > 0 && Number.isFinite(a)) ratios.push(a / b);
        });
        const m = median(ratios);
        if (m < THRESHOLDS.vanishingRatio) bad.push({ name: l.name, ratio: m });
      }
      if (bad.length === 0) return [];
      const name = reportLayerNamer(r);
      const f = runFacts(r);
      const worst = bad.reduce((a, b) => (b.ratio < a.ratio ? b : a));
      const squashing = f.activations.filter((a) => ACTIVATIONS[a].failure.mode === 'saturation');
      const advice = sentence([
        squashing.length > 0 && `change the hidden activations from ${squashing.map(actLabel).join(' / ')} to ReLU with He initialisation (sigmoid passes at most ¼ of the gradient per layer; He et al. 2015)`,
        initAdvice(f),
        !f.batchnorm && 'add BatchNorm before the activations (the run has none; Ioffe & Szegedy 2015)',
        f.hidden > 4 && `or make the network shallower than its ${f.hidden} hidden layers`,
      ]);
      return [
        {
          rule: 'vanishing-gradients',
          severity: 'warning',
          layers: bad.map((b) => b.name),
          step: lastStep(r),
          evidence:
            `RMS weight gradient relative to the last layer with weights (${name(last.name)}): ${[...bad]
              .sort((a, b) => a.ratio - b.ratio)
              .slice(0, 4)
              .map((b) => `${name(b.name)} ${fmt(b.ratio)}×`)
              .join(', ')}${bad.length > 4 ? ` and ${bad.length - 4} more layers below ${THRESHOLDS.vanishingRatio}×` : ''} ` +
            `(median over ${last.samples.length} monitored steps); ${name(worst.name)} is ${fmt(Math.log10(1 / worst.ratio))} orders of magnitude below, while the loss ${fmt(lossNow)} is still ${fmt(100 * (lossNow / base))}% of the constant predictor's ${fmt(base)}.`,
          advice: advice || 'The run already uses ReLU-family activations, their initialisation and BatchNorm: make the network shallower or add residual connections (He et al. 2016).',
          citation: this.citation,
          values: { ratio: worst.ratio, threshold: THRESHOLDS.vanishingRatio, relativeLoss: lossNow / base },
        },
      ];
    },
  },
  {
    name: 'exploding-gradients',
    title: 'Exploding gradients / divergence',
    severity: 'error',
    criterion: `The gradient norm grew ≥ ${THRESHOLDS.explodingGrowth}× (last tenth of steps vs first) while the loss rose, or the loss of the last tenth of steps is ≥ ${THRESHOLDS.divergenceLossGrowth}× the first step's, or a tenth of the steps reached ≥ ${THRESHOLDS.divergenceLossGrowth}× it and the last tenth is still above it or no better than the constant predictor (within ${THRESHOLDS.underfitFlatness * 100}%).`,
    advice:
      'Lower the learning rate, clip the gradient norm (clipGradNorm, Pascanu et al. 2013), and use a variance-preserving initialisation (Glorot & Bengio 2010; He et al. 2015) so that activations and gradients do not grow layer by layer.',
    citation: 'Pascanu et al. 2013; Glorot & Bengio 2010; He et al. 2015',
    check(r) {
      const steps = r.history.steps.filter((s) => s.gradNorm !== null && Number.isFinite(s.gradNorm) && s.loss !== null && Number.isFinite(s.loss));
      if (steps.length < 4) return [];
      const k = Math.max(2, Math.floor(steps.length / 10));
      const head = steps.slice(0, k);
      const tail = steps.slice(-k);
      const g0 = median(head.map((s) => s.gradNorm as number));
      const g1 = median(tail.map((s) => s.gradNorm as number));
      const l0 = median(head.map((s) => s.loss as number));
      const l1 = median(tail.map((s) => s.loss as number));
      const first = steps[0];
      const lStart = first.loss as number;
      const growth = g0 > 0 ? g1 / g0 : g1 > 0 ? Infinity : 1;
      const lossGrowth = lStart > 0 ? l1 / lStart : l1 > lStart ? Infinity : 1;
      const exploding = growth >= THRESHOLDS.explodingGrowth && l1 > l0;
      // The worst tenth of the run (median of each of ten blocks of k steps): a loss that blew up
      // ≥ 10× and still ends above its first value has not recovered, even if it fell back below 10×.
      let peak = { loss: l0, from: head[0].step, to: head[head.length - 1].step }; // the first block
      for (let i = k; i + k <= steps.length; i += k) {
        const block = steps.slice(i, i + k);
        const m = median(block.map((s) => s.loss as number));
        if (m > peak.loss) peak = { loss: m, from: block[0].step, to: block[block.length - 1].step };
      }
      // A burst of a few steps vanishes in the medians of a long run's blocks: the single worst step
      // counts too, for a run that ends no better than the constant predictor (below).
      const worst = steps.reduce((a, s) => ((s.loss as number) > (a.loss as number) ? s : a), first);
      if (!((peak.loss as number) / lStart >= THRESHOLDS.divergenceLossGrowth) && (worst.loss as number) > peak.loss) peak = { loss: worst.loss as number, from: worst.step, to: worst.step };
      const peakGrowth = lStart > 0 ? peak.loss / lStart : 1;
      // Nor has one that ends no better than the constant predictor, whose loss the initial weights'
      // may exceed (`gradlab train --lr 10`, Adam: 3.08 at step 1, 2453 by step 3, then 2.7 against
      // the baseline's 2.30, at chance accuracy: "resolved", and nothing said why the run failed).
      // "No better" within underfitFlatness: a dead network's constant output is the constant
      // predictor, whose batch medians wander a few percent either side of its loss.
      const base = r.history.baselineLoss;
      const noBetter = base !== undefined && base !== null && base > 0 && l1 >= (1 - THRESHOLDS.underfitFlatness) * base;
      const blockPeak = peak.from !== peak.to;
      const unrecovered = peakGrowth >= THRESHOLDS.divergenceLossGrowth && ((blockPeak && l1 > lStart) || noBetter);
      const diverging = lossGrowth >= THRESHOLDS.divergenceLossGrowth || unrecovered;
      if (!exploding && !diverging) return [];
      // The layers whose gradient grew the most (first vs last monitored step).
      const grown: Array<{ name: string; g: number }> = [];
      for (const l of r.monitors.layers) {
        const ss = l.samples.filter((s) => s.gradNorm !== undefined && Number.isFinite(s.gradNorm));
        if (ss.length < 2) continue;
        const a = ss[0].gradNorm as number;
        const b = ss[ss.length - 1].gradNorm as number;
        grown.push({ name: l.name, g: a > 0 ? b / a : b > 0 ? Infinity : 1 });
      }
      // A divergence whose gradients did not grow names no layer (none grew: blaming the one that grew
      // most would point at a layer the numbers acquit), unless the NaN guard located one.
      let layers = grown.filter((x) => x.g >= THRESHOLDS.explodingGrowth).map((x) => x.name);
      if (layers.length === 0 && exploding && grown.length > 0) layers = [grown.reduce((a, b) => (b.g > a.g ? b : a)).name];
      if (layers.length === 0 && r.nonFinite?.layer) layers = [r.nonFinite.layer];
      // The largest gradient of the run against the very first step's (taken on the initial
      // weights): a huge first update (lr 10⁶) makes the gradients explode within the first block,
      // so the blocks' medians alone would call them steady.
      const gFirst = first.gradNorm as number;
      const gPeak = steps.reduce((a, s) => ((s.gradNorm as number) > (a.gradNorm as number) ? s : a), first);
      const burst = gFirst > 0 ? (gPeak.gradNorm as number) / gFirst : 1;
      const gradText =
        burst >= THRESHOLDS.explodingGrowth
          ? `the gradient norm jumped from ${fmt(gFirst)} (step ${first.step}) to ${fmt(gPeak.gradNorm as number)} (step ${gPeak.step}, ×${fmt(burst)}) and ended at ${fmt(g1)} (median of steps ${tail[0].step}–${tail[tail.length - 1].step})`
          : null;
      const gradRange = `from ${fmt(g0)} (median of steps ${head[0].step}–${head[head.length - 1].step}) to ${fmt(g1)} (steps ${tail[0].step}–${tail[tail.length - 1].step}), ×${fmt(growth)}`;
      const lossText =
        lossGrowth < THRESHOLDS.divergenceLossGrowth && unrecovered
          ? `loss from ${fmt(lStart)} (step ${first.step}) up to ${fmt(peak.loss)} (${peak.from === peak.to ? `step ${peak.from}` : `median of steps ${peak.from}–${peak.to}`}, ×${fmt(peakGrowth)}), and at the end still ${fmt(l1)} (median of steps ${tail[0].step}–${tail[tail.length - 1].step}, ×${fmt(lossGrowth)}: ${l1 > lStart ? 'above where it started' : `no better than the constant predictor's ${fmt(base as number)}`})`
          : `loss from ${fmt(lStart)} (step ${first.step}) to ${fmt(l1)} (median of steps ${tail[0].step}–${tail[tail.length - 1].step}, ×${fmt(lossGrowth)})`;
      return [
        {
          rule: 'exploding-gradients',
          severity: 'error',
          layers,
          step: tail[tail.length - 1].step,
          // The evidence leads with what fired: the gradients' growth, or the loss's when only it grew.
          evidence: exploding
            ? `Gradient norm went ${gradRange}; ${lossText}.`
            : gradText
              ? `The run diverged: ${lossText}; ${gradText}.`
              : `The run diverged: ${lossText}; the gradient norm went ${gradRange}, so the gradients themselves did not explode (${THRESHOLDS.explodingGrowth}× would).`,
          advice: sentence([...stepSizeAdvice(runFacts(r)), initAdvice(runFacts(r))]),
          citation: this.citation,
          values: { gradNormGrowth: growth, gradNormBurst: burst, lossGrowth, peakLossGrowth: peakGrowth, gradNormStart: g0, gradNormEnd: g1, lossStart: lStart, lossEnd: l1 },
        },
      ];
    },
  },
  {
    name: 'non-finite',
    title: 'NaN or infinite values',
    severity: 'error',
    criterion: 'A loss, layer output, gradient or updated weight was NaN or ±Infinity; training stopped at that step without applying it.',
    advice:
      'Lower the learning rate, clip gradients (clipGradNorm), check the inputs for NaN/huge values and standardise them, and use a proper initialisation; the weights kept are those before the bad step.',
    citation: 'Pascanu et al. 2013; Goodfellow et al. 2016, §4.1 (numerical overflow)',
    check(r) {
      return r.nonFinite ? [nonFiniteFinding(r.nonFinite, r)] : [];
    },
  },
  {
    name: 'saturation',
    title: 'Saturated units',
    severity: 'warning',
    criterion: `More than ${THRESHOLDS.saturatedFraction * 100}% of a sigmoid/tanh layer's outputs lie in the saturation band (f′ < 5% of its peak), median over monitored steps.`,
    advice:
      'Use Xavier/Glorot initialisation (Glorot & Bengio 2010) so pre-activations stay in the linear region, standardise the inputs (LeCun et al. 1998), add BatchNorm before the activation (Ioffe & Szegedy 2015), or use the ReLU family in hidden layers.',
    citation: 'LeCun et al. 1998; Glorot & Bengio 2010; Ioffe & Szegedy 2015',
    check(r) {
      const bad: Array<{ name: string; frac: number; act: string }> = [];
      for (const l of r.monitors.layers) {
        if (!l.activation || ACTIVATIONS[l.activation].failure.mode !== 'saturation') continue;
        const fr = l.samples.map((s) => s.activation?.saturated).filter((x): x is number => x !== undefined);
        let m = median(fr);
        if (!Number.isFinite(m)) m = r.monitors.evaluation?.find((e) => e.layer === l.name)?.saturated ?? NaN;
        if (m > THRESHOLDS.saturatedFraction) bad.push({ name: l.name, frac: m, act: l.activation });
      }
      if (bad.length === 0) return [];
      const worst = bad.reduce((a, b) => (b.frac > a.frac ? b : a));
      const name = reportLayerNamer(r);
      const f = runFacts(r);
      const acts = [...new Set(bad.map((b) => b.act as ActivationName))];
      const advice = sentence([
        initAdvice(f),
        !f.batchnorm && 'add BatchNorm before the activation so pre-activations stay in its steep middle (the run has none; Ioffe & Szegedy 2015)',
        'check that the inputs are standardised (zero mean, unit variance; LeCun et al. 1998)',
        f.lr !== null && `a large step also pushes units into saturation: try a learning rate below ${fmt(f.lr)}`,
        `or change the hidden activations from ${acts.map(actLabel).join(' / ')} to ReLU with He initialisation`,
      ]);
      return [
        {
          rule: 'saturation',
          severity: 'warning',
          layers: bad.map((b) => b.name),
          step: lastStep(r),
          evidence: `Outputs in the saturation band: ${bad
            .slice(0, 4)
            .map((b) => `${name(b.name)} ${fmt(100 * b.frac)}%`)
            .join(', ')}${bad.length > 4 ? ` and ${bad.length - 4} more layers` : ''} (median over monitored steps; threshold ${THRESHOLDS.saturatedFraction * 100}%).`,
          advice,
          citation: this.citation,
          values: { saturated: worst.frac, threshold: THRESHOLDS.saturatedFraction },
        },
      ];
    },
  },
  {
    name: 'dead-units',
    title: 'Dead ReLU units',
    severity: 'warning',
    criterion: `At least ${THRESHOLDS.deadFraction * 100}% of a ReLU layer's units (of a conv layer's filters: channels, at every position) are inactive on every example of the evaluation set (else of each batch, median over the second half of monitored steps).`,
    advice:
      'Lower the learning rate (large updates push units into the region where they never fire again), add BatchNorm before the ReLU (Ioffe & Szegedy 2015), use Leaky ReLU, PReLU or ELU whose negative side keeps a gradient (Maas et al. 2013; He et al. 2015; Clevert et al. 2016), and He initialisation with zero biases.',
    citation: 'Maas et al. 2013; He et al. 2015; Clevert et al. 2016; Lu et al. 2019; Ioffe & Szegedy 2015',
    check(r) {
      const bad: Array<{ name: string; frac: number; where: string; units: number | undefined; filters: boolean }> = [];
      for (const l of r.monitors.layers) {
        if (!l.activation || ACTIVATIONS[l.activation].failure.mode !== 'dead') continue;
        const probe = r.monitors.evaluation?.find((e) => e.layer === l.name && e.dead !== undefined);
        let frac: number;
        let where: string;
        if (probe) {
          frac = probe.dead as number;
          where = `on all ${probe.examples} evaluation examples`;
        } else {
          const ds = l.samples.map((s) => s.activation?.dead).filter((x): x is number => x !== undefined);
          frac = median(ds.slice(Math.floor(ds.length / 2)));
          where = 'on every example of a batch (median over monitored steps)';
        }
        const filters = (probe?.channels ?? l.channels) !== undefined;
        if (frac >= THRESHOLDS.deadFraction) bad.push({ name: l.name, frac, where, filters, units: probe?.units ?? l.channels ?? l.units });
      }
      if (bad.length === 0) return [];
      const worst = bad.reduce((a, b) => (b.frac > a.frac ? b : a));
      const name = reportLayerNamer(r);
      const f = runFacts(r);
      const relu = f.activations.filter((a) => a === 'relu');
      // The weighted layers feeding a dead layer without BatchNorm in between (a residual block
      // normalises inside): BN centres each unit's pre-activation on the batch, so a unit cannot
      // sit below zero on every example, whatever its bias or the step that pushed it there.
      const layers = r.monitors.layers;
      const unnormalised = bad.flatMap((b) => {
        const i = layers.findIndex((l) => l.name === b.name);
        if (i < 0 || layers[i].kind === 'BasicBlock') return [];
        for (let j = i - 1; j >= 0; j--) {
          if (layers[j].kind.startsWith('BatchNorm')) return [];
          if (WEIGHTED_KINDS.includes(layers[j].kind)) return [layers[j].name];
        }
        return [];
      });
      // Units of a layer whose weights all start equal (zero or constant init) compute one value, 0
      // or below on every example when it is 0: not a step that pushed them there, so neither a
      // smaller learning rate nor another activation helps; only a random initialisation does.
      const symmetric = f.inits.filter((i) => i === 'zeros' || i === 'constant');
      const advice = symmetric.length > 0
        ? sentence([
            `change the initialisation from ${symmetric.map(initLabel).join(' / ')} to a random one (Auto: ${[...new Set(f.activations.map((a) => initLabel(ACTIVATIONS[a].init)))].join(' / ')}): a layer whose weights all start equal gives every unit the same pre-activation, and with zero weights it is 0, where ReLU is inactive, on every example — the step size and the activation are not the cause (Goodfellow et al. 2016, §8.4)`,
          ])
        : sentence([
            unnormalised.length > 0 &&
              `add BatchNorm between ${nameList(unnormalised, name)} and the ReLU after it (it has none: BatchNorm centres each unit's pre-activation on the batch, so a unit cannot stay below zero on every example; Ioffe & Szegedy 2015)`,
            f.lr !== null ? `lower the learning rate from ${fmt(f.lr)} to ${lrOver(f.lr, 10)}: large updates push units into the region where they never fire again` : 'lower the learning rate: large updates push units into the region where they never fire again',
            relu.length > 0 && 'change the activation from ReLU to Leaky ReLU, PReLU or ELU, whose negative side keeps a gradient (Maas et al. 2013; He et al. 2015; Clevert et al. 2016)',
            initAdvice(f),
            'keep the biases at zero at initialisation',
          ]);
      return [
        {
          rule: 'dead-units',
          severity: worst.frac >= 0.999 ? 'error' : 'warning',
          layers: bad.map((b) => b.name),
          step: lastStep(r),
          evidence: `${bad.every((b) => b.filters) ? 'Filters (output channels) inactive at every position' : bad.some((b) => b.filters) ? 'Units (filters of conv layers, at every position) inactive' : 'Units inactive'} ${bad[0].where}: ${[...bad]
            .sort((a, b) => b.frac - a.frac)
            .slice(0, 4)
            .map((b) => `${name(b.name)} ${fmt(100 * b.frac)}%${b.units ? ` (${Math.round(b.frac * b.units)} of ${b.units} ${b.filters ? 'filters' : 'units'})` : ''}`)
            .join(', ')}${bad.length > 4 ? ` and ${bad.length - 4} more layers` : ''} (threshold ${THRESHOLDS.deadFraction * 100}%).`,
          advice,
          citation: this.citation,
          values: { dead: worst.frac, threshold: THRESHOLDS.deadFraction },
        },
      ];
    },
  },
  {
    name: 'symmetry',
    title: 'Symmetric hidden units',
    severity: 'error',
    criterion: 'Hidden units of a Linear layer (filters of a Conv2d) have identical incoming weights and bias at the last monitored step.',
    advice:
      'Initialise weights randomly (Xavier/He, init: "auto"): units that start equal (zero or constant init) receive equal gradients and stay copies of each other, so the layer acts as a single unit.',
    citation: 'Goodfellow et al. 2016, §8.4; Glorot & Bengio 2010',
    check(r) {
      const lin = weighted(r);
      const hidden = lin.slice(0, -1);
      const bad: Array<{ name: string; dup: number; units: number; what: string }> = [];
      for (const l of hidden) {
        const last = [...l.samples].reverse().find((s) => s.symmetricUnits !== undefined);
        if (!last || (last.symmetricUnits as number) < THRESHOLDS.symmetricUnits) continue;
        bad.push({ name: l.name, dup: last.symmetricUnits as number, units: l.units ?? NaN, what: l.kind === 'Conv2d' ? 'filters' : 'units' });
      }
      if (bad.length === 0) return [];
      const total = bad.every((b) => b.dup === b.units - 1);
      return [
        {
          rule: 'symmetry',
          severity: total ? 'error' : 'warning',
          layers: bad.map((b) => b.name),
          step: lastStep(r),
          evidence:
            bad.map((b) => `${reportLayerNamer(r)(b.name)}: ${b.dup} of ${b.units} ${b.what} duplicate another's incoming weights${b.dup === b.units - 1 ? ` (all ${b.what} identical)` : ''}`).join('; ') + '.',
          citation: this.citation,
          advice: (() => {
            const inits = runFacts(r).inits.filter((i) => i === 'zeros' || i === 'constant');
            return inits.length
              ? `Change the initialisation from ${inits.map(initLabel).join(' / ')} to a random one (Auto: the activation's Xavier/He): units that start equal receive equal gradients and stay copies of each other, so the layer acts as a single unit.`
              : this.advice;
          })(),
          values: { symmetricUnits: bad[0].dup, units: bad[0].units },
        },
      ];
    },
  },
  {
    name: 'update-ratio',
    title: 'Updates too small to learn',
    severity: 'warning',
    criterion: `While the training loss is still ≥ ${THRESHOLDS.vanishingLossFloor} × the constant predictor's, every layer with weights changes them by less than ${THRESHOLDS.smallUpdateRatio} of their norm per step (‖Δw‖/‖w‖, median over monitored steps; healthy ≈ 1e-3).`,
    advice: 'Raise the learning rate until the update ratio ‖Δw‖/‖w‖ is near 1e-3, or use Adam, whose steps do not shrink with the gradient.',
    citation: 'Karpathy, CS231n notes ("Neural Networks Part 3", ratio of updates to weights); Goodfellow et al. 2016, §8.1.3',
    check(r) {
      const high = lossStillHigh(r);
      if (high === null) return [];
      const slow: Array<{ name: string; ratio: number }> = [];
      for (const l of weighted(r)) {
        const ratios: number[] = [];
        for (const s of l.samples) {
          const w = s.params?.find((p) => p.name.endsWith('weight'));
          // A weight without a gradient (frozen, or behind dead units: dead-units says so) is not slow.
          if (w && w.gradNorm > 0 && w.updateRatio !== null) ratios.push(w.updateRatio);
        }
        const m = median(ratios);
        if (!Number.isFinite(m)) continue;
        if (m >= THRESHOLDS.smallUpdateRatio) return [];
        slow.push({ name: l.name, ratio: m });
      }
      if (slow.length === 0) return [];
      const name = reportLayerNamer(r);
      const f = runFacts(r);
      const fastest = Math.max(...slow.map((x) => x.ratio));
      const steps = 1000;
      const advice = sentence([
        f.lr !== null && fastest > 0
          ? `raise the learning rate from ${fmt(f.lr)} to about ${lrOver(f.lr, fastest / 1e-3)}${f.optimizer ? ` (${f.optimizer})` : ''}: the update ratio grows in proportion, to ≈ 1e-3 for the fastest layer`
          : 'raise the learning rate until the update ratio ‖Δw‖/‖w‖ is near 1e-3',
        f.optimizer !== null && f.optimizer.startsWith('sgd') && 'or use Adam, whose steps do not shrink with the gradient',
      ]);
      return [
        {
          rule: 'update-ratio',
          severity: 'warning',
          layers: slow.map((x) => x.name),
          step: lastStep(r),
          evidence:
            `Weight updates per step ‖Δw‖/‖w‖ (median over monitored steps): ${slow
              .slice(0, 4)
              .map((x) => `${name(x.name)} ${fmt(x.ratio)}`)
              .join(', ')}${slow.length > 4 ? ` and ${slow.length - 4} more layers` : ''}, every layer below ${THRESHOLDS.smallUpdateRatio} (healthy ≈ 1e-3): ` +
            `${steps} such steps change the weights by at most ${fmt(100 * Math.min(1, steps * fastest))}%, while the loss ${fmt(high.lossNow)} is still ${fmt(100 * (high.lossNow / high.base))}% of the constant predictor's ${fmt(high.base)}.`,
          advice,
          citation: this.citation,
          values: { ratio: fastest, threshold: THRESHOLDS.smallUpdateRatio, relativeLoss: high.lossNow / high.base },
        },
      ];
    },
  },
  {
    name: 'overfitting',
    title: 'Overfitting',
    severity: 'warning',
    criterion: `Validation loss ≥ ${THRESHOLDS.generalizationLoss * 100}% above its best (Prechelt's GL) while the training loss kept falling, below the constant predictor's.`,
    advice:
      'Regularise: weight decay, dropout (Srivastava et al. 2014), early stopping with restoreBestWeights (Prechelt 1998), data augmentation or more training data; or reduce the capacity.',
    citation: 'Prechelt 1998; Srivastava et al. 2014; Goodfellow et al. 2016, §7',
    check(r) {
      const ep = r.history.epochs.filter((e) => e.valLoss !== undefined && e.valLoss !== null && Number.isFinite(e.valLoss));
      if (ep.length < THRESHOLDS.minEpochs) return [];
      let best = 0;
      ep.forEach((e, i) => {
        if ((e.valLoss as number) < (ep[best].valLoss as number)) best = i;
      });
      const last = ep[ep.length - 1];
      const vBest = ep[best].valLoss as number;
      const vLast = last.valLoss as number;
      const gl = vBest > 0 ? vLast / vBest - 1 : 0;
      const trainFell = last.loss < ep[best].loss;
      if (best === ep.length - 1 || gl <= THRESHOLDS.generalizationLoss || !trainFell) return [];
      // A network no better than the constant predictor on its own training data has not fitted
      // it, so it cannot overfit it: its validation loss moves with steps that are too large
      // (a diverged run at 100× the baseline "fell" from 301.9 to 297.4 while validation rose).
      const base = r.history.baselineLoss;
      if (base != null && last.loss >= base) return [];
      const seB = ep[best].valLossStdErr;
      const seL = last.valLossStdErr;
      const se = seB !== undefined && seL !== undefined && seB !== null && seL !== null ? Math.sqrt(seB * seB + seL * seL) : null;
      const z = se !== null && se > 0 ? (vLast - vBest) / se : null;
      if (z !== null && z <= THRESHOLDS.overfitZ) return [];
      // Early stopping already put the best epoch's weights back: the model returned is not the
      // overfitted one, and "use early stopping" would be advice already followed.
      const restored = r.restored !== undefined && r.restored.epoch === ep[best].epoch;
      return [
        {
          rule: 'overfitting',
          severity: restored ? 'info' : 'warning',
          layers: [],
          step: lastStep(r),
          evidence:
            `Validation loss rose from ${fmt(vBest)} (best, epoch ${ep[best].epoch + 1}) to ${fmt(vLast)} (epoch ${last.epoch + 1}), GL = ${fmt(100 * gl)}%, ` +
            `while the training loss fell from ${fmt(ep[best].loss)} to ${fmt(last.loss)}` +
            (z !== null ? `; the rise is ${fmt(z)} standard errors.` : '.') +
            (restored ? ` ${r.restored!.by} put epoch ${ep[best].epoch + 1}'s weights back: the model returned is the best epoch's.` : ''),
          advice: restored
            ? 'The returned model is the best epoch\'s. To do better than it, regularise: weight decay, dropout (Srivastava et al. 2014), data augmentation or more training data; or reduce the capacity.'
            : this.advice,
          citation: this.citation,
          values: { generalizationLoss: gl, z, bestEpoch: ep[best].epoch, valLossBest: vBest, valLossLast: vLast, trainLossAtBest: ep[best].loss, trainLossLast: last.loss },
        },
      ];
    },
  },
  {
    name: 'underfitting',
    title: 'Underfitting',
    severity: 'warning',
    criterion: `Final training (and validation) loss ≥ ${THRESHOLDS.underfitRelativeLoss} × the best constant predictor's, and flat: it changed by < ${THRESHOLDS.underfitFlatness * 100}% (either way) over the second half of the epochs.`,
    advice:
      'Increase capacity (wider or deeper layers, non-linear activations), raise the learning rate or train longer, and check the data and labels; regularisation that is too strong also underfits.',
    citation: 'Goodfellow et al. 2016, §5.2; Bishop 2006, §3.2',
    check(r) {
      const base = r.history.baselineLoss;
      const ep = r.history.epochs;
      if (base === undefined || base === null || !(base > 0) || ep.length < THRESHOLDS.minEpochs) return [];
      const mid = ep[Math.floor(ep.length / 2) - 1];
      const last = ep[ep.length - 1];
      const rel = last.loss / base;
      const change = mid.loss > 0 ? (last.loss - mid.loss) / mid.loss : 0;
      // Flat, not rising: a rising loss is unstable training (too large a step), and raising the
      // learning rate — this rule's advice — would make it worse.
      const flat = (c: number) => Math.abs(c) < THRESHOLDS.underfitFlatness;
      if (!(rel >= THRESHOLDS.underfitRelativeLoss && flat(change))) return [];
      // A loss that is unstable (rising, oscillating, bumpy above the constant predictor's) is
      // not flat: too large a step, not too little capacity.
      if (RULE_LIST.find((x) => x.name === 'unstable-training')!.check(r).length > 0) return [];
      let valText = '';
      const values: Record<string, number | null> = { relativeLoss: rel, change, baselineLoss: base };
      if (last.valLoss !== undefined && last.valLoss !== null) {
        const vRel = last.valLoss / base;
        const vChange = mid.valLoss !== undefined && mid.valLoss !== null && mid.valLoss > 0 ? (last.valLoss - mid.valLoss) / mid.valLoss : 0;
        if (!(vRel >= THRESHOLDS.underfitRelativeLoss && flat(vChange))) return [];
        valText = `; validation loss ${fmt(last.valLoss)} (${fmt(100 * vRel)}% of baseline)`;
        values.valRelativeLoss = vRel;
      }
      const f = runFacts(r);
      // Stopped early because its monitor stopped improving: more epochs would not help.
      const stopped = r.stopReason === 'early-stopping';
      // A loss that rose well above the constant predictor's and above the initial weights' (the
      // first step's loss, before any update) means the step was too large then (the units it
      // killed or saturated stay so): never advise a larger one. A first epoch whose average is
      // high only because the initial weights' loss was (unscaled inputs, a few steps an epoch)
      // is no overshoot, so the step losses after the first are compared, not epoch averages.
      const steps = r.history.steps;
      const later = steps.length > 1 ? steps.slice(1).map((s) => s.loss) : ep.map((e) => e.loss);
      const worst = Math.max(...later.map((l) => (l !== null && Number.isFinite(l) ? l : Infinity)));
      const first = steps.length > 1 && steps[0].loss !== null && Number.isFinite(steps[0].loss) ? steps[0].loss : 0;
      const overshot = worst >= 1.5 * Math.max(base, first);
      // A network whose gradients vanish, whose units are dead, saturated or copies of each
      // other cannot use more capacity or a larger step: that problem comes first.
      const blocking = RULE_LIST.filter((x) => ['vanishing-gradients', 'dead-units', 'saturation', 'symmetry'].includes(x.name) && x.check(r).length > 0).map((x) => x.name);
      const advice = sentence([
        blocking.length > 0 && `first fix the ${blocking.join(' and ')} problem reported with it: until then the network cannot learn more, whatever its size or step`,
        overshot && `the loss reached ${fmt(worst)} (${fmt(worst / base)}× the baseline${first > 0 ? `, ${fmt(worst / first)}× the first step's` : ''}) during training: the learning rate${f.lr !== null ? ` ${fmt(f.lr)}` : ''} is too large, and units it killed or saturated stay so; restart with ${f.lr !== null ? `a learning rate of ${lrOver(f.lr, 10)}` : 'a 10× smaller learning rate'}`,
        blocking.length > 0 ? null : f.hidden === 0 ? 'add hidden layers with a non-linear activation (the model is linear)' : `increase capacity: more units per layer or more than ${f.hidden} hidden layer${f.hidden === 1 ? '' : 's'}`,
        blocking.length > 0
          ? null
          : [
              !overshot && f.lr !== null && `try a learning rate above ${fmt(f.lr)} (e.g. ${fmt(Number((f.lr * 3).toPrecision(2)))})`,
              stopped ? `training was stopped early after ${f.epochs} epochs because it stopped improving, so more epochs alone will not help` : `train longer than ${f.epochs} epochs`,
            ]
              .filter(Boolean)
              .join(stopped ? '; ' : ', or '),
        'check the data and labels; regularisation that is too strong also underfits',
      ]);
      return [
        {
          rule: 'underfitting',
          severity: 'warning',
          layers: [],
          step: lastStep(r),
          evidence:
            `Training loss ${fmt(last.loss)} is ${fmt(100 * rel)}% of the constant-predictor baseline ${fmt(base)} and flat: ${change <= 0 ? 'it fell' : 'it rose'} ${fmt(Math.abs(100 * change))}% ` +
            `from epoch ${mid.epoch + 1} to ${last.epoch + 1}${valText}.`,
          advice,
          citation: this.citation,
          values,
        },
      ];
    },
  },
  {
    name: 'unstable-training',
    title: 'Unstable training',
    severity: 'warning',
    criterion: `The loss, as medians over windows of ≥ ${THRESHOLDS.unstableWindow} steps, ends ≥ ${THRESHOLDS.unstableRise}× above its best window, or rises ≥ ${THRESHOLDS.unstableSwing}× from one window to the next ≥ ${THRESHOLDS.unstableSwings} times in the second half of the run, while finite and above ${THRESHOLDS.unstableLossFloor} × the constant predictor's; or it stays ≥ ${THRESHOLDS.unstableAboveBaseline}× the constant predictor's over the second half of the run.`,
    advice: 'Lower the learning rate (the step is too large for the optimizer: the loss overshoots), clip the gradient norm, or use a schedule that decays the learning rate.',
    citation: 'LeCun et al. 1998, §4.5; Goodfellow et al. 2016, §8.1.3; Pascanu et al. 2013',
    check(r) {
      const steps = finiteLosses(r);
      const windows = (parts: number) => {
        const w = Math.max(THRESHOLDS.unstableWindow, Math.floor(steps.length / parts));
        const n = Math.floor(steps.length / w);
        // Windows from the end, so that the last window holds the last steps.
        const off = steps.length - n * w;
        return Array.from({ length: n }, (_, i) => {
          const part = steps.slice(off + i * w, off + (i + 1) * w);
          return { loss: median(part.map((s) => s.loss)), from: part[0].step, to: part[part.length - 1].step, w };
        });
      };
      const coarse = windows(10);
      const fine = windows(20);
      if (coarse.length < 4) return [];
      const base = r.history.baselineLoss ?? coarse[0].loss;
      if (!(base > 0)) return [];
      const floor = THRESHOLDS.unstableLossFloor * base;
      let best = 0;
      for (let i = 1; i < coarse.length - 1; i++) if (coarse[i].loss < coarse[best].loss) best = i;
      const last = coarse[coarse.length - 1];
      const rising = last.loss >= THRESHOLDS.unstableRise * coarse[best].loss && last.loss >= floor;
      const swings: number[] = [];
      for (let i = Math.max(1, fine.length >> 1); i < fine.length; i++) if (fine[i].loss >= THRESHOLDS.unstableSwing * fine[i - 1].loss && fine[i].loss >= floor) swings.push(i);
      const oscillating = swings.length >= THRESHOLDS.unstableSwings;
      // The mean, not the median: the spikes of an overshooting optimizer are the point.
      const half = steps.slice(steps.length >> 1);
      const secondHalf = half.reduce((a, s) => a + s.loss, 0) / half.length;
      // After the first epochs, whose loss may still be falling from a poor initialisation.
      // And not smoothly falling toward it (a slow optimiser from a poor start): some window of
      // the second half is ≥ underfitFlatness above the one before.
      const bumpy = coarse.some((c, i) => i >= coarse.length >> 1 && i > 0 && c.loss >= (1 + THRESHOLDS.underfitFlatness) * coarse[i - 1].loss);
      const worseThanConstant =
        r.history.baselineLoss != null && r.history.epochs.length >= THRESHOLDS.minEpochs && secondHalf >= THRESHOLDS.unstableAboveBaseline * base && bumpy;
      if (!rising && !oscillating && !worseThanConstant) return [];
      const wins = fine;
      const w = fine[0].w;
      const f = runFacts(r);
      const what = worseThanConstant && !rising && !oscillating
        ? `The loss stays above the constant predictor's: mean ${fmt(secondHalf)} over the second half of the run, ${fmt(secondHalf / base)}× the baseline ${fmt(base)}, which a network matches by its output bias alone`
        : rising
        ? `The loss went back up: from ${fmt(coarse[best].loss)} (median of steps ${coarse[best].from}–${coarse[best].to}, its best) to ${fmt(last.loss)} (steps ${last.from}–${last.to}), ×${fmt(last.loss / coarse[best].loss)}`
        : `The loss oscillates: in the second half of the run it rose ≥ ${THRESHOLDS.unstableSwing}× from one ${w}-step window to the next ${swings.length} times (${swings
            .slice(0, 4)
            .map((i) => `${fmt(wins[i - 1].loss)} → ${fmt(wins[i].loss)} at steps ${wins[i].from}–${wins[i].to}`)
            .join(', ')}${swings.length > 4 ? ', …' : ''})`;
      return [
        {
          rule: 'unstable-training',
          severity: 'warning',
          layers: [],
          step: lastStep(r),
          evidence: `${what}; every loss was finite and the last is ${fmt(100 * (last.loss / base))}% of the constant predictor's ${fmt(base)}. The step is too large for the optimizer${f.optimizer ? ` (${f.optimizer}${f.lr !== null ? ` at learning rate ${fmt(f.lr)}` : ''})` : ''}.`,
          advice: sentence([...stepSizeAdvice(f), 'or decay the learning rate with a schedule (e.g. cosine)']),
          citation: this.citation,
          values: { rising: rising ? 1 : 0, swings: swings.length, secondHalfRelative: secondHalf / base, lossBest: coarse[best].loss, lossLast: last.loss, baselineLoss: base },
        },
      ];
    },
  },
];

/** The rule registry, in a stable order (the order findings are reported in). */
export const HEALTH_RULES: readonly HealthRule[] = Object.freeze(RULE_LIST);

export const RULE_NAMES: readonly RuleName[] = HEALTH_RULES.map((r) => r.name);

export function getRule(name: RuleName): HealthRule {
  const r = HEALTH_RULES.find((x) => x.name === name);
  if (!r) throw new Error(`Unknown health rule '${name}'. Valid rules: ${RULE_NAMES.join(', ')}.`);
  return r;
}

/** The finding for a non-finite event. */
export function nonFiniteFinding(e: NonFiniteEvent, report?: Report): Finding {
  const rule = HEALTH_RULES.find((x) => x.name === 'non-finite')!;
  const name = report ? reportLayerNamer(report) : (p: string) => `module ${p}`;
  const f = report ? runFacts(report) : null;
  const where =
    e.phase === 'forward'
      ? `in the forward pass: the output of ${name(e.layer ?? '')} is the first non-finite`
      : e.phase === 'loss'
        ? `in the loss (every layer output was finite; loss = ${e.loss})`
        : e.phase === 'backward'
          ? `in the backward pass: ${name(e.layer ?? '')} is the first (from the output backwards) to produce a non-finite gradient${e.parameter ? ` (parameter ${e.parameter})` : ''}`
          : `in the update: parameter ${e.parameter} became non-finite; its value before the step was restored`;
  // Which weights the model holds: those before the bad step, unless a callback then put an earlier epoch's back.
  const back = report?.restored;
  const kept = back ? `${back.by} then put back epoch ${back.epoch + 1}'s weights (its best ${back.monitor})` : 'the weights are those before this step';
  return {
    rule: 'non-finite',
    severity: 'error',
    layers: e.layer ? [e.layer] : [],
    step: e.step,
    evidence: `Step ${e.step} (epoch ${e.epoch + 1}, batch ${e.batch + 1}): NaN/Infinity ${where}. Training stopped; ${kept} (loss ${e.loss}).`,
    advice: f ? sentence([...stepSizeAdvice(f), initAdvice(f), `check the inputs for NaN/huge values and standardise them${back ? '' : '; the weights kept are those before the bad step'}`]) : rule.advice,
    citation: rule.citation,
    values: { step: e.step },
  };
}

/**
 * Findings with history. `kept` are the findings so far (a Report's), `fresh` those of a health
 * check at `step`; the result has one finding per rule: a rule that holds now is 'current'
 * (its latest evidence, firstStep from its first firing), a rule that held before and no longer
 * does is 'resolved' (kept as it was last seen, so a warning printed during training never
 * vanishes from the end of the run). A rule is one problem whatever layers it names. Current
 * findings come first, each group by severity (errors first), then in the registry's order.
 */
export function trackFindings(kept: readonly Finding[], fresh: readonly Finding[]): Finding[] {
  const order = (f: Finding) => RULE_NAMES.indexOf(f.rule);
  const now = new Map<RuleName, Finding>();
  for (const f of fresh) {
    const prev = kept.find((k) => k.rule === f.rule);
    const first = prev ? (prev.firstStep ?? prev.step) : f.step;
    now.set(f.rule, { ...f, firstStep: Math.min(first, f.step), lastStep: f.step, status: 'current' });
  }
  const resolved = kept
    .filter((k) => !now.has(k.rule))
    .map((k): Finding => ({ ...k, firstStep: k.firstStep ?? k.step, lastStep: k.lastStep ?? k.step, status: 'resolved' }));
  const rank: Record<string, number> = { error: 0, warning: 1, info: 2 };
  const byRule = (a: Finding, b: Finding) => (rank[a.severity] ?? 3) - (rank[b.severity] ?? 3) || order(a) - order(b);
  return [...[...now.values()].sort(byRule), ...resolved.sort(byRule)];
}

/** The findings that still hold (status absent or 'current'). */
export const currentFindings = (fs: readonly Finding[]): Finding[] => fs.filter((f) => f.status !== 'resolved');

/** Run every rule (or the named ones) on a report. */
export function runHealthChecks(report: Report, rules: readonly RuleName[] = RULE_NAMES): Finding[] {
  const out: Finding[] = [];
  for (const r of HEALTH_RULES) if (rules.includes(r.name)) out.push(...r.check(report));
  return out;
}
