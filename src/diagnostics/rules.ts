/**
 * The health check: one rule per way training fails, each reading only a Report (so the CLI
 * and the lab can re-run them on a saved report), each finding naming the layer(s), the
 * measured evidence, and the remedy from the literature. HEALTH_RULES is the registry the
 * CLI and the lab list; THRESHOLDS holds every number a rule decides by, with its reason.
 */
import { ACTIVATIONS } from '../activations.js';
import { fmt } from '../train/json.js';
import type { Finding, LayerSeries, NonFiniteEvent, Report, RuleName, Severity } from '../train/types.js';

/**
 * The numbers the rules decide by. Each is a ratio or a fraction, never an absolute
 * value, so that it holds across data scales, widths and losses.
 */
export const THRESHOLDS = {
  /**
   * vanishing-gradients: a Linear layer's RMS weight gradient (‖∇W‖/√size) below 1/100 of the
   * last Linear layer's, as the median over the monitored steps. Variance-preserving
   * initialisation keeps the backward signal's variance equal across layers (Glorot & Bengio
   * 2010, eq. 13; He et al. 2015, eq. 13), so healthy layers sit within a small factor of each
   * other; two orders of magnitude means the early layer learns ~100× slower, the
   * "vanishing" regime of Hochreiter 1991 and Bengio et al. 1994. RMS (not the norm) so that
   * layers of different sizes compare fairly.
   */
  vanishingRatio: 1e-2,
  /**
   * exploding-gradients: the global gradient norm grew by two orders of magnitude (median of
   * the last tenth of the steps over the median of the first tenth) while the loss rose — the
   * exponential growth Pascanu et al. 2013 (§2) describe — or the loss itself rose tenfold
   * (divergence: an order of magnitude worse than the untrained network).
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

/** RMS of a Linear layer's weight gradient at a sample, or NaN. */
function weightRms(series: LayerSeries, i: number): number {
  const w = series.samples[i].params?.find((p) => p.name.endsWith('weight'));
  return w && w.size > 0 ? w.gradNorm / Math.sqrt(w.size) : NaN;
}

const linears = (r: Report) => r.monitors.layers.filter((l) => l.kind === 'Linear' && l.samples.some((s) => s.params));

const RULE_LIST: HealthRule[] = [
  {
    name: 'vanishing-gradients',
    title: 'Vanishing gradients',
    severity: 'warning',
    criterion: `An early Linear layer's RMS weight gradient is below ${THRESHOLDS.vanishingRatio} of the last Linear layer's (median over monitored steps).`,
    advice:
      'Use the ReLU family in hidden layers with He initialisation (He et al. 2015), add BatchNorm before the activations (Ioffe & Szegedy 2015), or make the network shallower; sigmoid/tanh shrink gradients by f′ ≤ ¼ (sigmoid) per layer.',
    citation: 'Hochreiter 1991; Bengio et al. 1994; Glorot & Bengio 2010; He et al. 2015; Ioffe & Szegedy 2015',
    check(r) {
      const lin = linears(r);
      if (lin.length < 2) return [];
      const last = lin[lin.length - 1];
      const out: Finding[] = [];
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
      if (bad.length === 0) return out;
      const worst = bad.reduce((a, b) => (b.ratio < a.ratio ? b : a));
      out.push({
        rule: 'vanishing-gradients',
        severity: 'warning',
        layers: bad.map((b) => b.name),
        step: lastStep(r),
        evidence:
          `RMS weight gradient of layer${bad.length > 1 ? 's' : ''} ${bad.map((b) => `${b.name} (${fmt(b.ratio)}×)`).join(', ')} relative to the last Linear layer ${last.name} ` +
          `(median over ${last.samples.length} monitored steps); layer ${worst.name} is ${fmt(Math.log10(1 / worst.ratio))} orders of magnitude below.`,
        advice: this.advice,
        citation: this.citation,
        values: { ratio: worst.ratio, threshold: THRESHOLDS.vanishingRatio },
      });
      return out;
    },
  },
  {
    name: 'exploding-gradients',
    title: 'Exploding gradients / divergence',
    severity: 'error',
    criterion: `The gradient norm grew ≥ ${THRESHOLDS.explodingGrowth}× (last tenth of steps vs first) while the loss rose, or the loss grew ≥ ${THRESHOLDS.divergenceLossGrowth}×.`,
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
      const growth = g0 > 0 ? g1 / g0 : g1 > 0 ? Infinity : 1;
      const lossGrowth = l0 > 0 ? l1 / l0 : l1 > l0 ? Infinity : 1;
      const exploding = growth >= THRESHOLDS.explodingGrowth && l1 > l0;
      const diverging = lossGrowth >= THRESHOLDS.divergenceLossGrowth;
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
      let layers = grown.filter((x) => x.g >= THRESHOLDS.explodingGrowth).map((x) => x.name);
      if (layers.length === 0 && grown.length > 0) layers = [grown.reduce((a, b) => (b.g > a.g ? b : a)).name];
      if (layers.length === 0 && r.nonFinite?.layer) layers = [r.nonFinite.layer];
      return [
        {
          rule: 'exploding-gradients',
          severity: 'error',
          layers,
          step: tail[tail.length - 1].step,
          evidence:
            `Gradient norm went from ${fmt(g0)} (median of steps ${head[0].step}–${head[head.length - 1].step}) to ${fmt(g1)} (steps ${tail[0].step}–${tail[tail.length - 1].step}), ×${fmt(growth)}; ` +
            `loss from ${fmt(l0)} to ${fmt(l1)} (×${fmt(lossGrowth)}).`,
          advice: this.advice,
          citation: this.citation,
          values: { gradNormGrowth: growth, lossGrowth, gradNormStart: g0, gradNormEnd: g1, lossStart: l0, lossEnd: l1 },
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
      return [
        {
          rule: 'saturation',
          severity: 'warning',
          layers: bad.map((b) => b.name),
          step: lastStep(r),
          evidence: `Outputs in the saturation band: ${bad.map((b) => `layer ${b.name} (${b.act}) ${fmt(100 * b.frac)}%`).join(', ')} (median over monitored steps; threshold ${THRESHOLDS.saturatedFraction * 100}%).`,
          advice: this.advice,
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
    criterion: `At least ${THRESHOLDS.deadFraction * 100}% of a ReLU layer's units are inactive on every example of the evaluation set (else of each batch, median over the second half of monitored steps).`,
    advice:
      'Lower the learning rate (large updates push units into the region where they never fire again), use Leaky ReLU, PReLU or ELU whose negative side keeps a gradient (Maas et al. 2013; He et al. 2015; Clevert et al. 2016), and He initialisation with zero biases.',
    citation: 'Maas et al. 2013; He et al. 2015; Clevert et al. 2016; Lu et al. 2019',
    check(r) {
      const bad: Array<{ name: string; frac: number; where: string }> = [];
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
        if (frac >= THRESHOLDS.deadFraction) bad.push({ name: l.name, frac, where });
      }
      if (bad.length === 0) return [];
      const worst = bad.reduce((a, b) => (b.frac > a.frac ? b : a));
      return [
        {
          rule: 'dead-units',
          severity: worst.frac >= 0.999 ? 'error' : 'warning',
          layers: bad.map((b) => b.name),
          step: lastStep(r),
          evidence: `Units inactive ${bad[0].where}: ${bad.map((b) => `layer ${b.name} ${fmt(100 * b.frac)}%`).join(', ')} (threshold ${THRESHOLDS.deadFraction * 100}%).`,
          advice: this.advice,
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
    criterion: 'Hidden units of a Linear layer have identical incoming weights and bias at the last monitored step.',
    advice:
      'Initialise weights randomly (Xavier/He, init: "auto"): units that start equal (zero or constant init) receive equal gradients and stay copies of each other, so the layer acts as a single unit.',
    citation: 'Goodfellow et al. 2016, §8.4; Glorot & Bengio 2010',
    check(r) {
      const lin = linears(r);
      const hidden = lin.slice(0, -1);
      const bad: Array<{ name: string; dup: number; units: number }> = [];
      for (const l of hidden) {
        const last = [...l.samples].reverse().find((s) => s.symmetricUnits !== undefined);
        if (!last || (last.symmetricUnits as number) < THRESHOLDS.symmetricUnits) continue;
        bad.push({ name: l.name, dup: last.symmetricUnits as number, units: l.units ?? NaN });
      }
      if (bad.length === 0) return [];
      const total = bad.every((b) => b.dup === b.units - 1);
      return [
        {
          rule: 'symmetry',
          severity: total ? 'error' : 'warning',
          layers: bad.map((b) => b.name),
          step: lastStep(r),
          evidence: bad.map((b) => `layer ${b.name}: ${b.dup} of ${b.units} units duplicate another unit's incoming weights${b.dup === b.units - 1 ? ' (all units identical)' : ''}`).join('; ') + '.',
          advice: this.advice,
          citation: this.citation,
          values: { symmetricUnits: bad[0].dup, units: bad[0].units },
        },
      ];
    },
  },
  {
    name: 'overfitting',
    title: 'Overfitting',
    severity: 'warning',
    criterion: `Validation loss ≥ ${THRESHOLDS.generalizationLoss * 100}% above its best (Prechelt's GL) while the training loss kept falling.`,
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
      const seB = ep[best].valLossStdErr;
      const seL = last.valLossStdErr;
      const se = seB !== undefined && seL !== undefined && seB !== null && seL !== null ? Math.sqrt(seB * seB + seL * seL) : null;
      const z = se !== null && se > 0 ? (vLast - vBest) / se : null;
      if (z !== null && z <= THRESHOLDS.overfitZ) return [];
      return [
        {
          rule: 'overfitting',
          severity: 'warning',
          layers: [],
          step: lastStep(r),
          evidence:
            `Validation loss rose from ${fmt(vBest)} (best, epoch ${ep[best].epoch + 1}) to ${fmt(vLast)} (epoch ${last.epoch + 1}), GL = ${fmt(100 * gl)}%, ` +
            `while the training loss fell from ${fmt(ep[best].loss)} to ${fmt(last.loss)}` +
            (z !== null ? `; the rise is ${fmt(z)} standard errors.` : '.'),
          advice: this.advice,
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
    criterion: `Final training (and validation) loss ≥ ${THRESHOLDS.underfitRelativeLoss} × the best constant predictor's, and it fell < ${THRESHOLDS.underfitFlatness * 100}% over the second half of the epochs.`,
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
      const drop = mid.loss > 0 ? (mid.loss - last.loss) / mid.loss : 0;
      if (!(rel >= THRESHOLDS.underfitRelativeLoss && drop < THRESHOLDS.underfitFlatness)) return [];
      let valText = '';
      const values: Record<string, number | null> = { relativeLoss: rel, drop, baselineLoss: base };
      if (last.valLoss !== undefined && last.valLoss !== null) {
        const vRel = last.valLoss / base;
        const vDrop = mid.valLoss !== undefined && mid.valLoss !== null && mid.valLoss > 0 ? (mid.valLoss - last.valLoss) / mid.valLoss : 0;
        if (!(vRel >= THRESHOLDS.underfitRelativeLoss && vDrop < THRESHOLDS.underfitFlatness)) return [];
        valText = `; validation loss ${fmt(last.valLoss)} (${fmt(100 * vRel)}% of baseline)`;
        values.valRelativeLoss = vRel;
      }
      return [
        {
          rule: 'underfitting',
          severity: 'warning',
          layers: [],
          step: lastStep(r),
          evidence:
            `Training loss ${fmt(last.loss)} is ${fmt(100 * rel)}% of the constant-predictor baseline ${fmt(base)} and fell only ${fmt(100 * drop)}% ` +
            `from epoch ${mid.epoch + 1} to ${last.epoch + 1}${valText}.`,
          advice: this.advice,
          citation: this.citation,
          values,
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
export function nonFiniteFinding(e: NonFiniteEvent, _report?: Report): Finding {
  const rule = HEALTH_RULES.find((x) => x.name === 'non-finite')!;
  const where =
    e.phase === 'forward'
      ? `in the forward pass: the output of layer ${e.layer} is the first non-finite`
      : e.phase === 'loss'
        ? `in the loss (every layer output was finite; loss = ${e.loss})`
        : e.phase === 'backward'
          ? `in the backward pass: layer ${e.layer} is the first (from the output backwards) to produce a non-finite gradient${e.parameter ? ` (parameter ${e.parameter})` : ''}`
          : `in the update: parameter ${e.parameter} became non-finite; its value before the step was restored`;
  return {
    rule: 'non-finite',
    severity: 'error',
    layers: e.layer ? [e.layer] : [],
    step: e.step,
    evidence: `Step ${e.step} (epoch ${e.epoch + 1}, batch ${e.batch + 1}): NaN/Infinity ${where}. Training stopped; the weights are those before this step (loss ${e.loss}).`,
    advice: rule.advice,
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
 * findings come first, each group in the registry's order.
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
  const byRule = (a: Finding, b: Finding) => order(a) - order(b);
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
