// f32 micro-kernels, the f32x4 analogue of microkernel_f64.ts (same register budget, twice
// the flops per instruction), tile chosen at compile time:
// - SIMD build: 4 x 8 tile in 8 f32x4 accumulators (mul + add with a temporary each);
// - relaxed build: 6 x 8 tile in 12 accumulators with f32x4.relaxed_madd (no temporary:
//   12 + 2 B + 1 A = 15 registers); relaxed4 build: the 4 x 8 tile with relaxed_madd (tiles.ts).
// A separate, non-inlined function for the same tier-up reason.

import { WIDE_TILES } from './tiles';
import { madd } from './madd';

export const MR_F32: i32 = WIDE_TILES ? 6 : 4;
export const NR_F32: i32 = 8;

/** C[0:MR, 0:8] += alpha * Ap^T Bp over kc steps; C rows are ldc bytes apart. */
export function mk_f32(kc: i32, a: usize, b: usize, c: usize, ldc: usize, alpha: f32): void {
  if (WIDE_TILES) mk_f32_6x8(kc, a, b, c, ldc, alpha, false);
  else mk_f32_4x8(kc, a, b, c, ldc, alpha, false);
}

/** C[0:MR, 0:8] = Ap^T Bp over kc steps (C neither read nor zeroed first: short-k callers). */
export function mk_f32_set(kc: i32, a: usize, b: usize, c: usize, ldc: usize): void {
  if (WIDE_TILES) mk_f32_6x8(kc, a, b, c, ldc, 1, true);
  else mk_f32_4x8(kc, a, b, c, ldc, 1, true);
}

@inline function set_row(c: usize, x0: v128, x1: v128): void {
  v128.store(c, x0);
  v128.store(c, x1, 16);
}

// C += alpha * acc, rounded twice (no FMA here even in the relaxed build): edge tiles go
// through a scratch tile and add alpha * acc to C afterwards, so full and edge tiles must
// round alike for results to be independent of the tiling (and so of the thread count).
@inline function update_row(c: usize, alpha: v128, x0: v128, x1: v128): void {
  v128.store(c, f32x4.add(v128.load(c), f32x4.mul(alpha, x0)));
  v128.store(c, f32x4.add(v128.load(c, 16), f32x4.mul(alpha, x1)), 16);
}

@inline function mk_f32_4x8(kc: i32, a: usize, b: usize, c: usize, ldc: usize, alpha: f32, set: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = madd<f32>(av, b0, c00); c01 = madd<f32>(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = madd<f32>(av, b0, c10); c11 = madd<f32>(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = madd<f32>(av, b0, c20); c21 = madd<f32>(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = madd<f32>(av, b0, c30); c31 = madd<f32>(av, b1, c31);
    a += 16; b += 32;
  }
  if (set) {
    set_row(c, c00, c01); c += ldc; set_row(c, c10, c11); c += ldc;
    set_row(c, c20, c21); c += ldc; set_row(c, c30, c31);
    return;
  }
  const al = f32x4.splat(alpha);
  update_row(c, al, c00, c01); c += ldc;
  update_row(c, al, c10, c11); c += ldc;
  update_row(c, al, c20, c21); c += ldc;
  update_row(c, al, c30, c31);
}

@inline function mk_f32_6x8(kc: i32, a: usize, b: usize, c: usize, ldc: usize, alpha: f32, set: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = f32x4.relaxed_madd(av, b0, c00); c01 = f32x4.relaxed_madd(av, b1, c01);
    av = v128.load32_splat(a, 4);
    c10 = f32x4.relaxed_madd(av, b0, c10); c11 = f32x4.relaxed_madd(av, b1, c11);
    av = v128.load32_splat(a, 8);
    c20 = f32x4.relaxed_madd(av, b0, c20); c21 = f32x4.relaxed_madd(av, b1, c21);
    av = v128.load32_splat(a, 12);
    c30 = f32x4.relaxed_madd(av, b0, c30); c31 = f32x4.relaxed_madd(av, b1, c31);
    av = v128.load32_splat(a, 16);
    c40 = f32x4.relaxed_madd(av, b0, c40); c41 = f32x4.relaxed_madd(av, b1, c41);
    av = v128.load32_splat(a, 20);
    c50 = f32x4.relaxed_madd(av, b0, c50); c51 = f32x4.relaxed_madd(av, b1, c51);
    a += 24; b += 32;
  }
  if (set) {
    set_row(c, c00, c01); c += ldc; set_row(c, c10, c11); c += ldc; set_row(c, c20, c21); c += ldc;
    set_row(c, c30, c31); c += ldc; set_row(c, c40, c41); c += ldc; set_row(c, c50, c51);
    return;
  }
  const al = f32x4.splat(alpha);
  update_row(c, al, c00, c01); c += ldc;
  update_row(c, al, c10, c11); c += ldc;
  update_row(c, al, c20, c21); c += ldc;
  update_row(c, al, c30, c31); c += ldc;
  update_row(c, al, c40, c41); c += ldc;
  update_row(c, al, c50, c51);
}
