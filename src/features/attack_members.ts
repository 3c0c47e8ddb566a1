// Usefulness and robustness of many feature predictors at once (spec §5): clean outputs,
// then FGSM computed on each predictor itself. Per block of test points ONE kernel pass gives
// the input gradients of all predictors: FC kernels fuse Theta(X, Xtrain) and the VJPs of the
// predictors' kernel weights w_j C_j^T V^T (w_j the loss weights at the predictor's own
// outputs (Theta V) C_j); conv kernels, whose VJP is a pass per weight matrix, take the
// Jacobian times V (grad of every feature's projection Theta(x, X) v_p, one pass) and combine
// its s gradients with the coefficients w_j C_j^T. Each predictor's adversarial points are
// then evaluated by one cross-kernel over all of them together.
import type { Matrix } from '../linalg/matrix.js';
import { gemm } from '../linalg/gemm.js';
import { objectiveWeights, checkLabels } from '../attacks/losses.js';
import { checkBudget, decisions, signedStep } from '../attacks/fgsm_pgd.js';
import { pgdMembers } from './pgd_members.js';
import type { EigenFeatures } from './eigen_features.js';
import { machineOutputs, memberCoefficients, memberKernelWeights, memberOutputs, projectionBasis, projections, type Member } from './members.js';

export interface MemberAttackOptions {
  /** L-inf budget of FGSM; 0 evaluates clean outputs only. */
  eps: number;
  /** 'pgd' also runs PGD on each predictor at the points FGSM did not break (default 'fgsm'). */
  attack?: 'fgsm' | 'pgd';
  /** PGD steps (default 10) and step size (default 0.01, the authors' kernel setting). */
  steps?: number;
  stepSize?: number;
  /** Test points per block; default: as many as keep the predictors' kernel weights near 256 MiB. */
  batch?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface MemberAttackResult {
  /** Per member, clean outputs (m x k). */
  clean: Matrix<Float64Array>[];
  /** Per member, outputs at its own FGSM points (m x k); absent when eps = 0. */
  adversarial?: Matrix<Float64Array>[];
  /**
   * Per member, outputs at the point the stronger attack keeps (attack 'pgd'): FGSM's where
   * it broke the point, else PGD's best point; so never more accurate than `adversarial`.
   */
  pgd?: Matrix<Float64Array>[];
  /** The whole machine's clean outputs (m x k). */
  machine: Matrix<Float64Array>;
  seconds: { clean: number; gradients: number; adversarial: number; pgd?: number };
}

const rowsOf = (X: Matrix<Float64Array>, lo: number, hi: number) => ({ data: X.data.subarray(lo * X.cols, hi * X.cols), rows: hi - lo, cols: X.cols });

/** Test points per block so that `members` kernel-weight matrices of b x n doubles stay near 384 MiB (three copies: JS, wasm, and the fused VJP's W * S0 stack). */
export function memberBlock(members: number, n: number, cap = 256): number {
  return Math.max(1, Math.min(cap, Math.floor((384 * 2 ** 20) / (24 * Math.max(1, members) * Math.max(1, n)))));
}

/**
 * Test points per block on the Jacobian path: `columns` feature gradients (wasm + JS copies),
 * `members` combined ones and the 128 Jacobian columns of the pass, each b x d doubles, near
 * 256 MiB together.
 */
export function jacobianBlock(columns: number, members: number, d: number, cap = 256): number {
  return Math.max(1, Math.min(cap, Math.floor((256 * 2 ** 20) / (8 * d * (2 * Math.max(1, columns) + Math.max(1, members) + 128)))));
}

/**
 * Input gradients of members from the gradients of the feature projections: Gp[p] (b x d)
 * = grad_x (Theta(x, X) v_p) per position p, coefficients w C^T (b x s) per member:
 * G_j[b] = sum_{p in member j} (w_j C_j^T)[b, p] Gp[p][b].
 */
export function combineGradients(Gp: Matrix<Float64Array>[], members: Member[], Cs: Matrix<Float64Array>[], ws: Matrix<Float64Array>[]): Matrix<Float64Array>[] {
  return members.map((mb, j) => {
    const coef = gemm(ws[j], Cs[j], { transB: true }), s = coef.cols;
    const b = coef.rows, d = Gp[0]?.cols ?? 0;
    const G = { data: new Float64Array(b * d), rows: b, cols: d };
    for (const p of new Set(mb))
      for (let q = 0; q < b; q++) {
        const c = coef.data[q * s + p];
        if (c === 0) continue;
        const src = Gp[p].data, o = q * d;
        for (let t = 0; t < d; t++) G.data[o + t] += c * src[o + t];
      }
    return G;
  });
}

export function attackMembers(fs: EigenFeatures, members: Member[], X: Matrix<Float64Array>, labels: Int32Array, opts: MemberAttackOptions): MemberAttackResult {
  checkBudget(opts.eps);
  const k = fs.outputs, m = X.rows, d = X.cols, n = fs.Xtrain.rows;
  checkLabels(labels, k, m);
  if (d !== fs.Xtrain.cols) throw new RangeError(`attackMembers: test rows have ${d} values but training rows have ${fs.Xtrain.cols}`);
  const Cs = members.map((mb) => memberCoefficients(fs, mb));
  const basis = projectionBasis(fs);
  const progress = opts.onProgress ?? (() => {});
  const attack = opts.eps > 0 && members.length > 0;
  // conv kernels: one Jacobian pass for the s feature projections; FC: the fused value + VJP
  const jac = attack && fs.kernel.jacobianTimes ? fs.kernel.jacobianTimes.bind(fs.kernel) : null;
  const B = Math.max(1, opts.batch ?? (jac ? jacobianBlock(fs.V.cols, members.length, d) : memberBlock(members.length, n)));
  const clean = Cs.map(() => ({ data: new Float64Array(m * k), rows: m, cols: k }));
  const machine = { data: new Float64Array(m * k), rows: m, cols: k };
  const seconds: MemberAttackResult['seconds'] = { clean: 0, gradients: 0, adversarial: 0 };
  const advX = attack ? Cs.map(() => new Float64Array(m * d)) : [];
  const label = attack ? `FGSM gradients (${members.length} predictors${jac ? ', one Jacobian pass' : ''})` : 'clean outputs';
  progress(0, m, label);
  for (let lo = 0; lo < m; lo += B) {
    const hi = Math.min(m, lo + B), Xb = rowsOf(X, lo, hi), yb = labels.subarray(lo, hi);
    const t0 = performance.now();
    let tK = t0;
    // clean outputs of the block from its projections P = Theta(Xb, X) [V | alpha]; the
    // members' loss weights (b x k) at those outputs
    const lossWeights = (P: Matrix<Float64Array>): Matrix<Float64Array>[] => {
      tK = performance.now();
      machine.data.set(machineOutputs(P, k).data, lo * k);
      return Cs.map((C, j) => {
        const Fj = memberOutputs(P, C);
        clean[j].data.set(Fj.data, lo * k);
        return objectiveWeights(Fj, yb, 'ce')[0];
      });
    };
    let G: Matrix<Float64Array>[] = [];
    if (!attack) lossWeights(projections(fs, Xb, basis));
    else if (jac) {
      const ws = lossWeights(projections(fs, Xb, basis));
      G = combineGradients(jac(Xb, fs.Xtrain, fs.V), members, Cs, ws);
    } else {
      const weightsFromK = (K: Matrix<Float64Array>) => lossWeights(gemm(K, basis)).map((w, j) => memberKernelWeights(fs, Cs[j], w));
      if (fs.kernel.valueAndVjp) G = fs.kernel.valueAndVjp(Xb, fs.Xtrain, weightsFromK).G;
      else { const Ws = weightsFromK(fs.kernel.cross(Xb, fs.Xtrain)); tK = performance.now(); G = fs.kernel.vjp(Xb, fs.Xtrain, Ws); }
    }
    const t1 = performance.now();
    // a fused pass computes K first: count it as clean evaluation, the rest as gradients
    seconds.clean += (attack ? tK - t0 : t1 - t0) / 1000;
    seconds.gradients += attack ? (t1 - tK) / 1000 : 0;
    for (let j = 0; j < G.length; j++) advX[j].set(signedStep(Xb.data, Xb.data, G[j].data, opts.eps, opts.eps), lo * d);
    progress(hi, m, label);
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
  if (opts.attack !== 'pgd') return { clean, adversarial, machine, seconds };
  // PGD only where FGSM left the predictor correct
  const t1 = performance.now();
  const steps = opts.steps ?? 10, stepSize = opts.stepSize ?? 0.01;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`attackMembers: PGD steps must be a positive integer, got ${steps}`);
  checkBudget(stepSize, 'PGD step size');
  const standing: number[] = [];
  adversarial.forEach((A, j) => { const pred = decisions(A); for (let i = 0; i < m; i++) if (pred[i] === labels[i]) standing.push(j * m + i); });
  const pgd = adversarial.map((A) => ({ data: Float64Array.from(A.data), rows: m, cols: k }));
  if (standing.length) {
    const F = pgdMembers(fs, Cs, X, labels, clean, Int32Array.from(standing), { eps: opts.eps, steps, stepSize, onProgress: opts.onProgress });
    standing.forEach((g, r) => { const j = Math.floor(g / m), i = g - j * m; pgd[j].data.set(F.outputs.data.subarray(r * k, (r + 1) * k), i * k); });
  }
  seconds.pgd = (performance.now() - t1) / 1000;
  return { clean, adversarial, pgd, machine, seconds };
}
