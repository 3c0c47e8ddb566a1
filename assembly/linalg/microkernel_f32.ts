// f32 micro-kernel: a 4 x 8 tile of C in 8 f32x4 accumulators (same register budget as
// the f64 kernel, twice the flops per instruction). See microkernel_f64.ts for why it is
// a separate, non-inlined function.

export const MR_F32: i32 = 4;
export const NR_F32: i32 = 8;

/** C[0:4, 0:8] += alpha * Ap^T Bp over kc steps; C rows are ldc bytes apart. */
export function mk_f32(kc: i32, a: usize, b: usize, c: usize, ldc: usize, alpha: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    c00 = f32x4.add(c00, f32x4.mul(av, b0)); c01 = f32x4.add(c01, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 4);
    c10 = f32x4.add(c10, f32x4.mul(av, b0)); c11 = f32x4.add(c11, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 8);
    c20 = f32x4.add(c20, f32x4.mul(av, b0)); c21 = f32x4.add(c21, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 12);
    c30 = f32x4.add(c30, f32x4.mul(av, b0)); c31 = f32x4.add(c31, f32x4.mul(av, b1));
    a += 16; b += 32;
  }
  const al = f32x4.splat(alpha);
  v128.store(c, f32x4.add(v128.load(c), f32x4.mul(al, c00)));
  v128.store(c, f32x4.add(v128.load(c, 16), f32x4.mul(al, c01)), 16);
  c += ldc;
  v128.store(c, f32x4.add(v128.load(c), f32x4.mul(al, c10)));
  v128.store(c, f32x4.add(v128.load(c, 16), f32x4.mul(al, c11)), 16);
  c += ldc;
  v128.store(c, f32x4.add(v128.load(c), f32x4.mul(al, c20)));
  v128.store(c, f32x4.add(v128.load(c, 16), f32x4.mul(al, c21)), 16);
  c += ldc;
  v128.store(c, f32x4.add(v128.load(c), f32x4.mul(al, c30)));
  v128.store(c, f32x4.add(v128.load(c, 16), f32x4.mul(al, c31)), 16);
}
