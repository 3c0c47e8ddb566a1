// Closed forms, structure (symmetry, PSD), the vectorised arccos, and error messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arch, engine, serial, dense, relu, conv, flatten, fc, convNet, twoLayerFrozenRelu, type Matrix } from '../src/node.js';
import { rng, randn } from './helpers.js';

function randMat(rows: number, cols: number, seed: number, lo = 0, hi = 1): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * r();
  return { data, rows, cols };
}

test('vectorised arccos matches Math.acos to ~1 ulp on [-1, 1], including near +-1 and +-0.5', () => {
  const xs: number[] = [-1, 1, 0, -0, 0.5, -0.5, 0.5 + 2 ** -53, 0.5 - 2 ** -53, 1 - 2 ** -53, -1 + 2 ** -53];
  const r = rng(5);
  for (let i = 0; i < 20000; i++) xs.push(2 * r() - 1);
  for (let k = 1; k <= 52; k++) { xs.push(1 - 2 ** -k, -1 + 2 ** -k, 1 - 3 * 2 ** -k * r()); }
  for (let i = 0; i < 2000; i++) xs.push(1 - 1e-12 * r(), -1 + 1e-12 * r(), 0.5 + 1e-3 * (r() - 0.5));
  const e = engine();
  const src = e.from(Float64Array.from(xs)), dst = e.buffer('f64', xs.length);
  e.call('acos_f64_array', src.ptr, dst.ptr, xs.length);
  const got = dst.toArray();
  src.free(); dst.free();
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const want = Math.acos(xs[i]);
    const err = want === 0 ? Math.abs(got[i]) : Math.abs(got[i] - want) / want;
    worst = Math.max(worst, err);
  }
  assert.ok(worst < 1e-15, `worst relative error ${worst}`);
});

test('the conv maps\' arccos for c > 1/2 (theta = sin(theta) N/Q, relaxed build: sqrt(1 - c) times a polynomial) is within 3e-14 of Math.acos', () => {
  const xs: number[] = [1, 0.5 + 2 ** -53, 1 - 2 ** -53, 0.75];
  const r = rng(6);
  for (let i = 0; i < 20000; i++) xs.push(0.5 + 0.5 * r());
  for (let k = 2; k <= 52; k++) xs.push(1 - 2 ** -k, 1 - 2 ** -k * (1 + r()) / 2);
  if (xs.length % 2) xs.push(0.9);
  const e = engine();
  const src = e.from(Float64Array.from(xs)), dst = e.buffer('f64', xs.length);
  e.call('ntk_fast_acos_array', src.ptr, dst.ptr, xs.length);
  const got = dst.toArray();
  src.free(); dst.free();
  let worst = 0;
  for (let i = 0; i < xs.length; i++) {
    const want = Math.acos(xs[i]);
    worst = Math.max(worst, want === 0 ? Math.abs(got[i]) : Math.abs(got[i] - want) / want);
  }
  // measured: 1.3e-15 (SIMD build: the degree (4, 4) rational), 5e-16 (relaxed build: the polynomial)
  assert.ok(worst < 3e-14, `worst relative error ${worst}`);
});

test('two-layer frozen-ReLU NTK equals Eq. 42, x.x\' (pi - arccos u) / (2 pi), evaluated directly', () => {
  const X = randMat(6, 10, 1, -1, 1), Y = randMat(4, 10, 2, -1, 1);
  const K = twoLayerFrozenRelu().kernelFn(X, Y).ntk!;
  for (let i = 0; i < 6; i++) for (let j = 0; j < 4; j++) {
    let xy = 0, xx = 0, yy = 0;
    for (let k = 0; k < 10; k++) { const a = X.data[i * 10 + k], b = Y.data[j * 10 + k]; xy += a * b; xx += a * a; yy += b * b; }
    const want = (xy * (Math.PI - Math.acos(xy / Math.sqrt(xx * yy)))) / (2 * Math.PI);
    assert.ok(Math.abs(K.data[i * 4 + j] - want) <= 1e-13 * Math.abs(want) + 1e-15, `(${i},${j}) ${K.data[i * 4 + j]} vs ${want}`);
  }
});

test('ReLU NNGP of x with itself is half its input covariance; self-covariances q', () => {
  const X = randMat(5, 12, 3);
  const k = serial(flatten(), dense({ wStd: 1.3, bStd: 0.2 }), relu());
  const r = k.kernelFn(X, null, { get: 'nngp' });
  for (let i = 0; i < 5; i++) {
    let xx = 0;
    for (let j = 0; j < 12; j++) xx += X.data[i * 12 + j] ** 2;
    const q = 1.69 * xx / 12 + 0.04;
    assert.ok(Math.abs(r.nngp!.data[i * 5 + i] - q / 2) < 1e-14 * q, `diag ${i}`);
    assert.ok(Math.abs(r.q1[i] - q / 2) < 1e-14 * q, `q1 ${i}`);
  }
  // the output dense layer's width does not change the kernel
  const a = fc(2, { out: 10 }).kernelFn(X).ntk!.data, b = fc(2).kernelFn(X).ntk!.data;
  assert.deepEqual(a, b);
});

/** Smallest eigenvalue of a symmetric matrix by cyclic Jacobi (plain JS, small n). */
function minEig(A: Float64Array, n: number): number {
  const a = A.slice();
  for (let sweep = 0; sweep < 50; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) {
      const apq = a[p * n + q];
      if (Math.abs(apq) < 1e-300) continue;
      const th = (a[q * n + q] - a[p * n + p]) / (2 * apq);
      const t = Math.sign(th || 1) / (Math.abs(th) + Math.sqrt(th * th + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < n; k++) {
        const akp = a[k * n + p], akq = a[k * n + q];
        a[k * n + p] = c * akp - s * akq; a[k * n + q] = s * akp + c * akq;
      }
      for (let k = 0; k < n; k++) {
        const apk = a[p * n + k], aqk = a[q * n + k];
        a[p * n + k] = c * apk - s * aqk; a[q * n + k] = s * apk + c * aqk;
      }
    }
  }
  let m = Infinity;
  for (let i = 0; i < n; i++) m = Math.min(m, a[i * n + i]);
  return m;
}

for (const name of ['fc1', 'fc3', 'conv1', 'conv2', 'twolayer']) {
  test(`${name} Grams are exactly symmetric and positive semi-definite`, () => {
    const n = 24, X = randMat(n, 36, 7);
    for (let i = 0; i < 3; i++) X.data[(n - 1 - i) * 36 + 5] = X.data[i * 36 + 5] + 1e-6; // near duplicates
    const r = arch(name).kernelFn(X, null, { get: name === 'twolayer' ? 'ntk' : 'both', shape: [6, 6, 1] });
    for (const K of [r.ntk, r.nngp]) {
      if (!K) continue;
      let mx = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
        assert.equal(K.data[i * n + j], K.data[j * n + i]);
        mx = Math.max(mx, Math.abs(K.data[i * n + j]));
      }
      assert.ok(minEig(K.data, n) >= -1e-10 * mx, `min eigenvalue ${minEig(K.data, n)}`);
    }
  });
}

test('architecture names and input shapes are validated with specific errors', () => {
  assert.throws(() => arch('fc9'), /unknown architecture 'fc9'; valid: fc1, fc2, fc3, fc4, fc5, conv1, conv2, twolayer/);
  assert.throws(() => arch('resnet'), /valid: fc1/);
  const X = randMat(2, 36, 1);
  assert.throws(() => convNet(1).kernelFn(X), /conv input layer needs an image shape H x W x C \(e.g. \[6, 6, 1\] for 36 values\)/);
  assert.throws(() => convNet(1).kernelFn(X, null, { shape: [5, 5, 1] }), /image shape 5 x 5 x 1 needs 25 values per row, but the input rows have 36/);
  assert.throws(() => serial(conv(), relu(), dense()).kernelFn(X, null, { shape: [6, 6, 1] }), /layer 2 \(dense\) expects a flat input but gets an H x W map \(6 x 6\); put flatten\(\) before it/);
  assert.throws(() => serial(flatten(), dense(), conv()).kernelFn(X, null, { shape: [6, 6, 1] }), /layer 2 \(conv\) needs an image input/);
  assert.throws(() => serial(conv(), relu()).kernelFn(X, null, { shape: [6, 6, 1] }), /ends with an H x W map/);
  assert.throws(() => fc(1).kernelFn(X, randMat(2, 35, 1)), /X1 rows have 36 values but X2 rows have 35/);
  const bad = randMat(2, 36, 1); bad.data[40] = NaN;
  assert.throws(() => fc(1).kernelFn(bad), /entry \(1, 4\) is NaN/);
  assert.throws(() => fc(1).kernelFn(X, null, { get: 'foo' as 'ntk' }), /get must be 'ntk', 'nngp' or 'both'/);
  assert.throws(() => dense({ wStd: -1 }), /wStd must be a positive finite number/);
  // float32 inputs are widened, not rejected
  const X32 = { data: Float32Array.from(X.data), rows: 2, cols: 36 };
  const X64 = { data: Float64Array.from(X32.data), rows: 2, cols: 36 };
  assert.deepEqual(fc(1).kernelFn(X32).ntk, fc(1).kernelFn(X64).ntk);
});

test('larger FC3 Gram (n = 300, d = 784) agrees with a JS recursion on sampled entries', () => {
  const n = 300, d = 784, X = randMat(n, d, 9);
  const K = fc(3).kernelFn(X).ntk!.data;
  const r = rng(3);
  for (let s = 0; s < 50; s++) {
    const i = Math.floor(r() * n), j = Math.floor(r() * n);
    if (i === j) continue;
    let xy = 0, xx = 0, yy = 0;
    for (let k = 0; k < d; k++) { const a = X.data[i * d + k], b = X.data[j * d + k]; xy += a * b; xx += a * a; yy += b * b; }
    let nn = xy / d, kk = 0, q1 = xx / d, q2 = yy / d;
    const dn = () => { nn = 2 * nn + 0.01; kk = nn + 2 * kk; q1 = 2 * q1 + 0.01; q2 = 2 * q2 + 0.01; };
    for (let l = 0; l < 3; l++) {
      dn();
      const sq = Math.sqrt(q1 * q2), c = nn / sq, th = Math.acos(Math.min(1, Math.max(-1, c)));
      nn = sq * (Math.sin(th) + (Math.PI - th) * c) / (2 * Math.PI); kk = kk * (Math.PI - th) / (2 * Math.PI); q1 /= 2; q2 /= 2;
    }
    dn();
    assert.ok(Math.abs(K[i * n + j] - kk) < 1e-12 * kk, `(${i},${j})`);
  }
  void randn;
});
