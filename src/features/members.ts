// Predictors made of eigen-features: a "member" is a list of positions p in a feature set,
// and predicts sum_p f_p(x) = (Theta(x, X) V) C with C (s x k) = U on its rows, zero
// elsewhere. One feature is a member of one position; D.3's robust kernels keep m of them.
// Every member is a kernel machine with alpha = V C, so the generic attack code applies.
import { engine } from '../engine.js';
import { gemm } from '../linalg/gemm.js';
import type { Matrix } from '../linalg/matrix.js';
import type { KernelMachine } from '../machines/kernel_regression.js';
import type { EigenFeatures } from './eigen_features.js';

export type Member = readonly number[];

/** C (s x k) of a member: U's rows at its positions. */
export function memberCoefficients(fs: Pick<EigenFeatures, 'U'>, member: Member): Matrix<Float64Array> {
  const { rows: s, cols: k } = fs.U;
  const C = { data: new Float64Array(s * k), rows: s, cols: k };
  for (const p of member) {
    if (!Number.isInteger(p) || p < 0 || p >= s) throw new RangeError(`feature member: position ${p} is out of range 0..${s - 1}`);
    for (let j = 0; j < k; j++) C.data[p * k + j] += fs.U.data[p * k + j];
  }
  return C;
}

/** The member as a kernel machine: alpha = V C (n x k). */
export function memberMachine(fs: EigenFeatures, member: Member): KernelMachine {
  return { kernel: fs.kernel, Xtrain: fs.Xtrain, alpha: gemm(fs.V, memberCoefficients(fs, member)), outputs: fs.outputs, t: fs.fit.t, ridge: fs.fit.ridge };
}

/** The whole machine (all n features). */
export function fullMachine(fs: EigenFeatures): KernelMachine {
  return { kernel: fs.kernel, Xtrain: fs.Xtrain, alpha: fs.alpha, outputs: fs.outputs, t: fs.fit.t, ridge: fs.fit.ridge };
}

/** [V | alpha] (n x (s + k)): one product with a kernel block gives every projection and the machine's outputs. */
export function projectionBasis(fs: EigenFeatures): Matrix<Float64Array> {
  const { rows: n, cols: s } = fs.V, k = fs.outputs, c = s + k;
  const B = { data: new Float64Array(n * c), rows: n, cols: c };
  for (let r = 0; r < n; r++) {
    B.data.set(fs.V.data.subarray(r * s, (r + 1) * s), r * c);
    B.data.set(fs.alpha.data.subarray(r * k, (r + 1) * k), r * c + s);
  }
  return B;
}

/** P = Theta(X, Xtrain) [V | alpha] in row chunks that keep each kernel block near `chunkBytes`. */
export function projections(fs: EigenFeatures, X: Matrix<Float64Array>, basis = projectionBasis(fs), chunkBytes = 128 * 2 ** 20): Matrix<Float64Array> {
  const n = fs.Xtrain.rows, c = basis.cols, m = X.rows, d = X.cols;
  const out = { data: new Float64Array(m * c), rows: m, cols: c };
  const R = Math.max(1, Math.floor(chunkBytes / (8 * Math.max(n, 1))));
  for (let lo = 0; lo < m; lo += R) {
    const hi = Math.min(m, lo + R);
    const Xb = { data: X.data.subarray(lo * d, hi * d), rows: hi - lo, cols: d };
    const P = fs.kernel.crossTimes ? fs.kernel.crossTimes(Xb, fs.Xtrain, basis) : gemm(fs.kernel.cross(Xb, fs.Xtrain), basis);
    out.data.set(P.data, lo * c);
  }
  return out;
}

/** A member's outputs (b x k) from projections P (b x (s + k)): F = P[:, :s] C. */
export function memberOutputs(P: Matrix<Float64Array>, C: Matrix<Float64Array>): Matrix<Float64Array> {
  const s = C.rows, k = C.cols, b = P.rows, c = P.cols;
  const F = { data: new Float64Array(b * k), rows: b, cols: k };
  for (let r = 0; r < b; r++)
    for (let p = 0; p < s; p++) {
      const v = P.data[r * c + p];
      if (v === 0) continue;
      for (let j = 0; j < k; j++) F.data[r * k + j] += v * C.data[p * k + j];
    }
  return F;
}

/** The whole machine's outputs (b x k) from projections P: its last k columns. */
export function machineOutputs(P: Matrix<Float64Array>, k: number): Matrix<Float64Array> {
  const b = P.rows, c = P.cols, F = { data: new Float64Array(b * k), rows: b, cols: k };
  for (let r = 0; r < b; r++) for (let j = 0; j < k; j++) F.data[r * k + j] = P.data[r * c + c - k + j];
  return F;
}

/** Kernel weights (b x n) of output weights w (b x k) on a member: W = w C^T V^T. */
export function memberKernelWeights(fs: EigenFeatures, C: Matrix<Float64Array>, w: Matrix<Float64Array>): Matrix<Float64Array> {
  return gemm(gemm(w, C, { transB: true }), fs.V, { transB: true });
}

/**
 * Keeps the training set resident in wasm memory for the duration of `body` (every kernel
 * call reads it; copying 10k x 784 doubles in per call costs seconds over a run). An async
 * body keeps it until its promise settles.
 */
export function withResidentTrain<T>(fs: EigenFeatures, body: (fs: EigenFeatures) => T): T {
  const e = engine();
  if (e.owns(fs.Xtrain.data)) return body(fs);
  const resident = e.from(fs.Xtrain.data);
  let async = false;
  try {
    const Xtrain = { get data() { return resident.data; }, rows: fs.Xtrain.rows, cols: fs.Xtrain.cols };
    const out = body({ ...fs, Xtrain });
    if (out instanceof Promise) {
      async = true;
      return out.finally(() => resident.free()) as T;
    }
    return out;
  } finally {
    if (!async) resident.free();
  }
}
