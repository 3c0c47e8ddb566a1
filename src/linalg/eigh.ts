// Symmetric eigendecomposition (numpy.linalg.eigh / eigvalsh), all in wasm memory:
//  1. Householder tridiagonalisation, blocked as LAPACK dsytrd/dlatrd: per column one
//     read-only symmetric matrix-vector product with the trailing matrix (symv_upper_task),
//     per panel of 32 columns one rank-64 GEMM update (syr2k_upper_task); the older fused
//     unblocked reduction (tred_head / tred_rows_task) is kept as eighTuning.tridiagBlock < 0;
//  2. eigenvectors Z of the tridiagonal by divide and conquer (tridiag_dc.ts; the older
//     implicit QL with rotations applied to the rows of Zt = Z^T is kept as eighTuning.method
//     'ql', and eigenvalues alone still come from QL, O(n^2));
//  3. back-transformation Z := Q Z with blocked WY reflectors through GEMM, one task per
//     column panel of Z (bt_panel_task).
// Memory: the input buffer (destroyed) plus the n x n output, i.e. 2 n^2 doubles, plus the
// divide-and-conquer workspace (at most ~n^2 doubles, ~n^2/2 for typical spectra).
// Eigenvalues come out in DESCENDING order (l_1 >= l_2 >= ..., as the paper ranks
// features); column i of `vectors` is the unit eigenvector of values[i], its sign fixed
// so that its largest-magnitude component is positive.
import { engine } from '../engine.js';
import { checkMatrix, checkFinite, type Matrix } from './matrix.js';
import { gemmRaw, gemmScratch } from './gemm.js';
import { checkFiniteRaw } from './cholesky.js';
import { tridiagDC, permuteColumns } from './tridiag_dc.js';
import type { WasmBuffer } from '../../bindings/engine.js';

export interface EighResult {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** n x k row-major; column i is the unit eigenvector of values[i]. */
  vectors: Matrix<Float64Array>;
}

type Ptr = number | WasmBuffer;
const ptrOf = (p: Ptr): number => (typeof p === 'number' ? p : p.ptr);

/**
 * Tuning knobs, 0 = automatic: column-panel width of the back-transformation (tests force
 * small panels to exercise the multi-panel path) and column-block width of the QL rotations;
 * `method` picks the tridiagonal eigenvector solver (divide and conquer, or the older QL);
 * `backBlock` is the number of reflectors per block of the back-transformation and
 * `tridiagBlock` the panel width of the blocked tridiagonalisation (< 0: the unblocked one).
 */
export const eighTuning = { panelWidth: 0, qlWidth: 0, method: 'dc' as 'dc' | 'ql', backBlock: 0, tridiagBlock: 0 };

export type Progress = (phase: 'tridiagonalize' | 'ql' | 'backTransform', fraction: number) => void;

export class EighConvergenceError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'EighConvergenceError';
  }
}

/**
 * Tridiagonalises the symmetric n x n matrix at `a` (upper triangle read; destroyed: its rows
 * then hold the Householder vectors). Returns a wasm buffer with d (n), e (n), tau (n).
 */
function tridiagonalize(a: number, n: number, lda: number, progress?: Progress): WasmBuffer<Float64Array> {
  const t = eighTuning.tridiagBlock;
  const nb = t > 0 ? t : t < 0 ? 0 : n >= TRD_MIN_N ? TRD_NB : 0;
  return nb > 0 ? tridiagonalizeBlocked(a, n, lda, nb, progress) : tridiagonalizeUnblocked(a, n, lda, progress);
}

const TRD_NB = 32; // panel width of the blocked reduction
const TRD_MIN_N = 3; // below: the fused unblocked reduction (measured slower from n = 64 up)
const SYR2K_TILE = 256; // fixed (thread-count independent) tiles of the rank-2b update
const SYMV_SERIAL = 1 << 16; // trailing triangles below this many entries: no thread wake-up

/**
 * Blocked Householder tridiagonalisation (LAPACK dsytrd/dlatrd): per panel of nb columns,
 * one read-only symmetric matrix-vector product with the trailing matrix per column
 * (symv_upper_task, fixed task partition), then one rank-2nb GEMM update of the trailing
 * upper triangle (syr2k_upper_task). Same output layout as the unblocked version.
 */
function tridiagonalizeBlocked(a: number, n: number, lda: number, nb: number, progress?: Progress): WasmBuffer<Float64Array> {
  const eng = engine();
  const ex = eng.exports;
  const nTasks = 8;
  const ws = eng.buffer('f64', (3 + nTasks + 4 * nb) * n + 2 * nb);
  const p = ws.ptr, nB = n * 8;
  const d = p, e = p + nB, tau = p + 2 * nB, y = p + 3 * nB, Wp = y + nTasks * nB, X = Wp + nb * nB, c = X + 3 * nb * nB;
  ws.data.fill(0, 0, (3 + nTasks) * n);
  const { work, workBytes } = gemmScratch('f64');
  let last = 0;
  for (let k0 = 0; k0 < n - 1; k0 += nb) {
    const b = Math.min(nb, n - 1 - k0);
    for (let j = 0; j < b; j++) {
      const k = k0 + j, r = k + 1, x = a + k * lda * 8, m = n - r;
      if (progress && k - last >= n / 50) { last = k; progress('tridiagonalize', 1 - ((n - k) / n) ** 3); }
      ex.latrd_col(a, lda, n, k0, j, Wp, n, d, e, tau);
      if (m * m < 2 * SYMV_SERIAL) ex.symv_upper_serial(a, lda, n, r, x, y, nTasks);
      else eng.parallelFor('symv_upper_task', [a, lda, n, r, x, y, nTasks], nTasks);
      ex.latrd_w(a, lda, n, k0, j, Wp, n, y, nTasks, tau, c);
    }
    const s = k0 + b, m = n - s;
    ex.syr2k_pack(a, lda, n, k0, b, Wp, n, X);
    const nt = Math.ceil(m / SYR2K_TILE);
    eng.parallelFor('syr2k_upper_task', [a + (s * lda + s) * 8, lda, m, X, m, b, SYR2K_TILE, work, workBytes], (nt * (nt + 1)) / 2);
  }
  const mem = new Float64Array(eng.memory.buffer);
  mem[d / 8 + n - 1] = mem[(a + ((n - 1) * lda + n - 1) * 8) / 8];
  mem[e / 8 + n - 1] = 0;
  return ws;
}

function tridiagonalizeUnblocked(a: number, n: number, lda: number, progress?: Progress): WasmBuffer<Float64Array> {
  const eng = engine();
  const ex = eng.exports;
  // one partial-sum vector per task (summed in task order by tred_head), and a task count
  // that does not depend on the thread count: the same bits on 1 thread, 2 or a browser's 8
  const nTasks = 8;
  const ws = eng.buffer('f64', (6 + nTasks) * n);
  const p = ws.ptr, nb = n * 8;
  const d = p, e = p + nb, tau = p + 2 * nb, vA = p + 3 * nb, vB = p + 4 * nb, w = p + 5 * nb, y = p + 6 * nb;
  ws.data.fill(0, 0, 3 * n);
  if (n === 1) {
    ws.data[0] = new Float64Array(eng.memory.buffer, a, 1)[0];
    return ws;
  }
  let vcur = vA, vnext = vB;
  const every = Math.max(1, Math.floor(n / 50));
  for (let k = -1; k <= n - 3; k++) {
    if (progress && k % every === 0 && k > 0) progress('tridiagonalize', 1 - ((n - k) / n) ** 3);
    ex.tred_head(a, lda, n, k, vcur, w, vnext, y, nTasks, d, e, tau);
    eng.parallelFor('tred_rows_task', [a, lda, n, k, vcur, w, vnext, y, nTasks], nTasks);
    const t = vcur; vcur = vnext; vnext = t;
  }
  const mem = new Float64Array(eng.memory.buffer);
  mem[d / 8 + n - 1] = mem[(a + ((n - 1) * lda + n - 1) * 8) / 8];
  mem[e / 8 + n - 1] = 0;
  return ws;
}

const notConverged = (l: number) =>
  new EighConvergenceError(`eigh: the tridiagonal QL iteration did not converge for eigenvalue ${l} after 60 sweeps`);

function tridiagNorm(d: number, e: number, n: number): number {
  const m = new Float64Array(engine().memory.buffer);
  let t = 0;
  for (let i = 0; i < n; i++) t = Math.max(t, Math.abs(m[d / 8 + i]) + Math.abs(m[e / 8 + i]));
  return t;
}

/** Implicit QL on (d, e) at byte offsets, eigenvalues only. */
function tqlValues(d: number, e: number, n: number): void {
  const ex = engine().exports;
  const tnorm = tridiagNorm(d, e, n);
  let l = 0, it = 0;
  while (l < n) {
    const nl = ex.tql_step(d, e, n, 0, 0, 0, l, tnorm) as number;
    if (nl === l) {
      if (++it > 60) throw notConverged(l);
    } else {
      l = nl;
      it = 0;
    }
  }
}

/**
 * Implicit QL with vectors: rotations of many sweeps are recorded (scalar, O(n) each) and
 * then applied to Zt (n x n rows, leading dimension n) column block by column block, so each
 * block stays in cache across the whole batch; blocks are independent tasks (threads).
 */
function tqlVectors(d: number, e: number, n: number, Zt: number, progress?: Progress): void {
  const eng = engine(), ex = eng.exports;
  const tnorm = tridiagNorm(d, e, n);
  const cap = Math.max(1 << 19, 4 * n); // rotations per batch
  const rot = eng.buffer('f64', 2 * cap);
  const maxSweeps = Math.ceil(cap / 2) + 8;
  const descPtr = eng.heap.alloc(maxSweeps * 12);
  const width = eighTuning.qlWidth > 0 ? eighTuning.qlWidth : 128; // measured best at n = 1024..2048
  const nBlocks = Math.ceil(n / width);
  let used = 0, nSweeps = 0;
  const flush = () => {
    if (nSweeps > 0) eng.parallelFor('rot_apply_task', [Zt, n, n, rot.ptr, descPtr, nSweeps, width], nBlocks);
    used = 0;
    nSweeps = 0;
  };
  try {
    let l = 0, it = 0;
    while (l < n) {
      if (used + n > cap || nSweeps >= maxSweeps) {
        flush();
        progress?.('ql', l / n);
      }
      const r = ex.tql_record(d, e, n, l, rot.ptr + used * 16, tnorm) as number;
      if (r >= 0) {
        l = r;
        it = 0;
        continue;
      }
      const m = -r - 1;
      const desc = new Int32Array(eng.memory.buffer, descPtr + nSweeps * 12, 3);
      desc[0] = l; desc[1] = m; desc[2] = used * 2;
      nSweeps++;
      used += m - l;
      if (++it > 60) throw notConverged(l);
    }
    flush();
  } finally {
    rot.free();
    eng.heap.release(descPtr);
  }
}

/**
 * Z := Q Z (Z n x n, leading dimension n) with Q = H_0 ... H_{n-2} from the reflector rows of
 * `a`: blocks of nb reflectors from the last, each as I - V T V^T (LAPACK dormtr/dlarfb), so
 * all the work is GEMMs. Columns of Z transform independently: Z is cut into column panels
 * (a few MiB each, so a panel stays in cache while every block reflector is applied to it)
 * and each panel is one task (bt_panel_task: single-thread GEMMs), so the threads stream
 * their own panels instead of splitting small GEMMs.
 */
function backTransform(a: number, lda: number, n: number, tau: number, Z: number, progress?: Progress): void {
  const nref = n - 1;
  if (nref <= 0) return;
  const eng = engine();
  // 128 reflectors per block halve the passes over Z (n = 10,000, 208-column panels: 64 ->
  // 26.8 GF/s, 128 -> 33.5 GF/s; n = 6000 within noise), so from n = 4096 up
  const nb = Math.min(eighTuning.backBlock > 0 ? eighTuning.backBlock : n >= 4096 ? 128 : 64, nref);
  const nBlocks = Math.ceil(nref / nb);
  // panels of <= 16 MiB and at least 8 of them (load balance), multiples of 16 columns, at
  // least 32; the width never changes a result bit. Wide panels re-read the reflectors less
  // often (n = 6000: 80 columns 28-30 GF/s, 256 columns 31-33 GF/s).
  const auto = Math.max(32, Math.min(Math.floor((1 << 21) / n / 16) * 16, Math.ceil(n / 8 / 16) * 16));
  const pw = Math.min(n, eighTuning.panelWidth > 0 ? eighTuning.panelWidth : auto);
  const ws = eng.buffer('f64', nBlocks * nb * nb + nb * nb);
  const Ts = ws.ptr, G = Ts + nBlocks * nb * nb * 8;
  try {
    for (let q = 0; q < nBlocks; q++) {
      const k0 = q * nb, b = Math.min(nb, nref - k0), m = n - k0 - 1, Vt = a + (k0 * lda + k0 + 1) * 8;
      gemmRaw('f64', false, true, b, b, m, 1, Vt, lda, Vt, lda, 0, G, b); // G = V^T V
      eng.exports.larft_f64(G, b, tau + k0 * 8, Ts + q * nb * nb * 8);
    }
    const { work, workBytes } = gemmScratch('f64');
    const wsBytes = Math.ceil((2 * pw * nb * 8) / 64) * 64;
    const W = eng.threadScratch(wsBytes, 'eigh-back');
    const nPanels = Math.ceil(n / pw);
    // a few calls so the progress callback still fires on big matrices
    const chunk = Math.max(4 * eng.threads, Math.ceil(nPanels / 8));
    for (let p0 = 0; p0 < nPanels; p0 += chunk) {
      if (p0 > 0) progress?.('backTransform', p0 / nPanels);
      const cnt = Math.min(chunk, nPanels - p0);
      eng.parallelFor('bt_panel_task', [a, lda, n, nref, nb, Ts, Z, pw, p0, W, wsBytes, work, workBytes], cnt);
    }
  } finally {
    ws.free();
  }
}

/** Indices sorting `v` descending (stable). */
function descendingOrder(v: Float64Array): Int32Array {
  const idx = Int32Array.from({ length: v.length }, (_, i) => i);
  idx.sort((i, j) => v[j] - v[i] || i - j);
  return idx;
}

/** Row i of the n x len matrix at Z := old row perm[i], in place (cycle following). */
function permuteRows(Z: number, n: number, len: number, perm: Int32Array): void {
  const mem = () => new Float64Array(engine().memory.buffer, Z, n * len);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (seen[i] || perm[i] === i) { seen[i] = 1; continue; }
    const view = mem();
    const tmp = view.slice(i * len, i * len + len);
    let j = i;
    for (;;) {
      seen[j] = 1;
      const src = perm[j];
      if (src === i) { view.set(tmp, j * len); break; }
      view.copyWithin(j * len, src * len, src * len + len);
      j = src;
    }
  }
}

/** Seconds spent in each phase of the last eighInPlace call (for benchmarks). */
export const eighPhaseTimes = { tridiag: 0, ql: 0, backTransform: 0, finish: 0 };

export interface EighRawOptions {
  /** Leading dimension of A (default n). */
  lda?: number;
  /** Which triangle of A holds the matrix: 'L' (default, as numpy) or 'U' (skips one transpose pass). */
  uplo?: 'L' | 'U';
  /** Called now and then during long runs with the phase and its fraction done (0..1). */
  onProgress?: Progress;
}

/**
 * In-place eigendecomposition for big matrices: A (n x n at a wasm byte offset / buffer) is
 * destroyed; when V is given (n x n, leading dimension n) it receives the eigenvectors as
 * columns (V[:, i] for values[i]). Returns the eigenvalues, descending.
 * Peak extra memory besides A and V: O(n * 64) without vectors; with vectors the
 * divide-and-conquer workspace, about n^2/2 doubles (n^2 at most).
 */
export function eighInPlace(A: Ptr, n: number, V: Ptr | null, opts: EighRawOptions = {}): Float64Array {
  const a = ptrOf(A), lda = opts.lda ?? n;
  const eng = engine(), ex = eng.exports;
  if (n === 0) return new Float64Array(0);
  checkFiniteRaw(a, n, n, lda, 'eigh: A');
  if ((opts.uplo ?? 'L') === 'L') ex.transpose_square_f64(a, lda, n);
  // Householder norms square the entries: rescale matrices whose scale would over/underflow
  const amax = ex.max_abs_f64(a, lda, n) as number;
  const scale = amax > 0 && (amax < 1e-150 || amax > 1e150) ? 1 / amax : 1;
  if (scale !== 1) ex.scale_square_f64(a, lda, n, scale);
  let t = performance.now();
  const lap = (k: keyof typeof eighPhaseTimes) => { const t1 = performance.now(); eighPhaseTimes[k] = (t1 - t) / 1000; t = t1; };
  const ws = tridiagonalize(a, n, lda, opts.onProgress);
  lap('tridiag');
  try {
    const d = ws.ptr, e = d + n * 8, tau = d + 2 * n * 8;
    const v = V === null ? 0 : ptrOf(V);
    const dc = v !== 0 && eighTuning.method === 'dc';
    if (dc) {
      if (!tridiagDC(d, e, n, v, opts.onProgress && ((f) => opts.onProgress!('ql', f)))) throw new EighConvergenceError('eigh: QL at a divide-and-conquer leaf did not converge');
    } else if (v) {
      ex.eye_f64(v, n, n);
      tqlVectors(d, e, n, v, opts.onProgress);
    } else tqlValues(d, e, n);
    lap('ql');
    const vals = new Float64Array(eng.memory.buffer, d, n).slice();
    if (scale !== 1) for (let i = 0; i < n; i++) vals[i] /= scale;
    const order = descendingOrder(vals);
    const values = Float64Array.from(order, (i) => vals[i]);
    if (v) {
      if (dc) permuteColumns(v, n, order); // columns of V are the eigenvectors of T
      else {
        // sort the eigenvectors of T (rows of Zt), then Z = Zt^T
        permuteRows(v, n, n, order);
        ex.transpose_square_f64(v, n, n);
      }
      lap('finish');
      backTransform(a, lda, n, tau, v, opts.onProgress);
      lap('backTransform');
      const sc = eng.heap.alloc(16 * n);
      ex.sign_cols_f64(v, n, n, n, sc);
      eng.heap.release(sc);
    }
    return values;
  } finally {
    ws.free();
  }
}

function checkSymmetricInput(A: Matrix, what: string): void {
  checkMatrix(A, what);
  if (!(A.data instanceof Float64Array)) throw new TypeError(`${what}: must be Float64Array (f64)`);
  if (A.rows !== A.cols) throw new RangeError(`${what}: must be square, got ${A.rows} x ${A.cols}`);
  checkFinite(A, what);
}

/**
 * Eigenvalues and eigenvectors of a real symmetric matrix (numpy.linalg.eigh, but with the
 * eigenvalues in DESCENDING order). Only the lower triangle of A is read. A is not modified.
 */
export function eigh(A: Matrix<Float64Array>): EighResult {
  checkSymmetricInput(A, 'eigh: A');
  const n = A.rows, eng = engine();
  const a = eng.from(A.data);
  let v: WasmBuffer<Float64Array> | null = null;
  try {
    v = eng.buffer('f64', n * n);
    const values = eighInPlace(a, n, v);
    a.free();
    return { values, vectors: { data: v.toArray(), rows: n, cols: n } };
  } finally {
    a.free();
    v?.free();
  }
}

/** Eigenvalues only (numpy.linalg.eigvalsh), DESCENDING. Only the lower triangle is read. */
export function eigvalsh(A: Matrix<Float64Array>): Float64Array {
  checkSymmetricInput(A, 'eigvalsh: A');
  const a = engine().from(A.data);
  try {
    return eighInPlace(a, A.rows, null);
  } finally {
    a.free();
  }
}
