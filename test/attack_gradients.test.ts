// Attack gradients against central finite differences of the kernel machine's loss, with a
// Gaussian kernel whose input gradient is known in closed form (independent of the NTK code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  solveAlpha, objectiveGradient, lossValues, fgsm, pgd, kernelMachineModel, type KernelMachine, type KernelOps, type Matrix,
} from '../src/node.js';
import { rng } from './helpers.js';

const S2 = 0.8; // bandwidth^2
function rbf(a: Float64Array, ao: number, b: Float64Array, bo: number, d: number): number {
  let s = 0;
  for (let p = 0; p < d; p++) { const t = a[ao + p] - b[bo + p]; s += t * t; }
  return Math.exp(-s / (2 * S2));
}
const rbfOps: KernelOps = {
  gram: (X) => rbfOps.cross(X, X),
  cross(X1, X2) {
    const d = X1.cols, out = new Float64Array(X1.rows * X2.rows);
    for (let i = 0; i < X1.rows; i++) for (let j = 0; j < X2.rows; j++) out[i * X2.rows + j] = rbf(X1.data, i * d, X2.data, j * d, d);
    return { data: out, rows: X1.rows, cols: X2.rows };
  },
  vjp(X, Xt, Ws) {
    const d = X.cols, n = Xt.rows;
    return Ws.map((W) => {
      const G = new Float64Array(X.rows * d);
      for (let b = 0; b < X.rows; b++) for (let i = 0; i < n; i++) {
        const c = W.data[b * n + i] * rbf(X.data, b * d, Xt.data, i * d, d) / S2;
        for (let p = 0; p < d; p++) G[b * d + p] += c * (Xt.data[i * d + p] - X.data[b * d + p]);
      }
      return { data: G, rows: X.rows, cols: d };
    });
  },
};

function machine(k: number, seed: number): KernelMachine {
  const r = rng(seed), n = 12, d = 5;
  const X = { data: Float64Array.from({ length: n * d }, r), rows: n, cols: d };
  const Y = { data: new Float64Array(n * k), rows: n, cols: k };
  for (let i = 0; i < n; i++) {
    if (k === 1) Y.data[i] = i % 2 ? 1 : -1;
    else Y.data[i * k + (i % k)] = 1;
  }
  return { kernel: rbfOps, Xtrain: X, alpha: solveAlpha(rbfOps.gram(X), Y, { ridge: 1e-3 }), outputs: k, t: Infinity, ridge: 1e-3 };
}

function fdCheck(k: number, labels: Int32Array) {
  const m = machine(k, 7), model = kernelMachineModel(m), d = 5, b = labels.length, r = rng(99);
  const X: Matrix<Float64Array> = { data: Float64Array.from({ length: b * d }, r), rows: b, cols: d };
  const { grad } = objectiveGradient(model, X, labels, 'ce', 0.1);
  const h = 1e-5;
  for (let i = 0; i < b; i++) for (let p = 0; p < d; p++) {
    const xp = X.data.slice(), xm = X.data.slice();
    xp[i * d + p] += h; xm[i * d + p] -= h;
    const lp = lossValues(model.forward({ data: xp, rows: b, cols: d }), labels)[i];
    const lm = lossValues(model.forward({ data: xm, rows: b, cols: d }), labels)[i];
    const fd = (lp - lm) / (2 * h), g = grad.data[i * d + p];
    assert.ok(Math.abs(fd - g) <= 1e-6 * Math.max(1, Math.abs(fd)), `k=${k} input ${i} coord ${p}: analytic ${g} vs FD ${fd}`);
  }
}

test('binary logistic-loss gradient equals finite differences', () => fdCheck(1, Int32Array.from([1, -1, 1, -1])));
test('multiclass cross-entropy gradient equals finite differences', () => fdCheck(3, Int32Array.from([0, 1, 2, 1])));

test('FGSM and PGD stay inside the eps-ball and [0,1] and raise the loss', () => {
  const m = machine(3, 3), model = kernelMachineModel(m), d = 5, b = 6, r = rng(5);
  const X = { data: Float64Array.from({ length: b * d }, r), rows: b, cols: d };
  const labels = Int32Array.from([0, 1, 2, 0, 1, 2]);
  const eps = 0.05;
  const before = lossValues(model.forward(X), labels);
  for (const adv of [fgsm(model, X, labels, { eps }), pgd(model, X, labels, { eps, steps: 5, stepSize: 0.02, randomStart: true, random: rng(1) })]) {
    for (let i = 0; i < X.data.length; i++) {
      assert.ok(Math.abs(adv.data[i] - X.data[i]) <= eps + 1e-15, 'eps-ball');
      assert.ok(adv.data[i] >= 0 && adv.data[i] <= 1, '[0,1]');
    }
    const after = lossValues(model.forward(adv), labels);
    let sb = 0, sa = 0;
    for (let i = 0; i < b; i++) { sb += before[i]; sa += after[i]; }
    assert.ok(sa > sb, `mean loss should rise: ${sb / b} -> ${sa / b}`);
  }
});

test('max-of-k and sum-of-k directions are the stated combinations of class gradients', () => {
  const m = machine(3, 11), model = kernelMachineModel(m), d = 5, r = rng(8);
  const X = { data: Float64Array.from({ length: 2 * d }, r), rows: 2, cols: d };
  const labels = Int32Array.from([1, 2]);
  const per = [0, 1, 2].map((j) => {
    const w = { data: new Float64Array(6), rows: 2, cols: 3 };
    w.data[j] = 1; w.data[3 + j] = 1;
    return model.vjp(X, [w])[0];
  });
  const sum = objectiveGradient(model, X, labels, 'sum-of-k', 0.1).grad;
  const max = objectiveGradient(model, X, labels, 'max-of-k', 0.1).grad;
  const F = model.forward(X);
  for (let i = 0; i < 2; i++) {
    const c = labels[i];
    let best = -1, bestGain = -Infinity;
    for (let j = 0; j < 3; j++) if (j !== c) {
      let l1 = 0;
      for (let p = 0; p < d; p++) l1 += Math.abs(per[j].data[i * d + p] - per[c].data[i * d + p]);
      const gain = F.data[i * 3 + j] - F.data[i * 3 + c] + 0.1 * l1;
      if (gain > bestGain) { bestGain = gain; best = j; }
    }
    for (let p = 0; p < d; p++) {
      let want = 0;
      for (let j = 0; j < 3; j++) want += (j === c ? -2 : 1) * per[j].data[i * d + p];
      assert.ok(Math.abs(sum.data[i * d + p] - want) < 1e-12);
      assert.ok(Math.abs(max.data[i * d + p] - (per[best].data[i * d + p] - per[c].data[i * d + p])) < 1e-12);
    }
  }
});
