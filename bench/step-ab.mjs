#!/usr/bin/env node
// Paired before/after of two built trees IN ONE PROCESS: each tree's gradlab is imported from
// its own dist/ (its own wasm instance and thread pool), and short blocks of work alternate
// A B, B A, … so that the load other processes put on a shared machine hits both alike within
// seconds (bench/cnn-ab.mjs alternates whole processes, ≈ 3 s apart). Prints the median of
// the per-pair speed ratios and their quartiles.
//
//   node bench/step-ab.mjs TREE_A TREE_B [--batch 128] [--pairs 40] [--threads 2] [--force-split]
//   node bench/step-ab.mjs TREE_A TREE_B --gemm [M,K,N,NT;…]        split GEMMs (forced split)
//   node bench/step-ab.mjs TREE_A TREE_B --fit                        fit's step (TrainStep.run)
//
// Step mode: the benchmark MLP's plain loop (784-256-256-10 ReLU, Adam, a fresh tensor() per
// step), blocks of ≈ 2,560 samples; --fit: the same model through fit's TrainStep (its rollback
// copy, finiteness checks and gradient norms; ordinary, unmonitored steps). --gemm: C ← op(A)·op(B) in the given layouts (NN, NT, TN),
// blocks of 20 calls; default the shapes of the MLP's large GEMMs at batch 128.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
/** Options that take a value (--gemm's is optional: a value never starts with "--"). */
const VALUED = ['--batch', '--pairs', '--threads', '--gemm'];
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined && !args[i + 1].startsWith('--') ? args[i + 1] : dflt;
};
const trees = [];
for (let i = 0; i < args.length; i++) {
  if (args[i].startsWith('--')) {
    if (VALUED.includes(args[i]) && args[i + 1] !== undefined && !args[i + 1].startsWith('--') && (args[i] !== '--gemm' || /^\d/.test(args[i + 1]))) i++;
  } else trees.push(pathToFileURL(path.resolve(args[i])).href);
}
if (trees.length !== 2) {
  console.error('usage: node bench/step-ab.mjs TREE_A TREE_B [--batch N] [--pairs N] [--threads N] [--force-split] [--fit] [--gemm [M,K,N,LAYOUT;…]]');
  process.exit(2);
}
const pairs = Number(opt('--pairs', 40));
const threads = Number(opt('--threads', 2));
const gemmMode = args.includes('--gemm');
const force = gemmMode || args.includes('--force-split');
const med = (a) => {
  const b = a.slice().sort((x, y) => x - y);
  return b.length % 2 ? b[b.length >> 1] : (b[b.length / 2 - 1] + b[b.length / 2]) / 2;
};
const q = (a, f) => a.slice().sort((x, y) => x - y)[Math.floor(a.length * f)];

async function load(tree) {
  const g = await import(`${tree}/dist/index.js`);
  const { K } = await import(`${tree}/dist/kernels/index.js`);
  const { TrainStep } = await import(`${tree}/dist/train/step.js`);
  g.setNumThreads(threads);
  if (force && K.pool) K.pool.adaptive = false;
  return { g, K, TrainStep };
}
const libs = [await load(trees[0]), await load(trees[1])];

/** Alternate run[0](n) and run[1](n) for `pairs` pairs; per-unit times and A÷B time ratios. */
function paired(run, n, label, unit) {
  for (const r of run) r(3 * n);
  const ratios = [];
  const tt = [[], []];
  for (let p = 0; p < pairs; p++) {
    const t = [0, 0];
    for (const w of p % 2 ? [1, 0] : [0, 1]) {
      const t0 = performance.now();
      run[w](n);
      t[w] = (performance.now() - t0) / n;
      tt[w].push(t[w]);
    }
    ratios.push(t[0] / t[1]);
  }
  console.log(`${label}: A ${(med(tt[0]) * 1000).toFixed(0)} µs/${unit}, B ${(med(tt[1]) * 1000).toFixed(0)} µs/${unit} (medians); B speed ÷ A speed: median ${med(ratios).toFixed(3)} (quartiles ${q(ratios, 0.25).toFixed(2)}–${q(ratios, 0.75).toFixed(2)}) over ${pairs} pairs of ${n}`);
}

if (gemmMode) {
  const spec = opt('--gemm', undefined);
  const shapes = (spec && /^\d/.test(spec) ? spec : '128,784,256,NT;128,256,256,NN;128,256,256,NT;256,128,256,TN;256,128,784,TN').split(';').map((s) => s.split(','));
  for (const [ms, ks, ns, lay] of shapes) {
    const m = +ms, k = +ks, n = +ns, ta = lay === 'TN', tb = lay === 'NT';
    const run = libs.map(({ K }) => {
      const mk = (len) => {
        const a = K.alloc(len, 'float32');
        for (let i = 0; i < len; i++) a[i] = Math.sin(i);
        return a;
      };
      const A = mk(m * k), B = mk(k * n), C = mk(m * n);
      return (reps) => {
        for (let i = 0; i < reps; i++) K.gemm(ta, tb, m, n, k, 1, A, B, 0, C);
      };
    });
    paired(run, 20, `${m}×${k}×${n} ${lay}, ${threads} thr.`, 'call');
  }
} else {
  const batch = Number(opt('--batch', 128));
  const fitStep = args.includes('--fit');
  const run = libs.map(({ g, TrainStep }) => {
    g.manualSeed(0);
    const { nn, optim, loss, tensor } = g;
    const model = new nn.Sequential(new nn.Linear(784, 256), new nn.ReLU(), new nn.Linear(256, 256), new nn.ReLU(), new nn.Linear(256, 10));
    const adam = new optim.Adam(model.parameters(), { lr: 1e-3 });
    const xs = Float32Array.from({ length: batch * 784 }, (_, i) => 0.5 + 0.5 * Math.sin(i));
    const ys = Float32Array.from({ length: batch }, (_, i) => i % 10);
    if (fitStep) {
      const ts = new TrainStep(model, adam, { loss: (o, t) => loss.crossEntropy(o, t) });
      return (steps) => {
        for (let s = 0; s < steps; s++) {
          ts.run(tensor(xs, [batch, 784]), tensor(ys, [batch]));
          ts.releaseLast();
        }
      };
    }
    return (steps) => {
      for (let s = 0; s < steps; s++) {
        adam.zeroGrad();
        loss.crossEntropy(model.forward(tensor(xs, [batch, 784])), tensor(ys, [batch])).backward();
        adam.step();
      }
    };
  });
  paired(run, Math.max(5, Math.round(2560 / batch)), `MLP ${fitStep ? "fit's step" : 'step'}, batch ${batch}, ${threads} thr.${force ? ' (forced split)' : ''}`, 'step');
}
process.exit(0);
