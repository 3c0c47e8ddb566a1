// The NTK parameterisation of finite nets matches the analytic kernels: the empirical NTK
// <df(x)/dp, df(x')/dp> of wide nets (per-sample gradients from Net.backward) approaches
// kernelFn for fc1, conv1 and the two-layer net with its frozen readout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNet, engine, fc, convNet, twoLayerFrozenRelu, type Kernel, type Matrix, type ImageShape } from '../src/node.js';
import { rng } from './helpers.js';

function randMat(rows: number, cols: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = r();
  return { data, rows, cols };
}

/** Empirical NTK of output 0 from one backward pass per input (test-only helper). */
function empirical(k: Kernel, X: Matrix<Float64Array>, input: ImageShape | number, width: number, seed: number): Float64Array {
  const net = buildNet(k, { input, width, dtype: 'f64', seed });
  const e = engine(), n = X.rows, d = X.cols;
  const tr = net.trace(1), one = e.from(new Float64Array(net.outputs).fill(0).map((_, i) => (i === 0 ? 1 : 0))), g = e.buffer('f64', net.nParams);
  const G: Float64Array[] = [];
  try {
    for (let i = 0; i < n; i++) {
      net.view(tr.input, d).set(X.data.subarray(i * d, (i + 1) * d));
      net.run(tr);
      net.backward(tr, one.ptr, g.ptr, 0);
      G.push(g.toArray() as Float64Array);
    }
  } finally { tr.free(); one.free(); g.free(); net.dispose(); }
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) { let s = 0; for (let q = 0; q < G[i].length; q++) s += G[i][q] * G[j][q]; K[i * n + j] = s; }
  return K;
}

function rel(A: Float64Array, B: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < A.length; i++) { num += (A[i] - B[i]) ** 2; den += B[i] ** 2; }
  return Math.sqrt(num / den);
}

test('wide NTK-parameterised nets: empirical NTK approaches kernelFn (fc1, conv1, two-layer with frozen readout)', () => {
  const X = randMat(4, 16, 3);
  const cases: [string, Kernel, ImageShape | number, number, number][] = [
    ['fc1', fc(1), 16, 64, 4096],
    ['conv1', convNet(1), [4, 4, 1], 32, 1024],
    ['two-layer', twoLayerFrozenRelu(), 16, 64, 4096],
  ];
  for (const [name, k, input, narrow, wide] of cases) {
    const K = (typeof input === 'number' ? k.kernelFn(X) : k.kernelFn(X, null, { shape: input })).ntk!.data;
    const err = (w: number) => [0, 1].reduce((s, seed) => s + rel(empirical(k, X, input, w, 100 + seed), K), 0) / 2;
    const eN = err(narrow), eW = err(wide);
    console.log(`# ${name}: empirical vs analytic NTK, relative error: width ${narrow} ${eN.toFixed(4)}, width ${wide} ${eW.toFixed(4)}`);
    assert.ok(eW < 0.08, `${name}: error ${eW} at width ${wide}`);
    assert.ok(eW < eN, `${name}: error did not shrink with width (${eN} -> ${eW})`);
  }
});
