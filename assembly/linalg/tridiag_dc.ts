// Kernels of the divide-and-conquer tridiagonal eigensolver (src/linalg/tridiag_dc.ts drives
// them; the scheme is that of LAPACK dstedc/dlaed*). A merge solves the secular equation
//   g(l) = 1/rho + sum_i w_i^2 / (dl_i - l) = 0
// for the K non-deflated poles dl (ascending). Each root is kept as (origin pole o, offset
// tau) with l = dl[o] + tau, so every difference dl_i - l = (dl_i - dl_o) - tau is computed
// without cancellation; the eigenvectors use w recomputed from the roots (Gu-Eisenstat),
// which keeps them orthogonal to working precision.
import { tql_step } from './tridiag_eig';

@inline function ld(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
@inline function st(p: usize, i: i32, x: f64): void { store<f64>(p + (<usize>i << 3), x); }
@inline function ldi(p: usize, i: i32): i32 { return load<i32>(p + (<usize>i << 2)); }

const EPS: f64 = 1.1102230246251565e-16;

/**
 * Leaf: eigenvectors of the m x m tridiagonal (d, e) by implicit QL, written as COLUMNS of
 * the block at V (leading dimension ldv). tmp: m*m doubles. Returns 0, or -1 if QL failed.
 */
export function dc_leaf(d: usize, e: usize, m: i32, V: usize, ldv: i32, tmp: usize, tnorm: f64): i32 {
  memory.fill(tmp, 0, (<usize>m * <usize>m) << 3);
  for (let i = 0; i < m; i++) st(tmp, i * m + i, 1.0);
  let l = 0, it = 0;
  while (l < m) {
    const nl = tql_step(d, e, m, tmp, m, m, l, tnorm);
    if (nl == l) {
      if (++it > 60) return -1;
    } else {
      l = nl;
      it = 0;
    }
  }
  for (let i = 0; i < m; i++) {
    const row = V + ((<usize>i * <usize>ldv) << 3);
    for (let j = 0; j < m; j++) st(row, j, ld(tmp, j * m + i));
  }
  return 0;
}

/** Root j of the secular equation: writes org[j] and tau[j]. */
function secularRoot(dl: usize, w: usize, K: i32, rho: f64, j: i32, org: usize, tau: usize): void {
  if (K == 1) {
    store<i32>(org, 0);
    st(tau, 0, rho * ld(w, 0) * ld(w, 0));
    return;
  }
  const rhoinv = 1.0 / rho;
  let o: i32, lo: f64, hi: f64, t: f64;
  // the two poles of the rational model: j, j+1 (the last root lies right of both K-2, K-1)
  const jl = j < K - 1 ? j : K - 2;
  if (j < K - 1) {
    const half = (ld(dl, j + 1) - ld(dl, j)) * 0.5;
    const dj = ld(dl, j);
    let g = rhoinv;
    for (let i = 0; i < K; i++) { const wi = ld(w, i); g += wi * wi / ((ld(dl, i) - dj) - half); }
    if (g >= 0) { o = j; lo = 0; hi = half; t = half; }
    else { o = j + 1; lo = -half; hi = 0; t = -half; }
  } else {
    o = K - 1;
    let ww: f64 = 0;
    for (let i = 0; i < K; i++) ww += ld(w, i) * ld(w, i);
    lo = 0;
    hi = rho * ww * (1 + 8 * EPS);
    // the root is at most rho |w|^2 right of the last pole; widen in case rounding says otherwise
    for (let q = 0; q < 60; q++) {
      let g = rhoinv;
      const dlast = ld(dl, K - 1);
      for (let i = 0; i < K; i++) { const wi = ld(w, i); g += wi * wi / ((ld(dl, i) - dlast) - hi); }
      if (g >= 0) break;
      hi *= 2;
    }
    t = hi;
  }
  const dO = ld(dl, o);
  for (let it = 0; it < 200; it++) {
    let psi: f64 = 0, dpsi: f64 = 0, phi: f64 = 0, dphi: f64 = 0, asum: f64 = 0;
    for (let i = 0; i <= jl; i++) {
      const wi = ld(w, i), q = wi / ((ld(dl, i) - dO) - t), term = wi * q;
      psi += term; dpsi += q * q; asum += Math.abs(term);
    }
    for (let i = jl + 1; i < K; i++) {
      const wi = ld(w, i), q = wi / ((ld(dl, i) - dO) - t), term = wi * q;
      phi += term; dphi += q * q; asum += Math.abs(term);
    }
    const g = rhoinv + psi + phi;
    // error bound of the evaluated g, as dlaed4's erretm
    const err = 8 * asum + 2 * rhoinv + 3 * Math.abs(t) * (dpsi + dphi);
    if (Math.abs(g) <= EPS * err) break;
    if (g < 0) lo = t; else hi = t;
    // model c + s/(Dl - x) + r/(Dr - x), matching g and the derivatives of psi and phi
    const Dl = (ld(dl, jl) - dO) - t, Dr = (ld(dl, jl + 1) - dO) - t;
    const s = Dl * Dl * dpsi, r = Dr * Dr * dphi;
    const c = g - s / Dl - r / Dr;
    const a = c * (Dl + Dr) + s + r, b = Dl * Dr * g;
    // c x^2 - a x + b = 0: take the root inside the bracket, else bisect
    const xl = lo - t, xh = hi - t;
    let x: f64 = NaN;
    if (c == 0) {
      if (a != 0) x = b / a;
    } else {
      const disc = a * a - 4 * b * c;
      if (disc >= 0) {
        const sq = Math.sqrt(disc);
        const q = a >= 0 ? (a + sq) * 0.5 : (a - sq) * 0.5;
        const r1 = q / c, r2 = q != 0 ? b / q : NaN;
        const in1 = r1 > xl && r1 < xh, in2 = r2 > xl && r2 < xh;
        if (in1 && in2) x = Math.abs(r1) < Math.abs(r2) ? r1 : r2;
        else if (in1) x = r1;
        else if (in2) x = r2;
      }
    }
    let tn = t + x;
    if (!(tn > lo && tn < hi)) tn = 0.5 * (lo + hi);
    if (tn == t) break;
    t = tn;
    if (hi - lo <= 4 * EPS * max(Math.abs(lo), Math.abs(hi))) break;
  }
  store<i32>(org + (<usize>j << 2), o);
  st(tau, j, t);
}

/** Roots [task*chunk, (task+1)*chunk) of the secular equation (see secularRoot). */
export function dc_secular_task(dl: usize, w: usize, K: i32, rho: f64, org: usize, tau: usize, chunk: i32, task: i32, tid: i32): void {
  const j1 = min(K, (task + 1) * chunk);
  for (let j = task * chunk; j < j1; j++) secularRoot(dl, w, K, rho, j, org, tau);
}

/**
 * Gu-Eisenstat: what_i = sign(w_i) sqrt(prod_j (l_j - dl_i) / prod_{j != i} (dl_j - dl_i)),
 * the w for which the computed roots are exact; factors interleaved to avoid over/underflow.
 */
export function dc_what_task(dl: usize, w: usize, K: i32, org: usize, tau: usize, what: usize, chunk: i32, task: i32, tid: i32): void {
  const i1 = min(K, (task + 1) * chunk);
  for (let i = task * chunk; i < i1; i++) {
    const di = ld(dl, i);
    let p = (di - ld(dl, ldi(org, i))) - ld(tau, i);
    for (let j = 0; j < K; j++) {
      if (j == i) continue;
      p *= ((di - ld(dl, ldi(org, j))) - ld(tau, j)) / (di - ld(dl, j));
    }
    const v = Math.sqrt(max(-p, 0.0));
    st(what, i, ld(w, i) < 0 ? -v : v);
  }
}

/** 1 / |u_j| for the columns u_j[i] = what_i / (dl_i - l_j) of the eigenvector matrix. */
export function dc_colnorm_task(dl: usize, K: i32, org: usize, tau: usize, what: usize, inv: usize, chunk: i32, task: i32, tid: i32): void {
  const j1 = min(K, (task + 1) * chunk);
  for (let j = task * chunk; j < j1; j++) {
    const dO = ld(dl, ldi(org, j)), t = ld(tau, j);
    let s: f64 = 0;
    for (let i = 0; i < K; i++) { const u = ld(what, i) / ((ld(dl, i) - dO) - t); s += u * u; }
    st(inv, j, 1.0 / Math.sqrt(s));
  }
}

/** Rows U[r, :] = u_{rows[r]} (normalised, K columns, leading dimension K) for r in the task. */
export function dc_urows_task(dl: usize, K: i32, org: usize, tau: usize, what: usize, inv: usize, rows: usize, nrows: i32, U: usize, chunk: i32, task: i32, tid: i32): void {
  const r1 = min(nrows, (task + 1) * chunk);
  for (let r = task * chunk; r < r1; r++) {
    const i = ldi(rows, r);
    const di = ld(dl, i), wi = ld(what, i);
    const out = U + ((<usize>r * <usize>K) << 3);
    for (let j = 0; j < K; j++) st(out, j, wi / ((di - ld(dl, ldi(org, j))) - ld(tau, j)) * ld(inv, j));
  }
}

/**
 * For rows [task*chunk, ...) of the nrows x m block at V (leading dimension ldv): applies the
 * nrot deflation rotations (columns rix[2q], rix[2q+1], cosine/sine cs[2q], cs[2q+1]) to the
 * row in place, then gathers its columns cols[0..nc) into out (leading dimension nc).
 */
export function dc_gather_task(V: usize, ldv: i32, nrows: i32, rix: usize, cs: usize, nrot: i32, cols: usize, nc: i32, out: usize, chunk: i32, task: i32, tid: i32): void {
  const r1 = min(nrows, (task + 1) * chunk);
  for (let r = task * chunk; r < r1; r++) {
    const row = V + ((<usize>r * <usize>ldv) << 3);
    for (let q = 0; q < nrot; q++) {
      const a = ldi(rix, 2 * q), b = ldi(rix, 2 * q + 1);
      const c = ld(cs, 2 * q), s = ld(cs, 2 * q + 1);
      const x = ld(row, a), y = ld(row, b);
      st(row, a, c * x + s * y);
      st(row, b, c * y - s * x);
    }
    const o = out + ((<usize>r * <usize>nc) << 3);
    for (let c = 0; c < nc; c++) st(o, c, ld(row, ldi(cols, c)));
  }
}

/** dst[r, 0..cols) = src[r, 0..cols) for r < rows (leading dimensions lds, ldd). */
export function dc_copy_block(src: usize, lds: i32, dst: usize, ldd: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    memory.copy(dst + ((<usize>r * <usize>ldd) << 3), src + ((<usize>r * <usize>lds) << 3), <usize>cols << 3);
  }
}

/** Row r of the nrows x ncols matrix Z (leading dimension ldz): Z[r, j] := Z[r, perm[j]]. */
export function dc_permute_cols_task(Z: usize, ldz: i32, nrows: i32, ncols: i32, perm: usize, scratch: usize, scratchBytes: i32, chunk: i32, task: i32, tid: i32): void {
  const tmp = scratch + <usize>tid * <usize>scratchBytes;
  const r1 = min(nrows, (task + 1) * chunk);
  for (let r = task * chunk; r < r1; r++) {
    const row = Z + ((<usize>r * <usize>ldz) << 3);
    for (let j = 0; j < ncols; j++) st(tmp, j, ld(row, ldi(perm, j)));
    memory.copy(row, tmp, <usize>ncols << 3);
  }
}
