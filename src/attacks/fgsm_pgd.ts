// FGSM and PGD (BIM/Madry) under an L-inf budget with [0, 1] box clipping, for any
// DifferentiableModel. The returned points never leave the eps-ball around x0 nor [0, 1].
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from './model.js';
import { objectiveGradient, type AttackLoss } from './losses.js';
import { headValue, misclassified } from './heads.js';
import type { AttackOutcome } from './budget.js';

export interface FgsmOptions {
  eps: number;
  loss?: AttackLoss;
  /** The model's outputs at the clean inputs, if already computed (skips one forward pass). */
  cleanOutputs?: Matrix<Float64Array>;
}

export interface PgdOptions extends FgsmOptions {
  steps?: number;
  /** Step size; default 0.01 (the authors' kernel setting: 10 steps of 0.01). */
  stepSize?: number;
  /** Uniform random start in the eps-ball. */
  randomStart?: boolean;
  /** Seeded generator in [0, 1) for the random start. */
  random?: () => number;
}

export function checkBudget(eps: number, what = 'eps'): void {
  if (!Number.isFinite(eps) || eps < 0) throw new RangeError(`${what} must be a finite number >= 0, got ${eps}`);
}

const clip01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);
const sign = (v: number) => (v > 0 ? 1 : v < 0 ? -1 : 0);

/** One signed step from x, projected to the eps-ball around x0 and to [0, 1]. */
export function signedStep(x: Float64Array, x0: Float64Array, g: Float64Array, step: number, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const lo = x0[i] - eps, hi = x0[i] + eps;
    let v = x[i] + step * sign(g[i]);
    v = v < lo ? lo : v > hi ? hi : v;
    out[i] = clip01(v);
  }
  return out;
}

export function fgsm(model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, opts: FgsmOptions): Matrix<Float64Array> {
  checkBudget(opts.eps);
  const { grad } = objectiveGradient(model, X, labels, opts.loss ?? 'ce', opts.eps, opts.cleanOutputs);
  return { data: signedStep(X.data, X.data, grad.data, opts.eps, opts.eps), rows: X.rows, cols: X.cols };
}

/**
 * PGD that keeps, per point, the best point it visits: a misclassified one if any, else the one
 * with the highest loss (the objective's margin for max-of-k / sum-of-k). The FGSM point of the
 * same loss is one of the candidates, so PGD's robust accuracy is never above FGSM's on the
 * same points (without a random start the first gradient is FGSM's; the check costs one forward).
 */
export function pgd(
  model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, opts: PgdOptions,
  onStep?: (step: number, steps: number) => void,
): Matrix<Float64Array> {
  return pgdOutcome(model, X, labels, opts, onStep).adversarial;
}

/** PGD with the per-point flag of whether a misclassified point was found. */
export function pgdOutcome(
  model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, opts: PgdOptions,
  onStep?: (step: number, steps: number) => void,
): AttackOutcome {
  const { eps, steps = 10, stepSize = 0.01, randomStart = false, loss = 'ce' } = opts;
  checkBudget(eps);
  checkBudget(stepSize, 'PGD step size');
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`PGD steps must be a positive integer, got ${steps}`);
  const b = X.rows, d = X.cols;
  const adv = new Float64Array(X.data), broken = new Uint8Array(b), best = new Float64Array(b).fill(-Infinity);
  // rank candidates: misclassified first, then the loss (CE / logistic) or the margin
  const consider = (x: Float64Array, F: Matrix<Float64Array>) => {
    const mis = misclassified(F, labels), val = headValue(loss === 'ce' ? 'ce' : 'margin', F, labels).loss;
    for (let i = 0; i < b; i++) {
      if (broken[i] || !(mis[i] || val[i] > best[i])) continue;
      adv.set(x.subarray(i * d, i * d + d), i * d);
      best[i] = val[i];
      if (mis[i]) broken[i] = 1;
    }
  };
  let x = X.data;
  if (randomStart) {
    const r = opts.random ?? Math.random;
    x = new Float64Array(X.data.length);
    for (let i = 0; i < x.length; i++) x[i] = clip01(X.data[i] + eps * (2 * r() - 1));
  }
  const fgsmPoint = (g: Float64Array) => {
    const xf = signedStep(X.data, X.data, g, eps, eps);
    consider(xf, model.forward({ data: xf, rows: b, cols: d }));
  };
  if (randomStart) fgsmPoint(objectiveGradient(model, X, labels, loss, eps, opts.cleanOutputs).grad.data);
  for (let s = 0; s < steps; s++) {
    const known = s === 0 && !randomStart ? opts.cleanOutputs : undefined;
    const { grad, outputs } = objectiveGradient(model, { data: x, rows: b, cols: d }, labels, loss, stepSize, known);
    if (s === 0 && !randomStart) fgsmPoint(grad.data);
    consider(x, outputs);
    x = signedStep(x, X.data, grad.data, stepSize, eps);
    onStep?.(s + 1, steps);
  }
  consider(x, model.forward({ data: x, rows: b, cols: d }));
  return { adversarial: { data: adv, rows: b, cols: d }, broken };
}

/** FGSM with the per-point flag of whether its point is misclassified. */
export function fgsmOutcome(model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, opts: FgsmOptions): AttackOutcome {
  const adversarial = fgsm(model, X, labels, opts);
  return { adversarial, broken: misclassified(model.forward(adversarial), labels) };
}

/** Class decisions: argmax for k > 1, sign (ties to +1) for k = 1. */
export function decisions(F: Matrix<Float64Array>): Int32Array {
  const out = new Int32Array(F.rows);
  for (let b = 0; b < F.rows; b++) {
    if (F.cols === 1) { out[b] = F.data[b] >= 0 ? 1 : -1; continue; }
    let best = 0;
    for (let j = 1; j < F.cols; j++) if (F.data[b * F.cols + j] > F.data[b * F.cols + best]) best = j;
    out[b] = best;
  }
  return out;
}

export function accuracy(pred: Int32Array, labels: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) ok++;
  return pred.length ? ok / pred.length : NaN;
}
