// conv1 alone: forward + ∂W of [128,1,28,28] → 32, 3×3 pad 1, in this tree's dist
const root = process.argv[2];
const { manualSeed, tensor, ops } = await import(root + '/dist/index.js');
const { K, setNumThreads } = await import(root + '/dist/kernels/index.js');
setNumThreads(Number(process.argv[3] ?? 2));
const kt = new Map();
for (const name of Object.keys(K)) { const f = K[name]; if (typeof f !== 'function') continue; K[name] = function (...a) { const t0 = performance.now(); const r = f.apply(this, a); kt.set(name, (kt.get(name) ?? 0) + performance.now() - t0); return r; }; }
const x = tensor(Float32Array.from({ length: 128 * 784 }, () => Math.random()), [128, 1, 28, 28]);
const w = tensor(Float32Array.from({ length: 32 * 9 }, () => Math.random() - 0.5), [32, 1, 3, 3], { requiresGrad: true });
const b = tensor(Float32Array.from({ length: 32 }, () => Math.random() - 0.5), [32], { requiresGrad: true });
const gy = tensor(Float32Array.from({ length: 128 * 32 * 784 }, () => Math.random() - 0.5), [128, 32, 28, 28]);
const times = [];
for (let it = 0; it < 40; it++) {
  const t0 = performance.now();
  const y = ops.conv2d(x, w, b, 1, 1);
  const t1 = performance.now();
  y.backward(gy);
  const t2 = performance.now();
  if (it === 10) kt.clear();
  if (it >= 10) times.push([t1 - t0, t2 - t1]);
  w.grad = null; b.grad = null;
}
const med = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
console.log(root, 'fwd', med(times.map((t) => t[0])).toFixed(2), 'ms  bwd(incl sum)', med(times.map((t) => t[1])).toFixed(2), 'ms');
console.log([...kt].sort((a,b)=>b[1]-a[1]).slice(0,6).map(([k,v])=>k+' '+(v/30).toFixed(2)).join(', '));
