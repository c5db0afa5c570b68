import { manualSeed, nn, optim, loss, setNumThreads, tensor } from 'gradlab';
import { K } from '../dist/kernels/index.js';
import { buildCnn } from './cnn.mjs';
setNumThreads(2); manualSeed(0);
const t = new Map(); const f = K.alloc;
K.alloc = function (n, d, z) { const t0 = performance.now(); const r = f.call(this, n, d, z); const k = `${n} ${d} zero=${z}` + (z && n > 100000 ? new Error().stack.split("\n").slice(2, 6).map((l) => l.trim().replace(/.*dist\//, "")).join(" < ") : ""); const e = t.get(k) ?? [0, 0]; e[0] += performance.now() - t0; e[1]++; t.set(k, e); return r; };
const batch = 128, model = buildCnn(), opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
const xs = Float32Array.from({ length: batch * 784 }, () => Math.random()), ys = Float32Array.from({ length: batch }, (_, i) => i % 10);
for (let s = 0; s < 40; s++) { if (s === 10) t.clear(); opt.zeroGrad(); loss.crossEntropy(model.forward(tensor(xs, [batch, 1, 28, 28])), tensor(ys, [batch])).backward(); opt.step(); }
for (const [k, [ms, c]] of [...t].sort((a, b) => b[1][0] - a[1][0]).slice(0, 15)) console.log((ms / 30 * 1000).toFixed(0).padStart(6), 'µs/step', (c / 30).toFixed(1), k, new Error().stack ? '' : '');
