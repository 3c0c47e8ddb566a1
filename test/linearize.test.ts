// The linearised net f_lin(x; p) = f(x; p0) + J(x)(p - p0) (src/nn/linearize.ts): outputs
// against PyTorch's J v (fixtures), parameter gradients and input gradients against central
// finite differences in f64, and a training step lowering the loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildNet, conv, dense, relu, flatten, avgPool, maxPool, linearize, type Layer, type Matrix } from '../src/node.js';
import { rng } from './helpers.js';

function randMat(rows: number, cols: number, seed: number, lo = 0, hi = 1): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = lo + (hi - lo) * r();
  return { data, rows, cols };
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

const s2 = Math.SQRT2;
const cnn = (): Layer[] => [conv({ out: 3, wStd: s2, bStd: 0.1 }), relu(), avgPool(), conv({ out: 4, wStd: s2, bStd: 0.1 }), relu(), maxPool(), flatten(), dense({ out: 3, bStd: 0.2 })];
const mlp = (): Layer[] => [flatten(), dense({ out: 6, wStd: s2, bStd: 0.1 }), relu(), dense({ out: 5, wStd: s2, bStd: 0.1 }), relu(), dense({ out: 2, bStd: 0.1 })];

test('linearised net: f_lin(p0 + v) = f(p0) + J v with J v from PyTorch (fixtures); f_lin(p0) = f', () => {
  for (const name of ['mlp', 'cnn']) {
    const fx = JSON.parse(readFileSync(fileURLToPath(new URL(`../../test/fixtures/entk/${name}.json`, import.meta.url)), 'utf8'));
    const layers: Layer[] = fx.layers.map((l: any) => l.kind === 'dense' ? dense({ out: l.out, wStd: l.wStd, bStd: l.bStd }) : l.kind === 'conv' ? conv({ out: l.out, wStd: l.wStd, bStd: l.bStd })
      : l.kind === 'relu' ? relu() : l.kind === 'avgPool' ? avgPool() : l.kind === 'maxPool' ? maxPool() : flatten());
    const net = buildNet(layers, { input: fx.input[0] === 1 ? fx.input[2] : fx.input, dtype: 'f64' });
    net.setParams(fx.params);
    const lin = linearize(net);
    try {
      const X = { data: Float64Array.from(fx.X), rows: fx.n, cols: net.inputDim };
      const f0 = lin.forward(X).data;
      f0.forEach((v, i) => assert.ok(Math.abs(v - fx.f[i]) < 1e-12));
      lin.params.data.set(fx.params.map((p: number, i: number) => p + fx.tangent[i]));
      const f1 = lin.forward(X).data;
      f1.forEach((v, i) => assert.ok(Math.abs(v - (fx.f[i] + fx.Jv[i])) < 1e-11 * (1 + Math.abs(fx.Jv[i])), `${name} f_lin[${i}] ${v} vs ${fx.f[i] + fx.Jv[i]}`));
    } finally { lin.dispose(); net.dispose(); }
  }
});

test('linearised net: parameter and input gradients match central finite differences (f64, CNN with pooling and MLP)', () => {
  for (const [layers, input] of [[cnn(), [8, 8, 2]], [mlp(), [3, 3, 1]]] as const) {
    const net = buildNet(layers, { input: input as unknown as [number, number, number], dtype: 'f64', seed: 3 });
    const lin = linearize(net, { batch: 2 }); // batches of 2 rows: 3 rows exercise a partial batch
    try {
      const P = net.nParams, d = net.inputDim, k = net.outputs;
      const r = rng(8);
      for (let i = 0; i < P; i++) lin.params.data[i] += 0.3 * (r() - 0.5); // away from p0: the J(x)(p - p0) term matters
      const X = randMat(3, d, 5), W = randMat(3, k, 6, -1, 1);
      const obj = (Xm: Matrix<Float64Array>) => dot(lin.forward(Xm).data, W.data);
      // parameter gradient: f_lin is linear in p, so central differences are exact up to rounding
      const g = lin.paramGrad(X, W);
      for (let s = 0; s < 12; s++) {
        const q = Math.floor(r() * P), old = lin.params.data[q], h = 1e-3;
        lin.params.data[q] = old + h; const fp = obj(X);
        lin.params.data[q] = old - h; const fm = obj(X);
        lin.params.data[q] = old;
        assert.ok(Math.abs((fp - fm) / (2 * h) - g[q]) < 1e-9 * (1 + Math.abs(g[q])), `param ${q}: ${g[q]} vs ${(fp - fm) / (2 * h)}`);
      }
      // input gradient (the exact tangent backward) against central differences in x
      const [G] = lin.vjp(X, [W]);
      for (let s = 0; s < 12; s++) {
        const q = Math.floor(r() * X.data.length), old = X.data[q], h = 1e-6;
        X.data[q] = old + h; const fp = obj(X);
        X.data[q] = old - h; const fm = obj(X);
        X.data[q] = old;
        const fd = (fp - fm) / (2 * h);
        assert.ok(Math.abs(fd - G.data[q]) < 1e-6 * (1 + Math.abs(fd)), `input ${q}: ${G.data[q]} vs ${fd}`);
      }
    } finally { lin.dispose(); net.dispose(); }
  }
});

test('linearised net: gradient steps on MSE lower the loss; bad input is refused', () => {
  const net = buildNet(mlp(), { input: 9, dtype: 'f64', seed: 4 });
  const lin = linearize(net);
  try {
    const X = randMat(8, 9, 9), y = Int32Array.from([0, 1, 1, 0, 1, 0, 0, 1]);
    const l0 = lin.step(X, y, 0.5, 'mse');
    let l = l0;
    for (let i = 0; i < 30; i++) l = lin.step(X, y, 0.5, 'mse');
    assert.ok(l < 0.7 * l0, `loss ${l0} -> ${l}`);
    assert.throws(() => lin.forward(randMat(2, 5, 1)), /rows have 5 values, the net expects 9/);
    assert.throws(() => lin.step(X, y, -1), /learning rate/);
  } finally { lin.dispose(); net.dispose(); }
});
