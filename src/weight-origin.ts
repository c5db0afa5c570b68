/**
 * Whose values a weight holds. A layer's weights are the user's as soon as anything but the
 * layer's own default init wrote them; only weights still at that default may be re-drawn
 * for the activation after them (Sequential). Every init.* function marks its tensor as the
 * user's, and so does Module.loadStateDict; a write to `.data` cannot be intercepted, so the
 * default is recognised by its values: a fingerprint of the values the layer drew, compared
 * when the question is asked.
 */
import type { FloatArray } from './kernels/types.js';
import type { Tensor } from './tensor.js';

/** Two 32-bit murmur3-style hashes of the storage's bits, as one number below 2^53. */
function fingerprint(d: FloatArray): number {
  const u = new Uint32Array(d.buffer, d.byteOffset, d.byteLength >>> 2);
  let h1 = 0x9e3779b9 ^ u.length;
  let h2 = 0x85ebca6b;
  for (let i = 0; i < u.length; i++) {
    let k = Math.imul(u[i], 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h1 ^= k;
    h1 = Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64;
    h2 = Math.imul(h2 ^ u[i], 0x27d4eb2f);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  return (h1 >>> 0) * 2 ** 21 + ((h2 >>> 0) >>> 11);
}

/** Tensors holding a layer's default init, with the fingerprint of the values drawn. */
const layerDefaults = new WeakMap<Tensor, number>();

/** @internal A layer records that `t` now holds the values of its own default init. */
export function markLayerDefault(t: Tensor): void {
  layerDefaults.set(t, fingerprint(t.data));
}

/** @internal `t` was written by the user (an init function, loadStateDict): never re-draw it. */
export function markUserSet(t: Tensor): void {
  layerDefaults.delete(t);
}

/**
 * True while `t` holds exactly (bit for bit) the values its layer's default init drew: no
 * init function, loadStateDict or optimizer step has changed it, nor any write to `.data`.
 */
export function isLayerDefault(t: Tensor): boolean {
  const f = layerDefaults.get(t);
  return f !== undefined && f === fingerprint(t.data);
}

