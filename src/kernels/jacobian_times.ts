// Jacobian times a matrix for the kernel's input gradient (issue 11): for every column r of
// A (n x R), G_r[b, :] = sum_i A[i, r] dK(x_b, x_i)/dx_b. This is what R feature gradients
// need (a feature's kernel weights are rank one: W[b, i] = c[b] A[i, r]), and it costs ONE
// pass over the pairs for any R: conv programs take each training point once for the whole
// block of rows, its Jacobian column J_i (b x d, one pair VJP per row with weight 1) goes
// into a block of T columns, and one GEMM A_blk^T (R x T) J_blk (T x b d) adds the block to
// all R outputs. Memory: the R outputs plus one block of T columns (T <= 128, ~128 MiB); the
// full b x n x d Jacobian is never formed. Flat (FC) programs already share one fused pass
// among several weight matrices and use it.
import { engine } from '../engine.js';
import { gemmRaw } from '../linalg/gemm.js';
import type { Matrix } from '../linalg/matrix.js';
import type { Program } from './compile.js';
import { Run } from './run.js';

type F64Matrix = Matrix<Float64Array>;

/**
 * Bytes the Jacobian column block may take (it sets T, the training points per GEMM: its inner
 * dimension; T = 128 ran the R x T x (b d) GEMM 2x faster than T = 42, as each call re-reads
 * and re-writes all R outputs).
 */
const BLOCK_BYTES = 128 * 2 ** 20;

/**
 * Conv programs: the R products by per-training-point Jacobian columns. Inputs already
 * checked (X: b x d, Xtrain: n x d, A: n x R, all finite f64). `which`: 0 ntk, 1 nngp.
 */
export function jacobianTimesPixels(prog: Program, X: F64Matrix, Xtrain: F64Matrix, A: F64Matrix, which: 0 | 1, onProgress?: (done: number, total: number) => void): F64Matrix[] {
  const e = engine();
  const nb = X.rows, n = Xtrain.rows, d = X.cols, R = A.cols;
  const out = e.buffer('f64', R * nb * d);
  out.data.fill(0);
  const T = Math.max(1, Math.min(128, n, Math.floor(BLOCK_BYTES / (8 * Math.max(1, nb * d)))));
  const J = e.buffer('f64', T * nb * d), ones = e.buffer('f64', nb);
  ones.data.fill(1);
  const a = e.input(X.data), b = e.input(Xtrain.data), Ab = e.input(A.data);
  // one training point at a time as the column set (n2 = 1): its q chain goes to the Run's
  // one-point store, the rows' chains are computed once
  const run = new Run(prog, a.ptr, nb, b.ptr, 1, false);
  try {
    if (nb > 0 && n > 0 && R > 0) {
      run.set('WV', ones.ptr); run.set('WHICH', which); run.set('LDO', 1);
      run.set('GQ', run.alloc(prog.qstride * nb));
      run.selfChains();
      for (let i0 = 0; i0 < n; i0 += T) {
        const i1 = Math.min(n, i0 + T);
        for (let i = i0; i < i1; i++) {
          run.set('X2', b.ptr + i * d * 8);
          run.set('GX', J.ptr + (i - i0) * nb * d * 8);
          if (i > 0) e.call('ntk_self_task', run.sync(), 1, 0, 0); // point i's chain (task 0 of set 2), on this thread
          run.pixelVjpTasks();
        }
        gemmRaw('f64', true, false, R, nb * d, i1 - i0, 1, Ab.ptr + i0 * R * 8, R, J.ptr, nb * d, 1, out.ptr, nb * d);
        onProgress?.(i1, n);
      }
    }
    const all = out.data;
    return Array.from({ length: R }, (_, r) => ({ data: all.slice(r * nb * d, (r + 1) * nb * d), rows: nb, cols: d }));
  } finally {
    run.free(); a.release(); b.release(); Ab.release(); out.free(); J.free(); ones.free();
  }
}
