// Test utilities for the factorisations: random symmetric matrices with chosen spectra.
import { rng, randn } from './helpers.js';
import type { Matrix } from '../src/node.js';

export function randomSymmetric(n: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed), a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = randn(r);
  return { data: a, rows: n, cols: n };
}

/** X X^T + shift I for X n x r Gaussian: SPD when shift > 0 or r >= n, rank r otherwise. */
export function gramMatrix(n: number, r: number, seed: number, shift = 0): Matrix<Float64Array> {
  const g = rng(seed), X = new Float64Array(n * r);
  for (let i = 0; i < X.length; i++) X[i] = randn(g);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let l = 0; l < r; l++) s += X[i * r + l] * X[j * r + l];
      a[i * n + j] = a[j * n + i] = s + (i === j ? shift : 0);
    }
  return { data: a, rows: n, cols: n };
}

/**
 * Q diag(values) Q^T with Q a product of `refl` random Householder reflectors: the
 * spectrum is known exactly (up to rounding in forming the product).
 */
export function knownSpectrum(values: ArrayLike<number>, seed: number, refl = 3): { A: Matrix<Float64Array>; Q: Float64Array } {
  const n = values.length, r = rng(seed);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let t = 0; t < refl; t++) {
    const v = Float64Array.from({ length: n }, () => randn(r));
    const vv = v.reduce((s, x) => s + x * x, 0);
    // Q := Q (I - 2 v v^T / v^T v)
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += Q[i * n + j] * v[j];
      const f = (2 * s) / vv;
      for (let j = 0; j < n; j++) Q[i * n + j] -= f * v[j];
    }
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let l = 0; l < n; l++) s += Q[i * n + l] * values[l] * Q[j * n + l];
      a[i * n + j] = a[j * n + i] = s;
    }
  return { A: { data: a, rows: n, cols: n }, Q };
}

export function frob(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}
