/**
 * The native GEMM (native/gemm.cc, used in Node when `npm run build` compiled it) against the
 * relaxed-SIMD WebAssembly GEMM, both builds (AVX-512 where the CPU has it, and AVX2): the same
 * numbers bit for bit, in every layout, on edge tiles,
 * several K blocks, the in-place narrow path, general α and β, a NaN in C with β = 0, and split
 * over threads. That identity is why the backend keeps one name and a run in the browser
 * (wasm only) equals the same run in Node.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createWasmBackendSync, type WasmBackend } from '../../src/kernels/wasm/index.js';
import { getGemmKernel, ops, tensor } from '../../src/index.js';
import { getBackend, K, setBackend } from '../../src/kernels/index.js';

const addonBuilt = existsSync(new URL('../../build/gradlab-gemm.node', import.meta.url));
/** A backend created with GRADLAB_NATIVE set to `v` (read when the backend loads). */
function backendWith(v: string | undefined): WasmBackend {
  const saved = process.env.GRADLAB_NATIVE;
  if (v === undefined) delete process.env.GRADLAB_NATIVE;
  else process.env.GRADLAB_NATIVE = v;
  try {
    return createWasmBackendSync('wasm-relaxed-simd') as WasmBackend;
  } finally {
    if (saved === undefined) delete process.env.GRADLAB_NATIVE;
    else process.env.GRADLAB_NATIVE = saved;
  }
}
/** The default (AVX-512 where the CPU has it), the AVX2 build, and the wasm GEMM. */
const Best = backendWith(undefined);
const Avx2 = backendWith('avx2');
const Wasm = backendWith('0');
afterAll(() => {
  for (const B of [Best, Avx2, Wasm]) B.shutdownThreads();
});
let N = Best;

let seed = 7;
function rand(): number {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296 - 0.5;
}
function filled(B: WasmBackend, n: number, src?: Float32Array): Float32Array {
  const a = B.alloc(n, 'float32') as Float32Array;
  if (src) a.set(src);
  else for (let i = 0; i < n; i++) a[i] = 4 * rand();
  return a;
}
/** First index where two arrays differ as bits (NaN equals NaN), or −1. */
function firstDiff(x: Float32Array, y: Float32Array): number {
  const a = new Uint32Array(x.buffer, x.byteOffset, x.length), b = new Uint32Array(y.buffer, y.byteOffset, y.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(x[i]) && Number.isNaN(y[i]))) return i;
  return -1;
}
function same(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, beta: number): void {
  const a = filled(N, m * k), b = filled(N, k * n), c = filled(N, m * n);
  if (beta === 0) c[0] = NaN; // β = 0 ignores C, NaN included
  const a2 = filled(Wasm, m * k, a), b2 = filled(Wasm, k * n, b), c2 = filled(Wasm, m * n, c);
  N.gemm(ta, tb, m, n, k, alpha, a, b, beta, c);
  Wasm.gemm(ta, tb, m, n, k, alpha, a2, b2, beta, c2);
  const i = firstDiff(c, c2);
  if (i >= 0) throw new Error(`gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}×${n}×${k} α=${alpha} β=${beta}: [${i}] native ${c[i]}, wasm ${c2[i]}`);
  if (beta === 0) expect(Number.isNaN(c[0])).toBe(false);
}

describe('native GEMM', () => {
  it('is used in Node when the addon was built (x86-64 with AVX2 and FMA), and not with GRADLAB_NATIVE=0', () => {
    expect(Wasm.gemmKernel).toBe('wasm');
    if (addonBuilt && process.arch === 'x64') {
      expect(Best.gemmKernel).toMatch(/^native-avx(2|512)$/);
      expect(Avx2.gemmKernel).toBe('native-avx2');
    } else expect(Best.gemmKernel).toBe('wasm');
    // The backend gradlab chose at import names the same kernel.
    expect(getGemmKernel()).toBe(Best.gemmKernel);
  });

  const layouts = [[false, false], [false, true], [true, false], [true, true]] as const;
  for (const [ta, tb] of layouts) for (const build of ['best', 'avx2'] as const) {
    const use = () => (N = build === 'best' ? Best : Avx2);
    it(`${build}: equals the wasm GEMM bit for bit: transA=${ta} transB=${tb}, edge tiles, K blocks, narrow N`, () => {
      use();
      // Rows around the 6-row tile, columns around the 8-, 16- and 32-wide slivers and the in-place
      // narrow path (N < 32), K across one and several 256-blocks (784 = 4 × 196).
      for (const m of [1, 5, 6, 7, 13, 128, 150])
        for (const n of [1, 10, 15, 16, 17, 31, 32, 33, 48, 63, 256])
          for (const k of [1, 7, 256, 300, 784]) if (m * n * k <= 4e6) same(ta, tb, m, n, k, 1, 0);
    });
    it(`${build}: equals the wasm GEMM bit for bit with general α and β: transA=${ta} transB=${tb}`, () => {
      use();
      for (const [alpha, beta] of [[1, 1], [0.5, 0], [-1.5, 1], [2, 0.25], [1, -1], [0, 0.5]])
        for (const [m, n, k] of [[37, 45, 523], [12, 16, 64], [37, 12, 523], [5, 6, 0]]) same(ta, tb, m, n, k, alpha, beta);
    });
  }

  it('allFinite on arrays in JS memory (a data set before training) finds ±∞ and NaN anywhere, float32 and float64, in subarrays', () => {
    for (const B of [Best, Avx2, Wasm]) {
      for (const make of [(n: number) => new Float32Array(n), (n: number) => new Float64Array(n)]) {
        for (const n of [0, 1, 7, 31, 32, 33, 100, 1000]) {
          const a = make(n);
          for (let i = 0; i < n; i++) a[i] = Math.sin(i) * 1e30;
          expect(B.allFinite(a)).toBe(true);
          for (const bad of [Infinity, -Infinity, NaN]) {
            for (const at of [0, n >> 1, n - 1]) {
              if (n === 0) continue;
              const keep = a[at];
              a[at] = bad;
              expect(B.allFinite(a), `${a.constructor.name}(${n})[${at}] = ${bad}`).toBe(false);
              // A view that starts after the bad value, or ends before it, is finite.
              expect(B.allFinite(a.subarray(at + 1))).toBe(true);
              expect(B.allFinite(a.subarray(0, at))).toBe(true);
              a[at] = keep;
            }
          }
        }
      }
      expect(B.allFinite(Float32Array.of(3.4e38, -3.4e38, 1e-45))).toBe(true);
    }
  });

  it('two backends in one process (two memories, one addon) each multiply in their own memory', () => {
    const Other = backendWith(undefined);
    try {
      for (const [B, C] of [[Best, Other], [Other, Best], [Best, Other]] as const) {
        N = B;
        same(false, true, 40, 50, 300, 1, 0);
        N = C;
        same(true, false, 33, 65, 257, 0.5, 1);
      }
    } finally {
      Other.shutdownThreads();
      N = Best;
    }
  });

  it('convolutions (fused per-sample kernels, Winograd, their products in the native GEMM) equal the wasm-only backend bit for bit, on 1 and 2 threads', async () => {
    const before = K;
    // conv2 of the benchmark CNN (Winograd forward and ∂x, fused ∂W), a strided 5×5 layer with
    // a bias (fused per-sample kernels, ≥ 2²⁰ multiply-adds per sample) and a grouped one.
    const cases = [
      { x: [6, 32, 14, 14], w: [64, 32, 3, 3], stride: 1, padding: 1, groups: 1 },
      { x: [4, 16, 33, 31], w: [40, 16, 5, 5], stride: 2, padding: 2, groups: 1 },
      { x: [3, 32, 20, 20], w: [32, 16, 3, 3], stride: 1, padding: 1, groups: 2 },
    ];
    const run = (B: WasmBackend, threads: number) => {
      setBackend(B);
      B.pool.setThreads(threads);
      B.pool.adaptive = false;
      const out: Float32Array[] = [];
      let q = 1;
      const val = (n: number) => Array.from({ length: n }, () => Math.sin(q++ * 0.7) * 0.5);
      for (const c of cases) {
        const size = (sh: number[]) => sh.reduce((a, b) => a * b, 1);
        const x = tensor(val(size(c.x)), c.x, { requiresGrad: true });
        const w = tensor(val(size(c.w)), c.w, { requiresGrad: true });
        const b = tensor(val(c.w[0]), [c.w[0]], { requiresGrad: true });
        const y = ops.conv2d(x, w, b, c.stride, c.padding, 1, c.groups);
        y.backward(tensor(val(y.size), y.shape));
        out.push(Float32Array.from(y.data), Float32Array.from(x.grad!.data), Float32Array.from(w.grad!.data), Float32Array.from(b.grad!.data));
      }
      B.pool.adaptive = true;
      B.pool.setThreads(1);
      return out;
    };
    try {
      for (const threads of [1, 2]) {
        for (const B of [Best, Wasm]) {
          B.pool.setThreads(threads);
          const deadline = Date.now() + 5000;
          while (threads > 1 && B.pool.readyWorkers() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        }
        const a = run(Best, threads), b = run(Wasm, threads);
        expect(getBackend()).toBe(Wasm.name);
        a.forEach((t, i) => expect(firstDiff(t, b[i]), `threads ${threads}, array ${i}`).toBe(-1));
      }
    } finally {
      setBackend(before);
    }
  });

  it('split over threads equals the wasm GEMM on one thread, bit for bit', async () => {
    N = Best;
    N.pool.adaptive = false; // always split
    N.pool.setThreads(2);
    const deadline = Date.now() + 5000;
    while (N.pool.readyWorkers() < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(N.pool.readyWorkers()).toBe(1);
    const rounds = N.pool.rounds;
    // Column chunks (op(A) packed once, shared) and row chunks.
    for (const [ta, tb, m, n, k] of [[false, true, 128, 256, 784], [true, false, 256, 784, 128], [false, false, 1000, 40, 300], [true, true, 70, 300, 257]] as const) {
      same(ta, tb, m, n, k, 1, 0);
      same(ta, tb, m, n, k, -0.75, 1.5);
    }
    expect(N.pool.rounds).toBeGreaterThan(rounds);
    N.pool.adaptive = true;
    N.pool.setThreads(1);
  });
});
