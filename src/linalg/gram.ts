// Gram matrices: X X^T (symmetric: only lower-triangle tiles are computed, then mirrored)
// and X Y^T (a transB GEMM), f64 or f32, split over the engine's threads.
import { engine } from '../engine.js';
import { checkMatrix, dtypeOf, type Matrix } from './matrix.js';
import { gemmRaw, gemmScratch } from './gemm.js';
import type { Dtype, FloatArray } from '../../bindings/engine.js';

/**
 * G (n x m) = X Y^T for X n x d and Y m x d; G = X X^T (m = n) when Y is 0.
 * Operands are byte offsets in wasm memory with leading dimensions in elements.
 */
export function gramRaw(
  dt: Dtype, n: number, m: number, d: number, X: number, ldx: number, Y: number, ldy: number, G: number, ldg: number,
  /** X X^T only: false leaves the strict upper triangle unwritten (for callers that overwrite it). */
  mirror = true,
): void {
  if (n === 0 || m === 0) return;
  if (Y !== 0) {
    gemmRaw(dt, false, true, n, m, d, 1, X, ldx, Y, ldy, 0, G, ldg);
    return;
  }
  if (m !== n) throw new RangeError(`gramRaw: X X^T is square, got n = ${n}, m = ${m}`);
  const e = engine();
  const { work, workBytes } = gemmScratch(dt);
  // Tiles of 256 rows keep re-packing cheap; smaller ones only to give every thread work.
  let t = 256;
  while (t > 64 && e.threads > 1 && tileCount(n, t) < 4 * e.threads) t /= 2;
  e.parallelFor(`gram_${dt}_task`, [n, d, X, ldx, G, ldg, work, workBytes, t], tileCount(n, t));
  if (mirror) e.parallelFor(`mirror_${dt}_task`, [n, G, ldg], Number(e.call('mirror_tasks', n)));
}

function tileCount(n: number, t: number): number {
  const nb = Math.ceil(n / t);
  return (nb * (nb + 1)) / 2;
}

/** X X^T (Y absent, exactly symmetric) or X Y^T; rows are samples, columns features. */
export function gram<T extends FloatArray>(X: Matrix<T>, Y?: Matrix<T>): Matrix<T> {
  checkMatrix(X, 'gram: X');
  const dt = dtypeOf(X);
  if (Y) {
    checkMatrix(Y, 'gram: Y');
    if (dtypeOf(Y) !== dt) throw new TypeError(`gram: X is ${dt} but Y is ${dtypeOf(Y)}; both must have the same dtype`);
    if (Y.cols !== X.cols) throw new RangeError(`gram: X has ${X.cols} columns but Y has ${Y.cols}; X Y^T needs equal feature counts`);
  }
  const n = X.rows, m = Y ? Y.rows : X.rows, d = X.cols;
  const e = engine();
  const out = e.buffer(dt, n * m);
  const x = e.input(X.data), y = Y ? e.input(Y.data) : null;
  try {
    gramRaw(dt, n, m, d, x.ptr, d, y ? y.ptr : 0, d, out.ptr, m);
    return { data: out.toArray() as T, rows: n, cols: m };
  } finally {
    x.release(); y?.release(); out.free();
  }
}
