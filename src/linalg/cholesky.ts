// Cholesky factorisation A = L L^T (lower, row-major) and the solves built on it.
// Recursive (as in Gustavson's and LAPACK's dpotrf2): factor the leading half, solve the
// panel below it, update the trailing half, recurse. Almost every flop then lands in large,
// nearly square GEMMs (multithreaded through gemmRaw) instead of NB-wide ones, whose packing
// is amortised over few columns. Small diagonal blocks and narrow panels run in wasm.
import { engine } from '../engine.js';
import { checkMatrix, type Matrix } from './matrix.js';
import { gemmRaw } from './gemm.js';
import { solveTriangularInPlace } from './triangular.js';
import type { WasmBuffer } from '../../bindings/engine.js';

/** The matrix is not (numerically) positive definite: pivot `index` came out as `value`. */
export class NotPositiveDefiniteError extends Error {
  constructor(public readonly index: number, public readonly value: number, public readonly jitter = 0) {
    super(
      `cholesky: matrix is not positive definite: pivot ${index} (leading minor of order ${index + 1}) ` +
        `is ${value} after elimination` + (jitter ? ` (with jitter ${jitter} on the diagonal)` : '') +
        `; the matrix may be singular or indefinite. Add a ridge to the diagonal, e.g. ` +
        `cholesky(A, { jitter: 1e-8 * trace(A) / n }), or increase it.`,
    );
    this.name = 'NotPositiveDefiniteError';
  }
}

export interface CholeskyOptions {
  /** Added to every diagonal entry before factoring (a ridge / nugget). Default 0. */
  jitter?: number;
  /** Factor A.data in place (A must be f64); the result shares A's storage. */
  overwrite?: boolean;
}

// base cases: unblocked Cholesky / row solves up to NB, full GEMM blocks up to SYRK_NB
const NB = 96;
const SYRK_NB = 256;

type Ptr = number | WasmBuffer;
const ptrOf = (p: Ptr): number => (typeof p === 'number' ? p : p.ptr);

/** Throws a RangeError naming the first NaN/Inf among n x n entries at byte offset A. */
export function checkFiniteRaw(A: number, rows: number, cols: number, ld: number, what: string): void {
  const ex = engine().exports;
  for (let i = 0; i < rows; i++) {
    const j = ex.first_nonfinite_f64(A + i * ld * 8, cols) as number;
    if (j >= 0) {
      const v = new Float64Array(engine().memory.buffer, A + (i * ld + j) * 8, 1)[0];
      throw new RangeError(`${what}: entry (${i}, ${j}) is ${v}; expected a finite number`);
    }
  }
}

/**
 * In-place Cholesky of the n x n matrix at `A` (a WasmBuffer or byte offset into wasm
 * memory, leading dimension lda = n by default). Only the lower triangle is read; on
 * return it holds L and the strict upper triangle is zeroed. Throws
 * NotPositiveDefiniteError (the matrix is then partly overwritten) or a RangeError for
 * non-finite input.
 */
export function choleskyInPlace(A: Ptr, n: number, jitter = 0, lda = n): void {
  const a = ptrOf(A);
  const ex = engine().exports;
  if (!Number.isFinite(jitter)) throw new RangeError(`cholesky: jitter must be finite, got ${jitter}`);
  checkFiniteRaw(a, n, n, lda, 'cholesky: A');
  if (jitter !== 0) ex.add_diag_f64(a, lda, n, jitter);
  potrfRec(a, lda, n, 0, jitter);
  ex.zero_upper_f64(a, lda, n);
}

/** Half of n, rounded up to a multiple of 32 (whole micro-tiles for the GEMMs). */
const split = (n: number) => Math.min(n - 1, Math.ceil(n / 64) * 32);

/** Lower Cholesky of the n x n block at byte offset a; `off` is its index in the whole matrix. */
function potrfRec(a: number, lda: number, n: number, off: number, jitter: number): void {
  const e = engine();
  if (n <= NB) {
    const fail = e.exports.potrf_f64(a, lda, n) as number;
    if (fail >= 0) {
      const v = new Float64Array(e.memory.buffer, a + fail * lda * 8 + fail * 8, 1)[0];
      throw new NotPositiveDefiniteError(off + fail, v, jitter);
    }
    return;
  }
  const n1 = split(n), n2 = n - n1;
  const a21 = a + n1 * lda * 8, a22 = a21 + n1 * 8;
  potrfRec(a, lda, n1, off, jitter);
  trsmRightLowerT(a, lda, n1, a21, lda, n2); // L21 = A21 L11^{-T}
  syrkLower(a22, lda, n2, a21, lda, n1); // A22 -= L21 L21^T
  potrfRec(a22, lda, n2, off + n1, jitter);
}

/** B (m x w at b) := B L^{-T}, L the w x w lower factor at l. */
function trsmRightLowerT(l: number, ldl: number, w: number, b: number, ldb: number, m: number): void {
  if (w <= NB) {
    const chunk = 64; // rows per task: each row is an independent solve
    engine().parallelFor('chol_panel_task', [l, ldl, w, b, ldb, m, chunk], Math.ceil(m / chunk));
    return;
  }
  const h1 = split(w), h2 = w - h1;
  trsmRightLowerT(l, ldl, h1, b, ldb, m);
  // B2 -= X1 L21^T
  gemmRaw('f64', false, true, m, h2, h1, -1, b, ldb, l + h1 * ldl * 8, ldl, 1, b + h1 * 8, ldb);
  trsmRightLowerT(l + h1 * ldl * 8 + h1 * 8, ldl, h2, b + h1 * 8, ldb, m);
}

/** Lower triangle of C (n x n at c) -= A A^T, A n x k at a (the strict upper part of
 *  diagonal blocks up to SYRK_NB wide is overwritten too; callers zero it at the end). */
function syrkLower(c: number, ldc: number, n: number, a: number, lda: number, k: number): void {
  if (n <= SYRK_NB) {
    gemmRaw('f64', false, true, n, n, k, -1, a, lda, a, lda, 1, c, ldc);
    return;
  }
  const h1 = split(n), h2 = n - h1;
  const a2 = a + h1 * lda * 8;
  syrkLower(c, ldc, h1, a, lda, k);
  gemmRaw('f64', false, true, h2, h1, k, -1, a2, lda, a, lda, 1, c + h1 * ldc * 8, ldc); // C21 -= A2 A1^T
  syrkLower(c + h1 * ldc * 8 + h1 * 8, ldc, h2, a2, lda, k);
}

/**
 * In place (L L^T) X = B: L is the n x n Cholesky factor at byte offset L, B (n x r, row-major)
 * at byte offset B is overwritten by X.
 */
export function choSolveInPlace(L: Ptr, n: number, B: Ptr, r: number): void {
  solveTriangularInPlace(ptrOf(L), n, ptrOf(B), r, { lower: true, trans: false });
  solveTriangularInPlace(ptrOf(L), n, ptrOf(B), r, { lower: true, trans: true });
}

function checkSquareF64(A: Matrix, what: string): void {
  checkMatrix(A, what);
  if (!(A.data instanceof Float64Array)) throw new TypeError(`${what}: must be Float64Array (f64)`);
  if (A.rows !== A.cols) throw new RangeError(`${what}: must be square, got ${A.rows} x ${A.cols}`);
}

/**
 * Lower Cholesky factor L of a symmetric positive definite A (A = L L^T), as
 * numpy.linalg.cholesky. Only the lower triangle of A is read; L's upper triangle is zero.
 * `jitter` is added to the diagonal first. Throws NotPositiveDefiniteError naming the
 * failing pivot, or a RangeError naming a NaN/Inf entry.
 */
export function cholesky(A: Matrix<Float64Array>, opts: CholeskyOptions = {}): Matrix<Float64Array> {
  checkSquareF64(A, 'cholesky: A');
  const n = A.rows;
  const e = engine();
  if (opts.overwrite && e.owns(A.data)) {
    choleskyInPlace(A.data.byteOffset, n, opts.jitter ?? 0);
    return A;
  }
  const buf = e.from(A.data);
  try {
    choleskyInPlace(buf, n, opts.jitter ?? 0);
    if (opts.overwrite) {
      A.data.set(buf.data);
      return A;
    }
    return { data: buf.toArray(), rows: n, cols: n };
  } finally {
    buf.free();
  }
}

/**
 * Solves (L L^T) X = B given the Cholesky factor L (scipy.linalg.cho_solve((L, True), B)).
 * B is n x r; returns X (n x r).
 */
export function choSolve(L: Matrix<Float64Array>, B: Matrix<Float64Array>): Matrix<Float64Array> {
  checkSquareF64(L, 'choSolve: L');
  checkMatrix(B, 'choSolve: B');
  if (!(B.data instanceof Float64Array)) throw new TypeError('choSolve: B must be Float64Array (f64)');
  if (B.rows !== L.rows) throw new RangeError(`choSolve: B has ${B.rows} rows but L is ${L.rows} x ${L.cols}`);
  for (let i = 0; i < L.rows; i++) {
    const d = L.data[i * L.cols + i];
    if (!(d > 0) || !Number.isFinite(d)) throw new RangeError(`choSolve: L[${i}, ${i}] is ${d}; a Cholesky factor has a positive finite diagonal`);
  }
  const e = engine();
  const l = e.input(L.data);
  const x = e.from(B.data);
  try {
    checkFiniteRaw(x.ptr, B.rows, B.cols, B.cols, 'choSolve: B');
    choSolveInPlace(l.ptr, L.rows, x.ptr, B.cols);
    return { data: x.toArray(), rows: B.rows, cols: B.cols };
  } finally {
    l.release();
    x.free();
  }
}

/** log det(A) = 2 sum log L[i,i] from A's Cholesky factor L. */
export function logdet(L: Matrix<Float64Array>): number {
  checkSquareF64(L, 'logdet: L');
  let s = 0;
  for (let i = 0; i < L.rows; i++) s += Math.log(L.data[i * L.cols + i]);
  return 2 * s;
}
