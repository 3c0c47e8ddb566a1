// f64 micro-kernel: a 4 x 4 tile of C held in 8 f64x2 accumulators, streaming packed
// panels (A: 4 values per k step, B: 4 values per k step). Wasm SIMD has no fused
// multiply-add, so each k step is 8 mul + 8 add on 2 B loads and 4 splat loads; with
// 8 accumulators + 2 B + 1 A register the tile fits V8's 16 xmm registers on x64 without
// spills (a 6 x 4 tile, 12 accumulators, measured 13 vs 20.7 GF/s at n=1024). Kept as its own (not inlined) function: V8 tiers a function up between calls,
// so the thousands of short calls per GEMM let the optimised code take over early.

export const MR_F64: i32 = 4;
export const NR_F64: i32 = 4;

/** C[0:4, 0:4] += alpha * Ap^T Bp over kc steps; C rows are ldc bytes apart. */
export function mk_f64(kc: i32, a: usize, b: usize, c: usize, ldc: usize, alpha: f64): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load64_splat(a);
    c00 = f64x2.add(c00, f64x2.mul(av, b0)); c01 = f64x2.add(c01, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 8);
    c10 = f64x2.add(c10, f64x2.mul(av, b0)); c11 = f64x2.add(c11, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 16);
    c20 = f64x2.add(c20, f64x2.mul(av, b0)); c21 = f64x2.add(c21, f64x2.mul(av, b1));
    av = v128.load64_splat(a, 24);
    c30 = f64x2.add(c30, f64x2.mul(av, b0)); c31 = f64x2.add(c31, f64x2.mul(av, b1));
    a += 32; b += 32;
  }
  const al = f64x2.splat(alpha);
  v128.store(c, f64x2.add(v128.load(c), f64x2.mul(al, c00)));
  v128.store(c, f64x2.add(v128.load(c, 16), f64x2.mul(al, c01)), 16);
  c += ldc;
  v128.store(c, f64x2.add(v128.load(c), f64x2.mul(al, c10)));
  v128.store(c, f64x2.add(v128.load(c, 16), f64x2.mul(al, c11)), 16);
  c += ldc;
  v128.store(c, f64x2.add(v128.load(c), f64x2.mul(al, c20)));
  v128.store(c, f64x2.add(v128.load(c, 16), f64x2.mul(al, c21)), 16);
  c += ldc;
  v128.store(c, f64x2.add(v128.load(c), f64x2.mul(al, c30)));
  v128.store(c, f64x2.add(v128.load(c, 16), f64x2.mul(al, c31)), 16);
}
