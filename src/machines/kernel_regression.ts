// Kernel regression = the infinitely wide net trained by gradient flow on MSE (spec §2):
//   alpha_t = Theta^{-1} (I - exp(-eta t Theta / N)) Y,   f_t(x) = Theta(x, X) alpha_t,
// N = n k (neural-tangents' normalisation). t = Infinity uses a Cholesky solve; finite t
// the eigendecomposition, with (1 - e^{-a l}) / l -> a as l -> 0 so null directions stay finite.
import { cholesky, choSolve } from '../linalg/cholesky.js';
import { eigh } from '../linalg/eigh.js';
import { gemm } from '../linalg/gemm.js';
import { checkFinite, checkMatrix, type Matrix } from '../linalg/matrix.js';
import type { KernelOps } from './kernel_ops.js';

export interface FitOptions {
  /** Training time; Infinity (default) is the converged machine. */
  t?: number;
  /** Learning rate of the gradient flow (only matters at finite t). Default 1. */
  eta?: number;
  /** Ridge added to the diagonal of Theta before solving. Default 0. */
  ridge?: number;
  /** N in exp(-eta t Theta / N); default n * k, the number of label entries. */
  normaliser?: number;
}

export interface KernelMachine {
  kernel: KernelOps;
  Xtrain: Matrix<Float64Array>;
  /** n x k dual coefficients: f(x) = Theta(x, X) alpha. */
  alpha: Matrix<Float64Array>;
  outputs: number;
  t: number;
  ridge: number;
}

/** Dual coefficients from a precomputed Gram (which is left unchanged). */
export function solveAlpha(K: Matrix<Float64Array>, Y: Matrix<Float64Array>, opts: FitOptions = {}): Matrix<Float64Array> {
  checkMatrix(K, 'kernel regression: Theta');
  checkMatrix(Y, 'kernel regression: Y');
  const n = K.rows;
  if (K.cols !== n) throw new RangeError(`kernel regression: Theta must be square, got ${K.rows} x ${K.cols}`);
  if (Y.rows !== n) throw new RangeError(`kernel regression: Y has ${Y.rows} rows but Theta is ${n} x ${n}`);
  checkFinite(Y, 'kernel regression: Y');
  const { t = Infinity, eta = 1, ridge = 0 } = opts;
  if (!(t > 0)) throw new RangeError(`kernel regression: t must be > 0 (or Infinity), got ${t}`);
  if (!(ridge >= 0)) throw new RangeError(`kernel regression: ridge must be >= 0, got ${ridge}`);
  if (t === Infinity) {
    const L = cholesky(K, { jitter: ridge });
    return choSolve(L, Y);
  }
  if (!(eta > 0)) throw new RangeError(`kernel regression: eta must be > 0, got ${eta}`);
  const N = opts.normaliser ?? n * Y.cols;
  const { values, vectors } = eigh(K);
  const a = (eta * t) / N;
  // alpha_t = V diag(g(l)) V^T Y with g(l) = (1 - e^{-a (l + ridge)}) / (l + ridge)
  const VtY = gemm(vectors, Y, { transA: true });
  for (let i = 0; i < n; i++) {
    const l = values[i] + ridge;
    const g = Math.abs(l) < 1e-300 ? a : -Math.expm1(-a * l) / l;
    for (let j = 0; j < Y.cols; j++) VtY.data[i * Y.cols + j] *= g;
  }
  return gemm(vectors, VtY);
}

/** Builds the Gram of Xtrain and fits; the Gram is dropped afterwards. */
export function fitKernelMachine(
  kernel: KernelOps, Xtrain: Matrix<Float64Array>, Y: Matrix<Float64Array>, opts: FitOptions = {},
): KernelMachine {
  const K = kernel.gram(Xtrain);
  const alpha = solveAlpha(K, Y, opts);
  return { kernel, Xtrain, alpha, outputs: Y.cols, t: opts.t ?? Infinity, ridge: opts.ridge ?? 0 };
}

/** f(X) = Theta(X, Xtrain) alpha, b x k. */
export function predict(m: KernelMachine, X: Matrix<Float64Array>): Matrix<Float64Array> {
  return m.kernel.crossTimes ? m.kernel.crossTimes(X, m.Xtrain, m.alpha) : gemm(m.kernel.cross(X, m.Xtrain), m.alpha);
}

/**
 * Input gradients of weighted outputs: for each w (b x k) returns the b x d matrix whose
 * row b is grad_x sum_j w[b, j] f_j(x_b) = sum_i (w alpha^T)[b, i] dTheta(x_b, x_i)/dx_b.
 */
export function outputVjp(m: KernelMachine, X: Matrix<Float64Array>, w: Matrix<Float64Array>[]): Matrix<Float64Array>[] {
  return m.kernel.vjp(X, m.Xtrain, outputWeights(m, X, w));
}

/** Kernel weights W = w alpha^T (b x n) of output weights w (b x k). */
export function outputWeights(m: KernelMachine, X: Matrix<Float64Array>, w: Matrix<Float64Array>[]): Matrix<Float64Array>[] {
  return w.map((wi) => {
    if (wi.rows !== X.rows || wi.cols !== m.outputs)
      throw new RangeError(`outputVjp: weights are ${wi.rows} x ${wi.cols}, expected ${X.rows} x ${m.outputs}`);
    return gemm(wi, m.alpha, { transB: true });
  });
}
