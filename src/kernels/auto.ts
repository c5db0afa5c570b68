/**
 * Automatic backend selection. Importing this module (src/index.ts does) makes the fastest
 * available backend active:
 * - Node: the WebAssembly SIMD backend is compiled synchronously at import, so the first
 *   op already runs on it ('wasm-relaxed-simd' where the engine has relaxed SIMD, else
 *   'wasm-simd');
 * - browsers: compiled asynchronously (main-thread sync compiles are size-limited); the
 *   reference backend serves until `ready()` resolves, then the wasm backend takes over.
 *   Tensors allocated before the switch stay plain Float32Arrays and keep working (the wasm
 *   kernels treat them as foreign: reference loops, or staging copies for GEMM).
 * GRADLAB_BACKEND=reference (environment variable in Node, or globalThis.GRADLAB_BACKEND)
 * keeps the reference kernels. Threads default to the available cores unless
 * setNumThreads was called.
 */
import { getNumThreads, onNumThreadsChange, setBackend, setDefaultNumThreads } from './index.js';
import { availableCores, createWasmBackendAsync, createWasmBackendSync, type WasmBackend } from './wasm/index.js';

let wasmBackend: WasmBackend | null = null;
let readyPromise: Promise<void> = Promise.resolve();

function requested(): string | undefined {
  const g = globalThis as { GRADLAB_BACKEND?: string; process?: { env?: Record<string, string | undefined> } };
  return g.GRADLAB_BACKEND ?? g.process?.env?.GRADLAB_BACKEND;
}

function activate(b: WasmBackend): void {
  wasmBackend = b;
  onNumThreadsChange((n) => b.pool.setThreads(n));
  setBackend(b);
  b.pool.setThreads(getNumThreads());
  setDefaultNumThreads(availableCores());
}

function init(): void {
  const want = requested();
  if (want === 'reference') return;
  const isNode = !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  try {
    if (isNode) {
      const b = createWasmBackendSync();
      if (b) activate(b);
      else if (want && want !== 'auto') throw new Error(`GRADLAB_BACKEND=${want}: WebAssembly SIMD is not available`);
      return;
    }
  } catch (e) {
    if (want && want !== 'auto') throw e;
    return;
  }
  readyPromise = createWasmBackendAsync().then(
    (b) => {
      if (b) activate(b);
    },
    () => {
      /* no SIMD: the reference backend stays */
    },
  );
}

init();

/** Resolves once the fastest backend is active (immediately in Node). */
export function ready(): Promise<void> {
  return readyPromise;
}

/** The wasm backend if it was selected (for tests, benchmarks and diagnostics). */
export function getWasmBackend(): WasmBackend | null {
  return wasmBackend;
}

/** Stop the worker threads (they restart on demand); workers never keep Node alive anyway. */
export function shutdownThreads(): void {
  wasmBackend?.shutdownThreads();
}
