// C = alpha op(A) op(B) + beta C (row-major), numpy's A @ B with BLAS's knobs.
import { engine } from '../engine.js';
import { checkMatrix, dtypeOf, type Matrix } from './matrix.js';
import type { Dtype, FloatArray } from '../../bindings/engine.js';

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

/** Per-thread packing scratch (64-byte multiple) for gemm of dtype dt, and its base. */
export function gemmScratch(dt: Dtype): { work: number; workBytes: number } {
  const e = engine();
  const workBytes = Math.ceil(e.call(`gemm_${dt}_work_bytes`) / 64) * 64;
  return { work: e.threadScratch(workBytes, 'gemm'), workBytes };
}

// Below this many flops one thread is faster than waking the others.
const PARALLEL_MIN_FLOPS = 4e6;

/**
 * Tile sizes for splitting an m x n output over `threads`: a single tile on one thread
 * (the micro-kernel is its own wasm function, so V8 tiers it up within the call), else
 * tiles of at most 512 x 512 halved until there are >= 4 tiles per thread (dynamic task
 * grabbing then balances), never below 64: each tile re-packs its A rows and B columns,
 * which costs ~1/tile-size of the flops.
 */
export function gemmTiles(m: number, n: number, k: number, threads: number): { tm: number; tn: number; tasks: number } {
  if (threads <= 1 || 2 * m * n * k < PARALLEL_MIN_FLOPS) return { tm: m, tn: n, tasks: 1 };
  let tm = Math.min(m, 512), tn = Math.min(n, 512);
  const count = () => Math.ceil(m / tm) * Math.ceil(n / tn);
  while (count() < 4 * threads && (tm > 64 || tn > 64)) {
    if (tm >= tn && tm > 64) tm = Math.ceil(tm / 2);
    else tn = Math.ceil(tn / 2);
  }
  // multiples of the micro-tile avoid edge tiles: 12 rows covers MR = 4 (SIMD build) and 6
  // (relaxed build), 8 columns covers NR = 4 (f64) and 8 (f32)
  tm = Math.min(Math.ceil(tm / 12) * 12, Math.ceil(m / 4) * 4); tn = Math.ceil(tn / 8) * 8;
  return { tm, tn, tasks: count() };
}

/**
 * GEMM on operands already in wasm memory (byte offsets); the building block of the
 * pipeline. Split over the engine's threads in independent tiles of C.
 */
export function gemmRaw(
  dt: Dtype, transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  A: number, lda: number, B: number, ldb: number, beta: number, C: number, ldc: number,
): void {
  if (m === 0 || n === 0) return;
  const e = engine();
  const { work, workBytes } = gemmScratch(dt);
  const { tm, tn, tasks } = gemmTiles(m, n, k, e.threads);
  const args = [transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc];
  if (tasks === 1) e.call(`gemm_${dt}`, ...args, work);
  else e.parallelFor(`gemm_${dt}_task`, [...args, work, workBytes, tm, tn], tasks);
}
