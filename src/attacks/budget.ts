// Shared pieces of the iterative attacks: the L-inf ball and [0, 1] box, per-point seeded
// random starts, row gathers, a loss-and-gradient evaluation through DifferentiableModel, and
// the result every attack returns.
import type { Matrix } from '../linalg/matrix.js';
import { mulberry32 } from '../data/rng.js';
import type { DifferentiableModel } from './model.js';
import { headValue, type HeadLoss } from './heads.js';

export interface AttackOutcome {
  /** b x d adversarial points: for a broken point one that the model misclassifies, else the best (highest-loss) point found. */
  adversarial: Matrix<Float64Array>;
  /** 1 where the attack found a misclassified point. */
  broken: Uint8Array;
}

export interface SeedOptions {
  /** Seed of the random starts; each point draws from its own stream (seed, id, restart), so results do not depend on batching. */
  seed?: number;
  /** Global ids of the rows (default 0..b-1), naming each point's random stream. */
  ids?: Int32Array;
}

/** Clip v to [lo, hi] intersected with [0, 1]. */
export const clipTo = (v: number, lo: number, hi: number) => {
  v = v < lo ? lo : v > hi ? hi : v;
  return v < 0 ? 0 : v > 1 ? 1 : v;
};

/** Uniform start in the eps-ball around x0 (clipped to [0, 1]) from the point's own stream. */
export function randomStart(x0: Float64Array, o: number, d: number, eps: number, seed: number, id: number, restart: number, out: Float64Array, oo: number): void {
  const r = mulberry32((seed ^ Math.imul(id + 1, 0x9e3779b1) ^ Math.imul(restart + 1, 0x85ebca6b)) >>> 0);
  for (let p = 0; p < d; p++) out[oo + p] = clipTo(x0[o + p] + eps * (2 * r() - 1), x0[o + p] - eps, x0[o + p] + eps);
}

export function gatherRows(X: Matrix<Float64Array>, rows: ArrayLike<number>): Matrix<Float64Array> {
  const d = X.cols, out = new Float64Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(X.data.subarray(rows[i] * d, rows[i] * d + d), i * d);
  return { data: out, rows: rows.length, cols: d };
}

export function gatherInt(a: Int32Array, rows: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: rows.length }, (_, i) => a[rows[i]]);
}

/** Loss values, input gradients and outputs of a head at X, in one fused pass when the model offers it. */
export function headGradient(
  model: DifferentiableModel, X: Matrix<Float64Array>, head: HeadLoss, labels: Int32Array, targets?: Int32Array,
): { F: Matrix<Float64Array>; loss: Float64Array; grad: Matrix<Float64Array> } {
  let loss: Float64Array | null = null;
  const wOf = (F: Matrix<Float64Array>) => { const h = headValue(head, F, labels, targets); loss = h.loss; return [h.w]; };
  if (model.forwardAndVjp) {
    const { F, G } = model.forwardAndVjp(X, wOf);
    return { F, loss: loss!, grad: G[0] };
  }
  const F = model.forward(X);
  const G = model.vjp(X, wOf(F));
  return { F, loss: loss!, grad: G[0] };
}

export function checkEps(eps: number): void {
  if (!Number.isFinite(eps) || eps < 0) throw new RangeError(`eps must be a finite number >= 0, got ${eps}`);
}

export function checkCount(v: number, what: string, min = 1): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${v}`);
}
