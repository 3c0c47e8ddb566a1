// APGD, APGD-T, the multi-targeted attack and the worst-case ensemble, checked against the
// closed-form L-inf optimum of a linear kernel machine (Theta = x . x'), where f(x) = x V and
// the best margin f_t - f_y over the ball and box is known exactly; plus finite differences
// of the DLR losses' output weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  solveAlpha, kernelMachineModel, fgsm, type KernelMachine, type KernelOps, type Matrix, type DifferentiableModel,
} from '../src/node.js';
import { apgd, apgdCheckpoints } from '../src/attacks/apgd.js';
import { apgdTargeted } from '../src/attacks/apgd_targeted.js';
import { multiTargeted } from '../src/attacks/multi_targeted.js';
import { worstCase } from '../src/attacks/ensemble.js';
import { headValue, misclassified, type HeadLoss } from '../src/attacks/heads.js';
import { pgdOutcome } from '../src/attacks/fgsm_pgd.js';
import { gatherInt, gatherRows, type AttackOutcome } from '../src/attacks/budget.js';
import { rng } from './helpers.js';

const linearOps: KernelOps = {
  gram: (X) => linearOps.cross(X, X),
  cross(X1, X2) {
    const d = X1.cols, out = new Float64Array(X1.rows * X2.rows);
    for (let i = 0; i < X1.rows; i++) for (let j = 0; j < X2.rows; j++) {
      let s = 0;
      for (let p = 0; p < d; p++) s += X1.data[i * d + p] * X2.data[j * d + p];
      out[i * X2.rows + j] = s;
    }
    return { data: out, rows: X1.rows, cols: X2.rows };
  },
  // d/dx sum_i W[b,i] (x . x_i) = sum_i W[b,i] x_i
  vjp: (X, Xt, Ws) => Ws.map((W) => {
    const d = X.cols, n = Xt.rows, G = new Float64Array(X.rows * d);
    for (let b = 0; b < X.rows; b++) for (let i = 0; i < n; i++) for (let p = 0; p < d; p++) G[b * d + p] += W.data[b * n + i] * Xt.data[i * d + p];
    return { data: G, rows: X.rows, cols: d };
  }),
};

const K = 5, D = 8, N = 30, B = 40;
function setup(seed = 1) {
  const r = rng(seed);
  const Xt = { data: Float64Array.from({ length: N * D }, r), rows: N, cols: D };
  const Y = { data: new Float64Array(N * K), rows: N, cols: K };
  for (let i = 0; i < N; i++) Y.data[i * K + (i % K)] = 1;
  const machine: KernelMachine = { kernel: linearOps, Xtrain: Xt, alpha: solveAlpha(linearOps.gram(Xt), Y, { ridge: 1e-2 }), outputs: K, t: Infinity, ridge: 1e-2 };
  const model = kernelMachineModel(machine);
  const X = { data: Float64Array.from({ length: B * D }, r), rows: B, cols: D };
  const labels = Int32Array.from(misclassified(model.forward(X), new Int32Array(B)), () => 0);
  // label = the clean prediction, so every point starts correctly classified
  const F = model.forward(X);
  for (let i = 0; i < B; i++) { let best = 0; for (let j = 1; j < K; j++) if (F.data[i * K + j] > F.data[i * K + best]) best = j; labels[i] = best; }
  // V = Xt^T alpha (d x k): f(x) = x V
  const V = new Float64Array(D * K);
  for (let p = 0; p < D; p++) for (let j = 0; j < K; j++) for (let i = 0; i < N; i++) V[p * K + j] += Xt.data[i * D + p] * machine.alpha.data[i * K + j];
  return { model, X, labels, V };
}

/** The largest margin max_{t != y} f_t - f_y over the eps-ball intersected with [0,1]^d, in closed form. */
function optimum(X: Matrix<Float64Array>, labels: Int32Array, V: Float64Array, eps: number): Float64Array {
  const out = new Float64Array(X.rows).fill(-Infinity);
  for (let i = 0; i < X.rows; i++) for (let t = 0; t < K; t++) {
    if (t === labels[i]) continue;
    let m = 0;
    for (let p = 0; p < D; p++) {
      const x = X.data[i * D + p], v = V[p * K + t] - V[p * K + labels[i]];
      m += v * x + (v > 0 ? v * Math.min(eps, 1 - x) : -v * Math.min(eps, x));
    }
    out[i] = Math.max(out[i], m);
  }
  return out;
}

function margins(model: DifferentiableModel, A: Matrix<Float64Array>, labels: Int32Array): Float64Array {
  return headValue('margin', model.forward(A), labels).loss;
}

function inBudget(X: Matrix<Float64Array>, A: Matrix<Float64Array>, eps: number, what: string) {
  for (let q = 0; q < X.data.length; q++) {
    assert.ok(Math.abs(A.data[q] - X.data[q]) <= eps + 1e-15, `${what}: eps-ball at ${q}`);
    assert.ok(A.data[q] >= 0 && A.data[q] <= 1, `${what}: [0,1] at ${q}`);
  }
}

const count = (u: Uint8Array) => u.reduce((a, v) => a + v, 0);

test('APGD checkpoints follow p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06)', () => {
  assert.deepEqual(apgdCheckpoints(100), [22, 41, 57, 70, 80, 87, 93, 99]);
  assert.deepEqual(apgdCheckpoints(10), [3, 5, 6, 7, 8, 9, 10]);
});

test('DLR, targeted DLR, CE and margin output weights equal finite differences of their losses', () => {
  const r = rng(3), b = 6, k = 6;
  const F = { data: Float64Array.from({ length: b * k }, r), rows: b, cols: k };
  const labels = Int32Array.from([0, 1, 2, 3, 4, 5]), targets = Int32Array.from([1, 2, 3, 4, 5, 0]);
  for (const h of ['ce', 'dlr', 'dlr-targeted', 'margin', 'margin-targeted'] as HeadLoss[]) {
    const { w } = headValue(h, F, labels, targets);
    const e = 1e-6;
    for (let q = 0; q < F.data.length; q++) {
      const Fp = { ...F, data: F.data.slice() }, Fm = { ...F, data: F.data.slice() };
      Fp.data[q] += e; Fm.data[q] -= e;
      const i = Math.floor(q / k);
      const fd = (headValue(h, Fp, labels, targets).loss[i] - headValue(h, Fm, labels, targets).loss[i]) / (2 * e);
      assert.ok(Math.abs(fd - w.data[q]) < 1e-6 * Math.max(1, Math.abs(fd)), `${h} entry ${q}: ${w.data[q]} vs FD ${fd}`);
    }
  }
  // DLR's value: -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3)
  const z = { data: Float64Array.from([0.9, 0.1, 0.5, 0.3]), rows: 1, cols: 4 };
  assert.ok(Math.abs(headValue('dlr', z, Int32Array.of(0)).loss[0] - -(0.9 - 0.5) / (0.9 - 0.3 + 1e-12)) < 1e-12);
  assert.ok(Math.abs(headValue('dlr-targeted', z, Int32Array.of(0), Int32Array.of(1)).loss[0] - -(0.9 - 0.1) / (0.9 - 0.2 + 1e-12)) < 1e-12);
});

test('linear kernel: the multi-targeted step reaches the closed-form L-inf optimum of the margin', () => {
  const { model, X, labels, V } = setup();
  for (const eps of [0.03, 0.1, 0.3]) {
    const opt = optimum(X, labels, V, eps);
    const out = multiTargeted(model, X, labels, { eps });
    inBudget(X, out.adversarial, eps, 'mt');
    const got = margins(model, out.adversarial, labels);
    for (let i = 0; i < B; i++) {
      assert.equal(out.broken[i], opt[i] > 0 ? 1 : 0, `eps ${eps} point ${i}: optimum ${opt[i]}`);
      if (!out.broken[i]) assert.ok(Math.abs(got[i] - opt[i]) < 1e-9, `eps ${eps} point ${i}: margin ${got[i]} vs optimum ${opt[i]}`);
      assert.ok(got[i] <= opt[i] + 1e-9, 'no attack beats the optimum');
    }
  }
});

test('linear kernel: APGD-T and the ensemble break exactly the breakable points; robust accuracy is monotone in eps', () => {
  const { model, X, labels, V } = setup(2);
  let prev = Infinity;
  for (const eps of [0.02, 0.05, 0.1, 0.2]) {
    const breakable = Uint8Array.from(optimum(X, labels, V, eps), (m) => (m > 0 ? 1 : 0));
    const T = apgdTargeted(model, X, labels, { eps, iters: 20, targets: 4 });
    const C = apgd(model, X, labels, { eps, loss: 'ce', iters: 20 });
    const F = fgsm(model, X, labels, { eps });
    inBudget(X, T.adversarial, eps, 'apgd-t'); inBudget(X, C.adversarial, eps, 'apgd-ce');
    for (let i = 0; i < B; i++) {
      assert.ok(C.broken[i] <= breakable[i] && T.broken[i] <= breakable[i], 'sound: only breakable points break');
      assert.equal(T.broken[i], breakable[i], `eps ${eps} point ${i}: APGD-T misses a breakable point`);
    }
    // the first APGD-CE iterate is the FGSM-CE point: never weaker than FGSM with the same loss
    const fb = misclassified(model.forward(F), labels);
    for (let i = 0; i < B; i++) assert.ok(C.broken[i] >= fb[i], `eps ${eps} point ${i}: APGD-CE weaker than FGSM`);
    const members = [
      { name: 'fgsm', run: (rows: number[]) => sub(rows, (Xs, ys) => ({ adversarial: fgsm(model, Xs, ys, { eps }), broken: misclassified(model.forward(fgsm(model, Xs, ys, { eps })), ys) })) },
      { name: 'apgd-ce', run: (rows: number[]) => sub(rows, (Xs, ys) => apgd(model, Xs, ys, { eps, iters: 20 })) },
      { name: 'apgd-t', run: (rows: number[]) => sub(rows, (Xs, ys) => apgdTargeted(model, Xs, ys, { eps, iters: 20, targets: 4 })) },
    ];
    function sub(rows: number[], f: (Xs: Matrix<Float64Array>, ys: Int32Array) => AttackOutcome) { return f(gatherRows(X, rows), gatherInt(labels, rows)); }
    const E = worstCase(model, X, labels, members);
    assert.deepEqual(E.broken, breakable, `eps ${eps}: ensemble`);
    for (const m of [fb, C.broken, T.broken]) for (let i = 0; i < B; i++) assert.ok(E.broken[i] >= m[i], 'ensemble never weaker than a member');
    assert.equal(E.members.reduce((a, r) => a + r.broke, 0), count(breakable));
    for (let i = 0; i < B; i++) if (E.brokenBy[i] >= 0) assert.equal(misclassified(model.forward(gatherRows(E.adversarial, [i])), Int32Array.of(labels[i]))[0], 1, 'attributed point is misclassified');
    const robust = B - count(E.broken);
    assert.ok(robust <= prev, `robust accuracy rose with eps: ${prev} -> ${robust}`);
    prev = robust;
  }
});

test('APGD is deterministic under a seed, independent of batching, and keeps its budget with random restarts', () => {
  const { model, X, labels } = setup(4);
  const eps = 0.05;
  const a = apgd(model, X, labels, { eps, loss: 'dlr', iters: 15, restarts: 3, seed: 7 });
  const b = apgd(model, X, labels, { eps, loss: 'dlr', iters: 15, restarts: 3, seed: 7 });
  assert.deepEqual(a.adversarial.data, b.adversarial.data);
  inBudget(X, a.adversarial, eps, 'apgd restarts');
  // the same points attacked in a different batch (with their ids) give the same points
  const rows = [5, 1, 30, 17];
  const c = apgd(model, gatherRows(X, rows), gatherInt(labels, rows), { eps, loss: 'dlr', iters: 15, restarts: 3, seed: 7, ids: Int32Array.from(rows) });
  rows.forEach((i, j) => {
    assert.deepEqual(c.adversarial.data.subarray(j * D, j * D + D), a.adversarial.data.subarray(i * D, i * D + D), `row ${i}`);
    assert.equal(c.broken[j], a.broken[i]);
  });
  // another seed draws other random restarts, so the points it returns differ
  const other = apgd(model, X, labels, { eps, loss: 'dlr', iters: 15, restarts: 3, seed: 8 });
  assert.notDeepEqual(other.adversarial.data, a.adversarial.data);
});

test('PGD keeps its best point and is never weaker than FGSM with the same loss', () => {
  const { model, X, labels } = setup(5);
  for (const eps of [0.05, 0.1]) {
    const f = misclassified(model.forward(fgsm(model, X, labels, { eps })), labels);
    // tiny steps that cannot reach the FGSM corner in 3 steps
    const p = pgdOutcome(model, X, labels, { eps, steps: 3, stepSize: eps / 10 });
    inBudget(X, p.adversarial, eps, 'pgd');
    for (let i = 0; i < B; i++) assert.ok(p.broken[i] >= f[i], `eps ${eps} point ${i}`);
    assert.deepEqual(p.broken, misclassified(model.forward(p.adversarial), labels), 'broken flags match the returned points');
  }
});

test('binary task: APGD, APGD-T and the multi-targeted attack use the logistic loss / margin', () => {
  const r = rng(9), n = 20;
  const Xt = { data: Float64Array.from({ length: n * D }, r), rows: n, cols: D };
  const Y = { data: Float64Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1)), rows: n, cols: 1 };
  const machine: KernelMachine = { kernel: linearOps, Xtrain: Xt, alpha: solveAlpha(linearOps.gram(Xt), Y, { ridge: 1e-2 }), outputs: 1, t: Infinity, ridge: 1e-2 };
  const model = kernelMachineModel(machine);
  const X = { data: Float64Array.from({ length: 20 * D }, r), rows: 20, cols: D };
  const F = model.forward(X);
  const labels = Int32Array.from(F.data, (v) => (v >= 0 ? 1 : -1));
  const eps = 0.1;
  const mt = multiTargeted(model, X, labels, { eps });
  const fb = misclassified(model.forward(fgsm(model, X, labels, { eps })), labels);
  // for one output the margin step and the logistic-loss step coincide
  assert.deepEqual(mt.broken, fb);
  for (const out of [apgd(model, X, labels, { eps, loss: 'dlr', iters: 10 }), apgdTargeted(model, X, labels, { eps, iters: 10 })]) {
    inBudget(X, out.adversarial, eps, 'binary');
    assert.deepEqual(out.broken, fb, 'linear binary model: every attack finds the same optimum');
  }
});

test('APGD-CE matches an independent numpy APGD (fixture) step for step on a linear softmax model', async () => {
  const { readFileSync } = await import('node:fs');
  const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/apgd_linear.json', import.meta.url), 'utf8'));
  const { K: k, D: d, B: b } = fx, V = Float64Array.from(fx.V);
  const model: DifferentiableModel = {
    outputs: k,
    forward: (X) => {
      const F = new Float64Array(X.rows * k);
      for (let i = 0; i < X.rows; i++) for (let j = 0; j < k; j++) for (let p = 0; p < d; p++) F[i * k + j] += X.data[i * d + p] * V[p * k + j];
      return { data: F, rows: X.rows, cols: k };
    },
    vjp: (X, ws) => ws.map((w) => {
      const G = new Float64Array(X.rows * d);
      for (let i = 0; i < X.rows; i++) for (let p = 0; p < d; p++) for (let j = 0; j < k; j++) G[i * d + p] += w.data[i * k + j] * V[p * k + j];
      return { data: G, rows: X.rows, cols: d };
    }),
  };
  const X = { data: Float64Array.from(fx.X), rows: b, cols: d }, labels = Int32Array.from(fx.labels);
  for (const c of fx.cases) {
    const out = apgd(model, X, labels, { eps: c.eps, loss: 'ce', iters: c.iters });
    assert.equal(count(out.broken), 0);
    for (let q = 0; q < b * d; q++) assert.ok(Math.abs(out.adversarial.data[q] - c.adversarial[q]) < 1e-12, `eps ${c.eps} entry ${q}: ${out.adversarial.data[q]} vs ${c.adversarial[q]}`);
    const loss = headValue('ce', model.forward(out.adversarial), labels).loss;
    for (let i = 0; i < b; i++) assert.ok(Math.abs(loss[i] - c.loss[i]) < 1e-10);
  }
});
