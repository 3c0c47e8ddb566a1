// The main job: fit the infinitely wide net (kernel regression, no training of any net) and
// attack it with FGSM/PGD through the closed-form input gradient of its kernel.
// Browser-safe: data in, report and adversarial sets out; the CLI adds files and progress.
import type { Matrix } from '../linalg/matrix.js';
import { engine } from '../engine.js';
import { mulberry32 } from '../data/rng.js';
import type { KernelOps } from '../machines/kernel_ops.js';
import { fitKernelMachine, type FitOptions } from '../machines/kernel_regression.js';
import { kernelMachineModel, type DifferentiableModel } from '../attacks/model.js';
import { fgsm, pgd, decisions, accuracy } from '../attacks/fgsm_pgd.js';
import type { AttackLoss } from '../attacks/losses.js';

export type AttackMethod = 'fgsm' | 'pgd';

export interface AttackExperimentOptions {
  eps: number[];
  methods: AttackMethod[];
  losses: AttackLoss[];
  pgdSteps: number;
  pgdStepSize: number;
  randomStart: boolean;
  /** Attack the true test labels (authors' code) or the machine's own predictions. */
  labelMode: 'true' | 'predicted';
  fit: FitOptions;
  /** Test points per block, bounding memory: cross-kernels are batch x n. */
  batch: number;
  seed: number;
}

export interface AttackResult {
  method: AttackMethod;
  loss: AttackLoss;
  eps: number;
  robustAccuracy: number;
  /** Fraction of points the attack flipped among those classified correctly when clean. */
  successRate: number;
  seconds: number;
  adversarial: Float64Array;
  predictions: Int32Array;
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

  const combos: { method: AttackMethod; loss: AttackLoss; eps: number }[] = [];
  for (const method of opts.methods) for (const loss of k === 1 ? (['ce'] as AttackLoss[]) : opts.losses) for (const eps of opts.eps) combos.push({ method, loss, eps });
  const costOf = (c: { method: AttackMethod }) => (c.method === 'pgd' ? opts.pgdSteps : 1);
  const totalWork = combos.reduce((s, c) => s + costOf(c) * m, 0);
  let work = 0;
  const results: AttackResult[] = [];
  const tAttack = now();
  for (const c of combos) {
    const ts = now();
    const adversarial = new Float64Array(m * d);
    const predictions = new Int32Array(m);
    const random = mulberry32(opts.seed ^ 0x9e3779b9);
    const label = `attacks (${c.method}${c.loss === "ce" ? "" : `/${c.loss}`} eps=${Number(c.eps.toPrecision(4))})`;
    for (let lo = 0; lo < m; lo += B) {
      const hi = Math.min(m, lo + B);
      const Xb = rows(test.X, lo, hi), yb = attackLabels.subarray(lo, hi), cleanOutputs = rows(cleanF, lo, hi);
      const adv = c.eps === 0
        ? Xb
        : c.method === 'fgsm'
          ? fgsm(model, Xb, yb, { eps: c.eps, loss: c.loss, cleanOutputs })
          : pgd(model, Xb, yb, { eps: c.eps, loss: c.loss, cleanOutputs, steps: opts.pgdSteps, stepSize: opts.pgdStepSize, randomStart: opts.randomStart, random },
              () => progress(work += hi - lo, totalWork, label));
      if (c.method === 'fgsm') progress(work += hi - lo, totalWork, label);
      adversarial.set(adv.data, lo * d);
      predictions.set(decisions(model.forward(adv)), lo);
    }
    let flipped = 0, correct = 0;
    for (let i = 0; i < m; i++) if (cleanPredictions[i] === test.labels[i]) { correct++; if (predictions[i] !== test.labels[i]) flipped++; }
    results.push({ ...c, robustAccuracy: accuracy(predictions, test.labels), successRate: correct ? flipped / correct : 0, seconds: now() - ts, adversarial, predictions });
  }
  return {
    cleanAccuracy: accuracy(cleanPredictions, test.labels),
    trainAccuracy: fitted.trainAccuracy,
    cleanPredictions, attackLabels, results,
    timings: { gramSeconds, solveSeconds, predictSeconds, attackSeconds: now() - tAttack },
  };
}
