// Shared test utilities: a seeded RNG and plain-JS reference linear algebra.
import { mulberry32 } from '../src/data/rng.js';
import type { ImageShape, Matrix } from '../src/node.js';

/** Seeded uniform [0, 1) generator (the library's mulberry32). */
export const rng = (seed: number): (() => number) => mulberry32(seed);

export function randn(r: () => number): number {
  const u = Math.max(r(), 1e-300), v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed);
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** Reference C = op(A) op(B) in f64, row-major. */
export function refGemm(A: ArrayLike<number>, B: ArrayLike<number>, m: number, n: number, k: number, transA = false, transB = false): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += (transA ? A[l * m + i] : A[i * k + l]) * (transB ? B[j * k + l] : B[l * n + j]);
      C[i * n + j] = s;
    }
  return C;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * Worst |got - want| / bound over entries of C = alpha op(A) op(B) + beta C0, where
 * bound = (k + 2) u (|alpha| sum_l |a_il b_lj| + |beta c0_ij|): the standard forward error
 * bound of a k-term dot product in precision with unit roundoff u (plus 2 for the alpha and
 * beta roundings). <= 1 (in practice far below) for a correct kernel; any wrong entry gives
 * a huge value. The reference is computed in f64 from the same (f32-rounded) inputs.
 */
export function gemmErrRatio(
  got: ArrayLike<number>, A: ArrayLike<number>, B: ArrayLike<number>, C0: ArrayLike<number> | null,
  m: number, n: number, k: number, ta: boolean, tb: boolean, alpha: number, beta: number, u: number,
): number {
  let worst = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0, sa = 0;
      for (let l = 0; l < k; l++) {
        const p = (ta ? A[l * m + i] : A[i * k + l]) * (tb ? B[j * k + l] : B[l * n + j]);
        s += p; sa += Math.abs(p);
      }
      const c0 = beta === 0 || !C0 ? 0 : C0[i * n + j];
      const want = alpha * s + beta * c0;
      const bound = (k + 2) * u * (Math.abs(alpha) * sa + Math.abs(beta * c0)) + 1e-300;
      const g = got[i * n + j];
      if (!Number.isFinite(g)) return Infinity;
      worst = Math.max(worst, Math.abs(g - want) / bound);
    }
  return worst;
}

export const U64 = 2 ** -53;
export const U32 = 2 ** -24;

/**
 * Finite-difference check of a kernel's input VJP: f(X) = sum_{b,i} W[b,i] K(x_b, x_i) is
 * differentiated along V in row `row` by Richardson-extrapolated central differences of
 * steps h/2 and h; returns that and the analytic <G[row], V> from the given VJP rows G.
 */
export function kernelVjpDirectional(
  k: { kernelFn(X1: Matrix<Float64Array>, X2: Matrix<Float64Array>, o: { get: 'ntk' | 'nngp'; shape: ImageShape }): { ntk?: Matrix<Float64Array>; nngp?: Matrix<Float64Array> } },
  X: Matrix<Float64Array>, Xt: Matrix<Float64Array>, W: Matrix<Float64Array>, G: Matrix<Float64Array>,
  get: 'ntk' | 'nngp', shape: ImageShape, row: number, V: Float64Array, h: number,
): { an: number; fd: number } {
  const d = X.cols;
  const f = (Xp: Matrix<Float64Array>): number => {
    const K = k.kernelFn(Xp, Xt, { get, shape })[get]!.data;
    let s = 0;
    for (let q = 0; q < K.length; q++) s += W.data[q] * K[q];
    return s;
  };
  const dirDeriv = (step: number): number => {
    const Xp = { ...X, data: X.data.slice() }, Xm = { ...X, data: X.data.slice() };
    for (let j = 0; j < d; j++) { Xp.data[row * d + j] += step * V[j]; Xm.data[row * d + j] -= step * V[j]; }
    return (f(Xp) - f(Xm)) / (2 * step);
  };
  let an = 0;
  for (let j = 0; j < d; j++) an += G.data[row * d + j] * V[j];
  return { an, fd: (4 * dirDeriv(h / 2) - dirDeriv(h)) / 3 };
}
