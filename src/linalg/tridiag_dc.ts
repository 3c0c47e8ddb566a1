// Divide-and-conquer eigensolver for a symmetric tridiagonal T (after LAPACK dstedc/dlaed0-4).
// T = diag(T1, T2) + rho v v^T with the coupling e_k removed from both adjacent diagonals;
// with T1 = Q1 D1 Q1^T, T2 = Q2 D2 Q2^T the merge is the eigenproblem of D + rho z z^T,
// z = (last row of Q1, first row of Q2). Small z components and close pole pairs deflate;
// the rest is a secular equation whose eigenvectors U update Q = diag(Q1, Q2) U.
// Q lives in the n x n output V (diagonal blocks). A merge goes through the rows of its block
// in row blocks: each row block is read into a small buffer, then overwritten by a GEMM with
// the rows of U for that half (the top rows of Q only see the Q1 columns), so the extra memory
// is U (at most K x K, about n^2/2 at the top merge) plus one row block.
import { engine } from '../engine.js';
import { gemmRaw } from './gemm.js';
import type { Matrix } from './matrix.js';

const EPS = 1.1102230246251565e-16;

/** Tuning: leaf size (QL below it) and row-block budget in doubles; tests change them. */
export const dcTuning = { leaf: 48, rowBlockDoubles: 1 << 22 };

/** Seconds per step summed over merges (profiling). */
export const dcTimes: Record<string, number> = {};
let tLast = 0;
const tick = (k?: string) => { const t = performance.now(); if (k) dcTimes[k] = (dcTimes[k] ?? 0) + (t - tLast) / 1000; tLast = t; };

export type DcProgress = (fraction: number) => void;

/**
 * Eigen-decomposition of the tridiagonal (d, e) at wasm byte offsets (e[i] = T[i, i+1];
 * e[n-1] ignored; both destroyed). On return d holds the eigenvalues in no particular order
 * and column j of V (n x n, leading dimension n, overwritten) the eigenvector of d[j].
 * Returns false if a leaf QL failed to converge.
 */
export function tridiagDC(d: number, e: number, n: number, V: number, progress?: DcProgress): boolean {
  const eng = engine(), ex = eng.exports;
  const f64 = (p: number, len: number) => new Float64Array(eng.memory.buffer, p, len);
  new Uint8Array(eng.memory.buffer, V, n * n * 8).fill(0);
  // scale to max-norm ~1 (the deflation tolerances are absolute)
  let nrm = 0;
  { const D = f64(d, n), E = f64(e, n); for (let i = 0; i < n; i++) nrm = Math.max(nrm, Math.abs(D[i]), i < n - 1 ? Math.abs(E[i]) : 0); }
  if (nrm === 0) { ex.eye_f64(V, n, n); return true; }
  nrm = 2 ** Math.floor(Math.log2(nrm)); // a power of two: scaling is exact
  { const D = f64(d, n), E = f64(e, n); for (let i = 0; i < n; i++) { D[i] /= nrm; E[i] /= nrm; } }
  let tnorm = 0;
  { const D = f64(d, n), E = f64(e, n); for (let i = 0; i < n; i++) tnorm = Math.max(tnorm, Math.abs(D[i]) + (i < n - 1 ? Math.abs(E[i]) : 0)); }
  const leaf = Math.max(2, dcTuning.leaf);
  const tmp = eng.buffer('f64', leaf * leaf);
  let ok = true, done = 0;
  const solve = (s: number, m: number): void => {
    if (!ok) return;
    if (m <= leaf) {
      if ((ex.dc_leaf(d + s * 8, e + s * 8, m, V + (s * n + s) * 8, n, tmp.ptr, tnorm) as number) !== 0) ok = false;
      return;
    }
    const n1 = m >> 1;
    const E = f64(e, n), D = f64(d, n);
    const rho = E[s + n1 - 1];
    D[s + n1 - 1] -= Math.abs(rho);
    D[s + n1] -= Math.abs(rho);
    solve(s, n1);
    solve(s + n1, m - n1);
    if (!ok) return;
    merge(d, n, V, s, m, n1, rho);
    if (progress && m >= 512) { done += m; progress(Math.min(1, done / (n * Math.log2(n / leaf)))); }
  };
  try {
    solve(0, n);
  } finally {
    tmp.free();
  }
  const D = f64(d, n);
  for (let i = 0; i < n; i++) D[i] *= nrm;
  return ok;
}

/** Merges the solved halves [s, s+n1) and [s+n1, s+m) (coupling rho) of the block at V. */
function merge(d: number, n: number, V: number, s: number, m: number, n1: number, rho: number): void {
  const eng = engine(), ex = eng.exports;
  const mem = () => new Float64Array(eng.memory.buffer);
  tick();
  const Dsub = new Float64Array(eng.memory.buffer, d + s * 8, m).slice();
  // z from the last row of Q1 and the first row of Q2, scaled so |z| = 1 (rho doubled)
  const z = new Float64Array(m);
  {
    const M = mem(), r1 = (V / 8) + (s + n1 - 1) * n + s, r2 = (V / 8) + (s + n1) * n + s;
    const sg = rho < 0 ? -Math.SQRT1_2 : Math.SQRT1_2;
    for (let i = 0; i < n1; i++) z[i] = M[r1 + i] * Math.SQRT1_2;
    for (let i = n1; i < m; i++) z[i] = M[r2 + i] * sg;
  }
  const r = 2 * Math.abs(rho);
  const ord = Int32Array.from({ length: m }, (_, i) => i).sort((a, b) => Dsub[a] - Dsub[b] || a - b);
  let zmax = 0, dmax = 0;
  for (let i = 0; i < m; i++) { zmax = Math.max(zmax, Math.abs(z[i])); dmax = Math.max(dmax, Math.abs(Dsub[i])); }
  const tol = 8 * EPS * Math.max(dmax, zmax);

  // deflation (dlaed2): col type 1 = support in the top rows, 3 = bottom, 2 = both
  const typ = new Int8Array(m);
  for (let i = 0; i < m; i++) typ[i] = i < n1 ? 1 : 3;
  const keep: number[] = [], defl: number[] = [], rot: number[] = [];
  if (r * zmax <= tol) {
    for (const i of ord) defl.push(i);
  } else {
    let pj = -1;
    for (const nj of ord) {
      if (r * Math.abs(z[nj]) <= tol) { defl.push(nj); continue; }
      if (pj < 0) { pj = nj; continue; }
      let sn = z[pj], c = z[nj];
      const tau = Math.hypot(c, sn), t = Dsub[nj] - Dsub[pj];
      c /= tau; sn = -sn / tau;
      if (Math.abs(t * c * sn) <= tol) {
        // close poles: a Givens rotation zeroes z[pj]; pj deflates, nj stays a candidate
        z[nj] = tau; z[pj] = 0;
        if (typ[nj] !== typ[pj]) typ[nj] = 2;
        typ[pj] = 4;
        rot.push(pj, nj, c, sn);
        const a = Dsub[pj], b = Dsub[nj];
        Dsub[pj] = a * c * c + b * sn * sn;
        Dsub[nj] = a * sn * sn + b * c * c;
        defl.push(pj);
      } else keep.push(pj);
      pj = nj;
    }
    if (pj >= 0) keep.push(pj);
  }
  const K = keep.length, nd = defl.length, nrot = rot.length / 4;
  const top: number[] = [], bot: number[] = []; // pole indices whose columns touch top / bottom rows
  for (let p = 0; p < K; p++) {
    const t = typ[keep[p]];
    if (t !== 3) top.push(p);
    if (t !== 1) bot.push(p);
  }
  // small workspace: dl, w, tau, what, inv (K each) | org (K) | rows (K) | rix (2 nrot) | cs (2 nrot) | cols (m)
  const bytes = 5 * K * 8 + 2 * K * 4 + nrot * 8 + nrot * 16 + m * 4 + 64;
  const wsp = eng.heap.alloc(bytes);
  const pdl = wsp, pw = pdl + K * 8, ptau = pw + K * 8, pwhat = ptau + K * 8, pinv = pwhat + K * 8;
  const pcs = pinv + K * 8, porg = pcs + nrot * 16, prows = porg + K * 4, prix = prows + K * 4, pcols = prix + nrot * 8;
  let U = 0, T = 0;
  try {
    {
      const M = mem();
      for (let p = 0; p < K; p++) { M[pdl / 8 + p] = Dsub[keep[p]]; M[pw / 8 + p] = z[keep[p]]; }
      for (let q = 0; q < nrot; q++) { M[pcs / 8 + 2 * q] = rot[4 * q + 2]; M[pcs / 8 + 2 * q + 1] = rot[4 * q + 3]; }
      const I = new Int32Array(eng.memory.buffer, prix, 2 * nrot);
      for (let q = 0; q < nrot; q++) { I[2 * q] = rot[4 * q]; I[2 * q + 1] = rot[4 * q + 1]; }
    }
    const chunk = Math.max(1, Math.ceil(K / 64));
    const nt = Math.ceil(K / chunk);
    tick('deflate');
    if (K > 0) {
      eng.parallelFor('dc_secular_task', [pdl, pw, K, r, porg, ptau, chunk], nt);
      tick('secular');
      eng.parallelFor('dc_what_task', [pdl, pw, K, porg, ptau, pwhat, chunk], nt);
      eng.parallelFor('dc_colnorm_task', [pdl, K, porg, ptau, pwhat, pinv, chunk], nt);
      tick('what+norm');
    }
    // new eigenvalues: roots first, then the deflated ones
    {
      const M = mem(), org = new Int32Array(eng.memory.buffer, porg, K), D = new Float64Array(eng.memory.buffer, d + s * 8, m);
      for (let j = 0; j < K; j++) D[j] = M[pdl / 8 + org[j]] + M[ptau / 8 + j];
      for (let t = 0; t < nd; t++) D[K + t] = Dsub[defl[t]];
    }
    const maxRows = Math.max(top.length, bot.length);
    if (K > 0 && maxRows > 0) U = eng.heap.alloc(maxRows * K * 8);
    const width = maxRows + nd;
    const rbMax = Math.max(1, Math.min(Math.max(n1, m - n1), Math.floor(dcTuning.rowBlockDoubles / Math.max(1, width))));
    T = eng.heap.alloc(rbMax * width * 8);
    for (const [r0, nr, poles] of [[0, n1, top], [n1, m - n1, bot]] as [number, number, number[]][]) {
      const np = poles.length, nc = np + nd;
      {
        const rows = new Int32Array(eng.memory.buffer, prows, K), cols = new Int32Array(eng.memory.buffer, pcols, m);
        for (let q = 0; q < np; q++) { rows[q] = poles[q]; cols[q] = keep[poles[q]]; }
        for (let t = 0; t < nd; t++) cols[np + t] = defl[t];
      }
      if (np > 0) {
        const c2 = Math.max(1, Math.ceil(np / 64));
        eng.parallelFor('dc_urows_task', [pdl, K, porg, ptau, pwhat, pinv, prows, np, U, c2], Math.ceil(np / c2));
      }
      tick('urows');
      for (let b0 = 0; b0 < nr; b0 += rbMax) {
        const rb = Math.min(rbMax, nr - b0);
        const Vb = V + ((s + r0 + b0) * n + s) * 8;
        const c3 = Math.max(1, Math.ceil(rb / 32));
        eng.parallelFor('dc_gather_task', [Vb, n, rb, prix, pcs, nrot, pcols, nc, T, c3], Math.ceil(rb / c3));
        tick('gather');
        if (K > 0) {
          if (np > 0) gemmRaw('f64', false, false, rb, K, np, 1, T, nc, U, K, 0, Vb, n);
          else for (let i = 0; i < rb; i++) new Float64Array(eng.memory.buffer, Vb + i * n * 8, K).fill(0);
        }
        tick('gemm');
        if (nd > 0) ex.dc_copy_block(T + np * 8, nc, Vb + K * 8, n, rb, nd);
        tick('copy');
      }
    }
  } finally {
    eng.heap.release(wsp);
    if (U) eng.heap.release(U);
    if (T) eng.heap.release(T);
  }
}

/** Z[:, j] := Z[:, perm[j]] for the n x n row-major Z at a byte offset. */
export function permuteColumns(Z: number, n: number, perm: Int32Array): void {
  const eng = engine();
  const p = eng.heap.alloc(n * 4);
  try {
    new Int32Array(eng.memory.buffer, p, n).set(perm);
    const bytes = Math.ceil((n * 8) / 64) * 64;
    const scratch = eng.threadScratch(bytes, 'dc_perm');
    const chunk = Math.max(1, Math.ceil(n / 64));
    eng.parallelFor('dc_permute_cols_task', [Z, n, n, n, p, scratch, bytes, chunk], Math.ceil(n / chunk));
  } finally {
    eng.heap.release(p);
  }
}

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix with diagonal d (n) and
 * off-diagonal e (n - 1) by divide and conquer (scipy.linalg.eigh_tridiagonal's job), with
 * eigh's conventions: values DESCENDING, vectors n x n with column j the unit eigenvector
 * of values[j], its largest-magnitude component positive.
 */
export function tridiagEigh(d: ArrayLike<number>, e: ArrayLike<number>): { values: Float64Array; vectors: Matrix<Float64Array> } {
  const n = d.length;
  if (e.length < n - 1) throw new RangeError(`tridiagEigh: e needs ${n - 1} entries, got ${e.length}`);
  for (let i = 0; i < n; i++) if (!Number.isFinite(d[i])) throw new RangeError(`tridiagEigh: d[${i}] is ${d[i]}; expected a finite number`);
  for (let i = 0; i < n - 1; i++) if (!Number.isFinite(e[i])) throw new RangeError(`tridiagEigh: e[${i}] is ${e[i]}; expected a finite number`);
  const eng = engine();
  const de = eng.buffer('f64', 2 * n), V = eng.buffer('f64', n * n);
  try {
    const m = de.data;
    for (let i = 0; i < n; i++) { m[i] = d[i]; m[n + i] = i < n - 1 ? e[i] : 0; }
    if (!tridiagDC(de.ptr, de.ptr + n * 8, n, V.ptr)) throw new Error('tridiagEigh: QL at a leaf did not converge');
    const vals = de.data.slice(0, n);
    const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => vals[b] - vals[a] || a - b);
    permuteColumns(V.ptr, n, order);
    const sc = eng.heap.alloc(16 * n);
    try { eng.exports.sign_cols_f64(V.ptr, n, n, n, sc); } finally { eng.heap.release(sc); }
    return { values: Float64Array.from(order, (i) => vals[i]), vectors: { data: V.toArray(), rows: n, cols: n } };
  } finally {
    de.free();
    V.free();
  }
}
