/**
 * The WebAssembly SIMD backend: the `Kernels` interface over the AssemblyScript kernels in
 * asm/src. Float32 arrays that live in the backend's linear memory (everything `alloc`
 * returns) run in wasm in place; float64 arrays, and float32 arrays from elsewhere, go to
 * the reference kernels — except GEMM and the convolutions, which copy foreign float32
 * operands in and out (`staged`), since their O(MNK) work dwarfs the copies.
 */
import { reference, stepsOf } from '../reference.js';
import { smallConv, type AdamArgs, type BinaryKind, type FloatArray, type Kernels, type PointwiseLossKind, type RmspropArgs, type SgdArgs, type UnaryKind, type Window2d } from '../types.js';
import type { LoadedWasm } from './loader.js';
import { findCollector, WasmHeap } from './memory.js';
import { ThreadPool } from './threads.js';
import { loadNativeGemm } from './native.js';

export const UNARY_KIND: Record<UnaryKind, number> = {
  linear: 0, relu: 1, leakyRelu: 2, elu: 3, selu: 4, sigmoid: 5, tanh: 6, gelu: 7, silu: 8, softplus: 9,
};
const BINARY_KIND: Record<BinaryKind, number> = { add: 0, sub: 1, mul: 2, div: 3 };
const LOSS_KIND: Record<PointwiseLossKind, number> = { mse: 0, l1: 1, huber: 2, bceWithLogits: 3 };

/**
 * Split a GEMM across threads only above this many multiply-adds (M·N·K): below it (≈ 60 µs
 * of single-thread work) waking workers costs more than it saves.
 */
export const THREAD_MIN_MNK = 1 << 20;

/** Chunks per thread in a split GEMM (dynamic scheduling, see threads.ts). */
const CHUNKS_PER_THREAD = 3;

/** The cost of a chunk beyond its tiles, in tiles: claiming it, packing its part of op(B). */
const CHUNK_COST = 0.5;

/**
 * Chunk size, in tiles, for `tiles` tiles of C cut among `parts` threads: at least
 * CHUNKS_PER_THREAD chunks per thread (fewer only when there are fewer tiles), and among the
 * sizes tried the one whose chunks, dealt in turn, load the busiest thread least, counting
 * CHUNK_COST tiles for each chunk it claims (ties: the larger size). Plain
 * ceil(tiles / 3·parts) chunks are uneven at the benchmark's shapes: 256 columns = 32 tiles of
 * 8 became 6 chunks of 6, 6, 6, 6, 6, 2 tiles, so one thread did 18 tiles and the other 14
 * (1.125× the even split); 4 tiles a chunk gives 16 and 16.
 */
export function chunkTiles(tiles: number, parts: number): number {
  const fewest = Math.min(tiles, CHUNKS_PER_THREAD * parts);
  let best = 1, bestSpan = Infinity;
  // Sizes that cut the tiles into k·parts chunks, k = CHUNKS_PER_THREAD … 2·CHUNKS_PER_THREAD + 1 (the even
  // cuts are among them), largest first: a handful of candidates, O(parts) each.
  for (let k = CHUNKS_PER_THREAD; k <= 2 * CHUNKS_PER_THREAD + 1; k++) {
    const s = Math.max(1, Math.ceil(tiles / (k * parts)));
    const nch = Math.ceil(tiles / s);
    if (nch < fewest) continue;
    const short = s * nch - tiles; // the last chunk's missing tiles
    // Thread t takes chunks t, t + parts, …; the one holding the last chunk is `short` lighter.
    let span = 0;
    for (let t = 0; t < Math.min(parts, nch); t++) {
      const count = Math.ceil((nch - t) / parts);
      span = Math.max(span, count * (s + CHUNK_COST) - (t === (nch - 1) % parts ? short : 0));
    }
    if (span < bestSpan) {
      best = s;
      bestSpan = span;
    }
  }
  return best;
}
/**
 * Elementwise kernels (optimizer updates) over at least this many elements are split across
 * the pool: Adam's update runs at ≈ 0.5–1 ns per parameter, so 32k parameters take ≈ 20–30 µs,
 * several times what a round costs when the workers are spinning.
 */
export const ELEMENTWISE_MIN = 1 << 15;

/**
 * A Linear layer's bias + activation (and its backward) is split from this many values: at
 * ≈ 0.3 ns a value a 128×256 layer takes ≈ 10 µs, about what a round of the pool costs with its
 * share of waiting, so only batch 512 × 256 and up gain.
 */
export const BIAS_ACTIVATION_MIN = 1 << 17;

/** Layout of a broadcast operand over a [rows, cols] view (see binary2d in asm/src/kernels.ts). */
const FULL = 0, ROW = 1, SCALAR = 2, COL = 3;

/**
 * Reduce an operand's NumPy strides over `shape` to one of the 2-D layouts, or null.
 * Returns [mode, split] where split q means rows = ∏shape[:q], cols = ∏shape[q:].
 */
function classify(shape: readonly number[], strides: readonly number[]): [number, number] | null {
  const nd = shape.length;
  let full = true, zero = true;
  let c = 1;
  for (let i = nd - 1; i >= 0; i--) {
    if (shape[i] !== 1) {
      if (strides[i] !== c) full = false;
      if (strides[i] !== 0) zero = false;
    }
    c *= shape[i];
  }
  if (full) return [FULL, -1];
  if (zero) return [SCALAR, -1];
  for (let q = 1; q < nd; q++) {
    // ROW: zero strides before q, contiguous from q.
    let row = true, col = true;
    let inner = 1;
    for (let i = nd - 1; i >= q; i--) {
      if (shape[i] !== 1) {
        if (strides[i] !== inner) row = false;
        if (strides[i] !== 0) col = false;
      }
      inner *= shape[i];
    }
    let outer = 1;
    for (let i = q - 1; i >= 0; i--) {
      if (shape[i] !== 1) {
        if (strides[i] !== 0) row = false;
        if (strides[i] !== outer) col = false;
      }
      outer *= shape[i];
    }
    if (row) return [ROW, q];
    if (col) return [COL, q];
  }
  return null;
}

/** [modeA, modeB, rows, cols] for a binary op, or null when the layout needs the general loop. */
function plan2d(shape: readonly number[], as: readonly number[], bs: readonly number[]): [number, number, number, number] | null {
  const ca = classify(shape, as);
  const cb = classify(shape, bs);
  if (!ca || !cb) return null;
  let q = -1;
  if (ca[1] >= 0) q = ca[1];
  if (cb[1] >= 0) {
    if (q >= 0 && q !== cb[1]) return null;
    q = cb[1];
  }
  let total = 1;
  for (const d of shape) total *= d;
  if (q < 0) return [ca[0], cb[0], 1, total];
  let rows = 1;
  for (let i = 0; i < q; i++) rows *= shape[i];
  return [ca[0], cb[0], rows, rows === 0 ? 0 : total / rows];
}

/**
 * Splitting a GEMM across threads pays only when the workers actually run: on a machine whose
 * cores are busy with other processes a worker is descheduled for whole time slices and the
 * caller waits for the chunk it holds (measured: a forced split of every GEMM of a training
 * step ran 1.9× slower than one thread while another process kept one of 2 cores busy, and
 * 1.2–1.4× faster minutes later under the same nominal load). So the choice is measured, not
 * assumed: the time per multiply-add of split and unsplit GEMMs is tracked (exponential
 * moving averages) per size class (log₂ of M·N·K: small GEMMs gain less from a split than
 * large ones), and the faster mode is used.
 *
 * The other mode is re-measured in probes: PROBE consecutive large GEMMs (about one training
 * step) all run the other mode, and the first WARM of them are not counted — a single split
 * GEMM after a stretch of unsplit ones pays the futex wake-up of sleeping workers and
 * measures worse than splitting really is, which kept the old every-16th-GEMM probe on one
 * thread even when splitting was 1.2–1.4× faster. A probe that beats the current choice of a
 * class by a margin (SWITCH) switches it at once; probes back off exponentially (EXPLORE …
 * EXPLORE_MAX large GEMMs apart; a switch halves the interval, a confirmation doubles it),
 * because on a busy machine each probe of the split costs stalls.
 *
 * A split call that finds the workers asleep (more than a spin, COLD_MS, after the previous
 * split call ended) pays their wake-up, which on an idle machine is tens of microseconds and
 * with another process on the second core can be a time slice. In a training step most large
 * GEMMs come that long after the previous split one, so such calls are estimated apart
 * (`splitCold`) and a call is decided on the estimate of its own kind. (Skipping them instead
 * left the split estimate of 128×784×256 at its first sample: 504 of 505 split calls were
 * skipped while, with another process spinning, they averaged 1.6 ms against 1.0–1.4 ms
 * unsplit; counting them in one estimate with the warm calls kept 2-thread runs on the idle
 * machine 7–8% slower. bench/busy-core.mjs.)
 */
class ChoiceState {
  /** Milliseconds per million multiply-adds, split (workers awake / asleep) and unsplit; 0 = no sample yet. */
  split = 0;
  splitCold = 0;
  single = 0;
  /**
   * The last probe's samples of this class, warm and cold calls apart: the mode each kind ran in
   * (a probe runs each call in the mode its kind does not prefer), sums and counts.
   */
  probedSplit = false;
  probedColdSplit = false;
  probeSum = 0;
  probeN = 0;
  probeColdSum = 0;
  probeColdN = 0;
}

export class ThreadChooser {
  static readonly EXPLORE = 16;
  static readonly EXPLORE_MAX = 1024;
  static readonly PROBE = 12;
  static readonly WARM = 2;
  /**
   * A probe must beat the current mode by this factor to switch it: timings on a shared
   * machine are noisy, and a switch on noise costs a few slow GEMMs before the estimates
   * switch back.
   */
  static readonly SWITCH = 0.85;
  /** Samples are capped at this multiple of the current estimate (see record). */
  static readonly OUTLIER = 2;
  /** A split call starting this long (ms) after the previous split ended finds workers asleep. */
  static readonly COLD_MS = 0.1;
  private states: ChoiceState[] = [];
  private calls = 0;
  private interval = ThreadChooser.EXPLORE;
  private nextProbe = ThreadChooser.EXPLORE;
  /** Calls left in the current probe (0: not probing). */
  private probeLeft = 0;
  /** The pending call is part of a probe; counted (past the warm-up); the probe's last. */
  private probing = false;
  private counted = false;
  private lastOfProbe = false;
  /** When the last split call ended (performance.now() ms), and whether the pending call starts cold. */
  private lastSplitEnd = -Infinity;
  private cold = false;

  private state(macs: number): ChoiceState {
    const b = Math.max(0, Math.min(63, Math.floor(Math.log2(Math.max(1, macs)))));
    return (this.states[b] ??= new ChoiceState());
  }

  /** Estimates for the size class of `macs` (tests, statistics). */
  estimates(macs = 1e6): { split: number; splitCold: number; single: number } {
    const s = this.state(macs);
    return { split: s.split, splitCold: s.splitCold, single: s.single };
  }

  /**
   * Whether splitting currently pays, as measured on the last GEMM decided outside a probe:
   * the other split kernels (optimizer updates) follow it, so a busy second core, which makes
   * split GEMMs slower than unsplit ones, keeps every kernel on the calling thread.
   */
  splitPays = true;

  /** Whether to split a GEMM of `macs` multiply-adds; must be followed by `record`. */
  threaded(macs = 1e6, now = performance.now()): boolean {
    const s = this.state(macs);
    this.calls++;
    this.probing = this.lastOfProbe = false;
    this.cold = now - this.lastSplitEnd > ThreadChooser.COLD_MS;
    // Until a kind has its own sample, the other's stands in.
    const split = this.cold ? s.splitCold || s.split : s.split || s.splitCold;
    if (split === 0) return true;
    if (s.single === 0) return false;
    const preferSplit = split <= s.single;
    this.splitPays = preferSplit;
    if (this.probeLeft === 0 && this.calls >= this.nextProbe) this.probeLeft = ThreadChooser.PROBE;
    if (this.probeLeft > 0) {
      this.probing = true;
      this.counted = this.probeLeft <= ThreadChooser.PROBE - ThreadChooser.WARM;
      this.lastOfProbe = --this.probeLeft === 0;
      return !preferSplit;
    }
    return preferSplit;
  }

  /** Should workers keep spinning after the pending split call (false: a probe just ended)? */
  spinAfter(): boolean {
    return !this.lastOfProbe;
  }

  /** `now`: when the call ended (performance.now() ms; a parameter for tests). */
  record(threaded: boolean, ms: number, macs: number, now = performance.now()): void {
    const s = this.state(macs);
    const v = (ms * 1e6) / macs;
    if (threaded) this.lastSplitEnd = now;
    if (!this.probing) {
      // A sample is capped at OUTLIER × the estimate: one GEMM during which a worker was
      // descheduled (or the host stalled the VM) measures 3–5× slow, and at full weight it
      // would flip the choice for a whole exploration interval. Lasting slowness still
      // raises the estimate by up to 20% per call.
      const ema = (e: number) => (e === 0 ? v : 0.8 * e + 0.2 * Math.min(v, ThreadChooser.OUTLIER * e));
      if (!threaded) s.single = ema(s.single);
      else if (this.cold) s.splitCold = ema(s.splitCold);
      else s.split = ema(s.split);
      return;
    }
    if (this.counted) {
      if (this.cold) s.probedColdSplit = threaded;
      else s.probedSplit = threaded;
      if (this.cold) {
        s.probeColdSum += v;
        s.probeColdN++;
      } else {
        s.probeSum += v;
        s.probeN++;
      }
    }
    if (this.lastOfProbe) this.finishProbe();
    this.probing = this.lastOfProbe = false;
  }

  private finishProbe(): void {
    let switched = false;
    // How much slower the probed mode was than the current one, over the classes probed.
    let worst = Infinity;
    for (const s of this.states) {
      if (!s) continue;
      // Warm and cold calls apart: each is compared with the estimate of its own kind.
      for (const cold of [false, true]) {
        const n = cold ? s.probeColdN : s.probeN;
        if (n === 0) continue;
        const v = (cold ? s.probeColdSum : s.probeSum) / n;
        const split = cold ? s.splitCold : s.split;
        const setSplit = (e: number) => (cold ? (s.splitCold = e) : (s.split = e));
        if (cold ? s.probedColdSplit : s.probedSplit) {
          const current = s.single;
          worst = Math.min(worst, v / current);
          if (v < ThreadChooser.SWITCH * current) switched = true;
          setSplit(split === 0 || v < ThreadChooser.SWITCH * current ? v : 0.5 * split + 0.5 * v);
        } else if (split !== 0) {
          worst = Math.min(worst, v / split);
          if (v < ThreadChooser.SWITCH * split) {
            s.single = v;
            switched = true;
          } else s.single = 0.5 * s.single + 0.5 * v;
        }
      }
      s.probeSum = s.probeN = s.probeColdSum = s.probeColdN = 0;
    }
    // A probe that was far slower (a busy second core makes split GEMMs 2–3× slower) backs off
    // faster: each probe of the losing mode costs its own slowness.
    const growth = worst > 1.5 ? 4 : 2;
    this.interval = switched ? Math.max(ThreadChooser.EXPLORE, this.interval / 2) : Math.min(ThreadChooser.EXPLORE_MAX, this.interval * growth);
    this.nextProbe = this.calls + this.interval;
  }
}

export interface WasmBackend extends Kernels {
  readonly heap: WasmHeap;
  readonly pool: ThreadPool;
  /** Measured split/unsplit GEMM speeds (see ThreadChooser). */
  readonly chooser: ThreadChooser;
  /** Winograd F(2×2, 3×3) where winogradFits (default true; bench/conv-kernels.mjs turns it off to compare with im2col + GEMM). */
  winograd: boolean;
  readonly wasm: LoadedWasm;
  /** Is `a` a float32 array stored in this backend's memory? */
  owns(a: FloatArray): boolean;
  /** Stop worker threads (they are restarted on demand). */
  shutdownThreads(): void;
}

/**
 * Groups of samples of the convolution kernels: a thread runs a group's samples one after the
 * other with one col (c·kh·kw × oh·ow) in cache, and convBackwardWeight sums each group's
 * products separately, then the groups in order — a split fixed by the shapes alone, so the
 * threads do not change the sums. Up to 16 groups (the dynamic claiming evens out a descheduled
 * thread), fewer when their cols would pass CONV_COL_FLOATS, but 2 at least (two threads).
 */
const CONV_GROUPS = 16;
/** The groups' cols together (in values: 64 MB of float32), short of the 2 groups always made. */
const CONV_COL_FLOATS = 1 << 24;
/** [samples per group, groups] for n samples whose col has `colSize` values. */
function convGroups(n: number, colSize: number): [number, number] {
  const want = Math.max(2, Math.min(CONV_GROUPS, Math.floor(CONV_COL_FLOATS / colSize)));
  const per = Math.ceil(n / want);
  return [per, Math.ceil(n / per)];
}

/** Fewer planes than this on either side: no Winograd (a first layer's few input planes make the transforms cost more than the 2.25× fewer multiply-adds save). */
const WINOGRAD_PLANES = 16;
/** Tiles of a group's samples in one GEMM per position ξ (its N): per = ⌈WINOGRAD_TILES / tiles a sample⌉, two 14×14 samples. */
const WINOGRAD_TILES = 98;
/**
 * At most this many groups of samples (each with its own place, ≈ 4·16·(ci + co)·per·T bytes),
 * claimed by the threads one at a time: enough for two threads to even out, few enough that a
 * thread runs many samples through the same, warm place (four samples a GEMM, conv2's ∂x on one
 * thread: 18.9 ms with 32 places, 14.9 ms with 8; bench/RESULTS.md).
 */
const WINOGRAD_GROUPS = 8;

/**
 * Winograd F(2×2, 3×3) (convWinogradRange) for a 3×3 correlation of stride 1 and dilation 1
 * between at least WINOGRAD_PLANES planes each way, padding at most 2 (so the data gradient's
 * correlation, padded by 2 − p, is one too) and outputs at least 7 wide (four tiles a row, the
 * kernel's lanes).
 */
export function winogradFits(ci: number, co: number, g: Window2d): boolean {
  return g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 &&
    g.ph >= 0 && g.ph <= 2 && g.pw >= 0 && g.pw <= 2 && g.ow >= 7 &&
    ci >= WINOGRAD_PLANES && co >= WINOGRAD_PLANES;
}

/** Values of a sample's zero-bordered planes [c, oh + kh − 1, ow + kw − 1] for the direct (smallConv) kernels. */
function paddedSize(c: number, g: Window2d): number {
  return c * (g.oh + g.kh - 1) * (g.ow + g.kw - 1);
}

export function createWasmBackend(wasm: LoadedWasm): WasmBackend {
  const X = wasm.exports;
  const heap = new WasmHeap(wasm.memory, wasm.shared, X.heapBase());
  const fillKernel = X.fill as (p: number, n: number, v: number) => void;
  heap.zero = (off, n) => fillKernel(off, n, 0);
  heap.collect = findCollector();
  const scratchBytes = X.GEMM_SCRATCH_BYTES.value as number;
  const tileRows = X.GEMM_MR.value as number;
  // The matrix products: the native GEMM in Node when it was built (same numbers bit for bit,
  // see native.ts), else the wasm one: gemmOwned's, and through the instances' imported
  // hostGemm, those inside the convolution kernels (on the calling thread and the workers).
  const native = loadNativeGemm(wasm.memory, wasm.shared, wasm.variant === 'wasm-relaxed-simd', tileRows, X.GEMM_KC.value as number);
  const gemmOne = native ? native.gemm : (X.gemm as (...a: number[]) => void);
  const tileCols = native ? native.NR : (X.GEMM_NR.value as number);
  if (native) wasm.useHostGemm(native.gemm);
  const pool = new ThreadPool(wasm, heap, native);
  let ws0 = -1;
  /** Grow-only block for op(A) packed once per split GEMM (see gemmOwned). */
  let apOff = -1;
  let apBytes = 0;
  const misc = heap.rawAlloc(64);

  const chooser = new ThreadChooser();
  const owns = (a: FloatArray | null): boolean => a === null || (a instanceof Float32Array && heap.owns(a));
  const p = (a: FloatArray | null): number => (a === null ? 0 : a.byteOffset);

  function gemmOwned(ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: number, b: number, beta: number, c: number): void {
    if (ws0 < 0) ws0 = heap.rawAlloc(scratchBytes);
    const lda = ta ? m : k;
    const ldb = tb ? k : n;
    const macs = m * n * k;
    const workers = macs >= THREAD_MIN_MNK ? pool.readyWorkers() : 0;
    const threaded = workers > 0 && (!pool.adaptive || chooser.threaded(macs));
    if (!threaded) {
      const t0 = workers > 0 ? performance.now() : 0;
      gemmOne(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n, ws0, 0);
      if (workers > 0) chooser.record(false, performance.now() - t0, macs);
      return;
    }
    const t0 = performance.now();
    // Cut the larger of M and N into chunks (multiples of the micro-kernel's tile), a few per
    // thread so a thread that gets descheduled on a busy machine holds up little work.
    // Column chunks share one packed op(A) (below) and each packs only its own columns of
    // op(B); row chunks would each re-pack all of op(B), so N is split unless M is clearly larger.
    const parts = workers + 1;
    const splitN = n >= m / 2;
    const dim = splitN ? n : m;
    const unit = splitN ? tileCols : tileRows;
    // Even chunks of whole tiles (chunkTiles).
    const st = chunkTiles(Math.ceil(dim / unit), parts) * unit;
    const nch = Math.ceil(dim / st);
    // After the last GEMM of a probe of the split workers sleep at once rather than spin for a
    // next round that will not come: on a busy machine a spinning worker takes CPU from the
    // calling thread.
    const spin = pool.adaptive && !chooser.spinAfter() ? 0 : -1;
    // Column chunks all multiply the same op(A): pack it once rather than once per chunk.
    let ap = 0;
    const slivers = Math.ceil(m / tileRows);
    if (splitN) {
      const bytes = X.packedABytes(m, k);
      if (bytes > apBytes) {
        if (apOff >= 0) heap.rawFree(apOff, apBytes);
        apOff = heap.rawAlloc(bytes);
        apBytes = apOff < 0 ? 0 : bytes;
      }
      if (apOff >= 0) ap = apOff;
    }
    // The packing is shared too, in the same round (threads.ts), in ranges of MR-row slivers:
    // 128×784 alone takes ≈ 70 µs, 7% of the split product, during which the workers would wait.
    const packStep = Math.max(1, Math.ceil(slivers / (CHUNKS_PER_THREAD * parts)));
    pool.run(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n, nch, splitN, st, ws0, ap, spin, packStep, slivers);
    chooser.record(true, performance.now() - t0, macs);
  }

  /**
   * An elementwise kernel (an optimizer update, an activation) over `n` values: on the calling
   * thread, or cut into ranges shared with the pool's workers when it is large enough to pay
   * for a round (ELEMENTWISE_MIN).
   */
  function elementwise(name: 'adamStep' | 'sgdStep' | 'rmspropStep' | 'unarySplit' | 'unaryBackwardSplit', ptrs: number[], scalars: number[], n: number): void {
    const workers = n >= ELEMENTWISE_MIN && (!pool.adaptive || chooser.splitPays) ? pool.readyWorkers() : 0;
    if (workers === 0) {
      (X[name] as (...a: number[]) => void)(...ptrs, ...scalars, n);
      return;
    }
    const step = Math.ceil(n / (CHUNKS_PER_THREAD * (workers + 1)) / 4) * 4;
    pool.runSplit(name, ptrs, scalars, n, step);
  }

  /**
   * Each optimizer's wasm kernel arguments: its arrays (all must be in wasm memory), the pointer
   * arguments (byte offsets, 0 = absent) and the scalars, shared by the single-tensor kernel and
   * optimizerStepsRange's table (asm/src/kernels.ts states the table's layout).
   */
  const OPTIMIZERS = {
    adam: {
      kind: 0,
      owned: (a: AdamArgs) => owns(a.param) && owns(a.grad) && owns(a.m) && owns(a.v) && owns(a.vMax),
      pointers: (a: AdamArgs) => [a.param.byteOffset, a.grad.byteOffset, a.m.byteOffset, a.v.byteOffset, p(a.vMax)],
      scalars: (a: AdamArgs) => {
        const bc1 = 1 - Math.pow(a.beta1, a.step);
        const invBc2Sqrt = 1 / Math.sqrt(1 - Math.pow(a.beta2, a.step));
        const decay = a.decoupledWeightDecay !== 0 ? 1 - a.lr * a.decoupledWeightDecay : 1;
        return [a.lr / bc1, a.beta1, a.beta2, a.eps, a.weightDecay, decay, invBc2Sqrt];
      },
    },
    sgd: {
      kind: 1,
      owned: (a: SgdArgs) => owns(a.param) && owns(a.grad) && owns(a.buf),
      pointers: (a: SgdArgs) => [a.param.byteOffset, a.grad.byteOffset, p(a.buf)],
      scalars: (a: SgdArgs) => [a.firstStep ? 1 : 0, a.lr, a.momentum, a.dampening, a.nesterov ? 1 : 0, a.weightDecay],
    },
    rmsprop: {
      kind: 2,
      owned: (a: RmspropArgs) => owns(a.param) && owns(a.grad) && owns(a.squareAvg) && owns(a.gradAvg) && owns(a.momentumBuf),
      pointers: (a: RmspropArgs) => [a.param.byteOffset, a.grad.byteOffset, a.squareAvg.byteOffset, p(a.gradAvg), p(a.momentumBuf)],
      scalars: (a: RmspropArgs) => [a.lr, a.alpha, a.eps, a.weightDecay, a.momentum],
    },
  };
  /** float64 slots per parameter in optimizerStepsRange's table (OPT_ENTRY there). */
  const OPT_ENTRY = 16;
  /** The table (grow-only) and the non-finite flag of optimizerSteps. */
  let optTable = -1;
  let optCapacity = 0;
  const optFlag = heap.rawAlloc(16);

  /**
   * The updates of several parameters as one call of optimizerStepsRange over their
   * concatenation (each parameter at an offset rounded up to 4 values): on the calling thread,
   * or as one pool round when the whole is large enough to split (ELEMENTWISE_MIN) — one round
   * for the whole model instead of one per large parameter, and the small ones (biases) in
   * the same call. Arrays outside wasm memory: the single-tensor kernels one by one.
   */
  function optimizerSteps<A extends { param: FloatArray; grad: FloatArray }>(
    o: { kind: number; owned: (a: A) => boolean; pointers: (a: A) => number[]; scalars: (a: A) => number[] },
    args: readonly A[],
    save: readonly (FloatArray | null)[],
    single: (a: A) => void,
  ): boolean {
    const count = args.length;
    if (count === 0) return true;
    for (let j = 0; j < count; j++) if (!o.owned(args[j]) || !owns(save[j])) return stepsOf(k, args, save, single);
    if (count > optCapacity) {
      if (optTable >= 0) heap.rawFree(optTable, optCapacity * OPT_ENTRY * 8);
      optCapacity = Math.max(count, 2 * optCapacity, 8);
      optTable = heap.rawAlloc(optCapacity * OPT_ENTRY * 8);
    }
    const t = heap.f64(optTable, count * OPT_ENTRY);
    let total = 0;
    for (let j = 0; j < count; j++) {
      const a = args[j];
      const e = j * OPT_ENTRY;
      const ptrs = o.pointers(a);
      // [param, grad, a, b, c, save, n, offset, scalars…]
      for (let i = 0; i < 5; i++) t[e + i] = i < ptrs.length ? ptrs[i] : 0;
      t[e + 5] = p(save[j]);
      t[e + 6] = a.param.length;
      t[e + 7] = total;
      t.set(o.scalars(a), e + 8);
      total += Math.ceil(a.param.length / 4) * 4;
    }
    heap.i32(optFlag, 1)[0] = 0;
    const scalars = [o.kind, optTable, count, optFlag];
    const workers = total >= ELEMENTWISE_MIN && (!pool.adaptive || chooser.splitPays) ? pool.readyWorkers() : 0;
    if (workers === 0) X.optimizerStepsRange(o.kind, optTable, count, optFlag, 0, total, 0);
    else pool.runSplit('optimizerStepsRange', null, scalars, total, Math.ceil(total / (CHUNKS_PER_THREAD * (workers + 1)) / 4) * 4);
    return heap.i32(optFlag, 1)[0] === 0;
  }

  /**
   * A range kernel over `count` independent units (a Linear layer's rows or column groups,
   * BatchNorm's channels, pooling's planes) holding `work` values in all: on the calling
   * thread, or in ranges shared with the pool's workers when it pays (from `min` values).
   */
  function ranges(name: 'biasActivationRange' | 'biasActivationBackwardRange' | 'batchNormRange' | 'batchNormBackwardRange' | 'maxPool2dRange' | 'maxPool2dBackwardRange', scalars: number[], count: number, work: number, min = ELEMENTWISE_MIN): void {
    const workers = work >= min && count > 1 && (!pool.adaptive || chooser.splitPays) ? pool.readyWorkers() : 0;
    if (workers === 0) {
      (X[name] as (...a: number[]) => void)(...scalars, 0, count);
      return;
    }
    pool.runSplit(name, null, scalars, count, Math.ceil(count / (CHUNKS_PER_THREAD * (workers + 1))));
  }

  /**
   * A convolution range kernel over `count` groups of samples doing `macs` multiply-adds in its
   * GEMMs, split while splitting pays (as the other split kernels; ThreadChooser). Timing these
   * calls in the chooser as GEMMs of their size instead kept them on one thread: each is a whole
   * layer (≈ 10–25 ms), so the first split call, paying the workers' start, decided for many steps.
   */
  function gemmRanges(name: 'convForwardRange' | 'convBackwardDataRange' | 'convBackwardWeightRange' | 'convDirectForwardRange' | 'convDirectBackwardWeightRange' | 'convWinogradRange', scalars: number[], count: number, macs: number): void {
    if (ws0 < 0) ws0 = heap.rawAlloc(scratchBytes);
    const workers = count > 1 && macs >= THREAD_MIN_MNK && (!pool.adaptive || chooser.splitPays) ? pool.readyWorkers() : 0;
    if (workers > 0) pool.runSplit(name, null, scalars, count, 1, ws0);
    else (X[name] as (...a: number[]) => void)(...scalars, 0, count, ws0);
  }

  /**
   * A GEMM or convolution whose float32 operands are not all in wasm memory (a batch sliced
   * from a dataset's JS arrays, a tensor moved at a step boundary): copied in, run by the wasm
   * kernel, its outputs copied back, since the O(MNK) work dwarfs the copies (the reference
   * loops took 10 s for a test set's first conv layer). False (the caller runs the reference
   * kernel) for float64 operands or when wasm memory cannot hold the copies.
   */
  function staged(arrays: Array<FloatArray | null>, outputs: number[], run: (a: Array<Float32Array | null>) => void): boolean {
    if (arrays.some((a) => a !== null && !(a instanceof Float32Array))) return false;
    const tmp: Array<Float32Array | null> = [];
    try {
      for (const a of arrays) tmp.push(a === null || owns(a) ? null : heap.allocF32(a.length, false));
    } catch {
      tmp.forEach((t) => t && heap.free(t));
      return false;
    }
    const ins = arrays.map((a, i) => {
      const t = tmp[i];
      if (t === null) return a as Float32Array | null;
      t.set(a as Float32Array);
      return t;
    });
    try {
      run(ins);
      for (const i of outputs) if (tmp[i]) (arrays[i] as Float32Array).set(tmp[i]!);
    } finally {
      tmp.forEach((t) => t && heap.free(t));
    }
    return true;
  }

  /** The Window2d as 12 int32 in wasm memory (the convolution range kernels' `geo`). */
  const geo = heap.rawAlloc(48);
  function putGeo(g: Window2d): number {
    heap.i32(geo, 12).set([g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow]);
    return geo;
  }
  /** op(A) packed by packA into a block of its own (freed by the caller with heap.rawFree). */
  function packed(ta: number, m: number, k: number, a: FloatArray): [number, number] {
    const bytes = X.packedABytes(m, k);
    const off = heap.rawAlloc(bytes);
    if (off < 0) throw new Error('gradlab wasm: out of memory packing a convolution weight');
    X.packA(ta, m, k, a.byteOffset, ta ? m : k, off, 0, Math.ceil(m / tileRows));
    return [off, bytes];
  }

  /**
   * The correlation g (3×3, stride 1; winogradFits) of x [n, ci, g.h, g.w] into y [n, co, g.oh, g.ow]
   * by Winograd F(2×2, 3×3) (convWinogradRange in asm/src/kernels.ts): the kernels of W
   * [o, c, 3, 3] transformed once (flip: rotated and their planes swapped, for the data
   * gradient) and packed per position ξ, then groups of samples on the pool.
   */
  function winograd(x: Float32Array, n: number, ci: number, g: Window2d, co: number, w: Float32Array, flip: boolean, bias: FloatArray | null, y: Float32Array, beta: number): void {
    const T = ((g.oh + 1) >> 1) * ((g.ow + 1) >> 1);
    const per = Math.max(1, Math.min(Math.ceil(n / 2), Math.ceil(WINOGRAD_TILES / T)));
    const spg = Math.ceil(n / Math.min(WINOGRAD_GROUPS, Math.ceil(n / per)));
    const groups = Math.ceil(n / spg);
    const u = heap.allocF32(16 * co * ci, false);
    X.winogradWeights(w.byteOffset, flip ? ci : co, flip ? co : ci, flip ? 1 : 0, u.byteOffset);
    const stride = X.packedABytes(co, ci);
    const up = heap.rawAlloc(16 * stride);
    if (up < 0) throw new Error('gradlab wasm: out of memory packing a convolution weight');
    for (let xi = 0; xi < 16; xi++) X.packA(0, co, ci, u.byteOffset + xi * co * ci * 4, ci, up + xi * stride, 0, Math.ceil(co / tileRows));
    heap.free(u);
    const place = heap.allocF32(groups * X.winogradPlaceFloats(ci, co, g.oh, g.ow, per), false);
    gemmRanges('convWinogradRange', [x.byteOffset, n, ci, putGeo(g), co, up, stride, p(bias), y.byteOffset, beta, place.byteOffset, per, spg], groups, n * co * ci * 9 * g.oh * g.ow);
    heap.free(place);
    heap.rawFree(up, 16 * stride);
  }

  const k: WasmBackend = {
    name: wasm.variant,
    gemmKernel: native ? native.kernel : 'wasm',
    heap,
    pool,
    chooser,
    winograd: true,
    wasm,
    owns: (a) => owns(a),
    shutdownThreads: () => pool.shutdown(),

    alloc(n, dtype, zero = true) {
      return dtype === 'float64' ? reference.alloc(n, dtype, zero) : heap.allocF32(n, zero);
    },
    free(a) {
      if (a instanceof Float32Array) heap.free(a);
    },

    gemm(transA, transB, m, n, kk, alpha, a, b, beta, c) {
      if (!(a instanceof Float32Array && b instanceof Float32Array && c instanceof Float32Array)) {
        reference.gemm(transA, transB, m, n, kk, alpha, a, b, beta, c);
        return;
      }
      if (m === 0 || n === 0) return;
      const ta = transA ? 1 : 0, tb = transB ? 1 : 0;
      if (heap.owns(a) && heap.owns(b) && heap.owns(c)) {
        gemmOwned(ta, tb, m, n, kk, alpha, a.byteOffset, b.byteOffset, beta, c.byteOffset);
        return;
      }
      if (!staged([a, b, c], [2], ([as, bs, cs]) => gemmOwned(ta, tb, m, n, kk, alpha, as!.byteOffset, bs!.byteOffset, beta, cs!.byteOffset))) {
        reference.gemm(transA, transB, m, n, kk, alpha, a, b, beta, c);
      }
    },

    fill(a, value) {
      if (owns(a)) X.fill(a.byteOffset, a.length, value);
      else a.fill(value);
    },
    copy(src, dst) {
      reference.copy(src, dst);
    },
    axpy(alpha, x, y) {
      if (owns(x) && owns(y)) X.axpy(alpha, x.byteOffset, y.byteOffset, x.length);
      else reference.axpy(alpha, x, y);
    },
    scale(x, alpha) {
      if (owns(x)) X.scale(x.byteOffset, x.length, alpha);
      else reference.scale(x, alpha);
    },

    binary(kind, a, aStrides, b, bStrides, out, outShape) {
      if (owns(a) && owns(b) && owns(out)) {
        const plan = plan2d(outShape, aStrides, bStrides);
        if (plan) {
          X.binary2d(BINARY_KIND[kind], a.byteOffset, plan[0], b.byteOffset, plan[1], out.byteOffset, plan[2], plan[3]);
          return;
        }
      }
      reference.binary(kind, a, aStrides, b, bStrides, out, outShape);
    },
    binaryBackward(kind, wrt, gOut, outShape, a, aStrides, b, bStrides, gIn) {
      if (owns(a) && owns(b) && owns(gOut) && owns(gIn)) {
        const plan = plan2d(outShape, aStrides, bStrides);
        if (plan) {
          X.binaryBackward2d(BINARY_KIND[kind], wrt, gOut.byteOffset, a.byteOffset, plan[0], b.byteOffset, plan[1], gIn.byteOffset, plan[2], plan[3]);
          return;
        }
      }
      reference.binaryBackward(kind, wrt, gOut, outShape, a, aStrides, b, bStrides, gIn);
    },

    unary(kind, prm, x, y) {
      if (owns(x) && owns(y)) elementwise('unarySplit', [x.byteOffset, y.byteOffset], [UNARY_KIND[kind], prm], x.length);
      else reference.unary(kind, prm, x, y);
    },
    unaryBackward(kind, prm, x, y, gy, gx, beta) {
      if (owns(x) && owns(y) && owns(gy) && owns(gx)) elementwise('unaryBackwardSplit', [x.byteOffset, y.byteOffset, gy.byteOffset, gx.byteOffset], [UNARY_KIND[kind], prm, beta], x.length);
      else reference.unaryBackward(kind, prm, x, y, gy, gx, beta);
    },
    // A Linear layer's bias + activation and its backward, on the pool when large: forward in
    // ranges of rows, backward in ranges of 4-column groups (each column's sum whole, so the
    // threads do not change a bit).
    biasActivation(kind, prm, x, bias, rows, cols, y) {
      if (owns(x) && owns(bias) && owns(y)) ranges('biasActivationRange', [UNARY_KIND[kind], prm, x.byteOffset, p(bias), rows, cols, y.byteOffset], rows, rows * cols, BIAS_ACTIVATION_MIN);
      else reference.biasActivation(kind, prm, x, bias, rows, cols, y);
    },

    biasActivationBackward(kind, prm, y, gy, rows, cols, gz, gBias) {
      if (owns(y) && owns(gy) && owns(gz) && owns(gBias))
        ranges('biasActivationBackwardRange', [UNARY_KIND[kind], prm, y.byteOffset, gy.byteOffset, rows, cols, gz.byteOffset, p(gBias)], Math.ceil(cols / 4), rows * cols, BIAS_ACTIVATION_MIN);
      else reference.biasActivationBackward(kind, prm, y, gy, rows, cols, gz, gBias);
    },

    sumAxis(x, outer, n, inner, out) {
      if (owns(x) && owns(out)) X.sumAxis(x.byteOffset, outer, n, inner, out.byteOffset);
      else reference.sumAxis(x, outer, n, inner, out);
    },
    broadcastAxis(g, outer, n, inner, scale, gx) {
      if (owns(g) && owns(gx)) X.broadcastAxis(g.byteOffset, outer, n, inner, scale, gx.byteOffset);
      else reference.broadcastAxis(g, outer, n, inner, scale, gx);
    },

    softmax(x, outer, n, inner, log, y) {
      if (owns(x) && owns(y)) X.softmax(x.byteOffset, outer, n, inner, log ? 1 : 0, y.byteOffset);
      else reference.softmax(x, outer, n, inner, log, y);
    },
    softmaxBackward(y, gy, outer, n, inner, log, gx) {
      if (owns(y) && owns(gy) && owns(gx)) X.softmaxBackward(y.byteOffset, gy.byteOffset, outer, n, inner, log ? 1 : 0, gx.byteOffset);
      else reference.softmaxBackward(y, gy, outer, n, inner, log, gx);
    },

    crossEntropy(logits, labels, n, c, losses, probs) {
      if (!(owns(logits) && owns(losses) && owns(probs))) return reference.crossEntropy(logits, labels, n, c, losses, probs);
      for (let r = 0; r < n; r++) {
        const l = labels[r];
        if (!(l >= 0 && l < c)) throw new Error(`crossEntropy: label ${l} at row ${r} is outside [0, ${c})`);
      }
      const lo = heap.rawAlloc(n * 4);
      heap.i32(lo, n).set(labels.subarray(0, n));
      X.crossEntropy(logits.byteOffset, lo, n, c, losses.byteOffset, p(probs));
      heap.rawFree(lo, n * 4);
    },
    crossEntropyBackward(probs, labels, n, c, gRow, gx) {
      if (!(owns(probs) && owns(gRow) && owns(gx))) return reference.crossEntropyBackward(probs, labels, n, c, gRow, gx);
      const lo = heap.rawAlloc(n * 4);
      heap.i32(lo, n).set(labels.subarray(0, n));
      X.crossEntropyBackward(probs.byteOffset, lo, n, c, gRow.byteOffset, gRow.length, gx.byteOffset);
      heap.rawFree(lo, n * 4);
    },

    pointwiseLoss(kind, prm, x, t, out) {
      if (owns(x) && owns(t) && owns(out)) X.pointwiseLoss(LOSS_KIND[kind], prm, x.byteOffset, t.byteOffset, out.byteOffset, x.length);
      else reference.pointwiseLoss(kind, prm, x, t, out);
    },
    pointwiseLossBackward(kind, prm, x, t, g, gx, gt) {
      if (owns(x) && owns(t) && owns(g) && owns(gx) && owns(gt))
        X.pointwiseLossBackward(LOSS_KIND[kind], prm, x.byteOffset, t.byteOffset, g.byteOffset, g.length, p(gx), p(gt), x.length);
      else reference.pointwiseLossBackward(kind, prm, x, t, g, gx, gt);
    },

    batchNorm(args) {
      const { x, n, c, l, weight, bias, runningMean, runningVar, training, momentum, eps, y, saveMean, saveInvStd } = args;
      if (owns(x) && owns(weight) && owns(bias) && owns(runningMean) && owns(runningVar) && owns(y) && owns(saveMean) && owns(saveInvStd) && (training || (runningMean && runningVar)))
        // [N, C] (l = 1) goes eight channels at a time in one call; [N, C, L] in ranges of channels.
        if (l === 1) X.batchNorm(x.byteOffset, n, c, l, p(weight), p(bias), p(runningMean), p(runningVar), training ? 1 : 0, momentum, eps, y.byteOffset, saveMean.byteOffset, saveInvStd.byteOffset);
        else ranges('batchNormRange', [x.byteOffset, n, c, l, p(weight), p(bias), p(runningMean), p(runningVar), training ? 1 : 0, momentum, eps, y.byteOffset, saveMean.byteOffset, saveInvStd.byteOffset], c, x.length);
      else reference.batchNorm(args);
    },
    batchNormBackward(args) {
      const { x, gy, n, c, l, weight, saveMean, saveInvStd, training, gx, gxBeta = 1, gWeight, gBias } = args;
      if (owns(x) && owns(gy) && owns(weight) && owns(saveMean) && owns(saveInvStd) && owns(gx) && owns(gWeight) && owns(gBias))
        if (l === 1) X.batchNormBackward(x.byteOffset, gy.byteOffset, n, c, l, p(weight), saveMean.byteOffset, saveInvStd.byteOffset, training ? 1 : 0, p(gx), gxBeta, p(gWeight), p(gBias));
        else ranges('batchNormBackwardRange', [x.byteOffset, gy.byteOffset, n, c, l, p(weight), saveMean.byteOffset, saveInvStd.byteOffset, training ? 1 : 0, p(gx), gxBeta, p(gWeight), p(gBias)], c, x.length);
      else reference.batchNormBackward(args);
    },

    // Convolution's im2col/col2im and pooling in wasm (SIMD runs, no bounds test in the inner
    // loops of im2col and maxpool 2×2; average pooling as the reference's loops, f64 sums).
    im2col(x, c, g, col, ld = g.oh * g.ow) {
      if (owns(x) && owns(col)) X.im2col(x.byteOffset, c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, col.byteOffset, ld);
      else reference.im2col(x, c, g, col, ld);
    },
    col2im(col, c, g, gx, ld = g.oh * g.ow) {
      if (owns(col) && owns(gx)) X.col2im(col.byteOffset, c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, gx.byteOffset, ld);
      else reference.col2im(col, c, g, gx, ld);
    },
    // A convolution's per-sample products: fixed groups of samples on the pool (convGroups),
    // each with its own col in cache; op(W) packed once. A smallConv's forward and ∂W are the
    // direct kernels instead (each group's sample planes zero-bordered in the col's place).
    convForward(x, n, c, g, w, o, bias, y) {
      if (!(owns(x) && owns(w) && owns(bias) && owns(y))) {
        if (!staged([x, w, bias, y], [3], ([xs, ws, bs, ys]) => k.convForward(xs!, n, c, g, ws!, o, bs, ys!))) reference.convForward(x, n, c, g, w, o, bias, y);
        return;
      }
      const kk = c * g.kh * g.kw, l = g.oh * g.ow;
      if (k.winograd && winogradFits(c, o, g)) {
        winograd(x as Float32Array, n, c, g, o, w as Float32Array, false, bias, y as Float32Array, 0);
        return;
      }
      if (smallConv(c, g)) {
        const size = paddedSize(c, g);
        const [per, groups] = convGroups(n, size);
        const pad = heap.allocF32(groups * size, false);
        gemmRanges('convDirectForwardRange', [x.byteOffset, n, c, putGeo(g), o, w.byteOffset, p(bias), pad.byteOffset, y.byteOffset, per], groups, n * o * kk * l);
        heap.free(pad);
        return;
      }
      const [per, groups] = convGroups(n, kk * l);
      const [wp, bytes] = packed(0, o, kk, w);
      const col = heap.allocF32(groups * kk * l, false);
      gemmRanges('convForwardRange', [x.byteOffset, n, c, putGeo(g), o, wp, p(bias), col.byteOffset, y.byteOffset, per], groups, n * o * kk * l);
      heap.free(col);
      heap.rawFree(wp, bytes);
    },
    convBackwardData(gy, n, c, g, w, o, gx, beta) {
      if (!(owns(gy) && owns(w) && owns(gx))) {
        if (!staged([gy, w, gx], [2], ([gys, ws, gxs]) => k.convBackwardData(gys!, n, c, g, ws!, o, gxs!, beta))) reference.convBackwardData(gy, n, c, g, w, o, gx, beta);
        return;
      }
      // ∂x = the correlation of ∂y, zero-padded by 2 − p, with the kernels rotated by 180°.
      const back: Window2d = { ...g, h: g.oh, w: g.ow, ph: 2 - g.ph, pw: 2 - g.pw, oh: g.h, ow: g.w };
      if (k.winograd && winogradFits(o, c, back)) {
        winograd(gy as Float32Array, n, o, back, c, w as Float32Array, true, null, gx as Float32Array, beta);
        return;
      }
      const kk = c * g.kh * g.kw, l = g.oh * g.ow;
      const [per, groups] = convGroups(n, kk * l);
      const [wtp, bytes] = packed(1, kk, o, w);
      const gcol = heap.allocF32(groups * kk * l, false);
      gemmRanges('convBackwardDataRange', [gy.byteOffset, n, c, putGeo(g), o, wtp, gcol.byteOffset, gx.byteOffset, per, beta], groups, n * o * kk * l);
      heap.free(gcol);
      heap.rawFree(wtp, bytes);
    },
    // Each group's part holds its ∂W sums [o, kk] and, with gb, its bias sums [o] after them.
    convBackwardWeight(gy, x, n, c, g, o, gw, beta, gb, gbBeta) {
      if (!(owns(gy) && owns(x) && owns(gw) && owns(gb))) {
        if (!staged([gy, x, gw, gb], [2, 3], ([gys, xs, gws, gbs]) => k.convBackwardWeight(gys!, xs!, n, c, g, o, gws!, beta, gbs, gbBeta))) reference.convBackwardWeight(gy, x, n, c, g, o, gw, beta, gb, gbBeta);
        return;
      }
      const kk = c * g.kh * g.kw, l = g.oh * g.ow, row = o * kk + (gb ? o : 0);
      const small = smallConv(c, g);
      const [per, groups] = convGroups(n, small ? paddedSize(c, g) : kk * l);
      const col = heap.allocF32(groups * (small ? paddedSize(c, g) : kk * l), false);
      const parts = heap.allocF32(groups * row, false);
      gemmRanges(small ? 'convDirectBackwardWeightRange' : 'convBackwardWeightRange', [gy.byteOffset, x.byteOffset, n, c, putGeo(g), o, col.byteOffset, parts.byteOffset, per, gb ? 1 : 0], groups, n * o * kk * l);
      const sum = heap.allocF32(row, false);
      k.sumAxis(parts, 1, groups, row, sum);
      const into = (s: Float32Array, out: FloatArray, b: number) => (b === 0 ? k.copy(s, out) : k.axpy(1, s, out));
      into(sum.subarray(0, o * kk), gw, beta);
      if (gb) into(sum.subarray(o * kk), gb, gbBeta);
      heap.free(sum);
      heap.free(parts);
      heap.free(col);
    },
    maxPool2d(x, planes, g, y, indices) {
      if (owns(x) && owns(y) && heap.owns(indices)) ranges('maxPool2dRange', [x.byteOffset, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, y.byteOffset, indices.byteOffset], planes, x.length);
      else reference.maxPool2d(x, planes, g, y, indices);
    },
    maxPool2dBackward(gy, indices, planes, g, gx, beta) {
      if (owns(gy) && owns(gx) && heap.owns(indices)) ranges('maxPool2dBackwardRange', [gy.byteOffset, indices.byteOffset, g.h, g.w, g.oh, g.ow, gx.byteOffset, beta], planes, gx.length);
      else reference.maxPool2dBackward(gy, indices, planes, g, gx, beta);
    },
    avgPool2d(x, planes, g, y) {
      if (owns(x) && owns(y)) X.avgPool2d(x.byteOffset, planes, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, y.byteOffset);
      else reference.avgPool2d(x, planes, g, y);
    },
    avgPool2dBackward(gy, planes, g, gx) {
      if (owns(gy) && owns(gx)) X.avgPool2dBackward(gy.byteOffset, planes, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow, gx.byteOffset);
      else reference.avgPool2dBackward(gy, planes, g, gx);
    },
    adaptiveAvgPool2d(x, planes, h, w, oh, ow, y) {
      if (owns(x) && owns(y)) X.adaptiveAvgPool2d(x.byteOffset, planes, h, w, oh, ow, y.byteOffset);
      else reference.adaptiveAvgPool2d(x, planes, h, w, oh, ow, y);
    },
    adaptiveAvgPool2dBackward(gy, planes, h, w, oh, ow, gx) {
      if (owns(gy) && owns(gx)) X.adaptiveAvgPool2dBackward(gy.byteOffset, planes, h, w, oh, ow, gx.byteOffset);
      else reference.adaptiveAvgPool2dBackward(gy, planes, h, w, oh, ow, gx);
    },

    prelu(x, w, outer, c, inner, y) {
      if (owns(x) && owns(w) && owns(y)) X.prelu(x.byteOffset, w.byteOffset, outer, c, inner, y.byteOffset);
      else reference.prelu(x, w, outer, c, inner, y);
    },
    preluBackward(x, w, gy, outer, c, inner, gx, gw) {
      if (owns(x) && owns(w) && owns(gy) && owns(gx) && owns(gw)) X.preluBackward(x.byteOffset, w.byteOffset, gy.byteOffset, outer, c, inner, p(gx), p(gw));
      else reference.preluBackward(x, w, gy, outer, c, inner, gx, gw);
    },

    maskScale(x, mask, scale, y) {
      if (owns(x) && owns(mask) && owns(y)) X.maskScale(x.byteOffset, mask.byteOffset, scale, y.byteOffset, x.length);
      else reference.maskScale(x, mask, scale, y);
    },
    alphaDropout(x, mask, alphaPrime, a, b, y) {
      if (owns(x) && owns(mask) && owns(y)) X.alphaDropout(x.byteOffset, mask.byteOffset, alphaPrime, a, b, y.byteOffset, x.length);
      else reference.alphaDropout(x, mask, alphaPrime, a, b, y);
    },

    sumSquares(x) {
      return owns(x) ? X.moments(x.byteOffset, x.length, 0) : reference.sumSquares(x);
    },
    moments(x) {
      if (!owns(x)) return reference.moments(x);
      const sumSq = X.moments(x.byteOffset, x.length, misc);
      return { sum: heap.f64(misc, 1)[0], sumSq };
    },
    allFinite(x) {
      // An array in JS memory (a data set checked before training): the native scan when it is there.
      return owns(x) ? X.allFinite(x.byteOffset, x.length) === 1 : native ? native.allFinite(x) : reference.allFinite(x);
    },
    clampInPlace(x, clip) {
      if (owns(x)) X.clampInPlace(x.byteOffset, x.length, clip);
      else reference.clampInPlace(x, clip);
    },

    sgdStep(args) {
      if (OPTIMIZERS.sgd.owned(args)) elementwise('sgdStep', OPTIMIZERS.sgd.pointers(args), OPTIMIZERS.sgd.scalars(args), args.param.length);
      else reference.sgdStep(args);
    },
    adamStep(args) {
      if (OPTIMIZERS.adam.owned(args)) elementwise('adamStep', OPTIMIZERS.adam.pointers(args), OPTIMIZERS.adam.scalars(args), args.param.length);
      else reference.adamStep(args);
    },
    rmspropStep(args) {
      if (OPTIMIZERS.rmsprop.owned(args)) elementwise('rmspropStep', OPTIMIZERS.rmsprop.pointers(args), OPTIMIZERS.rmsprop.scalars(args), args.param.length);
      else reference.rmspropStep(args);
    },
    sgdSteps(args, save) {
      return optimizerSteps(OPTIMIZERS.sgd, args, save, (a) => k.sgdStep(a));
    },
    adamSteps(args, save) {
      return optimizerSteps(OPTIMIZERS.adam, args, save, (a) => k.adamStep(a));
    },
    rmspropSteps(args, save) {
      return optimizerSteps(OPTIMIZERS.rmsprop, args, save, (a) => k.rmspropStep(a));
    },
  };
  return k;
}
