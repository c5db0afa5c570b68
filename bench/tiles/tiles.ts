// GEMM micro-kernel tile shapes, measured in isolation by bench/tiles.mjs: each function runs
// kc steps of an MR×NR tile on packed data (A sliver: MR floats per step, B: NR floats) and
// stores the accumulators. The 5×8 and 6×8 tiles are the production micro-kernel itself
// (microTile of asm/src/gemm.ts, written to a tile with row stride 8); the others are
// alternatives it was measured against. "…g" variants read A with runtime strides, as the
// in-place (unpacked) path does; "k4x8s" broadcasts A lanes by shuffles.
import { madd, microTile } from '../../asm/src/gemm';

export function k4x8(kc: i32, pa: usize, pb: usize, c: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa); c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4); c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8); c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12); c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += 16; pb += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c10, 32); v128.store(c, c11, 48);
  v128.store(c, c20, 64); v128.store(c, c21, 80); v128.store(c, c30, 96); v128.store(c, c31, 112);
}
export function k4x12(kc: i32, pa: usize, pb: usize, c: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0), c32 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32);
    let a = v128.load32_splat(pa); c00 = madd(a, b0, c00); c01 = madd(a, b1, c01); c02 = madd(a, b2, c02);
    a = v128.load32_splat(pa, 4); c10 = madd(a, b0, c10); c11 = madd(a, b1, c11); c12 = madd(a, b2, c12);
    a = v128.load32_splat(pa, 8); c20 = madd(a, b0, c20); c21 = madd(a, b1, c21); c22 = madd(a, b2, c22);
    a = v128.load32_splat(pa, 12); c30 = madd(a, b0, c30); c31 = madd(a, b1, c31); c32 = madd(a, b2, c32);
    pa += 16; pb += 48;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c10, 48); v128.store(c, c11, 64); v128.store(c, c12, 80);
  v128.store(c, c20, 96); v128.store(c, c21, 112); v128.store(c, c22, 128); v128.store(c, c30, 144); v128.store(c, c31, 160); v128.store(c, c32, 176);
}
// 3x12: 9 acc + 3 b + 1 a
export function k3x12(kc: i32, pa: usize, pb: usize, c: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32);
    let a = v128.load32_splat(pa); c00 = madd(a, b0, c00); c01 = madd(a, b1, c01); c02 = madd(a, b2, c02);
    a = v128.load32_splat(pa, 4); c10 = madd(a, b0, c10); c11 = madd(a, b1, c11); c12 = madd(a, b2, c12);
    a = v128.load32_splat(pa, 8); c20 = madd(a, b0, c20); c21 = madd(a, b1, c21); c22 = madd(a, b2, c22);
    pa += 12; pb += 48;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c10, 48); v128.store(c, c11, 64); v128.store(c, c12, 80);
  v128.store(c, c20, 96); v128.store(c, c21, 112); v128.store(c, c22, 128);
}
// 4x8 with A loaded as a vector and lanes broadcast by shuffle
export function k4x8s(kc: i32, pa: usize, pb: usize, c: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const av = v128.load(pa);
    let a = i32x4.shuffle(av, av, 0,0,0,0); c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = i32x4.shuffle(av, av, 1,1,1,1); c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = i32x4.shuffle(av, av, 2,2,2,2); c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = i32x4.shuffle(av, av, 3,3,3,3); c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += 16; pb += 32;
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c10, 32); v128.store(c, c11, 48);
  v128.store(c, c20, 64); v128.store(c, c21, 80); v128.store(c, c30, 96); v128.store(c, c31, 112);
}

export function k5x8(kc: i32, pa: usize, pb: usize, c: usize): void { microTile(5, true, kc, pa, 0, 0, pb, c, 8, 0); }
export function k6x8(kc: i32, pa: usize, pb: usize, c: usize): void { microTile(6, true, kc, pa, 0, 0, pb, c, 8, 0); }
export function k5x8g(kc: i32, pa: usize, ars: usize, aks: usize, pb: usize, c: usize): void { microTile(5, false, kc, pa, ars, aks, pb, c, 8, 0); }
export function k6x8g(kc: i32, pa: usize, ars: usize, aks: usize, pb: usize, c: usize): void { microTile(6, false, kc, pa, ars, aks, pb, c, 8, 0); }
