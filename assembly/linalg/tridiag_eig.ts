// Symmetric tridiagonal eigensolver: implicit QL with Wilkinson-type shifts (the classic
// tql2/tqli scheme). Rotations are applied to ROWS of Zt (eigenvectors stored as rows), so
// each one is a contiguous SIMD sweep. d: diagonal (n), e: e[i] = T[i, i+1], e[n-1] = 0.
// Driven one sweep per call from TS so long solves stay in optimised code.

@inline function ld(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
@inline function st(p: usize, i: i32, x: f64): void { store<f64>(p + (<usize>i << 3), x); }

@inline function rotRows(zi: usize, zi1: usize, c: f64, s: f64, nz: i32): void {
  const cv = f64x2.splat(c), sv = f64x2.splat(s);
  let j = 0;
  for (; j + 2 <= nz; j += 2) {
    const o = <usize>j << 3;
    const a = v128.load(zi + o), f = v128.load(zi1 + o);
    v128.store(zi1 + o, f64x2.add(f64x2.mul(sv, a), f64x2.mul(cv, f)));
    v128.store(zi + o, f64x2.sub(f64x2.mul(cv, a), f64x2.mul(sv, f)));
  }
  for (; j < nz; j++) {
    const o = <usize>j << 3;
    const a = load<f64>(zi + o), f = load<f64>(zi1 + o);
    store<f64>(zi1 + o, s * a + c * f);
    store<f64>(zi + o, c * a - s * f);
  }
}

/**
 * One QL sweep for eigenvalue l. Returns l + 1 when d[l] has converged (no sweep done),
 * else l (call again). Rotations update rows of Zt (leading dimension ldz, nz columns);
 * pass nz = 0 for eigenvalues only. tnorm: max_i |d_i| + |e_i| of the initial matrix.
 */
export function tql_step(d: usize, e: usize, n: i32, Z: usize, ldz: i32, nz: i32, l: i32, tnorm: f64): i32 {
  return tql_sweep(d, e, n, Z, ldz, nz, l, 0, tnorm);
}

/**
 * As tql_step, but when rot != 0 the rotations are recorded instead of applied: rotation i
 * (rows i, i+1, for i in [l, m)) goes to rot[2(i-l)], rot[2(i-l)+1] as (c, s), skipped ones as
 * (1, 0), and the return value is -(m + 1) after a sweep (m = end of the unreduced block).
 */
export function tql_record(d: usize, e: usize, n: i32, l: i32, rot: usize, tnorm: f64): i32 {
  return tql_sweep(d, e, n, 0, 0, 0, l, rot, tnorm);
}

@inline function tql_sweep(d: usize, e: usize, n: i32, Z: usize, ldz: i32, nz: i32, l: i32, rot: usize, tnorm: f64): i32 {
  const eps: f64 = 2.220446049250313e-16;
  let m = l;
  for (; m < n - 1; m++) {
    // negligible against the local diagonal or (as EISPACK tql2) against the matrix norm
    // tnorm = max |d_i| + |e_i|: without the latter, clusters of ~0 eigenvalues stagnate
    const dd = max(Math.abs(ld(d, m)) + Math.abs(ld(d, m + 1)), tnorm);
    if (Math.abs(ld(e, m)) <= eps * dd) break;
  }
  if (m == l) return l + 1;
  let g = (ld(d, l + 1) - ld(d, l)) / (2.0 * ld(e, l));
  let r = Math.hypot(g, 1.0);
  g = ld(d, m) - ld(d, l) + ld(e, l) / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
  let s: f64 = 1, c: f64 = 1, p: f64 = 0;
  let i = m - 1;
  for (; i >= l; i--) {
    const f = s * ld(e, i), b = c * ld(e, i);
    r = Math.hypot(f, g);
    st(e, i + 1, r);
    if (r == 0) {
      // underflow: split the matrix here and retry
      st(d, i + 1, ld(d, i + 1) - p);
      st(e, m, 0);
      if (rot) for (let q = l; q <= i; q++) { st(rot, 2 * (q - l), 1.0); st(rot, 2 * (q - l) + 1, 0.0); }
      break;
    }
    s = f / r;
    c = g / r;
    g = ld(d, i + 1) - p;
    r = (ld(d, i) - g) * s + 2.0 * c * b;
    p = s * r;
    st(d, i + 1, g + p);
    g = c * r - b;
    if (rot) { st(rot, 2 * (i - l), c); st(rot, 2 * (i - l) + 1, s); }
    if (nz > 0) {
      rotRows(Z + ((<usize>i * <usize>ldz) << 3), Z + ((<usize>(i + 1) * <usize>ldz) << 3), c, s, nz);
    }
  }
  if (r == 0 && i >= l) return rot ? -(m + 1) : l;
  st(d, l, ld(d, l) - p);
  st(e, l, g);
  st(e, m, 0);
  return rot ? -(m + 1) : l;
}

/**
 * Applies recorded QL sweeps to columns [c0, c1) of Zt, task t taking column block t of
 * width `width`: the block (all rows) stays in cache across all sweeps of the batch.
 * desc holds nSweeps (l, m, offset) i32 triples; rotations at rot + offset*8 (see tql_record).
 */
export function rot_apply_task(Z: usize, ldz: i32, ncols: i32, rot: usize, desc: usize, nSweeps: i32, width: i32, task: i32, tid: i32): void {
  const c0 = task * width;
  const w = min(ncols, c0 + width) - c0;
  if (w <= 0) return;
  const base = Z + (<usize>c0 << 3);
  for (let q = 0; q < nSweeps; q++) {
    const l = load<i32>(desc + <usize>q * 12), m = load<i32>(desc + <usize>q * 12 + 4), off = load<i32>(desc + <usize>q * 12 + 8);
    const rp = rot + (<usize>off << 3);
    for (let i = m - 1; i >= l; i--) {
      const c = ld(rp, 2 * (i - l)), s = ld(rp, 2 * (i - l) + 1);
      if (s == 0) continue;
      rotRows(base + ((<usize>i * <usize>ldz) << 3), base + ((<usize>(i + 1) * <usize>ldz) << 3), c, s, w);
    }
  }
}

/** In-place transpose of the n x n matrix at A (leading dimension lda), 32 x 32 tiles. */
export function transpose_square_f64(A: usize, lda: i32, n: i32): void {
  const B = 32;
  for (let i0 = 0; i0 < n; i0 += B) {
    for (let j0 = i0; j0 < n; j0 += B) {
      const i1 = min(n, i0 + B), j1 = min(n, j0 + B);
      for (let i = i0; i < i1; i++) {
        for (let j = (j0 == i0 ? i + 1 : j0); j < j1; j++) {
          const p = A + ((<usize>i * <usize>lda + <usize>j) << 3);
          const q = A + ((<usize>j * <usize>lda + <usize>i) << 3);
          const t = load<f64>(p);
          store<f64>(p, load<f64>(q));
          store<f64>(q, t);
        }
      }
    }
  }
}

/** Z = identity (n x n, leading dimension ldz). */
export function eye_f64(Z: usize, ldz: i32, n: i32): void {
  for (let i = 0; i < n; i++) {
    const row = Z + ((<usize>i * <usize>ldz) << 3);
    memory.fill(row, 0, <usize>n << 3);
    st(row, i, 1.0);
  }
}

/**
 * Makes the largest-|.| entry of each of the len columns of the n x len matrix Z positive
 * (first one wins ties). scratch: 2 * len doubles.
 */
export function sign_cols_f64(Z: usize, ldz: i32, n: i32, len: i32, scratch: usize): void {
  const best = scratch, sgn = scratch + (<usize>len << 3);
  memory.fill(best, 0, <usize>len << 3);
  for (let j = 0; j < len; j++) st(sgn, j, 1.0);
  for (let i = 0; i < n; i++) {
    const row = Z + ((<usize>i * <usize>ldz) << 3);
    for (let j = 0; j < len; j++) {
      const x = ld(row, j), ax = Math.abs(x);
      if (ax > ld(best, j)) { st(best, j, ax); st(sgn, j, x < 0 ? -1.0 : 1.0); }
    }
  }
  for (let i = 0; i < n; i++) {
    const row = Z + ((<usize>i * <usize>ldz) << 3);
    let j = 0;
    for (; j + 2 <= len; j += 2) {
      const o = <usize>j << 3;
      v128.store(row + o, f64x2.mul(v128.load(row + o), v128.load(sgn + o)));
    }
    for (; j < len; j++) st(row, j, ld(row, j) * ld(sgn, j));
  }
}
