// Kernel regression at t = infinity and finite t against independent references: the linear
// system itself and the gradient flow integrated numerically in function space.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { solveAlpha, fitKernelMachine, kernelOps, arch, gemm, engine, type Matrix } from '../src/node.js';
import { rng, randn } from './helpers.js';

function spd(n: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed), d = n + 3;
  const X = { data: Float64Array.from({ length: n * d }, () => randn(r)), rows: n, cols: d };
  const K = gemm(X, X, { transB: true, alpha: 1 / d });
  return K;
}
function labels(n: number, k: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed);
  return { data: Float64Array.from({ length: n * k }, () => (r() < 0.5 ? -1 : 1)), rows: n, cols: k };
}

test('t = infinity solves Theta alpha = Y (with ridge on the diagonal)', () => {
  const n = 40, K = spd(n, 1), Y = labels(n, 3, 2);
  for (const ridge of [0, 0.5]) {
    const a = solveAlpha(K, Y, { ridge });
    const R = gemm(K, a);
    for (let i = 0; i < n; i++) for (let j = 0; j < 3; j++) {
      const lhs = R.data[i * 3 + j] + ridge * a.data[i * 3 + j];
      assert.ok(Math.abs(lhs - Y.data[i * 3 + j]) < 1e-9, `residual at (${i},${j}) ridge=${ridge}`);
    }
  }
});

test('finite t equals the gradient flow df/dt = -(eta/N) Theta (f - Y) integrated by RK4', () => {
  const n = 10, k = 2, K = spd(n, 3), Y = labels(n, k, 4);
  const eta = 0.7, t = 25, N = n * k;
  const a = solveAlpha(K, Y, { t, eta });
  const fT = gemm(K, a).data; // f_t on the training inputs
  // RK4 on f in function space from f_0 = 0
  const steps = 4000, h = t / steps;
  let f = new Float64Array(n * k);
  const rhs = (g: Float64Array) => {
    const diff = { data: g.map((v, i) => v - Y.data[i]), rows: n, cols: k };
    return gemm(K, diff, { alpha: -eta / N }).data;
  };
  const axpy = (x: Float64Array, s: number, y: Float64Array) => x.map((v, i) => v + s * y[i]);
  for (let s = 0; s < steps; s++) {
    const k1 = rhs(f), k2 = rhs(axpy(f, h / 2, k1)), k3 = rhs(axpy(f, h / 2, k2)), k4 = rhs(axpy(f, h, k3));
    f = f.map((v, i) => v + (h / 6) * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]));
  }
  for (let i = 0; i < n * k; i++) assert.ok(Math.abs(f[i] - fT[i]) < 1e-8, `entry ${i}: RK4 ${f[i]} vs closed form ${fT[i]}`);
});

test('finite t tends to the t = infinity machine and is finite on a singular Gram', () => {
  const n = 12, K = spd(n, 5), Y = labels(n, 1, 6);
  const inf = solveAlpha(K, Y), late = solveAlpha(K, Y, { t: 1e9 });
  for (let i = 0; i < n; i++) assert.ok(Math.abs(inf.data[i] - late.data[i]) < 1e-6 * Math.max(1, Math.abs(inf.data[i])));
  // rank-1 Gram: null directions get the limit a = eta t / N instead of 0/0
  const v = Float64Array.from({ length: n }, (_, i) => i + 1);
  const R1 = { data: new Float64Array(n * n), rows: n, cols: n };
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) R1.data[i * n + j] = v[i] * v[j];
  const a = solveAlpha(R1, Y, { t: 3 });
  assert.ok(a.data.every(Number.isFinite));
});

test('bad shapes and values get specific errors', () => {
  const K = spd(4, 7);
  assert.throws(() => solveAlpha(K, labels(5, 1, 1)), /Y has 5 rows but Theta is 4 x 4/);
  assert.throws(() => solveAlpha(K, labels(4, 1, 1), { t: -1 }), /t must be > 0/);
  const Y = labels(4, 1, 1); Y.data[2] = NaN;
  assert.throws(() => solveAlpha(K, Y), /entry \(2, 0\) is NaN/);
});

test('fitKernelMachine: the Gram stays in wasm, alpha matches solveAlpha and trainOutputs = Theta alpha', () => {
  const n = 60, d = 30, r = rng(7);
  const X = { data: Float64Array.from({ length: n * d }, () => r()), rows: n, cols: d };
  const Y = labels(n, 2, 8);
  const resident = kernelOps(arch('fc1'));
  const viaJs = { ...resident, gramInto: undefined }; // a kernel that can only hand its Gram to JS
  const K = resident.gram(X);
  for (const fit of [{}, { ridge: 0.3 }, { t: 5, eta: 2 }, { t: 5, ridge: 0.1 }]) {
    for (const [name, ops] of [['resident', resident], ['via JS', viaJs]] as const) {
      fitKernelMachine(ops, X, Y, fit); // first call: the engine's cached per-thread scratch
      const before = engine().heap.inUse;
      const m = fitKernelMachine(ops, X, Y, fit);
      assert.equal(engine().heap.inUse, before, `${name} ${JSON.stringify(fit)}: wasm memory released`);
      const ref = solveAlpha(K, Y, fit), KA = gemm(K, m.alpha);
      for (let i = 0; i < n * 2; i++) {
        assert.ok(Math.abs(m.alpha.data[i] - ref.data[i]) <= 1e-8 * (1 + Math.abs(ref.data[i])), `${name} ${JSON.stringify(fit)}: alpha[${i}]`);
        assert.ok(Math.abs(m.trainOutputs.data[i] - KA.data[i]) < 1e-8, `${name} ${JSON.stringify(fit)}: trainOutputs[${i}] ${m.trainOutputs.data[i]} vs ${KA.data[i]}`);
      }
      assert.ok(m.seconds.gram >= 0 && m.seconds.solve >= 0);
    }
  }
});
