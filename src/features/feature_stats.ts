// Per-feature summary of an attackMembers run on single features: usefulness (clean
// accuracy), robustness (accuracy under its own FGSM), share of the machine's prediction,
// and which features are useful but not robust.
import type { Matrix } from '../linalg/matrix.js';
import { accuracy, decisions } from '../attacks/fgsm_pgd.js';
import type { EigenFeatures } from './eigen_features.js';
import type { MemberAttackResult } from './attack_members.js';

export interface FeatureStat {
  /** Eigen-index (0 = largest eigenvalue). */
  index: number;
  eigenvalue: number;
  /** Clean accuracy of f_i alone on the test points. */
  usefulness: number;
  /** Accuracy of f_i under FGSM computed on f_i itself (null when eps = 0). */
  robustness: number | null;
  /**
   * Share of the prediction: mean_x <f_i(x), f(x)> / mean_x |f(x)|^2 with f the whole machine.
   * Over all n features the shares sum to 1 exactly (they can be negative).
   */
  share: number;
  /** Fraction of test points the feature assigns to each class (binary: [-1, +1]). */
  predicted: number[];
}

function dot(A: Matrix<Float64Array>, B: Matrix<Float64Array>): number {
  let s = 0;
  for (let i = 0; i < A.data.length; i++) s += A.data[i] * B.data[i];
  return s;
}

/** Stats of single-feature members (member j = position j of the set). */
export function featureStats(fs: EigenFeatures, res: MemberAttackResult, labels: Int32Array): FeatureStat[] {
  const k = fs.outputs, ff = dot(res.machine, res.machine);
  return res.clean.map((F, p) => {
    const pred = decisions(F);
    const counts = new Array(k === 1 ? 2 : k).fill(0);
    for (const c of pred) counts[k === 1 ? (c > 0 ? 1 : 0) : c]++;
    return {
      index: fs.indices[p], eigenvalue: fs.values[p],
      usefulness: accuracy(pred, labels),
      robustness: res.adversarial ? accuracy(decisions(res.adversarial[p]), labels) : null,
      share: ff > 0 ? dot(F, res.machine) / ff : 0,
      predicted: counts.map((c) => c / Math.max(1, pred.length)),
    };
  });
}

/** Share of the majority class among the labels (the accuracy of a constant predictor). */
export function majorityShare(labels: Int32Array): number {
  const counts = new Map<number, number>();
  for (const y of labels) counts.set(y, (counts.get(y) ?? 0) + 1);
  return labels.length ? Math.max(...counts.values()) / labels.length : NaN;
}

/**
 * Useful but non-robust (paper Sec. 2.2: robust means accuracy under attack bounded away from
 * zero): clean accuracy at least `margin` above the majority share (better than a constant
 * guess), yet accuracy under its own attack at most `robustBelow` (default 0.1).
 */
export function usefulNonRobust(stats: FeatureStat[], labels: Int32Array, margin = 0.05, robustBelow = 0.1): FeatureStat[] {
  const base = majorityShare(labels);
  return stats.filter((s) => s.robustness !== null && s.usefulness >= base + margin && s.robustness <= robustBelow);
}
