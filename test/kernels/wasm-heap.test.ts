/**
 * The wasm heap's large blocks (src/kernels/wasm/memory.ts): cut from address-ordered free
 * ranges by best fit, merged with free neighbours, the range at the top extended; recycled
 * memory zeroed, fresh memory not written. A heap of its own over a fresh shared memory.
 */
import { describe, expect, it } from 'vitest';
import { LARGE_BLOCK_BYTES, WasmHeap } from '../../src/kernels/wasm/memory.js';

const MiB = 2 ** 20;
const floats = (bytes: number) => bytes / 4;

function heap(): WasmHeap {
  return new WasmHeap(new WebAssembly.Memory({ initial: 2, maximum: 65536, shared: true }), true, 0);
}

describe('wasm heap: large blocks', () => {
  it('two freed neighbours merge and serve a request as large as both, without growing', () => {
    const h = heap();
    const a = h.allocF32(floats(2 * MiB));
    const b = h.allocF32(floats(3 * MiB));
    h.allocF32(floats(MiB)); // keeps a and b off the top
    const reserved = h.reservedBytes;
    h.free(a);
    h.free(b);
    expect(h.freeRanges()).toEqual([{ off: a.byteOffset, size: 5 * MiB }]);
    const c = h.allocF32(floats(4 * MiB));
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(h.reservedBytes).toBe(reserved);
    expect(h.freeRanges()).toEqual([{ off: a.byteOffset + 4 * MiB, size: MiB }]);
  });

  it("a CNN evaluation's activations, each freed once the next is made, reserve two of the largest", () => {
    // conv 1, BatchNorm, ReLU, pooling, conv 2, BatchNorm, ReLU, pooling (bench/cnn.mjs, 100 images).
    const sizes = [10, 10, 10, 2.5, 5, 5, 5, 1.25].map((m) => Math.round(m * MiB));
    const h = heap();
    const start = h.reservedBytes;
    let prev: Float32Array | null = null;
    for (const s of sizes) {
      const y = h.allocF32(floats(s));
      if (prev) h.free(prev);
      prev = y;
    }
    // Free lists by size class reserved 10 + 10 + 2.5 + 5 + 5 + 1.25 MiB here.
    expect(h.reservedBytes - start).toBeLessThanOrEqual(20 * MiB);
  });

  it('the best fit: the smallest free range that holds the request', () => {
    const h = heap();
    const big = h.allocF32(floats(8 * MiB));
    h.allocF32(floats(MiB));
    const small = h.allocF32(floats(3 * MiB));
    h.allocF32(floats(MiB));
    h.free(big);
    h.free(small);
    expect(h.allocF32(floats(2 * MiB)).byteOffset).toBe(small.byteOffset);
  });

  it('the free range at the top is extended rather than left behind', () => {
    const h = heap();
    h.allocF32(floats(MiB));
    const a = h.allocF32(floats(2 * MiB));
    const top = h.reservedBytes;
    h.free(a);
    const b = h.allocF32(floats(5 * MiB));
    expect(b.byteOffset).toBe(a.byteOffset);
    expect(h.reservedBytes).toBe(top + 3 * MiB);
  });

  it('recycled memory is zeroed, also where an extended block reaches past the old top', () => {
    const h = heap();
    const a = h.allocF32(floats(2 * MiB));
    a.fill(7);
    h.free(a);
    const b = h.allocF32(floats(MiB)); // a recycled part
    expect(b.every((v) => v === 0)).toBe(true);
    b.fill(5);
    h.free(b);
    const c = h.allocF32(floats(6 * MiB)); // 2 MiB recycled, 4 MiB fresh
    expect(c.byteOffset).toBe(a.byteOffset);
    expect(c.every((v) => v === 0)).toBe(true);
    c.fill(3);
    h.free(c);
    // zero = false (the caller writes every value): the same first fit, not cleared.
    expect(h.allocF32(floats(MiB), false).byteOffset).toBe(a.byteOffset);
  });

  it('a large view freed twice returns its block once', () => {
    const h = heap();
    const a = h.allocF32(floats(2 * MiB));
    h.allocF32(floats(MiB));
    const live = h.liveBytes;
    h.free(a);
    h.free(a);
    expect(h.liveBytes).toBe(live - 2 * MiB);
    expect(h.freeRanges()).toEqual([{ off: a.byteOffset, size: 2 * MiB }]);
  });

  it('blocks below LARGE_BLOCK_BYTES keep their size-class free lists (the same view back)', () => {
    const h = heap();
    const a = h.allocF32(floats(LARGE_BLOCK_BYTES / 2));
    h.free(a);
    expect(h.allocF32(floats(LARGE_BLOCK_BYTES / 2))).toBe(a);
    expect(h.freeRanges()).toEqual([]);
  });
});
