// The fused value + VJP (one pass over the pairs, sensitivities shared by every weight matrix)
// must agree with kernelFn + kernelVjp per weight matrix, and the attacks' fused path with the
// forward + vjp path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arch, kernelOps, solveAlpha, objectiveGradient, kernelMachineModel, type ImageShape, type KernelMachine, type Matrix,
} from '../src/node.js';
import { rng, randn } from './helpers.js';

function randMat(rows: number, cols: number, seed: number, gauss = false): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = gauss ? randn(r) : r();
  return { data, rows, cols };
}

/** max |a - b| / max |b|, so 1e-12 means agreement to ~12 digits of the largest entry. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0, mx = 0;
  for (let i = 0; i < a.length; i++) { diff = Math.max(diff, Math.abs(a[i] - b[i])); mx = Math.max(mx, Math.abs(b[i])); }
  return diff / (mx || 1);
}

const shape: ImageShape = [6, 6, 1];
const cases: [string, 'ntk' | 'nngp'][] = [['fc1', 'ntk'], ['fc3', 'ntk'], ['fc3', 'nngp'], ['twolayer', 'ntk'], ['conv1', 'ntk'], ['conv2', 'nngp']];

for (const [name, get] of cases) {
  test(`${name} ${get}: kernelValueAndVjp equals kernelFn + kernelVjp for several weight matrices`, () => {
    const k = arch(name), d = 36, n = 23, b = 5;
    const Xt = randMat(n, d, 1), X = randMat(b, d, 2);
    const W1 = randMat(b, n, 3, true), W2 = randMat(b, n, 4, true);
    let seen: Matrix<Float64Array> | null = null;
    // the weights depend on K, as an attack's do
    const weights = (K: Matrix<Float64Array>) => {
      seen = K;
      const W3 = { data: K.data.map((v, i) => Math.tanh(v) * W1.data[i]), rows: b, cols: n };
      return [W1, W2, W3];
    };
    const { K, G } = k.kernelValueAndVjp(X, Xt, weights, { shape, get });
    const Kref = k.kernelFn(X, Xt, { shape, get })[get]!;
    assert.equal(seen, K);
    assert.ok(relErr(K.data, Kref.data) <= 1e-12, `K off by ${relErr(K.data, Kref.data)}`);
    const Ws = weights(Kref);
    assert.equal(G.length, 3);
    for (let r = 0; r < 3; r++) {
      const ref = k.kernelVjp(X, Xt, Ws[r], { shape, get });
      assert.equal(G[r].rows, b); assert.equal(G[r].cols, d);
      const e = relErr(G[r].data, ref.data);
      assert.ok(e <= 1e-12, `weights ${r}: G off by ${e}`);
    }
  });
}

test('kernelValueAndVjp rejects weight matrices of the wrong shape', () => {
  const k = arch('fc1'), X = randMat(3, 8, 1), Xt = randMat(4, 8, 2);
  assert.throws(() => k.kernelValueAndVjp(X, Xt, () => [randMat(3, 5, 3)]), /weights\[0\] must be 3 x 4/);
});

function machine(name: string, k: number): KernelMachine {
  const ops = kernelOps(arch(name), shape), n = 20;
  const X = randMat(n, 36, 7);
  const Y = { data: new Float64Array(n * k), rows: n, cols: k };
  for (let i = 0; i < n; i++) Y.data[i * k + (i % k)] = 1;
  return { kernel: ops, Xtrain: X, alpha: solveAlpha(ops.gram(X), Y, { ridge: 1e-3 }), outputs: k, t: Infinity, ridge: 1e-3 };
}

for (const name of ['fc1', 'conv1']) {
  for (const loss of ['ce', 'max-of-k', 'sum-of-k'] as const) {
    test(`${name} ${loss}: objectiveGradient's fused path equals forward + vjp`, () => {
      const m = machine(name, 4), model = kernelMachineModel(m);
      assert.ok(model.forwardAndVjp, 'kernel machines on analytic kernels offer the fused path');
      const unfused = { ...model, forwardAndVjp: undefined };
      const X = randMat(6, 36, 8), labels = Int32Array.from([0, 1, 2, 3, 1, 2]);
      const a = objectiveGradient(model, X, labels, loss, 0.05);
      const b = objectiveGradient(unfused, X, labels, loss, 0.05);
      assert.ok(relErr(a.outputs.data, b.outputs.data) <= 1e-12, `outputs off by ${relErr(a.outputs.data, b.outputs.data)}`);
      assert.ok(relErr(a.grad.data, b.grad.data) <= 1e-12, `gradient off by ${relErr(a.grad.data, b.grad.data)}`);
    });
  }
}

test('kernelOps.vjp with several weight matrices (one fused pass for FC) equals kernelVjp per matrix', () => {
  for (const name of ['fc2', 'conv1']) {
    const k = arch(name), ops = kernelOps(k, shape), Xt = randMat(9, 36, 5), X = randMat(4, 36, 6);
    const Ws = [randMat(4, 9, 7, true), randMat(4, 9, 8, true)];
    const G = ops.vjp(X, Xt, Ws);
    for (let r = 0; r < 2; r++) assert.ok(relErr(G[r].data, k.kernelVjp(X, Xt, Ws[r], { shape }).data) <= 1e-12, `${name} weights ${r}`);
  }
});

test('kernelOps.crossTimes equals cross(X1, X2) A', () => {
  for (const [name, get] of [['fc2', 'ntk'], ['conv1', 'nngp']] as const) {
    const ops = kernelOps(arch(name), shape, get), X1 = randMat(5, 36, 9), X2 = randMat(11, 36, 10), A = randMat(11, 3, 11, true);
    const K = ops.cross(X1, X2), P = ops.crossTimes!(X1, X2, A);
    assert.equal(P.rows, 5); assert.equal(P.cols, 3);
    const ref = new Float64Array(15);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) for (let t = 0; t < 11; t++) ref[i * 3 + j] += K.data[i * 11 + t] * A.data[t * 3 + j];
    assert.ok(relErr(P.data, ref) <= 1e-13, `${name}: off by ${relErr(P.data, ref)}`);
  }
  assert.throws(() => kernelOps(arch('fc1')).crossTimes!(randMat(2, 4, 1), randMat(3, 4, 2), randMat(4, 1, 3)), /A has 4 rows but X2 has 3/);
});
