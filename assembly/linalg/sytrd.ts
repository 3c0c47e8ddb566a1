// Householder tridiagonalisation of a symmetric matrix (LAPACK dsytrd, uplo 'L' seen
// column-major = the UPPER triangle of our row-major storage, so every row is contiguous).
// Reflector k (k = 0..n-2) is H_k = I - tau_k v v^T with v[k+1] = 1, v[k+2:] stored in
// A[k, k+2:]; Q = H_0 H_1 ... H_{n-2} and A = Q T Q^T.
//
// Two drivers share this layout: the blocked one (latrd_col / symv_upper_task / latrd_w /
// syr2k_upper_task below, used by default) and the older unblocked one:
// one step per pair of calls, driven from TS: tred_head(k) finishes step k's vector w and
// forms reflector k+1 from row k+1; tred_rows_task(k) then streams the remaining rows once,
// applying step k's rank-2 update and accumulating y = S_{k+1} v_{k+1} (the next step's
// symmetric product) in the same pass, so the trailing matrix is read and written once per step.

import { gemm_f64 } from "./gemm_f64";

@inline function ld(p: usize, i: i32): f64 { return load<f64>(p + (<usize>i << 3)); }
@inline function st(p: usize, i: i32, x: f64): void { store<f64>(p + (<usize>i << 3), x); }

/**
 * dlarfg on x = row[r+1:n]: writes tau[r] and e[r] (= beta), scales row[r+2:n] into the
 * reflector tail, and leaves the row as the clean reflector [0 .. 0, 1, v tail] that the
 * blocked back-transformation reads.
 */
@inline function larfgRow(row: usize, r: i32, n: i32, e: usize, tau: usize): void {
  const alpha = ld(row, r + 1);
  let sig: f64 = 0;
  for (let j = r + 2; j < n; j++) { const x = ld(row, j); sig += x * x; }
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
  memory.fill(row, 0, <usize>(r + 1) << 3);
  st(row, r + 1, 1.0);
}

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
  memory.fill(vnext, 0, nb);
  larfgRow(row, r, n, e, tau);
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
 * Task kernel of the back-transformation Z := Q Z: column panel p0 + task (columns
 * (p0+task)*pw .. +pw of the n x n matrix Z, leading dimension n) gets every block reflector
 * I - V T V^T, last block first, through the single-thread GEMM: W = V^T Z, W2 = T W,
 * Z -= V W2. Block q holds reflectors k0 = q*nb .. k0+b-1, V^T = rows k0.. of A from column
 * k0+1 (clean: 1 on the diagonal, zeros left of it), T_q at Ts + q*nb*nb*8 (b x b, ld b).
 * Panels are independent, so each thread streams its own panel (the panel width never
 * changes a result bit: GEMM tiles never split k). ws: per-thread W and W2 (pw*nb each).
 */
export function bt_panel_task(a: usize, lda: i32, n: i32, nref: i32, nb: i32, Ts: usize, Z: usize, pw: i32,
  p0: i32, ws: usize, wsBytes: usize, work: usize, workBytes: usize, task: i32, tid: i32): void {
  const c0 = (p0 + task) * pw;
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

// ---- Blocked tridiagonalisation (LAPACK dsytrd + dlatrd, uplo 'L' = our upper triangle) ----
// A panel of b reflectors k0..k0+b-1 is formed with the trailing matrix left as it was at
// the panel start: for column k, latrd_col applies the panel's earlier reflectors to row k
// (row k -= W[p][k] V_p + V_p[k] W_p) and forms reflector k; symv_upper_task computes
// y = S v with S the trailing matrix from row k+1 (read once, not written); latrd_w turns y
// into w_k (with the panel corrections). After the panel, the trailing matrix gets the
// rank-2b update S -= V^T W + W^T V through GEMM (syr2k_upper_task), its upper triangle
// only, in fixed tiles. W rows live at Wp + p*ldw*8 (row p = w of reflector k0+p, zero
// left of k0+p+1).

/** Row k = k0 + j: apply the panel's reflectors 0..j-1, then form reflector k (as tred_head). */
export function latrd_col(A: usize, lda: i32, n: i32, k0: i32, j: i32, Wp: usize, ldw: i32,
  d: usize, e: usize, tau: usize): void {
  const k = k0 + j;
  const row = A + ((<usize>k * <usize>lda) << 3);
  for (let p = 0; p < j; p++) {
    const V = A + ((<usize>(k0 + p) * <usize>lda) << 3), W = Wp + ((<usize>p * <usize>ldw) << 3);
    const wk = ld(W, k), vk = ld(V, k);
    const wkv = f64x2.splat(wk), vkv = f64x2.splat(vk);
    let c = k;
    for (; c + 2 <= n; c += 2) {
      const o = <usize>c << 3;
      v128.store(row + o, f64x2.sub(v128.load(row + o),
        f64x2.add(f64x2.mul(wkv, v128.load(V + o)), f64x2.mul(vkv, v128.load(W + o)))));
    }
    for (; c < n; c++) st(row, c, ld(row, c) - (wk * ld(V, c) + vk * ld(W, c)));
  }
  st(d, k, ld(row, k));
  larfgRow(row, k, n, e, tau);
}

/**
 * y_task += S x for the symmetric matrix S = A[r:n, r:n] (upper triangle stored, read only):
 * rows in blocks of 8, block b done by task b mod nTasks, partial sums per task (ybase + task*n*8,
 * indexed by global column), so the sum order never depends on the thread count.
 */
export function symv_upper_task(A: usize, lda: i32, n: i32, r: i32, x: usize, ybase: usize, nTasks: i32,
  task: i32, tid: i32): void {
  const y = ybase + ((<usize>task * <usize>n) << 3);
  const ldb = <usize>lda << 3;
  for (let b0 = r + task * 8; b0 < n; b0 += nTasks * 8) {
    const b1 = min(n, b0 + 8);
    let i = b0;
    for (; i + 4 <= b1; i += 4) {
      // rows i..i+3: the 4 x 4 diagonal block in scalar, then 4 dots and one y update per column pair
      const r0 = A + <usize>i * ldb, r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
      const x0 = ld(x, i), x1 = ld(x, i + 1), x2 = ld(x, i + 2), x3 = ld(x, i + 3);
      const a01 = ld(r0, i + 1), a02 = ld(r0, i + 2), a03 = ld(r0, i + 3);
      const a12 = ld(r1, i + 2), a13 = ld(r1, i + 3), a23 = ld(r2, i + 3);
      let s0 = ld(r0, i) * x0 + a01 * x1 + a02 * x2 + a03 * x3;
      let s1 = a01 * x0 + ld(r1, i + 1) * x1 + a12 * x2 + a13 * x3;
      let s2 = a02 * x0 + a12 * x1 + ld(r2, i + 2) * x2 + a23 * x3;
      let s3 = a03 * x0 + a13 * x1 + a23 * x2 + ld(r3, i + 3) * x3;
      const x0v = f64x2.splat(x0), x1v = f64x2.splat(x1), x2v = f64x2.splat(x2), x3v = f64x2.splat(x3);
      let d0 = f64x2.splat(0), d1 = f64x2.splat(0), d2 = f64x2.splat(0), d3 = f64x2.splat(0);
      let j = i + 4;
      for (; j + 2 <= n; j += 2) {
        const o = <usize>j << 3;
        const a0 = v128.load(r0 + o), a1 = v128.load(r1 + o), a2 = v128.load(r2 + o), a3 = v128.load(r3 + o);
        const xv = v128.load(x + o);
        d0 = f64x2.add(d0, f64x2.mul(a0, xv));
        d1 = f64x2.add(d1, f64x2.mul(a1, xv));
        d2 = f64x2.add(d2, f64x2.mul(a2, xv));
        d3 = f64x2.add(d3, f64x2.mul(a3, xv));
        v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.add(
          f64x2.add(f64x2.mul(a0, x0v), f64x2.mul(a1, x1v)), f64x2.add(f64x2.mul(a2, x2v), f64x2.mul(a3, x3v)))));
      }
      for (; j < n; j++) {
        const a0 = ld(r0, j), a1 = ld(r1, j), a2 = ld(r2, j), a3 = ld(r3, j), xj = ld(x, j);
        s0 += a0 * xj; s1 += a1 * xj; s2 += a2 * xj; s3 += a3 * xj;
        st(y, j, ld(y, j) + ((a0 * x0 + a1 * x1) + (a2 * x2 + a3 * x3)));
      }
      st(y, i, ld(y, i) + (s0 + (f64x2.extract_lane(d0, 0) + f64x2.extract_lane(d0, 1))));
      st(y, i + 1, ld(y, i + 1) + (s1 + (f64x2.extract_lane(d1, 0) + f64x2.extract_lane(d1, 1))));
      st(y, i + 2, ld(y, i + 2) + (s2 + (f64x2.extract_lane(d2, 0) + f64x2.extract_lane(d2, 1))));
      st(y, i + 3, ld(y, i + 3) + (s3 + (f64x2.extract_lane(d3, 0) + f64x2.extract_lane(d3, 1))));
    }
    for (; i < b1; i++) {
      const r0 = A + <usize>i * ldb;
      const x0 = ld(x, i);
      let s0 = ld(r0, i) * x0;
      for (let j = i + 1; j < n; j++) {
        const a0 = ld(r0, j);
        s0 += a0 * ld(x, j);
        st(y, j, ld(y, j) + a0 * x0);
      }
      st(y, i, ld(y, i) + s0);
    }
  }
}

/** All tasks of symv_upper_task on the calling thread (small trailing matrices; same bits). */
export function symv_upper_serial(A: usize, lda: i32, n: i32, r: i32, x: usize, ybase: usize, nTasks: i32): void {
  for (let t = 0; t < nTasks; t++) symv_upper_task(A, lda, n, r, x, ybase, nTasks, t, 0);
}

@inline function dot_from(a: usize, b: usize, r: i32, n: i32): f64 {
  let acc = f64x2.splat(0);
  let s: f64 = 0;
  let c = r;
  for (; c + 2 <= n; c += 2) {
    const o = <usize>c << 3;
    acc = f64x2.add(acc, f64x2.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; c < n; c++) s += ld(a, c) * ld(b, c);
  return s + (f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1));
}

/**
 * w of reflector k = k0 + j from the task partials of y = S v (reduced in task order, then
 * zeroed): y -= V (W^T v) + W (V^T v) over the panel's earlier reflectors, w = tau y, and
 * w += -tau/2 (w.v) v. Writes W row j. c: 2*j doubles of scratch.
 */
export function latrd_w(A: usize, lda: i32, n: i32, k0: i32, j: i32, Wp: usize, ldw: i32,
  ybase: usize, nTasks: i32, tau: usize, c: usize): void {
  const k = k0 + j, r = k + 1;
  const nb = <usize>n << 3;
  const v = A + ((<usize>k * <usize>lda) << 3);
  const y = ybase;
  for (let t = 1; t < nTasks; t++) {
    const yt = ybase + <usize>t * nb;
    for (let q = r; q < n; q++) { st(y, q, ld(y, q) + ld(yt, q)); st(yt, q, 0); }
  }
  for (let p = 0; p < j; p++) {
    const V = A + ((<usize>(k0 + p) * <usize>lda) << 3), W = Wp + ((<usize>p * <usize>ldw) << 3);
    st(c, p, dot_from(W, v, r, n));
    st(c, j + p, dot_from(V, v, r, n));
  }
  for (let p = 0; p < j; p++) {
    const V = A + ((<usize>(k0 + p) * <usize>lda) << 3), W = Wp + ((<usize>p * <usize>ldw) << 3);
    const c1 = ld(c, p), c2 = ld(c, j + p);
    const c1v = f64x2.splat(c1), c2v = f64x2.splat(c2);
    let q = r;
    for (; q + 2 <= n; q += 2) {
      const o = <usize>q << 3;
      v128.store(y + o, f64x2.sub(v128.load(y + o),
        f64x2.add(f64x2.mul(v128.load(V + o), c1v), f64x2.mul(v128.load(W + o), c2v))));
    }
    for (; q < n; q++) st(y, q, ld(y, q) - (ld(V, q) * c1 + ld(W, q) * c2));
  }
  const tk = ld(tau, k);
  const w = Wp + ((<usize>j * <usize>ldw) << 3);
  memory.fill(w, 0, <usize>r << 3);
  let s: f64 = 0;
  for (let q = r; q < n; q++) {
    const x = tk * ld(y, q);
    st(w, q, x);
    s += x * ld(v, q);
    st(y, q, 0);
  }
  const alpha = -0.5 * tk * s;
  for (let q = r; q < n; q++) st(w, q, ld(w, q) + alpha * ld(v, q));
}

/** X (3b x m, ld m) = [V; W; V] restricted to columns s = k0 + b .. n-1, for syr2k_upper_task. */
export function syr2k_pack(A: usize, lda: i32, n: i32, k0: i32, b: i32, Wp: usize, ldw: i32, X: usize): void {
  const s = k0 + b, m = n - s;
  const rb = <usize>m << 3;
  for (let p = 0; p < b; p++) {
    const V = A + ((<usize>(k0 + p) * <usize>lda + <usize>s) << 3);
    const W = Wp + ((<usize>p * <usize>ldw + <usize>s) << 3);
    memory.copy(X + <usize>p * rb, V, rb);
    memory.copy(X + <usize>(b + p) * rb, W, rb);
    memory.copy(X + <usize>(2 * b + p) * rb, V, rb);
  }
}

/**
 * C (m x m, ld ldc, upper triangle) -= V^T W + W^T V with X = [V; W; V] (3b x m, ld ldx):
 * tile `task` of the upper-triangular tiles (row-major order) of fixed size `tile`, one
 * single-thread GEMM with k = 2b each (diagonal tiles also write their lower half, unused).
 */
export function syr2k_upper_task(C: usize, ldc: i32, m: i32, X: usize, ldx: i32, b: i32, tile: i32,
  work: usize, workBytes: usize, task: i32, tid: i32): void {
  const nt = (m + tile - 1) / tile;
  let t = task, bi = 0;
  while (bi < nt && t >= nt - bi) { t -= nt - bi; bi++; }
  if (bi >= nt) return;
  const bj = bi + t;
  const i0 = bi * tile, j0 = bj * tile;
  gemm_f64(1, 0, min(tile, m - i0), min(tile, m - j0), 2 * b, -1.0,
    X + (<usize>i0 << 3), ldx, X + ((<usize>b * <usize>ldx + <usize>j0) << 3), ldx, 1.0,
    C + ((<usize>i0 * <usize>ldc + <usize>j0) << 3), ldc, work + <usize>tid * workBytes);
}
