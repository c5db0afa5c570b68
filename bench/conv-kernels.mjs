#!/usr/bin/env node
// The benchmark CNN's second convolution (32 → 64 planes, 3×3, padding 1, 14×14, batch 128):
// forward and input gradient by Winograd F(2×2, 3×3) and by im2col + GEMM (the wasm backend's
// `winograd` switch), and the weight gradient, alternating in one process; min and median of
// the rounds, with the effective GFLOP/s of the direct convolution's 2·N·O·C·9·H·W.
//   node bench/conv-kernels.mjs [threads] [rounds]     (run `npm run build` first)
import { setNumThreads } from 'gradlab';
import { K } from '../dist/kernels/index.js';

const threads = Number(process.argv[2] ?? 1), rounds = Number(process.argv[3] ?? 15);
setNumThreads(threads);
if (!K.name.startsWith('wasm')) throw new Error(`bench/conv-kernels.mjs: needs the wasm backend, got ${K.name}`);
const [n, c, o, h, w] = [128, 32, 64, 14, 14];
const g = { h, w, kh: 3, kw: 3, sh: 1, sw: 1, ph: 1, pw: 1, dh: 1, dw: 1, oh: h, ow: w };
const fill = (a) => { for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.37); return a; };
const x = fill(K.alloc(n * c * h * w, 'float32')), wt = fill(K.alloc(o * c * 9, 'float32')), b = fill(K.alloc(o, 'float32'));
const y = K.alloc(n * o * h * w, 'float32'), gy = fill(K.alloc(n * o * h * w, 'float32')), gx = K.alloc(x.length, 'float32');
const gw = K.alloc(wt.length, 'float32'), gb = K.alloc(o, 'float32');
const cases = [
  ['forward, Winograd', true, () => K.convForward(x, n, c, g, wt, o, b, y)],
  ['forward, im2col + GEMM', false, () => K.convForward(x, n, c, g, wt, o, b, y)],
  ['∂x, Winograd', true, () => K.convBackwardData(gy, n, c, g, wt, o, gx, 0)],
  ['∂x, im2col + GEMM', false, () => K.convBackwardData(gy, n, c, g, wt, o, gx, 0)],
  ['∂W (im2col + GEMM)', true, () => K.convBackwardWeight(gy, x, n, c, g, o, gw, 0, gb, 0)],
];
const times = cases.map(() => []);
for (let r = -2; r < rounds; r++) {
  cases.forEach(([, wino, f], i) => {
    K.winograd = wino;
    const t0 = performance.now();
    f();
    if (r >= 0) times[i].push(performance.now() - t0);
  });
}
K.winograd = true;
const flop = 2 * n * o * c * 9 * h * w;
console.log(`conv ${c} → ${o}, 3×3, ${h}×${w}, batch ${n}, ${threads} thread(s), ${rounds} rounds (${K.name})`);
for (const [i, [name]] of cases.entries()) {
  const t = times[i].sort((a, b) => a - b);
  console.log(`${name.padEnd(26)} min ${t[0].toFixed(2).padStart(6)} ms  median ${t[t.length >> 1].toFixed(2).padStart(6)} ms  ${(flop / t[0] / 1e6).toFixed(1).padStart(6)} GFLOP/s`);
}
