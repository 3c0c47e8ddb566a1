// Usefulness and robustness of many feature predictors at once (spec §5): clean outputs,
// then FGSM computed on each predictor itself. Per block of test points ONE kernel pass
// gives Theta(X, Xtrain) and, through the VJP, the input gradients of all predictors: their
// kernel weights are w_j C_j^T V^T, with w_j the loss weights at the predictor's own
// outputs (Theta V) C_j. Each predictor's adversarial points are then evaluated by one
// cross-kernel over all of them together.
import type { Matrix } from '../linalg/matrix.js';
import { gemm } from '../linalg/gemm.js';
import { objectiveWeights, checkLabels } from '../attacks/losses.js';
import { checkBudget, signedStep } from '../attacks/fgsm_pgd.js';
import type { EigenFeatures } from './eigen_features.js';
import { machineOutputs, memberCoefficients, memberKernelWeights, memberOutputs, projectionBasis, projections, type Member } from './members.js';

export interface MemberAttackOptions {
  /** L-inf budget of FGSM; 0 evaluates clean outputs only. */
  eps: number;
  /** Test points per block; default: as many as keep the predictors' kernel weights near 256 MiB. */
  batch?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface MemberAttackResult {
  /** Per member, clean outputs (m x k). */
  clean: Matrix<Float64Array>[];
  /** Per member, outputs at its own FGSM points (m x k); absent when eps = 0. */
  adversarial?: Matrix<Float64Array>[];
  /** The whole machine's clean outputs (m x k). */
  machine: Matrix<Float64Array>;
  seconds: { clean: number; gradients: number; adversarial: number };
}

const rowsOf = (X: Matrix<Float64Array>, lo: number, hi: number) => ({ data: X.data.subarray(lo * X.cols, hi * X.cols), rows: hi - lo, cols: X.cols });

/** Test points per block so that `members` kernel-weight matrices of b x n doubles stay near 384 MiB (three copies: JS, wasm, and the fused VJP's W * S0 stack). */
export function memberBlock(members: number, n: number, cap = 256): number {
  return Math.max(1, Math.min(cap, Math.floor((384 * 2 ** 20) / (24 * Math.max(1, members) * Math.max(1, n)))));
}

export function attackMembers(fs: EigenFeatures, members: Member[], X: Matrix<Float64Array>, labels: Int32Array, opts: MemberAttackOptions): MemberAttackResult {
  checkBudget(opts.eps);
  const k = fs.outputs, m = X.rows, d = X.cols, n = fs.Xtrain.rows;
  checkLabels(labels, k, m);
  if (d !== fs.Xtrain.cols) throw new RangeError(`attackMembers: test rows have ${d} values but training rows have ${fs.Xtrain.cols}`);
  const Cs = members.map((mb) => memberCoefficients(fs, mb));
  const basis = projectionBasis(fs);
  const progress = opts.onProgress ?? (() => {});
  const B = Math.max(1, opts.batch ?? memberBlock(members.length, n));
  const clean = Cs.map(() => ({ data: new Float64Array(m * k), rows: m, cols: k }));
  const machine = { data: new Float64Array(m * k), rows: m, cols: k };
  const seconds = { clean: 0, gradients: 0, adversarial: 0 };
  const attack = opts.eps > 0 && members.length > 0;
  const advX = attack ? Cs.map(() => new Float64Array(m * d)) : [];
  const label = attack ? `FGSM gradients (${members.length} predictors)` : 'clean outputs';
  progress(0, m, label);
  for (let lo = 0; lo < m; lo += B) {
    const hi = Math.min(m, lo + B), Xb = rowsOf(X, lo, hi), yb = labels.subarray(lo, hi);
    let t0 = performance.now(), tK = t0;
    const weightsFromK = (K: Matrix<Float64Array>): Matrix<Float64Array>[] => {
      tK = performance.now();
      const P = gemm(K, basis);
      const F = machineOutputs(P, k);
      machine.data.set(F.data, lo * k);
      return Cs.map((C, j) => {
        const Fj = memberOutputs(P, C);
        clean[j].data.set(Fj.data, lo * k);
        return attack ? memberKernelWeights(fs, C, objectiveWeights(Fj, yb, 'ce')[0]) : null;
      }).filter((W): W is Matrix<Float64Array> => W !== null);
    };
    let G: Matrix<Float64Array>[] = [];
    if (!attack) weightsFromK(fs.kernel.cross(Xb, fs.Xtrain));
    else if (fs.kernel.valueAndVjp) G = fs.kernel.valueAndVjp(Xb, fs.Xtrain, weightsFromK).G;
    else { const Ws = weightsFromK(fs.kernel.cross(Xb, fs.Xtrain)); tK = performance.now(); G = fs.kernel.vjp(Xb, fs.Xtrain, Ws); }
    const t1 = performance.now();
    // the fused pass computes K first: count it as clean evaluation, the rest as gradients
    seconds.clean += (attack ? tK - t0 : t1 - t0) / 1000;
    seconds.gradients += attack ? (t1 - tK) / 1000 : 0;
    for (let j = 0; j < G.length; j++) advX[j].set(signedStep(Xb.data, Xb.data, G[j].data, opts.eps, opts.eps), lo * d);
    progress(hi, m, label);
    t0 = performance.now();
  }
  if (!attack) return { clean, machine, seconds };
  // every predictor at its own adversarial points: one cross-kernel over all of them
  const t0 = performance.now();
  const adversarial = Cs.map(() => ({ data: new Float64Array(m * k), rows: m, cols: k }));
  const per = Math.max(1, Math.floor((128 * 2 ** 20) / (8 * n)));
  const total = members.length * m;
  let done = 0;
  progress(0, total, 'adversarial outputs');
  // rows of all predictors stacked (predictor j's point r is row j m + r), in chunks
  for (let g0 = 0; g0 < total; g0 += per) {
    const g1 = Math.min(total, g0 + per), Xc = new Float64Array((g1 - g0) * d);
    for (let g = g0; g < g1; g++) { const j = Math.floor(g / m), r = g - j * m; Xc.set(advX[j].subarray(r * d, (r + 1) * d), (g - g0) * d); }
    const P = projections(fs, { data: Xc, rows: g1 - g0, cols: d }, basis);
    for (let g = g0; g < g1; ) {
      const j = Math.floor(g / m), end = Math.min(g1, (j + 1) * m);
      const F = memberOutputs(rowsOf(P, g - g0, end - g0), Cs[j]);
      adversarial[j].data.set(F.data, (g - j * m) * k);
      g = end;
    }
    progress((done = g1), total, 'adversarial outputs');
  }
  seconds.adversarial = (performance.now() - t0) / 1000;
  return { clean, adversarial, machine, seconds };
}
