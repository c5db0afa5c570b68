#!/usr/bin/env node
// Where fit() spends its time beyond the plain loop, on the benchmark MLP (batch 128, one epoch):
// the plain loop (bench/mlp.mjs runGradlab, 20 warm-up steps not counted) and fit() with its
// default monitoring alternate, and fit's time is cut by callback timestamps into setup (checks,
// samples, optimizer), its first 20 steps (fit has no uncounted warm-up), the rest of the epoch,
// the end-of-epoch evaluation and the end of training (dead-unit probe, health rules).
//   node bench/fit-phases.mjs [TREE] [samples=60000] [rounds=3]
import path from 'node:path';
const tree = path.resolve(process.argv[2] ?? '.');
const N = Number(process.argv[3] ?? 60000);
const rounds = Number(process.argv[4] ?? 3);
const { loadData, runGradlab } = await import(path.join(tree, 'bench/mlp.mjs'));
const g = await import(path.join(tree, 'dist/index.js'));
const { stepBoundary } = await import(path.join(tree, 'dist/memory.js'));
const data = await loadData(N);
const x = g.tensor(data.xtr, [data.n, 784]);
const y = g.tensor(data.ytr, [data.n]);
stepBoundary(); // the data set's copy leaves wasm memory now, not inside the first fit
const med = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
for (let r = 0; r < rounds; r++) {
  const a = runGradlab(data, { batch: 128, bn: false });
  g.manualSeed(0);
  const model = new g.nn.Sequential(new g.nn.Linear(784, 256), new g.nn.ReLU(), new g.nn.Linear(256, 256), new g.nn.ReLU(), new g.nn.Linear(256, 10));
  const t = {};
  const steps = [];
  let last = 0;
  const cb = {
    onTrainBegin() { t.begin = last = performance.now(); },
    onBatchEnd(l) { const n = performance.now(); steps.push(n - last); last = n; if (l.batch === 19) t.warm = n; },
    onEpochEnd() { t.epochEnd = performance.now(); },
    onTrainEnd() { t.end = performance.now(); },
  };
  const t0 = performance.now();
  await g.fit(model, { x, y }, { epochs: 1, batchSize: 128, optimizer: 'adam', lr: 1e-3, seed: 0, callbacks: [cb] });
  const fitMs = performance.now() - t0;
  const plainMs = a.seconds * 1000;
  const f = (v) => v.toFixed(1);
  console.log(`round ${r + 1}: plain ${f(plainMs)} ms, fit ${f(fitMs)} ms → fit ÷ plain ${(plainMs / fitMs).toFixed(3)}; fit: setup ${f(t.begin - t0)}, first 20 steps ${f(t.warm - t.begin)}, other steps ${f(last - t.warm)} (median ${med(steps.slice(20)).toFixed(2)} ms; plain mean ${(plainMs / Math.ceil(data.n / 128)).toFixed(2)}), epoch-end evaluation ${f(t.epochEnd - last)}, end ${f(t.end - t.epochEnd)} ms`);
}
process.exit(0);
