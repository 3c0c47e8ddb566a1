// Kernels built from robust features only (paper App. D.3, spec §5): rank the one-feature
// predictors by robust accuracy on a validation split, then for m = 1..M keep the m most
// robust features (with their own eigenvalues), f^(m) = sum of those features, and report
// its clean accuracy, its accuracy under its own FGSM, and under the whole kernel's FGSM.
import type { Matrix } from '../linalg/matrix.js';
import { accuracy, decisions, fgsm } from '../attacks/fgsm_pgd.js';
import { kernelMachineModel } from '../attacks/model.js';
import type { EigenFeatures } from './eigen_features.js';
import { attackMembers } from './attack_members.js';
import { fullMachine, machineOutputs, memberCoefficients, memberOutputs, projections } from './members.js';

export interface LabelledSet { X: Matrix<Float64Array>; labels: Int32Array }

export interface RobustKernelOptions {
  eps: number;
  /** Largest number of features kept (default: all in the set). */
  maxFeatures?: number;
  batch?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface RobustKernelResult {
  /** Eigen-indices in the order of decreasing validation robustness. */
  ranking: number[];
  /** Per ranked feature: validation clean and robust accuracy. */
  validation: { index: number; eigenvalue: number; clean: number; robust: number }[];
  /** Per m = 1..M: the m-feature kernel's test accuracies. */
  curve: { m: number; clean: number; robust: number; transfer: number }[];
  /** The whole kernel on the same test points. */
  full: { clean: number; robust: number };
  seconds: { validation: number; curve: number; transfer: number };
}

export function robustKernelCurve(fs: EigenFeatures, val: LabelledSet, test: LabelledSet, opts: RobustKernelOptions): RobustKernelResult {
  const s = fs.indices.length, M = Math.min(s, opts.maxFeatures ?? s);
  if (!(Number.isInteger(M) && M >= 1)) throw new RangeError(`robust kernel: the number of features kept must be >= 1, got ${opts.maxFeatures}`);
  const now = () => performance.now() / 1000;
  let t0 = now();
  const singles = Array.from({ length: s }, (_, p) => [p]);
  const v = attackMembers(fs, singles, val.X, val.labels, { eps: opts.eps, batch: opts.batch, onProgress: opts.onProgress });
  const acc = (F: Matrix<Float64Array>, labels: Int32Array) => accuracy(decisions(F), labels);
  const stats = singles.map((_, p) => ({ p, clean: acc(v.clean[p], val.labels), robust: acc(v.adversarial?.[p] ?? v.clean[p], val.labels) }));
  // most robust first; ties by clean accuracy, then by eigen-index
  stats.sort((a, b) => b.robust - a.robust || b.clean - a.clean || a.p - b.p);
  const tVal = now() - t0;
  t0 = now();
  const members = Array.from({ length: M }, (_, m) => stats.slice(0, m + 1).map((x) => x.p));
  const r = attackMembers(fs, members, test.X, test.labels, { eps: opts.eps, batch: opts.batch, onProgress: opts.onProgress });
  const tCurve = now() - t0;
  t0 = now();
  // the whole kernel's FGSM points, once, then every m-feature kernel on them
  const model = kernelMachineModel(fullMachine(fs));
  const xadv = fgsm(model, test.X, test.labels, { eps: opts.eps, cleanOutputs: r.machine });
  const P = projections(fs, xadv);
  const tTransfer = now() - t0;
  return {
    ranking: stats.slice(0, M).map((x) => fs.indices[x.p]),
    validation: stats.map((x) => ({ index: fs.indices[x.p], eigenvalue: fs.values[x.p], clean: x.clean, robust: x.robust })),
    curve: members.map((mb, j) => ({
      m: j + 1,
      clean: acc(r.clean[j], test.labels),
      robust: acc(r.adversarial?.[j] ?? r.clean[j], test.labels),
      transfer: acc(memberOutputs(P, memberCoefficients(fs, mb)), test.labels),
    })),
    full: { clean: acc(r.machine, test.labels), robust: acc(machineOutputs(P, fs.outputs), test.labels) },
    seconds: { validation: tVal, curve: tCurve, transfer: tTransfer },
  };
}
