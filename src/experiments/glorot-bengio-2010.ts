/**
 * Glorot & Bengio 2010: the difficulty of training deep feedforward networks.
 *
 * Notation of the paper: z^i is the activation vector of layer i (z^0 = x), s^i = z^i W^i + b^i
 * the argument of the non-linearity, z^{i+1} = f(s^i), n_i the width of layer i. In the linear
 * regime around 0 (f′(0) = 1, as for tanh) the variances at initialisation obey
 *   Var[z^i] = Var[x] · ∏_{i′<i} n_{i′} Var[W^{i′}]                          (eq. 5)
 *   Var[∂Cost/∂s^i] = Var[∂Cost/∂s^d] · ∏_{i′≥i} n_{i′+1} Var[W^{i′}]          (eq. 6)
 * so each layer multiplies the forward variance by n_i·Var[W^i] and the back-propagated one by
 * n_{i+1}·Var[W^i]. The "standard" initialisation W ~ U(−1/√n, 1/√n) (eq. 1) has
 * Var[W] = 1/(3n), so both factors are 1/3: the back-propagated gradients shrink towards the
 * input (their Fig. 7, top). The normalized initialisation W ~ U(±√6/√(n_j + n_{j+1})) (eq. 16)
 * has Var[W] = 2/(n_j + n_{j+1}), factors 1 for equal widths, and keeps the variances roughly
 * constant (Fig. 6/7, bottom). In terms of the layer Jacobians J^i = ∂z^{i+1}/∂z^i =
 * diag(f′(s^i))·W^i, the average singular value is ≈ 0.5 under the standard and ≈ 0.8 under the
 * normalized initialisation (§4.2.2): for an n×n matrix of i.i.d. entries of variance σ² the
 * singular values follow the quarter-circle law, of mean (8/(3π))·σ√n ≈ 0.85·σ√n, i.e. 0.49
 * for σ²n = 1/3 and 0.85 for σ²n = 1, a little less after the diag(f′) factor.
 *
 * Separately (§3.1, Fig. 2), a sigmoid network of 4 hidden layers with the standard
 * initialisation drives its top hidden layer to saturation near 0 early in training (while the
 * lower layers stay around 0.5), and only slowly escapes: the softmax output first learns
 * from its biases and, to do so, pushes W·h towards 0 by pushing h towards 0.
 *
 * Setup: the built-in MNIST (8,000 / 2,000 digits; the paper also used MNIST), pixels in [0, 1].
 * (a) At initialisation: 784-n×5-10 networks (n = 100 quick, 200 full; the paper used 1,000)
 * of tanh and sigmoid units, standard vs normalized (Xavier-uniform) weights, zero biases;
 * per-layer activation variance Var[z^i] and back-propagated gradient variance
 * Var[∂Cost/∂s^i] of the cross-entropy on a batch of 250 digits (1,000 full), averaged over 2
 * draws of the weights (5 full); for tanh, the mean singular value of J^i between the hidden
 * layers (i = 2..5, square W) on 4 digits (2 full). (b) Training a 784-n×4-10 sigmoid network
 * (standard init) with SGD, mini-batches of 10 as in the paper, lr 0.5 (large, so that the
 * effect shows within the quick budget), and the mean activation of each hidden layer on 200
 * (full: 1,000) fixed test digits, for 300 steps (full: 5,000, to show whether it escapes).
 *
 * Seeds tried (quick mode): 0–4. Observed, tanh: standard init, per-layer factor of Var[z^i]
 * 0.323–0.366 and of Var[∂Cost/∂s^i] (towards the input) 0.321–0.326 (eqs. 5–6 predict
 * 1/3·E[f′²]); normalized init 0.822–0.875 and 0.801–0.823 (the shortfall from 1 is E[f′(s)²]
 * < 1 plus finite width). Mean singular value of J: standard 0.487–0.490, normalized
 * 0.775–0.799 (paper 0.5 / 0.8). Standard init, layers 2–5: max/min of ‖∂Cost/∂W^i‖² 1.04–1.23,
 * of Var[∂Cost/∂s^i] 26.7–29.5. Sigmoid (Fig. 2): top hidden layer mean 0.500–0.508 at init,
 * 0.049–0.052 after 300 steps (still falling), layers 1–3 then 0.565–0.588. For sigmoid the
 * back-propagated factor is ≈ 0.02 (standard) and ≈ 0.057 (normalized): eq. 16 assumes
 * f′(0) = 1, sigmoid has f′(0) = ¼, so neither keeps it constant (reported, not checked).
 * Full mode, seed 0 (4 min): the same factors (0.33/0.326, 0.847/0.834, J 0.489/0.77); the top
 * sigmoid layer falls to 0.010 by step 2,500 and has climbed back to 0.08 by step 5,000, the
 * slow escape of Fig. 2.
 * Margins: bands [0.2, 0.45] and [0.65, 1.1]; [0.4, 0.6] and [0.7, 0.9] for the singular
 * values; spreads < 2× and > 8×; top layer < 0.15 with layers 1–3 > 0.45.
 */
import { ACTIVATIONS } from '../activations.js';
import { noGrad } from '../autograd.js';
import type { ActivationName } from '../activations.js';
import { Linear } from '../nn/linear.js';
import type { Sequential } from '../nn/sequential.js';
import { SGD } from '../optim/sgd.js';
import type { Tensor } from '../tensor.js';
import {
  builtinMnist, check, depthSeries, fmt, head, mean, mlp, moments, probe, result, series, singularValues, startRun, table, tick, train, verdict,
} from './common.js';
import type { Experiment, ExperimentOptions, ExperimentResult } from './types.js';

const STD_BAND: [number, number] = [0.2, 0.45];
const NORM_BAND: [number, number] = [0.65, 1.1];
const JAC_STD: [number, number] = [0.4, 0.6];
const JAC_NORM: [number, number] = [0.7, 0.9];
const W_SPREAD = 2;
const G_SPREAD = 8;
const TOP_SAT = 0.15;
const LOWER_MIN = 0.45;

const inBand = (v: number, [lo, hi]: [number, number]): boolean => v >= lo && v <= hi;

const exp = {
  name: 'glorot-bengio-2010',
  title: 'Glorot & Bengio 2010: standard vs normalized initialisation in deep tanh and sigmoid networks',
  claim:
    'With the standard initialisation U(±1/√n) the variance of the back-propagated gradients shrinks from layer to layer towards the input, and the layer Jacobians have a mean singular value ≈ 0.5; the normalized initialisation U(±√6/√(n_j+n_{j+1})) keeps the activation and back-propagated gradient variances roughly constant across layers, with mean singular values ≈ 0.8. With the standard initialisation, the top hidden layer of a 4-hidden-layer sigmoid network is quickly driven to saturation near 0 at the start of training.',
  citation:
    'Glorot & Bengio 2010, "Understanding the difficulty of training deep feedforward neural networks", AISTATS (eqs. 1, 5–6, 16; §3.1 Fig. 2; §4.2 Figs. 6–7).',
};

type InitKind = 'standard' | 'xavierUniform';
const INIT_LABEL: Record<InitKind, string> = { standard: 'standard U(±1/√n)', xavierUniform: 'normalized (Xavier)' };

interface AtInit {
  activation: ActivationName;
  init: InitKind;
  label: string;
  /** Var[z^i], i = 1..depth (the hidden activations). */
  actVar: number[];
  /** Var[∂Cost/∂s^i], i = 1..depth (the gradients w.r.t. the hidden pre-activations). */
  gradVar: number[];
  /** ‖∂Cost/∂W^i‖², i = 1..depth. */
  weightGrad: number[];
  /** Mean singular value of J^i for the square hidden-to-hidden layers (NaN when not measured). */
  jacobian: number[];
}

/** Geometric-mean factor per layer between the first and the last entry of v. */
const perLayer = (v: number[]): number => (v[v.length - 1] / v[0]) ** (1 / (v.length - 1));

/**
 * Mean singular value of J^i = diag(f′(s^i))·W^i (paper's J^i = ∂z^{i+1}/∂z^i) for every
 * Linear whose weight is square, averaged over the rows of x.
 */
function jacobianMeanSingularValues(model: Sequential, act: ActivationName, x: Tensor): number[] {
  const a = ACTIVATIONS[act];
  const pre: Tensor[] = [];
  noGrad(() => {
    let h = x;
    for (const m of model.layers) {
      h = m.forward(h);
      if (m instanceof Linear) pre.push(h);
    }
  });
  const linears = model.layers.filter((m): m is Linear => m instanceof Linear);
  const out: number[] = [];
  linears.forEach((lin, li) => {
    const n = lin.outFeatures;
    if (lin.inFeatures !== n || li === linears.length - 1) return;
    const s = pre[li];
    const w = lin.weight.data;
    const rowsN = x.shape[0];
    let total = 0;
    const j = new Float64Array(n * n);
    for (let r = 0; r < rowsN; r++) {
      for (let o = 0; o < n; o++) {
        const sv = s.data[r * n + o];
        const d = a.derivative!(sv, a.value!(sv, NaN), NaN);
        for (let c = 0; c < n; c++) j[o * n + c] = d * w[o * n + c];
      }
      total += mean(Array.from(singularValues(j, n, n)));
    }
    out.push(total / rowsN);
  });
  return out;
}

export const glorotBengio2010: Experiment = {
  ...exp,
  async run(opts: ExperimentOptions = {}): Promise<ExperimentResult> {
    const ctx = startRun(opts);
    ctx.progress(0, 'loading MNIST');
    const mnist = await builtinMnist();
    const width = ctx.quick ? 100 : 200;
    const depth = 5;
    const draws = ctx.quick ? 2 : 5;
    const batch = head(mnist.train, ctx.quick ? 250 : 1000);
    const jacX = head(mnist.test, ctx.quick ? 4 : 2).x;

    // (a) Statistics at initialisation.
    const configs: Array<{ activation: ActivationName; init: InitKind }> = [
      { activation: 'tanh', init: 'standard' },
      { activation: 'tanh', init: 'xavierUniform' },
      { activation: 'sigmoid', init: 'standard' },
      { activation: 'sigmoid', init: 'xavierUniform' },
    ];
    const atInit: AtInit[] = [];
    for (const [k, c] of configs.entries()) {
      ctx.progress((0.5 * k) / configs.length, `${c.activation}, ${INIT_LABEL[c.init]}: statistics at initialisation`);
      const sizes = [784, ...Array(depth).fill(width), 10];
      const actVar = Array(depth).fill(0);
      const gradVar = Array(depth).fill(0);
      const weightGrad = Array(depth).fill(0);
      let jacobian: number[] = [];
      for (let d = 0; d < draws; d++) {
        const net = mlp({ sizes, activation: c.activation, init: c.init, gen: ctx.gen });
        const p = probe(net, batch.x, batch.y);
        const lin = p.filter((l) => l.kind === 'Linear').slice(0, depth);
        const acts = p.filter((l) => l.kind !== 'Linear');
        lin.forEach((l, i) => {
          gradVar[i] += l.gradVariance / draws;
          weightGrad[i] += (l.weightGradNorm ?? NaN) ** 2 / draws;
        });
        acts.forEach((l, i) => (actVar[i] += l.variance / draws));
        if (d === 0 && c.activation === 'tanh') jacobian = jacobianMeanSingularValues(net, c.activation, jacX);
        await tick();
      }
      atInit.push({ ...c, label: `${c.activation}, ${INIT_LABEL[c.init]}`, actVar, gradVar, weightGrad, jacobian });
    }

    // (b) Saturation of the top hidden sigmoid layer early in training (Fig. 2).
    const steps = ctx.quick ? 300 : 5000;
    const every = ctx.quick ? 25 : 250;
    const lr = 0.5;
    const probeX = head(mnist.test, ctx.quick ? 200 : 1000).x;
    const satNet = mlp({ sizes: [784, ...Array(4).fill(width), 10], activation: 'sigmoid', init: 'standard', gen: ctx.gen });
    const hiddenMeans = (): number[] =>
      noGrad(() => {
        let h = probeX;
        const means: number[] = [];
        for (const m of satNet.layers) {
          h = m.forward(h);
          if (!(m instanceof Linear)) means.push(moments(h.data).mean);
        }
        return means;
      });
    const track: { steps: number[]; means: number[][] } = { steps: [0], means: [hiddenMeans()] };
    await train({
      model: satNet,
      optimizer: new SGD(satNet.parameters(), { lr }),
      data: mnist.train,
      batchSize: 10,
      steps,
      gen: ctx.gen,
      onStep: (step) => {
        if (step % every === 0) {
          track.steps.push(step);
          track.means.push(hiddenMeans());
          ctx.progress(0.5 + (0.5 * step) / steps, `sigmoid, standard init: step ${step}`);
        }
      },
    });

    const [tanhStd, tanhNorm] = atInit;
    const gStd = perLayer([...tanhStd.gradVar].reverse());
    const gNorm = perLayer([...tanhNorm.gradVar].reverse());
    const aStd = perLayer(tanhStd.actVar.slice(1));
    const aNorm = perLayer(tanhNorm.actVar.slice(1));
    const jStd = mean(tanhStd.jacobian);
    const jNorm = mean(tanhNorm.jacobian);
    const top = track.means.map((m) => m[3]);
    const lower = track.means.map((m) => mean(m.slice(0, 3)));
    const topMin = Math.min(...top);
    const topMinAt = track.steps[top.indexOf(topMin)];

    // Fig. 8 / eq. 14: under the standard init ‖∂Cost/∂W^i‖² stays about constant over the
    // hidden-to-hidden layers 2..5 even though Var[∂Cost/∂s^i] shrinks: the smaller
    // back-propagated gradient meets a larger activation Var[z^{i−1}].
    const spread = (v: number[]) => Math.max(...v) / Math.min(...v);
    const wSpread = spread(tanhStd.weightGrad.slice(1));
    const gSpread = spread(tanhStd.gradVar.slice(1));
    const checks = [
      check(
        `tanh, standard init: the activation and back-propagated gradient variances shrink by a factor in [${STD_BAND}] per layer (eqs. 5–6: n·Var[W] = 1/3)`,
        inBand(aStd, STD_BAND) && inBand(gStd, STD_BAND),
        `Var[z^i] factor per layer ${fmt(aStd)}; Var[∂Cost/∂s^i] factor per layer towards the input ${fmt(gStd)} (Var[∂Cost/∂s¹]/Var[∂Cost/∂s⁵] = ${fmt(tanhStd.gradVar[0] / tanhStd.gradVar[depth - 1])})`,
      ),
      check(
        `tanh, normalized init: both factors stay in [${NORM_BAND}] (eq. 16: n·Var[W] = 1, variances roughly constant)`,
        inBand(aNorm, NORM_BAND) && inBand(gNorm, NORM_BAND),
        `Var[z^i] factor per layer ${fmt(aNorm)}; Var[∂Cost/∂s^i] factor per layer towards the input ${fmt(gNorm)} (Var[∂Cost/∂s¹]/Var[∂Cost/∂s⁵] = ${fmt(tanhNorm.gradVar[0] / tanhNorm.gradVar[depth - 1])})`,
      ),
      check(
        `mean singular value of J^i = ∂z^{i+1}/∂z^i: in [${JAC_STD}] under the standard init (paper ≈ 0.5) and in [${JAC_NORM}] under the normalized one (paper ≈ 0.8)`,
        inBand(jStd, JAC_STD) && inBand(jNorm, JAC_NORM),
        `standard ${fmt(jStd)}, normalized ${fmt(jNorm)} (layers 2–5)`,
      ),
      check(
        `tanh, standard init: the weight gradients ‖∂Cost/∂W^i‖² of layers 2–5 vary by less than ${W_SPREAD}× while Var[∂Cost/∂s^i] varies by more than ${G_SPREAD}× (Fig. 8, eq. 14)`,
        wSpread < W_SPREAD && gSpread > G_SPREAD,
        `max/min over layers 2–5: weight gradients ${fmt(wSpread)}, back-propagated gradients ${fmt(gSpread)}`,
      ),
      check(
        `sigmoid, 4 hidden layers, standard init: within ${steps} steps the top hidden layer’s mean activation falls below ${TOP_SAT} (from ≈ 0.5) while layers 1–3 stay above ${LOWER_MIN} on average (Fig. 2)`,
        topMin < TOP_SAT && lower[top.indexOf(topMin)] > LOWER_MIN,
        `layer 4: ${fmt(top[0])} at init, minimum ${fmt(topMin)} at step ${topMinAt}; layers 1–3 at that step ${fmt(lower[top.indexOf(topMin)])}`,
      ),
    ];
    return result(
      exp,
      ctx,
      { data: `built-in MNIST (${mnist.train.x.shape[0]} train)`, width, depth, draws, saturation: { network: `784-${width}×4-10 sigmoid, standard init`, optimizer: `SGD lr ${lr}`, batchSize: 10, steps } },
      {
        series: [
          ...atInit.map((o) => depthSeries(o.label, o.actVar, 'Activation variance Var[z^i] at initialisation (Fig. 6)', 'Var[z^i]')),
          ...atInit.map((o) => depthSeries(o.label, o.gradVar, 'Back-propagated gradient variance Var[∂Cost/∂s^i] at initialisation (Fig. 7)', 'Var[∂Cost/∂s^i]')),
          ...atInit.map((o) => depthSeries(o.label, o.weightGrad, 'Weight gradient ‖∂Cost/∂W^i‖² at initialisation', '‖∂Cost/∂W^i‖²')),
          ...[0, 1, 2, 3].map((i) => series(`hidden layer ${i + 1}`, track.steps, track.means.map((m) => m[i]), { chart: 'Mean sigmoid activation during training, standard init (Fig. 2)', xLabel: 'step', yLabel: 'mean activation' })),
        ],
        tables: [
          table(
            'At initialisation',
            ['network', 'Var[z] factor per layer', 'Var[∂Cost/∂s] factor per layer', 'Var[∂Cost/∂s¹]/Var[∂Cost/∂s⁵]', 'mean singular value of J'],
            atInit.map((o) => [o.label, perLayer(o.actVar.slice(1)), perLayer([...o.gradVar].reverse()), o.gradVar[0] / o.gradVar[depth - 1], o.jacobian.length ? mean(o.jacobian) : null]),
          ),
          table('Top hidden layer saturation (sigmoid, standard init)', ['measure', 'value'], [
            ['mean activation of layer 4 at init', top[0]],
            ['its minimum during training', topMin],
            ['step of the minimum', topMinAt],
            ['mean of layers 1–3 at that step', lower[top.indexOf(topMin)]],
            ['layer 4 at the end', top[top.length - 1]],
          ]),
        ],
      },
      verdict(
        checks,
        'Reproduced: under the standard initialisation the back-propagated gradients of the deep tanh network shrank layer by layer towards the input (while the weight gradients did not) and the Jacobians’ mean singular value was ≈ 0.5; under the normalized initialisation the variances stayed roughly constant and the singular values were ≈ 0.8; and the top sigmoid layer was driven to saturation near 0 early in training.',
        'Not reproduced.',
      ),
    );
  },
};
