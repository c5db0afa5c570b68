/**
 * Compile and instantiate the embedded kernels: pick the relaxed-SIMD build when the engine
 * validates it, create the linear memory (shared when SharedArrayBuffer is usable, so worker
 * threads can run GEMM tiles on the same tensors), and instantiate.
 */
import { WASM_RELAXED_SIMD, WASM_SIMD } from './binary.generated.js';

export type WasmVariant = 'wasm-simd' | 'wasm-relaxed-simd';

/** The exports of asm/src/index.ts (pointers are byte offsets, counts elements). */
export interface WasmExports {
  /** `ap`: op(A) packed by `packA` (same m, k), or 0 to pack inside. */
  gemm(ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number, ws: number, ap: number): void;
  packA(ta: number, m: number, k: number, a: number, lda: number, dst: number, first: number, count: number): void;
  packedABytes(m: number, k: number): number;
  GEMM_SCRATCH_BYTES: WebAssembly.Global;
  /** Rows × columns of the GEMM micro-kernel's tile (6×8 with relaxed SIMD, 5×8 without). */
  GEMM_MR: WebAssembly.Global;
  GEMM_NR: WebAssembly.Global;
  /** K block of the GEMM (partial sums are rounded into C at its edges). */
  GEMM_KC: WebAssembly.Global;
  /** 1: the kernels that multiply (convolutions) call the imported hostGemm instead of gemm. */
  setHostGemm(on: number): void;
  heapBase(): number;
  fill(p: number, n: number, v: number): void;
  axpy(alpha: number, x: number, y: number, n: number): void;
  scale(x: number, n: number, alpha: number): void;
  binary2d(kind: number, a: number, am: number, b: number, bm: number, out: number, rows: number, cols: number): void;
  binaryBackward2d(kind: number, wrt: number, g: number, a: number, am: number, b: number, bm: number, gin: number, rows: number, cols: number): void;
  unary(kind: number, p: number, x: number, y: number, n: number): void;
  unaryBackward(kind: number, p: number, x: number, y: number, gy: number, gx: number, n: number, beta: number): void;
  biasActivation(kind: number, p: number, x: number, bias: number, rows: number, cols: number, y: number): void;
  biasActivationBackward(kind: number, p: number, y: number, gy: number, rows: number, cols: number, gz: number, gBias: number): void;
  /** Rows [start, start + count) of biasActivation. */
  biasActivationRange(kind: number, p: number, x: number, bias: number, rows: number, cols: number, y: number, start: number, count: number): void;
  /** Columns [4·start, 4·(start + count)) of biasActivationBackward. */
  biasActivationBackwardRange(kind: number, p: number, y: number, gy: number, rows: number, cols: number, gz: number, gBias: number, start: number, count: number): void;
  sumAxis(x: number, outer: number, n: number, inner: number, out: number): void;
  broadcastAxis(g: number, outer: number, n: number, inner: number, scale: number, gx: number): void;
  softmax(x: number, outer: number, n: number, inner: number, log: number, y: number): void;
  softmaxBackward(y: number, gy: number, outer: number, n: number, inner: number, log: number, gx: number): void;
  crossEntropy(logits: number, labels: number, n: number, c: number, losses: number, probs: number): void;
  crossEntropyBackward(probs: number, labels: number, n: number, c: number, gRow: number, gLen: number, gx: number): void;
  pointwiseLoss(kind: number, p: number, x: number, t: number, out: number, n: number): void;
  pointwiseLossBackward(kind: number, p: number, x: number, t: number, g: number, gLen: number, gx: number, gt: number, n: number): void;
  batchNorm(x: number, n: number, c: number, l: number, w: number, b: number, rm: number, rv: number, training: number, momentum: number, eps: number, y: number, sm: number, si: number): void;
  batchNormBackward(x: number, gy: number, n: number, c: number, l: number, w: number, sm: number, si: number, training: number, gx: number, gxBeta: number, gw: number, gb: number): void;
  batchNormRange(x: number, n: number, c: number, l: number, w: number, b: number, rm: number, rv: number, training: number, momentum: number, eps: number, y: number, sm: number, si: number, c0: number, cn: number): void;
  batchNormBackwardRange(x: number, gy: number, n: number, c: number, l: number, w: number, sm: number, si: number, training: number, gx: number, gxBeta: number, gw: number, gb: number, c0: number, cn: number): void;
  prelu(x: number, w: number, outer: number, c: number, inner: number, y: number): void;
  preluBackward(x: number, w: number, gy: number, outer: number, c: number, inner: number, gx: number, gw: number): void;
  maskScale(x: number, mask: number, scale: number, y: number, n: number): void;
  im2col(x: number, c: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, oh: number, ow: number, col: number, ld: number): void;
  col2im(col: number, c: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, oh: number, ow: number, gx: number, ld: number): void;
  maxPool2d(x: number, planes: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, oh: number, ow: number, y: number, indices: number): void;
  unarySplit(x: number, y: number, kind: number, p: number, n: number): void;
  unaryBackwardSplit(x: number, y: number, gy: number, gx: number, kind: number, p: number, beta: number, n: number): void;
  maxPool2dRange(x: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, oh: number, ow: number, y: number, indices: number, p0: number, pn: number): void;
  maxPool2dBackwardRange(gy: number, indices: number, h: number, w: number, oh: number, ow: number, gx: number, beta: number, p0: number, pn: number): void;
  convForwardRange(x: number, n: number, c: number, geo: number, o: number, wp: number, bias: number, col: number, y: number, per: number, g0: number, gn: number, ws: number): void;
  convBackwardDataRange(gy: number, n: number, c: number, geo: number, o: number, wtp: number, gcol: number, gx: number, per: number, beta: number, g0: number, gn: number, ws: number): void;
  convBackwardWeightRange(gy: number, x: number, n: number, c: number, geo: number, o: number, col: number, parts: number, per: number, withBias: number, g0: number, gn: number, ws: number): void;
  /** Winograd F(2×2, 3×3): u [16, o, c] (flip: [16, c, o], kernels rotated) from W [o, c, 3, 3]. */
  winogradWeights(w: number, o: number, c: number, flip: number, u: number): void;
  winogradPlaceFloats(ci: number, co: number, oh: number, ow: number, per: number): number;
  convWinogradRange(x: number, n: number, ci: number, geo: number, co: number, up: number, upStride: number, bias: number, y: number, beta: number, scr: number, per: number, spg: number, g0: number, gn: number, ws: number): void;
  convDirectForwardRange(x: number, n: number, c: number, geo: number, o: number, w: number, bias: number, pad: number, y: number, per: number, g0: number, gn: number, ws: number): void;
  convDirectBackwardWeightRange(gy: number, x: number, n: number, c: number, geo: number, o: number, pad: number, parts: number, per: number, withBias: number, g0: number, gn: number, ws: number): void;
  maxPool2dBackward(gy: number, indices: number, planes: number, h: number, w: number, oh: number, ow: number, gx: number, beta: number): void;
  avgPool2d(x: number, planes: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, oh: number, ow: number, y: number): void;
  avgPool2dBackward(gy: number, planes: number, h: number, w: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, oh: number, ow: number, gx: number): void;
  adaptiveAvgPool2d(x: number, planes: number, h: number, w: number, oh: number, ow: number, y: number): void;
  adaptiveAvgPool2dBackward(gy: number, planes: number, h: number, w: number, oh: number, ow: number, gx: number): void;
  alphaDropout(x: number, mask: number, alphaPrime: number, a: number, b: number, y: number, n: number): void;
  moments(x: number, n: number, sumOut: number): number;
  allFinite(x: number, n: number): number;
  clampInPlace(x: number, n: number, clip: number): void;
  sgdStep(param: number, grad: number, buf: number, first: number, lr: number, momentum: number, dampening: number, nesterov: number, wd: number, n: number): void;
  adamStep(param: number, grad: number, m: number, v: number, vMax: number, stepSize: number, beta1: number, beta2: number, eps: number, wd: number, decay: number, bc2Sqrt: number, n: number): void;
  rmspropStep(param: number, grad: number, sq: number, gavg: number, mbuf: number, lr: number, alpha: number, eps: number, wd: number, momentum: number, n: number): void;
  optimizerStepsRange(kind: number, table: number, count: number, flag: number, start: number, n: number, ws: number): void;
}

/** 65536 pages = 4 GiB: the wasm32 limit. Shared memories reserve address space, not RAM. */
const MAX_PAGES = 65536;
/** The most bytes the wasm kernels' memory can hold (MAX_PAGES × 64 KiB). */
export const WASM_MAX_BYTES = MAX_PAGES * 65536;

function decode(b64: string): Uint8Array<ArrayBuffer> {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function readLeb(b: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = b[pos++];
    result |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result >>> 0, pos];
    shift += 7;
  }
}
function skipName(b: Uint8Array, pos: number): number {
  const [len, p] = readLeb(b, pos);
  return p + len;
}

/**
 * The binaries import a *shared* memory; where SharedArrayBuffer is unavailable (a page that
 * is not cross-origin isolated) clear the shared bit of that import in a copy of the binary
 * instead of shipping a second build. Only the limits flag byte changes (0x03 → 0x01).
 */
function unshare(bin: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const b = bin.slice();
  let pos = 8;
  while (pos < b.length) {
    const id = b[pos];
    const [size, start] = readLeb(b, pos + 1);
    if (id === 2) {
      let [count, p] = readLeb(b, start);
      for (let i = 0; i < count; i++) {
        p = skipName(b, p);
        p = skipName(b, p);
        const kind = b[p++];
        if (kind === 2) {
          if (b[p] === 0x03) b[p] = 0x01;
          return b;
        }
        if (kind === 0) p = readLeb(b, p)[1];
        else if (kind === 1) { p++; const fl = b[p++]; p = readLeb(b, p)[1]; if (fl & 1) p = readLeb(b, p)[1]; }
        else if (kind === 3) p += 2;
        else throw new Error('unshare: unexpected import kind');
      }
    }
    pos = start + size;
  }
  return b;
}

/** True when this runtime can share memory between threads. */
export function canShareMemory(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  const g = globalThis as { crossOriginIsolated?: boolean; process?: unknown };
  if (g.process === undefined && g.crossOriginIsolated === false) return false;
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true } as WebAssembly.MemoryDescriptor);
    return true;
  } catch {
    return false;
  }
}

/**
 * In Node 20 relaxed SIMD is behind --experimental-wasm-relaxed-simd (on by default from
 * V8 11.4 / Node 22). Setting the flag at run time through node:v8 works when done before
 * compiling; measured (bench/tiles.mjs): the 6×8 micro-kernel reaches ~50 GFLOP/s with relaxed_madd, the
 * best plain-SIMD tile (5×8, mul + add) ~38.
 * GRADLAB_RELAXED_SIMD=0 opts out.
 */
function tryEnableRelaxedSimdInNode(): void {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.getBuiltinModule || proc.env?.GRADLAB_RELAXED_SIMD === '0') return;
  try {
    const v8 = proc.getBuiltinModule('node:v8') as { setFlagsFromString(flags: string): void } | undefined;
    v8?.setFlagsFromString('--experimental-wasm-relaxed-simd');
  } catch {
    /* older runtimes: stay on plain SIMD */
  }
}

/**
 * Bytes of the variant this engine runs best (or of `only`, when it runs here), or null
 * without WebAssembly SIMD.
 */
export function pickBinary(only?: WasmVariant): { variant: WasmVariant; bytes: Uint8Array<ArrayBuffer>; relaxed: Uint8Array<ArrayBuffer>; simd: Uint8Array<ArrayBuffer> } | null {
  if (typeof WebAssembly !== 'object') return null;
  const simd = decode(WASM_SIMD);
  const relaxed = decode(WASM_RELAXED_SIMD);
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const wantRelaxed = only !== 'wasm-simd' && env?.GRADLAB_RELAXED_SIMD !== '0';
  if (wantRelaxed && !WebAssembly.validate(relaxed)) tryEnableRelaxedSimdInNode();
  if (wantRelaxed && WebAssembly.validate(relaxed)) return { variant: 'wasm-relaxed-simd', bytes: relaxed, relaxed, simd };
  if (only !== 'wasm-relaxed-simd' && WebAssembly.validate(simd)) return { variant: 'wasm-simd', bytes: simd, relaxed, simd };
  return null;
}

export interface LoadedWasm {
  variant: WasmVariant;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  shared: boolean;
  exports: WasmExports;
  /** Route the kernels' own products (convolutions) to `gemm`, which must compute gemm's numbers. */
  useHostGemm(gemm: HostGemm): void;
}

/** The host GEMM an instance calls once its `setHostGemm(1)` is set (asm/src/gemm.ts `hostGemm`). */
export type HostGemm = (...a: number[]) => void;

function imports(memory: WebAssembly.Memory, host: { gemm: HostGemm | null }): WebAssembly.Imports {
  return {
    env: {
      memory,
      abort(_msg: number, _file: number, line: number, col: number) {
        throw new Error(`gradlab wasm kernel aborted at ${line}:${col}`);
      },
      // Bound later (the native GEMM needs the memory first); called only after setHostGemm(1).
      hostGemm: (...a: number[]) => host.gemm!(...a),
    },
  };
}

/** Unshared memories cannot grow without detaching every view, so they start at their final size. */
const UNSHARED_PAGES = [4096, 2048, 1024];

function makeMemory(shared: boolean): WebAssembly.Memory {
  if (shared) {
    for (const max of [MAX_PAGES, 32768, 16384]) {
      try {
        return new WebAssembly.Memory({ initial: 64, maximum: max, shared: true } as WebAssembly.MemoryDescriptor);
      } catch {
        /* try a smaller reservation */
      }
    }
  }
  for (const pages of UNSHARED_PAGES) {
    try {
      return new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
    } catch {
      /* try smaller */
    }
  }
  throw new Error('gradlab: cannot allocate WebAssembly memory');
}

function finish(variant: WasmVariant, module: WebAssembly.Module, memory: WebAssembly.Memory, shared: boolean): LoadedWasm {
  const host: { gemm: HostGemm | null } = { gemm: null };
  const instance = new WebAssembly.Instance(module, imports(memory, host));
  const exports = instance.exports as unknown as WasmExports;
  return {
    variant, module, memory, shared, exports,
    useHostGemm(gemm: HostGemm) {
      host.gemm = gemm;
      exports.setHostGemm(1);
    },
  };
}

/**
 * Synchronous compile (fine in Node and in workers; browsers limit sync compiles on the main
 * thread to 4 KB). `only`: that variant or nothing (tests run both).
 */
export function loadSync(only?: WasmVariant): LoadedWasm | null {
  const pick = pickBinary(only);
  if (!pick) return null;
  const shared = canShareMemory();
  const bytes = shared ? pick.bytes : unshare(pick.bytes);
  const memory = makeMemory(shared);
  return finish(pick.variant, new WebAssembly.Module(bytes as BufferSource), memory, shared);
}

export async function loadAsync(): Promise<LoadedWasm | null> {
  const pick = pickBinary();
  if (!pick) return null;
  const shared = canShareMemory();
  const bytes = shared ? pick.bytes : unshare(pick.bytes);
  const memory = makeMemory(shared);
  const module = await WebAssembly.compile(bytes as BufferSource);
  return finish(pick.variant, module, memory, shared);
}
