// Kernel.kernelJacobianTimes (issue 11): R rank-one VJPs, G_r[b] = sum_i A[i, r] dK(x_b, x_i)/dx_b,
// in one pass over the pairs. Checked against R separate kernelVjp calls with W_r[b, i] = A[i, r]
// (to 1e-10 relative) and against central finite differences of sum_{b,i} A[i, r] K(x_b, x_i),
// on signed inputs of small conv images (and an FC kernel, which takes the fused path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arch, kernelOps, type ImageShape, type Matrix } from '../src/node.js';
import { rng, randn, kernelVjpDirectional } from './helpers.js';

function gaussMat(rows: number, cols: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = randn(r);
  return { data, rows, cols };
}

/** W_r (b x n) with W_r[b, i] = A[i, r]. */
function broadcast(A: Matrix<Float64Array>, r: number, b: number): Matrix<Float64Array> {
  const n = A.rows, W = new Float64Array(b * n);
  for (let q = 0; q < b; q++) for (let i = 0; i < n; i++) W[q * n + i] = A.data[i * A.cols + r];
  return { data: W, rows: b, cols: n };
}

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / den;
}

const cases: { name: string; shape: ImageShape; n: number; b: number; R: number }[] = [
  { name: 'conv1', shape: [4, 4, 3], n: 6, b: 3, R: 4 },
  { name: 'conv1', shape: [5, 3, 1], n: 5, b: 2, R: 3 },
  { name: 'conv2', shape: [3, 4, 2], n: 4, b: 2, R: 2 },
  // more training points than one Jacobian block holds (128): several GEMM accumulations
  { name: 'conv1', shape: [2, 3, 1], n: 133, b: 3, R: 5 },
  { name: 'fc2', shape: [3, 3, 1], n: 7, b: 3, R: 3 },
];

for (const c of cases) {
  test(`${c.name} kernelJacobianTimes on ${c.shape.join('x')} (n ${c.n}, ${c.R} columns) equals one kernelVjp per column`, () => {
    const d = c.shape[0] * c.shape[1] * c.shape[2];
    const k = arch(c.name), Xt = gaussMat(c.n, d, 51), X = gaussMat(c.b, d, 52), A = gaussMat(c.n, c.R, 53);
    for (const get of ['ntk', 'nngp'] as const) {
      const G = k.kernelJacobianTimes(X, Xt, A, { get, shape: c.shape });
      assert.equal(G.length, c.R);
      for (let r = 0; r < c.R; r++) {
        assert.deepEqual([G[r].rows, G[r].cols], [c.b, d]);
        const ref = k.kernelVjp(X, Xt, broadcast(A, r, c.b), { get, shape: c.shape });
        const err = relErr(G[r].data, ref.data);
        assert.ok(err < 1e-10, `${get} column ${r}: relative difference ${err}`);
      }
    }
  });
}

test('conv1 kernelJacobianTimes matches central finite differences (ntk and nngp)', () => {
  const shape: ImageShape = [4, 3, 3], d = 36, n = 5, b = 2, R = 2;
  const k = arch('conv1'), Xt = gaussMat(n, d, 61), X = gaussMat(b, d, 62), A = gaussMat(n, R, 63);
  for (const get of ['ntk', 'nngp'] as const) {
    const G = k.kernelJacobianTimes(X, Xt, A, { get, shape });
    for (let r = 0; r < R; r++)
      for (let row = 0; row < b; row++) {
        const { an, fd } = kernelVjpDirectional(k, X, Xt, broadcast(A, r, b), G[r], get, shape, row, gaussMat(1, d, 70 + row).data, 1e-5);
        assert.ok(Math.abs(an - fd) < 1e-6 * Math.max(Math.abs(an), 1e-3), `${get} column ${r} row ${row}: analytic ${an} vs finite differences ${fd}`);
      }
  }
});

test('kernelOps offers jacobianTimes for conv kernels only; bad A is refused with its shape', () => {
  assert.equal(typeof kernelOps(arch('conv1'), [4, 4, 1]).jacobianTimes, 'function');
  assert.equal(kernelOps(arch('fc1')).jacobianTimes, undefined);
  const k = arch('conv1'), X = gaussMat(2, 16, 1), Xt = gaussMat(3, 16, 2);
  assert.throws(() => k.kernelJacobianTimes(X, Xt, gaussMat(4, 2, 3), { shape: [4, 4, 1] }), /A must have one row per training point \(3\), got 4 x 2/);
  // zero columns: no outputs, no pass
  assert.deepEqual(k.kernelJacobianTimes(X, Xt, { data: new Float64Array(0), rows: 3, cols: 0 }, { shape: [4, 4, 1] }), []);
});
