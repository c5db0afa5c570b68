/**
 * The WebAssembly backend's entry: load (sync in Node, async anywhere) and build the kernels.
 */
import { createWasmBackend, type WasmBackend } from './backend.js';
import { loadAsync, loadSync, type WasmVariant } from './loader.js';

export { createWasmBackend, THREAD_MIN_MNK, type WasmBackend } from './backend.js';
export { availableCores } from './threads.js';

/**
 * Build the backend synchronously, or null when this runtime lacks WebAssembly SIMD. `only`
 * asks for one variant (tests run the plain-SIMD kernels too, where relaxed SIMD is preferred).
 */
export function createWasmBackendSync(only?: WasmVariant): WasmBackend | null {
  const w = loadSync(only);
  return w ? createWasmBackend(w) : null;
}

export async function createWasmBackendAsync(): Promise<WasmBackend | null> {
  const w = await loadAsync();
  return w ? createWasmBackend(w) : null;
}
