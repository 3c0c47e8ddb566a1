// Eigen-features of a conv kernel (issue 11): their input gradients come from one Jacobian pass
// (kernelOps(conv).jacobianTimes) instead of one VJP pass per feature. On tiny images the
// gradients equal the per-feature VJPs (1e-10) and central finite differences of the feature
// outputs, and the one-pass FGSM equals fgsm() on each feature as a kernel machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arch, kernelOps, eigenFeatures, attackMembers, memberGradients, memberMachine, predict, kernelMachineModel, fgsm,
  type Matrix, type KernelOps, type ImageShape,
} from '../src/node.js';
import { projections, memberOutputs, memberCoefficients, pickOutputs } from '../src/features/index.js';
import { rng, maxAbsDiff } from './helpers.js';

const shape: ImageShape = [4, 4, 3], d = 48;
function images(n: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed);
  return { data: Float64Array.from({ length: n * d }, r), rows: n, cols: d };
}
function labelsOf(X: Matrix<Float64Array>, k: number): Int32Array {
  // brightness of the left half against the right half: something the kernel can learn
  return Int32Array.from({ length: X.rows }, (_, i) => {
    let s = 0;
    for (let p = 0; p < d; p++) s += ((p / 3) % 4 < 2 ? 1 : -1) * X.data[i * d + p];
    return k === 1 ? (s > 0 ? 1 : -1) : Math.min(k - 1, Math.floor(Math.abs(s) * 2) % k);
  });
}
function targets(y: Int32Array, k: number): Matrix<Float64Array> {
  const Y = { data: new Float64Array(y.length * k), rows: y.length, cols: k };
  for (let i = 0; i < y.length; i++) { if (k === 1) Y.data[i] = y[i]; else Y.data[i * k + y[i]] = 1; }
  return Y;
}
const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => maxAbsDiff(a, b) / Math.max(1e-300, ...Array.from(b, Math.abs));
const conv1: KernelOps = kernelOps(arch('conv1'), shape);
/** The same kernel without the Jacobian path: one VJP per weight matrix (the old route). */
const perFeature: KernelOps = { ...conv1, jacobianTimes: undefined };

for (const k of [1, 3]) {
  test(`conv1 feature gradients from one Jacobian pass equal the per-feature VJPs (k = ${k})`, () => {
    assert.equal(typeof conv1.jacobianTimes, 'function');
    const X = images(24, 1), Xt = images(5, 2), y = labelsOf(X, k);
    const fs = eigenFeatures(conv1, X, targets(y, k), { indices: [0, 1, 2, 5, 11], method: 'full' });
    const members = [[0], [1], [4], [1, 3]];
    const w = pickOutputs(k, Int32Array.from({ length: Xt.rows }, (_, i) => i % k));
    const a = memberGradients(fs, members, Xt, w), b = memberGradients({ ...fs, kernel: perFeature }, members, Xt, w);
    members.forEach((_, j) => assert.ok(rel(a.members[j].data, b.members[j].data) < 1e-10, `member ${j}: ${rel(a.members[j].data, b.members[j].data)}`));
    assert.ok(rel(a.machine.data, b.machine.data) < 1e-10, `whole machine: ${rel(a.machine.data, b.machine.data)}`);
  });
}

test('conv1 feature gradients (Jacobian pass) match central finite differences of the feature outputs', () => {
  const X = images(20, 3), Xt = images(2, 4), k = 1, y = labelsOf(X, k);
  const fs = eigenFeatures(conv1, X, targets(y, k), { indices: [0, 1, 4], method: 'full' });
  const members = [[0], [2], [1, 2]];
  const g = memberGradients(fs, members, Xt, pickOutputs(k, new Int32Array(Xt.rows)));
  const h = 1e-5;
  members.forEach((mb, j) => {
    const C = memberCoefficients(fs, mb);
    const out = (Z: Matrix<Float64Array>) => memberOutputs(projections(fs, Z), C);
    for (let b = 0; b < Xt.rows; b++) for (let p = 0; p < d; p += 5) {
      const step = (s: number) => {
        const xp = Xt.data.slice(), xm = Xt.data.slice();
        xp[b * d + p] += s; xm[b * d + p] -= s;
        return (out({ ...Xt, data: xp }).data[b] - out({ ...Xt, data: xm }).data[b]) / (2 * s);
      };
      const fd = (4 * step(h / 2) - step(h)) / 3, an = g.members[j].data[b * d + p];
      assert.ok(Math.abs(fd - an) <= 1e-6 * Math.max(1e-3, Math.abs(fd)), `member ${j} point ${b} coord ${p}: ${an} vs FD ${fd}`);
    }
  });
});

test('conv1 one-pass FGSM on many features equals fgsm() on each feature as a kernel machine', () => {
  for (const k of [1, 3]) {
    const X = images(30, 5), Xt = images(7, 6), y = labelsOf(X, k), yt = labelsOf(Xt, k);
    const fs = eigenFeatures(conv1, X, targets(y, k), { indices: [0, 1, 2, 7] });
    const members = [[0], [1], [3], [0, 1, 2]];
    const eps = 0.05;
    const r = attackMembers(fs, members, Xt, yt, { eps, batch: 3 });
    members.forEach((mb, j) => {
      const mm = memberMachine(fs, mb);
      assert.ok(rel(r.clean[j].data, predict(mm, Xt).data) < 1e-9, 'clean outputs');
      const want = predict(mm, fgsm(kernelMachineModel(mm), Xt, yt, { eps }));
      assert.ok(rel(r.adversarial![j].data, want.data) < 1e-9, `k=${k} member ${j}: adversarial outputs differ by ${rel(r.adversarial![j].data, want.data)}`);
    });
  }
});
