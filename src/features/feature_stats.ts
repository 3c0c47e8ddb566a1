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
  /** Accuracy under the stronger of FGSM and PGD on f_i per point (absent unless PGD ran). */
  robustnessPgd?: number;
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
      ...(res.pgd ? { robustnessPgd: accuracy(decisions(res.pgd[p]), labels) } : {}),
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

/** Thresholds of "useful but non-robust" (stated in features.json and the README). */
export interface UsefulNonRobustRule {
  /** Clean accuracy must exceed the majority share by this margin (absolute). */
  margin: number;
  /** Accuracy under attack at most this (the paper: robust only for gamma ~ 0). */
  robustAtMost: number;
}

/**
 * The rule for m test points: useful = clean accuracy above the majority share (a constant
 * guess) by max(0.02, two binomial standard errors of that share on m points), so a feature
 * at chance is not called useful by sampling noise; non-robust = accuracy under its own
 * attack at most 0.1 (paper Sec. 2.2 / App. A: useful, but gamma-robust only for gamma ~ 0).
 */
export function usefulNonRobustRule(labels: Int32Array): UsefulNonRobustRule {
  const p = majorityShare(labels), m = Math.max(1, labels.length);
  return { margin: Math.max(0.02, 2 * Math.sqrt((p * (1 - p)) / m)), robustAtMost: 0.1 };
}

/**
 * Useful but non-robust: clean accuracy above the majority share by the rule's margin, and
 * accuracy under its own attack (PGD's when it ran, else FGSM's) at most rule.robustAtMost.
 */
export function usefulNonRobust(stats: FeatureStat[], labels: Int32Array, rule: UsefulNonRobustRule = usefulNonRobustRule(labels)): FeatureStat[] {
  const base = majorityShare(labels);
  return stats.filter((s) => {
    const robust = s.robustnessPgd ?? s.robustness;
    return robust !== null && s.usefulness > base + rule.margin && robust <= rule.robustAtMost;
  });
}
