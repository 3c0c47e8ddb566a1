// What an attack needs from a model: outputs and vector-Jacobian products of the outputs
// with respect to the input. Kernel machines and finite nets both provide it.
import type { Matrix } from '../linalg/matrix.js';
import { gemm } from '../linalg/gemm.js';
import { outputVjp, outputWeights, predict, type KernelMachine } from '../machines/kernel_regression.js';

export interface DifferentiableModel {
  /** Number of outputs k (1 for a binary task with labels -1/+1). */
  readonly outputs: number;
  /** b x k outputs (logits). */
  forward(X: Matrix<Float64Array>): Matrix<Float64Array>;
  /** For each w (b x k): row b = grad_x sum_j w[b, j] f_j(x_b); b x d. */
  vjp(X: Matrix<Float64Array>, w: Matrix<Float64Array>[]): Matrix<Float64Array>[];
  /**
   * Optional fused form: F = forward(X), then w = wFromF(F) and vjp(X, w), in one pass
   * where the model can share the work. Callers fall back to forward + vjp when absent.
   */
  forwardAndVjp?(X: Matrix<Float64Array>, wFromF: (F: Matrix<Float64Array>) => Matrix<Float64Array>[]): { F: Matrix<Float64Array>; G: Matrix<Float64Array>[] };
}

export function kernelMachineModel(m: KernelMachine): DifferentiableModel {
  const model: DifferentiableModel = {
    outputs: m.outputs,
    forward: (X) => predict(m, X),
    vjp: (X, w) => outputVjp(m, X, w),
  };
  const fused = m.kernel.valueAndVjp?.bind(m.kernel);
  if (fused) {
    // F = K alpha; each output weight w (b x k) is W = w alpha^T (b x n) on the kernel
    model.forwardAndVjp = (X, wFromF) => {
      let F: Matrix<Float64Array> | null = null;
      const { G } = fused(X, m.Xtrain, (K) => {
        F = gemm(K, m.alpha);
        return outputWeights(m, X, wFromF(F));
      });
      return { F: F!, G };
    };
  }
  return model;
}
