// APGD (Croce & Hein 2020, Algorithm 1) under an L-inf budget with the [0, 1] box, for any
// DifferentiableModel. Step size starts at 2 eps; momentum alpha = 0.75; at checkpoints
// w_j = ceil(p_j N) (p_0 = 0, p_1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)) a
// point halves its step and restarts from its best point when (1) fewer than rho = 0.75 of
// the steps since the last checkpoint raised the loss, or (2) its step was not halved at the
// last checkpoint and its best loss has not improved since. Restart 0 starts at the clean
// point, so its first iterate is the FGSM point of the same loss (the attack can only be
// stronger than FGSM); later restarts start uniformly in the ball. A point leaves the run once
// misclassified (the misclassified iterate is kept).
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from './model.js';
import { misclassified, type HeadLoss, isTargeted } from './heads.js';
import { checkLabels } from './losses.js';
import { type AttackOutcome, type SeedOptions, checkCount, checkEps, clipTo, gatherRows, headGradient, randomStart } from './budget.js';

export interface ApgdOptions extends SeedOptions {
  eps: number;
  /** 'ce' (APGD-CE), 'dlr' (APGD-DLR) or 'dlr-targeted' (with `targets`); margins also work. */
  loss?: HeadLoss;
  /** Iterations per restart (default 100). */
  iters?: number;
  /** Runs per point; restart r > 0 starts at a random point of the ball (default 1). */
  restarts?: number;
  /** Target class per point for targeted losses. */
  targets?: Int32Array;
  /** Fraction of loss-raising steps below which the step halves (default 0.75). */
  rho?: number;
  /** Called after each iteration with (iterations done, total) for progress. */
  onIter?: (done: number, total: number) => void;
}

/** Checkpoint iterations w_j = ceil(p_j N) for N iterations (w_0 = 0 excluded). */
export function apgdCheckpoints(iters: number): number[] {
  const out: number[] = [];
  let prev = 0, p = 0.22;
  // the 1e-9 keeps float noise (0.41 * 100 = 41.000000000000004) from moving a checkpoint
  while (Math.ceil(p * iters - 1e-9) <= iters) {
    const w = Math.ceil(p * iters - 1e-9);
    if (w > 0 && (out.length === 0 || w > out[out.length - 1])) out.push(w);
    const next = p + Math.max(p - prev - 0.03, 0.06);
    prev = p; p = next;
  }
  return out;
}

export function apgd(model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, opts: ApgdOptions): AttackOutcome {
  const { eps, loss = 'ce', iters = 100, restarts = 1, seed = 0, rho = 0.75 } = opts;
  checkEps(eps);
  checkCount(iters, 'APGD iterations');
  checkCount(restarts, 'APGD restarts');
  checkLabels(labels, model.outputs, X.rows);
  if (isTargeted(loss) && opts.targets?.length !== X.rows) throw new RangeError(`APGD ${loss}: needs one target class per point`);
  const b = X.rows, d = X.cols;
  const ids = opts.ids ?? Int32Array.from({ length: b }, (_, i) => i);
  const adv = new Float64Array(X.data), broken = new Uint8Array(b), bestLoss = new Float64Array(b).fill(-Infinity);
  for (let r = 0; r < restarts; r++) {
    const todo: number[] = [];
    for (let i = 0; i < b; i++) if (!broken[i]) todo.push(i);
    if (!todo.length) break;
    run(model, X, labels, todo, { ...opts, eps, loss, iters, seed, rho }, ids, r, adv, broken, bestLoss, (it) => opts.onIter?.(r * iters + it, restarts * iters));
  }
  return { adversarial: { data: adv, rows: b, cols: d }, broken };
}

/** One APGD run on the points `todo`; writes each point's result into adv/broken/bestLoss if better. */
function run(
  model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, todo: number[],
  o: Required<Pick<ApgdOptions, 'eps' | 'loss' | 'iters' | 'seed' | 'rho'>> & ApgdOptions,
  ids: Int32Array, restart: number, adv: Float64Array, broken: Uint8Array, bestLoss: Float64Array, onIter: (it: number) => void,
): void {
  const m = todo.length, d = X.cols, { eps, iters, rho } = o;
  const x0 = gatherRows(X, todo).data;
  const x = new Float64Array(m * d), xOld = new Float64Array(m * d), g = new Float64Array(m * d);
  const xBest = new Float64Array(m * d), gBest = new Float64Array(m * d);
  if (restart === 0) x.set(x0);
  else for (let i = 0; i < m; i++) randomStart(x0, i * d, d, eps, o.seed, ids[todo[i]], restart, x, i * d);
  const lab = Int32Array.from(todo, (i) => labels[i]);
  const tgt = o.targets ? Int32Array.from(todo, (i) => o.targets![i]) : undefined;
  const step = new Float64Array(m).fill(2 * eps);
  const lossBest = new Float64Array(m), lossPrev = new Float64Array(m), lossBestAtCheck = new Float64Array(m);
  const raised = new Int32Array(m), reducedAtCheck = new Uint8Array(m).fill(1), found = new Uint8Array(m);
  let live = Array.from({ length: m }, (_, i) => i);

  /** Evaluate the live points at x: record misclassified ones, return their losses (indexed like live). */
  const evaluate = () => {
    const Xl = gatherRows({ data: x, rows: m, cols: d }, live);
    const { F, loss, grad } = headGradient(model, Xl, o.loss, Int32Array.from(live, (p) => lab[p]), tgt && Int32Array.from(live, (p) => tgt[p]));
    const mis = misclassified(F, Int32Array.from(live, (p) => lab[p]));
    live.forEach((p, j) => {
      g.set(grad.data.subarray(j * d, j * d + d), p * d);
      if (mis[j]) { found[p] = 1; adv.set(x.subarray(p * d, p * d + d), todo[p] * d); broken[todo[p]] = 1; }
    });
    return loss;
  };

  let L = evaluate();
  live.forEach((p, j) => { lossBest[p] = lossPrev[p] = lossBestAtCheck[p] = L[j]; });
  xBest.set(x); gBest.set(g);
  xOld.set(x);
  live = live.filter((p) => !found[p]);
  const checkpoints = new Set(apgdCheckpoints(iters));
  let sinceCheck = 0;
  for (let it = 0; it < iters && live.length; it++) {
    const a = it === 0 ? 1 : 0.75;
    for (const p of live) {
      const off = p * d;
      for (let q = off; q < off + d; q++) {
        const lo = x0[q] - eps, hi = x0[q] + eps, gq = g[q];
        const z = clipTo(x[q] + step[p] * (gq > 0 ? 1 : gq < 0 ? -1 : 0), lo, hi);
        const mom = x[q] - xOld[q];
        xOld[q] = x[q];
        x[q] = clipTo(x[q] + a * (z - x[q]) + (1 - a) * mom, lo, hi);
      }
    }
    L = evaluate();
    live.forEach((p, j) => {
      if (L[j] > lossPrev[p]) raised[p]++;
      lossPrev[p] = L[j];
      if (L[j] > lossBest[p]) {
        lossBest[p] = L[j];
        xBest.set(x.subarray(p * d, p * d + d), p * d);
        gBest.set(g.subarray(p * d, p * d + d), p * d);
      }
    });
    sinceCheck++;
    if (checkpoints.has(it + 1)) {
      for (const p of live) {
        const osc = raised[p] < rho * sinceCheck;
        const stalled = !reducedAtCheck[p] && lossBest[p] <= lossBestAtCheck[p];
        const reduce = osc || stalled;
        reducedAtCheck[p] = reduce ? 1 : 0;
        lossBestAtCheck[p] = lossBest[p];
        raised[p] = 0;
        if (reduce) {
          step[p] /= 2;
          x.set(xBest.subarray(p * d, p * d + d), p * d);
          g.set(gBest.subarray(p * d, p * d + d), p * d);
        }
      }
      sinceCheck = 0;
    }
    live = live.filter((p) => !found[p]);
    onIter(it + 1);
  }
  // points never misclassified keep their highest-loss point across restarts
  for (let p = 0; p < m; p++) {
    const i = todo[p];
    if (found[p] || broken[i] || lossBest[p] <= bestLoss[i]) continue;
    bestLoss[i] = lossBest[p];
    adv.set(xBest.subarray(p * d, p * d + d), i * d);
  }
}
