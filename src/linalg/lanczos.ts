// Leading eigenpairs of a large symmetric matrix: Lanczos with full reorthogonalisation
// (classical Gram-Schmidt applied twice, as GEMMs), Ritz pairs from the small tridiagonal
// through our eigh, and convergence judged by the Lanczos residual |beta_j s_i[j]|
// (= |A y_i - theta_i y_i| in exact arithmetic).
import { engine } from '../engine.js';
import { checkMatrix, checkFinite, type Matrix } from './matrix.js';
import { gemmRaw } from './gemm.js';
import { eighInPlace } from './eigh.js';
import { mulberry32 } from '../data/rng.js';
import type { WasmBuffer } from '../../bindings/engine.js';

export interface EighTopOptions {
  /** Relative residual tolerance: |A y - theta y| <= tol * |theta_max|. Default 1e-10. */
  tol?: number;
  /** Largest Krylov dimension before giving up (default n, i.e. always converges). */
  maxDim?: number;
  /** Seed of the deterministic start vector. */
  seed?: number;
}

export interface EighTopResult {
  /** The k largest eigenvalues, descending. */
  values: Float64Array;
  /** n x k row-major; column i is the unit eigenvector of values[i] (largest |component| positive). */
  vectors: Matrix<Float64Array>;
  /** Krylov dimension used. */
  iterations: number;
  /** max_i |A y_i - theta_i y_i| estimated from the recurrence. */
  residual: number;
}

type Ptr = number | WasmBuffer;

/**
 * The k largest (algebraic) eigenpairs of the symmetric n x n matrix at `A` (wasm byte
 * offset or buffer, fully stored, leading dimension n), which is only read.
 */
export function eighTopInPlace(A: Ptr, n: number, k: number, opts: EighTopOptions = {}): EighTopResult {
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`eighTop: k must be an integer in [1, ${n}], got ${k}`);
  const a = typeof A === 'number' ? A : A.ptr;
  const tol = opts.tol ?? 1e-10;
  const maxDim = Math.min(n, opts.maxDim ?? n);
  const eng = engine();
  const rand = mulberry32(opts.seed ?? 12345);
  let cap = Math.min(maxDim, Math.max(2 * k + 30, 60));
  let Q = eng.buffer('f64', (cap + 1) * n);
  const z = eng.buffer('f64', n), c = eng.buffer('f64', maxDim + 1);
  const alpha: number[] = [], beta: number[] = [];
  let anorm = 0;
  const mem = () => new Float64Array(eng.memory.buffer);
  // orthogonalise z against rows 0..j of Q twice, return its norm
  const reorth = (j: number): number => {
    for (let pass = 0; pass < 2; pass++) {
      gemmRaw('f64', false, false, j + 1, 1, n, 1, Q.ptr, n, z.ptr, 1, 0, c.ptr, 1);
      gemmRaw('f64', false, false, 1, n, j + 1, -1, c.ptr, j + 1, Q.ptr, n, 1, z.ptr, n);
    }
    const zz = z.data;
    let s = 0;
    for (let i = 0; i < n; i++) s += zz[i] * zz[i];
    return Math.sqrt(s);
  };
  const randomInto = (j: number): void => {
    const zz = z.data;
    for (let i = 0; i < n; i++) zz[i] = rand() - 0.5; // centred start vector
    const nr = j >= 0 ? reorth(j) : Math.hypot(...zz);
    const q = new Float64Array(eng.memory.buffer, Q.ptr + (j + 1) * n * 8, n), zd = z.data;
    for (let i = 0; i < n; i++) q[i] = zd[i] / nr;
  };
  try {
    randomInto(-1);
    let ritz: { values: Float64Array; S: Float64Array; m: number; res: number } | null = null;
    for (let j = 0; j < maxDim; j++) {
      if (j + 1 > cap) {
        // grow the basis storage
        const ncap = Math.min(maxDim, 2 * cap);
        const Q2 = eng.buffer('f64', (ncap + 1) * n);
        Q2.data.set(Q.data.subarray(0, (cap + 1) * n));
        Q.free();
        Q = Q2;
        cap = ncap;
      }
      const qj = Q.ptr + j * n * 8;
      gemmRaw('f64', false, false, 1, n, n, 1, qj, n, a, n, 0, z.ptr, n); // z = q_j^T A = (A q_j)^T
      const M = mem(), zd = z.data;
      let al = 0;
      for (let i = 0; i < n; i++) al += M[qj / 8 + i] * zd[i];
      alpha.push(al);
      let b = reorth(j);
      anorm = Math.max(anorm, Math.abs(al) + b + (j > 0 ? beta[j - 1] : 0));
      const m = j + 1;
      const last = m === maxDim;
      if (b <= 1e-13 * anorm && !last) {
        // invariant subspace found: restart with a fresh vector orthogonal to the basis
        beta.push(0);
        b = 0;
        randomInto(j);
      } else {
        beta.push(b);
        if (!last) {
          const q = new Float64Array(eng.memory.buffer, Q.ptr + m * n * 8, n), zz = z.data;
          for (let i = 0; i < n; i++) q[i] = zz[i] / b;
        }
      }
      const step = Math.max(5, Math.floor(m / 8));
      if (m >= k && (m % step === 0 || last || b === 0)) {
        ritz = ritzPairs(alpha, beta, m, k);
        const scale = Math.max(Math.abs(ritz.values[0]), Math.abs(ritz.values[m - 1]), Number.MIN_VALUE);
        if (ritz.res <= tol * scale || last) break;
      }
    }
    if (!ritz) throw new Error('eighTop: internal error, no Ritz pairs computed');
    // Ritz vectors Y = S_k^T Q (k x n), rows; then columns of an n x k matrix
    const m = ritz.m;
    const S = eng.from(ritz.S); // m x k
    const Y = eng.buffer('f64', k * n);
    try {
      gemmRaw('f64', true, false, k, n, m, 1, S.ptr, k, Q.ptr, n, 0, Y.ptr, n);
      const y = Y.data;
      const out = new Float64Array(n * k);
      for (let i = 0; i < k; i++) {
        let best = -1, sg = 1;
        for (let t = 0; t < n; t++) { const v = y[i * n + t]; if (Math.abs(v) > best) { best = Math.abs(v); sg = v < 0 ? -1 : 1; } }
        for (let t = 0; t < n; t++) out[t * k + i] = sg * y[i * n + t];
      }
      return { values: ritz.values.slice(0, k), vectors: { data: out, rows: n, cols: k }, iterations: m, residual: ritz.res };
    } finally {
      S.free();
      Y.free();
    }
  } finally {
    Q.free();
    z.free();
    c.free();
  }
}

/** Eigenpairs of the m x m Lanczos tridiagonal; S (m x k) holds the leading k eigenvectors. */
function ritzPairs(alpha: number[], beta: number[], m: number, k: number) {
  const eng = engine();
  const T = eng.buffer('f64', m * m), V = eng.buffer('f64', m * m);
  try {
    const t = T.data;
    t.fill(0);
    for (let i = 0; i < m; i++) {
      t[i * m + i] = alpha[i];
      if (i + 1 < m) { t[i * m + i + 1] = beta[i]; t[(i + 1) * m + i] = beta[i]; }
    }
    const values = eighInPlace(T, m, V);
    const v = V.data, S = new Float64Array(m * k);
    let res = 0;
    for (let i = 0; i < m; i++) for (let j = 0; j < k; j++) S[i * k + j] = v[i * m + j];
    for (let j = 0; j < k; j++) res = Math.max(res, Math.abs(beta[m - 1] * v[(m - 1) * m + j]));
    return { values, S, m, res };
  } finally {
    T.free();
    V.free();
  }
}

/**
 * The k largest eigenpairs of a symmetric matrix (fully stored; A is not modified), by
 * Lanczos with full reorthogonalisation. Values descending, vectors n x k.
 */
export function eighTop(A: Matrix<Float64Array>, k: number, opts: EighTopOptions = {}): EighTopResult {
  checkMatrix(A, 'eighTop: A');
  if (!(A.data instanceof Float64Array)) throw new TypeError('eighTop: A must be Float64Array (f64)');
  if (A.rows !== A.cols) throw new RangeError(`eighTop: A must be square, got ${A.rows} x ${A.cols}`);
  checkFinite(A, 'eighTop: A');
  const a = engine().input(A.data);
  try {
    return eighTopInPlace(a.ptr, A.rows, k, opts);
  } finally {
    a.release();
  }
}
