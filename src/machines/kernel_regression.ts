// Kernel regression = the infinitely wide net trained by gradient flow on MSE (spec §2):
//   alpha_t = Theta^{-1} (I - exp(-eta t Theta / N)) Y,   f_t(x) = Theta(x, X) alpha_t,
// N = n k (neural-tangents' normalisation). t = Infinity uses a Cholesky solve; finite t
// the eigendecomposition, with (1 - e^{-a l}) / l -> a as l -> 0 so null directions stay finite.
import { choleskyInPlace, choSolveInPlace } from '../linalg/cholesky.js';
import { eighInPlace } from '../linalg/eigh.js';
import { engine } from '../engine.js';
import type { WasmBuffer } from '../../bindings/engine.js';
import { gemm } from '../linalg/gemm.js';
import { checkFinite, checkMatrix, type Matrix } from '../linalg/matrix.js';
import { residentGram, type KernelOps } from './kernel_ops.js';
import { flowGain } from './kernel_flow.js';

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

function checkFit(n: number, Y: Matrix<Float64Array>, opts: FitOptions): void {
  checkMatrix(Y, 'kernel regression: Y');
  if (Y.rows !== n) throw new RangeError(`kernel regression: Y has ${Y.rows} rows but Theta is ${n} x ${n}`);
  checkFinite(Y, 'kernel regression: Y');
  const { t = Infinity, eta = 1, ridge = 0 } = opts;
  if (!(t > 0)) throw new RangeError(`kernel regression: t must be > 0 (or Infinity), got ${t}`);
  if (!(ridge >= 0)) throw new RangeError(`kernel regression: ridge must be >= 0, got ${ridge}`);
  if (t !== Infinity && !(eta > 0)) throw new RangeError(`kernel regression: eta must be > 0, got ${eta}`);
}

/**
 * Fits from the n x n Gram in wasm memory, which is DESTROYED (factored in place: the 10k
 * Gram is 800 MB, and copies of it cost seconds). Returns alpha and the training outputs
 * Theta alpha, which follow from the factorisation without the Gram: (Theta + r I) alpha = Y
 * at t = inf, and V diag(l g(l)) V^T Y at finite t.
 */
export function solveAlphaInPlace(K: WasmBuffer<Float64Array>, n: number, Y: Matrix<Float64Array>, opts: FitOptions = {}): { alpha: Matrix<Float64Array>; trainOutputs: Matrix<Float64Array> } {
  checkFit(n, Y, opts);
  return fitInPlace(K, n, Y, opts);
}

/** solveAlphaInPlace after its checks (callers that checked already come here directly). */
function fitInPlace(K: WasmBuffer<Float64Array>, n: number, Y: Matrix<Float64Array>, opts: FitOptions): { alpha: Matrix<Float64Array>; trainOutputs: Matrix<Float64Array> } {
  const { t = Infinity, eta = 1, ridge = 0 } = opts;
  const e = engine(), k = Y.cols;
  if (t === Infinity) {
    choleskyInPlace(K, n, ridge);
    const x = e.from(Y.data);
    try {
      choSolveInPlace(K, n, x, k);
      const alpha = { data: x.toArray(), rows: n, cols: k };
      const trainOutputs = { data: Y.data.map((y, i) => y - ridge * alpha.data[i]), rows: n, cols: k };
      return { alpha, trainOutputs };
    } finally {
      x.free();
    }
  }
  const N = opts.normaliser ?? n * k;
  const V = e.buffer('f64', n * n);
  try {
    const values = eighInPlace(K, n, V);
    const a = (eta * t) / N;
    // alpha_t = V diag(g(l)) V^T Y with g(l) = (1 - e^{-a (l + ridge)}) / (l + ridge)
    const Vm = { data: V.data, rows: n, cols: n };
    const VtY = gemm(Vm, Y, { transA: true }), LVtY = { ...VtY, data: VtY.data.slice() };
    for (let i = 0; i < n; i++) {
      const g = flowGain(values[i] + ridge, a);
      for (let j = 0; j < k; j++) { VtY.data[i * k + j] *= g; LVtY.data[i * k + j] *= g * values[i]; }
    }
    return { alpha: gemm(Vm, VtY), trainOutputs: gemm(Vm, LVtY) };
  } finally {
    V.free();
  }
}

/** Dual coefficients from a precomputed Gram (which is left unchanged). */
export function solveAlpha(K: Matrix<Float64Array>, Y: Matrix<Float64Array>, opts: FitOptions = {}): Matrix<Float64Array> {
  checkMatrix(K, 'kernel regression: Theta');
  if (K.cols !== K.rows) throw new RangeError(`kernel regression: Theta must be square, got ${K.rows} x ${K.cols}`);
  checkFit(K.rows, Y, opts);
  const buf = engine().from(K.data);
  try {
    return fitInPlace(buf, K.rows, Y, opts).alpha;
  } finally {
    buf.free();
  }
}

export interface FittedMachine extends KernelMachine {
  /** Theta(Xtrain, Xtrain) alpha: the machine's outputs on its training set. */
  trainOutputs: Matrix<Float64Array>;
  seconds: { gram: number; solve: number };
}

/**
 * Builds the Gram of Xtrain in wasm memory (never copied to JS) and fits; the Gram is
 * factored in place and dropped. Peak wasm memory: one n x n Gram at t = inf, three at finite t.
 */
export function fitKernelMachine(
  kernel: KernelOps, Xtrain: Matrix<Float64Array>, Y: Matrix<Float64Array>,
  opts: FitOptions & { onProgress?: (done: number, total: number) => void } = {},
): FittedMachine {
  const n = Xtrain.rows;
  checkFit(n, Y, opts);
  const e = engine();
  let t0 = performance.now();
  let K: WasmBuffer<Float64Array> = residentGram(kernel, Xtrain, opts.onProgress);
  const gram = (performance.now() - t0) / 1000;
  t0 = performance.now();
  try {
    const { alpha, trainOutputs } = fitInPlace(K, n, Y, opts);
    return {
      kernel, Xtrain, alpha, outputs: Y.cols, t: opts.t ?? Infinity, ridge: opts.ridge ?? 0,
      trainOutputs, seconds: { gram, solve: (performance.now() - t0) / 1000 },
    };
  } finally {
    K.free();
  }
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
