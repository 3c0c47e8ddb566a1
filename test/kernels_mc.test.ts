// Monte-Carlo convergence of finite nets' empirical NTK (empiricalKernel on nets built from
// the same layer values as the analytic kernels, NTK parameterisation) to the analytic NTK
// as the width grows; the error should fall like 1/sqrt(width).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNet, empiricalKernel, fc, convNet, twoLayerFrozenRelu, type Kernel, type Matrix, type ImageShape } from '../src/node.js';
import { rng } from './helpers.js';

function randMat(rows: number, cols: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = r();
  return { data, rows, cols };
}
function frobRel(A: Float64Array, B: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < A.length; i++) { num += (A[i] - B[i]) ** 2; den += B[i] ** 2; }
  return Math.sqrt(num / den);
}

/** Root-mean-square relative error over `seeds` nets of width m (f32 nets; MC error >> f32 rounding). */
function rmsError(k: Kernel, X: Matrix<Float64Array>, input: ImageShape | number, m: number, seeds: number, analytic: Float64Array): number {
  let s = 0;
  for (let i = 0; i < seeds; i++) {
    const net = buildNet(k, { input, width: m, seed: 7000 + 31 * i + m });
    try { s += frobRel(empiricalKernel(net, X).data, analytic) ** 2; } finally { net.dispose(); }
  }
  return Math.sqrt(s / seeds);
}

/** Least-squares slope of log(error) against log(width). */
function logSlope(widths: number[], errs: number[]): number {
  const x = widths.map(Math.log), y = errs.map(Math.log), n = x.length;
  const mx = x.reduce((a, b) => a + b) / n, my = y.reduce((a, b) => a + b) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) ** 2; }
  return sxy / sxx;
}

function checkRate(name: string, widths: number[], errs: number[], maxLast: number): void {
  const slope = logSlope(widths, errs);
  console.log(`# ${name}: relative Frobenius error (rms over seeds) ${widths.map((w, i) => `width ${w}: ${errs[i].toFixed(4)}`).join(', ')}; log-log slope ${slope.toFixed(2)} (1/sqrt(width): -0.5)`);
  assert.ok(slope < -0.3 && slope > -0.75, `${name}: error falls with slope ${slope} in log-log, expected about -0.5`);
  assert.ok(errs[errs.length - 1] < maxLast, `${name}: error at width ${widths[widths.length - 1]} is ${errs[errs.length - 1]}`);
}

test('empirical NTK of FC1/FC2 nets converges to the analytic NTK like 1/sqrt(width) (64 -> 4096)', () => {
  const X = randMat(5, 16, 11), widths = [64, 256, 1024, 4096];
  for (const L of [1, 2]) {
    const k = fc(L), K = k.kernelFn(X).ntk!.data;
    const errs = widths.map((m) => rmsError(k, X, 16, m, m >= 4096 ? 4 : 12, K));
    checkRate(`FC${L}`, widths, errs, 0.05);
  }
});

test('empirical NTK of the two-layer net with a frozen readout converges to its closed form (spec Eq. 42) like 1/sqrt(width)', () => {
  const X = randMat(5, 10, 14), widths = [64, 256, 1024, 4096];
  const k = twoLayerFrozenRelu(), K = k.kernelFn(X).ntk!.data;
  const errs = widths.map((m) => rmsError(k, X, 10, m, m >= 4096 ? 4 : 12, K));
  checkRate('twolayer', widths, errs, 0.05);
});

test('empirical NTK of CONV1 nets (no pooling) converges to the analytic NTK like 1/sqrt(width) (32 -> 2048, 6x6x1)', () => {
  const shape: ImageShape = [6, 6, 1], X = randMat(4, 36, 12), widths = [32, 128, 512, 2048];
  const k = convNet(1), K = k.kernelFn(X, null, { shape }).ntk!.data;
  const errs = widths.map((m) => rmsError(k, X, shape, m, m >= 2048 ? 4 : 12, K));
  checkRate('CONV1', widths, errs, 0.06);
});

test('empirical NTK of CONV2 nets (no pooling) approaches the analytic NTK (16 -> 256, 5x5x1)', () => {
  const shape: ImageShape = [5, 5, 1], X = randMat(3, 25, 13), widths = [16, 64, 256];
  const k = convNet(2), K = k.kernelFn(X, null, { shape }).ntk!.data;
  const errs = widths.map((m) => rmsError(k, X, shape, m, 12, K));
  checkRate('CONV2', widths, errs, 0.2);
});
