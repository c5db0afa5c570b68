/**
 * The native GEMM (native/gemm.cc): in Node, where the install or `npm run build` could compile it, the
 * WebAssembly backend's matrix products run there with 256-bit AVX2 or 512-bit AVX-512 FMAs instead
 * of 128-bit wasm SIMD, on the same shared memory and the same byte offsets. It computes the same numbers
 * bit for bit as the relaxed-SIMD wasm GEMM (same K blocks, one FMA per term in the same order,
 * the same α/β rule), so it is used only with that variant and nothing else changes: the
 * backend keeps its name, a browser (wasm only) and Node give the same runs.
 *
 * Two builds of native/gemm.cc: AVX2 (6×16 tile) and, on CPUs with AVX-512F, AVX-512 (6×32).
 * Not used: in a browser, without the built addon (build/gradlab-gemm.node), on a CPU without
 * AVX2 and FMA, with a non-shared memory (it could move when it grows), or with GRADLAB_NATIVE=0
 * (GRADLAB_NATIVE=avx2: the AVX2 build even where AVX-512 is there; tests and benchmarks).
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
  kernel: 'native-avx2' | 'native-avx512';
  /** Every value finite, for a float32/float64 array anywhere (JS memory too): a data set's check. */
  allFinite: (x: Float32Array | Float64Array) => boolean;
}

interface Addon {
  supported: boolean;
  /** The CPU has AVX-512F (asked of the AVX2 build before loading the AVX-512 one). */
  avx512: boolean;
  kernel: 'native-avx2' | 'native-avx512';
  MR: number;
  NR: number;
  KC: number;
  /** The kernels on the memory `view` lies in (a view over the whole memory). */
  bind(view: Uint8Array): { gemm: (...a: number[]) => void; packA: (...a: number[]) => void; base: number };
  allFinite(x: Float32Array | Float64Array): boolean;
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
    const load = createRequire(import.meta.url);
    let addon = load(url) as Addon;
    let path = url;
    if (!addon.supported || addon.MR !== tileRows || addon.KC !== kc) return null;
    // The AVX-512 build (a 6×32 tile), only on a CPU the AVX2 build says has AVX-512F.
    const wide = url.replace(/\.node$/, '-avx512.node');
    if (addon.avx512 && proc.env?.GRADLAB_NATIVE !== 'avx2' && fs.existsSync(wide)) {
      const a = load(wide) as Addon;
      if (a.supported && a.MR === tileRows && a.KC === kc) [addon, path] = [a, wide];
    }
    const k = addon.bind(new Uint8Array(memory.buffer));
    return { gemm: k.gemm, packA: k.packA, MR: addon.MR, NR: addon.NR, path, kernel: addon.kernel, allFinite: addon.allFinite };
  } catch {
    return null;
  }
}
