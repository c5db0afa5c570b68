/**
 * The kernel backends every op/layer test runs on: the reference backend always, plus each
 * fast backend that exists and loads in this runtime. Adding a backend is one entry in
 * FAST_BACKENDS (a module path relative to this file).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernels } from '../../src/kernels/types.js';
import { reference } from '../../src/kernels/reference.js';

/**
 * Fast backends: a module (skipped while it does not exist) and how to get the backend from it.
 * A new backend is one line here.
 */
const FAST_BACKENDS: Array<{ path: string; load: (mod: Record<string, any>) => unknown }> = [
  { path: '../../src/kernels/wasm/index.ts', load: (m) => m.createWasmBackendSync?.() ?? backendFrom(m) },
  // The plain-SIMD build (a different GEMM tile, 5×8 without FMA) where relaxed SIMD is the default.
  // (Skipped as a duplicate where plain SIMD is all the runtime has.)
  { path: '../../src/kernels/wasm/index.ts', load: (m) => m.createWasmBackendSync?.('wasm-simd') ?? null },
];

function isKernels(x: unknown): x is Kernels {
  return typeof x === 'object' && x !== null && typeof (x as Kernels).name === 'string' && typeof (x as Kernels).gemm === 'function';
}

/**
 * A backend from a module's exports: an exported Kernels object, or the result of an exported
 * loader (`load…`, `create…`, `init…`, possibly async) returning one.
 */
async function backendFrom(mod: Record<string, unknown>): Promise<Kernels | null> {
  for (const v of Object.values(mod)) if (isKernels(v)) return v;
  for (const [k, v] of Object.entries(mod)) {
    if (typeof v === 'function' && /^(load|create|init)/i.test(k) && v.length === 0) {
      const r = await (v as () => unknown)();
      if (isKernels(r)) return r;
    }
  }
  return null;
}

let cached: Kernels[] | null = null;

/** Every available backend, reference first. Fast backends that fail to load are skipped (with a warning). */
export async function backends(): Promise<Kernels[]> {
  if (cached) return cached;
  const out: Kernels[] = [reference];
  const only = process.env.GRADLAB_BACKEND; // e.g. GRADLAB_BACKEND=reference to run one backend
  for (const { path: rel, load } of FAST_BACKENDS) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(fileURLToPath(url))) continue;
    try {
      const mod = (await import(/* @vite-ignore */ url.href)) as Record<string, unknown>;
      const k = await load(mod);
      if (isKernels(k)) {
        if (!out.some((o) => o.name === k.name)) out.push(k);
      } else if (k !== null) console.warn(`backends: ${rel} exports no Kernels object or loader`);
    } catch (e) {
      console.warn(`backends: ${rel} failed to load: ${(e as Error).message}`);
    }
  }
  cached = only ? out.filter((k) => k.name === only || (only === 'fast' && k !== reference)) : out;
  return cached;
}
