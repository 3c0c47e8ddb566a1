// The linearised net f_lin(x; p) = f(x; p0) + J(x) (p - p0) (first-order Taylor expansion in
// the parameters around p0), with trainable parameters p:
//   outputs          forward at p0, plus the forward-mode product J(x) (p - p0) (Net.jvp);
//   parameter grad   J(x)^T w = the net's backward at p0 (independent of p);
//   input gradient   grad_x w.f(x; p0) + grad_x w.J(x)(p - p0). For nets of dense, conv,
//                    relu, pooling and scale layers the input Jacobian of each layer depends
//                    on the parameters only through W (ReLU masks and max-pool routes are
//                    fixed almost everywhere), so the second term is an exact "tangent
//                    backward": tg <- B_l^T tg + (B_l with W replaced by dW)^T g.
// Trained by gradient descent this is the model whose dynamics the NTK describes exactly.
import { engine } from '../engine.js';
import type { WasmBuffer } from '../../bindings/engine.js';
import { checkMatrix, type Matrix } from '../linalg/matrix.js';
import type { DifferentiableModel } from '../attacks/model.js';
import { lossAndGrad, checkTrainLabels, type TrainLoss } from './losses.js';
import type { Net, Trace } from './net.js';
import { BYTES } from './ops/index.js';

const CHUNK = 16384;

export interface LinearizeOptions {
  /** Rows per batch (one activation arena of this many rows); default 256. */
  batch?: number;
}

export class LinearizedNet implements DifferentiableModel {
  readonly outputs: number;
  /** Expansion point p0 (a copy of the net's parameters when linearised). */
  readonly p0: WasmBuffer;
  /** Trainable parameters p (layout order of the net), initially p0. */
  readonly params: WasmBuffer;
  private readonly delta: WasmBuffer;
  private readonly batch: number;

  constructor(readonly net: Net, opts: LinearizeOptions = {}) {
    const { batch = 256 } = opts;
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`linearize: batch must be a positive integer, got ${batch}`);
    this.batch = batch;
    this.outputs = net.outputs;
    const e = engine();
    this.p0 = e.buffer(net.dtype, net.nParams);
    this.params = e.buffer(net.dtype, net.nParams);
    this.delta = e.buffer(net.dtype, net.nParams);
    this.p0.data.set(net.params.data);
    this.params.data.set(net.params.data);
  }

  /** delta = p - p0 (in wasm). */
  private updateDelta(): void {
    const e = engine(), n = this.net.nParams, dt = this.net.dtype, tasks = Math.ceil(n / CHUNK);
    e.parallelFor(`nn_scale_${dt}`, [this.params.ptr, this.delta.ptr, n, 1, 0, CHUNK], tasks);
    e.parallelFor(`nn_scale_${dt}`, [this.p0.ptr, this.delta.ptr, n, -1, 1, CHUNK], tasks);
  }

  private check(X: Matrix, what: string): void {
    checkMatrix(X, what);
    if (X.cols !== this.net.inputDim) throw new RangeError(`${what}: rows have ${X.cols} values, the net expects ${this.net.inputDim}`);
  }

  /** Runs `body` per batch of rows with the batch's forward pass at p0 cached. */
  private batches(X: Matrix, body: (tr: Trace, r0: number, b: number) => void): void {
    const net = this.net, d = net.inputDim, B = Math.min(this.batch, Math.max(1, X.rows));
    const tr = net.trace(B);
    try {
      for (let r0 = 0; r0 < X.rows; r0 += B) {
        const b = Math.min(B, X.rows - r0), t = b === B ? tr : { ...tr, B: b };
        net.view(t.input, b * d).set(X.data.subarray(r0 * d, (r0 + b) * d));
        net.run(t, this.p0.ptr);
        body(t, r0, b);
      }
    } finally { tr.free(); }
  }

  /** f(x; p0) + J(x)(p - p0), rows x outputs. */
  forward(X: Matrix): Matrix<Float64Array> {
    this.check(X, 'linearized forward: X');
    const net = this.net, k = net.outputs, e = engine(), F = new Float64Array(X.rows * k);
    this.updateDelta();
    const out = e.buffer(net.dtype, Math.min(this.batch, Math.max(1, X.rows)) * k);
    try {
      this.batches(X, (tr, r0, b) => {
        const f0 = net.view(tr.output, b * k);
        for (let i = 0; i < b * k; i++) F[r0 * k + i] = f0[i];
        net.jvp(tr, this.delta.ptr, out.ptr, 0, this.p0.ptr);
        const jv = net.view(out.ptr, b * k);
        for (let i = 0; i < b * k; i++) F[r0 * k + i] += jv[i];
      });
    } finally { out.free(); }
    return { data: F, rows: X.rows, cols: k };
  }

  /** J(X)^T W summed over rows (parameter gradient of sum W . f_lin), f64, layout order. */
  paramGrad(X: Matrix, W: Matrix): Float64Array {
    this.check(X, 'linearized paramGrad: X');
    const net = this.net, k = net.outputs, e = engine();
    if (W.rows !== X.rows || W.cols !== k) throw new RangeError(`linearized paramGrad: W must be ${X.rows} x ${k}, got ${W.rows} x ${W.cols}`);
    const B = Math.min(this.batch, Math.max(1, X.rows));
    const dOut = e.buffer(net.dtype, B * k), g = e.buffer(net.dtype, net.nParams), total = new Float64Array(net.nParams);
    try {
      this.batches(X, (tr, r0, b) => {
        net.view(dOut.ptr, b * k).set(W.data.subarray(r0 * k, (r0 + b) * k));
        net.backward(tr, dOut.ptr, g.ptr, 0, this.p0.ptr);
        const gv = g.data;
        for (let i = 0; i < gv.length; i++) total[i] += gv[i];
      });
    } finally { dOut.free(); g.free(); }
    return total;
  }

  /**
   * One gradient-descent step on the mean loss over (X, labels) (the same losses as
   * Trainer: 'ce', 'logistic', 'mse'); returns the loss before the step.
   */
  step(X: Matrix, labels: ArrayLike<number>, lr: number, loss: TrainLoss = this.outputs === 1 ? 'logistic' : 'ce'): number {
    if (!(Number.isFinite(lr) && lr > 0)) throw new RangeError(`linearized step: learning rate must be a positive finite number, got ${lr}`);
    if (labels.length !== X.rows) throw new RangeError(`linearized step: ${labels.length} labels for ${X.rows} inputs`);
    checkTrainLabels(labels, this.outputs, loss, 'linearized step labels');
    const F = this.forward(X), dF = new Float64Array(F.data.length);
    const L = lossAndGrad(F.data, X.rows, this.outputs, labels, loss, dF);
    const g = this.paramGrad(X, { data: dF, rows: X.rows, cols: this.outputs });
    const p = this.params.data;
    for (let i = 0; i < p.length; i++) p[i] -= lr * g[i];
    return L;
  }

  /** Input gradients: for each w (rows x k), row b = grad_x sum_j w[b, j] f_lin,j(x_b). */
  vjp(X: Matrix<Float64Array>, ws: Matrix<Float64Array>[]): Matrix<Float64Array>[] {
    this.check(X, 'linearized vjp: X');
    const net = this.net, k = net.outputs, d = net.inputDim, e = engine(), sz = BYTES[net.dtype];
    for (const w of ws) if (w.rows !== X.rows || w.cols !== k) throw new RangeError(`linearized vjp: output weights must be ${X.rows} x ${k}, got ${w.rows} x ${w.cols}`);
    this.updateDelta();
    const B = Math.min(this.batch, Math.max(1, X.rows)), maxS = Math.max(...net.boundarySizes);
    const bufs = [0, 1, 2, 3, 4].map(() => e.heap.alloc(B * maxS * sz));
    const G = ws.map(() => ({ data: new Float64Array(X.rows * d), rows: X.rows, cols: d }));
    const first = (() => { for (let i = 0; i < net.plan.length; i++) if (net.layerOp(i)) return i; return net.plan.length; })();
    try {
      this.batches(X, (tr, r0, b) => {
        ws.forEach((w, j) => {
          // g: ordinary cotangent at p0; tg: its derivative along p - p0
          let g = bufs[0], tg = bufs[1];
          net.view(g, b * k).set(w.data.subarray(r0 * k, (r0 + b) * k));
          net.view(tg, b * k).fill(0);
          for (let i = net.plan.length - 1; i >= first; i--) {
            const op = net.layerOp(i), ctx = net.layerCtx(i, b, this.p0.ptr);
            if (!op) continue;
            const n = b * net.boundarySizes[i];
            const g2 = g === bufs[0] ? bufs[2] : bufs[0], tg2 = tg === bufs[1] ? bufs[3] : bufs[1];
            op.vjp(ctx, tr.acts[i], tr.acts[i + 1], tg, tg2, 0, 0);
            const lt = net.layerTensors(i), hasW = !!lt.W && !lt.frozen;
            if (hasW) {
              const dctx = { ...ctx, W: net.layerCtx(i, b, this.delta.ptr).W };
              op.vjp(dctx, tr.acts[i], tr.acts[i + 1], g, bufs[4], 0, 0);
              e.parallelFor(`nn_scale_${net.dtype}`, [bufs[4], tg2, n, 1, 1, CHUNK], Math.ceil(n / CHUNK));
            }
            op.vjp(ctx, tr.acts[i], tr.acts[i + 1], g, g2, 0, 0);
            g = g2; tg = tg2;
          }
          const gv = net.view(g, b * d), tv = net.view(tg, b * d), out = G[j].data;
          for (let q = 0; q < b * d; q++) out[r0 * d + q] = gv[q] + tv[q];
        });
      });
    } finally { for (const p of bufs) e.heap.release(p); }
    return G;
  }

  dispose(): void { this.p0.free(); this.params.free(); this.delta.free(); }
}

/** The linearisation of `net` around its current parameters (which it copies as p0). */
export function linearize(net: Net, opts: LinearizeOptions = {}): LinearizedNet {
  return new LinearizedNet(net, opts);
}
