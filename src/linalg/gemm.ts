// C = alpha op(A) op(B) + beta C (row-major), numpy's A @ B with BLAS's knobs.
import { engine } from '../engine.js';
import { checkMatrix, dtypeOf, type Matrix } from './matrix.js';
import type { FloatArray } from '../../bindings/engine.js';

export interface GemmOptions<T extends FloatArray> {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /** Output (and input when beta != 0); allocated when absent. */
  out?: Matrix<T>;
}

export function gemm<T extends FloatArray>(A: Matrix<T>, B: Matrix<T>, opts: GemmOptions<T> = {}): Matrix<T> {
  checkMatrix(A, 'gemm: A');
  checkMatrix(B, 'gemm: B');
  const dt = dtypeOf(A);
  if (dtypeOf(B) !== dt) throw new TypeError(`gemm: A is ${dt} but B is ${dtypeOf(B)}; both must have the same dtype`);
  const { transA = false, transB = false, alpha = 1, beta = 0 } = opts;
  const m = transA ? A.cols : A.rows, k = transA ? A.rows : A.cols;
  const kb = transB ? B.cols : B.rows, n = transB ? B.rows : B.cols;
  if (k !== kb) throw new RangeError(`gemm: inner dimensions differ: op(A) is ${m} x ${k}, op(B) is ${kb} x ${n}`);
  let out = opts.out;
  if (out) {
    checkMatrix(out, 'gemm: out');
    if (out.rows !== m || out.cols !== n) throw new RangeError(`gemm: out is ${out.rows} x ${out.cols}, expected ${m} x ${n}`);
    if (dtypeOf(out) !== dt) throw new TypeError(`gemm: out must be ${dt}`);
  } else {
    out = { data: (dt === 'f64' ? new Float64Array(m * n) : new Float32Array(m * n)) as T, rows: m, cols: n };
  }
  const e = engine();
  const a = e.input(A.data), b = e.input(B.data), c = e.input(out.data);
  try {
    gemmRaw(dt, transA, transB, m, n, k, alpha, a.ptr, A.cols, b.ptr, B.cols, beta, c.ptr, n);
    if (!e.owns(out.data)) out.data.set(new (out.data.constructor as any)(e.memory.buffer, c.ptr, m * n));
  } finally {
    a.release(); b.release(); c.release();
  }
  return out;
}

/** A @ B. */
export function matmul<T extends FloatArray>(A: Matrix<T>, B: Matrix<T>): Matrix<T> {
  return gemm(A, B);
}

/** GEMM on operands already in wasm memory (byte offsets); the building block of the pipeline. */
export function gemmRaw(
  dt: 'f64' | 'f32', transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number,
): void {
  const e = engine();
  if (m === 0 || n === 0) return;
  const fn = `gemm_${dt}`;
  const work = e.threadScratch(e.call(`${fn}_work_bytes`));
  e.call(fn, transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, work);
}
