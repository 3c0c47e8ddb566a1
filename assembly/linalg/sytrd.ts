// Householder tridiagonalisation of a symmetric matrix (LAPACK dsytrd, uplo 'L' seen
// column-major = the UPPER triangle of our row-major storage, so every row is contiguous).
// Reflector k (k = 0..n-2) is H_k = I - tau_k v v^T with v[k+1] = 1, v[k+2:] stored in
// A[k, k+2:]; Q = H_0 H_1 ... H_{n-2} and A = Q T Q^T.
//
// One step per pair of calls, driven from TS: tred_head(k) finishes step k's vector w and
// forms reflector k+1 from row k+1; tred_rows_task(k) then streams the remaining rows once,
// applying step k's rank-2 update and accumulating y = S_{k+1} v_{k+1} (the next step's
// symmetric product) in the same pass, so the trailing matrix is read and written once per step.

import { gemm_f64 } from "./gemm_f64";

@inline function ld(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
@inline function st(p: usize, i: i32, x: f64): void { store<f64>(p + (<usize>i << 3), x); }

/**
 * k in [-1, n-3]. vcur holds v_k (zero outside [k+1, n)), w receives w_k; vnext receives
 * v_{k+1}; ybase holds nthr (= tasks of tred_rows_task) partial sums of y = S_k v_k (n doubles each), which
 * are reduced here and then zeroed for the next pass. Writes d[k+1], e[k+1], tau[k+1].
 */
export function tred_head(A: usize, lda: i32, n: i32, k: i32, vcur: usize, w: usize, vnext: usize,
  ybase: usize, nthr: i32, d: usize, e: usize, tau: usize): void {
  const r = k + 1;
  const nb = <usize>n << 3;
  const row = A + ((<usize>r * <usize>lda) << 3);
  if (k >= 0) {
    // y = sum of per-thread partials; w = tau y - (tau^2/2)(y.v) v
    for (let t = 1; t < nthr; t++) {
      const yt = ybase + <usize>t * nb;
      for (let j = k + 1; j < n; j++) st(ybase, j, ld(ybase, j) + ld(yt, j));
    }
    const tk = ld(tau, k);
    memory.fill(w, 0, nb);
    let s: f64 = 0;
    for (let j = k + 1; j < n; j++) {
      const x = tk * ld(ybase, j);
      st(w, j, x);
      s += x * ld(vcur, j);
    }
    const alpha = -0.5 * tk * s;
    for (let j = k + 1; j < n; j++) st(w, j, ld(w, j) + alpha * ld(vcur, j));
    const vr = ld(vcur, r), wr = ld(w, r);
    for (let j = r; j < n; j++) st(row, j, ld(row, j) - vr * ld(w, j) - wr * ld(vcur, j));
  } else {
    memory.fill(w, 0, nb);
    memory.fill(vcur, 0, nb);
  }
  st(d, r, ld(row, r));
  // dlarfg on x = A[r, r+1:n]
  const alpha = ld(row, r + 1);
  let sig: f64 = 0;
  for (let j = r + 2; j < n; j++) { const x = ld(row, j); sig += x * x; }
  memory.fill(vnext, 0, nb);
  if (sig == 0) {
    st(tau, r, 0);
    st(e, r, alpha);
  } else {
    const nrm = Math.sqrt(alpha * alpha + sig);
    const beta = alpha >= 0 ? -nrm : nrm;
    st(tau, r, (beta - alpha) / beta);
    const sc = 1.0 / (alpha - beta);
    for (let j = r + 2; j < n; j++) st(row, j, ld(row, j) * sc);
    st(e, r, beta);
  }
  // clean reflector row for the blocked back-transformation: [0 .. 0, 1, v tail]
  memory.fill(row, 0, <usize>(r + 1) << 3);
  st(row, r + 1, 1.0);
  for (let j = r + 1; j < n; j++) st(vnext, j, ld(row, j));
  memory.fill(ybase, 0, nb * <usize>nthr);
}

/**
 * Rows i in [k+2, n) in blocks of 8 rows, block b handled by task b mod nTasks:
 * S -= v w^T + w v^T (upper part, j >= i) with v = vcur, w; y_tid += S_new u with u = vnext.
 */
export function tred_rows_task(A: usize, lda: i32, n: i32, k: i32, vcur: usize, w: usize, vnext: usize,
  ybase: usize, nTasks: i32, task: i32, tid: i32): void {
  // partial sums per task, not per thread: which thread runs a task varies, the sum order must not
  const y = ybase + ((<usize>task * <usize>n) << 3);
  const start = k + 2;
  for (let b0 = start + task * 8; b0 < n; b0 += nTasks * 8) {
    const b1 = min(n, b0 + 8);
    for (let i = b0; i < b1; i++) {
      const row = A + ((<usize>i * <usize>lda) << 3);
      const vi = ld(vcur, i), wi = ld(w, i), ui = ld(vnext, i);
      const a0 = ld(row, i) - 2 * vi * wi;
      st(row, i, a0);
      let dot = a0 * ui;
      const viv = f64x2.splat(vi), wiv = f64x2.splat(wi), uiv = f64x2.splat(ui);
      let dv = f64x2.splat(0);
      let j = i + 1;
      for (; j + 2 <= n; j += 2) {
        const o = <usize>j << 3;
        const a = f64x2.sub(f64x2.sub(v128.load(row + o), f64x2.mul(viv, v128.load(w + o))), f64x2.mul(wiv, v128.load(vcur + o)));
        v128.store(row + o, a);
        dv = f64x2.add(dv, f64x2.mul(a, v128.load(vnext + o)));
        v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(a, uiv)));
      }
      for (; j < n; j++) {
        const a = ld(row, j) - vi * ld(w, j) - wi * ld(vcur, j);
        st(row, j, a);
        dot += a * ld(vnext, j);
        st(y, j, ld(y, j) + a * ui);
      }
      dot += f64x2.extract_lane(dv, 0) + f64x2.extract_lane(dv, 1);
      st(y, i, ld(y, i) + dot);
    }
  }
}

/**
 * Triangular factor T (b x b, upper) of the block reflector H_0...H_{b-1} = I - V T V^T
 * (LAPACK dlarft, forward, columnwise) from G = V^T V (b x b) and tau[0:b].
 */
export function larft_f64(G: usize, b: i32, tau: usize, T: usize): void {
  memory.fill(T, 0, (<usize>b * <usize>b) << 3);
  for (let i = 0; i < b; i++) {
    const ti = ld(tau, i);
    // T[0:i, i] = -ti * T[0:i, 0:i] G[0:i, i]
    for (let r = 0; r < i; r++) {
      let s: f64 = 0;
      for (let c = r; c < i; c++) s += ld(T, r * b + c) * ld(G, c * b + i);
      st(T, r * b + i, -ti * s);
    }
    st(T, i * b + i, ti);
  }
}

/**
 * Task kernel of the back-transformation Z := Q Z: column panel `task` (columns
 * task*pw .. +pw of the n x n matrix Z, leading dimension n) gets every block reflector
 * I - V T V^T, last block first, through the single-thread GEMM: W = V^T Z, W2 = T W,
 * Z -= V W2. Block q holds reflectors k0 = q*nb .. k0+b-1, V^T = rows k0.. of A from column
 * k0+1 (clean: 1 on the diagonal, zeros left of it), T_q at Ts + q*nb*nb*8 (b x b, ld b).
 * Panels are independent, so each thread streams its own panel (the panel width never
 * changes a result bit: GEMM tiles never split k). ws: per-thread W and W2 (pw*nb each).
 */
export function bt_panel_task(a: usize, lda: i32, n: i32, nref: i32, nb: i32, Ts: usize, Z: usize, pw: i32,
  ws: usize, wsBytes: usize, work: usize, workBytes: usize, task: i32, tid: i32): void {
  const c0 = task * pw;
  if (c0 >= n) return;
  const w = min(pw, n - c0);
  const W = ws + <usize>tid * wsBytes, W2 = W + (<usize>(pw * nb) << 3);
  const gw = work + <usize>tid * workBytes;
  const nBlocks = (nref + nb - 1) / nb;
  for (let q = nBlocks - 1; q >= 0; q--) {
    const k0 = q * nb, b = min(nb, nref - k0), m = n - k0 - 1;
    const Vt = a + ((<usize>k0 * <usize>lda + <usize>k0 + 1) << 3);
    const Zs = Z + ((<usize>(k0 + 1) * <usize>n + <usize>c0) << 3);
    gemm_f64(0, 0, b, w, m, 1.0, Vt, lda, Zs, n, 0.0, W, w, gw);
    gemm_f64(0, 0, b, w, b, 1.0, Ts + (<usize>(q * nb * nb) << 3), b, W, w, 0.0, W2, w, gw);
    gemm_f64(1, 0, m, w, b, -1.0, Vt, lda, W2, w, 1.0, Zs, n, gw);
  }
}
