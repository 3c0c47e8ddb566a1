// APGD-T (Croce & Hein 2020): APGD on the targeted DLR loss against each of the top `targets`
// wrong classes (default 9, or k - 1), ranked by the clean outputs, each run only on the
// points no earlier target broke. k < 4 uses the targeted margin f_t - f_y (DLR-T's scale
// needs four classes); a binary task has one target, the other class.
import type { Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from './model.js';
import { rankedTargets } from './heads.js';
import { apgd, type ApgdOptions } from './apgd.js';
import { type AttackOutcome, checkCount, gatherInt, gatherRows } from './budget.js';

export interface ApgdTargetedOptions extends Omit<ApgdOptions, 'loss' | 'targets' | 'onIter'> {
  /** Wrong classes attacked per point (default 9, capped at k - 1). */
  targets?: number;
  /** The model's outputs at X, if already computed (they rank the targets). */
  cleanOutputs?: Matrix<Float64Array>;
  onIter?: (done: number, total: number) => void;
}

export function apgdTargeted(model: DifferentiableModel, X: Matrix<Float64Array>, labels: Int32Array, opts: ApgdTargetedOptions): AttackOutcome {
  const k = model.outputs, b = X.rows, d = X.cols;
  const nT = Math.min(opts.targets ?? 9, Math.max(1, k - 1));
  checkCount(nT, 'APGD-T targets');
  const F = opts.cleanOutputs ?? model.forward(X);
  const ranked = rankedTargets(F, labels, nT);
  const ids = opts.ids ?? Int32Array.from({ length: b }, (_, i) => i);
  const adv = new Float64Array(X.data), broken = new Uint8Array(b);
  const iters = opts.iters ?? 100, restarts = opts.restarts ?? 1, per = iters * restarts;
  for (let r = 0; r < ranked.length; r++) {
    const rows: number[] = [];
    for (let i = 0; i < b; i++) if (!broken[i]) rows.push(i);
    if (!rows.length) break;
    const out = apgd(model, gatherRows(X, rows), gatherInt(labels, rows), {
      ...opts, loss: k === 1 ? 'margin' : 'dlr-targeted', targets: k === 1 ? undefined : gatherInt(ranked[r], rows),
      // each target draws its own random starts
      seed: ((opts.seed ?? 0) ^ Math.imul(r + 1, 0x27d4eb2f)) >>> 0, ids: gatherInt(ids, rows),
      onIter: (done) => opts.onIter?.(r * per + done, ranked.length * per),
    });
    // the last target's highest-loss point stands for a point no target broke
    rows.forEach((i, j) => {
      adv.set(out.adversarial.data.subarray(j * d, j * d + d), i * d);
      if (out.broken[j]) broken[i] = 1;
    });
  }
  return { adversarial: { data: adv, rows: b, cols: d }, broken };
}
