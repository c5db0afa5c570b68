// evaluate/predict over 60,000 × 784 at once (batch size omitted) vs batched by 100: memory and results.
// node --expose-gc bench/evaluate-large.mjs
import * as g from '../dist/index.js';
const { nn, evaluate, predict } = g;
g.manualSeed(1);
const n = 60000, f = 784;
const x = g.randn([n, f]); const y = g.tensor(Array.from({ length: n }, (_, i) => i % 10));
const m = new nn.Sequential(new nn.Linear(f, 128), new nn.BatchNorm1d(128), new nn.ReLU(), new nn.Linear(128, 10));
m.eval();
const mem = () => { globalThis.gc?.(); const i = g.memoryInfo(); return `live ${i.liveBytes / 1e6 | 0} MB reserved ${i.reservedBytes / 1e6 | 0} MB rss ${process.memoryUsage().rss / 1e6 | 0} MB`; };
console.log('start', mem(), JSON.stringify(g.memoryInfo()).slice(0, 200));
let t = performance.now();
const a = await evaluate(m, { x, y }); console.log('evaluate default', a.loss, a.metrics, (performance.now() - t) | 0, 'ms', mem());
const b = await evaluate(m, { x, y }, { batchSize: 100 }); console.log('evaluate 100', b.loss, b.metrics, mem());
t = performance.now();
const p = await predict(m, x); console.log('predict default', p.shape, (performance.now() - t) | 0, 'ms', mem());
const q = await predict(m, x, { batchSize: 100 });
let maxd = 0; for (let i = 0; i < p.data.length; i++) maxd = Math.max(maxd, Math.abs(p.data[i] - q.data[i]));
console.log('predict max |default - batched 100|', maxd, mem());
