#!/usr/bin/env node
// The optimizer step of the benchmark MLP (784-256-256-10, Adam, gradients of one batch), two
// built trees paired in one process (alternating blocks of 20 calls, as bench/step-ab.mjs):
// opt.step(), and fit's update — the rollback copy, the step and the finiteness check, as
// three passes (a tree without Optimizer.stepSaving) or in the update's own pass (stepSaving).
//   node bench/optimizer-ab.mjs TREE_A TREE_B [pairs=40] [threads=2]
import path from 'node:path';
import { pathToFileURL } from 'node:url';
const trees = process.argv.slice(2, 4).map((t) => pathToFileURL(path.resolve(t)).href);
const pairs = Number(process.argv[4] ?? 40);
const threads = Number(process.argv[5] ?? 2);
const libs = [];
for (const t of trees) {
  const g = await import(`${t}/dist/index.js`);
  const { K } = await import(`${t}/dist/kernels/index.js`);
  g.setNumThreads(threads);
  g.manualSeed(0);
  const model = new g.nn.Sequential(new g.nn.Linear(784, 256), new g.nn.ReLU(), new g.nn.Linear(256, 256), new g.nn.ReLU(), new g.nn.Linear(256, 10));
  const opt = new g.optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = g.tensor(Float32Array.from({ length: 128 * 784 }, (_, i) => Math.sin(i)), [128, 784]);
  const y = g.tensor(Float32Array.from({ length: 128 }, (_, i) => i % 10), [128]);
  g.loss.crossEntropy(model.forward(x), y).backward();
  const params = model.parameters();
  const before = params.map((p) => K.alloc(p.size, 'float32'));
  const fitWay = opt.stepSaving
    ? () => { const ok = opt.stepSaving((p) => before[params.indexOf(p)]); return ok; }
    : () => { params.forEach((p, j) => K.copy(p.data, before[j])); opt.step(); return params.every((p) => K.allFinite(p.data)); };
  // keep grads: step() doesn't clear them
  libs.push({ plain: (n) => { for (let i = 0; i < n; i++) opt.step(); }, fit: (n) => { for (let i = 0; i < n; i++) fitWay(); } });
}
const med = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const q = (a, f) => a.slice().sort((x, y) => x - y)[Math.floor(a.length * f)];
for (const mode of ['plain', 'fit']) {
  const run = libs.map((l) => l[mode]);
  for (const r of run) r(50);
  const tt = [[], []], ratios = [];
  const N = 20;
  for (let p = 0; p < pairs; p++) {
    const t = [0, 0];
    for (const w of p % 2 ? [1, 0] : [0, 1]) { const t0 = performance.now(); run[w](N); t[w] = (performance.now() - t0) / N; tt[w].push(t[w]); }
    ratios.push(t[0] / t[1]);
  }
  console.log(`${mode === 'plain' ? 'opt.step()' : "fit's update (copy, step, check)"}, ${threads} thr.: A ${(med(tt[0]) * 1000).toFixed(1)} µs, B ${(med(tt[1]) * 1000).toFixed(1)} µs; B speed ÷ A: ${med(ratios).toFixed(2)} (quartiles ${q(ratios, .25).toFixed(2)}–${q(ratios, .75).toFixed(2)})`);
}
process.exit(0);
