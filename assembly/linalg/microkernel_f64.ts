// f64 micro-kernels. One source, two register tiles chosen at compile time by the build's
// features (ASC_FEATURE_RELAXED_SIMD is a compile-time constant, so the other branch is
// never compiled):
// - SIMD build: a 4 x 4 tile of C in 8 f64x2 accumulators. Wasm SIMD has no fused
//   multiply-add, so each k step is 8 mul + 8 add, and each mul needs a temporary: 8
//   accumulators + 2 B + 1 A + 1 temporary fit V8's 16 xmm registers on x64 without spills
//   (a 6 x 4 tile, 12 accumulators, measured 13 vs 20.7 GF/s at n = 1024).
// - relaxed build (--enable relaxed-simd): f64x2.relaxed_madd is one vfmadd231pd, which
//   needs no temporary, so a 6 x 4 tile fits: 12 accumulators + 2 B + 1 A = 15 registers
//   (V8 keeps xmm15 as scratch). 4 x 6 would need 3 B registers (16) and spill.
// - relaxed4 build: the 4 x 4 tile with relaxed_madd, for V8 before 13 (tiles.ts).
// Kept as its own (not inlined) function: V8 tiers a function up between calls, so the
// thousands of short calls per GEMM let the optimised code take over early.

import { WIDE_TILES } from './tiles';
import { madd } from './madd';

export const MR_F64: i32 = WIDE_TILES ? 6 : 4;
export const NR_F64: i32 = 4;

/** C[0:MR, 0:4] += alpha * Ap^T Bp over kc steps; C rows are ldc bytes apart. */
export function mk_f64(kc: i32, a: usize, b: usize, c: usize, ldc: usize, alpha: f64): void {
  if (WIDE_TILES) mk_f64_6x4(kc, a, b, c, ldc, alpha);
  else mk_f64_4x4(kc, a, b, c, ldc, alpha);
}

// C += alpha * acc, rounded twice (no FMA here even in the relaxed build): edge tiles go
// through a scratch tile and add alpha * acc to C afterwards, so full and edge tiles must
// round alike for results to be independent of the tiling (and so of the thread count).
@inline function update_row(c: usize, alpha: v128, x0: v128, x1: v128): void {
  v128.store(c, f64x2.add(v128.load(c), f64x2.mul(alpha, x0)));
  v128.store(c, f64x2.add(v128.load(c, 16), f64x2.mul(alpha, x1)), 16);
}

@inline function mk_f64_4x4(kc: i32, a: usize, b: usize, c: usize, ldc: usize, alpha: f64): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load64_splat(a);
    c00 = madd<f64>(av, b0, c00); c01 = madd<f64>(av, b1, c01);
    av = v128.load64_splat(a, 8);
    c10 = madd<f64>(av, b0, c10); c11 = madd<f64>(av, b1, c11);
    av = v128.load64_splat(a, 16);
    c20 = madd<f64>(av, b0, c20); c21 = madd<f64>(av, b1, c21);
    av = v128.load64_splat(a, 24);
    c30 = madd<f64>(av, b0, c30); c31 = madd<f64>(av, b1, c31);
    a += 32; b += 32;
  }
  const al = f64x2.splat(alpha);
  update_row(c, al, c00, c01); c += ldc;
  update_row(c, al, c10, c11); c += ldc;
  update_row(c, al, c20, c21); c += ldc;
  update_row(c, al, c30, c31);
}

@inline function mk_f64_6x4(kc: i32, a: usize, b: usize, c: usize, ldc: usize, alpha: f64): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  let c40 = f64x2.splat(0), c41 = f64x2.splat(0);
  let c50 = f64x2.splat(0), c51 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load64_splat(a);
    c00 = f64x2.relaxed_madd(av, b0, c00); c01 = f64x2.relaxed_madd(av, b1, c01);
    av = v128.load64_splat(a, 8);
    c10 = f64x2.relaxed_madd(av, b0, c10); c11 = f64x2.relaxed_madd(av, b1, c11);
    av = v128.load64_splat(a, 16);
    c20 = f64x2.relaxed_madd(av, b0, c20); c21 = f64x2.relaxed_madd(av, b1, c21);
    av = v128.load64_splat(a, 24);
    c30 = f64x2.relaxed_madd(av, b0, c30); c31 = f64x2.relaxed_madd(av, b1, c31);
    av = v128.load64_splat(a, 32);
    c40 = f64x2.relaxed_madd(av, b0, c40); c41 = f64x2.relaxed_madd(av, b1, c41);
    av = v128.load64_splat(a, 40);
    c50 = f64x2.relaxed_madd(av, b0, c50); c51 = f64x2.relaxed_madd(av, b1, c51);
    a += 48; b += 32;
  }
  const al = f64x2.splat(alpha);
  update_row(c, al, c00, c01); c += ldc;
  update_row(c, al, c10, c11); c += ldc;
  update_row(c, al, c20, c21); c += ldc;
  update_row(c, al, c30, c31); c += ldc;
  update_row(c, al, c40, c41); c += ldc;
  update_row(c, al, c50, c51);
}
