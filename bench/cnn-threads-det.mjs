// Parameters after 8 steps of the benchmark CNN's plain loop in a fresh process per thread count (splitting forced on
// 2+ threads), as a hash to compare: 1 and N threads must agree bit for bit.
//   node bench/cnn-threads-det.mjs TREE THREADS   (TREE: a built checkout, e.g. . or /work/wt/base3)
import path from 'node:path';
const [root, thr] = [path.resolve(process.argv[2] ?? '.'), Number(process.argv[3] ?? 2)];
const { manualSeed, optim, loss, setNumThreads, tensor } = await import(root + '/dist/index.js');
const { K } = await import(root + '/dist/kernels/index.js');
const { buildCnn } = await import(root + '/bench/cnn.mjs');
setNumThreads(thr);
if (thr > 1) for (let t = 0; t < 200 && K.pool.readyWorkers() < thr - 1; t++) await new Promise((r) => setTimeout(r, 50));
K.pool.adaptive = false;
manualSeed(0);
const model = buildCnn(), opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
const xs = Float32Array.from({ length: 128 * 784 }, (_, i) => ((i * 2654435761) % 1000) / 1000), ys = Float32Array.from({ length: 128 }, (_, i) => i % 10);
const r0 = K.pool.rounds;
for (let s = 0; s < 8; s++) { opt.zeroGrad(); loss.crossEntropy(model.forward(tensor(xs, [128, 1, 28, 28])), tensor(ys, [128])).backward(); opt.step(); }
let h = 0;
for (const p of model.parameters()) { const u = new Uint32Array(p.data.buffer, p.data.byteOffset, p.data.length); for (let i = 0; i < u.length; i++) h = (h * 31 + u[i]) >>> 0; }
console.log(`${root} threads ${thr}: pool rounds ${K.pool.rounds - r0}, parameter hash ${h.toString(16)}`);
process.exit(0);
