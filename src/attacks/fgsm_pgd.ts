// FGSM and PGD (BIM/Madry) under an L-inf budget with [0, 1] box clipping, for any
// DifferentiableModel. The returned points never leave the eps-ball around x0 nor [0, 1].
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from './model.js';
import { objectiveGradient, type AttackLoss } from './losses.js';

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

export function pgd(
  model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, opts: PgdOptions,
  onStep?: (step: number, steps: number) => void,
): Matrix<Float64Array> {
  const { eps, steps = 10, stepSize = 0.01, randomStart = false, loss = 'ce' } = opts;
  checkBudget(eps);
  checkBudget(stepSize, 'PGD step size');
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`PGD steps must be a positive integer, got ${steps}`);
  let x = X.data;
  if (randomStart) {
    const r = opts.random ?? Math.random;
    x = new Float64Array(X.data.length);
    for (let i = 0; i < x.length; i++) x[i] = clip01(X.data[i] + eps * (2 * r() - 1));
  }
  for (let s = 0; s < steps; s++) {
    const known = s === 0 && !randomStart ? opts.cleanOutputs : undefined;
    const { grad } = objectiveGradient(model, { data: x, rows: X.rows, cols: X.cols }, labels, loss, stepSize, known);
    x = signedStep(x, X.data, grad.data, stepSize, eps);
    onStep?.(s + 1, steps);
  }
  return { data: x, rows: X.rows, cols: X.cols };
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
