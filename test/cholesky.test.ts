import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  cholesky, choSolve, solveTriangular, logdet, eigvalsh, gemm, engine, choleskyInPlace, choSolveInPlace,
  NotPositiveDefiniteError, type Matrix,
} from '../src/node.js';
import { randomArray, maxAbsDiff, rng, randn } from './helpers.js';
import { gramMatrix, frob } from './factor-helpers.js';

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/factor.json', import.meta.url), 'utf8'));
const M = (data: ArrayLike<number>, rows: number, cols: number): Matrix<Float64Array> => ({ data: Float64Array.from(data), rows, cols });

test('cholesky: L L^T reproduces A, L is lower with positive diagonal (sizes across block edges)', () => {
  for (const n of [1, 2, 5, 95, 96, 97, 200, 300]) {
    const A = gramMatrix(n, n + 3, n, 0.5);
    const L = cholesky(A);
    for (let i = 0; i < n; i++) {
      assert.ok(L.data[i * n + i] > 0, `diag ${i}`);
      for (let j = i + 1; j < n; j++) assert.equal(L.data[i * n + j], 0, `upper (${i},${j}) not zeroed`);
    }
    const LLt = gemm(L, L, { transB: true });
    const rel = frob(LLt.data.map((x, i) => x - A.data[i])) / frob(A.data);
    assert.ok(rel < 1e-14, `n=${n}: |LL^T - A|/|A| = ${rel}`);
  }
});

test('cholesky matches numpy.linalg.cholesky; choSolve matches scipy cho_solve; logdet matches slogdet', () => {
  const { n, A, L, B, X, logdet: ld } = fixture.spd;
  const ours = cholesky(M(A, n, n));
  assert.ok(maxAbsDiff(ours.data, L) < 1e-13, `L differs by ${maxAbsDiff(ours.data, L)}`);
  const xs = choSolve(ours, M(B, n, 3));
  assert.ok(maxAbsDiff(xs.data, X) < 1e-11, `X differs by ${maxAbsDiff(xs.data, X)}`);
  assert.ok(Math.abs(logdet(ours) - ld) < 1e-11 * Math.abs(ld) + 1e-12);
});

test('choSolve: residual |A X - B| small for many right-hand sides', () => {
  const n = 250;
  const A = gramMatrix(n, n, 11, 1);
  const L = cholesky(A);
  for (const r of [1, 10, 37]) {
    const B = M(randomArray(n * r, r), n, r);
    const X = choSolve(L, B);
    const R = gemm(A, X);
    const rel = frob(R.data.map((x, i) => x - B.data[i])) / (frob(A.data) * frob(X.data));
    assert.ok(rel < 1e-14, `r=${r}: relative residual ${rel}`);
  }
});

test('solveTriangular: lower/upper, trans/no-trans against the product', () => {
  const n = 150, r = 4;
  const L = cholesky(gramMatrix(n, n, 5, 1));
  const U = M(new Float64Array(n * n), n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) U.data[i * n + j] = L.data[j * n + i];
  const B = M(randomArray(n * r, 9), n, r);
  for (const lower of [true, false]) for (const trans of [false, true]) {
    const T = lower ? L : U;
    // fill the unused triangle with junk: it must be ignored
    const Tj = M(T.data, n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (lower ? j > i : j < i) Tj.data[i * n + j] = 1e3;
    const X = solveTriangular(Tj, B, { lower, trans });
    const P = gemm(T, X, { transA: trans });
    assert.ok(maxAbsDiff(P.data, B.data) < 1e-12, `lower=${lower} trans=${trans}: ${maxAbsDiff(P.data, B.data)}`);
  }
  assert.throws(() => solveTriangular(M([1, 0, 2, 0], 2, 2), M([1, 1], 2, 1)), /diagonal entry \(1, 1\) is 0/);
});

test('logdet equals the sum of log eigenvalues', () => {
  const A = gramMatrix(120, 140, 3, 0.1);
  const ld = logdet(cholesky(A));
  const s = Array.from(eigvalsh(A)).reduce((acc, x) => acc + Math.log(x), 0);
  assert.ok(Math.abs(ld - s) < 1e-10 * Math.abs(s), `${ld} vs ${s}`);
});

test('not positive definite: error names the pivot and value, jitter fixes a singular Gram', () => {
  const A = M([4, 2, 0, 2, 2, 0, 0, 0, -1], 3, 3);
  assert.throws(() => cholesky(A), (e: unknown) => {
    assert.ok(e instanceof NotPositiveDefiniteError);
    assert.equal(e.index, 2);
    assert.equal(e.value, -1);
    assert.match(e.message, /pivot 2 .* is -1 .*jitter/);
    return true;
  });
  const G = gramMatrix(150, 20, 8); // rank 20
  assert.throws(() => cholesky(G), (e: unknown) => e instanceof NotPositiveDefiniteError && e.index >= 20 && e.index < 150);
  const L = cholesky(G, { jitter: 1e-6 });
  const LLt = gemm(L, L, { transB: true });
  for (let i = 0; i < 150; i++) G.data[i * 151] += 1e-6;
  assert.ok(maxAbsDiff(LLt.data, G.data) < 1e-12);
});

test('not positive definite deep in the recursion: the pivot index is global', () => {
  // A = L L^T with a known L, then A[p, p] lowered so that pivot p comes out as exactly -1
  const n = 700, p = 517, r = rng(11);
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) { for (let j = 0; j < i; j++) L[i * n + j] = randn(r) * 0.1; L[i * n + i] = 1 + r(); }
  const A = gemm(M(L, n, n), M(L, n, n), { transB: true });
  let s = 0;
  for (let k = 0; k < p; k++) s += L[p * n + k] ** 2;
  A.data[p * n + p] = s - 1;
  assert.throws(() => cholesky(A), (e: unknown) => {
    assert.ok(e instanceof NotPositiveDefiniteError);
    assert.equal(e.index, p);
    assert.ok(Math.abs(e.value + 1) < 1e-9, `pivot value ${e.value}`);
    return true;
  });
});

test('NaN / Inf input is rejected naming the entry', () => {
  const A = gramMatrix(10, 12, 1);
  A.data[3 * 10 + 1] = NaN;
  assert.throws(() => cholesky(A), /entry \(3, 1\) is NaN/);
  A.data[3 * 10 + 1] = 0;
  A.data[7 * 10 + 7] = Infinity;
  assert.throws(() => cholesky(A), /entry \(7, 7\) is Infinity/);
  const L = cholesky(gramMatrix(4, 5, 1, 1));
  assert.throws(() => choSolve(L, M([1, NaN, 0, 0], 4, 1)), /entry \(1, 0\) is NaN/);
  assert.throws(() => cholesky(M([1, 2, 3, 4, 5, 6], 2, 3)), /square/);
});

test('in-place variants on wasm buffers: no copies, same result', () => {
  const n = 130, r = 3;
  const A = gramMatrix(n, n, 21, 1);
  const e = engine();
  const buf = e.from(A.data), bb = e.from(randomArray(n * r, 4));
  const B0 = bb.toArray();
  try {
    choleskyInPlace(buf, n);
    assert.ok(maxAbsDiff(buf.data, cholesky(A).data) === 0);
    choSolveInPlace(buf, n, bb, r);
    const R = gemm(A, { data: bb.toArray(), rows: n, cols: r });
    assert.ok(maxAbsDiff(R.data, B0) < 1e-12);
  } finally {
    buf.free();
    bb.free();
  }
  // overwrite: the result shares A's storage
  const A2 = gramMatrix(20, 25, 2, 1);
  const L2 = cholesky(A2, { overwrite: true });
  assert.equal(L2.data, A2.data);
});
