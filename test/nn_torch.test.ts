// Finite nets vs an independent PyTorch reference for the same weights
// (test/fixtures/make_nn_fixtures.py): outputs, losses, parameter and input gradients, two
// SGD-with-momentum steps, and the PyTorch layout converters, in f64 and f32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildNet, conv, dense, relu, flatten, avgPool, maxPool, scale, engine, Trainer, lossAndGrad, toTorchLayout, fromTorchLayout, type Net, type Dtype, type TrainLoss } from '../src/node.js';
import { convTuning } from '../src/nn/ops/conv.js';

interface Case {
  name: string; arch: 'cnn' | 'cnn-wino' | 'fc'; loss: TrainLoss; input: [number, number, number] | number; B: number;
  X: number[]; labels: number[]; params: number[]; outputs: number[]; lossValue: number; grad: number[]; dX: number[];
  afterSgd?: number[]; lr?: number; momentum?: number; torch?: Record<string, { shape: number[]; data: number[] }>;
}
const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/nn_torch.json', import.meta.url), 'utf8')) as { cases: Case[] };

function make(c: Case, dtype: Dtype): Net {
  const layers = c.arch !== 'fc'
    ? [conv({ out: c.arch === 'cnn' ? 3 : 8 }), relu(), avgPool(), conv({ out: 4 }), relu(), maxPool(), flatten(), dense({ out: 5 }), relu(), scale(2), dense({ out: 3 })]
    : [dense({ out: 6 }), relu(), dense({ out: 1 })];
  const net = buildNet(layers, { input: c.input, parameterization: 'standard', dtype });
  net.setParams(c.params);
  return net;
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / den;
}

for (const dtype of ['f64', 'f32'] as const) {
  test(`finite nets match PyTorch (${dtype}): outputs, losses, parameter and input gradients, SGD with momentum`, () => {
    // every conv route: Winograd where it fits (the cnn-wino case) or im2col; dX scattered or gathered
    const saved = { ...convTuning };
    try {
      for (const winograd of [true, false]) for (const below of [100, 0]) { Object.assign(convTuning, { winograd, scatterBelowCin: below }); check(dtype); }
    } finally { Object.assign(convTuning, saved); }
  });
}

function check(dtype: Dtype): void {
  {
    const tol = dtype === 'f64' ? 1e-12 : 2e-5;
    for (const c of fx.cases) {
      const net = make(c, dtype), e = engine(), k = net.outputs;
      try {
        const tr = net.trace(c.B);
        const dOut = e.buffer(dtype, c.B * k), g = e.buffer(dtype, net.nParams), dX = e.buffer(dtype, c.B * net.inputDim);
        try {
          net.view(tr.input, c.X.length).set(c.X);
          net.run(tr);
          const F = Float64Array.from(net.view(tr.output, c.B * k));
          assert.ok(maxRel(F, c.outputs) < tol, `${c.name} ${dtype}: outputs off by ${maxRel(F, c.outputs)}`);
          const dF = new Float64Array(c.B * k);
          const L = lossAndGrad(F, c.B, k, c.labels, c.loss, dF);
          assert.ok(Math.abs(L - c.lossValue) < tol * Math.abs(c.lossValue), `${c.name}: loss ${L} vs torch ${c.lossValue}`);
          net.view(dOut.ptr, c.B * k).set(dF);
          net.backward(tr, dOut.ptr, g.ptr, dX.ptr);
          assert.ok(maxRel(g.data, c.grad) < tol * 5, `${c.name} ${dtype}: parameter gradients off by ${maxRel(g.data, c.grad)}`);
          assert.ok(maxRel(dX.data, c.dX) < tol * 5, `${c.name} ${dtype}: input gradients off by ${maxRel(dX.data, c.dX)}`);
        } finally { tr.free(); dOut.free(); g.free(); dX.free(); }
        if (c.afterSgd) {
          const t = new Trainer(net, { batch: c.B, lr: c.lr!, momentum: c.momentum!, loss: c.loss, shuffle: false });
          try {
            for (let s = 0; s < 2; s++) t.step(Float64Array.from(c.X), c.labels, { epoch: 0, step: s });
            assert.ok(maxRel(net.getParams(), c.afterSgd) < tol * 10, `${c.name} ${dtype}: parameters after 2 SGD steps off by ${maxRel(net.getParams(), c.afterSgd)}`);
          } finally { t.dispose(); }
        }
      } finally { net.dispose(); }
    }
  }
}

test('PyTorch layout converters: HWIO <-> OIHW, dense transpose, flatten permutation (both ways)', () => {
  const c = fx.cases.find((x) => x.torch)!;
  const net = make(c, 'f64');
  try {
    const tt = toTorchLayout(net);
    for (const [name, ref] of Object.entries(c.torch!)) {
      const mine = tt.find((t) => t.name === name.replace(/^conv1/, '0').replace(/^conv2/, '3').replace(/^fc1/, '7').replace(/^fc2/, '10'));
      assert.ok(mine, `no tensor for ${name}`);
      assert.deepEqual(mine!.shape, ref.shape, name);
      assert.deepEqual(Array.from(mine!.data), ref.data, `${name}: values differ`);
    }
    const back = fromTorchLayout(net, Object.fromEntries(tt.map((t) => [t.name, t])));
    assert.deepEqual(Array.from(back.params), c.params);
    const missing = Object.fromEntries(tt.filter((t) => t.name !== '7.weight').map((t) => [t.name, t]));
    assert.throws(() => fromTorchLayout(net, missing), /tensor '7.weight' \(layer 7 dense\) is missing/);
    assert.throws(() => fromTorchLayout(net, { ...Object.fromEntries(tt.map((t) => [t.name, t])), '0.weight': { shape: [3, 3, 2, 3], data: new Float64Array(54) } }), /'0.weight' has shape \(3, 3, 2, 3\), expected \(3, 2, 3, 3\)/);
  } finally { net.dispose(); }
});
