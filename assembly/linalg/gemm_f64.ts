// Row-major f64 GEMM: C = alpha op(A) op(B) + beta C, op(X) = X or X^T.
// Baseline implementation (i-k-j loop with f64x2); the packed, register-blocked version
// replaces the body while keeping this signature.

/** Bytes of packing scratch gemm_f64 needs per thread. */
export function gemm_f64_work_bytes(): usize {
  return 0;
}

@inline function at(p: usize, ld: i32, r: i32, c: i32): f64 {
  return load<f64>(p + ((<usize>r * <usize>ld + <usize>c) << 3));
}

export function gemm_f64(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f64,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f64, C: usize, ldc: i32, work: usize,
): void {
  for (let i = 0; i < m; i++) {
    const crow = C + ((<usize>i * <usize>ldc) << 3);
    // scale the row of C by beta (beta = 0 overwrites, so NaN in C does not leak)
    for (let j = 0; j < n; j++) {
      const p = crow + (<usize>j << 3);
      store<f64>(p, beta == 0 ? 0.0 : beta * load<f64>(p));
    }
    for (let l = 0; l < k; l++) {
      const a = alpha * (transA ? at(A, lda, l, i) : at(A, lda, i, l));
      if (transB) {
        for (let j = 0; j < n; j++) {
          const p = crow + (<usize>j << 3);
          store<f64>(p, load<f64>(p) + a * at(B, ldb, j, l));
        }
      } else {
        const brow = B + ((<usize>l * <usize>ldb) << 3);
        const av = f64x2.splat(a);
        let j = 0;
        for (; j + 2 <= n; j += 2) {
          const p = crow + (<usize>j << 3);
          v128.store(p, f64x2.add(v128.load(p), f64x2.mul(av, v128.load(brow + (<usize>j << 3)))));
        }
        for (; j < n; j++) {
          const p = crow + (<usize>j << 3);
          store<f64>(p, load<f64>(p) + a * load<f64>(brow + (<usize>j << 3)));
        }
      }
    }
  }
}
