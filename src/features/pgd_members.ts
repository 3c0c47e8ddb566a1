// PGD on feature predictors (issue 11): each member attacked at its own points. After the
// first step every member stands at a different point, so the one-pass trick no longer
// applies: the (member, test point) pairs are stacked as rows of one model whose row r is
// member mem[r], and each PGD step is one kernel pass over all rows (a single weight matrix:
// row r's kernel weights are w_r C_{mem[r]}^T V^T). Only pairs FGSM did not already break
// are attacked; PGD keeps its best point (pgdOutcome), whose candidates include the FGSM
// point, so per member its robust accuracy is never above FGSM's.
import type { Matrix } from '../linalg/matrix.js';
import { gemm } from '../linalg/gemm.js';
import { pgdOutcome } from '../attacks/fgsm_pgd.js';
import type { DifferentiableModel } from '../attacks/model.js';
import type { EigenFeatures } from './eigen_features.js';
import { projectionBasis, projections } from './members.js';

export interface PgdMemberOptions {
  eps: number;
  steps: number;
  stepSize: number;
  /** Rows (member, point pairs) per PGD chunk; default sized so a chunk's kernel weights stay near 384 MiB. */
  chunk?: number;
  /** Also return the points kept (rows x d; for checks on small runs). */
  keepPoints?: boolean;
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Rows with their own member: F[r] = P[r, :s] C_{mem[r]}, P = Theta(x_r, X) [V | alpha]. */
export function stackedMemberModel(fs: EigenFeatures, Cs: Matrix<Float64Array>[], mem: Int32Array): DifferentiableModel {
  const k = fs.outputs, s = fs.V.cols, basis = projectionBasis(fs), c = basis.cols;
  const outputsOf = (P: Matrix<Float64Array>): Matrix<Float64Array> => {
    const F = { data: new Float64Array(P.rows * k), rows: P.rows, cols: k };
    for (let r = 0; r < P.rows; r++) {
      const C = Cs[mem[r]].data;
      for (let p = 0; p < s; p++) {
        const v = P.data[r * c + p];
        if (v !== 0) for (let j = 0; j < k; j++) F.data[r * k + j] += v * C[p * k + j];
      }
    }
    return F;
  };
  // row r's kernel weights: (C_{mem[r]} w_r)^T V^T
  const kernelWeights = (w: Matrix<Float64Array>): Matrix<Float64Array> => {
    const coef = { data: new Float64Array(w.rows * s), rows: w.rows, cols: s };
    for (let r = 0; r < w.rows; r++) {
      const C = Cs[mem[r]].data;
      for (let p = 0; p < s; p++) { let t = 0; for (let j = 0; j < k; j++) t += C[p * k + j] * w.data[r * k + j]; coef.data[r * s + p] = t; }
    }
    return gemm(coef, fs.V, { transB: true });
  };
  const check = (X: Matrix<Float64Array>) => { if (X.rows !== mem.length) throw new RangeError(`stacked members: ${X.rows} rows for ${mem.length} members`); };
  const model: DifferentiableModel = {
    outputs: k,
    forward: (X) => { check(X); return outputsOf(projections(fs, X, basis)); },
    vjp: (X, ws) => { check(X); return fs.kernel.vjp(X, fs.Xtrain, ws.map(kernelWeights)); },
  };
  const fused = fs.kernel.valueAndVjp?.bind(fs.kernel);
  if (fused) {
    model.forwardAndVjp = (X, wFromF) => {
      check(X);
      let F: Matrix<Float64Array> | null = null;
      const { G } = fused(X, fs.Xtrain, (K) => { F = outputsOf(gemm(K, basis)); return wFromF(F).map(kernelWeights); });
      return { F: F!, G };
    };
  }
  return model;
}

/**
 * PGD for the (member, point) pairs in `rows` (row = j m + i: member j, test point i) from
 * the clean points X; returns each pair's outputs at the point PGD keeps (and the point).
 */
export function pgdMembers(
  fs: EigenFeatures, Cs: Matrix<Float64Array>[], X: Matrix<Float64Array>, labels: Int32Array, clean: Matrix<Float64Array>[],
  rows: Int32Array, opts: PgdMemberOptions,
): { outputs: Matrix<Float64Array>; points?: Matrix<Float64Array> } {
  const m = X.rows, d = X.cols, k = fs.outputs, n = fs.Xtrain.rows, total = rows.length;
  const chunk = Math.max(1, opts.chunk ?? Math.min(1024, Math.floor((384 * 2 ** 20) / (24 * Math.max(1, n)))));
  const out = { data: new Float64Array(total * k), rows: total, cols: k };
  const points = opts.keepPoints ? { data: new Float64Array(total * d), rows: total, cols: d } : undefined;
  const chunks = Math.ceil(total / chunk);
  const progress = opts.onProgress ?? (() => {});
  progress(0, chunks * opts.steps, `PGD (${opts.steps} steps, ${total} feature-point pairs)`);
  for (let c0 = 0, ci = 0; c0 < total; c0 += chunk, ci++) {
    const c1 = Math.min(total, c0 + chunk), b = c1 - c0;
    const mem = new Int32Array(b), Z = { data: new Float64Array(b * d), rows: b, cols: d }, y = new Int32Array(b);
    const F0 = { data: new Float64Array(b * k), rows: b, cols: k };
    for (let r = 0; r < b; r++) {
      const g = rows[c0 + r], j = Math.floor(g / m), i = g - j * m;
      mem[r] = j; y[r] = labels[i];
      Z.data.set(X.data.subarray(i * d, (i + 1) * d), r * d);
      F0.data.set(clean[j].data.subarray(i * k, (i + 1) * k), r * k);
    }
    const model = stackedMemberModel(fs, Cs, mem);
    const res = pgdOutcome(model, Z, y, { eps: opts.eps, steps: opts.steps, stepSize: opts.stepSize, cleanOutputs: F0 },
      (st) => progress(ci * opts.steps + st, chunks * opts.steps, `PGD (${opts.steps} steps, ${total} feature-point pairs)`));
    out.data.set(model.forward(res.adversarial).data, c0 * k);
    points?.data.set(res.adversarial.data, c0 * d);
  }
  return { outputs: out, points };
}
