// Native single-precision GEMM for Node (x86-64 with AVX2 and FMA, or AVX-512F), C ← α·op(A)·op(B) + β·C,
// on the WebAssembly backend's own shared memory: every pointer is a byte offset into that
// memory, exactly as for asm/src/gemm.ts, so this file only replaces that GEMM's inner loops.
//
// Why: a WebAssembly thread multiplies with 128-bit vectors (4 lanes); the same core has 256-bit
// AVX2 FMAs (8 lanes) and, on CPUs that have it, 512-bit AVX-512 (16 lanes): measured on a Zen 5
// core, 60–64 GFLOP/s in wasm against 216–231 here (bench/RESULTS.md). In Node, where a native
// addon can be built, the product runs here; in the browser it stays in WebAssembly.
//
// Same numbers, bit for bit, as the relaxed-SIMD WebAssembly GEMM (the one the backend picks
// when the engine has FMA). Both compute, for every element of C:
//   for each K block [pc, pc + kc) (kc = balanced(k, KC, 4), the same cut):
//     acc = 0;  for p in order: acc = fma(A[i, p], B[p, j], acc)
//     C = β_eff == 0 ? α·acc : α·acc + β_eff·C      (β_eff = β for the first block, 1 after)
// Vector width, tile shape, packing and threading change which elements are computed
// together, never the operations on one element. So the lab in a browser and `gradlab train`
// in Node give the same run, and every PyTorch conformance test holds on both.
// Compiled with -ffp-contract=off: α·acc + β·C must stay two roundings, as in WebAssembly.
//
// Structure (Goto & van de Geijn 2008), as in gemm.ts: pack an NR-wide panel of op(B) per
// (jc, pc), an MR-tall block of op(A) per ic, then an MR×NR register tile. Two builds of this
// file (scripts/build-native.mjs): AVX2, MR×NR = 6×16 (12 ymm accumulators + 2 for the B row + 1
// for the broadcast of A = 15 of 16 registers; edge tiles through a scratch tile), and
// GL_AVX512, 6×32 (12 zmm accumulators; edge tiles by masked loads and stores). One tile per ISA
// rather than a template over intrinsics: their types, loads and edges differ. MR = 6 as in the
// relaxed wasm GEMM, so op(A) packed by either (packA) serves both. The addon also scans arrays
// in JS memory for non-finite values (allFinite: fit's check of a data set).

#include <node_api.h>
#include <immintrin.h>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <algorithm>

namespace {

constexpr int MR = 6;
#ifdef GL_AVX512
constexpr int NR = 32;  // two zmm per row of the tile
#else
constexpr int NR = 16;  // two ymm per row of the tile
#endif
constexpr int KC = 256;  // must equal gemm.ts's KC: the K blocks decide where C is rounded
constexpr int MC = 144;
constexpr int NC = 4096;
constexpr int DIRECT_N = 32;


inline int balanced(int total, int max, int unit) {
  int blocks = (total + max - 1) / max;
  int size = (total + blocks - 1) / blocks;
  return (size + unit - 1) / unit * unit;
}
inline int paddedRows(int m) { return (m + MR - 1) / MR * MR; }

// Per-thread packing buffers (each worker thread is its own OS thread): 4.6 MB.
struct Scratch {
  float* packA = nullptr;  // (MC + MR) × KC
  float* packB = nullptr;  // KC × NC
  float tile[MR * NR] __attribute__((aligned(32)));
  Scratch() {
    packA = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * (MC + MR) * KC));
    packB = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * KC * NC));
  }
  ~Scratch() {
    std::free(packA);
    std::free(packB);
  }
};
// Constructed on a thread's first product, freed when the thread ends (a worker of the pool
// that setNumThreads retires).
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// The MR×NR tile: acc[r][0:16] = Σ_p A[r, p]·B[p, 0:16]. A is a packed sliver (element (r, p)
// at pa[p·MR + r]) or, STRIDED, read in place at pa[r·ars + p] (rows of an untransposed A).
// The result goes to `out` (row stride ldo) by the merge rule above.
template <bool STRIDED>
inline void tile(int kc, const float* pa, long ars, const float* pb, float* out, long ldo, float alpha, float beta) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int p = 0; p < kc; p++) {
    const __m256 b0 = _mm256_load_ps(pb), b1 = _mm256_load_ps(pb + 8);
    __m256 a;
#define GL_ROW(r, x0, x1)                                                             \
  a = STRIDED ? _mm256_broadcast_ss(pa + (r) * ars) : _mm256_broadcast_ss(pa + (r)); \
  x0 = _mm256_fmadd_ps(a, b0, x0);                                                    \
  x1 = _mm256_fmadd_ps(a, b1, x1);
    GL_ROW(0, c00, c01)
    GL_ROW(1, c10, c11)
    GL_ROW(2, c20, c21)
    GL_ROW(3, c30, c31)
    GL_ROW(4, c40, c41)
    GL_ROW(5, c50, c51)
#undef GL_ROW
    pa += STRIDED ? 1 : MR;
    pb += NR;
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const bool plain = alpha == 1.0f && beta == 0.0f;
  auto put = [&](float* o, __m256 lo, __m256 hi) {
    if (plain) {
      _mm256_storeu_ps(o, lo);
      _mm256_storeu_ps(o + 8, hi);
    } else if (beta == 0.0f) {  // β = 0 never reads C (BLAS: a NaN in C is ignored)
      _mm256_storeu_ps(o, _mm256_mul_ps(va, lo));
      _mm256_storeu_ps(o + 8, _mm256_mul_ps(va, hi));
    } else {
      _mm256_storeu_ps(o, _mm256_add_ps(_mm256_mul_ps(va, lo), _mm256_mul_ps(vb, _mm256_loadu_ps(o))));
      _mm256_storeu_ps(o + 8, _mm256_add_ps(_mm256_mul_ps(va, hi), _mm256_mul_ps(vb, _mm256_loadu_ps(o + 8))));
    }
  };
  put(out, c00, c01);
  put(out + ldo, c10, c11);
  put(out + 2 * ldo, c20, c21);
  put(out + 3 * ldo, c30, c31);
  put(out + 4 * ldo, c40, c41);
  put(out + 5 * ldo, c50, c51);
}

#ifdef GL_AVX512
// The AVX-512 tile, 6×32: 12 zmm accumulators. Edge tiles need no scratch: packed A and B are
// zero-padded, and only the mr rows and nr columns inside C are read and written (masks).
template <bool STRIDED>
inline void tile512(int kc, const float* pa, long ars, const float* pb, float* out, long ldo, float alpha, float beta, int mr, int nr) {
  __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps();
  __m512 c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
  __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps();
  __m512 c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
  __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps();
  __m512 c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
  for (int p = 0; p < kc; p++) {
    const __m512 b0 = _mm512_load_ps(pb), b1 = _mm512_load_ps(pb + 16);
    __m512 a;
#define GL_ROW(r, x0, x1)                                                    \
  a = _mm512_set1_ps(STRIDED ? pa[(r) * ars] : pa[(r)]);                     \
  x0 = _mm512_fmadd_ps(a, b0, x0);                                           \
  x1 = _mm512_fmadd_ps(a, b1, x1);
    GL_ROW(0, c00, c01)
    GL_ROW(1, c10, c11)
    GL_ROW(2, c20, c21)
    GL_ROW(3, c30, c31)
    GL_ROW(4, c40, c41)
    GL_ROW(5, c50, c51)
#undef GL_ROW
    pa += STRIDED ? 1 : MR;
    pb += NR;
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const bool plain = alpha == 1.0f && beta == 0.0f;
  const __mmask16 m0 = nr >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << nr) - 1);
  const __mmask16 m1 = nr >= 32 ? 0xFFFF : nr > 16 ? static_cast<__mmask16>((1u << (nr - 16)) - 1) : 0;
  auto put = [&](float* o, __m512 lo, __m512 hi) {
    if (plain) {
      _mm512_mask_storeu_ps(o, m0, lo);
      _mm512_mask_storeu_ps(o + 16, m1, hi);
    } else if (beta == 0.0f) {  // β = 0 never reads C (BLAS: a NaN in C is ignored)
      _mm512_mask_storeu_ps(o, m0, _mm512_mul_ps(va, lo));
      _mm512_mask_storeu_ps(o + 16, m1, _mm512_mul_ps(va, hi));
    } else {
      _mm512_mask_storeu_ps(o, m0, _mm512_add_ps(_mm512_mul_ps(va, lo), _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m0, o))));
      _mm512_mask_storeu_ps(o + 16, m1, _mm512_add_ps(_mm512_mul_ps(va, hi), _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m1, o + 16))));
    }
  };
  put(out, c00, c01);
  if (mr > 1) put(out + ldo, c10, c11);
  if (mr > 2) put(out + 2 * ldo, c20, c21);
  if (mr > 3) put(out + 3 * ldo, c30, c31);
  if (mr > 4) put(out + 4 * ldo, c40, c41);
  if (mr > 5) put(out + 5 * ldo, c50, c51);
}
#endif

// Edge tile: the part of a full-size tile `t` (computed with α = 1, β = 0) that lies inside C.
void mergeEdge(const float* t, float* c, long ldc, int mr, int nr, float alpha, float beta) {
  for (int r = 0; r < mr; r++)
    for (int q = 0; q < nr; q++) {
      const float v = t[r * NR + q];
      float* d = c + r * ldc + q;
      *d = beta == 0.0f ? alpha * v : alpha * v + beta * *d;
    }
}

// 8×8 transpose of ymm rows.
inline void transpose8(__m256& r0, __m256& r1, __m256& r2, __m256& r3, __m256& r4, __m256& r5, __m256& r6, __m256& r7) {
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r0 = _mm256_permute2f128_ps(u0, u4, 0x20);
  r1 = _mm256_permute2f128_ps(u1, u5, 0x20);
  r2 = _mm256_permute2f128_ps(u2, u6, 0x20);
  r3 = _mm256_permute2f128_ps(u3, u7, 0x20);
  r4 = _mm256_permute2f128_ps(u0, u4, 0x31);
  r5 = _mm256_permute2f128_ps(u1, u5, 0x31);
  r6 = _mm256_permute2f128_ps(u2, u6, 0x31);
  r7 = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// dst[p·R + r] = src[r·ld + p] for r < rv (rows contiguous along k), 0 for rv ≤ r < R:
// op(A) untransposed (R = MR) and op(B) transposed (R = NR).
void packRows(const float* src, long ld, int R, int rv, int kc, float* dst) {
  int g = 0;
  for (; g + 8 <= rv; g += 8) {
    const float* s = src + g * ld;
    int p = 0;
    for (; p + 8 <= kc; p += 8) {
      __m256 r0 = _mm256_loadu_ps(s + p), r1 = _mm256_loadu_ps(s + ld + p), r2 = _mm256_loadu_ps(s + 2 * ld + p), r3 = _mm256_loadu_ps(s + 3 * ld + p);
      __m256 r4 = _mm256_loadu_ps(s + 4 * ld + p), r5 = _mm256_loadu_ps(s + 5 * ld + p), r6 = _mm256_loadu_ps(s + 6 * ld + p), r7 = _mm256_loadu_ps(s + 7 * ld + p);
      transpose8(r0, r1, r2, r3, r4, r5, r6, r7);
      float* d = dst + p * R + g;
      _mm256_storeu_ps(d, r0);
      _mm256_storeu_ps(d + R, r1);
      _mm256_storeu_ps(d + 2 * R, r2);
      _mm256_storeu_ps(d + 3 * R, r3);
      _mm256_storeu_ps(d + 4 * R, r4);
      _mm256_storeu_ps(d + 5 * R, r5);
      _mm256_storeu_ps(d + 6 * R, r6);
      _mm256_storeu_ps(d + 7 * R, r7);
    }
    for (; p < kc; p++)
      for (int r = 0; r < 8; r++) dst[p * R + g + r] = s[r * ld + p];
  }
  for (; g + 4 <= rv; g += 4) {
    const float* s = src + g * ld;
    int p = 0;
    for (; p + 4 <= kc; p += 4) {
      __m128 r0 = _mm_loadu_ps(s + p), r1 = _mm_loadu_ps(s + ld + p), r2 = _mm_loadu_ps(s + 2 * ld + p), r3 = _mm_loadu_ps(s + 3 * ld + p);
      _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
      float* d = dst + p * R + g;
      _mm_storeu_ps(d, r0);
      _mm_storeu_ps(d + R, r1);
      _mm_storeu_ps(d + 2 * R, r2);
      _mm_storeu_ps(d + 3 * R, r3);
    }
    for (; p < kc; p++)
      for (int r = 0; r < 4; r++) dst[p * R + g + r] = s[r * ld + p];
  }
  for (int r = g; r < R; r++) {
    const bool valid = r < rv;
    const float* s = src + r * ld;
    for (int p = 0; p < kc; p++) dst[p * R + r] = valid ? s[p] : 0.0f;
  }
}

// dst[p·R + r] = src[p·ld + r] for r < rv (rows of R contiguous elements), 0 past rv:
// op(B) untransposed (R = NR) and op(A) transposed (R = MR).
void packCols(const float* src, long ld, int R, int rv, int kc, float* dst) {
  if (rv == R && R == NR) {
    for (int p = 0; p < kc; p++) {
      for (int r = 0; r < NR; r += 8) _mm256_store_ps(dst + r, _mm256_loadu_ps(src + r));
      src += ld;
      dst += R;
    }
    return;
  }
  for (int p = 0; p < kc; p++) {
    for (int r = 0; r < R; r++) dst[r] = r < rv ? src[r] : 0.0f;
    src += ld;
    dst += R;
  }
}

void packABlock(int transA, int m, int i0, int rows, int pc, int kc, const float* a, long lda, float* dst) {
  for (int ir = 0; ir < rows; ir += MR) {
    const int i = i0 + ir;
    const int mr = std::min(MR, m - i);
    float* d = dst + ir * kc;
    if (transA) packCols(a + pc * lda + i, lda, MR, mr, kc, d);
    else packRows(a + i * lda + pc, lda, MR, mr, kc, d);
  }
}

// op(A) packed for gemm's `ap`, in gemm.ts's layout (same MR): K block pc at pc·paddedRows(m),
// sliver ir at ir·kc in it; slivers [first, first + count) only.
void packA(int transA, int m, int k, const float* a, long lda, float* dst, int first, int count) {
  const int kb = balanced(k, KC, 4);
  const int rows = paddedRows(m);
  const int i0 = first * MR;
  const int nr = std::min(count * MR, rows - i0);
  if (nr <= 0) return;
  for (int pc = 0; pc < k; pc += kb) {
    const int kc = std::min(kb, k - pc);
    packABlock(transA, m, i0, nr, pc, kc, a, lda, dst + pc * rows + i0 * kc);
  }
}

void gemm(int transA, int transB, int m, int n, int k, float alpha, const float* a, long lda, const float* b, long ldb,
          float beta, float* c, long ldc, const float* ap) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) {
        float* q = c + i * ldc + j;
        *q = beta == 0.0f ? 0.0f : beta * *q;
      }
    return;
  }
  Scratch& s = scratch();
  const int kb = balanced(k, KC, 4);
  const int mb = balanced(m, MC, MR);
  const int mPad = paddedRows(m);
  const bool direct = ap == nullptr && !transA && n < DIRECT_N;
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = std::min(NC, n - jc);
    for (int pc = 0; pc < k; pc += kb) {
      const int kc = std::min(kb, k - pc);
      for (int jr = 0; jr < nc; jr += NR) {
        const int nr = std::min(NR, nc - jr);
        float* dst = s.packB + jr * kc;
        const int j = jc + jr;
        if (transB) packRows(b + j * ldb + pc, ldb, NR, nr, kc, dst);
        else packCols(b + pc * ldb + j, ldb, NR, nr, kc, dst);
      }
      const float betaEff = pc == 0 ? beta : 1.0f;
      for (int ic = 0; ic < m; ic += mb) {
        const int mc = std::min(mb, m - ic);
        const float* blockA = ap != nullptr ? ap + pc * mPad + ic * kc : s.packA;
        if (ap == nullptr) {
          if (!direct) packABlock(transA, m, ic, mc, pc, kc, a, lda, s.packA);
          else if (mc % MR != 0) {
            const int ir = mc - mc % MR;
            packABlock(transA, m, ic + ir, MR, pc, kc, a, lda, s.packA + ir * kc);
          }
        }
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = std::min(NR, nc - jr);
          const float* pb = s.packB + jr * kc;
          for (int ir = 0; ir < mc; ir += MR) {
            const int mr = std::min(MR, mc - ir);
            float* cp = c + (ic + ir) * ldc + jc + jr;
#ifdef GL_AVX512
            if (direct && mr == MR) tile512<true>(kc, a + (ic + ir) * lda + pc, lda, pb, cp, ldc, alpha, betaEff, mr, nr);
            else tile512<false>(kc, blockA + ir * kc, 0, pb, cp, ldc, alpha, betaEff, mr, nr);
            continue;
#endif
            const bool full = mr == MR && nr == NR;
            float* out = full ? cp : s.tile;
            const long ldo = full ? ldc : NR;
            const float al = full ? alpha : 1.0f, be = full ? betaEff : 0.0f;
            if (direct && mr == MR) tile<true>(kc, a + (ic + ir) * lda + pc, lda, pb, out, ldo, al, be);
            else tile<false>(kc, blockA + ir * kc, 0, pb, out, ldo, al, be);
            if (!full) mergeEdge(s.tile, cp, ldc, mr, nr, alpha, betaEff);
          }
        }
      }
    }
  }
}

// ---- N-API glue -------------------------------------------------------------------------

bool cpuOk() {
  __builtin_cpu_init();
#ifdef GL_AVX512
  if (!__builtin_cpu_supports("avx512f")) return false;
#endif
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

bool cpuHasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

int32_t I32(napi_env env, napi_value v) {
  int32_t x = 0;
  napi_get_value_int32(env, v, &x);
  return x;
}

float F32(napi_env env, napi_value v) {
  double x = 0;
  napi_get_value_double(env, v, &x);
  return static_cast<float>(x);
}

// Pointers are byte offsets into one shared WebAssembly memory, whose start (it never moves: a
// shared memory is reserved at its maximum size) each bound function carries as its data.
template <typename T>
T* At(uint8_t* base, int32_t off) {
  return reinterpret_cast<T*>(base + static_cast<uint32_t>(off));
}

// gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ws, ap): byte offsets, as
// the WebAssembly export (ws is unused: each thread has its own packing buffers).
napi_value Gemm(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value v[15];
  void* data = nullptr;
  napi_get_cb_info(env, info, &argc, v, nullptr, &data);
  uint8_t* base = static_cast<uint8_t*>(data);
  if (argc < 15) {
    napi_throw_type_error(env, nullptr, "gemm: expected 15 arguments");
    return nullptr;
  }
  const int32_t apOff = I32(env, v[14]);
  gemm(I32(env, v[0]), I32(env, v[1]), I32(env, v[2]), I32(env, v[3]), I32(env, v[4]), F32(env, v[5]),
       At<const float>(base, I32(env, v[6])), I32(env, v[7]), At<const float>(base, I32(env, v[8])), I32(env, v[9]), F32(env, v[10]),
       At<float>(base, I32(env, v[11])), I32(env, v[12]), apOff == 0 ? nullptr : At<const float>(base, apOff));
  return nullptr;
}

// packA(transA, m, k, a, lda, dst, first, count): byte offsets, as the WebAssembly export.
napi_value PackA(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value v[8];
  void* data = nullptr;
  napi_get_cb_info(env, info, &argc, v, nullptr, &data);
  uint8_t* base = static_cast<uint8_t*>(data);
  if (argc < 8) {
    napi_throw_type_error(env, nullptr, "packA: expected 8 arguments");
    return nullptr;
  }
  packA(I32(env, v[0]), I32(env, v[1]), I32(env, v[2]), At<const float>(base, I32(env, v[3])), I32(env, v[4]), At<float>(base, I32(env, v[5])),
        I32(env, v[6]), I32(env, v[7]));
  return nullptr;
}

// bind(view) → {gemm, packA, base}: the kernels on the memory `view` (a typed array over the
// whole WebAssembly memory) lies in. One process can hold several memories (several backends,
// each worker thread binds its own functions), so the start travels with the functions.
napi_value Bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  napi_typedarray_type type;
  size_t length, offset;
  void* data = nullptr;
  napi_value buffer;
  if (argc < 1 || napi_get_typedarray_info(env, args[0], &type, &length, &data, &buffer, &offset) != napi_ok || data == nullptr) {
    napi_throw_type_error(env, nullptr, "bind: expected a typed array over the WebAssembly memory");
    return nullptr;
  }
  uint8_t* base = static_cast<uint8_t*>(data) - offset;
  napi_value out, fn, addr;
  napi_create_object(env, &out);
  napi_create_function(env, "gemm", NAPI_AUTO_LENGTH, Gemm, base, &fn);
  napi_set_named_property(env, out, "gemm", fn);
  napi_create_function(env, "packA", NAPI_AUTO_LENGTH, PackA, base, &fn);
  napi_set_named_property(env, out, "packA", fn);
  napi_create_double(env, static_cast<double>(reinterpret_cast<uintptr_t>(base)), &addr);
  napi_set_named_property(env, out, "base", addr);
  return out;
}

// allFinite(view): whether every value of a float32 or float64 typed array anywhere in JS
// memory is finite (a data set checked before training: 47 M values, ≈ 20 ms in JS). A value
// is ±∞ or NaN exactly when its exponent bits are all ones.
napi_value AllFinite(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value args[1];
  napi_get_cb_info(env, info, &argc, args, nullptr, nullptr);
  napi_typedarray_type type;
  size_t length = 0, offset;
  void* data = nullptr;
  napi_value buffer;
  if (argc < 1 || napi_get_typedarray_info(env, args[0], &type, &length, &data, &buffer, &offset) != napi_ok ||
      (type != napi_float32_array && type != napi_float64_array)) {
    napi_throw_type_error(env, nullptr, "allFinite: expected a Float32Array or Float64Array");
    return nullptr;
  }
  bool ok = true;
  if (length == 0 || data == nullptr) ok = true;
  else if (type == napi_float32_array) {
    const uint32_t* u = static_cast<const uint32_t*>(data);
    const __m256i mask = _mm256_set1_epi32(0x7f800000);
    __m256i bad = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= length; i += 32) {
      for (int q = 0; q < 4; q++) {
        const __m256i v = _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(u + i + 8 * q)), mask);
        bad = _mm256_or_si256(bad, _mm256_cmpeq_epi32(v, mask));
      }
    }
    ok = _mm256_testz_si256(bad, bad);
    for (; ok && i < length; i++) ok = (u[i] & 0x7f800000u) != 0x7f800000u;
  } else {
    const uint64_t* u = static_cast<const uint64_t*>(data);
    for (size_t i = 0; ok && i < length; i++) ok = (u[i] & 0x7ff0000000000000ull) != 0x7ff0000000000000ull;
  }
  napi_value r;
  napi_get_boolean(env, ok, &r);
  return r;
}

void SetInt(napi_env env, napi_value obj, const char* name, int32_t x) {
  napi_value v;
  napi_create_int32(env, x, &v);
  napi_set_named_property(env, obj, name, v);
}

void SetFn(napi_env env, napi_value obj, const char* name, napi_callback f) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, f, nullptr, &fn);
  napi_set_named_property(env, obj, name, fn);
}

}  // namespace

NAPI_MODULE_INIT() {
  napi_value ok;
  napi_get_boolean(env, cpuOk(), &ok);
  napi_set_named_property(env, exports, "supported", ok);
  // Whether the AVX-512 build (NR = 32) may be loaded instead: asked of this build first, so
  // the AVX-512 one is never loaded on a CPU without it.
  napi_value wide;
  napi_get_boolean(env, cpuHasAvx512(), &wide);
  napi_set_named_property(env, exports, "avx512", wide);
  napi_value isa;
#ifdef GL_AVX512
  napi_create_string_utf8(env, "native-avx512", NAPI_AUTO_LENGTH, &isa);
#else
  napi_create_string_utf8(env, "native-avx2", NAPI_AUTO_LENGTH, &isa);
#endif
  napi_set_named_property(env, exports, "kernel", isa);
  SetInt(env, exports, "MR", MR);
  SetInt(env, exports, "NR", NR);
  SetInt(env, exports, "KC", KC);
  SetFn(env, exports, "bind", Bind);
  SetFn(env, exports, "allFinite", AllFinite);
  return exports;
}
