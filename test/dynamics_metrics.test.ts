// Kernel-sequence metrics of `ntk dynamics` against hand-built sequences with closed forms:
// K_t = K_0 + t D (linear drift), rank-one kernels rotating in a plane, and a rank-one
// eigenvalue growing inside a conjugated diagonal spectrum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../src/node.js';
import {
  kernelSimilarity, distanceMatrix, distanceToPrevious, polarTrajectory, concentration, spectralParts, kernelDynamics, frobenius,
} from '../src/experiments/dynamics_metrics.js';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** Householder Q = I - 2 w w^T / |w|^2 (orthogonal, symmetric), so eigh must do real work. */
function householder(n: number, seed: number): Float64Array {
  const w = Array.from({ length: n }, (_, i) => Math.sin(seed * (i + 1) * 1.7) + 0.3);
  const ww = w.reduce((a, b) => a + b * b, 0), Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) Q[i * n + j] = (i === j ? 1 : 0) - (2 * w[i] * w[j]) / ww;
  return Q;
}
/** Q diag(d) Q^T. */
function conj(Q: Float64Array, d: number[], n: number): Float64Array {
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let q = 0; q < n; q++) s += Q[i * n + q] * d[q] * Q[j * n + q]; K[i * n + j] = s; }
  return K;
}

test('linear drift K_t = K_0 + t D with <D, K_0> = 0: radius t/T, cos angle = |K_0| / sqrt(|K_0|^2 + t^2 |D|^2)', () => {
  const n = 6, T = 5;
  const K0 = conj(householder(n, 1), [5, 4, 3, 2, 1, 0.5], n);
  // D = antisymmetric-free direction orthogonal to K0: D = E - (<E,K0>/|K0|^2) K0 for a symmetric E
  const E = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) E[i * n + j] = Math.cos(i + j) + (i === j ? 1 : 0);
  const c = E.reduce((a, v, i) => a + v * K0[i], 0) / K0.reduce((a, v) => a + v * v, 0);
  const D = E.map((v, i) => v - c * K0[i]);
  const Ks = Array.from({ length: T + 1 }, (_, t) => K0.map((v, i) => v + t * D[i]));
  const p = polarTrajectory(Ks), n0 = frobenius(K0), nD = frobenius(D);
  for (let t = 0; t <= T; t++) {
    close(p.radius[t], t / T, 1e-12, `radius ${t}`);
    close(Math.cos(p.angle[t]), n0 / Math.hypot(n0, t * nD), 1e-12, `angle ${t}`);
  }
  // distance between epochs s, t: 1 - (|K0|^2 + s t |D|^2) / (|K_s| |K_t|)
  const Dm = distanceMatrix(Ks);
  for (let s = 0; s <= T; s++) for (let t = 0; t <= T; t++)
    close(Dm[s][t], s === t ? 0 : 1 - (n0 ** 2 + s * t * nD ** 2) / (Math.hypot(n0, s * nD) * Math.hypot(n0, t * nD)), 1e-12, `distance ${s},${t}`);
  assert.deepEqual(distanceToPrevious(Ks), Dm.slice(1).map((row, t) => row[t]));
  // distance to the previous epoch shrinks as the drift dominates (the kernel direction settles)
  const dp = distanceToPrevious(Ks);
  for (let t = 2; t < dp.length; t++) assert.ok(dp[t] < dp[t - 1]);
});

test('rank-one kernels u_t u_t^T rotating by theta per epoch: S = cos^2 of the angle between them; norm and concentration constant', () => {
  const n = 4, T = 6, th = 0.2;
  const Ks = Array.from({ length: T + 1 }, (_, t) => {
    const u = [Math.cos(th * t), Math.sin(th * t), 0, 0], K = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) K[i * n + j] = 3 * u[i] * u[j];
    return K;
  });
  const Dm = distanceMatrix(Ks);
  for (let s = 0; s <= T; s++) for (let t = 0; t <= T; t++) close(Dm[s][t], 1 - Math.cos(th * (s - t)) ** 2, 1e-12, `distance ${s},${t}`);
  const p = polarTrajectory(Ks);
  for (let t = 0; t <= T; t++) close(p.angle[t], Math.acos(Math.cos(th * t) ** 2), 1e-7, `angle ${t}`);
  // |u_t u_t^T - u_0 u_0^T|_F = sqrt(2) * 3 * sin(theta t)
  for (let t = 0; t <= T; t++) close(p.radius[t], Math.sin(th * t) / Math.sin(th * T), 1e-12, `radius ${t}`);
  for (let t = 0; t <= T; t++) {
    close(frobenius(Ks[t]), 3, 1e-12, 'norm');
    close(concentration(spectralParts(Ks[t], n, 1).values, 1), 1, 1e-10, 'rank one: all mass on the top eigenvalue');
  }
});

test('rank-one growth Q (diag(l) + t e1 e1^T) Q^T: top-s part moves linearly, bottom part stays, concentration closed form', () => {
  const n = 8, T = 4, l = [4, 3, 2.5, 2, 1.5, 1, 0.5, 0.25], s = 3;
  const Q = householder(n, 2);
  const Ks = Array.from({ length: T + 1 }, (_, t) => conj(Q, l.map((v, i) => (i === 0 ? v + t : v)), n));
  const top0 = conj(Q, l.map((v, i) => (i < s ? v : 0)), n), bot = conj(Q, l.map((v, i) => (i < s ? 0 : v)), n);
  for (let t = 0; t <= T; t++) {
    const parts = spectralParts(Ks[t], n, s);
    const topT = conj(Q, l.map((v, i) => (i === 0 ? v + t : i < s ? v : 0)), n);
    for (let i = 0; i < n * n; i++) {
      close(parts.top[i], topT[i], 1e-10, `top[${i}] epoch ${t}`);
      close(parts.bottom[i], bot[i], 1e-10, `bottom[${i}] epoch ${t}`);
    }
  }
  const dyn = kernelDynamics(Ks, n, { top: s, concentration: [1, s] });
  const sq = (t: number) => l.map((v, i) => (i === 0 ? v + t : v) ** 2);
  for (let t = 0; t <= T; t++) {
    const q = sq(t), all = q.reduce((a, b) => a + b, 0);
    close(dyn.concentration['1'][t], q[0] / all, 1e-12, `conc 1 epoch ${t}`);
    close(dyn.concentration[String(s)][t], (q[0] + q[1] + q[2]) / all, 1e-12, `conc ${s} epoch ${t}`);
    close(dyn.polar.top.radius[t], t / T, 1e-10, `top radius ${t}`);
    close(dyn.polar.whole.radius[t], t / T, 1e-10, `whole radius ${t}`);
    close(dyn.polar.bottom.radius[t], 0, 0, `bottom radius ${t} (never moved)`);
    close(dyn.polar.bottom.angle[t], 0, 2e-7, `bottom angle ${t}`);
    // angle of the top part: <top_t, top_0> = sum l_i (l_i + t [i=0]) over i < s
    const n0 = Math.hypot(...l.slice(0, s)), nt = Math.hypot(l[0] + t, ...l.slice(1, s));
    close(Math.cos(dyn.polar.top.angle[t]), (l[0] * (l[0] + t) + l[1] ** 2 + l[2] ** 2) / (n0 * nt), 1e-10, `top angle ${t}`);
    close(dyn.topValues[t][0], l[0] + t, 1e-10, 'top eigenvalue');
  }
  void top0;
});

test('metrics refuse mismatched or degenerate input', () => {
  assert.throws(() => kernelSimilarity([1, 2], [1, 2, 3]), /2 and 3 values/);
  assert.throws(() => kernelSimilarity([0, 0], [1, 2]), /zero/);
  assert.throws(() => spectralParts([1, 0, 0, 1], 2, 3), /s must be an integer in 1\.\.2/);
  assert.throws(() => spectralParts([1, 0, 0], 2, 1), /3 values for a 2 x 2/);
  assert.throws(() => concentration([0, 0], 1), /zero/);
  assert.throws(() => polarTrajectory([]), /no kernels/);
});
