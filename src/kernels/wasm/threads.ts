/**
 * Worker threads for GEMM. Each worker instantiates the same module on the same shared
 * memory, so a tile of C is computed in place with no copies. Synchronisation is a control
 * block in linear memory driven with Atomics:
 *   ctl[0] generation (bumped by the main thread to start a round), ctl[2] shutdown flag,
 *   ctl[4 + w] worker w ready, task w at TASK + w·16 (ints; α, β as f32) whose word 13 the
 *   worker sets to the generation it finished (per-worker completion, so a worker that
 *   starts mid-round can never be miscounted).
 * Workers spin briefly after a round before sleeping in Atomics.wait, because a training
 * step issues GEMMs back to back and a futex wake costs tens of microseconds.
 * Workers are unref'd (Node) so they never keep a process alive; `shutdown()` ends them.
 */
import type { LoadedWasm } from './loader.js';
import type { WasmHeap } from './memory.js';

const TASK = 16;
const TASK_INTS = 16;
export const MAX_WORKERS = 32;
const CTL_BYTES = (TASK + TASK_INTS * MAX_WORKERS) * 4;

const WORKER_SOURCE = `
const SPIN = 20000;
function start(msg, post) {
  const { module, memory, ctl, id, ws } = msg;
  const inst = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm abort'); } } });
  const gemm = inst.exports.gemm;
  const I = new Int32Array(memory.buffer, ctl, ${CTL_BYTES / 4});
  const F = new Float32Array(memory.buffer, ctl, ${CTL_BYTES / 4});
  // Read the generation before announcing readiness: a round started after the main thread
  // saw this worker ready is then always one this worker has not seen yet.
  let seen = Atomics.load(I, 0);
  Atomics.store(I, 4 + id, 1);
  for (;;) {
    let spins = 0;
    while (Atomics.load(I, 0) === seen) {
      if (++spins > SPIN) Atomics.wait(I, 0, seen);
    }
    if (Atomics.load(I, 2) !== 0) break;
    seen = Atomics.load(I, 0);
    const t = ${TASK} + id * ${TASK_INTS};
    if (I[t + 2] > 0) gemm(I[t], I[t + 1], I[t + 2], I[t + 3], I[t + 4], F[t + 5], I[t + 6], I[t + 7], I[t + 8], I[t + 9], F[t + 10], I[t + 11], I[t + 12], ws);
    Atomics.store(I, t + 13, seen);
    Atomics.notify(I, t + 13);
  }
}
if (typeof require === 'function' && typeof self === 'undefined') {
  const { parentPort } = require('node:worker_threads');
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
  private readonly isNode: boolean;
  private make: ((src: string) => WorkerLike) | null;
  private wanted = 1;

  constructor(wasm: LoadedWasm, heap: WasmHeap) {
    this.wasm = wasm;
    this.heap = heap;
    this.make = wasm.shared ? workerFactory() : null;
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
      this.I.fill(0);
    }
    while (this.workers.length < want) {
      const id = this.workers.length;
      const ws = this.heap.rawAlloc(this.wasm.exports.GEMM_SCRATCH_BYTES.value as number);
      const w = this.make(WORKER_SOURCE);
      w.unref?.();
      w.postMessage({ module: this.wasm.module, memory: this.wasm.memory, ctl: this.ctlOff, id, ws });
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
   * Run `tiles` GEMM tasks (one per worker, 0..count−1) while the caller runs its own tile via
   * `own()`, then wait for all of them.
   */
  run(tasks: Array<[number, number, number, number, number, number, number, number, number, number, number, number, number]>, own: () => void): void {
    const I = this.I!;
    const F = this.F!;
    for (let w = 0; w < tasks.length; w++) {
      const t = TASK + w * TASK_INTS;
      const [ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc] = tasks[w];
      I[t] = ta; I[t + 1] = tb; I[t + 2] = m; I[t + 3] = n; I[t + 4] = k; F[t + 5] = alpha;
      I[t + 6] = a; I[t + 7] = lda; I[t + 8] = b; I[t + 9] = ldb; F[t + 10] = beta; I[t + 11] = c; I[t + 12] = ldc;
    }
    // Workers without a task this round get m = 0 and only acknowledge.
    for (let w = tasks.length; w < this.workers.length; w++) I[TASK + w * TASK_INTS + 2] = 0;
    const gen = (Atomics.add(I, 0, 1) + 1) | 0;
    Atomics.notify(I, 0);
    own();
    for (let w = 0; w < tasks.length; w++) {
      const slot = TASK + w * TASK_INTS + 13;
      let spins = 0;
      for (;;) {
        const v = Atomics.load(I, slot);
        if (v === gen) break;
        if (++spins > 100000 && this.isNode) Atomics.wait(I, slot, v, 1);
      }
    }
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
