// Public, browser-safe entry. Node users import 'ntk-robustness/node' for files and threads.
export { engine, setEngine } from './engine.js';
export { Engine, WasmBuffer, type Dtype, type FloatArray } from '../bindings/engine.js';
export { OutOfMemoryError } from '../bindings/heap.js';
export { WorkerExitError, WorkerStalledError } from '../bindings/pool.js';
export type { WasmBuild } from '../bindings/select.js';
export * from "./linalg/matrix.js";
export { gemm, matmul, gemmRaw, gemmTiles, type GemmOptions } from "./linalg/gemm.js";
export { gram, gramRaw } from "./linalg/gram.js";
export { init } from './init.js';
export { createBrowserEngine, type BrowserEngineOptions } from '../bindings/browser.js';
// Kernel machines and attacks
export type { KernelOps } from './machines/kernel_ops.js';
export { solveAlpha, fitKernelMachine, predict, outputVjp, type KernelMachine, type FitOptions } from './machines/kernel_regression.js';
export { kernelMachineModel, type DifferentiableModel } from './attacks/model.js';
export { objectiveGradient, lossValues, softmax, sigmoid, ATTACK_LOSSES, type AttackLoss } from './attacks/losses.js';
export { fgsm, pgd, decisions, accuracy, signedStep, type FgsmOptions, type PgdOptions } from './attacks/fgsm_pgd.js';
export { apgd, type ApgdOptions } from './attacks/apgd.js';
export { apgdTargeted, type ApgdTargetedOptions } from './attacks/apgd_targeted.js';
export { multiTargeted, type MultiTargetedOptions } from './attacks/multi_targeted.js';
export { worstCase, type EnsembleMember, type EnsembleOutcome } from './attacks/ensemble.js';
export type { AttackOutcome } from './attacks/budget.js';
export type { HeadLoss } from './attacks/heads.js';
// Data (browser-safe parsers and transforms)
export { parseIdx, encodeIdx, type IdxArray, type IdxDtype, type IdxData } from './data/idx.js';
export { parseCifar, cifarLabels, cifarDataset, CIFAR10_CLASSES, CIFAR_RECORD_BYTES, type CifarPart } from './data/cifar.js';
export {
  type Dataset, featureDim, imageOf, asMatrix, idxToDataset, take, classFilter, classSelection, subset, subsetIndices, labelsToTargets, datasetTargets,
} from './data/dataset.js';
export { mulberry32, shuffleInPlace } from './data/rng.js';
export { parseNpy, encodeNpy, type Npy, type NpyArray } from './io/npy.js';
export { formatProgress, formatDuration, type ProgressCallback } from './io/progress.js';
// Charts: functions from data to Vega-Lite specs (render with vega-embed in a page, or with
// renderSvg/renderPng/writeChart from 'ntk-robustness/node'); report.html as a string
export * from './viz/charts/index.js';
export { reportHtml, type ReportInput, type ReportFigure, type ReportTable } from './viz/report.js';
// analytic NNGP/NTK kernels (stax-like)
export * from "./kernels/index.js";
// finite nets in the NTK parameterisation and their empirical NTKs
export * from "./nn/index.js";
export { kernelOps } from "./kernels/ops.js";
export { cholesky, choSolve, choleskyInPlace, choSolveInPlace, logdet, NotPositiveDefiniteError, type CholeskyOptions } from "./linalg/cholesky.js";
export { solveTriangular, solveTriangularInPlace, type TriangularOptions } from "./linalg/triangular.js";
export { eigh, eigvalsh, eighInPlace, eighPhaseTimes, type Progress as EighProgress, EighConvergenceError, type EighResult, type EighRawOptions } from "./linalg/eigh.js";
export { tridiagEigh } from "./linalg/tridiag_dc.js";
export { eighTop, eighTopInPlace, type EighTopOptions, type EighTopResult } from "./linalg/lanczos.js";
// NTK eigen-features and robust-only kernels (paper Sec. 4, App. D)
export {
  eigenFeatures, attackMembers, memberGradients, memberMachine, fullMachine, featureStats, usefulNonRobust, robustKernelCurve,
  type EigenFeatures, type EigenFeatureOptions, type Member, type MemberAttackOptions, type MemberAttackResult, type FeatureStat,
  type RobustKernelOptions, type RobustKernelResult,
} from "./features/index.js";
