// The main job: fit the infinitely wide net (kernel regression, no training of any net) and
// attack it through the closed-form input gradient of its kernel: FGSM, PGD, APGD-CE/DLR,
// APGD-T, the multi-targeted attack and their worst-case ensemble ('auto').
// Browser-safe: data in, report and adversarial sets out; the CLI adds files and progress.
import type { Matrix } from '../linalg/matrix.js';
import { engine } from '../engine.js';
import type { KernelOps } from '../machines/kernel_ops.js';
import { fitKernelMachine, type FitOptions } from '../machines/kernel_regression.js';
import { kernelMachineModel, type DifferentiableModel } from '../attacks/model.js';
import { decisions, accuracy } from '../attacks/fgsm_pgd.js';
import type { AttackLoss } from '../attacks/losses.js';
import { runMethods, type AttackMethod, type AttackSettings, type MethodCost, type MemberReport } from './attack_methods.js';

export { ATTACK_METHODS, ENSEMBLE_DEFAULT, type AttackMethod } from './attack_methods.js';

export interface AttackExperimentOptions {
  eps: number[];
  methods: AttackMethod[];
  losses: AttackLoss[];
  pgdSteps: number;
  pgdStepSize: number;
  randomStart: boolean;
  /** APGD iterations per restart and target (default 100). */
  iters?: number;
  /** APGD restarts (default 1). */
  restarts?: number;
  /** APGD-T and multi-targeted: wrong classes tried per point (default 9). */
  targets?: number;
  /** Multi-targeted: signed steps per target (default 1). */
  mtSteps?: number;
  /** Members of 'auto', in the order they run (default ENSEMBLE_DEFAULT). */
  ensemble?: Exclude<AttackMethod, 'auto'>[];
  /** Budgets at which apgd-* and auto run (default every eps; the CLI passes --eps, not the curve's extra budgets). */
  strongEps?: number[];
  /** Attack the true test labels (authors' code) or the machine's own predictions. */
  labelMode: 'true' | 'predicted';
  fit: FitOptions;
  /** Test points per block, bounding memory: cross-kernels are batch x n. */
  batch: number;
  seed: number;
}

export interface AttackResult {
  method: AttackMethod;
  /** fgsm/pgd: the --loss objective; others their own ('ce', 'dlr', 'dlr-targeted', 'margin', 'worst-case'). */
  loss: AttackLoss | 'dlr' | 'dlr-targeted' | 'margin' | 'worst-case';
  eps: number;
  robustAccuracy: number;
  /** Fraction of points the attack flipped among those classified correctly when clean. */
  successRate: number;
  seconds: number;
  adversarial: Float64Array;
  predictions: Int32Array;
  /** Model evaluations the attack spent (point-rows through forward and VJP passes). */
  cost: MethodCost;
  /** 'auto' only: per member, the points it attacked and broke, in order. */
  members?: MemberReport[];
  /** 'auto' only: per test point, the member that broke it (index into members), -1 none, -2 misclassified when clean. */
  brokenBy?: Int16Array;
}

export interface AttackExperimentResult {
  cleanAccuracy: number;
  trainAccuracy: number;
  cleanPredictions: Int32Array;
  attackLabels: Int32Array;
  results: AttackResult[];
  timings: { gramSeconds: number; solveSeconds: number; predictSeconds: number; attackSeconds: number };
}

export type Progress = (done: number, total: number, label: string) => void;

function rows(X: Matrix<Float64Array>, lo: number, hi: number): Matrix<Float64Array> {
  return { data: X.data.subarray(lo * X.cols, hi * X.cols), rows: hi - lo, cols: X.cols };
}

/** Targets for regression: one-hot rows (k > 1) or the -1/+1 labels themselves (k = 1). */
export function targets(labels: Int32Array, k: number): Matrix<Float64Array> {
  const Y = { data: new Float64Array(labels.length * k), rows: labels.length, cols: k };
  for (let i = 0; i < labels.length; i++) {
    if (k === 1) Y.data[i] = labels[i];
    else Y.data[i * k + labels[i]] = 1;
  }
  return Y;
}

export function runAttackExperiment(
  kernel: KernelOps, train: { X: Matrix<Float64Array>; labels: Int32Array }, test: { X: Matrix<Float64Array>; labels: Int32Array },
  k: number, opts: AttackExperimentOptions, progress: Progress = () => {},
): AttackExperimentResult {
  // The training set stays in wasm memory for the whole run: every cross-kernel and VJP reads
  // it, and copying n x d values in per call (62 MB for 10k MNIST) cost seconds in all.
  const resident = engine().from(train.X.data instanceof Float64Array ? train.X.data : Float64Array.from(train.X.data));
  try {
    const X = { get data() { return resident.data; }, rows: train.X.rows, cols: train.X.cols };
    return runOn(kernel, { X, labels: train.labels }, test, k, opts, progress);
  } finally {
    resident.free();
  }
}

function runOn(
  kernel: KernelOps, train: { X: Matrix<Float64Array>; labels: Int32Array }, test: { X: Matrix<Float64Array>; labels: Int32Array },
  k: number, opts: AttackExperimentOptions, progress: Progress,
): AttackExperimentResult {
  const now = () => performance.now() / 1000;
  const m = test.X.rows, d = test.X.cols, B = Math.max(1, opts.batch);
  progress(0, train.X.rows, 'Gram');
  // the Gram lives (and is factored) in wasm memory only
  const machine = fitKernelMachine(kernel, train.X, targets(train.labels, k), { ...opts.fit, onProgress: (done, total) => progress(done, total, 'Gram') });
  const trainPred = decisions(machine.trainOutputs);
  const { gram: gramSeconds, solve: solveSeconds } = machine.seconds;
  const model = kernelMachineModel(machine);
  return attackModel(model, test, k, opts, progress, { trainAccuracy: accuracy(trainPred, train.labels), gramSeconds, solveSeconds });
}

/**
 * Attacks any DifferentiableModel (a kernel machine or a trained net) on the test set with
 * every requested method, objective and budget; `fitted` carries what the fit measured.
 */
export function attackModel(
  model: DifferentiableModel, test: { X: Matrix<Float64Array>; labels: Int32Array }, k: number,
  opts: Omit<AttackExperimentOptions, 'fit'>, progress: Progress, fitted: { trainAccuracy: number; gramSeconds: number; solveSeconds: number },
): AttackExperimentResult {
  const now = () => performance.now() / 1000;
  const m = test.X.rows, d = test.X.cols, B = Math.max(1, opts.batch);
  const { gramSeconds, solveSeconds } = fitted;

  let t0 = now();
  const cleanPredictions = new Int32Array(m);
  const cleanF = { data: new Float64Array(m * k), rows: m, cols: k };
  for (let lo = 0; lo < m; lo += B) {
    const hi = Math.min(m, lo + B);
    const F = model.forward(rows(test.X, lo, hi));
    cleanF.data.set(F.data, lo * k);
    cleanPredictions.set(decisions(F), lo);
    progress(hi, m, 'clean predictions');
  }
  const predictSeconds = now() - t0;
  const attackLabels = opts.labelMode === 'predicted' ? cleanPredictions : test.labels;

  const settings: AttackSettings = {
    pgdSteps: opts.pgdSteps, pgdStepSize: opts.pgdStepSize, randomStart: opts.randomStart, iters: opts.iters ?? 100,
    restarts: opts.restarts ?? 1, targets: opts.targets ?? 9, mtSteps: opts.mtSteps ?? 1, seed: opts.seed,
    ensemble: opts.ensemble, strongEps: opts.strongEps,
  };
  const tAttack = now();
  const results: AttackResult[] = runMethods(model, test.X, attackLabels, cleanF, k, opts.methods, opts.losses, opts.eps, settings, B, progress)
    .map((r) => {
      const predictions = new Int32Array(m);
      for (let lo = 0; lo < m; lo += B) predictions.set(decisions(model.forward(rows({ data: r.adversarial, rows: m, cols: d }, lo, Math.min(m, lo + B)))), lo);
      let flipped = 0, correct = 0;
      for (let i = 0; i < m; i++) if (cleanPredictions[i] === test.labels[i]) { correct++; if (predictions[i] !== test.labels[i]) flipped++; }
      return { ...r, robustAccuracy: accuracy(predictions, test.labels), successRate: correct ? flipped / correct : 0, predictions };
    });
  return {
    cleanAccuracy: accuracy(cleanPredictions, test.labels),
    trainAccuracy: fitted.trainAccuracy,
    cleanPredictions, attackLabels, results,
    timings: { gramSeconds, solveSeconds, predictSeconds, attackSeconds: now() - tAttack },
  };
}
