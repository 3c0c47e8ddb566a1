// Pictures of features (spec §5): grad_x of a feature's output. A feature's input gradient is
// a kernel VJP with weights w C^T V^T, so every requested feature (and the whole machine,
// weights w alpha^T) comes from one vjp call over the kernel block.
import type { Matrix } from '../linalg/matrix.js';
import { gemm } from '../linalg/gemm.js';
import type { EigenFeatures } from './eigen_features.js';
import { memberCoefficients, memberKernelWeights, type Member } from './members.js';

/** Output weights picking one output per point: binary tasks f itself, multiclass the given class. */
export function pickOutputs(k: number, classes: Int32Array): Matrix<Float64Array> {
  const b = classes.length, w = { data: new Float64Array(b * k), rows: b, cols: k };
  for (let i = 0; i < b; i++) {
    if (k === 1) w.data[i] = 1;
    else {
      const c = classes[i];
      if (!(Number.isInteger(c) && c >= 0 && c < k)) throw new RangeError(`feature gradients: class ${c} of point ${i} is not in 0..${k - 1}`);
      w.data[i * k + c] = 1;
    }
  }
  return w;
}

/**
 * grad_x sum_j w[b, j] f_j(x_b) for each member (b x d each) and, last, for the whole machine.
 * w (b x k) as from pickOutputs.
 */
export function memberGradients(fs: EigenFeatures, members: Member[], X: Matrix<Float64Array>, w: Matrix<Float64Array>): { members: Matrix<Float64Array>[]; machine: Matrix<Float64Array> } {
  if (w.rows !== X.rows || w.cols !== fs.outputs) throw new RangeError(`feature gradients: weights are ${w.rows} x ${w.cols}, expected ${X.rows} x ${fs.outputs}`);
  const Ws = members.map((mb) => memberKernelWeights(fs, memberCoefficients(fs, mb), w));
  Ws.push(gemm(w, fs.alpha, { transB: true }));
  const G = fs.kernel.vjp(X, fs.Xtrain, Ws);
  return { members: G.slice(0, members.length), machine: G[members.length] };
}
