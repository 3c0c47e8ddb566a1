// NTK eigen-features (spec §5): the features sum to the kernel machine (outputs and input
// gradients), feature gradients match central finite differences, the one-pass FGSM equals
// the generic attack on each feature as a kernel machine, the Lanczos and full paths agree,
// a label that depends on one direction shows up in the top useful feature's gradient, and
// the robust-only kernel with every feature is the whole kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arch, kernelOps, eigenFeatures, attackMembers, memberGradients, memberMachine, fullMachine, featureStats, robustKernelCurve,
  fitKernelMachine, predict, outputVjp, kernelMachineModel, fgsm, pgd, lossValues, decisions, accuracy, type Matrix, type KernelOps,
} from '../src/node.js';
import { projections, memberOutputs, memberCoefficients, pickOutputs, pgdMembers } from '../src/features/index.js';
import { rng, maxAbsDiff } from './helpers.js';

function data(n: number, d: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed);
  return { data: Float64Array.from({ length: n * d }, r), rows: n, cols: d };
}
function labelsFor(X: Matrix<Float64Array>, k: number): Int32Array {
  // a smooth rule of the inputs, so features have something to learn
  const y = new Int32Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    let s = 0;
    for (let p = 0; p < X.cols; p++) s += (p % 3 === 0 ? 1 : -0.5) * X.data[i * X.cols + p];
    y[i] = k === 1 ? (s > X.cols * 0.08 ? 1 : -1) : Math.min(k - 1, Math.floor(Math.abs(s * 7)) % k);
  }
  return y;
}
function targets(y: Int32Array, k: number): Matrix<Float64Array> {
  const Y = { data: new Float64Array(y.length * k), rows: y.length, cols: k };
  for (let i = 0; i < y.length; i++) { if (k === 1) Y.data[i] = y[i]; else Y.data[i * k + y[i]] = 1; }
  return Y;
}
const fc1: KernelOps = kernelOps(arch('fc1'));
const sumOf = (Ms: Matrix<Float64Array>[]) => {
  const out = new Float64Array(Ms[0].data.length);
  for (const M of Ms) for (let i = 0; i < out.length; i++) out[i] += M.data[i];
  return out;
};
const rel = (a: ArrayLike<number>, b: ArrayLike<number>) => maxAbsDiff(a, b) / Math.max(1e-300, ...Array.from(b, Math.abs));

for (const [k, t] of [[1, Infinity], [3, Infinity], [1, 40]] as const) {
  test(`all features sum to the kernel machine: outputs and input gradients (k = ${k}, t = ${t})`, () => {
    const n = 40, d = 12, X = data(n, d, 1), Xt = data(9, d, 2), y = labelsFor(X, k);
    const fs = eigenFeatures(fc1, X, targets(y, k), { indices: Array.from({ length: n }, (_, i) => i), method: 'full', t, eta: 3 });
    const m = fitKernelMachine(fc1, X, targets(y, k), { t, eta: 3 });
    assert.ok(rel(fs.alpha.data, m.alpha.data) < 1e-8, 'alpha of the eigen path = the machine');
    const singles = Array.from({ length: n }, (_, p) => [p]);
    const r = attackMembers(fs, singles, Xt, labelsFor(Xt, k), { eps: 0 });
    const want = predict(m, Xt);
    assert.ok(rel(sumOf(r.clean), want.data) < 1e-8, `sum of features vs machine: ${rel(sumOf(r.clean), want.data)}`);
    assert.ok(rel(r.machine.data, want.data) < 1e-8);
    const w = pickOutputs(k, new Int32Array(Xt.rows).map((_, i) => i % k));
    const g = memberGradients(fs, singles, Xt, w);
    const gm = outputVjp(m, Xt, [w])[0];
    assert.ok(rel(sumOf(g.members), gm.data) < 1e-8, `sum of feature gradients vs machine gradient: ${rel(sumOf(g.members), gm.data)}`);
    assert.ok(rel(g.machine.data, gm.data) < 1e-8);
    // shares of the prediction sum to 1 over all features
    const st = featureStats(fs, r, labelsFor(Xt, k));
    assert.ok(Math.abs(st.reduce((s, x) => s + x.share, 0) - 1) < 1e-8);
  });
}

test('feature gradients match central finite differences of the feature outputs (f64)', () => {
  const n = 30, d = 8, X = data(n, d, 3), Xt = data(4, d, 4), k = 2, y = labelsFor(X, k);
  const fs = eigenFeatures(fc1, X, targets(y, k), { indices: [0, 1, 5, 17], method: 'full' });
  const members = [[0], [2], [1, 3]], cls = Int32Array.from([0, 1, 1, 0]);
  const g = memberGradients(fs, members, Xt, pickOutputs(k, cls));
  const h = 1e-6;
  members.forEach((mb, j) => {
    const C = memberCoefficients(fs, mb);
    const out = (Z: Matrix<Float64Array>) => memberOutputs(projections(fs, Z), C);
    for (let b = 0; b < Xt.rows; b++) for (let p = 0; p < d; p++) {
      const xp = Xt.data.slice(), xm = Xt.data.slice();
      xp[b * d + p] += h; xm[b * d + p] -= h;
      const fd = (out({ ...Xt, data: xp }).data[b * k + cls[b]] - out({ ...Xt, data: xm }).data[b * k + cls[b]]) / (2 * h);
      const an = g.members[j].data[b * d + p];
      assert.ok(Math.abs(fd - an) <= 1e-6 * Math.max(1, Math.abs(fd)), `member ${j} point ${b} coord ${p}: ${an} vs FD ${fd}`);
    }
  });
});

test('one-pass FGSM on many features equals fgsm() on each feature as a kernel machine', () => {
  for (const k of [1, 3]) {
    const n = 50, d = 10, X = data(n, d, 5), Xt = data(13, d, 6), y = labelsFor(X, k), yt = labelsFor(Xt, k);
    const fs = eigenFeatures(fc1, X, targets(y, k), { indices: [0, 1, 2, 7, 30] });
    const members = [[0], [1], [3], [4], [0, 1, 2]];
    const eps = 0.05;
    // batch 5: blocks of test points must not change anything
    const r = attackMembers(fs, members, Xt, yt, { eps, batch: 5 });
    members.forEach((mb, j) => {
      const mm = memberMachine(fs, mb), model = kernelMachineModel(mm);
      assert.ok(rel(r.clean[j].data, predict(mm, Xt).data) < 1e-9, 'clean outputs');
      const adv = fgsm(model, Xt, yt, { eps });
      const want = predict(mm, adv);
      assert.ok(rel(r.adversarial![j].data, want.data) < 1e-9, `k=${k} member ${j}: adversarial outputs differ by ${rel(r.adversarial![j].data, want.data)}`);
    });
  }
});

test('Lanczos top-k and the full eigendecomposition give the same features (up to the eigenvector sign, which features do not see)', () => {
  const n = 120, d = 10, X = data(n, d, 8), Xt = data(20, d, 9), y = labelsFor(X, 1);
  const idx = [0, 1, 2, 3, 6];
  const a = eigenFeatures(fc1, X, targets(y, 1), { indices: idx, method: 'lanczos' });
  const b = eigenFeatures(fc1, X, targets(y, 1), { indices: idx, method: 'full' });
  assert.equal(a.method, 'lanczos'); assert.equal(b.method, 'full');
  assert.ok(rel(a.values, b.values) < 1e-10);
  const singles = idx.map((_, p) => [p]);
  const ra = attackMembers(a, singles, Xt, labelsFor(Xt, 1), { eps: 0 }), rb = attackMembers(b, singles, Xt, labelsFor(Xt, 1), { eps: 0 });
  for (let p = 0; p < idx.length; p++) assert.ok(rel(ra.clean[p].data, rb.clean[p].data) < 1e-7, `feature ${idx[p]}`);
  assert.ok(rel(a.alpha.data, b.alpha.data) < 1e-8);
  assert.throws(() => eigenFeatures(fc1, X, targets(y, 1), { indices: [n] }), /feature index 120 is out of range 0..119/);
});

test('a label set by one direction u: the most useful feature is useful and its gradient aligns with u', () => {
  const n = 300, d = 16, r = rng(11);
  const u = new Float64Array(d); u[3] = 0.8; u[10] = -0.6; // |u| = 1
  const make = (m: number) => {
    const X = { data: new Float64Array(m * d), rows: m, cols: d }, y = new Int32Array(m);
    for (let i = 0; i < m; i++) {
      let s = 0;
      // a strong component a along u plus weaker isotropic noise; the label is the sign of a
      const a = 0.4 * (2 * r() - 1);
      for (let p = 0; p < d; p++) { const v = 0.5 + a * u[p] + 0.1 * (2 * r() - 1); X.data[i * d + p] = v; s += u[p] * (v - 0.5); }
      y[i] = s > 0 ? 1 : -1;
    }
    return { X, y };
  };
  const tr = make(n), te = make(80);
  const fs = eigenFeatures(fc1, tr.X, targets(tr.y, 1), { indices: Array.from({ length: 20 }, (_, i) => i) });
  const res = attackMembers(fs, Array.from({ length: 20 }, (_, p) => [p]), te.X, te.y, { eps: 0 });
  const st = featureStats(fs, res, te.y);
  const best = st.reduce((a, b) => (b.usefulness > a.usefulness ? b : a));
  assert.ok(best.usefulness > 0.8, `best feature ${best.index} usefulness ${best.usefulness}`);
  const p = fs.indices.indexOf(best.index);
  const g = memberGradients(fs, [[p]], te.X, pickOutputs(1, new Int32Array(te.X.rows))).members[0];
  // mean |cos(grad f_best(x), w)| over test points, for u and for a direction orthogonal to it
  const meanCos = (w: Float64Array) => {
    let cos = 0;
    for (let b = 0; b < te.X.rows; b++) {
      let gw = 0, gg = 0;
      for (let q = 0; q < d; q++) { const v = g.data[b * d + q]; gw += v * w[q]; gg += v * v; }
      cos += Math.abs(gw) / Math.sqrt(gg);
    }
    return cos / te.X.rows;
  };
  const cos = meanCos(u), ortho = new Float64Array(d);
  ortho[3] = 0.6; ortho[10] = 0.8;
  assert.ok(meanCos(ortho) < 0.3, `gradient also aligned with a direction orthogonal to u: ${meanCos(ortho)}`);
  assert.ok(cos > 0.9, `mean |cos(grad f_${best.index}, u)| = ${cos}`);
});

test('robust-only kernels: ranked by validation robustness; keeping every feature gives the whole kernel', () => {
  const n = 40, d = 10, X = data(n, d, 12), y = labelsFor(X, 1);
  const V = data(25, d, 13), T = data(30, d, 14);
  const fs = eigenFeatures(fc1, X, targets(y, 1), { indices: Array.from({ length: n }, (_, i) => i), method: 'full' });
  const eps = 0.05;
  const r = robustKernelCurve(fs, { X: V, labels: labelsFor(V, 1) }, { X: T, labels: labelsFor(T, 1) }, { eps });
  assert.equal(r.curve.length, n);
  for (let i = 1; i < r.validation.length; i++) assert.ok(r.validation[i - 1].robust >= r.validation[i].robust, 'ranked by robustness');
  const last = r.curve[n - 1], full = fullMachine(fs), yt = labelsFor(T, 1);
  const adv = fgsm(kernelMachineModel(full), T, yt, { eps });
  assert.equal(last.clean, accuracy(decisions(predict(full, T)), yt));
  assert.equal(last.robust, accuracy(decisions(predict(full, adv)), yt));
  assert.equal(last.transfer, last.robust, 'with every feature the own attack is the full kernel\'s');
  assert.equal(r.full.robust, last.robust);
});

test('PGD on features: points stay in the eps-ball and [0, 1], equal pgd() on each feature as a kernel machine, and never beat FGSM', () => {
  for (const k of [1, 3]) {
    const n = 60, d = 10, X = data(n, d, 21), Xt = data(15, d, 22), y = labelsFor(X, k), yt = labelsFor(Xt, k);
    const fs = eigenFeatures(fc1, X, targets(y, k), { indices: [0, 1, 2, 5, 9, 20] });
    const members = [[0], [1], [2], [3], [4], [5], [1, 2, 3]];
    const eps = 0.08, steps = 7, stepSize = 0.02;
    const r = attackMembers(fs, members, Xt, yt, { eps, attack: 'pgd', steps, stepSize, batch: 4 });
    const m = Xt.rows;
    members.forEach((mb, j) => {
      const fg = accuracy(decisions(r.adversarial![j]), yt), pg = accuracy(decisions(r.pgd![j]), yt);
      assert.ok(pg <= fg, `k=${k} member ${j}: PGD accuracy ${pg} above FGSM's ${fg}`);
      // where both leave the point standing, PGD's kept point has at least FGSM's loss
      const lf = lossValues(r.adversarial![j], yt), lp = lossValues(r.pgd![j], yt);
      const ok = decisions(r.pgd![j]);
      for (let i = 0; i < m; i++) if (ok[i] === yt[i]) assert.ok(lp[i] >= lf[i] - 1e-12, `k=${k} member ${j} point ${i}: PGD loss ${lp[i]} below FGSM's ${lf[i]}`);
    });
    // every (member, point) pair attacked directly: the points and the generic attack
    const rows = Int32Array.from({ length: members.length * m }, (_, g) => g);
    const Cs = members.map((mb) => memberCoefficients(fs, mb));
    const got = pgdMembers(fs, Cs, Xt, yt, r.clean, rows, { eps, steps, stepSize, keepPoints: true, chunk: 9 });
    for (let g = 0; g < rows.length; g++) {
      const i = g % m;
      for (let p = 0; p < d; p++) {
        const v = got.points!.data[g * d + p], x0 = Xt.data[i * d + p];
        assert.ok(v >= 0 && v <= 1 && Math.abs(v - x0) <= eps + 1e-15, `pair ${g} coord ${p}: ${v} vs clean ${x0}`);
      }
    }
    members.forEach((mb, j) => {
      const mm = memberMachine(fs, mb);
      const want = pgd(kernelMachineModel(mm), Xt, yt, { eps, steps, stepSize });
      const pts = got.points!.data.subarray(j * m * d, (j + 1) * m * d);
      assert.ok(maxAbsDiff(pts, want.data) < 1e-12, `k=${k} member ${j}: PGD points differ from pgd() by ${maxAbsDiff(pts, want.data)}`);
      assert.ok(rel(got.outputs.data.subarray(j * m * k, (j + 1) * m * k), predict(mm, want).data) < 1e-9);
    });
  }
});
