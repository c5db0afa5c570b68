/**
 * Single-precision GEMM, C ← α·op(A)·op(B) + β·C, for WebAssembly 128-bit SIMD.
 *
 * Structure (Goto & van de Geijn 2008, "Anatomy of high-performance matrix multiplication"):
 *   for jc in N by NC:                       B panel  (KC × NC)  lives in L3
 *     for pc in K by KC:   pack op(B)[pc:, jc:] into NR-wide slivers
 *       for ic in M by MC: pack op(A)[ic:, pc:] into MR-tall slivers   A block (MC × KC) lives in L2
 *         for jr in NC by NR, ir in MC by MR:  MR×NR micro-kernel       B sliver (KC × NR) lives in L1
 * Packing is where the transposes are absorbed: op(A) and op(B) are read with whatever
 * strides they have and written in the order the micro-kernel consumes them, so A·B, A·Bᵀ
 * and Aᵀ·B all run the same inner loop and no transpose is ever materialised.
 *
 * Micro-kernel 4×8: 8 f32x4 accumulators + 2 B vectors + 1 broadcast A (+ 1 product temporary
 * without FMA) = 12 of the 16 xmm registers V8 uses on x64, so TurboFan keeps everything in
 * registers (6×8 needs 16 and spills; measured slower). Per k step it issues 2 vector loads,
 * 4 broadcast loads and 8 multiply-adds: 8 independent accumulation chains cover the 3–4
 * cycle add latency on two FP add pipes.
 *
 * Block sizes: KC·NR·4 B = 8 KiB B sliver + KC·MR·4 B = 4 KiB A sliver fit a 32 KiB L1d;
 * MC·KC·4 = 128 KiB A block sits in a 512 KiB L2; KC and MC are balanced (784 → 4 × 196,
 * not 3 × 256 + 16) so no block is a thin remainder.
 */

// @ts-ignore: decorator
@inline const MR: i32 = 4;
// @ts-ignore: decorator
@inline const NR: i32 = 8;
// @ts-ignore: decorator
@inline const KC: i32 = 256;
// @ts-ignore: decorator
@inline const MC: i32 = 128;
// @ts-ignore: decorator
@inline const NC: i32 = 4096;

/** Bytes of scratch one gemm call needs (packed A block, packed B panel, one edge tile). */
export const GEMM_SCRATCH_BYTES: i32 = (MC * KC + KC * NC + MR * NR) * 4;

/** a·b + c: fused (relaxed SIMD, one rounding where the hardware has FMA) or mul then add. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * 4×8 micro-kernel on packed slivers: pa holds kc×4 (A column-slices), pb kc×8 (B row-slices).
 * Writes C = α·acc (betaEff = 0) or α·acc + betaEff·C; betaEff is β on the first K block and
 * 1 on the following ones, and β = 0 never reads C (BLAS: NaN in C is ignored).
 */
function kernel4x8(kc: i32, pa: usize, ars: usize, aks: usize, pb: usize, c: usize, ldc: i32, alpha: f32, betaEff: f32): void {
  // A is read at pa + r·ars + p·aks: packed slivers (ars = 4, aks = 16) or, for op(A) = A, the
  // rows of A in place (ars = lda·4, aks = 4) — no copy, and a thread splitting N never packs
  // the same A twice.
  const ars2 = ars << 1, ars3 = ars2 + ars;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // Not unrolled: measured on V8 (Node 20, Zen 5) unrolling by 2–8 made TurboFan's schedule
  // slower (more live ranges, spills), 4×8 u1 is the fastest of the shapes tried.
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa + ars);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa + ars2);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa + ars3);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += aks; pb += 32;
  }
  const va = f32x4.splat(alpha);
  const rs = <usize>ldc << 2;
  if (betaEff == 0) {
    v128.store(c, f32x4.mul(va, c00)); v128.store(c, f32x4.mul(va, c01), 16); c += rs;
    v128.store(c, f32x4.mul(va, c10)); v128.store(c, f32x4.mul(va, c11), 16); c += rs;
    v128.store(c, f32x4.mul(va, c20)); v128.store(c, f32x4.mul(va, c21), 16); c += rs;
    v128.store(c, f32x4.mul(va, c30)); v128.store(c, f32x4.mul(va, c31), 16);
  } else {
    const vb = f32x4.splat(betaEff);
    v128.store(c, f32x4.add(f32x4.mul(va, c00), f32x4.mul(vb, v128.load(c))));
    v128.store(c, f32x4.add(f32x4.mul(va, c01), f32x4.mul(vb, v128.load(c, 16))), 16); c += rs;
    v128.store(c, f32x4.add(f32x4.mul(va, c10), f32x4.mul(vb, v128.load(c))));
    v128.store(c, f32x4.add(f32x4.mul(va, c11), f32x4.mul(vb, v128.load(c, 16))), 16); c += rs;
    v128.store(c, f32x4.add(f32x4.mul(va, c20), f32x4.mul(vb, v128.load(c))));
    v128.store(c, f32x4.add(f32x4.mul(va, c21), f32x4.mul(vb, v128.load(c, 16))), 16); c += rs;
    v128.store(c, f32x4.add(f32x4.mul(va, c30), f32x4.mul(vb, v128.load(c))));
    v128.store(c, f32x4.add(f32x4.mul(va, c31), f32x4.mul(vb, v128.load(c, 16))), 16);
  }
}

/**
 * Pack R rows that are contiguous along k (row stride ld elements) into dst[p·R + r]:
 * op(A) without transpose (R = MR) and op(B) transposed (R = NR). Groups of 4 rows × 4 k
 * are moved with a 4×4 in-register transpose (8 shuffles per 16 floats); rows past `rv`
 * are zero so the micro-kernel can always run full tiles.
 */
function packRows(src: usize, ld: i32, R: i32, rv: i32, kc: i32, dst: usize): void {
  const rs = <usize>ld << 2;
  const ds = <usize>R << 2;
  for (let g = 0; g < R; g += 4) {
    const d0 = dst + (<usize>g << 2);
    if (g + 4 <= rv) {
      const s0 = src + <usize>g * rs, s1 = s0 + rs, s2 = s1 + rs, s3 = s2 + rs;
      let p = 0;
      let d = d0;
      for (; p + 4 <= kc; p += 4) {
        const o = <usize>p << 2;
        const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
        const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
        const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        v128.store(d, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5)); d += ds;
        v128.store(d, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7)); d += ds;
        v128.store(d, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5)); d += ds;
        v128.store(d, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7)); d += ds;
      }
      for (; p < kc; p++) {
        const o = <usize>p << 2;
        v128.store(d, f32x4(load<f32>(s0 + o), load<f32>(s1 + o), load<f32>(s2 + o), load<f32>(s3 + o)));
        d += ds;
      }
    } else {
      for (let r = 0; r < 4; r++) {
        const valid = g + r < rv;
        const s = src + <usize>(g + r) * rs;
        let d = d0 + (<usize>r << 2);
        for (let p = 0; p < kc; p++) {
          store<f32>(d, valid ? load<f32>(s + (<usize>p << 2)) : 0);
          d += ds;
        }
      }
    }
  }
}

/**
 * Pack kc rows of R contiguous elements (row stride ld) into dst[p·R + r]: op(B) without
 * transpose (R = NR) and op(A) transposed (R = MR). Straight vector copies; columns past
 * `rv` are zero.
 */
function packCols(src: usize, ld: i32, R: i32, rv: i32, kc: i32, dst: usize): void {
  const rs = <usize>ld << 2;
  if (rv == R) {
    if (R == 8) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += rs; dst += 32;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < R; r += 4) v128.store(dst + (<usize>r << 2), v128.load(src + (<usize>r << 2)));
        src += rs; dst += <usize>R << 2;
      }
    }
  } else {
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < R; r++) store<f32>(dst + (<usize>r << 2), r < rv ? load<f32>(src + (<usize>r << 2)) : 0);
      src += rs; dst += <usize>R << 2;
    }
  }
}

/** Split `total` into ceil(total/max) near-equal blocks, rounded up to a multiple of `unit`. */
// @ts-ignore: decorator
@inline function balanced(total: i32, max: i32, unit: i32): i32 {
  const blocks = (total + max - 1) / max;
  const size = (total + blocks - 1) / blocks;
  return (size + unit - 1) / unit * unit;
}

/**
 * C ← α·op(A)·op(B) + β·C with explicit leading dimensions (elements), so a caller can hand
 * a thread any rectangle of C. Pointers are byte addresses in linear memory; `ws` is
 * GEMM_SCRATCH_BYTES of scratch owned by the calling thread.
 */
export function gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, ws: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    for (let i = 0; i < m; i++) {
      const row = c + (<usize>i * <usize>ldc << 2);
      for (let j = 0; j < n; j++) {
        const q = row + (<usize>j << 2);
        store<f32>(q, beta == 0 ? 0 : beta * load<f32>(q));
      }
    }
    return;
  }
  const packA = ws;
  const packB = ws + (<usize>(MC * KC) << 2);
  const tile = packB + (<usize>(KC * NC) << 2);
  const kb = balanced(k, KC, 4);
  const mb = balanced(m, MC, MR);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += kb) {
      const kc = min(kb, k - pc);
      // Pack op(B)[pc:pc+kc, jc:jc+nc] into NR-wide slivers of kc×NR.
      for (let jr = 0; jr < nc; jr += NR) {
        const nr = min(NR, nc - jr);
        const dst = packB + (<usize>(jr * kc) << 2);
        const j = jc + jr;
        if (transB) packRows(b + ((<usize>j * <usize>ldb + <usize>pc) << 2), ldb, NR, nr, kc, dst);
        else packCols(b + ((<usize>pc * <usize>ldb + <usize>j) << 2), ldb, NR, nr, kc, dst);
      }
      const betaEff: f32 = pc == 0 ? beta : 1;
      for (let ic = 0; ic < m; ic += mb) {
        const mc = min(mb, m - ic);
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = min(MR, mc - ir);
          const dst = packA + (<usize>(ir * kc) << 2);
          const i = ic + ir;
          if (transA) packCols(a + ((<usize>pc * <usize>lda + <usize>i) << 2), lda, MR, mr, kc, dst);
          // Full row slivers of an untransposed A are read in place (see kernel4x8); only the
          // last, partial sliver is packed (zero-padded, so no row past m is ever read).
          else if (mr < MR) packRows(a + ((<usize>i * <usize>lda + <usize>pc) << 2), lda, MR, mr, kc, dst);
        }
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = packB + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const direct = !transA && mr == MR;
            const pa = direct ? a + ((<usize>(ic + ir) * <usize>lda + <usize>pc) << 2) : packA + (<usize>(ir * kc) << 2);
            const ars: usize = direct ? <usize>lda << 2 : 4;
            const aks: usize = direct ? 4 : 16;
            const cp = c + ((<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) << 2);
            if (mr == MR && nr == NR) {
              kernel4x8(kc, pa, ars, aks, pb, cp, ldc, alpha, betaEff);
            } else {
              // Edge tile: compute the full 4×8 into scratch, merge the valid part.
              kernel4x8(kc, pa, ars, aks, pb, tile, NR, 1, 0);
              for (let r = 0; r < mr; r++) {
                for (let q = 0; q < nr; q++) {
                  const t = load<f32>(tile + (<usize>(r * NR + q) << 2));
                  const dp = cp + ((<usize>r * <usize>ldc + <usize>q) << 2);
                  store<f32>(dp, betaEff == 0 ? alpha * t : alpha * t + betaEff * load<f32>(dp));
                }
              }
            }
          }
        }
      }
    }
  }
}
