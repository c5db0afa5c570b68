/**
 * GEMM throughput, GFLOP/s = 2·M·K·N / time (median of repeats), for the reference kernels,
 * the wasm backend on 1 and 2 threads, and TF.js's wasm backend (XNNPACK) for comparison.
 * Run: npm run bench:gemm [-- --quick]   (after npm run build:wasm)
 */
import { reference } from '../src/kernels/reference.js';
import { createWasmBackendSync } from '../src/kernels/wasm/index.js';

const quick = process.argv.includes('--quick');
const shapes: Array<[number, number, number]> = [
  [128, 784, 256],
  [128, 256, 256],
  [1024, 1024, 1024],
];
const layouts: Array<[boolean, boolean, string]> = [
  [false, false, 'A·B'],
  [false, true, 'A·Bᵀ'],
  [true, false, 'Aᵀ·B'],
];

const W = createWasmBackendSync();
if (!W) throw new Error('no WebAssembly SIMD');

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}
function time(f: () => void, flops: number, budgetMs: number): number {
  f();
  f();
  const ts: number[] = [];
  const t0 = performance.now();
  while (ts.length < 5 || (performance.now() - t0 < budgetMs && ts.length < 200)) {
    const t = performance.now();
    f();
    ts.push(performance.now() - t);
  }
  return flops / median(ts) / 1e6;
}
function filled(n: number): Float32Array {
  const a = W!.alloc(n, 'float32') as Float32Array;
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

const rows: string[] = [];
console.log('| shape M×K×N | layout | reference | wasm 1T | wasm 2T | tfjs-wasm 1T |\n|---|---|---|---|---|---|');
const budget = quick ? 150 : 1500;

let tf: { matMul(a: unknown, b: unknown, ta: boolean, tb: boolean): { dataSync(): unknown; dispose(): void }; tensor2d(d: Float32Array, s: [number, number]): unknown } | null = null;
try {
  const tfjs = await import('@tensorflow/tfjs');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const path = await import('node:path');
  // A file path, not a URL: tfjs-backend-wasm reads the .wasm from disk in Node (no network).
  const dist = path.join(process.cwd(), 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep;
  wasm.setWasmPaths(dist);
  wasm.setThreadsCount?.(1);
  await tfjs.setBackend('wasm');
  await tfjs.ready();
  tf = tfjs as unknown as typeof tf;
} catch (e) {
  console.error('tfjs-backend-wasm unavailable:', (e as Error).message);
}

for (const [m, k, n] of shapes) {
  for (const [ta, tb, name] of layouts) {
    if (quick && m === 1024 && name !== 'A·B') continue;
    const a = filled(m * k), b = filled(k * n), c = filled(m * n);
    const flops = 2 * m * k * n;
    const res: Record<string, number> = {};
    if (m < 1024) {
      const ra = Float32Array.from(a), rb = Float32Array.from(b), rc = Float32Array.from(c);
      res.reference = time(() => reference.gemm(ta, tb, m, n, k, 1, ra, rb, 0, rc), flops, m >= 1024 ? 1 : budget / 3);
    }
    W.pool.setThreads(1);
    res['wasm 1T'] = time(() => W.gemm(ta, tb, m, n, k, 1, a, b, 0, c), flops, budget);
    W.pool.setThreads(2);
    const deadline = Date.now() + 3000;
    while (W.pool.readyWorkers() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    res['wasm 2T'] = time(() => W.gemm(ta, tb, m, n, k, 1, a, b, 0, c), flops, budget);
    if (tf) {
      const A = tf.tensor2d(Float32Array.from(a), ta ? [k, m] : [m, k]);
      const B = tf.tensor2d(Float32Array.from(b), tb ? [n, k] : [k, n]);
      res['tfjs-wasm'] = time(() => {
        const r = tf!.matMul(A, B, ta, tb);
        r.dataSync();
        r.dispose();
      }, flops, budget);
    }
    const line = `| ${m}×${k}×${n} | ${name} | ${['reference', 'wasm 1T', 'wasm 2T', 'tfjs-wasm'].map((key) => (res[key] === undefined ? '–' : res[key].toFixed(1))).join(' | ')} |`;
    console.log(line);
    rows.push(line);
  }
}
console.log(`backend ${W.name}`);
W.shutdownThreads();
