// What an attack needs from a model: outputs and vector-Jacobian products of the outputs
// with respect to the input. Kernel machines and finite nets both provide it.
import type { Matrix } from '../linalg/matrix.js';
import { outputVjp, predict, type KernelMachine } from '../machines/kernel_regression.js';

export interface DifferentiableModel {
  /** Number of outputs k (1 for a binary task with labels -1/+1). */
  readonly outputs: number;
  /** b x k outputs (logits). */
  forward(X: Matrix<Float64Array>): Matrix<Float64Array>;
  /** For each w (b x k): row b = grad_x sum_j w[b, j] f_j(x_b); b x d. */
  vjp(X: Matrix<Float64Array>, w: Matrix<Float64Array>[]): Matrix<Float64Array>[];
}

export function kernelMachineModel(m: KernelMachine): DifferentiableModel {
  return {
    outputs: m.outputs,
    forward: (X) => predict(m, X),
    vjp: (X, w) => outputVjp(m, X, w),
  };
}
