// a b + c on v128 lanes of T: one fused multiply-add (f32x4/f64x2.relaxed_madd) in the
// relaxed builds, mul + add otherwise. Shared by the GEMM micro-kernels and the eNTK Gram.
// Not re-exported by index.ts.

@inline export function madd<T>(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    if (sizeof<T>() == 4) return f32x4.relaxed_madd(a, b, c);
    return f64x2.relaxed_madd(a, b, c);
  }
  return v128.add<T>(c, v128.mul<T>(a, b));
}
