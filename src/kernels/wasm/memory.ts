/**
 * Tensor storage in WebAssembly linear memory.
 *
 * A JS-side allocator hands out Float32Array views into the (usually shared) memory, so the
 * kernels run on tensors in place, without copies. Design:
 * - Small blocks (below LARGE_BLOCK_BYTES): requests round up to 64 B below 1 KiB, and to one of
 *   4 steps per power of two above (≤ 25 % slack). A training loop that allocates the same shapes
 *   every step finds them on the free list of their class: after the first step, memory stays flat.
 * - Large blocks (activations of a big batch) are cut from free ranges kept in address order:
 *   best fit, the rest split off, a freed block merged with its free neighbours, and a request
 *   that fits nowhere extends the free range that ends at the top, if any. Per-class free lists
 *   reused only blocks of one length, so an evaluation of 10,000 images through a CNN, whose
 *   activations have a different length after each conv or pooling layer, reserved a block for
 *   each (3.9 GB of the 4 GiB); cut and merged, the same memory serves each next activation.
 * - Blocks are 64-byte aligned (one cache line, and v128 accesses never split a line).
 * - `free(view)` returns a block; views are also registered with a FinalizationRegistry so
 *   blocks of tensors nobody frees come back once the garbage collector drops the view.
 * - A freed view of a small block is kept with its block (still registered) and handed out again by the next
 *   request of the same length, so a training step that frees and re-allocates the same
 *   shapes creates no view objects and makes no registry calls (≈ 2 µs per alloc/free pair
 *   before). A request of another length in that size class takes the block and drops the view.
 *   Only the exact view returned by `alloc` frees its block: a `subarray` of it does not
 *   keep the block alive — keep the parent alive while using such a view.
 * - Shared memory grows in place and old views stay valid, but `memory.buffer` becomes a new
 *   SharedArrayBuffer object after each grow, so "is this array ours?" checks the array's
 *   buffer against the set of every buffer object the memory has had.
 * - Unshared memory (no cross-origin isolation) would detach every view when it grows, so
 *   it never grows: when full, `alloc` returns ordinary Float32Arrays, which the backend
 *   treats as foreign (reference kernels, or staging copies for GEMM).
 */

const ALIGN = 64;

/**
 * The heap asks the engine for a garbage collection each time it has handed out this many bytes
 * of blocks (new ones, or ones returned to its free lists), or a quarter of its reserved memory,
 * whichever is more, since the last request (see WasmHeap.collect). A training step that reuses
 * its freed views takes none, so steady training causes no collections.
 */
export const COLLECT_AFTER_BYTES = 16 * 2 ** 20;

/**
 * The engine's garbage collector as a function, in Node (`node --expose-gc`'s `gc`, else the
 * same exposed at run time through node:v8 and node:vm); null in browsers, which offer none,
 * or with GRADLAB_AUTO_GC=0.
 */
export function findCollector(): (() => void) | null {
  const g = globalThis as { gc?: () => void; process?: { env?: Record<string, string | undefined>; getBuiltinModule?: (id: string) => unknown } };
  if (g.process?.env?.GRADLAB_AUTO_GC === '0') return null;
  if (typeof g.gc === 'function') return g.gc;
  if (!g.process?.getBuiltinModule) return null;
  try {
    const v8 = g.process.getBuiltinModule('node:v8') as { setFlagsFromString(flags: string): void };
    const vm = g.process.getBuiltinModule('node:vm') as { runInNewContext(code: string): unknown };
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

/**
 * Blocks from this size up are cut from address-ordered free ranges (see the header). A view of
 * one is dropped when freed: making a new one costs ≈ 2 µs, against ≈ 50 µs to zero 1 MiB.
 */
export const LARGE_BLOCK_BYTES = 2 ** 20;

/** The bytes a request of `bytes` takes: its size class when small, 64-byte aligned when large. */
function blockSize(bytes: number): number {
  return bytes >= LARGE_BLOCK_BYTES ? Math.ceil(bytes / ALIGN) * ALIGN : sizeClass(bytes);
}

function sizeClass(bytes: number): number {
  if (bytes <= 1024) return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  const p = 2 ** Math.floor(Math.log2(bytes - 1));
  const step = p / 4;
  return Math.ceil(bytes / step) * step;
}

interface Block {
  off: number;
  size: number;
}

export class WasmHeap {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  /** Every ArrayBuffer object `memory.buffer` has returned. */
  private buffers = new WeakSet<ArrayBufferLike>();
  private current: ArrayBufferLike;
  private top: number;
  private freeLists = new Map<number, number[]>();
  /** Free large ranges in address order (offsets and sizes), none adjacent to another. */
  private rangeOff: number[] = [];
  private rangeSize: number[] = [];
  /** Bytes of large blocks the registry returned and no allocation has counted yet (allocLarge). */
  private reclaimed = 0;
  private live = new WeakMap<Float32Array, Block>();
  /** Freed views by size class, block and registration kept (see the header). */
  private freeViews = new Map<number, Float32Array[]>();
  private registry: FinalizationRegistry<Block> | null;
  /**
   * Zeroes `n` floats at byte offset `off` (the backend installs its SIMD fill kernel:
   * TypedArray.fill on a SharedArrayBuffer is ≈ 4× slower, and recycled blocks are zeroed on
   * every allocation of a training step).
   */
  zero: ((off: number, n: number) => void) | null = null;
  /** Bytes in blocks currently handed out (statistics and tests). */
  liveBytes = 0;
  /** Number of memory.grow calls so far. */
  grows = 0;
  /**
   * Runs a garbage collection (findCollector), or null. Blocks of dropped tensors come back only
   * when the collector has dropped their views, but the collector does not see wasm memory: a
   * loop that builds, trains and drops models (a hyper-parameter sweep, awaiting between them)
   * holds a small JS heap that is never collected while each dropped model's parameters,
   * gradients and optimizer state stay here — measured +16 MB per 2-1024-1024-3 Adam model,
   * 1.6 GB after 100. So after COLLECT_AFTER_BYTES (or a quarter of the reserved memory) of new
   * blocks it asks for a collection, at most once per event-loop turn: the registry returns the
   * dropped blocks at the next turn, and later requests reuse them instead of growing.
   */
  collect: (() => void) | null = null;
  /** Collections requested so far. */
  collections = 0;
  /** Bytes rawAlloc handed out since the last collection request. */
  private rawSinceCollect = 0;
  private collectPending = false;

  /** Ask for a garbage collection, at most once per event-loop turn (its blocks come back only after the turn). */
  private requestCollection(): void {
    if (this.collectPending || this.registry === null) return;
    this.rawSinceCollect = 0;
    this.collections++;
    this.collect!();
    this.collectPending = true;
    setTimeout(() => (this.collectPending = false), 0);
  }

  constructor(memory: WebAssembly.Memory, shared: boolean, heapBase: number) {
    this.memory = memory;
    this.shared = shared;
    this.current = memory.buffer;
    this.buffers.add(this.current);
    // Leave the first 64 KiB to the module's static data (math tables) and stack.
    this.top = Math.max(65536, Math.ceil(heapBase / ALIGN) * ALIGN);
    this.registry =
      typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<Block>((b) => this.release(b)) : null;
  }

  /** True when `a` is a Float32Array whose storage is this heap's memory. */
  owns(a: ArrayBufferView): boolean {
    const buf = a.buffer;
    if (buf === this.current) return true;
    if (this.buffers.has(buf)) return true;
    // A view made after another module grew the memory: refresh and check again.
    this.refresh();
    return buf === this.current;
  }

  private refresh(): ArrayBufferLike {
    const b = this.memory.buffer;
    if (b !== this.current) {
      this.current = b;
      this.buffers.add(b);
    }
    return b;
  }

  /** Where the last rawAlloc's block starts to be never-used memory (zero): its end when none of it is. */
  private lastFreshFrom = 0;

  /** Raw block of `bytes` (64-byte aligned), or -1 when unshared memory is full. */
  rawAlloc(bytes: number): number {
    const size = blockSize(Math.max(bytes, 1));
    if (size >= LARGE_BLOCK_BYTES) return this.allocLarge(size);
    this.rawSinceCollect += size;
    this.maybeCollect();
    const list = this.freeLists.get(size);
    if (list && list.length > 0) {
      this.liveBytes += size;
      const off = list.pop()!;
      this.lastFreshFrom = off + size;
      return off;
    }
    // A block held by a freed view of another length: take it rather than grow.
    const views = this.freeViews.get(size);
    if (views && views.length > 0) {
      const v = views.pop()!;
      const block = this.live.get(v)!;
      this.live.delete(v);
      this.registry?.unregister(v);
      this.liveBytes += size;
      this.lastFreshFrom = block.off + size;
      return block.off;
    }
    const off = this.top;
    if (!this.growTo(off + size)) return -1;
    this.lastFreshFrom = off;
    this.top = off + size;
    this.liveBytes += size;
    return off;
  }

  private maybeCollect(): void {
    if (this.collect !== null && this.rawSinceCollect >= Math.max(COLLECT_AFTER_BYTES, this.top / 4)) this.requestCollection();
  }

  /** Make the memory hold `end` bytes (false: unshared memory is full). */
  private growTo(end: number): boolean {
    if (end > this.refresh().byteLength) {
      if (!this.shared) return false;
      // Past wasm32's 4 GiB, grow() would throw a TypeError about its argument's range.
      if (end > 2 ** 32) throw new RangeError('a WebAssembly memory holds at most 4 GiB');
      const have = this.current.byteLength;
      // Grow by at least 1/8 of the current size so a growing model does not grow page by page,
      // but never past the 4 GiB the request itself fits in.
      const need = Math.min(Math.max(end - have, have / 8), 2 ** 32 - have);
      this.memory.grow(Math.ceil(need / 65536));
      this.grows++;
      this.refresh();
    }
    return true;
  }

  /**
   * A large block: the smallest free range that holds it (the rest stays free), else the free
   * range ending at the top extended, else new memory at the top. Only memory taken past the
   * top, or given back by the registry, counts towards a collection request: steady training
   * recycles ranges it freed itself and asks for none; a sweep that drops models asks as before.
   */
  private allocLarge(size: number): number {
    const offs = this.rangeOff, sizes = this.rangeSize;
    let best = -1;
    for (let i = 0; i < offs.length; i++) if (sizes[i] >= size && (best < 0 || sizes[i] < sizes[best])) best = i;
    let off: number;
    if (best >= 0) {
      off = offs[best];
      if (sizes[best] === size) {
        offs.splice(best, 1);
        sizes.splice(best, 1);
      } else {
        offs[best] += size;
        sizes[best] -= size;
      }
      this.lastFreshFrom = off + size;
      // Memory the registry gave back (dropped tensors) counts as taken, as new memory does.
      const counted = Math.min(size, this.reclaimed);
      this.reclaimed -= counted;
      this.rawSinceCollect += counted;
      this.maybeCollect();
    } else {
      const last = offs.length - 1;
      const extend = last >= 0 && offs[last] + sizes[last] === this.top;
      off = extend ? offs[last] : this.top;
      const end = off + size;
      this.rawSinceCollect += end - this.top;
      this.maybeCollect();
      if (!this.growTo(end)) return -1;
      if (extend) {
        offs.pop();
        sizes.pop();
      }
      // Memory past the top has never been handed out: still zero.
      this.lastFreshFrom = Math.max(off, this.top);
      this.top = end;
    }
    this.liveBytes += size;
    return off;
  }

  /** Return a large block to the free ranges, merged with its free neighbours. */
  private freeLarge(off: number, size: number): void {
    const offs = this.rangeOff, sizes = this.rangeSize;
    let lo = 0, hi = offs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offs[mid] < off) lo = mid + 1;
      else hi = mid;
    }
    const mergePrev = lo > 0 && offs[lo - 1] + sizes[lo - 1] === off;
    const mergeNext = lo < offs.length && off + size === offs[lo];
    if (mergePrev && mergeNext) {
      sizes[lo - 1] += size + sizes[lo];
      offs.splice(lo, 1);
      sizes.splice(lo, 1);
    } else if (mergePrev) sizes[lo - 1] += size;
    else if (mergeNext) {
      offs[lo] = off;
      sizes[lo] += size;
    } else {
      offs.splice(lo, 0, off);
      sizes.splice(lo, 0, size);
    }
  }

  rawFree(off: number, bytes: number): void {
    const size = blockSize(Math.max(bytes, 1));
    this.liveBytes -= size;
    if (size >= LARGE_BLOCK_BYTES) return this.freeLarge(off, size);
    let list = this.freeLists.get(size);
    if (!list) this.freeLists.set(size, (list = []));
    list.push(off);
  }

  private release(b: Block): void {
    this.liveBytes -= b.size;
    if (b.size >= LARGE_BLOCK_BYTES) {
      this.reclaimed += b.size;
      return this.freeLarge(b.off, b.size);
    }
    let list = this.freeLists.get(b.size);
    if (!list) this.freeLists.set(b.size, (list = []));
    list.push(b.off);
  }

  /** Float32 storage for `n` elements, zero-filled unless `zero` is false. */
  allocF32(n: number, zero = true): Float32Array {
    if (n === 0) return new Float32Array(0);
    const bytes = n * 4;
    const size = blockSize(bytes);
    const views = size < LARGE_BLOCK_BYTES ? this.freeViews.get(size) : undefined;
    if (views !== undefined) {
      for (let i = views.length - 1; i >= 0; i--) {
        const v = views[i];
        if (v.length !== n) continue;
        views[i] = views[views.length - 1];
        views.pop();
        this.liveBytes += size;
        if (zero) {
          if (this.zero) this.zero(v.byteOffset, n);
          else v.fill(0);
        }
        return v;
      }
    }
    const off = this.rawAlloc(bytes);
    if (off < 0) return new Float32Array(n);
    const view = new Float32Array(this.current, off, n);
    // Memory past the high-water mark has never been written (wasm zero-fills grown memory), so
    // only recycled blocks (or their recycled part) need clearing: this spares a pass, and the
    // page faults of fresh memory then happen once, in the kernel that first writes the block.
    const used = Math.min(n, Math.max(0, (this.lastFreshFrom - off) >> 2));
    if (zero && used > 0) {
      if (this.zero) this.zero(off, used);
      else view.fill(0, 0, used);
    }
    const block = { off, size };
    this.live.set(view, block);
    this.registry?.register(view, block, view);
    return view;
  }

  /** Return the block of a view obtained from allocF32; anything else is ignored. */
  free(a: Float32Array): void {
    const block = this.live.get(a);
    if (!block) return;
    if (block.size >= LARGE_BLOCK_BYTES) {
      // Dropped with its block, so a second free of this view finds nothing.
      this.live.delete(a);
      this.registry?.unregister(a);
      this.liveBytes -= block.size;
      this.freeLarge(block.off, block.size);
      return;
    }
    let views = this.freeViews.get(block.size);
    if (views === undefined) this.freeViews.set(block.size, (views = []));
    // Freed twice: the view is already waiting here.
    if (views.includes(a)) return;
    this.liveBytes -= block.size;
    views.push(a);
  }

  /** Bytes reserved from the memory so far (high-water mark). */
  get reservedBytes(): number {
    return this.top;
  }

  /** Free large ranges (tests): offsets and sizes in address order. */
  freeRanges(): Array<{ off: number; size: number }> {
    return this.rangeOff.map((off, i) => ({ off, size: this.rangeSize[i] }));
  }

  /** A view on the current buffer (for staging areas). */
  f32(off: number, n: number): Float32Array {
    return new Float32Array(this.refresh(), off, n);
  }
  i32(off: number, n: number): Int32Array {
    return new Int32Array(this.refresh(), off, n);
  }
  f64(off: number, n: number): Float64Array {
    return new Float64Array(this.refresh(), off, n);
  }
}
