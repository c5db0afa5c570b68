/**
 * The native GEMM (native/gemm.cc): in Node, where `npm run build` could compile it, the
 * WebAssembly backend's matrix products run there with 256-bit AVX2 FMAs instead of 128-bit
 * wasm SIMD, on the same shared memory and the same byte offsets. It computes the same numbers
 * bit for bit as the relaxed-SIMD wasm GEMM (same K blocks, one FMA per term in the same order,
 * the same α/β rule), so it is used only with that variant and nothing else changes: the
 * backend keeps its name, a browser (wasm only) and Node give the same runs.
 *
 * Not used: in a browser, without the built addon (build/gradlab-gemm.node), on a CPU without
 * AVX2 and FMA, with a non-shared memory (it could move when it grows), or with GRADLAB_NATIVE=0.
 */
export interface NativeGemm {
  /** Same arguments as the wasm export `gemm` (byte offsets; ws is ignored). */
  gemm: (...a: number[]) => void;
  /** Same arguments and layout as the wasm export `packA` (needs MR equal to the wasm GEMM's). */
  packA: (...a: number[]) => void;
  /** Tile rows (equal to the wasm GEMM's) and columns. */
  MR: number;
  NR: number;
  /** Absolute path of the addon, for the worker threads to load. */
  path: string;
}

interface Addon {
  supported: boolean;
  MR: number;
  NR: number;
  KC: number;
  init(view: Uint8Array): number;
  gemm: (...a: number[]) => void;
  packA: (...a: number[]) => void;
}

/** Where `npm run build` puts the addon, relative to this module (src/kernels/wasm or dist/kernels/wasm). */
const ADDON = ['..', '..', '..', 'build', 'gradlab-gemm.node'].join('/');

/**
 * Load the addon for `memory` if it can serve a wasm GEMM with tile height `tileRows` and K
 * block `kc`; null otherwise (the wasm GEMM is used).
 */
export function loadNativeGemm(memory: WebAssembly.Memory, shared: boolean, relaxed: boolean, tileRows: number, kc: number): NativeGemm | null {
  const g = globalThis as { process?: { env?: Record<string, string | undefined>; versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } };
  const proc = g.process;
  if (!proc?.versions?.node || !proc.getBuiltinModule || !shared || !relaxed) return null;
  if (proc.env?.GRADLAB_NATIVE === '0') return null;
  try {
    const url = (proc.getBuiltinModule('node:url') as { fileURLToPath(u: URL): string }).fileURLToPath(new URL(ADDON, import.meta.url));
    const fs = proc.getBuiltinModule('node:fs') as { existsSync(p: string): boolean };
    if (!fs.existsSync(url)) return null;
    const { createRequire } = proc.getBuiltinModule('node:module') as { createRequire(u: string): (id: string) => unknown };
    const addon = createRequire(import.meta.url)(url) as Addon;
    if (!addon.supported || addon.MR !== tileRows || addon.KC !== kc) return null;
    addon.init(new Uint8Array(memory.buffer));
    return { gemm: addon.gemm, packA: addon.packA, MR: addon.MR, NR: addon.NR, path: url };
  } catch {
    return null;
  }
}
