/**
 * He, Zhang, Ren & Sun 2016: deep residual learning (the CIFAR-10 nets of §4.2).
 *
 * The paper's "degradation problem": a deeper plain network (a stack of 3×3 convolutions, each
 * followed by BatchNorm and ReLU, so not a vanishing-gradient failure) has a *higher training*
 * error than a shallower one (Fig. 1, Fig. 6 left: plain-56 above plain-20); the same deep net
 * with identity shortcuts, y = F(x) + x, has no such problem (Fig. 6 middle).
 *
 * Here the paper's CIFAR design, scaled down for two CPU cores: a 3×3 conv stem, three stages
 * of n blocks of two 3×3 convolutions (widths w, 2w, 4w; the first conv of stages 2 and 3 has
 * stride 2), global average pooling and a Linear classifier: 6n + 2 weighted layers. Residual
 * blocks are `BasicBlock` (identity shortcut, a 1×1 projection with BN where the shape changes:
 * the paper's option B); the plain blocks are the same layers without the shortcut. Data: the
 * built-in MNIST, 2×2 average-pooled to 14×14 and standardised. SGD, momentum 0.9 and lr 0.05
 * (the paper: 0.1 at batch 128; we use batches of 32) — in full mode divided by 10 for the last
 * quarter of the steps (the paper divides it at 50% and 75%), so that the final training loss is
 * not SGD's noise floor at a large rate — no weight decay, the same batches and the same
 * budget for every net. The training loss is the mean batch loss (train mode, as the
 * paper's training curves) over the last fifth of the steps.
 *
 * Checks, in both modes: (a) the deep plain net's training loss is at least (1 + DEGRADATION)×
 * the shallow plain net's; (b) the deep residual net's is at most 1/RES_GAIN of the deep plain
 * net's; (c) and not worse than the shallow plain net's plus SHALLOW_TOLERANCE (relative):
 * depth no longer hurts. The test accuracies are reported, not checked (the claim is about
 * optimisation, not generalisation).
 *
 * Seeds tried (2026-11-28). Quick mode (4,000 training digits, 200 steps, plain-8 vs plain-20
 * vs residual-20), seeds 0–7: training loss plain-8 0.22–0.27, plain-20 0.33–0.47 (ratio
 * 1.37–2.04), residual-20 0.16–0.26 (1.45–2.56× below plain-20; 0.67–1.08× plain-8). With the
 * lr decay in quick mode too, seeds 4 and 5 gave a ratio of only 1.16: the late small steps let
 * the plain-20 net catch up part of the way in 200 steps, hence quick mode keeps the constant rate.
 * Full mode (8,000 digits, 1,500 steps, plain-8 vs plain-32 vs residual-32, lr ÷ 10 from step
 * 1,125), seeds 0–1: plain-8 0.031–0.040, plain-32 0.118 (ratio 2.9–3.8), residual-32
 * 0.024–0.030 (3.9–4.9× below plain-32; 0.75–0.77× plain-8); test accuracy 97.4–97.6%,
 * 95.3–96.7%, 97.8–97.9%. Without the decay (seed 0) residual-32 ended at 1.18× plain-8's
 * training loss (0.061 vs 0.052; both at the noise floor of lr 0.05), which failed (c).
 * A full run took 305 s (seed 0 without the decay, lighter load) to 857 s (load 6–10) on the shared
 * 2 cores; quick mode 15 s.
 * Margins: 1.2×, 1.25×, +15%.
 */
import { ReLU } from '../nn/activation.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/linear.js';
import type { Module } from '../nn/module.js';
import { AdaptiveAvgPool2d, Flatten } from '../nn/pool.js';
import { BasicBlock } from '../nn/residual.js';
import { Sequential } from '../nn/sequential.js';
import { StepLR } from '../optim/schedule.js';
import { SGD } from '../optim/sgd.js';
import { Generator } from '../random.js';
import { builtinMnist, check, evaluate, fmt, mean, pooledSplits, range, result, series, startRun, table, train, verdict } from './common.js';
import type { Experiment, ExperimentOptions, ExperimentResult } from './types.js';

const DEGRADATION = 0.2;
const RES_GAIN = 1.25;
const SHALLOW_TOLERANCE = 0.15;

const exp = {
  name: 'he-2016-residual',
  title: 'He et al. 2016: plain vs residual deep conv nets (the degradation problem)',
  claim:
    'A deeper plain convolutional network (3×3 convolutions with BatchNorm and ReLU) trains worse than a shallower one — higher training loss after the same training, so the cause is optimisation, not overfitting — while the same deep network with identity shortcuts (residual blocks, y = F(x) + x) does not.',
  citation: 'He, Zhang, Ren & Sun 2016, "Deep residual learning for image recognition", CVPR (§4.2, Fig. 1, Fig. 6).',
};

/**
 * The paper's CIFAR net, 6n + 2 weighted layers: conv 3×3 (w) + BN + ReLU, three stages of n
 * blocks (w, 2w, 4w; stride 2 at the start of stages 2 and 3), global average pooling, Linear.
 * Residual blocks are BasicBlock; plain blocks are conv-BN-ReLU-conv-BN-ReLU without the shortcut.
 */
function cifarNet(n: number, width: number, residual: boolean, gen: Generator, classes = 10): Sequential {
  const layers: Module[] = [new Conv2d(1, width, 3, { padding: 1, bias: false, generator: gen }), new BatchNorm2d(width), new ReLU()];
  let c = width;
  for (let stage = 0; stage < 3; stage++) {
    const out = width << stage;
    for (let b = 0; b < n; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      if (residual) layers.push(new BasicBlock(c, out, stride));
      else {
        layers.push(new Conv2d(c, out, 3, { stride, padding: 1, bias: false, generator: gen }), new BatchNorm2d(out), new ReLU());
        layers.push(new Conv2d(out, out, 3, { padding: 1, bias: false, generator: gen }), new BatchNorm2d(out), new ReLU());
      }
      c = out;
    }
  }
  layers.push(new AdaptiveAvgPool2d(1), new Flatten(), new Linear(c, classes, { generator: gen }));
  return new Sequential(...layers);
}

interface Run {
  label: string;
  depth: number;
  residual: boolean;
  losses: number[];
  trainLoss: number;
  testAccuracy: number;
  diverged: number | null;
}

export const he2016Residual: Experiment = {
  ...exp,
  async run(opts: ExperimentOptions = {}): Promise<ExperimentResult> {
    const ctx = startRun(opts);
    ctx.progress(0, 'loading MNIST');
    const mnist = await builtinMnist();
    const nTrain = ctx.quick ? 4000 : mnist.train.x.shape[0];
    const nTest = ctx.quick ? 1000 : mnist.test.x.shape[0];
    const { train: data, test, summary } = pooledSplits(mnist, nTrain, nTest, 2, true);
    const width = 8;
    const shallowN = 1;
    const deepN = ctx.quick ? 3 : 5;
    const steps = ctx.quick ? 200 : 1500;
    const lr = 0.05;
    const batchSize = 32;
    const tail = Math.round(steps / 5);
    // Full mode only: quick mode's 200 steps are all early training, where the paper's curves separate too.
    const decayAt = ctx.quick ? null : Math.round((3 * steps) / 4);
    const plan = [
      { n: shallowN, residual: false },
      { n: deepN, residual: false },
      { n: deepN, residual: true },
    ];
    const runs: Run[] = [];
    for (const [k, p] of plan.entries()) {
      const depth = 6 * p.n + 2;
      const label = `${p.residual ? 'residual' : 'plain'}-${depth}`;
      ctx.progress(k / plan.length, `${label}: training`);
      // Every net sees the same batches: the shuffling generator restarts from the seed.
      const model = cifarNet(p.n, width, p.residual, ctx.gen);
      const optimizer = new SGD(model.parameters(), { lr, momentum: 0.9 });
      // The paper's schedule in miniature: lr ÷ 10 for the last quarter (stepped per iteration).
      const schedule = decayAt === null ? null : new StepLR(optimizer, decayAt);
      const t = await train({
        model,
        optimizer,
        data,
        batchSize,
        steps,
        gen: new Generator(ctx.seed + 1),
        onStep: (step) => {
          schedule?.step();
          if (step % 50 === 0) ctx.progress((k + step / steps) / plan.length, `${label}: step ${step}`);
        },
      });
      const trainLoss = t.divergedAt === null ? mean(t.losses.slice(-tail)) : Infinity;
      const testAccuracy = t.divergedAt === null ? evaluate(model, test.x, test.y).accuracy : 0.1;
      runs.push({ label, depth, residual: p.residual, losses: t.losses, trainLoss, testAccuracy, diverged: t.divergedAt });
    }
    const [shallow, plainDeep, resDeep] = runs;
    const checks = [
      check(
        `degradation: the deeper plain net’s training loss is at least ${1 + DEGRADATION}× the shallower plain net’s`,
        plainDeep.trainLoss >= (1 + DEGRADATION) * shallow.trainLoss,
        `training loss (mean of the last ${tail} batches): ${shallow.label} ${fmt(shallow.trainLoss)}, ${plainDeep.label} ${fmt(plainDeep.trainLoss)} (ratio ${fmt(plainDeep.trainLoss / shallow.trainLoss)})`,
      ),
      check(
        `with shortcuts the deep net’s training loss is at most 1/${RES_GAIN} of the plain deep net’s`,
        resDeep.diverged === null && RES_GAIN * resDeep.trainLoss <= plainDeep.trainLoss,
        `${resDeep.label} ${fmt(resDeep.trainLoss)}, ${plainDeep.label} ${fmt(plainDeep.trainLoss)} (ratio ${fmt(plainDeep.trainLoss / resDeep.trainLoss)})`,
      ),
      check(
        `depth no longer hurts: the deep residual net’s training loss is at most the shallow plain net’s + ${100 * SHALLOW_TOLERANCE}%`,
        resDeep.trainLoss <= (1 + SHALLOW_TOLERANCE) * shallow.trainLoss,
        `${resDeep.label} ${fmt(resDeep.trainLoss)}, ${shallow.label} ${fmt(shallow.trainLoss)}`,
      ),
    ];
    return result(
      exp,
      ctx,
      {
        data: `built-in MNIST, ${summary}`,
        networks: `conv 3×3 stem, 3 stages × n blocks of two 3×3 convs (widths ${width}, ${2 * width}, ${4 * width}), BatchNorm + ReLU, global average pooling, Linear; n = ${shallowN} (${6 * shallowN + 2} layers) and ${deepN} (${6 * deepN + 2} layers)`,
        optimizer: `SGD lr ${lr} momentum 0.9${decayAt === null ? '' : `, lr ÷ 10 from step ${decayAt}`}`,
        batchSize,
        steps,
      },
      {
        series: runs.map((r) => series(r.label, range(r.losses.length), r.losses, { chart: 'Training loss (per batch)', xLabel: 'step', yLabel: 'cross-entropy' })),
        tables: [
          table(
            'Training loss and test accuracy after the same budget',
            ['network', 'weighted layers', 'shortcuts', `training loss (last ${tail} batches)`, 'test accuracy', 'diverged at step'],
            runs.map((r) => [r.label, r.depth, r.residual, Number.isFinite(r.trainLoss) ? r.trainLoss : null, r.testAccuracy, r.diverged]),
          ),
        ],
      },
      verdict(
        checks,
        `Reproduced: the ${plainDeep.depth}-layer plain net trained worse than the ${shallow.depth}-layer one (higher training loss after the same steps), while the same ${resDeep.depth}-layer net with identity shortcuts trained at least as well as the shallow one.`,
        'Not reproduced.',
      ),
    );
  },
};
