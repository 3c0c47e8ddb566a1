// Finite nets built from layer values: every op's VJP (parameter and input gradients) and JVP
// against central finite differences in f64, on small nets that use every layer kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNet, conv, dense, relu, flatten, avgPool, maxPool, scale, serial, engine, twoLayerFrozenRelu, type Net, type Layer } from '../src/node.js';
import { convTuning } from '../src/nn/ops/conv.js';
import { rng, randn } from './helpers.js';

function randArr(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const r = rng(seed), a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * r();
  return a;
}

/** s(params, x) = sum w . f(x; params) and its gradients from backward. */
function scalarAndGrads(net: Net, X: Float64Array, B: number, w: Float64Array) {
  const e = engine();
  const tr = net.trace(B), dOut = e.from(w), g = e.buffer('f64', net.nParams), dX = e.buffer('f64', B * net.inputDim);
  try {
    net.view(tr.input, B * net.inputDim).set(X);
    net.run(tr);
    net.backward(tr, dOut.ptr, g.ptr, dX.ptr);
    return { grad: g.toArray(), dX: dX.toArray() };
  } finally { tr.free(); dOut.free(); g.free(); dX.free(); }
}

function value(net: Net, X: Float64Array, B: number, w: Float64Array): number {
  const F = net.forward({ data: X, rows: B, cols: net.inputDim });
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * F.data[i];
  return s;
}

function jvpOut(net: Net, X: Float64Array, B: number, t: Float64Array, tX?: Float64Array): Float64Array {
  const e = engine();
  const tr = net.trace(B), tb = e.from(t), out = e.buffer('f64', B * net.outputs), tx = tX ? e.from(tX) : null;
  try {
    net.view(tr.input, B * net.inputDim).set(X);
    net.run(tr);
    net.jvp(tr, tb.ptr, out.ptr, tx?.ptr ?? 0);
    return out.toArray();
  } finally { tr.free(); tb.free(); out.free(); tx?.free(); }
}

function checkNet(net: Net, B: number, seed: number, what: string): void {
  const X = randArr(B * net.inputDim, seed, 0, 1), w = randArr(B * net.outputs, seed + 1);
  const { grad, dX } = scalarAndGrads(net, X, B, w);
  const p0 = net.getParams(), h = 1e-6, r = rng(seed + 2);
  // every tensor: a few sampled entries
  for (const t of net.layout) {
    for (let s = 0; s < 4; s++) {
      const j = t.offset + Math.floor(r() * t.size);
      const p = p0.slice();
      p[j] += h; net.setParams(p); const fp = value(net, X, B, w);
      p[j] -= 2 * h; net.setParams(p); const fm = value(net, X, B, w);
      const fd = (fp - fm) / (2 * h);
      assert.ok(Math.abs(fd - grad[j]) < 1e-6 * (1 + Math.abs(fd)), `${what}: layer ${t.layer} ${t.kind}.${t.name}[${j - t.offset}]: backward ${grad[j]} vs FD ${fd}`);
    }
  }
  net.setParams(p0);
  for (let s = 0; s < 8; s++) {
    const j = Math.floor(r() * X.length), x = X.slice();
    x[j] += h; const fp = value(net, x, B, w);
    x[j] -= 2 * h; const fm = value(net, x, B, w);
    const fd = (fp - fm) / (2 * h);
    assert.ok(Math.abs(fd - dX[j]) < 1e-6 * (1 + Math.abs(fd)), `${what}: input gradient [${j}]: ${dX[j]} vs FD ${fd}`);
  }
  // JVP: parameter + input tangent vs FD along the direction, and <w, J t> = <J^T w, t>
  const t = randArr(net.nParams, seed + 3), tX = randArr(X.length, seed + 4);
  const jt = jvpOut(net, X, B, t, tX);
  const along = (a: number) => { net.setParams(p0.map((v, i) => v + a * t[i])); return net.forward({ data: X.map((v, i) => v + a * tX[i]), rows: B, cols: net.inputDim }).data; };
  const Fp = along(h), Fm = along(-h);
  net.setParams(p0);
  for (let i = 0; i < jt.length; i++) {
    const fd = (Fp[i] - Fm[i]) / (2 * h);
    assert.ok(Math.abs(fd - jt[i]) < 1e-6 * (1 + Math.abs(fd)), `${what}: JVP output ${i}: ${jt[i]} vs FD ${fd}`);
  }
  let lhs = 0, rhs = 0;
  for (let i = 0; i < jt.length; i++) lhs += w[i] * jt[i];
  for (let i = 0; i < t.length; i++) rhs += grad[i] * t[i];
  for (let i = 0; i < tX.length; i++) rhs += dX[i] * tX[i];
  assert.ok(Math.abs(lhs - rhs) < 1e-9 * (1 + Math.abs(lhs)), `${what}: <w, J t> ${lhs} != <J^T w, t> ${rhs}`);
}

const allKinds = (): Layer[] => [conv({ out: 3, wStd: 1.5, bStd: 0.2 }), relu(), avgPool(), conv({ out: 4, wStd: 1.3, bStd: 0.1 }), relu(), maxPool(), flatten(),
  dense({ out: 5, wStd: 1.4, bStd: 0.3 }), relu(), scale(2), dense({ out: 3, wStd: 1.2, bStd: 0.5 })];

test('every layer op: backward and input gradients and JVP match central differences (f64, both parameterisations)', () => {
  const saved = convTuning.scatterBelowCin;
  try {
    // conv dX both ways: scatter (few input channels) and gather (flipped-weight conv)
    for (const [form, below] of [['scatter', 100], ['gather', 0]] as const) {
      convTuning.scatterBelowCin = below;
      for (const parameterization of ['ntk', 'standard'] as const) {
        const net = buildNet(allKinds(), { input: [7, 6, 2], dtype: 'f64', parameterization, seed: 5 });
        try { checkNet(net, 3, 11, `all kinds ${parameterization}, conv dX ${form}`); } finally { net.dispose(); }
      }
    }
  } finally { convTuning.scatterBelowCin = saved; }
  const fcNet = buildNet([flatten(), dense({ wStd: 1.4, bStd: 0.1 }), relu(), dense({ wStd: 1.4, bStd: 0.1, out: 2 })], { input: 9, width: 6, dtype: 'f64', seed: 1 });
  try { checkNet(fcNet, 4, 21, 'fc1'); } finally { fcNet.dispose(); }
  const two = buildNet(twoLayerFrozenRelu({ width: 7 }), { input: 5, dtype: 'f64', seed: 2 });
  try {
    assert.equal(two.nParams, 35); // hidden W only: no bias (bStd 0), frozen readout outside the buffer
    checkNet(two, 3, 31, 'two-layer');
  } finally { two.dispose(); }
});

test('Winograd convs (forward with bias and fused ReLU, dW, db, dX, JVP) equal the im2col route and central differences (f64); F(4x4) where H, W are multiples of 4', () => {
  // channels multiples of 4 and even sizes: both convs take the Winograd route; 19 images leave
  // a short last slot and task; winoBytes 1 forces one image per group (M accumulated over groups).
  // 6 x 8 input: F(2x2) for both convs; 8 x 8: F(4x4) for the forward, dX and JVP of both (8 x 8, 4 x 4)
  const layers = (): Layer[] => [conv({ out: 8, wStd: 1.5, bStd: 0.2 }), relu(), avgPool(), conv({ out: 4, wStd: 1.3, bStd: 0.1 }), relu(), flatten(), dense({ out: 3, wStd: 1.2, bStd: 0.3 })];
  const saved = { ...convTuning }, B = 19;
  try {
    for (const [parameterization, input] of [['ntk', [6, 8, 4]], ['standard', [6, 8, 4]], ['ntk', [8, 8, 4]], ['standard', [8, 8, 4]]] as const) {
      const net = buildNet(layers(), { input: input as [number, number, number], dtype: 'f64', parameterization, seed: 7 });
      try {
        const X = randArr(B * net.inputDim, 3, 0, 1), w = randArr(B * net.outputs, 4), t = randArr(net.nParams, 5), tX = randArr(X.length, 6);
        const run = () => ({ F: net.forward({ data: X, rows: B, cols: net.inputDim }).data, ...scalarAndGrads(net, X, B, w), jvp: jvpOut(net, X, B, t, tX), jvpW: jvpOut(net, X, B, t) });
        convTuning.winograd = false;
        const ref = run();
        for (const [winoBytes, winograd4] of [[saved.winoBytes, true], [1, true], [saved.winoBytes, false]] as const) {
          Object.assign(convTuning, { winograd: true, winoBytes, winograd4 });
          const got = run();
          for (const k of ['F', 'grad', 'dX', 'jvp', 'jvpW'] as const) {
            let err = 0, den = 0;
            for (let i = 0; i < ref[k].length; i++) { err = Math.max(err, Math.abs(got[k][i] - ref[k][i])); den = Math.max(den, Math.abs(ref[k][i])); }
            assert.ok(err <= 1e-12 * den, `${parameterization} ${input}, winoBytes ${winoBytes}, winograd4 ${winograd4}: ${k} Winograd vs im2col off by ${err / den}`);
          }
        }
        convTuning.winograd4 = true;
        convTuning.winoBytes = saved.winoBytes;
        checkNet(net, 3, 13, `Winograd convs ${parameterization}`);
      } finally { net.dispose(); }
    }
  } finally { Object.assign(convTuning, saved); }
});

test('layer shapes, parameter layout and initialisation of both parameterisations', () => {
  const net = buildNet(serial(...allKinds()), { input: [7, 6, 2], dtype: 'f64', parameterization: 'standard', seed: 3 });
  try {
    assert.deepEqual(net.layout.map((t) => `${t.layer}${t.name}:${t.shape.join('x')}@${t.offset}`),
      ['0W:3x3x2x3@0', '0b:3@54', '3W:3x3x3x4@57', '3b:4@165', '7W:4x5@169', '7b:5@189', '10W:5x3@194', '10b:3@209']);
    assert.equal(net.nParams, 212);
    assert.equal(net.outputs, 3);
    assert.equal(net.tensor(0, 'b').every((v) => v === 0), true);
    const W = net.tensor(3, 'W'), std = 1 / Math.sqrt(27);
    assert.ok(W.every((v) => Math.abs(v) <= 2 * std / 0.87962566103423978 + 1e-12), 'lecun-normal weights are truncated at 2 std');
  } finally { net.dispose(); }
  assert.throws(() => buildNet([conv({ out: 2 }), relu(), flatten(), dense()], { input: 10 }), /layer 0 \(conv\) needs an image input/);
  assert.throws(() => buildNet([flatten(), dense({ out: 3 }), conv()], { input: [4, 4, 1] }), /layer 2 \(conv\) needs an image input/);
  assert.throws(() => buildNet([conv({ out: 2 }), relu()], { input: [4, 4, 1] }), /ends with an 4 x 4 x 2 map/);
  assert.throws(() => buildNet([flatten(), dense(), relu(), dense()], { input: 4 }), /layer 1 \(dense\) has no width/);
  assert.throws(() => serial(conv(), relu(), maxPool(), flatten(), dense()).kernelFn({ data: new Float64Array(16), rows: 1, cols: 16 }, null, { shape: [4, 4, 1] }), /layer 2 \(maxPool\) has no analytic kernel map here \(max pooling has no closed-form NNGP\/NTK\)/);
  // NTK parameterisation: N(0, 1) weights, the forward pass applies W_std / sqrt(fan_in)
  const big = buildNet([flatten(), dense({ out: 200, wStd: 2 }), relu(), dense()], { input: 300, seed: 9 });
  try {
    const W = big.tensor(1, 'W');
    let s = 0; for (const v of W) s += v * v;
    assert.ok(Math.abs(s / W.length - 1) < 0.02, `NTK weights variance ${s / W.length}`);
  } finally { big.dispose(); }
  void randn;
});

test('max-pool VJP: the first maximum of each window (scan order) gets dy, with ties (ReLU zeros, repeats), odd sizes, SIMD and scalar channels; rows sharing an input (xPer)', () => {
  const e = engine();
  for (const dt of ['f64', 'f32'] as const) {
    for (const [H, W, C, xPer] of [[4, 4, 4, 1], [5, 7, 6, 1], [6, 4, 8, 3], [3, 3, 1, 2]] as const) {
      const nB = 6, nX = Math.ceil(nB / xPer), Ho = H >> 1, Wo = W >> 1, r = rng(H * 31 + C + xPer);
      // few distinct values: ties everywhere, as after a ReLU
      const X = Float64Array.from({ length: nX * H * W * C }, () => Math.max(0, Math.floor(r() * 4) - 1));
      const dy = Float64Array.from({ length: nB * Ho * Wo * C }, () => r() - 0.5);
      const x = dt === 'f32' ? e.from(Float32Array.from(X)) : e.from(X), g = dt === 'f32' ? e.from(Float32Array.from(dy)) : e.from(dy), out = e.buffer(dt, nB * H * W * C);
      try {
        out.data.fill(7); // every entry must be written
        e.parallelFor(`nn_maxpool_${dt}`, [1, x.ptr, g.ptr, H, W, C, out.ptr, xPer], nB);
        const got = out.toArray(), want = new Float64Array(nB * H * W * C);
        const G = dt === 'f32' ? Float32Array.from(dy) : dy;
        for (let b = 0; b < nB; b++) for (let i = 0; i < Ho; i++) for (let j = 0; j < Wo; j++) for (let c = 0; c < C; c++) {
          const at = (u: number, v: number) => ((2 * i + u) * W + 2 * j + v) * C + c, xb = Math.floor(b / xPer) * H * W * C;
          let best = at(0, 0);
          for (const [u, v] of [[0, 1], [1, 0], [1, 1]]) if (X[xb + at(u, v)] > X[xb + best]) best = at(u, v);
          want[b * H * W * C + best] = G[((b * Ho + i) * Wo + j) * C + c];
        }
        assert.deepEqual(Array.from(got), Array.from(want), `${dt} ${H}x${W}x${C}, xPer ${xPer}`);
      } finally { x.free(); g.free(); out.free(); }
    }
  }
});
