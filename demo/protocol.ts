// Messages between the page (main.ts) and the engine's worker (worker.ts).
export const ARCH_CHOICES = ['fc1', 'fc2', 'fc3', 'fc4', 'fc5', 'conv1', 'twolayer'] as const;
export const EPS_CURVE = Array.from({ length: 13 }, (_, i) => i * 0.025);
export const EIGEN_FEATURES = 4;
export type Method = 'fgsm' | 'pgd';

export type Request =
  | { type: 'init'; threads: number }
  | { type: 'fit'; arch: string; n: number }
  | { type: 'attack'; index: number; eps: number; method: Method };

export interface Subset { nTest: number; nTrain: number; shape: [number, number, number]; classes: number; testPixels: Uint8Array; testLabels: Uint8Array }

export type Reply =
  | { type: 'ready'; isolated: boolean; threads: number; build: string; subset: Subset }
  | { type: 'progress'; label: string; done: number; total: number }
  | { type: 'fitted'; arch: string; n: number; cleanPredictions: number[]; trainAccuracy: number; testAccuracy: number; seconds: number; eigenvalues: number[] }
  | {
    type: 'attacked'; index: number; eps: number; method: Method; label: number;
    clean: Float64Array; adversarial: Float64Array; cleanScores: number[]; advScores: number[];
    curve: { eps: number[]; trueScore: number[]; bestOther: number[] };
    features: { value: number; grad: Float64Array }[]; featureClass: number; seconds: number;
  }
  | { type: 'error'; message: string };
