// NTK eigen-features (spec §5, paper Sec. 4): with Theta = sum_i l_i v_i v_i^T (descending),
// feature i is f_i(x) = Theta(x, X) v_i g(l_i) v_i^T Y, g(l) = 1/l at t = inf and
// (1 - e^{-eta t l / N}) / l at finite t (ridge r: l -> l + r in g), so sum_i f_i is the
// kernel machine exactly. A set of features is V_S (n x s, the chosen eigenvectors) and
// U (s x k, row p = g(l_p) v_p^T Y): f_p(x) = (Theta(x, X) V_S)[p] U[p, :].
import { engine } from '../engine.js';
import type { WasmBuffer } from '../../bindings/engine.js';
import { eighInPlace } from '../linalg/eigh.js';
import { eighTopInPlace } from '../linalg/lanczos.js';
import { gemm } from '../linalg/gemm.js';
import { checkFinite, checkMatrix, type Matrix } from '../linalg/matrix.js';
import { solveAlphaInPlace, type FitOptions } from '../machines/kernel_regression.js';
import type { KernelOps } from '../machines/kernel_ops.js';

export type EigenMethod = 'auto' | 'lanczos' | 'full';

export interface EigenFeatureOptions extends FitOptions {
  /** Eigen-indices (0 = largest eigenvalue) of the features wanted, any order; deduplicated and sorted. */
  indices: number[];
  /** 'lanczos' computes only the leading max(indices)+1 eigenpairs (eighTop); 'full' the whole
   *  eigendecomposition (eigh). 'auto' (default): Lanczos while max(indices) + 1 <= lanczosLimit. */
  method?: EigenMethod;
  /** auto switches to the full eigendecomposition above this many leading pairs (default min(300, n/4)). */
  lanczosLimit?: number;
  onProgress?: (done: number, total: number, label: string) => void;
}

export interface EigenFeatures {
  kernel: KernelOps;
  Xtrain: Matrix<Float64Array>;
  /** Eigen-indices of the features, ascending. */
  indices: Int32Array;
  /** Their eigenvalues l_i (descending, like the indices). */
  values: Float64Array;
  /** n x s: column p is v_{indices[p]}. */
  V: Matrix<Float64Array>;
  /** s x k: row p is g(l_p) v_p^T Y, so f_p(x) = (Theta(x, X) V)[p] U[p, :]. */
  U: Matrix<Float64Array>;
  /** n x k dual coefficients of the whole machine (sum of all n features). */
  alpha: Matrix<Float64Array>;
  outputs: number;
  method: 'lanczos' | 'full';
  /** Every eigenvalue (full method only). */
  spectrum?: Float64Array;
  fit: { t: number; eta: number; ridge: number; normaliser: number };
  seconds: { gram: number; eigen: number; solve: number };
}

/** g(l) of the spec: the weight of an eigen-direction in alpha_t = V diag(g(l)) V^T Y. */
export function spectralWeight(l: number, fit: { t: number; eta: number; ridge: number; normaliser: number }): number {
  const lr = l + fit.ridge;
  if (fit.t === Infinity) return 1 / lr;
  const a = (fit.eta * fit.t) / fit.normaliser;
  return Math.abs(lr) < 1e-300 ? a : -Math.expm1(-a * lr) / lr;
}

function checkIndices(indices: number[], n: number): Int32Array {
  if (indices.length === 0) throw new RangeError('eigen-features: no feature indices given');
  for (const i of indices)
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`eigen-features: feature index ${i} is out of range 0..${n - 1} (${n} training points)`);
  return Int32Array.from(new Set(indices)).sort();
}

/** Bytes of wasm memory the eigen stage needs at its peak (Gram, plus vectors for 'full'). */
export function eigenFeatureBytes(n: number, method: 'lanczos' | 'full', top: number): number {
  return method === 'full' ? 8 * n * n * 2.5 : 8 * n * n + 8 * n * (2 * top + 64);
}

/** The method 'auto' picks for the leading `needed` eigenpairs of an n x n Gram. */
export function chooseEigenMethod(method: EigenMethod, needed: number, n: number, lanczosLimit?: number): 'lanczos' | 'full' {
  if (method !== 'auto') return method;
  return needed <= (lanczosLimit ?? Math.min(300, Math.ceil(n / 4))) ? 'lanczos' : 'full';
}

/**
 * Builds the Gram of Xtrain in wasm memory, its leading eigenpairs (or all of them), the
 * feature coefficients and the whole machine's alpha. Peak wasm memory: one Gram plus the
 * Lanczos basis ('lanczos'), or Gram + eigenvectors + eigh workspace ('full', ~2.5 Grams).
 */
export function eigenFeatures(kernel: KernelOps, Xtrain: Matrix<Float64Array>, Y: Matrix<Float64Array>, opts: EigenFeatureOptions): EigenFeatures {
  const n = Xtrain.rows, k = Y.cols;
  checkMatrix(Y, 'eigen-features: Y');
  checkFinite(Y, 'eigen-features: Y');
  if (Y.rows !== n) throw new RangeError(`eigen-features: Y has ${Y.rows} rows for ${n} training points`);
  const { t = Infinity, eta = 1, ridge = 0 } = opts;
  if (!(t > 0)) throw new RangeError(`eigen-features: t must be > 0 (or Infinity), got ${t}`);
  if (!(ridge >= 0)) throw new RangeError(`eigen-features: ridge must be >= 0, got ${ridge}`);
  if (t !== Infinity && !(eta > 0)) throw new RangeError(`eigen-features: eta must be > 0, got ${eta}`);
  const fit = { t, eta, ridge, normaliser: opts.normaliser ?? n * k };
  const indices = checkIndices(opts.indices, n);
  const needed = indices[indices.length - 1] + 1;
  const method = chooseEigenMethod(opts.method ?? 'auto', needed, n, opts.lanczosLimit);
  const progress = opts.onProgress ?? (() => {});
  const e = engine();
  let t0 = performance.now();
  const lap = () => { const t1 = performance.now(), s = (t1 - t0) / 1000; t0 = t1; return s; };
  let K: WasmBuffer<Float64Array>;
  progress(0, n, 'Gram');
  if (kernel.gramInto) {
    K = e.buffer('f64', n * n);
    try { kernel.gramInto(Xtrain, K, (d, tot) => progress(d, tot, 'Gram')); } catch (err) { K.free(); throw err; }
  } else {
    K = e.from(kernel.gram(Xtrain, (d, tot) => progress(d, tot, 'Gram')).data);
  }
  const gram = lap();
  const s = indices.length;
  try {
    if (method === 'lanczos') {
      progress(0, 1, `eigensolve (Lanczos, top ${needed})`);
      const top = eighTopInPlace(K, n, needed);
      progress(1, 1, `eigensolve (Lanczos, top ${needed})`);
      const eigen = lap();
      const values = Float64Array.from(indices, (i) => top.values[i]);
      const V = { data: new Float64Array(n * s), rows: n, cols: s };
      for (let r = 0; r < n; r++) for (let p = 0; p < s; p++) V.data[r * s + p] = top.vectors.data[r * needed + indices[p]];
      // the whole machine from the Gram, which Lanczos only read (factored in place now)
      const { alpha } = solveAlphaInPlace(K, n, Y, fit);
      const solve = lap();
      return { kernel, Xtrain, indices, values, V, U: coefficients(V, values, Y, fit), alpha, outputs: k, method, fit, seconds: { gram, eigen, solve } };
    }
    const Vb = e.buffer('f64', n * n);
    try {
      const label = `eigensolve (full eigh, n = ${n})`;
      progress(0, 100, label);
      const spectrum = eighInPlace(K, n, Vb, { onProgress: (phase, f) => progress(Math.round(100 * (phase === 'tridiagonalize' ? f / 3 : phase === 'ql' ? (1 + f) / 3 : (2 + f) / 3)), 100, label) });
      progress(100, 100, label);
      const eigen = lap();
      const Vall = { data: Vb.data, rows: n, cols: n };
      // alpha = V diag(g(l)) V^T Y over the whole spectrum
      const VtY = gemm(Vall, Y, { transA: true });
      for (let i = 0; i < n; i++) { const g = spectralWeight(spectrum[i], fit); for (let j = 0; j < k; j++) VtY.data[i * k + j] *= g; }
      const alpha = gemm({ data: Vb.data, rows: n, cols: n }, VtY);
      const values = Float64Array.from(indices, (i) => spectrum[i]);
      const all = Vb.data, V = { data: new Float64Array(n * s), rows: n, cols: s };
      for (let r = 0; r < n; r++) for (let p = 0; p < s; p++) V.data[r * s + p] = all[r * n + indices[p]];
      const solve = lap();
      return { kernel, Xtrain, indices, values, V, U: coefficients(V, values, Y, fit), alpha, outputs: k, method, spectrum, fit, seconds: { gram, eigen, solve } };
    } finally {
      Vb.free();
    }
  } finally {
    K.free();
  }
}

/** U (s x k): row p = g(l_p) v_p^T Y. */
function coefficients(V: Matrix<Float64Array>, values: Float64Array, Y: Matrix<Float64Array>, fit: EigenFeatures['fit']): Matrix<Float64Array> {
  const U = gemm(V, Y, { transA: true });
  const k = Y.cols;
  for (let p = 0; p < values.length; p++) {
    const g = spectralWeight(values[p], fit);
    for (let j = 0; j < k; j++) U.data[p * k + j] *= g;
  }
  return U;
}

/** Position p of eigen-index i in a feature set (throws when the set does not hold it). */
export function positionOf(fs: Pick<EigenFeatures, 'indices'>, i: number): number {
  const p = fs.indices.indexOf(i);
  if (p < 0) throw new RangeError(`eigen-features: feature ${i} was not computed (have ${[...fs.indices].slice(0, 8).join(', ')}${fs.indices.length > 8 ? ', ...' : ''})`);
  return p;
}
