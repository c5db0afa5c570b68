/**
 * The WebAssembly backend against the reference kernels: every Kernels method on random data
 * with awkward shapes, GEMM in every layout against a float64 product, threads, allocator.
 */
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { reference } from '../../src/kernels/reference.js';
import type { FloatArray, Kernels, UnaryKind } from '../../src/kernels/types.js';
import { createWasmBackendSync, type WasmBackend } from '../../src/kernels/wasm/index.js';
import { BIAS_ACTIVATION_MIN, chunkTiles, ELEMENTWISE_MIN, ThreadChooser, winogradFits } from '../../src/kernels/wasm/backend.js';

const W = createWasmBackendSync() as WasmBackend;
/** The plain-SIMD build too (its GEMM tile is 5×8 without FMA, the relaxed one's 6×8). */
const PLAIN = W.name === 'wasm-simd' ? W : (createWasmBackendSync('wasm-simd') as WasmBackend);
afterAll(() => W.shutdownThreads());

let seed = 12345;
function rand(): number {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return seed / 4294967296;
}
/** Random float32 data in wasm memory and an identical plain copy for the reference. */
function pair(n: number, lo = -2, hi = 2, B: WasmBackend = W): [Float32Array, Float32Array] {
  const w = B.alloc(n, 'float32') as Float32Array;
  for (let i = 0; i < n; i++) w[i] = lo + (hi - lo) * rand();
  return [w, Float32Array.from(w)];
}
function zeros(n: number): [Float32Array, Float32Array] {
  return [W.alloc(n, 'float32') as Float32Array, new Float32Array(n)];
}
function close(actual: FloatArray, expected: FloatArray, tol = 1e-5, what = ''): void {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i], a = actual[i];
    if (Number.isNaN(e)) {
      expect(Number.isNaN(a), `${what}[${i}] NaN`).toBe(true);
      continue;
    }
    const err = Math.abs(a - e);
    if (!(err <= tol * Math.max(1, Math.abs(e)) || err <= tol * scale * 1e-2)) {
      throw new Error(`${what}[${i}]: got ${a}, want ${e} (err ${err})`);
    }
  }
}

describe('wasm backend basics', () => {
  it('is selected with SIMD and stores tensors in its memory', () => {
    expect(W).not.toBeNull();
    expect(W.name).toMatch(/^wasm-/);
    const a = W.alloc(17, 'float32');
    expect(W.owns(a)).toBe(true);
    expect(W.owns(new Float32Array(17))).toBe(false);
    expect(Array.from(a).every((v) => v === 0)).toBe(true);
  });
});

describe('gemm', () => {
  function check(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, beta: number, foreign = false, B: WasmBackend = W): void {
    const [a] = pair(m * k, -2, 2, B), [b] = pair(k * n, -2, 2, B);
    const [c] = pair(m * n, -2, 2, B);
    const c0 = Float32Array.from(c);
    if (beta === 0) c.fill(NaN); // β = 0 must ignore C, NaN included
    const lda = ta ? m : k, ldb = tb ? k : n;
    const want = new Float64Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
        want[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * c0[i * n + j]);
      }
    const A = foreign ? Float32Array.from(a) : a, Bm = foreign ? Float32Array.from(b) : b, C = foreign ? Float32Array.from(c) : c;
    B.gemm(ta, tb, m, n, k, alpha, A, Bm, beta, C);
    const tol = 4e-7 * Math.sqrt(k + 1) * 4 * (Math.abs(alpha) + Math.abs(beta) + 1);
    for (let i = 0; i < m * n; i++) {
      const err = Math.abs(C[i] - want[i]);
      if (!(err <= tol * Math.max(1, Math.sqrt(k)))) throw new Error(`gemm ${ta}${tb} ${m}x${n}x${k} [${i}] got ${C[i]} want ${want[i]}`);
    }
  }
  // Row counts around both tiles (5, 6) and their multiples; column counts around the 8-wide
  // sliver and the in-place (n < 32) / packed boundary.
  const sizes = [1, 3, 4, 5, 6, 8, 11, 17, 33, 257];
  for (const B of PLAIN === W ? [W] : [W, PLAIN]) {
    for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      it(`${B.name}: layout transA=${ta} transB=${tb} on awkward shapes`, () => {
        for (const m of sizes) for (const n of [1, 7, 9, 31, 32, 257]) for (const k of [1, 5, 300]) if (m * n * k < 3e6) check(ta, tb, m, n, k, 1, 0, false, B);
      });
      it(`${B.name}: alpha/beta variants transA=${ta} transB=${tb}`, () => {
        check(ta, tb, 37, 45, 523, 0.5, 0, false, B);
        check(ta, tb, 37, 45, 523, -1.5, 1, false, B);
        check(ta, tb, 37, 12, 523, -1.5, 1, false, B);
        check(ta, tb, 12, 16, 64, 2, 0.25, false, B);
        check(ta, tb, 5, 6, 0, 1, 0.5, false, B);
      });
    }
  }
  it('stages arrays that are not in wasm memory', () => {
    check(false, true, 19, 23, 31, 1, 0, true);
    check(true, false, 19, 23, 31, 1, 0.5, true);
  });
  it('float64 goes to the reference', () => {
    const a = new Float64Array([1, 2, 3, 4]), b = new Float64Array([5, 6, 7, 8]), c = new Float64Array(4);
    W.gemm(false, false, 2, 2, 2, 1, a, b, 0, c);
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
  });
  it('threaded GEMM equals single-threaded', async () => {
    W.pool.adaptive = false; // always split here (the speed-based choice is tested below)
    const m = 256, n = 264, k = 300;
    const [a] = pair(m * k), [b] = pair(k * n);
    const c1 = W.alloc(m * n, 'float32') as Float32Array;
    W.pool.setThreads(1);
    W.gemm(false, true, m, n, k, 1, a, b, 0, c1);
    W.pool.setThreads(3);
    const deadline = Date.now() + 5000;
    while (W.pool.readyWorkers() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(W.pool.readyWorkers()).toBe(2);
    for (const [ta, tb, mm, nn] of [[false, true, m, n], [true, false, m, n], [false, false, 520, 96]] as const) {
      const A = pair(mm * k)[0], B = pair(k * nn)[0];
      const s = W.alloc(mm * nn, 'float32') as Float32Array, t = W.alloc(mm * nn, 'float32') as Float32Array;
      W.pool.setThreads(1);
      W.gemm(ta, tb, mm, nn, k, 1, A, B, 0, s);
      W.pool.setThreads(3);
      W.gemm(ta, tb, mm, nn, k, 1, A, B, 0, t);
      expect(Array.from(t)).toEqual(Array.from(s));
    }
    // Dynamic chunking on awkward shapes, with α and β ≠ 0: every chunk must run exactly once.
    for (const [ta, tb, mm, nn, kk] of [[false, false, 257, 17, 301], [true, true, 3, 1000, 400], [false, true, 1000, 3, 350], [true, false, 17, 257, 257], [false, false, 130, 262, 129]] as const) {
      const A = pair(mm * kk)[0], B = pair(kk * nn)[0];
      const c0 = pair(mm * nn)[0];
      const s = W.alloc(mm * nn, 'float32') as Float32Array, t = W.alloc(mm * nn, 'float32') as Float32Array;
      for (let rep = 0; rep < 3; rep++) {
        s.set(c0);
        t.set(c0);
        W.pool.setThreads(1);
        W.gemm(ta, tb, mm, nn, kk, -0.75, A, B, 1.5, s);
        W.pool.setThreads(3);
        W.gemm(ta, tb, mm, nn, kk, -0.75, A, B, 1.5, t);
        expect(Array.from(t)).toEqual(Array.from(s));
      }
    }
    expect(W.pool.rounds).toBeGreaterThan(0);
    W.pool.adaptive = true;
    W.pool.setThreads(1);
  });
  it('chunkTiles cuts C into even chunks: the benchmark\'s 256 columns (32 tiles) give each of 2 threads 16 tiles', () => {
    // Dealt in turn (thread t takes chunks t, t + parts, …), the busiest thread's tiles.
    const busiest = (tiles: number, parts: number): number => {
      const s = chunkTiles(tiles, parts), nch = Math.ceil(tiles / s);
      const load = new Array<number>(parts).fill(0);
      for (let i = 0; i < nch; i++) load[i % parts] += Math.min(s, tiles - i * s);
      return Math.max(...load);
    };
    expect(chunkTiles(32, 2)).toBe(4);
    expect(busiest(32, 2)).toBe(16);
    expect(busiest(32, 4)).toBe(8);
    // A conv layer's 100,352 columns (12,544 tiles): 8 even chunks, not 7 (4 against 3 chunks of
    // 2,090 tiles).
    expect(busiest(12544, 2)).toBe(6272);
    for (const [tiles, parts] of [[1, 2], [5, 2], [22, 2], [98, 2], [128, 2], [33, 3], [1000, 8]]) {
      const s = chunkTiles(tiles, parts);
      expect(Number.isInteger(s) && s >= 1 && s <= tiles).toBe(true);
      // At least 3 chunks per thread when there are tiles enough (a descheduled thread holds up little).
      expect(Math.ceil(tiles / s)).toBeGreaterThanOrEqual(Math.min(tiles, 3 * parts));
      // Never more than a chunk plus a tile above the even share.
      expect(busiest(tiles, parts)).toBeLessThanOrEqual(Math.ceil(tiles / parts) + s);
    }
  });
  it('threaded optimizer updates equal single-threaded ones', async () => {
    // Past ELEMENTWISE_MIN the update is cut into ranges run by the pool; an odd length checks
    // the last, partial range and the scalar tail.
    const n = ELEMENTWISE_MIN * 3 + 7;
    W.pool.setThreads(3);
    const deadline = Date.now() + 5000;
    while (W.pool.readyWorkers() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(W.pool.readyWorkers()).toBe(2);
    const grad = pair(n)[0];
    const start = [pair(n)[0], pair(n, 0, 1)[0], pair(n, 0, 1)[0], pair(n, 0, 1)[0]];
    const run = (threads: number): Float32Array[] => {
      W.pool.setThreads(threads);
      const [param, m, v, vMax] = start.map((t) => Float32Array.from(t)).map((t) => {
        const w = W.alloc(n, 'float32') as Float32Array;
        w.set(t);
        return w;
      });
      const rounds = W.pool.rounds;
      for (let step = 1; step <= 3; step++) {
        W.adamStep({ param, grad, m, v, vMax, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupledWeightDecay: 0, step });
        W.sgdStep({ param, grad, buf: m, firstStep: step === 1, lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 });
        W.rmspropStep({ param, grad, squareAvg: v, gradAvg: vMax, momentumBuf: null, lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0 });
      }
      expect(W.pool.rounds - rounds).toBe(threads > 1 ? 9 : 0);
      return [param, m, v, vMax];
    };
    const one = run(1);
    const three = run(3);
    for (let i = 0; i < 4; i++) expect(Array.from(three[i])).toEqual(Array.from(one[i]));
    W.pool.setThreads(1);
  });
  it('threaded activations (unary, unaryBackward β = 0 and 1) equal single-threaded bit for bit and the reference', async () => {
    W.pool.setThreads(3);
    const deadline = Date.now() + 5000;
    while (W.pool.readyWorkers() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(W.pool.readyWorkers()).toBe(2);
    const n = ELEMENTWISE_MIN * 2 + 5; // a partial last range and a scalar tail
    for (const kind of ['relu', 'leakyRelu', 'tanh'] as UnaryKind[]) {
      const [x, xr] = pair(n), [gy, gyr] = pair(n), gx0 = pair(n)[0];
      x[7] = NaN; xr[7] = NaN;
      const run = (threads: number): Float32Array[] => {
        W.pool.setThreads(threads);
        const rounds = W.pool.rounds;
        const y = zeros(n)[0], gx1 = zeros(n)[0], gx = zeros(n)[0];
        gx1.set(gx0);
        W.unary(kind, 0.1, x, y);
        W.unaryBackward(kind, 0.1, x, y, gy, gx1, 1);
        W.unaryBackward(kind, 0.1, x, y, gy, gx, 0);
        expect(W.pool.rounds - rounds).toBe(threads > 1 ? 3 : 0);
        return [y, gx1, gx];
      };
      const one = run(1), three = run(3);
      const yr = new Float32Array(n), gx1r = Float32Array.from(gx0), gxr = new Float32Array(n);
      reference.unary(kind, 0.1, xr, yr);
      reference.unaryBackward(kind, 0.1, xr, yr, gyr, gx1r, 1);
      reference.unaryBackward(kind, 0.1, xr, yr, gyr, gxr, 0);
      [yr, gx1r, gxr].forEach((r, i) => {
        expect(Array.from(three[i]), `${kind} ${i}`).toEqual(Array.from(one[i]));
        close(one[i], r, 1e-6, `${kind} ${i}`);
      });
    }
    W.pool.setThreads(1);
  });
  it('threaded bias + activation (ranges of rows) and its backward (ranges of 4-column groups) equal single-threaded bit for bit and the reference, both builds', async () => {
    // 521 rows × 263 columns passes BIAS_ACTIVATION_MIN: a short last range of rows, a last
    // column group of 3, strips of 16 and 4 and a scalar tail inside each range of columns.
    const rows = 521, cols = 263, n = rows * cols;
    expect(n).toBeGreaterThan(BIAS_ACTIVATION_MIN);
    for (const B of PLAIN === W ? [W] : [W, PLAIN]) {
      B.pool.setThreads(3);
      const deadline = Date.now() + 5000;
      while (B.pool.readyWorkers() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(B.pool.readyWorkers()).toBe(2);
      for (const kind of ['relu', 'tanh', 'linear'] as UnaryKind[]) {
        const [x, xr] = pair(n, -3, 3, B), [bias, biasr] = pair(cols, -1, 1, B), [gy, gyr] = pair(n, -2, 2, B);
        x[5] = NaN; xr[5] = NaN;
        const run = (threads: number): Float32Array[] => {
          B.pool.setThreads(threads);
          const rounds = B.pool.rounds;
          const y = B.alloc(n, 'float32', false) as Float32Array, gz = B.alloc(n, 'float32', false) as Float32Array, gb = B.alloc(cols, 'float32', false) as Float32Array;
          B.biasActivation(kind, NaN, x, bias, rows, cols, y);
          B.biasActivationBackward(kind, NaN, y, gy, rows, cols, gz, gb);
          expect(B.pool.rounds - rounds, `${B.name} ${kind} rounds`).toBe(threads > 1 ? 2 : 0);
          return [y, gz, gb];
        };
        const one = run(1), three = run(3);
        const yr = new Float32Array(n), gzr = new Float32Array(n), gbr = new Float32Array(cols);
        reference.biasActivation(kind, NaN, xr, biasr, rows, cols, yr);
        reference.biasActivationBackward(kind, NaN, yr, gyr, rows, cols, gzr, gbr);
        [yr, gzr, gbr].forEach((r, i) => {
          expect(Array.from(three[i]), `${B.name} ${kind} ${i}`).toEqual(Array.from(one[i]));
          close(one[i], r, 1e-5, `${B.name} ${kind} ${i}`);
        });
      }
      B.pool.setThreads(1);
    }
  });
  it('threaded BatchNorm2d ([N, C, L] in ranges of channels) equals single-threaded and the reference, both builds', async () => {
    // Past ELEMENTWISE_MIN values the channels are cut into ranges run by the pool; C = 13 leaves
    // a short last range, L = 163 a scalar tail after the f32x4 runs.
    const n = 16, c = 13, l = 163, len = n * c * l;
    expect(len).toBeGreaterThan(ELEMENTWISE_MIN);
    W.pool.setThreads(3);
    const deadline = Date.now() + 5000;
    while (W.pool.readyWorkers() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(W.pool.readyWorkers()).toBe(2);
    const xs = Float32Array.from({ length: len }, () => 3 + 2 * rand()); // mean far from 0
    const gys = Float32Array.from({ length: len }, () => rand() - 0.5);
    const ws = Float32Array.from({ length: c }, () => 0.5 + rand()), bs = Float32Array.from({ length: c }, () => rand() - 0.5);
    const copy = (B: WasmBackend, a: Float32Array): Float32Array => {
      const w = B.alloc(a.length, 'float32') as Float32Array;
      w.set(a);
      return w;
    };
    const run = (B: WasmBackend, threads: number, training: boolean): Float32Array[] => {
      B.pool.setThreads(threads);
      const x = copy(B, xs), gy = copy(B, gys), weight = copy(B, ws), bias = copy(B, bs);
      const runningMean = copy(B, new Float32Array(c)), runningVar = copy(B, new Float32Array(c).fill(1));
      const y = copy(B, new Float32Array(len)), saveMean = copy(B, new Float32Array(c)), saveInvStd = copy(B, new Float32Array(c));
      const gx = copy(B, new Float32Array(len).fill(0.25)), gWeight = copy(B, new Float32Array(c)), gBias = copy(B, new Float32Array(c));
      const rounds = B.pool.rounds;
      B.batchNorm({ x, n, c, l, weight, bias, runningMean, runningVar, training, momentum: 0.1, eps: 1e-5, y, saveMean, saveInvStd });
      B.batchNormBackward({ x, gy, n, c, l, weight, saveMean, saveInvStd, training, gx, gxBeta: 1, gWeight, gBias });
      expect(B.pool.rounds - rounds).toBe(threads > 1 && B === W ? 2 : 0);
      return [y, runningMean, runningVar, saveMean, saveInvStd, gx, gWeight, gBias];
    };
    const names = ['y', 'runningMean', 'runningVar', 'saveMean', 'saveInvStd', 'gx', 'gWeight', 'gBias'];
    for (const training of [true, false]) {
      const want = [xs, gys, ws, bs].map((a) => Float32Array.from(a));
      const [x, gy, weight, bias] = want;
      const ref = [new Float32Array(len), new Float32Array(c), new Float32Array(c).fill(1), new Float32Array(c), new Float32Array(c), new Float32Array(len).fill(0.25), new Float32Array(c), new Float32Array(c)];
      const [y, runningMean, runningVar, saveMean, saveInvStd, gx, gWeight, gBias] = ref;
      reference.batchNorm({ x, n, c, l, weight, bias, runningMean, runningVar, training, momentum: 0.1, eps: 1e-5, y, saveMean, saveInvStd });
      reference.batchNormBackward({ x, gy, n, c, l, weight, saveMean, saveInvStd, training, gx, gxBeta: 1, gWeight, gBias });
      const one = run(W, 1, training), three = run(W, 3, training), plain = run(PLAIN, 1, training);
      for (let i = 0; i < names.length; i++) {
        expect(Array.from(three[i]), names[i]).toEqual(Array.from(one[i]));
        close(one[i], ref[i], 1e-5, `${names[i]} (training ${training})`);
        close(plain[i], ref[i], 1e-5, `${names[i]} plain SIMD (training ${training})`);
      }
    }
    W.pool.setThreads(1);
  });
  /** performance.now() stands still for this test, so no call starts cold by the test machine's timing. */
  const frozenClock = () => {
    const now = vi.spyOn(performance, 'now').mockReturnValue(0);
    onTestFinished(() => now.mockRestore());
  };
  it('ThreadChooser uses the measured faster mode and keeps exploring the other', () => {
    frozenClock(); // back-to-back calls: the workers are awake for every split call after the first
    const c = new ThreadChooser();
    expect(c.threaded()).toBe(true); // no sample yet: try splitting first
    c.record(true, 1, 1e6);
    expect(c.threaded()).toBe(false); // then one unsplit sample
    c.record(false, 2, 1e6);
    // Simulated machine: ms per GEMM of 1e6 multiply-adds in each mode.
    let ms = { split: 1, single: 2 };
    const run = (calls: number) => {
      let split = 0;
      for (let i = 0; i < calls; i++) {
        const t = c.threaded();
        if (t) split++;
        c.record(t, t ? ms.split : ms.single, 1e6);
      }
      return split;
    };
    const n = 4 * ThreadChooser.EXPLORE;
    const first = run(n);
    expect(first).toBeGreaterThanOrEqual(n - 2 * ThreadChooser.PROBE); // split is faster: unsplit only in probes
    expect(first).toBeLessThan(n); // … and the probe happened
    // Confirmed probes back off: in a long stretch, at most a few percent of calls probe.
    expect(run(4000)).toBeGreaterThan(4000 * 0.97);
    ms = { split: 5, single: 2 }; // the machine got busy: splitting slowed down
    run(20); // the split estimate follows within a few calls
    expect(run(200)).toBeLessThanOrEqual(2 * ThreadChooser.PROBE); // one thread, split only to probe
    ms = { split: 1, single: 2 }; // idle again: a probe notices within EXPLORE_MAX calls
    run(ThreadChooser.EXPLORE_MAX + ThreadChooser.PROBE);
    expect(run(100)).toBeGreaterThanOrEqual(100 - ThreadChooser.PROBE);
  });
  it('ThreadChooser backs off faster from probes of a mode that is far slower (a busy second core), and the optimizer splits follow it', () => {
    frozenClock(); // back-to-back calls: the workers are awake for every split call after the first
    const probes = (split: number, single: number) => {
      const c = new ThreadChooser();
      let probed = 0;
      for (let i = 0; i < 3000; i++) {
        const t = c.threaded();
        if (t !== split < single) probed++;
        c.record(t, t ? split : single, 1e6);
      }
      return { probed, pays: c.splitPays };
    };
    const mild = probes(1, 1.2); // splitting pays a little: probes of unsplit back off by 2
    const busy = probes(3, 1); // splitting is 3× slower: probes of split back off by 4
    expect(busy.probed).toBeLessThan(mild.probed);
    expect(busy.pays).toBe(false);
    expect(mild.pays).toBe(true);
  });
  it('ThreadChooser is not flipped by one stalled GEMM', () => {
    // Back-to-back calls (simulated clock): the workers are awake for every split one after the first.
    const c = new ThreadChooser();
    let clock = 0;
    const call = (split: boolean, ms: number) => {
      clock += 0.01;
      c.threaded(1e6, clock); // sets whether the call starts cold; the mode is forced here
      clock += ms;
      c.record(split, ms, 1e6, clock);
    };
    call(true, 1); // the first split (cold)
    call(true, 1); // one with the workers awake: 1 ms
    call(false, 2); // unsplit: 2 ms
    const before = c.estimates().split;
    expect(before).toBe(1);
    call(true, 10); // a worker was descheduled: one split GEMM took 10 ms
    expect(c.estimates().split).toBeLessThan(before * (1 + 0.2 * ThreadChooser.OUTLIER));
    expect(c.estimates().split).toBeLessThan(c.estimates().single);
    // Lasting slowness still moves it.
    for (let i = 0; i < 12; i++) call(true, 10);
    expect(c.estimates().split).toBeGreaterThan(c.estimates().single);
  });
  it('ThreadChooser estimates the split GEMMs that wake sleeping workers apart (a step\'s large GEMMs come far apart)', () => {
    // In a training step the large GEMMs are milliseconds apart, so the workers are asleep at
    // each split one and its wake-up is part of its cost. Simulated clock: 5 ms between calls.
    let clock = 0;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    try {
      const c = new ThreadChooser();
      const call = (splitMs: number, singleMs: number) => {
        clock += 5;
        const t = c.threaded();
        clock += t ? splitMs : singleMs;
        c.record(t, t ? splitMs : singleMs, 1e6);
        return t;
      };
      call(1, 2); // the first split measured fast
      call(1, 2); // one unsplit sample
      // Then every split GEMM takes 3 ms with the wake-up (another process on the second core), an unsplit one 2 ms.
      let split = 0;
      for (let i = 0; i < 200; i++) if (call(3, 2)) split++;
      expect(c.estimates().splitCold).toBeGreaterThan(c.estimates().single);
      expect(split).toBeLessThan(60); // a few calls to learn it, then probes that back off (≈ 40)
      // On an idle machine the wake-up costs little: split calls that start cold still win.
      const idle = new ThreadChooser();
      const callIdle = () => {
        clock += 5;
        const t = idle.threaded();
        const ms = t ? 1.1 : 2;
        clock += ms;
        idle.record(t, ms, 1e6);
        return t;
      };
      let idleSplit = 0;
      for (let i = 0; i < 200; i++) if (callIdle()) idleSplit++;
      expect(idleSplit).toBeGreaterThan(200 - 40);
    } finally {
      now.mockRestore();
    }
  });
  it('ThreadChooser keeps separate choices per GEMM size and ignores a probe\'s warm-up', () => {
    frozenClock(); // back-to-back calls: the workers are awake for every split call after the first
    const c = new ThreadChooser();
    const small = 2e6, large = 3e7;
    // Small GEMMs: splitting costs (sync overhead); large ones: splitting pays.
    const time = (t: boolean, macs: number) => (macs === small ? (t ? 0.3 : 0.1) : t ? 0.6 : 1) * (macs / 1e6);
    let smallSplit = 0, largeSplit = 0;
    for (let i = 0; i < 3000; i++) {
      const macs = i % 2 ? small : large;
      const t = c.threaded(macs);
      if (t && macs === small) smallSplit++;
      if (t && macs === large) largeSplit++;
      c.record(t, time(t, macs), macs);
    }
    expect(smallSplit).toBeLessThan(150);
    expect(largeSplit).toBeGreaterThan(1350);
    const e = c.estimates(small);
    expect(e.single).toBeLessThan(e.split);
    // A probe's warm-up calls (workers waking from sleep) are not counted: slow first split
    // calls do not hide that splitting pays.
    const d = new ThreadChooser();
    d.threaded(); d.record(true, 3, 1e6);
    d.threaded(); d.record(false, 1, 1e6);
    let streak = 0, split = 0, clock = 0;
    for (let i = 0; i < 400; i++) {
      const t = d.threaded();
      streak = t ? streak + 1 : 0;
      if (t) split++;
      const ms = t ? (streak === 1 ? 2.5 : 0.6) : 1;
      clock += ms;
      d.record(t, ms, 1e6, clock);
    }
    expect(split).toBeGreaterThan(300);
  });
});

const UNARY: UnaryKind[] = ['linear', 'relu', 'leakyRelu', 'elu', 'selu', 'sigmoid', 'tanh', 'gelu', 'silu', 'softplus'];
const PARAM: Partial<Record<UnaryKind, number>> = { leakyRelu: 0.01, elu: 1.3 };

describe('elementwise kernels', () => {
  for (const kind of UNARY) {
    it(`unary, unaryBackward and biasActivation: ${kind}`, () => {
      for (const n of [1, 3, 17, 1023]) {
        const p = PARAM[kind] ?? NaN;
        const [x, xr] = pair(n, -25, 25);
        if (n > 3) { x[1] = NaN; xr[1] = NaN; x[2] = 0; xr[2] = 0; }
        const [y, yr] = zeros(n);
        W.unary(kind, p, x, y); reference.unary(kind, p, xr, yr);
        close(y, yr, 1e-5, kind);
        const [gy, gyr] = pair(n), [gx, gxr] = pair(n);
        W.unaryBackward(kind, p, x, y, gy, gx, 1); reference.unaryBackward(kind, p, xr, yr, gyr, gxr, 1);
        close(gx, gxr, 1e-5, kind + "'");
        // β = 0 overwrites, ignoring NaN already in gx.
        gx.fill(NaN); gxr.fill(NaN);
        W.unaryBackward(kind, p, x, y, gy, gx, 0); reference.unaryBackward(kind, p, xr, yr, gyr, gxr, 0);
        close(gx, gxr, 1e-5, kind + "' β=0");
        if (n > 3) expect(Number.isNaN(gx[3]) && !Number.isNaN(x[3])).toBe(false);
      }
      for (const [rows, cols] of [[1, 1], [3, 17], [128, 256], [5, 10]]) {
        const [x, xr] = pair(rows * cols), [b, br] = pair(cols), [y, yr] = zeros(rows * cols);
        const p = PARAM[kind] ?? NaN;
        W.biasActivation(kind, p, x, b, rows, cols, y); reference.biasActivation(kind, p, xr, br, rows, cols, yr);
        close(y, yr, 1e-5, 'bias ' + kind);
        W.biasActivation(kind, p, x, null, rows, cols, x); reference.biasActivation(kind, p, xr, null, rows, cols, xr);
        close(x, xr, 1e-5, 'bias-inplace ' + kind);
      }
    });
  }

  it('biasActivationBackward: equals unaryBackward (β = 0) then sumAxis, bit for bit, on both backends', () => {
    for (const kind of ['relu', 'sigmoid', 'tanh', 'linear'] as UnaryKind[]) {
      // Columns around the strips of 16 and 4 and the scalar tail.
      for (const [rows, cols] of [[1, 1], [3, 17], [128, 256], [5, 10], [7, 35], [2, 4]]) {
        const n = rows * cols;
        const [z] = pair(n, -3, 3);
        const [gy] = pair(n);
        for (const B of [W, reference]) {
          const y = B.alloc(n, 'float32') as Float32Array;
          B.unary(kind, NaN, z, y);
          const gz = B.alloc(n, 'float32', false), gb = B.alloc(cols, 'float32', false);
          B.biasActivationBackward(kind, NaN, y, gy, rows, cols, gz, gb);
          const gz2 = B.alloc(n, 'float32', false), gb2 = B.alloc(cols, 'float32', false);
          B.unaryBackward(kind, NaN, z, y, gy, gz2, 0);
          B.sumAxis(gz2, 1, rows, cols, gb2);
          expect(Array.from(gz), `${B.name} ${kind} ${rows}×${cols} gz`).toEqual(Array.from(gz2));
          expect(Array.from(gb), `${B.name} ${kind} ${rows}×${cols} gBias`).toEqual(Array.from(gb2));
          // No bias gradient asked for: gz alone, in place over gy.
          const g3 = B.alloc(n, 'float32', false) as Float32Array;
          g3.set(gy);
          B.biasActivationBackward(kind, NaN, y, g3, rows, cols, g3, null);
          expect(Array.from(g3)).toEqual(Array.from(gz2));
        }
      }
    }
    expect(() => reference.biasActivationBackward('leakyRelu', 0.01, new Float32Array(2), new Float32Array(2), 1, 2, new Float32Array(2), null)).toThrow(/'leakyRelu'.*input/);
  });

  it('binary and binaryBackward with broadcasting', () => {
    const cases: Array<[number[], number[], number[], number[]]> = [
      [[7, 9], [9, 1], [9, 1], [7, 9]], // same shape
      [[7, 9], [9, 1], [0, 1], [7, 9]], // row vector
      [[7, 9], [1, 0], [9, 1], [7, 9]], // column vector for a
      [[7, 9], [9, 1], [0, 0], [7, 9]], // scalar
      [[2, 3, 5], [15, 5, 1], [0, 5, 1], [2, 3, 5]], // row over 2 dims
      [[2, 3, 5], [15, 5, 1], [5, 0, 1], [2, 3, 5]], // general: reference path
    ];
    for (const [shape, as, bs] of cases) {
      const size = (st: number[]) => 1 + st.reduce((s, v, i) => s + v * (shape[i] - 1), 0);
      const total = shape.reduce((a, b) => a * b, 1);
      for (const kind of ['add', 'sub', 'mul', 'div'] as const) {
        const [a, ar] = pair(size(as), 0.5, 2), [b, br] = pair(size(bs), 0.5, 2), [o, or] = zeros(total);
        W.binary(kind, a, as, b, bs, o, shape); reference.binary(kind, ar, as, br, bs, or, shape);
        close(o, or, 1e-6, kind);
        const [g, gr] = pair(total);
        for (const wrt of [0, 1] as const) {
          const [gi, gir] = zeros(wrt === 0 ? a.length : b.length);
          W.binaryBackward(kind, wrt, g, shape, a, as, b, bs, gi); reference.binaryBackward(kind, wrt, gr, shape, ar, as, br, bs, gir);
          close(gi, gir, 1e-5, `${kind} d${wrt}`);
        }
      }
    }
  });

  it('fill, copy, axpy, scale, clamp, masks', () => {
    for (const n of [1, 3, 17, 1023]) {
      const [x, xr] = pair(n), [y, yr] = pair(n), [m, mr] = pair(n, 0, 1);
      for (let i = 0; i < n; i++) m[i] = mr[i] = m[i] > 0.5 ? 1 : 0;
      W.axpy(0.7, x, y); reference.axpy(0.7, xr, yr); close(y, yr, 1e-6, 'axpy');
      W.scale(y, -1.5); reference.scale(yr, -1.5); close(y, yr, 1e-6, 'scale');
      W.clampInPlace(y, 0.8); reference.clampInPlace(yr, 0.8); close(y, yr, 1e-6, 'clamp');
      const [o, or] = zeros(n);
      W.maskScale(x, m, 2, o); reference.maskScale(xr, mr, 2, or); close(o, or, 1e-6, 'mask');
      W.alphaDropout(x, m, -1.7, 0.9, 0.1, o); reference.alphaDropout(xr, mr, -1.7, 0.9, 0.1, or); close(o, or, 1e-6, 'alphaDropout');
      W.fill(o, 3.5); expect(Array.from(o).every((v) => v === 3.5)).toBe(true);
      W.copy(x, o); expect(Array.from(o)).toEqual(Array.from(x));
    }
  });

  it('reductions', () => {
    for (const n of [1, 3, 17, 1023, 100000]) {
      const [x, xr] = pair(n);
      expect(W.sumSquares(x)).toBeCloseTo(reference.sumSquares(xr), 6);
      const a = W.moments(x), b = reference.moments(xr);
      expect(a.sum).toBeCloseTo(b.sum, 6);
      expect(a.sumSq).toBeCloseTo(b.sumSq, 6);
      expect(W.allFinite(x)).toBe(true);
      x[n - 1] = Infinity;
      expect(W.allFinite(x)).toBe(false);
      x[n - 1] = NaN;
      expect(W.allFinite(x)).toBe(false);
    }
    // inner = 1 (a conv bias gradient) sums runs in f64x2 lanes: runs of 3, 9 and 196 (a tail each way).
    for (const [outer, n, inner] of [[1, 128, 256], [3, 7, 5], [2, 17, 1], [1, 1, 3], [64, 196, 1], [4, 3, 1], [5, 9, 1]]) {
      const [x, xr] = pair(outer * n * inner), [o, or] = zeros(outer * inner);
      W.sumAxis(x, outer, n, inner, o); reference.sumAxis(xr, outer, n, inner, or);
      close(o, or, 1e-5, 'sumAxis');
      const xp = pair(outer * n * inner, -2, 2, PLAIN)[0], op = PLAIN.alloc(outer * inner, 'float32') as Float32Array;
      xp.set(xr);
      PLAIN.sumAxis(xp, outer, n, inner, op);
      close(op, or, 1e-5, 'sumAxis plain SIMD');
      const [g, gr] = pair(outer * inner), [gx, gxr] = pair(outer * n * inner);
      W.broadcastAxis(g, outer, n, inner, 0.25, gx); reference.broadcastAxis(gr, outer, n, inner, 0.25, gxr);
      close(gx, gxr, 1e-6, 'broadcastAxis');
    }
  });
});

describe('softmax, losses, normalisation', () => {
  it('softmax and log-softmax with backward', () => {
    for (const [outer, n, inner] of [[128, 10, 1], [3, 17, 4], [1, 1, 1]]) {
      for (const log of [false, true]) {
        const [x, xr] = pair(outer * n * inner, -10, 10), [y, yr] = zeros(x.length);
        W.softmax(x, outer, n, inner, log, y); reference.softmax(xr, outer, n, inner, log, yr);
        close(y, yr, 1e-5, 'softmax');
        const [gy, gyr] = pair(x.length), [gx, gxr] = pair(x.length);
        W.softmaxBackward(y, gy, outer, n, inner, log, gx); reference.softmaxBackward(yr, gyr, outer, n, inner, log, gxr);
        close(gx, gxr, 1e-5, 'softmaxBackward');
      }
    }
  });
  it('crossEntropy fused with log-softmax', () => {
    const n = 129, c = 10;
    const [x, xr] = pair(n * c, -8, 8);
    const labels = Int32Array.from({ length: n }, () => Math.floor(rand() * c));
    const [l, lr] = zeros(n), [p, pr] = zeros(n * c);
    W.crossEntropy(x, labels, n, c, l, p); reference.crossEntropy(xr, labels, n, c, lr, pr);
    close(l, lr, 1e-5, 'ce'); close(p, pr, 1e-5, 'probs');
    for (const gl of [1, n]) {
      const [g, gr] = pair(gl), [gx, gxr] = pair(n * c);
      W.crossEntropyBackward(p, labels, n, c, g, gx); reference.crossEntropyBackward(pr, labels, n, c, gr, gxr);
      close(gx, gxr, 1e-5, 'ce backward');
    }
  });
  it('pointwise losses', () => {
    for (const kind of ['mse', 'l1', 'huber', 'bceWithLogits'] as const) {
      const n = 257;
      const [x, xr] = pair(n, -3, 3), [t, tr] = pair(n, 0, 1), [o, or] = zeros(n);
      W.pointwiseLoss(kind, 0.7, x, t, o); reference.pointwiseLoss(kind, 0.7, xr, tr, or);
      close(o, or, 1e-5, kind);
      for (const gl of [1, n]) {
        const [g, gr] = pair(gl), [gx, gxr] = pair(n), [gt, gtr] = pair(n);
        W.pointwiseLossBackward(kind, 0.7, x, t, g, gx, gt); reference.pointwiseLossBackward(kind, 0.7, xr, tr, gr, gxr, gtr);
        close(gx, gxr, 1e-5, kind + ' dx'); close(gt, gtr, 1e-5, kind + ' dt');
      }
    }
  });
  it('batchNorm forward/backward, training and eval', () => {
    // [N, C] goes eight channels at a time, then a scalar tail (C = 29: 24 + 5).
    for (const [n, c, l] of [[128, 17, 1], [4, 3, 5], [128, 256, 1], [3, 8, 1], [2, 5, 1], [1, 4, 1], [6, 29, 1], [5, 12, 1]]) {
      for (const training of n * l > 1 ? [true, false] : [false]) {
        const [x, xr] = pair(n * c * l), [w, wr] = pair(c), [b, br] = pair(c);
        const [rm, rmr] = pair(c), [rv, rvr] = pair(c, 0.5, 2);
        const [y, yr] = zeros(x.length), [sm, smr] = zeros(c), [si, sir] = zeros(c);
        W.batchNorm({ x, n, c, l, weight: w, bias: b, runningMean: rm, runningVar: rv, training, momentum: 0.1, eps: 1e-5, y, saveMean: sm, saveInvStd: si });
        reference.batchNorm({ x: xr, n, c, l, weight: wr, bias: br, runningMean: rmr, runningVar: rvr, training, momentum: 0.1, eps: 1e-5, y: yr, saveMean: smr, saveInvStd: sir });
        close(y, yr, 1e-5, 'bn'); close(rm, rmr, 1e-5, 'rm'); close(rv, rvr, 1e-5, 'rv');
        const [gy, gyr] = pair(x.length), [gx, gxr] = pair(x.length), [gw, gwr] = pair(c), [gb, gbr] = pair(c);
        W.batchNormBackward({ x, gy, n, c, l, weight: w, saveMean: sm, saveInvStd: si, training, gx, gWeight: gw, gBias: gb });
        reference.batchNormBackward({ x: xr, gy: gyr, n, c, l, weight: wr, saveMean: smr, saveInvStd: sir, training, gx: gxr, gWeight: gwr, gBias: gbr });
        close(gx, gxr, 1e-5, 'bn gx'); close(gw, gwr, 1e-5, 'bn gw'); close(gb, gbr, 1e-5, 'bn gb');
        close(sm, smr, 1e-6, 'bn saveMean'); close(si, sir, 1e-6, 'bn saveInvStd');
        // gxBeta = 0 writes gx, ignoring NaN already there.
        gx.fill(NaN); gxr.fill(NaN);
        W.batchNormBackward({ x, gy, n, c, l, weight: w, saveMean: sm, saveInvStd: si, training, gx, gxBeta: 0, gWeight: null, gBias: null });
        reference.batchNormBackward({ x: xr, gy: gyr, n, c, l, weight: wr, saveMean: smr, saveInvStd: sir, training, gx: gxr, gxBeta: 0, gWeight: null, gBias: null });
        close(gx, gxr, 1e-5, 'bn gx (β = 0)');
        expect(gx.every(Number.isFinite)).toBe(true);
        // Without affine parameters and without an input gradient.
        const [y2, y2r] = zeros(x.length);
        W.batchNorm({ x, n, c, l, weight: null, bias: null, runningMean: rm, runningVar: rv, training, momentum: 0.1, eps: 1e-5, y: y2, saveMean: sm, saveInvStd: si });
        reference.batchNorm({ x: xr, n, c, l, weight: null, bias: null, runningMean: rmr, runningVar: rvr, training, momentum: 0.1, eps: 1e-5, y: y2r, saveMean: smr, saveInvStd: sir });
        close(y2, y2r, 1e-5, 'bn no-affine');
        W.batchNormBackward({ x, gy, n, c, l, weight: null, saveMean: sm, saveInvStd: si, training, gx: null, gWeight: gw, gBias: gb });
        reference.batchNormBackward({ x: xr, gy: gyr, n, c, l, weight: null, saveMean: smr, saveInvStd: sir, training, gx: null, gWeight: gwr, gBias: gbr });
        close(gw, gwr, 1e-5, 'bn gw (no gx)'); close(gb, gbr, 1e-5, 'bn gb (no gx)');
      }
    }
  });
  it('batchNorm [N, C, L] statistics (one shifted pass) with a large mean, a constant channel and a first value far off', () => {
    const n = 6, c = 3, l = 37;
    for (const B of [W, PLAIN]) {
      const x = B.alloc(n * c * l, 'float32') as Float32Array;
      for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let j = 0; j < l; j++) {
        const v = ch === 0 ? 1000 + 0.01 * rand() : ch === 1 ? -7.25 : 0.5 * rand();
        x[(i * c + ch) * l + j] = v;
      }
      x[2 * l] = 300; // channel 2's first value, the shift, is an outlier
      const xr = Float32Array.from(x);
      const alloc = (k: number, v = 0) => { const a = B.alloc(k, 'float32') as Float32Array; a.fill(v); return a; };
      const y = alloc(x.length), sm = alloc(c), si = alloc(c), rm = alloc(c), rv = alloc(c, 1);
      const yr = new Float32Array(x.length), smr = new Float32Array(c), sir = new Float32Array(c), rmr = new Float32Array(c), rvr = new Float32Array(c).fill(1);
      B.batchNorm({ x, n, c, l, weight: null, bias: null, runningMean: rm, runningVar: rv, training: true, momentum: 0.1, eps: 1e-5, y, saveMean: sm, saveInvStd: si });
      reference.batchNorm({ x: xr, n, c, l, weight: null, bias: null, runningMean: rmr, runningVar: rvr, training: true, momentum: 0.1, eps: 1e-5, y: yr, saveMean: smr, saveInvStd: sir });
      close(sm, smr, 1e-6, 'mean'); close(si, sir, 1e-5, 'invStd'); close(rv, rvr, 1e-5, 'runningVar'); close(y, yr, 1e-4, 'y');
      expect(rv[1]).toBe(Math.fround(0.9)); // a constant channel: variance exactly 0, never negative
    }
  });
  it('prelu forward/backward', () => {
    for (const [outer, c, inner] of [[4, 3, 5], [17, 1, 1]]) {
      const [x, xr] = pair(outer * c * inner), [w, wr] = pair(c, 0, 0.5), [y, yr] = zeros(x.length);
      W.prelu(x, w, outer, c, inner, y); reference.prelu(xr, wr, outer, c, inner, yr);
      close(y, yr, 1e-6, 'prelu');
      const [gy, gyr] = pair(x.length), [gx, gxr] = pair(x.length), [gw, gwr] = pair(c);
      W.preluBackward(x, w, gy, outer, c, inner, gx, gw); reference.preluBackward(xr, wr, gyr, outer, c, inner, gxr, gwr);
      close(gx, gxr, 1e-6, 'prelu gx'); close(gw, gwr, 1e-5, 'prelu gw');
    }
  });
});

describe('convolution and pooling', () => {
  // im2col copies a 'same'-shaped tap (stride 1, output as wide as the input) as one run per
  // kernel tap, then zeroes the padding columns; other shapes row by row. Both against the
  // reference, bit for bit, with ld > H_o·W_o (samples side by side) and dilation.
  it('im2col and col2im equal the reference (same-shaped taps, dilation, kernel larger than the padding, 1×1)', () => {
    for (const B of [W, PLAIN]) {
      for (const [c, h, w, k, p, d, extra] of [[3, 14, 14, 3, 1, 1, 0], [2, 5, 7, 3, 1, 1, 5], [1, 6, 4, 5, 2, 1, 0], [2, 7, 7, 3, 2, 2, 3], [1, 3, 3, 1, 0, 1, 0], [2, 4, 9, 3, 1, 1, 0], [1, 2, 2, 5, 2, 1, 0]]) {
        const oh = h + 2 * p - d * (k - 1), ow = w + 2 * p - d * (k - 1);
        const g = { h, w, kh: k, kw: k, sh: 1, sw: 1, ph: p, pw: p, dh: d, dw: d, oh, ow };
        const ld = oh * ow + extra;
        const [x, xr] = pair(c * h * w, -2, 2, B);
        const col = B.alloc(c * k * k * ld, 'float32') as Float32Array, colr = new Float32Array(col.length);
        col.fill(7); colr.fill(7);
        B.im2col(x, c, g, col, ld);
        reference.im2col(xr, c, g, colr, ld);
        expect(Array.from(col), `im2col ${c}×${h}×${w} k${k} p${p} d${d}`).toEqual(Array.from(colr));
        const [gx, gxr] = pair(x.length, -1, 1, B);
        B.col2im(col, c, g, gx, ld);
        reference.col2im(colr, c, g, gxr, ld);
        expect(Array.from(gx), `col2im ${c}×${h}×${w}`).toEqual(Array.from(gxr));
      }
    }
  });


  // maxpool(2) runs four outputs at a time in f32x4 and the rest one by one: widths with
  // ow mod 4 = 0…3, odd input widths (the last column unused), ties and NaNs in the windows.
  it('avgPool2d and adaptiveAvgPool2d, forward and backward, equal the reference bit for bit (padding, stride, dilation; uneven adaptive bins)', () => {
    for (const B of [W, PLAIN]) {
      for (const [planes, h, w, k, s, p, d] of [[3, 7, 9, 3, 2, 1, 1], [2, 8, 8, 2, 2, 0, 1], [1, 5, 6, 3, 1, 1, 2], [2, 4, 4, 4, 1, 2, 1]]) {
        const oh = Math.floor((h + 2 * p - d * (k - 1) - 1) / s) + 1, ow = Math.floor((w + 2 * p - d * (k - 1) - 1) / s) + 1;
        const g = { h, w, kh: k, kw: k, sh: s, sw: s, ph: p, pw: p, dh: d, dw: d, oh, ow };
        const [x, xr] = pair(planes * h * w, -2, 2, B);
        const y = B.alloc(planes * oh * ow, 'float32') as Float32Array, yr = new Float32Array(y.length);
        B.avgPool2d(x, planes, g, y); reference.avgPool2d(xr, planes, g, yr);
        expect(Array.from(y), `avgPool2d ${planes}×${h}×${w} k${k} s${s} p${p} d${d}`).toEqual(Array.from(yr));
        const [gy, gyr] = pair(y.length, -2, 2, B), [gx, gxr] = pair(x.length, -1, 1, B);
        B.avgPool2dBackward(gy, planes, g, gx); reference.avgPool2dBackward(gyr, planes, g, gxr);
        expect(Array.from(gx), 'avgPool2dBackward').toEqual(Array.from(gxr));
      }
      for (const [planes, h, w, oh, ow] of [[3, 7, 9, 3, 4], [2, 5, 5, 1, 1], [1, 4, 6, 4, 6], [2, 3, 5, 5, 7]]) {
        const [x, xr] = pair(planes * h * w, -2, 2, B);
        const y = B.alloc(planes * oh * ow, 'float32') as Float32Array, yr = new Float32Array(y.length);
        B.adaptiveAvgPool2d(x, planes, h, w, oh, ow, y); reference.adaptiveAvgPool2d(xr, planes, h, w, oh, ow, yr);
        expect(Array.from(y), `adaptiveAvgPool2d ${h}×${w} → ${oh}×${ow}`).toEqual(Array.from(yr));
        const [gy, gyr] = pair(y.length, -2, 2, B), [gx, gxr] = pair(x.length, -1, 1, B);
        B.adaptiveAvgPool2dBackward(gy, planes, h, w, oh, ow, gx); reference.adaptiveAvgPool2dBackward(gyr, planes, h, w, oh, ow, gxr);
        expect(Array.from(gx), 'adaptiveAvgPool2dBackward').toEqual(Array.from(gxr));
      }
    }
  });

  it('maxPool2d 2×2/2 equals the reference: values, arg-max indices (first max, NaN wins), backward', () => {
    for (const B of [W, PLAIN]) {
      for (const [planes, h, w] of [[3, 28, 28], [5, 14, 14], [2, 7, 9], [4, 8, 8], [1, 2, 2], [3, 6, 13]]) {
        const oh = Math.floor(h / 2), ow = Math.floor(w / 2);
        const g = { h, w, kh: 2, kw: 2, sh: 2, sw: 2, ph: 0, pw: 0, dh: 1, dw: 1, oh, ow };
        const x = B.alloc(planes * h * w, 'float32') as Float32Array;
        // Coarse values make ties common; some NaNs, some −Infinity.
        for (let i = 0; i < x.length; i++) {
          const r = rand();
          x[i] = r < 0.03 ? NaN : r < 0.05 ? -Infinity : Math.floor(rand() * 4) - 2;
        }
        const xr = Float32Array.from(x);
        const y = B.alloc(planes * oh * ow, 'float32') as Float32Array, yr = new Float32Array(y.length);
        const st = B.alloc(y.length, 'float32') as Float32Array;
        const idx = new Int32Array(st.buffer, st.byteOffset, y.length), idxr = new Int32Array(y.length);
        B.maxPool2d(x, planes, g, y, idx);
        reference.maxPool2d(xr, planes, g, yr, idxr);
        expect(Array.from(idx), `indices ${planes}×${h}×${w}`).toEqual(Array.from(idxr));
        expect(Array.from(y), `values ${planes}×${h}×${w}`).toEqual(Array.from(yr));
        const [gy, gyr] = pair(y.length, -2, 2, B);
        const gx = B.alloc(x.length, 'float32') as Float32Array, gxr = new Float32Array(x.length);
        B.maxPool2dBackward(gy, idx, planes, g, gx, 1);
        reference.maxPool2dBackward(gyr, idxr, planes, g, gxr, 1);
        expect(Array.from(gx)).toEqual(Array.from(gxr));
        // β = 0 writes every element (over NaN), the same values as accumulating into zeros.
        gx.fill(NaN);
        B.maxPool2dBackward(gy, idx, planes, g, gx, 0);
        expect(Array.from(gx), `β 0 ${planes}×${h}×${w}`).toEqual(Array.from(gxr));
      }
    }
  });
  it('threaded maxPool2d and its backward (ranges of planes) equal the reference bit for bit: 2×2/2 and 3×3/1 padded', async () => {
    W.pool.setThreads(3);
    const deadline = Date.now() + 5000;
    while (W.pool.readyWorkers() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(W.pool.readyWorkers()).toBe(2);
    const planes = 47, h = 28, w = 27; // 47 planes: a short last range; odd width
    expect(planes * h * w).toBeGreaterThan(ELEMENTWISE_MIN);
    for (const [k, s, p] of [[2, 2, 0], [3, 1, 1]]) {
      const oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((w + 2 * p - k) / s) + 1;
      const g = { h, w, kh: k, kw: k, sh: s, sw: s, ph: p, pw: p, dh: 1, dw: 1, oh, ow };
      const x = W.alloc(planes * h * w, 'float32') as Float32Array;
      for (let i = 0; i < x.length; i++) x[i] = rand() < 0.01 ? NaN : Math.floor(rand() * 8) - 4;
      const xr = Float32Array.from(x);
      const y = W.alloc(planes * oh * ow, 'float32') as Float32Array, yr = new Float32Array(y.length);
      const st = W.alloc(y.length, 'float32') as Float32Array;
      const idx = new Int32Array(st.buffer, st.byteOffset, y.length), idxr = new Int32Array(y.length);
      const rounds = W.pool.rounds;
      W.maxPool2d(x, planes, g, y, idx);
      reference.maxPool2d(xr, planes, g, yr, idxr);
      expect(Array.from(idx), `indices k${k}`).toEqual(Array.from(idxr));
      expect(Array.from(y), `values k${k}`).toEqual(Array.from(yr));
      // Backward adds into gx (overlapping 3×3 windows add twice into one input).
      const [gy, gyr] = pair(y.length), [gx, gxr] = pair(x.length);
      W.maxPool2dBackward(gy, idx, planes, g, gx, 1);
      reference.maxPool2dBackward(gyr, idxr, planes, g, gxr, 1);
      expect(Array.from(gx), `backward k${k}`).toEqual(Array.from(gxr));
      // β = 0 over NaN: each range clears its own planes.
      gx.fill(NaN);
      gxr.fill(NaN);
      W.maxPool2dBackward(gy, idx, planes, g, gx, 0);
      reference.maxPool2dBackward(gyr, idxr, planes, g, gxr, 0);
      expect(Array.from(gx), `backward β 0 k${k}`).toEqual(Array.from(gxr));
      expect(W.pool.rounds - rounds).toBe(3);
    }
    W.pool.setThreads(1);
  });

  // A convolution's fused per-sample products (im2col + GEMM with op(W) packed once, col2im;
  // ∂W summed in fixed groups of samples): against the reference's composition of the same
  // steps, within float32 rounding (the GEMMs accumulate in another order); stride, padding,
  // dilation, odd sizes, more samples than groups (uneven last group), bias or none, β 0 (over NaN) and 1.
  // The last five are smallConv (c·kh·kw ≤ 32, stride 1: the direct kernels for forward and ∂W):
  // 3×3 on one and three planes with rows of 11 and 6 (a tail past the fours), 2×2 and 5×5
  // (the generic taps: 4-row and 4-channel blocks with their remainders), a 1×1 with padding, and
  // a 3×3 whose output is one row of 3 (no f32x4 step at all).
  const CONV_SHAPES = [[3, 4, 9, 8, 5, 3, 1, 1, 1], [2, 3, 7, 7, 6, 3, 2, 1, 1], [1, 2, 8, 9, 4, 3, 1, 2, 2], [37, 3, 6, 5, 7, 2, 1, 0, 1],
    [5, 1, 9, 11, 6, 3, 1, 1, 1], [3, 3, 7, 6, 5, 3, 1, 0, 1], [4, 2, 10, 9, 7, 2, 1, 1, 1], [2, 1, 10, 7, 5, 5, 1, 2, 1], [3, 2, 5, 6, 9, 1, 1, 1, 1],
    [2, 2, 3, 5, 3, 3, 1, 0, 1]];
  // 3×3, stride 1, ≥ 16 planes each way: Winograd F(2×2, 3×3) forward and ∂x (winogradFits):
  // odd output sizes (partial tiles), padding 0–2 (∂x's correlation then pads 2 − p), a row of
  // exactly four tiles (ow 7), rows of 5–7 tiles (the last four overlap), 37 samples (uneven groups).
  const WINOGRAD_SHAPES = [[3, 16, 9, 13, 24, 3, 1, 1, 1], [2, 16, 10, 12, 16, 3, 1, 0, 1], [1, 20, 7, 9, 16, 3, 1, 2, 1], [5, 16, 8, 7, 18, 3, 1, 1, 1],
    [37, 16, 8, 8, 16, 3, 1, 1, 1]];
  CONV_SHAPES.push(...WINOGRAD_SHAPES);
  const convGeometry = (h: number, w: number, k: number, st: number, p: number, d: number) => {
    const oh = Math.floor((h + 2 * p - d * (k - 1) - 1) / st) + 1, ow = Math.floor((w + 2 * p - d * (k - 1) - 1) / st) + 1;
    return { h, w, kh: k, kw: k, sh: st, sw: st, ph: p, pw: p, dh: d, dw: d, oh, ow };
  };
  it('the Winograd shapes take the Winograd kernels, and only they', () => {
    for (const [, c, h, w, o, k, st, p, d] of WINOGRAD_SHAPES) {
      const g = convGeometry(h, w, k, st, p, d);
      expect(winogradFits(c, o, g), `forward ${c} → ${o} ${h}×${w} p${p}`).toBe(true);
      expect(winogradFits(o, c, { ...g, h: g.oh, w: g.ow, ph: 2 - p, pw: 2 - p, oh: h, ow: w }), `∂x ${c} → ${o}`).toBe(true);
    }
    for (const [, c, h, w, o, k, st, p, d] of CONV_SHAPES.slice(0, -WINOGRAD_SHAPES.length)) expect(winogradFits(c, o, convGeometry(h, w, k, st, p, d))).toBe(false);
  });
  it('the fused per-sample convolution kernels equal the reference within float32 rounding', () => {
    for (const B of [W, PLAIN]) {
      for (const [n, c, h, w, o, k, st, p, d] of CONV_SHAPES) {
        const g = convGeometry(h, w, k, st, p, d);
        const kk = c * k * k, l = g.oh * g.ow, what = `${n}×${c}×${h}×${w} → ${o}, k${k} s${st} p${p} d${d}`;
        const [x, xr] = pair(n * c * h * w, -2, 2, B), [wt, wr] = pair(o * kk, -1, 1, B), [bias, biasr] = pair(o, -1, 1, B);
        for (const withBias of [true, false]) {
          const y = B.alloc(n * o * l, 'float32') as Float32Array, yr = new Float32Array(y.length);
          y.fill(NaN); yr.fill(NaN);
          B.convForward(x, n, c, g, wt, o, withBias ? bias : null, y);
          reference.convForward(xr, n, c, g, wr, o, withBias ? biasr : null, yr);
          close(y, yr, 1e-5, `convForward ${what} bias ${withBias}`);
        }
        const [gy, gyr] = pair(n * o * l, -2, 2, B), [gx, gxr] = pair(x.length, -1, 1, B);
        B.convBackwardData(gy, n, c, g, wt, o, gx, 1);
        reference.convBackwardData(gyr, n, c, g, wr, o, gxr, 1);
        close(gx, gxr, 1e-5, `convBackwardData ${what}`);
        const gx0 = (B.alloc(x.length, 'float32') as Float32Array).fill(NaN), gx0r = new Float32Array(x.length).fill(NaN);
        B.convBackwardData(gy, n, c, g, wt, o, gx0, 0);
        reference.convBackwardData(gyr, n, c, g, wr, o, gx0r, 0);
        close(gx0, gx0r, 1e-5, `convBackwardData ${what} β 0`);
        for (const beta of [0, 1]) {
          const [gw, gwr] = pair(o * kk, -1, 1, B);
          if (beta === 0) { gw.fill(NaN); gwr.fill(NaN); }
          B.convBackwardWeight(gy, x, n, c, g, o, gw, beta, null, 0);
          reference.convBackwardWeight(gyr, xr, n, c, g, o, gwr, beta, null, 0);
          close(gw, gwr, 1e-5, `convBackwardWeight ${what} β ${beta}`);
          // With the bias gradient in the same pass (β_b = β; over NaN for 0): ∂W unchanged.
          const gw2 = (B.alloc(o * kk, 'float32') as Float32Array).fill(beta ? 0.5 : NaN), gw2r = new Float32Array(o * kk).fill(beta ? 0.5 : NaN);
          const gb = (B.alloc(o, 'float32') as Float32Array).fill(beta ? -0.25 : NaN), gbr = new Float32Array(o).fill(beta ? -0.25 : NaN);
          B.convBackwardWeight(gy, x, n, c, g, o, gw2, beta, gb, beta);
          reference.convBackwardWeight(gyr, xr, n, c, g, o, gw2r, beta, gbr, beta);
          close(gw2, gw2r, 1e-5, `convBackwardWeight ${what} β ${beta} with bias`);
          close(gb, gbr, 1e-5, `convBackwardWeight ${what} bias gradient β ${beta}`);
        }
      }
    }
  });
  // A batch sliced from a dataset's JS arrays (or moved out at a step boundary) is not in wasm
  // memory: the conv kernels copy it in and run in wasm, as GEMM does, not on the reference loops
  // (which took 10 s for `gradlab train --model cnn`'s test-set evaluation): the same bits as with
  // every operand in wasm memory, and the reference kernels never called.
  it('conv kernels on operands outside wasm memory run in wasm (copied in and out), bit for bit', () => {
    const names = ['convForward', 'convBackwardData', 'convBackwardWeight'] as const;
    const saved = names.map((nm) => reference[nm]);
    for (const [n, c, h, w, o, k, st, p, d] of [CONV_SHAPES[0], CONV_SHAPES[4]]) {
      const g = convGeometry(h, w, k, st, p, d);
      const kk = c * k * k, l = g.oh * g.ow;
      const [x, xj] = pair(n * c * h * w, -2, 2, W), [wt, wj] = pair(o * kk, -1, 1, W), [bias, bj] = pair(o, -1, 1, W), [gy, gyj] = pair(n * o * l, -2, 2, W);
      const run = (xs: Float32Array, ws: Float32Array, bs: Float32Array, gys: Float32Array, mk: (len: number) => Float32Array) => {
        const y = mk(n * o * l), gx = mk(x.length).fill(0.5), gw = mk(o * kk).fill(0.25), gb = mk(o).fill(-1);
        W.convForward(xs, n, c, g, ws, o, bs, y);
        W.convBackwardData(gys, n, c, g, ws, o, gx, 1);
        W.convBackwardWeight(gys, xs, n, c, g, o, gw, 1, gb, 1);
        return [y, gx, gw, gb].map((a) => Array.from(a));
      };
      const inWasm = run(x, wt, bias, gy, (len) => W.alloc(len, 'float32') as Float32Array);
      expect(W.owns(xj)).toBe(false);
      names.forEach((nm) => ((reference as unknown as Record<string, unknown>)[nm] = () => { throw new Error(`reference ${nm} called`); }));
      try {
        expect(run(xj, wj, bj, gyj, (len) => new Float32Array(len))).toEqual(inWasm);
      } finally {
        names.forEach((nm, i) => ((reference as unknown as Record<string, unknown>)[nm] = saved[i]));
      }
    }
  });
  it.each([[21, 8, 14, 14, 16, 3], [21, 16, 14, 14, 24, 3]])('threaded fused convolution kernels (groups of samples, fixed for ∂W) equal the single-threaded ones bit for bit: %i × %i × %i × %i → %i (the second by Winograd)', async (n, c, h, w, o, k) => {
    const g = convGeometry(h, w, k, 1, 1, 1);
    const kk = c * k * k, l = g.oh * g.ow;
    const [x] = pair(n * c * h * w), [wt] = pair(o * kk), [bias] = pair(o), [gy] = pair(n * o * l);
    expect(n * kk * l).toBeGreaterThan(ELEMENTWISE_MIN);
    const run = () => {
      const y = W.alloc(n * o * l, 'float32') as Float32Array, gx = W.alloc(x.length, 'float32') as Float32Array, gw = W.alloc(o * kk, 'float32') as Float32Array;
      W.convForward(x, n, c, g, wt, o, bias, y);
      W.convBackwardData(gy, n, c, g, wt, o, gx, 0);
      const gb = W.alloc(o, 'float32') as Float32Array;
      W.convBackwardWeight(gy, x, n, c, g, o, gw, 0, gb, 0);
      return [y, gx, gw, gb].map((a) => Array.from(a));
    };
    W.pool.setThreads(1);
    const single = run();
    W.pool.setThreads(3);
    const deadline = Date.now() + 5000;
    while (W.pool.readyWorkers() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(W.pool.readyWorkers()).toBe(2);
    const adaptive = W.pool.adaptive;
    W.pool.adaptive = false;
    const rounds = W.pool.rounds;
    const threaded = run();
    expect(W.pool.rounds - rounds).toBe(3);
    W.pool.adaptive = adaptive;
    expect(threaded).toEqual(single);
    W.pool.setThreads(1);
  });
  it('threaded direct (smallConv) kernels equal the single-threaded ones bit for bit: the benchmark\'s first layer on 24 samples', async () => {
    const [n, c, h, w, o, k] = [24, 1, 28, 28, 32, 3];
    const g = convGeometry(h, w, k, 1, 1, 1);
    const kk = c * k * k, l = g.oh * g.ow;
    const [x] = pair(n * c * h * w), [wt] = pair(o * kk), [bias] = pair(o), [gy] = pair(n * o * l);
    const run = () => {
      const y = W.alloc(n * o * l, 'float32') as Float32Array, gw = W.alloc(o * kk, 'float32') as Float32Array;
      W.convForward(x, n, c, g, wt, o, bias, y);
      const gb = W.alloc(o, 'float32') as Float32Array;
      W.convBackwardWeight(gy, x, n, c, g, o, gw, 0, gb, 0);
      return [y, gw, gb].map((a) => Array.from(a));
    };
    W.pool.setThreads(1);
    const single = run();
    W.pool.setThreads(3);
    const deadline = Date.now() + 5000;
    while (W.pool.readyWorkers() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const adaptive = W.pool.adaptive;
    W.pool.adaptive = false;
    const rounds = W.pool.rounds;
    const threaded = run();
    expect(W.pool.rounds - rounds).toBe(2);
    W.pool.adaptive = adaptive;
    expect(threaded).toEqual(single);
    W.pool.setThreads(1);
  });
});

describe('optimizers', () => {
  function run(step: (k: Kernels, arrs: Float32Array[], first: boolean) => void, count: number): void {
    for (const n of [1, 7, 1029]) {
      const ws: Float32Array[] = [], rs: Float32Array[] = [];
      for (let i = 0; i < count; i++) {
        const [w, r] = i >= 2 ? zeros(n) : pair(n);
        ws.push(w); rs.push(r);
      }
      for (let s = 1; s <= 3; s++) {
        const [g, gr] = pair(n);
        ws[1].set(g); rs[1].set(gr);
        step(W, ws, s === 1); step(reference, rs, s === 1);
      }
      for (let i = 0; i < count; i++) close(ws[i], rs[i], 2e-5, `state ${i}`);
    }
  }
  it('sgd (momentum, nesterov, weight decay)', () => {
    run((k, [param, grad, buf], first) => k.sgdStep({ param, grad, buf, firstStep: first, lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0.01 }), 3);
    run((k, [param, grad, buf], first) => k.sgdStep({ param, grad, buf, firstStep: first, lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 }), 3);
    run((k, [param, grad]) => k.sgdStep({ param, grad, buf: null, firstStep: false, lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 }), 2);
  });
  it('adam, adamw, amsgrad', () => {
    let t = 0;
    run((k, [param, grad, m, v]) => k.adamStep({ param, grad, m, v, vMax: null, lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupledWeightDecay: 0, step: (t++ >> 1) + 1 }), 4);
    t = 0;
    run((k, [param, grad, m, v, vMax]) => k.adamStep({ param, grad, m, v, vMax, lr: 1e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01, decoupledWeightDecay: 0.1, step: (t++ >> 1) + 1 }), 5);
  });
  it('rmsprop (centred, momentum)', () => {
    run((k, [param, grad, squareAvg]) => k.rmspropStep({ param, grad, squareAvg, gradAvg: null, momentumBuf: null, lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0 }), 3);
    run((k, [param, grad, squareAvg, gradAvg, momentumBuf]) => k.rmspropStep({ param, grad, squareAvg, gradAvg, momentumBuf, lr: 0.01, alpha: 0.9, eps: 1e-6, weightDecay: 0.01, momentum: 0.9 }), 5);
  });
});

describe('allocator', () => {
  it('reuses freed blocks of the same size class', () => {
    const a = W.alloc(1000, 'float32') as Float32Array;
    const off = a.byteOffset;
    a[5] = 7;
    W.free(a);
    const b = W.alloc(1000, 'float32') as Float32Array;
    expect(b.byteOffset).toBe(off);
    expect(b[5]).toBe(0); // zero-filled on reuse
    W.free(b);
  });
  it('fresh blocks from the top of the heap are zero without a fill', () => {
    const a = W.alloc(300000, 'float32') as Float32Array;
    expect(a.every((v) => v === 0)).toBe(true);
    a.fill(3);
    W.free(a);
    const b = W.alloc(300000, 'float32') as Float32Array;
    expect(b.every((v) => v === 0)).toBe(true);
    W.free(b);
  });
  it('keeps memory flat over a loop that allocates and frees the same sizes', () => {
    const sizes = [128 * 784, 128 * 256, 256 * 784, 128 * 10, 256];
    const step = () => {
      const xs = sizes.map((s) => W.alloc(s, 'float32') as Float32Array);
      for (const x of xs) W.free(x);
    };
    step();
    const before = W.heap.reservedBytes;
    for (let i = 0; i < 200; i++) step();
    expect(W.heap.reservedBytes).toBe(before);
  });
  it('hands a freed view out again for the same length; another length in its size class takes the block', () => {
    const a = W.alloc(1000, 'float32') as Float32Array;
    const live = W.heap.liveBytes;
    a[7] = 5;
    W.free(a);
    expect(W.heap.liveBytes).toBeLessThan(live);
    const b = W.alloc(1000, 'float32', false) as Float32Array;
    expect(b).toBe(a); // the same view object: no allocation, no registry call
    expect(W.heap.liveBytes).toBe(live);
    W.free(b);
    const c = W.alloc(1000, 'float32') as Float32Array;
    expect(c).toBe(a);
    expect(c[7]).toBe(0); // zero-filled when asked
    W.free(c);
    // 1001 floats are in 1000's size class: the block is reused (no growth), with a new view.
    const top = W.heap.reservedBytes;
    const d = W.alloc(1001, 'float32') as Float32Array;
    expect(d).not.toBe(a);
    expect(d.byteOffset).toBe(a.byteOffset);
    expect(W.heap.reservedBytes).toBe(top);
    W.free(a); // a no longer owns a block: ignored
    const e = W.alloc(1000, 'float32') as Float32Array;
    expect(e.byteOffset).not.toBe(d.byteOffset);
    W.free(d);
    W.free(e);
  });
  it('ignores free of foreign arrays, subarrays and double frees', () => {
    const a = W.alloc(64, 'float32') as Float32Array;
    W.free(new Float32Array(4));
    W.free(a.subarray(0, 8));
    W.free(a);
    W.free(a);
    const b = W.alloc(64, 'float32') as Float32Array;
    const c = W.alloc(64, 'float32') as Float32Array;
    expect(b.byteOffset).not.toBe(c.byteOffset);
  });
  it('old views stay valid after the memory grows', () => {
    const a = W.alloc(16, 'float32') as Float32Array;
    a[3] = 42;
    const big = W.alloc(64 * 1024 * 1024 / 4, 'float32') as Float32Array; // forces a grow
    expect(W.owns(a)).toBe(true);
    expect(W.owns(big)).toBe(true);
    expect(a[3]).toBe(42);
    W.axpy(1, a, a);
    expect(a[3]).toBe(84);
    W.free(big);
  });
});

describe('batched optimizer updates (adamSteps, sgdSteps, rmspropSteps)', () => {
  // Lengths that are not multiples of 4 put tensors at rounded-up offsets and leave scalar tails;
  // 2600 > 1024 spans several blocks of a saving update.
  const LENGTHS = [1, 7, 2600, 4, 1029];
  type Kind = 'adam' | 'sgd' | 'rmsprop';
  /** Per-parameter args over `arrays` (param, grad, state…), options varying by parameter as parameter groups do. */
  function argsFor(kind: Kind, j: number, s: number, a: Float32Array[]): never {
    const [param, grad, x, y, z] = a;
    if (kind === 'adam') return { param, grad, m: x, v: y, vMax: j % 2 ? z : null, lr: 1e-3 * (j + 1), beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: j === 2 ? 0.01 : 0, decoupledWeightDecay: j === 3 ? 0.1 : 0, step: s + j } as never;
    if (kind === 'sgd') return { param, grad, buf: j === 0 ? null : x, firstStep: s === 1, lr: 0.1, momentum: j === 0 ? 0 : 0.9, dampening: j === 1 ? 0.1 : 0, nesterov: j === 2, weightDecay: j === 4 ? 0.01 : 0 } as never;
    return { param, grad, squareAvg: x, gradAvg: j % 2 ? y : null, momentumBuf: j >= 2 ? z : null, lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: j === 4 ? 0.01 : 0, momentum: j >= 2 ? 0.9 : 0 } as never;
  }
  const batched = (k: Kernels, kind: Kind) => (kind === 'adam' ? k.adamSteps.bind(k) : kind === 'sgd' ? k.sgdSteps.bind(k) : k.rmspropSteps.bind(k)) as (args: never[], save: (FloatArray | null)[]) => boolean;
  const single = (k: Kernels, kind: Kind) => (kind === 'adam' ? k.adamStep.bind(k) : kind === 'sgd' ? k.sgdStep.bind(k) : k.rmspropStep.bind(k)) as (args: never) => void;

  for (const kind of ['adam', 'sgd', 'rmsprop'] as Kind[]) {
    it(`${kind}: each parameter as its single-tensor kernel (bit for bit) and the reference (≤ 2e-5), on both builds; the copy before and the check`, () => {
      for (const B of [W, PLAIN]) {
        // Three copies of the same state: batched on B, single on B, single on the reference.
        // State starts at zero as in training (a centred RMSprop's v − ḡ² must stay ≥ 0).
        const states = LENGTHS.map((n) => [pair(n, -2, 2, B)[0], pair(n, -2, 2, B)[0], B.alloc(n, 'float32') as Float32Array, B.alloc(n, 'float32') as Float32Array, B.alloc(n, 'float32') as Float32Array]);
        const copy = (onB: boolean) => states.map((arrs) => arrs.map((a) => { const c = onB ? (B.alloc(a.length, 'float32') as Float32Array) : new Float32Array(a.length); c.set(a); return c; }));
        const [sb, ss, sr] = [states, copy(true), copy(false)];
        const save = LENGTHS.map((n, j) => (j === 1 ? null : (B.alloc(n, 'float32') as Float32Array)));
        for (let s = 1; s <= 3; s++) {
          const before = sb.map((a) => Float32Array.from(a[0]));
          expect(batched(B, kind)(sb.map((a, j) => argsFor(kind, j, s, a)), save)).toBe(true);
          sb.forEach((_, j) => {
            single(B, kind)(argsFor(kind, j, s, ss[j]));
            single(reference, kind)(argsFor(kind, j, s, sr[j]));
            if (save[j]) expect(Array.from(save[j]!)).toEqual(Array.from(before[j]));
          });
        }
        sb.forEach((arrs, j) => arrs.forEach((a, i) => {
          expect(Array.from(a), `${kind} ${B.name} parameter ${j} array ${i}`).toEqual(Array.from(ss[j][i]));
          close(a, sr[j][i], 2e-5, `${kind} ${B.name} parameter ${j} array ${i}`);
        }));
        // An update that overflows: false when its parameter is saved (and checked), true when not.
        const big = sb.map((a, j) => {
          const args = argsFor(kind, j, 4, a) as { lr: number; grad: Float32Array };
          if (j === 1 || j === 2) args.lr = 3e38;
          if (j === 1 || j === 2) args.grad.fill(kind === 'rmsprop' ? 1e30 : 1e10);
          return args as never;
        });
        const onlyUnsaved = save.map((x, j) => (j === 2 ? null : x));
        const snapshot = sb.map((a) => a.map((x) => Float32Array.from(x)));
        expect(batched(B, kind)(big, onlyUnsaved)).toBe(true);
        expect(B.allFinite(sb[1][0]) && B.allFinite(sb[2][0])).toBe(false);
        sb.forEach((a, j) => a.forEach((x, i) => x.set(snapshot[j][i])));
        const again = sb.map((a, j) => {
          const args = argsFor(kind, j, 4, a) as { lr: number };
          if (j === 2) args.lr = 3e38;
          return args as never;
        });
        expect(batched(B, kind)(again, save)).toBe(false);
        expect(Array.from(save[2]!)).toEqual(Array.from(snapshot[2][0]));
      }
    });
  }

  it('no parameter with a gradient: nothing to do, and finite', () => {
    for (const B of [W, PLAIN]) for (const k of ['adam', 'sgd', 'rmsprop'] as Kind[]) expect(batched(B, k)([], [])).toBe(true);
  });

  it('threaded: one pool round for all parameters, equal to one thread bit for bit', async () => {
    W.pool.setThreads(3);
    const deadline = Date.now() + 5000;
    while (W.pool.readyWorkers() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(W.pool.readyWorkers()).toBe(2);
    const lengths = [ELEMENTWISE_MIN + 3, 7, ELEMENTWISE_MIN * 2 + 1, 10];
    const start = lengths.map((n) => [pair(n)[0], pair(n)[0]]);
    const run = (threads: number): Float32Array[] => {
      W.pool.setThreads(threads);
      const out: Float32Array[] = [];
      const rounds = W.pool.rounds;
      for (const kind of ['adam', 'sgd', 'rmsprop'] as Kind[]) {
        const st = start.map((arrs) => [...arrs.map((a) => { const w = W.alloc(a.length, 'float32') as Float32Array; w.set(a); return w; }), ...[0, 1, 2].map(() => W.alloc(arrs[0].length, 'float32') as Float32Array)]);
        const save = lengths.map((n) => W.alloc(n, 'float32') as Float32Array);
        for (let s = 1; s <= 3; s++) expect(batched(W, kind)(st.map((a, j) => argsFor(kind, j, s, a)), save)).toBe(true);
        out.push(...st.flat(), ...save);
      }
      expect(W.pool.rounds - rounds).toBe(threads > 1 ? 9 : 0);
      return out;
    };
    const one = run(1);
    const three = run(3);
    three.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(one[i])));
    W.pool.setThreads(1);
  });
});

describe('allFinite', () => {
  it('finds ±∞ and NaN at every position of short arrays (unrolled body and tail), and passes the largest finite values, on the reference and both builds', () => {
    for (const k of [reference, W, PLAIN] as Kernels[]) {
      for (let n = 1; n <= 20; n++) {
        const x = k === reference ? new Float32Array(n) : (k.alloc(n, 'float32') as Float32Array);
        x.fill(3.4e38);
        x[0] = -3.4e38;
        expect(k.allFinite(x), `${k.name} n ${n}`).toBe(true);
        for (let i = 0; i < n; i++) {
          for (const bad of [Infinity, -Infinity, NaN]) {
            const keep = x[i];
            x[i] = bad;
            expect(k.allFinite(x), `${k.name} n ${n}: ${bad} at ${i}`).toBe(false);
            x[i] = keep;
          }
        }
      }
    }
    const d = Float64Array.from({ length: 19 }, () => 1.7e308);
    expect(reference.allFinite(d)).toBe(true);
    d[17] = -Infinity;
    expect(reference.allFinite(d)).toBe(false);
  });
});
