// Multi-targeted attack on the margin f_t - f_y, for every wrong class t (or the top `targets`
// by the clean outputs). For a kernel machine, nearly linear over small balls, one signed step
// per target is close to the L-inf optimum of the margin (exactly it for a linear model), and
// cheap: one VJP pass with the k class weights gives every grad f_j, so all targets share it.
// With steps > 1 each target is refined by PGD on its margin from that first point, keeping
// the best point. Cross-entropy on a regressor's near-one-hot outputs is almost flat and points
// between the wrong classes; the per-target margin points at each of them in turn.
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from './model.js';
import { headValue, misclassified, rankedTargets } from './heads.js';
import { checkLabels } from './losses.js';
import { type AttackOutcome, checkCount, checkEps, clipTo, gatherInt, gatherRows, headGradient } from './budget.js';

export interface MultiTargetedOptions {
  eps: number;
  /** Wrong classes tried per point, ranked by the clean outputs (default all k - 1). */
  targets?: number;
  /** Signed steps per target (default 1: one step of eps). */
  steps?: number;
  /** Step size of the refining steps (default 2.5 eps / steps). */
  stepSize?: number;
  /** The model's outputs at X, if known (saves a forward pass only when the model has no fused pass). */
  cleanOutputs?: Matrix<Float64Array>;
  onTarget?: (done: number, total: number) => void;
}

/** Per point: the untargeted margin max_{j != y} f_j - f_y (k = 1: -y f). */
function margins(F: Matrix<Float64Array>, labels: Int32Array): Float64Array {
  return headValue('margin', F, labels).loss;
}

export function multiTargeted(model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, opts: MultiTargetedOptions): AttackOutcome {
  const { eps, steps = 1 } = opts;
  checkEps(eps);
  checkCount(steps, 'multi-targeted steps');
  const k = model.outputs, b = X.rows, d = X.cols;
  checkLabels(labels, k, b);
  const nT = Math.min(opts.targets ?? k, Math.max(1, k - 1));
  checkCount(nT, 'multi-targeted targets');
  const stepSize = opts.stepSize ?? 2.5 * eps / steps;

  // every class gradient in one pass (k = 1: the gradient of -y f)
  const wOf = (F: Matrix<Float64Array>): Matrix<Float64Array>[] => {
    if (k === 1) return [{ data: Float64Array.from(labels, (y) => -y), rows: b, cols: 1 }];
    return Array.from({ length: k }, (_, j) => {
      const w = { data: new Float64Array(b * k), rows: b, cols: k };
      for (let i = 0; i < b; i++) w.data[i * k + j] = 1;
      return w;
    });
  };
  let F: Matrix<Float64Array>, G: Matrix<Float64Array>[];
  if (!opts.cleanOutputs && model.forwardAndVjp) ({ F, G } = model.forwardAndVjp(X, wOf));
  else { F = opts.cleanOutputs ?? model.forward(X); G = model.vjp(X, wOf(F)); }
  const targets = rankedTargets(F, labels, nT);

  const adv = new Float64Array(X.data), broken = new Uint8Array(b), best = new Float64Array(b).fill(-Infinity);
  const cand = new Float64Array(b * d);
  for (let r = 0; r < targets.length; r++) {
    const t = targets[r];
    // the signed step on grad f_t - grad f_y, projected to the ball and the box
    for (let i = 0; i < b; i++) {
      const o = i * d;
      for (let p = 0; p < d; p++) {
        const v = k === 1 ? G[0].data[o + p] : G[t[i]].data[o + p] - G[labels[i]].data[o + p];
        cand[o + p] = clipTo(X.data[o + p] + eps * (v > 0 ? 1 : v < 0 ? -1 : 0), X.data[o + p] - eps, X.data[o + p] + eps);
      }
    }
    const Fc = model.forward({ data: cand, rows: b, cols: d });
    keep(cand, Fc, labels, Array.from({ length: b }, (_, i) => i), d, adv, broken, best);
    if (steps > 1) refine(model, X, labels, t, cand, steps - 1, stepSize, eps, adv, broken, best);
    opts.onTarget?.(r + 1, targets.length);
  }
  return { adversarial: { data: adv, rows: b, cols: d }, broken };
}

/** Keep, per point, a misclassified candidate, or the one with the largest untargeted margin. */
function keep(cand: Float64Array, F: Matrix<Float64Array>, labels: Int32Array, rows: number[], d: number, adv: Float64Array, broken: Uint8Array, best: Float64Array): void {
  const lab = gatherInt(labels, rows), mis = misclassified(F, lab), mg = margins(F, lab);
  rows.forEach((i, j) => {
    if (broken[i]) return;
    if (mis[j] || mg[j] > best[i]) {
      adv.set(cand.subarray(j * d, j * d + d), i * d);
      best[i] = mg[j];
      if (mis[j]) broken[i] = 1;
    }
  });
}

/** PGD on the targeted margin f_t - f_y from the one-step points, for the points not yet broken. */
function refine(
  model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, t: Int32Array, start: Float64Array,
  steps: number, stepSize: number, eps: number, adv: Float64Array, broken: Uint8Array, best: Float64Array,
): void {
  const d = X.cols;
  const rows: number[] = [];
  for (let i = 0; i < X.rows; i++) if (!broken[i]) rows.push(i);
  if (!rows.length) return;
  const x0 = gatherRows(X, rows).data, x = gatherRows({ data: start, rows: X.rows, cols: d }, rows).data;
  const lab = gatherInt(labels, rows), tg = gatherInt(t, rows);
  for (let s = 0; s < steps; s++) {
    const { grad } = headGradient(model, { data: x, rows: rows.length, cols: d }, 'margin-targeted', lab, tg);
    for (let q = 0; q < x.length; q++) {
      const gq = grad.data[q];
      x[q] = clipTo(x[q] + stepSize * (gq > 0 ? 1 : gq < 0 ? -1 : 0), x0[q] - eps, x0[q] + eps);
    }
    keep(x, model.forward({ data: x, rows: rows.length, cols: d }), labels, rows, d, adv, broken, best);
  }
}
