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
 * Two exceptions to packing A. A caller that splits N over threads packs op(A) once with
 * `packA` and hands every thread the packed copy (`ap`), so no thread re-packs it. And a
 * narrow product (N < DIRECT_N, e.g. the 10 logits of a classifier), whose op(A) = A would
 * cost more to pack than to multiply, reads the rows of A in place (strided micro-kernel).
 *
 * Micro-kernel MR×8: per k step it loads one 8-wide row of the B sliver (2 vectors), broadcasts
 * MR elements of A and issues 2·MR multiply-adds into 2·MR f32x4 accumulators. V8 on x64
 * allocates 15 xmm registers (xmm15 is its scratch), so the tile is as tall as fits:
 *   relaxed SIMD (FMA, no temporary): 6×8 = 12 accumulators + 2 B + 1 A = 15 registers;
 *   plain SIMD (mul then add needs a product temporary): 5×8 = 10 + 2 + 1 + 1 = 14.
 * Measured on V8 (Node 20, Zen 3; `npm run bench:tiles`, median of per-round ratios, results in
 * bench/RESULTS-gemm.md): with FMA 6×8 runs 1.09–1.20× the old 4×8; without FMA 5×8 runs
 * 1.08–1.16×, while 6×8 spills (best 25 GFLOP/s against 5×8's 38); 4×12 (3 B vectors) spills
 * with FMA. Taller tiles load B less often per multiply-add (2 vector loads per 2·MR FMAs).
 *
 * Block sizes: KC·NR·4 B = 8 KiB B sliver + KC·MR·4 B ≤ 6 KiB A sliver fit a 32 KiB L1d;
 * MC·KC·4 = 128 KiB A block sits in a 512 KiB L2; KC and MC are balanced (784 → 4 × 196,
 * not 3 × 256 + 16) so no block is a thin remainder.
 */

// @ts-ignore: decorator
@inline const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 5;
// @ts-ignore: decorator
@inline const NR: i32 = 8;
// @ts-ignore: decorator
@inline const KC: i32 = 256;
// @ts-ignore: decorator
@inline const MC: i32 = 128;
// @ts-ignore: decorator
@inline const NC: i32 = 4096;

/** Bytes of scratch one gemm call needs (packed A block, packed B panel, one edge tile). */
export const GEMM_SCRATCH_BYTES: i32 = ((MC + MR) * KC + KC * NC + MR * NR) * 4;
/** Rows of the micro-kernel's tile: callers that split M cut it in multiples of this. */
export const GEMM_MR: i32 = MR;
/** Columns of the micro-kernel's tile. */
export const GEMM_NR: i32 = NR;
/** The K block: where partial sums are rounded into C (the native GEMM must cut K the same way). */
export const GEMM_KC: i32 = KC;

/** a·b + c: fused (relaxed SIMD, one rounding where the hardware has FMA) or mul then add. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/**
 * The MR×8 micro-kernel: C[0:MR, 0:8] (row stride ldc) = Σ_p A[r, p]·B[p, 0:8] over kc steps,
 * written (mode 0) or added to C (mode 1). B is a packed sliver (kc rows of 8). A is a packed
 * sliver (PACKED: kc columns of MR, element (r, p) at pa + 4·(p·MR + r), so the row offsets are
 * immediates) or, strided, read in place at pa + r·ars + p·aks (rows of an untransposed A).
 * ROWS = MR, a compile-time constant like PACKED: each instance is specialised when inlined,
 * and rows past ROWS are dead code.
 * Only what the loop needs is live in it. α and β are applied outside (see storeRow), because
 * two more live xmm registers make the 6×8 tile spill (whole-gemm A/B: 0.6–0.7×). Not unrolled: on V8
 * unrolling by 2–8 made TurboFan's schedule slower (more live ranges, spills).
 */
// @ts-ignore: decorator
@inline export function microTile(ROWS: i32, PACKED: bool, kc: i32, pa: usize, ars: usize, aks: usize, pb: usize, c: usize, ldc: i32, mode: i32): void {
  const ars2 = ars << 1, ars3 = ars2 + ars, ars4 = ars2 << 1, ars5 = ars4 + ars;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = PACKED ? v128.load32_splat(pa, 4) : v128.load32_splat(pa + ars);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = PACKED ? v128.load32_splat(pa, 8) : v128.load32_splat(pa + ars2);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = PACKED ? v128.load32_splat(pa, 12) : v128.load32_splat(pa + ars3);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a = PACKED ? v128.load32_splat(pa, 16) : v128.load32_splat(pa + ars4);
    c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
    if (ROWS == 6) {
      a = PACKED ? v128.load32_splat(pa, 20) : v128.load32_splat(pa + ars5);
      c50 = madd(a, b0, c50); c51 = madd(a, b1, c51);
    }
    pa += PACKED ? <usize>(ROWS << 2) : aks;
    pb += 32;
  }
  const rs = <usize>ldc << 2;
  storeRow(c, c00, c01, mode); c += rs;
  storeRow(c, c10, c11, mode); c += rs;
  storeRow(c, c20, c21, mode); c += rs;
  storeRow(c, c30, c31, mode); c += rs;
  storeRow(c, c40, c41, mode);
  if (ROWS == 6) storeRow(c + rs, c50, c51, mode);
}

/** The micro-kernel on a packed A sliver (see microTile). */
function kernelPacked(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, mode: i32): void {
  microTile(MR, true, kc, pa, 0, 0, pb, c, ldc, mode);
}

/** The micro-kernel on MR rows of A read in place: row stride ars, step aks bytes (see microTile). */
function kernelStrided(kc: i32, pa: usize, ars: usize, aks: usize, pb: usize, c: usize, ldc: i32, mode: i32): void {
  microTile(MR, false, kc, pa, ars, aks, pb, c, ldc, mode);
}

/**
 * Row of a tile into C: mode 0 writes C = acc, 1 accumulates C += acc (the later K blocks of an
 * α = 1 product). Any other α or β goes through a scratch tile and `mergeTile`.
 */
// @ts-ignore: decorator
@inline function storeRow(c: usize, lo: v128, hi: v128, mode: i32): void {
  if (mode == 0) {
    v128.store(c, lo);
    v128.store(c, hi, 16);
  } else {
    v128.store(c, f32x4.add(lo, v128.load(c)));
    v128.store(c, f32x4.add(hi, v128.load(c, 16)), 16);
  }
}

/** C[0:mr, 0:nr] = α·T + βc·C for a tile T (MR×NR, row stride NR); βc = 0 never reads C (BLAS: NaN in C is ignored). */
function mergeTile(t: usize, c: usize, ldc: i32, mr: i32, nr: i32, alpha: f32, betaEff: f32): void {
  for (let r = 0; r < mr; r++) {
    const cr = c + (<usize>r * <usize>ldc << 2);
    const tr = t + (<usize>(r * NR) << 2);
    for (let q = 0; q < nr; q++) {
      const v = load<f32>(tr + (<usize>q << 2));
      const dp = cr + (<usize>q << 2);
      store<f32>(dp, betaEff == 0 ? alpha * v : alpha * v + betaEff * load<f32>(dp));
    }
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
  let g = 0;
  // Groups of 4 valid rows: 4×4 in-register transposes.
  for (; g + 4 <= rv; g += 4) {
    const d0 = dst + (<usize>g << 2);
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
  }
  // The remaining rows one by one; rows past `rv` are zero.
  for (let r = g; r < R; r++) {
    const valid = r < rv;
    const s = src + <usize>r * rs;
    let d = dst + (<usize>r << 2);
    for (let p = 0; p < kc; p++) {
      store<f32>(d, valid ? load<f32>(s + (<usize>p << 2)) : 0);
      d += ds;
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
  const ds = <usize>R << 2;
  if (rv == R) {
    // R = 8 (B slivers): two vectors; R = 5 or 6 (A slivers of op(A)ᵀ): one vector + the rest.
    const vec = R & ~3;
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < vec; r += 4) v128.store(dst + (<usize>r << 2), v128.load(src + (<usize>r << 2)));
      for (let r = vec; r < R; r++) store<f32>(dst + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
      src += rs; dst += ds;
    }
  } else {
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < R; r++) store<f32>(dst + (<usize>r << 2), r < rv ? load<f32>(src + (<usize>r << 2)) : 0);
      src += rs; dst += ds;
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

/** Rows of op(A) rounded up to whole MR slivers. */
// @ts-ignore: decorator
@inline function paddedRows(m: i32): i32 {
  return (m + MR - 1) / MR * MR;
}

/** Bytes `packA` writes for an m×k op(A). */
export function packedABytes(m: i32, k: i32): i32 {
  return paddedRows(m) * k * 4;
}

/** Pack MR-row slivers of op(A)[i0:i0+rows, pc:pc+kc] (rows past m zero) into dst, one after another. */
function packABlock(transA: i32, m: i32, i0: i32, rows: i32, pc: i32, kc: i32, a: usize, lda: i32, dst: usize): void {
  for (let ir = 0; ir < rows; ir += MR) {
    const i = i0 + ir;
    const mr = min(MR, m - i);
    const d = dst + (<usize>(ir * kc) << 2);
    if (transA) packCols(a + ((<usize>pc * <usize>lda + <usize>i) << 2), lda, MR, mr, kc, d);
    else packRows(a + ((<usize>i * <usize>lda + <usize>pc) << 2), lda, MR, mr, kc, d);
  }
}

/**
 * Pack op(A) (m×k) for `gemm(..., ap)`: K blocks as gemm cuts them, each holding every MR
 * sliver of the padded rows, so block pc starts at pc·paddedRows(m) floats and its sliver ir
 * at ir·kc within it. Only slivers [first, first + count) are written, so threads can share
 * the packing (count = ceil(m / MR) packs it all).
 */
export function packA(transA: i32, m: i32, k: i32, a: usize, lda: i32, dst: usize, first: i32, count: i32): void {
  const kb = balanced(k, KC, 4);
  const rows = paddedRows(m);
  const i0 = first * MR;
  const nr = min(count * MR, rows - i0);
  if (nr <= 0) return;
  for (let pc = 0; pc < k; pc += kb) {
    const kc = min(kb, k - pc);
    packABlock(transA, m, i0, nr, pc, kc, a, lda, dst + (<usize>(pc * rows + i0 * kc) << 2));
  }
}

/**
 * The host's GEMM: in Node, the native one (native/gemm.cc), bound by the JS side to this
 * memory. It computes gemm's numbers bit for bit, so the kernels below that multiply (the
 * fused convolutions, Winograd) may call either; `gemmAny` picks it once `setHostGemm(1)` has
 * said it is there (per instance: each worker thread sets its own).
 */
// @ts-ignore: decorator
@external("env", "hostGemm")
declare function hostGemm(transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32, a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, ws: usize, ap: usize): void;

let useHostGemm: bool = false;

/** Let the kernels' products run in the host's GEMM (1) or here (0). */
export function setHostGemm(on: i32): void {
  useHostGemm = on != 0;
}

/** gemm, or the host's identical one when it is there (see hostGemm). */
export function gemmAny(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, ws: usize, ap: usize,
): void {
  if (useHostGemm) hostGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ws, ap);
  else gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ws, ap);
}

/** Narrower products than this read an untransposed A in place instead of packing it. */
// @ts-ignore: decorator
@inline const DIRECT_N: i32 = 32;

/**
 * C ← α·op(A)·op(B) + β·C with explicit leading dimensions (elements), so a caller can hand
 * a thread any rectangle of C. Pointers are byte addresses in linear memory; `ws` is
 * GEMM_SCRATCH_BYTES of scratch owned by the calling thread; `ap` is op(A) packed by `packA`
 * (with the same m and k) or 0.
 */
export function gemm(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, ws: usize, ap: usize,
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
  const packBuf = ws;
  const packB = ws + (<usize>((MC + MR) * KC) << 2);
  const tile = packB + (<usize>(KC * NC) << 2);
  const kb = balanced(k, KC, 4);
  const mb = balanced(m, MC, MR);
  const mPad = paddedRows(m);
  const direct = ap == 0 && !transA && n < DIRECT_N;
  const rs = <usize>lda << 2;
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
      const fast = alpha == 1 && (betaEff == 0 || betaEff == 1);
      const mode = betaEff == 0 ? 0 : 1;
      for (let ic = 0; ic < m; ic += mb) {
        const mc = min(mb, m - ic);
        // This block's A slivers: from the caller's packed copy, or packed here. In direct mode
        // only a partial last sliver is packed (zero-padded, so no row past m is ever read).
        const blockA = ap != 0 ? ap + (<usize>(pc * mPad + ic * kc) << 2) : packBuf;
        if (ap == 0) {
          if (!direct) packABlock(transA, m, ic, mc, pc, kc, a, lda, packBuf);
          else if (mc % MR != 0) {
            const ir = mc - mc % MR;
            packABlock(transA, m, ic + ir, MR, pc, kc, a, lda, packBuf + (<usize>(ir * kc) << 2));
          }
        }
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = packB + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = blockA + (<usize>(ir * kc) << 2);
            const cp = c + ((<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) << 2);
            const full = mr == MR && nr == NR && fast;
            const out = full ? cp : tile;
            const ldo = full ? ldc : NR;
            const mo = full ? mode : 0;
            if (direct && mr == MR) kernelStrided(kc, a + ((<usize>(ic + ir) * <usize>lda + <usize>pc) << 2), rs, 4, pb, out, ldo, mo);
            else kernelPacked(kc, pa, pb, out, ldo, mo);
            // Edge tile or general α, β: merge the scratch tile.
            if (!full) mergeTile(tile, cp, ldc, mr, nr, alpha, betaEff);
          }
        }
      }
    }
  }
}
