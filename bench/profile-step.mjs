#!/usr/bin/env node
// Where a training step of the benchmark MLP spends its time: every kernel call is timed
// (GEMMs by layout and shape) over 300 steps after 50 of warm-up, on random data.
//
//   node bench/profile-step.mjs [threads] [--force-split] [--bn] [--cnn]    (run `npm run build` first)
// --force-split: always split large GEMMs (pool.adaptive = false) instead of the timed choice.
// --bn: the BatchNorm variant (BatchNorm1d after each hidden Linear).
// --cnn: the benchmark CNN of bench/cnn.mjs on [128, 1, 28, 28] inputs (60 steps after 10).
// The step is the loop users write: a fresh tensor() from their own arrays, zeroGrad(),
// backward(), step(), no stepScope; "memory" lines time the automatic memory's boundary work.
import { manualSeed, nn, optim, loss, setNumThreads, tensor, memoryInfo } from 'gradlab';
import { K } from '../dist/kernels/index.js';
import { buildCnn } from './cnn.mjs';

const threads = Number(process.argv[2] ?? 2);
const batchArg = process.argv.indexOf("--batch");
const batch = batchArg >= 0 ? Number(process.argv[batchArg + 1]) : 128;
setNumThreads(threads);
if (process.argv.includes('--force-split') && K.pool) K.pool.adaptive = false;
const times = new Map();
for (const name of Object.keys(K)) {
  const f = K[name];
  if (typeof f !== 'function') continue;
  K[name] = function (...a) {
    const t0 = performance.now();
    const r = f.apply(this, a);
    const key =
      name === 'gemm'
        ? `gemm ${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'} ${a[2]}x${a[4]}x${a[3]}`
        : /^conv(Forward|Backward)/.test(name)
          ? `${name} ${name === 'convBackwardWeight' ? a[3] : a[2]}→${a[5]}`
          : name;
    const e = times.get(key) ?? [0, 0];
    e[0] += performance.now() - t0;
    e[1]++;
    times.set(key, e);
    return r;
  };
}
manualSeed(0);
const bn = process.argv.includes('--bn');
const cnn = process.argv.includes('--cnn');
const hidden = (i, o) => (bn ? [new nn.Linear(i, o), new nn.BatchNorm1d(o), new nn.ReLU()] : [new nn.Linear(i, o), new nn.ReLU()]);
const model = cnn ? buildCnn() : new nn.Sequential(...hidden(784, 256), ...hidden(256, 256), new nn.Linear(256, 10));
const inputShape = cnn ? [batch, 1, 28, 28] : [batch, 784];
const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
const xs = Float32Array.from({ length: batch * 784 }, () => Math.random());
const ys = Float32Array.from({ length: batch }, (_, i) => i % 10);
const N = cnn ? 60 : 300;
const WARM = cnn ? 10 : 50;
let total = 0;
for (let s = 0; s < N + WARM; s++) {
  if (s === WARM) times.clear();
  const t0 = performance.now();
  opt.zeroGrad();
  loss.crossEntropy(model.forward(tensor(xs, inputShape)), tensor(ys, [batch])).backward();
  opt.step();
  if (s >= WARM) total += performance.now() - t0;
}
let sum = 0;
const cats = new Map();
let gemmFlops = 0;
let gemmMs = 0;
const category = (k) =>
  k.startsWith('gemm')
    ? 'GEMM'
    : /^conv(Forward|Backward)/.test(k)
      ? 'conv fused: GEMM+im2col'
    : /Step$/.test(k)
      ? 'optimizer'
      : /^(im2col|col2im)$/.test(k)
        ? 'im2col, col2im'
        : /Pool/.test(k)
          ? 'pooling'
          : /^batchNorm/.test(k)
            ? 'BatchNorm'
            : /^(alloc|free|owns|fill|copy)$/.test(k)
              ? 'allocation and copies'
              : 'elementwise, reductions, loss';
for (const [k, [t, c]] of [...times].sort((a, b) => b[1][0] - a[1][0])) {
  sum += t;
  let extra = '';
  if (k.startsWith('gemm')) {
    const [m, kk, n] = k.split(' ')[2].split('x').map(Number);
    const flops = 2 * m * n * kk * c;
    gemmFlops += flops;
    gemmMs += t;
    extra = `  ${(flops / (t / 1000) / 1e9).toFixed(1).padStart(5)} GFLOP/s`;
  }
  cats.set(category(k), (cats.get(category(k)) ?? 0) + t);
  console.log(`${k.padEnd(28)} ${((t / N) * 1000).toFixed(0).padStart(6)} µs/step  ${(c / N).toFixed(1)} calls${extra}`);
}
const stepMs = total / N;
console.log('\nwhere a step goes:');
for (const [c, t] of [...cats].sort((a, b) => b[1] - a[1])) console.log(`  ${c.padEnd(30)} ${((t / N) * 1000).toFixed(0).padStart(6)} µs  ${((100 * t) / total).toFixed(1).padStart(5)}%`);
console.log(`  ${'JS outside kernels'.padEnd(30)} ${((stepMs - sum / N) * 1000).toFixed(0).padStart(6)} µs  ${((100 * (total - sum)) / total).toFixed(1).padStart(5)}%`);
console.log(`GEMMs overall: ${(gemmFlops / (gemmMs / 1000) / 1e9).toFixed(1)} GFLOP/s (${threads} thread(s); compare bench/gemm.mjs's single-thread peak)`);
const m = memoryInfo();
console.log(`memory: ${(m.evictedBytes / 2 ** 20 / (N + WARM)).toFixed(2)} MB moved to JS per step (${(m.evictedTensors / (N + WARM)).toFixed(1)} tensors), wasm ${(m.reservedBytes / 2 ** 20).toFixed(1)} MB reserved`);
console.log(`kernels ${(sum / N).toFixed(3)} ms of a ${(total / N).toFixed(3)} ms step (${threads} thread(s)) → ${((batch / (total / N)) * 1000).toFixed(0)} samples/s`);
process.exit(0);
