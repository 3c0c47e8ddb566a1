// ntk transfer: the two-layer net against its analytic NTK (empirical NTK, time scale of
// gradient descent), its gradients against finite differences, the full-batch GD against the
// minibatch Trainer, the kernel flow against fitKernelMachine, resume = uninterrupted run,
// and a small MNIST run's transfer claims.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engine } from '../src/node.js';
import { arch } from '../src/kernels/kernel.js';
import { kernelOps } from '../src/kernels/ops.js';
import { fitKernelMachine, predict } from '../src/machines/kernel_regression.js';
import { kernelFlow } from '../src/machines/kernel_flow.js';
import { Trainer, type Net } from '../src/nn/index.js';
import { twoLayerNet, centredModel, taylorModel } from '../src/experiments/transfer_net.js';
import { FullBatchGd } from '../src/experiments/full_batch_gd.js';
import { runTransfer, logCheckpoints, alignment, type RunRecord, type TransferSettings, type TransferStore } from '../src/experiments/transfer.js';
import { loadDataset } from '../src/data/load.js';
import { asMatrix, labelsToTargets } from '../src/data/dataset.js';
import type { Matrix } from '../src/linalg/matrix.js';
import { rng } from './helpers.js';

function points(n: number, d: number, seed: number): Matrix<Float64Array> {
  const r = rng(seed), data = new Float64Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = r();
  return { data, rows: n, cols: d };
}

/** Per-sample gradient of output c with respect to the trained parameters (backward with e_c). */
function paramGrad(net: Net, x: Float64Array, c: number): Float64Array {
  const e = engine(), tr = net.trace(1), dOut = e.buffer(net.dtype, net.outputs), g = e.buffer(net.dtype, net.nParams);
  try {
    net.view(tr.input, net.inputDim).set(x);
    net.run(tr);
    dOut.data.fill(0); dOut.data[c] = 1;
    net.backward(tr, dOut.ptr, g.ptr, 0);
    return Float64Array.from(g.data);
  } finally { tr.free(); dOut.free(); g.free(); }
}

test('the empirical NTK of a wide two-layer net equals Eq. 42 (both inits; output blocks decouple)', () => {
  const X = points(5, 12, 1), k = 3, width = 40000;
  const K = kernelOps(arch('twolayer')).gram(X);
  // closed form, independently: x.x' (pi - arccos u) / (2 pi)
  for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
    let xy = 0, xx = 0, yy = 0;
    for (let p = 0; p < 12; p++) { const a = X.data[i * 12 + p], b = X.data[j * 12 + p]; xy += a * b; xx += a * a; yy += b * b; }
    const u = Math.min(1, xy / Math.sqrt(xx * yy));
    assert.ok(Math.abs(K.data[i * 5 + j] - (xy * (Math.PI - Math.acos(u))) / (2 * Math.PI)) < 1e-6 * xx); // acos is ill-conditioned at u = 1
  }
  for (const init of ['paired', 'independent'] as const) {
    const net = twoLayerNet(12, width, k, 3, { dtype: 'f64', init });
    try {
      const g = Array.from({ length: 5 }, (_, i) => [0, 1, 2].map((c) => paramGrad(net, X.data.subarray(i * 12, (i + 1) * 12) as Float64Array, c)));
      const dot = (u: Float64Array, v: Float64Array) => u.reduce((s, a, q) => s + a * v[q], 0);
      for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) {
        const ref = K.data[i * 5 + j], scale = Math.sqrt(K.data[i * 6] * K.data[j * 6]);
        for (let c = 0; c < k; c++) {
          // Monte Carlo over 40,000 units: relative error ~ 1/sqrt(width) = 0.005
          assert.ok(Math.abs(dot(g[i][c], g[j][c]) - ref) < 0.03 * scale, `${init}: Theta_${c}(${i},${j}) ${dot(g[i][c], g[j][c])} vs ${ref}`);
          const c2 = (c + 1) % k;
          assert.ok(Math.abs(dot(g[i][c], g[j][c2])) < 0.03 * scale, `${init}: cross-output block (${c},${c2}) should vanish`);
        }
      }
      if (init === 'paired') assert.ok(net.forward(X).data.every((v) => Math.abs(v) < 1e-9), 'paired init: f_0 = 0');
    } finally { net.dispose(); }
  }
});

test('centred net: input gradients match central finite differences (f64) after training', () => {
  const X = points(12, 10, 2), Y = labelsToTargets(Int32Array.from({ length: 12 }, (_, i) => i % 3), 3);
  for (const init of ['paired', 'independent'] as const) {
    const net = twoLayerNet(10, 64, 3, 5, { dtype: 'f64', init }), net0 = twoLayerNet(10, 64, 3, 5, { dtype: 'f64', init });
    const gd = new FullBatchGd(net, X, Y, 0.5, 5);
    try {
      for (let e = 0; e < 5; e++) gd.step();
      const m = centredModel(net, net0), x = points(2, 10, 9), w = { data: Float64Array.from([1, -2, 0.5, 0.3, 0, -1]), rows: 2, cols: 3 };
      const G = m.vjp(x, [w])[0];
      const f = (xx: Float64Array) => { const F = m.forward({ data: xx, rows: 2, cols: 10 }).data; return F.reduce((s, v, i) => s + v * w.data[i], 0); };
      for (let i = 0; i < 20; i++) {
        const h = 1e-6, xp = x.data.slice(), xm = x.data.slice();
        xp[i] += h; xm[i] -= h;
        const fd = (f(xp) - f(xm)) / (2 * h);
        assert.ok(Math.abs(G.data[i] - fd) < 1e-6 * (1 + Math.abs(fd)), `${init}: d/dx_${i}: ${G.data[i]} vs ${fd}`);
      }
      // at initialisation the centred output and its gradient are exactly 0
      const m0 = centredModel(net0, net0);
      assert.ok(m0.forward(x).data.every((v) => v === 0));
    } finally { gd.dispose(); net.dispose(); net0.dispose(); }
  }
});

test("linearised (Taylor) model: gradients match finite differences; the net's gradient is its gradient plus the flipped units", () => {
  const d = 10, m = 64, k = 3, X = points(12, d, 2), Y = labelsToTargets(Int32Array.from({ length: 12 }, (_, i) => i % 3), 3);
  const net = twoLayerNet(d, m, k, 5, { dtype: 'f64' }), net0 = twoLayerNet(d, m, k, 5, { dtype: 'f64' });
  const gd = new FullBatchGd(net, X, Y, 2, 12);
  try {
    for (let e = 0; e < 20; e++) gd.step();
    const lin = taylorModel(net, net0), c = centredModel(net, net0);
    const x = points(40, d, 9), w = { data: Float64Array.from({ length: 40 * k }, (_, i) => Math.sin(i + 1)), rows: 40, cols: k };
    const G = lin.vjp(x, [w])[0], Gn = c.vjp(x, [w])[0], F = lin.forward(x).data, flips = lin.flips(x);
    // independently: W (d x m) row-major, A (m x k) frozen, f_lin - f_0 = m^-1/2 sum_r a_r 1(w0.x > 0) (w - w0).x
    const W = net.getParams(), W0 = net0.getParams(), A = Float64Array.from(net.consts!.data), s = 1 / Math.sqrt(m);
    let anyFlip = 0, noFlip = 0;
    for (let b = 0; b < 40; b++) {
      const xb = x.data.subarray(b * d, (b + 1) * d);
      const z = (V: Float64Array, r: number) => xb.reduce((acc, v, i) => acc + v * V[i * m + r], 0);
      let count = 0;
      const flipTerm = new Float64Array(d);
      for (let r = 0; r < m; r++) {
        const on0 = z(W0, r) > 0, on = z(W, r) > 0;
        if (on0 !== on) count++;
        // flip term of the net's gradient: m^-1/2 sum_r a_r [1(w.x > 0) - 1(w0.x > 0)] w_r, weighted by w
        if (on0 !== on) {
          let aw = 0;
          for (let j = 0; j < k; j++) aw += A[r * k + j] * w.data[b * k + j];
          for (let i = 0; i < d; i++) flipTerm[i] += (on ? 1 : -1) * s * aw * W[i * m + r];
        }
      }
      assert.equal(flips[b], count, `row ${b}: flipped units`);
      count ? anyFlip++ : noFlip++;
      for (let i = 0; i < d; i++) assert.ok(Math.abs(Gn.data[b * d + i] - G.data[b * d + i] - flipTerm[i]) < 1e-10, `row ${b}: net gradient = linearised + flip term`);
      // forward: independent sum over units
      for (let j = 0; j < k; j++) {
        let f = 0;
        for (let r = 0; r < m; r++) if (z(W0, r) > 0) f += s * A[r * k + j] * (z(W, r) - z(W0, r));
        assert.ok(Math.abs(F[b * k + j] - f) < 1e-10, `row ${b} output ${j}: ${F[b * k + j]} vs ${f}`);
      }
      // central finite differences of the linearised model (piecewise linear: exact away from w0.x = 0)
      const obj = (xx: Float64Array) => lin.forward({ data: xx, rows: 1, cols: d }).data.reduce((acc, v, j) => acc + v * w.data[b * k + j], 0);
      for (let i = 0; i < d; i++) {
        const h = 1e-7, xp = Float64Array.from(xb), xm = Float64Array.from(xb);
        xp[i] += h; xm[i] -= h;
        const fd = (obj(xp) - obj(xm)) / (2 * h);
        assert.ok(Math.abs(G.data[b * d + i] - fd) < 1e-6 * (1 + Math.abs(fd)), `row ${b} d/dx_${i}: ${G.data[b * d + i]} vs ${fd}`);
      }
    }
    assert.ok(anyFlip > 0 && noFlip > 0, `the check covers rows with and without flipped units (${anyFlip} / ${noFlip})`);
  } finally { gd.dispose(); net.dispose(); net0.dispose(); }
});

test('full-batch GD: chunked accumulation equals one chunk and the Trainer (MSE, lr / 2, one batch)', () => {
  const X = points(30, 8, 4), labels = Int32Array.from({ length: 30 }, (_, i) => (i * 7) % 4), Y = labelsToTargets(labels, 4);
  const nets = [twoLayerNet(8, 50, 4, 1, { dtype: 'f64' }), twoLayerNet(8, 50, 4, 1, { dtype: 'f64' }), twoLayerNet(8, 50, 4, 1, { dtype: 'f64' })];
  const a = new FullBatchGd(nets[0], X, Y, 0.3, 7), b = new FullBatchGd(nets[1], X, Y, 0.3, 30);
  // the Trainer's 'mse' is the mean of (f - y)^2 (no 1/2): its step with lr / 2 is ours with lr
  const tr = new Trainer(nets[2], { batch: 30, lr: 0.15, loss: 'mse', shuffle: false });
  try {
    let prev = Infinity;
    for (let e = 0; e < 4; e++) {
      const la = a.step(), lb = b.step();
      tr.runEpoch(X, labels);
      assert.ok(Math.abs(la - lb) < 1e-12 * lb);
      assert.ok(la < prev, 'the loss decreases'); prev = la;
    }
    const pa = nets[0].getParams(), pb = nets[1].getParams(), pc = nets[2].getParams();
    for (let i = 0; i < pa.length; i++) { assert.ok(Math.abs(pa[i] - pb[i]) < 1e-12); assert.ok(Math.abs(pa[i] - pc[i]) < 1e-12); }
  } finally { a.dispose(); b.dispose(); tr.dispose(); nets.forEach((n) => n.dispose()); }
});

test('kernel flow: one eigendecomposition gives fitKernelMachine at every finite t', () => {
  const X = points(25, 6, 6), Y = labelsToTargets(Int32Array.from({ length: 25 }, (_, i) => i % 3), 3);
  const ops = kernelOps(arch('twolayer')), flow = kernelFlow(ops, X, Y), Xt = points(4, 6, 7);
  try {
    for (const t of [0.3, 5, 200]) {
      const ref = fitKernelMachine(ops, X, Y, { t }), got = flow.at(t);
      const a = predict(ref, Xt).data, b = predict(got, Xt).data;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-9 * (1 + Math.abs(a[i])), `t = ${t}`);
    }
    assert.ok(flow.at(0).alpha.data.every((v) => v === 0));
    assert.equal(flow.lambdaMax, flow.values[0]);
  } finally { flow.dispose(); }
});

test('time scale: a wide paired net after one small GD step matches f_t at t = lr (N = n k normalisation)', () => {
  const X = points(40, 10, 8), labels = Int32Array.from({ length: 40 }, (_, i) => i % 4), Y = labelsToTargets(labels, 4);
  const ops = kernelOps(arch('twolayer')), flow = kernelFlow(ops, X, Y), Xt = points(10, 10, 10);
  const lr = (0.05 * flow.normaliser) / flow.lambdaMax;
  const net = twoLayerNet(10, 20000, 4, 2, { dtype: 'f64' }), net0 = twoLayerNet(10, 20000, 4, 2, { dtype: 'f64' });
  const gd = new FullBatchGd(net, X, Y, lr, 40);
  try {
    gd.step(); gd.step();
    const c = centredModel(net, net0).forward(Xt).data, f = predict(flow.at(2 * lr), Xt).data;
    const { relMismatch, fittedScale } = alignment(c, f);
    assert.ok(relMismatch < 0.05, `|f - f0 - f_t| / |f_t| = ${relMismatch}`);
    assert.ok(Math.abs(fittedScale - 1) < 0.05, `fitted scale ${fittedScale}`);
    // a wrong normalisation (N = n instead of n k) would be off by k = 4
    const wrong = alignment(c, predict(flow.at(2 * lr * 4), Xt).data);
    assert.ok(wrong.relMismatch > 0.5, `N = n: mismatch ${wrong.relMismatch}`);
  } finally { gd.dispose(); net.dispose(); net0.dispose(); flow.dispose(); }
});

test('log-spaced checkpoints include 0 and the last epoch', () => {
  assert.deepEqual(logCheckpoints(100, 6), [0, 1, 3, 6, 16, 40, 100]);
  assert.deepEqual(logCheckpoints(1, 5), [0, 1]);
  assert.throws(() => logCheckpoints(0, 5), /positive integer/);
});

function mnistTask(n: number, m: number) {
  const tr = loadDataset({ name: 'mnist', split: 'train', subset: { n, seed: 0 } }), te = loadDataset({ name: 'mnist', split: 'test', subset: { n: m, seed: 1 } });
  return { train: { X: asMatrix(tr), labels: tr.y }, test: { X: asMatrix(te), labels: te.y }, outputs: 10 };
}

const settings = (o: Partial<TransferSettings> = {}): TransferSettings => ({
  widths: [200, 2000], seeds: 2, netSeed: 0, epochs: 12, checkpoints: logCheckpoints(12, 5), lr: null, lrFactor: 0.5, timeScale: 1,
  eps: [0.1], pgd: null, gradientImages: 2, chunk: 100, init: 'paired', ...o,
});

const strip = (r: RunRecord[]) => r.map((x) => ({ ...x, seconds: 0 }));

test('small MNIST run: NTK FGSM (from the kernel alone) hurts the nets about as much as their own FGSM; resume ends with the same numbers', () => {
  const task = mnistTask(200, 100), ops = kernelOps(arch('twolayer'), [28, 28, 1]);
  const full = runTransfer(ops, task, settings());
  const last = full.runs[0].epochs.length - 1;
  for (const r of full.runs) {
    const clean = r.accuracy.clean[last], own = r.accuracy.own['0.1'][last]!, ntk = r.accuracy.ntk['0.1'][last]!;
    assert.ok(clean > 0.45, `width ${r.width}: clean ${clean}`);
    assert.ok(ntk < clean - 0.1, `width ${r.width}: NTK FGSM ${ntk} vs clean ${clean}`);
    assert.ok(ntk <= own + 0.1, `width ${r.width}: NTK FGSM ${ntk} vs own FGSM ${own}`);
    assert.equal(r.similarity.mean[0], null, 'epoch 0: both gradients are 0');
    // the seeds' curves nearly coincide
    const twin = full.runs.find((q) => q.width === r.width && q.seed !== r.seed)!;
    assert.ok(Math.abs(twin.accuracy.clean[last] - clean) < 0.15, `seeds: clean ${clean} vs ${twin.accuracy.clean[last]}`);
    for (const s of r.similarity.mean.slice(1)) assert.ok(s !== null && s > 0.3, `similarity ${s}`);
  }
  // at epoch 1 the similarity is high at both widths (few units have changed sign yet)
  for (const r of full.runs) assert.ok(r.similarity.median[1]! > 0.8, `width ${r.width}: median similarity at epoch 1 ${r.similarity.median[1]}`);
  // what the kernel regime guarantees: the linearised net's gradient aligns with the NTK's,
  // better with width; the trained net's is that plus the hidden units that changed sign on
  // the test point (more of them with width, each adding +-w_r/sqrt(m) of norm ~sqrt(d/m)):
  // high similarity where none changed, near 0 elsewhere
  for (const seed of [0, 1]) {
    const narrow = full.runs.find((r) => r.width === 200 && r.seed === seed)!, wide = full.runs.find((r) => r.width === 2000 && r.seed === seed)!;
    for (let j = 1; j <= last; j++) {
      assert.ok(wide.linearised.mean[j]! > 0.9, `width 2000 epoch ${wide.epochs[j]}: linearised similarity ${wide.linearised.mean[j]}`);
      assert.ok(wide.linearised.mean[j]! > narrow.linearised.mean[j]!, `epoch ${wide.epochs[j]}: linearised similarity grows with width (${narrow.linearised.mean[j]} -> ${wide.linearised.mean[j]})`);
      assert.ok(wide.flips.mean[j] > narrow.flips.mean[j], `epoch ${wide.epochs[j]}: flipped units grow with width (${narrow.flips.mean[j]} -> ${wide.flips.mean[j]})`);
      for (const r of [narrow, wide]) {
        const none = r.similarityByFlips.none[j], some = r.similarityByFlips.some[j];
        assert.ok(r.linearised.mean[j]! > r.similarity.mean[j]!, `width ${r.width}: linearised ${r.linearised.mean[j]} vs net ${r.similarity.mean[j]}`);
        if (none !== null && some !== null) assert.ok(none > some + 0.4, `width ${r.width} epoch ${r.epochs[j]}: similarity without flips ${none}, with ${some}`);
      }
      if (wide.similarityByFlips.none[j] !== null) assert.ok(wide.similarityByFlips.none[j]! > 0.9, `width 2000: similarity on unflipped points ${wide.similarityByFlips.none[j]}`);
    }
    assert.equal(wide.flips.mean[0], 0);
    assert.equal(wide.linearised.mean[0], null, 'epoch 0: the linearised gradient is 0 too');
  }
  // kill after the 3rd checkpoint save, then resume from what was saved
  let saved: ReturnType<TransferStore['load']> = null, saves = 0;
  const killer: TransferStore = {
    load: () => saved,
    save(runs, current) {
      saved = { runs: [...runs], current: current ? { record: structuredClone(current.record), params: current.params.slice() } : null };
      if (++saves === 8) throw new Error('killed');
    },
  };
  assert.throws(() => runTransfer(ops, task, settings(), { store: killer }), /killed/);
  assert.ok(saved!.current, 'killed mid-run');
  const resumed = runTransfer(ops, task, settings(), { store: { load: () => saved, save: () => {} } });
  assert.deepEqual(strip(resumed.runs), strip(full.runs));
});

test('transfer figures: log epoch ticks are thinned so labels cannot collide (the "5060" axis)', async () => {
  const { epochTicks } = await import('../src/experiments/transfer_figures.js');
  const cps = logCheckpoints(60, 8);
  for (const px of [300, 480]) {
    const t = epochTicks(cps, px), x = (e: number) => (Math.log(e) / Math.log(60)) * px;
    assert.equal(t[t.length - 1], 60);
    assert.equal(t[0], 1);
    for (let i = 1; i < t.length; i++) assert.ok(x(t[i]) - x(t[i - 1]) >= 26, `ticks ${t[i - 1]} and ${t[i]} are ${x(t[i]) - x(t[i - 1])} px apart`);
    assert.ok(t.every((e) => cps.includes(e)));
  }
  // 40 log-spaced checkpoints up to 1000 still give readable ticks
  const many = epochTicks(logCheckpoints(1000, 40), 300);
  assert.ok(many.length >= 4 && many.length <= 12, `${many.length} ticks`);
  assert.deepEqual(epochTicks([0, 5], 300), [5]);
});
