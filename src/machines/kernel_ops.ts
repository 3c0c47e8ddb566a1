// The narrow kernel interface the kernel machine and the attacks need. Any kernel that can
// give its Gram, its cross-kernel and the vector-Jacobian product of its input gradient
// plugs in (analytic NTKs, NNGPs, test kernels with closed forms).
import type { Matrix } from '../linalg/matrix.js';
import type { WasmBuffer } from '../../bindings/engine.js';
import { engine } from '../engine.js';

export interface KernelOps {
  /** Gram Theta(X, X), n x n. */
  gram(X: Matrix<Float64Array>, onProgress?: (done: number, total: number) => void): Matrix<Float64Array>;
  /** Optional: the Gram written straight into a wasm buffer of n x n entries (no JS copy). */
  gramInto?(X: Matrix<Float64Array>, out: WasmBuffer<Float64Array>, onProgress?: (done: number, total: number) => void): void;
  /** Theta(X1, X2), n1 x n2. */
  cross(X1: Matrix<Float64Array>, X2: Matrix<Float64Array>): Matrix<Float64Array>;
  /**
   * G[b, :] = sum_r sum_i W_r[b, i] d Theta(x_b, x_i) / d x_b for each weight matrix W_r
   * (b x n); returns one b x d matrix per W_r. Several W share one pass over the kernel.
   */
  vjp(X: Matrix<Float64Array>, Xtrain: Matrix<Float64Array>, W: Matrix<Float64Array>[]): Matrix<Float64Array>[];
  /**
   * Optional: for each column r of A (n x R), G_r (b x d) = sum_i A[i, r] dTheta(x_b, x_i)/dx_b,
   * all R in one pass over the pairs (vjp with rank-one weights W_r[b, i] = A[i, r]). Kernels
   * whose vjp costs a pass per weight matrix (conv NTKs) provide it; feature gradients use it.
   */
  jacobianTimes?(X: Matrix<Float64Array>, Xtrain: Matrix<Float64Array>, A: Matrix<Float64Array>): Matrix<Float64Array>[];
  /** Optional: Theta(X1, X2) A (n1 x k) without handing the n1 x n2 kernel to JS. */
  crossTimes?(X1: Matrix<Float64Array>, X2: Matrix<Float64Array>, A: Matrix<Float64Array>): Matrix<Float64Array>;
  /**
   * Optional fused form: K = Theta(X, Xtrain), then the weight matrices weightsFromK(K)
   * and their VJPs as vjp gives, sharing one pass over the kernel.
   */
  valueAndVjp?(
    X: Matrix<Float64Array>, Xtrain: Matrix<Float64Array>, weightsFromK: (K: Matrix<Float64Array>) => Matrix<Float64Array>[],
  ): { K: Matrix<Float64Array>; G: Matrix<Float64Array>[] };
}

/** The Gram Theta(X, X) in a fresh wasm buffer (straight there when the kernel can): the caller frees it. */
export function residentGram(kernel: KernelOps, X: Matrix<Float64Array>, onProgress?: (done: number, total: number) => void): WasmBuffer<Float64Array> {
  if (!kernel.gramInto) return engine().from(kernel.gram(X, onProgress).data);
  const K = engine().buffer('f64', X.rows * X.rows);
  try { kernel.gramInto(X, K, onProgress); } catch (err) { K.free(); throw err; }
  return K;
}
