// Triangular solves op(T) X = B (scipy.linalg.solve_triangular), blocked: small diagonal
// block solves in wasm plus GEMM updates for everything off the diagonal.
import { engine } from '../engine.js';
import { checkMatrix, checkFinite, type Matrix } from './matrix.js';
import { gemmRaw } from './gemm.js';

export interface TriangularOptions {
  /** T is lower triangular (default true); only that triangle is read. */
  lower?: boolean;
  /** Solve T^T X = B instead of T X = B (default false). */
  trans?: boolean;
}

const NB = 128;

/**
 * In-place op(T) X = B on wasm memory: T is n x n at byte offset T (leading dimension ldt),
 * B is n x r at byte offset B (leading dimension ldb) and is overwritten by X.
 */
export function solveTriangularInPlace(T: number, n: number, B: number, r: number, opts: TriangularOptions & { ldt?: number; ldb?: number } = {}): void {
  const { lower = true, trans = false, ldt = n, ldb = r } = opts;
  if (n === 0 || r === 0) return;
  const ex = engine().exports;
  const opLower = lower !== trans;
  const lt = ldt * 8, lb = ldb * 8;
  const off = (i: number, j: number) => T + i * lt + j * 8; // byte offset of T[i, j]
  if (opLower) {
    for (let i0 = 0; i0 < n; i0 += NB) {
      const ib = Math.min(NB, n - i0);
      if (i0 > 0) {
        // B[i0:i0+ib] -= opT[i0:i0+ib, 0:i0] B[0:i0]
        if (!trans) gemmRaw('f64', false, false, ib, r, i0, -1, off(i0, 0), ldt, B, ldb, 1, B + i0 * lb, ldb);
        else gemmRaw('f64', true, false, ib, r, i0, -1, off(0, i0), ldt, B, ldb, 1, B + i0 * lb, ldb);
      }
      ex.trsm_small_f64(lower ? 1 : 0, trans ? 1 : 0, ib, off(i0, i0), ldt, B + i0 * lb, ldb, r);
    }
  } else {
    const last = Math.floor((n - 1) / NB) * NB;
    for (let i0 = last; i0 >= 0; i0 -= NB) {
      const i1 = Math.min(n, i0 + NB), ib = i1 - i0;
      if (i1 < n) {
        // B[i0:i1] -= opT[i0:i1, i1:n] B[i1:n]
        if (!trans) gemmRaw('f64', false, false, ib, r, n - i1, -1, off(i0, i1), ldt, B + i1 * lb, ldb, 1, B + i0 * lb, ldb);
        else gemmRaw('f64', true, false, ib, r, n - i1, -1, off(i1, i0), ldt, B + i1 * lb, ldb, 1, B + i0 * lb, ldb);
      }
      ex.trsm_small_f64(lower ? 1 : 0, trans ? 1 : 0, ib, off(i0, i0), ldt, B + i0 * lb, ldb, r);
    }
  }
}

/** Throws naming the first zero diagonal entry (the system is singular). */
export function checkNonsingularDiag(T: Matrix, what: string): void {
  for (let i = 0; i < T.rows; i++) {
    if (T.data[i * T.cols + i] === 0) throw new RangeError(`${what}: diagonal entry (${i}, ${i}) is 0; the triangular matrix is singular`);
  }
}

/**
 * Solves op(T) X = B for X (scipy.linalg.solve_triangular(T, B, lower, trans)).
 * T is n x n (only the chosen triangle is read), B is n x r (or a length-n vector as n x 1).
 * Returns a new matrix; inputs are not modified.
 */
export function solveTriangular(T: Matrix<Float64Array>, B: Matrix<Float64Array>, opts: TriangularOptions = {}): Matrix<Float64Array> {
  checkMatrix(T, 'solveTriangular: T');
  checkMatrix(B, 'solveTriangular: B');
  if (!(T.data instanceof Float64Array) || !(B.data instanceof Float64Array)) throw new TypeError('solveTriangular: T and B must be Float64Array (f64)');
  if (T.rows !== T.cols) throw new RangeError(`solveTriangular: T must be square, got ${T.rows} x ${T.cols}`);
  if (B.rows !== T.rows) throw new RangeError(`solveTriangular: B has ${B.rows} rows but T is ${T.rows} x ${T.cols}`);
  checkFinite(T, 'solveTriangular: T');
  checkFinite(B, 'solveTriangular: B');
  checkNonsingularDiag(T, 'solveTriangular: T');
  const e = engine();
  const t = e.input(T.data);
  const x = e.from(B.data);
  try {
    solveTriangularInPlace(t.ptr, T.rows, x.ptr, B.cols, opts);
    return { data: x.toArray(), rows: B.rows, cols: B.cols };
  } finally {
    t.release();
    x.free();
  }
}
