// Cholesky building blocks (row-major, lower triangle). The blocked driver lives in TS
// (src/linalg/cholesky.ts): it calls gemm_f64 for the large updates and these kernels for
// the diagonal block and the panel, so every wasm call stays short.

@inline function dot(a: usize, b: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 3;
    s0 = f64x2.add(s0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(a + o + 16), v128.load(b + o + 16)));
  }
  s0 = f64x2.add(s0, s1);
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  for (; j < n; j++) s += load<f64>(a + (<usize>j << 3)) * load<f64>(b + (<usize>j << 3));
  return s;
}

/**
 * Unblocked Cholesky (row-oriented Crout) of the n x n lower triangle at A (leading
 * dimension lda), in place. Returns -1 on success, else the index i of the first pivot
 * that is not positive; A[i,i] then holds that pivot value (the reduced diagonal).
 */
export function potrf_f64(A: usize, lda: i32, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    const ri = A + ((<usize>i * <usize>lda) << 3);
    for (let j = 0; j < i; j++) {
      const rj = A + ((<usize>j * <usize>lda) << 3);
      const s = load<f64>(ri + (<usize>j << 3)) - dot(ri, rj, j);
      store<f64>(ri + (<usize>j << 3), s / load<f64>(rj + (<usize>j << 3)));
    }
    const s = load<f64>(ri + (<usize>i << 3)) - dot(ri, ri, i);
    if (!(s > 0) || !isFinite(s)) {
      store<f64>(ri + (<usize>i << 3), s);
      return i;
    }
    store<f64>(ri + (<usize>i << 3), Math.sqrt(s));
  }
  return -1;
}

/**
 * Panel solve B := B L^{-T} for rows [r0, r1) of B (m x nb, leading dimension ldb), with L
 * the nb x nb lower factor at L (leading dimension ldl). Each row x solves L y = x.
 * Task kernel: rows are split in chunks of `chunk`, task t takes chunk t.
 */
export function chol_panel_task(L: usize, ldl: i32, nb: i32, B: usize, ldb: i32, m: i32, chunk: i32, task: i32, tid: i32): void {
  const r0 = task * chunk;
  const r1 = min(m, r0 + chunk);
  for (let r = r0; r < r1; r++) {
    const x = B + ((<usize>r * <usize>ldb) << 3);
    for (let j = 0; j < nb; j++) {
      const lj = L + ((<usize>j * <usize>ldl) << 3);
      const p = x + (<usize>j << 3);
      store<f64>(p, (load<f64>(p) - dot(x, lj, j)) / load<f64>(lj + (<usize>j << 3)));
    }
  }
}

/** A[i,i] += v for i < n. */
export function add_diag_f64(A: usize, lda: i32, n: i32, v: f64): void {
  for (let i = 0; i < n; i++) {
    const p = A + ((<usize>i * <usize>(lda + 1)) << 3);
    store<f64>(p, load<f64>(p) + v);
  }
}

/** Zeroes the strict upper triangle of the n x n matrix at A. */
export function zero_upper_f64(A: usize, lda: i32, n: i32): void {
  for (let i = 0; i < n - 1; i++) {
    memory.fill(A + ((<usize>i * <usize>lda + <usize>(i + 1)) << 3), 0, <usize>(n - 1 - i) << 3);
  }
}

/** Zeroes the strict lower triangle of the n x n matrix at A. */
export function zero_lower_f64(A: usize, lda: i32, n: i32): void {
  for (let i = 1; i < n; i++) memory.fill(A + ((<usize>i * <usize>lda) << 3), 0, <usize>i << 3);
}

/** Index of the first non-finite entry among len doubles at p (as f64), or -1. */
export function first_nonfinite_f64(p: usize, len: f64): f64 {
  const n = <usize>len;
  // x - x is 0 for finite x and NaN for NaN/Inf: scan pairs, then locate.
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) {
    const q = p + (i << 3);
    const a = v128.load(q), b = v128.load(q + 16), c = v128.load(q + 32), d = v128.load(q + 48);
    const s = f64x2.add(f64x2.add(f64x2.sub(a, a), f64x2.sub(b, b)), f64x2.add(f64x2.sub(c, c), f64x2.sub(d, d)));
    if (!(f64x2.extract_lane(s, 0) == 0 && f64x2.extract_lane(s, 1) == 0)) break;
  }
  for (; i < n; i++) if (!isFinite(load<f64>(p + (i << 3)))) return <f64>i;
  return -1;
}

/** dst (cols x rows, leading dimension ldd) = src^T (src rows x cols, leading dimension lds), 8 x 8 tiles. */
export function transpose_copy_f64(src: usize, lds: i32, rows: i32, cols: i32, dst: usize, ldd: i32): void {
  for (let i0 = 0; i0 < rows; i0 += 8) {
    const i1 = min(rows, i0 + 8);
    for (let j0 = 0; j0 < cols; j0 += 8) {
      const j1 = min(cols, j0 + 8);
      for (let i = i0; i < i1; i++)
        for (let j = j0; j < j1; j++)
          store<f64>(dst + ((<usize>j * <usize>ldd + <usize>i) << 3), load<f64>(src + ((<usize>i * <usize>lds + <usize>j) << 3)));
    }
  }
}

/** max |x| over the n x n matrix at A (leading dimension lda). */
export function max_abs_f64(A: usize, lda: i32, n: i32): f64 {
  let m: f64 = 0;
  for (let i = 0; i < n; i++) {
    const row = A + ((<usize>i * <usize>lda) << 3);
    for (let j = 0; j < n; j++) m = max(m, Math.abs(load<f64>(row + (<usize>j << 3))));
  }
  return m;
}

/** A *= s over the n x n matrix at A (leading dimension lda). */
export function scale_square_f64(A: usize, lda: i32, n: i32, s: f64): void {
  for (let i = 0; i < n; i++) {
    const row = A + ((<usize>i * <usize>lda) << 3);
    for (let j = 0; j < n; j++) store<f64>(row + (<usize>j << 3), load<f64>(row + (<usize>j << 3)) * s);
  }
}
