// Divide-and-conquer tridiagonal eigensolver: its weak spots are deflation (repeated and
// close eigenvalues, tiny couplings), the secular equation near poles and the leaf boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eigh, gemm, initNode, tridiagEigh, type Matrix } from '../src/node.js';
import { eighTuning } from '../src/linalg/eigh.js';
import { dcTuning } from '../src/linalg/tridiag_dc.js';
import { maxAbsDiff } from './helpers.js';
import { randomSymmetric, knownSpectrum } from './factor-helpers.js';

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296 - 0.5; };
}

/** max |T v_j - l_j v_j| / |T| and max |V^T V - I| for the tridiagonal (d, e); values descending. */
function checkTridiag(d: number[] | Float64Array, e: number[] | Float64Array, what: string, tol = 1e-12) {
  const n = d.length;
  const { values: l, vectors: Vm } = tridiagEigh(d, e);
  const V = Vm.data;
  for (let j = 1; j < n; j++) assert.ok(l[j - 1] >= l[j], `${what}: not descending at ${j}`);
  let tn = 0;
  for (let i = 0; i < n; i++) tn = Math.max(tn, Math.abs(d[i]) + (i > 0 ? Math.abs(e[i - 1]) : 0) + (i < n - 1 ? Math.abs(e[i]) : 0));
  let res = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let t = d[i] * V[i * n + j] - l[j] * V[i * n + j];
      if (i > 0) t += e[i - 1] * V[(i - 1) * n + j];
      if (i < n - 1) t += e[i] * V[(i + 1) * n + j];
      res = Math.max(res, Math.abs(t));
    }
  }
  const M: Matrix<Float64Array> = { data: V, rows: n, cols: n };
  const VtV = gemm(M, M, { transA: true });
  let orth = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) orth = Math.max(orth, Math.abs(VtV.data[i * n + j] - (i === j ? 1 : 0)));
  assert.ok(res <= tol * Math.max(tn, Number.MIN_VALUE) * Math.sqrt(n), `${what}: residual ${res} (|T| ${tn})`);
  assert.ok(orth <= tol * Math.sqrt(n), `${what}: orthogonality ${orth}`);
  return l;
}

/** Wilkinson W_{2m+1}^+: d_i = |m - i|, e_i = 1. */
const wilkinson = (m: number) => ({ d: Array.from({ length: 2 * m + 1 }, (_, i) => Math.abs(m - i)), e: new Array(2 * m).fill(1) });

test('tridiagEigh: random tridiagonals around the leaf size and beyond', () => {
  const leaf = dcTuning.leaf;
  for (const n of [1, 2, 3, leaf - 1, leaf, leaf + 1, 2 * leaf, 2 * leaf + 1, 4 * leaf + 3, 500, 2500]) {
    const r = lcg(n);
    checkTridiag(Array.from({ length: n }, r), Array.from({ length: n - 1 }, r), `random n=${n}`);
  }
});

test('tridiagEigh: small leaves (many merges) agree with the eigenvalues of big leaves', () => {
  const r = lcg(7), n = 700;
  const d = Array.from({ length: n }, r), e = Array.from({ length: n - 1 }, r);
  const ref = tridiagEigh(d, e).values;
  const saved = dcTuning.leaf;
  try {
    for (const leaf of [2, 3, 8]) {
      dcTuning.leaf = leaf;
      const l = checkTridiag(d, e, `leaf ${leaf}`);
      assert.ok(maxAbsDiff(l, ref) < 1e-13, `leaf ${leaf}: values off by ${maxAbsDiff(l, ref)}`);
    }
    dcTuning.rowBlockDoubles = 1000; // many row blocks in every merge
    checkTridiag(d, e, 'small row blocks');
  } finally {
    dcTuning.leaf = saved;
    dcTuning.rowBlockDoubles = 1 << 22;
  }
});

test('tridiagEigh: Toeplitz (2, -1) closed-form eigenvalues', () => {
  const n = 1000;
  const l = checkTridiag(new Array(n).fill(2), new Array(n - 1).fill(-1), 'toeplitz');
  for (let j = 0; j < n; j++) assert.ok(Math.abs(l[n - 1 - j] - (2 - 2 * Math.cos(((j + 1) * Math.PI) / (n + 1)))) < 1e-13, `value ${j}`);
});

test('tridiagEigh: Wilkinson W21+ and glued Wilkinson matrices (close pairs, heavy deflation)', () => {
  const w = wilkinson(10);
  const l = checkTridiag(w.d, w.e, 'W21+');
  // the top pair of W21+ agrees to ~1e-14
  assert.ok(Math.abs(l[0] - 10.746194182903393) < 1e-13 && Math.abs(l[1] - 10.746194182903322) < 1e-13, `W21+ top pair ${l[0]} ${l[1]}`);
  for (const glue of [1e-14, 1e-8, 1e-3]) {
    const d: number[] = [], e: number[] = [];
    for (let b = 0; b < 40; b++) {
      d.push(...w.d);
      e.push(...w.e);
      if (b < 39) e.push(glue);
    }
    checkTridiag(d, e, `glued W21+ x 40, glue ${glue}`);
  }
  const big = wilkinson(600); // W1201+: pairs that agree to far below eps
  checkTridiag(big.d, big.e, 'W1201+');
});

test('tridiagEigh: tiny and zero off-diagonals, repeated diagonals, extreme scales', () => {
  const n = 400, r = lcg(3);
  for (const small of [0, 1e-300, 1e-15]) {
    const d = Array.from({ length: n }, r), e = Array.from({ length: n - 1 }, (_, i) => (i % 3 === 0 ? small : r()));
    checkTridiag(d, e, `off-diagonals ${small}`);
    checkTridiag(new Array(n).fill(1), new Array(n - 1).fill(small), `identity + ${small}`);
  }
  // a few distinct diagonal values repeated many times, weak coupling
  checkTridiag(Array.from({ length: n }, (_, i) => i % 4), Array.from({ length: n - 1 }, () => 1e-10 * r()), 'repeated diagonal');
  for (const f of [1e-280, 1e280, 1.7e308 / 1.5]) {
    const d = Array.from({ length: 300 }, () => f * r()), e = Array.from({ length: 299 }, () => f * r());
    checkTridiag(d, e, `scale ${f}`);
  }
  // graded: entries spanning 1e-30..1
  checkTridiag(Array.from({ length: 300 }, (_, i) => 10 ** (-i / 10)), Array.from({ length: 299 }, (_, i) => 10 ** (-(i + 0.5) / 10)), 'graded');
});

/** Residual and orthogonality of eigh on a dense matrix. */
function checkEigh(A: Matrix<Float64Array>, what: string, tol = 1e-10) {
  const n = A.rows;
  const { values, vectors: V } = eigh(A);
  const AV = gemm(A, V);
  let res = 0, an = 0;
  for (let i = 0; i < n * n; i++) { res = Math.max(res, Math.abs(AV.data[i] - V.data[i] * values[i % n])); an = Math.max(an, Math.abs(A.data[i])); }
  const VtV = gemm(V, V, { transA: true });
  let orth = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) orth = Math.max(orth, Math.abs(VtV.data[i * n + j] - (i === j ? 1 : 0)));
  assert.ok(res < tol * Math.max(an, Number.MIN_VALUE) * Math.sqrt(n), `${what}: residual ${res}`);
  assert.ok(orth < tol, `${what}: orthogonality ${orth}`);
  return values;
}

test('eigh (divide and conquer): identity + rank one, few distinct eigenvalues, leaf boundaries', () => {
  const n = 300, r = lcg(11);
  const u = Array.from({ length: n }, r);
  const A: Matrix<Float64Array> = { data: new Float64Array(n * n), rows: n, cols: n };
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A.data[i * n + j] = (i === j ? 1 : 0) + u[i] * u[j];
  const l = checkEigh(A, 'I + u u^T');
  const uu = u.reduce((s, x) => s + x * x, 0);
  assert.ok(Math.abs(l[0] - (1 + uu)) < 1e-12 * (1 + uu));
  for (let i = 1; i < n; i++) assert.ok(Math.abs(l[i] - 1) < 1e-13, `value ${i}: ${l[i]}`);
  const vals = Array.from({ length: 400 }, (_, i) => [-1, 0, 2, 2 + 1e-13][i % 4]);
  const { A: B } = knownSpectrum(vals, 5);
  const lb = checkEigh(B, 'four clustered eigenvalues');
  assert.ok(maxAbsDiff(lb, [...vals].sort((a, b) => b - a)) < 1e-12);
  const leaf = dcTuning.leaf;
  for (const m of [leaf - 1, leaf, leaf + 1, 2 * leaf, 2 * leaf + 1, 4 * leaf - 1]) checkEigh(randomSymmetric(m, m), `random n=${m}`);
});

test('eigh (divide and conquer): n = 2000, random and a spectrum with 1999 equal eigenvalues', () => {
  checkEigh(randomSymmetric(2000, 77), 'random n=2000');
  const n = 2000, r = lcg(13);
  const u = Array.from({ length: n }, r);
  const A: Matrix<Float64Array> = { data: new Float64Array(n * n), rows: n, cols: n };
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) A.data[i * n + j] = (i === j ? -3 : 0) + u[i] * u[j];
  const l = checkEigh(A, '-3 I + u u^T, n=2000');
  for (let i = 1; i < n; i++) assert.ok(Math.abs(l[i] + 3) < 1e-12, `value ${i}: ${l[i]}`);
});

test('eigh: divide and conquer agrees with QL', () => {
  const A = randomSymmetric(600, 21);
  const dc = eigh(A);
  eighTuning.method = 'ql';
  try {
    const ql = eigh(A);
    assert.ok(maxAbsDiff(dc.values, ql.values) < 1e-12, `values ${maxAbsDiff(dc.values, ql.values)}`);
    assert.ok(maxAbsDiff(dc.vectors.data, ql.vectors.data) < 1e-8, `vectors ${maxAbsDiff(dc.vectors.data, ql.vectors.data)}`);
  } finally {
    eighTuning.method = 'dc';
  }
});

test('tridiagEigh: non-finite input is rejected naming the entry', () => {
  assert.throws(() => tridiagEigh([1, NaN, 2], [0.5, 0.5]), /d\[1\] is NaN/);
  assert.throws(() => tridiagEigh([1, 2, 3], [0.5, Infinity]), /e\[1\] is Infinity/);
  assert.throws(() => tridiagEigh([1, 2, 3], [0.5]), /e needs 2 entries/);
});

test('tridiagEigh: 2 threads give the same bits as 1 thread', () => {
  const r = lcg(5), n = 900;
  const d = Array.from({ length: n }, r), e = Array.from({ length: n - 1 }, r);
  const w = wilkinson(300);
  const run = (threads: number) => {
    initNode({ threads });
    return [tridiagEigh(d, e), tridiagEigh(w.d, w.e)];
  };
  const one = run(1), two = run(2);
  for (let k = 0; k < 2; k++) {
    assert.deepEqual(two[k].values, one[k].values);
    assert.deepEqual(two[k].vectors, one[k].vectors);
  }
});
