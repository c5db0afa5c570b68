/**
 * Backend selection. `K` is a live binding: ops call `K.gemm(…)` and see whichever
 * backend is active. The reference backend is always available; fast backends register
 * themselves and are chosen automatically when the runtime supports them.
 */
import type { DType, FloatArray, Kernels } from './types.js';
import { reference } from './reference.js';

export type { DType, FloatArray, Kernels } from './types.js';

/** The active kernels. */
export let K: Kernels = reference;

/** Make `k` the active backend (tests use this to run one suite on every backend). */
export function setBackend(k: Kernels): void {
  K = k;
}

/** Name of the active backend: 'reference' (plain TypeScript) or a fast one such as 'wasm-simd'. */
export function getBackend(): string {
  return K.name;
}

/**
 * Where matrix products run: 'native-avx512' or 'native-avx2' (Node on x86-64, the addon built
 * at install; the same numbers as the wasm GEMM bit for bit), 'wasm', or 'reference'.
 */
export function getGemmKernel(): 'native-avx512' | 'native-avx2' | 'wasm' | 'reference' {
  return K.gemmKernel ?? 'reference';
}

/** Worker threads used by kernels that split work; 1 in the reference backend. */
let numThreads = 1;
const threadListeners: Array<(n: number) => void> = [];

let numThreadsSetByUser = false;

/** Set the number of threads the fast kernels may use (≥ 1). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: n must be an integer ≥ 1, got ${n}`);
  numThreadsSetByUser = true;
  numThreads = n;
  for (const f of threadListeners) f(n);
}

/** A backend's default thread count (available cores); ignored once the user called setNumThreads. */
export function setDefaultNumThreads(n: number): void {
  if (numThreadsSetByUser) return;
  numThreads = n;
  for (const f of threadListeners) f(n);
}

export function getNumThreads(): number {
  return numThreads;
}

/** Backends that use threads subscribe to changes of the thread count. */
export function onNumThreadsChange(f: (n: number) => void): void {
  threadListeners.push(f);
}

let allocObserver: ((a: FloatArray) => void) | null = null;

/** Internal: autograd's stepScope watches which storage is allocated while it is open. */
export function setAllocObserver(f: ((a: FloatArray) => void) | null): void {
  allocObserver = f;
}

/**
 * Zero-filled storage for `n` elements: float64 always comes from the reference backend.
 * `zero` false: contents unspecified, for an output the caller writes in full before reading.
 */
export function alloc(n: number, dtype: DType = 'float32', zero = true): FloatArray {
  let a: FloatArray;
  try {
    a = dtype === 'float64' ? reference.alloc(n, 'float64', zero) : K.alloc(n, 'float32', zero);
  } catch (e) {
    // "WebAssembly.Memory.grow(): Maximum memory size exceeded" says nothing of the request.
    if (!(e instanceof RangeError)) throw e;
    throw new RangeError(`cannot allocate ${sizeInWords(n, dtype)}: out of memory (${e.message})`, { cause: e });
  }
  if (allocObserver !== null) allocObserver(a);
  return a;
}

/** "10,000,000,000 float32 elements (37.3 GiB)", and when that is past wasm32's 4 GiB, that too. */
function sizeInWords(n: number, dtype: DType): string {
  const bytes = n * (dtype === 'float64' ? 8 : 4);
  const gib = `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 3 : 1)} GiB`;
  return `${n.toLocaleString('en-US')} ${dtype} elements (${gib}${bytes > 2 ** 32 && dtype === 'float32' && getBackend() !== 'reference' ? ', more than the 4 GiB a WebAssembly memory can hold' : ''})`;
}

/**
 * alloc() for a tensor of `shape`: out of memory is a RangeError naming who asked and the shape
 * (`zeros(): cannot allocate a tensor of shape [100000, 100000]: …`), the one place every tensor
 * constructor and module parameter goes through, so no size reaches the wasm heap unexplained.
 */
export function allocShape(where: string, shape: readonly number[], dtype: DType = 'float32', zero = true): FloatArray {
  let n = 1;
  for (const d of shape) n *= d;
  try {
    return alloc(n, dtype, zero);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new RangeError(`${where}: cannot allocate a tensor of shape [${shape.join(', ')}]: ${e.message.replace(/^cannot allocate /, '')}`, { cause: e });
  }
}

export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? 'float64' : 'float32';
}
