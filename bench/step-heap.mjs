#!/usr/bin/env node
// What a step of the benchmark MLP (batch 128, Adam) leaves to the garbage collector, and its
// step-time percentiles: JS heap allocated per step (sampling heap profiler, by allocating
// function), and the collections (scavenges, mark-compacts) over 1,000 steps with their time.
//   node bench/step-heap.mjs [TREE] [--fit]     (--fit: fit's step, TrainStep.run on a DataLoader batch)
// The plain loop is the user's: a fresh tensor() per step, zeroGrad, backward, step.
import path from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';
const args = process.argv.slice(2);
const tree = path.resolve(args.find((a) => !a.startsWith('--')) ?? '.');
const fitMode = args.includes('--fit');
const g = await import(path.join(tree, 'dist/index.js'));
const { TrainStep } = await import(path.join(tree, 'dist/train/step.js'));
const { DataLoader } = await import(path.join(tree, 'dist/data/dataloader.js'));
g.manualSeed(0);
const B = 128;
const model = new g.nn.Sequential(new g.nn.Linear(784, 256), new g.nn.ReLU(), new g.nn.Linear(256, 256), new g.nn.ReLU(), new g.nn.Linear(256, 10));
const opt = new g.optim.Adam(model.parameters(), { lr: 1e-3 });
const xs = Float32Array.from({ length: B * 784 }, (_, i) => 0.5 + 0.5 * Math.sin(i));
const ys = Float32Array.from({ length: B }, (_, i) => i % 10);
let step;
if (fitMode) {
  const N = 20 * B;
  const dl = new DataLoader({ x: g.tensor(Float32Array.from({ length: N * 784 }, (_, i) => Math.sin(i)), [N, 784]), y: g.tensor(Float32Array.from({ length: N }, (_, i) => i % 10), [N]) }, { batchSize: B, shuffle: true, generator: new g.Generator(1), reuseBuffers: true });
  const ts = new TrainStep(model, opt, { loss: (o, t) => g.loss.crossEntropy(o, t) });
  let it = dl[Symbol.iterator]();
  step = () => {
    let r = it.next();
    if (r.done) r = (it = dl[Symbol.iterator]()).next();
    ts.run(r.value.x, r.value.y);
    ts.releaseLast();
  };
} else {
  step = () => {
    opt.zeroGrad();
    g.loss.crossEntropy(model.forward(g.tensor(xs, [B, 784])), g.tensor(ys, [B])).backward();
    opt.step();
  };
}
for (let i = 0; i < 200; i++) step();
const label = `${path.basename(tree)} ${fitMode ? "fit's step" : 'plain loop'}`;

// Collections and step times over 1,000 steps.
const kinds = new Map();
let gcMs = 0;
const obs = new PerformanceObserver((l) => {
  for (const e of l.getEntries()) {
    const k = e.detail?.kind ?? e.kind;
    const name = k === constants.NODE_PERFORMANCE_GC_MINOR ? 'scavenge' : k === constants.NODE_PERFORMANCE_GC_MAJOR ? 'mark-compact' : 'other';
    kinds.set(name, (kinds.get(name) ?? 0) + 1);
    gcMs += e.duration;
  }
});
obs.observe({ entryTypes: ['gc'] });
const N = 1000;
const times = [];
let t = performance.now();
for (let i = 0; i < N; i++) {
  step();
  const n = performance.now();
  times.push(n - t);
  t = n;
}
await new Promise((r) => setTimeout(r, 50));
obs.disconnect();
times.sort((a, b) => a - b);
const pc = (q) => times[Math.floor(q * (N - 1))].toFixed(2);
console.log(`${label}: ${[...kinds].map(([k, n]) => `${n} ${k}s`).join(', ')} (${gcMs.toFixed(0)} ms) over ${N} steps; step ms p50 ${pc(0.5)}, p90 ${pc(0.9)}, p99 ${pc(0.99)}, max ${pc(1)}, mean ${(times.reduce((a, b) => a + b) / N).toFixed(2)}`);

// JS heap allocated per step, by function.
const { Session } = await import('node:inspector/promises');
const s = new Session();
s.connect();
await s.post('HeapProfiler.enable');
await s.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
const M = 300;
for (let i = 0; i < M; i++) step();
const { profile } = await s.post('HeapProfiler.stopSampling');
const by = new Map();
let total = 0;
const walk = (n) => {
  const cf = n.callFrame;
  const k = `${cf.functionName || '(anonymous)'} ${path.basename(cf.url) || '(native)'}:${cf.lineNumber + 1}`;
  if (n.selfSize) {
    by.set(k, (by.get(k) ?? 0) + n.selfSize);
    total += n.selfSize;
  }
  for (const c of n.children) walk(c);
};
walk(profile.head);
console.log(`${label}: ≈ ${(total / M / 1024).toFixed(1)} kB of JS heap per step (sampled); the largest:`);
for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${(v / M).toFixed(0).padStart(6)} B  ${k}`);
process.exit(0);
