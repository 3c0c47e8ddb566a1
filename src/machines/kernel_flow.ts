// The kernel machine along a whole gradient-flow trajectory (spec §2): one eigendecomposition
// Theta = V diag(l) V^T, then alpha_t = V diag(g_t(l)) V^T Y for any number of times t at
// O(n^2 k) each, instead of one eigendecomposition per t (fitKernelMachine's finite-t path).
// Used where a finite net is compared with its NTK at many epochs (experiments/transfer).
import { eighInPlace } from '../linalg/eigh.js';
import { engine } from '../engine.js';
import type { WasmBuffer } from '../../bindings/engine.js';
import { gemm } from '../linalg/gemm.js';
import { checkFinite, checkMatrix, type Matrix } from '../linalg/matrix.js';
import { residentGram, type KernelOps } from './kernel_ops.js';
import type { KernelMachine } from './kernel_regression.js';

/** g(l) = (1 - e^{-a l}) / l, with its limit a at l = 0 (null directions stay finite). */
export function flowGain(l: number, a: number): number {
  return Math.abs(l) < 1e-300 ? a : -Math.expm1(-a * l) / l;
}

export interface KernelFlow {
  readonly n: number;
  readonly outputs: number;
  /** Eigenvalues of the Gram, descending. */
  readonly values: Float64Array;
  /** N in exp(-eta t Theta / N). */
  readonly normaliser: number;
  /** The machine at time t (eta folded into t: the flow uses eta t / N); t = 0 gives alpha = 0. */
  at(t: number): KernelMachine;
  /** Largest eigenvalue of the Gram. */
  readonly lambdaMax: number;
  seconds: { gram: number; eigh: number };
  /** Frees the eigenvectors (wasm memory). */
  dispose(): void;
}

/**
 * Builds the Gram of Xtrain in wasm memory, eigendecomposes it in place and keeps the
 * eigenvectors (peak: three n x n f64 buffers during eigh, one afterwards).
 */
export function kernelFlow(kernel: KernelOps, Xtrain: Matrix<Float64Array>, Y: Matrix<Float64Array>,
  opts: { normaliser?: number; onProgress?: (done: number, total: number) => void } = {}): KernelFlow {
  checkMatrix(Y, 'kernel flow: Y');
  checkFinite(Y, 'kernel flow: Y');
  const n = Xtrain.rows, k = Y.cols;
  if (Y.rows !== n) throw new RangeError(`kernel flow: Y has ${Y.rows} rows for ${n} training points`);
  const N = opts.normaliser ?? n * k;
  if (!(N > 0)) throw new RangeError(`kernel flow: normaliser must be > 0, got ${N}`);
  const e = engine();
  let t0 = performance.now();
  let K: WasmBuffer<Float64Array> = residentGram(kernel, Xtrain, opts.onProgress);
  const gramS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  let V: WasmBuffer<Float64Array> | null = e.buffer('f64', n * n);
  let values: Float64Array;
  try { values = eighInPlace(K, n, V); } catch (err) { V.free(); throw err; } finally { K.free(); }
  const eighS = (performance.now() - t0) / 1000;
  const vm = () => { if (!V) throw new Error('kernel flow: used after dispose()'); return { data: V.data, rows: n, cols: n }; };
  const VtY = gemm(vm(), Y, { transA: true });
  return {
    n, outputs: k, values, normaliser: N, lambdaMax: values[0], seconds: { gram: gramS, eigh: eighS },
    at(t: number): KernelMachine {
      if (!(t >= 0) || !Number.isFinite(t)) throw new RangeError(`kernel flow: t must be a finite number >= 0, got ${t}`);
      const a = t / N, G = { ...VtY, data: VtY.data.slice() };
      for (let i = 0; i < n; i++) { const g = flowGain(values[i], a); for (let j = 0; j < k; j++) G.data[i * k + j] *= g; }
      const alpha = t === 0 ? { data: new Float64Array(n * k), rows: n, cols: k } : gemm(vm(), G);
      return { kernel, Xtrain, alpha, outputs: k, t, ridge: 0 };
    },
    dispose() { V?.free(); V = null; },
  };
}
