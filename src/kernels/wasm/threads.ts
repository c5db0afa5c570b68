/**
 * Worker threads for GEMM, the packing of its op(A) and the large elementwise kernels
 * (optimizer updates). Each worker instantiates the same module on the same shared memory,
 * so a block of C (or a range of parameters) is computed in place with no copies.
 *
 * Scheduling is dynamic: a GEMM is cut into a few chunks (column or row blocks of C, see
 * backend.ts) and every thread — the caller included — claims chunks from a shared counter
 * until none is left. On a loaded machine a worker that is descheduled simply claims fewer
 * chunks (the caller does them), so two threads are never much slower than one; on an idle
 * machine the split is even.
 *
 * Control block in linear memory (Int32, driven with Atomics):
 *   ctl[0] generation (bumped by the caller to start a round), ctl[1] claim word
 *   (generation << 12 | next chunk: a thread that is late for a round cannot claim a chunk of
 *   the next one), ctl[2] shutdown flag, ctl[3] chunks finished, ctl[4 + w] worker w ready,
 *   ctl[TASK…] the GEMM and its chunking (ints; α, β as f32), ctl[TASK + 16] how long workers
 *   spin after this round, ctl[TASK + 17] op(A) packed once for all column chunks (or 0),
 *   ctl[TASK + 18] the task kind: 0 GEMM, 1 + i the kernel SPLIT_KERNELS[i] (pointer arguments
 *   at ctl[ELEM…], float64 scalars at ELEM_F64, element count and chunk size),
 *   ctl[TASK + 19] the GEMM's packing chunks, ctl[TASK + 20] MR-row slivers per packing chunk.
 * A GEMM whose op(A) is packed once is one round: its first chunks pack ranges of slivers, the
 * rest are blocks of C, and a thread that claims a block of C first waits until every packing
 * chunk is finished (chunks are claimed in order, so by then all are claimed). It was two rounds,
 * the packing and the product, each paying the wake-up and the wait for the slowest thread.
 * Workers spin briefly after a round before sleeping in Atomics.wait, because a training
 * step issues GEMMs back to back and a futex wake costs tens of microseconds.
 * Workers are unref'd (Node) so they never keep a process alive; `shutdown()` ends them.
 */
import type { LoadedWasm } from './loader.js';
import type { WasmHeap } from './memory.js';
import type { NativeGemm } from './native.js';

export const MAX_WORKERS = 32;
/**
 * Atomics.load polls (≈ 50–100 µs) a worker spins after a round before sleeping: long enough
 * to bridge the gaps between the GEMMs of one training step, short enough not to burn a
 * busy machine's CPU (2·10⁶ measured slower under load).
 */
const WORKER_SPIN = 100000;
const TASK = 4 + MAX_WORKERS;
const TASK_INTS = 21;
/**
 * Kernels other than GEMM that the pool splits into ranges. Elementwise ones are called as
 * f(p₀…p_{P−1}, s₀…s_{S−1}, count), with P pointers (byte offsets, 0 = absent, advanced by
 * 4·start for a chunk) and S scalars; range kernels (P = −1 in the task) as
 * f(s₀…s_{S−1}, start, count, ws) (ws: the thread's GEMM scratch) — a Linear layer's bias and
 * activation, whose range is of rows (forward) or of 4-column groups (backward, so each column's
 * bias sum stays whole), the BatchNorm kernels, of channels, max pooling's, of planes, a
 * convolution's per-sample products or direct kernels, of groups of samples, and the optimizer
 * updates of all parameters at once, of elements of their concatenation.
 */
export const SPLIT_KERNELS = ['adamStep', 'sgdStep', 'rmspropStep', 'biasActivationRange', 'biasActivationBackwardRange', 'batchNormRange', 'batchNormBackwardRange', 'maxPool2dRange', 'maxPool2dBackwardRange', 'unarySplit', 'unaryBackwardSplit', 'convForwardRange', 'convBackwardDataRange', 'convBackwardWeightRange', 'optimizerStepsRange', 'convDirectForwardRange', 'convDirectBackwardWeightRange', 'convWinogradRange'] as const;
export type SplitKernel = (typeof SPLIT_KERNELS)[number];
const MAX_PTRS = 8;
/** batchNormRange takes 14 arguments before its range. */
const MAX_SCALARS = 16;
/** Split-kernel task: [kernel index, P, S, count, chunk size, pointers…]. */
const ELEM = TASK + TASK_INTS;
const ELEM_INTS = 5 + MAX_PTRS;
/** float64 scalars (index into a Float64Array over the control block; 8-byte aligned). */
const ELEM_F64 = (ELEM + ELEM_INTS + 1) >> 1;
const CTL_BYTES = (ELEM_F64 + MAX_SCALARS) * 8;
/** Chunks per round are limited by the 12 low bits of the claim word. */
const MAX_CHUNKS = 4095;

/**
 * Claim and run chunks of the current round; shared verbatim by the workers (as source) and
 * the calling thread. T is the task base. A GEMM's first `npack` chunks pack `pstep` slivers
 * of op(A) each; the others are blocks of `step` columns (split = 1) or rows (split = 0) of C;
 * a split kernel's chunk is a range of `step` elements (or units).
 */
function runChunks(I: Int32Array, F: Float32Array, D: Float64Array, gen: number, gemm: (...a: number[]) => void, packA: (...a: number[]) => void, split: ((...a: number[]) => void)[], ws: number, T: number, E: number, EF: number): number {
  const nch = I[T + 13];
  const tag = (gen & 0xfffff) << 12;
  const kind = I[T + 18];
  const npack = kind === 0 ? I[T + 19] : 0;
  let done = 0;
  for (;;) {
    const v = Atomics.load(I, 1);
    if ((v & ~0xfff) !== tag) return done;
    const ci = v & 0xfff;
    if (ci >= nch) return done;
    if (Atomics.compareExchange(I, 1, v, v + 1) !== v) continue;
    done++;
    if (kind > 0) {
      const np = I[E + 1], ns = I[E + 2], step = I[E + 4];
      const start = ci * step;
      const args: number[] = [];
      for (let i = 0; i < np; i++) args.push(I[E + 5 + i] === 0 ? 0 : I[E + 5 + i] + start * 4);
      for (let i = 0; i < ns; i++) args.push(D[EF + i]);
      if (np < 0) args.push(start); // a range kernel: (scalars…, start, count, ws)
      args.push(Math.min(step, I[E + 3] - start));
      // The thread's GEMM scratch, for the range kernels that multiply (a convolution's
      // samples); the others ignore the extra argument.
      if (np < 0) args.push(ws);
      split[kind - 1](...args);
    } else if (ci < npack) {
      const pstep = I[T + 20];
      packA(I[T], I[T + 2], I[T + 4], I[T + 6], I[T + 7], I[T + 17], ci * pstep, pstep);
    } else {
      // Chunks finish only after the packing has (they wait here), so the count of finished
      // chunks reaches npack exactly when every packing chunk is done.
      while (Atomics.load(I, 3) < npack);
      const ta = I[T], tb = I[T + 1], lda = I[T + 7], ldb = I[T + 9], ldc = I[T + 12], step = I[T + 15];
      let m = I[T + 2], n = I[T + 3], a = I[T + 6], b = I[T + 8], c = I[T + 11], ap = 0;
      const gi = ci - npack;
      if (I[T + 14] === 1) {
        ap = I[T + 17];
        const j0 = gi * step;
        n = Math.min(step, n - j0);
        b += tb ? j0 * ldb * 4 : j0 * 4;
        c += j0 * 4;
      } else {
        const i0 = gi * step;
        m = Math.min(step, m - i0);
        a += ta ? i0 * 4 : i0 * lda * 4;
        c += i0 * ldc * 4;
      }
      gemm(ta, tb, m, n, I[T + 4], F[T + 5], a, lda, b, ldb, F[T + 10], c, ldc, ws, ap);
    }
    Atomics.add(I, 3, 1);
    Atomics.notify(I, 3);
  }
}

const WORKER_SOURCE = `
const runChunks = ${runChunks.toString()};
function start(msg) {
  const { module, memory, ctl, id, ws, native } = msg;
  let hostGemm = null;
  const inst = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); }, hostGemm: (...a) => hostGemm(...a) } });
  let gemm = inst.exports.gemm;
  let packA = inst.exports.packA;
  if (native) {
    // The native GEMM (native.ts): the same addon, pointed at the same shared memory, for the
    // pool's GEMM chunks and for the products inside this instance's convolution kernels.
    const bound = nodeRequire(native).bind(new Uint8Array(memory.buffer));
    gemm = bound.gemm;
    packA = bound.packA;
    hostGemm = bound.gemm;
    inst.exports.setHostGemm(1);
  }
  const split = ${JSON.stringify(SPLIT_KERNELS)}.map((name) => inst.exports[name]);
  const I = new Int32Array(memory.buffer, ctl, ${CTL_BYTES / 4});
  const F = new Float32Array(memory.buffer, ctl, ${CTL_BYTES / 4});
  const D = new Float64Array(memory.buffer, ctl, ${CTL_BYTES / 8});
  // Read the generation before announcing readiness: only rounds started later are joined.
  let seen = Atomics.load(I, 0);
  Atomics.store(I, 4 + id, 1);
  for (;;) {
    let spins = 0;
    const limit = I[${TASK} + 16];
    while (Atomics.load(I, 0) === seen) {
      if (++spins > limit) Atomics.wait(I, 0, seen);
    }
    if (Atomics.load(I, 2) !== 0) break;
    seen = Atomics.load(I, 0);
    runChunks(I, F, D, seen, gemm, packA, split, ws, ${TASK}, ${ELEM}, ${ELEM_F64});
  }
}
// Node evaluates this as CommonJS, or as an ES module when the process runs with
// --input-type=module (workers inherit execArgv), where there is no require.
const nodeRequire = typeof require === 'function' ? require
  : typeof process === 'object' && process.getBuiltinModule ? process.getBuiltinModule('node:module').createRequire(process.cwd() + '/') : null;
if (nodeRequire !== null && typeof self === 'undefined') {
  const { parentPort } = nodeRequire('node:worker_threads');
  parentPort.once('message', (m) => start(m));
} else {
  self.onmessage = (e) => start(e.data);
}
`;

interface WorkerLike {
  postMessage(m: unknown): void;
  terminate(): unknown;
  unref?(): void;
}

type NodeWorkerCtor = new (src: string, opts: { eval: boolean }) => WorkerLike;

function workerFactory(): ((src: string) => WorkerLike) | null {
  const g = globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown; versions?: { node?: string } };
    Worker?: new (url: string) => WorkerLike;
    Blob?: typeof Blob;
    URL?: typeof URL;
  };
  if (g.process?.versions?.node) {
    const wt = g.process.getBuiltinModule?.('node:worker_threads') as { Worker: NodeWorkerCtor } | undefined;
    if (!wt) return null;
    return (src) => new wt.Worker(src, { eval: true });
  }
  if (typeof g.Worker === 'function' && g.Blob && g.URL) {
    const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    return () => new g.Worker!(url);
  }
  return null;
}

/** Cores this runtime reports (os.availableParallelism / navigator.hardwareConcurrency). */
export function availableCores(): number {
  const g = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown }; navigator?: { hardwareConcurrency?: number } };
  try {
    const os = g.process?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus(): unknown[] } | undefined;
    if (os) return Math.max(1, os.availableParallelism ? os.availableParallelism() : os.cpus().length);
  } catch {
    /* fall through */
  }
  return Math.max(1, g.navigator?.hardwareConcurrency ?? 1);
}

export class ThreadPool {
  private wasm: LoadedWasm;
  private heap: WasmHeap;
  private workers: WorkerLike[] = [];
  private ctlOff = -1;
  private I: Int32Array | null = null;
  private F: Float32Array | null = null;
  private D: Float64Array | null = null;
  private readonly gemm: (...a: number[]) => void;
  private readonly packA: (...a: number[]) => void;
  private readonly split: ((...a: number[]) => void)[];
  private readonly isNode: boolean;
  private make: ((src: string) => WorkerLike) | null;
  private wanted = 1;
  /** Split rounds run (statistics, benchmarks). */
  rounds = 0;
  /**
   * Let the backend choose per GEMM between the pool and the calling thread alone by measured
   * speed (see backend.ts); false always splits (benchmarks of raw multi-thread speed, tests).
   */
  adaptive = true;

  /** The native GEMM's addon path, loaded by each worker too (native.ts), or null. */
  private readonly nativePath: string | null;

  constructor(wasm: LoadedWasm, heap: WasmHeap, native: NativeGemm | null = null) {
    this.wasm = wasm;
    this.heap = heap;
    this.make = wasm.shared ? workerFactory() : null;
    const X = wasm.exports as unknown as Record<string, (...a: number[]) => void>;
    this.gemm = native?.gemm ?? X.gemm;
    this.packA = native?.packA ?? X.packA;
    this.nativePath = native?.path ?? null;
    this.split = SPLIT_KERNELS.map((name) => X[name]);
    this.isNode = !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  }

  get supported(): boolean {
    return this.make !== null;
  }

  /** Total threads to use including the caller's. Workers start lazily on the first large GEMM. */
  setThreads(n: number): void {
    this.wanted = Math.max(1, Math.min(n, MAX_WORKERS + 1));
  }

  private ensureWorkers(): void {
    if (!this.make) return;
    const want = this.wanted - 1;
    if (this.ctlOff < 0) {
      this.ctlOff = this.heap.rawAlloc(CTL_BYTES);
      this.I = this.heap.i32(this.ctlOff, CTL_BYTES / 4);
      this.F = this.heap.f32(this.ctlOff, CTL_BYTES / 4);
      this.D = this.heap.f64(this.ctlOff, CTL_BYTES / 8);
      this.I.fill(0);
    }
    while (this.workers.length < want) {
      const id = this.workers.length;
      const ws = this.heap.rawAlloc(this.wasm.exports.GEMM_SCRATCH_BYTES.value as number);
      const w = this.make(WORKER_SOURCE);
      w.unref?.();
      w.postMessage({ module: this.wasm.module, memory: this.wasm.memory, ctl: this.ctlOff, id, ws, native: this.nativePath });
      this.workers.push(w);
    }
  }

  /** Workers that have finished starting, capped by the requested thread count. */
  readyWorkers(): number {
    if (this.wanted <= 1 || !this.make) return 0;
    if (this.workers.length < this.wanted - 1) this.ensureWorkers();
    const I = this.I!;
    let n = 0;
    while (n < this.wanted - 1 && n < this.workers.length && Atomics.load(I, 4 + n) === 1) n++;
    return n;
  }

  /**
   * C ← α·op(A)·op(B) + β·C cut into `nch` chunks of `step` columns (splitN) or rows, run by
   * the caller (with its own scratch `ws`) and every ready worker; returns when all chunks are
   * done. `ap`: a block for op(A) packed once (column chunks share it), packed in the same
   * round in chunks of `packStep` MR-row slivers, or 0. `spin`: Atomics.load polls workers
   * spin after this round before sleeping (−1: WORKER_SPIN).
   */
  run(
    ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: number, lda: number,
    b: number, ldb: number, beta: number, c: number, ldc: number, nch: number, splitN: boolean, step: number,
    ws: number, ap: number, spin = -1, packStep = 0, slivers = 0,
  ): void {
    const I = this.I!;
    const F = this.F!;
    const T = TASK;
    I[T] = ta; I[T + 1] = tb; I[T + 2] = m; I[T + 3] = n; I[T + 4] = k; F[T + 5] = alpha;
    I[T + 6] = a; I[T + 7] = lda; I[T + 8] = b; I[T + 9] = ldb; F[T + 10] = beta; I[T + 11] = c; I[T + 12] = ldc;
    I[T + 14] = splitN ? 1 : 0; I[T + 15] = step;
    I[T + 17] = splitN ? ap : 0;
    const npack = splitN && ap !== 0 ? Math.ceil(slivers / packStep) : 0;
    I[T + 19] = npack; I[T + 20] = packStep;
    this.round(0, npack + nch, spin, ws);
  }

  /**
   * Kernel `name` over `count` elements cut into chunks of `step` (for elementwise kernels a
   * multiple of 4, so chunks stay 16-byte aligned): `ptrs` are byte offsets (0 = absent)
   * advanced by 4·start per chunk, `scalars` are passed unchanged; `ptrs` null: a range
   * kernel, called with (scalars…, start, count, ws), `ws` being the caller's GEMM scratch on
   * the calling thread and each worker's own on the workers. Needs readyWorkers() > 0.
   */
  runSplit(name: SplitKernel, ptrs: readonly number[] | null, scalars: readonly number[], count: number, step: number, ws = 0): void {
    const I = this.I!;
    const D = this.D!;
    const idx = SPLIT_KERNELS.indexOf(name);
    I[ELEM] = idx; I[ELEM + 1] = ptrs === null ? -1 : ptrs.length; I[ELEM + 2] = scalars.length; I[ELEM + 3] = count; I[ELEM + 4] = step;
    if (ptrs) for (let i = 0; i < ptrs.length; i++) I[ELEM + 5 + i] = ptrs[i];
    for (let i = 0; i < scalars.length; i++) D[ELEM_F64 + i] = scalars[i];
    this.round(idx + 1, Math.ceil(count / step), -1, ws);
  }

  /** Start a round of `nch` chunks of task `kind` (set up by the caller), join in, wait for the rest. */
  private round(kind: number, nch: number, spin: number, ws: number): void {
    if (nch > MAX_CHUNKS) throw new Error(`ThreadPool: ${nch} chunks in one round (at most ${MAX_CHUNKS})`);
    const I = this.I!;
    const T = TASK;
    I[T + 13] = nch; I[T + 16] = spin < 0 ? WORKER_SPIN : spin; I[T + 18] = kind;
    Atomics.store(I, 3, 0);
    const gen = (Atomics.load(I, 0) + 1) | 0;
    Atomics.store(I, 1, (gen & 0xfffff) << 12);
    Atomics.store(I, 0, gen);
    Atomics.notify(I, 0);
    runChunks(I, this.F!, this.D!, gen, this.gemm, this.packA, this.split, ws, T, ELEM, ELEM_F64);
    // Wait for chunks other threads claimed (only those: unclaimed ones were run above).
    let spins = 0;
    for (;;) {
      const v = Atomics.load(I, 3);
      if (v >= nch) break;
      if (++spins > 20000 && this.isNode) Atomics.wait(I, 3, v, 0.2);
    }
    this.rounds++;
  }

  shutdown(): void {
    if (this.I) {
      Atomics.store(this.I, 2, 1);
      Atomics.add(this.I, 0, 1);
      Atomics.notify(this.I, 0);
    }
    for (const w of this.workers) w.terminate();
    this.workers = [];
    if (this.I) {
      this.I.fill(0);
    }
  }
}
