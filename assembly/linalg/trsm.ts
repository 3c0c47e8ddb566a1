// Small triangular solve op(T) X = B in place of B (row-major, n x r right-hand sides).
// The blocked driver (src/linalg/triangular.ts) calls this on diagonal blocks and GEMM for
// the off-diagonal updates. op(T) = T or T^T; op(T) is lower when lower != trans.

@inline function opT(T: usize, ldt: i32, trans: i32, i: i32, j: i32): f64 {
  return trans
    ? load<f64>(T + ((<usize>j * <usize>ldt + <usize>i) << 3))
    : load<f64>(T + ((<usize>i * <usize>ldt + <usize>j) << 3));
}

// x[0:r] -= a * y[0:r]
@inline function axpyNeg(x: usize, y: usize, a: f64, r: i32): void {
  const av = f64x2.splat(a);
  let j = 0;
  for (; j + 2 <= r; j += 2) {
    const o = <usize>j << 3;
    v128.store(x + o, f64x2.sub(v128.load(x + o), f64x2.mul(av, v128.load(y + o))));
  }
  for (; j < r; j++) {
    const o = <usize>j << 3;
    store<f64>(x + o, load<f64>(x + o) - a * load<f64>(y + o));
  }
}

@inline function scaleRow(x: usize, a: f64, r: i32): void {
  for (let j = 0; j < r; j++) {
    const o = <usize>j << 3;
    store<f64>(x + o, load<f64>(x + o) * a);
  }
}

export function trsm_small_f64(lower: i32, trans: i32, n: i32, T: usize, ldt: i32, B: usize, ldb: i32, r: i32): void {
  const opLower = (lower != 0) != (trans != 0);
  if (opLower) {
    for (let i = 0; i < n; i++) {
      const bi = B + ((<usize>i * <usize>ldb) << 3);
      for (let l = 0; l < i; l++) {
        const a = opT(T, ldt, trans, i, l);
        if (a != 0) axpyNeg(bi, B + ((<usize>l * <usize>ldb) << 3), a, r);
      }
      scaleRow(bi, 1.0 / opT(T, ldt, trans, i, i), r);
    }
  } else {
    for (let i = n - 1; i >= 0; i--) {
      const bi = B + ((<usize>i * <usize>ldb) << 3);
      for (let l = i + 1; l < n; l++) {
        const a = opT(T, ldt, trans, i, l);
        if (a != 0) axpyNeg(bi, B + ((<usize>l * <usize>ldb) << 3), a, r);
      }
      scaleRow(bi, 1.0 / opT(T, ldt, trans, i, i), r);
    }
  }
}
