// GEMM throughput, GFLOP/s = 2·M·K·N / time, for the reference kernels, the wasm backend's
// own GEMM (128-bit SIMD, what a browser runs) and its native GEMM (Node: AVX-512 or AVX2,
// native/gemm.cc, the same numbers bit for bit) on 1 and 2 threads, and TF.js's wasm backend
// (XNNPACK, 1 thread) for comparison. Operands live in wasm memory, C ← op(A)·op(B) (α = 1, β = 0).
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

/** A wasm backend created with GRADLAB_NATIVE set to `v` ('0': its own wasm GEMM). */
function backendWith(v) {
  const saved = process.env.GRADLAB_NATIVE;
  if (v === undefined) delete process.env.GRADLAB_NATIVE;
  else process.env.GRADLAB_NATIVE = v;
  try {
    return createWasmBackendSync();
  } finally {
    if (saved === undefined) delete process.env.GRADLAB_NATIVE;
    else process.env.GRADLAB_NATIVE = saved;
  }
}
const W = backendWith('0');
if (!W) throw new Error('no WebAssembly SIMD');
/** The native GEMM, when it was built (null: the wasm columns are all there is). */
const N = backendWith(undefined);
const native = N.gemmKernel !== 'wasm' ? N : null;

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
function filled(n, B = W) {
  const a = B.alloc(n, 'float32');
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
const nat = native ? native.gemmKernel.replace('native-', '') : null;
const cols = ['reference', 'wasm 1T', 'wasm 2T', ...(native ? [`${nat} 1T`, `${nat} 2T`] : []), 'tfjs-wasm 1T'];
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
    for (const [B, name] of [[W, 'wasm'], ...(native ? [[native, nat]] : [])]) {
      const [x, y, z] = B === W ? [a, b, c] : [filled(m * k, B), filled(k * n, B), filled(m * n, B)];
      B.pool.setThreads(1);
      res[`${name} 1T`] = time(() => B.gemm(ta, tb, m, n, k, 1, x, y, 0, z), flops, budget);
      B.pool.setThreads(2);
      B.pool.adaptive = false; // raw two-thread speed: no back-off when the machine is busy
      const deadline = Date.now() + 3000;
      while (B.pool.readyWorkers() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      res[`${name} 2T`] = time(() => B.gemm(ta, tb, m, n, k, 1, x, y, 0, z), flops, budget);
      B.pool.adaptive = true;
      B.pool.setThreads(1);
      if (B !== W) for (const t of [x, y, z]) B.free(t);
    }
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
N.shutdownThreads();
const note = `GFLOP/s, best / median of repeats; backend ${W.name}${native ? `, its own GEMM (wasm) and the native one (${native.gemmKernel})` : ''}; load average ${load.toFixed(1)} on ${os.cpus().length} CPUs at start`;
log(note);
if (json) console.log(JSON.stringify({ table: `${head}\n${lines.join('\n')}\n\n${note}`, rows, backend: W.name, load }));
process.exit(0);
