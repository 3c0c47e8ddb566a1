// Input gradients (VJP) of every kernel vs central finite differences (Richardson-extrapolated),
// at random inputs and at an input nearly parallel to a training point (x = x_i + 1e-4 noise),
// where arccos is steep. Near c = 1 the float64 kernel itself is too ill-conditioned for float64
// differences to resolve 1e-6 (they scatter by ~1e-5, the error growing like 1/angle^3), so
// those rows are checked at 1e-6 against differences taken in extended precision by
// test/fixtures/make_grad_fixtures.py, and only loosely (3e-5) against float64 differences.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { arch, type ImageShape, type Matrix } from '../src/node.js';
import { rng, randn, kernelVjpDirectional } from './helpers.js';

function randMat(rows: number, cols: number, seed: number, gauss = false): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = gauss ? randn(r) : r();
  return { data, rows, cols };
}

const cases: [string, ImageShape, 'ntk' | 'nngp'][] = [
  ['fc1', [6, 6, 1], 'ntk'], ['fc3', [6, 6, 1], 'ntk'], ['fc3', [4, 4, 3], 'nngp'], ['twolayer', [6, 6, 1], 'ntk'],
  ['conv1', [6, 6, 1], 'ntk'], ['conv1', [5, 4, 3], 'ntk'], ['conv1', [6, 6, 1], 'nngp'], ['conv2', [6, 6, 1], 'ntk'], ['conv2', [5, 5, 2], 'nngp'],
];

for (const [name, shape, get] of cases) {
  test(`${name} ${get} input VJP matches finite differences (${shape.join('x')})`, () => {
    const d = shape[0] * shape[1] * shape[2], n = 5, b = 3;
    const k = arch(name);
    const Xt = randMat(n, d, 11);
    const X = randMat(b, d, 12);
    const noise = randMat(1, d, 13, true);
    for (let j = 0; j < d; j++) X.data[d + j] = Xt.data[2 * d + j] + 1e-4 * noise.data[j]; // row 1 nearly parallel to x_2
    const W = randMat(b, n, 14, true);
    const G = k.kernelVjp(X, Xt, W, { get, shape });
    for (let row = 0; row < b; row++) {
      const V = randMat(1, d, 100 + row, true).data;
      // f(X) = sum_{b,i} W[b,i] K(x_b, x_i); row b of G is df/dx_b
      const { an, fd } = kernelVjpDirectional(k, X, Xt, W, G, get, shape, row, V, 1e-6);
      let gn = 0, vn = 0;
      for (let j = 0; j < d; j++) { gn += G.data[row * d + j] ** 2; vn += V[j] ** 2; }
      const scale = Math.max(Math.abs(an), 1e-3 * Math.sqrt(gn * vn));
      const tol = row === 1 ? 3e-5 : 1e-6;
      assert.ok(Math.abs(an - fd) / scale < tol, `row ${row}: analytic ${an} vs finite differences ${fd} (rel ${Math.abs(an - fd) / scale})`);
    }
  });
}

test('kernelJacobian rows are the per-training-point gradients (VJP with unit weights)', () => {
  const shape: ImageShape = [4, 4, 1], d = 16, n = 4;
  const k = arch('conv1');
  const Xt = randMat(n, d, 21), x = randMat(1, d, 22);
  const J = k.kernelJacobian(x, Xt, { shape });
  assert.equal(J.rows, n); assert.equal(J.cols, d);
  for (let i = 0; i < n; i++) {
    const W = { data: new Float64Array(n), rows: 1, cols: n };
    W.data[i] = 1;
    const g = k.kernelVjp(x, Xt, W, { shape }).data;
    for (let j = 0; j < d; j++) assert.ok(Math.abs(g[j] - J.data[i * d + j]) <= 1e-14 * (1 + Math.abs(g[j])));
  }
});

test('kernelVjp rejects shape mismatches with specific messages', () => {
  const k = arch('fc1');
  const X = randMat(2, 8, 1), Xt = randMat(3, 8, 2);
  assert.throws(() => k.kernelVjp(X, Xt, randMat(3, 2, 3)), /W must be 2 x 3 \(rows of X by rows of Xtrain\), got 3 x 2/);
  assert.throws(() => k.kernelVjp(X, randMat(3, 7, 2), randMat(2, 3, 3)), /X rows have 8 values but Xtrain rows have 7/);
});

interface GradCase { arch: string; shape: [number, number, number]; Xt: number[]; x: number[]; w: number[]; v: number[]; ntk: number; nngp?: number }
const gfx = JSON.parse(readFileSync(new URL('../../test/fixtures/kernel_grads.json', import.meta.url), 'utf8')) as { cases: GradCase[] };
for (const c of gfx.cases) {
  test(`${c.arch} VJP at a nearly parallel input matches extended-precision differences to 1e-6 (${c.shape.join('x')})`, () => {
    const d = c.x.length, n = c.w.length, shape = c.shape as unknown as ImageShape;
    const Xt = { data: Float64Array.from(c.Xt), rows: n, cols: d }, x = { data: Float64Array.from(c.x), rows: 1, cols: d };
    const W = { data: Float64Array.from(c.w), rows: 1, cols: n };
    for (const get of ['ntk', 'nngp'] as const) {
      const want = c[get];
      if (want === undefined) continue;
      const g = arch(c.arch).kernelVjp(x, Xt, W, { get, shape }).data;
      let an = 0;
      for (let j = 0; j < d; j++) an += g[j] * c.v[j];
      assert.ok(Math.abs(an - want) / Math.abs(want) < 1e-6, `${get}: analytic ${an} vs ${want} (rel ${Math.abs(an - want) / Math.abs(want)})`);
    }
  });
}

test('VJPs stay exact on MNIST-like sparse images (zero backgrounds give c = 1 exactly in conv maps)', () => {
  const shape: ImageShape = [7, 7, 1], d = 49, n = 4, b = 2;
  const sparse = (rows: number, seed: number) => {
    const M = randMat(rows, d, seed);
    for (let i = 0; i < rows; i++) for (let y = 0; y < 7; y++) for (let x = 0; x < 7; x++)
      if (x < 2 || y < 2 || (x + y + i) % 3 === 0) M.data[i * d + y * 7 + x] = 0;
    return M;
  };
  const Xt = sparse(n, 41), X = sparse(b, 42), W = randMat(b, n, 43, true);
  for (const name of ['conv1', 'conv2', 'fc3']) {
    const k = arch(name);
    const G = k.kernelVjp(X, Xt, W, { shape });
    const f = (Xp: Matrix<Float64Array>) => { const K = k.kernelFn(Xp, Xt, { shape }).ntk!.data; let s = 0; for (let q = 0; q < K.length; q++) s += W.data[q] * K[q]; return s; };
    for (let row = 0; row < b; row++) {
      const V = randMat(1, d, 200 + row, true).data;
      const D = (h: number) => {
        const Xp = { ...X, data: X.data.slice() }, Xm = { ...X, data: X.data.slice() };
        for (let j = 0; j < d; j++) { Xp.data[row * d + j] += h * V[j]; Xm.data[row * d + j] -= h * V[j]; }
        return (f(Xp) - f(Xm)) / (2 * h);
      };
      const fd = (4 * D(5e-7) - D(1e-6)) / 3;
      let an = 0;
      for (let j = 0; j < d; j++) an += G.data[row * d + j] * V[j];
      for (const v of G.data) assert.ok(Number.isFinite(v));
      assert.ok(Math.abs(an - fd) < 1e-6 * Math.abs(an), `${name} row ${row}: ${an} vs ${fd}`);
    }
  }
});
