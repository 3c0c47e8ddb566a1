// Messages between the page (main.ts) and the engine's worker (worker.ts).
export const ARCH_CHOICES = ['fc1', 'fc2', 'fc3', 'fc4', 'fc5', 'conv1', 'twolayer'] as const;
/** Images shown in the pick grid (the first ones of the shipped test subset). */
export const GRID = 48;
/** Eigen-features pictured with each attack, and evaluated for the scatter. */
export const EIGEN_FEATURES = 4, SCATTER_FEATURES = 32;
/** Points of the eps curve, from 0 to the dataset's largest slider budget. */
export const CURVE_POINTS = 13;
export type Method = 'fgsm' | 'pgd';

/** One entry of datasets.json (written by demo/build.mjs). */
export interface DatasetInfo {
  id: string; title: string; classNames: string[];
  /** Budgets are shown as eps * epsScale (255 on CIFAR: eps in /255 units). */
  epsScale: number;
  file?: string; bytes?: number;
  /** Why the build could not include it (then no file). */
  unavailable?: string;
}

export interface Subset { id: string; nTest: number; nTrain: number; shape: [number, number, number]; classes: number; testPixels: Uint8Array; testLabels: Uint8Array }

export type Request =
  | { type: 'init'; threads: number }
  | { type: 'dataset'; id: string }
  | { type: 'fit'; arch: string; n: number }
  | { type: 'attack'; index: number; eps: number; method: Method; epsMax: number }
  | { type: 'features'; eps: number }
  | { type: 'feature-gradient'; feature: number; index: number };

export interface FeatureRow { index: number; eigenvalue: number; usefulness: number; robustness: number; share: number }

export type Reply =
  | { type: 'ready'; isolated: boolean; threads: number; build: string; datasets: DatasetInfo[] }
  | { type: 'dataset'; subset: Subset }
  | { type: 'progress'; label: string; done: number; total: number }
  | { type: 'fitted'; arch: string; n: number; cleanPredictions: number[]; testAccuracy: number; seconds: number; eigenvalues: number[] }
  | {
    type: 'attacked'; index: number; eps: number; method: Method; label: number;
    clean: Float64Array; adversarial: Float64Array; cleanScores: number[]; advScores: number[];
    /** true-class score and best other (binary: the margin y f and the boundary 0) per eps */
    curve: { eps: number[]; trueScore: number[]; bestOther: number[] };
    features: { index: number; value: number; grad: Float64Array }[]; seconds: number;
  }
  | { type: 'features'; eps: number; stats: FeatureRow[]; machine: { clean: number }; testImages: number; seconds: number }
  | { type: 'feature-gradient'; feature: number; index: number; label: number; value: number; grad: Float64Array }
  | { type: 'error'; message: string };
