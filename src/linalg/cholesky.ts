// Cholesky factorisation A = L L^T (lower, row-major) and the solves built on it.
// Blocked left-looking: for each block column, one GEMM brings the panel up to date with
// all previous columns (the O(n^3) part, multithreaded through gemmRaw), then the small
// diagonal block is factored and the panel solved in wasm.
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

const NB = 96;

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
  const e = engine();
  const rowB = lda * 8;
  // L[k0:k0+kb, 0:k0]^T is copied out (k0 x kb, O(n * NB)) so the GEMM runs untransposed
  const Bt = n > NB ? e.heap.alloc(n * NB * 8) : 0;
  try {
    for (let k0 = 0; k0 < n; k0 += NB) {
      const kb = Math.min(NB, n - k0);
      const panel = a + k0 * rowB + k0 * 8;
      if (k0 > 0) {
        // A[k0:n, k0:k0+kb] -= L[k0:n, 0:k0] L[k0:k0+kb, 0:k0]^T
        ex.transpose_copy_f64(a + k0 * rowB, lda, kb, k0, Bt, kb);
        gemmRaw('f64', false, false, n - k0, kb, k0, -1, a + k0 * rowB, lda, Bt, kb, 1, panel, lda);
      }
      const fail = ex.potrf_f64(panel, lda, kb) as number;
      if (fail >= 0) {
        const v = new Float64Array(e.memory.buffer, panel + fail * rowB + fail * 8, 1)[0];
        throw new NotPositiveDefiniteError(k0 + fail, v, jitter);
      }
      const m = n - k0 - kb;
      if (m > 0) {
        const chunk = 64;
        e.parallelFor('chol_panel_task', [panel, lda, kb, panel + kb * rowB, lda, m, chunk], Math.ceil(m / chunk));
      }
    }
  } finally {
    if (Bt) e.heap.release(Bt);
  }
  ex.zero_upper_f64(a, lda, n);
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
