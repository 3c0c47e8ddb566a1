// Empirical NTK of finite nets (src/nn/empirical_ntk.ts): against an explicit J J^T built
// row by row from the net's own backward pass (batch of one, one-hot cotangent), against
// PyTorch-autograd fixtures (test/fixtures/entk/make_entk_fixtures.py), every output mode
// and both implementations, blocked against unblocked; the JVP against the fixtures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildNet, conv, dense, relu, flatten, avgPool, maxPool, engine, empiricalKernel, twoLayerFrozenRelu, type Net, type Layer, type Matrix } from '../src/node.js';
import { rng } from './helpers.js';
import { entkTuning } from '../src/nn/empirical_ntk.js';
import { convDxWinograd } from '../src/nn/ops/conv.js';
import { convDxWinograd4 } from '../src/nn/ops/conv_wino4.js';
import { spreadCount } from '../src/nn/ops/wino_planes.js';

function randMat(rows: number, cols: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = r();
  return { data, rows, cols };
}

/** J (n k) x P from net.backward on one sample with cotangent e_i, rows (sample, output). */
function explicitJ(net: Net, X: Matrix): Float64Array[] {
  const e = engine(), k = net.outputs, rows: Float64Array[] = [];
  const tr = net.trace(1), dOut = e.buffer(net.dtype, k), g = e.buffer(net.dtype, net.nParams);
  try {
    for (let a = 0; a < X.rows; a++) {
      net.view(tr.input, net.inputDim).set(X.data.subarray(a * X.cols, (a + 1) * X.cols));
      net.run(tr);
      for (let i = 0; i < k; i++) {
        dOut.data.fill(0); dOut.data[i] = 1;
        net.backward(tr, dOut.ptr, g.ptr, 0);
        rows.push(Float64Array.from(g.data));
      }
    }
  } finally { tr.free(); dOut.free(); g.free(); }
  return rows;
}

function gramOf(A: Float64Array[], B: Float64Array[]): Float64Array {
  const K = new Float64Array(A.length * B.length);
  A.forEach((u, r) => B.forEach((v, c) => { let s = 0; for (let q = 0; q < u.length; q++) s += u[q] * v[q]; K[r * B.length + c] = s; }));
  return K;
}

function maxRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
  assert.equal(got.length, want.length);
  let m = 0, scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - want[i]));
  return m / scale;
}

/** The (n1 k) x (n2 k) full kernel reduced to output modes. */
function traceOf(K: Float64Array, n1: number, n2: number, k: number): Float64Array {
  const T = new Float64Array(n1 * n2);
  for (let a = 0; a < n1; a++) for (let b = 0; b < n2; b++) for (let i = 0; i < k; i++) T[a * n2 + b] += K[(a * k + i) * n2 * k + b * k + i];
  return T;
}
function outputOf(K: Float64Array, n1: number, n2: number, k: number, i: number): Float64Array {
  const T = new Float64Array(n1 * n2);
  for (let a = 0; a < n1; a++) for (let b = 0; b < n2; b++) T[a * n2 + b] = K[(a * k + i) * n2 * k + b * k + i];
  return T;
}

const s2 = Math.SQRT2;
const tinyCnn = (): Layer[] => [conv({ out: 3, wStd: s2, bStd: 0.1 }), relu(), avgPool(), conv({ out: 4, wStd: s2, bStd: 0.1 }), relu(), maxPool(), flatten(), dense({ out: 3, bStd: 0.2 })];
const tinyMlp = (): Layer[] => [dense({ out: 6, wStd: s2, bStd: 0.1 }), relu(), dense({ out: 5, wStd: s2, bStd: 0.1 }), relu(), dense({ out: 3, bStd: 0.1 })];

test('empirical NTK equals the explicit J J^T of per-sample backward passes (f64; full, trace, one output, cross, both implementations)', () => {
  for (const [name, layers, input, param] of [
    ['mlp', tinyMlp(), 7, 'ntk'], ['cnn', tinyCnn(), [8, 8, 2], 'ntk'], ['cnn standard', tinyCnn(), [8, 8, 2], 'standard'],
    ['twolayer (frozen readout, scale layer)', twoLayerFrozenRelu({ width: 9 }).layers, 6, 'ntk'],
  ] as const) {
    const net = buildNet(layers, { input: input as never, dtype: 'f64', parameterization: param, seed: 5 });
    try {
      const X1 = randMat(3, net.inputDim, 1), X2 = randMat(2, net.inputDim, 2), k = net.outputs;
      const J1 = explicitJ(net, X1), J2 = explicitJ(net, X2);
      const K11 = gramOf(J1, J1), K12 = gramOf(J1, J2);
      for (const implementation of ['structured', 'jacobian'] as const) {
        const full = empiricalKernel(net, X1, null, { implementation });
        assert.equal(full.rows, 3 * k); assert.equal(full.cols, 3 * k);
        assert.ok(maxRel(full.data, K11) < 1e-12, `${name} ${implementation} full: ${maxRel(full.data, K11)}`);
        for (let r = 0; r < full.rows; r++) for (let c = 0; c < r; c++) assert.equal(full.data[r * full.cols + c], full.data[c * full.cols + r], 'exactly symmetric');
        const cross = empiricalKernel(net, X1, X2, { implementation });
        assert.ok(maxRel(cross.data, K12) < 1e-12, `${name} ${implementation} cross: ${maxRel(cross.data, K12)}`);
        const tr = empiricalKernel(net, X1, X2, { implementation, outputs: 'trace' });
        assert.ok(maxRel(tr.data, traceOf(K12, 3, 2, k)) < 1e-12, `${name} ${implementation} trace`);
        const trSym = empiricalKernel(net, X1, null, { implementation, outputs: 'trace' });
        assert.ok(maxRel(trSym.data, traceOf(K11, 3, 3, k)) < 1e-12, `${name} ${implementation} trace (symmetric)`);
        const o = Math.min(2, k - 1), one = empiricalKernel(net, X1, null, { implementation, outputs: o });
        assert.ok(maxRel(one.data, outputOf(K11, 3, 3, k, o)) < 1e-12, `${name} ${implementation} output ${o}`);
      }
    } finally { net.dispose(); }
  }
});

test('blocked empirical NTK (J rows in several blocks, recomputed pairs) equals the one-block result; f32 agrees with f64', () => {
  const X = randMat(7, 128, 3), X2 = randMat(5, 128, 4);
  const net = buildNet(tinyCnn(), { input: [8, 8, 2], dtype: 'f64', seed: 9 });
  try {
    const one = empiricalKernel(net, X), oneX = empiricalKernel(net, X, X2);
    // J rows of one sample: conv columns (57 + 148) x 3 outputs x 8 bytes. A budget of 3
    // samples: resident blocks of 2, streamed blocks of 1: resident [0,2) [2,4) [4,6) [6,7)
    // with 5 + 3 + 1 + 0 streamed blocks after them = 13 block computations.
    const budget = 3 * 205 * 3 * 8;
    let calls = 0;
    const blocked = empiricalKernel(net, X, null, { blockBytes: budget, progress: (d, t) => { calls++; assert.equal(t, 13); assert.equal(d, calls); } });
    assert.equal(calls, 13);
    assert.ok(maxRel(blocked.data, one.data) < 1e-13, `blocked vs one block: ${maxRel(blocked.data, one.data)}`);
    const blockedX = empiricalKernel(net, X, X2, { blockBytes: budget });
    assert.ok(maxRel(blockedX.data, oneX.data) < 1e-13);
    const bt = empiricalKernel(net, X, null, { blockBytes: budget, outputs: 'trace' });
    assert.ok(maxRel(bt.data, traceOf(one.data, 7, 7, 3)) < 1e-13);
    const n32 = buildNet(tinyCnn(), { input: [8, 8, 2], dtype: 'f32', seed: 9 });
    try {
      n32.setParams(net.getParams().map((v) => Math.fround(v)));
      const k32 = empiricalKernel(n32, X);
      assert.ok(maxRel(k32.data, one.data) < 1e-5, `f32 vs f64: ${maxRel(k32.data, one.data)}`);
    } finally { n32.dispose(); }
    assert.throws(() => empiricalKernel(net, X, null, { blockBytes: 100 }), /do not fit blockBytes/);
    assert.throws(() => empiricalKernel(net, randMat(2, 5, 1)), /X1 rows have 5 values, the net expects 128/);
    assert.throws(() => empiricalKernel(net, X, null, { outputs: 3 }), /output index 0\.\.2/);
    // 25,000 inputs x 3 outputs: a 75,000^2 f64 kernel (45 GB) is refused up front, naming the limit
    assert.throws(() => empiricalKernel(net, { data: new Float64Array(25000 * 128), rows: 25000, cols: 128 }), /exceeds the 4\.00 GiB wasm32 limit/);
    const bad = randMat(2, 128, 1); bad.data[136] = NaN;
    assert.throws(() => empiricalKernel(net, bad), /X1 has a non-finite value at row 1, column 8/);
  } finally { net.dispose(); }
});

test('Winograd conv rows (even H, W; channels multiples of 4) equal the explicit J J^T and the im2col route; f32 agrees with f64', () => {
  // 8 x 6 images (non-square tiles), 4 -> 8 -> 12 channels: both convs take the Winograd route
  const layers = (): Layer[] => [conv({ out: 8, wStd: s2, bStd: 0.1 }), relu(), conv({ out: 12, wStd: s2, bStd: 0.1 }), relu(), avgPool(), flatten(), dense({ out: 3, bStd: 0.2 })];
  const net = buildNet(layers(), { input: [8, 6, 4], dtype: 'f64', parameterization: 'standard', seed: 11 });
  const saved = entkTuning.winograd;
  try {
    const X1 = randMat(4, net.inputDim, 5), X2 = randMat(2, net.inputDim, 6);
    const J1 = explicitJ(net, X1), J2 = explicitJ(net, X2);
    entkTuning.winograd = true;
    const K = empiricalKernel(net, X1), K12 = empiricalKernel(net, X1, X2);
    const Kj = empiricalKernel(net, X1, null, { implementation: 'jacobian' });
    assert.ok(maxRel(K.data, gramOf(J1, J1)) < 1e-12, `winograd vs explicit J J^T: ${maxRel(K.data, gramOf(J1, J1))}`);
    assert.ok(maxRel(K12.data, gramOf(J1, J2)) < 1e-12, `winograd cross: ${maxRel(K12.data, gramOf(J1, J2))}`);
    assert.ok(maxRel(Kj.data, gramOf(J1, J1)) < 1e-12, 'winograd, jacobian implementation');
    entkTuning.winograd = false;
    const Kd = empiricalKernel(net, X1);
    assert.ok(maxRel(K.data, Kd.data) < 1e-13, `winograd vs im2col: ${maxRel(K.data, Kd.data)}`);
    entkTuning.winograd = true;
    const n32 = buildNet(layers(), { input: [8, 6, 4], dtype: 'f32', parameterization: 'standard', seed: 11 });
    try {
      n32.setParams(net.getParams().map((v) => Math.fround(v)));
      const k32 = empiricalKernel(n32, X1);
      assert.ok(maxRel(k32.data, K.data) < 1e-5, `f32 vs f64: ${maxRel(k32.data, K.data)}`);
    } finally { n32.dispose(); }
  } finally { entkTuning.winograd = saved; net.dispose(); }
});

test('conv input cotangent by Winograd F(2x2, 3x3) equals the VJP\'s im2col dx (f64, f32); odd sizes and channel counts are declined', () => {
  const e = engine();
  for (const dtype of ['f64', 'f32'] as const) {
    for (const [input, out, ok] of [[[8, 6, 4], 8, true], [[4, 10, 12], 16, true], [[7, 6, 4], 8, false], [[8, 6, 3], 8, false], [[8, 6, 4], 6, false]] as const) {
      const net = buildNet([conv({ out, wStd: s2, bStd: 0.1 }), relu(), flatten(), dense({ out: 2 })], { input: input as never, dtype, seed: 3 });
      try {
        const B = 5, [H, W, C] = input, ny = B * H * W * out, nx = B * H * W * C;
        const ctx = net.layerCtx(0, B), r = rng(7), dy = e.buffer(dtype, ny);
        for (let i = 0; i < ny; i++) dy.data[i] = r() - 0.5;
        const a = e.buffer(dtype, nx), b = e.buffer(dtype, nx);
        try {
          net.layerOp(0)!.vjp(ctx, 0, 0, dy.ptr, a.ptr, 0, 0);
          assert.equal(convDxWinograd(ctx, dy.ptr, b.ptr), ok, `${input} -> ${out}`);
          if (ok) {
            const rel = maxRel(b.toArray(), a.toArray());
            assert.ok(rel < (dtype === 'f64' ? 1e-13 : 1e-5), `${dtype} ${input} -> ${out}: ${rel}`);
          }
        } finally { dy.free(); a.free(); b.free(); }
      } finally { net.dispose(); }
    }
  }
});

interface Fixture {
  name: string; param: 'ntk' | 'standard'; input: [number, number, number]; layers: { kind: string; out?: number; wStd?: number; bStd?: number }[];
  n: number; n1: number; outputs: number; params: number[]; tangent: number[]; X: number[]; f: number[]; K: number[]; K12: number[]; Jv: number[];
}

function fixtureNet(fx: Fixture): Net {
  const layers: Layer[] = fx.layers.map((l) => {
    switch (l.kind) {
      case 'dense': return dense({ out: l.out, wStd: l.wStd ?? 1, bStd: l.bStd ?? 0 });
      case 'conv': return conv({ out: l.out, wStd: l.wStd ?? 1, bStd: l.bStd ?? 0 });
      case 'relu': return relu();
      case 'avgPool': return avgPool();
      case 'maxPool': return maxPool();
      case 'flatten': return flatten();
      default: throw new Error(`fixture layer ${l.kind}`);
    }
  });
  const [H, W, C] = fx.input;
  const net = buildNet(layers, { input: H === 1 && W === 1 ? C : fx.input, dtype: 'f64', parameterization: fx.param });
  net.setParams(fx.params);
  return net;
}

test('empirical NTK, outputs and J v match PyTorch autograd fixtures (MLP; CNN with avg and max pooling; ntk and standard parameterisations)', () => {
  for (const name of ['mlp', 'cnn', 'cnn_standard']) {
    const fx = JSON.parse(readFileSync(fileURLToPath(new URL(`../../test/fixtures/entk/${name}.json`, import.meta.url)), 'utf8')) as Fixture;
    const net = fixtureNet(fx);
    try {
      const d = net.inputDim, X: Matrix<Float64Array> = { data: Float64Array.from(fx.X), rows: fx.n, cols: d };
      assert.ok(maxRel(net.forward(X).data, fx.f) < 1e-12, `${name} outputs`);
      const K = empiricalKernel(net, X);
      assert.ok(maxRel(K.data, fx.K) < 1e-12, `${name} K: ${maxRel(K.data, fx.K)}`);
      const X1 = { data: X.data.slice(0, fx.n1 * d), rows: fx.n1, cols: d }, X2 = { data: X.data.slice(fx.n1 * d), rows: fx.n - fx.n1, cols: d };
      assert.ok(maxRel(empiricalKernel(net, X1, X2).data, fx.K12) < 1e-12, `${name} K12`);
      // J v by the net's forward-mode product
      const e = engine(), tr = net.trace(fx.n), t = e.from(Float64Array.from(fx.tangent)), out = e.buffer('f64', fx.n * fx.outputs);
      try {
        net.view(tr.input, fx.n * d).set(X.data);
        net.run(tr);
        net.jvp(tr, t.ptr, out.ptr);
        assert.ok(maxRel(out.toArray(), fx.Jv) < 1e-12, `${name} Jv`);
      } finally { tr.free(); t.free(); out.free(); }
    } finally { net.dispose(); }
  }
});

test('pack-once Gram of the J rows (k-slices over 16 slots) equals the explicit J J^T and gramRaw; every output mode; f32 agrees', () => {
  // 11,584 conv parameters: 23 k-slices of 512 over 16 slots, two per slot, the last one odd
  // and four empty; 5 samples x 3 outputs = 15 rows, not a multiple of the 4-row tile or the
  // 8-row f32 group
  const layers = (): Layer[] => [conv({ out: 32, wStd: s2, bStd: 0.1 }), relu(), conv({ out: 32, wStd: s2, bStd: 0.1 }), relu(), avgPool(), flatten(), dense({ out: 3, bStd: 0.2 })];
  const net = buildNet(layers(), { input: [6, 6, 8], dtype: 'f64', parameterization: 'standard', seed: 12 });
  const saved = entkTuning.packedGram;
  try {
    const X = randMat(5, net.inputDim, 9);
    const J = explicitJ(net, X), KJ = gramOf(J, J);
    entkTuning.packedGram = true;
    const full = empiricalKernel(net, X), tr = empiricalKernel(net, X, null, { outputs: 'trace' });
    const one = empiricalKernel(net, X, null, { outputs: 2 }), jac = empiricalKernel(net, X, null, { implementation: 'jacobian' });
    assert.ok(maxRel(full.data, KJ) < 1e-12, `packed full vs explicit: ${maxRel(full.data, KJ)}`);
    assert.ok(maxRel(tr.data, traceOf(KJ, 5, 5, 3)) < 1e-12, 'packed trace vs explicit');
    assert.ok(maxRel(one.data, outputOf(KJ, 5, 5, 3, 2)) < 1e-12, 'packed output 2 vs explicit');
    assert.ok(maxRel(jac.data, KJ) < 1e-12, 'packed, jacobian implementation');
    for (let r = 0; r < 15; r++) for (let c = 0; c < r; c++) assert.equal(full.data[r * 15 + c], full.data[c * 15 + r], 'exactly symmetric');
    entkTuning.packedGram = false;
    const raw = empiricalKernel(net, X), rawOne = empiricalKernel(net, X, null, { outputs: 2 });
    assert.ok(maxRel(full.data, raw.data) < 1e-13, `packed vs gramRaw: ${maxRel(full.data, raw.data)}`);
    assert.ok(maxRel(one.data, rawOne.data) < 1e-13, 'packed vs gramRaw, one output');
    const n32 = buildNet(layers(), { input: [6, 6, 8], dtype: 'f32', parameterization: 'standard', seed: 12 });
    try {
      n32.setParams(net.getParams().map((v) => Math.fround(v)));
      const raw32 = empiricalKernel(n32, X);
      entkTuning.packedGram = true;
      const k32 = empiricalKernel(n32, X);
      assert.ok(maxRel(k32.data, full.data) < 1e-5, `f32 packed vs f64: ${maxRel(k32.data, full.data)}`);
      assert.ok(maxRel(k32.data, raw32.data) < 1e-6, `f32 packed vs gramRaw: ${maxRel(k32.data, raw32.data)}`);
    } finally { n32.dispose(); }
  } finally { entkTuning.packedGram = saved; net.dispose(); }
});

test('pack-once Gram, f32 6 x 8 tile: equals the 4 x 8 tile exactly and the explicit f64 J J^T; tiles starting at every lane of an 8-row group, rows past the packed groups', () => {
  // 5 and 7 samples x 3 outputs = 15 and 21 rows: 6-row tiles start at lanes 0, 6, 4 (15 rows:
  // its last tile reads a group beyond the 2 packed ones) and 2 (21 rows). Per C element both
  // tiles accumulate the same products in the same order, so they agree to the bit.
  const layers = (): Layer[] => [conv({ out: 32, wStd: s2, bStd: 0.1 }), relu(), conv({ out: 32, wStd: s2, bStd: 0.1 }), relu(), avgPool(), flatten(), dense({ out: 3, bStd: 0.2 })];
  const net = buildNet(layers(), { input: [6, 6, 8], dtype: 'f64', parameterization: 'standard', seed: 13 });
  const n32 = buildNet(layers(), { input: [6, 6, 8], dtype: 'f32', parameterization: 'standard', seed: 13 });
  const saved = { ...entkTuning };
  try {
    n32.setParams(net.getParams().map((v) => Math.fround(v)));
    for (const n of [5, 7]) {
      const X = randMat(n, net.inputDim, 20 + n);
      const J = explicitJ(net, X), KJ = gramOf(J, J);
      entkTuning.packedGram = true;
      entkTuning.gramTile = 4;
      const k4 = empiricalKernel(n32, X);
      entkTuning.gramTile = 6;
      const k6 = empiricalKernel(n32, X);
      assert.deepEqual(k6.data, k4.data, `${n} samples: 6 x 8 tile vs 4 x 8`);
      assert.ok(maxRel(k6.data, KJ) < 1e-5, `${n} samples: f32 6 x 8 vs explicit f64: ${maxRel(k6.data, KJ)}`);
      const R = 3 * n;
      for (let r = 0; r < R; r++) for (let c = 0; c < r; c++) assert.equal(k6.data[r * R + c], k6.data[c * R + r], 'exactly symmetric');
      const k64 = empiricalKernel(net, X); // f64 ignores the 6-row tile
      assert.ok(maxRel(k64.data, KJ) < 1e-12, `${n} samples: f64 vs explicit`);
    }
  } finally { Object.assign(entkTuning, saved); net.dispose(); n32.dispose(); }
});

/**
 * Three convs 4 -> 8 -> 16 -> 12 (Cout 8 and 16: packed f32 rows; 12: the GEMM route), f64 and
 * f32 with the same (f32-rounded) weights.
 */
function threeConvNets(input: [number, number, number], seed: number) {
  const layers = (): Layer[] => [conv({ out: 8, wStd: s2, bStd: 0.1 }), relu(), conv({ out: 16, wStd: s2, bStd: 0.1 }), relu(), conv({ out: 12, wStd: s2, bStd: 0.1 }), relu(), avgPool(), flatten(), dense({ out: 3, bStd: 0.2 })];
  const net = buildNet(layers(), { input, dtype: 'f64', parameterization: 'standard', seed });
  const n32 = buildNet(layers(), { input, dtype: 'f32', parameterization: 'standard', seed });
  n32.setParams(net.getParams().map((v) => Math.fround(v)));
  return { net, n32 };
}

test('Winograd conv rows with the V planes packed once per sample (f32) equal the per-GEMM packing to the bit and the explicit f64 J J^T', () => {
  // Cin 4, 8 and 16 (row tiles past Cin: MR 4 or 6), Cout 8 and 16 packed, Cout 12 not (the GEMM route)
  const { net, n32 } = threeConvNets([6, 6, 4], 14);
  const saved = { ...entkTuning };
  try {
    const X = randMat(4, net.inputDim, 31);
    const J = explicitJ(net, X), KJ = gramOf(J, J);
    entkTuning.packedRows = false;
    const ref = empiricalKernel(n32, X);
    entkTuning.packedRows = true;
    const k = empiricalKernel(n32, X);
    assert.deepEqual(k.data, ref.data, 'packed rows vs per-GEMM packing');
    assert.ok(maxRel(k.data, KJ) < 1e-5, `f32 packed rows vs explicit f64: ${maxRel(k.data, KJ)}`);
    assert.ok(maxRel(empiricalKernel(net, X).data, KJ) < 1e-12, 'f64 (GEMM route) vs explicit');
  } finally { Object.assign(entkTuning, saved); net.dispose(); n32.dispose(); }
});

test('conv input cotangent by Winograd F(4x4, 3x3) equals the VJP\'s im2col dx (f64, f32); sizes not multiples of 4 are declined', () => {
  const e = engine();
  for (const dtype of ['f64', 'f32'] as const) {
    for (const [input, out, ok] of [[[8, 8, 4], 8, true], [[4, 12, 12], 16, true], [[8, 6, 4], 8, false], [[6, 8, 4], 8, false], [[8, 8, 3], 8, false], [[8, 8, 4], 6, false]] as const) {
      const net = buildNet([conv({ out, wStd: s2, bStd: 0.1 }), relu(), flatten(), dense({ out: 2 })], { input: input as never, dtype, seed: 3 });
      try {
        const B = 5, [H, W, C] = input, ny = B * H * W * out, nx = B * H * W * C;
        const ctx = net.layerCtx(0, B), r = rng(8), dy = e.buffer(dtype, ny);
        for (let i = 0; i < ny; i++) dy.data[i] = r() - 0.5;
        const a = e.buffer(dtype, nx), b = e.buffer(dtype, nx);
        try {
          net.layerOp(0)!.vjp(ctx, 0, 0, dy.ptr, a.ptr, 0, 0);
          assert.equal(convDxWinograd4(ctx, dy.ptr, b.ptr), ok, `${input} -> ${out}`);
          if (ok) {
            const rel = maxRel(b.toArray(), a.toArray());
            assert.ok(rel < (dtype === 'f64' ? 1e-13 : 2e-5), `${dtype} ${input} -> ${out}: ${rel}`);
          }
        } finally { dy.free(); a.free(); b.free(); }
      } finally { net.dispose(); }
    }
  }
});

test('empirical NTK with F(4x4, 3x3) input cotangents (H, W multiples of 4) equals the explicit J J^T in every output mode and the F(2x2) route; f32 agrees', () => {
  // 8 x 8 -> max-pool -> 4 x 4: both backward convs (4 -> 8 at 8 x 8, 8 -> 12 at 4 x 4) take F(4x4)
  const layers = (): Layer[] => [conv({ out: 8, wStd: s2, bStd: 0.1 }), relu(), conv({ out: 8, wStd: s2, bStd: 0.1 }), relu(), maxPool(), conv({ out: 12, wStd: s2, bStd: 0.1 }), relu(), avgPool(), flatten(), dense({ out: 3, bStd: 0.2 })];
  const net = buildNet(layers(), { input: [8, 8, 4], dtype: 'f64', parameterization: 'standard', seed: 13 });
  const saved = { ...entkTuning };
  try {
    const X1 = randMat(4, net.inputDim, 15), X2 = randMat(3, net.inputDim, 16);
    const J1 = explicitJ(net, X1), J2 = explicitJ(net, X2), K11 = gramOf(J1, J1), K12 = gramOf(J1, J2);
    Object.assign(entkTuning, { winograd: true, winograd4: true });
    const full = empiricalKernel(net, X1), cross = empiricalKernel(net, X1, X2);
    assert.ok(maxRel(full.data, K11) < 1e-12, `F(4x4) full vs explicit: ${maxRel(full.data, K11)}`);
    assert.ok(maxRel(cross.data, K12) < 1e-12, `F(4x4) cross vs explicit: ${maxRel(cross.data, K12)}`);
    assert.ok(maxRel(empiricalKernel(net, X1, X2, { outputs: 'trace' }).data, traceOf(K12, 4, 3, 3)) < 1e-12, 'F(4x4) trace');
    assert.ok(maxRel(empiricalKernel(net, X1, null, { outputs: 1 }).data, outputOf(K11, 4, 4, 3, 1)) < 1e-12, 'F(4x4) output 1');
    entkTuning.padPlanes = false; // planes padded against 4 KiB aliasing or not: the same numbers
    assert.deepEqual(empiricalKernel(net, X1).data, full.data, 'unpadded Winograd planes');
    entkTuning.padPlanes = true;
    entkTuning.winograd4 = false;
    const f2 = empiricalKernel(net, X1);
    assert.ok(maxRel(full.data, f2.data) < 1e-13, `F(4x4) vs F(2x2): ${maxRel(full.data, f2.data)}`);
    entkTuning.winograd4 = true;
    const n32 = buildNet(layers(), { input: [8, 8, 4], dtype: 'f32', parameterization: 'standard', seed: 13 });
    try {
      n32.setParams(net.getParams().map((v) => Math.fround(v)));
      const k32 = empiricalKernel(n32, X1);
      assert.ok(maxRel(k32.data, full.data) < 1e-5, `f32 vs f64: ${maxRel(k32.data, full.data)}`);
    } finally { n32.dispose(); }
  } finally { Object.assign(entkTuning, saved); net.dispose(); }
});

test('conv rows by Winograd F(4x4, 3x3) equal the explicit J J^T and the F(2x2) rows; packed f32 tiles (8 and 16 columns, row tiles past Cin), rows in groups of any size; ReLU VJPs fused into the F(4x4) cotangents change no bit', () => {
  // 8 x 8 images: all three convs take F(4x4) rows. f32: 4 -> 8 (8-column tiles), 8 -> 16
  // (16-column tiles; MR 6 passes Cin 8), 16 -> 12 (Cout not a multiple of 8: the GEMM route)
  const { net, n32 } = threeConvNets([8, 8, 4], 17);
  const saved = { ...entkTuning };
  try {
    const X1 = randMat(4, net.inputDim, 41), X2 = randMat(3, net.inputDim, 42);
    const J1 = explicitJ(net, X1), K11 = gramOf(J1, J1), K12 = gramOf(J1, explicitJ(net, X2));
    Object.assign(entkTuning, { winograd: true, winograd4Rows: true });
    const full = empiricalKernel(net, X1);
    assert.ok(maxRel(full.data, K11) < 1e-12, `F(4x4) rows vs explicit: ${maxRel(full.data, K11)}`);
    assert.ok(maxRel(empiricalKernel(net, X1, X2).data, K12) < 1e-12, 'F(4x4) rows, cross kernel');
    entkTuning.winograd4Rows = false;
    assert.ok(maxRel(empiricalKernel(net, X1).data, full.data) < 1e-13, 'F(4x4) rows vs F(2x2) rows');
    entkTuning.winograd4Rows = true;
    // the rows of a sample in groups of 1, 2 (+ 1) and all 3 (winoScratch bounds the group), planes unpadded
    for (const winoScratch of [1, 23040, 2 ** 20]) {
      entkTuning.winoScratch = winoScratch;
      assert.deepEqual(empiricalKernel(net, X1).data, full.data, `f64, winoScratch ${winoScratch}`);
      for (const packedRows of [true, false]) {
        entkTuning.packedRows = packedRows;
        const k32 = empiricalKernel(n32, X1);
        assert.ok(maxRel(k32.data, K11) < 1e-5, `f32 (packed ${packedRows}, winoScratch ${winoScratch}) vs explicit f64: ${maxRel(k32.data, K11)}`);
      }
    }
    entkTuning.padPlanes = false;
    assert.deepEqual(empiricalKernel(net, X1).data, full.data, 'unpadded planes');
    entkTuning.padPlanes = true;
    // the ReLU VJPs below the F(4x4) input cotangents fused into their output transform, or not: same bits
    const f32Fused = empiricalKernel(n32, X1).data;
    entkTuning.fuseRelu = false;
    assert.deepEqual(empiricalKernel(net, X1).data, full.data, 'f64, ReLU VJP as a pass of its own');
    assert.deepEqual(empiricalKernel(n32, X1).data, f32Fused, 'f32, ReLU VJP as a pass of its own');
  } finally { Object.assign(entkTuning, saved); net.dispose(); n32.dispose(); }
});

test('spreadCount pads Winograd planes off 4 KiB multiples (16 planes over >= 8 L1 sets)', () => {
  const sets = (c: number, rowBytes: number) => new Set(Array.from({ length: 16 }, (_, k) => Math.floor(((k * c * rowBytes) % 4096) / 64))).size;
  // cifar-cnn's 16 x 16 layers: 64 tiles x 128 f32 channels = 32 KiB planes, one L1 set for all 16
  assert.equal(sets(64, 512), 1);
  const c = spreadCount(64, 512);
  assert.ok(c > 64 && c < 72 && sets(c, 512) >= 8, `spreadCount(64, 512) = ${c}`);
  assert.equal(spreadCount(63, 516), 63, 'already spread: unchanged');
  // steps of 4 x 256 bytes reach at most 4 sets (multiples of 1 KiB): the best is taken
  const ld = spreadCount(128, 64 * 4, 4);
  assert.ok(ld % 4 === 0 && ld > 128 && sets(ld, 256) === 4 && sets(128, 256) === 1, `step 4: ${ld}`);
});
