// GEMM throughput, GFLOP/s = 2·M·K·N / time, for the reference kernels, the wasm backend on
// 1 and 2 threads, and TF.js's wasm backend (XNNPACK, 1 thread) for comparison. Operands live
// in wasm memory, C ← op(A)·op(B) (α = 1, β = 0).
//
//   npm run build && node bench/gemm.mjs [--quick] [--json]      (npm run bench:gemm)
//
// Each cell is "best / median" over repeats: on a shared machine the best time is the
// estimate of the uncontended speed, the median shows how noisy the run was.
// --json prints, as the last stdout line, {table, rows, backend, load} for bench/run.mjs.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { reference } from '../dist/kernels/reference.js';
import { createWasmBackendSync } from '../dist/kernels/wasm/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--json') ? args.includes('--quick') : args.includes('--quick');
const json = args.includes('--json');
const log = json ? (...a) => console.error(...a) : (...a) => console.log(...a);

const shapes = [
  [128, 784, 256],
  [128, 256, 256],
  [1024, 1024, 1024],
];
const layouts = [
  [false, false, 'A·B'],
  [false, true, 'A·Bᵀ'],
  [true, false, 'Aᵀ·B'],
];

const W = createWasmBackendSync();
if (!W) throw new Error('no WebAssembly SIMD');

function median(xs) {
  const s = xs.slice().sort((a, b) => a - b);
  return s[s.length >> 1];
}
/** [best, median] GFLOP/s. */
function time(f, flops, budgetMs) {
  f();
  f();
  const ts = [];
  const t0 = performance.now();
  while (ts.length < 5 || (performance.now() - t0 < budgetMs && ts.length < 400)) {
    const t = performance.now();
    f();
    ts.push(performance.now() - t);
  }
  return [flops / Math.min(...ts) / 1e6, flops / median(ts) / 1e6];
}
function filled(n) {
  const a = W.alloc(n, 'float32');
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

let tf = null;
if (!args.includes('--no-tfjs')) {
  try {
    const tfjs = await import('@tensorflow/tfjs');
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // A file path, not a URL: tfjs-backend-wasm reads the .wasm from disk in Node (no network).
    wasm.setWasmPaths(path.join(here, '..', 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep);
    wasm.setThreadsCount?.(1);
    await tfjs.setBackend('wasm');
    await tfjs.ready();
    tf = tfjs;
  } catch (e) {
    console.error('tfjs-backend-wasm unavailable:', e.message);
  }
}

const load = os.loadavg()[0];
const cols = ['reference', 'wasm 1T', 'wasm 2T', 'tfjs-wasm 1T'];
const head = `| shape M×K×N | layout | ${cols.join(' | ')} |\n|---|---|${cols.map(() => '---:').join('|')}|`;
log(head);
const lines = [];
const rows = [];
const budget = quick ? 200 : 1500;
for (const [m, k, n] of shapes) {
  for (const [ta, tb, name] of layouts) {
    if (quick && m === 1024 && name !== 'A·B') continue;
    const a = filled(m * k), b = filled(k * n), c = filled(m * n);
    const flops = 2 * m * k * n;
    const res = {};
    if (m < 1024) {
      const ra = Float32Array.from(a), rb = Float32Array.from(b), rc = Float32Array.from(c);
      res.reference = time(() => reference.gemm(ta, tb, m, n, k, 1, ra, rb, 0, rc), flops, budget / 4);
    }
    W.pool.setThreads(1);
    res['wasm 1T'] = time(() => W.gemm(ta, tb, m, n, k, 1, a, b, 0, c), flops, budget);
    W.pool.setThreads(2);
    W.pool.adaptive = false; // raw two-thread speed: no back-off when the machine is busy
    const deadline = Date.now() + 3000;
    while (W.pool.readyWorkers() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    res['wasm 2T'] = time(() => W.gemm(ta, tb, m, n, k, 1, a, b, 0, c), flops, budget);
    W.pool.adaptive = true;
    W.pool.setThreads(1);
    if (tf) {
      const A = tf.tensor2d(Float32Array.from(a), ta ? [k, m] : [m, k]);
      const B = tf.tensor2d(Float32Array.from(b), tb ? [n, k] : [k, n]);
      res['tfjs-wasm 1T'] = time(() => {
        const r = tf.matMul(A, B, ta, tb);
        r.dataSync();
        r.dispose();
      }, flops, budget);
      A.dispose();
      B.dispose();
    }
    const cell = (v) => (v === undefined ? '–' : `${v[0].toFixed(1)} / ${v[1].toFixed(1)}`);
    const line = `| ${m}×${k}×${n} | ${name} | ${cols.map((key) => cell(res[key])).join(' | ')} |`;
    log(line);
    lines.push(line);
    rows.push({ m, k, n, layout: name, ...Object.fromEntries(Object.entries(res).map(([key, v]) => [key, { best: v[0], median: v[1] }])) });
    for (const x of [a, b, c]) W.free(x);
  }
}
W.shutdownThreads();
const note = `GFLOP/s, best / median of repeats; backend ${W.name}; load average ${load.toFixed(1)} on ${os.cpus().length} CPUs at start`;
log(note);
if (json) console.log(JSON.stringify({ table: `${head}\n${lines.join('\n')}\n\n${note}`, rows, backend: W.name, load }));
process.exit(0);
