import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { eigh, eigvalsh, eighTop, eighInPlace, gemm, engine, type Matrix } from '../src/node.js';
import { eighTuning } from '../src/linalg/eigh.js';
import { maxAbsDiff } from './helpers.js';
import { randomSymmetric, gramMatrix, knownSpectrum, frob } from './factor-helpers.js';

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/factor.json', import.meta.url), 'utf8'));

/** Residual |A V - V diag(l)|_F / |A|_F and orthogonality |V^T V - I|_max; descending order. */
function checkEigh(A: Matrix<Float64Array>, what: string, tol = 1e-10) {
  const n = A.rows;
  const { values, vectors: V } = eigh(A);
  assert.equal(values.length, n);
  for (let i = 1; i < n; i++) assert.ok(values[i - 1] >= values[i], `${what}: not descending at ${i}`);
  const AV = gemm(A, V);
  const R = AV.data.map((x, idx) => x - V.data[idx] * values[idx % n]);
  const res = frob(R) / Math.max(frob(A.data), Number.MIN_VALUE);
  const VtV = gemm(V, V, { transA: true });
  let orth = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) orth = Math.max(orth, Math.abs(VtV.data[i * n + j] - (i === j ? 1 : 0)));
  assert.ok(res < tol, `${what}: residual ${res}`);
  assert.ok(orth < tol, `${what}: orthogonality ${orth}`);
  // sign convention: the largest-|.| component of each column is positive
  for (let j = 0; j < n; j++) {
    let best = -1, v = 0;
    for (let i = 0; i < n; i++) if (Math.abs(V.data[i * n + j]) > best) { best = Math.abs(V.data[i * n + j]); v = V.data[i * n + j]; }
    assert.ok(v > 0, `${what}: column ${j} sign`);
  }
  return { values, V };
}

test('eigh: random symmetric matrices of many sizes', () => {
  for (const n of [1, 2, 3, 4, 7, 16, 63, 64, 65, 129, 300]) checkEigh(randomSymmetric(n, n), `random n=${n}`);
});

test('eigh: rank-deficient, clustered, diagonal, graded, zero matrices', () => {
  checkEigh(gramMatrix(200, 15, 3), 'rank 15 Gram');
  // clustered: eigenvalues 1 + 1e-12 i in groups, and an exactly repeated one
  const vals = Array.from({ length: 120 }, (_, i) => (i < 60 ? 1 + 1e-12 * i : i < 100 ? -2 : 3 + i * 1e-3));
  const { A } = knownSpectrum(vals, 4);
  const { values } = checkEigh(A, 'clustered');
  const sorted = [...vals].sort((a, b) => b - a);
  assert.ok(maxAbsDiff(values, sorted) < 1e-13 * 3 * 120, `clustered spectrum off by ${maxAbsDiff(values, sorted)}`);
  const D: Matrix<Float64Array> = { data: new Float64Array(50 * 50), rows: 50, cols: 50 };
  for (let i = 0; i < 50; i++) D.data[i * 51] = Math.sin(i) * 10;
  const d = checkEigh(D, 'diagonal');
  assert.deepEqual(Array.from(d.values), Array.from({ length: 50 }, (_, i) => Math.sin(i) * 10).sort((a, b) => b - a));
  // graded: D S D with D = diag(10^(-i/10))
  const S = randomSymmetric(80, 9);
  for (let i = 0; i < 80; i++) for (let j = 0; j < 80; j++) S.data[i * 80 + j] *= 10 ** (-(i + j) / 10);
  checkEigh(S, 'graded');
  const Z = checkEigh({ data: new Float64Array(100), rows: 10, cols: 10 }, 'zero');
  assert.ok(Z.values.every((x) => x === 0));
});

test('eigh: matrices scaled by 1e-200 and 1e200 (no over/underflow)', () => {
  const A = randomSymmetric(60, 12);
  const ref = eigh(A);
  for (const f of [1e-200, 1e200]) {
    const B = { data: A.data.map((x) => x * f), rows: 60, cols: 60 };
    const r = eigh(B);
    assert.ok(maxAbsDiff(r.values.map((x) => x / f), ref.values) < 1e-12, `scale ${f}`);
    assert.ok(maxAbsDiff(r.vectors.data, ref.vectors.data) < 1e-10, `scale ${f} vectors`);
  }
});

test('eigh: tridiagonal Toeplitz (2,-1) has l_j = 2 - 2 cos(j pi/(n+1)) and sine eigenvectors', () => {
  const n = 150;
  const A: Matrix<Float64Array> = { data: new Float64Array(n * n), rows: n, cols: n };
  for (let i = 0; i < n; i++) {
    A.data[i * n + i] = 2;
    if (i + 1 < n) A.data[i * n + i + 1] = A.data[(i + 1) * n + i] = -1;
  }
  const { values, V } = checkEigh(A, 'toeplitz');
  for (let k = 0; k < n; k++) {
    const j = n - k; // descending order
    assert.ok(Math.abs(values[k] - (2 - 2 * Math.cos((j * Math.PI) / (n + 1)))) < 1e-13, `value ${k}`);
    const nrm = Math.sqrt(2 / (n + 1));
    let dot = 0;
    for (let i = 0; i < n; i++) dot += V.data[i * n + k] * nrm * Math.sin(((i + 1) * j * Math.PI) / (n + 1));
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-10, `vector ${k}: |<v, sine>| = ${Math.abs(dot)}`);
  }
});

test('eigh: back-transformation in several column panels gives the same result', () => {
  const A = randomSymmetric(203, 8);
  const one = eigh(A);
  eighTuning.panelWidth = 64;
  try {
    const many = eigh(A);
    assert.ok(maxAbsDiff(one.values, many.values) === 0);
    assert.ok(maxAbsDiff(one.vectors.data, many.vectors.data) < 1e-13);
  } finally {
    eighTuning.panelWidth = 0;
  }
  checkEigh(A, 'panels');
});

test('eigh: blocked tridiagonalisation (forced panel widths) and reflector block sizes', () => {
  const classes: [Matrix<Float64Array>, string][] = [
    [randomSymmetric(300, 21), 'random 300'],
    [gramMatrix(150, 12, 5), 'rank 12 Gram'],
    [knownSpectrum(Array.from({ length: 90 }, (_, i) => (i < 40 ? 1 + 1e-12 * i : i < 70 ? -2 : 3)), 6).A, 'clustered'],
  ];
  const D: Matrix<Float64Array> = { data: new Float64Array(40 * 40), rows: 40, cols: 40 };
  for (let i = 0; i < 40; i++) D.data[i * 41] = Math.cos(i);
  classes.push([D, 'diagonal'], [{ data: new Float64Array(81), rows: 9, cols: 9 }, 'zero']);
  const S = randomSymmetric(100, 13);
  for (let i = 0; i < 100; i++) for (let j = 0; j < 100; j++) S.data[i * 100 + j] *= 10 ** (-(i + j) / 12);
  classes.push([S, 'graded']);
  eighTuning.tridiagBlock = -1;
  const unblocked = classes.map(([A]) => checkEigh(A, 'unblocked').values);
  for (const n of [2, 3, 4, 5, 65]) checkEigh(randomSymmetric(n, 100 + n), `random n=${n} unblocked`);
  try {
    for (const [tb, bb] of [[1, 0], [5, 7], [32, 128], [64, 1]]) {
      eighTuning.tridiagBlock = tb;
      eighTuning.backBlock = bb;
      for (const n of [2, 3, 4, 5, 6, 33, 65]) checkEigh(randomSymmetric(n, 100 + n), `random n=${n} nb=${tb}/${bb}`);
      classes.forEach(([A, what], c) => {
        const { values } = checkEigh(A, `${what} nb=${tb}/${bb}`);
        const scale = Math.max(1, Math.abs(values[0]), Math.abs(values[values.length - 1]));
        assert.ok(maxAbsDiff(values, unblocked[c]) < 1e-12 * scale, `${what} nb=${tb}: values differ from the unblocked ones by ${maxAbsDiff(values, unblocked[c])}`);
      });
    }
  } finally {
    eighTuning.tridiagBlock = 0;
    eighTuning.backBlock = 0;
  }
});

test('eigh: Q diag(l) Q^T from Householder reflectors recovers l and Q columns', () => {
  const n = 90;
  const vals = Array.from({ length: n }, (_, i) => n - i + 0.5 * Math.cos(i)); // distinct, descending
  const { A, Q } = knownSpectrum(vals, 17);
  const { values, V } = checkEigh(A, 'known spectrum');
  assert.ok(maxAbsDiff(values, vals) < 1e-12 * n);
  for (let k = 0; k < n; k++) {
    let dot = 0;
    for (let i = 0; i < n; i++) dot += V.data[i * n + k] * Q[i * n + k];
    assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-9, `column ${k}`);
  }
});

test('eigvalsh matches numpy.linalg.eigvalsh (fixture) and eigh values', () => {
  const { n, A, values } = fixture.sym;
  const M: Matrix<Float64Array> = { data: Float64Array.from(A), rows: n, cols: n };
  const w = eigvalsh(M);
  assert.ok(maxAbsDiff(w, values) < 1e-12, `eigvalsh vs numpy: ${maxAbsDiff(w, values)}`);
  assert.ok(maxAbsDiff(eigh(M).values, values) < 1e-12);
  const R = randomSymmetric(77, 5);
  assert.ok(maxAbsDiff(eigvalsh(R), eigh(R).values) < 1e-12);
});

test('eigh reads only the lower triangle; rejects NaN and non-square input', () => {
  const A = randomSymmetric(30, 2), B = randomSymmetric(30, 2);
  for (let i = 0; i < 30; i++) for (let j = i + 1; j < 30; j++) B.data[i * 30 + j] = 99;
  assert.ok(maxAbsDiff(eigvalsh(A), eigvalsh(B)) === 0);
  B.data[5 * 30 + 2] = NaN;
  assert.throws(() => eigh(B), /entry \(5, 2\) is NaN/);
  assert.throws(() => eigvalsh({ data: new Float64Array(6), rows: 2, cols: 3 }), /square/);
});

test('eigh n = 1000 (random Gram plus noise) and the in-place variant', () => {
  const n = 1000;
  const A = gramMatrix(n, 60, 31, 0);
  for (let i = 0; i < n; i++) A.data[i * n + i] += 1e-3 * (i % 7);
  checkEigh(A, 'n=1000');
  const e = engine();
  const a = e.from(randomSymmetric(200, 3).data), v = e.buffer('f64', 200 * 200);
  try {
    const ref = eigh(randomSymmetric(200, 3));
    const seen: number[] = [];
    const vals = eighInPlace(a, 200, v, { onProgress: (phase, f) => { assert.equal(phase, 'tridiagonalize'); seen.push(f); } });
    assert.ok(seen.length > 10 && seen.every((f, i) => f > 0 && f < 1 && (i === 0 || f > seen[i - 1])), 'progress fractions');
    assert.ok(maxAbsDiff(vals, ref.values) === 0 && maxAbsDiff(v.data, ref.vectors.data) === 0);
  } finally {
    a.free();
    v.free();
  }
});

test('eighTop agrees with the leading part of eigh', () => {
  const n = 300, k = 8;
  const A = gramMatrix(n, 100, 13, 0);
  const full = eigh(A);
  const top = eighTop(A, k);
  assert.equal(top.vectors.rows, n);
  assert.equal(top.vectors.cols, k);
  for (let i = 0; i < k; i++) {
    assert.ok(Math.abs(top.values[i] - full.values[i]) < 1e-9 * full.values[0], `value ${i}: ${top.values[i]} vs ${full.values[i]}`);
    let dot = 0;
    for (let r = 0; r < n; r++) dot += top.vectors.data[r * k + i] * full.vectors.data[r * n + i];
    assert.ok(Math.abs(dot - 1) < 1e-8, `vector ${i}: <top, full> = ${dot}`);
  }
  // residual of the returned pairs
  const AV = gemm(A, top.vectors);
  let res = 0;
  for (let i = 0; i < n * k; i++) res = Math.max(res, Math.abs(AV.data[i] - top.vectors.data[i] * top.values[i % k]));
  assert.ok(res < 1e-8 * full.values[0], `eighTop residual ${res}`);
  assert.throws(() => eighTop(A, 0), /k must be an integer in \[1, 300\]/);
});
