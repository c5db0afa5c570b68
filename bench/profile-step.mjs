#!/usr/bin/env node
// Where a training step of the benchmark MLP spends its time: every kernel call is timed
// (GEMMs by layout and shape) over 300 steps after 50 of warm-up, on random data.
//
//   node bench/profile-step.mjs [threads] [--force-split] [--bn]    (run `npm run build` first)
// --force-split: always split large GEMMs (pool.adaptive = false) instead of the timed choice.
// --bn: the BatchNorm variant (BatchNorm1d after each hidden Linear).
import { manualSeed, nn, optim, loss, stepScope, setNumThreads, tensor } from 'gradlab';
import { K } from '../dist/kernels/index.js';

const threads = Number(process.argv[2] ?? 2);
const batch = 128;
setNumThreads(threads);
if (process.argv.includes('--force-split') && K.pool) K.pool.adaptive = false;
const times = new Map();
for (const name of Object.keys(K)) {
  const f = K[name];
  if (typeof f !== 'function') continue;
  K[name] = function (...a) {
    const t0 = performance.now();
    const r = f.apply(this, a);
    const key = name === 'gemm' ? `gemm ${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'} ${a[2]}x${a[4]}x${a[3]}` : name;
    const e = times.get(key) ?? [0, 0];
    e[0] += performance.now() - t0;
    e[1]++;
    times.set(key, e);
    return r;
  };
}
manualSeed(0);
const bn = process.argv.includes('--bn');
const hidden = (i, o) => (bn ? [new nn.Linear(i, o), new nn.BatchNorm1d(o), new nn.ReLU()] : [new nn.Linear(i, o), new nn.ReLU()]);
const model = new nn.Sequential(...hidden(784, 256), ...hidden(256, 256), new nn.Linear(256, 10));
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
const x = tensor(Float32Array.from({ length: batch * 784 }, () => Math.random()), [batch, 784]);
const y = tensor(Float32Array.from({ length: batch }, (_, i) => i % 10), [batch]);
const N = 300;
let total = 0;
for (let s = 0; s < N + 50; s++) {
  if (s === 50) times.clear();
  const t0 = performance.now();
  stepScope(() => {
    opt.zeroGrad(false);
    loss.crossEntropy(model.forward(x), y).backward();
    opt.step();
  });
  if (s >= 50) total += performance.now() - t0;
}
let sum = 0;
for (const [k, [t, c]] of [...times].sort((a, b) => b[1][0] - a[1][0])) {
  sum += t;
  console.log(`${k.padEnd(28)} ${((t / N) * 1000).toFixed(0).padStart(6)} µs/step  ${(c / N).toFixed(1)} calls`);
}
console.log(`kernels ${(sum / N).toFixed(3)} ms of a ${(total / N).toFixed(3)} ms step (${threads} thread(s)) → ${((batch / (total / N)) * 1000).toFixed(0)} samples/s`);
process.exit(0);
