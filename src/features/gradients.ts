// Pictures of features (spec §5): grad_x of a feature's output. A feature's input gradient is
// a kernel VJP with weights w C^T V^T, so every requested feature (and the whole machine,
// weights w alpha^T) comes from one vjp call over the kernel block (conv kernels: one Jacobian
// pass over the projections Theta(x, X) [V | alpha], combined per member).
import type { Matrix } from '../linalg/matrix.js';
import { gemm } from '../linalg/gemm.js';
import type { EigenFeatures } from './eigen_features.js';
import { memberCoefficients, memberKernelWeights, projectionBasis, type Member } from './members.js';
import { combineGradients } from './attack_members.js';

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
  const Cs = members.map((mb) => memberCoefficients(fs, mb));
  if (fs.kernel.jacobianTimes) {
    // conv kernels: the gradients of every projection Theta(x, X) [V | alpha] in one pass
    const basis = projectionBasis(fs), s = fs.V.cols, k = fs.outputs;
    const Gp = fs.kernel.jacobianTimes(X, fs.Xtrain, basis);
    const machineC = { data: new Float64Array((s + k) * k), rows: s + k, cols: k };
    for (let j = 0; j < k; j++) machineC.data[(s + j) * k + j] = 1;
    const padded = Cs.map((C) => ({ data: Float64Array.from({ length: (s + k) * k }, (_, q) => (q < s * k ? C.data[q] : 0)), rows: s + k, cols: k }));
    const all = combineGradients(Gp, [...members, Array.from({ length: k }, (_, j) => s + j)], [...padded, machineC], [...members.map(() => w), w]);
    return { members: all.slice(0, members.length), machine: all[members.length] };
  }
  const Ws = Cs.map((C) => memberKernelWeights(fs, C, w));
  Ws.push(gemm(w, fs.alpha, { transB: true }));
  const G = fs.kernel.vjp(X, fs.Xtrain, Ws);
  return { members: G.slice(0, members.length), machine: G[members.length] };
}
